// Scoring loops in plain TypeScript: the fallback scorer (the pair forward of pair.ts, Float64) and
// the host-side preparation of the tables the WASM scorer (assembly/lrml-score.ts) reads.
// Pure loops over typed arrays; no allocation after construction; imports only kernels.

import { rowClipScales, unitBallScale } from './clip.js';
import { PairState, PairUser, pairDistance } from './pair.js';
import type { AttentionOptions, ClipMode, Distance } from './types.js';

/** Shapes and choices of a triplet (LRML / CML) scorer. */
export interface TripletScoreShape extends AttentionOptions {
  numUsers: number;
  numItems: number;
  dim: number;
  /** Memory slots N (0 = CML: r = 0). */
  numMemories: number;
  distance: Distance;
  /** Only `lookup` changes scores: p and q are scaled by min(1, 1/‖x‖) first. */
  clip: ClipMode;
}

/**
 * The TypeScript triplet scorer: score(u, i) = −D(p, q), the pair forward of pair.ts
 * (r = Σₖ softmax(K (p ⊙ q))ₖ Mₖ, D = dist(p + r − q)) in Float64: the fallback when
 * WebAssembly is unavailable, and the accurate reference the WASM scorer is measured against.
 * Allocation-free after construction.
 *
 * @example
 * ```ts
 * const ts = new TripletScoreTs(params, { numUsers, numItems, dim, numMemories, distance: 'l2', clip: 'none' });
 * ts.refresh();
 * ts.score(params.P, u * dim, null, numItems, out);
 * ```
 */
export class TripletScoreTs {
  private readonly qScale: Float64Array;
  private readonly user: PairUser;
  private readonly pair: PairState;

  constructor(
    private readonly params: { Q: Float32Array; K: Float32Array; M: Float32Array },
    readonly shape: TripletScoreShape,
  ) {
    this.qScale = new Float64Array(shape.numItems);
    this.user = new PairUser(shape);
    this.pair = new PairState(shape);
    this.refresh();
  }

  /** Recomputes the per-item clip scales (call after Q changed). */
  refresh(): void {
    const { numItems, dim, clip } = this.shape;
    if (clip === 'lookup') rowClipScales(this.params.Q, numItems, dim, this.qScale);
    else this.qScale.fill(1);
  }

  /**
   * Scores for the user vector p = src[off .. off+dim): items[0 .. count) (or items 0 .. count)
   * when `items` is null) into out[0 .. count).
   */
  score(src: Float32Array, off: number, items: Int32Array | null, count: number, out: Float32Array): void {
    const { dim: d, clip } = this.shape;
    const { Q, K, M } = this.params;
    const { user, pair, qScale } = this;
    user.set(src, off, clip === 'lookup' ? unitBallScale(src, off, d) : 1);
    for (let t = 0; t < count; t++) {
      const i = items === null ? t : items[t];
      out[t] = -pairDistance(user, pair, Q, i * d, qScale[i], K, M);
    }
  }
}

/**
 * The TypeScript dot-product scorer: score(u, i) = p · q_i + b_i (BPR-MF, iALS).
 *
 * @example
 * ```ts
 * dotScoreTs(P, u * dim, Q, bias, dim, null, numItems, out);
 * ```
 */
export function dotScoreTs(
  src: Float32Array, off: number, Q: Float32Array, bias: Float32Array | null, dim: number,
  items: Int32Array | null, count: number, out: Float32Array,
): void {
  for (let t = 0; t < count; t++) {
    const i = items === null ? t : items[t];
    const qo = i * dim;
    let s = bias === null ? 0 : bias[i];
    for (let j = 0; j < dim; j++) s += src[off + j] * Q[qo + j];
    out[t] = s;
  }
}

/** The WASM scorer's per-model tables (views into its memory), filled by {@link fillItemTables}. */
export interface ScoreTables {
  dim: number;
  numItems: number;
  numMemories: number;
  /** numItems rounded up to a multiple of 16. */
  ipad: number;
  /** numItems × dim, item-major (clipped when clip = lookup). */
  qi: Float32Array;
  /** ipad: ‖q_i‖². */
  qq: Float32Array;
  /** ipad: item bias (dot models). */
  bias: Float32Array;
  /** numItems × N: Mₖ · q_i, item-major. */
  mqi: Float32Array;
  /** N × dim copy of M. */
  m: Float32Array;
  /** N × N: G = M Mᵀ. */
  g: Float32Array;
}

/**
 * The WASM scorer's block-major copies of {@link ScoreTables} for scoring the whole catalogue
 * (scoreAll), filled by {@link fillBlockTables}; only allocated once a whole-catalogue score is asked
 * for, so that a scorer of candidate lists holds the items once.
 */
export interface BlockTables {
  /** ipad × dim, a block-major copy of qi: for each block of 16 items, dim rows of 16 lanes (6.4 KB contiguous at dim 100). */
  qt: Float32Array;
  /** ipad × N: block-major copy of mqi (for each block of 16 items, N rows of 16 lanes). */
  mqt: Float32Array;
}

/**
 * Fills the WASM scorer's per-model tables from Q (clipped by `qScale` when given), M and the
 * item bias; products are accumulated in Float64 and rounded once.
 *
 * @example
 * ```ts
 * fillItemTables(tables, params.Q, params.M, null, clip === 'lookup' ? scales : null);
 * ```
 */
export function fillItemTables(t: ScoreTables, Q: Float32Array, M: Float32Array, bias: Float32Array | null, qScale: Float64Array | null): void {
  const { dim: d, numItems: I, numMemories: n } = t;
  for (let i = 0; i < I; i++) {
    const s = qScale === null ? 1 : qScale[i];
    let qq = 0;
    for (let j = 0; j < d; j++) {
      const v = Math.fround(Q[i * d + j] * s);
      t.qi[i * d + j] = v;
      qq += v * v;
    }
    t.qq[i] = qq;
    t.bias[i] = bias === null ? 0 : bias[i];
  }
  t.m.set(M.subarray(0, n * d));
  for (let i = 0; i < I; i++) {
    for (let k = 0; k < n; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += t.m[k * d + j] * t.qi[i * d + j];
      t.mqi[i * n + k] = s;
    }
  }
  for (let k = 0; k < n; k++) {
    for (let l = 0; l < n; l++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += t.m[k * d + j] * t.m[l * d + j];
      t.g[k * n + l] = s;
    }
  }
}

/**
 * Fills the block-major copies `b` of the item-major tables `t` (after {@link fillItemTables}).
 *
 * @example
 * ```ts
 * fillBlockTables(blocks, tables);
 * ```
 */
export function fillBlockTables(b: BlockTables, t: ScoreTables): void {
  const { dim: d, numItems: I, numMemories: n } = t;
  for (let i = 0; i < I; i++) {
    const o = (i >> 4) * d * 16 + (i & 15);
    for (let j = 0; j < d; j++) b.qt[o + j * 16] = t.qi[i * d + j];
    const om = (i >> 4) * n * 16 + (i & 15);
    for (let k = 0; k < n; k++) b.mqt[om + k * 16] = t.mqi[i * n + k];
  }
}

/**
 * Fills the WASM scorer's KN table from the rows of X (n × dim): ‖Xₖ‖ when `norm` (the keys, for
 * the `cosine` attention), else ‖Xₖ‖² (the values, for `fit`); Float64 sums rounded once.
 *
 * @example
 * ```ts
 * fillKeyNorms(kn, params.K, numMemories, dim, true);
 * ```
 */
export function fillKeyNorms(out: Float32Array, X: Float32Array, n: number, dim: number, norm: boolean): void {
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += X[k * dim + j] * X[k * dim + j];
    out[k] = norm ? Math.sqrt(s) : s;
  }
}

/**
 * Fills the per-user rows of the WASM scorer: A = [K₀ ⊙ p; …; K_{N−1} ⊙ p; p] and Mp = M · p, with
 * p = src[off .. off+dim) clipped when `clip`; returns ‖p‖² (of the clipped, float32-rounded p).
 *
 * @example
 * ```ts
 * const pp = fillUserRows(P, u * dim, dim, K, M, numMemories, true, aView, mpView);
 * ```
 */
export function fillUserRows(
  src: Float32Array, off: number, dim: number, K: Float32Array, M: Float32Array, n: number,
  clip: boolean, A: Float32Array, mp: Float32Array,
): number {
  const scale = clip ? unitBallScale(src, off, dim) : 1;
  const po = n * dim;
  let pp = 0;
  for (let j = 0; j < dim; j++) {
    const v = Math.fround(src[off + j] * scale);
    A[po + j] = v;
    pp += v * v;
  }
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let j = 0; j < dim; j++) {
      const pj = A[po + j];
      A[k * dim + j] = K[k * dim + j] * pj;
      s += M[k * dim + j] * pj;
    }
    mp[k] = s;
  }
  return pp;
}
