// EASE's training (the model and its descriptor: src/models/ease.ts): G = XᵀX + λI, its inverse by
// the blocked Cholesky kernels (WASM SIMD, TypeScript fallback) in float64, then B. Memory is about
// 12·n² bytes while fitting (n = items).

import type { Csr } from '../data/csr.js';
import { LrmlError } from '../errors.js';
import { LINALG_BLOCK, runSpdInverseStep, spdInversePlan, symmetrizeFromLower } from '../kernels/linalg-impl.js';
import { WasmSpdMatrix } from '../kernels/linalg-wasm.js';
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

function cancelled(where: string): LrmlError {
  return new LrmlError('CANCELLED', `ease: training cancelled ${where}`);
}

/**
 * Fits EASE on the user × item matrix: builds G = XᵀX + λI, inverts it (blocked Cholesky in
 * float64), and forms B. Progress is reported as one epoch (rows: users for the Gram, then 3×items
 * for the three phases of the inverse); `hooks.signal` is honoured between blocks.
 * Throws TOO_LARGE when 12·numItems² bytes exceed `maxMemoryBytes`.
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
  const need = easeMemoryBytes(n);
  if (need > o.maxMemoryBytes) {
    throw new LrmlError(
      'TOO_LARGE',
      `ease: ${n} items need about ${gib(need)} (a ${n}×${n} float64 matrix of ${gib(8 * n * n)} and float32 weights of ${gib(4 * n * n)}), ` +
        `above maxMemoryBytes = ${gib(o.maxMemoryBytes)}; raise maxMemoryBytes or shrink the catalogue (e.g. drop rare items)`,
    );
  }
  if (hooks.signal?.aborted) throw cancelled('before it started');
  let wasm: WasmSpdMatrix | null = null;
  if (o.backend !== 'ts') {
    wasm = WasmSpdMatrix.tryCreate(n);
    if (wasm === null && o.backend === 'wasm') {
      throw new LrmlError('BAD_OPTION', `ease: backend "wasm" is unavailable here (WebAssembly cannot be compiled, or ${n}×${n} float64 exceeds 4 GiB); use backend "auto" or "ts"`);
    }
  }
  const a = wasm !== null ? wasm.a : allocate(() => new Float64Array(n * n), 8 * n * n);

  const steps = spdInversePlan(n, LINALG_BLOCK);
  const totalCost = steps.reduce((s, x) => s + x.cost, 0);
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

  // P = G⁻¹ in place, block by block
  let costDone = 0;
  for (const step of steps) {
    const bad = wasm !== null ? wasm.runStep(step) : runSpdInverseStep(a, n, step, LINALG_BLOCK);
    if (bad >= 0) {
      throw new LrmlError('DIVERGED', `ease: XᵀX + λI is not positive definite (pivot ${bad}); use a larger lambda (now ${o.lambda})`);
    }
    costDone += step.cost;
    await progress(numUsers + Math.round((3 * n * costDone) / totalCost));
  }
  if (wasm !== null) wasm.symmetrize();
  else symmetrizeFromLower(a, n);

  // B = −P·diag(1/diag(P)), zero diagonal
  const B = allocate(() => new Float32Array(n * n), 4 * n * n);
  const inv = new Float64Array(n);
  for (let j = 0; j < n; j++) inv[j] = -1 / a[j * n + j];
  for (let i = 0; i < n; i++) {
    const r = i * n;
    for (let j = 0; j < n; j++) B[r + j] = a[r + j] * inv[j];
    B[r + i] = 0;
  }
  wasm = null;
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
