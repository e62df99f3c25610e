// How concentrated one pair's memory attention is (LRML): the per-pair measure that `explain`
// (src/recommend) and the relation analysis (src/analyze) share. Pure compute, imports nothing.

/**
 * Mean normalised attention entropy (entropy / log N, 1 = uniform) at or above which the attention
 * is reported as near-uniform: carrying almost no pair-specific signal.
 */
export const NEAR_UNIFORM_ENTROPY = 0.98;

/** How concentrated one pair's attention is. */
export interface PairAttentionStats {
  /** Entropy divided by log N: 1 = uniform, 0 = one slot (0 when N = 1). */
  normalizedEntropy: number;
  /** The largest weight (1/N = uniform). */
  maxWeight: number;
  /** The smallest weight. */
  minWeight: number;
  /**
   * max − min of the logits (K (p ⊙ q) for `dot`, σ·cos(Kₖ, p ⊙ q) for `cosine`, −‖p + Mₖ − q‖²/τₐ
   * for `fit` / `fit-hard`), i.e. ln(max weight / min weight) of a softmax; from the logits themselves when they are given (a one-hot attention's weights
   * cannot tell it); 0 = uniform.
   */
  logitRange: number;
  /** Whether the normalised entropy is at least {@link NEAR_UNIFORM_ENTROPY} (always true for N = 1). */
  nearUniform: boolean;
}

/**
 * The concentration of one attention vector `a[offset .. offset + n)` (weights summing to 1);
 * with `logits` (the same slots at the same offset), the logit range is taken from them.
 *
 * @example
 * ```ts
 * pairAttentionStats([0.25, 0.25, 0.25, 0.25]); // { normalizedEntropy: 1, logitRange: 0, nearUniform: true, … }
 * pairAttentionStats([0, 1], 0, 2, [-3, -1]).logitRange; // 2 (one-hot weights, logits given)
 * ```
 */
export function pairAttentionStats(a: ArrayLike<number>, offset = 0, n = a.length - offset, logits?: ArrayLike<number>): PairAttentionStats {
  let h = 0;
  let max = -Infinity;
  let min = Infinity;
  for (let k = 0; k < n; k++) {
    const w = a[offset + k];
    if (w > 0) h -= w * Math.log(w);
    if (w > max) max = w;
    if (w < min) min = w;
  }
  const normalizedEntropy = n > 1 ? Math.min(1, Math.max(0, h / Math.log(n))) : 0;
  let logitRange = n > 1 ? (min > 0 ? Math.log(max / min) : Infinity) : 0;
  if (logits !== undefined && n > 1) {
    let lmax = -Infinity;
    let lmin = Infinity;
    for (let k = 0; k < n; k++) {
      const l = logits[offset + k];
      if (l > lmax) lmax = l;
      if (l < lmin) lmin = l;
    }
    logitRange = lmax - lmin;
  }
  return { normalizedEntropy, maxWeight: max, minWeight: min, logitRange, nearUniform: n <= 1 || normalizedEntropy >= NEAR_UNIFORM_ENTROPY };
}

/**
 * √(mean ‖r − r̄‖²) / ‖r̄‖ over m relation vectors of length d stored row by row (see
 * `AttentionSignal.relationSpread` in src/analyze/signal.ts).
 *
 * @example
 * ```ts
 * relationSpread(Float64Array.of(1, 0, 1, 0), 2, 2); // 0: the same vector twice
 * ```
 */
export function relationSpread(R: ArrayLike<number>, m: number, d: number): number {
  if (m === 0) return Number.NaN;
  const centre = new Float64Array(d);
  for (let t = 0; t < m; t++) for (let j = 0; j < d; j++) centre[j] += R[t * d + j] / m;
  let v = 0;
  for (let t = 0; t < m; t++) for (let j = 0; j < d; j++) v += (R[t * d + j] - centre[j]) ** 2;
  const norm = Math.hypot(...centre);
  return norm > 0 ? Math.sqrt(v / m) / norm : Number.POSITIVE_INFINITY;
}
