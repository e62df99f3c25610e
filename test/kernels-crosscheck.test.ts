// The WASM SIMD training kernel against the TypeScript reference kernel: same losses and
// parameters after several optimiser steps for many option combinations; determinism of one
// thread; Hogwild worker threads that train; progress, cancellation and input checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LrmlError } from '../src/errors.js';
import { Rng } from '../src/rng.js';
import { createTripletKernel } from '../src/train/backends/index.js';
import type { TripletKernelConfig, TripletParams } from '../src/kernels/types.js';

const NUM_USERS = 40;
const NUM_ITEMS = 70;

function config(over: Partial<TripletKernelConfig>): TripletKernelConfig {
  return {
    numUsers: NUM_USERS, numItems: NUM_ITEMS, dim: 8, numMemories: 5, negativeRelation: 'own', distance: 'l2sq',
    clip: 'rows', clipMemory: false, margin: 0.5, l2: 0, negatives: 1, negativeMode: 'sum', optimizer: 'adam',
    learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, ...over,
  };
}

function randomParams(cfg: TripletKernelConfig, seed: number, scale = 0.3): TripletParams {
  const rng = new Rng(seed);
  const d = cfg.dim;
  const f = (len: number, s: number): Float32Array => Float32Array.from({ length: len }, () => rng.normal() * s);
  return { P: f(cfg.numUsers * d, scale), Q: f(cfg.numItems * d, scale), K: f(cfg.numMemories * d, scale), M: f(cfg.numMemories * d, scale) };
}

function emptyLike(cfg: TripletKernelConfig): TripletParams {
  const d = cfg.dim;
  return { P: new Float32Array(cfg.numUsers * d), Q: new Float32Array(cfg.numItems * d), K: new Float32Array(cfg.numMemories * d), M: new Float32Array(cfg.numMemories * d) };
}

/** Random examples with repeated users and items (and the odd i == j). */
function epoch(cfg: TripletKernelConfig, n: number, seed: number): { users: Int32Array; pos: Int32Array; neg: Int32Array } {
  const rng = new Rng(seed);
  return {
    users: Int32Array.from({ length: n }, () => rng.int(cfg.numUsers)),
    pos: Int32Array.from({ length: n }, () => rng.int(cfg.numItems)),
    neg: Int32Array.from({ length: n * cfg.negatives }, () => rng.int(cfg.numItems)),
  };
}

async function train(cfg: TripletKernelConfig, init: TripletParams, backend: 'ts' | 'wasm', epochs: number, n: number, batch: number, threads = 1): Promise<{ losses: number[]; params: TripletParams; backend: string }> {
  const kernel = await createTripletKernel(cfg, init, { backend, threads });
  try {
    const losses: number[] = [];
    for (let e = 0; e < epochs; e++) {
      const ep = epoch(cfg, n, 100 + e);
      losses.push(await kernel.runEpoch(ep.users, ep.pos, ep.neg, n, batch));
    }
    const params = emptyLike(cfg);
    kernel.read(params);
    return { losses, params, backend: kernel.backend };
  } finally {
    await kernel.dispose();
  }
}

const COMBOS: Partial<TripletKernelConfig>[] = [
  { optimizer: 'sgd', learningRate: 0.05 },
  { optimizer: 'adam', distance: 'l2', clipMemory: true },
  { optimizer: 'adagrad', negativeRelation: 'copy', distance: 'l1', clip: 'lookup', dim: 7 },
  { optimizer: 'adam', negatives: 3, negativeMode: 'hardest', distance: 'l2', clip: 'lookup', l2: 0.01, dim: 6 },
  { optimizer: 'adam', numMemories: 0, distance: 'l2sq', clip: 'rows' }, // CML
  { optimizer: 'sgd', learningRate: 0.05, negativeRelation: 'copy', distance: 'l2', clip: 'none', negatives: 3, negativeMode: 'sum', dim: 5, l2: 0.02 },
  { optimizer: 'adam', distance: 'l1', clip: 'none', negatives: 2, negativeMode: 'sum', dim: 9, clipMemory: true },
  { optimizer: 'adagrad', negativeRelation: 'own', distance: 'l2', clip: 'rows', negatives: 2, negativeMode: 'hardest', l2: 0.05, dim: 3 },
  { optimizer: 'adam', numMemories: 1, negativeRelation: 'copy', distance: 'l2', clip: 'lookup' },
  { optimizer: 'adam', numMemories: 2, negatives: 3, negativeMode: 'sum', dim: 12 },
  { optimizer: 'adam', numMemories: 20, distance: 'l2', dim: 100, learningRate: 1e-3 }, // the ML-1M shape
];

test('WASM and TypeScript kernels agree on losses and parameters after several steps', async () => {
  for (const over of COMBOS) {
    const cfg = config(over);
    const init = randomParams(cfg, 5);
    const ts = await train(cfg, init, 'ts', 2, 240, 60);
    const wasm = await train(cfg, init, 'wasm', 2, 240, 60);
    assert.equal(wasm.backend, 'wasm');
    const what = JSON.stringify(over);
    for (let e = 0; e < ts.losses.length; e++) {
      assert.ok(ts.losses[e] > 0, `${what}: epoch ${e} has no active triplet`);
      assert.ok(Math.abs(ts.losses[e] - wasm.losses[e]) <= 1e-5 * ts.losses[e], `${what}: epoch ${e} loss ts ${ts.losses[e]} vs wasm ${wasm.losses[e]}`);
    }
    for (const name of ['P', 'Q', 'K', 'M'] as const) {
      let moved = 0;
      let diff = 0;
      for (let c = 0; c < init[name].length; c++) {
        moved = Math.max(moved, Math.abs(ts.params[name][c] - init[name][c]));
        diff = Math.max(diff, Math.abs(ts.params[name][c] - wasm.params[name][c]));
      }
      // (with one memory slot the attention is constant: K gets no gradient)
      if (init[name].length > 0 && !(name === 'K' && cfg.numMemories === 1)) assert.ok(moved > 1e-3, `${what}: ${name} did not train (moved ${moved})`);
      assert.ok(diff <= 2e-6, `${what}: ${name} differs by up to ${diff.toExponential(2)} between ts and wasm`);
    }
    if (cfg.clip === 'rows') {
      for (const X of [wasm.params.P, wasm.params.Q]) {
        for (let r = 0; r < X.length / cfg.dim; r++) {
          let s = 0;
          for (let c = 0; c < cfg.dim; c++) s += X[r * cfg.dim + c] ** 2;
          assert.ok(s <= 1 + 1e-5, `${what}: a row has norm² ${s} > 1 with clip rows`);
        }
      }
    }
  }
});

test('one thread is bit-for-bit deterministic (wasm and ts)', async () => {
  for (const backend of ['wasm', 'ts'] as const) {
    const cfg = config({ distance: 'l2', negatives: 2 });
    const init = randomParams(cfg, 9);
    const a = await train(cfg, init, backend, 2, 300, 64);
    const b = await train(cfg, init, backend, 2, 300, 64);
    assert.deepEqual(a.losses, b.losses);
    for (const name of ['P', 'Q', 'K', 'M'] as const) {
      assert.deepEqual(new Uint32Array(a.params[name].buffer), new Uint32Array(b.params[name].buffer), `${backend} ${name}`);
    }
  }
});

test('the kernel trains on its own copy: the given arrays are untouched until read()', async () => {
  const cfg = config({});
  const init = randomParams(cfg, 2);
  const before = init.P.slice();
  const kernel = await createTripletKernel(cfg, init, { backend: 'wasm' });
  const ep = epoch(cfg, 100, 1);
  await kernel.runEpoch(ep.users, ep.pos, ep.neg, 100, 25);
  assert.deepEqual(init.P, before);
  kernel.read(init);
  assert.notDeepEqual(init.P, before);
  await kernel.dispose();
});

test('threads = 2 (Hogwild workers) runs and reduces the loss', async () => {
  // users 0..19 like items 0..34, users 20..39 like items 35..69: a learnable structure
  const cfg = config({ dim: 16, numMemories: 4, learningRate: 0.02, distance: 'l2sq', clip: 'rows' });
  const rng = new Rng(4);
  const n = 4000;
  const users = new Int32Array(n);
  const pos = new Int32Array(n);
  const neg = new Int32Array(n);
  for (let t = 0; t < n; t++) {
    const u = rng.int(NUM_USERS);
    users[t] = u;
    pos[t] = (u < 20 ? 0 : 35) + rng.int(35);
    neg[t] = (u < 20 ? 35 : 0) + rng.int(35);
  }
  const init = randomParams(cfg, 3, 0.1);
  const kernel = await createTripletKernel(cfg, init, { backend: 'wasm', threads: 2 });
  try {
    assert.equal(kernel.threads, 2);
    assert.equal(kernel.backend, 'wasm');
    const losses: number[] = [];
    let reports = 0;
    for (let e = 0; e < 6; e++) losses.push(await kernel.runEpoch(users, pos, neg, n, 64, () => reports++));
    assert.ok(reports >= 6, 'progress reported');
    assert.ok(losses.every(Number.isFinite));
    assert.ok(losses[5] < 0.5 * losses[0], `loss went from ${losses[0]} to ${losses[5]}`);
    const out = emptyLike(cfg);
    kernel.read(out);
    assert.ok(out.P.every(Number.isFinite) && out.Q.every(Number.isFinite));
  } finally {
    await kernel.dispose();
  }
});

test('an aborted signal stops an epoch with CANCELLED (one thread and Hogwild)', async () => {
  const cfg = config({});
  const init = randomParams(cfg, 1);
  const ep = epoch(cfg, 5000, 3);
  for (const threads of [1, 2]) {
    const kernel = await createTripletKernel(cfg, init, { backend: 'wasm', threads });
    try {
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(kernel.runEpoch(ep.users, ep.pos, ep.neg, 5000, 10, undefined, ac.signal), (e: unknown) => e instanceof LrmlError && e.code === 'CANCELLED');
      // a later epoch still runs
      const loss = await kernel.runEpoch(ep.users, ep.pos, ep.neg, 500, 50);
      assert.ok(loss > 0);
    } finally {
      await kernel.dispose();
    }
  }
});

test('aborting during an epoch stops it with CANCELLED before the end (one thread and Hogwild)', async () => {
  const cfg = config({ dim: 32, numMemories: 8 });
  const init = randomParams(cfg, 1);
  const n = 400_000;
  const ep = epoch(cfg, n, 8);
  for (const threads of [1, 2]) {
    const kernel = await createTripletKernel(cfg, init, { backend: 'wasm', threads });
    try {
      const ac = new AbortController();
      let seen = 0;
      const t0 = performance.now();
      await assert.rejects(
        kernel.runEpoch(ep.users, ep.pos, ep.neg, n, 16, (p) => {
          seen = p.done;
          ac.abort();
        }, ac.signal),
        (e: unknown) => e instanceof LrmlError && e.code === 'CANCELLED' && /cancelled at example \d+ of 400000/.test(e.message),
      );
      assert.ok(seen > 0 && seen < n, `threads=${threads}: progress ${seen} before the abort`);
      assert.ok(performance.now() - t0 < 20_000);
    } finally {
      await kernel.dispose();
    }
  }
});

test('bad input: out-of-range indices, short arrays, ts with threads > 1, wrong shapes', async () => {
  const cfg = config({});
  const init = randomParams(cfg, 1);
  const kernel = await createTripletKernel(cfg, init, { backend: 'auto' });
  const ep = epoch(cfg, 10, 1);
  ep.neg[7] = NUM_ITEMS;
  await assert.rejects(kernel.runEpoch(ep.users, ep.pos, ep.neg, 10, 4), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_VALUE' && /position 7/.test(e.message));
  await assert.rejects(kernel.runEpoch(ep.users, ep.pos, ep.neg, 11, 4), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_VALUE');
  await assert.rejects(kernel.runEpoch(ep.users, ep.pos, ep.neg, 5, 0), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION');
  ep.neg[7] = 0;
  const first = kernel.runEpoch(ep.users, ep.pos, ep.neg, 10, 4);
  await assert.rejects(kernel.runEpoch(ep.users, ep.pos, ep.neg, 10, 4), (e: unknown) => e instanceof LrmlError && e.code === 'INTERNAL' && /while another epoch/.test(e.message));
  assert.ok((await first) > 0);
  await kernel.dispose();
  await assert.rejects(kernel.runEpoch(ep.users, ep.pos, ep.neg, 10, 4), (e: unknown) => e instanceof LrmlError && e.code === 'INTERNAL' && /dispose/.test(e.message));
  await assert.rejects(createTripletKernel(cfg, init, { backend: 'ts', threads: 2 }), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION');
  await assert.rejects(createTripletKernel({ ...cfg, dim: 9 }, init), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /parameter P/.test(e.message));
  await assert.rejects(createTripletKernel({ ...cfg, distance: 'cosine' as never }, init), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION');
});

test('the single-thread training path bundles for browsers without Node imports and trains in a bare JS context', async (t) => {
  const { build } = await import('esbuild');
  const { default: vm } = await import('node:vm');
  const { fileURLToPath } = await import('node:url');
  const { existsSync } = await import('node:fs');
  const { dirname, join } = await import('node:path');
  let root = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(root, 'package.json'))) root = dirname(root);
  const entry = join(root, 'src/train/backends/index.ts');
  if (!existsSync(entry)) {
    t.skip('sources not available');
    return;
  }
  const result = await build({
    entryPoints: [entry], bundle: true, platform: 'browser', format: 'iife', globalName: 'lrmlTrain',
    write: false, metafile: true, logLevel: 'silent',
  });
  for (const [file, input] of Object.entries(result.metafile.inputs)) {
    assert.ok(!file.startsWith('node:') && !file.includes('hogwild'), `bundled input ${file}`);
    for (const imp of input.imports) assert.ok(!imp.path.startsWith('node:'), `${file} imports ${imp.path}`);
  }
  const code = result.outputFiles[0].text;
  assert.ok(!/\brequire\(|from\s*["']node:/.test(code), 'no require() or node: import in the bundle');
  // what a cross-origin-isolated page has: no require, no process, no Buffer
  const cfg = config({ dim: 6, numMemories: 3 });
  const init = randomParams(cfg, 2);
  const ep = epoch(cfg, 200, 2);
  const context = vm.createContext({ atob, setTimeout, performance, cfg, init, ep });
  vm.runInContext(code, context, { filename: 'lrml-train.js' });
  const got = await (vm.runInContext(`
    (async () => {
      const out = [typeof require, typeof process, typeof Buffer];
      // typed arrays of this realm
      const params = { P: new Float32Array(init.P), Q: new Float32Array(init.Q), K: new Float32Array(init.K), M: new Float32Array(init.M) };
      const users = new Int32Array(ep.users), pos = new Int32Array(ep.pos), neg = new Int32Array(ep.neg);
      for (const backend of ['wasm', 'ts']) {
        const k = await lrmlTrain.createTripletKernel(cfg, params, { backend });
        out.push(k.backend, await k.runEpoch(users, pos, neg, 200, 50));
        await k.dispose();
      }
      return JSON.stringify(out);
    })()
  `, context) as Promise<string>);
  const res = JSON.parse(got) as [string, string, string, string, number, string, number];
  assert.deepEqual(res.slice(0, 3), ['undefined', 'undefined', 'undefined']);
  assert.equal(res[3], 'wasm');
  assert.equal(res[5], 'ts');
  const kernel = await createTripletKernel(cfg, init, { backend: 'wasm' });
  const nodeLoss = await kernel.runEpoch(ep.users, ep.pos, ep.neg, 200, 50);
  await kernel.dispose();
  assert.equal(res[4], nodeLoss, 'the bundled WASM kernel gives the same loss as under Node');
  assert.ok(Math.abs(res[4] - res[6]) <= 1e-5 * res[6], `bundled ts ${res[6]} vs wasm ${res[4]}`);
});

test('Hogwild workers start both from the compiled dist/ and from the TypeScript sources under tsx', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath, pathToFileURL } = await import('node:url');
  const { existsSync } = await import('node:fs');
  const { dirname, join } = await import('node:path');
  let root = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(root, 'package.json'))) root = dirname(root);
  const variants = [
    { name: 'dist', entry: join(root, 'dist/src/train/backends/index.js'), args: [] as string[] },
    { name: 'src under tsx', entry: join(root, 'src/train/backends/index.ts'), args: ['--import', 'tsx'] },
  ];
  for (const v of variants) {
    if (!existsSync(v.entry)) {
      t.diagnostic(`${v.name}: ${v.entry} absent, not checked`);
      continue;
    }
    const code = `
      const { createTripletKernel } = await import(${JSON.stringify(pathToFileURL(v.entry).href)});
      const n = 3000, cfg = { numUsers: 30, numItems: 40, dim: 8, numMemories: 3, negativeRelation: 'own', distance: 'l2sq',
        clip: 'rows', clipMemory: false, margin: 0.5, l2: 0, negatives: 1, negativeMode: 'sum', optimizer: 'adam',
        learningRate: 0.02, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
      const f = (len, seed) => Float32Array.from({ length: len }, (_, k) => Math.sin(k * 12.9898 + seed) * 0.1);
      const params = { P: f(240, 1), Q: f(320, 2), K: f(24, 3), M: f(24, 4) };
      const users = Int32Array.from({ length: n }, (_, k) => k % 30);
      const pos = Int32Array.from({ length: n }, (_, k) => (k % 30 < 15 ? 0 : 20) + (k * 7) % 20);
      const neg = Int32Array.from({ length: n }, (_, k) => (k % 30 < 15 ? 20 : 0) + (k * 11) % 20);
      const kernel = await createTripletKernel(cfg, params, { backend: 'wasm', threads: 2 });
      const losses = [];
      for (let e = 0; e < 4; e++) losses.push(await kernel.runEpoch(users, pos, neg, n, 50));
      await kernel.dispose();
      console.log(JSON.stringify({ threads: kernel.threads, losses }));
    `;
    const r = spawnSync(process.execPath, [...v.args, '--input-type=module', '-e', code], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `${v.name}: ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { threads: number; losses: number[] };
    assert.equal(out.threads, 2, v.name);
    assert.ok(out.losses[3] < out.losses[0], `${v.name}: loss ${out.losses.join(' → ')}`);
  }
});
