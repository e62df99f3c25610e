import { LrmlError } from '../errors.js';
import type { LearningRateSchedule } from '../models/triplet.js';

/**
 * The learning rate of epoch `epoch` (1-based) of `epochs` under a schedule starting at
 * `learningRate`: `constant` lr; `linear` lr·(E − e + 1)/E; `cosine` lr·(1 + cos(π(e − 1)/E))/2.
 * Always > 0 (the last epoch of a decay still takes small steps).
 *
 * @example
 * ```ts
 * scheduledLearningRate('linear', 0.001, 1, 4); // 0.001
 * scheduledLearningRate('linear', 0.001, 4, 4); // 0.00025
 * ```
 */
export function scheduledLearningRate(schedule: LearningRateSchedule, learningRate: number, epoch: number, epochs: number): number {
  if (!Number.isInteger(epoch) || !Number.isInteger(epochs) || epoch < 1 || epoch > epochs) {
    throw new LrmlError('BAD_OPTION', `scheduledLearningRate: epoch must be an integer in 1..${epochs} (got ${epoch})`);
  }
  if (schedule === 'constant') return learningRate;
  if (schedule === 'linear') return (learningRate * (epochs - epoch + 1)) / epochs;
  return (learningRate * (1 + Math.cos((Math.PI * (epoch - 1)) / epochs))) / 2;
}
