// The LRML attention statistics recorded after each training epoch (EpochSummary.attention): a
// fixed seeded sample of training pairs and of items for a few fixed users, measured through the
// one pair forward (kernels/pair.ts) and the per-pair measure (attention-stats.ts). Pure compute.

import type { Csr } from '../data/csr.js';
import { unitBallScale } from '../kernels/clip.js';
import { slotNorms } from '../kernels/lrml-impl.js';
import { PairState, PairUser, pairDistance } from '../kernels/pair.js';
import { Rng } from '../rng.js';
import { pairAttentionStats, relationSpread, type PairAttentionStats } from './attention-stats.js';
import { lookupScales, pairShapeOf, type TripletModel } from './triplet.js';
import type { EpochAttention } from './types.js';

/** The pairs {@link measureEpochAttention} measures: the same every epoch. */
export interface AttentionSample {
  /** Training pairs (user, item). */
  users: Int32Array;
  items: Int32Array;
  /** Fixed users, and the items whose relation r is measured for each of them (the same items for all). */
  fixedUsers: Int32Array;
  fixedItems: Int32Array;
}

/** Sizes of an {@link AttentionSample}. */
export interface AttentionSampleOptions {
  /** Training pairs (default 256; all when there are fewer). */
  pairs?: number;
  /** Fixed users (default 4). */
  users?: number;
  /** Items per fixed user (default 128; all when there are fewer). */
  itemsPerUser?: number;
}

/**
 * A seeded sample for {@link measureEpochAttention}: training pairs drawn from `data` without
 * replacement, fixed users drawn among those with training pairs, and items for them drawn among
 * all items. Its own generator (from `seed`): drawing it changes no other random stream.
 *
 * @example
 * ```ts
 * const sample = attentionSample(csr, 42); // 256 pairs, 4 users × 128 items
 * ```
 */
export function attentionSample(data: Csr, seed: number, o: AttentionSampleOptions = {}): AttentionSample {
  const rng = new Rng(seed);
  const picks = rng.sampleIndices(data.nnz, o.pairs ?? 256);
  const users = new Int32Array(picks.length);
  const items = new Int32Array(picks.length);
  let u = 0;
  for (let t = 0; t < picks.length; t++) {
    while (data.indptr[u + 1] <= picks[t]) u++;
    users[t] = u;
    items[t] = data.indices[picks[t]];
  }
  const active: number[] = [];
  for (let v = 0; v < data.numRows; v++) if (data.indptr[v + 1] > data.indptr[v]) active.push(v);
  const fixedUsers = Int32Array.from(rng.sampleIndices(active.length, o.users ?? 4), (t) => active[t]);
  const fixedItems = rng.sampleIndices(data.numCols, o.itemsPerUser ?? 128);
  return { users, items, fixedUsers, fixedItems };
}

/**
 * The attention statistics of an LRML model (with memory slots) on a sample: the mean normalised
 * entropy, mean largest weight, mean and largest logit range over the sample's pairs, and the
 * spread of r across the fixed items for each fixed user (averaged over users). Users and items
 * are seen as the model sees them (clipped at lookup when it does that).
 *
 * @example
 * ```ts
 * const a = measureEpochAttention(model, attentionSample(csr, 42));
 * a.meanLogitRange; // ≈ 0.1 when the softmax cannot sharpen
 * ```
 */
export function measureEpochAttention(model: TripletModel, sample: AttentionSample): EpochAttention {
  const { dim: d, numMemories: n } = model.options;
  const shape = pairShapeOf(model.options);
  const { P, Q, K, M } = model.params;
  const lookup = model.options.clip === 'lookup';
  const qs = lookupScales(model);
  const user = new PairUser(shape);
  const pair = new PairState(shape);
  // attentions other than dot keep their logits: the range of a one-hot (fit-hard) is finite there
  const ownLogits = (shape.attention ?? 'dot') !== 'dot';
  const stats = measureAttentionWith(sample, d, {
    setUser: (u) => user.set(P, u * d, lookup ? unitBallScale(P, u * d, d) : 1),
    forward: (i) => {
      pairDistance(user, pair, Q, i * d, qs === null ? 1 : qs[i], K, M);
      return pair.r;
    },
    stats: () => pairAttentionStats(pair.a, 0, n, ownLogits ? pair.l : undefined),
  });
  if (model.options.slotDiversity > 0 && n >= 2) stats.slotCosine = { keys: meanAbsSlotCosine(K, n, d), values: meanAbsSlotCosine(M, n, d) };
  return stats;
}

/**
 * Mean |cos(Xₖ, Xₗ)| over the pairs k ≠ l of the `rows` rows of X (rows × d), with the norms of
 * the slot-diversity term (`slotNorms` of kernels/lrml-impl.ts); NaN with fewer than two rows.
 *
 * @example
 * ```ts
 * meanAbsSlotCosine(model.params.K, model.options.numMemories, model.options.dim); // 0 = orthogonal keys
 * ```
 */
export function meanAbsSlotCosine(X: ArrayLike<number>, rows: number, d: number): number {
  if (rows < 2) return Number.NaN;
  const norms = new Float64Array(rows);
  slotNorms(X, rows, d, norms);
  let s = 0;
  for (let k = 0; k < rows; k++) {
    for (let l = k + 1; l < rows; l++) {
      let dot = 0;
      for (let c = 0; c < d; c++) dot += X[k * d + c] * X[l * d + c];
      s += Math.abs(dot) / (norms[k] * norms[l]);
    }
  }
  return (2 * s) / (rows * (rows - 1));
}

/** How {@link measureAttentionWith} scores a pair of a model family. */
export interface AttentionProbe {
  /** Makes `u` the current user. */
  setUser(u: number): void;
  /** Scores (current user, item) and returns its relation r (its first dim values are read, before the next call). */
  forward(item: number): ArrayLike<number>;
  /** The memory attention statistics of the pair last scored (sampled pairs only). */
  stats(): PairAttentionStats;
}

/**
 * The {@link EpochAttention} of a sample for any family with a memory attention: the mean
 * statistics of `probe.stats()` over the sampled pairs, and the spread of r across the fixed items
 * for each fixed user (averaged over users). One loop for LRML/CML ({@link measureEpochAttention})
 * and HLR.
 *
 * @example
 * ```ts
 * const a = measureAttentionWith(sample, d, { setUser, forward: (i) => score(i).r, stats: () => pairAttentionStats(last.a) });
 * ```
 */
export function measureAttentionWith(sample: AttentionSample, d: number, probe: AttentionProbe): EpochAttention {
  let h = 0;
  let w = 0;
  let range = 0;
  let maxRange = 0;
  const m = sample.users.length;
  for (let t = 0; t < m; t++) {
    probe.setUser(sample.users[t]);
    probe.forward(sample.items[t]);
    const s = probe.stats();
    h += s.normalizedEntropy;
    w += s.maxWeight;
    range += s.logitRange;
    if (s.logitRange > maxRange) maxRange = s.logitRange;
  }
  const ni = sample.fixedItems.length;
  const R = new Float64Array(ni * d);
  let spread = 0;
  for (const u of sample.fixedUsers) {
    probe.setUser(u);
    for (let t = 0; t < ni; t++) {
      const r = probe.forward(sample.fixedItems[t]);
      for (let c = 0; c < d; c++) R[t * d + c] = r[c];
    }
    spread += relationSpread(R, ni, d);
  }
  const nu = sample.fixedUsers.length;
  return {
    pairs: m,
    meanNormalizedEntropy: m > 0 ? h / m : Number.NaN,
    meanMaxWeight: m > 0 ? w / m : Number.NaN,
    meanLogitRange: m > 0 ? range / m : Number.NaN,
    maxLogitRange: m > 0 ? maxRange : Number.NaN,
    users: nu,
    relationSpread: nu > 0 ? spread / nu : Number.NaN,
  };
}
