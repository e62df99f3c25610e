// Linear probes: L2-regularised logistic regression fitted by Newton's method (IRLS) with a
// Cholesky solve, ROC AUC with ties, accuracy, and stratified seeded k-fold cross-validation.
// Pure compute over typed arrays (browser-safe, prints nothing).

import { LrmlError, badOption, numberIn, positiveInt } from '../errors.js';
import { choleskyFactor, choleskySolve } from '../kernels/linalg-impl.js';
import { Rng } from '../rng.js';
import type { ProbeScore } from './types.js';

/** Options of {@link logisticRegression}. All optional. */
export interface LogisticOptions {
  /**
   * L2 penalty λ on the weights of the standardised features (default 1e-2; not on the intercept).
   * The objective is mean log-loss + (λ/2)‖w‖², so λ does not depend on the number of rows.
   */
  lambda?: number;
  /** Newton iterations at most (default 50). */
  maxIterations?: number;
  /**
   * Stop when the largest entry of the penalised gradient, or the largest change of a coefficient
   * in a Newton step, is below this (default 1e-9).
   */
  tolerance?: number;
  /** Fit on these rows only (default: all rows). Standardisation uses these rows too. */
  rows?: Int32Array;
  /** Start from this fit's coefficients (same dimension) instead of zero: fewer iterations. */
  init?: LogisticModel;
}

/** A fitted logistic regression: P(y = 1 | x) = σ(b + w · ((x − mean) / scale)). */
export interface LogisticModel {
  /** Feature dimension d. */
  dim: number;
  /** Training rows' mean of each feature. */
  mean: Float64Array;
  /** Training rows' standard deviation of each feature (1 where it is 0). */
  scale: Float64Array;
  /** Weights of the standardised features (length d). */
  weights: Float64Array;
  intercept: number;
  /** Newton iterations run (the last one may only have checked the gradient). */
  iterations: number;
  /** Whether the tolerance was reached within maxIterations. */
  converged: boolean;
}

function checkData(X: Float64Array, y: Uint8Array, name: string): number {
  const n = y.length;
  if (n === 0) throw badOption(`${name} labels`, 0, 'at least one row');
  if (X.length % n !== 0 || X.length === 0) {
    throw badOption(`${name} features`, X.length, `a row-major n×d matrix with n = ${n} rows (length a positive multiple of ${n})`);
  }
  for (let k = 0; k < n; k++) {
    if (y[k] > 1) throw badOption(`${name} labels[${k}]`, y[k], '0 or 1');
  }
  return X.length / n;
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/**
 * Training rows gathered into standardised column-major form: column j of row t at
 * `cols[j * n + t]`, plus the mean and scale used.
 */
function standardise(X: Float64Array, d: number, rows: Int32Array): { cols: Float64Array; mean: Float64Array; scale: Float64Array } {
  const n = rows.length;
  const mean = new Float64Array(d);
  const scale = new Float64Array(d);
  const cols = new Float64Array(n * d);
  for (let t = 0; t < n; t++) {
    const o = rows[t] * d;
    for (let j = 0; j < d; j++) {
      const x = X[o + j];
      cols[j * n + t] = x;
      mean[j] += x;
    }
  }
  for (let j = 0; j < d; j++) {
    const m = mean[j] / n;
    mean[j] = m;
    const c = j * n;
    let s = 0;
    for (let t = 0; t < n; t++) {
      const x = cols[c + t] - m;
      cols[c + t] = x;
      s += x * x;
    }
    const sd = Math.sqrt(s / n);
    // constant features (sd 0 or lost in rounding) carry no information: keep them at 0
    const informative = sd > 1e-12 * (Math.abs(m) + 1);
    scale[j] = informative ? sd : 1;
    const inv = informative ? 1 / sd : 0;
    for (let t = 0; t < n; t++) cols[c + t] *= inv;
  }
  return { cols, mean, scale };
}

/** z[t] += b · c[o + t] for t < n. */
function axpy(z: Float64Array, b: number, c: Float64Array, o: number, n: number): void {
  for (let t = 0; t < n; t++) z[t] += b * c[o + t];
}

/** Σ_t c[o + t] · v[t] for t < n. */
function dotAt(c: Float64Array, o: number, v: Float64Array, n: number): number {
  let s = 0;
  for (let t = 0; t < n; t++) s += c[o + t] * v[t];
  return s;
}

/** out[o + t] = w[t] · c[o + t] for t < n; returns their sum. */
function weighColumn(out: Float64Array, c: Float64Array, o: number, w: Float64Array, n: number): number {
  let s = 0;
  for (let t = 0; t < n; t++) {
    const v = w[t] * c[o + t];
    out[o + t] = v;
    s += v;
  }
  return s;
}

/** Rows per chunk of {@link weightedGram} (a chunk of every column stays in cache). */
const GRAM_ROWS = 512;

/**
 * H[a][b] = Σ_t WZ[a][t] · Z[b][t] for b ≤ a (lower triangle; a few entries just above the
 * diagonal are written too, with their correct values), Z and WZ column-major n×d, H row-major with
 * row stride D. Blocked over rows (cache) and 2×4 (a, b) tiles (registers): the O(n·d²) part of a
 * Newton step.
 */
function weightedGram(Z: Float64Array, WZ: Float64Array, n: number, d: number, H: Float64Array, D: number): void {
  for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) H[a * D + b] = 0;
  for (let t0 = 0; t0 < n; t0 += GRAM_ROWS) {
    const t1 = Math.min(n, t0 + GRAM_ROWS);
    for (let a = 0; a < d; a += 2) {
      const pair = a + 1 < d;
      const last = pair ? a + 1 : a;
      const oa = a * n;
      const oa1 = (a + 1) * n;
      let b = 0;
      if (pair) {
        for (; b + 3 <= last && b + 3 < d; b += 4) {
          const o0 = b * n;
          const o1 = o0 + n;
          const o2 = o1 + n;
          const o3 = o2 + n;
          let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
          for (let t = t0; t < t1; t++) {
            const u = WZ[oa + t];
            const v = WZ[oa1 + t];
            const z0 = Z[o0 + t];
            const z1 = Z[o1 + t];
            const z2 = Z[o2 + t];
            const z3 = Z[o3 + t];
            s00 += u * z0;
            s01 += u * z1;
            s02 += u * z2;
            s03 += u * z3;
            s10 += v * z0;
            s11 += v * z1;
            s12 += v * z2;
            s13 += v * z3;
          }
          const ra = a * D + b;
          const rb = ra + D;
          H[ra] += s00;
          H[ra + 1] += s01;
          H[ra + 2] += s02;
          H[ra + 3] += s03;
          H[rb] += s10;
          H[rb + 1] += s11;
          H[rb + 2] += s12;
          H[rb + 3] += s13;
        }
      }
      // the rest of the tile rows, one (a', b) at a time
      for (let r = a; r <= last; r++) {
        const or = r * n;
        for (let c = b; c <= r; c++) {
          const oc = c * n;
          let s = 0;
          for (let t = t0; t < t1; t++) s += WZ[or + t] * Z[oc + t];
          H[r * D + c] += s;
        }
      }
    }
  }
}

/**
 * Fits an L2-regularised logistic regression of binary labels `y` (0/1) on the rows of `X`
 * (row-major n×d, n = y.length) by Newton's method (iteratively reweighted least squares): each
 * step solves the (d+1)×(d+1) penalised Hessian system by Cholesky. Features are standardised with
 * the training rows' mean and standard deviation; the intercept is not penalised. Cost per
 * iteration O(n·d²). Deterministic. BAD_OPTION for malformed input.
 *
 * @example
 * ```ts
 * const X = Float64Array.of(0, 1, 2, 3); // 4 rows, d = 1
 * const fit = logisticRegression(X, Uint8Array.of(0, 0, 1, 1), { lambda: 0.1 });
 * predictLogistic(fit, Float64Array.of(3)); // ≈ 0.8
 * ```
 */
export function logisticRegression(X: Float64Array, y: Uint8Array, options: LogisticOptions = {}): LogisticModel {
  const d = checkData(X, y, 'logisticRegression');
  const lambda = numberIn('lambda', options.lambda ?? 1e-2, 0, 1e6);
  const maxIterations = positiveInt('maxIterations', options.maxIterations ?? 50);
  const tolerance = numberIn('tolerance', options.tolerance ?? 1e-9, 0, 1);
  const all = y.length;
  let rows = options.rows;
  if (rows === undefined) {
    rows = new Int32Array(all);
    for (let t = 0; t < all; t++) rows[t] = t;
  }
  if (rows.length === 0) throw badOption('rows', 0, 'at least one row');
  for (let t = 0; t < rows.length; t++) {
    if (!(rows[t] >= 0 && rows[t] < all)) throw badOption(`rows[${t}]`, rows[t], `a row index in [0, ${all - 1}]`);
  }
  if (options.init !== undefined && options.init.dim !== d) throw badOption('init', options.init.dim, `a fit of dimension ${d}`);
  const n = rows.length;
  const { cols, mean, scale } = standardise(X, d, rows);
  const yy = new Float64Array(n);
  for (let t = 0; t < n; t++) yy[t] = y[rows[t]];
  // coefficients: beta[0..d) weights, beta[d] intercept
  const D = d + 1;
  const beta = new Float64Array(D);
  if (options.init !== undefined) {
    beta.set(options.init.weights);
    beta[d] = options.init.intercept;
  }
  const z = new Float64Array(n);
  const w = new Float64Array(n);
  const res = new Float64Array(n);
  const wcols = new Float64Array(n * d);
  const H = new Float64Array(D * D);
  const g = new Float64Array(D);
  const invN = 1 / n;
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    // z = b + Σ_j w_j x_j (column-major axpy)
    z.fill(beta[d]);
    for (let j = 0; j < d; j++) {
      const bj = beta[j];
      if (bj === 0) continue;
      axpy(z, bj, cols, j * n, n);
    }
    let sw = 0;
    let sr = 0;
    for (let t = 0; t < n; t++) {
      const p = sigmoid(z[t]);
      const wt = p * (1 - p);
      w[t] = wt;
      res[t] = p - yy[t];
      sw += wt;
      sr += p - yy[t];
    }
    // gradient g = (1/n) Xᵀ(p − y) + λ w; at the optimum already: stop before the O(n·d²) Hessian
    let gmax = Math.abs(sr * invN);
    for (let a = 0; a < d; a++) {
      g[a] = dotAt(cols, a * n, res, n) * invN + lambda * beta[a];
      gmax = Math.max(gmax, Math.abs(g[a]));
    }
    if (gmax < tolerance) {
      converged = true;
      break;
    }
    // Hessian H = (1/n) Xᵀ W X + λ I (intercept unpenalised)
    for (let a = 0; a < d; a++) H[a * D + d] = weighColumn(wcols, cols, a * n, w, n) * invN;
    weightedGram(cols, wcols, n, d, H, D);
    for (let a = 0; a < d; a++) {
      for (let b = 0; b <= a; b++) H[a * D + b] *= invN;
      H[a * D + a] += lambda;
    }
    g[d] = sr * invN;
    // lower triangle: the intercept row
    for (let b = 0; b < d; b++) H[d * D + b] = H[b * D + d];
    // a tiny ridge on the intercept keeps H positive definite when every weight is saturated
    H[d * D + d] = sw * invN + 1e-12;
    if (choleskyFactor(H, D) >= 0) {
      throw new LrmlError('INTERNAL', 'logisticRegression: Hessian not positive definite (use lambda > 0)');
    }
    choleskySolve(H, D, g);
    let step = 0;
    for (let k = 0; k < D; k++) {
      beta[k] -= g[k];
      step = Math.max(step, Math.abs(g[k]));
    }
    if (!Number.isFinite(step)) throw new LrmlError('INTERNAL', 'logisticRegression: the Newton step is not finite (use lambda > 0)');
    if (step < tolerance) {
      converged = true;
      break;
    }
  }
  return { dim: d, mean, scale, weights: beta.slice(0, d), intercept: beta[d], iterations, converged };
}

/**
 * P(y = 1) of each row of `X` (row-major, `fit.dim` columns) under a fitted model; `rows` selects
 * rows (default all).
 *
 * @example
 * ```ts
 * const p = predictLogistic(fit, Xtest);
 * ```
 */
export function predictLogistic(fit: LogisticModel, X: Float64Array, rows?: Int32Array): Float64Array {
  const d = fit.dim;
  if (X.length % d !== 0) throw badOption('features', X.length, `a row-major matrix with ${d} columns`);
  const n = rows === undefined ? X.length / d : rows.length;
  const out = new Float64Array(n);
  const coef = new Float64Array(d);
  let b = fit.intercept;
  for (let j = 0; j < d; j++) {
    coef[j] = fit.weights[j] / fit.scale[j];
    b -= coef[j] * fit.mean[j];
  }
  for (let t = 0; t < n; t++) {
    const o = (rows === undefined ? t : rows[t]) * d;
    let z = b;
    for (let j = 0; j < d; j++) z += coef[j] * X[o + j];
    out[t] = sigmoid(z);
  }
  return out;
}

/**
 * ROC AUC of `scores` for binary `labels` (1 = positive): the probability that a random positive
 * scores above a random negative, ties counting one half (Mann–Whitney with mid-ranks). NaN when
 * a class is empty.
 *
 * @example
 * ```ts
 * aucScore(Float64Array.of(0.1, 0.4, 0.35, 0.8), Uint8Array.of(0, 0, 1, 1)); // 0.75
 * aucScore(Float64Array.of(1, 1), Uint8Array.of(0, 1));                      // 0.5
 * ```
 */
export function aucScore(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  if (labels.length !== n) throw badOption('labels', labels.length, `${n} labels, one per score`);
  const order = new Int32Array(n);
  for (let t = 0; t < n; t++) order[t] = t;
  order.sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  let rankSum = 0;
  let t = 0;
  while (t < n) {
    let e = t + 1;
    while (e < n && scores[order[e]] === scores[order[t]]) e++;
    // ranks t+1 .. e share the mid-rank
    const mid = (t + 1 + e) / 2;
    for (let k = t; k < e; k++) {
      if (labels[order[k]] === 1) {
        pos++;
        rankSum += mid;
      }
    }
    t = e;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Share of rows whose prediction (score ≥ `threshold`, default 0.5 → 1) equals the label.
 *
 * @example
 * ```ts
 * accuracyScore(Float64Array.of(0.2, 0.7, 0.6), Uint8Array.of(0, 1, 0)); // 2/3
 * ```
 */
export function accuracyScore(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold = 0.5): number {
  const n = scores.length;
  if (labels.length !== n) throw badOption('labels', labels.length, `${n} labels, one per score`);
  if (n === 0) return Number.NaN;
  let right = 0;
  for (let t = 0; t < n; t++) if ((scores[t] >= threshold ? 1 : 0) === labels[t]) right++;
  return right / n;
}

/**
 * Stratified, seeded fold assignment: each class is shuffled and dealt round-robin over the folds
 * (so every fold holds ⌊c/k⌋ or ⌈c/k⌉ of a class of c rows). BAD_OPTION when a class has fewer rows
 * than folds.
 *
 * @example
 * ```ts
 * const fold = stratifiedFolds(Uint8Array.of(0, 1, 0, 1, 0, 1), 3, 7); // Int32Array of fold numbers
 * ```
 */
export function stratifiedFolds(y: Uint8Array, folds: number, seed: number): Int32Array {
  positiveInt('folds', folds);
  if (folds < 2) throw badOption('folds', folds, 'an integer ≥ 2');
  const rng = new Rng(seed);
  const out = new Int32Array(y.length);
  for (const cls of [0, 1]) {
    const idx: number[] = [];
    for (let t = 0; t < y.length; t++) if (y[t] === cls) idx.push(t);
    if (idx.length < folds) throw badOption('labels', `${idx.length} rows of class ${cls}`, `at least ${folds} rows of each class for ${folds} folds`);
    rng.shuffle(idx);
    // continue the round-robin where the previous class stopped, to even out fold sizes
    const off = cls === 0 ? 0 : (y.length - idx.length) % folds;
    for (let k = 0; k < idx.length; k++) out[idx[k]] = (k + off) % folds;
  }
  return out;
}

/** Options of {@link crossValidateProbe}. All optional. */
export interface ProbeOptions {
  /** Folds (default 5). */
  folds?: number;
  /** Seed of the fold assignment (default 0). */
  seed?: number;
  /** L2 penalty of {@link logisticRegression} (default 1e-2). */
  lambda?: number;
  /** A fold assignment to use instead of a seeded one (e.g. shared by several feature sets). */
  foldOf?: Int32Array;
}

/**
 * k-fold cross-validated linear probe: for each fold, {@link logisticRegression} on the other folds
 * (standardised with their statistics) scores the held-out fold; returns the mean held-out AUC and
 * accuracy and the standard deviation (n − 1) of the fold AUCs. Folds are stratified and seeded
 * ({@link stratifiedFolds}).
 *
 * @example
 * ```ts
 * const s = crossValidateProbe(X, y, { folds: 5, seed: 1 });
 * s.auc; // ≈ 0.5 when X says nothing about y
 * ```
 */
export function crossValidateProbe(X: Float64Array, y: Uint8Array, options: ProbeOptions = {}): ProbeScore {
  checkData(X, y, 'crossValidateProbe');
  const folds = positiveInt('folds', options.folds ?? 5);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw badOption('seed', seed, 'an integer');
  const lambda = options.lambda ?? 1e-2;
  let foldOf = options.foldOf;
  if (foldOf === undefined) foldOf = stratifiedFolds(y, folds, seed);
  else if (foldOf.length !== y.length) throw badOption('foldOf', foldOf.length, `${y.length} fold numbers, one per row`);
  const n = y.length;
  const aucs: number[] = [];
  let acc = 0;
  let prev: LogisticModel | undefined;
  for (let f = 0; f < folds; f++) {
    let nTest = 0;
    for (let t = 0; t < n; t++) if (foldOf[t] === f) nTest++;
    if (nTest === 0 || nTest === n) throw badOption('foldOf', `fold ${f} with ${nTest} rows`, `every fold in [0, ${folds - 1}] non-empty and not all rows`);
    const train = new Int32Array(n - nTest);
    const test = new Int32Array(nTest);
    let a = 0;
    let b = 0;
    for (let t = 0; t < n; t++) {
      if (foldOf[t] === f) test[b++] = t;
      else train[a++] = t;
    }
    // warm start from the previous fold: same optimum up to the tolerance, fewer Newton steps
    const fit = logisticRegression(X, y, { lambda, rows: train, init: prev });
    prev = fit;
    const p = predictLogistic(fit, X, test);
    const labels = new Uint8Array(nTest);
    for (let t = 0; t < nTest; t++) labels[t] = y[test[t]];
    aucs.push(aucScore(p, labels));
    acc += accuracyScore(p, labels);
  }
  const auc = aucs.reduce((s, x) => s + x, 0) / folds;
  const aucStd = folds > 1 ? Math.sqrt(aucs.reduce((s, x) => s + (x - auc) * (x - auc), 0) / (folds - 1)) : 0;
  return { accuracy: acc / folds, auc, aucStd };
}
