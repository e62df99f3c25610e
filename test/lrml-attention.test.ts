// The LRML attention options (issue 19: cosine, fit, fit-hard attention; relation centering; the
// embedding learning-rate scale) at the model level: options validated, training on both kernels,
// save → load round trips with the same options and bit-identical scores, the per-epoch attention
// statistics of the new attentions, fold-in and explain through the model's own attention, and
// model files from before the options loading as `dot`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { IdMap } from '../src/data/idmap.js';
import { LrmlError } from '../src/errors.js';
import { decodeModel, encodeModel, type LoadedModel } from '../src/io/format.js';
import { PairState, PairUser, pairDistance, type PairShape } from '../src/kernels/pair.js';
import { attentionSample, measureEpochAttention } from '../src/models/attention-epoch.js';
import { pairAttentionStats } from '../src/models/attention-stats.js';
import { LRML_DEFAULTS, TripletModel, cmlFamily, lrmlFamily, resolveTripletOptions, type TripletOptions } from '../src/models/triplet.js';
import type { EpochSummary } from '../src/models/types.js';
import { explain } from '../src/recommend/index.js';
import { fitTriplet } from '../src/train/triplet.js';
import { plantedDataset, repoRoot } from './helpers.js';

const data = plantedDataset(5, 60, 40, 4, 8).train;
const base = { dim: 8, numMemories: 5, epochs: 2, batchSize: 32, seed: 7, threads: 1, negatives: 4 };

async function run(extra: Partial<TripletOptions>): Promise<{ model: TripletModel; epochs: EpochSummary[] }> {
  const epochs: EpochSummary[] = [];
  const o = resolveTripletOptions({ ...base, ...extra }, LRML_DEFAULTS);
  const model = await fitTriplet('lrml', data, o, { onEpoch: (s) => { epochs.push(s); } });
  return { model, epochs };
}

function wrap(model: TripletModel): LoadedModel {
  return {
    model,
    users: IdMap.fromIds(Array.from({ length: model.numUsers }, (_, u) => `u${u}`)),
    items: IdMap.fromIds(Array.from({ length: model.numItems }, (_, i) => `i${i}`)),
    meta: {},
    seen: data,
  };
}

test('options that would do nothing are refused when a model is made: attention options of cml, σ without cosine, τₐ without fit', () => {
  const refused = (family: typeof lrmlFamily, given: Partial<TripletOptions>, re: RegExp): void => {
    assert.throws(() => family.resolveOptions(given), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && re.test(e.message), JSON.stringify(given));
  };
  refused(cmlFamily, { attention: 'cosine' }, /invalid attention: "cosine" \(expected "dot" with numMemories 0/);
  refused(cmlFamily, { relationCentering: true }, /invalid relationCentering: true \(expected false with numMemories 0/);
  refused(cmlFamily, { embeddingLearningRateScale: 0 }, /invalid embeddingLearningRateScale: 0 \(expected .*never moves/);
  refused(lrmlFamily, { numMemories: 0, attention: 'fit' }, /numMemories 0/);
  refused(lrmlFamily, { attentionScale: 30 }, /invalid attentionScale: 30 \(expected no value with attention "dot"/);
  refused(lrmlFamily, { attention: 'fit', attentionScale: 30 }, /attentionScale.*"fit"/);
  refused(lrmlFamily, { attentionTemperature: 0.5 }, /invalid attentionTemperature: 0.5 \(expected no value with attention "dot"/);
  refused(lrmlFamily, { attention: 'cosine', attentionTemperature: 0.5 }, /attentionTemperature.*"cosine"/);
  // allowed: cml with a rate scale > 0, σ with cosine, τₐ with fit / fit-hard, LRML frozen embeddings
  cmlFamily.resolveOptions({ embeddingLearningRateScale: 0.5 });
  lrmlFamily.resolveOptions({ attention: 'cosine', attentionScale: 30 });
  lrmlFamily.resolveOptions({ attention: 'fit-hard', attentionTemperature: 0.5 });
  lrmlFamily.resolveOptions({ embeddingLearningRateScale: 0, relationCentering: true });
  // resolved options (every option present) resolve again; every preset resolves
  for (const family of [lrmlFamily, cmlFamily]) {
    family.resolveOptions(family.resolveOptions({}));
    for (const p of Object.values(family.presets ?? {})) family.resolveOptions(family.resolveOptions(p.options));
  }
  const cosine = lrmlFamily.resolveOptions({ attention: 'cosine', attentionScale: 30 });
  assert.deepEqual(lrmlFamily.resolveOptions(cosine), cosine);
});

/** The pair shape the model of run(extra) must have, written out (base: dim 8, 5 slots; LRML's distance l2sq, σ 10, τₐ 0.1). */
function literalShape(extra: Partial<TripletOptions>): PairShape {
  return {
    dim: 8, numMemories: 5, distance: 'l2sq',
    attention: extra.attention ?? 'dot', attentionScale: extra.attentionScale ?? 10, attentionTemperature: extra.attentionTemperature ?? 0.1,
  };
}

const VARIANTS: Partial<TripletOptions>[] = [
  { attention: 'cosine', attentionScale: 10 },
  { attention: 'cosine', attentionScale: 30, relationCentering: true },
  { attention: 'fit', attentionTemperature: 0.1 },
  { attention: 'fit-hard', attentionTemperature: 0.2, embeddingLearningRateScale: 0.5 },
  { relationCentering: true, embeddingLearningRateScale: 0 },
];

test('attention options are validated with the allowed values', () => {
  const bad: [Partial<TripletOptions>, RegExp][] = [
    [{ attention: 'softmax' as never }, /attention/],
    [{ attentionScale: 0 }, /attentionScale/],
    [{ attentionTemperature: -1 }, /attentionTemperature/],
    [{ relationCentering: 'yes' as never }, /relationCentering/],
    [{ embeddingLearningRateScale: -0.5 }, /embeddingLearningRateScale/],
  ];
  for (const [given, pattern] of bad) {
    assert.throws(() => resolveTripletOptions(given, LRML_DEFAULTS), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && pattern.test(e.message));
  }
  const d = resolveTripletOptions({}, LRML_DEFAULTS);
  assert.deepEqual(
    [d.attention, d.attentionScale, d.attentionTemperature, d.relationCentering, d.embeddingLearningRateScale],
    ['dot', 10, 0.1, false, 1],
  );
});

test('new attention options train on both kernels, and save → load keeps the options and the scores bit for bit', async () => {
  for (const extra of VARIANTS) {
    for (const backend of ['wasm', 'ts'] as const) {
      const { model } = await run({ ...extra, backend });
      const loaded = decodeModel(encodeModel(wrap(model)));
      const again = loaded.model as TripletModel;
      assert.deepEqual(again.options, model.options, `${JSON.stringify(extra)} ${backend}: options`);
      const a = new Float32Array(model.numItems);
      const b = new Float32Array(model.numItems);
      for (let u = 0; u < model.numUsers; u++) {
        model.scoreAll(u, a);
        again.scoreAll(u, b);
        assert.deepEqual(b, a, `${JSON.stringify(extra)} ${backend}: scores of user ${u}`);
        assert.ok(a.every(Number.isFinite));
      }
    }
  }
});

test('the model scores through its own attention (the pair forward of pair.ts)', async () => {
  for (const extra of VARIANTS.slice(0, 4)) {
    const { model } = await run(extra);
    const shape = literalShape(extra);
    const user = new PairUser(shape);
    const pair = new PairState(shape);
    const out = new Float32Array(model.numItems);
    const d = model.options.dim;
    for (const u of [0, 17, 59]) {
      model.scoreAll(u, out);
      user.set(model.params.P, u * d, 1);
      for (let i = 0; i < model.numItems; i++) {
        const D = pairDistance(user, pair, model.params.Q, i * d, 1, model.params.K, model.params.M);
        assert.ok(Math.abs(out[i] + D) < 1e-4 * (1 + D), `${JSON.stringify(extra)} u=${u} i=${i}: ${out[i]} vs ${-D}`);
      }
    }
  }
});

test('epoch attention statistics of the new attentions: fit-hard is one-hot with a finite logit range, cosine logits lie in [−σ, σ]', async () => {
  const hard = await run({ attention: 'fit-hard' });
  for (const e of hard.epochs) {
    const s = e.attention;
    assert.ok(s !== undefined);
    assert.equal(s.meanNormalizedEntropy, 0);
    assert.equal(s.meanMaxWeight, 1);
    assert.ok(Number.isFinite(s.maxLogitRange) && s.meanLogitRange > 0);
  }
  for (const attentionScale of [2, 30]) {
    const cos = await run({ attention: 'cosine', attentionScale });
    for (const e of cos.epochs) {
      const s = e.attention;
      assert.ok(s !== undefined);
      assert.ok(s.maxLogitRange <= 2 * attentionScale && s.meanLogitRange > 0);
      assert.ok(s.meanNormalizedEntropy > 0 && s.meanNormalizedEntropy <= 1);
    }
  }
  // the recorded last epoch is the measure of the final model
  const fit = await run({ attention: 'fit' });
  assert.deepEqual(fit.epochs[1].attention, measureEpochAttention(fit.model, attentionSample(data, (7 ^ 0x5a17e57) >>> 0)));
});

test('fold-in and explain use the model\'s attention', async () => {
  for (const extra of [{ attention: 'cosine' }, { attention: 'fit' }, { attention: 'fit-hard' }] as Partial<TripletOptions>[]) {
    const { model } = await run(extra);
    const settings = { loss: undefined, steps: 20, learningRate: 0.05, negatives: 4, batchSize: 4, seed: 1 };
    const fit = model.foldIn(Int32Array.of(1, 2, 3), settings);
    assert.ok(fit.vector !== null && fit.vector.every(Number.isFinite) && fit.steps === 20, JSON.stringify(extra));
    // the same weights read through the dot attention fold in to another vector
    const asDot = new TripletModel('lrml', model.numUsers, model.numItems, { ...model.options, attention: 'dot' }, model.params);
    const dotFit = asDot.foldIn(Int32Array.of(1, 2, 3), settings);
    assert.ok(dotFit.vector !== null);
    assert.notDeepEqual(fit.vector, dotFit.vector, JSON.stringify(extra));
    const e = explain(wrap(model), 'u3', 'i5');
    const shape = literalShape(extra);
    const user = new PairUser(shape);
    const pair = new PairState(shape);
    user.set(model.params.P, 3 * model.options.dim, 1);
    const D = pairDistance(user, pair, model.params.Q, 5 * model.options.dim, 1, model.params.K, model.params.M);
    assert.equal(e.distance, D);
    assert.deepEqual(e.attention, Array.from(pair.a));
    // the logit range of the model's own logits (finite for the one-hot fit-hard)
    assert.equal(e.attentionSignal.logitRange, Math.max(...pair.l) - Math.min(...pair.l));
    assert.ok(Number.isFinite(e.attentionSignal.logitRange) && e.attentionSignal.logitRange > 0);
  }
});

test('pairAttentionStats takes the logit range from the logits when given (one-hot weights cannot tell it)', () => {
  const oneHot = pairAttentionStats([0, 1, 0], 0, 3);
  assert.equal(oneHot.logitRange, Infinity);
  assert.equal(pairAttentionStats([0, 1, 0], 0, 3, [-4, -1, -2.5]).logitRange, 3);
  assert.equal(pairAttentionStats([9, 0, 1, 0], 1, 3, [9, -4, -1, -2.5]).logitRange, 3);
  // a softmax's weights and its logits give the same range
  const l = [0.3, -1.2, 2];
  const z = l.reduce((acc, x) => acc + Math.exp(x), 0);
  const a = l.map((x) => Math.exp(x) / z);
  assert.ok(Math.abs(pairAttentionStats(a).logitRange - pairAttentionStats(a, 0, 3, l).logitRange) < 1e-12);
});

test('a model file from before the attention options loads with the dot attention and no centering', () => {
  const bytes = new Uint8Array(readFileSync(resolve(repoRoot(), 'test/fixtures/lrml-v1-no-checksum.lrml')));
  const m = decodeModel(bytes).model as TripletModel;
  assert.equal(m.options.attention, 'dot');
  assert.equal(m.options.relationCentering, false);
  assert.equal(m.options.embeddingLearningRateScale, 1);
});
