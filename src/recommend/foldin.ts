// Recommendations for a user the model was not trained on, from a list of items: fold-in.
// Only the new user's vector is optimised; every model parameter stays frozen.

import { LrmlError, badOption, numberIn, oneOf, positiveInt } from '../errors.js';
import type { LoadedModel } from '../io/format.js';
import { PairState, PairUser, dotPairLoss, pairDistance, pairDistanceGrad, pairSoftmaxLoss, type PairShape } from '../kernels/foldin_impl.js';
import { BprModel } from '../models/bpr.js';
import { TripletModel } from '../models/triplet.js';
import type { ModelKind, Recommender } from '../models/types.js';
import { Rng } from '../rng.js';
import { MAX_K, buildSkipMask, pickTop, type RecommendOptions, type Recommendations } from './index.js';

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

/** The losses a triplet-model fold-in can minimise (see {@link FoldInOptions.loss}). */
export type FoldInLoss = 'hinge' | 'softmax';

/**
 * How a model family handles a new user:
 * - `hinge` (LRML, CML): p minimises the mean hinge max(0, margin + D(p, i) − D(p, j)) over the
 *   given items i and uniformly sampled other items j, through the model's own distance and
 *   attention (each pair its own relation); Adam, p kept in the unit ball unless clip = none;
 *   started at the mean of the items' vectors.
 * - `softmax` (LRML, CML trained with the sampled softmax): the same, minimising the mean
 *   −log softmax₀(−D(p, i)/τ, −D(p, j₁)/τ, …) over each given item and its sampled negatives.
 * - `logistic` (BPR-MF and other dot-product models with `scoreVector` and a `Q` tensor): p
 *   minimises the mean −log σ(p·(q_i − q_j) + b_i − b_j) (+ the model's l2 on p); Adam from the
 *   mean of the items' vectors.
 * - `model`: the model's own `foldIn(items)` (e.g. iALS's closed-form least squares).
 * - `item-set` (EASE): no vector; scores are computed from the item list directly (Σᵢ B[i, ·]).
 * - `popularity`: no vector; the same scores as for every user.
 */
export type FoldInMethod = 'hinge' | 'softmax' | 'logistic' | 'model' | 'item-set' | 'popularity';

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

/** Optional capabilities a model may offer to the product API (checked by duck typing). */
interface VectorModel extends Recommender {
  scoreVector(p: Float32Array, out: Float32Array): void;
}
interface OwnFoldIn extends VectorModel {
  foldIn(items: Int32Array): Float32Array;
}
interface ItemSetModel extends Recommender {
  scoreItemSet(items: Int32Array, out: Float32Array): void;
}

function hasFn<T>(model: Recommender, name: string): model is Recommender & T {
  return typeof (model as unknown as Record<string, unknown>)[name] === 'function';
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

interface Resolved {
  loss: FoldInLoss | undefined;
  steps: number;
  learningRate: number;
  seed: number;
  negatives: number;
  batchSize: number;
}

function resolveOptions(o: FoldInOptions): Resolved {
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

/** Adam on one vector. */
class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;
  constructor(n: number, private readonly lr: number) {
    this.m = new Float64Array(n);
    this.v = new Float64Array(n);
  }
  step(x: Float64Array, g: Float64Array): void {
    this.t++;
    const b1 = 0.9;
    const b2 = 0.999;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    for (let j = 0; j < x.length; j++) {
      this.m[j] = b1 * this.m[j] + (1 - b1) * g[j];
      this.v[j] = b2 * this.v[j] + (1 - b2) * g[j] * g[j];
      x[j] -= (this.lr * (this.m[j] / c1)) / (Math.sqrt(this.v[j] / c2) + 1e-8);
    }
  }
}

function projectUnitBall(x: Float64Array): void {
  let s = 0;
  for (let j = 0; j < x.length; j++) s += x[j] * x[j];
  if (s > 1) {
    const f = 1 / Math.sqrt(s);
    for (let j = 0; j < x.length; j++) x[j] *= f;
  }
}

/** Per-step sampling of positives (a seeded subset when there are more than batchSize) and negatives. */
class PairSampler {
  private readonly inSet: Uint8Array;
  private readonly order: Int32Array;
  constructor(items: Int32Array, numItems: number, private readonly rng: Rng, private readonly batch: number) {
    this.inSet = new Uint8Array(numItems);
    for (const i of items) this.inSet[i] = 1;
    this.order = Int32Array.from(items);
  }
  /** Positives of this step (a view valid until the next call). */
  positives(): Int32Array {
    const n = this.order.length;
    if (n <= this.batch) return this.order;
    // partial Fisher–Yates: the first `batch` entries become a uniform sample
    for (let t = 0; t < this.batch; t++) {
      const s = t + this.rng.int(n - t);
      const x = this.order[t];
      this.order[t] = this.order[s];
      this.order[s] = x;
    }
    return this.order.subarray(0, this.batch);
  }
  /** A uniformly drawn item outside the list. */
  negative(): number {
    const n = this.inSet.length;
    for (;;) {
      const j = this.rng.int(n);
      if (this.inSet[j] === 0) return j;
    }
  }
}

function meanOfRows(Q: Float32Array, dim: number, items: Int32Array, scales: Float64Array | null): Float64Array {
  const p = new Float64Array(dim);
  for (const i of items) {
    const s = scales === null ? 1 : scales[i];
    for (let j = 0; j < dim; j++) p[j] += Q[i * dim + j] * s;
  }
  for (let j = 0; j < dim; j++) p[j] /= items.length;
  return p;
}

/** Unit-ball scales of Q's rows when the model clips at lookup, else null. */
export function lookupScales(model: TripletModel): Float64Array | null {
  if (model.options.clip !== 'lookup') return null;
  const out = new Float64Array(model.numItems);
  for (let i = 0; i < model.numItems; i++) out[i] = unitBallScale(model.params.Q, i, model.options.dim);
  return out;
}

/**
 * The factor that brings row `row` of a row-major matrix (d columns) into the unit ball: 1 when
 * its norm is ≤ 1, else 1 / norm (what `clip: 'lookup'` applies when a row is looked up).
 *
 * @example
 * ```ts
 * const s = unitBallScale(model.params.P, u, model.options.dim); // p as the model sees it = s · P[u]
 * ```
 */
export function unitBallScale(X: Float32Array, row: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += X[row * d + j] * X[row * d + j];
  return s > 1 ? 1 / Math.sqrt(s) : 1;
}

/** The fold-in loss of a triplet model: the given one, else the model's own (softmax or hinge). */
function tripletFoldInLoss(model: TripletModel, o: Resolved): FoldInLoss {
  return o.loss ?? (model.options.loss === 'softmax' ? 'softmax' : 'hinge');
}

function foldInTriplet(model: TripletModel, items: Int32Array, o: Resolved): { vector: Float32Array; loss: number } {
  const d = model.options.dim;
  const shape: PairShape = { dim: d, numMemories: model.options.numMemories, distance: model.options.distance };
  const { Q, K, M } = model.params;
  const qs = lookupScales(model);
  const project = model.options.clip !== 'none';
  const margin = model.options.margin;
  const p = meanOfRows(Q, d, items, qs);
  if (project) projectUnitBall(p);
  const user = new PairUser(shape);
  const grad = new Float64Array(d);
  const adam = new Adam(d, o.learningRate);
  const sampler = new PairSampler(items, model.numItems, new Rng(o.seed), o.batchSize);
  let loss = Number.NaN;
  if (items.length >= model.numItems) return { vector: Float32Array.from(p), loss };
  const softmax = tripletFoldInLoss(model, o) === 'softmax';
  // softmax: the positive and every negative of a step; hinge: the positive and one negative at a time
  const pairs = Array.from({ length: softmax ? o.negatives + 1 : 2 }, () => new PairState(shape));
  const [pairPos, pairNeg] = pairs;
  const dist = new Float64Array(o.negatives + 1);
  const negs = new Int32Array(o.negatives);
  for (let step = 0; step < o.steps; step++) {
    grad.fill(0);
    let total = 0;
    const pos = sampler.positives();
    user.set(p, 0, K, 1);
    for (const i of pos) {
      if (softmax) {
        for (let t = 0; t < o.negatives; t++) negs[t] = sampler.negative();
        total += pairSoftmaxLoss(user, pairs, dist, Q, qs, K, M, i, negs, o.negatives, model.options.temperature, grad, 1);
        continue;
      }
      const dp = pairDistance(user, pairPos, Q, i * d, qs === null ? 1 : qs[i], M);
      let active = 0;
      for (let t = 0; t < o.negatives; t++) {
        const j = sampler.negative();
        const dn = pairDistance(user, pairNeg, Q, j * d, qs === null ? 1 : qs[j], M);
        const h = margin + dp - dn;
        if (h > 0) {
          // the gradient only for active hinges
          total += h;
          active++;
          pairDistanceGrad(pairNeg, K, M, dn, grad, -1);
        }
      }
      if (active > 0) pairDistanceGrad(pairPos, K, M, dp, grad, active);
    }
    const scale = 1 / pos.length;
    for (let c = 0; c < d; c++) grad[c] *= scale;
    loss = total * scale;
    adam.step(p, grad);
    if (project) projectUnitBall(p);
  }
  return { vector: Float32Array.from(p), loss };
}

function foldInDot(Q: Float32Array, bias: Float32Array | null, dim: number, numItems: number, l2: number, items: Int32Array, o: Resolved): { vector: Float32Array; loss: number } {
  const p = meanOfRows(Q, dim, items, null);
  const grad = new Float64Array(dim);
  const adam = new Adam(dim, o.learningRate);
  const sampler = new PairSampler(items, numItems, new Rng(o.seed), o.batchSize);
  let loss = Number.NaN;
  if (items.length >= numItems) return { vector: Float32Array.from(p), loss };
  for (let step = 0; step < o.steps; step++) {
    grad.fill(0);
    let total = 0;
    const pos = sampler.positives();
    const scale = 1 / (pos.length * o.negatives);
    for (const i of pos) {
      for (let t = 0; t < o.negatives; t++) total += dotPairLoss(p, Q, bias, dim, i, sampler.negative(), grad, scale);
    }
    for (let c = 0; c < dim; c++) grad[c] += l2 * p[c];
    loss = total / pos.length;
    adam.step(p, grad);
  }
  return { vector: Float32Array.from(p), loss };
}

/** A float32 tensor of the model by name, or null. */
function tensor(model: Recommender, name: string): Float32Array | null {
  const t = model.tensors()[name];
  return t !== undefined && t.data instanceof Float32Array ? t.data : null;
}

/**
 * A vector for a new user from a list of items (external ids), optimising only that vector with
 * every model parameter frozen (seeded, `steps` bounded). The method depends on the model kind:
 * see {@link FoldInMethod}. Unknown ids throw UNKNOWN_ITEM (unless `ignoreUnknown`), an empty
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
  const base = { kind: model.kind, items: ids, itemIndices: indices };
  if (o.loss !== undefined && !(model instanceof TripletModel)) {
    throw badOption('loss', o.loss, `no loss for a ${model.kind} model: it folds in with its own method; loss is for lrml and cml models`);
  }
  if (model instanceof TripletModel) {
    const r = foldInTriplet(model, indices, o);
    return { ...base, method: tripletFoldInLoss(model, o), vector: r.vector, steps: Number.isNaN(r.loss) ? 0 : o.steps, loss: r.loss };
  }
  if (model instanceof BprModel) {
    const { Q, B } = model.params;
    const r = foldInDot(Q, B, model.options.dim, model.numItems, model.options.l2, indices, o);
    return { ...base, method: 'logistic', vector: r.vector, steps: Number.isNaN(r.loss) ? 0 : o.steps, loss: r.loss };
  }
  if (model.kind === 'pop') return { ...base, method: 'popularity', vector: null, steps: 0, loss: Number.NaN };
  if (hasFn<ItemSetModel>(model, 'scoreItemSet') || easeWeights(model) !== null) {
    return { ...base, method: 'item-set', vector: null, steps: 0, loss: Number.NaN };
  }
  if (hasFn<OwnFoldIn>(model, 'foldIn') && hasFn<VectorModel>(model, 'scoreVector')) {
    return { ...base, method: 'model', vector: model.foldIn(indices), steps: 0, loss: Number.NaN };
  }
  const Q = tensor(model, 'Q');
  if (hasFn<VectorModel>(model, 'scoreVector') && Q !== null && Q.length % model.numItems === 0 && Q.length > 0) {
    const dim = Q.length / model.numItems;
    const B = tensor(model, 'B');
    const r = foldInDot(Q, B !== null && B.length === model.numItems ? B : null, dim, model.numItems, 0, indices, o);
    return { ...base, method: 'logistic', vector: r.vector, steps: Number.isNaN(r.loss) ? 0 : o.steps, loss: r.loss };
  }
  throw new LrmlError('BAD_OPTION', `recommendations for a new user are not supported for ${model.kind} models`);
}

/** EASE's item–item weights B (numItems × numItems, row-major) when the model has them, else null. */
export function easeWeights(model: Recommender): Float32Array | null {
  if (model.kind !== 'ease') return null;
  const B = tensor(model, 'B');
  return B !== null && B.length === model.numItems * model.numItems ? B : null;
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
    if (!hasFn<VectorModel>(model, 'scoreVector')) throw new LrmlError('INTERNAL', `${model.kind} model has no scoreVector`);
    model.scoreVector(f.vector, out);
    return;
  }
  if (f.method === 'popularity') {
    model.scoreAll(0, out);
    return;
  }
  if (hasFn<ItemSetModel>(model, 'scoreItemSet')) {
    model.scoreItemSet(f.itemIndices, out);
    return;
  }
  const B = easeWeights(model);
  if (B === null) throw new LrmlError('INTERNAL', `cannot score a new user for ${model.kind}`);
  // EASE: score(j) = Σ_{i in the list} B[i, j]
  const n = model.numItems;
  const acc = new Float64Array(n);
  for (const i of f.itemIndices) {
    const o = i * n;
    for (let j = 0; j < n; j++) acc[j] += B[o + j];
  }
  for (let j = 0; j < n; j++) out[j] = acc[j];
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
  const k = options.k ?? 10;
  positiveInt('k', k);
  if (k > MAX_K) throw new LrmlError('BAD_OPTION', `invalid k: ${k} (expected at most ${MAX_K})`);
  const f = foldInUser(m, itemIds, options.foldIn ?? {});
  const skip = buildSkipMask(m, null, options, f.itemIndices);
  const scores = new Float32Array(m.model.numItems);
  scoreFoldIn(m, f, scores);
  return pickTop(m, options.user ?? '', scores, skip, k);
}
