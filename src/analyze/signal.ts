// Whether an LRML model's memory attention carries any signal. With memory clipping the `dot`
// logits K (p ⊙ q) are bounded and the attention can stay almost uniform: then every pair's relation r is
// nearly the mean of the memory values, a constant offset, and explanations or probes of r read
// noise. These helpers measure that and say it in words. Pure compute; the per-pair measure is
// src/models/attention-stats.ts (shared with explain).

import { NEAR_UNIFORM_ENTROPY, type PairAttentionStats } from '../models/attention-stats.js';

export { NEAR_UNIFORM_ENTROPY, pairAttentionStats, relationSpread, type PairAttentionStats } from '../models/attention-stats.js';

/** How much signal a model's attention carries over a set of pairs. */
export interface AttentionSignal {
  numMemories: number;
  pairs: number;
  /** Mean of the pairs' normalised entropies (1 = uniform). */
  meanNormalizedEntropy: number;
  /** Mean of the pairs' largest weights (1/N = uniform). */
  meanMaxWeight: number;
  /** Mean of the pairs' logit ranges (max − min of the model's attention logits, K (p ⊙ q) for `dot`); NaN when not measured. */
  meanLogitRange: number;
  /**
   * Spread of the relation vectors around their mean, relative to the mean's norm:
   * √(mean ‖r − r̄‖²) / ‖r̄‖ (0 = the same r for every pair); NaN when not measured.
   */
  relationSpread: number;
  /** Whether the mean normalised entropy is at least {@link NEAR_UNIFORM_ENTROPY} (or N ≤ 1). */
  nearUniform: boolean;
}

const mean = (x: ArrayLike<number> | undefined): number => {
  if (x === undefined || x.length === 0) return Number.NaN;
  let s = 0;
  for (let k = 0; k < x.length; k++) s += x[k];
  return s / x.length;
};

/**
 * Summarises per-pair attention statistics (as `analyzeRelations` returns them in `attention`).
 *
 * @example
 * ```ts
 * const s = attentionSignal(analysis.attention);
 * if (s.nearUniform) console.log(attentionSignalText(s));
 * ```
 */
export function attentionSignal(att: {
  numMemories: number;
  normalizedEntropy: ArrayLike<number>;
  maxWeight: ArrayLike<number>;
  logitRange?: ArrayLike<number>;
  relationSpread?: number;
}): AttentionSignal {
  const meanNormalizedEntropy = mean(att.normalizedEntropy);
  return {
    numMemories: att.numMemories,
    pairs: att.normalizedEntropy.length,
    meanNormalizedEntropy,
    meanMaxWeight: mean(att.maxWeight),
    meanLogitRange: mean(att.logitRange),
    relationSpread: att.relationSpread ?? Number.NaN,
    nearUniform: att.numMemories <= 1 || meanNormalizedEntropy >= NEAR_UNIFORM_ENTROPY,
  };
}

/**
 * The plain statement that the attention carries (almost) no signal, with the figures; null when it
 * is not near-uniform. `scope` 'pair' words it for one explained pair, 'model' for an analysis.
 *
 * @example
 * ```ts
 * attentionSignalText(attentionSignal(analysis.attention));
 * // "The attention carries almost no signal: it is near-uniform over the 20 slots (…)"
 * ```
 */
export function attentionSignalText(s: AttentionSignal | (PairAttentionStats & { numMemories: number }), scope: 'pair' | 'model' = 'model'): string | null {
  if (!s.nearUniform) return null;
  const N = s.numMemories;
  if (N <= 1) {
    return 'With one memory slot the attention is always 1: the relation vector is the same for every pair, a constant offset (CML plus a translation).';
  }
  const f3 = (x: number): string => x.toFixed(3);
  if (scope === 'pair' && 'minWeight' in s) {
    return `The attention carries almost no signal for this pair: it is near-uniform over the ${N} slots (normalised entropy ${f3(s.normalizedEntropy)}, ` +
      `1 = uniform; weights ${s.minWeight.toFixed(4)}–${s.maxWeight.toFixed(4)} against 1/N = ${(1 / N).toFixed(4)}; the attention logits span ${s.logitRange.toFixed(2)}), ` +
      'so r is almost the mean of the memory values, the same vector for every pair with uniform attention: the relation is almost a constant offset and the slot ranking above is noise.';
  }
  const a = s as AttentionSignal;
  const range = Number.isFinite(a.meanLogitRange) ? `; the attention logits of a pair span ${a.meanLogitRange.toFixed(2)} on average` : '';
  const spread = Number.isFinite(a.relationSpread) ? ` (the relation vectors spread around their mean by ${(100 * a.relationSpread).toFixed(1)}% of its norm)` : '';
  return `The attention carries almost no signal: it is near-uniform over the ${N} slots (mean normalised entropy ${f3(a.meanNormalizedEntropy)}, 1 = uniform; ` +
    `mean largest weight ${f3(a.meanMaxWeight)} against 1/N = ${f3(1 / N)}${range}), so every pair gets almost the same relation vector${spread}: ` +
    'the relation is almost a constant offset, and what the probes, the projection and the slot table read from r is mostly noise around it.';
}
