// What LRML's latent relation vectors encode (issue #6): probes, attention, slots, projection.
// Browser-safe compute; the side files are read by src/data/side-info.ts, drawn by src/report.

/**
 * The relation analysis: {@link analyzeRelations} over {@link LabelledPairs} built by
 * {@link labelledPairs}, and its building blocks (logistic-regression probes, AUC, PCA).
 *
 * @example
 * ```ts
 * import { analyzeRelations, labelledPairs } from './analyze/index.js';
 * const a = analyzeRelations(lm, labelledPairs(lm, data), { seed: 1 });
 * ```
 */
export { analyzeRelations, PROBE_FEATURES, TIME_PROBE_DESCRIPTION, type AnalyzeOptions, type AnalyzeProgress } from './relations.js';
export { labelledPairs, type LabelledPairs, type LabelledPairsOptions, type ItemInfo, type UserInfo } from './pairs.js';
export {
  logisticRegression, predictLogistic, aucScore, accuracyScore, stratifiedFolds, crossValidateProbe,
  type LogisticOptions, type LogisticModel, type ProbeOptions,
} from './probe.js';
export { pca2, symmetricEigen, type Pca2 } from './pca.js';
export {
  NEAR_UNIFORM_ENTROPY, pairAttentionStats, attentionSignal, attentionSignalText, relationSpread,
  type PairAttentionStats, type AttentionSignal,
} from './signal.js';
export type {
  RelationAnalysis, ProbeResult, ProbeScore, ProbeFeatures, AttentionSummary, SlotItem, SlotItems, Projection, ProjectedPair,
} from './types.js';
