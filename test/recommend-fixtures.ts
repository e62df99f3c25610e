// Small models for the product-API tests (recommend-*, serve-*, browser): trained on the planted
// dataset through the library, or built directly with planted parameters (no training).
import { IdMap } from '../src/data/idmap.js';
import type { LoadedModel } from '../src/io/format.js';
import { CML_DEFAULTS, LRML_DEFAULTS, TripletModel, type TripletOptions } from '../src/models/triplet.js';
import type { Recommender } from '../src/models/types.js';
import { Rng } from '../src/rng.js';
import { getFamily, modelKinds } from '../src/train/families.js';
import { plantedDataset, type Planted } from './helpers.js';

/** Small, fast recipes per family for the planted data. */
export const RECIPES: Record<string, Record<string, unknown>> = {
  lrml: { dim: 16, numMemories: 4, epochs: 30, learningRate: 0.01, batchSize: 128, seed: 3 },
  cml: { dim: 16, epochs: 30, learningRate: 0.01, batchSize: 128, seed: 3 },
  bpr: { dim: 16, epochs: 30, learningRate: 0.01, batchSize: 128, l2: 1e-4, initScale: 0.1, seed: 3 },
  pop: {},
  ease: { lambda: 10 },
  ials: { dim: 16, epochs: 8, seed: 3 },
};

/** External ids of the planted data: users "u0".., items "i0"... */
export function wrap(model: Recommender, data: Planted | null, meta: Record<string, unknown> = {}): LoadedModel {
  return {
    model,
    users: IdMap.fromIds(Array.from({ length: model.numUsers }, (_, u) => `u${u}`)),
    items: IdMap.fromIds(Array.from({ length: model.numItems }, (_, i) => `i${i}`)),
    meta,
    seen: data === null ? null : data.train,
  };
}

/** The planted dataset the fixtures use. */
export const planted = plantedDataset(7);

/** Whether a model family is available here (others are being added in parallel). */
export function hasKind(kind: string): boolean {
  return modelKinds().includes(kind);
}

const cache = new Map<string, Promise<LoadedModel>>();

/** A model of `kind` trained on the planted data with its small recipe (cached per kind). */
export function trainedModel(kind: string): Promise<LoadedModel> {
  let p = cache.get(kind);
  if (p === undefined) {
    p = getFamily(kind).fit(planted.train, RECIPES[kind] ?? {}).then((model) => wrap(model, planted, { trainedOn: 'planted', kind }));
    cache.set(kind, p);
  }
  return p;
}

/**
 * An LRML / CML model with planted parameters (no training): users and items of cluster c sit near
 * a common centre, memories random. Item i belongs to cluster ⌊i / (numItems / clusters)⌋, user u
 * to cluster u mod clusters, like the planted dataset.
 */
export function syntheticTriplet(kind: 'lrml' | 'cml', options: Partial<TripletOptions> = {}, numUsers = 60, numItems = 48, clusters = 4, seed = 5): TripletModel {
  const o: TripletOptions = { ...(kind === 'lrml' ? LRML_DEFAULTS : CML_DEFAULTS), dim: 8, numMemories: kind === 'lrml' ? 5 : 0, ...options };
  const rng = new Rng(seed);
  const d = o.dim;
  const centres = Array.from({ length: clusters }, () => Array.from({ length: d }, () => rng.normal() * 0.35));
  const block = numItems / clusters;
  const P = new Float32Array(numUsers * d);
  const Q = new Float32Array(numItems * d);
  for (let u = 0; u < numUsers; u++) for (let j = 0; j < d; j++) P[u * d + j] = centres[u % clusters][j] + rng.normal() * 0.08;
  for (let i = 0; i < numItems; i++) for (let j = 0; j < d; j++) Q[i * d + j] = centres[Math.floor(i / block)][j] + rng.normal() * 0.08;
  const n = o.numMemories;
  const K = Float32Array.from({ length: n * d }, () => rng.normal() * 2);
  const M = Float32Array.from({ length: n * d }, () => rng.normal() * 0.1);
  return new TripletModel(kind, numUsers, numItems, o, { P, Q, K, M });
}
