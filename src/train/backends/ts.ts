// The TypeScript training kernel behind the TripletKernel interface (single thread, deterministic).

import { LrmlTsStep } from '../../kernels/lrml_impl.js';
import type { EpochProgress, TripletKernel, TripletKernelConfig, TripletParams } from '../../kernels/types.js';
import { runBatches } from '../batches.js';
import { checkAlive, checkEpochInput, checkReadTarget, copyParams } from './common.js';

/**
 * LRML / CML training with the plain TypeScript kernel ({@link LrmlTsStep}) on a private copy of
 * the parameters. Use {@link createTripletKernel} rather than this class directly.
 *
 * @example
 * ```ts
 * const kernel = new TsTripletKernel(cfg, params);
 * const loss = await kernel.runEpoch(users, pos, neg, n, 1024);
 * kernel.read(params);
 * ```
 */
export class TsTripletKernel implements TripletKernel {
  readonly threads = 1;
  readonly backend = 'ts' as const;
  private readonly own: TripletParams;
  private readonly impl: LrmlTsStep;
  private disposed = false;

  constructor(readonly cfg: TripletKernelConfig, params: TripletParams) {
    this.own = copyParams(params);
    this.impl = new LrmlTsStep(cfg, this.own);
  }

  async runEpoch(
    users: Int32Array, pos: Int32Array, neg: Int32Array, count: number, batchSize: number,
    onProgress?: (p: EpochProgress) => void, signal?: AbortSignal,
  ): Promise<number> {
    checkAlive(this.disposed);
    checkEpochInput(this.cfg, users, pos, neg, count, batchSize);
    const impl = this.impl;
    return runBatches(
      count, batchSize, (off, cnt) => impl.step(users, pos, neg, off, cnt),
      onProgress && ((done, loss) => onProgress({ done, loss })), signal,
    );
  }

  read(out: TripletParams): void {
    checkAlive(this.disposed);
    checkReadTarget(this.cfg, out);
    out.P.set(this.own.P);
    out.Q.set(this.own.Q);
    out.K.set(this.own.K);
    out.M.set(this.own.M);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}
