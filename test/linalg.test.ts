// Dense linear algebra kernels (TypeScript and WASM SIMD) against naive float64 references.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cgWorkspace, choleskyFactor, choleskySolve, conjugateGradient, gramian, matVec, runSpdInverseStep, spdInverse, spdInversePlan,
  symmetrizeFromLower,
} from '../src/kernels/linalg-impl.js';
import { splitRows, WasmSpdMatrix, type SpdParallel } from '../src/kernels/linalg-wasm.js';
import { LinearAllocator } from '../src/kernels/wasm.js';
import { Rng } from '../src/rng.js';
import { naiveInverse } from './dense-helpers.js';

/** A random SPD matrix M·Mᵀ + shift·I (full storage). */
function randomSpd(n: number, seed: number, shift = 1): Float64Array {
  const rng = new Rng(seed);
  const m = new Float64Array(n * n);
  for (let k = 0; k < m.length; k++) m[k] = rng.normal();
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += m[i * n + k] * m[j * n + k];
      a[i * n + j] = s + (i === j ? shift : 0);
    }
  }
  return a;
}

/** Textbook Cholesky–Banachiewicz, unblocked. */
function naiveCholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = i === j ? Math.sqrt(s) : s / l[j * n + j];
    }
  }
  return l;
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let k = 0; k < b.length; k++) scale = Math.max(scale, Math.abs(b[k]));
  let d = 0;
  for (let k = 0; k < b.length; k++) d = Math.max(d, Math.abs(a[k] - b[k]));
  return d / scale;
}

/** Sizes × block sizes that exercise one block, several blocks and ragged last blocks. */
const CASES: [number, number][] = [[1, 64], [2, 64], [7, 3], [33, 8], [70, 16], [130, 64], [97, 32]];

test('choleskyFactor matches the textbook factor (lower), zeros above', () => {
  for (const [n, nb] of CASES) {
    const a = randomSpd(n, n);
    const l = a.slice();
    // garbage in the upper triangle must be ignored
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) l[i * n + j] = 1e9;
    assert.equal(choleskyFactor(l, n, nb), -1);
    const ref = naiveCholesky(a, n);
    assert.ok(maxRelDiff(l, ref) < 1e-12, `n=${n} nb=${nb}: ${maxRelDiff(l, ref)}`);
  }
});

test('choleskySolve solves A x = b', () => {
  const n = 45;
  const a = randomSpd(n, 4);
  const l = a.slice();
  choleskyFactor(l, n, 8);
  const b = Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1));
  const x = b.slice();
  choleskySolve(l, n, x);
  const ax = new Float64Array(n);
  matVec(a, n, x, ax);
  assert.ok(maxRelDiff(ax, b) < 1e-12);
});

test('a matrix that is not positive definite reports its first bad pivot', () => {
  assert.equal(choleskyFactor(Float64Array.of(1, 2, 2, 1), 2), 1);
  assert.equal(choleskyFactor(Float64Array.of(-1, 0, 0, 1), 2), 0);
  const a = randomSpd(20, 1);
  a[10 * 20 + 10] = -1e6;
  assert.equal(spdInverse(a, 20, 8), 10);
});

test('spdInverse (TypeScript, blocked) matches a Gauss–Jordan inverse', () => {
  for (const [n, nb] of CASES) {
    const a = randomSpd(n, 100 + n);
    const inv = a.slice();
    assert.equal(spdInverse(inv, n, nb), -1);
    const ref = naiveInverse(a, n);
    assert.ok(maxRelDiff(inv, ref) < 1e-10, `n=${n} nb=${nb}: ${maxRelDiff(inv, ref)}`);
  }
  // the worked example of the TSDoc
  const small = Float64Array.of(4, 2, 2, 3);
  spdInverse(small, 2);
  [0.375, -0.25, -0.25, 0.5].forEach((v, k) => assert.ok(Math.abs(small[k] - v) < 1e-15));
});

/** Runs the tasks of each stage in reverse order on this thread: a split must not change a bit. */
function reversed(w: WasmSpdMatrix): SpdParallel {
  return async (tasks) => {
    for (const t of [...tasks].reverse()) w.runTask(t);
  };
}

test('WASM SIMD inverse (float64) matches the TypeScript one; any row split gives the same bits', async () => {
  // sizes not multiples of the block, tiny ones, and ragged last blocks (CASES), plus bigger ones
  for (const [n, nb] of [...CASES, [1, 4], [3, 64], [5, 2], [66, 64], [129, 64], [200, 48]] as [number, number][]) {
    const a = randomSpd(n, 200 + n, 0.5);
    const ts = a.slice();
    assert.equal(spdInverse(ts, n, nb), -1);
    let one: Float64Array | null = null;
    for (const threads of [1, 2, 3]) {
      const w = WasmSpdMatrix.tryCreate(n, { nb });
      assert.ok(w !== null, 'WebAssembly SIMD and shared memory are available in Node');
      w.a.set(a);
      assert.equal(await w.invert({ threads, parallel: reversed(w) }), -1);
      const got = Float64Array.from(w.a);
      assert.ok(maxRelDiff(got, ts) < 1e-11, `n=${n} nb=${nb}: ${maxRelDiff(got, ts)}`);
      if (one === null) {
        one = got;
        assert.ok(maxRelDiff(got, naiveInverse(a, n)) < 1e-9);
      } else {
        assert.deepEqual(got, one, `n=${n} nb=${nb} threads=${threads}: not bit-identical to one thread`);
      }
    }
  }
});

test('WASM SIMD inverse in float32 is within float32 rounding of the float64 one', async () => {
  for (const [n, nb] of [[1, 64], [7, 3], [70, 16], [130, 64], [97, 32]] as [number, number][]) {
    const a = randomSpd(n, 300 + n, n); // well conditioned: κ ≈ a few
    const ts = a.slice();
    spdInverse(ts, n, nb);
    const w = WasmSpdMatrix.tryCreate(n, { precision: 'float32', nb })!;
    assert.ok(w.a instanceof Float32Array);
    w.a.set(a);
    assert.equal(await w.invert({ threads: 2, parallel: reversed(w) }), -1);
    assert.ok(maxRelDiff(w.a, ts) < 1e-4, `n=${n}: ${maxRelDiff(w.a, ts)}`);
  }
});

test('WASM easeWeights: B = −P·diag(1/diag(P)) with a zero diagonal, as float32', async () => {
  const n = 37;
  const a = randomSpd(n, 5, 2);
  const p = a.slice();
  spdInverse(p, n, 8);
  for (const precision of ['float64', 'float32'] as const) {
    const w = WasmSpdMatrix.tryCreate(n, { precision, nb: 8 })!;
    w.a.set(a);
    assert.equal(await w.invert(), -1);
    const b = await w.easeWeights({ threads: 2, parallel: reversed(w) });
    assert.ok(b instanceof Float32Array && b.length === n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const want = i === j ? 0 : -p[i * n + j] / p[j * n + j];
        assert.ok(Math.abs(b[i * n + j] - want) < (precision === 'float64' ? 1e-6 : 1e-4) * Math.max(1, Math.abs(want)), `${precision} B[${i}][${j}]`);
      }
    }
  }
});

test('WASM inverse: a matrix that is not positive definite reports its first bad pivot', async () => {
  for (const precision of ['float64', 'float32'] as const) {
    const bad = WasmSpdMatrix.tryCreate(2, { precision })!;
    bad.a.set([1, 2, 2, 1]);
    assert.equal(await bad.invert(), 1);
    const n = 150; // the bad pivot in the third block
    const a = randomSpd(n, 1);
    a[140 * n + 140] = -1e6;
    const w = WasmSpdMatrix.tryCreate(n, { precision })!;
    w.a.set(a);
    assert.equal(await w.invert({ threads: 2 }), 140);
  }
});

test('LinearAllocator hands out offsets above 2 GiB (was: int32 wrap, so a 17k-item float64 EASE fell back to TypeScript)', () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
  const al = new LinearAllocator(memory, 8);
  assert.equal(al.alloc(17000 * 17000 * 8), 16);
  const d = al.alloc(17000 * 8);
  assert.equal(d, 16 + 17000 * 17000 * 8);
  assert.equal(al.end, d + 17000 * 8);
  assert.equal(al.alloc(1), al.end - 16);
  // the 17k-item float64 matrix of EASE (2.3 GB) gets a WASM memory (when this machine can map it)
  const w = WasmSpdMatrix.tryCreate(17000, { precision: 'float64' });
  if (w !== null) assert.equal(w.a.length, 17000 * 17000);
});

test('splitRows cuts a range into parts of about equal cost', () => {
  assert.deepEqual(splitRows(0, 100, 2), [[0, 50], [50, 100]]);
  assert.deepEqual(splitRows(5, 6, 3), [[5, 5], [5, 6], [6, 6]]);
  const parts = splitRows(0, 1000, 2, (r) => 1000 - r);
  assert.ok(parts[0][1] > 250 && parts[0][1] < 330, `${parts[0][1]}`); // ≈ 1000·(1 − 1/√2)
  assert.deepEqual(splitRows(3, 3, 2), [[3, 3], [3, 3]]);
});

test('conjugate gradient: each step lowers ½xᵀAx − bᵀx, and d steps solve the system', () => {
  const d = 12;
  const a = randomSpd(d, 9, 0.1);
  const b = Float64Array.from({ length: d }, (_, i) => i - 5);
  const apply = (v: Float64Array, out: Float64Array): void => matVec(a, d, v, out);
  const f = (x: Float64Array): number => {
    const ax = new Float64Array(d);
    matVec(a, d, x, ax);
    let s = 0;
    for (let i = 0; i < d; i++) s += 0.5 * x[i] * ax[i] - b[i] * x[i];
    return s;
  };
  const start = Float64Array.from({ length: d }, (_, i) => Math.cos(i));
  let prev = f(start);
  for (let steps = 1; steps <= 6; steps++) {
    const x = start.slice();
    conjugateGradient(apply, b, x, steps, 0, cgWorkspace(d));
    const v = f(x);
    assert.ok(v < prev, `step ${steps}: ${v} < ${prev}`);
    prev = v;
  }
  const x = start.slice();
  const its = conjugateGradient(apply, b, x, 10 * d, 1e-12, cgWorkspace(d));
  assert.ok(its <= 3 * d);
  const l = a.slice();
  choleskyFactor(l, d);
  const ref = b.slice();
  choleskySolve(l, d, ref);
  assert.ok(maxRelDiff(x, ref) < 1e-8, `cg vs cholesky ${maxRelDiff(x, ref)}`);
});

test('gramian is MᵀM', () => {
  const rows = 9;
  const d = 5;
  const rng = new Rng(3);
  const m = Float32Array.from({ length: rows * d }, () => rng.normal());
  const g = new Float64Array(d * d);
  gramian(m, rows, d, g);
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < d; b++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += m[r * d + a] * m[r * d + b];
      assert.ok(Math.abs(g[a * d + b] - s) < 1e-12);
    }
  }
});
