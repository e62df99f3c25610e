// Items similar to an item ("more like this"), by the model's itemSimilarity capability.

import { LrmlError } from '../errors.js';
import { topK } from '../kernels/topk-impl.js';
import type { ItemSimilarity, LoadedModel, Recommender, SimilarityMeasure } from '../models/types.js';
import { checkK, type ScoredItem } from './recommend.js';

export type { SimilarityMeasure } from '../models/types.js';

/** Options of {@link similarItems}. */
export interface SimilarOptions {
  /** How many items (default 10, at most MAX_K). */
  k?: number;
  /** Item ids never to return (unknown ids are ignored). */
  exclude?: readonly string[];
}

/** What {@link similarItems} returns: always this shape. */
export interface SimilarItems {
  /** The item asked about. */
  item: string;
  measure: SimilarityMeasure;
  /** Most similar first; higher score = more similar. */
  items: ScoredItem[];
  k: number;
  /** False when fewer than k other items exist. */
  complete: boolean;
}

function similarityOf(model: Recommender): ItemSimilarity {
  const sim = model.itemSimilarity?.();
  if (sim === undefined) throw new LrmlError('BAD_OPTION', `similar items are not supported for ${model.kind} models`);
  return sim;
}

/**
 * The similarity measure {@link similarItems} uses for a model: its `itemSimilarity` capability's
 * (throws BAD_OPTION when the model has none).
 *
 * @example
 * ```ts
 * similarityMeasure(m.model); // 'euclidean' for LRML
 * ```
 */
export function similarityMeasure(model: Recommender): SimilarityMeasure {
  return similarityOf(model).measure;
}

/**
 * Similarity of every item to item index `i` into `out` (higher = more similar), by the model's
 * `itemSimilarity` capability; returns its measure.
 *
 * @example
 * ```ts
 * const out = new Float32Array(m.model.numItems);
 * similarityScores(m.model, 3, out);
 * ```
 */
export function similarityScores(model: Recommender, i: number, out: Float32Array): SimilarityMeasure {
  const sim = similarityOf(model);
  sim.scores(i, out);
  return sim.measure;
}

/**
 * The k items most similar to an item (external id), by the model's `itemSimilarity` capability
 * (the measure per family: see {@link SimilarityMeasure}; BAD_OPTION for a model without one). Throws UNKNOWN_ITEM for an id the model does not know.
 *
 * @example
 * ```ts
 * const m = await loadModel('movies.lrml');
 * const s = similarItems(m, '260', { k: 5 });
 * console.log(s.measure, s.items.map((x) => x.item));
 * ```
 */
export function similarItems(m: LoadedModel, itemId: string, options: SimilarOptions = {}): SimilarItems {
  const k = checkK(options.k ?? 10);
  const i = m.items.get(itemId);
  if (i === undefined) throw new LrmlError('UNKNOWN_ITEM', `unknown item ${JSON.stringify(itemId)}`);
  const n = m.model.numItems;
  const scores = new Float32Array(n);
  const measure = similarityScores(m.model, i, scores);
  const skip = new Uint8Array(n);
  skip[i] = 1;
  for (const id of options.exclude ?? []) {
    const j = m.items.get(id);
    if (j !== undefined) skip[j] = 1;
  }
  const idx = new Int32Array(k);
  const sc = new Float32Array(k);
  const got = topK(scores, k, skip, idx, sc);
  const items: ScoredItem[] = [];
  for (let r = 0; r < got; r++) items.push({ item: m.items.id(idx[r]), score: sc[r] });
  return { item: itemId, measure, items, k, complete: got === k };
}
