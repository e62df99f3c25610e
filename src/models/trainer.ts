// The seam between a family's descriptor (here, browser-safe) and its training code (src/train):
// families trained by the shared epoch loop and training kernels are declared with
// `trainedFamily({ … })` (its `fit` calls `trainWith(kind, …)`), and the src/train module of that trainer provides the implementation
// when it is imported (`import 'lrml'` or src/train/families.ts does). The inference path
// (model files, recommend) never loads training code.

import { LrmlError } from '../errors.js';
import { optionFlags } from './flags.js';
import type { FamilyFlag, ModelFamily, Recommender, TrainHooks, TrainingData } from './types.js';

/**
 * A family's training function, resolved options in, trained model out.
 *
 * @example
 * ```ts
 * const fit: Trainer = (data, options, hooks) => fitBpr(data, options as BprOptions, hooks);
 * ```
 */
export type Trainer = (data: TrainingData, options: object, hooks: TrainHooks) => Promise<Recommender>;

const TRAINERS = new Map<string, Trainer>();

/**
 * Provides the training code of a family kind (called once by the src/train module that holds it).
 *
 * @example
 * ```ts
 * provideTrainer('bpr', (data, o, hooks) => fitBpr(data, o as BprOptions, hooks));
 * ```
 */
export function provideTrainer(kind: string, trainer: Trainer): void {
  TRAINERS.set(kind, trainer);
}

/**
 * Trains with the provided trainer of `kind`; throws BAD_OPTION when the training code is not
 * loaded (e.g. in the browser build, which only loads and uses models).
 *
 * @example
 * ```ts
 * fit: (data, options, hooks) => trainWith<BprModel>('bpr', data, resolveBprOptions(options), hooks),
 * ```
 */
export async function trainWith<M extends Recommender>(kind: string, data: TrainingData, options: object, hooks: TrainHooks = {}): Promise<M> {
  const t = TRAINERS.get(kind);
  if (t === undefined) {
    throw new LrmlError('BAD_OPTION', `training ${kind} needs lrml's training code, which is not loaded here (import 'lrml', not the browser build)`);
  }
  return (await t(data, options, hooks)) as M;
}

/**
 * A family whose `fit` is provided by a src/train module (`provideTrainer(kind, …)`): the
 * descriptor with `fit` = resolve the options, then {@link trainWith} (bad options reject the
 * promise); `flags` default to the
 * shared flags of the options in `defaults`.
 *
 * @example
 * ```ts
 * export const bprFamily = trainedFamily<BprOptions, BprModel>({
 *   kind: 'bpr', description: 'BPR-MF', defaults: BPR_DEFAULTS, resolveOptions: resolveBprOptions, fromTensors: BprModel.fromTensors,
 * });
 * ```
 */
export function trainedFamily<Options extends object, Model extends Recommender>(
  spec: Omit<ModelFamily<Options, Model>, 'fit' | 'flags'> & { flags?: readonly FamilyFlag[] },
): ModelFamily<Options, Model> {
  return {
    ...spec,
    fit: async (data, options, hooks) => trainWith<Model>(spec.kind, data, spec.resolveOptions(options), hooks),
    flags: spec.flags ?? optionFlags(Object.keys(spec.defaults)),
  };
}
