// EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): a closed-form
// item-item linear model. With G = XᵀX + λI and P = G⁻¹, the weights are
// B = I − P·diag(1/diag(P)), i.e. B_ij = −P_ij / P_jj off the diagonal and B_ii = 0; the scores of
// user u are x_u·B (the sum of the B rows of the user's items). The cost is one dense n×n SPD
// inverse (n = items), done in float64 by the blocked Cholesky kernels (WASM SIMD, TypeScript
// fallback); memory is about 12·n² bytes while fitting.

import { badOption, LrmlError, oneOf, withDefaults } from '../errors.js';
import type { Csr } from '../data/csr.js';
import { LINALG_BLOCK, runSpdInverseStep, spdInversePlan, symmetrizeFromLower } from '../kernels/linalg_impl.js';
import { WasmSpdMatrix } from '../kernels/linalg_wasm.js';
import type { EpochSummary, ModelFamily, Recommender, Tensor, TrainHooks, TrainReport } from './types.js';

/**
 * Options of EASE (see docs/baselines.md).
 *
 * @example
 * ```ts
 * const o: Partial<EaseOptions> = { lambda: 1000, backend: 'auto' };
 * ```
 */
export interface EaseOptions {
  /** L2 weight λ on B (added to the diagonal of XᵀX). Larger catalogues/denser data want larger λ. */
  lambda: number;
  /** Refuse (TOO_LARGE) when fitting would need more memory than this (bytes); about 12·numItems². */
  maxMemoryBytes: number;
  /** Where the dense inverse runs: `wasm` (SIMD), `ts` (plain TypeScript) or `auto` (WASM when it can). */
  backend: 'auto' | 'wasm' | 'ts';
  /** Accepted for a uniform interface; EASE is deterministic and uses no randomness. */
  seed: number;
}

/**
 * EASE defaults: λ chosen on the ML-1M validation split (see docs/baselines.md).
 *
 * @example
 * ```ts
 * EASE_DEFAULTS.lambda; // 1000
 * ```
 */
export const EASE_DEFAULTS: Readonly<EaseOptions> = Object.freeze({
  lambda: 1000,
  maxMemoryBytes: 4 * 2 ** 30,
  backend: 'auto',
  seed: 0,
});

/**
 * Validates EASE options over the defaults (BAD_OPTION names the option and the allowed values).
 *
 * @example
 * ```ts
 * resolveEaseOptions({ lambda: 1000 });
 * ```
 */
export function resolveEaseOptions(given: Partial<EaseOptions>): EaseOptions {
  const o = withDefaults('ease', given, EASE_DEFAULTS);
  if (typeof o.lambda !== 'number' || !Number.isFinite(o.lambda) || o.lambda <= 0 || o.lambda > 1e12) {
    throw badOption('lambda', o.lambda, 'a number in (0, 1e12]');
  }
  if (typeof o.maxMemoryBytes !== 'number' || !(o.maxMemoryBytes > 0)) throw badOption('maxMemoryBytes', o.maxMemoryBytes, 'a positive number of bytes');
  oneOf('backend', o.backend, ['auto', 'wasm', 'ts'] as const);
  if (!Number.isInteger(o.seed)) throw badOption('seed', o.seed, 'an integer');
  return o;
}

/**
 * Bytes EASE needs to fit a catalogue of `numItems` items: a float64 n×n matrix (Gram, then its
 * inverse in place) and the float32 n×n weights B.
 *
 * @example
 * ```ts
 * easeMemoryBytes(3706); // ≈ 165 MB
 * ```
 */
export function easeMemoryBytes(numItems: number): number {
  return 12 * numItems * numItems;
}

/** Item rows of the Gram matrix filled per pass over the users (32 rows of 3706 doubles ≈ 1 MB). */
const GRAM_BAND = 32;

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/**
 * A trained EASE model. It keeps the users' training rows (CSR) because scores depend on them:
 * score(u, j) = Σ_{i ∈ items(u)} B[i][j].
 *
 * @example
 * ```ts
 * const model = await easeFamily.fit(csr, { lambda: 500 });
 * const s = new Float32Array(model.numItems);
 * model.scoreAll(0, s);
 * model.scoreItemSet(Int32Array.of(3, 7), s); // a new user who liked items 3 and 7
 * ```
 */
export class EaseModel implements Recommender {
  readonly kind = 'ease' as const;
  constructor(
    readonly numUsers: number,
    readonly numItems: number,
    readonly options: Readonly<EaseOptions>,
    /** numItems × numItems row-major weights, zero diagonal. */
    readonly B: Float32Array,
    /** Training rows: CSR row pointers (numUsers + 1). */
    readonly indptr: Int32Array,
    /** Training rows: item indices. */
    readonly indices: Int32Array,
  ) {
    if (B.length !== numItems * numItems) throw new LrmlError('BAD_MODEL_FILE', `ease: B has ${B.length} values, expected numItems² = ${numItems * numItems}`);
    if (indptr.length !== numUsers + 1 || indptr[0] !== 0 || indptr[numUsers] !== indices.length) {
      throw new LrmlError('BAD_MODEL_FILE', `ease: indptr does not describe ${numUsers} rows over ${indices.length} indices`);
    }
    for (let u = 0; u < numUsers; u++) {
      if (indptr[u + 1] < indptr[u]) throw new LrmlError('BAD_MODEL_FILE', `ease: indptr decreases at row ${u}`);
    }
    for (let k = 0; k < indices.length; k++) {
      if (indices[k] < 0 || indices[k] >= numItems) throw new LrmlError('BAD_MODEL_FILE', `ease: item index ${indices[k]} out of range at ${k}`);
    }
  }

  scoreAll(u: number, out: Float32Array): void {
    this.scoreItemSet(this.indices.subarray(this.indptr[u], this.indptr[u + 1]), out);
  }

  /** Scores of every item for any set of items (e.g. a new user's), into out[0 .. numItems). */
  scoreItemSet(items: Int32Array, out: Float32Array): void {
    const n = this.numItems;
    const B = this.B;
    out.fill(0, 0, n);
    for (let k = 0; k < items.length; k++) {
      const row = items[k] * n;
      for (let j = 0; j < n; j++) out[j] += B[row + j];
    }
  }

  scoreItems(u: number, items: Int32Array, out: Float32Array): void {
    const n = this.numItems;
    const B = this.B;
    const { indptr, indices } = this;
    const a = indptr[u];
    const b = indptr[u + 1];
    for (let t = 0; t < items.length; t++) {
      const j = items[t];
      // float32 accumulation in the same order as scoreAll, so both agree exactly
      let s = 0;
      for (let k = a; k < b; k++) s = Math.fround(s + B[indices[k] * n + j]);
      out[t] = s;
    }
  }

  config(): Record<string, unknown> {
    return { kind: 'ease', numUsers: this.numUsers, numItems: this.numItems, ...this.options };
  }

  tensors(): Record<string, Tensor> {
    return {
      B: { shape: [this.numItems, this.numItems], data: this.B },
      indptr: { shape: [this.numUsers + 1], data: this.indptr },
      indices: { shape: [this.indices.length], data: this.indices },
    };
  }

  /**
   * Recreates a model from config() and tensors() (BAD_MODEL_FILE when inconsistent).
   *
   * @example
   * ```ts
   * const again = EaseModel.fromTensors(model.config(), model.tensors());
   * ```
   */
  static fromTensors(config: Record<string, unknown>, tensors: Record<string, Tensor>): EaseModel {
    const { numUsers, numItems, kind: _k, ...rest } = config;
    if (!Number.isInteger(numUsers) || !Number.isInteger(numItems)) throw new LrmlError('BAD_MODEL_FILE', 'ease: config lacks numUsers/numItems');
    let o: EaseOptions;
    try {
      o = resolveEaseOptions(rest as Partial<EaseOptions>);
    } catch (e) {
      throw new LrmlError('BAD_MODEL_FILE', `ease: bad config: ${(e as Error).message}`);
    }
    const B = tensors.B?.data;
    const indptr = tensors.indptr?.data;
    const indices = tensors.indices?.data;
    if (!(B instanceof Float32Array)) throw new LrmlError('BAD_MODEL_FILE', 'ease: tensor B missing or not float32');
    if (!(indptr instanceof Int32Array) || !(indices instanceof Int32Array)) throw new LrmlError('BAD_MODEL_FILE', 'ease: tensors indptr/indices missing or not int32');
    return new EaseModel(numUsers as number, numItems as number, o, B, indptr, indices);
  }
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

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
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

/**
 * EASE as an lrml model family (registered under kind `ease`).
 *
 * @example
 * ```ts
 * const model = await easeFamily.fit(csr, { lambda: 500 });
 * ```
 */
export const easeFamily: ModelFamily<EaseOptions> = {
  kind: 'ease',
  description: 'EASE: closed-form item-item linear autoencoder (Steck 2019); needs ~12·items² bytes',
  defaults: EASE_DEFAULTS,
  resolveOptions: resolveEaseOptions,
  fit: (data, options, hooks) => fitEase(data, resolveEaseOptions(options), hooks),
  fromTensors: (config, tensors) => EaseModel.fromTensors(config, tensors),
};
