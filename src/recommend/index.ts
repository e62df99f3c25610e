// The product API on a loaded model (browser-safe): recommendations for known and new users,
// similar items, explanations. This entry only re-exports; the code lives in the files beside it.

export { recommend, recommendAsync, recommendMany, recommendEach, recommendationLines, type RecommendationsFormat, buildSkipMask, checkFilters, pickTop, exactTop, recommendUserIndex, BOUNDED_MIN_ITEMS, MAX_K, searchMode, SEARCH_MODES, ANN_AUTO_ITEMS, DEFAULT_CANDIDATE_COUNT, type SearchMode, type RecommendOptions, type ScoredItem, type Recommendations } from './recommend.js';
export { foldInUser, recommendForItems, recommendForSession, scoreFoldIn, resolveItems, MAX_FOLD_IN_ITEMS, type FoldInOptions, type FoldInMethod, type FoldInLoss, type FoldedUser, type ItemsRecommendOptions } from './foldin.js';
export { similarItems, similarityMeasure, similarityScores, type SimilarItems, type SimilarOptions, type SimilarityMeasure } from './similar.js';
export { explain, slotProfile, type Explanation, type SlotWeight, type SlotProfile, type SlotProfileOptions, type PairWeight, type MeanWeight } from './explain.js';
export { titleFields, withTitles, titledRecommendations, titledSimilar, titledExplanation, titleCoverage, type ItemTitles, type TitleFields } from './titles.js';
