// Ranking metrics under the pessimistic tie rule. A ranking is summarised, for its P positives
// sorted by score (best first), by ahead[t] = number of negatives scoring ≥ the t-th positive
// (NaN scores count as −∞, so a NaN positive has every negative ahead). The t-th positive's rank
// is then rank_t = t + 1 + ahead[t] (1-based): ties with negatives always go against the positive.

import { LrmlError } from '../errors.js';

/**
 * Metric keys in result order: per K `hits@K`, `ndcg@K`, `recall@K`, `precision@K`, then `mrr`, `auc`.
 *
 * @example
 * ```ts
 * metricKeys([1, 10]); // ['hits@1','ndcg@1','recall@1','precision@1','hits@10',…,'mrr','auc']
 * ```
 */
export function metricKeys(k: readonly number[]): string[] {
  const keys: string[] = [];
  for (const K of k) keys.push(`hits@${K}`, `ndcg@${K}`, `recall@${K}`, `precision@${K}`);
  keys.push('mrr', 'auc');
  return keys;
}

/**
 * Validates a list of cut-offs (positive integers; duplicates removed, order kept).
 *
 * @example
 * ```ts
 * checkCutoffs([10, 1, 10]); // [10, 1]
 * ```
 */
export function checkCutoffs(k: readonly number[]): number[] {
  if (!Array.isArray(k) || k.length === 0 || k.some((x) => !Number.isInteger(x) || x <= 0)) {
    throw new LrmlError('BAD_OPTION', `invalid k: ${JSON.stringify(k)} (expected a non-empty list of positive integers, e.g. [1, 5, 10])`);
  }
  return [...new Set(k)];
}

/**
 * Metrics of one ranking, written to out[offset ..] in {@link metricKeys} order.
 * `ahead[t]` (non-decreasing in t) = negatives scoring ≥ the t-th best positive; `numNegatives` ≥ 1.
 * - hits@K = 1 if rank₀ ≤ K; recall@K = |{t: rank_t ≤ K}| / P; precision@K = |{t: rank_t ≤ K}| / K
 * - ndcg@K = Σ_{rank_t ≤ K} 1/log₂(rank_t + 1) / Σ_{t < min(K, P)} 1/log₂(t + 2)
 * - mrr = 1 / rank₀; auc = 1 − Σ_t ahead[t] / (P · numNegatives)
 *
 * @example
 * ```ts
 * const out = new Float64Array(6);
 * rankingMetrics(Int32Array.of(2), 1, 99, [10], out); // rank 3: hits@10 = 1, ndcg@10 = 0.5, mrr = 1/3
 * ```
 */
export function rankingMetrics(
  ahead: ArrayLike<number>, numPositives: number, numNegatives: number, k: readonly number[], out: Float64Array, offset = 0,
): void {
  const P = numPositives;
  let o = offset;
  for (const K of k) {
    let hitsK = 0;
    let dcg = 0;
    for (let t = 0; t < P; t++) {
      const rank = t + 1 + ahead[t];
      if (rank > K) break; // ranks increase with t
      hitsK++;
      dcg += 1 / Math.log2(rank + 1);
    }
    let idcg = 0;
    const m = Math.min(K, P);
    for (let t = 0; t < m; t++) idcg += 1 / Math.log2(t + 2);
    out[o++] = 1 + ahead[0] <= K ? 1 : 0;
    out[o++] = dcg / idcg;
    out[o++] = hitsK / P;
    out[o++] = hitsK / K;
  }
  out[o++] = 1 / (1 + ahead[0]);
  let sum = 0;
  for (let t = 0; t < P; t++) sum += ahead[t];
  out[o++] = 1 - sum / (P * numNegatives);
}

/** Sort key of a score: NaN ranks as −∞. */
function key(x: number): number {
  return x !== x ? -Infinity : x;
}

/**
 * Negatives scoring ≥ the single positive (pessimistic ties; NaN = −∞), for a ranking whose
 * candidate scores are scores[0 .. count) with the positive at index `pos`.
 *
 * @example
 * ```ts
 * aheadOfOne(Float32Array.of(0.5, 0.9, 0.5, 0.1), 4, 0); // 2 (0.9 and the tie 0.5)
 * ```
 */
export function aheadOfOne(scores: ArrayLike<number>, count: number, pos: number): number {
  const s = key(scores[pos]);
  let n = 0;
  for (let j = 0; j < count; j++) if (j !== pos && key(scores[j]) >= s) n++;
  return n;
}

/**
 * ahead counts of several positives against a set of negatives, in O((P + N) log P):
 * posScores[0 .. P) are sorted in place (best first) and ahead[t] filled for the t-th best.
 * `work` needs P + 1 entries.
 *
 * @example
 * ```ts
 * const ahead = new Int32Array(2);
 * aheadOfMany(Float64Array.of(0.2, 0.8), 2, Float32Array.of(0.8, 0.5), 2, ahead, new Int32Array(3)); // ahead = [1, 2]
 * ```
 */
export function aheadOfMany(
  posScores: Float64Array, numPositives: number, negScores: ArrayLike<number>, numNegatives: number,
  ahead: Int32Array, work: Int32Array,
): void {
  const P = numPositives;
  const asc = posScores.subarray(0, P);
  for (let t = 0; t < P; t++) asc[t] = key(asc[t]);
  asc.sort();
  work.fill(0, 0, P + 1);
  for (let j = 0; j < numNegatives; j++) {
    const x = key(negScores[j]);
    // c = positives with score ≤ x: the c lowest positives each have this negative ahead
    let lo = 0;
    let hi = P;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (asc[mid] <= x) lo = mid + 1;
      else hi = mid;
    }
    work[lo]++;
  }
  // positive at ascending index a has ahead = Σ_{c > a} work[c]; the t-th best is a = P − 1 − t
  let acc = 0;
  for (let a = P - 1; a >= 0; a--) {
    acc += work[a + 1];
    ahead[P - 1 - a] = acc;
  }
  asc.reverse();
}
