// A small plug-in model family for the tests: item co-occurrence ("people who liked i also liked
// j"), score(u, j) = Σ_{i ∈ items(u)} S[i, j] with S the cosine of the items' user sets. One file
// and one `registerFamily(coocFamily)` make it trainable, savable and loadable; it declares no
// capabilities (no fold-in, no similar items), so the product API refuses those with BAD_OPTION.

import type { Csr } from '../src/data/csr.js';
import { LrmlError, badOption, withDefaults } from '../src/errors.js';
import type { ModelFamily, Recommender, Tensor } from '../src/models/types.js';

/** Options of the co-occurrence family. */
export interface CoocOptions {
  /** Added to the denominator of the cosine (shrinks rare pairs). */
  shrink: number;
}

/** A trained co-occurrence model: the item × item similarities and the users' training rows. */
export class CoocModel implements Recommender {
  readonly kind = 'cooc';
  constructor(
    readonly numUsers: number,
    readonly numItems: number,
    readonly options: CoocOptions,
    readonly S: Float32Array,
    readonly indptr: Int32Array,
    readonly indices: Int32Array,
  ) {
    if (S.length !== numItems * numItems || indptr.length !== numUsers + 1) throw new LrmlError('BAD_MODEL_FILE', 'cooc: tensor shapes do not match numUsers/numItems');
  }

  scoreAll(u: number, out: Float32Array): void {
    const n = this.numItems;
    out.fill(0, 0, n);
    for (let k = this.indptr[u]; k < this.indptr[u + 1]; k++) {
      const row = this.indices[k] * n;
      for (let j = 0; j < n; j++) out[j] += this.S[row + j];
    }
  }

  scoreItems(u: number, items: Int32Array, out: Float32Array): void {
    const n = this.numItems;
    for (let t = 0; t < items.length; t++) {
      let s = 0;
      for (let k = this.indptr[u]; k < this.indptr[u + 1]; k++) s = Math.fround(s + this.S[this.indices[k] * n + items[t]]);
      out[t] = s;
    }
  }

  config(): Record<string, unknown> {
    return { kind: this.kind, numUsers: this.numUsers, numItems: this.numItems, ...this.options };
  }

  tensors(): Record<string, Tensor> {
    return {
      S: { shape: [this.numItems, this.numItems], data: this.S },
      indptr: { shape: [this.numUsers + 1], data: this.indptr },
      indices: { shape: [this.indices.length], data: this.indices },
    };
  }
}

function resolveCoocOptions(given: Partial<CoocOptions>): CoocOptions {
  const o = withDefaults('cooc', given, { shrink: 1 });
  if (typeof o.shrink !== 'number' || !(o.shrink >= 0)) throw badOption('shrink', o.shrink, 'a number ≥ 0');
  return o;
}

function fitCooc(data: Csr, o: CoocOptions): CoocModel {
  const n = data.numCols;
  const counts = data.columnCounts();
  const C = new Float64Array(n * n);
  for (let u = 0; u < data.numRows; u++) {
    const row = data.row(u);
    for (const i of row) for (const j of row) if (i !== j) C[i * n + j] += 1;
  }
  const S = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) S[i * n + j] = C[i * n + j] / (Math.sqrt(counts[i] * counts[j]) + o.shrink);
  return new CoocModel(data.numRows, n, o, S, data.indptr.slice(), data.indices.slice());
}

/** The co-occurrence family: the one object `registerFamily` takes. */
export const coocFamily: ModelFamily<CoocOptions, CoocModel> = {
  kind: 'cooc',
  description: 'item co-occurrence (test plug-in)',
  defaults: { shrink: 1 },
  resolveOptions: resolveCoocOptions,
  fit: async (data, options) => fitCooc(data, resolveCoocOptions(options)),
  fromTensors(config, tensors) {
    const { S, indptr, indices } = tensors;
    if (!(S?.data instanceof Float32Array) || !(indptr?.data instanceof Int32Array) || !(indices?.data instanceof Int32Array)) {
      throw new LrmlError('BAD_MODEL_FILE', 'cooc: tensors S (float32), indptr and indices (int32) expected');
    }
    const { numUsers, numItems, kind: _k, ...rest } = config;
    return new CoocModel(numUsers as number, numItems as number, resolveCoocOptions(rest as Partial<CoocOptions>), S.data, indptr.data, indices.data);
  },
  flags: [{ flag: '--shrink <x>', option: 'shrink', type: 'number', description: 'cooc: added to the cosine\'s denominator' }],
  // the float64 counts and the float32 similarities
  estimateMemory: (shape) => ({ bytes: 12 * shape.numItems * shape.numItems, option: null }),
};
