// EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): a closed-form
// item-item linear model. With G = XᵀX + λI and P = G⁻¹, the weights are
// B = I − P·diag(1/diag(P)), i.e. B_ij = −P_ij / P_jj off the diagonal and B_ii = 0; the scores of
// user u are x_u·B (the sum of the B rows of the user's items). The cost is one dense n×n SPD
// inverse (n = items), done by the blocked Cholesky kernels (WASM SIMD in float64 or float32 on
// one or more threads, TypeScript fallback in float64; src/train/ease.ts); memory is about 12·n²
// bytes while fitting (8·n² in float32).

import { badOption, LrmlError, oneOf, withDefaults } from '../errors.js';
import { noFoldInLoss } from './foldin.js';
import { trainedFamily } from './trainer.js';
import type { FoldInFit, FoldInSettings, ItemSimilarity, Recommender, Tensor } from './types.js';

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
  /**
   * Element type of the WASM inverse: `float64` or `float32` (half the memory, about twice as
   * fast; see docs/baselines.md for its effect on quality). The TypeScript backend always uses float64.
   */
  precision: 'float64' | 'float32';
  /**
   * Threads of the WASM inverse (this one and threads − 1 workers; results identical for any
   * count): a number in [1, 256], or `auto` (default): one per core of the machine (Node's
   * `availableParallelism()`, at most 256; one thread where worker threads do not exist).
   */
  threads: number | 'auto';
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
  precision: 'float64',
  threads: 'auto',
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
  oneOf('precision', o.precision, ['float64', 'float32'] as const);
  if (o.threads !== 'auto' && (!Number.isInteger(o.threads) || o.threads < 1 || o.threads > 256)) throw badOption('threads', o.threads, 'an integer in [1, 256] or "auto"');
  if (!Number.isInteger(o.seed)) throw badOption('seed', o.seed, 'an integer');
  return o;
}

/**
 * Bytes EASE needs to fit a catalogue of `numItems` items: an n×n matrix in `precision` (Gram,
 * then its inverse in place) and the float32 n×n weights B.
 *
 * @example
 * ```ts
 * easeMemoryBytes(3706); // ≈ 165 MB
 * easeMemoryBytes(3706, 'float32'); // ≈ 110 MB
 * ```
 */
export function easeMemoryBytes(numItems: number, precision: 'float64' | 'float32' = 'float64'): number {
  return (precision === 'float64' ? 12 : 8) * numItems * numItems;
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

  /** A new user is their item list (method `item-set`): no vector, scored by {@link scoreItemSet}. */
  foldIn(_items: Int32Array, settings: FoldInSettings): FoldInFit {
    noFoldInLoss(this.kind, settings);
    return { method: 'item-set', vector: null, steps: 0, loss: Number.NaN };
  }

  /** Item–item similarity: `ease-weight`, row i of B (the ranking EASE gives a user whose only item is i). */
  itemSimilarity(): ItemSimilarity {
    const n = this.numItems;
    const B = this.B;
    return { measure: 'ease-weight', scores: (i, out) => out.set(B.subarray(i * n, (i + 1) * n)) };
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

/**
 * EASE as an lrml model family (registered under kind `ease`).
 *
 * @example
 * ```ts
 * const model = await easeFamily.fit(csr, { lambda: 500 });
 * ```
 */
export const easeFamily = trainedFamily<EaseOptions, EaseModel>({
  kind: 'ease',
  description: 'EASE: closed-form item-item linear autoencoder (Steck 2019); needs ~12·items² bytes',
  defaults: EASE_DEFAULTS,
  resolveOptions: resolveEaseOptions,
  // the training code (Gram matrix, blocked inverse) lives in src/train/ease.ts
  fromTensors: (config, tensors) => EaseModel.fromTensors(config, tensors),
  // the item-item Gram matrix (float64 or float32) and the weights B (float32)
  estimateMemory: (s, options) => ({ bytes: easeMemoryBytes(s.numItems, options.precision === 'float32' ? 'float32' : 'float64'), option: null }),
});
