import type { Csr } from '../data/csr.js';

/** The model families lrml knows. */
export type ModelKind = 'lrml' | 'cml' | 'bpr' | 'pop' | 'ease' | 'ials';

/** A named parameter tensor: row-major float32 (or int32, e.g. CSR indices) data and its shape. */
export interface Tensor {
  shape: number[];
  data: Float32Array | Int32Array;
}

/**
 * What every trained model offers, whatever its family: scores for a user's
 * candidate items (higher = better), its configuration and its tensors.
 * Users and items are dense indices here; string ids live at the API boundary.
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
}

/** The training data every model fits on: the user × item interaction matrix. */
export type TrainingData = Csr;

/**
 * How a model family plugs into lrml: every family module exports one of these
 * (registered in src/models/registry.ts), so the trainer, the CLI, model files and
 * `lrml tune` treat all models alike.
 *
 * @example
 * ```ts
 * const model = await family.fit(csr, { epochs: 5, seed: 1 }, { onProgress });
 * const again = family.fromTensors(model.config(), model.tensors());
 * ```
 */
export interface ModelFamily<Options extends object = Record<string, unknown>> {
  readonly kind: ModelKind;
  /** One line for --help. */
  readonly description: string;
  /** The documented default recipe. */
  readonly defaults: Readonly<Options>;
  /** Validates options (throws LrmlError BAD_OPTION naming the option and allowed values) and fills defaults. */
  resolveOptions(options: Partial<Options>): Options;
  /** Trains a model on the user × item matrix. */
  fit(data: TrainingData, options: Partial<Options>, hooks?: TrainHooks): Promise<Recommender>;
  /** Recreates a trained model from its config() and tensors() (throws BAD_MODEL_FILE when inconsistent). */
  fromTensors(config: Record<string, unknown>, tensors: Record<string, Tensor>): Recommender;
}
