// Recommendations for known users: the top k of a user's scores, as external ids.

import { LrmlError, positiveInt } from '../errors.js';
import { topK } from '../kernels/topk_impl.js';
import type { LoadedModel } from '../models/types.js';

/** Options of {@link recommend}. */
export interface RecommendOptions {
  /** How many items (default 10). */
  k?: number;
  /** Exclude the user's training items (default true). */
  excludeSeen?: boolean;
  /** Further item ids never to return. Unknown ids are ignored. */
  exclude?: readonly string[];
  /** Only rank these item ids (unknown ids throw UNKNOWN_ITEM). */
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

/**
 * Builds the skip mask (1 = never recommend) for a user index (or null for a new user) and options.
 * Exposed for the fold-in and HTTP paths.
 */
export function buildSkipMask(m: LoadedModel, u: number | null, o: RecommendOptions, extraSeen: Int32Array | null = null): Uint8Array {
  const n = m.model.numItems;
  const skip = new Uint8Array(n);
  if (o.candidates !== undefined) {
    skip.fill(1);
    for (const id of o.candidates) {
      const i = m.items.get(id);
      if (i === undefined) throw new LrmlError('UNKNOWN_ITEM', `unknown item ${JSON.stringify(id)} in candidates`);
      skip[i] = 0;
    }
  }
  if (o.excludeSeen !== false) {
    if (u !== null && m.seen !== null) for (const i of m.seen.row(u)) skip[i] = 1;
    if (extraSeen !== null) for (const i of extraSeen) skip[i] = 1;
  }
  for (const id of o.exclude ?? []) {
    const i = m.items.get(id);
    if (i !== undefined) skip[i] = 1;
  }
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
 * Throws UNKNOWN_USER for an id the model was not trained on.
 *
 * @example
 * ```ts
 * const m = await loadModel('movies.lrml');
 * const r = recommend(m, '42', { k: 5 });
 * for (const { item, score } of r.items) console.log(item, score);
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
  return userIds.map((id) => recommend(m, id, options));
}
