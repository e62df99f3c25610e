// Worker threads for the WASM SPD inverse of EASE (src/train/ease.ts): threads − 1 Node
// worker_threads, each with its own instance of the linear algebra module on the matrix's shared
// memory; this thread runs the first task of every stage, the workers the others. The tasks of
// a stage write disjoint rows and every entry is computed the same way whatever the split, so
// the result is bit-identical to one thread. Node-only: loaded by ease.ts with a dynamic import,
// only when threads > 1.

import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { LrmlError } from '../../errors.js';
import type { SpdLayout, SpdParallel, SpdTask, WasmSpdMatrix } from '../../kernels/linalg-wasm.js';
import { spawnWorker } from './hogwild.js';

/**
 * What an EASE worker gets at start (the module and the shared memory are shared, not copied).
 *
 * @example
 * ```ts
 * spawnWorker({ module: m.module, memory: m.memory, layout: m.layout } satisfies EaseWorkerData, 'ease-worker');
 * ```
 */
export interface EaseWorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  layout: SpdLayout;
}

/**
 * Worker → main: ready after start, then done (or failed) after each task.
 *
 * @example
 * ```ts
 * worker.on('message', (m: EaseWorkerReply) => { if (m.type === 'failed') console.error(m.message); });
 * ```
 */
export type EaseWorkerReply = { type: 'ready' } | { type: 'done' } | { type: 'failed'; message: string };

/**
 * Running worker threads over one {@link WasmSpdMatrix}: `parallel` for its `invert` and
 * `easeWeights`, `dispose()` when done.
 *
 * @example
 * ```ts
 * const th = await startSpdThreads(matrix, 2);
 * try { await matrix.invert({ threads: th.threads, parallel: th.parallel }); } finally { await th.dispose(); }
 * ```
 */
export interface SpdThreads {
  readonly threads: number;
  readonly parallel: SpdParallel;
  dispose(): Promise<void>;
}

/**
 * Starts `threads − 1` workers on the matrix's memory (INTERNAL when they cannot start); `auto`:
 * one thread per core (`availableParallelism()`, at most 256).
 *
 * @example
 * ```ts
 * const th = await startSpdThreads(matrix, 2);
 * ```
 */
export async function startSpdThreads(m: WasmSpdMatrix, wanted: number | 'auto'): Promise<SpdThreads> {
  const threads = wanted === 'auto' ? Math.min(256, availableParallelism()) : wanted;
  const data: EaseWorkerData = { module: m.module, memory: m.memory, layout: m.layout };
  const workers: Worker[] = [];
  let failure: Error | null = null;
  const waiting: ({ resolve: () => void; reject: (e: Error) => void } | null)[] = [];
  try {
    const ready: Promise<void>[] = [];
    for (let k = 1; k < threads; k++) {
      const w = spawnWorker(data, 'ease-worker');
      const index = workers.length;
      workers.push(w);
      waiting.push(null);
      ready.push(new Promise<void>((resolve, reject) => {
        waiting[index] = { resolve, reject };
      }));
      w.on('message', (r: EaseWorkerReply) => {
        const p = waiting[index];
        waiting[index] = null;
        if (r.type === 'failed') p?.reject(new LrmlError('INTERNAL', `ease worker ${index + 1} failed: ${r.message}`));
        else p?.resolve();
      });
      const fail = (e: Error): void => {
        failure ??= new LrmlError('INTERNAL', `ease worker ${index + 1} failed: ${e.message}`);
        const p = waiting[index];
        waiting[index] = null;
        p?.reject(failure);
      };
      w.on('error', fail);
      w.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
    }
    await Promise.all(ready);
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e instanceof LrmlError ? e : new LrmlError('INTERNAL', `could not start ease workers: ${(e as Error).message}`);
  }
  let disposed = false;
  const parallel: SpdParallel = async (tasks: SpdTask[]) => {
    if (failure !== null) throw failure;
    if (tasks.length > threads) throw new LrmlError('INTERNAL', `${tasks.length} tasks for ${threads} threads`);
    const pending: Promise<void>[] = [];
    for (let k = 1; k < tasks.length; k++) {
      const index = k - 1;
      if (tasks[k].r0 >= tasks[k].r1) continue;
      pending.push(new Promise<void>((resolve, reject) => {
        waiting[index] = { resolve, reject };
        workers[index].postMessage(tasks[k]);
      }));
    }
    if (tasks.length > 0) m.runTask(tasks[0]);
    await Promise.all(pending);
  };
  return {
    threads,
    parallel,
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      for (const w of workers) w.removeAllListeners('exit');
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
