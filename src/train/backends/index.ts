// Choice of the LRML / CML training kernel: WASM SIMD or TypeScript, one thread or Hogwild
// worker threads. The worker-thread backend (Node-only) is loaded with a dynamic import, only
// when threads > 1, so the single-thread paths run in browsers.

import { LrmlError, badOption } from '../../errors.js';
import type { TripletKernel, TripletKernelConfig, TripletParams } from '../../kernels/types.js';
import { checkKernelConfig, type KernelOptimizerState } from './common.js';
import { TsTripletKernel } from './ts.js';
import { WasmTripletKernel } from './wasm.js';

export { TsTripletKernel } from './ts.js';
export { WasmTripletKernel } from './wasm.js';
export type { KernelOptimizerState } from './common.js';

/** The Node-only Hogwild module, imported on demand. */
const HOGWILD_MODULE = './hogwild.js';

/**
 * How to train: `backend` `wasm` (SIMD; throws when unavailable), `ts`, or `auto` (WASM, else
 * TS); `threads` ≥ 1.
 *
 * @example
 * ```ts
 * const opts: TripletKernelOptions = { backend: 'auto', threads: 2 };
 * ```
 */
export interface TripletKernelOptions {
  backend?: 'wasm' | 'ts' | 'auto';
  /**
   * Worker threads. 1 (default): this thread, bit-for-bit deterministic. > 1: Hogwild — each
   * worker trains on its share of every epoch's batches (batch b goes to worker b mod threads),
   * reading and writing the shared parameters and optimiser state without locks, so results
   * vary from run to run. Needs the WASM backend and Node worker_threads.
   */
  threads?: number;
}

/**
 * A {@link TripletKernel} that says which backend it runs.
 *
 * @example
 * ```ts
 * const kernel = await createTripletKernel(cfg, params);
 * if (kernel.backend === 'ts') console.warn('WebAssembly unavailable: training is slower');
 * ```
 */
export interface TripletKernelWithBackend extends TripletKernel {
  readonly backend: 'wasm' | 'ts';
  /** The optimiser state, between epochs (Hogwild: with every worker's step count). */
  saveState?(): KernelOptimizerState;
  /** Puts a state saved by {@link saveState} and its parameters back. */
  loadState?(s: KernelOptimizerState, params: TripletParams): void | Promise<void>;
}

/**
 * Creates a training kernel for an LRML / CML model over its own copy of `params` (call
 * `read(out)` to get the trained values back, `dispose()` when done).
 *
 * - `ts`: the TypeScript kernel (src/kernels/lrml-impl.ts), one thread.
 * - `wasm`: the AssemblyScript SIMD kernel; throws INTERNAL when WebAssembly SIMD or shared
 *   memory is unavailable (browsers need cross-origin isolation), TOO_LARGE beyond 4 GiB.
 * - `auto` (default): `wasm` when it can be created, else `ts` (then with one thread).
 *
 * @example
 * ```ts
 * const kernel = await createTripletKernel(cfg, params, { backend: 'auto', threads: 1 });
 * try {
 *   const loss = await kernel.runEpoch(users, pos, neg, n, 1024, (p) => console.log(p.done));
 *   kernel.read(params);
 * } finally {
 *   await kernel.dispose();
 * }
 * ```
 */
export async function createTripletKernel(
  cfg: TripletKernelConfig, params: TripletParams, opts: TripletKernelOptions = {},
): Promise<TripletKernelWithBackend> {
  checkKernelConfig(cfg, params);
  const backend = opts.backend ?? 'auto';
  if (backend !== 'auto' && backend !== 'wasm' && backend !== 'ts') throw badOption('backend', backend, 'one of auto, wasm, ts');
  const threads = opts.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw badOption('threads', threads, 'an integer in [1, 256]');
  if (backend === 'ts') {
    if (threads > 1) throw badOption('threads', threads, '1 with the ts backend (worker threads need the wasm backend)');
    return new TsTripletKernel(cfg, params);
  }
  if (threads > 1) {
    let hogwild: typeof import('./hogwild.js');
    try {
      // a non-literal specifier: browser bundlers leave this Node-only module (worker_threads) out
      const specifier = HOGWILD_MODULE;
      hogwild = (await import(specifier)) as typeof import('./hogwild.js');
    } catch (e) {
      if (backend === 'wasm') throw new LrmlError('INTERNAL', `worker threads unavailable: ${(e as Error).message}`);
      return fallback(cfg, params);
    }
    return hogwild.createHogwildKernel(cfg, params, threads, backend === 'auto');
  }
  try {
    return WasmTripletKernel.create(cfg, params);
  } catch (e) {
    if (e instanceof LrmlError && e.code !== 'INTERNAL' && backend === 'wasm') throw e;
    if (backend === 'wasm') throw new LrmlError('INTERNAL', `WebAssembly training kernel unavailable: ${(e as Error).message}`);
    return new TsTripletKernel(cfg, params);
  }
}

/** The single-thread kernel `auto` falls back to. */
function fallback(cfg: TripletKernelConfig, params: TripletParams): TripletKernelWithBackend {
  try {
    return WasmTripletKernel.create(cfg, params);
  } catch {
    return new TsTripletKernel(cfg, params);
  }
}
