// EASE's training (the model and its descriptor: src/models/ease.ts): G = XᵀX + λI, its inverse by
// the blocked Cholesky kernels — WASM SIMD in float64 or float32 (option `precision`) on
// `threads` threads (worker threads: backends/ease-threads.ts), else TypeScript in float64 — then
// B. Memory is about 12·n² bytes while fitting in float64, 8·n² in float32 (n = items).

import type { Csr } from '../data/csr.js';
import { LrmlError } from '../errors.js';
import { LINALG_BLOCK, runSpdInverseStep, spdInversePlan, symmetrizeFromLower } from '../kernels/linalg-impl.js';
import { WasmSpdMatrix } from '../kernels/linalg-wasm.js';
import type { SpdThreads } from './backends/ease-threads.js';
import { EaseModel, easeMemoryBytes, type EaseOptions } from '../models/ease.js';
import { provideTrainer } from '../models/trainer.js';
import type { EpochSummary, TrainHooks, TrainReport } from '../models/types.js';
import { yieldToEventLoop } from './batches.js';

/** Item rows of the Gram matrix filled per pass over the users (32 rows of 3706 doubles ≈ 1 MB). */
const GRAM_BAND = 32;

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/** Runs an allocation, turning an out-of-memory RangeError into TOO_LARGE. */
function allocate<T>(make: () => T, bytes: number): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof RangeError) throw new LrmlError('TOO_LARGE', `ease: could not allocate ${gib(bytes)} (${e.message}); lower the catalogue size`);
    throw e;
  }
}

/** Like {@link allocate}, for an allocation inside an async computation. */
async function allocateAsync<T>(make: () => Promise<T>, bytes: number): Promise<T> {
  try {
    return await make();
  } catch (e) {
    if (e instanceof RangeError) throw new LrmlError('TOO_LARGE', `ease: could not allocate ${gib(bytes)} (${e.message}); lower the catalogue size`);
    throw e;
  }
}

/** The Node-only worker-thread module, imported on demand (threads > 1). */
const THREADS_MODULE = './backends/ease-threads.js';

/**
 * Smallest catalogue for which EASE starts worker threads (below it one thread is faster than
 * starting them; the result is the same either way).
 *
 * @example
 * ```ts
 * EASE_THREADS_MIN_ITEMS; // 512
 * ```
 */
export const EASE_THREADS_MIN_ITEMS = 512;

/**
 * Worker threads over the matrix, or null (one thread) when they cannot start here: in a browser
 * (no Node worker threads: silently, `auto` means one there), or, said through `warn`, when asked
 * for explicitly, or when Node's workers fail to start.
 */
async function startThreads(m: WasmSpdMatrix, threads: number | 'auto', warn: (message: string) => void): Promise<SpdThreads | null> {
  let mod: typeof import('./backends/ease-threads.js');
  try {
    // a non-literal specifier: browser bundlers leave this Node-only module (worker_threads) out
    const specifier = THREADS_MODULE;
    mod = (await import(specifier)) as typeof import('./backends/ease-threads.js');
  } catch (e) {
    if (threads !== 'auto') warn(`ease: ${threads} threads asked for, but worker threads are unavailable here (${(e as Error).message}); inverting on one thread`);
    return null;
  }
  try {
    return await mod.startSpdThreads(m, threads);
  } catch (e) {
    warn(`ease: worker threads could not start (${(e as Error).message}); inverting on one thread (the same weights, slower)`);
    return null;
  }
}

function cancelled(where: string): LrmlError {
  return new LrmlError('CANCELLED', `ease: training cancelled ${where}`);
}

/**
 * Fits EASE on the user × item matrix: builds G = XᵀX + λI, inverts it (blocked Cholesky in
 * float64), and forms B. Progress is reported as one epoch (rows: users for the Gram, then 3×items
 * for the three phases of the inverse); `hooks.signal` is honoured between blocks.
 * Throws TOO_LARGE when {@link easeMemoryBytes} exceeds `maxMemoryBytes`; DIVERGED when the
 * Cholesky factorisation meets a non-positive pivot (XᵀX + λI numerically not positive definite).
 *
 * @example
 * ```ts
 * const model = await fitEase(csr, resolveEaseOptions({ lambda: 500 }), { onProgress: console.log });
 * ```
 */
export async function fitEase(data: Csr, o: EaseOptions, hooks: TrainHooks = {}): Promise<EaseModel> {
  const t0 = performance.now();
  const n = data.numCols;
  const numUsers = data.numRows;
  const need = easeMemoryBytes(n, o.precision);
  if (need > o.maxMemoryBytes) {
    throw new LrmlError(
      'TOO_LARGE',
      `ease: ${n} items need about ${gib(need)} (a ${n}×${n} ${o.precision} matrix of ${gib(need - 4 * n * n)} and float32 weights of ${gib(4 * n * n)}), ` +
        `above maxMemoryBytes = ${gib(o.maxMemoryBytes)}; raise maxMemoryBytes or shrink the catalogue (e.g. drop rare items)`,
    );
  }
  if (hooks.signal?.aborted) throw cancelled('before it started');
  const warn = hooks.onWarning ?? (() => undefined);
  let wasm: WasmSpdMatrix | null = null;
  if (o.backend !== 'ts') {
    const opened = WasmSpdMatrix.open(n, { precision: o.precision });
    if ('unavailable' in opened) {
      if (o.backend === 'wasm') throw new LrmlError('BAD_OPTION', `ease: backend "wasm" is unavailable here: ${opened.unavailable}; use backend "auto" or "ts"`);
      // auto: the TypeScript inverse works, but on one thread, in float64 and several times slower
      warn(
        `ease: the WASM inverse is unavailable (${opened.unavailable}); falling back to the one-thread TypeScript inverse in float64` +
          `${o.precision === 'float32' ? ' (precision float32 ignored)' : ''}, much slower (backend "ts" runs it without this warning)`,
      );
    } else {
      wasm = opened.matrix;
    }
  }
  // the TypeScript fallback always works in float64
  const a = wasm !== null ? wasm.a : allocate(() => new Float64Array(n * n), 8 * n * n);

  const total = numUsers + 3 * n;
  let lastYield = performance.now();
  const progress = async (done: number): Promise<void> => {
    const now = performance.now();
    if (now - lastYield < 50) return;
    const el = (now - t0) / 1000;
    hooks.onProgress?.({ epoch: 1, epochs: 1, done, total, loss: 0, perSecond: el > 0 ? done / el : 0 });
    await yieldToEventLoop();
    lastYield = performance.now();
    if (hooks.signal?.aborted) throw cancelled(`at ${done} of ${total} rows`);
  };

  // G = XᵀX (lower triangle) + λI, by bands of GRAM_BAND item rows so the rows being written stay
  // in cache; cursor[u] walks each user's sorted items band by band.
  const { indptr, indices } = data;
  const cursor = indptr.slice(0, numUsers);
  for (let i0 = 0; i0 < n; i0 += GRAM_BAND) {
    const i1 = Math.min(n, i0 + GRAM_BAND);
    for (let u = 0; u < numUsers; u++) {
      const s = indptr[u];
      const e = indptr[u + 1];
      let p = cursor[u];
      for (; p < e && indices[p] < i1; p++) {
        const row = indices[p] * n;
        for (let q = s; q <= p; q++) a[row + indices[q]] += 1;
      }
      cursor[u] = p;
    }
    await progress(Math.round((numUsers * i1) / n));
  }
  for (let i = 0; i < n; i++) a[i * n + i] += o.lambda;

  const notSpd = (bad: number): LrmlError =>
    new LrmlError(
      'DIVERGED',
      `ease: XᵀX + λI is not positive definite in ${wasm !== null ? o.precision : 'float64'} (pivot ${bad}); use a larger lambda (now ${o.lambda})` +
        (wasm !== null && o.precision === 'float32' ? ' or precision "float64"' : ''),
    );
  let B: Float32Array;
  if (wasm !== null) {
    // P = G⁻¹ in place and then B, on `threads` threads (bit-identical to one)
    const threads = n >= EASE_THREADS_MIN_ITEMS ? o.threads : 1;
    const pool = threads !== 1 ? await startThreads(wasm, threads, warn) : null;
    try {
      const run = { threads: pool?.threads ?? 1, parallel: pool?.parallel };
      const bad = await wasm.invert({ ...run, afterStep: (done, all) => progress(numUsers + Math.round((3 * n * done) / all)) });
      if (bad >= 0) throw notSpd(bad);
      B = await allocateAsync(() => wasm!.easeWeights(run), 4 * n * n);
    } finally {
      await pool?.dispose();
    }
    wasm = null;
  } else {
    // P = G⁻¹ in place, block by block (TypeScript, float64)
    const steps = spdInversePlan(n, LINALG_BLOCK);
    const totalCost = steps.reduce((s, x) => s + x.cost, 0);
    let costDone = 0;
    for (const step of steps) {
      const bad = runSpdInverseStep(a as Float64Array, n, step, LINALG_BLOCK);
      if (bad >= 0) throw notSpd(bad);
      costDone += step.cost;
      await progress(numUsers + Math.round((3 * n * costDone) / totalCost));
    }
    symmetrizeFromLower(a as Float64Array, n);
    // B = −P·diag(1/diag(P)), zero diagonal
    B = allocate(() => new Float32Array(n * n), 4 * n * n);
    const inv = new Float64Array(n);
    for (let j = 0; j < n; j++) inv[j] = -1 / a[j * n + j];
    for (let i = 0; i < n; i++) {
      const r = i * n;
      for (let j = 0; j < n; j++) B[r + j] = a[r + j] * inv[j];
      B[r + i] = 0;
    }
  }
  const model = new EaseModel(numUsers, n, o, B, data.indptr.slice(), data.indices.slice());

  const seconds = (performance.now() - t0) / 1000;
  hooks.onProgress?.({ epoch: 1, epochs: 1, done: total, total, loss: 0, perSecond: seconds > 0 ? total / seconds : 0 });
  const summary: EpochSummary = { epoch: 1, loss: 0, seconds, perSecond: seconds > 0 ? total / seconds : 0 };
  const report: TrainReport = { epochs: [summary], bestEpoch: 1, stoppedEarly: false, seconds };
  if (hooks.validation !== undefined) {
    const metrics = await hooks.validation.evaluate(model, 1);
    summary.validation = metrics;
    report.bestValidation = metrics;
  }
  await hooks.onEpoch?.(summary);
  report.seconds = (performance.now() - t0) / 1000;
  hooks.onDone?.(report);
  return model;
}

provideTrainer('ease', (data, o, hooks) => fitEase(data, o as EaseOptions, hooks));

export { easeFamily } from '../models/ease.js';
