// Principal component analysis to two dimensions: covariance of the centred data, cyclic Jacobi
// eigen-decomposition (deterministic), projection. Pure compute (browser-safe).

import { badOption, positiveInt } from '../errors.js';

/** What {@link pca2} returns. */
export interface Pca2 {
  /** Projected coordinates, row-major n×2 (component 1, component 2 per row). */
  coords: Float64Array;
  /** The two principal directions (unit length), row-major 2×d. */
  components: Float64Array;
  /** Variance along each component (eigenvalues of the covariance, divisor n). */
  variance: [number, number];
  /** Share of the total variance each component explains (0 when the data has no variance). */
  explainedVariance: [number, number];
  /** Column means that were subtracted. */
  mean: Float64Array;
}

/**
 * Eigen-decomposition of a symmetric d×d matrix (row-major; only read, not modified) by cyclic
 * Jacobi rotations: eigenvalues in decreasing order and the matching unit eigenvectors as the rows
 * of `vectors` (row-major d×d). Deterministic; O(d³) per sweep, a handful of sweeps.
 *
 * @example
 * ```ts
 * const { values, vectors } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
 * values; // [3, 1]; vectors row 0 ∝ (1, 1)
 * ```
 */
export function symmetricEigen(A: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  positiveInt('d', d);
  if (A.length !== d * d) throw badOption('matrix', A.length, `a ${d}×${d} row-major matrix (length ${d * d})`);
  const a = Float64Array.from(A);
  // V holds the eigenvectors as columns while rotating
  const V = new Float64Array(d * d);
  for (let i = 0; i < d; i++) V[i * d + i] = 1;
  let total = 0;
  for (let i = 0; i < d * d; i++) total += a[i] * a[i];
  // stop when the off-diagonal mass is ~1e-11 of the matrix's (relative), or after 60 sweeps
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q] * a[p * d + q];
    if (off <= 1e-22 * total) break;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q];
        if (apq === 0) continue;
        const app = a[p * d + p];
        const aqq = a[q * d + q];
        // rotation angle zeroing a[p][q] (Numerical Recipes' stable form)
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p];
          const akq = a[k * d + q];
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k];
          const aqk = a[q * d + k];
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = V[k * d + p];
          const vkq = V[k * d + q];
          V[k * d + p] = c * vkp - s * vkq;
          V[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: d }, (_, i) => i).sort((x, y) => a[y * d + y] - a[x * d + x] || x - y);
  const values = new Float64Array(d);
  const vectors = new Float64Array(d * d);
  order.forEach((col, r) => {
    values[r] = a[col * d + col];
    for (let k = 0; k < d; k++) vectors[r * d + k] = V[k * d + col];
  });
  return { values, vectors };
}

/**
 * The top two principal components of `X` (row-major n×d): the data are centred, their
 * covariance (divisor n) is decomposed by {@link symmetricEigen}, and every row is projected on the
 * two leading directions. Sign convention (deterministic): each component's largest-|loading|
 * entry (the first one on ties) is positive. With d = 1 the second component is zero.
 *
 * @example
 * ```ts
 * const r = pca2(X, n, d);
 * r.explainedVariance; // e.g. [0.61, 0.2]
 * r.coords[2 * t];     // first coordinate of row t
 * ```
 */
export function pca2(X: Float64Array, n: number, d: number): Pca2 {
  positiveInt('n', n);
  positiveInt('d', d);
  if (X.length !== n * d) throw badOption('X', X.length, `a row-major ${n}×${d} matrix (length ${n * d})`);
  const mean = new Float64Array(d);
  for (let t = 0; t < n; t++) for (let j = 0; j < d; j++) mean[j] += X[t * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const C = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let t = 0; t < n; t++) {
    const o = t * d;
    for (let j = 0; j < d; j++) row[j] = X[o + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const x = row[a];
      if (x === 0) continue;
      const ra = a * d;
      for (let b = 0; b <= a; b++) C[ra + b] += x * row[b];
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = 0; b <= a; b++) {
      C[a * d + b] /= n;
      C[b * d + a] = C[a * d + b];
    }
  }
  let trace = 0;
  for (let a = 0; a < d; a++) trace += C[a * d + a];
  const { values, vectors } = symmetricEigen(C, d);
  const components = new Float64Array(2 * d);
  const variance: [number, number] = [0, 0];
  for (let c = 0; c < Math.min(2, d); c++) {
    let best = 0;
    for (let k = 1; k < d; k++) if (Math.abs(vectors[c * d + k]) > Math.abs(vectors[c * d + best]) + 1e-12) best = k;
    const sign = vectors[c * d + best] < 0 ? -1 : 1;
    for (let k = 0; k < d; k++) components[c * d + k] = sign * vectors[c * d + k] + 0; // + 0: no −0
    variance[c] = Math.max(0, values[c]);
  }
  const coords = new Float64Array(2 * n);
  for (let t = 0; t < n; t++) {
    const o = t * d;
    let x = 0;
    let y = 0;
    for (let j = 0; j < d; j++) {
      const v = X[o + j] - mean[j];
      x += v * components[j];
      y += v * components[d + j];
    }
    coords[2 * t] = x;
    coords[2 * t + 1] = y;
  }
  const explainedVariance: [number, number] = trace > 0 ? [variance[0] / trace, variance[1] / trace] : [0, 0];
  return { coords, components, variance, explainedVariance, mean };
}
