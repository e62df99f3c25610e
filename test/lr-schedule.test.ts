// Learning-rate schedules: the schedule formulas by hand, kernels that change their learning
// rate between epochs (TypeScript and WASM agree; SGD after setLearningRate equals a kernel made
// with that rate; Hogwild workers honour it) and fitTriplet applying the schedule per epoch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LrmlError } from '../src/errors.js';
import type { TripletKernelConfig, TripletParams } from '../src/kernels/types.js';
import { CML_DEFAULTS, CML_SOFTMAX, LRML_DEFAULTS, LRML_FAST, LRML_HINGE, LRML_PAPER_CODE, TripletModel, resolveTripletOptions } from '../src/models/triplet.js';
import { Rng } from '../src/rng.js';
import { createTripletKernel } from '../src/train/backends/index.js';
import { scheduledLearningRate } from '../src/train/schedule.js';
import { fitTriplet } from '../src/train/triplet.js';
import { plantedDataset } from './helpers.js';

test('schedules by hand: constant, linear, cosine', () => {
  assert.equal(scheduledLearningRate('constant', 0.01, 3, 4), 0.01);
  assert.deepEqual([1, 2, 3, 4].map((e) => scheduledLearningRate('linear', 0.008, e, 4)), [0.008, 0.006, 0.004, 0.002]);
  const cos = [1, 2, 3, 4].map((e) => scheduledLearningRate('cosine', 1, e, 4));
  // (1 + cos(0))/2, (1 + cos(π/4))/2, (1 + cos(π/2))/2, (1 + cos(3π/4))/2
  const want = [1, (1 + Math.SQRT1_2) / 2, 0.5, (1 - Math.SQRT1_2) / 2];
  cos.forEach((x, k) => assert.ok(Math.abs(x - want[k]) < 1e-15, `epoch ${k + 1}: ${x} vs ${want[k]}`));
  assert.equal(scheduledLearningRate('cosine', 0.5, 1, 1), 0.5);
  assert.equal(scheduledLearningRate('linear', 0.5, 1, 1), 0.5);
  for (const bad of [0, 5, 1.5]) {
    assert.throws(() => scheduledLearningRate('linear', 0.1, bad, 4), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /1\.\.4/.test(e.message));
  }
});

test('learningRateSchedule is a validated option', () => {
  // LRML's default and CML's softmax preset decay (chosen on validation, docs/lrml.md); the other
  // presets keep the constant rate they were tuned with
  assert.equal(resolveTripletOptions({}, LRML_DEFAULTS).learningRateSchedule, 'cosine');
  assert.equal(resolveTripletOptions(CML_SOFTMAX, CML_DEFAULTS).learningRateSchedule, 'cosine');
  for (const preset of [LRML_FAST, LRML_HINGE, LRML_PAPER_CODE]) assert.equal(resolveTripletOptions(preset, LRML_DEFAULTS).learningRateSchedule, 'constant');
  assert.equal(resolveTripletOptions({}, CML_DEFAULTS).learningRateSchedule, 'constant');
  assert.equal(resolveTripletOptions({ learningRateSchedule: 'linear' }, LRML_DEFAULTS).learningRateSchedule, 'linear');
  assert.throws(
    () => resolveTripletOptions({ learningRateSchedule: 'step' as never }, LRML_DEFAULTS),
    (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /learningRateSchedule/.test(e.message) && /cosine/.test(e.message),
  );
});

const NU = 30;
const NI = 50;

function config(over: Partial<TripletKernelConfig>): TripletKernelConfig {
  return {
    numUsers: NU, numItems: NI, dim: 8, numMemories: 4, negativeRelation: 'own', distance: 'l2sq', clip: 'none',
    clipMemory: false, margin: 0.5, l2: 0, negatives: 3, negativeMode: 'sum', loss: 'softmax', temperature: 0.5,
    optimizer: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, ...over,
  };
}

function init(cfg: TripletKernelConfig): TripletParams {
  const rng = new Rng(2);
  const f = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal() * 0.3);
  return { P: f(NU * cfg.dim), Q: f(NI * cfg.dim), K: f(cfg.numMemories * cfg.dim), M: f(cfg.numMemories * cfg.dim) };
}

function examples(cfg: TripletKernelConfig, n: number, seed: number): { users: Int32Array; pos: Int32Array; neg: Int32Array } {
  const rng = new Rng(seed);
  return {
    users: Int32Array.from({ length: n }, () => rng.int(NU)),
    pos: Int32Array.from({ length: n }, () => rng.int(NI)),
    neg: Int32Array.from({ length: n * cfg.negatives }, () => rng.int(NI)),
  };
}

/** Trains epochs with the given learning rates (undefined = leave as configured); returns the parameters. */
async function run(cfg: TripletKernelConfig, rates: (number | undefined)[], backend: 'ts' | 'wasm', threads = 1): Promise<TripletParams> {
  const kernel = await createTripletKernel(cfg, init(cfg), { backend, threads });
  try {
    for (let e = 0; e < rates.length; e++) {
      const lr = rates[e];
      if (lr !== undefined) kernel.setLearningRate(lr);
      const ex = examples(cfg, 200, 10 + e);
      await kernel.runEpoch(ex.users, ex.pos, ex.neg, 200, 16);
    }
    const out = init(cfg);
    kernel.read(out);
    return out;
  } finally {
    await kernel.dispose();
  }
}

function maxDiff(a: TripletParams, b: TripletParams): number {
  let m = 0;
  for (const key of ['P', 'Q', 'K', 'M'] as const) {
    for (let x = 0; x < a[key].length; x++) m = Math.max(m, Math.abs(a[key][x] - b[key][x]));
  }
  return m;
}

test('setLearningRate between epochs: TypeScript and WASM kernels agree', async () => {
  const cfg = config({});
  const ts = await run(cfg, [undefined, 0.005, 0.001], 'ts');
  const wasm = await run(cfg, [undefined, 0.005, 0.001], 'wasm');
  assert.ok(maxDiff(ts, wasm) < 1e-4, `ts vs wasm ${maxDiff(ts, wasm)}`);
  const constant = await run(cfg, [undefined, undefined, undefined], 'ts');
  assert.ok(maxDiff(ts, constant) > 1e-3, 'the changed rate changed the training');
});

test('SGD after setLearningRate(b) equals a kernel configured with b (ts and wasm)', async () => {
  for (const backend of ['ts', 'wasm'] as const) {
    const changed = await run(config({ optimizer: 'sgd', learningRate: 0.3 }), [0.05, 0.05], backend);
    const made = await run(config({ optimizer: 'sgd', learningRate: 0.05 }), [undefined, undefined], backend);
    assert.equal(maxDiff(changed, made), 0, backend);
  }
});

test('Hogwild workers use the rate set between epochs', async () => {
  const cfg = config({ optimizer: 'sgd', learningRate: 0.1 });
  const tiny = await run(cfg, [1e-12, 1e-12], 'wasm', 2);
  assert.ok(maxDiff(tiny, init(cfg)) < 1e-6, `a rate of 1e-12 moved the parameters by ${maxDiff(tiny, init(cfg))}`);
  const normal = await run(cfg, [undefined, undefined], 'wasm', 2);
  assert.ok(maxDiff(normal, init(cfg)) > 1e-3, 'the configured rate trains');
});

test('setLearningRate refuses a non-positive rate and a disposed kernel', async () => {
  const cfg = config({});
  for (const backend of ['ts', 'wasm'] as const) {
    const kernel = await createTripletKernel(cfg, init(cfg), { backend });
    for (const bad of [0, -1, Number.NaN]) {
      assert.throws(() => kernel.setLearningRate(bad), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /learningRate/.test(e.message));
    }
    await kernel.dispose();
    assert.throws(() => kernel.setLearningRate(0.1), (e: unknown) => e instanceof LrmlError && e.code === 'INTERNAL');
  }
});

test('fitTriplet applies the schedule per epoch: epoch 1 at the full rate, later epochs decayed', async () => {
  const data = plantedDataset(3, 60, 40, 4, 8).train;
  const fit = async (learningRateSchedule: 'constant' | 'linear' | 'cosine', epochs: number): Promise<TripletParams> => {
    const o = resolveTripletOptions({ dim: 8, numMemories: 3, negatives: 4, epochs, learningRate: 0.01, learningRateSchedule, backend: 'ts' }, LRML_DEFAULTS);
    return (await fitTriplet('lrml', data, o)).params;
  };
  const c1 = await fit('constant', 1);
  assert.equal(maxDiff(c1, await fit('linear', 1)), 0);
  assert.equal(maxDiff(c1, await fit('cosine', 1)), 0);
  const c3 = await fit('constant', 3);
  const l3 = await fit('linear', 3);
  const k3 = await fit('cosine', 3);
  assert.ok(maxDiff(c3, l3) > 1e-4 && maxDiff(c3, k3) > 1e-4 && maxDiff(l3, k3) > 1e-5, 'the decays train differently');
  // deterministic
  assert.equal(maxDiff(l3, await fit('linear', 3)), 0);
});

test('a model file from before the schedule option loads as trained at a constant rate', async () => {
  const data = plantedDataset(3, 20, 16, 2, 5).train;
  const model = await fitTriplet('lrml', data, resolveTripletOptions({ dim: 4, numMemories: 2, epochs: 1, backend: 'ts' }, LRML_DEFAULTS));
  const { learningRateSchedule, ...old } = model.config();
  assert.equal(learningRateSchedule, 'cosine');
  assert.equal(TripletModel.fromTensors('lrml', old, model.tensors(), LRML_DEFAULTS).options.learningRateSchedule, 'constant');
  assert.equal(TripletModel.fromTensors('lrml', model.config(), model.tensors(), LRML_DEFAULTS).options.learningRateSchedule, 'cosine');
});
