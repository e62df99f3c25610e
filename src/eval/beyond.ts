// Beyond-accuracy metrics of top-k lists: catalogue coverage, intra-list diversity, novelty.
// Browser-safe. Definitions in docs/evaluation.md ("Beyond accuracy").

import type { Csr } from '../data/csr.js';
import { LrmlError } from '../errors.js';
import { topK } from '../kernels/topk-impl.js';
import type { Recommender } from '../models/types.js';
import { bootstrapIntervals } from './bootstrap.js';
import { checkCutoffs } from './metrics.js';

/** What {@link beyondAccuracy} computes. */
export interface BeyondAccuracyResult {
  /** `coverage@K`, `diversity@K`, `novelty@K` for each cut-off K. */
  metrics: Record<string, number>;
  /** `diversity@K`, `novelty@K` → bootstrap 95% interval over users (empty when bootstrap = 0). */
  intervals: Record<string, [number, number]>;
  /** Per-user `diversity@K` (K ≥ 2) and `novelty@K`, one value per user given (NaN where undefined). */
  perUser: Record<string, Float64Array>;
}

/** Options of {@link beyondAccuracy}. */
export interface BeyondAccuracyOptions {
  /** Bootstrap resamples over users for the intervals of diversity and novelty (default 0 = none). */
  bootstrap?: number;
  /** Seed of the bootstrap (default 0). */
  seed?: number;
}

/**
 * Metric keys of the beyond-accuracy metrics at cut-offs `k`, in result order (no `diversity@1`:
 * a one-item list has no pairs).
 *
 * @example
 * ```ts
 * beyondAccuracyKeys([1, 10]); // ['coverage@1', 'novelty@1', 'coverage@10', 'diversity@10', 'novelty@10']
 * ```
 */
export function beyondAccuracyKeys(k: number[]): string[] {
  return k.flatMap((c) => (c >= 2 ? [`coverage@${c}`, `diversity@${c}`, `novelty@${c}`] : [`coverage@${c}`, `novelty@${c}`]));
}

/**
 * Jaccard distance between items from the training users: 1 − |Uᵢ ∩ Uⱼ| / |Uᵢ ∪ Uⱼ|, where Uᵢ are
 * the training users of item i (1 when neither item has a training user). Cached per pair.
 */
class JaccardDistance {
  private readonly byItem: Csr;
  private readonly cache = new Map<number, number>();

  constructor(train: Csr) {
    this.byItem = train.transpose();
  }

  distance(i: number, j: number): number {
    if (i === j) return 0;
    const a = Math.min(i, j);
    const b = Math.max(i, j);
    const key = a * this.byItem.numRows + b;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const { indptr, indices } = this.byItem;
    let p = indptr[a];
    let q = indptr[b];
    const pe = indptr[a + 1];
    const qe = indptr[b + 1];
    let inter = 0;
    while (p < pe && q < qe) {
      const x = indices[p];
      const y = indices[q];
      if (x === y) {
        inter++;
        p++;
        q++;
      } else if (x < y) p++;
      else q++;
    }
    const union = pe - indptr[a] + (qe - indptr[b]) - inter;
    const d = union === 0 ? 1 : 1 - inter / union;
    this.cache.set(key, d);
    return d;
  }
}

/**
 * Beyond-accuracy metrics of each user's top-k list — the list `recommend` gives: the k
 * best-scoring items outside the user's training row in `train` (ties by lower item index, NaN
 * scores never listed), for the largest cut-off, cut at each K:
 * - `coverage@K`: distinct items in any of the users' lists ÷ numItems (catalogue coverage);
 * - `diversity@K`: per user, mean over the list's item pairs of the Jaccard distance
 *   1 − |Uᵢ ∩ Uⱼ| / |Uᵢ ∪ Uⱼ| between the items' training users (1 when both have none); the
 *   same definition for every family (no item vectors needed), averaged over users whose list
 *   has ≥ 2 items (no `diversity@1`);
 * - `novelty@K`: per user, mean over the list of the self-information −log₂(max(cᵢ, 1) / numUsers)
 *   of item i, cᵢ = its training users (`train.numRows` users), averaged over users with a
 *   non-empty list.
 * Per-user values are NaN where undefined and are left out of means and bootstrap intervals.
 *
 * @example
 * ```ts
 * const b = beyondAccuracy(model, train, Int32Array.of(0, 1, 2), [10], { bootstrap: 1000 });
 * b.metrics['coverage@10']; b.metrics['diversity@10']; b.intervals['novelty@10'];
 * ```
 */
export function beyondAccuracy(model: Recommender, train: Csr, users: Int32Array, k: number[], options: BeyondAccuracyOptions = {}): BeyondAccuracyResult {
  if (train.numRows !== model.numUsers || train.numCols !== model.numItems) {
    throw new LrmlError('BAD_VALUE', `train matrix is ${train.numRows} users × ${train.numCols} items but the model has ${model.numUsers} × ${model.numItems} (load it with the model's id maps)`);
  }
  const cuts = checkCutoffs(k);
  const bootstrap = options.bootstrap ?? 0;
  if (!Number.isInteger(bootstrap) || bootstrap < 0) throw new LrmlError('BAD_OPTION', `invalid bootstrap: ${JSON.stringify(bootstrap)} (expected an integer ≥ 0)`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new LrmlError('BAD_OPTION', `invalid seed: ${JSON.stringify(seed)} (expected an integer)`);
  const kmax = Math.max(...cuts);
  const numItems = model.numItems;
  const counts = train.columnCounts();
  const selfInfo = new Float64Array(numItems);
  const numUsers = Math.max(train.numRows, 1);
  for (let i = 0; i < numItems; i++) selfInfo[i] = -Math.log2(Math.max(counts[i], 1) / numUsers);
  const jaccard = new JaccardDistance(train);
  const scores = new Float32Array(numItems);
  const skip = new Uint8Array(numItems);
  const idx = new Int32Array(kmax);
  const sc = new Float32Array(kmax);
  const covered = cuts.map(() => new Uint8Array(numItems));
  const diversity = cuts.map(() => new Float64Array(users.length));
  const novelty = cuts.map(() => new Float64Array(users.length));
  for (let r = 0; r < users.length; r++) {
    const u = users[r];
    if (!(u >= 0 && u < model.numUsers)) throw new LrmlError('BAD_VALUE', `user index ${u} out of range [0, ${model.numUsers})`);
    model.scoreAll(u, scores);
    const row = train.row(u);
    for (let t = 0; t < row.length; t++) skip[row[t]] = 1;
    const n = topK(scores, kmax, skip, idx, sc);
    for (let t = 0; t < row.length; t++) skip[row[t]] = 0;
    for (let c = 0; c < cuts.length; c++) {
      const m = Math.min(n, cuts[c]);
      let info = 0;
      let dist = 0;
      for (let a = 0; a < m; a++) {
        covered[c][idx[a]] = 1;
        info += selfInfo[idx[a]];
        for (let b = a + 1; b < m; b++) dist += jaccard.distance(idx[a], idx[b]);
      }
      novelty[c][r] = m > 0 ? info / m : NaN;
      diversity[c][r] = m > 1 ? dist / ((m * (m - 1)) / 2) : NaN;
    }
  }
  const metrics: Record<string, number> = {};
  const intervals: Record<string, [number, number]> = {};
  const perUser: Record<string, Float64Array> = {};
  const summarise = (key: string, col: Float64Array): void => {
    const defined = col.filter((x) => !Number.isNaN(x));
    metrics[key] = defined.length > 0 ? defined.reduce((s, x) => s + x, 0) / defined.length : NaN;
    if (bootstrap > 0 && defined.length > 0) intervals[key] = bootstrapIntervals(defined, defined.length, 1, bootstrap, seed)[0];
    perUser[key] = col;
  };
  for (let c = 0; c < cuts.length; c++) {
    metrics[`coverage@${cuts[c]}`] = covered[c].reduce((s, x) => s + x, 0) / Math.max(numItems, 1);
    if (cuts[c] >= 2) summarise(`diversity@${cuts[c]}`, diversity[c]);
    summarise(`novelty@${cuts[c]}`, novelty[c]);
  }
  // result order: coverage, diversity, novelty per cut-off
  const ordered: Record<string, number> = {};
  for (const key of beyondAccuracyKeys(cuts)) ordered[key] = metrics[key];
  return { metrics: ordered, intervals, perUser };
}
