// Checks the CLI makes before long work: the memory a training will need against what this
// machine has, and --epochs ≥ 1.
import { totalmem } from 'node:os';
import { LrmlError } from '../errors.js';
import { estimateTrainingMemory, formatBytes, type TrainingShape } from '../train/memory.js';

/** Share of the machine's memory a training may plan to use unless --max-memory says otherwise. */
export const DEFAULT_MEMORY_SHARE = 0.8;

/** Model option → the flag that sets it, for messages. */
const FLAG_OF: Record<string, string> = { dim: '--dim', numMemories: '--memories', negatives: '--negatives' };

/**
 * Refuses (BAD_OPTION) a training whose estimated memory exceeds `maxMemory` bytes (default:
 * 80% of this machine's memory), naming the option that drives the size and the estimate.
 *
 * @example
 * ```ts
 * checkTrainingMemory('lrml', { numUsers: 610, numItems: 9724, nnz: 100836 }, { dim: 1e9, numMemories: 20 });
 * // throws: --dim 1000000000: training lrml on 610 users × 9724 items needs about 191 TiB …
 * ```
 */
export function checkTrainingMemory(kind: string, shape: TrainingShape, options: Record<string, unknown>, maxMemory?: number): void {
  const est = estimateTrainingMemory(kind, shape, options);
  if (est === null) return;
  const total = totalmem();
  const limit = maxMemory ?? Math.floor(total * DEFAULT_MEMORY_SHARE);
  if (est.bytes <= limit) return;
  const what = est.option === null ? 'the data' : `${FLAG_OF[est.option] ?? est.option} ${String(options[est.option])}`;
  const limitText = maxMemory === undefined
    ? `${formatBytes(limit)} (${Math.round(DEFAULT_MEMORY_SHARE * 100)}% of this machine's ${formatBytes(total)}; --max-memory to change)`
    : `${formatBytes(limit)} (--max-memory)`;
  throw new LrmlError(
    'BAD_OPTION',
    `${what}: training ${kind} on ${shape.numUsers} users × ${shape.numItems} items needs about ${formatBytes(est.bytes)} of memory, more than the limit of ${limitText}`,
    undefined,
    { name: est.option === null ? '--max-memory' : (FLAG_OF[est.option] ?? est.option), value: est.option === null ? maxMemory : options[est.option], expected: `a size that fits in ${formatBytes(limit)}` },
  );
}

/**
 * Refuses `--epochs 0` (BAD_OPTION): it would save an untrained model. Options without an
 * `epochs` (EASE, popularity) pass.
 *
 * @example
 * ```ts
 * checkEpochs({ epochs: 0 }); // throws: --epochs: 0 (expected an integer ≥ 1; 0 would save an untrained model)
 * ```
 */
export function checkEpochs(options: Record<string, unknown>): void {
  const e = options.epochs;
  if (e === undefined) return;
  if (!Number.isInteger(e) || (e as number) < 1) {
    const expected = 'an integer ≥ 1; 0 would save an untrained model';
    throw new LrmlError('BAD_OPTION', `--epochs: ${JSON.stringify(e)} (expected ${expected})`, undefined, { name: '--epochs', value: e, expected });
  }
}
