// The evaluation harness (browser-safe). Its Node-only companions live in src/io:
// negatives-file.ts (loadGivenNegatives), per-user-file.ts (writePerUser),
// eval-parallel.ts (evaluateParallel on worker threads).

export { evaluate, testOverlap, planEvaluation, evaluateUsers, finishEvaluation, sampledRng, sampleNegatives, sampleUsers, DEFAULT_BOOTSTRAP, DEFAULT_SAMPLED_NEGATIVES } from './evaluate.js';
export type { EvalPlan, EvalPart } from './evaluate.js';
export { beyondAccuracy, beyondAccuracyKeys } from './beyond.js';
export type { BeyondAccuracyResult, BeyondAccuracyOptions } from './beyond.js';
export { metricKeys, checkCutoffs, rankingMetrics, aheadOfOne, aheadOfMany } from './metrics.js';
export { bootstrapMeans, bootstrapIntervals, quantileSorted, compareModels } from './bootstrap.js';
export type { CompareOptions } from './bootstrap.js';
export { extendCatalogue, widenItems, ExtendedCatalogue } from './catalogue.js';
export { compareEvaluated, alignUsers, sameIdMap } from './compare.js';
export type { EvaluatedModel, ModelComparison } from './compare.js';
export { parseGivenNegatives, givenTestSet } from './negatives.js';
export type { GivenNegativesOptions } from './negatives.js';
export { formatPerUser } from './per-user.js';
export type { PerUserFormat } from './per-user.js';
export type * from './types.js';
