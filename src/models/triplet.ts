import { LrmlError, badOption, numberIn, oneOf, positiveInt, withDefaults } from '../errors.js';
import type { AttentionKind, ClipMode, Distance, NegativeMode, NegativeRelation, Optimizer, TripletKernelConfig, TripletLoss, TripletParams } from '../kernels/types.js';
import { rowClipScales, unitBallScale } from '../kernels/clip.js';
import { lossOptionProblem, type OptionProblem } from '../kernels/losses.js';
import { ATTENTION_KINDS, DEFAULT_ATTENTION_SCALE, DEFAULT_ATTENTION_TEMPERATURE, PairState, PairUser, pairDistance, type PairShape } from '../kernels/pair.js';
import { createTripletScorer, type TripletScorer } from '../kernels/scorer.js';
import { euclideanSimilarity, foldInTriplet } from './foldin.js';
import { trainedFamily } from './trainer.js';
import { estimateFromParts, numOption, optimizerCopies } from './memory-estimate.js';
import type { FamilyPreset, FoldInFit, FoldInSettings, ItemSimilarity, ModelFamily, ModelVectors, Recommender, Tensor } from './types.js';

/**
 * How the learning rate changes over the epochs e = 1..E of training (docs/lrml.md):
 * `constant`; `linear` lr·(E − e + 1)/E; `cosine` lr·(1 + cos(π(e − 1)/E))/2. Both decays start
 * at lr in epoch 1 and end near 0 in epoch E; Adam's moments are kept across epochs.
 */
export type LearningRateSchedule = 'constant' | 'linear' | 'cosine';

/**
 * Options of the metric-learning triplet models (LRML, and CML as LRML without memory).
 * Every choice the literature disagrees on is an option; see docs/lrml.md for the defaults
 * and the measurements behind them.
 */
export interface TripletOptions {
  /** Embedding dimension d. */
  dim: number;
  /** Memory slots N (0 = no relation vector: CML). */
  numMemories: number;
  /** Hinge margin λ (hinge and softplus; the softmax loss does not use it). */
  margin: number;
  /** Negative pair's relation: its own attention (`own`) or the positive's (`copy`, authors' code). */
  negativeRelation: NegativeRelation;
  /** Distance: `l2` = sqrt(Σe² + 1e-3) (authors' code), `l2sq`, `l1`. */
  distance: Distance;
  /** Unit-ball constraint: `rows` (after each update), `lookup` (authors' code), `none`. */
  clip: ClipMode;
  /** Also clip memory values to norm ≤ 1 and keys to norm ≤ `maxKeyNorm`. */
  clipMemory: boolean;
  /**
   * With `clipMemory`: the largest norm of a memory key row (default 1). The attention logits are
   * K·(p ⊙ q) with ‖p ⊙ q‖ ≤ 1, so unit keys keep the attention near uniform; larger keys let it
   * pick slots (docs/lrml.md).
   *
   * @example
   * ```ts
   * resolveTripletOptions({ maxKeyNorm: 10 }, LRML_DEFAULTS);
   * ```
   */
  maxKeyNorm: number;
  /**
   * How the memory attention gets its logits (docs/lrml.md): `dot` Kₖ·(p ⊙ q) (default, the
   * paper's), `cosine` σ·cos(Kₖ, p ⊙ q) (σ = `attentionScale`), `fit` −‖p + Mₖ − q‖²/τₐ (a soft-min
   * over how well each slot's value fits the pair; τₐ = `attentionTemperature`; keys unused) or
   * `fit-hard` (the best-fitting slot alone).
   *
   * @example
   * ```ts
   * resolveTripletOptions({ attention: 'cosine', attentionScale: 10 }, LRML_DEFAULTS);
   * ```
   */
  attention: AttentionKind;
  /** σ > 0 of the `cosine` attention: its logits lie in [−σ, σ] (default 10). */
  attentionScale: number;
  /** τₐ > 0 of the `fit` / `fit-hard` attention (default 0.1). */
  attentionTemperature: number;
  /**
   * After each optimiser step, subtract the mean memory value row from every row of M (default
   * false): with no common offset left, a uniform attention gives r = 0 and the relation can only
   * come from pair-specific attention.
   *
   * @example
   * ```ts
   * resolveTripletOptions({ relationCentering: true }, LRML_DEFAULTS);
   * ```
   */
  relationCentering: boolean;
  /**
   * λ ≥ 0 of the slot-diversity term (default 0 = off): λ · (1/(N(N−1))) · Σ_{k≠l} [cos²(Kₖ, Kₗ) +
   * cos²(Mₖ, Mₗ)] over the memory keys and values, added to the batch loss once per step, so that
   * keys (pair-specific attention) and values (different relations) are pushed towards mutually
   * orthogonal directions (issue #19, mechanism 5); refused with numMemories 0.
   *
   * @example
   * ```ts
   * resolveTripletOptions({ slotDiversity: 1 }, LRML_DEFAULTS);
   * ```
   */
  slotDiversity: number;
  /**
   * Multiplies the learning rate of the user and item embeddings P and Q (default 1); 0 freezes
   * them (no update, no optimiser state change) while the memory K, M trains.
   *
   * @example
   * ```ts
   * resolveTripletOptions({ embeddingLearningRateScale: 0 }, LRML_DEFAULTS);
   * ```
   */
  embeddingLearningRateScale: number;
  /** L2 regularisation weight (0 = none). */
  l2: number;
  /** Negatives per positive. */
  negatives: number;
  /** With several negatives: `sum` their hinges, or keep the `hardest`. */
  negativeMode: NegativeMode;
  /**
   * Loss of a positive with its negatives (docs/lrml-losses.md): `hinge` (default, the paper's),
   * `softplus` (smooth hinge τ·log(1 + exp((margin + D⁺ − D⁻)/τ)); every triplet contributes, so
   * slower), `softmax` (sampled softmax / InfoNCE over the positive and its negatives on logits
   * −D/τ; needs negativeMode `sum`; k ≥ 10 negatives typical).
   *
   * @example
   * ```ts
   * resolveTripletOptions({ loss: 'softmax', temperature: 0.1, negatives: 10 }, LRML_DEFAULTS);
   * ```
   */
  loss: TripletLoss;
  /** Temperature τ > 0 of `softplus` and `softmax` (default 1; softmax typically 0.05–0.5 with unit-ball embeddings). */
  temperature: number;
  /**
   * `hinge` only: CML's WARP-style rank weighting (default false). With V of the k negatives
   * violating the margin, the example's hinge loss is multiplied by log(1 + ⌊numItems·V/k⌋).
   *
   * @example
   * ```ts
   * resolveTripletOptions({ rankWeighting: true, negatives: 10 }, CML_DEFAULTS);
   * ```
   */
  rankWeighting: boolean;
  /** Negative sampling ∝ popularity^samplerAlpha (0 = uniform over unseen items). */
  samplerAlpha: number;
  /**
   * Positives that share their negatives (which ones: {@link TripletOptions.shareWithin}): g = 1
   * (CML's default), each positive draws its own; with g > 1 each group of g positives gets one
   * draw of `negatives` items, and a user who has seen a shared item gets a draw of their own in
   * its place, so every negative is still unseen by its user. `'auto'` (LRML's default) is g = 8
   * where that pays, else 1 ({@link resolveNegativeSharing}); its quality was within the
   * seed-to-seed spread of per-positive draws on every set measured (docs/lrml.md).
   *
   * @example
   * ```ts
   * resolveTripletOptions({ negativeSharing: 8 }, LRML_DEFAULTS);
   * ```
   */
  negativeSharing: number | 'auto';
  /**
   * Which positives share negatives when {@link TripletOptions.negativeSharing} resolves to g > 1:
   * `'consecutive'`, each g positives in a row of the shuffled epoch (different users), or
   * `'user'`: the epoch visits each user's positives in blocks of up to g (the user's positives
   * shuffled and cut into blocks, every user's blocks shuffled together), and a block's
   * positives share one draw of `negatives` items unseen by that user. A block's negatives are
   * scored once for all its positives (the same (user, item) pairs), so its training step costs
   * g + negatives distances instead of g × (1 + negatives), and the users' rows learn at g times
   * the rate (each is stepped once per block). LRML's default (since session 18), with 40
   * negatives: the quality of 20 negatives per positive ({@link LRML_PER_POSITIVE}) or better
   * (paired, several seeds, six sets) at 2.2–3× its speed; with 20 a block's draw is too small (nDCG@10 −14% on a synthetic Netflix-shaped
   * set). CML's default is `'consecutive'` (docs/lrml.md).
   *
   * @example
   * ```ts
   * resolveTripletOptions({ negativeSharing: 8, shareWithin: 'user' }, LRML_DEFAULTS);
   * ```
   */
  shareWithin: ShareWithin;
  optimizer: Optimizer;
  learningRate: number;
  /**
   * Learning-rate schedule over `epochs` (LRML default `cosine`; CML and the other presets
   * `constant`). With early stopping the schedule still spans `epochs`.
   *
   * @example
   * ```ts
   * resolveTripletOptions({ learningRateSchedule: 'cosine', epochs: 40 }, LRML_DEFAULTS);
   * ```
   */
  learningRateSchedule: LearningRateSchedule;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Positives per optimiser step. */
  batchSize: number;
  epochs: number;
  seed: number;
  /** Standard deviation of the normal initialisation of P and Q. */
  initScale: number;
  /** Standard deviation of the normal initialisation of K and M. */
  memoryInitScale: number;
  /** Worker threads (1 = deterministic; > 1 = Hogwild, not deterministic). */
  threads: number;
  /** Training kernel backend (`auto` = WASM SIMD when available). */
  backend: 'auto' | 'wasm' | 'ts';
}

/** The option names of {@link TripletOptions}, for validation and the tuner. */
export const TRIPLET_OPTION_NAMES: readonly (keyof TripletOptions)[] = [
  'dim', 'numMemories', 'margin', 'negativeRelation', 'distance', 'clip', 'clipMemory', 'maxKeyNorm',
  'attention', 'attentionScale', 'attentionTemperature', 'relationCentering', 'slotDiversity', 'embeddingLearningRateScale', 'l2', 'negatives',
  'negativeMode', 'loss', 'temperature', 'rankWeighting', 'samplerAlpha', 'negativeSharing', 'shareWithin', 'optimizer', 'learningRate', 'learningRateSchedule', 'beta1', 'beta2', 'epsilon', 'batchSize',
  'epochs', 'seed', 'initScale', 'memoryInitScale', 'threads', 'backend',
];

/** The values of {@link TripletOptions.shareWithin}. */
export const SHARE_WITHIN = ['consecutive', 'user'] as const;

/** Which positives share their negatives ({@link TripletOptions.shareWithin}). */
export type ShareWithin = (typeof SHARE_WITHIN)[number];

/** Largest {@link TripletOptions.negativeSharing}. */
export const MAX_NEGATIVE_SHARING = 1024;

/** The group size of `negativeSharing: 'auto'` where it shares ({@link resolveNegativeSharing}). */
export const AUTO_NEGATIVE_SHARING = 8;

/**
 * The group size training uses for these options on a catalogue of `numItems` items: the
 * number given, or for `'auto'` {@link AUTO_NEGATIVE_SHARING} when the loss is the sampled
 * softmax over several negatives (the recipe whose quality with shared negatives was measured)
 * and sharing pays: always within users' blocks (`shareWithin: 'user'`, LRML's default: a
 * block's negatives are scored once for all its positives), and for `'consecutive'` on a
 * catalogue of at least half as many items as a batch has sides (batchSize × (1 + negatives)),
 * where a batch's own draws would spread over most of the catalogue and sharing them made
 * training 1.2–1.5× faster (issue #18, BENCHMARKS.md "Netflix scale"); else 1, each positive its
 * own draws.
 *
 * @example
 * ```ts
 * resolveNegativeSharing(LRML_DEFAULTS, 3_706);                                         // 8: users' blocks
 * resolveNegativeSharing({ ...LRML_DEFAULTS, ...LRML_PER_POSITIVE }, 17_770);           // 8: 17,770 ≥ 1024 × 21 / 2
 * resolveNegativeSharing({ ...LRML_DEFAULTS, ...LRML_PER_POSITIVE }, 3_706);            // 1
 * ```
 */
export function resolveNegativeSharing(o: Pick<TripletOptions, 'negativeSharing' | 'shareWithin' | 'loss' | 'negatives' | 'batchSize'>, numItems: number): number {
  if (o.negativeSharing !== 'auto') return o.negativeSharing;
  if (o.loss !== 'softmax' || o.negatives < 2) return 1;
  const pays = o.shareWithin === 'user' || 2 * numItems >= o.batchSize * (1 + o.negatives);
  return pays ? AUTO_NEGATIVE_SHARING : 1;
}

/**
 * Validates triplet options over `defaults`: unknown keys and bad values throw BAD_OPTION
 * naming the option and what is allowed.
 *
 * @example
 * ```ts
 * const o = resolveTripletOptions({ dim: 32 }, LRML_DEFAULTS);
 * ```
 */
export function resolveTripletOptions(given: Partial<TripletOptions>, defaults: Readonly<TripletOptions>): TripletOptions {
  const o = withDefaults(defaults.numMemories === 0 ? 'cml' : 'lrml', given, defaults, TRIPLET_OPTION_NAMES);
  positiveInt('dim', o.dim);
  if (!Number.isInteger(o.numMemories) || o.numMemories < 0) throw badOption('numMemories', o.numMemories, 'an integer ≥ 0');
  numberIn('margin', o.margin, 0, 1e6);
  oneOf('negativeRelation', o.negativeRelation, ['own', 'copy'] as const);
  oneOf('distance', o.distance, ['l2', 'l2sq', 'l1'] as const);
  oneOf('clip', o.clip, ['rows', 'lookup', 'none'] as const);
  if (typeof o.clipMemory !== 'boolean') throw badOption('clipMemory', o.clipMemory, 'true or false');
  numberIn('maxKeyNorm', o.maxKeyNorm, 1e-6, 1e6);
  oneOf('attention', o.attention, ATTENTION_KINDS);
  numberIn('attentionScale', o.attentionScale, 1e-6, 1e6);
  numberIn('attentionTemperature', o.attentionTemperature, 1e-6, 1e6);
  if (typeof o.relationCentering !== 'boolean') throw badOption('relationCentering', o.relationCentering, 'true or false');
  numberIn('slotDiversity', o.slotDiversity, 0, 1e6);
  numberIn('embeddingLearningRateScale', o.embeddingLearningRateScale, 0, 1e6);
  numberIn('l2', o.l2, 0, 1e6);
  positiveInt('negatives', o.negatives);
  oneOf('negativeMode', o.negativeMode, ['sum', 'hardest'] as const);
  const lossProblem = lossOptionProblem(o);
  if (lossProblem !== null) throw badOption(lossProblem.option, lossProblem.value, lossProblem.expected);
  numberIn('samplerAlpha', o.samplerAlpha, 0, 10);
  if (o.negativeSharing !== 'auto' && (!Number.isInteger(o.negativeSharing) || o.negativeSharing < 1 || o.negativeSharing > MAX_NEGATIVE_SHARING)) {
    throw badOption('negativeSharing', o.negativeSharing, `'auto' or an integer in [1, ${MAX_NEGATIVE_SHARING}]`);
  }
  oneOf('shareWithin', o.shareWithin, SHARE_WITHIN);
  oneOf('optimizer', o.optimizer, ['adam', 'adagrad', 'sgd'] as const);
  numberIn('learningRate', o.learningRate, 1e-12, 1e6);
  oneOf('learningRateSchedule', o.learningRateSchedule, ['constant', 'linear', 'cosine'] as const);
  numberIn('beta1', o.beta1, 0, 0.999999);
  numberIn('beta2', o.beta2, 0, 0.9999999);
  numberIn('epsilon', o.epsilon, 1e-30, 1);
  positiveInt('batchSize', o.batchSize);
  if (!Number.isInteger(o.epochs) || o.epochs < 0) throw badOption('epochs', o.epochs, 'an integer ≥ 0');
  if (!Number.isInteger(o.seed)) throw badOption('seed', o.seed, 'an integer');
  numberIn('initScale', o.initScale, 0, 100);
  numberIn('memoryInitScale', o.memoryInitScale, 0, 100);
  positiveInt('threads', o.threads);
  oneOf('backend', o.backend, ['auto', 'wasm', 'ts'] as const);
  return o;
}

/**
 * The kernel configuration of a model with these options. With `shareWithin: 'user'` the users'
 * rows learn at g times the rate (`userLearningRateScale`, g the resolved group size): a user's
 * row is stepped once per block of g positives instead of once per positive.
 *
 * @example
 * ```ts
 * const cfg = kernelConfig(resolveTripletOptions({ loss: 'softmax', temperature: 0.1 }, LRML_DEFAULTS), 6040, 3706);
 * ```
 */
export function kernelConfig(o: TripletOptions, numUsers: number, numItems: number): TripletKernelConfig {
  const g = o.shareWithin === 'user' ? resolveNegativeSharing(o, numItems) : 1;
  return {
    numUsers, numItems, dim: o.dim, numMemories: o.numMemories, negativeRelation: o.negativeRelation,
    distance: o.distance, clip: o.clip, clipMemory: o.clipMemory, maxKeyNorm: o.maxKeyNorm,
    attention: o.attention, attentionScale: o.attentionScale, attentionTemperature: o.attentionTemperature,
    relationCentering: o.relationCentering, slotDiversity: o.slotDiversity, embeddingLearningRateScale: o.embeddingLearningRateScale, margin: o.margin, l2: o.l2,
    negatives: o.negatives, negativeMode: o.negativeMode, loss: o.loss, temperature: o.temperature,
    rankWeighting: o.rankWeighting, optimizer: o.optimizer,
    learningRate: o.learningRate, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon,
    ...(g > 1 ? { userLearningRateScale: g } : {}),
  };
}

/**
 * Most of a user's items whose relations are averaged into {@link TripletModel.candidateQuery}.
 *
 * @example
 * ```ts
 * CANDIDATE_QUERY_ITEMS; // 100
 * ```
 */
export const CANDIDATE_QUERY_ITEMS = 100;

/**
 * A trained LRML (or CML, when numMemories = 0) model: ranks items by −D(u, i),
 * D(u, i) = dist(p + r − q) with r the memory-attention relation of the pair.
 *
 * @example
 * ```ts
 * const out = new Float32Array(model.numItems);
 * model.scoreAll(0, out); // higher = better
 * ```
 */
export class TripletModel implements Recommender {
  private scorer: TripletScorer;
  /** Whether params.Q is the scorer's item table ({@link TripletModel.shareItemTable}). */
  private itemsShared = false;
  constructor(
    readonly kind: 'lrml' | 'cml',
    readonly numUsers: number,
    readonly numItems: number,
    readonly options: Readonly<TripletOptions>,
    readonly params: TripletParams,
  ) {
    const d = options.dim;
    const n = options.numMemories;
    if (params.P.length !== numUsers * d || params.Q.length !== numItems * d || params.K.length !== n * d || params.M.length !== n * d) {
      throw new LrmlError('BAD_MODEL_FILE', `${kind}: parameter shapes do not match numUsers=${numUsers}, numItems=${numItems}, dim=${d}, numMemories=${n}`);
    }
    this.scorer = createTripletScorer(params, { numUsers, numItems, ...pairShapeOf(options), clip: options.clip }, { backend: 'auto' });
  }

  /** Call after the parameters changed in place (e.g. after an epoch). */
  refresh(): void {
    this.scorer.refresh();
  }

  /**
   * Holds the item vectors once: `params.Q` becomes the WASM scorer's item table (which holds the
   * same numbers) and the array it was is left to the garbage collector: 400 MB less for a million
   * items at d = 100. Possible when the scorer's memory is shared (Node) and the model does not
   * clip at lookup. Returns true when it moved them now; false when they were held once already
   * or cannot be (then nothing changes). Assumes refresh() followed the last change of Q, as
   * scoring does. Afterwards, as before: write item vectors through `params.Q`, then refresh().
   *
   * @example
   * ```ts
   * const { model } = await loadModel('big.lrml');
   * model.shareItemTable?.(); // lrml serve does this
   * ```
   */
  shareItemTable(): boolean {
    if (this.itemsShared) return false;
    const table = this.scorer.itemTable?.() ?? null;
    if (table === null) return false;
    table.set(this.params.Q);
    this.params.Q = table;
    this.itemsShared = true;
    return true;
  }

  scoreItems(u: number, items: Int32Array, out: Float32Array): void {
    this.scorer.scoreItems(u, items, out);
  }

  scoreAll(u: number, out: Float32Array): void {
    this.scorer.scoreAll(u, out);
  }

  /** Score bounds of every item (the WASM scorer's, LRML with `dot` attention and an l2 / l2sq distance); false otherwise. */
  scoreBounds(u: number, lower: Float32Array, upper: Float32Array): boolean {
    return this.scorer.scoreBounds?.(u, lower, upper) ?? false;
  }

  /** Scores of every item for an arbitrary user vector p (length dim), e.g. a folded-in new user. */
  scoreVector(p: Float32Array, out: Float32Array): void {
    this.scorer.scoreVector(p, out);
  }

  /**
   * A new user's vector from their items: the `hinge` or `softmax` fold-in (the given loss, else
   * the one the model was trained with: `softmax` for models trained with it, else `hinge`).
   */
  foldIn(items: Int32Array, settings: FoldInSettings): FoldInFit {
    const o = this.options;
    const loss = settings.loss ?? (o.loss === 'softmax' ? 'softmax' : 'hinge');
    const { Q, K, M } = this.params;
    const t = { ...pairShapeOf(o), clip: o.clip, margin: o.margin, temperature: o.temperature, Q, K, M, itemScales: lookupScales(this) };
    return foldInTriplet(t, this.numItems, items, loss, settings);
  }

  /** Item–item similarity: `euclidean` between the items' embeddings (as the model looks them up). */
  itemSimilarity(): ItemSimilarity {
    return euclideanSimilarity(this.params.Q, this.numItems, this.options.dim, lookupScales(this));
  }

  /** User and item vectors (`euclidean`): as looked up, i.e. scaled into the unit ball when the model clips at lookup. */
  vectors(): ModelVectors {
    const d = this.options.dim;
    const { P, Q } = this.params;
    const looked = (X: Float32Array, rows: number): Float32Array => {
      if (this.options.clip !== 'lookup') return X;
      const out = new Float32Array(X.length);
      for (let r = 0; r < rows; r++) {
        const s = unitBallScale(X, r * d, d);
        for (let c = 0; c < d; c++) out[r * d + c] = X[r * d + c] * s;
      }
      return out;
    };
    return { dim: d, users: looked(P, this.numUsers), items: looked(Q, this.numItems), geometry: 'euclidean', itemBias: null };
  }

  /**
   * Query for a nearest-neighbour index over the item vectors (squared L2): p + r̄, with r̄ the
   * mean of the user's relations r(p, q) over their items (at most {@link CANDIDATE_QUERY_ITEMS}
   * of them, evenly spaced), or the mean memory value when there are none; p for CML (exact:
   * its score is −‖p − q‖²). The relation still depends on the item, so for LRML the index gives
   * candidates, which are then scored exactly.
   */
  candidateQuery(u: number, items: Int32Array, out: Float32Array): void {
    const { dim: d, numMemories: n, clip } = this.options;
    const { P, Q, K, M } = this.params;
    const shape = pairShapeOf(this.options);
    const user = new PairUser(shape);
    user.set(P, u * d, clip === 'lookup' ? unitBallScale(P, u * d, d) : 1);
    const rMean = new Float64Array(d);
    if (n > 0 && items.length === 0) {
      for (let m = 0; m < n; m++) for (let c = 0; c < d; c++) rMean[c] += M[m * d + c] / n;
    } else if (n > 0) {
      const pair = new PairState(shape);
      const used = Math.min(items.length, CANDIDATE_QUERY_ITEMS);
      for (let t = 0; t < used; t++) {
        const i = items[Math.floor((t * items.length) / used)];
        pairDistance(user, pair, Q, i * d, clip === 'lookup' ? unitBallScale(Q, i * d, d) : 1, K, M);
        for (let c = 0; c < d; c++) rMean[c] += pair.r[c] / used;
      }
    }
    for (let c = 0; c < d; c++) out[c] = user.p[c] + rMean[c];
  }

  config(): Record<string, unknown> {
    return { kind: this.kind, numUsers: this.numUsers, numItems: this.numItems, ...this.options };
  }

  tensors(): Record<string, Tensor> {
    return paramTensors(this.params, this.numUsers, this.numItems, this.options.dim, this.options.numMemories);
  }

  /**
   * Recreates a model from config() and tensors() (e.g. from a model file).
   * Throws BAD_MODEL_FILE when the pieces disagree.
   */
  static fromTensors(kind: 'lrml' | 'cml', config: Record<string, unknown>, tensors: Record<string, Tensor>, defaults: Readonly<TripletOptions>): TripletModel {
    const { numUsers, numItems, kind: _k, ...rest } = config;
    if (!Number.isInteger(numUsers) || !Number.isInteger(numItems)) throw new LrmlError('BAD_MODEL_FILE', `${kind}: config lacks numUsers/numItems`);
    let options: TripletOptions;
    // files from before the option was added were all trained at a constant rate
    const given = { learningRateSchedule: 'constant', ...rest } as Partial<TripletOptions>;
    try {
      options = resolveTripletOptions(given, defaults);
    } catch (e) {
      throw new LrmlError('BAD_MODEL_FILE', `${kind}: bad config: ${(e as Error).message}`);
    }
    const get = (name: string): Float32Array => {
      const t = tensors[name];
      if (t === undefined || !(t.data instanceof Float32Array)) throw new LrmlError('BAD_MODEL_FILE', `${kind}: tensor ${name} missing or not float32`);
      return t.data;
    };
    return new TripletModel(kind, numUsers as number, numItems as number, options, { P: get('P'), Q: get('Q'), K: get('K'), M: get('M') });
  }
}

/**
 * The shape of a model's pair forward (kernels/pair.ts): dim, memory slots, distance and attention.
 *
 * @example
 * ```ts
 * const pair = new PairState(pairShapeOf(model.options));
 * ```
 */
export function pairShapeOf(o: Readonly<TripletOptions>): PairShape {
  return {
    dim: o.dim, numMemories: o.numMemories, distance: o.distance,
    attention: o.attention, attentionScale: o.attentionScale, attentionTemperature: o.attentionTemperature,
  };
}

/**
 * The tensors P, Q, K, M of triplet parameters (views), as model files store them.
 *
 * @example
 * ```ts
 * const t = paramTensors(params, numUsers, numItems, dim, numMemories); // t.P.shape = [numUsers, dim]
 * ```
 */
export function paramTensors(params: TripletParams, numUsers: number, numItems: number, d: number, n: number): Record<string, Tensor> {
  return {
    P: { shape: [numUsers, d], data: params.P },
    Q: { shape: [numItems, d], data: params.Q },
    K: { shape: [n, d], data: params.K },
    M: { shape: [n, d], data: params.M },
  };
}

/**
 * Unit-ball scales of a triplet model's item rows when it clips at lookup, else null.
 *
 * @example
 * ```ts
 * const qs = lookupScales(model); // q_i as the model sees it = qs[i] · Q[i] (or Q[i] when null)
 * ```
 */
export function lookupScales(model: TripletModel): Float64Array | null {
  if (model.options.clip !== 'lookup') return null;
  const out = new Float64Array(model.numItems);
  rowClipScales(model.params.Q, model.numItems, model.options.dim, out);
  return out;
}

/**
 * LRML defaults. Chosen by validation on ML-1M (see docs/lrml-study.md for the figures);
 * `paper-code` preset reproduces the authors' released configuration. Since session 18 each
 * user's positives train in blocks of 8 sharing one draw of 40 negatives (`shareWithin: 'user'`;
 * the per-positive recipe before it is {@link LRML_PER_POSITIVE}).
 *
 * @example
 * ```ts
 * const o = resolveTripletOptions({ epochs: 20 }, LRML_DEFAULTS);
 * ```
 */
export const LRML_DEFAULTS: Readonly<TripletOptions> = Object.freeze({
  dim: 100,
  numMemories: 20,
  margin: 0.5,
  negativeRelation: 'own',
  distance: 'l2sq',
  clip: 'rows',
  clipMemory: true,
  maxKeyNorm: 1,
  attention: 'dot',
  attentionScale: DEFAULT_ATTENTION_SCALE,
  attentionTemperature: DEFAULT_ATTENTION_TEMPERATURE,
  relationCentering: false,
  slotDiversity: 0,
  embeddingLearningRateScale: 1,
  l2: 0,
  negatives: 40,
  negativeMode: 'sum',
  loss: 'softmax',
  temperature: 0.25,
  rankWeighting: false,
  samplerAlpha: 0,
  negativeSharing: 'auto',
  shareWithin: 'user',
  optimizer: 'adam',
  learningRate: 2e-3,
  learningRateSchedule: 'cosine',
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  batchSize: 1024,
  epochs: 40,
  seed: 0,
  initScale: 0.1,
  memoryInitScale: 0.1,
  threads: 1,
  backend: 'auto',
});

/** The authors' released TensorFlow configuration (copied relation, l2 with ε, lookup clipping, hinge with one negative). */
export const LRML_PAPER_CODE: Readonly<Partial<TripletOptions>> = Object.freeze({
  negativeRelation: 'copy',
  distance: 'l2',
  clip: 'lookup',
  learningRate: 1e-3,
  learningRateSchedule: 'constant',
  loss: 'hinge',
  temperature: 1,
  negatives: 1,
  clipMemory: false,
  epochs: 30,
  dim: 100,
  numMemories: 20,
  margin: 0.5,
  optimizer: 'adam',
  batchSize: 1024,
});

/** CML (Hsieh et al., WWW 2017): squared distance, hinge, unit ball; LRML without memory. */
export const CML_DEFAULTS: Readonly<TripletOptions> = Object.freeze({
  ...LRML_DEFAULTS,
  numMemories: 0,
  distance: 'l2sq',
  clip: 'rows',
  initScale: 0.1,
  margin: 0.5,
  learningRate: 1e-3,
  learningRateSchedule: 'constant',
  epochs: 50,
  loss: 'hinge',
  negatives: 1,
  temperature: 1,
  clipMemory: false,
  negativeSharing: 1,
  shareWithin: 'consecutive',
});


/**
 * LRML with the paper's loss (hinge, one uniform negative) and its own negative relation, at the
 * learning rate and epochs chosen on the ML-1M validation split (`--preset hinge`).
 */
export const LRML_HINGE: Readonly<Partial<TripletOptions>> = Object.freeze({
  loss: 'hinge',
  negatives: 1,
  negativeRelation: 'own',
  distance: 'l2sq',
  clip: 'rows',
  clipMemory: true,
  margin: 0.5,
  learningRate: 3e-3,
  learningRateSchedule: 'constant',
  epochs: 25,
});

/**
 * LRML's previous, 4× cheaper recipe (`--preset fast`): the defaults with 10 negatives, τ 0.2,
 * Adam 0.003, 10 epochs, constant rate — ML-1M validation nDCG@10 0.429 against the defaults'
 * 0.458 (docs/lrml.md; τ is pinned to the value it was measured with). The demo uses it so that
 * `npm start` finishes in well under a minute.
 */
export const LRML_FAST: Readonly<Partial<TripletOptions>> = Object.freeze({
  negatives: 10,
  shareWithin: 'consecutive',
  temperature: 0.2,
  learningRate: 3e-3,
  learningRateSchedule: 'constant',
  epochs: 10,
});

/**
 * Negatives shared within users' blocks (`--preset blocks`): each user's positives in blocks of 8
 * sharing one draw of 40 negatives (`shareWithin: 'user'`), so that a block costs 48 distances
 * instead of 8 × 41. LRML's default since session 18 (the preset pins g = 8 where `'auto'` would
 * too; it stays for the scripts that name it). Measured against {@link LRML_PER_POSITIVE} in
 * docs/lrml.md and BENCHMARKS.md ("Netflix scale", sessions 17 and 18).
 *
 * @example
 * ```ts
 * resolveTripletOptions({ ...LRML_BLOCKS, epochs: 20 }, LRML_DEFAULTS);
 * ```
 */
export const LRML_BLOCKS: Readonly<Partial<TripletOptions>> = Object.freeze({
  negativeSharing: 8,
  shareWithin: 'user',
  negatives: 40,
});

/**
 * LRML's default until session 18 (`--preset per-positive`): each positive scored against 20
 * negatives of its own, drawn for it (on a catalogue of at least 10,752 items one draw serves 8
 * consecutive positives of different users: `negativeSharing: 'auto'` with
 * `shareWithin: 'consecutive'`). Ranks as the defaults' users' blocks or a little below, 2.2–3×
 * slower (docs/lrml.md).
 *
 * @example
 * ```ts
 * resolveTripletOptions({ ...LRML_PER_POSITIVE, seed: 1 }, LRML_DEFAULTS);
 * ```
 */
export const LRML_PER_POSITIVE: Readonly<Partial<TripletOptions>> = Object.freeze({
  negatives: 20,
  shareWithin: 'consecutive',
});

/**
 * CML trained with the sampled-softmax loss over 50 negatives, τ 0.2, Adam 0.002 with a cosine decay, 50 epochs
 * (`--family cml --preset softmax`; chosen on the ML-1M validation split, docs/lrml.md).
 */
export const CML_SOFTMAX: Readonly<Partial<TripletOptions>> = Object.freeze({
  loss: 'softmax',
  negatives: 50,
  temperature: 0.2,
  learningRate: 2e-3,
  learningRateSchedule: 'cosine',
  epochs: 50,
});

/**
 * Attention options that would do nothing, or make a model that never moves, given the rest: with
 * numMemories 0 (CML: no memory) a non-`dot` attention, relationCentering, slotDiversity and an embedding rate
 * scale of 0 (P and Q are all that trains); σ given for an attention other than `cosine`, τₐ for
 * one other than `fit` / `fit-hard` (a value other than the default: resolved options, which hold
 * every option, must resolve again). Checked when a model is made, not when a file is read.
 */
function attentionUseProblem(o: TripletOptions, given: Partial<TripletOptions>, defaults: Readonly<TripletOptions>): OptionProblem | null {
  if (o.numMemories === 0) {
    const why = 'with numMemories 0 (cml: no memory, so no attention)';
    if (o.attention !== 'dot') return { option: 'attention', value: o.attention, expected: `"dot" ${why}` };
    if (o.relationCentering) return { option: 'relationCentering', value: true, expected: `false ${why}` };
    if (o.slotDiversity !== 0) return { option: 'slotDiversity', value: o.slotDiversity, expected: `0 ${why}` };
    if (o.embeddingLearningRateScale === 0) {
      return { option: 'embeddingLearningRateScale', value: 0, expected: 'a number > 0 with numMemories 0 (P and Q are all that trains: at 0 the model never moves)' };
    }
  }
  if (given.attentionScale !== undefined && given.attentionScale !== defaults.attentionScale && o.attention !== 'cosine') {
    return { option: 'attentionScale', value: given.attentionScale, expected: `no value with attention "${o.attention}" (σ is the scale of attention "cosine" only)` };
  }
  if (given.attentionTemperature !== undefined && given.attentionTemperature !== defaults.attentionTemperature && o.attention !== 'fit' && o.attention !== 'fit-hard') {
    return { option: 'attentionTemperature', value: given.attentionTemperature, expected: `no value with attention "${o.attention}" (τₐ is the temperature of attention "fit" and "fit-hard" only)` };
  }
  return null;
}

function tripletFamily(
  kind: 'lrml' | 'cml',
  defaults: Readonly<TripletOptions>,
  description: string,
  presets: Record<string, FamilyPreset<TripletOptions>>,
): ModelFamily<TripletOptions, TripletModel> {
  const resolveOptions = (given: Partial<TripletOptions>): TripletOptions => {
    const o = resolveTripletOptions(given, defaults);
    if (kind === 'cml' && o.numMemories !== 0) throw badOption('numMemories', o.numMemories, '0 for cml (use --family lrml for memories)');
    const problem = attentionUseProblem(o, given, defaults);
    if (problem !== null) throw badOption(problem.option, problem.value, problem.expected);
    return o;
  };
  // fit: the training code (epoch loop, kernels) lives in src/train/triplet.ts
  return trainedFamily<TripletOptions, TripletModel>({
    kind,
    description,
    defaults,
    resolveOptions,
    fromTensors: (config, tensors) => TripletModel.fromTensors(kind, config, tensors, defaults),
    presets,
    estimateMemory: (s, o) => {
      const d = numOption(o, 'dim', 0);
      const n = kind === 'lrml' ? numOption(o, 'numMemories', 0) : 0;
      // the weights in JS and in the kernel, the kernel's gradients and optimiser state, and the
      // best-epoch snapshot
      const copies = 4 + optimizerCopies(o);
      // the WASM kernel's deferred path (the default for dot attention, own relations, l2 / l2sq)
      // keeps two N-vectors per item for each worker (src/train/backends/wasm.ts)
      const deferred = n > 0 && (o.attention ?? 'dot') === 'dot' && o.distance !== 'l1' && o.negativeRelation !== 'copy' &&
        o.backend !== 'ts';
      const deferredBytes = deferred ? 2 * 4 * (n + 4) * s.numItems * Math.max(1, numOption(o, 'threads', 1)) : 0;
      return estimateFromParts({
        dim: 4 * (s.numUsers + s.numItems) * d * copies,
        numMemories: 4 * 2 * n * d * copies + deferredBytes,
        // the epoch's order over the data (int32), next to the CSR itself, and with negatives
        // shared within users' blocks the list of blocks (UserBlockOrder: a start per block)
        data: 4 * s.nnz * 2 + (o.shareWithin === 'user' ? 4 * (Math.ceil(s.nnz / 2) + s.numUsers) : 0),
        // one chunk of an epoch (train/triplet.ts: about 2^20 positives) as users, items and the
        // negatives (int32), in JS and in the kernel
        negatives: 8 * Math.min(s.nnz, 1 << 20) * (2 + numOption(o, 'negatives', 1)),
      });
    },
  });
}

/**
 * LRML: latent relational metric learning with memory-based attention (Tay et al., WWW 2018).
 *
 * @example
 * ```ts
 * const model = await lrmlFamily.fit(csr, { epochs: 10, seed: 1 }); // TripletModel
 * ```
 */
export const lrmlFamily = tripletFamily('lrml', LRML_DEFAULTS, 'LRML: metric learning with memory-attention relation vectors (Tay et al. 2018)', {
  'paper-code': { options: LRML_PAPER_CODE, description: 'the authors\' released configuration' },
  hinge: { options: LRML_HINGE, description: 'the paper\'s loss' },
  fast: { options: LRML_FAST, description: '10 negatives, 10 epochs: 4× cheaper' },
  blocks: { options: LRML_BLOCKS, description: 'users\' positives in blocks of 8 sharing 40 negatives (the defaults\' sharing, g pinned to 8)' },
  'per-positive': { options: LRML_PER_POSITIVE, description: 'the default until session 18: 20 negatives scored per positive; no better than the defaults beyond seed noise, 2.2–3× slower' },
});

/**
 * CML: collaborative metric learning (Hsieh et al., WWW 2017).
 *
 * @example
 * ```ts
 * const model = await cmlFamily.fit(csr, { epochs: 20 }); // TripletModel with numMemories 0
 * ```
 */
export const cmlFamily = tripletFamily('cml', CML_DEFAULTS, 'CML: collaborative metric learning, squared distance in the unit ball (Hsieh et al. 2017)', {
  softmax: { options: CML_SOFTMAX },
});
