// Items similar to an item ("more like this"), defined per model kind.

import { LrmlError, positiveInt } from '../errors.js';
import type { LoadedModel } from '../io/format.js';
import { TripletModel } from '../models/triplet.js';
import type { Recommender } from '../models/types.js';
import { easeWeights, lookupScales } from './foldin.js';
import { MAX_K, type ScoredItem } from './index.js';
import { topK } from '../kernels/topk_impl.js';

/**
 * How similarity is measured, by model kind:
 * - `euclidean` (LRML, CML): score = −‖q_i − q_j‖, the Euclidean distance between the items'
 *   embeddings (after the unit-ball clip when the model clips at lookup). The memory relation is
 *   user-dependent, so it plays no part in item–item similarity.
 * - `cosine` (BPR-MF, iALS and any model with an item-factor tensor `Q`): cosine of the item
 *   vectors (0 when either is the zero vector). Item biases play no part.
 * - `ease-weight` (EASE): score = B[i, j], the weight with which having item i raises item j's
 *   score; exactly the ranking EASE gives a user whose only item is i.
 * - `popularity` (pop): the most popular other items (score = training interaction count).
 * The item itself is never returned.
 */
export type SimilarityMeasure = 'euclidean' | 'cosine' | 'ease-weight' | 'popularity';

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

/** The similarity measure {@link similarItems} uses for a model (throws BAD_OPTION when none applies). */
export function similarityMeasure(model: Recommender): SimilarityMeasure {
  if (model instanceof TripletModel) return 'euclidean';
  if (model.kind === 'pop') return 'popularity';
  if (model.kind === 'ease' && easeWeights(model) !== null) return 'ease-weight';
  if (itemFactors(model) !== null) return 'cosine';
  throw new LrmlError('BAD_OPTION', `similar items are not supported for ${model.kind} models`);
}

function itemFactors(model: Recommender): { Q: Float32Array; dim: number } | null {
  const t = model.tensors().Q;
  if (t === undefined || !(t.data instanceof Float32Array) || t.shape.length !== 2 || t.shape[0] !== model.numItems) return null;
  return { Q: t.data, dim: t.shape[1] };
}

/**
 * Similarity of every item to item index `i` into `out` (higher = more similar), by the measure
 * of {@link similarityMeasure}.
 */
export function similarityScores(model: Recommender, i: number, out: Float32Array): SimilarityMeasure {
  const measure = similarityMeasure(model);
  const n = model.numItems;
  if (measure === 'euclidean') {
    const tm = model as TripletModel;
    const d = tm.options.dim;
    const Q = tm.params.Q;
    const s = lookupScales(tm);
    const si = s === null ? 1 : s[i];
    for (let j = 0; j < n; j++) {
      const sj = s === null ? 1 : s[j];
      let acc = 0;
      for (let c = 0; c < d; c++) {
        const e = Q[i * d + c] * si - Q[j * d + c] * sj;
        acc += e * e;
      }
      out[j] = -Math.sqrt(acc);
    }
  } else if (measure === 'popularity') {
    model.scoreAll(0, out);
  } else if (measure === 'ease-weight') {
    const B = easeWeights(model) as Float32Array;
    out.set(B.subarray(i * n, (i + 1) * n));
  } else {
    const { Q, dim } = itemFactors(model) as { Q: Float32Array; dim: number };
    let ni = 0;
    for (let c = 0; c < dim; c++) ni += Q[i * dim + c] * Q[i * dim + c];
    ni = Math.sqrt(ni);
    for (let j = 0; j < n; j++) {
      let dot = 0;
      let nj = 0;
      for (let c = 0; c < dim; c++) {
        dot += Q[i * dim + c] * Q[j * dim + c];
        nj += Q[j * dim + c] * Q[j * dim + c];
      }
      const den = ni * Math.sqrt(nj);
      out[j] = den > 0 ? dot / den : 0;
    }
  }
  return measure;
}

/**
 * The k items most similar to an item (external id); the measure depends on the model kind (see
 * {@link SimilarityMeasure}). Throws UNKNOWN_ITEM for an id the model does not know.
 *
 * @example
 * ```ts
 * const m = await loadModel('movies.lrml');
 * const s = similarItems(m, '260', { k: 5 });
 * console.log(s.measure, s.items.map((x) => x.item));
 * ```
 */
export function similarItems(m: LoadedModel, itemId: string, options: SimilarOptions = {}): SimilarItems {
  const k = options.k ?? 10;
  positiveInt('k', k);
  if (k > MAX_K) throw new LrmlError('BAD_OPTION', `invalid k: ${k} (expected at most ${MAX_K})`);
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
