// iALS: the full weighted objective (computed here, naively over every pair) decreases every
// half-sweep; one user step equals the normal-equations solution; quality on planted data;
// determinism, round trip, fold-in, options, hooks and cancellation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Csr } from '../src/data/csr.js';
import { LrmlError } from '../src/errors.js';
import { IalsModel, IalsSolver, resolveIalsOptions, type IalsOptions } from '../src/models/ials.js';
import { ialsFamily, fitIals } from '../src/train/ials.js';
import type { EpochSummary } from '../src/models/types.js';
import { assertRoundTrip, naiveInverse, randomCsr } from './dense-helpers.js';
import { hitsAtK, plantedDataset } from './helpers.js';

/**
 * The iALS objective written out over every (user, item) pair: observed pairs cost
 * (ŷ − 1)² + α₀ŷ², unobserved ones α₀ŷ², plus λ(|I_u| + α₀|I|)^ν‖p_u‖² and the item analogue.
 */
function naiveObjective(x: Csr, P: Float32Array, Q: Float32Array, o: IalsOptions): number {
  const d = o.dim;
  const itemCounts = x.columnCounts();
  let loss = 0;
  for (let u = 0; u < x.numRows; u++) {
    for (let i = 0; i < x.numCols; i++) {
      let y = 0;
      for (let c = 0; c < d; c++) y += P[u * d + c] * Q[i * d + c];
      loss += o.alpha0 * y * y;
      if (x.has(u, i)) loss += (y - 1) * (y - 1);
    }
  }
  const norm = (M: Float32Array, r: number): number => {
    let s = 0;
    for (let c = 0; c < d; c++) s += M[r * d + c] ** 2;
    return s;
  };
  for (let u = 0; u < x.numRows; u++) loss += o.regularization * (x.rowLength(u) + o.alpha0 * x.numCols) ** o.regularizationExp * norm(P, u);
  for (let i = 0; i < x.numCols; i++) loss += o.regularization * (itemCounts[i] + o.alpha0 * x.numRows) ** o.regularizationExp * norm(Q, i);
  return loss;
}

for (const solver of ['cholesky', 'cg'] as const) {
  for (const nu of [1, 0]) {
    test(`objective decreases monotonically every half-sweep (solver ${solver}, ν = ${nu})`, () => {
      const x = randomCsr(40, 30, 0.15, 21);
      const o = resolveIalsOptions({ dim: 6, alpha0: 0.2, regularization: 0.05, regularizationExp: nu, solver, cgSteps: 2, seed: 4 });
      const s = new IalsSolver(x, o);
      let prev = naiveObjective(x, s.P, s.Q, o);
      assert.ok(Math.abs(s.objective().total - prev) < 1e-9 * prev, 'solver.objective() equals the pair-by-pair objective');
      for (let sweep = 0; sweep < 6; sweep++) {
        for (const side of ['users', 'items'] as const) {
          s.sweep(side);
          const now = naiveObjective(x, s.P, s.Q, o);
          assert.ok(now <= prev * (1 + 1e-9), `sweep ${sweep} ${side}: ${now} ≤ ${prev}`);
          assert.ok(Math.abs(s.objective().total - now) < 1e-6 * now);
          prev = now;
        }
      }
    });
  }
}

test('one user step equals the solution of that user\'s normal equations', () => {
  const x = randomCsr(25, 20, 0.2, 5);
  const o = resolveIalsOptions({ dim: 5, alpha0: 0.3, regularization: 0.02, seed: 9 });
  const s = new IalsSolver(x, o);
  const Q = s.Q.slice();
  s.sweep('users');
  const d = o.dim;
  for (let u = 0; u < x.numRows; u++) {
    // ∂/∂p [Σ_{i∈I_u}(p·q_i − 1)² + α₀Σ_i (p·q_i)² + λ_u‖p‖²] = 0, assembled without the Gramian trick
    const A = new Float64Array(d * d);
    const b = new Float64Array(d);
    for (let i = 0; i < x.numCols; i++) {
      const w = o.alpha0 + (x.has(u, i) ? 1 : 0);
      for (let a = 0; a < d; a++) {
        if (x.has(u, i)) b[a] += Q[i * d + a];
        for (let c = 0; c < d; c++) A[a * d + c] += w * Q[i * d + a] * Q[i * d + c];
      }
    }
    const reg = o.regularization * (x.rowLength(u) + o.alpha0 * x.numCols);
    for (let a = 0; a < d; a++) A[a * d + a] += reg;
    const inv = naiveInverse(A, d);
    const p = Array.from({ length: d }, (_, a) => inv.subarray(a * d, (a + 1) * d).reduce((t, v, c) => t + v * b[c], 0));
    for (let a = 0; a < d; a++) {
      assert.ok(Math.abs(s.P[u * d + a] - p[a]) < 1e-5 * Math.max(1, Math.abs(p[a])), `user ${u} coord ${a}: ${s.P[u * d + a]} vs ${p[a]}`);
    }
  }
  // cg converges to the same solution with enough steps
  const c = new IalsSolver(x, resolveIalsOptions({ ...o, solver: 'cg', cgSteps: 50 }));
  c.sweep('users');
  for (let k = 0; k < s.P.length; k++) assert.ok(Math.abs(c.P[k] - s.P[k]) < 1e-4, `cg coord ${k}`);
});

test('beats popularity on planted clusters (both solvers)', async () => {
  const data = plantedDataset(11);
  const counts = data.train.columnCounts();
  const pop = hitsAtK((_u, out) => out.set(counts), data, 10);
  for (const solver of ['cholesky', 'cg'] as const) {
    const model = await ialsFamily.fit(data.train, { dim: 16, epochs: 8, seed: 1, solver });
    const h = hitsAtK((u, out) => model.scoreAll(u, out), data, 10);
    assert.ok(h > pop + 0.2, `ials (${solver}) hits@10 ${h} vs popularity ${pop}`);
  }
});

test('deterministic per seed, different across seeds; scoreItems agrees with scoreAll', async () => {
  const x = randomCsr(30, 25, 0.2, 3);
  const a = await ialsFamily.fit(x, { dim: 4, epochs: 2, seed: 7 });
  const b = await ialsFamily.fit(x, { dim: 4, epochs: 2, seed: 7 });
  const c = await ialsFamily.fit(x, { dim: 4, epochs: 2, seed: 8 });
  assert.deepEqual(a.tensors().P.data, b.tensors().P.data);
  assert.notDeepEqual(a.tensors().P.data, c.tensors().P.data);
  const all = new Float32Array(25);
  const items = Int32Array.from([24, 0, 3, 3]);
  const sub = new Float32Array(4);
  a.scoreAll(5, all);
  a.scoreItems(5, items, sub);
  items.forEach((i, k) => assert.equal(sub[k], all[i]));
});

test('fromTensors round trip gives identical scores; bad tensors are refused', async () => {
  const x = randomCsr(30, 25, 0.2, 3);
  const model = await ialsFamily.fit(x, { dim: 8, epochs: 3, seed: 2, solver: 'cg' });
  const config = assertRoundTrip(ialsFamily, model);
  assert.equal(config.solver, 'cg');
  assert.throws(() => ialsFamily.fromTensors({ ...config, dim: 7 }, model.tensors()), { code: 'BAD_MODEL_FILE' });
  assert.throws(() => ialsFamily.fromTensors(config, { P: model.tensors().P }), { code: 'BAD_MODEL_FILE' });
});

test('foldIn of a user\'s items reproduces that user\'s last exact step', async () => {
  const x = randomCsr(30, 25, 0.2, 13);
  const o = resolveIalsOptions({ dim: 6, epochs: 3, seed: 5, alpha0: 0.5, regularization: 0.01 });
  const model = (await fitIals(x, o)) as IalsModel;
  const s = new IalsSolver(x, o, model.P.slice(), model.Q.slice());
  s.sweep('users'); // users re-solved against the final Q
  for (const u of [0, 11, 29]) {
    const p = model.solveUser(x.row(u));
    for (let c = 0; c < o.dim; c++) assert.ok(Math.abs(p[c] - s.P[u * o.dim + c]) < 1e-6);
  }
  assert.throws(() => model.solveUser(Int32Array.of(99)), { code: 'UNKNOWN_ITEM' });
});

test('bad options give BAD_OPTION naming the option', () => {
  const bad: [Record<string, unknown>, string][] = [
    [{ dim: 0 }, 'dim'],
    [{ dim: 2.5 }, 'dim'],
    [{ epochs: -1 }, 'epochs'],
    [{ alpha0: -0.1 }, 'alpha0'],
    [{ regularization: Number.POSITIVE_INFINITY }, 'regularization'],
    [{ regularizationExp: 9 }, 'regularizationExp'],
    [{ solver: 'lu' }, 'solver'],
    [{ cgSteps: 0 }, 'cgSteps'],
    [{ initScale: -1 }, 'initScale'],
    [{ seed: 'x' }, 'seed'],
    [{ learningRate: 0.1 }, 'learningRate'],
  ];
  for (const [o, name] of bad) {
    assert.throws(() => resolveIalsOptions(o), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && e.message.includes(name), JSON.stringify(o));
  }
});

test('epochs are sweeps: onEpoch gets the objective per observed pair; abort cancels', async () => {
  const x = randomCsr(30, 25, 0.2, 3);
  const o = resolveIalsOptions({ dim: 4, epochs: 3, seed: 1 });
  const seen: EpochSummary[] = [];
  const model = (await fitIals(x, o, { onEpoch: (s) => void seen.push(s) })) as IalsModel;
  assert.deepEqual(seen.map((s) => s.epoch), [1, 2, 3]);
  const obj = naiveObjective(x, model.P, model.Q, o) / x.nnz;
  assert.ok(Math.abs(seen[2].loss - obj) < 1e-6 * obj, `${seen[2].loss} vs ${obj}`);
  assert.ok(seen[0].loss >= seen[1].loss && seen[1].loss >= seen[2].loss);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(ialsFamily.fit(x, { dim: 4, epochs: 3 }, { signal: ac.signal }), { code: 'CANCELLED' });
});
