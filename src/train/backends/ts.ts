// The TypeScript training kernel behind the TripletKernel interface (single thread, deterministic).

import { LrmlTsStep } from '../../kernels/lrml-impl.js';
import type { TripletKernelConfig, TripletParams } from '../../kernels/types.js';
import { SingleThreadKernel, copyParams, type KernelOptimizerState } from './common.js';

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
export class TsTripletKernel extends SingleThreadKernel {
  readonly backend = 'ts' as const;
  private readonly own: TripletParams;
  private readonly impl: LrmlTsStep;

  constructor(cfg: TripletKernelConfig, params: TripletParams) {
    super(cfg);
    this.own = copyParams(params);
    this.impl = new LrmlTsStep(cfg, this.own);
  }

  protected begin(users: Int32Array, pos: Int32Array, neg: Int32Array): (offset: number, count: number) => number {
    const impl = this.impl;
    return (off, cnt) => impl.step(users, pos, neg, off, cnt);
  }

  protected applyLearningRate(learningRate: number): void {
    this.impl.learningRate = learningRate;
  }

  protected exportOptimizer(): KernelOptimizerState {
    return { steps: this.impl.t, state1: copyParams(this.impl.state1), state2: copyParams(this.impl.state2) };
  }

  protected importOptimizer(s: KernelOptimizerState, params: TripletParams): void {
    this.impl.t = s.steps;
    for (const name of ['P', 'Q', 'K', 'M'] as const) {
      this.impl.state1[name].set(s.state1[name]);
      this.impl.state2[name].set(s.state2[name]);
      this.own[name].set(params[name]);
    }
  }

  protected copyOut(out: TripletParams): void {
    out.P.set(this.own.P);
    out.Q.set(this.own.Q);
    out.K.set(this.own.K);
    out.M.set(this.own.M);
  }
}
