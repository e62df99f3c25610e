// EASE: weights exactly as Steck's formula (against a direct dense inverse), scores, quality on
// planted data, round trip, options, memory refusal, hooks and cancellation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IdMap } from '../src/data/idmap.js';
import { loadInteractions, toCsr } from '../src/data/load.js';
import type { Csr } from '../src/data/csr.js';
import { LrmlError } from '../src/errors.js';
import { evaluate } from '../src/eval/evaluate.js';
import { loadGivenNegatives } from '../src/io/negatives-file.js';
import { givenTestSet } from '../src/eval/negatives.js';
import { EaseModel, easeMemoryBytes, resolveEaseOptions } from '../src/models/ease.js';
import { EASE_THREADS_MIN_ITEMS, easeFamily, fitEase } from '../src/train/ease.js';
import { startSpdThreads } from '../src/train/backends/ease-threads.js';
import { WasmSpdMatrix } from '../src/kernels/linalg-wasm.js';
import type { TrainProgress } from '../src/models/types.js';
import { assertRoundTrip, naiveInverse, randomCsr } from './dense-helpers.js';
import { hitsAtK, plantedDataset, runCli } from './helpers.js';

/** B = I − P·diag(1/diag(P)), P = (XᵀX + λI)⁻¹, straight from the paper, dense float64. */
function referenceB(x: Csr, lambda: number): Float64Array {
  const n = x.numCols;
  const dense = new Float64Array(x.numRows * n);
  for (let u = 0; u < x.numRows; u++) for (const i of x.row(u)) dense[u * n + i] = 1;
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let u = 0; u < x.numRows; u++) s += dense[u * n + i] * dense[u * n + j];
      g[i * n + j] = s + (i === j ? lambda : 0);
    }
  }
  const p = naiveInverse(g, n);
  const b = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i * n + j] = (i === j ? 1 : 0) - p[i * n + j] / p[j * n + j];
  return b;
}

for (const backend of ['ts', 'wasm'] as const) {
  test(`B equals I − P·diag(1/diag P) with P = (XᵀX + λI)⁻¹ (backend ${backend}), diag(B) = 0`, async () => {
    // 150 items: more than two blocks of the blocked inverse, with a ragged last block
    const x = randomCsr(90, 150, 0.08, 5);
    const lambda = 3;
    const model = (await easeFamily.fit(x, { lambda, backend })) as EaseModel;
    const ref = referenceB(x, lambda);
    const n = x.numCols;
    let scale = 0;
    for (const v of ref) scale = Math.max(scale, Math.abs(v));
    let err = 0;
    for (let k = 0; k < n * n; k++) err = Math.max(err, Math.abs(model.B[k] - ref[k]));
    assert.ok(err / scale < 1e-6, `max |B − B_ref| / max |B_ref| = ${err / scale}`);
    for (let i = 0; i < n; i++) assert.equal(model.B[i * n + i], 0);
    // scores are x_u·B
    const s = new Float32Array(n);
    for (const u of [0, 17, 89]) {
      model.scoreAll(u, s);
      for (let j = 0; j < n; j++) {
        let r = 0;
        for (const i of x.row(u)) r += ref[i * n + j];
        assert.ok(Math.abs(s[j] - r) < 1e-5 * Math.max(1, scale), `user ${u} item ${j}: ${s[j]} vs ${r}`);
      }
    }
  });
}

test('the WASM and TypeScript backends agree to float32 rounding', async () => {
  const x = randomCsr(60, 80, 0.1, 8);
  const a = (await easeFamily.fit(x, { lambda: 2, backend: 'ts' })) as EaseModel;
  const b = (await easeFamily.fit(x, { lambda: 2, backend: 'wasm' })) as EaseModel;
  let err = 0;
  for (let k = 0; k < a.B.length; k++) err = Math.max(err, Math.abs(a.B[k] - b.B[k]));
  assert.ok(err < 1e-6, `max difference ${err}`);
});

test('beats popularity on planted clusters; scoreItems and scoreItemSet agree with scoreAll', async () => {
  const data = plantedDataset(11);
  const model = (await easeFamily.fit(data.train, { lambda: 10 })) as EaseModel;
  const counts = data.train.columnCounts();
  const pop = hitsAtK((_u, out) => out.set(counts), data, 10);
  const ease = hitsAtK((u, out) => model.scoreAll(u, out), data, 10);
  assert.ok(ease > pop + 0.2, `ease hits@10 ${ease} vs popularity ${pop}`);
  const all = new Float32Array(data.numItems);
  const set = new Float32Array(data.numItems);
  const items = Int32Array.from([5, 0, data.numItems - 1, 5]);
  const sub = new Float32Array(items.length);
  for (const u of [0, 7, data.numUsers - 1]) {
    model.scoreAll(u, all);
    model.scoreItems(u, items, sub);
    items.forEach((i, k) => assert.equal(sub[k], all[i]));
    model.scoreItemSet(data.train.row(u), set);
    assert.deepEqual(set, all);
  }
});

test('fromTensors round trip gives identical scores; inconsistent tensors are refused', async () => {
  const x = randomCsr(30, 40, 0.15, 2);
  const model = await easeFamily.fit(x, { lambda: 4 });
  const config = assertRoundTrip(easeFamily, model);
  assert.equal(config.lambda, 4);
  const t = model.tensors();
  assert.throws(() => easeFamily.fromTensors(config, { ...t, B: { shape: [2, 2], data: new Float32Array(4) } }), { code: 'BAD_MODEL_FILE' });
  assert.throws(() => easeFamily.fromTensors(config, { B: t.B, indptr: t.indptr }), { code: 'BAD_MODEL_FILE' });
  assert.throws(() => easeFamily.fromTensors({ ...config, lambda: -1 }, t), { code: 'BAD_MODEL_FILE' });
});

test('bad options give BAD_OPTION naming the option', () => {
  const bad: [Record<string, unknown>, string][] = [
    [{ lambda: 0 }, 'lambda'],
    [{ lambda: -5 }, 'lambda'],
    [{ lambda: 'big' }, 'lambda'],
    [{ lambda: Number.NaN }, 'lambda'],
    [{ backend: 'gpu' }, 'backend'],
    [{ maxMemoryBytes: 0 }, 'maxMemoryBytes'],
    [{ seed: 1.5 }, 'seed'],
    [{ precision: 'float16' }, 'precision'],
    [{ threads: 0 }, 'threads'],
    [{ threads: 1.5 }, 'threads'],
    [{ dim: 64 }, 'dim'],
  ];
  for (const [o, name] of bad) {
    assert.throws(() => resolveEaseOptions(o), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && e.message.includes(name), JSON.stringify(o));
  }
  assert.equal(resolveEaseOptions({}).lambda, easeFamily.defaults.lambda);
});

test('refuses catalogues too large for maxMemoryBytes with TOO_LARGE saying how much it needs', async () => {
  const x = randomCsr(10, 1000, 0.01, 1);
  assert.equal(easeMemoryBytes(1000), 12e6);
  assert.equal(easeMemoryBytes(1000, 'float32'), 8e6);
  await assert.rejects(easeFamily.fit(x, { maxMemoryBytes: 1e6 }), (e: unknown) => {
    assert.ok(e instanceof LrmlError && e.code === 'TOO_LARGE');
    assert.match(e.message, /1000 items need about 0\.01 GiB/);
    assert.match(e.message, /maxMemoryBytes/);
    return true;
  });
});

test('reports progress, one epoch and the end; honours an aborted signal', async () => {
  const data = plantedDataset(3);
  const progress: TrainProgress[] = [];
  const epochs: number[] = [];
  let done = 0;
  await fitEase(data.train, resolveEaseOptions({ lambda: 10 }), {
    onProgress: (p) => progress.push(p),
    onEpoch: (s) => {
      epochs.push(s.epoch);
    },
    onDone: (r) => {
      done = r.epochs.length;
    },
    validation: { evaluate: () => ({ 'ndcg@10': 0.5 }) },
  });
  assert.ok(progress.length >= 1);
  const last = progress[progress.length - 1];
  assert.equal(last.done, last.total);
  assert.deepEqual(epochs, [1]);
  assert.equal(done, 1);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(easeFamily.fit(data.train, { lambda: 10 }, { signal: ac.signal }), { code: 'CANCELLED' });
});

/** The top-k items of every user (seen items included), as "u:i,i,…" lines. */
function topLists(m: EaseModel, k: number): string[] {
  const s = new Float32Array(m.numItems);
  const out: string[] = [];
  for (let u = 0; u < m.numUsers; u++) {
    m.scoreAll(u, s);
    const idx = Array.from({ length: m.numItems }, (_, i) => i).sort((a, b) => s[b] - s[a] || a - b);
    out.push(`${u}:${idx.slice(0, k).join(',')}`);
  }
  return out;
}

test('threads: 1 and 2 worker threads give bit-identical weights (catalogue above EASE_THREADS_MIN_ITEMS)', async () => {
  const x = randomCsr(400, EASE_THREADS_MIN_ITEMS + 77, 0.03, 12);
  const one = (await easeFamily.fit(x, { lambda: 5, threads: 1 })) as EaseModel;
  const two = (await easeFamily.fit(x, { lambda: 5, threads: 2 })) as EaseModel;
  assert.deepEqual(two.B, one.B);
  assert.equal(two.config().threads, 2);
});

test('threads default auto: one per core (availableParallelism), the same weights as one thread', async () => {
  assert.equal(easeFamily.defaults.threads, 'auto');
  assert.equal(resolveEaseOptions({ threads: 'auto' }).threads, 'auto');
  const x = randomCsr(300, EASE_THREADS_MIN_ITEMS + 9, 0.03, 5);
  const auto = (await easeFamily.fit(x, { lambda: 5 })) as EaseModel;
  const one = (await easeFamily.fit(x, { lambda: 5, threads: 1 })) as EaseModel;
  assert.deepEqual(auto.B, one.B);
  assert.equal(auto.config().threads, 'auto', 'the model file keeps what was asked, not this machine\'s count');
  const w = WasmSpdMatrix.tryCreate(64)!;
  const th = await startSpdThreads(w, 'auto');
  try {
    assert.equal(th.threads, Math.min(256, availableParallelism()));
  } finally {
    await th.dispose();
  }
});

test('backend auto without a WASM matrix (the memory not allocated): warns through onWarning, then the TypeScript inverse; backend wasm refuses with the reason', async () => {
  const x = randomCsr(60, 40, 0.2, 8);
  const ref = (await easeFamily.fit(x, { lambda: 3, backend: 'ts' })) as EaseModel;
  const Real = WebAssembly.Memory;
  // a shared memory that cannot be had (as a 32-bit allocator limit or an exhausted machine would give)
  (WebAssembly as { Memory: unknown }).Memory = class {
    constructor() {
      throw new RangeError('WebAssembly.Memory(): could not allocate memory');
    }
  };
  try {
    const warnings: string[] = [];
    const got = (await easeFamily.fit(x, { lambda: 3, precision: 'float32' }, { onWarning: (m) => warnings.push(m) })) as EaseModel;
    assert.deepEqual(got.B, ref.B, 'the TypeScript float64 inverse ran');
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /^ease: the WASM inverse is unavailable \(a shared WebAssembly memory of .* could not be allocated \(.*could not allocate memory\)\); falling back to the one-thread TypeScript inverse in float64 \(precision float32 ignored\)/);
    await assert.rejects(easeFamily.fit(x, { lambda: 3, backend: 'wasm' }), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /backend "wasm" is unavailable here: a shared WebAssembly memory .* could not be allocated/.test(e.message));
    // the CLI prints it on stderr, --quiet or not
    const dir = mkdtempSync(join(tmpdir(), 'lrml-ease-warn-'));
    try {
      const data = join(dir, 'd.tsv');
      writeFileSync(data, Array.from({ length: 120 }, (_, k) => `u${k % 30}\ti${(k * 7) % 40}`).join('\n') + '\n');
      const r = await runCli('train', '--data', data, '--family', 'ease', '--out', join(dir, 'm.lrml'), '--quiet');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /^warning: ease: the WASM inverse is unavailable \(.*\); falling back to the one-thread TypeScript inverse/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    (WebAssembly as { Memory: unknown }).Memory = Real;
  }
  const warnings: string[] = [];
  await easeFamily.fit(x, { lambda: 3 }, { onWarning: (m) => warnings.push(m) });
  assert.deepEqual(warnings, [], 'no warning when the WASM inverse runs');
  const big = WasmSpdMatrix.open(24000);
  assert.ok('unavailable' in big && /a 24000×24000 float64 matrix needs 4\.29 GiB, above the 4 GiB of a WebAssembly memory/.test(big.unavailable));
});

test('startSpdThreads: a worker thread shares the matrix; inverse and weights bit-identical to one thread', async () => {
  const n = 203;
  const x = randomCsr(300, n, 0.05, 3);
  const fill = (w: WasmSpdMatrix): void => {
    for (let u = 0; u < x.numRows; u++) for (const i of x.row(u)) for (const j of x.row(u)) w.a[i * n + j] += 1;
    for (let i = 0; i < n; i++) w.a[i * n + i] += 3;
  };
  const serial = WasmSpdMatrix.tryCreate(n, { nb: 32 })!;
  fill(serial);
  assert.equal(await serial.invert(), -1);
  const b1 = await serial.easeWeights();
  const shared = WasmSpdMatrix.tryCreate(n, { nb: 32 })!;
  fill(shared);
  const th = await startSpdThreads(shared, 2);
  try {
    assert.equal(th.threads, 2);
    assert.equal(await shared.invert({ threads: 2, parallel: th.parallel }), -1);
    assert.deepEqual(await shared.easeWeights({ threads: 2, parallel: th.parallel }), b1);
  } finally {
    await th.dispose();
  }
});

test('same rankings as before: the WASM inverse ranks like the TypeScript float64 reference (float32: within 1e-3 of B)', async () => {
  // the TypeScript path is the unchanged reference; top-10 lists must match exactly in float64
  const data = plantedDataset(7, 300, 180, 6, 15);
  const ref = (await easeFamily.fit(data.train, { lambda: 20, backend: 'ts' })) as EaseModel;
  const f64 = (await easeFamily.fit(data.train, { lambda: 20, backend: 'wasm', threads: 2 })) as EaseModel;
  const f32 = (await easeFamily.fit(data.train, { lambda: 20, backend: 'wasm', precision: 'float32' })) as EaseModel;
  let d64 = 0;
  let d32 = 0;
  let scale = 0;
  for (let k = 0; k < ref.B.length; k++) {
    d64 = Math.max(d64, Math.abs(f64.B[k] - ref.B[k]));
    d32 = Math.max(d32, Math.abs(f32.B[k] - ref.B[k]));
    scale = Math.max(scale, Math.abs(ref.B[k]));
  }
  assert.ok(d64 <= 1e-6 * scale, `float64: max |ΔB| ${d64}`);
  assert.ok(d32 <= 1e-3 * scale, `float32: max |ΔB| ${d32} (scale ${scale})`);
  assert.deepEqual(topLists(f64, 10), topLists(ref, 10));
  // float32: a swap needs two scores closer than its rounding; count lists that differ at all
  const a = topLists(f32, 10);
  const b = topLists(ref, 10);
  const differ = a.filter((l, u) => l !== b[u]).length;
  assert.ok(differ <= 0.05 * a.length, `${differ} of ${a.length} top-10 lists differ in float32`);
});

test('a Gram matrix that is numerically singular gives DIVERGED, naming lambda (and float64 when in float32)', async () => {
  // four users with the same two items: G = [[4, 4], [4, 4]]; 4 + λ rounds to 4, the second pivot is 0
  const x = randomCsr(4, 2, 1, 1);
  for (const [backend, precision, lambda] of [['ts', 'float64', 1e-30], ['wasm', 'float64', 1e-30], ['wasm', 'float32', 1e-12]] as const) {
    await assert.rejects(easeFamily.fit(x, { lambda, backend, precision }), (e: unknown) => {
      assert.ok(e instanceof LrmlError && e.code === 'DIVERGED', `${backend} ${precision}: ${String(e)}`);
      assert.match(e.message, /not positive definite .*pivot 1.*larger lambda/);
      if (precision === 'float32') assert.match(e.message, /precision "float64"/);
      return true;
    });
  }
  // float64 resolves 4 + 1e-12: no error
  await easeFamily.fit(x, { lambda: 1e-12, backend: 'wasm', precision: 'float64' });
});

test('ML-1M (NCF split, given 99 negatives): λ = 1000 reproduces 0.718 / 0.451', async (t) => {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = existsSync(resolve(here, '../package.json')) ? resolve(here, '..') : resolve(here, '../..');
  const dir = resolve(root, '../shared/data/ml-1m');
  if (!existsSync(resolve(dir, 'ml-1m.train.pairs.gz')) || !existsSync(resolve(dir, 'ml-1m.test.negative.gz'))) {
    t.skip(`${dir} not present`);
    return;
  }
  const users = IdMap.fromIds(Array.from({ length: 6040 }, (_, u) => String(u)));
  const items = IdMap.fromIds(Array.from({ length: 3706 }, (_, i) => String(i)));
  const train = toCsr(await loadInteractions(resolve(dir, 'ml-1m.train.pairs.gz'), { format: 'ncf-pairs', users, items, frozen: true }));
  const cases = await loadGivenNegatives(resolve(dir, 'ml-1m.test.negative.gz'), users, items);
  const model = await easeFamily.fit(train, { lambda: 1000 });
  const r = evaluate(model, train, givenTestSet(cases, 6040, 3706), { kind: 'given', cases }, { k: [10], bootstrap: 0 });
  // measured: 0.7182 / 0.4511 (NumPy reference: 0.718 / 0.451)
  assert.ok(Math.abs(r.metrics['hits@10'] - 0.7182) < 0.003, `hits@10 ${r.metrics['hits@10']}`);
  assert.ok(Math.abs(r.metrics['ndcg@10'] - 0.4511) < 0.003, `ndcg@10 ${r.metrics['ndcg@10']}`);
});
