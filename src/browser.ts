// The browser build's entry: the inference path only (decode a model file's bytes, recommend,
// fold in a new user, similar items, explain). Imports nothing Node-only; bundled by
// `npm run build:web` into web/lrml.js (global `lrml`).

/**
 * Everything a web page needs to use a trained model file without a server.
 *
 * @example
 * ```ts
 * // <script src="lrml.js"></script>, then:
 * const m = lrml.decodeModel(new Uint8Array(await file.arrayBuffer()));
 * const r = lrml.recommend(m, '42', { k: 10 });
 * ```
 */
export { decodeModel, encodeModel, MODEL_FORMAT_VERSION, type LoadedModel } from './io/format.js';
export {
  recommend, recommendMany, recommendForItems, recommendForSession, foldInUser, similarItems, explain, slotProfile, MAX_K,
  type Recommendations, type ScoredItem, type RecommendOptions, type ItemsRecommendOptions, type FoldInOptions,
  type SimilarItems, type Explanation, type SlotProfile,
  titleFields, withTitles, titledRecommendations, titledSimilar, titledExplanation, titleCoverage, type ItemTitles, type TitleFields,
} from './recommend/index.js';
// the family registry, so a page can register a plug-in family and load its model files (training
// code is not in this build: fit says so)
export { registerFamily, modelKinds, getFamily } from './models/registry.js';
export { LrmlError, relabelOption, type ErrorCode, type ErrorLocation, type OptionProblem } from './errors.js';
export { parseItemsText, ITEMS_FORMATS, type ItemInfo, type ItemsFormat } from './data/side-text.js';
