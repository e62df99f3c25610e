import { LrmlError, numberIn, oneOf, positiveInt, badOption, withDefaults } from '../errors.js';
import type { BprParams } from '../kernels/bpr-impl.js';
import { cosineSimilarity, foldInLogistic, noFoldInLoss } from './foldin.js';
import { trainedFamily } from './trainer.js';
import { estimateFromParts, numOption, optimizerCopies } from './memory-estimate.js';
import type { FoldInFit, FoldInSettings, ItemSimilarity, ModelVectors, Recommender, Tensor } from './types.js';

/** Options of BPR-MF (Rendle et al., UAI 2009). */
export interface BprOptions {
  dim: number;
  /** L2 regularisation weight per triplet. */
  l2: number;
  optimizer: 'adam' | 'sgd';
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  batchSize: number;
  epochs: number;
  seed: number;
  /** Standard deviation of the normal initialisation of P and Q. */
  initScale: number;
  /** Negative sampling ∝ popularity^samplerAlpha (0 = uniform over unseen items). */
  samplerAlpha: number;
}

/** BPR-MF defaults (the PyTorch reference's recipe: Adam 1e-3, batch 1024). */
export const BPR_DEFAULTS: Readonly<BprOptions> = Object.freeze({
  dim: 64,
  l2: 1e-4,
  optimizer: 'adam',
  learningRate: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  batchSize: 1024,
  epochs: 30,
  seed: 0,
  initScale: 0.01,
  samplerAlpha: 0,
});

/**
 * Validates BPR options over the defaults (BAD_OPTION names the option and allowed values).
 *
 * @example
 * ```ts
 * resolveBprOptions({ dim: 32 });
 * ```
 */
export function resolveBprOptions(given: Partial<BprOptions>): BprOptions {
  const o = withDefaults('bpr', given, BPR_DEFAULTS);
  positiveInt('dim', o.dim);
  numberIn('l2', o.l2, 0, 1e6);
  oneOf('optimizer', o.optimizer, ['adam', 'sgd'] as const);
  numberIn('learningRate', o.learningRate, 1e-12, 1e6);
  numberIn('beta1', o.beta1, 0, 0.999999);
  numberIn('beta2', o.beta2, 0, 0.9999999);
  numberIn('epsilon', o.epsilon, 1e-30, 1);
  positiveInt('batchSize', o.batchSize);
  if (!Number.isInteger(o.epochs) || o.epochs < 0) throw badOption('epochs', o.epochs, 'an integer ≥ 0');
  if (!Number.isInteger(o.seed)) throw badOption('seed', o.seed, 'an integer');
  numberIn('initScale', o.initScale, 0, 100);
  numberIn('samplerAlpha', o.samplerAlpha, 0, 10);
  return o;
}

/**
 * A trained BPR-MF model: score(u, i) = p_u · q_i + b_i.
 *
 * @example
 * ```ts
 * const s = new Float32Array(model.numItems);
 * model.scoreAll(0, s);
 * ```
 */
export class BprModel implements Recommender {
  readonly kind = 'bpr' as const;
  constructor(readonly numUsers: number, readonly numItems: number, readonly options: Readonly<BprOptions>, readonly params: BprParams) {
    const d = options.dim;
    if (params.P.length !== numUsers * d || params.Q.length !== numItems * d || params.B.length !== numItems) {
      throw new LrmlError('BAD_MODEL_FILE', `bpr: parameter shapes do not match numUsers=${numUsers}, numItems=${numItems}, dim=${d}`);
    }
  }

  scoreItems(u: number, items: Int32Array, out: Float32Array): void {
    const d = this.options.dim;
    const { P, Q, B } = this.params;
    const pu = u * d;
    for (let k = 0; k < items.length; k++) {
      const qi = items[k] * d;
      let s = B[items[k]];
      for (let c = 0; c < d; c++) s += P[pu + c] * Q[qi + c];
      out[k] = s;
    }
  }

  scoreAll(u: number, out: Float32Array): void {
    this.scoreVector(this.params.P.subarray(u * this.options.dim, (u + 1) * this.options.dim), out);
  }

  /** Scores of every item for an arbitrary user vector. */
  scoreVector(p: Float32Array, out: Float32Array): void {
    const d = this.options.dim;
    const { Q, B } = this.params;
    for (let i = 0; i < this.numItems; i++) {
      const qi = i * d;
      let s = B[i];
      for (let c = 0; c < d; c++) s += p[c] * Q[qi + c];
      out[i] = s;
    }
  }

  /** A new user's vector from their items: the `logistic` fold-in with the model's l2 on p. */
  foldIn(items: Int32Array, settings: FoldInSettings): FoldInFit {
    noFoldInLoss(this.kind, settings);
    return foldInLogistic(this.params.Q, this.params.B, this.options.dim, this.numItems, this.options.l2, items, settings);
  }

  /** Item–item similarity: `cosine` of the item vectors (biases play no part). */
  itemSimilarity(): ItemSimilarity {
    return cosineSimilarity(this.params.Q, this.numItems, this.options.dim);
  }

  /** User and item vectors (`dot`, with the item biases). */
  vectors(): ModelVectors {
    return { dim: this.options.dim, users: this.params.P, items: this.params.Q, geometry: 'dot', itemBias: this.params.B };
  }

  config(): Record<string, unknown> {
    return { kind: 'bpr', numUsers: this.numUsers, numItems: this.numItems, ...this.options };
  }

  tensors(): Record<string, Tensor> {
    const d = this.options.dim;
    return {
      P: { shape: [this.numUsers, d], data: this.params.P },
      Q: { shape: [this.numItems, d], data: this.params.Q },
      B: { shape: [this.numItems], data: this.params.B },
    };
  }

  /** Recreates a model from config() and tensors(). */
  static fromTensors(config: Record<string, unknown>, tensors: Record<string, Tensor>): BprModel {
    const { numUsers, numItems, kind: _k, ...rest } = config;
    if (!Number.isInteger(numUsers) || !Number.isInteger(numItems)) throw new LrmlError('BAD_MODEL_FILE', 'bpr: config lacks numUsers/numItems');
    let o: BprOptions;
    try {
      o = resolveBprOptions(rest as Partial<BprOptions>);
    } catch (e) {
      throw new LrmlError('BAD_MODEL_FILE', `bpr: bad config: ${(e as Error).message}`);
    }
    const get = (name: string): Float32Array => {
      const t = tensors[name];
      if (t === undefined || !(t.data instanceof Float32Array)) throw new LrmlError('BAD_MODEL_FILE', `bpr: tensor ${name} missing or not float32`);
      return t.data;
    };
    return new BprModel(numUsers as number, numItems as number, o, { P: get('P'), Q: get('Q'), B: get('B') });
  }
}

/**
 * BPR-MF: matrix factorisation with the Bayesian personalised ranking loss (Rendle et al. 2009).
 * Its training code lives in src/train/bpr.ts.
 *
 * @example
 * ```ts
 * const model = await bprFamily.fit(csr, { dim: 32, epochs: 10 }); // BprModel
 * ```
 */
export const bprFamily = trainedFamily<BprOptions, BprModel>({
  kind: 'bpr',
  description: 'BPR-MF: matrix factorisation with the BPR pairwise loss (Rendle et al. 2009)',
  defaults: BPR_DEFAULTS,
  resolveOptions: resolveBprOptions,
  fromTensors: (config, tensors) => BprModel.fromTensors(config, tensors),
  estimateMemory: (s, o) => {
    // weights, gradients, optimiser state and the best-epoch snapshot; per-epoch pair arrays
    const tables = (s.numUsers + s.numItems) * numOption(o, 'dim', 0) + s.numItems;
    return estimateFromParts({ dim: 4 * tables * (3 + optimizerCopies(o)), data: 4 * s.nnz * 4 });
  },
});
