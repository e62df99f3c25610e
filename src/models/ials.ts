// iALS: implicit alternating least squares (Hu, Koren, Volinsky, ICDM 2008) in the formulation
// and recipe of Rendle, Krichene, Zhang, Koren, "Revisiting the Performance of iALS on Item
// Recommendation Benchmarks" (RecSys 2022):
//
//   L(P, Q) = Σ_{(u,i) observed} (p_u·q_i − 1)²  +  α₀ Σ_u Σ_{all i} (p_u·q_i)²
//             + λ (Σ_u (|I_u| + α₀|I|)^ν ‖p_u‖² + Σ_i (|U_i| + α₀|U|)^ν ‖q_i‖²)
//
// The unobserved weight α₀ applies to every (user, item) pair, observed ones included, which the
// Gramian trick makes cheap: the user step solves, per user,
//   (α₀·QᵀQ + Σ_{i∈I_u} q_i q_iᵀ + λ_u I) p_u = Σ_{i∈I_u} q_i,    λ_u = λ (|I_u| + α₀|I|)^ν
// exactly (Cholesky) or approximately (a few conjugate-gradient steps from the current p_u), then
// the item step likewise. ν = 1 is the paper's frequency-scaled regularisation (its released NCF
// benchmark code fixes ν = 1); ν = 0 is the classic constant λ. Embeddings start from
// N(0, (initScale/√dim)²), as in the paper's code. Single-threaded: a sweep over ML-1M at
// dim 64 takes a few seconds.

import { badOption, LrmlError, numberIn, oneOf, positiveInt, withDefaults } from '../errors.js';
import type { Csr } from '../data/csr.js';
import { cgWorkspace, choleskyFactor, choleskySolve, conjugateGradient, gramian, type CgWorkspace } from '../kernels/linalg-impl.js';
import { Rng } from '../rng.js';
import { numOption } from './memory-estimate.js';
import { cosineSimilarity, noFoldInLoss } from './foldin.js';
import { trainedFamily } from './trainer.js';
import type { FoldInFit, FoldInSettings, ItemSimilarity, ModelVectors, Recommender, Tensor } from './types.js';

/**
 * Options of iALS (see docs/baselines.md).
 *
 * @example
 * ```ts
 * const o: Partial<IalsOptions> = { dim: 64, alpha0: 0.3, regularization: 0.003, solver: 'cg' };
 * ```
 */
export interface IalsOptions {
  /** Embedding dimension d. */
  dim: number;
  /** Sweeps (each solves every user, then every item). */
  epochs: number;
  /** Seed of the initialisation. */
  seed: number;
  /** Weight α₀ of the squared score of every (user, item) pair (the "unobserved weight"). */
  alpha0: number;
  /** Regularisation λ (scaled per row by (count + α₀·other-side size)^regularizationExp). */
  regularization: number;
  /** Exponent ν of the frequency scaling of λ (1 = the paper's recipe, 0 = constant λ). */
  regularizationExp: number;
  /** Per-row solver: exact `cholesky`, or `cg` (cgSteps conjugate-gradient steps, warm-started). */
  solver: 'cholesky' | 'cg';
  /** Conjugate-gradient steps per row (solver `cg`). */
  cgSteps: number;
  /** Initial embeddings ~ N(0, (initScale/√dim)²). */
  initScale: number;
}

/**
 * iALS defaults: the paper's recipe (ν = 1, init 0.1/√d) at d = 64, with α₀, λ and epochs chosen on
 * the ML-1M validation split (docs/baselines.md).
 *
 * @example
 * ```ts
 * IALS_DEFAULTS.regularization; // 0.003
 * ```
 */
export const IALS_DEFAULTS: Readonly<IalsOptions> = Object.freeze({
  dim: 64,
  epochs: 16,
  seed: 0,
  alpha0: 0.3,
  regularization: 0.003,
  regularizationExp: 1,
  solver: 'cholesky',
  cgSteps: 3,
  initScale: 0.1,
});

/**
 * Validates iALS options over the defaults (BAD_OPTION names the option and the allowed values).
 *
 * @example
 * ```ts
 * resolveIalsOptions({ dim: 32, solver: 'cg' });
 * ```
 */
export function resolveIalsOptions(given: Partial<IalsOptions>): IalsOptions {
  const o = withDefaults('ials', given, IALS_DEFAULTS);
  positiveInt('dim', o.dim);
  if (!Number.isInteger(o.epochs) || o.epochs < 0) throw badOption('epochs', o.epochs, 'an integer ≥ 0');
  if (!Number.isInteger(o.seed)) throw badOption('seed', o.seed, 'an integer');
  numberIn('alpha0', o.alpha0, 0, 1e6);
  numberIn('regularization', o.regularization, 0, 1e6);
  numberIn('regularizationExp', o.regularizationExp, 0, 4);
  oneOf('solver', o.solver, ['cholesky', 'cg'] as const);
  positiveInt('cgSteps', o.cgSteps);
  numberIn('initScale', o.initScale, 0, 100);
  return o;
}

/**
 * Which factor a half-sweep solves: the user embeddings P (items fixed) or the item embeddings Q.
 *
 * @example
 * ```ts
 * const side: IalsSide = 'users';
 * solver.sweep(side);
 * ```
 */
export type IalsSide = 'users' | 'items';

/**
 * The terms of the iALS objective (see the module comment).
 *
 * @example
 * ```ts
 * const { total, observed } = solver.objective();
 * ```
 */
export interface IalsObjective {
  observed: number;
  unobserved: number;
  regularization: number;
  total: number;
}

/**
 * The iALS solver state: data by user and by item, the factors P (numUsers × dim) and
 * Q (numItems × dim), and the per-row least-squares solves. `fit` drives it; tests and tools can
 * step it half-sweep by half-sweep.
 *
 * @example
 * ```ts
 * const s = new IalsSolver(csr, resolveIalsOptions({ dim: 16 }));
 * s.sweep('users');
 * s.sweep('items');
 * s.objective().total;
 * ```
 */
export class IalsSolver {
  readonly byUser: Csr;
  readonly byItem: Csr;
  readonly P: Float32Array;
  readonly Q: Float32Array;
  private readonly d: number;
  private readonly gram: Float64Array;
  private readonly A: Float64Array;
  private readonly rhs: Float64Array;
  private readonly x: Float64Array;
  private readonly ws: CgWorkspace;
  private gramSide: IalsSide | null = null;
  // the row being solved by conjugate gradient (read by applyRow)
  private cgFixed: Float32Array;
  private cgItems: Int32Array;
  private cgReg = 0;
  private readonly applyRow = (v: Float64Array, out: Float64Array): void => this.apply(v, out);

  constructor(data: Csr, readonly options: Readonly<IalsOptions>, P?: Float32Array, Q?: Float32Array) {
    const d = options.dim;
    this.d = d;
    this.byUser = data;
    this.byItem = data.transpose();
    const rng = new Rng(options.seed);
    const std = options.initScale / Math.sqrt(d);
    this.P = P ?? new Float32Array(data.numRows * d);
    this.Q = Q ?? new Float32Array(data.numCols * d);
    if (P === undefined) for (let k = 0; k < this.P.length; k++) this.P[k] = rng.normal() * std;
    if (Q === undefined) for (let k = 0; k < this.Q.length; k++) this.Q[k] = rng.normal() * std;
    this.gram = new Float64Array(d * d);
    this.A = new Float64Array(d * d);
    this.rhs = new Float64Array(d);
    this.x = new Float64Array(d);
    this.ws = cgWorkspace(d);
    this.cgFixed = this.Q;
    this.cgItems = new Int32Array(0);
  }

  /** Rows of one side (users or items). */
  rows(side: IalsSide): number {
    return side === 'users' ? this.byUser.numRows : this.byItem.numRows;
  }

  /** λ_r = λ·(count + α₀·(size of the other side))^ν for row r of `side`. */
  rowRegularization(side: IalsSide, r: number): number {
    const { regularization: lambda, alpha0, regularizationExp: nu } = this.options;
    const m = side === 'users' ? this.byUser : this.byItem;
    const count = m.indptr[r + 1] - m.indptr[r];
    return lambda * Math.pow(count + alpha0 * m.numCols, nu);
  }

  /** Prepares a half-sweep: the Gramian of the fixed factor. */
  beginSide(side: IalsSide): void {
    if (side === 'users') gramian(this.Q, this.byUser.numCols, this.d, this.gram);
    else gramian(this.P, this.byItem.numCols, this.d, this.gram);
    this.gramSide = side;
  }

  /** Solves rows [start, end) of `side` (after {@link beginSide} for that side). */
  solveRows(side: IalsSide, start: number, end: number): void {
    if (this.gramSide !== side) throw new LrmlError('INTERNAL', `ials: beginSide('${side}') must precede solveRows`);
    const m = side === 'users' ? this.byUser : this.byItem;
    const fixed = side === 'users' ? this.Q : this.P;
    const target = side === 'users' ? this.P : this.Q;
    const d = this.d;
    const { alpha0 } = this.options;
    const { A, rhs, gram, x } = this;
    for (let r = start; r < end; r++) {
      const items = m.indices.subarray(m.indptr[r], m.indptr[r + 1]);
      const reg = this.rowRegularization(side, r);
      const to = r * d;
      if (this.options.solver === 'cholesky') {
        for (let a = 0; a < d; a++) {
          const ra = a * d;
          for (let b = 0; b <= a; b++) A[ra + b] = alpha0 * gram[ra + b];
          A[ra + a] += reg;
          rhs[a] = 0;
        }
        // rank-4 updates of the lower triangle (one pass over A per 4 rows)
        let k = 0;
        for (; k + 3 < items.length; k += 4) {
          const h0 = items[k] * d;
          const h1 = items[k + 1] * d;
          const h2 = items[k + 2] * d;
          const h3 = items[k + 3] * d;
          for (let a = 0; a < d; a++) {
            const x0 = fixed[h0 + a];
            const x1 = fixed[h1 + a];
            const x2 = fixed[h2 + a];
            const x3 = fixed[h3 + a];
            rhs[a] += x0 + x1 + x2 + x3;
            const ra = a * d;
            for (let b = 0; b <= a; b++) {
              A[ra + b] += x0 * fixed[h0 + b] + x1 * fixed[h1 + b] + x2 * fixed[h2 + b] + x3 * fixed[h3 + b];
            }
          }
        }
        for (; k < items.length; k++) {
          const ho = items[k] * d;
          for (let a = 0; a < d; a++) {
            const ha = fixed[ho + a];
            rhs[a] += ha;
            const ra = a * d;
            for (let b = 0; b <= a; b++) A[ra + b] += ha * fixed[ho + b];
          }
        }
        const bad = choleskyFactor(A, d);
        if (bad >= 0) {
          throw new LrmlError('DIVERGED', `ials: normal equations of ${side === 'users' ? 'user' : 'item'} ${r} are not positive definite; use regularization > 0`);
        }
        choleskySolve(A, d, rhs);
        for (let a = 0; a < d; a++) target[to + a] = rhs[a];
      } else {
        for (let a = 0; a < d; a++) {
          x[a] = target[to + a];
          rhs[a] = 0;
        }
        for (let k = 0; k < items.length; k++) {
          const ho = items[k] * d;
          for (let a = 0; a < d; a++) rhs[a] += fixed[ho + a];
        }
        this.cgFixed = fixed;
        this.cgItems = items;
        this.cgReg = reg;
        conjugateGradient(this.applyRow, rhs, x, this.options.cgSteps, 0, this.ws);
        for (let a = 0; a < d; a++) target[to + a] = x[a];
      }
    }
  }

  /** out = (α₀·G + λ_r I + Σ_{j∈row} f_j f_jᵀ)·v for the row set up in solveRows. */
  private apply(v: Float64Array, out: Float64Array): void {
    const d = this.d;
    const { gram } = this;
    const alpha0 = this.options.alpha0;
    const reg = this.cgReg;
    for (let a = 0; a < d; a++) {
      const ra = a * d;
      let s = 0;
      for (let b = 0; b < d; b++) s += gram[ra + b] * v[b];
      out[a] = alpha0 * s + reg * v[a];
    }
    const f = this.cgFixed;
    const items = this.cgItems;
    for (let k = 0; k < items.length; k++) {
      const ho = items[k] * d;
      let s = 0;
      for (let a = 0; a < d; a++) s += f[ho + a] * v[a];
      for (let a = 0; a < d; a++) out[a] += s * f[ho + a];
    }
  }

  /** One half-sweep: every row of `side`. */
  sweep(side: IalsSide): void {
    this.beginSide(side);
    this.solveRows(side, 0, this.rows(side));
  }

  /** The full objective L(P, Q) and its terms (Gramian trick for the all-pairs term). */
  objective(): IalsObjective {
    const d = this.d;
    const { P, Q, byUser, byItem } = this;
    let observed = 0;
    for (let u = 0; u < byUser.numRows; u++) {
      const po = u * d;
      for (let k = byUser.indptr[u]; k < byUser.indptr[u + 1]; k++) {
        const qo = byUser.indices[k] * d;
        let s = 0;
        for (let c = 0; c < d; c++) s += P[po + c] * Q[qo + c];
        observed += (s - 1) * (s - 1);
      }
    }
    const gp = new Float64Array(d * d);
    const gq = new Float64Array(d * d);
    gramian(P, byUser.numRows, d, gp);
    gramian(Q, byItem.numRows, d, gq);
    let all = 0;
    for (let k = 0; k < d * d; k++) all += gp[k] * gq[k];
    const unobserved = this.options.alpha0 * all;
    let regularization = 0;
    for (const side of ['users', 'items'] as const) {
      const X = side === 'users' ? P : Q;
      for (let r = 0; r < this.rows(side); r++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += X[r * d + c] * X[r * d + c];
        regularization += this.rowRegularization(side, r) * s;
      }
    }
    return { observed, unobserved, regularization, total: observed + unobserved + regularization };
  }
}

/**
 * A trained iALS model: score(u, i) = p_u · q_i.
 *
 * @example
 * ```ts
 * const s = new Float32Array(model.numItems);
 * model.scoreAll(0, s);
 * model.scoreVector(model.solveUser(Int32Array.of(3, 7)), s); // a new user who liked items 3 and 7
 * ```
 */
export class IalsModel implements Recommender {
  readonly kind = 'ials' as const;
  private itemGram: Float64Array | null = null;
  constructor(readonly numUsers: number, readonly numItems: number, readonly options: Readonly<IalsOptions>, readonly P: Float32Array, readonly Q: Float32Array) {
    const d = options.dim;
    if (P.length !== numUsers * d || Q.length !== numItems * d) {
      throw new LrmlError('BAD_MODEL_FILE', `ials: P/Q shapes do not match numUsers=${numUsers}, numItems=${numItems}, dim=${d}`);
    }
  }

  scoreItems(u: number, items: Int32Array, out: Float32Array): void {
    const d = this.options.dim;
    const { P, Q } = this;
    const po = u * d;
    for (let k = 0; k < items.length; k++) {
      const qo = items[k] * d;
      let s = 0;
      for (let c = 0; c < d; c++) s += P[po + c] * Q[qo + c];
      out[k] = s;
    }
  }

  scoreAll(u: number, out: Float32Array): void {
    const d = this.options.dim;
    this.scoreVector(this.P.subarray(u * d, (u + 1) * d), out);
  }

  /** Scores of every item for any user vector p (length dim). */
  scoreVector(p: Float32Array, out: Float32Array): void {
    const d = this.options.dim;
    const Q = this.Q;
    for (let i = 0; i < this.numItems; i++) {
      const qo = i * d;
      let s = 0;
      for (let c = 0; c < d; c++) s += p[c] * Q[qo + c];
      out[i] = s;
    }
  }

  /**
   * The user vector of a new user who interacted with `items`: the exact iALS user step
   * (α₀·QᵀQ + Σ q_i q_iᵀ + λ_u I)⁻¹ Σ q_i with the model's α₀, λ and ν.
   */
  solveUser(items: Int32Array): Float32Array {
    const d = this.options.dim;
    const { alpha0, regularization: lambda, regularizationExp: nu } = this.options;
    if (this.itemGram === null) {
      this.itemGram = new Float64Array(d * d);
      gramian(this.Q, this.numItems, d, this.itemGram);
    }
    const G = this.itemGram;
    const A = new Float64Array(d * d);
    const rhs = new Float64Array(d);
    const reg = lambda * Math.pow(items.length + alpha0 * this.numItems, nu);
    for (let k = 0; k < d * d; k++) A[k] = alpha0 * G[k];
    for (let a = 0; a < d; a++) A[a * d + a] += reg;
    for (let k = 0; k < items.length; k++) {
      const i = items[k];
      if (!Number.isInteger(i) || i < 0 || i >= this.numItems) throw new LrmlError('UNKNOWN_ITEM', `ials: item index ${i} out of range [0, ${this.numItems})`);
      const qo = i * d;
      for (let a = 0; a < d; a++) {
        rhs[a] += this.Q[qo + a];
        for (let b = 0; b <= a; b++) A[a * d + b] += this.Q[qo + a] * this.Q[qo + b];
      }
    }
    if (choleskyFactor(A, d) >= 0) throw new LrmlError('DIVERGED', 'ials: fold-in system is not positive definite (regularization is 0?)');
    choleskySolve(A, d, rhs);
    return Float32Array.from(rhs);
  }

  /** A new user's vector from their items: the closed-form iALS user step (method `model`). */
  foldIn(items: Int32Array, settings: FoldInSettings): FoldInFit {
    noFoldInLoss(this.kind, settings);
    return { method: 'model', vector: this.solveUser(items), steps: 0, loss: Number.NaN };
  }

  /** Item–item similarity: `cosine` of the item vectors. */
  itemSimilarity(): ItemSimilarity {
    return cosineSimilarity(this.Q, this.numItems, this.options.dim);
  }

  /** User and item vectors (`dot`). */
  vectors(): ModelVectors {
    return { dim: this.options.dim, users: this.P, items: this.Q, geometry: 'dot', itemBias: null };
  }

  config(): Record<string, unknown> {
    return { kind: 'ials', numUsers: this.numUsers, numItems: this.numItems, ...this.options };
  }

  tensors(): Record<string, Tensor> {
    const d = this.options.dim;
    return {
      P: { shape: [this.numUsers, d], data: this.P },
      Q: { shape: [this.numItems, d], data: this.Q },
    };
  }

  /**
   * Recreates a model from config() and tensors() (BAD_MODEL_FILE when inconsistent).
   *
   * @example
   * ```ts
   * const again = IalsModel.fromTensors(model.config(), model.tensors());
   * ```
   */
  static fromTensors(config: Record<string, unknown>, tensors: Record<string, Tensor>): IalsModel {
    const { numUsers, numItems, kind: _k, ...rest } = config;
    if (!Number.isInteger(numUsers) || !Number.isInteger(numItems)) throw new LrmlError('BAD_MODEL_FILE', 'ials: config lacks numUsers/numItems');
    let o: IalsOptions;
    try {
      o = resolveIalsOptions(rest as Partial<IalsOptions>);
    } catch (e) {
      throw new LrmlError('BAD_MODEL_FILE', `ials: bad config: ${(e as Error).message}`);
    }
    const get = (name: string): Float32Array => {
      const t = tensors[name];
      if (t === undefined || !(t.data instanceof Float32Array)) throw new LrmlError('BAD_MODEL_FILE', `ials: tensor ${name} missing or not float32`);
      return t.data;
    };
    return new IalsModel(numUsers as number, numItems as number, o, get('P'), get('Q'));
  }
}

/**
 * iALS as an lrml model family (kind `ials`); its training code lives in src/train/ials.ts.
 *
 * @example
 * ```ts
 * const model = await ialsFamily.fit(csr, { dim: 64, epochs: 16 }); // IalsModel
 * ```
 */
export const ialsFamily = trainedFamily<IalsOptions, IalsModel>({
  kind: 'ials',
  description: 'iALS: implicit ALS with all-pairs weight α₀ and frequency-scaled λ (Hu et al. 2008; Rendle et al. 2022)',
  defaults: IALS_DEFAULTS,
  resolveOptions: resolveIalsOptions,
  fromTensors: (config, tensors) => IalsModel.fromTensors(config, tensors),
  estimateMemory: (s, o) => {
    const d = numOption(o, 'dim', 0);
    // P, Q and a snapshot; the d×d Gram matrix and solver scratch in float64
    return { bytes: 4 * (s.numUsers + s.numItems) * d * 2 + 8 * d * d * 4, option: 'dim' };
  },
});
