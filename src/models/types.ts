import type { MemoryEstimate, TrainingShape } from './memory-estimate.js';
import type { Csr } from '../data/csr.js';
import type { IdMap } from '../data/idmap.js';

/**
 * The name of a model family, as stored in model files: one of the built-in kinds
 * (`BuiltInKind` in registry.ts) or any kind registered with `registerFamily`.
 *
 * @example
 * ```ts
 * const kind: ModelKind = model.kind; // 'lrml', 'cml', …, or a plug-in's kind
 * ```
 */
export type ModelKind = string;

/** A named parameter tensor: row-major float32 (or int32, e.g. CSR indices) data and its shape. */
export interface Tensor {
  shape: number[];
  data: Float32Array | Int32Array;
}

/** The losses a triplet-model fold-in can minimise (see `FoldInOptions.loss` in src/recommend). */
export type FoldInLoss = 'hinge' | 'softmax';

/**
 * How a model family handles a new user (what its {@link Recommender.foldIn} does):
 * - `hinge` (LRML, CML): p minimises the mean hinge max(0, margin + D(p, i) − D(p, j)) over the
 *   given items i and uniformly sampled other items j, through the model's own distance and
 *   attention (each pair its own relation); Adam, p kept in the unit ball unless clip = none;
 *   started at the mean of the items' vectors.
 * - `softmax` (LRML, CML trained with the sampled softmax): the same, minimising the mean
 *   −log softmax₀(−D(p, i)/τ, −D(p, j₁)/τ, …) over each given item and its sampled negatives.
 * - `logistic` (BPR-MF): p minimises the mean −log σ(p·(q_i − q_j) + b_i − b_j) (+ the model's l2
 *   on p); Adam from the mean of the items' vectors.
 * - `model`: the model's own closed form (e.g. iALS's least-squares user step).
 * - `item-set` (EASE, HLR): no vector; scores are computed from the item list directly (EASE:
 *   Σᵢ B[i, ·]; HLR: the items are the history, p the mean of their vectors).
 * - `popularity`: no vector; the same scores as for every user.
 */
export type FoldInMethod = 'hinge' | 'softmax' | 'logistic' | 'model' | 'item-set' | 'popularity';

/**
 * The fold-in settings a model receives (validated, defaults filled by `foldInUser`).
 *
 * @example
 * ```ts
 * const s: FoldInSettings = { loss: undefined, steps: 50, learningRate: 0.05, seed: 0, negatives: 2, batchSize: 32 };
 * ```
 */
export interface FoldInSettings {
  /** The loss asked for (triplet models only); undefined = the model's own. */
  loss: FoldInLoss | undefined;
  steps: number;
  learningRate: number;
  seed: number;
  negatives: number;
  batchSize: number;
}

/**
 * What a model's fold-in produced: a user vector (scored with {@link Recommender.scoreVector}),
 * or none (then the item list is scored with {@link Recommender.scoreItemSet}).
 *
 * @example
 * ```ts
 * const r: FoldInFit = { method: 'model', vector: Float32Array.of(0.1, 0.2), steps: 0, loss: Number.NaN };
 * ```
 */
export interface FoldInFit {
  method: FoldInMethod;
  vector: Float32Array | null;
  /** Optimiser steps taken (0 without optimisation). */
  steps: number;
  /** Mean loss per positive at the last step (NaN without optimisation). */
  loss: number;
}

/**
 * How a model measures item–item similarity (what `similarItems` reports):
 * - `euclidean` (LRML, CML): score = −‖q_i − q_j‖, the Euclidean distance between the items'
 *   embeddings (after the unit-ball clip when the model clips at lookup). The memory relation is
 *   user-dependent, so it plays no part in item–item similarity.
 * - `cosine` (BPR-MF, iALS): cosine of the item vectors (0 when either is the zero vector). Item
 *   biases play no part.
 * - `ease-weight` (EASE): score = B[i, j], the weight with which having item i raises item j's
 *   score; exactly the ranking EASE gives a user whose only item is i.
 * - `popularity` (pop): the most popular other items (score = training interaction count).
 */
export type SimilarityMeasure = 'euclidean' | 'cosine' | 'ease-weight' | 'popularity';

/**
 * A model's item–item similarity: its measure and the scores of every item against one.
 *
 * @example
 * ```ts
 * const sim = model.itemSimilarity?.();
 * sim?.scores(3, out); // out[j] = similarity of item j to item 3 (higher = more similar)
 * ```
 */
export interface ItemSimilarity {
  readonly measure: SimilarityMeasure;
  /** Similarity of every item to item index `item` into out[0 .. numItems). Higher = more similar. */
  scores(item: number, out: Float32Array): void;
}

/**
 * A model's user and item vectors, as it scores with them (what `lrml export` writes):
 * row-major float32, `users` numUsers × dim and `items` numItems × dim.
 * - `euclidean` (LRML, CML): lower ‖p − q‖ = better; for CML that is the whole score, for LRML
 *   the score adds the pair's memory relation r(p, q), which a vector index cannot reproduce
 *   (nearest items by ‖p − q‖ are an approximation of LRML's ranking).
 * - `dot` (BPR-MF, iALS): higher p·q (+ `itemBias[i]` when not null) = better.
 *
 * @example
 * ```ts
 * const v = model.vectors?.();
 * if (v !== undefined) v.items.subarray(3 * v.dim, 4 * v.dim); // item 3's vector
 * ```
 */
export interface ModelVectors {
  readonly dim: number;
  readonly users: Float32Array;
  readonly items: Float32Array;
  readonly geometry: 'euclidean' | 'dot';
  /** Per-item bias added to the dot product (BPR-MF), else null. */
  readonly itemBias: Float32Array | null;
}

/**
 * What every trained model offers, whatever its family: scores for a user's
 * candidate items (higher = better), its configuration and its tensors.
 * Users and items are dense indices here; string ids live at the API boundary.
 *
 * The optional methods are capabilities the product API (src/recommend) asks for: a model that
 * lacks one gets a clear BAD_OPTION from the function that needs it (e.g. `foldInUser`).
 *
 * @example
 * ```ts
 * const out = new Float32Array(model.numItems);
 * model.scoreAll(0, out);
 * if (model.foldIn !== undefined) console.log('this model takes new users');
 * ```
 */
export interface Recommender {
  readonly kind: ModelKind;
  readonly numUsers: number;
  readonly numItems: number;
  /** Scores of `items` for user `u` into out[0 .. items.length). Higher = better. */
  scoreItems(u: number, items: Int32Array, out: Float32Array): void;
  /** Scores of every item for user `u` into out[0 .. numItems). Higher = better. */
  scoreAll(u: number, out: Float32Array): void;
  /** JSON-serialisable hyper-parameters that, with the tensors, recreate the model exactly. */
  config(): Record<string, unknown>;
  /** Named parameter tensors (views, not copies). */
  tensors(): Record<string, Tensor>;
  /**
   * Capability: a new user from the item indices they interacted with, every model parameter
   * frozen (seeded, `settings.steps` bounded). Throws BAD_OPTION for settings it cannot honour.
   */
  foldIn?(items: Int32Array, settings: FoldInSettings): FoldInFit;
  /** Capability: scores of every item for a user vector (e.g. a folded-in one) into out[0 .. numItems). */
  scoreVector?(p: Float32Array, out: Float32Array): void;
  /** Capability: scores of every item for a set of items (a new user's) into out[0 .. numItems). */
  scoreItemSet?(items: Int32Array, out: Float32Array): void;
  /** Capability: the model's item–item similarity ("more like this"). */
  itemSimilarity?(): ItemSimilarity;
  /** Capability: the user and item vectors the model scores with (families with embeddings). */
  vectors?(): ModelVectors;
  /**
   * Capability: the query vector of user `u` for a nearest-neighbour index over `vectors().items`
   * under squared L2 distance (see {@link CandidateIndex}), written into out[0 .. dim): an
   * item-independent stand-in for the model's score, whose nearest items are the candidates that
   * are then scored exactly. `items` are the user's training items (may be empty).
   */
  candidateQuery?(u: number, items: Int32Array, out: Float32Array): void;
  /**
   * Capability: bounds of every item's score for user `u` (lower[i] ≤ the score scoreAll writes
   * ≤ upper[i]) from a pass much cheaper than scoreAll, so that exact top-k scores only the items
   * whose upper bound reaches the k-th best lower bound. Returns false (arrays untouched) when the
   * model has no bounds for its settings.
   */
  scoreBounds?(u: number, lower: Float32Array, upper: Float32Array): boolean;
  /**
   * Capability: hold the item vectors once, in the scorer's own table instead of a second copy
   * beside it (a served model with a large catalogue). Returns true when it moved them now (false:
   * held once already, or not possible); the model scores and saves as before either way.
   */
  shareItemTable?(): boolean;
}

/**
 * A nearest-neighbour index over a model's item vectors (`vectors().items`, squared L2), attached
 * to a {@link LoadedModel} as `index`: recommendations for large catalogues take their candidates
 * from it and score only those exactly. Built and saved next to the model file by
 * `openCandidateIndex` (Node; the usearch package).
 *
 * @example
 * ```ts
 * const q = new Float32Array(model.vectors!().dim);
 * model.candidateQuery!(u, seenItems, q);
 * const candidates = index.search(q, 500); // item indices, nearest first
 * ```
 */
export interface CandidateIndex {
  /** Items indexed (the model's numItems). */
  readonly numItems: number;
  /** Length of the vectors (the model's dim). */
  readonly dim: number;
  /** Up to `count` item indices nearest to `query` (length dim), nearest first. */
  search(query: Float32Array, count: number): Int32Array;
  /** The same search off the calling thread, when the index can (e.g. on worker threads). */
  searchAsync?(query: Float32Array, count: number): Promise<Int32Array>;
  /** Releases what the index holds besides memory (its worker threads); searches stay possible on the calling thread. */
  close?(): Promise<void>;
}

/**
 * A model with its id maps and metadata: what a model file holds.
 *
 * @example
 * ```ts
 * const m: LoadedModel = { model, users, items, meta: {}, seen: csr };
 * ```
 */
export interface LoadedModel {
  model: Recommender;
  /** External user ids ↔ dense indices. */
  users: IdMap;
  /** External item ids ↔ dense indices. */
  items: IdMap;
  /** Free-form JSON metadata (training summary, data file, lrml version, …). */
  meta: Record<string, unknown>;
  /** The training interactions (users × items), so recommendations can exclude seen items. */
  seen: Csr | null;
  /** A nearest-neighbour index over the item vectors, when one is attached (`openCandidateIndex`): candidates for large catalogues. */
  index?: CandidateIndex;
}

/** Progress reported while training. */
export interface TrainProgress {
  epoch: number;
  epochs: number;
  /** Positives (or rows, for non-triplet models) done in this epoch, and the epoch's total. */
  done: number;
  total: number;
  /** Mean loss per positive so far in this epoch. */
  loss: number;
  /** Throughput of this epoch so far (triplets/s; rows/s for non-triplet models). */
  perSecond: number;
}

/** Summary of one finished epoch. */
export interface EpochSummary {
  epoch: number;
  /** Mean loss per positive in this epoch. */
  loss: number;
  seconds: number;
  perSecond: number;
  /** Validation metrics of this epoch, when validation ran. */
  validation?: Record<string, number>;
  /** LRML only (models with memory slots): how sharp the memory attention is after this epoch. */
  attention?: EpochAttention;
}

/**
 * The memory attention of an LRML model after an epoch, measured on a fixed seeded sample of
 * training pairs (`models/attention-epoch.ts`): the same pairs every epoch, so the figures are
 * comparable along the training.
 *
 * @example
 * ```ts
 * await family.fit(csr, options, { onEpoch: (s) => console.log(s.attention?.meanLogitRange) });
 * ```
 */
export interface EpochAttention {
  /** Training pairs measured. */
  pairs: number;
  /** Mean normalised attention entropy (entropy / log N: 1 = uniform, 0 = one slot). */
  meanNormalizedEntropy: number;
  /** Mean of the pairs' largest weights (1/N = uniform). */
  meanMaxWeight: number;
  /** Mean of the pairs' logit ranges (max − min of the attention logits: K (p ⊙ q) for `dot`). */
  meanLogitRange: number;
  /** The largest logit range over the pairs. */
  maxLogitRange: number;
  /** Fixed users whose relations over items are measured. */
  users: number;
  /**
   * Spread of r across items for a fixed user, √(mean ‖r − r̄‖²) / ‖r̄‖ with r̄ the user's mean
   * relation (0 = the same r for every item), averaged over the fixed users.
   */
  relationSpread: number;
  /**
   * LRML with `slotDiversity` > 0 only: the mean |cos| over the pairs k ≠ l of the memory slots'
   * keys and of their values (0 = mutually orthogonal, 1 = parallel): what the term pushes down.
   */
  slotCosine?: { keys: number; values: number };
  /**
   * HLR only: mean normalised entropy of the target–history attention β over the pairs (entropy /
   * log of the references that can be attended: 1 = uniform, 0 = one reference).
   */
  historyEntropy?: number;
}

/**
 * Validation during training: evaluate every `every` epochs, keep the best weights by
 * `monitor` (higher is better), stop after `patience` evaluations without gain.
 */
export interface ValidationControl {
  /** Metrics of the model as it is now (e.g. hits@10 / ndcg@10 on a validation split). */
  evaluate: (model: Recommender, epoch: number) => Promise<Record<string, number>> | Record<string, number>;
  /** Evaluate every this many epochs (default 1). */
  every?: number;
  /** Metric key to maximise (default 'ndcg@10'). */
  monitor?: string;
  /** Stop after this many evaluations without improvement (default: never stop early). */
  patience?: number;
}

/** What happened during training. */
export interface TrainReport {
  epochs: EpochSummary[];
  /** Epoch whose weights the model holds (the best by validation, else the last). */
  bestEpoch: number;
  /** The best validation metrics, when validation ran. */
  bestValidation?: Record<string, number>;
  /** Whether early stopping ended training before the last epoch. */
  stoppedEarly: boolean;
  seconds: number;
}

/** Callbacks and control shared by every model's training. */
export interface TrainHooks {
  /** Called once when training ends, with the whole report. */
  onDone?: (report: TrainReport) => void;
  /** Validation, best-weights keeping and early stopping. */
  validation?: ValidationControl;
  /** Called now and then during an epoch. */
  onProgress?: (p: TrainProgress) => void;
  /** Called after each epoch; may return metrics to record (e.g. validation). */
  onEpoch?: (s: EpochSummary) => void | Promise<void>;
  /** Aborting stops training with a CANCELLED error. */
  signal?: AbortSignal;
  /**
   * Told, in one sentence, when the training runs otherwise than asked or much slower than it
   * could (EASE: the `auto` backend falling back to the one-thread TypeScript inverse, worker
   * threads that did not start). The library prints nothing; `lrml train` prints `warning: …`.
   *
   * @example
   * ```ts
   * await easeFamily.fit(csr, {}, { onWarning: (m) => console.warn(m) });
   * ```
   */
  onWarning?: (message: string) => void;
  /**
   * Checkpoints (lrml, cml, ials): after every `every`-th epoch, `save` gets the whole
   * state of the training ({@link TrainCheckpoint}); on cancellation (CANCELLED), the last
   * finished epoch's state is saved too when it was not yet. `lrml`'s io layer writes them to a
   * file (`writeCheckpoint`).
   *
   * @example
   * ```ts
   * await lrmlFamily.fit(csr, { epochs: 20 }, { checkpoint: { every: 5, save: (c) => writeCheckpoint('m.ckpt', c) } });
   * ```
   */
  checkpoint?: CheckpointControl;
  /**
   * Continues the training saved in this checkpoint (written with the same options and data,
   * else BAD_OPTION naming what differs): with one thread the result is the same, bit for bit,
   * as a training never interrupted.
   *
   * @example
   * ```ts
   * await lrmlFamily.fit(csr, { epochs: 20 }, { resume: await readCheckpoint('m.ckpt') });
   * ```
   */
  resume?: TrainCheckpoint;
  /**
   * Starts from a trained model instead of fresh parameters (lrml, cml; an incremental update,
   * or a warm start of LRML from CML): rows of the data mapped to a row of the model take its
   * learned vector, the others a fresh seeded one. `prepareUpdate` builds it from a model file's
   * id maps.
   *
   * @example
   * ```ts
   * const up = prepareUpdate(loaded, newData);
   * await lrmlFamily.fit(up.data, { epochs: 5 }, { initFrom: up.initFrom });
   * ```
   */
  initFrom?: ModelInit;
}

/**
 * A trained model to start a training from, with where each row of the new data comes from.
 *
 * @example
 * ```ts
 * const init: ModelInit = { model: loaded.model, userRows: Int32Array.of(0, 1, -1), itemRows: Int32Array.of(2, -1) };
 * ```
 */
export interface ModelInit {
  /** The trained model (lrml or cml). */
  model: Recommender;
  /** For each user of the training data: the model's user row to copy, or −1 for a fresh row. */
  userRows: Int32Array;
  /** For each item of the training data: the model's item row to copy, or −1 for a fresh row. */
  itemRows: Int32Array;
}

/**
 * Checkpoint settings of a training: how often, and where the state goes.
 *
 * @example
 * ```ts
 * const c: CheckpointControl = { every: 1, save: (ck) => writeCheckpoint('run.ckpt', ck) };
 * ```
 */
export interface CheckpointControl {
  /** Save after every `every`-th epoch (a positive integer). */
  every: number;
  /** Stores the state (called after the epoch; training waits for it). */
  save(c: TrainCheckpoint): void | Promise<void>;
}

/**
 * What identifies a training: the family, its resolved options and the data (its shape and a
 * hash of its interactions). A resume is refused when any of it differs.
 *
 * @example
 * ```ts
 * const id: CheckpointIdentity = { kind: 'cml', options: { dim: 100 }, data: { numUsers: 3, numItems: 4, nnz: 5, hash: '1a2b3c4d' } };
 * ```
 */
export interface CheckpointIdentity {
  kind: string;
  options: Record<string, unknown>;
  data: { numUsers: number; numItems: number; nnz: number; hash: string };
}

/**
 * The whole state of a training after a finished epoch: enough to continue it exactly
 * ({@link TrainHooks.resume}). JSON-safe fields plus typed arrays (`tensors`: parameters,
 * optimiser moments, the epoch order; `best.*` the best validation weights when they are not
 * the current ones).
 *
 * @example
 * ```ts
 * const c = await readCheckpoint('m.ckpt');
 * console.log(`epoch ${c.epoch} of ${c.identity.kind}`);
 * ```
 */
export interface TrainCheckpoint {
  identity: CheckpointIdentity;
  /** The validation settings in force (every, monitor, patience), null without validation. */
  validation: { every: number; monitor: string; patience: number | null } | null;
  /** The last finished epoch (1-based). */
  epoch: number;
  /** Summaries of epochs 1..epoch. */
  epochs: EpochSummary[];
  /** Best validation so far: its score, epoch and metrics; null before any validation. */
  best: { score: number; epoch: number; metrics: Record<string, number> } | null;
  /** Validations since the best one. */
  sinceBest: number;
  /** The trainer's own scalar state (generator states, optimiser steps). */
  state: Record<string, unknown>;
  tensors: Record<string, Float32Array | Int32Array>;
}

/** The training data every model fits on: the user × item interaction matrix. */
export type TrainingData = Csr;

/**
 * A command-line flag of a model option (`lrml train`, `lrml tune`), declared by the family.
 * Families may share flags (the same `flag` string is added once, the first declaration wins).
 *
 * @example
 * ```ts
 * const f: FamilyFlag = { flag: '--memories <n>', option: 'numMemories', type: 'integer', description: 'LRML memory slots N' };
 * ```
 */
export interface FamilyFlag {
  /** Commander flag spec, e.g. `--dim <n>`, `--clip-memory`, `--no-clip-memory`. */
  readonly flag: string;
  /** The model option it sets. */
  readonly option: string;
  /** How the value is parsed: `integer`, `integer-or-auto` (`auto` or an integer), `number`, `string`, or `boolean` (a flag without a value). */
  readonly type: 'integer' | 'integer-or-auto' | 'number' | 'string' | 'boolean';
  /** One line for --help. */
  readonly description: string;
}

/**
 * A named recipe of a family (`--preset <name>`): options over the defaults.
 *
 * @example
 * ```ts
 * const p: FamilyPreset<{ epochs: number }> = { options: { epochs: 10 }, description: '4× cheaper' };
 * ```
 */
export interface FamilyPreset<Options extends object = Record<string, unknown>> {
  readonly options: Readonly<Partial<Options>>;
  /** A few words for --help. */
  readonly description?: string;
}

/**
 * Everything about a model family, in one object: registered once (built-ins in
 * src/models/registry.ts, plug-ins with `registerFamily`), it makes the family trainable
 * (`fit`), loadable from model files (`fromTensors`) and visible to the CLI (`flags`,
 * `presets`). What a trained model can do beyond scoring (fold-in, similar items, …) is
 * declared by the optional methods of its {@link Recommender}.
 *
 * @example
 * ```ts
 * const model = await family.fit(csr, { epochs: 5, seed: 1 }, { onProgress });
 * const again = family.fromTensors(model.config(), model.tensors());
 * ```
 */
export interface ModelFamily<Options extends object = Record<string, unknown>, Model extends Recommender = Recommender> {
  readonly kind: ModelKind;
  /** One line for --help. */
  readonly description: string;
  /** The documented default recipe. */
  readonly defaults: Readonly<Options>;
  /** Validates options (throws LrmlError BAD_OPTION naming the option and allowed values) and fills defaults. */
  resolveOptions(options: Partial<Options>): Options;
  /** Trains a model on the user × item matrix. */
  fit(data: TrainingData, options: Partial<Options>, hooks?: TrainHooks): Promise<Model>;
  /** Recreates a trained model from its config() and tensors() (throws BAD_MODEL_FILE when inconsistent). */
  fromTensors(config: Record<string, unknown>, tensors: Record<string, Tensor>): Model;
  /** Command-line flags of its options (others are reachable with `--set key=value`). */
  readonly flags?: readonly FamilyFlag[];
  /** Named recipes for `--preset`. */
  readonly presets?: Readonly<Record<string, FamilyPreset<Options>>>;
  /**
   * About how many bytes training needs on data of this shape with these (resolved) options, and
   * the option that drives them (null: the data alone); the CLI refuses a training that would not
   * fit (`--max-memory`). Families without one are not checked.
   */
  estimateMemory?(shape: TrainingShape, options: Record<string, unknown>): MemoryEstimate;
}
