// The slot-diversity term of LRML training (issue #19, mechanism 5; `slotDiversity`,
// `--slot-diversity`): R = λ/(N(N−1)) Σ_{k≠l} [cos²(Kₖ, Kₗ) + cos²(Mₖ, Mₗ)], added to the batch loss
// once per step. Its gradient (slotCosineSquares of src/kernels/lrml-impl.ts) against central
// differences of a Float64 reference written here; the TypeScript step applying λ/(N(N−1)) times
// it to K and M; training with it lowers the slots' cosines; options validated (library, kernel
// check, CLI with exit code 2); save → load keeps it; old model files load with it off. The WASM
// kernel against the TypeScript one with the term: test/kernels-crosscheck.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { IdMap } from '../src/data/idmap.js';
import { LrmlError } from '../src/errors.js';
import { decodeModel, encodeModel } from '../src/io/format.js';
import { LrmlTsStep, SLOT_DIVERSITY_EPS, slotCosineSquares } from '../src/kernels/lrml-impl.js';
import type { TripletKernelConfig, TripletParams } from '../src/kernels/types.js';
import { meanAbsSlotCosine } from '../src/models/attention-epoch.js';
import { LRML_DEFAULTS, TripletModel, cmlFamily, lrmlFamily, resolveTripletOptions } from '../src/models/triplet.js';
import type { EpochSummary } from '../src/models/types.js';
import { Rng } from '../src/rng.js';
import { checkKernelConfig } from '../src/train/backends/common.js';
import { createTripletKernel } from '../src/train/backends/index.js';
import { fitTriplet } from '../src/train/triplet.js';
import { plantedDataset, repoRoot, runCli } from './helpers.js';

/** Σ_{k≠l} cos²(Xₖ, Xₗ) in Float64, written out from the definition (‖x‖ = sqrt(Σx² + ε)). */
function referenceS(X: Float64Array, rows: number, d: number): number {
  const row = (k: number): Float64Array => X.subarray(k * d, k * d + d);
  const dot = (a: Float64Array, b: Float64Array): number => a.reduce((s, v, c) => s + v * b[c], 0);
  const nrm = (a: Float64Array): number => Math.sqrt(dot(a, a) + SLOT_DIVERSITY_EPS);
  let s = 0;
  for (let k = 0; k < rows; k++) {
    for (let l = 0; l < rows; l++) {
      if (k === l) continue;
      const c = dot(row(k), row(l)) / (nrm(row(k)) * nrm(row(l)));
      s += c * c;
    }
  }
  return s;
}

function randomRows(rows: number, d: number, seed: number, scale = 0.3): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: rows * d }, () => rng.normal() * scale);
}

test('slotCosineSquares: value and gradient match central differences of a Float64 reference (zero row, two rows, the ML-1M shape)', () => {
  const cases: { rows: number; d: number; seed: number; zeroRow?: number; common?: number }[] = [
    { rows: 5, d: 8, seed: 1 },
    { rows: 2, d: 3, seed: 2 },
    { rows: 4, d: 7, seed: 3, zeroRow: 2 }, // a zero row: cos 0 with it, finite gradient
    { rows: 6, d: 5, seed: 4, common: 0.5 }, // rows sharing a common direction: cosines near 1
    { rows: 20, d: 100, seed: 5 },
  ];
  for (const { rows, d, seed, zeroRow, common } of cases) {
    const X = randomRows(rows, d, seed);
    if (common !== undefined) for (let c = 0; c < X.length; c++) X[c] += common;
    if (zeroRow !== undefined) X.fill(0, zeroRow * d, zeroRow * d + d);
    const weight = 0.7;
    const G = new Float32Array(X.length);
    G[0] = 0.25; // the gradient is added to what G holds
    const s = slotCosineSquares(X, rows, d, weight, G, new Float64Array(rows), new Float64Array(d));
    G[0] -= 0.25;
    const x64 = Float64Array.from(X);
    const want = referenceS(x64, rows, d);
    assert.ok(Math.abs(s - want) <= 1e-9 * (1 + want), `rows ${rows} d ${d}: S ${s} vs ${want}`);
    // without G: the same value, nothing written
    assert.equal(slotCosineSquares(X, rows, d, weight, null, new Float64Array(rows), new Float64Array(d)), s);
    const h = 1e-5;
    let worst = 0;
    let largest = 0;
    for (let c = 0; c < x64.length; c++) {
      const keep = x64[c];
      x64[c] = keep + h;
      const up = referenceS(x64, rows, d);
      x64[c] = keep - h;
      const down = referenceS(x64, rows, d);
      x64[c] = keep;
      const fd = (weight * (up - down)) / (2 * h);
      worst = Math.max(worst, Math.abs(G[c] - fd));
      largest = Math.max(largest, Math.abs(fd));
      assert.ok(Math.abs(G[c] - fd) <= 1e-5 * (1 + Math.abs(fd)), `rows ${rows} d ${d} [${c}]: gradient ${G[c]} vs central difference ${fd}`);
    }
    assert.ok(largest > 1e-3, `rows ${rows} d ${d}: the gradient is not trivially 0`);
    assert.ok(G.every(Number.isFinite));
  }
});

function config(over: Partial<TripletKernelConfig>): TripletKernelConfig {
  return {
    numUsers: 12, numItems: 20, dim: 6, numMemories: 4, negativeRelation: 'own', distance: 'l2sq', clip: 'none',
    clipMemory: false, margin: 0.5, l2: 0, negatives: 2, negativeMode: 'sum', optimizer: 'sgd', learningRate: 0.05,
    beta1: 0.9, beta2: 0.999, epsilon: 1e-8, ...over,
  };
}

function params(cfg: TripletKernelConfig, seed: number): TripletParams {
  const d = cfg.dim;
  return { P: randomRows(cfg.numUsers, d, seed), Q: randomRows(cfg.numItems, d, seed + 1), K: randomRows(cfg.numMemories, d, seed + 2), M: randomRows(cfg.numMemories, d, seed + 3) };
}

const copy = (p: TripletParams): TripletParams => ({ P: p.P.slice(), Q: p.Q.slice(), K: p.K.slice(), M: p.M.slice() });

test('an SGD step adds λ/(N(N−1)) × the slot-diversity gradient to K and M and the term to the loss, once per step', () => {
  const lambda = 3;
  for (const attention of ['dot', 'cosine', 'fit'] as const) {
    const cfg = config({ attention, slotDiversity: lambda });
    const off = config({ attention });
    const init = params(cfg, 21);
    const users = Int32Array.of(0, 3, 5, 3);
    const pos = Int32Array.of(1, 4, 7, 9);
    const neg = Int32Array.of(2, 3, 5, 6, 8, 10, 11, 12);
    const on = new LrmlTsStep(cfg, copy(init));
    const base = new LrmlTsStep(off, copy(init));
    // two steps of two examples each: the term once per step, from that step's K and M
    for (const offset of [0, 2]) {
      const n = cfg.numMemories;
      const d = cfg.dim;
      const w = lambda / (n * (n - 1));
      const gK = new Float32Array(n * d);
      const gM = new Float32Array(n * d);
      const r = w * (slotCosineSquares(on.params.K, n, d, w, gK, new Float64Array(n), new Float64Array(d)) + slotCosineSquares(on.params.M, n, d, w, gM, new Float64Array(n), new Float64Array(d)));
      const before = copy(on.params);
      // the same data step from the same parameters, without the term
      base.params.K.set(before.K); base.params.M.set(before.M); base.params.P.set(before.P); base.params.Q.set(before.Q);
      const lossOn = on.step(users, pos, neg, offset, 2);
      const lossOff = base.step(users, pos, neg, offset, 2);
      assert.ok(r > 0);
      assert.ok(Math.abs(lossOn - (lossOff + r)) <= 1e-9 * (1 + lossOn), `${attention}: loss ${lossOn} vs ${lossOff} + ${r}`);
      for (const [name, g] of [['K', gK], ['M', gM]] as const) {
        for (let c = 0; c < g.length; c++) {
          const want = base.params[name][c] - cfg.learningRate * g[c];
          assert.ok(Math.abs(on.params[name][c] - want) <= 1e-6, `${attention} ${name}[${c}]: ${on.params[name][c]} vs ${want}`);
        }
      }
      assert.deepEqual(on.params.P, base.params.P, `${attention}: P is not touched by the term`);
      assert.deepEqual(on.params.Q, base.params.Q, `${attention}: Q is not touched by the term`);
    }
    assert.ok(on.grads.K.every((v) => v === 0) && on.grads.M.every((v) => v === 0), 'no gradient left behind');
  }
});

test('with one slot (or none) the term is 0 and changes nothing', () => {
  for (const numMemories of [1, 0]) {
    const cfg = config({ numMemories, slotDiversity: 5 });
    const init = params(cfg, 31);
    const a = new LrmlTsStep(cfg, copy(init));
    const b = new LrmlTsStep(config({ numMemories }), copy(init));
    const users = Int32Array.of(0, 1);
    const pos = Int32Array.of(2, 3);
    const neg = Int32Array.of(4, 5, 6, 7);
    assert.equal(a.step(users, pos, neg, 0, 2), b.step(users, pos, neg, 0, 2));
    assert.deepEqual(a.params, b.params);
  }
});

/** Mean |cos| over the pairs k ≠ l of the rows of X. */
function meanAbsCos(X: Float32Array, rows: number, d: number): number {
  let s = 0;
  for (let k = 0; k < rows; k++) {
    for (let l = 0; l < rows; l++) {
      if (k === l) continue;
      let dot = 0, a = 0, b = 0;
      for (let c = 0; c < d; c++) {
        dot += X[k * d + c] * X[l * d + c];
        a += X[k * d + c] ** 2;
        b += X[l * d + c] ** 2;
      }
      s += Math.abs(dot) / Math.sqrt(a * b);
    }
  }
  return s / (rows * (rows - 1));
}

test('training with the term makes the keys and values more nearly orthogonal (ts and wasm, Adam)', async () => {
  const cfg = config({ optimizer: 'adam', learningRate: 0.01, numMemories: 6, dim: 8, clipMemory: true });
  const init = params(cfg, 41);
  // start from slots sharing a common direction
  for (const X of [init.K, init.M]) for (let c = 0; c < X.length; c++) X[c] += 0.4;
  const rng = new Rng(3);
  const n = 400;
  const users = Int32Array.from({ length: n }, () => rng.int(cfg.numUsers));
  const pos = Int32Array.from({ length: n }, () => rng.int(cfg.numItems));
  const neg = Int32Array.from({ length: n * cfg.negatives }, () => rng.int(cfg.numItems));
  for (const backend of ['ts', 'wasm'] as const) {
    const out: Record<string, TripletParams> = {};
    for (const lambda of [0, 20]) {
      const kernel = await createTripletKernel({ ...cfg, slotDiversity: lambda }, copy(init), { backend });
      try {
        for (let e = 0; e < 3; e++) await kernel.runEpoch(users, pos, neg, n, 40);
        const p = copy(init);
        kernel.read(p);
        out[lambda] = p;
      } finally {
        await kernel.dispose();
      }
    }
    for (const name of ['K', 'M'] as const) {
      const off = meanAbsCos(out[0][name], cfg.numMemories, cfg.dim);
      const on = meanAbsCos(out[20][name], cfg.numMemories, cfg.dim);
      assert.ok(on < 0.5 * off, `${backend} ${name}: mean |cos| ${on} with the term vs ${off} without`);
    }
  }
});

test('slotDiversity is validated: library options, the kernels\' own check, cml refuses it', () => {
  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, 'x' as never]) {
    assert.throws(() => resolveTripletOptions({ slotDiversity: bad }, LRML_DEFAULTS), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /invalid slotDiversity.*expected a number in \[0, 1000000\]/.test(e.message), String(bad));
    const cfg = config({ slotDiversity: bad });
    assert.throws(() => checkKernelConfig(cfg, params(cfg, 1)), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /slotDiversity.*a finite number ≥ 0/.test(e.message), String(bad));
  }
  assert.throws(() => cmlFamily.resolveOptions({ slotDiversity: 1 }), (e: unknown) => e instanceof LrmlError && /invalid slotDiversity: 1 \(expected 0 with numMemories 0/.test(e.message));
  assert.throws(() => lrmlFamily.resolveOptions({ numMemories: 0, slotDiversity: 0.5 }), /numMemories 0/);
  assert.equal(resolveTripletOptions({}, LRML_DEFAULTS).slotDiversity, 0);
  assert.equal(cmlFamily.resolveOptions({}).slotDiversity, 0);
  const o = lrmlFamily.resolveOptions({ slotDiversity: 0.1 });
  assert.deepEqual(lrmlFamily.resolveOptions(o), o);
  const cfg = config({ slotDiversity: 0 });
  checkKernelConfig(cfg, params(cfg, 1));
});

test('lrml train --slot-diversity: bad values are BAD_OPTION naming the flag, exit 2, nothing written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrml-slotdiv-'));
  try {
    const data = join(dir, 'small.csv');
    writeFileSync(data, `user,item\n${Array.from({ length: 240 }, (_, k) => `u${k % 30},i${(k * 7 + Math.floor(k / 30)) % 20}`).join('\n')}\n`);
    const out = join(dir, 'm.lrml');
    for (const [args, pattern] of [
      [['--slot-diversity', '-1'], /^error \[BAD_OPTION\]: --slot-diversity: -1 \(expected a number in \[0, 1000000\]\)/],
      [['--slot-diversity', 'NaN'], /^error \[BAD_OPTION\]: --slot-diversity: /],
      [['--slot-diversity', 'abc'], /^error \[BAD_OPTION\]: --slot-diversity: "abc" is not a number/],
      [['--family', 'cml', '--slot-diversity', '1'], /^error \[BAD_OPTION\]: --slot-diversity: 1 \(expected 0 with numMemories 0/],
    ] as const) {
      const r = await runCli('train', '--data', data, '--out', out, '--quiet', ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern, args.join(' '));
      assert.equal(existsSync(out), false);
    }
    const help = await runCli('train', '--help');
    assert.match(help.stdout, /--slot-diversity <x>/);
    // the epoch line reports the slots' mean |cos| with the term on
    const ok = await runCli('train', '--data', data, '--out', out, '--slot-diversity', '1', '--epochs', '2', '--dim', '8', '--memories', '4');
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /epoch 2: .*attention entropy .* slot \|cos\| keys \d\.\d{3} values \d\.\d{3}/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('save → load keeps slotDiversity and the scores bit for bit (wasm and ts); a model file from before the option loads with it off', async () => {
  const data = plantedDataset(5, 60, 40, 4, 8).train;
  for (const backend of ['wasm', 'ts'] as const) {
    const o = resolveTripletOptions({ dim: 8, numMemories: 5, epochs: 2, batchSize: 32, seed: 7, threads: 1, negatives: 4, slotDiversity: 0.5, backend }, LRML_DEFAULTS);
    const model = await fitTriplet('lrml', data, o);
    const loaded = decodeModel(encodeModel({
      model,
      users: IdMap.fromIds(Array.from({ length: model.numUsers }, (_, u) => `u${u}`)),
      items: IdMap.fromIds(Array.from({ length: model.numItems }, (_, i) => `i${i}`)),
      meta: {},
      seen: data,
    })).model as TripletModel;
    assert.equal(loaded.options.slotDiversity, 0.5);
    assert.deepEqual(loaded.options, model.options);
    const a = new Float32Array(model.numItems);
    const b = new Float32Array(model.numItems);
    for (let u = 0; u < model.numUsers; u++) {
      model.scoreAll(u, a);
      loaded.scoreAll(u, b);
      assert.deepEqual(b, a, `${backend}: scores of user ${u}`);
    }
  }
  const old = decodeModel(new Uint8Array(readFileSync(resolve(repoRoot(), 'test/fixtures/lrml-v1-no-checksum.lrml')))).model as TripletModel;
  assert.equal(old.options.slotDiversity, 0);
});

test('meanAbsSlotCosine: hand-computed cases; the epoch attention figures carry it only with the term on', async () => {
  // rows (1, 0), (1, 1), (0, −2): |cos| 1/√2, 0, 1/√2 → mean (√2)/3
  assert.ok(Math.abs(meanAbsSlotCosine([1, 0, 1, 1, 0, -2], 3, 2) - Math.SQRT2 / 3) < 1e-7);
  assert.ok(Math.abs(meanAbsSlotCosine([1, 2, -2, -4], 2, 2) - 1) < 1e-7);
  assert.equal(meanAbsSlotCosine([0, 0, 3, 4], 2, 2), 0);
  assert.ok(Number.isNaN(meanAbsSlotCosine([1, 2], 1, 2)));
  const data = plantedDataset(5, 60, 40, 4, 8).train;
  const base = { dim: 8, numMemories: 5, epochs: 2, batchSize: 32, seed: 7, threads: 1, negatives: 4 };
  for (const slotDiversity of [0, 2]) {
    const epochs: EpochSummary[] = [];
    const model = await fitTriplet('lrml', data, resolveTripletOptions({ ...base, slotDiversity }, LRML_DEFAULTS), { onEpoch: (s) => { epochs.push(s); } });
    const last = epochs[epochs.length - 1].attention;
    assert.ok(last !== undefined);
    if (slotDiversity === 0) {
      assert.equal(last.slotCosine, undefined);
    } else {
      assert.deepEqual(last.slotCosine, { keys: meanAbsSlotCosine(model.params.K, 5, 8), values: meanAbsSlotCosine(model.params.M, 5, 8) });
    }
  }
});
