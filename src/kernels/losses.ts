// The loss options of the triplet kernels (docs/lrml-losses.md): allowed values and combinations,
// checked in one place for the model options (src/models/triplet.ts) and the kernel configuration
// (src/train/backends/common.ts); and the allowed values of the attention options. Imports nothing from the project (a kernel module): callers
// turn a problem into their LrmlError.

import { ATTENTION_KINDS } from './pair.js';
import type { TripletKernelConfig, TripletLoss } from './types.js';

/**
 * The losses, in the order the docs and CLI list them.
 *
 * @example
 * ```ts
 * TRIPLET_LOSSES.includes('softmax'); // true
 * ```
 */
export const TRIPLET_LOSSES: readonly TripletLoss[] = ['hinge', 'softplus', 'softmax'];

/**
 * What is wrong with an option: its name, the value given and what is expected instead.
 *
 * @example
 * ```ts
 * const p: OptionProblem = { option: 'temperature', value: 0, expected: 'a number > 0 and ≤ 1e6' };
 * ```
 */
export interface OptionProblem {
  option: string;
  value: unknown;
  expected: string;
}

/**
 * The first problem with `loss`, `temperature` and `rankWeighting` (undefined = hinge, 1, false)
 * and their combinations with each other and with `negativeMode`, or null when they are fine:
 * `softmax` needs negativeMode `sum` (its normaliser already spans every negative), and
 * `rankWeighting` needs the `hinge` loss (the weight counts margin violators).
 *
 * @example
 * ```ts
 * lossOptionProblem({ loss: 'softmax', negativeMode: 'hardest' });
 * // { option: 'negativeMode', value: 'hardest', expected: '"sum" with loss "softmax" (…)' }
 * ```
 */
export function lossOptionProblem(o: Partial<Pick<TripletKernelConfig, 'loss' | 'temperature' | 'rankWeighting' | 'negativeMode'>>): OptionProblem | null {
  const loss = o.loss ?? 'hinge';
  if (!TRIPLET_LOSSES.includes(loss)) return { option: 'loss', value: loss, expected: `one of ${TRIPLET_LOSSES.join(', ')}` };
  const tau = o.temperature ?? 1;
  if (typeof tau !== 'number' || !Number.isFinite(tau) || tau <= 0 || tau > 1e6) {
    return { option: 'temperature', value: tau, expected: 'a number > 0 and ≤ 1e6' };
  }
  const rw = o.rankWeighting ?? false;
  if (typeof rw !== 'boolean') return { option: 'rankWeighting', value: rw, expected: 'true or false' };
  if (loss === 'softmax' && o.negativeMode === 'hardest') {
    return { option: 'negativeMode', value: 'hardest', expected: '"sum" with loss "softmax" (the softmax already normalises over the positive and all its negatives)' };
  }
  if (rw && loss !== 'hinge') {
    return { option: 'rankWeighting', value: true, expected: `false with loss "${loss}" (the rank weight counts margin violators: loss "hinge" only)` };
  }
  return null;
}

function positiveFinite(x: unknown): boolean {
  return typeof x === 'number' && Number.isFinite(x) && x > 0;
}

/**
 * The first problem with the values of `attention`, `attentionScale`, `attentionTemperature`,
 * `embeddingLearningRateScale` and `slotDiversity` (undefined = their defaults), or null when they
 * are fine: one of {@link ATTENTION_KINDS}, σ and τₐ finite and > 0, the embedding rate scale and
 * the slot-diversity λ finite and ≥ 0.
 *
 * @example
 * ```ts
 * attentionOptionProblem({ attentionScale: 0 });
 * // { option: 'attentionScale', value: 0, expected: 'a finite number > 0' }
 * ```
 */
export function attentionOptionProblem(
  o: Partial<Pick<TripletKernelConfig, 'attention' | 'attentionScale' | 'attentionTemperature' | 'embeddingLearningRateScale' | 'slotDiversity'>>,
): OptionProblem | null {
  if (o.attention !== undefined && !ATTENTION_KINDS.includes(o.attention)) {
    return { option: 'attention', value: o.attention, expected: `one of ${ATTENTION_KINDS.join(', ')}` };
  }
  if (o.attentionScale !== undefined && !positiveFinite(o.attentionScale)) {
    return { option: 'attentionScale', value: o.attentionScale, expected: 'a finite number > 0' };
  }
  if (o.attentionTemperature !== undefined && !positiveFinite(o.attentionTemperature)) {
    return { option: 'attentionTemperature', value: o.attentionTemperature, expected: 'a finite number > 0' };
  }
  const e = o.embeddingLearningRateScale;
  if (e !== undefined && !(typeof e === 'number' && Number.isFinite(e) && e >= 0)) {
    return { option: 'embeddingLearningRateScale', value: e, expected: 'a finite number ≥ 0' };
  }
  const sd = o.slotDiversity;
  if (sd !== undefined && !(typeof sd === 'number' && Number.isFinite(sd) && sd >= 0)) {
    return { option: 'slotDiversity', value: sd, expected: 'a finite number ≥ 0' };
  }
  return null;
}
