import { LrmlError } from '../errors.js';
import type { Csr } from '../data/csr.js';
import { noFoldInLoss } from './foldin.js';
import type { FoldInFit, FoldInSettings, ItemSimilarity, ModelFamily, Recommender, Tensor } from './types.js';

/** Popularity has no hyper-parameters. */
export type PopularityOptions = Record<string, never>;

/**
 * Scores every item by its number of training interactions, the same for every user.
 *
 * @example
 * ```ts
 * const model = PopularityModel.fit(csr);
 * ```
 */
export class PopularityModel implements Recommender {
  readonly kind = 'pop' as const;
  constructor(readonly numUsers: number, readonly counts: Float32Array) {}

  /** Counts item popularity in the training matrix. */
  static fit(data: Csr): PopularityModel {
    return new PopularityModel(data.numRows, Float32Array.from(data.columnCounts()));
  }

  get numItems(): number {
    return this.counts.length;
  }

  scoreItems(_u: number, items: Int32Array, out: Float32Array): void {
    for (let k = 0; k < items.length; k++) out[k] = this.counts[items[k]];
  }

  scoreAll(_u: number, out: Float32Array): void {
    out.set(this.counts);
  }

  /** A new user gets the same scores as everyone (method `popularity`). */
  foldIn(_items: Int32Array, settings: FoldInSettings): FoldInFit {
    noFoldInLoss(this.kind, settings);
    return { method: 'popularity', vector: null, steps: 0, loss: Number.NaN };
  }

  /** The same scores for any item set: the counts. */
  scoreItemSet(_items: Int32Array, out: Float32Array): void {
    out.set(this.counts);
  }

  /** Item–item similarity: `popularity`, the most popular other items. */
  itemSimilarity(): ItemSimilarity {
    return { measure: 'popularity', scores: (_i, out) => out.set(this.counts) };
  }

  config(): Record<string, unknown> {
    return { kind: 'pop', numUsers: this.numUsers, numItems: this.numItems };
  }

  tensors(): Record<string, Tensor> {
    return { counts: { shape: [this.numItems], data: this.counts } };
  }
}

/** Popularity: the non-personalised baseline. */
export const popularityFamily: ModelFamily<PopularityOptions, PopularityModel> = {
  kind: 'pop',
  description: 'Popularity: items ranked by training interaction count (non-personalised baseline)',
  defaults: Object.freeze({}) as PopularityOptions,
  resolveOptions(given) {
    const keys = Object.keys(given).filter((k) => (given as Record<string, unknown>)[k] !== undefined);
    if (keys.length > 0) throw new LrmlError('BAD_OPTION', `pop takes no options (got: ${keys.join(', ')})`);
    return {} as PopularityOptions;
  },
  async fit(data) {
    return PopularityModel.fit(data);
  },
  estimateMemory: (s) => ({ bytes: 4 * s.numItems, option: null }),
  fromTensors(config, tensors) {
    const c = tensors.counts;
    if (c === undefined || !(c.data instanceof Float32Array) || !Number.isInteger(config.numUsers)) {
      throw new LrmlError('BAD_MODEL_FILE', 'pop: tensor counts (float32) or numUsers missing');
    }
    return new PopularityModel(config.numUsers as number, c.data);
  },
};
