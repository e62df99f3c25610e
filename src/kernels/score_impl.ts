// Scoring loops in plain TypeScript: the fallback scorer (Float64 arithmetic, direct formula) and
// the host-side preparation of the tables the WASM scorer (assembly/lrml_score.ts) reads.
// Pure loops over typed arrays; no allocation after construction; imports only kernel types.

import type { ClipMode, Distance } from './types.js';

/** Shapes and choices of a triplet (LRML / CML) scorer. */
export interface TripletScoreShape {
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
 * Per-row unit-ball scale min(1, 1/‖x‖) of a row-major matrix, into `out` (length rows).
 *
 * @example
 * ```ts
 * const s = new Float64Array(2);
 * rowClipScales(Float32Array.of(3, 4, 0.1, 0), 2, 2, s); // s = [0.2, 1]
 * ```
 */
export function rowClipScales(X: Float32Array, rows: number, dim: number, out: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    let s = 0;
    const o = r * dim;
    for (let j = 0; j < dim; j++) s += X[o + j] * X[o + j];
    const n = Math.sqrt(s);
    out[r] = n > 1 ? 1 / n : 1;
  }
}

/** Distance of a difference vector's sum of squares / absolute values, as the models define it. */
function finishDistance(distance: Distance, acc: number): number {
  if (distance === 'l2') return Math.sqrt(acc + 1e-3);
  return acc;
}

/**
 * The TypeScript triplet scorer: score(u, i) = −dist(p + r − q), r = Σₖ softmax(K (p ⊙ q))ₖ Mₖ,
 * computed directly in Float64 (the fallback when WebAssembly is unavailable, and the accurate
 * reference the WASM scorer is measured against). Allocation-free after construction.
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
  private readonly pc: Float64Array;
  private readonly kp: Float64Array;
  private readonly logits: Float64Array;
  private readonly r: Float64Array;

  constructor(
    private readonly params: { Q: Float32Array; K: Float32Array; M: Float32Array },
    readonly shape: TripletScoreShape,
  ) {
    this.qScale = new Float64Array(shape.numItems);
    this.pc = new Float64Array(shape.dim);
    this.kp = new Float64Array(shape.numMemories * shape.dim);
    this.logits = new Float64Array(shape.numMemories);
    this.r = new Float64Array(shape.dim);
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
    const { dim: d, numMemories: n, distance, clip } = this.shape;
    const { Q, K, M } = this.params;
    const pc = this.pc;
    let ps = 0;
    for (let j = 0; j < d; j++) ps += src[off + j] * src[off + j];
    const pScale = clip === 'lookup' && ps > 1 ? 1 / Math.sqrt(ps) : 1;
    for (let j = 0; j < d; j++) pc[j] = src[off + j] * pScale;
    const kp = this.kp;
    for (let k = 0; k < n; k++) for (let j = 0; j < d; j++) kp[k * d + j] = K[k * d + j] * pc[j];
    const logits = this.logits;
    const r = this.r;
    for (let t = 0; t < count; t++) {
      const i = items === null ? t : items[t];
      const qo = i * d;
      const qs = this.qScale[i];
      if (n > 0) {
        let mx = -Infinity;
        for (let k = 0; k < n; k++) {
          let l = 0;
          const ko = k * d;
          for (let j = 0; j < d; j++) l += kp[ko + j] * Q[qo + j];
          l *= qs;
          logits[k] = l;
          if (l > mx) mx = l;
        }
        let sum = 0;
        for (let k = 0; k < n; k++) {
          const e = Math.exp(logits[k] - mx);
          logits[k] = e;
          sum += e;
        }
        r.fill(0);
        for (let k = 0; k < n; k++) {
          const a = logits[k] / sum;
          const mo = k * d;
          for (let j = 0; j < d; j++) r[j] += a * M[mo + j];
        }
      }
      let acc = 0;
      if (distance === 'l1') {
        for (let j = 0; j < d; j++) acc += Math.abs(pc[j] + (n > 0 ? r[j] : 0) - Q[qo + j] * qs);
      } else {
        for (let j = 0; j < d; j++) {
          const e = pc[j] + (n > 0 ? r[j] : 0) - Q[qo + j] * qs;
          acc += e * e;
        }
      }
      out[t] = -finishDistance(distance, acc);
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
  /** dim × ipad, lane-major copy of qi. */
  qt: Float32Array;
  /** ipad: ‖q_i‖². */
  qq: Float32Array;
  /** ipad: item bias (dot models). */
  bias: Float32Array;
  /** numItems × N: Mₖ · q_i, item-major. */
  mqi: Float32Array;
  /** N × ipad: lane-major copy of mqi. */
  mqt: Float32Array;
  /** N × dim copy of M. */
  m: Float32Array;
  /** N × N: G = M Mᵀ. */
  g: Float32Array;
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
  const { dim: d, numItems: I, numMemories: n, ipad } = t;
  for (let i = 0; i < I; i++) {
    const s = qScale === null ? 1 : qScale[i];
    let qq = 0;
    for (let j = 0; j < d; j++) {
      const v = Math.fround(Q[i * d + j] * s);
      t.qi[i * d + j] = v;
      t.qt[j * ipad + i] = v;
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
      t.mqt[k * ipad + i] = s;
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
  let ps = 0;
  for (let j = 0; j < dim; j++) ps += src[off + j] * src[off + j];
  const scale = clip && ps > 1 ? 1 / Math.sqrt(ps) : 1;
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
