// HLR: LRML with the relation conditioned on the user's history (after Tran et al., RecSys 2021;
// docs/lrml-study.md section 17). The maths is src/kernels/hlr-impl.ts; the training loop
// src/train/hlr.ts. A model keeps, besides P, Q, K and M, a fixed history per user (at most
// historyLength of the user's training items, drawn once with the seed) used when scoring.

import { LrmlError, badOption, numberIn, oneOf, withDefaults } from '../errors.js';
import { clipToBall } from '../kernels/clip.js';
import { createHlrScratch, hlrDistance, hlrScoreItems, hlrSetReferences, type HlrKernelConfig, type HlrScratch } from '../kernels/hlr-impl.js';
import type { TripletParams } from '../kernels/types.js';
import { euclideanSimilarity, meanOfRows, noFoldInLoss } from './foldin.js';
import { estimateFromParts, numOption, optimizerCopies } from './memory-estimate.js';
import { trainedFamily } from './trainer.js';
import { LRML_DEFAULTS, kernelConfig, paramTensors, resolveTripletOptions, type TripletOptions } from './triplet.js';
import { measureAttentionWith, type AttentionSample } from './attention-epoch.js';
import { pairAttentionStats } from './attention-stats.js';
import type { EpochAttention, FoldInFit, FoldInSettings, ItemSimilarity, ModelFamily, Recommender, Tensor } from './types.js';

/**
 * Options of HLR: those of LRML (the same losses, sampler, optimiser and schedule) without the
 * copied negative relation, the lookup clip and threads, plus the history.
 *
 * @example
 * ```ts
 * const o: Partial<HlrOptions> = { historyLength: 20, historyTemperature: 0.2, epochs: 10 };
 * ```
 */
export interface HlrOptions extends Omit<TripletOptions, 'negativeRelation' | 'threads' | 'backend' | 'clip' | 'attention' | 'attentionScale' | 'attentionTemperature' | 'relationCentering' | 'slotDiversity' | 'embeddingLearningRateScale' | 'negativeSharing' | 'shareWithin'> {
  /** Unit-ball constraint of P and Q rows after each update: `rows` or `none`. */
  clip: 'rows' | 'none';
  /** L: at most this many of the user's items make the history (a fresh random draw per training example; a fixed one per user for scoring). */
  historyLength: number;
  /** τ_h of the target–history attention β ∝ exp(q_i · x / τ_h). */
  historyTemperature: number;
}

/** The LRML options HLR fixes: its own negative relation, the TypeScript kernel, LRML's dot-product memory attention (mechanisms 1, 2, 5 of issue #19 are not combined with it). */
const HLR_FIXED = {
  negativeRelation: 'own', threads: 1, backend: 'ts', attention: 'dot', attentionScale: LRML_DEFAULTS.attentionScale,
  attentionTemperature: LRML_DEFAULTS.attentionTemperature, relationCentering: false, slotDiversity: 0, embeddingLearningRateScale: 1,
  negativeSharing: 1, shareWithin: 'consecutive',
} as const;

/**
 * HLR defaults: LRML's (docs/lrml.md) with 20 negatives per positive, a history of 20 items and τ_h = 0.2.
 *
 * @example
 * ```ts
 * HLR_DEFAULTS.historyLength; // 20
 * ```
 */
export const HLR_DEFAULTS: Readonly<HlrOptions> = Object.freeze({
  ...(({ negativeRelation: _n, threads: _t, backend: _b, clip: _c, attention: _a, attentionScale: _s, attentionTemperature: _at, relationCentering: _rc, slotDiversity: _sd, embeddingLearningRateScale: _e, negativeSharing: _ns, shareWithin: _sw, ...rest }) => rest)(LRML_DEFAULTS),
  clip: 'rows' as const,
  // LRML's per-positive count (HLR scores every positive's negatives itself; LRML's 40 is for its shared blocks)
  negatives: 20,
  historyLength: 20,
  historyTemperature: 0.2,
});

/**
 * Validates HLR options over {@link HLR_DEFAULTS}: unknown keys and bad values throw BAD_OPTION
 * naming the option and what is allowed.
 *
 * @example
 * ```ts
 * const o = resolveHlrOptions({ historyLength: 50 });
 * ```
 */
export function resolveHlrOptions(given: Partial<HlrOptions>): HlrOptions {
  const o = withDefaults('hlr', given, HLR_DEFAULTS);
  if (!Number.isInteger(o.historyLength) || o.historyLength < 1 || o.historyLength > 1000) throw badOption('historyLength', o.historyLength, 'an integer in [1, 1000]');
  numberIn('historyTemperature', o.historyTemperature, 1e-3, 1e3);
  oneOf('clip', o.clip, ['rows', 'none'] as const);
  if (!Number.isInteger(o.numMemories) || o.numMemories < 1) throw badOption('numMemories', o.numMemories, 'an integer ≥ 1 for hlr');
  const { historyLength: _l, historyTemperature: _t, ...triplet } = o;
  resolveTripletOptions({ ...triplet, ...HLR_FIXED }, LRML_DEFAULTS);
  return o;
}

/**
 * The HLR kernel configuration of a model with these options.
 *
 * @example
 * ```ts
 * const cfg = hlrKernelConfig(resolveHlrOptions({}), 943, 1682);
 * ```
 */
export function hlrKernelConfig(o: HlrOptions, numUsers: number, numItems: number): HlrKernelConfig {
  return {
    ...kernelConfig(hlrAsTriplet(o), numUsers, numItems),
    historyLength: o.historyLength,
    historyTemperature: o.historyTemperature,
  };
}

/**
 * The triplet options HLR shares with LRML (for the shared initialisation and kernel config).
 *
 * @example
 * ```ts
 * initTripletParams(hlrAsTriplet(o), numUsers, numItems, rng);
 * ```
 */
export function hlrAsTriplet(o: HlrOptions): TripletOptions {
  const { historyLength: _l, historyTemperature: _t, ...rest } = o;
  return { ...rest, ...HLR_FIXED };
}

/**
 * A trained HLR model: ranks items by −D(u, x), D = dist(p + r − q) with r from the memory read
 * of q ⊙ h, h the target's attention summary of the user and the user's history (see
 * src/kernels/hlr-impl.ts).
 *
 * @example
 * ```ts
 * const out = new Float32Array(model.numItems);
 * model.scoreAll(0, out); // higher = better
 * ```
 */
export class HlrModel implements Recommender {
  readonly kind = 'hlr';
  private readonly cfg: HlrKernelConfig;
  private readonly sc: HlrScratch;
  constructor(
    readonly numUsers: number,
    readonly numItems: number,
    readonly options: Readonly<HlrOptions>,
    readonly params: TripletParams,
    /** Per-user fixed histories as CSR: items historyItems[historyIndptr[u] .. historyIndptr[u + 1]). */
    readonly historyIndptr: Int32Array,
    readonly historyItems: Int32Array,
  ) {
    const d = options.dim;
    const n = options.numMemories;
    if (params.P.length !== numUsers * d || params.Q.length !== numItems * d || params.K.length !== n * d || params.M.length !== n * d) {
      throw new LrmlError('BAD_MODEL_FILE', `hlr: parameter shapes do not match numUsers=${numUsers}, numItems=${numItems}, dim=${d}, numMemories=${n}`);
    }
    if (historyIndptr.length !== numUsers + 1 || historyIndptr[0] !== 0 || historyIndptr[numUsers] !== historyItems.length) {
      throw new LrmlError('BAD_MODEL_FILE', `hlr: history tensors do not match numUsers=${numUsers}`);
    }
    for (let u = 0; u < numUsers; u++) {
      const len = historyIndptr[u + 1] - historyIndptr[u];
      if (!(len >= 0 && len <= options.historyLength)) throw new LrmlError('BAD_MODEL_FILE', `hlr: user ${u} has a history of ${len} items (0 to historyLength=${options.historyLength} expected)`);
    }
    for (const i of historyItems) if (!(i >= 0 && i < numItems)) throw new LrmlError('BAD_MODEL_FILE', `hlr: history item ${i} out of range [0, ${numItems})`);
    this.cfg = hlrKernelConfig(options, numUsers, numItems);
    this.sc = createHlrScratch({ ...this.cfg, negatives: 1 });
  }

  private setUser(u: number): void {
    const h = this.historyIndptr;
    hlrSetReferences(this.sc, this.params.P, u * this.options.dim, this.params.Q, this.historyItems, h[u], h[u + 1] - h[u], this.options.dim);
  }

  scoreItems(u: number, items: Int32Array, out: Float32Array): void {
    this.setUser(u);
    hlrScoreItems(this.cfg, this.params.Q, this.params.K, this.params.M, items, out, this.sc);
  }

  scoreAll(u: number, out: Float32Array): void {
    this.setUser(u);
    hlrScoreItems(this.cfg, this.params.Q, this.params.K, this.params.M, null, out, this.sc);
  }

  /**
   * Scores of every item for a new user given by their items: the history is the last
   * historyLength of the items, p the mean of the items' vectors (in the unit ball unless clip is
   * `none`); no optimisation.
   */
  scoreItemSet(items: Int32Array, out: Float32Array): void {
    const d = this.options.dim;
    const p = meanOfRows(this.params.Q, d, items, null);
    if (this.options.clip !== 'none') clipToBall(p, 0, d);
    const from = Math.max(0, items.length - this.options.historyLength);
    hlrSetReferences(this.sc, p, 0, this.params.Q, items, from, items.length - from, d);
    hlrScoreItems(this.cfg, this.params.Q, this.params.K, this.params.M, null, out, this.sc);
  }

  /** A new user is their item list (method `item-set`): history = the items, scored by {@link scoreItemSet}. */
  foldIn(_items: Int32Array, settings: FoldInSettings): FoldInFit {
    noFoldInLoss(this.kind, settings);
    return { method: 'item-set', vector: null, steps: 0, loss: Number.NaN };
  }

  /** Item–item similarity: `euclidean` between the items' embeddings. */
  itemSimilarity(): ItemSimilarity {
    return euclideanSimilarity(this.params.Q, this.numItems, this.options.dim, null);
  }

  config(): Record<string, unknown> {
    return { kind: this.kind, numUsers: this.numUsers, numItems: this.numItems, ...this.options };
  }

  tensors(): Record<string, Tensor> {
    return {
      ...paramTensors(this.params, this.numUsers, this.numItems, this.options.dim, this.options.numMemories),
      historyIndptr: { shape: [this.numUsers + 1], data: this.historyIndptr },
      historyItems: { shape: [this.historyItems.length], data: this.historyItems },
    };
  }

  /**
   * Recreates a model from config() and tensors() (e.g. from a model file); BAD_MODEL_FILE when
   * the pieces disagree.
   */
  static fromTensors(config: Record<string, unknown>, tensors: Record<string, Tensor>): HlrModel {
    const { numUsers, numItems, kind: _k, ...rest } = config;
    if (!Number.isInteger(numUsers) || !Number.isInteger(numItems)) throw new LrmlError('BAD_MODEL_FILE', 'hlr: config lacks numUsers/numItems');
    let options: HlrOptions;
    try {
      options = resolveHlrOptions(rest as Partial<HlrOptions>);
    } catch (e) {
      throw new LrmlError('BAD_MODEL_FILE', `hlr: bad config: ${(e as Error).message}`);
    }
    const f32 = (name: string): Float32Array => {
      const t = tensors[name];
      if (t === undefined || !(t.data instanceof Float32Array)) throw new LrmlError('BAD_MODEL_FILE', `hlr: tensor ${name} missing or not float32`);
      return t.data;
    };
    const i32 = (name: string): Int32Array => {
      const t = tensors[name];
      if (t === undefined || !(t.data instanceof Int32Array)) throw new LrmlError('BAD_MODEL_FILE', `hlr: tensor ${name} missing or not int32`);
      return t.data;
    };
    return new HlrModel(numUsers as number, numItems as number, options, { P: f32('P'), Q: f32('Q'), K: f32('K'), M: f32('M') }, i32('historyIndptr'), i32('historyItems'));
  }
}

/**
 * The attention statistics of an HLR model on a sample (as `measureEpochAttention` for LRML): the
 * memory attention a of each pair (entropy, largest weight, logit ranges), the spread of r across
 * the fixed items of each fixed user, and the entropy of the target–history attention β (pairs
 * with at least two references that can be attended). Scored as the model scores: the user's fixed
 * history, without the target.
 *
 * @example
 * ```ts
 * const a = measureHlrAttention(model, attentionSample(csr, 42));
 * a.historyEntropy; // < 1: the target picks some history items over others
 * ```
 */
export function measureHlrAttention(model: HlrModel, sample: AttentionSample): EpochAttention {
  const o = model.options;
  const d = o.dim;
  const n = o.numMemories;
  const cfg = hlrKernelConfig(o, model.numUsers, model.numItems);
  const sc = createHlrScratch({ ...cfg, negatives: 1 });
  const { P, Q, K, M } = model.params;
  const hp = model.historyIndptr;
  const setUser = (u: number): void => hlrSetReferences(sc, P, u * d, Q, model.historyItems, hp[u], hp[u + 1] - hp[u], d);
  const live = new Float64Array(sc.capacity);
  let hb = 0;
  let nb = 0;
  const a = measureAttentionWith(sample, d, {
    setUser,
    forward: (i) => {
      hlrDistance(cfg, Q, K, M, i, sc);
      return sc.base.r;
    },
    stats: () => {
      // the history attention β of a sampled pair: its entropy over the references it can attend
      let k = 0;
      for (let x = 0; x < sc.count; x++) if (sc.beta[x] > 0) live[k++] = sc.beta[x];
      if (k > 1) {
        hb += pairAttentionStats(live, 0, k).normalizedEntropy;
        nb++;
      }
      return pairAttentionStats(sc.base.a, 0, n);
    },
  });
  return { ...a, historyEntropy: nb > 0 ? hb / nb : Number.NaN };
}

/**
 * HLR: LRML's memory relation read from the target item's attention over the user and the user's
 * history (after Tran et al., RecSys 2021). Trained by src/train/hlr.ts.
 *
 * @example
 * ```ts
 * const model = await hlrFamily.fit(csr, { epochs: 10, historyLength: 20 }); // HlrModel
 * ```
 */
export const hlrFamily: ModelFamily<HlrOptions, HlrModel> = trainedFamily<HlrOptions, HlrModel>({
  kind: 'hlr',
  description: 'HLR: LRML with the relation conditioned on the user\'s history (after Tran et al. 2021)',
  defaults: HLR_DEFAULTS,
  resolveOptions: resolveHlrOptions,
  fromTensors: HlrModel.fromTensors,
  estimateMemory: (s, o) => {
    const d = numOption(o, 'dim', 0);
    const n = numOption(o, 'numMemories', 0);
    const copies = 3 + optimizerCopies(o);
    return estimateFromParts({
      dim: 4 * (s.numUsers + s.numItems) * d * copies,
      numMemories: 4 * 2 * n * d * copies,
      data: 4 * s.nnz * 5,
      negatives: 4 * s.nnz * numOption(o, 'negatives', 1),
      historyLength: 4 * s.nnz * numOption(o, 'historyLength', 1),
    });
  },
});
