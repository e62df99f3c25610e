// The WASM kernel's groups (exampleGroup in src/kernels/assembly/lrml-train.ts): consecutive
// examples of one user with the same negatives, as negatives shared within a user's blocks give
// them, are scored once per (user, negative) pair. Same maths as each example on its own: checked
// against the TypeScript kernel, against the WASM kernel with grouping off, against central
// differences of the kernel's own loss, and bit for bit with one thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTripletKernel } from '../src/train/backends/index.js';
import type { TripletKernelConfig, TripletParams } from '../src/kernels/types.js';
import { Rng } from '../src/rng.js';
import { assertStepIsMinusGradient } from './helpers.js';

const NUM_USERS = 30;
const NUM_ITEMS = 90;

function config(over: Partial<TripletKernelConfig>): TripletKernelConfig {
  return {
    numUsers: NUM_USERS, numItems: NUM_ITEMS, dim: 8, numMemories: 5, negativeRelation: 'own', distance: 'l2sq',
    clip: 'rows', clipMemory: true, margin: 0.5, l2: 0, negatives: 4, negativeMode: 'sum', loss: 'softmax', temperature: 0.25,
    optimizer: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8,
    // (on 90 items 'auto' would take the deferred path, which scores examples one at a time)
    kernelPath: 'blocked', ...over,
  };
}

function randomParams(cfg: TripletKernelConfig, seed: number, scale = 0.3): TripletParams {
  const rng = new Rng(seed);
  const f = (len: number): Float32Array => Float32Array.from({ length: len }, () => rng.normal() * scale);
  return { P: f(cfg.numUsers * cfg.dim), Q: f(cfg.numItems * cfg.dim), K: f(cfg.numMemories * cfg.dim), M: f(cfg.numMemories * cfg.dim) };
}

/**
 * n examples in runs of one user (lengths 1 to maxRun) that share their negatives, as the
 * sampler's 'user' blocks give them; the odd run repeats a negative.
 */
function groupedEpoch(cfg: TripletKernelConfig, n: number, maxRun: number, seed: number): { users: Int32Array; pos: Int32Array; neg: Int32Array; runs: number } {
  const rng = new Rng(seed);
  const k = cfg.negatives;
  const users = new Int32Array(n);
  const pos = new Int32Array(n);
  const neg = new Int32Array(n * k);
  let runs = 0;
  for (let x = 0; x < n;) {
    const len = Math.min(n - x, 1 + rng.int(maxRun));
    const u = rng.int(cfg.numUsers);
    const draws = Int32Array.from({ length: k }, () => rng.int(cfg.numItems));
    if (rng.int(4) === 0 && k > 1) draws[1] = draws[0];
    for (let t = x; t < x + len; t++) {
      users[t] = u;
      pos[t] = rng.int(cfg.numItems);
      neg.set(draws, t * k);
    }
    x += len;
    runs++;
  }
  return { users, pos, neg, runs };
}

async function train(cfg: TripletKernelConfig, init: TripletParams, backend: 'ts' | 'wasm', epochs: number, n: number, batch: number, maxRun: number): Promise<{ losses: number[]; params: TripletParams }> {
  const kernel = await createTripletKernel(cfg, init, { backend });
  try {
    assert.equal(kernel.backend, backend);
    const losses: number[] = [];
    for (let e = 0; e < epochs; e++) {
      const ep = groupedEpoch(cfg, n, maxRun, 100 + e);
      losses.push(await kernel.runEpoch(ep.users, ep.pos, ep.neg, n, batch));
    }
    const d = cfg.dim;
    const params = { P: new Float32Array(cfg.numUsers * d), Q: new Float32Array(cfg.numItems * d), K: new Float32Array(cfg.numMemories * d), M: new Float32Array(cfg.numMemories * d) };
    kernel.read(params);
    return { losses, params };
  } finally {
    await kernel.dispose();
  }
}

function largestDifference(a: TripletParams, b: TripletParams): number {
  let worst = 0;
  for (const name of ['P', 'Q', 'K', 'M'] as const) {
    for (let c = 0; c < a[name].length; c++) worst = Math.max(worst, Math.abs(a[name][c] - b[name][c]));
  }
  return worst;
}

function sameBits(a: TripletParams, b: TripletParams): boolean {
  return (['P', 'Q', 'K', 'M'] as const).every((name) => a[name].every((v, c) => Object.is(v, b[name][c])));
}

/** Shapes: the default recipe (S = 21 per example, d = 100, N = 20), odd N, every d remainder, l2, runs past GROUP_MAX (32). */
const COMBOS: [Partial<TripletKernelConfig>, number][] = [
  [{ negatives: 20, numMemories: 20, dim: 100, learningRate: 2e-3 }, 8],
  [{ negatives: 4, numMemories: 5, dim: 8 }, 3],
  [{ negatives: 5, numMemories: 7, dim: 13, distance: 'l2' }, 6],
  [{ negatives: 2, numMemories: 1, dim: 4, temperature: 0.5 }, 40],
  [{ negatives: 7, numMemories: 9, dim: 24, optimizer: 'adagrad', learningRate: 0.05, clipMemory: false }, 12],
  [{ negatives: 5, numMemories: 6, dim: 12, userLearningRateScale: 4 }, 8],
];

test('grouped examples: WASM agrees with the TypeScript kernel and with its own ungrouped path, and the groups change the rounding', async (t) => {
  for (const [over, maxRun] of COMBOS) {
    const cfg = config(over);
    const init = randomParams(cfg, 5);
    const what = `${JSON.stringify(over)} runs ≤ ${maxRun}`;
    const ts = await train(cfg, init, 'ts', 2, 240, 60, maxRun);
    const grouped = await train(cfg, init, 'wasm', 2, 240, 60, maxRun);
    const single = await train({ ...cfg, groupSharedNegatives: false }, init, 'wasm', 2, 240, 60, maxRun);
    for (let e = 0; e < 2; e++) {
      assert.ok(Math.abs(ts.losses[e] - grouped.losses[e]) <= 1e-5 * ts.losses[e], `${what}: epoch ${e} loss ts ${ts.losses[e]}, grouped ${grouped.losses[e]}`);
      assert.ok(Math.abs(single.losses[e] - grouped.losses[e]) <= 1e-5 * single.losses[e], `${what}: epoch ${e} loss ungrouped ${single.losses[e]}, grouped ${grouped.losses[e]}`);
    }
    const dTs = largestDifference(ts.params, grouped.params);
    const dSingle = largestDifference(single.params, grouped.params);
    assert.ok(dTs <= 2e-6 && dSingle <= 2e-6, `${what}: parameters differ by ${dTs.toExponential(2)} from ts, ${dSingle.toExponential(2)} from ungrouped`);
    assert.ok(largestDifference(init, grouped.params) > 1e-3, `${what}: nothing trained`);
    // the groups did run: their sums round differently from one example at a time
    assert.ok(!sameBits(single.params, grouped.params), `${what}: grouped and ungrouped gave identical bits`);
    t.diagnostic(`${what}: largest difference ${dTs.toExponential(2)} from ts, ${dSingle.toExponential(2)} from ungrouped`);
  }
});

test('grouping is skipped where the options do not allow it (hinge, lookup clip, l2 penalty, l1): bit for bit the ungrouped kernel', async () => {
  for (const over of [{ loss: 'hinge' }, { clip: 'lookup' }, { l2: 0.01 }, { distance: 'l1' }, { negativeRelation: 'copy' }] as Partial<TripletKernelConfig>[]) {
    const cfg = config(over);
    const init = randomParams(cfg, 6);
    const grouped = await train(cfg, init, 'wasm', 1, 120, 40, 6);
    const single = await train({ ...cfg, groupSharedNegatives: false }, init, 'wasm', 1, 120, 40, 6);
    assert.ok(sameBits(grouped.params, single.params), JSON.stringify(over));
  }
});

test('grouped examples are bit-for-bit deterministic with one thread (the default recipe)', async () => {
  const cfg = config(COMBOS[0][0]);
  const init = randomParams(cfg, 9);
  const a = await train(cfg, init, 'wasm', 2, 200, 64, 8);
  const b = await train(cfg, init, 'wasm', 2, 200, 64, 8);
  assert.deepEqual(a.losses, b.losses);
  assert.ok(sameBits(a.params, b.params));
});

test('a group steps along minus the central-difference gradient of its summed loss (SGD, 3 positives sharing 5 negatives, l2 and l2sq)', async () => {
  for (const distance of ['l2sq', 'l2'] as const) {
    const cfg = config({ numUsers: 2, numItems: 10, dim: 4, numMemories: 5, negatives: 5, temperature: 0.5, distance, optimizer: 'sgd', learningRate: 1, clip: 'none', clipMemory: false });
    const init = randomParams(cfg, 21, 0.5);
    const users = Int32Array.of(1, 1, 1);
    const pos = Int32Array.of(0, 1, 2);
    const shared = [3, 4, 5, 6, 7];
    const neg = Int32Array.from([...shared, ...shared, ...shared]);
    const lossAt = async (params: TripletParams): Promise<number> => {
      const kernel = await createTripletKernel(cfg, params, { backend: 'wasm' });
      try {
        return await kernel.runEpoch(users, pos, neg, 3, 3);
      } finally {
        await kernel.dispose();
      }
    };
    const kernel = await createTripletKernel(cfg, init, { backend: 'wasm' });
    await kernel.runEpoch(users, pos, neg, 3, 3);
    const after = { P: new Float32Array(init.P.length), Q: new Float32Array(init.Q.length), K: new Float32Array(init.K.length), M: new Float32Array(init.M.length) };
    kernel.read(after);
    await kernel.dispose();
    const checked = await assertStepIsMinusGradient(init, after, { P: [1], Q: [0, 1, 2, ...shared], K: [0, 1, 2, 3, 4], M: [0, 1, 2, 3, 4] }, cfg.dim, lossAt, distance);
    assert.equal(checked, 4 * (1 + 8) + 2 * 4 * 5);
  }
});

test('userLearningRateScale multiplies the rate of P alone (ts and wasm): 0 keeps every user row while Q, K, M train', async () => {
  const cfg = config({ negatives: 5, numMemories: 6, dim: 12, userLearningRateScale: 0 });
  const init = randomParams(cfg, 11);
  for (const backend of ['ts', 'wasm'] as const) {
    const r = await train(cfg, init, backend, 1, 120, 40, 8);
    assert.deepEqual(r.params.P, init.P, `${backend}: P kept`);
    for (const name of ['Q', 'K', 'M'] as const) assert.notDeepEqual(r.params[name], init[name], `${backend}: ${name} trained`);
  }
});

test("kernelPath 'auto' keeps a step of users' blocks on the blocked path, where the groups score each negative once, even on a catalogue the deferred path would take for the same examples ungrouped", async () => {
  // 90 items, batches of 60 runs ≤ 8 sharing 20 negatives: the ungrouped examples (60 × 21 sides)
  // cover most of the catalogue, so 'auto' defers them; grouped (≈ 60 + 13 × 20 sides) it does not
  const cfg = config({ negatives: 20, numMemories: 5, dim: 8, kernelPath: 'auto' });
  const init = randomParams(cfg, 13);
  const auto = await train(cfg, init, 'wasm', 1, 240, 60, 8);
  const blocked = await train({ ...cfg, kernelPath: 'blocked' }, init, 'wasm', 1, 240, 60, 8);
  const deferred = await train({ ...cfg, kernelPath: 'deferred' }, init, 'wasm', 1, 240, 60, 8);
  assert.ok(sameBits(auto.params, blocked.params), "grouped: 'auto' is the blocked path");
  assert.ok(!sameBits(auto.params, deferred.params));
  const autoSingle = await train({ ...cfg, groupSharedNegatives: false }, init, 'wasm', 1, 240, 60, 8);
  const deferredSingle = await train({ ...cfg, groupSharedNegatives: false, kernelPath: 'deferred' }, init, 'wasm', 1, 240, 60, 8);
  assert.ok(sameBits(autoSingle.params, deferredSingle.params), "ungrouped: 'auto' is the deferred path");
});
