import { Csr } from './csr.js';
import { IdMap } from './idmap.js';
import { LrmlError } from '../errors.js';
import type { Interactions, LoadSummary } from './types.js';

/**
 * The user × item 0/1 matrix of an interaction log, as CSR (rows = users, sorted
 * distinct items per row). Its shape is the size of the id maps, so users or items
 * without interactions (possible with pre-existing maps) are empty rows / columns.
 *
 * @example
 * ```ts
 * const data = await loadInteractions('ratings.csv');
 * const csr = toCsr(data);
 * csr.has(data.users.get('1')!, data.items.get('31')!); // true
 * ```
 */
export function toCsr(data: Interactions): Csr {
  return Csr.fromPairs(data.users.size, data.items.size, data.user, data.item);
}

/**
 * A summary for interactions built in memory (not read from a file): every count is
 * zero except `linesRead` and `kept` (= `n`).
 *
 * @example
 * ```ts
 * const s = memorySummary(3); // { file: '<memory>', kept: 3, linesRead: 3, … }
 * ```
 */
export function memorySummary(n: number, file = '<memory>'): LoadSummary {
  return {
    file,
    format: 'tsv',
    gzip: false,
    header: false,
    linesRead: n,
    blankLines: 0,
    kept: n,
    duplicates: 0,
    belowMinRating: 0,
    kcoreRemoved: 0,
    badLines: 0,
  };
}

/**
 * Builds {@link Interactions} from parallel arrays of external ids (in memory, e.g. for
 * tests or an HTTP payload). Ids are mapped in order of first appearance, duplicates are
 * kept as given (use `loadInteractions`/`parseInteractions` for duplicate handling).
 *
 * @example
 * ```ts
 * const data = interactionsFromIds(['alice', 'alice', 'bob'], ['x', 'y', 'x']);
 * data.users.size; // 2
 * toCsr(data).row(0); // Int32Array [0, 1]
 * ```
 */
export function interactionsFromIds(
  users: readonly string[],
  items: readonly string[],
  extra: { rating?: ArrayLike<number>; timestamp?: ArrayLike<number> } = {},
): Interactions {
  const n = users.length;
  if (items.length !== n) throw new LrmlError('BAD_OPTION', `interactionsFromIds: ${n} users but ${items.length} items`);
  const um = new IdMap();
  const im = new IdMap();
  const user = new Int32Array(n);
  const item = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    user[k] = um.add(users[k]);
    item[k] = im.add(items[k]);
  }
  const lengthOk = (a: ArrayLike<number> | undefined): boolean => a === undefined || a.length === n;
  if (!lengthOk(extra.rating) || !lengthOk(extra.timestamp)) {
    throw new LrmlError('BAD_OPTION', `interactionsFromIds: rating/timestamp length differs from ${n}`);
  }
  return {
    users: um,
    items: im,
    user,
    item,
    rating: extra.rating === undefined ? null : Float32Array.from(extra.rating),
    timestamp: extra.timestamp === undefined ? null : Float64Array.from(extra.timestamp),
    summary: memorySummary(n),
  };
}

/**
 * The interactions at positions `rows` (in that order), sharing the same id maps.
 * The summary is copied with `kept` set to the subset's size.
 *
 * @example
 * ```ts
 * const firstTwo = selectInteractions(data, Int32Array.of(0, 1));
 * firstTwo.users === data.users; // true
 * ```
 */
export function selectInteractions(data: Interactions, rows: Int32Array): Interactions {
  const n = rows.length;
  const user = new Int32Array(n);
  const item = new Int32Array(n);
  const rating = data.rating === null ? null : new Float32Array(n);
  const timestamp = data.timestamp === null ? null : new Float64Array(n);
  const total = data.user.length;
  for (let k = 0; k < n; k++) {
    const r = rows[k];
    if (!(r >= 0 && r < total)) throw new RangeError(`selectInteractions: row ${r} out of range [0, ${total})`);
    user[k] = data.user[r];
    item[k] = data.item[r];
    if (rating !== null) rating[k] = data.rating![r];
    if (timestamp !== null) timestamp[k] = data.timestamp![r];
  }
  return { users: data.users, items: data.items, user, item, rating, timestamp, summary: { ...data.summary, kept: n } };
}

/**
 * Interactions per user (length `users.size`) and per item (length `items.size`).
 *
 * @example
 * ```ts
 * const { perUser, perItem } = interactionCounts(data);
 * ```
 */
export function interactionCounts(data: Interactions): { perUser: Int32Array; perItem: Int32Array } {
  const perUser = new Int32Array(data.users.size);
  const perItem = new Int32Array(data.items.size);
  for (let k = 0; k < data.user.length; k++) {
    perUser[data.user[k]]++;
    perItem[data.item[k]]++;
  }
  return { perUser, perItem };
}
