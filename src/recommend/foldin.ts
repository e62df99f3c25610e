// Recommendations for a user the model was not trained on, from a list of items: fold-in.
// Only the new user's vector is optimised; every model parameter stays frozen.

// How: the model's own `foldIn` capability (src/models/foldin.ts for the built-in families).

import { LrmlError, badOption, numberIn, oneOf, positiveInt } from '../errors.js';
import type { FoldInLoss, FoldInMethod, FoldInSettings, LoadedModel, ModelKind } from '../models/types.js';
import { buildSkipMask, checkK, pickTop, type RecommendOptions, type Recommendations } from './recommend.js';

export type { FoldInLoss, FoldInMethod } from '../models/types.js';

/** Most items a fold-in accepts. */
export const MAX_FOLD_IN_ITEMS = 10000;

/** Options of {@link foldInUser}. All optional; the defaults are documented per field. */
export interface FoldInOptions {
  /** Optimiser steps (default 50, at most 10000). */
  steps?: number;
  /** Adam learning rate (default 0.05). */
  learningRate?: number;
  /** Seed of the negative sampling (default 0): same seed, same vector. */
  seed?: number;
  /** Negatives sampled per positive per step (default 2). */
  negatives?: number;
  /** Positives per step: all of them when the list is shorter, else a seeded sample (default 32). */
  batchSize?: number;
  /** Skip item ids the model does not know instead of throwing UNKNOWN_ITEM (default false). */
  ignoreUnknown?: boolean;
  /**
   * LRML / CML only: the loss the new user's vector minimises, `hinge` or `softmax` (sampled
   * softmax at the model's temperature). Default: the loss the model was trained with (`softmax`
   * for models trained with it, else `hinge`).
   */
  loss?: FoldInLoss;
}

/** A folded-in new user: what {@link scoreFoldIn} needs to score every item. */
export interface FoldedUser {
  kind: ModelKind;
  method: FoldInMethod;
  /** The known item ids used, deduplicated, in the given order. */
  items: string[];
  /** Their item indices. */
  itemIndices: Int32Array;
  /** The user vector (length dim), or null for methods without one (`item-set`, `popularity`). */
  vector: Float32Array | null;
  /** Optimiser steps taken (0 without optimisation). */
  steps: number;
  /** Mean loss per positive at the last step (NaN without optimisation). */
  loss: number;
}

/**
 * Resolves external item ids to indices: deduplicated, in order; unknown ids throw UNKNOWN_ITEM
 * (or are skipped with `ignoreUnknown`). Throws BAD_OPTION when nothing is left or too many.
 *
 * @example
 * ```ts
 * const idx = resolveItems(m, ['1', '50'], false); // Int32Array of item indices
 * ```
 */
export function resolveItems(m: LoadedModel, itemIds: readonly string[], ignoreUnknown: boolean): { ids: string[]; indices: Int32Array } {
  if (!Array.isArray(itemIds)) throw badOption('items', itemIds, 'an array of item ids');
  if (itemIds.length > MAX_FOLD_IN_ITEMS) {
    throw new LrmlError('TOO_LARGE', `${itemIds.length} items given; at most ${MAX_FOLD_IN_ITEMS} are accepted`);
  }
  const seen = new Set<number>();
  const ids: string[] = [];
  for (const id of itemIds) {
    if (typeof id !== 'string') throw badOption('items', id, 'item ids as strings');
    const i = m.items.get(id);
    if (i === undefined) {
      if (ignoreUnknown) continue;
      throw new LrmlError('UNKNOWN_ITEM', `unknown item ${JSON.stringify(id)}`);
    }
    if (seen.has(i)) continue;
    seen.add(i);
    ids.push(id);
  }
  if (ids.length === 0) throw new LrmlError('BAD_OPTION', 'a new user needs at least one item the model knows (got none)');
  return { ids, indices: Int32Array.from(ids, (id) => m.items.get(id) as number) };
}

function resolveOptions(o: FoldInOptions): FoldInSettings {
  const steps = o.steps ?? 50;
  if (!Number.isInteger(steps) || steps < 0 || steps > 10000) throw badOption('steps', steps, 'an integer in [0, 10000]');
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed)) throw badOption('seed', seed, 'an integer');
  const negatives = positiveInt('negatives', o.negatives ?? 2);
  if (negatives > 100) throw badOption('negatives', negatives, 'an integer in [1, 100]');
  return {
    loss: o.loss === undefined ? undefined : oneOf('loss', o.loss, ['hinge', 'softmax'] as const),
    steps,
    learningRate: numberIn('learningRate', o.learningRate ?? 0.05, 1e-9, 10),
    seed,
    negatives,
    batchSize: positiveInt('batchSize', o.batchSize ?? 32),
  };
}

/**
 * A vector for a new user from a list of items (external ids), optimising only that vector with
 * every model parameter frozen (seeded, `steps` bounded), by the model's `foldIn` capability (the
 * method per family: see {@link FoldInMethod}; BAD_OPTION for a model without one). Unknown ids throw UNKNOWN_ITEM (unless `ignoreUnknown`), an empty
 * list BAD_OPTION, more than {@link MAX_FOLD_IN_ITEMS} ids TOO_LARGE.
 *
 * @example
 * ```ts
 * const m = await loadModel('movies.lrml');
 * const f = foldInUser(m, ['1', '260', '1196'], { steps: 50, seed: 0 });
 * f.vector; // Float32Array(dim) for LRML/CML/BPR; null for EASE and popularity
 * ```
 */
export function foldInUser(m: LoadedModel, itemIds: readonly string[], options: FoldInOptions = {}): FoldedUser {
  const o = resolveOptions(options);
  const { ids, indices } = resolveItems(m, itemIds, options.ignoreUnknown === true);
  const model = m.model;
  if (model.foldIn === undefined) throw new LrmlError('BAD_OPTION', `recommendations for a new user are not supported for ${model.kind} models`);
  const r = model.foldIn(indices, o);
  return { kind: model.kind, items: ids, itemIndices: indices, method: r.method, vector: r.vector, steps: r.steps, loss: r.loss };
}

/**
 * Scores of every item (higher = better) for a folded-in user, into `out` (length numItems).
 *
 * @example
 * ```ts
 * const out = new Float32Array(m.model.numItems);
 * scoreFoldIn(m, foldInUser(m, ['1', '2']), out);
 * ```
 */
export function scoreFoldIn(m: LoadedModel, f: FoldedUser, out: Float32Array): void {
  const model = m.model;
  if (out.length < model.numItems) throw new RangeError(`output array holds ${out.length} scores, ${model.numItems} needed`);
  if (f.vector !== null) {
    if (model.scoreVector === undefined) throw new LrmlError('INTERNAL', `${model.kind} model has no scoreVector`);
    model.scoreVector(f.vector, out);
    return;
  }
  if (model.scoreItemSet === undefined) throw new LrmlError('INTERNAL', `cannot score a new user for ${model.kind}: its model has no scoreItemSet`);
  model.scoreItemSet(f.itemIndices, out);
}

/** Options of {@link recommendForItems}: those of recommend, plus fold-in options and a label. */
export interface ItemsRecommendOptions extends RecommendOptions {
  /** Fold-in settings (see {@link FoldInOptions}). */
  foldIn?: FoldInOptions;
  /** The `user` field of the result (default ""). */
  user?: string;
}

/**
 * The k best items for a new user given by a list of item ids: {@link foldInUser}, then the same
 * ranking and result shape as `recommend` (the given items are excluded unless `excludeSeen` is
 * false; `exclude` and `candidates` work as in recommend).
 *
 * @example
 * ```ts
 * const r = recommendForItems(m, ['1', '260', '1196'], { k: 5 });
 * for (const { item, score } of r.items) console.log(item, score);
 * ```
 */
export function recommendForItems(m: LoadedModel, itemIds: readonly string[], options: ItemsRecommendOptions = {}): Recommendations {
  const k = checkK(options.k ?? 10);
  const f = foldInUser(m, itemIds, options.foldIn ?? {});
  const skip = buildSkipMask(m, null, options, f.itemIndices);
  const scores = new Float32Array(m.model.numItems);
  scoreFoldIn(m, f, scores);
  return pickTop(m, options.user ?? '', scores, skip, k);
}

/**
 * Session-aware recommendations for a known user with a few recent items the model has not seen
 * for them: a fold-in (as {@link foldInUser}, seeded, model frozen) over the user's training items
 * plus the given ones, then the same ranking and result shape as `recommend` (`user` is the id).
 * Both the training items and the given items are excluded unless `excludeSeen` is false;
 * `include`, `exclude` and `skipUnknown` work as in recommend. Throws UNKNOWN_USER for an unknown
 * user, UNKNOWN_ITEM for an unknown item (unless `foldIn.ignoreUnknown`), BAD_OPTION for a model
 * saved without its training interactions (nothing to start from) or without `foldIn`.
 *
 * @example
 * ```ts
 * const r = recommendForSession(m, '42', ['1', '260'], { k: 5 }); // user 42's history + 2 recent items
 * ```
 */
export function recommendForSession(m: LoadedModel, userId: string, itemIds: readonly string[], options: Omit<ItemsRecommendOptions, 'user'> = {}): Recommendations {
  const k = checkK(options.k ?? 10);
  const u = m.users.get(userId);
  if (u === undefined) throw new LrmlError('UNKNOWN_USER', `unknown user ${JSON.stringify(userId)}`);
  if (m.seen === null) throw new LrmlError('BAD_OPTION', 'session recommendations need the training interactions, and this model was saved without them');
  const given = resolveItems(m, itemIds, options.foldIn?.ignoreUnknown === true);
  const history = m.seen.row(u);
  const ids = [...Array.from(history, (i) => m.items.id(i)), ...given.ids];
  if (ids.length > MAX_FOLD_IN_ITEMS) throw new LrmlError('TOO_LARGE', `user ${JSON.stringify(userId)} has ${ids.length} items with the given ones; at most ${MAX_FOLD_IN_ITEMS} are accepted`);
  const f = foldInUser(m, ids, { ...(options.foldIn ?? {}), ignoreUnknown: false });
  const skip = buildSkipMask(m, u, options, given.indices);
  const scores = new Float32Array(m.model.numItems);
  scoreFoldIn(m, f, scores);
  return pickTop(m, userId, scores, skip, k);
}
