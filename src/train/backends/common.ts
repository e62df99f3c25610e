// Checks shared by every training-kernel backend: the configuration, the parameter shapes and
// the arrays of an epoch. No Node-only imports (runs in browsers).

import { LrmlError, badOption, numberIn, oneOf, positiveInt } from '../../errors.js';
import { attentionOptionProblem, lossOptionProblem } from '../../kernels/losses.js';
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
  const attentionProblem = attentionOptionProblem(cfg);
  if (attentionProblem !== null) throw badOption(attentionProblem.option, attentionProblem.value, attentionProblem.expected);
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
 * A training kernel's optimiser state besides the parameters (training checkpoints): the
 * optimiser steps taken (Adam's bias correction) and the per-parameter state — Adam m / Adagrad
 * h (`state1`), Adam v (`state2`); arrays of length 0 where the optimiser keeps none.
 *
 * @example
 * ```ts
 * const s: KernelOptimizerState = kernel.saveState();
 * other.loadState(s); // `other`: a fresh kernel of the same config, parameters written alike
 * ```
 */
export interface KernelOptimizerState {
  steps: number;
  /** Hogwild: each worker's own step count (`steps` is worker 0's); absent for one thread. */
  workerSteps?: number[];
  state1: TripletParams;
  state2: TripletParams;
}

/**
 * The shapes a kernel's optimiser state has: state1 for Adam and Adagrad, state2 for Adam.
 *
 * @example
 * ```ts
 * const empty = optimizerStateShapes(cfg); // zero-filled arrays
 * ```
 */
export function optimizerStateShapes(cfg: TripletKernelConfig): { state1: TripletParams; state2: TripletParams } {
  const { numUsers, numItems, dim, numMemories } = cfg;
  const zeros = (on: boolean): TripletParams => ({
    P: new Float32Array(on ? numUsers * dim : 0), Q: new Float32Array(on ? numItems * dim : 0),
    K: new Float32Array(on ? numMemories * dim : 0), M: new Float32Array(on ? numMemories * dim : 0),
  });
  return { state1: zeros(cfg.optimizer !== 'sgd'), state2: zeros(cfg.optimizer === 'adam') };
}

/**
 * BAD_OPTION unless `s` has the shapes of this configuration's optimiser state.
 *
 * @example
 * ```ts
 * checkOptimizerState(cfg, saved);
 * ```
 */
export function checkOptimizerState(cfg: TripletKernelConfig, s: KernelOptimizerState): void {
  if (!Number.isSafeInteger(s.steps) || s.steps < 0) throw badOption('steps', s.steps, 'an integer ≥ 0');
  const want = optimizerStateShapes(cfg);
  for (const set of ['state1', 'state2'] as const) {
    for (const name of ['P', 'Q', 'K', 'M'] as const) {
      const a = s[set][name];
      if (!(a instanceof Float32Array) || a.length !== want[set][name].length) {
        throw new LrmlError('BAD_OPTION', `optimiser state ${set}.${name} must be a Float32Array of ${want[set][name].length} values (optimizer ${cfg.optimizer}); got ${a instanceof Float32Array ? a.length : typeof a}`);
      }
    }
  }
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

  /** The optimiser state (copies). */
  protected abstract exportOptimizer(): KernelOptimizerState;

  /** Replaces the optimiser state and the parameters (shapes already checked). */
  protected abstract importOptimizer(s: KernelOptimizerState, params: TripletParams): void;

  /**
   * The optimiser state (steps, Adam moments / Adagrad sums) as copies: with the parameters
   * (`read`), all a single-thread kernel needs to continue bit for bit ({@link loadState}).
   */
  saveState(): KernelOptimizerState {
    checkAlive(this.disposed);
    return this.exportOptimizer();
  }

  /**
   * Puts a saved state and its parameters into this kernel (created with the same config):
   * the following epochs run as they would have in the kernel the state was saved from.
   */
  loadState(s: KernelOptimizerState, params: TripletParams): void {
    checkAlive(this.disposed);
    checkOptimizerState(this.cfg, s);
    checkReadTarget(this.cfg, params);
    this.importOptimizer(s, params);
  }

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
