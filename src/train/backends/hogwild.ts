// Hogwild training (Recht et al. 2011) in Node worker_threads: every worker runs its own instance
// of the WASM kernel on ONE shared WebAssembly.Memory — shared parameters and optimiser state,
// private gradients, stamps and scratch — with no locks. Each worker takes the next batch of the
// epoch not yet taken (a shared counter), so a worker slowed by a busy core takes fewer. Updates
// race, so results are NOT deterministic (use threads = 1 for that); each worker counts its own
// optimiser steps for Adam's bias correction.
// Node-only: loaded by createTripletKernel with a dynamic import, only when threads > 1.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { LrmlError } from '../../errors.js';
import type { EpochProgress, TripletKernelConfig, TripletParams } from '../../kernels/types.js';
import { checkAlive, checkEpochInput, checkLearningRate, checkOptimizerState, checkReadTarget, optimizerStateShapes, type KernelOptimizerState } from './common.js';
import type { TripletKernelWithBackend } from './index.js';
import { TsTripletKernel } from './ts.js';
import { WasmTrainMemory, WasmTripletKernel, type TrainLayout } from './wasm.js';

/**
 * What a worker gets at start (structured-cloned; the module and the shared memory are shared).
 *
 * @example
 * ```ts
 * new Worker(url, { workerData: { module, memory, cfg, layout, index: 0, flags, progress } satisfies HogwildWorkerData });
 * ```
 */
export interface HogwildWorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  cfg: TripletKernelConfig;
  layout: TrainLayout;
  index: number;
  /** Int32 flags: [0] = 1 asks workers to stop after their current batch; [1] = the next batch of the epoch to take. */
  flags: SharedArrayBuffer;
  /** Float64 per worker: examples done, loss so far (this epoch). */
  progress: SharedArrayBuffer;
}

/**
 * Main → worker: train the epoch staged at these byte offsets, taking batches from the shared counter (flags[1]).
 *
 * @example
 * ```ts
 * worker.postMessage({ users, pos, neg, count, batchSize: 1024, threads: 2, learningRate: 0.001 } satisfies HogwildRun);
 * ```
 */
export interface HogwildRun {
  users: number;
  pos: number;
  neg: number;
  count: number;
  batchSize: number;
  threads: number;
  /** Learning rate of this epoch's steps. */
  learningRate: number;
}

/**
 * Worker → main: ready after start; done after each epoch (its summed loss and examples).
 *
 * @example
 * ```ts
 * worker.on('message', (m: HogwildReply) => { if (m.type === 'done') total += m.loss; });
 * ```
 */
export type HogwildReply =
  | { type: 'ready' }
  | { type: 'done'; loss: number; done: number; cancelled: boolean; steps: number };

/**
 * Main → worker: take `steps` empty optimiser steps (a resume: the worker's step count and
 * Adam's running powers catch up with the saved run's; the state is written after).
 *
 * @example
 * ```ts
 * worker.postMessage({ advance: 1200 } satisfies HogwildAdvance);
 * ```
 */
export interface HogwildAdvance {
  advance: number;
}

/**
 * The parent's Node options minus those a worker started from a file refuses (the parent may run
 * from `node --input-type=module -e …`).
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === '-e' || a === '--eval' || a === '-p' || a === '--print') k++;
    else if (!a.startsWith('--input-type') && !a.startsWith('--eval=') && !a.startsWith('--print=')) out.push(a);
  }
  return out;
}

/**
 * Starts a worker on the compiled worker script `script` (a file of this folder, without
 * extension), or on its TypeScript source under tsx.
 *
 * @example
 * ```ts
 * const w = spawnWorker({ module, memory, layout }, 'ease-worker');
 * ```
 */
export function spawnWorker(data: unknown, script = 'hogwild-worker'): Worker {
  const execArgv = workerExecArgv();
  const js = new URL(`./${script}.js`, import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData: data, execArgv });
  const ts = new URL(`./${script}.ts`, import.meta.url);
  if (existsSync(fileURLToPath(ts))) {
    // running from src/ under tsx: workers do not inherit tsx's hooks in Node 20, register them first
    let api: string;
    try {
      api = import.meta.resolve('tsx/esm/api');
    } catch {
      throw new LrmlError('INTERNAL', 'threads > 1 from TypeScript sources needs tsx installed, or run the build (npm run build) and use dist/');
    }
    const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(ts.href)}); });`;
    return new Worker(boot, { eval: true, workerData: data, execArgv });
  }
  throw new LrmlError('INTERNAL', `worker script ${script} not found next to ${fileURLToPath(import.meta.url)}`);
}

interface Pending {
  resolve: (r: { loss: number; done: number; cancelled: boolean; steps: number }) => void;
  reject: (e: Error) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The Hogwild kernel: `threads` workers over one shared training memory.
 * Use {@link createTripletKernel} with `threads > 1` rather than this class directly.
 *
 * @example
 * ```ts
 * const kernel = await HogwildKernel.create(cfg, params, 2);
 * await kernel.runEpoch(users, pos, neg, n, 1024);
 * kernel.read(params);
 * await kernel.dispose();
 * ```
 */
export class HogwildKernel implements TripletKernelWithBackend {
  readonly backend = 'wasm' as const;
  /** runEpoch stages its input into the shared memory before it returns (see TripletKernel). */
  readonly inputCopied = true;
  private disposed = false;
  private failure: Error | null = null;
  private readonly pending: (Pending | null)[];
  private readonly flags: Int32Array;
  private readonly progress: Float64Array;
  private learningRate: number;
  /** Each worker's optimiser steps, as last reported. */
  private readonly workerSteps: number[];

  private constructor(
    readonly cfg: TripletKernelConfig,
    readonly threads: number,
    private readonly mem: WasmTrainMemory,
    private readonly workers: Worker[],
    flags: SharedArrayBuffer,
    progress: SharedArrayBuffer,
  ) {
    this.pending = workers.map(() => null);
    this.workerSteps = workers.map(() => 0);
    this.flags = new Int32Array(flags);
    this.progress = new Float64Array(progress);
    this.learningRate = cfg.learningRate;
    workers.forEach((w, index) => {
      w.on('message', (m: HogwildReply) => {
        if (m.type !== 'done') return;
        this.workerSteps[index] = m.steps;
        const p = this.pending[index];
        this.pending[index] = null;
        p?.resolve(m);
      });
      const fail = (e: Error): void => {
        this.failure ??= new LrmlError('INTERNAL', `training worker ${index} failed: ${e.message}`);
        const p = this.pending[index];
        this.pending[index] = null;
        p?.reject(this.failure);
      };
      w.on('error', fail);
      w.on('exit', (code) => {
        if (!this.disposed) fail(new Error(`exited with code ${code}`));
      });
    });
  }

  /** Lays out the shared memory, starts the workers and waits until every one is ready. */
  static async create(cfg: TripletKernelConfig, params: TripletParams, threads: number): Promise<HogwildKernel> {
    const mem = WasmTrainMemory.create(cfg, params, threads);
    const flags = new SharedArrayBuffer(8);
    const progress = new SharedArrayBuffer(16 * threads);
    const workers: Worker[] = [];
    const ready: Promise<void>[] = [];
    try {
      for (let index = 0; index < threads; index++) {
        const w = spawnWorker({ module: mem.module, memory: mem.memory, cfg, layout: mem.layout, index, flags, progress });
        workers.push(w);
        ready.push(new Promise<void>((resolve, reject) => {
          const onMessage = (m: HogwildReply): void => {
            if (m.type === 'ready') {
              w.off('message', onMessage);
              w.off('error', reject);
              resolve();
            }
          };
          w.on('message', onMessage);
          w.once('error', reject);
          w.once('exit', (code) => reject(new Error(`worker exited with code ${code} before it was ready`)));
        }));
      }
      await Promise.all(ready);
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e instanceof LrmlError ? e : new LrmlError('INTERNAL', `could not start training workers: ${(e as Error).message}`);
    }
    for (const w of workers) {
      w.removeAllListeners('exit');
      w.unref(); // idle workers do not keep the process alive
    }
    return new HogwildKernel(cfg, threads, mem, workers, flags, progress);
  }

  setLearningRate(learningRate: number): void {
    checkAlive(this.disposed);
    checkLearningRate(learningRate);
    this.learningRate = learningRate;
  }

  async runEpoch(
    users: Int32Array, pos: Int32Array, neg: Int32Array, count: number, batchSize: number,
    onProgress?: (p: EpochProgress) => void, signal?: AbortSignal,
  ): Promise<number> {
    checkAlive(this.disposed);
    if (this.failure !== null) throw this.failure;
    checkEpochInput(this.cfg, users, pos, neg, count, batchSize);
    if (signal?.aborted) throw new LrmlError('CANCELLED', `training cancelled at example 0 of ${count}`);
    if (this.pending.some((p) => p !== null)) throw new LrmlError('INTERNAL', 'runEpoch called while another epoch is running');
    const at = this.mem.stageEpoch(users, pos, neg, count);
    Atomics.store(this.flags, 0, 0);
    Atomics.store(this.flags, 1, 0);
    this.progress.fill(0);
    const run: HogwildRun = { users: at.users, pos: at.pos, neg: at.neg, count, batchSize, threads: this.threads, learningRate: this.learningRate };
    const results = this.workers.map((w, index) => new Promise<{ loss: number; done: number; cancelled: boolean; steps: number }>((resolve, reject) => {
      this.pending[index] = { resolve, reject };
      w.postMessage(run);
    }));
    const all = Promise.all(results);
    let finished = false;
    all.then(() => { finished = true; }, () => { finished = true; });
    const report = (): { done: number; loss: number } => {
      let done = 0;
      let loss = 0;
      for (let w = 0; w < this.threads; w++) {
        done += this.progress[2 * w];
        loss += this.progress[2 * w + 1];
      }
      return { done, loss };
    };
    while (!finished) {
      await Promise.race([all.then(() => undefined, () => undefined), sleep(50)]);
      if (signal?.aborted && !finished) {
        Atomics.store(this.flags, 0, 1);
        await all.catch(() => undefined);
        throw new LrmlError('CANCELLED', `training cancelled at example ${report().done} of ${count}`);
      }
      if (!finished) onProgress?.(report());
    }
    const rs = await all;
    if (signal?.aborted && rs.some((r) => r.cancelled)) throw new LrmlError('CANCELLED', `training cancelled at example ${report().done} of ${count}`);
    let loss = 0;
    for (const r of rs) loss += r.loss;
    onProgress?.({ done: count, loss });
    return loss;
  }

  read(out: TripletParams): void {
    checkAlive(this.disposed);
    checkReadTarget(this.cfg, out);
    this.mem.readParams(out);
  }

  /** The shared optimiser state and every worker's step count (between epochs). */
  saveState(): KernelOptimizerState {
    checkAlive(this.disposed);
    const out = optimizerStateShapes(this.cfg);
    this.mem.readState(out);
    return { steps: this.workerSteps[0], workerSteps: this.workerSteps.slice(), ...out };
  }

  /**
   * Puts a saved state back: each worker catches up with its saved step count by empty steps,
   * then the shared state and parameters are written (resumes of Hogwild are not bit-identical:
   * no Hogwild run is).
   */
  async loadState(s: KernelOptimizerState, params: TripletParams): Promise<void> {
    checkAlive(this.disposed);
    checkOptimizerState(this.cfg, s);
    checkReadTarget(this.cfg, params);
    const steps = s.workerSteps ?? [s.steps];
    if (steps.length !== this.threads) throw new LrmlError('BAD_OPTION', `resume: the checkpoint holds the step counts of ${steps.length} worker threads, this kernel has ${this.threads}`);
    await Promise.all(this.workers.map((w, index) => new Promise<unknown>((resolve, reject) => {
      const behind = steps[index] - this.workerSteps[index];
      if (behind < 0) throw new LrmlError('INTERNAL', `cannot load a state of ${steps[index]} steps into worker ${index}, which took ${this.workerSteps[index]}`);
      this.pending[index] = { resolve, reject };
      w.postMessage({ advance: behind } satisfies HogwildAdvance);
    })));
    this.mem.writeState(s);
    this.mem.writeParams(params);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * Creates the Hogwild kernel; with `fallback` (backend `auto`), a failure to start workers or to
 * create the WASM memory gives a single-thread kernel instead.
 *
 * @example
 * ```ts
 * const kernel = await createHogwildKernel(cfg, params, 2, true);
 * ```
 */
export async function createHogwildKernel(cfg: TripletKernelConfig, params: TripletParams, threads: number, fallback: boolean): Promise<TripletKernelWithBackend> {
  try {
    return await HogwildKernel.create(cfg, params, threads);
  } catch (e) {
    if (!fallback) {
      if (e instanceof LrmlError) throw e;
      throw new LrmlError('INTERNAL', `WebAssembly training kernel unavailable: ${(e as Error).message}`);
    }
    try {
      return WasmTripletKernel.create(cfg, params);
    } catch {
      return new TsTripletKernel(cfg, params);
    }
  }
}
