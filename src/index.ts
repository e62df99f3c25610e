// lrml: the public library API (Node.js entry). The browser-safe subset is src/browser.ts.
export { LrmlError, relabelOption, type ErrorCode, type ErrorLocation, type OptionProblem } from './errors.js';
export { Rng } from './rng.js';
export { LRML_VERSION } from './version.js';

// data
export { IdMap } from './data/idmap.js';
export { Csr } from './data/csr.js';
export { NegativeSampler, type NegativeSamplerOptions } from './data/samplers.js';
export { loadInteractions, writeInteractions, parseInteractions } from './data/load.js';
export { toCsr } from './data/interactions.js';
export { splitInteractions, leaveLatestOut, leaveOneOut, ratioSplit, type Split, type SplitInfo, type SplitOptions, type SplitMethod } from './data/split.js';
export type { Interactions, LoadOptions, LoadSummary, DataFormat } from './data/types.js';
export { describeInteractions, type DataStats, type CountStats } from './data/stats.js';

// models and training
export type {
  Recommender, ModelFamily, ModelKind, FamilyFlag, FamilyPreset, Tensor, TrainHooks, TrainCheckpoint, CheckpointControl, CheckpointIdentity, ModelInit, TrainProgress, TrainReport, EpochSummary, EpochAttention, ValidationControl,
  FoldInSettings, FoldInFit, ItemSimilarity, ModelVectors, CandidateIndex,
} from './models/types.js';
export { TripletModel, LRML_DEFAULTS, LRML_PER_POSITIVE, CML_DEFAULTS, LRML_PAPER_CODE, resolveNegativeSharing, type TripletOptions } from './models/triplet.js';
export { attentionSample, measureEpochAttention, type AttentionSample, type AttentionSampleOptions } from './models/attention-epoch.js';
export type { TripletLoss, Distance, NegativeRelation, ClipMode, Optimizer, NegativeMode } from './kernels/types.js';
export { BprModel, BPR_DEFAULTS, type BprOptions } from './models/bpr.js';
export { PopularityModel } from './models/popularity.js';
export { EaseModel, EASE_DEFAULTS, type EaseOptions } from './models/ease.js';
export { IalsModel, IALS_DEFAULTS, type IalsOptions } from './models/ials.js';
export { HlrModel, HLR_DEFAULTS, type HlrOptions } from './models/hlr.js';
// the families, typed (e.g. lrmlFamily.fit → TripletModel), and the registry; imported through
// src/train so that every family can fit
export { lrmlFamily, cmlFamily } from './train/triplet.js';
export { bprFamily } from './train/bpr.js';
export { ialsFamily } from './train/ials.js';
export { easeFamily } from './train/ease.js';
export { hlrFamily } from './train/hlr.js';
export { popularityFamily } from './models/popularity.js';
export { getFamily, modelKinds, registerFamily, isBuiltInFamily, type AnyFamily, type BuiltInFamilies, type BuiltInKind } from './train/families.js';
export { trainEpochs, type EpochRunner, type RunnerCheckpoint } from './train/loop.js';
export { dataFingerprint } from './train/checkpoint.js';
export { prepareUpdate, type UpdateOptions, type UpdatePlan } from './train/incremental.js';
export {
  planPoints, planTrials, bestTrial, pointKey, resultsCsv, readTrialLog, tune, memoryTuneStore,
  type SearchSpace, type SearchPlan, type TrialResult, type TrialLog, type TrialInfo, type TuneStore, type TuneOptions, type TuneHooks, type TuneOutcome,
} from './train/tune.js';
export { tuneFolder } from './io/tune-folder.js';

// evaluation
export * from './eval/index.js';
export { loadGivenNegatives } from './io/negatives-file.js';
export { evaluateParallel, type ParallelEvalOptions } from './io/eval-parallel.js';
export { recommendationTextParallel, type ParallelRecommendOptions } from './io/recommend-parallel.js';
export { exportVectors, vectorFiles, vectorPaths, encodeNpy, type VectorFormat, type VectorFile } from './io/vectors-file.js';

// model files and recommending
export { encodeModel, decodeModel, MODEL_FORMAT_VERSION, type LoadedModel, type EncodeOptions } from './io/format.js';
export { saveModel, loadModel, attachSeen, writeFileAtomic } from './io/model-file.js';
export { writeCheckpoint, readCheckpoint, encodeCheckpoint, decodeCheckpoint } from './io/checkpoint-file.js';
export {
  openCandidateIndex, buildCandidateIndex, attachCandidateIndex, candidateIndexPath, indexFingerprint, requireIndexPackage, INDEX_PACKAGE,
  DEFAULT_CONNECTIVITY, DEFAULT_EXPANSION_ADD, INDEX_QUANTIZATIONS, type IndexQuantization,
  INDEX_METRICS, DEFAULT_INDEX_METRIC, DEFAULT_INDEX_QUANTIZATION, liftItems, liftQuery, liftScale, liftRadius2, type IndexMetric,
  type CandidateIndexOptions, type OpenedIndex, type AttachIndexOptions,
} from './io/ann-index.js';
export * from './recommend/index.js';
export * from './serve/index.js';

// what the relations learn (issue #6); the HTML/SVG reports live in src/report (imported on demand by the CLI)
export * from './analyze/index.js';
export { loadItemsFile, loadUsersFile, loadIdMapFile, readSideText, ML100K_GENRES, ITEMS_FORMATS, parseItemsText, sniffItemsFormat, type ItemsFormat } from './data/side-info.js';
