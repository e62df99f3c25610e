// The one registry of model families: kind → everything about the family (fit, load from
// tensors, CLI flags and presets). Browser-safe: model files load through it without any training
// code; the families trained in src/train get their `fit` through src/models/trainer.ts.

import { LrmlError } from '../errors.js';
import { bprFamily } from './bpr.js';
import { easeFamily } from './ease.js';
import { hlrFamily } from './hlr.js';
import { ialsFamily } from './ials.js';
import { popularityFamily } from './popularity.js';
import { cmlFamily, lrmlFamily } from './triplet.js';
import type { ModelFamily, Recommender, Tensor } from './types.js';

/**
 * A family of any options and model type (what the registry holds).
 *
 * @example
 * ```ts
 * const all: AnyFamily[] = modelKinds().map((k) => getFamily(k));
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFamily = ModelFamily<any, Recommender>;

/**
 * The built-in families, one entry each by kind (the order of `modelKinds()` and of --help). The
 * types {@link BuiltInFamilies} and {@link BuiltInKind} derive from it: adding a family here is
 * the only edit the registry needs.
 */
const BUILT_IN = {
  lrml: lrmlFamily,
  cml: cmlFamily,
  bpr: bprFamily,
  pop: popularityFamily,
  ease: easeFamily,
  ials: ialsFamily,
  hlr: hlrFamily,
} as const;

/**
 * The built-in families by kind: the type `getFamily(kind)` returns for a built-in kind.
 *
 * @example
 * ```ts
 * const f: BuiltInFamilies['lrml'] = getFamily('lrml'); // ModelFamily<TripletOptions, TripletModel>
 * ```
 */
export type BuiltInFamilies = typeof BUILT_IN;

/**
 * The kinds of the built-in families.
 *
 * @example
 * ```ts
 * const k: BuiltInKind = 'lrml';
 * ```
 */
export type BuiltInKind = keyof BuiltInFamilies;

const BUILT_IN_LIST: readonly AnyFamily[] = Object.values(BUILT_IN);

const FAMILIES = new Map<string, AnyFamily>(BUILT_IN_LIST.map((f) => [f.kind, f]));

/**
 * Names of the registered model families (built-in first, then plug-ins in registration order).
 *
 * @example
 * ```ts
 * modelKinds(); // ['lrml', 'cml', 'bpr', 'pop', 'ease', 'ials', 'hlr']
 * ```
 */
export function modelKinds(): string[] {
  return [...FAMILIES.keys()];
}

/**
 * The family of `kind` (typed for the built-in kinds), or BAD_OPTION listing the known kinds.
 *
 * @example
 * ```ts
 * const lrml = getFamily('lrml');
 * const model = await lrml.fit(csr, { epochs: 5 }); // TripletModel
 * ```
 */
export function getFamily<K extends keyof BuiltInFamilies>(kind: K): BuiltInFamilies[K];
export function getFamily(kind: string): AnyFamily;
export function getFamily(kind: string): AnyFamily {
  const f = FAMILIES.get(kind);
  if (f === undefined) throw new LrmlError('BAD_OPTION', `unknown model "${kind}" (known: ${modelKinds().join(', ')})`);
  return f;
}

/**
 * Registers a family (e.g. from a plug-in); replaces one of the same kind. One call makes the
 * family trainable (`getFamily(kind).fit`, `lrml train` when registered before the CLI parses),
 * savable and loadable from model files. BAD_OPTION when the descriptor lacks a part.
 *
 * @example
 * ```ts
 * registerFamily({ kind: 'mean', description: 'item means', defaults: {}, resolveOptions: (o) => ({ ...o }), fit, fromTensors });
 * ```
 */
export function registerFamily(family: AnyFamily): void {
  if (family === null || typeof family !== 'object' || typeof family.kind !== 'string' || family.kind.trim() === '') {
    throw new LrmlError('BAD_OPTION', `registerFamily: a family needs a kind, a name such as "itemknn" (got ${JSON.stringify(family?.kind)})`);
  }
  for (const part of ['fit', 'fromTensors', 'resolveOptions'] as const) {
    if (typeof family[part] !== 'function') throw new LrmlError('BAD_OPTION', `registerFamily: family "${family.kind}" has no ${part}() function`);
  }
  if (typeof family.defaults !== 'object' || family.defaults === null) throw new LrmlError('BAD_OPTION', `registerFamily: family "${family.kind}" has no defaults object`);
  FAMILIES.set(family.kind, family);
}

/**
 * Whether the family registered for `kind` is the built-in one (so it exists in every thread and
 * in the browser build, without a plug-in registering it).
 *
 * @example
 * ```ts
 * isBuiltInFamily('lrml'); // true
 * ```
 */
export function isBuiltInFamily(kind: string): boolean {
  const f = FAMILIES.get(kind);
  return f !== undefined && BUILT_IN_LIST.includes(f);
}

/**
 * Recreates a trained model of one kind from its config and tensors.
 *
 * @example
 * ```ts
 * const load: ModelLoader = modelLoader('lrml');
 * ```
 */
export type ModelLoader = (config: Record<string, unknown>, tensors: Record<string, Tensor>) => Recommender;

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
  const f = FAMILIES.get(kind);
  if (f === undefined) throw new LrmlError('BAD_MODEL_FILE', `unknown model kind ${JSON.stringify(kind)} (known: ${modelKinds().join(', ')})`);
  return (config, tensors) => f.fromTensors(config, tensors);
}
