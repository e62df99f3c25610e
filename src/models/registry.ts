import { LrmlError } from '../errors.js';
import { BprModel } from './bpr.js';
import { EaseModel } from './ease.js';
import { IalsModel } from './ials.js';
import { popularityFamily } from './popularity.js';
import { CML_DEFAULTS, LRML_DEFAULTS, TripletModel } from './triplet.js';
import type { Recommender, Tensor } from './types.js';

/** Recreates a trained model of one kind from its config and tensors. */
export type ModelLoader = (config: Record<string, unknown>, tensors: Record<string, Tensor>) => Recommender;

const LOADERS = new Map<string, ModelLoader>([
  ['lrml', (c, t) => TripletModel.fromTensors('lrml', c, t, LRML_DEFAULTS)],
  ['cml', (c, t) => TripletModel.fromTensors('cml', c, t, CML_DEFAULTS)],
  ['bpr', (c, t) => BprModel.fromTensors(c, t)],
  ['pop', (c, t) => popularityFamily.fromTensors(c, t)],
  ['ease', (c, t) => EaseModel.fromTensors(c, t)],
  ['ials', (c, t) => IalsModel.fromTensors(c, t)],
]);

/**
 * The loader of a model kind (used by model files; no training code involved, so it runs in
 * browsers). Throws BAD_MODEL_FILE for an unknown kind.
 *
 * @example
 * ```ts
 * const model = modelLoader('lrml')(config, tensors);
 * ```
 */
export function modelLoader(kind: string): ModelLoader {
  const l = LOADERS.get(kind);
  if (l === undefined) throw new LrmlError('BAD_MODEL_FILE', `unknown model kind ${JSON.stringify(kind)} (known: ${[...LOADERS.keys()].join(', ')})`);
  return l;
}

/** Registers the loader of another model kind. */
export function registerModelLoader(kind: string, loader: ModelLoader): void {
  LOADERS.set(kind, loader);
}
