// Linear probes: AUC and accuracy on hand-computed cases, logistic regression at its optimum and
// against a slow reference, planted signal found, shuffled labels at chance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accuracyScore, aucScore, crossValidateProbe, logisticRegression, predictLogistic, stratifiedFolds } from '../src/analyze/probe.js';
import { LrmlError } from '../src/errors.js';
import { Rng } from '../src/rng.js';

/** AUC by its definition: over all (positive, negative) pairs, 1 for a win, ½ for a tie. */
function bruteAuc(s: ArrayLike<number>, y: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let a = 0; a < s.length; a++) {
    if (y[a] !== 1) continue;
    for (let b = 0; b < s.length; b++) {
      if (y[b] !== 0) continue;
      den++;
      num += s[a] > s[b] ? 1 : s[a] === s[b] ? 0.5 : 0;
    }
  }
  return num / den;
}

test('aucScore: hand-computed cases, ties count one half', () => {
  assert.equal(aucScore([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1);
  assert.equal(aucScore([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0);
  // positives 0.35 (beats 0.1, loses to 0.4) and 0.8 (beats both): 3 of 4
  assert.equal(aucScore([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  // all tied: ½
  assert.equal(aucScore([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]), 0.5);
  // positive 2 beats negative 1 and ties negative 2; positive 3 beats both: (1 + ½ + 2) / 4
  assert.equal(aucScore([1, 2, 2, 3], [0, 0, 1, 1]), 0.875);
  // one positive tied with two of three negatives, above the third: (1 + ½ + ½) / 3
  assert.equal(aucScore([5, 5, 5, 1], [1, 0, 0, 0]), 2 / 3);
  assert.ok(Number.isNaN(aucScore([1, 2], [1, 1])), 'one class: NaN');
  // many ties on random data: equal to the definition
  const rng = new Rng(3);
  const s = Array.from({ length: 300 }, () => rng.int(7));
  const y = Array.from({ length: 300 }, () => (rng.float() < 0.3 ? 1 : 0));
  assert.ok(Math.abs(aucScore(s, y) - bruteAuc(s, y)) < 1e-12);
});

test('accuracyScore: threshold 0.5 inclusive', () => {
  assert.equal(accuracyScore([0.2, 0.7, 0.6], [0, 1, 0]), 2 / 3);
  assert.equal(accuracyScore([0.5, 0.49], [1, 0]), 1);
  assert.equal(accuracyScore([0.3, 0.3], [1, 1], 0.25), 1);
});

/** A small noisy problem: n rows, d features, labels from a linear rule plus noise. */
function problem(n: number, d: number, seed: number, noise: number): { X: Float64Array; y: Uint8Array; w: number[] } {
  const rng = new Rng(seed);
  const w = Array.from({ length: d }, () => rng.normal());
  const X = new Float64Array(n * d);
  const y = new Uint8Array(n);
  for (let t = 0; t < n; t++) {
    let z = 0.3;
    for (let j = 0; j < d; j++) {
      // features on different scales and offsets: standardisation matters
      const x = rng.normal() * (j + 1) + j;
      X[t * d + j] = x;
      z += (w[j] * (x - j)) / (j + 1);
    }
    y[t] = z + noise * rng.normal() > 0 ? 1 : 0;
  }
  return { X, y, w };
}

/** The training rows standardised as the fit does (population standard deviation). */
function standardised(X: Float64Array, n: number, d: number): Float64Array {
  const Z = new Float64Array(n * d);
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let t = 0; t < n; t++) m += X[t * d + j];
    m /= n;
    let v = 0;
    for (let t = 0; t < n; t++) v += (X[t * d + j] - m) ** 2;
    const sd = Math.sqrt(v / n);
    for (let t = 0; t < n; t++) Z[t * d + j] = (X[t * d + j] - m) / sd;
  }
  return Z;
}

/** Gradient of mean log-loss + (λ/2)‖w‖² in standardised coordinates ([w..., b]). */
function penalisedGradient(Z: Float64Array, y: Uint8Array, d: number, w: ArrayLike<number>, b: number, lambda: number): number[] {
  const n = y.length;
  const g = new Array<number>(d + 1).fill(0);
  for (let t = 0; t < n; t++) {
    let z = b;
    for (let j = 0; j < d; j++) z += w[j] * Z[t * d + j];
    const r = 1 / (1 + Math.exp(-z)) - y[t];
    for (let j = 0; j < d; j++) g[j] += (r * Z[t * d + j]) / n;
    g[d] += r / n;
  }
  for (let j = 0; j < d; j++) g[j] += lambda * w[j];
  return g;
}

test('logisticRegression: the penalised gradient vanishes at the fit; agrees with slow gradient descent', () => {
  const n = 80;
  const d = 3;
  const lambda = 0.05;
  const { X, y } = problem(n, d, 11, 1.0);
  const fit = logisticRegression(X, y, { lambda });
  assert.ok(fit.converged && fit.iterations < 20, `converged in ${fit.iterations} iterations`);
  const Z = standardised(X, n, d);
  const g = penalisedGradient(Z, y, d, fit.weights, fit.intercept, lambda);
  for (const x of g) assert.ok(Math.abs(x) < 1e-10, `gradient ${g}`);
  // reference: plain gradient descent, long, on the same objective
  const w = new Array<number>(d).fill(0);
  let b = 0;
  for (let it = 0; it < 20000; it++) {
    const gr = penalisedGradient(Z, y, d, w, b, lambda);
    for (let j = 0; j < d; j++) w[j] -= 0.5 * gr[j];
    b -= 0.5 * gr[d];
  }
  for (let j = 0; j < d; j++) assert.ok(Math.abs(w[j] - fit.weights[j]) < 1e-7, `w[${j}] ${w[j]} vs ${fit.weights[j]}`);
  assert.ok(Math.abs(b - fit.intercept) < 1e-7);
  // predictions on raw features use the training standardisation
  const p = predictLogistic(fit, X);
  for (let t = 0; t < n; t++) {
    let z = b;
    for (let j = 0; j < d; j++) z += w[j] * Z[t * d + j];
    assert.ok(Math.abs(p[t] - 1 / (1 + Math.exp(-z))) < 1e-7);
  }
  // a larger penalty shrinks the weights
  const strong = logisticRegression(X, y, { lambda: 5 });
  const norm = (a: ArrayLike<number>): number => Math.hypot(...Array.from(a));
  assert.ok(norm(strong.weights) < norm(fit.weights) / 2);
});

test('logisticRegression: rows select the training rows; a constant feature gets weight 0; bad input is BAD_OPTION', () => {
  const { X, y } = problem(60, 2, 4, 0.5);
  const rows = Int32Array.from({ length: 30 }, (_, k) => 2 * k);
  const a = logisticRegression(X, y, { rows });
  const Xs = new Float64Array(60);
  const ys = new Uint8Array(30);
  rows.forEach((r, k) => {
    Xs[2 * k] = X[2 * r];
    Xs[2 * k + 1] = X[2 * r + 1];
    ys[k] = y[r];
  });
  const b = logisticRegression(Xs, ys);
  for (let j = 0; j < 2; j++) assert.ok(Math.abs(a.weights[j] - b.weights[j]) < 1e-12);
  const Xc = new Float64Array(60 * 3);
  for (let t = 0; t < 60; t++) Xc.set([X[2 * t], 7, X[2 * t + 1]], 3 * t);
  const c = logisticRegression(Xc, y);
  assert.equal(c.weights[1], 0);
  const code = (f: () => unknown): string | undefined => {
    try {
      f();
    } catch (e) {
      return e instanceof LrmlError ? e.code : 'other';
    }
    return undefined;
  };
  assert.equal(code(() => logisticRegression(Float64Array.of(1, 2, 3), Uint8Array.of(0, 1))), 'BAD_OPTION');
  assert.equal(code(() => logisticRegression(Float64Array.of(1, 2), Uint8Array.of(0, 2))), 'BAD_OPTION');
  assert.equal(code(() => logisticRegression(X, y, { lambda: -1 })), 'BAD_OPTION');
  assert.equal(code(() => crossValidateProbe(X, y, { folds: 1 })), 'BAD_OPTION');
});

test('stratifiedFolds: classes spread evenly, seeded', () => {
  const y = Uint8Array.from({ length: 103 }, (_, t) => (t % 4 === 0 ? 1 : 0));
  const f = stratifiedFolds(y, 5, 9);
  const pos = new Array<number>(5).fill(0);
  const all = new Array<number>(5).fill(0);
  f.forEach((k, t) => {
    all[k]++;
    pos[k] += y[t];
  });
  assert.ok(Math.max(...pos) - Math.min(...pos) <= 1, `positives per fold ${pos}`);
  assert.ok(Math.max(...all) - Math.min(...all) <= 1, `rows per fold ${all}`);
  assert.deepEqual(stratifiedFolds(y, 5, 9), f);
  assert.notDeepEqual(stratifiedFolds(y, 5, 10), f);
  assert.throws(() => stratifiedFolds(Uint8Array.of(0, 0, 0, 1), 2, 0), /at least 2 rows of each class/);
});

test('crossValidateProbe: a planted linear signal gives AUC > 0.9', () => {
  const { X, y } = problem(2000, 10, 21, 0.3);
  const s = crossValidateProbe(X, y, { folds: 5, seed: 1 });
  assert.ok(s.auc > 0.9, `auc ${s.auc}`);
  assert.ok(s.accuracy > 0.8, `accuracy ${s.accuracy}`);
  assert.ok(s.aucStd >= 0 && s.aucStd < 0.05);
  assert.deepEqual(crossValidateProbe(X, y, { folds: 5, seed: 1 }), s, 'deterministic');
});

test('crossValidateProbe: shuffled labels are at chance', () => {
  const { X, y } = problem(2000, 10, 21, 0.3);
  new Rng(5).shuffle(y);
  const s = crossValidateProbe(X, y, { folds: 5, seed: 1 });
  assert.ok(Math.abs(s.auc - 0.5) < 0.06, `auc ${s.auc}`);
});
