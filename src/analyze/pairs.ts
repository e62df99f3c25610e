// The (user, item) pairs an analysis looks at, in the model's dense indices, with what is known
// about them: rating, timestamp, item titles and genres, user attributes. Built from interactions
// and side maps; joins a model's ids to side files' ids (item map, user id offset). Browser-safe.

import type { Interactions } from '../data/types.js';
import type { ItemInfo, UserInfo } from '../data/side-info.js';
import { badOption, oneOf } from '../errors.js';
import type { LoadedModel } from '../models/types.js';

export type { ItemInfo, UserInfo } from '../data/side-info.js';

/**
 * Pairs for {@link analyzeRelations}: dense user and item indices of the model, and whatever
 * labels are known. Only `user` and `item` are required.
 *
 * @example
 * ```ts
 * const pairs: LabelledPairs = { user: Int32Array.of(0, 1), item: Int32Array.of(3, 3), rating: Float64Array.of(5, 1) };
 * ```
 */
export interface LabelledPairs {
  /** Dense user index of the model, per pair. */
  user: Int32Array;
  /** Dense item index of the model, per pair. */
  item: Int32Array;
  /** Explicit rating per pair (NaN = unknown), or null / absent. */
  rating?: Float64Array | Float32Array | null;
  /** Timestamp per pair, larger = later (NaN = unknown), or null / absent. */
  timestamp?: Float64Array | null;
  /** Title and genres per dense model item (null = unknown item), or null / absent. */
  itemInfo?: readonly (ItemInfo | null)[] | null;
  /** Attributes per dense model user (null = unknown user), or null / absent. */
  userInfo?: readonly (UserInfo | null)[] | null;
  /** Pairs of the data left out because the model does not know their user or item. */
  skipped?: number;
  /** Notes on the labels (e.g. coverage of the side files), carried into the analysis' notes. */
  notes?: string[];
}

/** Options of {@link labelledPairs}. All optional. */
export interface LabelledPairsOptions {
  /** Items file contents (side item id → title, genres), e.g. from `loadItemsFile`. */
  items?: ReadonlyMap<string, ItemInfo>;
  /** Users file contents (side user id → attributes), e.g. from `loadUsersFile`. */
  users?: ReadonlyMap<string, UserInfo>;
  /**
   * Model item id → side item id (e.g. `loadIdMapFile('item_map.tsv')` for NCF item ids);
   * default: the same ids. Items missing from the map have no side id.
   */
  itemMap?: ReadonlyMap<string, string>;
  /** Side user id = model user id + userOffset, for integer ids (default 0 = the same ids; NCF: 1). */
  userOffset?: number;
  /**
   * Which ids the interactions use: `model` (default; e.g. loaded with the model's frozen id maps)
   * or `side` (the side files' ids, e.g. MovieLens ids, translated through itemMap / userOffset).
   */
  dataIds?: 'model' | 'side';
}

/** Model id → side id through an optional map / integer offset; undefined when there is none. */
function sideIdOf(id: string, map: ReadonlyMap<string, string> | undefined, offset: number): string | undefined {
  if (map !== undefined) return map.get(id);
  if (offset === 0) return id;
  if (!/^-?\d+$/.test(id)) return undefined;
  return String(Number(id) + offset);
}

/** Side info per model index (null where the side map lacks it), with a coverage note; null without a map. */
function sideInfo<T>(sideIds: (string | undefined)[], map: ReadonlyMap<string, T> | undefined, what: string, notes: string[]): (T | null)[] | null {
  if (map === undefined) return null;
  const out = sideIds.map((s) => (s === undefined ? null : map.get(s) ?? null));
  notes.push(`${what} file: ${out.filter((x) => x !== null).length} of ${sideIds.length} model ${what} found`);
  return out;
}

/**
 * Builds {@link LabelledPairs} from interactions (with their ratings and timestamps when the file
 * had them) and side maps: each pair's user and item are resolved to the model's dense indices
 * (pairs with ids the model does not know are counted in `skipped`, with the lines a frozen load
 * already dropped), and each model item / user gets its side info through `itemMap` / `userOffset`.
 * Notes say how much of the model the side files cover.
 *
 * @example
 * ```ts
 * // MovieLens 1M: model trained on the NCF files, ratings with MovieLens ids
 * const data = await loadInteractions('ml-1m.ratings_ts_partial.tsv.gz');
 * const pairs = labelledPairs(lm, data, {
 *   dataIds: 'side', itemMap: await loadIdMapFile('item_map.tsv'), userOffset: 1,
 *   items: await loadItemsFile('movies.dat'), users: await loadUsersFile('users.dat'),
 * });
 * ```
 */
export function labelledPairs(lm: LoadedModel, data: Interactions, options: LabelledPairsOptions = {}): LabelledPairs {
  const offset = options.userOffset ?? 0;
  if (!Number.isInteger(offset)) throw badOption('userOffset', offset, 'an integer');
  const dataIds = oneOf('dataIds', options.dataIds ?? 'model', ['model', 'side'] as const);
  const notes: string[] = [];
  const numUsers = lm.users.size;
  const numItems = lm.items.size;
  // side ids of the model's users and items
  const sideUser: (string | undefined)[] = new Array(numUsers);
  for (let u = 0; u < numUsers; u++) sideUser[u] = sideIdOf(lm.users.id(u), undefined, offset);
  const sideItem: (string | undefined)[] = new Array(numItems);
  for (let i = 0; i < numItems; i++) sideItem[i] = sideIdOf(lm.items.id(i), options.itemMap, 0);
  // data's dense indices → the model's (−1 = unknown to the model)
  const resolve = (ids: string[], lookup: (id: string) => number | undefined): Int32Array =>
    Int32Array.from(ids, (id) => lookup(id) ?? -1);
  const inverse = (sideIds: (string | undefined)[]): Map<string, number> => {
    const m = new Map<string, number>();
    sideIds.forEach((s, k) => {
      if (s !== undefined && !m.has(s)) m.set(s, k);
    });
    return m;
  };
  const same = dataIds === 'model' && data.users === lm.users && data.items === lm.items;
  let userOf: Int32Array | null = null;
  let itemOf: Int32Array | null = null;
  if (!same) {
    if (dataIds === 'side') {
      const us = inverse(sideUser);
      const is = inverse(sideItem);
      userOf = resolve(data.users.ids(), (id) => us.get(id));
      itemOf = resolve(data.items.ids(), (id) => is.get(id));
    } else {
      userOf = resolve(data.users.ids(), (id) => lm.users.get(id));
      itemOf = resolve(data.items.ids(), (id) => lm.items.get(id));
    }
  }
  const n = data.user.length;
  const keep: number[] = [];
  for (let k = 0; k < n; k++) {
    if (same) keep.push(k);
    else if (userOf![data.user[k]] >= 0 && itemOf![data.item[k]] >= 0) keep.push(k);
  }
  const m = keep.length;
  const user = new Int32Array(m);
  const item = new Int32Array(m);
  const rating = data.rating === null ? null : new Float64Array(m);
  const timestamp = data.timestamp === null ? null : new Float64Array(m);
  for (let t = 0; t < m; t++) {
    const k = keep[t];
    user[t] = same ? data.user[k] : userOf![data.user[k]];
    item[t] = same ? data.item[k] : itemOf![data.item[k]];
    if (rating !== null) rating[t] = data.rating![k];
    if (timestamp !== null) timestamp[t] = data.timestamp![k];
  }
  const skipped = n - m + (data.summary.unknownLines ?? 0);
  const itemInfo = sideInfo(sideItem, options.items, 'items', notes);
  const userInfo = sideInfo(sideUser, options.users, 'users', notes);
  return { user, item, rating, timestamp, itemInfo, userInfo, skipped, notes };
}
