// How the built-in models fold in a new user and measure item–item similarity: the optimisers and
// helpers behind their `foldIn` and `itemSimilarity` capabilities. Only the new user's vector is
// optimised; every model parameter stays frozen.

import { badOption } from '../errors.js';
import { clipToBall } from '../kernels/clip.js';
import { dotPairLoss, pairSoftmaxLoss } from '../kernels/foldin-impl.js';
import { adamSecondMomentScale, adamStepSize, adamUpdate } from '../kernels/optim.js';
import { PairState, PairUser, pairDistance, pairDistanceGrad, type AttentionOptions, type PairShape } from '../kernels/pair.js';
import type { Distance } from '../kernels/types.js';
import { Rng } from '../rng.js';
import type { FoldInFit, FoldInLoss, FoldInSettings, ItemSimilarity } from './types.js';

/** Adam (kernels/optim.ts) on one vector, with β₁ = 0.9, β₂ = 0.999, ε = 1e-8. */
class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;
  constructor(n: number, private readonly lr: number) {
    this.m = new Float64Array(n);
    this.v = new Float64Array(n);
  }
  /** One step on x from the gradient g (zeroed). */
  step(x: Float64Array, g: Float64Array): void {
    const t = ++this.t;
    adamUpdate(x, g, this.m, this.v, 0, x.length, adamStepSize(this.lr, 0.9, t), adamSecondMomentScale(0.999, t), 0.9, 0.999, 1e-8);
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

/**
 * The mean of the rows `items` of Q (numItems × dim), each times its scale when `scales` is given:
 * where a new user's vector starts (LRML, CML, BPR-MF) or what it is (HLR).
 *
 * @example
 * ```ts
 * const p = meanOfRows(Q, dim, Int32Array.of(3, 7), null);
 * ```
 */
export function meanOfRows(Q: Float32Array, dim: number, items: Int32Array, scales: Float64Array | null): Float64Array {
  const p = new Float64Array(dim);
  for (const i of items) {
    const s = scales === null ? 1 : scales[i];
    for (let j = 0; j < dim; j++) p[j] += Q[i * dim + j] * s;
  }
  for (let j = 0; j < dim; j++) p[j] /= items.length;
  return p;
}

/**
 * Throws BAD_OPTION when a fold-in loss was asked of a model that folds in with its own method
 * (only LRML and CML take one).
 *
 * @example
 * ```ts
 * noFoldInLoss('bpr', settings); // throws when settings.loss is set
 * ```
 */
export function noFoldInLoss(kind: string, s: FoldInSettings): void {
  if (s.loss !== undefined) throw badOption('loss', s.loss, `no loss for a ${kind} model: it folds in with its own method; loss is for lrml and cml models`);
}

/**
 * What a metric-learning (LRML / CML) fold-in needs of the model: its frozen parameters and the
 * options that shape its distance.
 *
 * @example
 * ```ts
 * const t: TripletFoldIn = { dim: 8, numMemories: 4, distance: 'l2sq', clip: 'rows', margin: 0.5, temperature: 0.25, Q, K, M, itemScales: null };
 * ```
 */
export interface TripletFoldIn extends AttentionOptions {
  dim: number;
  numMemories: number;
  distance: Distance;
  clip: 'rows' | 'lookup' | 'none';
  margin: number;
  temperature: number;
  Q: Float32Array;
  K: Float32Array;
  M: Float32Array;
  /** Unit-ball scales of Q's rows when the model clips at lookup, else null. */
  itemScales: Float64Array | null;
}

/**
 * Folds in a new user of a metric-learning model: the hinge or sampled-softmax loss (see
 * `FoldInMethod`) through the model's own distance and attention, Adam from the mean of the
 * items' vectors, p kept in the unit ball unless clip = none.
 *
 * @example
 * ```ts
 * const r = foldInTriplet(t, numItems, Int32Array.of(3, 7), 'hinge', settings);
 * ```
 */
export function foldInTriplet(t: TripletFoldIn, numItems: number, items: Int32Array, loss: FoldInLoss, o: FoldInSettings): FoldInFit {
  const d = t.dim;
  const shape: PairShape = {
    dim: d, numMemories: t.numMemories, distance: t.distance,
    attention: t.attention, attentionScale: t.attentionScale, attentionTemperature: t.attentionTemperature,
  };
  const { Q, K, M } = t;
  const qs = t.itemScales;
  const project = t.clip !== 'none';
  const margin = t.margin;
  const p = meanOfRows(Q, d, items, qs);
  if (project) clipToBall(p, 0, d);
  if (items.length >= numItems) return { method: loss, vector: Float32Array.from(p), steps: 0, loss: Number.NaN };
  const user = new PairUser(shape);
  const grad = new Float64Array(d);
  const adam = new Adam(d, o.learningRate);
  const sampler = new PairSampler(items, numItems, new Rng(o.seed), o.batchSize);
  let lossValue = Number.NaN;
  const softmax = loss === 'softmax';
  // softmax: the positive and every negative of a step; hinge: the positive and one negative at a time
  const pairs = Array.from({ length: softmax ? o.negatives + 1 : 2 }, () => new PairState(shape));
  const [pairPos, pairNeg] = pairs;
  const dist = new Float64Array(o.negatives + 1);
  const negs = new Int32Array(o.negatives);
  for (let step = 0; step < o.steps; step++) {
    grad.fill(0);
    let total = 0;
    const pos = sampler.positives();
    user.set(p, 0, 1);
    for (const i of pos) {
      if (softmax) {
        for (let k = 0; k < o.negatives; k++) negs[k] = sampler.negative();
        total += pairSoftmaxLoss(user, pairs, dist, Q, qs, K, M, i, negs, o.negatives, t.temperature, grad, 1);
        continue;
      }
      const dp = pairDistance(user, pairPos, Q, i * d, qs === null ? 1 : qs[i], K, M);
      let active = 0;
      for (let k = 0; k < o.negatives; k++) {
        const j = sampler.negative();
        const dn = pairDistance(user, pairNeg, Q, j * d, qs === null ? 1 : qs[j], K, M);
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
    lossValue = total * scale;
    adam.step(p, grad);
    if (project) clipToBall(p, 0, d);
  }
  return { method: loss, vector: Float32Array.from(p), steps: Number.isNaN(lossValue) ? 0 : o.steps, loss: lossValue };
}

/**
 * Folds in a new user of a dot-product model (score = p·q_i + b_i): p minimises the mean
 * −log σ(p·(q_i − q_j) + b_i − b_j) over the items and sampled negatives, + l2·‖p‖²/2; Adam from
 * the mean of the items' vectors.
 *
 * @example
 * ```ts
 * const r = foldInLogistic(Q, B, dim, numItems, 1e-4, Int32Array.of(3, 7), settings);
 * ```
 */
export function foldInLogistic(Q: Float32Array, bias: Float32Array | null, dim: number, numItems: number, l2: number, items: Int32Array, o: FoldInSettings): FoldInFit {
  const p = meanOfRows(Q, dim, items, null);
  if (items.length >= numItems) return { method: 'logistic', vector: Float32Array.from(p), steps: 0, loss: Number.NaN };
  const grad = new Float64Array(dim);
  const adam = new Adam(dim, o.learningRate);
  const sampler = new PairSampler(items, numItems, new Rng(o.seed), o.batchSize);
  let loss = Number.NaN;
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
  return { method: 'logistic', vector: Float32Array.from(p), steps: Number.isNaN(loss) ? 0 : o.steps, loss };
}

/**
 * Cosine similarity of item vectors (rows of Q, numItems × dim): 0 when either vector is zero.
 *
 * @example
 * ```ts
 * cosineSimilarity(model.Q, model.numItems, dim).scores(3, out);
 * ```
 */
export function cosineSimilarity(Q: Float32Array, numItems: number, dim: number): ItemSimilarity {
  return {
    measure: 'cosine',
    scores(i, out) {
      let ni = 0;
      for (let c = 0; c < dim; c++) ni += Q[i * dim + c] * Q[i * dim + c];
      ni = Math.sqrt(ni);
      for (let j = 0; j < numItems; j++) {
        let dot = 0;
        let nj = 0;
        for (let c = 0; c < dim; c++) {
          dot += Q[i * dim + c] * Q[j * dim + c];
          nj += Q[j * dim + c] * Q[j * dim + c];
        }
        const den = ni * Math.sqrt(nj);
        out[j] = den > 0 ? dot / den : 0;
      }
    },
  };
}

/**
 * Euclidean similarity of item vectors: score = −‖s_i·q_i − s_j·q_j‖ with the rows' lookup
 * scales s (1 without lookup clipping).
 *
 * @example
 * ```ts
 * euclideanSimilarity(model.params.Q, model.numItems, dim, null).scores(3, out);
 * ```
 */
export function euclideanSimilarity(Q: Float32Array, numItems: number, d: number, scales: Float64Array | null): ItemSimilarity {
  return {
    measure: 'euclidean',
    scores(i, out) {
      const si = scales === null ? 1 : scales[i];
      for (let j = 0; j < numItems; j++) {
        const sj = scales === null ? 1 : scales[j];
        let acc = 0;
        for (let c = 0; c < d; c++) {
          const e = Q[i * d + c] * si - Q[j * d + c] * sj;
          acc += e * e;
        }
        out[j] = -Math.sqrt(acc);
      }
    },
  };
}
