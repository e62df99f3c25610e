// Checks shared by every training-kernel backend: the configuration, the parameter shapes and
// the arrays of an epoch. No Node-only imports (runs in browsers).

import { LrmlError, badOption, numberIn, oneOf, positiveInt } from '../../errors.js';
import { lossOptionProblem } from '../../kernels/losses.js';
import type { EpochProgress, TripletKernel, TripletKernelConfig, TripletParams } from '../../kernels/types.js';
import { runBatches } from '../batches.js';

/**
 * Validates a kernel configuration and the parameter shapes it implies; throws BAD_OPTION
 * naming the first bad field.
 *
 * @example
 * ```ts
 * checkKernelConfig(cfg, params); // throws LrmlError('BAD_OPTION', …) on a bad field
 * ```
 */
export function checkKernelConfig(cfg: TripletKernelConfig, params: TripletParams): void {
  positiveInt('numUsers', cfg.numUsers);
  positiveInt('numItems', cfg.numItems);
  positiveInt('dim', cfg.dim);
  if (!Number.isInteger(cfg.numMemories) || cfg.numMemories < 0) throw badOption('numMemories', cfg.numMemories, 'an integer ≥ 0');
  oneOf('negativeRelation', cfg.negativeRelation, ['own', 'copy'] as const);
  oneOf('distance', cfg.distance, ['l2', 'l2sq', 'l1'] as const);
  oneOf('clip', cfg.clip, ['rows', 'lookup', 'none'] as const);
  if (typeof cfg.clipMemory !== 'boolean') throw badOption('clipMemory', cfg.clipMemory, 'true or false');
  numberIn('margin', cfg.margin, 0, 1e6);
  numberIn('l2', cfg.l2, 0, 1e6);
  positiveInt('negatives', cfg.negatives);
  oneOf('negativeMode', cfg.negativeMode, ['sum', 'hardest'] as const);
  const problem = lossOptionProblem(cfg);
  if (problem !== null) throw badOption(problem.option, problem.value, problem.expected);
  oneOf('optimizer', cfg.optimizer, ['adam', 'adagrad', 'sgd'] as const);
  checkLearningRate(cfg.learningRate);
  numberIn('beta1', cfg.beta1, 0, 0.999999);
  numberIn('beta2', cfg.beta2, 0, 0.9999999);
  numberIn('epsilon', cfg.epsilon, 1e-30, 1);
  const d = cfg.dim;
  const want: Record<keyof TripletParams, number> = {
    P: cfg.numUsers * d, Q: cfg.numItems * d, K: cfg.numMemories * d, M: cfg.numMemories * d,
  };
  for (const name of ['P', 'Q', 'K', 'M'] as const) {
    const a = params[name];
    if (!(a instanceof Float32Array) || a.length !== want[name]) {
      throw new LrmlError('BAD_OPTION', `parameter ${name} must be a Float32Array of ${want[name]} values (numUsers=${cfg.numUsers}, numItems=${cfg.numItems}, dim=${d}, numMemories=${cfg.numMemories}); got ${a instanceof Float32Array ? a.length : typeof a}`);
    }
  }
}

/**
 * Validates the arrays of one epoch: `count` examples, `negatives` per example, every index in
 * range, `batchSize` a positive integer. Throws BAD_VALUE (indices, lengths) or BAD_OPTION.
 *
 * @example
 * ```ts
 * checkEpochInput(cfg, users, pos, neg, count, 1024);
 * ```
 */
export function checkEpochInput(cfg: TripletKernelConfig, users: Int32Array, pos: Int32Array, neg: Int32Array, count: number, batchSize: number): void {
  positiveInt('batchSize', batchSize);
  if (!Number.isInteger(count) || count < 0) throw badOption('count', count, 'an integer ≥ 0');
  const k = cfg.negatives;
  if (users.length < count || pos.length < count || neg.length < count * k) {
    throw new LrmlError('BAD_VALUE', `epoch arrays too short for ${count} examples: users ${users.length}, positives ${pos.length}, negatives ${neg.length} (need ${count * k} = count × negatives)`);
  }
  const nu = cfg.numUsers;
  const ni = cfg.numItems;
  for (let t = 0; t < count; t++) {
    const u = users[t];
    const i = pos[t];
    if (!(u >= 0 && u < nu)) throw new LrmlError('BAD_VALUE', `user index ${u} at position ${t} out of range [0, ${nu})`);
    if (!(i >= 0 && i < ni)) throw new LrmlError('BAD_VALUE', `item index ${i} at position ${t} out of range [0, ${ni})`);
  }
  for (let t = 0; t < count * k; t++) {
    const j = neg[t];
    if (!(j >= 0 && j < ni)) throw new LrmlError('BAD_VALUE', `negative item index ${j} at position ${t} out of range [0, ${ni})`);
  }
}

/**
 * Validates the target of `read(out)`: same shapes as the kernel's parameters.
 *
 * @example
 * ```ts
 * checkReadTarget(cfg, out);
 * ```
 */
export function checkReadTarget(cfg: TripletKernelConfig, out: TripletParams): void {
  const d = cfg.dim;
  if (out.P.length !== cfg.numUsers * d || out.Q.length !== cfg.numItems * d || out.K.length !== cfg.numMemories * d || out.M.length !== cfg.numMemories * d) {
    throw new LrmlError('BAD_OPTION', `read(out): arrays must have the kernel's shapes (P ${cfg.numUsers}×${d}, Q ${cfg.numItems}×${d}, K and M ${cfg.numMemories}×${d})`);
  }
}

/**
 * Throws BAD_OPTION unless a learning rate given to setLearningRate is in (0, 1e6].
 *
 * @example
 * ```ts
 * checkLearningRate(0.001);
 * ```
 */
export function checkLearningRate(learningRate: number): void {
  numberIn('learningRate', learningRate, 1e-12, 1e6);
}

/**
 * Throws INTERNAL after dispose().
 *
 * @example
 * ```ts
 * checkAlive(this.disposed);
 * ```
 */
export function checkAlive(disposed: boolean): void {
  if (disposed) throw new LrmlError('INTERNAL', 'training kernel used after dispose()');
}

/**
 * Runs one epoch at a time: throws INTERNAL if `busy` says another epoch is still running
 * (its staged arrays and optimiser state would be mixed up), else marks busy while `run` runs.
 *
 * @example
 * ```ts
 * return exclusive(this.busy, () => runBatches(...));
 * ```
 */
export async function exclusive<T>(busy: { running: boolean }, run: () => Promise<T>): Promise<T> {
  if (busy.running) throw new LrmlError('INTERNAL', 'runEpoch called while another epoch of the same kernel is running');
  busy.running = true;
  try {
    return await run();
  } finally {
    busy.running = false;
  }
}

/**
 * A copy of the parameters (the kernel works on its own).
 *
 * @example
 * ```ts
 * const own = copyParams(params);
 * ```
 */
export function copyParams(p: TripletParams): TripletParams {
  return { P: p.P.slice(), Q: p.Q.slice(), K: p.K.slice(), M: p.M.slice() };
}

/**
 * What the single-thread kernels share: checks, one epoch at a time, batches with progress,
 * yielding and cancellation (runBatches), read and dispose. A subclass says how an epoch's
 * batches are stepped and how parameters are copied out.
 *
 * @example
 * ```ts
 * class MyKernel extends SingleThreadKernel {
 *   readonly backend = 'ts' as const;
 *   protected begin(users, pos, neg) { return (off, cnt) => impl.step(users, pos, neg, off, cnt); }
 *   protected copyOut(out) { out.P.set(own.P); ... }
 * }
 * ```
 */
export abstract class SingleThreadKernel implements TripletKernel {
  readonly threads = 1;
  private disposed = false;
  private readonly busy = { running: false };

  constructor(readonly cfg: TripletKernelConfig) {}

  /** Prepares an epoch; returns the function that trains examples [offset, offset + count) as one step. */
  protected abstract begin(users: Int32Array, pos: Int32Array, neg: Int32Array, count: number): (offset: number, count: number) => number;

  /** Copies the current parameters into `out` (shapes already checked). */
  protected abstract copyOut(out: TripletParams): void;

  /** Makes the following steps use this learning rate (already checked). */
  protected abstract applyLearningRate(learningRate: number): void;

  setLearningRate(learningRate: number): void {
    checkAlive(this.disposed);
    checkLearningRate(learningRate);
    this.applyLearningRate(learningRate);
  }

  async runEpoch(
    users: Int32Array, pos: Int32Array, neg: Int32Array, count: number, batchSize: number,
    onProgress?: (p: EpochProgress) => void, signal?: AbortSignal,
  ): Promise<number> {
    checkAlive(this.disposed);
    checkEpochInput(this.cfg, users, pos, neg, count, batchSize);
    return exclusive(this.busy, () => runBatches(
      count, batchSize, this.begin(users, pos, neg, count),
      onProgress && ((done, loss) => onProgress({ done, loss })), signal,
    ));
  }

  read(out: TripletParams): void {
    checkAlive(this.disposed);
    checkReadTarget(this.cfg, out);
    this.copyOut(out);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}
