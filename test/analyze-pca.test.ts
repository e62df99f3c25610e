// PCA to 2-D: known directions and variances recovered, deterministic sign convention; the Jacobi
// eigen-decomposition on known and random symmetric matrices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pca2, symmetricEigen } from '../src/analyze/pca.js';
import { Rng } from '../src/rng.js';

test('symmetricEigen: a known 2×2 and a random symmetric matrix (A v = λ v, orthonormal, sorted)', () => {
  const e = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
  assert.ok(Math.abs(e.values[0] - 3) < 1e-12 && Math.abs(e.values[1] - 1) < 1e-12);
  assert.ok(Math.abs(Math.abs(e.vectors[0]) - Math.SQRT1_2) < 1e-12 && Math.sign(e.vectors[0]) === Math.sign(e.vectors[1]));
  const d = 30;
  const rng = new Rng(2);
  const A = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) A[i * d + j] = A[j * d + i] = rng.normal();
  const { values, vectors } = symmetricEigen(A, d);
  for (let k = 1; k < d; k++) assert.ok(values[k] <= values[k - 1]);
  for (let k = 0; k < d; k++) {
    for (let i = 0; i < d; i++) {
      let av = 0;
      for (let j = 0; j < d; j++) av += A[i * d + j] * vectors[k * d + j];
      assert.ok(Math.abs(av - values[k] * vectors[k * d + i]) < 1e-9, `residual row ${i} of vector ${k}`);
    }
    for (let l = 0; l <= k; l++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += vectors[k * d + j] * vectors[l * d + j];
      assert.ok(Math.abs(dot - (k === l ? 1 : 0)) < 1e-9);
    }
  }
});

test('pca2: data stretched along known directions gives those directions, variances and signs', () => {
  const d = 6;
  const n = 4000;
  const rng = new Rng(7);
  // orthonormal u1, u2 (u1 with its largest loading negative, so the sign convention must flip it)
  const u1 = [0.1, -0.8, 0.2, 0.4, 0.3, 0.2];
  const norm = Math.hypot(...u1);
  for (let j = 0; j < d; j++) u1[j] /= norm;
  let u2 = [0.5, 0.1, -0.6, 0.2, 0.1, 0.4];
  const dot = u2.reduce((s, x, j) => s + x * u1[j], 0);
  u2 = u2.map((x, j) => x - dot * u1[j]);
  const n2 = Math.hypot(...u2);
  u2 = u2.map((x) => x / n2);
  const X = new Float64Array(n * d);
  const offset = [1, 2, 3, -1, 0, 5];
  for (let t = 0; t < n; t++) {
    const a = 3 * rng.normal();
    const b = 1 * rng.normal();
    for (let j = 0; j < d; j++) X[t * d + j] = offset[j] + a * u1[j] + b * u2[j] + 0.05 * rng.normal();
  }
  const r = pca2(X, n, d);
  const c1 = Array.from(r.components.subarray(0, d));
  const c2 = Array.from(r.components.subarray(d, 2 * d));
  const cos1 = c1.reduce((s, x, j) => s + x * u1[j], 0);
  const cos2 = c2.reduce((s, x, j) => s + x * u2[j], 0);
  assert.ok(Math.abs(Math.abs(cos1) - 1) < 1e-3, `cos1 ${cos1}`);
  assert.ok(Math.abs(Math.abs(cos2) - 1) < 1e-3, `cos2 ${cos2}`);
  // sign convention: the largest-|loading| entry is positive (u1's is −0.8: flipped)
  assert.ok(cos1 < 0);
  for (const c of [c1, c2]) {
    const big = c.reduce((bi, x, j) => (Math.abs(x) > Math.abs(c[bi]) ? j : bi), 0);
    assert.ok(c[big] > 0);
  }
  // variances ≈ 9 and 1 of a total ≈ 10 + 6·0.0025
  assert.ok(Math.abs(r.variance[0] - 9) < 0.5 && Math.abs(r.variance[1] - 1) < 0.1, `variance ${r.variance}`);
  const total = r.variance[0] / r.explainedVariance[0];
  assert.ok(Math.abs(r.explainedVariance[0] + r.explainedVariance[1] - (r.variance[0] + r.variance[1]) / total) < 1e-12);
  assert.ok(r.explainedVariance[0] + r.explainedVariance[1] > 0.99 && r.explainedVariance[0] + r.explainedVariance[1] < 1);
  // coordinates: centred projections, mean zero, variance = eigenvalue
  let mx = 0;
  let vx = 0;
  for (let t = 0; t < n; t++) mx += r.coords[2 * t] / n;
  for (let t = 0; t < n; t++) vx += (r.coords[2 * t] - mx) ** 2 / n;
  assert.ok(Math.abs(mx) < 1e-9 && Math.abs(vx - r.variance[0]) < 1e-9);
  assert.deepEqual(pca2(X, n, d), r, 'deterministic');
});

test('pca2: no variance gives zero shares; bad shapes are BAD_OPTION', () => {
  const r = pca2(new Float64Array(12).fill(3), 4, 3);
  assert.deepEqual(r.explainedVariance, [0, 0]);
  assert.throws(() => pca2(new Float64Array(5), 2, 3), /invalid X/);
});
