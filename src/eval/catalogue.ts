// Items a model never saw, added to its catalogue for an evaluation (the NCF ML-1M test files
// hold two items the training pairs do not). Browser-safe.

import { Csr } from '../data/csr.js';
import { LrmlError } from '../errors.js';
import type { ModelKind, Recommender, Tensor } from '../models/types.js';

/**
 * A model whose catalogue is extended with never-trained items: items `base.numItems ..
 * numItems - 1` score −∞, below every item the model knows. Ranked as a positive such an item
 * is a miss; as a negative it never outranks a known positive. `kind`, `config()` and
 * `tensors()` are the base model's (a worker rebuilds the base and extends it again).
 */
export class ExtendedCatalogue implements Recommender {
  readonly kind: ModelKind;
  readonly numUsers: number;
  private known = new Int32Array(0);
  private knownAt = new Int32Array(0);
  private knownOut = new Float32Array(0);

  constructor(readonly base: Recommender, readonly numItems: number) {
    if (!Number.isInteger(numItems) || numItems < base.numItems) {
      throw new LrmlError('BAD_OPTION', `invalid numItems: ${numItems} (expected an integer ≥ the model's ${base.numItems} items)`);
    }
    this.kind = base.kind;
    this.numUsers = base.numUsers;
  }

  scoreItems(u: number, items: Int32Array, out: Float32Array): void {
    const n = items.length;
    if (this.known.length < n) {
      this.known = new Int32Array(n);
      this.knownAt = new Int32Array(n);
      this.knownOut = new Float32Array(n);
    }
    let m = 0;
    for (let k = 0; k < n; k++) {
      if (items[k] < this.base.numItems) {
        this.known[m] = items[k];
        this.knownAt[m++] = k;
      } else {
        out[k] = -Infinity;
      }
    }
    if (m === n) {
      this.base.scoreItems(u, items, out);
      return;
    }
    this.base.scoreItems(u, this.known.subarray(0, m), this.knownOut);
    for (let t = 0; t < m; t++) out[this.knownAt[t]] = this.knownOut[t];
  }

  scoreAll(u: number, out: Float32Array): void {
    this.base.scoreAll(u, out.subarray(0, this.base.numItems));
    out.fill(-Infinity, this.base.numItems, this.numItems);
  }

  config(): Record<string, unknown> {
    return this.base.config();
  }

  tensors(): Record<string, Tensor> {
    return this.base.tensors();
  }
}

/**
 * The model with its catalogue extended to `numItems` items by never-trained items scoring −∞
 * (the model itself when nothing is added), for evaluating on an item map that gained items
 * (e.g. `loadGivenNegatives(…, { unknown: 'add-items' })` on a copy of the model's item map).
 *
 * @example
 * ```ts
 * const items = IdMap.fromIds(m.items.ids());
 * const cases = await loadGivenNegatives('ml-1m.test.negative.gz', m.users, items, { unknown: 'add-items' });
 * const model = extendCatalogue(m.model, items.size); // 3,704 known + 2 never-trained items
 * ```
 */
export function extendCatalogue(model: Recommender, numItems: number): Recommender {
  return numItems === model.numItems ? model : new ExtendedCatalogue(model, numItems);
}

/**
 * A users × items matrix with more item columns (the added items have no interactions).
 *
 * @example
 * ```ts
 * const seen = widenItems(m.seen, items.size);
 * ```
 */
export function widenItems(m: Csr, numItems: number): Csr {
  if (numItems === m.numCols) return m;
  if (numItems < m.numCols) throw new LrmlError('BAD_OPTION', `invalid numItems: ${numItems} (expected ≥ ${m.numCols})`);
  return new Csr(m.numRows, numItems, m.indptr, m.indices);
}
