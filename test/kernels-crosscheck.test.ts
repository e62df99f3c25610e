// The WASM SIMD training kernel against the TypeScript reference kernel: same losses and
// parameters after several optimiser steps for many option combinations; its pieces (pair
// forward, optimiser updates, row clip) against their TypeScript homes (src/kernels/pair.ts,
// optim.ts, clip.ts) on random inputs; the blocked path (all sides of an example at once)
// against the TypeScript kernel, the pairs path and central differences of its own loss;
// determinism of one thread; Hogwild worker threads that train; progress, cancellation and
// input checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LrmlError } from '../src/errors.js';
import { Rng } from '../src/rng.js';
import { createTripletKernel } from '../src/train/backends/index.js';
import type { TripletKernelConfig, TripletParams } from '../src/kernels/types.js';
import { clipToBall, unitBallScale } from '../src/kernels/clip.js';
import { adagradUpdate, adamSecondMomentScale, adamStepSize, adamUpdate, sgdUpdate } from '../src/kernels/optim.js';
import { PairState, PairUser, pairDistance } from '../src/kernels/pair.js';
import { LrmlTsStep, slotCosineSquares } from '../src/kernels/lrml-impl.js';
import { TouchedRows } from '../src/kernels/touched.js';
import { instantiateTrainer, WasmTrainMemory } from '../src/train/backends/wasm.js';
import { optimizerStateShapes } from '../src/train/backends/common.js';
import { assertStepIsMinusGradient } from './helpers.js';
import { FINGERPRINT_CONFIGS, fingerprintConfig, kernelFingerprint, type KernelFingerprint } from './kernel-fingerprint.js';

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
  { optimizer: 'sgd', learningRate: 0.5, clipMemory: true, maxKeyNorm: 0.4 }, // keys clipped below the values' 1
  { optimizer: 'adam', clipMemory: true, maxKeyNorm: 5, loss: 'softmax', temperature: 0.2, negatives: 4 },
];

/** Trains `over` with both backends from the same state; asserts equal losses and parameters. */
async function crossCheck(over: Partial<TripletKernelConfig>, paramTol = 2e-6): Promise<number> {
  const cfg = config(over);
  const init = randomParams(cfg, 5);
  const ts = await train(cfg, init, 'ts', 2, 240, 60);
  const wasm = await train(cfg, init, 'wasm', 2, 240, 60);
  assert.equal(wasm.backend, 'wasm');
  const what = JSON.stringify(over);
  let worst = 0;
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
    worst = Math.max(worst, diff);
    // (with one memory slot the attention is constant, and the fit attentions do not use K: K gets no gradient)
    const keyless = cfg.numMemories === 1 || cfg.attention === 'fit' || cfg.attention === 'fit-hard';
    if (init[name].length > 0 && !(name === 'K' && keyless)) assert.ok(moved > 1e-3, `${what}: ${name} did not train (moved ${moved})`);
    assert.ok(diff <= paramTol, `${what}: ${name} differs by up to ${diff.toExponential(2)} between ts and wasm`);
  }
  if (cfg.clipMemory) {
    const maxKey = cfg.maxKeyNorm ?? 1;
    for (const [X, max] of [[wasm.params.K, maxKey], [wasm.params.M, 1], [ts.params.K, maxKey], [ts.params.M, 1]] as const) {
      for (let r = 0; r < cfg.numMemories; r++) {
        let s = 0;
        for (let c = 0; c < cfg.dim; c++) s += X[r * cfg.dim + c] ** 2;
        assert.ok(Math.sqrt(s) <= max * (1 + 1e-5), `${what}: a memory row has norm ${Math.sqrt(s)} > ${max} with clipMemory`);
      }
    }
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
  return worst;
}

test('WASM and TypeScript kernels agree on losses and parameters after several steps', async () => {
  for (const over of COMBOS) await crossCheck(over);
});

/** The losses of docs/lrml-losses.md across the other options (and the ML-1M shapes, k = 1 and 10). */
const LOSS_COMBOS: Partial<TripletKernelConfig>[] = [
  { loss: 'softplus', temperature: 0.5, optimizer: 'adam', distance: 'l2', negatives: 3 },
  { loss: 'softplus', temperature: 0.2, negativeMode: 'hardest', negatives: 2, negativeRelation: 'copy', clip: 'lookup', l2: 0.01, dim: 6 },
  { loss: 'softplus', temperature: 1, optimizer: 'sgd', learningRate: 0.05, numMemories: 1, distance: 'l1', clip: 'none', dim: 7 },
  { loss: 'softplus', temperature: 0.3, numMemories: 0, distance: 'l2sq', negatives: 4 }, // CML
  { loss: 'softmax', temperature: 0.5, optimizer: 'adagrad', distance: 'l1', negativeRelation: 'copy', clip: 'lookup', negatives: 3, dim: 5 },
  { loss: 'softmax', temperature: 0.2, numMemories: 0, negatives: 5, l2: 0.02 }, // CML
  { loss: 'softmax', temperature: 1, optimizer: 'sgd', learningRate: 0.05, negatives: 1, distance: 'l2', clip: 'none', clipMemory: true },
  { loss: 'softmax', temperature: 0.1, negatives: 4, distance: 'l2', negativeRelation: 'own', dim: 9 },
  { loss: 'hinge', rankWeighting: true, negatives: 5, distance: 'l2' },
  { loss: 'hinge', rankWeighting: true, negatives: 3, negativeMode: 'hardest', negativeRelation: 'copy', clip: 'lookup', l2: 0.01 },
  { loss: 'hinge', rankWeighting: true, negatives: 1, optimizer: 'sgd', learningRate: 0.02, numMemories: 0 },
  // the ML-1M shape (LRML d=100, N=20) with k = 1 and k = 10
  { loss: 'softmax', temperature: 0.1, numMemories: 20, distance: 'l2', dim: 100, learningRate: 1e-3, negatives: 10 },
  { loss: 'softplus', temperature: 0.1, numMemories: 20, distance: 'l2', dim: 100, learningRate: 1e-3, negatives: 1 },
  { loss: 'softmax', temperature: 0.2, numMemories: 20, distance: 'l2', dim: 100, learningRate: 1e-3, negatives: 10, negativeRelation: 'copy', clip: 'lookup' },
  { loss: 'hinge', rankWeighting: true, numMemories: 20, distance: 'l2', dim: 100, learningRate: 1e-3, negatives: 10 },
];

test('WASM and TypeScript kernels agree with the softplus, softmax and rank-weighted hinge losses', async (t) => {
  let worst = 0;
  for (const over of LOSS_COMBOS) worst = Math.max(worst, await crossCheck(over));
  t.diagnostic(`${LOSS_COMBOS.length} combinations, largest parameter difference ${worst.toExponential(2)}`);
});

/** The attentions other than dot, relation centering and the embedding rate scale across the other options. */
const ATTENTION_COMBOS: Partial<TripletKernelConfig>[] = [
  { attention: 'cosine', attentionScale: 10 },
  { attention: 'cosine', attentionScale: 30, distance: 'l2', clip: 'lookup', negativeRelation: 'copy', negatives: 3, dim: 7 },
  { attention: 'cosine', attentionScale: 5, loss: 'softmax', temperature: 0.2, negatives: 4, clipMemory: true, optimizer: 'adagrad', distance: 'l1' },
  { attention: 'cosine', attentionScale: 10, optimizer: 'sgd', learningRate: 0.05, numMemories: 1, negatives: 2, negativeMode: 'hardest', l2: 0.01 },
  { attention: 'fit', attentionTemperature: 0.1 },
  { attention: 'fit', attentionTemperature: 0.5, distance: 'l2', clip: 'lookup', negativeRelation: 'copy', negatives: 3, dim: 6 },
  { attention: 'fit', attentionTemperature: 0.2, loss: 'softmax', temperature: 0.3, negatives: 4, clipMemory: true, optimizer: 'sgd', learningRate: 0.01, dim: 9 },
  { attention: 'fit-hard', attentionTemperature: 0.1, negatives: 2, distance: 'l2' },
  { attention: 'fit-hard', attentionTemperature: 0.1, loss: 'softmax', temperature: 0.3, negatives: 3, negativeRelation: 'copy', clip: 'lookup' },
  { relationCentering: true },
  { relationCentering: true, attention: 'cosine', clipMemory: true, loss: 'softmax', temperature: 0.2, negatives: 3 },
  { embeddingLearningRateScale: 0.5, optimizer: 'adam' },
  { embeddingLearningRateScale: 0.25, optimizer: 'sgd', learningRate: 0.01, attention: 'fit', attentionTemperature: 0.2 },
  { embeddingLearningRateScale: 2, optimizer: 'adagrad', attention: 'cosine', relationCentering: true },
  // the ML-1M shape (LRML d=100, N=20)
  { attention: 'cosine', attentionScale: 10, numMemories: 20, distance: 'l2sq', dim: 100, learningRate: 1e-3, loss: 'softmax', temperature: 0.2, negatives: 10, clipMemory: true },
];

/**
 * Sharp fit attention at the ML-1M shape: logits spanning ~20 amplify float32 rounding over the
 * steps (one step agrees to 3e-8), so the parameters are held to 1e-5.
 */
const SHARP_COMBOS: Partial<TripletKernelConfig>[] = [
  { attention: 'fit', attentionTemperature: 0.1, numMemories: 20, distance: 'l2sq', dim: 100, learningRate: 1e-3, loss: 'softmax', temperature: 0.2, negatives: 10, clipMemory: true, relationCentering: true },
];

test('WASM and TypeScript kernels agree with the cosine / fit / fit-hard attentions, relation centering and the embedding rate scale', async (t) => {
  let worst = 0;
  for (const over of ATTENTION_COMBOS) worst = Math.max(worst, await crossCheck(over));
  for (const over of SHARP_COMBOS) await crossCheck(over, 1e-5);
  t.diagnostic(`${ATTENTION_COMBOS.length} combinations, largest parameter difference ${worst.toExponential(2)}`);
});

/**
 * The slot-diversity term (λ > 0) across attentions, optimisers, losses, paths and clips; with λ
 * large enough that its gradient is a good part of K's and M's (batches of 60 examples).
 */
const SLOT_DIVERSITY_COMBOS: Partial<TripletKernelConfig>[] = [
  { slotDiversity: 1 },
  { slotDiversity: 5, kernelPath: 'pairs', distance: 'l2', negatives: 2 },
  { slotDiversity: 5, kernelPath: 'blocked', distance: 'l1', negatives: 3, dim: 7 },
  { slotDiversity: 2, attention: 'cosine', attentionScale: 10, clipMemory: true, loss: 'softmax', temperature: 0.2, negatives: 3 },
  { slotDiversity: 2, attention: 'fit', attentionTemperature: 0.2, relationCentering: true, optimizer: 'adagrad', dim: 6 },
  { slotDiversity: 0.5, optimizer: 'sgd', learningRate: 0.05, negativeRelation: 'copy', clip: 'lookup', numMemories: 2 },
  { slotDiversity: 3, embeddingLearningRateScale: 0.5, clipMemory: true, maxKeyNorm: 2 },
  // the ML-1M shape (LRML d=100, N=20) with the default recipe's loss
  { slotDiversity: 1, numMemories: 20, dim: 100, learningRate: 2e-3, loss: 'softmax', temperature: 0.25, negatives: 10, clipMemory: true },
];

test('WASM and TypeScript kernels agree with the slot-diversity term', async (t) => {
  let worst = 0;
  for (const over of SLOT_DIVERSITY_COMBOS) worst = Math.max(worst, await crossCheck(over));
  t.diagnostic(`${SLOT_DIVERSITY_COMBOS.length} combinations, largest parameter difference ${worst.toExponential(2)}`);
});

test('the WASM slot-diversity piece matches slotCosineSquares of lrml-impl.ts (value and gradient, padded rows)', () => {
  for (const [numMemories, dim] of [[5, 8], [4, 7], [2, 3], [20, 100]]) {
    const cfg = config({ numMemories, dim });
    const params = randomParams(cfg, 61 + dim);
    // a zero row, and a common direction in the others (cosines far from 0)
    params.K.fill(0, dim, 2 * dim);
    for (let c = 2 * dim; c < params.K.length; c++) params.K[c] += 0.2;
    const mem = WasmTrainMemory.create(cfg, params, 1);
    const ex = instantiateTrainer(mem.module, mem.memory, cfg, mem.layout, 0);
    const dp = mem.layout.dimPadded;
    const gk = mem.layout.work[0].gk;
    const G = new Float32Array(mem.memory.buffer, gk, numMemories * dp);
    G.fill(0);
    const weight = 0.3;
    const got = ex.slotCosineSquares(mem.layout.shared.K, gk, weight);
    const g = new Float32Array(numMemories * dim);
    const want = slotCosineSquares(params.K, numMemories, dim, weight, g, new Float64Array(numMemories), new Float64Array(dim));
    close([got], [want], 2e-6 * numMemories * numMemories, `N=${numMemories} d=${dim}: S`);
    for (let k = 0; k < numMemories; k++) {
      close(G.subarray(k * dp, k * dp + dim), g.subarray(k * dim, k * dim + dim), 2e-6, `N=${numMemories} d=${dim}: gradient of row ${k}`);
      assert.ok(G.subarray(k * dp + dim, k * dp + dp).every((x) => x === 0), 'padded lanes stay 0');
    }
  }
});

test('embeddingLearningRateScale 0 freezes P and Q (rows and optimiser state) while K and M train (ts and wasm)', async () => {
  for (const optimizer of ['adam', 'adagrad', 'sgd'] as const) {
    const cfg = config({ optimizer, embeddingLearningRateScale: 0, attention: 'cosine', learningRate: 0.05 });
    const init = randomParams(cfg, 12);
    const ts = await train(cfg, init, 'ts', 2, 240, 60);
    const wasm = await train(cfg, init, 'wasm', 2, 240, 60);
    for (const r of [ts, wasm]) {
      assert.deepEqual(r.params.P, init.P, `${optimizer} ${r.backend}: P changed`);
      assert.deepEqual(r.params.Q, init.Q, `${optimizer} ${r.backend}: Q changed`);
      assert.notDeepEqual(r.params.M, init.M, `${optimizer} ${r.backend}: M did not train`);
      assert.notDeepEqual(r.params.K, init.K, `${optimizer} ${r.backend}: K did not train`);
    }
    // the optimiser state of P and Q stays 0 (TS kernel state, WASM memory)
    const step = new LrmlTsStep(cfg, { P: init.P.slice(), Q: init.Q.slice(), K: init.K.slice(), M: init.M.slice() });
    const ep = epoch(cfg, 120, 3);
    for (let off = 0; off < 120; off += 40) step.step(ep.users, ep.pos, ep.neg, off, 40);
    for (const st of [step.state1, step.state2]) {
      assert.ok(st.P.every((v) => v === 0) && st.Q.every((v) => v === 0), `${optimizer}: ts state of P / Q changed`);
    }
    assert.ok(step.grads.P.every((v) => v === 0) && step.grads.Q.every((v) => v === 0), `${optimizer}: gradients not cleared`);
    if (optimizer !== 'sgd') assert.ok(step.state1.M.some((v) => v !== 0), `${optimizer}: memory state did not move`);
    const mem = WasmTrainMemory.create(cfg, init, 1);
    const ex = instantiateTrainer(mem.module, mem.memory, cfg, mem.layout, 0);
    const at = mem.stageEpoch(ep.users, ep.pos, ep.neg, 120);
    ex.step(at.users, at.pos, at.neg, 120);
    const state = optimizerStateShapes(cfg);
    mem.readState(state);
    for (const st of [state.state1, state.state2]) {
      assert.ok(st.P.every((v) => v === 0) && st.Q.every((v) => v === 0), `${optimizer}: wasm state of P / Q changed`);
    }
    if (optimizer !== 'sgd') assert.ok(state.state1.M.some((v) => v !== 0), `${optimizer}: wasm memory state did not move`);
  }
});

test('relationCentering leaves the memory values with a zero mean row after training (ts and wasm)', async () => {
  const cfg = config({ relationCentering: true });
  const init = randomParams(cfg, 14);
  // a common offset in every value row: centering removes it at the first step
  for (let c = 0; c < init.M.length; c++) init.M[c] += 0.5;
  for (const backend of ['ts', 'wasm'] as const) {
    const r = await train(cfg, init, backend, 1, 120, 40);
    for (let c = 0; c < cfg.dim; c++) {
      let m = 0;
      for (let k = 0; k < cfg.numMemories; k++) m += r.params.M[k * cfg.dim + c];
      assert.ok(Math.abs(m / cfg.numMemories) < 1e-6, `${backend}: column ${c} of M has mean ${m / cfg.numMemories}`);
    }
  }
});

test('one thread is bit-for-bit deterministic with the new attentions and centering (wasm and ts)', async () => {
  for (const over of [{ attention: 'cosine' }, { attention: 'fit', relationCentering: true }, { attention: 'fit-hard' }] as Partial<TripletKernelConfig>[]) {
    for (const backend of ['wasm', 'ts'] as const) {
      const cfg = config({ distance: 'l2', negatives: 2, ...over });
      const init = randomParams(cfg, 9);
      const a = await train(cfg, init, backend, 2, 300, 64);
      const b = await train(cfg, init, backend, 2, 300, 64);
      assert.deepEqual(a.losses, b.losses);
      for (const name of ['P', 'Q', 'K', 'M'] as const) {
        assert.deepEqual(new Uint32Array(a.params[name].buffer), new Uint32Array(b.params[name].buffer), `${JSON.stringify(over)} ${backend} ${name}`);
      }
    }
  }
});

/** |a − b| ≤ tol · max(1, |b|) for every element, else a message naming the first that is not. */
function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let c = 0; c < a.length; c++) {
    assert.ok(Math.abs(a[c] - b[c]) <= tol * Math.max(1, Math.abs(b[c])), `${what}, element ${c}: wasm ${a[c]} vs ts ${b[c]}`);
  }
}

/** Memory slots, dim and attention of the pair-forward cross-check. */
const PAIR_SHAPES: [number, number, Partial<TripletKernelConfig>][] = [
  [5, 8, {}], [0, 7, {}], [3, 13, {}], [20, 100, {}],
  [5, 8, { attention: 'cosine', attentionScale: 10 }], [20, 100, { attention: 'cosine', attentionScale: 30 }],
  [5, 8, { attention: 'fit', attentionTemperature: 0.5 }], [20, 100, { attention: 'fit', attentionTemperature: 2 }],
  [3, 13, { attention: 'fit-hard', attentionTemperature: 0.1 }],
];

test('the WASM pair forward matches pair.ts on random pairs (l2, l2sq, l1; lookup clip or none; with and without memory; every attention)', () => {
  let checked = 0;
  for (const distance of ['l2', 'l2sq', 'l1'] as const) {
    for (const clip of ['lookup', 'none'] as const) {
      for (const [numMemories, dim, att] of PAIR_SHAPES) {
        const cfg = config({ distance, clip, numMemories, dim, ...att });
        // scale 0.6: rows of norm about 0.6·sqrt(dim) > 1, so the lookup clip acts
        const params = randomParams(cfg, 41 + dim, 0.6);
        const mem = WasmTrainMemory.create(cfg, params, 1);
        const ex = instantiateTrainer(mem.module, mem.memory, cfg, mem.layout, 0);
        const shape = { dim, numMemories, distance, ...att };
        const user = new PairUser(shape);
        const pair = new PairState(shape);
        const rng = new Rng(dim);
        for (let t = 0; t < 25; t++) {
          const u = rng.int(cfg.numUsers);
          const i = rng.int(cfg.numItems);
          user.set(params.P, u * dim, clip === 'lookup' ? unitBallScale(params.P, u * dim, dim) : 1);
          const ts = pairDistance(user, pair, params.Q, i * dim, clip === 'lookup' ? unitBallScale(params.Q, i * dim, dim) : 1, params.K, params.M);
          close([ex.pairDistance(u, i)], [ts], 2e-6, `${distance} ${clip} N=${numMemories} d=${dim} ${JSON.stringify(att)} D(${u}, ${i})`);
          checked++;
        }
      }
    }
  }
  assert.equal(checked, 3 * 2 * PAIR_SHAPES.length * 25);
});

test('the WASM optimiser updates (adam, adagrad, sgd) and row clip match optim.ts and clip.ts on random rows', () => {
  for (const optimizer of ['adam', 'adagrad', 'sgd'] as const) {
    for (const dim of [8, 7, 100]) {
      const cfg = config({ optimizer, dim, learningRate: 0.03, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 });
      const mem = WasmTrainMemory.create(cfg, randomParams(cfg, 3), 1);
      const ex = instantiateTrainer(mem.module, mem.memory, cfg, mem.layout, 0);
      const dp = mem.layout.dimPadded;
      const { P, s1p, s2p } = mem.layout.shared;
      const gp = mem.layout.work[0].gp;
      // the row: user 0's parameters, gradient and optimiser state (padded lanes stay 0)
      const view = (off: number): Float32Array => new Float32Array(mem.memory.buffer, off, dp);
      const W = view(P);
      const G = view(gp);
      const S1 = s1p === 0 ? null : view(s1p);
      const S2 = s2p === 0 ? null : view(s2p);
      const rng = new Rng(dim + 100);
      const w = Float32Array.from(W.subarray(0, dim));
      const s1 = new Float32Array(dim);
      const s2 = new Float32Array(dim);
      const g = new Float32Array(dim);
      for (let t = 1; t <= 6; t++) {
        for (let c = 0; c < dim; c++) g[c] = G[c] = rng.normal() * (t === 3 ? 0 : 0.5); // step 3: a zero gradient
        const lrc = Math.fround(adamStepSize(cfg.learningRate, cfg.beta1, t));
        const ibc2 = Math.fround(adamSecondMomentScale(cfg.beta2, t));
        ex.updateRow(P, gp, s1p, s2p, dp * 4, lrc, ibc2);
        if (optimizer === 'adam') adamUpdate(w, g, s1, s2, 0, dim, lrc, ibc2, cfg.beta1, cfg.beta2, cfg.epsilon);
        else if (optimizer === 'adagrad') adagradUpdate(w, g, s1, 0, dim, cfg.learningRate, cfg.epsilon);
        else sgdUpdate(w, g, 0, dim, cfg.learningRate);
        const what = `${optimizer} d=${dim} step ${t}`;
        close(W.subarray(0, dim), w, 2e-6, `${what}: w`);
        close(G.subarray(0, dp), new Float32Array(dp), 0, `${what}: gradient zeroed`);
        if (S1 !== null) close(S1.subarray(0, dim), s1, 2e-6, `${what}: first state`);
        if (S2 !== null) close(S2.subarray(0, dim), s2, 2e-6, `${what}: second state`);
        assert.ok(W.subarray(dim).every((x) => x === 0), `${what}: padded lanes stay 0`);
      }
      // the clip, for rows inside and outside the ball and several radii
      for (const max of [1, 0.4, 5]) {
        for (const scale of [0.05, 0.3, 2]) {
          for (let c = 0; c < dim; c++) w[c] = W[c] = rng.normal() * scale;
          ex.clipRow(P, max);
          clipToBall(w, 0, dim, max);
          close(W.subarray(0, dim), w, 1e-6, `clip d=${dim} max=${max} scale=${scale}`);
        }
      }
    }
  }
});

/**
 * Fingerprints (epoch losses, FNV-1a of the parameter bits) of the kernels as they were BEFORE the
 * loss options existed, computed with kernelFingerprint (test/kernel-fingerprint.ts) run against a
 * copy of those kernels (not typed in by hand). Node 20, V8 and WASM float semantics are fixed,
 * so these are portable.
 */
const PRE_LOSS_OPTIONS: Record<string, KernelFingerprint> = {
  'lrml-defaults/ts': { losses: [199.61291569836672, 199.26168865155626, 200.55606113434388], hash: '46c4502d' },
  'lrml-defaults/wasm': { losses: [199.61291599273682, 199.2616866827011, 200.55606043338776], hash: '36d65c74' },
  'cml-defaults/ts': { losses: [199.97149790183352, 199.27146437106052, 204.43389784178314], hash: '75206d81' },
  'cml-defaults/wasm': { losses: [199.97149884700775, 199.27146089076996, 204.43390130996704], hash: '9e4575b1' },
  'lrml-k5-sum-lookup-copy-l2/ts': { losses: [993.238327714464, 996.1059660166337, 1002.4186807117242], hash: 'd98d295c' },
  'lrml-k5-sum-lookup-copy-l2/wasm': { losses: [993.2383248806, 996.1059782505035, 1002.4186856746674], hash: '542977e2' },
  'lrml-k3-hardest-l1-adagrad/ts': { losses: [341.1140032026072, 321.0634549085152, 321.8070670881746], hash: '326f882f' },
  'lrml-k3-hardest-l1-adagrad/wasm': { losses: [341.2882549762726, 320.7192392349243, 321.4182140827179], hash: 'eb54785c' },
  'cml-k4-sgd-none/ts': { losses: [1180.622427320743, 1555.5611998454247, 2073.524166900907], hash: '37b15eb3' },
  'cml-k4-sgd-none/wasm': { losses: [1180.6224491596222, 1555.5612473487854, 2073.524306535721], hash: 'fcc7feec' },
};

test('the default hinge path is bit-for-bit what it was before the loss options (ts, and wasm with sides two at a time)', async () => {
  for (const [name, over] of Object.entries(FINGERPRINT_CONFIGS)) {
    for (const backend of ['ts', 'wasm'] as const) {
      const want = PRE_LOSS_OPTIONS[`${name}/${backend}`];
      // the WASM kernel of those days took the sides two at a time: its `pairs` path (the blocked
      // path, the default since, differs by float32 rounding: checked against it below)
      const path: Partial<TripletKernelConfig> = backend === 'wasm' ? { kernelPath: 'pairs' } : {};
      // options absent (older callers), and spelled out with a temperature hinge ignores
      // (and slotDiversity 0: the term off leaves the path bit for bit as it was)
      for (const extra of [{}, { loss: 'hinge', rankWeighting: false, temperature: 0.25 }, { slotDiversity: 0 }] as Partial<TripletKernelConfig>[]) {
        const got = await kernelFingerprint(createTripletKernel, fingerprintConfig({ ...over, ...extra, ...path }), backend);
        assert.deepEqual(got, want, `${name} ${backend} ${JSON.stringify(extra)}`);
      }
    }
  }
});

/**
 * The blocked path (dot attention, own relations: all sides of an example at once, in tiles of
 * three sides padded by a zero side) across side counts S = negatives + 1 odd and even and not a
 * multiple of 3, N odd and even, d whose padded rows hold 1, 2, 3 or 25 lane-blocks (the
 * remainders of every tile), every loss, and the options that keep ∂q in per-side rows (lookup
 * clip, l2) — the default recipe at the ML-1M shape (S = 21) included.
 */
const BLOCKED_COMBOS: Partial<TripletKernelConfig>[] = [
  { loss: 'softmax', temperature: 0.25, negatives: 20, numMemories: 20, dim: 100, learningRate: 2e-3, clipMemory: true }, // the default recipe
  { loss: 'softmax', temperature: 0.5, negatives: 2, numMemories: 7, dim: 10 },
  { loss: 'softmax', temperature: 0.3, negatives: 3, numMemories: 4, dim: 4, distance: 'l2' },
  { loss: 'hinge', negatives: 4, numMemories: 3, dim: 5, distance: 'l1', clipMemory: true },
  { loss: 'hinge', negatives: 6, numMemories: 9, dim: 12, negativeMode: 'hardest', distance: 'l2' },
  { loss: 'softplus', temperature: 0.2, negatives: 5, numMemories: 1, dim: 9 },
  { loss: 'hinge', rankWeighting: true, negatives: 7, numMemories: 6, dim: 16, clip: 'lookup' },
  { loss: 'softmax', temperature: 0.2, negatives: 8, numMemories: 5, dim: 11, l2: 0.01, optimizer: 'adagrad' },
  { loss: 'softmax', temperature: 0.2, negatives: 21, numMemories: 11, dim: 24, optimizer: 'sgd', learningRate: 0.01, clip: 'none' },
  { loss: 'softplus', temperature: 0.3, negatives: 4, numMemories: 7, dim: 13, distance: 'l2', clip: 'lookup', l2: 0.01 },
  { loss: 'hinge', negatives: 1, numMemories: 3, dim: 6, distance: 'l2', clip: 'lookup' },
];

/** The blocked path and its deferred variant (the relation's products per example / per item). */
const BLOCKED_PATHS = ['blocked', 'deferred'] as const;

for (const path of BLOCKED_PATHS) test(`the ${path} path agrees with the TypeScript kernel and with the sides two at a time (S odd and even, N odd, every d remainder)`, async (t) => {
  let worst = 0;
  let worstPairs = 0;
  for (const over of BLOCKED_COMBOS) {
    worst = Math.max(worst, await crossCheck({ ...over, kernelPath: path }));
    const cfg = config(over);
    const init = randomParams(cfg, 5);
    const blocked = await train({ ...cfg, kernelPath: path }, init, 'wasm', 2, 240, 60);
    const pairs = await train({ ...cfg, kernelPath: 'pairs' }, init, 'wasm', 2, 240, 60);
    for (let e = 0; e < blocked.losses.length; e++) {
      assert.ok(Math.abs(blocked.losses[e] - pairs.losses[e]) <= 1e-5 * pairs.losses[e], `${JSON.stringify(over)}: epoch ${e} loss blocked ${blocked.losses[e]} vs pairs ${pairs.losses[e]}`);
    }
    for (const name of ['P', 'Q', 'K', 'M'] as const) {
      let diff = 0;
      for (let c = 0; c < init[name].length; c++) diff = Math.max(diff, Math.abs(blocked.params[name][c] - pairs.params[name][c]));
      worstPairs = Math.max(worstPairs, diff);
      assert.ok(diff <= 2e-6, `${JSON.stringify(over)}: ${name} differs by up to ${diff.toExponential(2)} between the ${path} and the pairs path`);
    }
  }
  t.diagnostic(`${BLOCKED_COMBOS.length} combinations, largest parameter difference ${worst.toExponential(2)} against ts, ${worstPairs.toExponential(2)} against pairs`);
});

for (const path of BLOCKED_PATHS) test(`the ${path} path steps along minus the central-difference gradient of its own loss (SGD, one example, S = 6 and 7, N odd, lookup clip)`, async () => {
  for (const [negatives, loss, distance, clip] of [[5, 'softmax', 'l2sq', 'none'], [6, 'softplus', 'l2', 'none'], [6, 'softmax', 'l2', 'lookup']] as const) {
    const cfg = config({ numUsers: 2, numItems: 9, dim: 4, numMemories: 5, negatives, loss, temperature: 0.5, distance, optimizer: 'sgd', learningRate: 1, clip, clipMemory: false, kernelPath: path });
    // with the lookup clip, rows well outside and inside the unit ball (no kink within h)
    const init = randomParams(cfg, 21, clip === 'lookup' ? 0.8 : 0.5);
    const users = Int32Array.of(0);
    const pos = Int32Array.of(1);
    const neg = Int32Array.from({ length: negatives }, (_, j) => j + 2);
    const lossAt = async (params: TripletParams): Promise<number> => {
      const kernel = await createTripletKernel(cfg, params, { backend: 'wasm' });
      try {
        return await kernel.runEpoch(users, pos, neg, 1, 1);
      } finally {
        await kernel.dispose();
      }
    };
    // one SGD step with learning rate 1: the parameters move by minus the kernel's gradient
    const kernel = await createTripletKernel(cfg, init, { backend: 'wasm' });
    await kernel.runEpoch(users, pos, neg, 1, 1);
    const after = emptyLike(cfg);
    kernel.read(after);
    await kernel.dispose();
    const slots = Array.from({ length: cfg.numMemories }, (_, r) => r);
    const checked = await assertStepIsMinusGradient(init, after, { P: [0], Q: [1, ...neg], K: slots, M: slots }, cfg.dim, lossAt, `${path} ${loss} ${distance} ${clip}`);
    assert.equal(checked, 4 * (1 + 1 + negatives) + 2 * 4 * cfg.numMemories);
  }
});

for (const path of BLOCKED_PATHS) test(`the ${path} path is bit-for-bit deterministic with one thread (the default recipe, S = 21)`, async () => {
  const cfg = config({ ...BLOCKED_COMBOS[0], kernelPath: path });
  const init = randomParams(cfg, 9);
  const a = await train(cfg, init, 'wasm', 2, 300, 64);
  const b = await train(cfg, init, 'wasm', 2, 300, 64);
  assert.deepEqual(a.losses, b.losses);
  for (const name of ['P', 'Q', 'K', 'M'] as const) {
    assert.deepEqual(new Uint32Array(a.params[name].buffer), new Uint32Array(b.params[name].buffer), name);
  }
  // and it is not the pairs path under another name: the rounding differs somewhere
  const pairs = await train({ ...cfg, kernelPath: 'pairs' }, init, 'wasm', 2, 300, 64);
  assert.ok((['P', 'Q', 'K', 'M'] as const).some((name) => a.params[name].some((v, c) => v !== pairs.params[name][c])), `${path} and pairs gave identical bits`);
  if (path === 'deferred') {
    const blocked = await train({ ...cfg, kernelPath: 'blocked' }, init, 'wasm', 2, 300, 64);
    assert.ok((['P', 'Q', 'K', 'M'] as const).some((name) => a.params[name].some((v, c) => v !== blocked.params[name][c])), 'deferred and blocked gave identical bits');
  }
});

test("kernelPath 'auto' (the default) takes the deferred path for batches with few distinct items and the blocked path for the others, bit for bit", async () => {
  const same = (a: TripletParams, b: TripletParams): boolean => (['P', 'Q', 'K', 'M'] as const).every((name) => a[name].every((v, c) => Object.is(v, b[name][c])));
  // the default recipe (21 sides an example) on 70 items: a batch of 64 has ≤ 70 distinct items
  // against 1,344 sides, so every step is deferred
  const few = config({ ...BLOCKED_COMBOS[0] });
  const initFew = randomParams(few, 13);
  const autoFew = await train(few, initFew, 'wasm', 2, 256, 64);
  assert.ok(same(autoFew.params, (await train({ ...few, kernelPath: 'deferred' }, initFew, 'wasm', 2, 256, 64)).params), 'auto differs from deferred with few distinct items');
  assert.ok(!same(autoFew.params, (await train({ ...few, kernelPath: 'blocked' }, initFew, 'wasm', 2, 256, 64)).params), 'auto gave the blocked path\'s bits with few distinct items');
  // the hinge (2 sides) on 3,000 items: ≈ 125 distinct items of 128 sides, so every step is blocked
  const many = config({ ...BLOCKED_COMBOS[0], loss: 'hinge', negatives: 1, numItems: 3000 });
  const initMany = randomParams(many, 14);
  const autoMany = await train(many, initMany, 'wasm', 2, 256, 64);
  assert.ok(same(autoMany.params, (await train({ ...many, kernelPath: 'blocked' }, initMany, 'wasm', 2, 256, 64)).params), 'auto differs from blocked with many distinct items');
  assert.ok(!same(autoMany.params, (await train({ ...many, kernelPath: 'deferred' }, initMany, 'wasm', 2, 256, 64)).params), 'auto gave the deferred path\'s bits with many distinct items');
});

test('losses of a hand-computed example (ts and wasm): hinge, softplus, softmax, rank-weighted hinge', async () => {
  // CML, squared distance: p = 0, q⁺ = (0.5, 0), q⁻ = (0, 0.5) and (0.5, 0.5): D⁺ = 0.25, D⁻ = 0.25, 0.5;
  // margin 0.5: hinges 0.5 and 0.25
  const base = config({ numUsers: 1, numItems: 3, dim: 2, numMemories: 0, distance: 'l2sq', clip: 'none', negatives: 2, margin: 0.5, optimizer: 'sgd', learningRate: 1e-6 });
  const params: TripletParams = { P: Float32Array.of(0, 0), Q: Float32Array.of(0.5, 0, 0, 0.5, 0.5, 0.5), K: new Float32Array(0), M: new Float32Array(0) };
  const sp = (h: number, tau: number): number => tau * Math.log(1 + Math.exp(h / tau));
  const cases: [Partial<TripletKernelConfig>, number][] = [
    [{}, 0.75],
    [{ negativeMode: 'hardest' }, 0.5],
    [{ loss: 'softplus', temperature: 0.2 }, sp(0.5, 0.2) + sp(0.25, 0.2)],
    [{ loss: 'softplus', temperature: 0.2, negativeMode: 'hardest' }, sp(0.5, 0.2)],
    [{ loss: 'softplus', temperature: 5 }, sp(0.5, 5) + sp(0.25, 5)],
    [{ loss: 'softmax', temperature: 0.2 }, -Math.log(Math.exp(-1.25) / (2 * Math.exp(-1.25) + Math.exp(-2.5)))],
    [{ loss: 'softmax', temperature: 2 }, -Math.log(Math.exp(-0.125) / (2 * Math.exp(-0.125) + Math.exp(-0.25)))],
    [{ rankWeighting: true }, Math.log(1 + 3) * 0.75], // V = 2 of k = 2, 3 items: ⌊3·2/2⌋ = 3
    [{ rankWeighting: true, negativeMode: 'hardest' }, Math.log(4) * 0.5],
    [{ rankWeighting: true, margin: 0.1 }, Math.log(1 + 1) * 0.1], // only the first violates: ⌊3·1/2⌋ = 1
  ];
  for (const [over, want] of cases) {
    for (const backend of ['ts', 'wasm'] as const) {
      const kernel = await createTripletKernel({ ...base, ...over }, params, { backend });
      const got = await kernel.runEpoch(Int32Array.of(0), Int32Array.of(0), Int32Array.of(1, 2), 1, 1);
      await kernel.dispose();
      assert.ok(Math.abs(got - want) <= 1e-6 * want, `${backend} ${JSON.stringify(over)}: loss ${got}, expected ${want}`);
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
      let seen = -1;
      let at = -1;
      await assert.rejects(
        kernel.runEpoch(ep.users, ep.pos, ep.neg, n, 16, (p) => {
          seen = p.done;
          ac.abort();
        }, ac.signal),
        (e: unknown) => {
          const m = e instanceof LrmlError && e.code === 'CANCELLED' ? /cancelled at example (\d+) of 400000/.exec(e.message) : null;
          if (m !== null) at = Number(m[1]);
          return m !== null;
        },
      );
      // progress was reported (Hogwild may poll before its workers finish a batch: done ≥ 0), and
      // the epoch stopped before its end
      assert.ok(seen >= 0 && seen < n, `threads=${threads}: progress ${seen} before the abort`);
      assert.ok(at >= 0 && at < n, `threads=${threads}: cancelled at example ${at} of ${n}`);
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
  for (const backend of ['ts', 'wasm'] as const) {
    await assert.rejects(createTripletKernel({ ...cfg, loss: 'softmax', negativeMode: 'hardest', negatives: 3 }, init, { backend }), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /softmax/.test(e.message));
    await assert.rejects(createTripletKernel({ ...cfg, loss: 'softplus', rankWeighting: true }, init, { backend }), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /rankWeighting/.test(e.message));
    await assert.rejects(createTripletKernel({ ...cfg, loss: 'softmax', temperature: 0 }, init, { backend }), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /temperature/.test(e.message));
  }
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

test('TouchedRows: each row once per step, in the order first seen; a new step starts empty without clearing', () => {
  const rows = new TouchedRows(10);
  rows.begin(1);
  for (const r of [7, 3, 7, 0, 3, 9]) rows.touch(r);
  assert.deepEqual([...rows.rows.subarray(0, rows.count)], [7, 3, 0, 9]);
  rows.begin(2);
  assert.equal(rows.count, 0);
  for (const r of [3, 3, 7]) rows.touch(r);
  assert.deepEqual([...rows.rows.subarray(0, rows.count)], [3, 7]);
});
