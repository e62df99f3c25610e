// Recommendations for known users: the top k of a user's scores, as external ids.

import { csvField } from '../data/csv-field.js';
import { LrmlError, badOption, positiveInt } from '../errors.js';
import { topK } from '../kernels/topk-impl.js';
import type { LoadedModel } from '../models/types.js';
import { titledRecommendations, type ItemTitles } from './titles.js';

/** Options of {@link recommend}. */
export interface RecommendOptions {
  /** How many items (default 10). */
  k?: number;
  /** Exclude the user's training items (default true). */
  excludeSeen?: boolean;
  /** Only these item ids are candidates (seen and excluded items still removed). Unknown ids throw UNKNOWN_ITEM unless `skipUnknown`. */
  include?: readonly string[];
  /** Further item ids never to return. Unknown ids throw UNKNOWN_ITEM unless `skipUnknown`. */
  exclude?: readonly string[];
  /** Ignore item ids of `include` / `exclude` the model does not know instead of throwing UNKNOWN_ITEM (default false). */
  skipUnknown?: boolean;
  /** The former name of `include` (kept for compatibility; giving both is BAD_OPTION). */
  candidates?: readonly string[];
}

/** One recommended item. */
export interface ScoredItem {
  item: string;
  /** Model score (higher = better; for LRML/CML, −distance). */
  score: number;
}

/** What {@link recommend} returns: always this shape. */
export interface Recommendations {
  user: string;
  /** Best first. */
  items: ScoredItem[];
  /** The k asked for. */
  k: number;
  /** False when fewer than k candidates remained after exclusions. */
  complete: boolean;
}

/** Maximum k accepted. */
export const MAX_K = 10000;

/** Item indices of a filter list (`include` / `exclude`); unknown ids throw UNKNOWN_ITEM naming the option unless `skipUnknown`. */
function filterIndices(m: LoadedModel, name: string, ids: readonly string[], skipUnknown: boolean): number[] {
  if (!Array.isArray(ids)) throw badOption(name, ids, 'an array of item ids');
  const out: number[] = [];
  for (const id of ids) {
    if (typeof id !== 'string') throw badOption(name, id, 'item ids as strings');
    const i = m.items.get(id);
    if (i === undefined) {
      if (skipUnknown) continue;
      throw new LrmlError('UNKNOWN_ITEM', `unknown item ${JSON.stringify(id)} in ${name} (not in the model; skipUnknown ignores such ids)`);
    }
    out.push(i);
  }
  return out;
}

/** The candidate list of the options (`include`, or its former name `candidates`); BAD_OPTION when both are given. */
function includeOf(o: RecommendOptions): readonly string[] | undefined {
  if (o.include !== undefined && o.candidates !== undefined) throw new LrmlError('BAD_OPTION', 'give include or candidates (its former name), not both');
  return o.include ?? o.candidates;
}

/**
 * Checks the item filters of options (`include` / `candidates`, `exclude`, `skipUnknown`) against
 * a model up front: UNKNOWN_ITEM for an unknown id (unless `skipUnknown`), BAD_OPTION for a
 * malformed list. {@link recommend} checks them too; this lets a caller fail before writing anything.
 *
 * @example
 * ```ts
 * checkFilters(m, { include: ['1', '2'], exclude: ['3'] }); // throws UNKNOWN_ITEM for an unknown id
 * ```
 */
export function checkFilters(m: LoadedModel, o: RecommendOptions): void {
  const skipUnknown = o.skipUnknown === true;
  const inc = includeOf(o);
  if (inc !== undefined) filterIndices(m, o.include !== undefined ? 'include' : 'candidates', inc, skipUnknown);
  if (o.exclude !== undefined) filterIndices(m, 'exclude', o.exclude, skipUnknown);
}

/** Why a known user's seen items cannot be left out of a model saved without them (`meta.seenOmitted`, written by `lrml train --no-seen`). */
const NO_SEEN_MESSAGE = 'this model file holds no training interactions (saved with lrml train --no-seen), so a user\'s seen items cannot be left out: '
  + 'give the training data (lrml recommend --seen-data FILE; in code, attachSeen(model, FILE)) or keep seen items (--include-seen, excludeSeen: false, includeSeen=true)';

/**
 * Builds the skip mask (1 = never recommend) for a user index (or null for a new user) and options:
 * everything outside `include` (when given), the user's training items (and `extraSeen`) unless
 * `excludeSeen` is false, and `exclude`. Exposed for the fold-in and HTTP paths.
 *
 * @example
 * ```ts
 * const skip = buildSkipMask(m, m.users.get('42') ?? null, { include: ['1', '2'] });
 * ```
 */
export function buildSkipMask(m: LoadedModel, u: number | null, o: RecommendOptions, extraSeen: Int32Array | null = null): Uint8Array {
  const n = m.model.numItems;
  const skip = new Uint8Array(n);
  const skipUnknown = o.skipUnknown === true;
  const inc = includeOf(o);
  if (inc !== undefined) {
    skip.fill(1);
    for (const i of filterIndices(m, o.include !== undefined ? 'include' : 'candidates', inc, skipUnknown)) skip[i] = 0;
  }
  if (o.excludeSeen !== false) {
    if (u !== null && m.seen === null && m.meta.seenOmitted === true) throw new LrmlError('BAD_OPTION', NO_SEEN_MESSAGE);
    if (u !== null && m.seen !== null) for (const i of m.seen.row(u)) skip[i] = 1;
    if (extraSeen !== null) for (const i of extraSeen) skip[i] = 1;
  }
  if (o.exclude !== undefined) for (const i of filterIndices(m, 'exclude', o.exclude, skipUnknown)) skip[i] = 1;
  return skip;
}

/** Top-k of a score vector under a skip mask, as external ids. */
export function pickTop(m: LoadedModel, user: string, scores: Float32Array, skip: Uint8Array, k: number): Recommendations {
  const idx = new Int32Array(k);
  const sc = new Float32Array(k);
  const got = topK(scores, k, skip, idx, sc);
  const items: ScoredItem[] = [];
  for (let r = 0; r < got; r++) items.push({ item: m.items.id(idx[r]), score: sc[r] });
  return { user, items, k, complete: got === k };
}

/**
 * Validates k (a positive integer, at most {@link MAX_K}) and returns it.
 *
 * @example
 * ```ts
 * const k = checkK(options.k ?? 10);
 * ```
 */
export function checkK(k: number): number {
  positiveInt('k', k);
  if (k > MAX_K) throw new LrmlError('BAD_OPTION', `invalid k: ${k} (expected at most ${MAX_K})`);
  return k;
}

/**
 * The k best items for a known user (by external id), excluding the user's training items
 * by default. Returns exactly k items unless fewer candidates remain (then `complete` is false).
 * `include` restricts the candidates, `exclude` removes items (unknown ids: UNKNOWN_ITEM unless
 * `skipUnknown`). Throws UNKNOWN_USER for an id the model was not trained on.
 *
 * @example
 * ```ts
 * const m = await loadModel('movies.lrml');
 * const r = recommend(m, '42', { k: 5 });
 * for (const { item, score } of r.items) console.log(item, score);
 * recommend(m, '42', { k: 3, include: ['1', '2', '3', '4'], exclude: ['2'] }); // among 1, 3, 4 (unseen)
 * ```
 */
export function recommend(m: LoadedModel, userId: string, options: RecommendOptions = {}): Recommendations {
  const k = checkK(options.k ?? 10);
  const u = m.users.get(userId);
  if (u === undefined) throw new LrmlError('UNKNOWN_USER', `unknown user ${JSON.stringify(userId)}`);
  const scores = new Float32Array(m.model.numItems);
  m.model.scoreAll(u, scores);
  return pickTop(m, userId, scores, buildSkipMask(m, u, options), k);
}

/**
 * {@link recommend} for many users at once; one result per user id, in order.
 * Throws UNKNOWN_USER naming the first unknown id (nothing is returned partially).
 *
 * @example
 * ```ts
 * const all = recommendMany(m, ['1', '2', '3'], { k: 10 });
 * ```
 */
export function recommendMany(m: LoadedModel, userIds: readonly string[], options: RecommendOptions = {}): Recommendations[] {
  for (const id of userIds) if (!m.users.has(id)) throw new LrmlError('UNKNOWN_USER', `unknown user ${JSON.stringify(id)}`);
  checkFilters(m, options);
  return userIds.map((id) => recommend(m, id, options));
}

/** Text formats of {@link recommendationLines}. */
export type RecommendationsFormat = 'jsonl' | 'csv';

/**
 * {@link recommend} for each user id in turn (every user of the model, in index order, when
 * `userIds` is null), lazily: one user scored per step, so a caller can stream the results.
 * Throws BAD_OPTION for a bad k and UNKNOWN_ITEM for an unknown filter id at once, UNKNOWN_USER
 * when it reaches an unknown id (check ids first with `m.users.has`).
 *
 * @example
 * ```ts
 * for (const r of recommendEach(m, null, { k: 10 })) console.log(r.user, r.items[0]?.item);
 * ```
 */
export function recommendEach(m: LoadedModel, userIds: Iterable<string> | null, options: RecommendOptions = {}): Generator<Recommendations> {
  checkK(options.k ?? 10); // at the call, not at the first step
  checkFilters(m, options);
  function* each(): Generator<Recommendations> {
    if (userIds === null) {
      for (let u = 0; u < m.users.size; u++) yield recommend(m, m.users.id(u), options);
      return;
    }
    for (const id of userIds) yield recommend(m, id, options);
  }
  return each();
}

/**
 * Recommendations as text lines (each ending in a newline), lazily:
 * - `jsonl`: one `{"user", "items": [{"item", "score"}, …], "k", "complete"}` object per user;
 * - `csv`: a header `user,rank,item,score`, then one row per recommended item (rank from 1).
 * With `titles` (an items file's id → title and genres), JSON items gain `title` and `genres` and the
 * CSV a `title` column (empty for items without one).
 *
 * @example
 * ```ts
 * const lines = recommendationLines(recommendEach(m, null), 'csv'); // 'user,rank,item,score\n', '42,1,260,-0.31\n', …
 * ```
 */
export function* recommendationLines(recs: Iterable<Recommendations>, format: RecommendationsFormat, titles?: ItemTitles): Generator<string> {
  if (format !== 'jsonl' && format !== 'csv') throw new LrmlError('BAD_OPTION', `invalid recommendations format: ${JSON.stringify(format)} (expected jsonl or csv)`);
  if (format === 'csv') yield titles === undefined ? 'user,rank,item,score\n' : 'user,rank,item,score,title\n';
  for (const r of recs) {
    if (format === 'jsonl') {
      yield `${JSON.stringify(titles === undefined ? r : titledRecommendations(r, titles))}\n`;
      continue;
    }
    const user = csvField(r.user);
    let text = '';
    for (let t = 0; t < r.items.length; t++) {
      const x = r.items[t];
      text += `${user},${t + 1},${csvField(x.item)},${x.score}`;
      text += titles === undefined ? '\n' : `,${csvField(titles.get(x.item)?.title ?? '')}\n`;
    }
    yield text;
  }
}
