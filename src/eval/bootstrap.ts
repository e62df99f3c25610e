// Bootstrap over users: percentile intervals of means, and paired comparisons of two evaluations.

import { LrmlError, positiveInt } from '../errors.js';
import { Rng } from '../rng.js';
import type { Comparison, EvalResult, MetricComparison } from './types.js';

/**
 * Means of `cols` columns over `resamples` bootstrap resamples of the `rows` rows of the
 * row-major matrix `values` (rows × cols): out[b * cols + c]. Deterministic per seed.
 *
 * @example
 * ```ts
 * const means = bootstrapMeans(Float64Array.of(1, 0, 1, 1), 4, 1, 1000, 0); // 1000 means of 4 draws
 * ```
 */
export function bootstrapMeans(values: Float64Array, rows: number, cols: number, resamples: number, seed: number): Float64Array {
  const out = new Float64Array(resamples * cols);
  const rng = new Rng(seed);
  const sum = new Float64Array(cols);
  for (let b = 0; b < resamples; b++) {
    sum.fill(0);
    for (let r = 0; r < rows; r++) {
      const o = rng.int(rows) * cols;
      for (let c = 0; c < cols; c++) sum[c] += values[o + c];
    }
    for (let c = 0; c < cols; c++) out[b * cols + c] = sum[c] / rows;
  }
  return out;
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of sorted values, by linear interpolation between order statistics
 * (type 7, as numpy's default).
 *
 * @example
 * ```ts
 * quantileSorted(Float64Array.of(1, 2, 3, 4), 0.5); // 2.5
 * ```
 */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Column c of a row-major bootstrap matrix, sorted. */
function sortedColumn(means: Float64Array, resamples: number, cols: number, c: number): Float64Array {
  const col = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) col[b] = means[b * cols + c];
  return col.sort();
}

/**
 * Percentile bootstrap 95% intervals of the column means of a row-major matrix (rows × cols).
 *
 * @example
 * ```ts
 * const [[lo, hi]] = bootstrapIntervals(Float64Array.of(1, 0, 1, 1), 4, 1, 1000, 0);
 * ```
 */
export function bootstrapIntervals(values: Float64Array, rows: number, cols: number, resamples: number, seed: number): [number, number][] {
  const means = bootstrapMeans(values, rows, cols, resamples, seed);
  const out: [number, number][] = [];
  for (let c = 0; c < cols; c++) {
    const s = sortedColumn(means, resamples, cols, c);
    out.push([quantileSorted(s, 0.025), quantileSorted(s, 0.975)]);
  }
  return out;
}

/** Options of {@link compareModels}. */
export interface CompareOptions {
  /** Bootstrap resamples (default 1000). */
  bootstrap?: number;
  /** Seed (default 0). */
  seed?: number;
}

/**
 * Paired comparison of two evaluations of the same users (both with `perUser: true`): for each
 * metric both means, the mean difference a − b and its bootstrap 95% interval (the same resampled
 * users for both models), and a two-sided bootstrap p-value.
 *
 * @example
 * ```ts
 * const a = evaluate(lrml, train, test, { kind: 'full' }, { perUser: true });
 * const b = evaluate(cml, train, test, { kind: 'full' }, { perUser: true });
 * compareModels(a, b).metrics['ndcg@10']; // { a, b, diff, interval: [lo, hi], pValue }
 * ```
 */
export function compareModels(a: EvalResult, b: EvalResult, options: CompareOptions = {}): Comparison {
  const resamples = positiveInt('bootstrap', options.bootstrap ?? 1000);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new LrmlError('BAD_OPTION', `invalid seed: ${JSON.stringify(seed)} (expected an integer)`);
  const pa = a.perUser;
  const pb = b.perUser;
  if (pa === null || pb === null) {
    throw new LrmlError('BAD_OPTION', 'compareModels needs per-user metrics: evaluate both models with { perUser: true }');
  }
  if (a.protocol !== b.protocol) throw new LrmlError('BAD_VALUE', `compareModels: protocols differ (${a.protocol} vs ${b.protocol})`);
  const n = pa.users.length;
  if (pb.users.length !== n || pa.users.some((u, r) => pb.users[r] !== u)) {
    throw new LrmlError('BAD_VALUE', `compareModels: the two evaluations cover different users (${n} vs ${pb.users.length}); a paired comparison needs the same users`);
  }
  const keys = Object.keys(pa.metrics).filter((key) => key in pb.metrics);
  const m = keys.length;
  const diffs = new Float64Array(n * m);
  for (let c = 0; c < m; c++) {
    const xa = pa.metrics[keys[c]];
    const xb = pb.metrics[keys[c]];
    for (let r = 0; r < n; r++) diffs[r * m + c] = xa[r] - xb[r];
  }
  const means = bootstrapMeans(diffs, n, m, resamples, seed);
  const metrics: Record<string, MetricComparison> = {};
  for (let c = 0; c < m; c++) {
    const key = keys[c];
    let d = 0;
    for (let r = 0; r < n; r++) d += diffs[r * m + c];
    const s = sortedColumn(means, resamples, m, c);
    let le = 0;
    let ge = 0;
    for (let t = 0; t < resamples; t++) {
      if (s[t] <= 0) le++;
      if (s[t] >= 0) ge++;
    }
    metrics[key] = {
      a: a.metrics[key],
      b: b.metrics[key],
      diff: n > 0 ? d / n : NaN,
      interval: [quantileSorted(s, 0.025), quantileSorted(s, 0.975)],
      pValue: Math.min(1, (2 * Math.min(le, ge)) / resamples),
    };
  }
  return { users: n, bootstrap: resamples, seed, metrics };
}
