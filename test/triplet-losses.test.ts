// The loss options at the model and CLI level: defaults keep the original hinge, bad values and
// combinations are BAD_OPTION, the CLI flags reach the options, older model configs (without the
// options) still load, and each loss learns the planted structure end to end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { LrmlError } from '../src/errors.js';
import { AUTO_NEGATIVE_SHARING, CML_DEFAULTS, LRML_DEFAULTS, LRML_FAST, LRML_HINGE, LRML_PAPER_CODE, LRML_PER_POSITIVE, TripletModel, kernelConfig, resolveNegativeSharing, resolveTripletOptions, type TripletOptions } from '../src/models/triplet.js';
import { addModelOptions, modelOptionsFromCli } from '../src/cli/commands/train.js';
import { fitTriplet } from '../src/train/triplet.js';
import { hitsAtK, plantedDataset } from './helpers.js';

test('CML defaults and the paper-code preset keep the paper loss: hinge, temperature 1, no rank weighting', () => {
  for (const [defaults, given] of [[CML_DEFAULTS, {}], [LRML_DEFAULTS, LRML_PAPER_CODE], [CML_DEFAULTS, LRML_PAPER_CODE]] as const) {
    {
      const o = resolveTripletOptions(given, defaults);
      assert.equal(o.loss, 'hinge');
      assert.equal(o.temperature, 1);
      assert.equal(o.rankWeighting, false);
      const cfg = kernelConfig(o, 10, 20);
      assert.equal(cfg.loss, 'hinge');
      assert.equal(cfg.temperature, 1);
      assert.equal(cfg.rankWeighting, false);
    }
  }
  const o = resolveTripletOptions({ loss: 'softmax', temperature: 0.1, negatives: 10 }, CML_DEFAULTS);
  assert.deepEqual([kernelConfig(o, 5, 9).loss, kernelConfig(o, 5, 9).temperature], ['softmax', 0.1]);
  // LRML's default recipe (chosen on ML-1M validation, docs/lrml.md): sampled softmax over 40
  // negatives shared within users' blocks (20 per positive until session 18)
  const l = resolveTripletOptions({}, LRML_DEFAULTS);
  assert.deepEqual([l.loss, l.temperature, l.negatives, l.shareWithin, l.clipMemory], ['softmax', 0.25, 40, 'user', true]);
});

test('bad loss options and combinations are BAD_OPTION naming the option', () => {
  const cases: [Partial<TripletOptions>, RegExp][] = [
    [{ loss: 'softmax', negativeMode: 'hardest', negatives: 10 }, /negativeMode: "hardest".*"sum" with loss "softmax"/],
    [{ loss: 'softplus', rankWeighting: true }, /rankWeighting: true.*loss "hinge" only/],
    [{ loss: 'softmax', temperature: 0 }, /temperature: 0/],
    [{ temperature: -0.5 }, /temperature/],
    [{ loss: 'bpr' as never }, /loss: "bpr".*hinge, softplus, softmax/],
    [{ rankWeighting: 'yes' as never }, /rankWeighting/],
  ];
  for (const [given, re] of cases) {
    assert.throws(() => resolveTripletOptions(given, LRML_DEFAULTS), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && re.test(e.message), JSON.stringify(given));
  }
  // fine: softplus with hardest, rank weighting with hardest
  resolveTripletOptions({ loss: 'softplus', negativeMode: 'hardest', negatives: 3 }, LRML_DEFAULTS);
  resolveTripletOptions({ rankWeighting: true, negativeMode: 'hardest', negatives: 3 }, CML_DEFAULTS);
});

test('CLI flags --loss, --temperature, --rank-weighting reach the model options', () => {
  const cmd = addModelOptions(new Command().exitOverride());
  cmd.parse(['--loss', 'softmax', '--temperature', '0.2', '--negatives', '10'], { from: 'user' });
  assert.deepEqual(modelOptionsFromCli('lrml', cmd.opts()), { loss: 'softmax', temperature: 0.2, negatives: 10 });
  const cmd2 = addModelOptions(new Command().exitOverride());
  cmd2.parse(['--rank-weighting', '--negatives', '5'], { from: 'user' });
  const o = resolveTripletOptions(modelOptionsFromCli('cml', cmd2.opts()) as Partial<TripletOptions>, CML_DEFAULTS);
  assert.equal(o.rankWeighting, true);
  assert.equal(o.loss, 'hinge');
  const cmd3 = addModelOptions(new Command().exitOverride());
  cmd3.parse([], { from: 'user' });
  assert.deepEqual(modelOptionsFromCli('lrml', cmd3.opts()), {}, 'no flag, no option: the defaults apply');
});

test('a model config written before the loss options existed still loads (defaults fill them in)', () => {
  const d = 4;
  const model = new TripletModel('cml', 3, 5, resolveTripletOptions({ dim: d }, CML_DEFAULTS), {
    P: new Float32Array(3 * d), Q: new Float32Array(5 * d), K: new Float32Array(0), M: new Float32Array(0),
  });
  const config = model.config();
  assert.equal(config.loss, 'hinge');
  const old: Record<string, unknown> = { ...config };
  delete old.loss;
  delete old.temperature;
  delete old.rankWeighting;
  const tensors = model.tensors();
  const back = TripletModel.fromTensors('cml', old, tensors, CML_DEFAULTS);
  assert.equal(back.options.loss, 'hinge');
  assert.equal(back.options.rankWeighting, false);
  const withSoftmax = TripletModel.fromTensors('cml', { ...config, loss: 'softmax', temperature: 0.1 }, tensors, CML_DEFAULTS);
  assert.equal(withSoftmax.options.loss, 'softmax');
});

test('every loss learns the planted structure end to end (beats popularity on held-out items)', async (t) => {
  const data = plantedDataset(7);
  const counts = data.train.columnCounts();
  const popHits = hitsAtK((_u, out) => {
    for (let i = 0; i < counts.length; i++) out[i] = counts[i];
  }, data, 10);
  const base: Partial<TripletOptions> = { dim: 16, numMemories: 4, epochs: 20, learningRate: 0.01, batchSize: 128, seed: 3 };
  const recipes: Partial<TripletOptions>[] = [
    { loss: 'softplus', temperature: 0.2, negatives: 3 },
    { loss: 'softmax', temperature: 0.2, negatives: 10 },
    { loss: 'hinge', rankWeighting: true, negatives: 5 },
  ];
  const seen: string[] = [];
  for (const r of recipes) {
    const model = await fitTriplet('lrml', data.train, resolveTripletOptions({ ...base, ...r }, LRML_DEFAULTS));
    const h = hitsAtK((u, out) => model.scoreAll(u, out), data, 10);
    seen.push(`${JSON.stringify(r)} ${h.toFixed(3)}`);
    assert.ok(h > popHits + 0.2, `${JSON.stringify(r)}: hits@10 ${h.toFixed(3)} should beat popularity ${popHits.toFixed(3)} by > 0.2`);
  }
  t.diagnostic(`popularity ${popHits.toFixed(3)}; ${seen.join('; ')}`);
});

test('negativeSharing: BAD_OPTION outside auto and integers in [1, 1024]; the flag reaches it; shared negatives still learn the planted structure, deterministically, and differ from per-positive draws', async () => {
  for (const bad of [0, 1.5, 2000, '4' as never, 'Auto' as never]) {
    assert.throws(() => resolveTripletOptions({ negativeSharing: bad }, LRML_DEFAULTS), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /negativeSharing.*'auto' or an integer in \[1, 1024\]/.test(e.message), String(bad));
  }
  assert.equal(LRML_DEFAULTS.negativeSharing, 'auto');
  assert.equal(CML_DEFAULTS.negativeSharing, 1);
  const cmd = addModelOptions(new Command().exitOverride());
  cmd.parse(['--negative-sharing', '8'], { from: 'user' });
  assert.deepEqual(modelOptionsFromCli('lrml', cmd.opts()), { negativeSharing: 8 });
  const auto = addModelOptions(new Command().exitOverride());
  auto.parse(['--negative-sharing', 'auto'], { from: 'user' });
  assert.deepEqual(modelOptionsFromCli('lrml', auto.opts()), { negativeSharing: 'auto' });
  assert.throws(() => addModelOptions(new Command().exitOverride()).parse(['--negative-sharing', 'some'], { from: 'user' }),
    (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /--negative-sharing: "some" is neither auto nor an integer/.test(e.message));
  const data = plantedDataset(7);
  const counts = data.train.columnCounts();
  const popHits = hitsAtK((_u, out) => {
    for (let i = 0; i < counts.length; i++) out[i] = counts[i];
  }, data, 10);
  const o = (negativeSharing: number): TripletOptions => resolveTripletOptions({ dim: 16, numMemories: 4, epochs: 20, learningRate: 0.01, batchSize: 128, seed: 3, loss: 'softmax', temperature: 0.2, negatives: 10, negativeSharing, shareWithin: 'consecutive' }, LRML_DEFAULTS);
  const a = await fitTriplet('lrml', data.train, o(16));
  const b = await fitTriplet('lrml', data.train, o(16));
  const own = await fitTriplet('lrml', data.train, o(1));
  assert.deepEqual(a.tensors().Q.data, b.tensors().Q.data, 'one thread: the same weights');
  assert.notDeepEqual(a.tensors().Q.data, own.tensors().Q.data);
  const h = hitsAtK((u, out) => a.scoreAll(u, out), data, 10);
  assert.ok(h > popHits + 0.2, `shared negatives: hits@10 ${h.toFixed(3)} should beat popularity ${popHits.toFixed(3)} by > 0.2`);
  assert.equal(TripletModel.fromTensors('lrml', a.config(), a.tensors(), LRML_DEFAULTS).options.negativeSharing, 16, 'kept in the model config');
});

test("negativeSharing 'auto': 8 with the sampled softmax within users' blocks, and for consecutive positives on a catalogue of at least batchSize × (1 + negatives) / 2 items, else 1; trains exactly as the group size it resolves to", async () => {
  assert.equal(AUTO_NEGATIVE_SHARING, 8);
  // LRML's defaults: users' blocks, which pay on any catalogue (a block's negatives are scored once)
  assert.equal(LRML_DEFAULTS.shareWithin, 'user');
  assert.equal(LRML_DEFAULTS.negatives, 40);
  assert.equal(resolveNegativeSharing(LRML_DEFAULTS, 17_770), AUTO_NEGATIVE_SHARING, 'the Netflix catalogue');
  assert.equal(resolveNegativeSharing(LRML_DEFAULTS, 3_706), 8, 'ML-1M');
  assert.equal(resolveNegativeSharing(LRML_DEFAULTS, 5), 8, 'a tiny catalogue');
  // the previous default (--preset per-positive): batches of 1,024 positives with 20 negatives each, 21,504 sides
  const perPositive = { ...LRML_DEFAULTS, ...LRML_PER_POSITIVE };
  assert.equal(resolveNegativeSharing(perPositive, 17_770), 8, 'the Netflix catalogue');
  assert.equal(resolveNegativeSharing(perPositive, 10_752), 8, 'exactly half the sides');
  assert.equal(resolveNegativeSharing(perPositive, 10_751), 1);
  assert.equal(resolveNegativeSharing(perPositive, 3_706), 1, 'ML-1M');
  assert.equal(resolveNegativeSharing({ ...perPositive, batchSize: 256 }, 3_706), 8, 'smaller batches: fewer sides');
  assert.equal(resolveNegativeSharing({ ...LRML_DEFAULTS, ...LRML_FAST }, 3_706), 1, '--preset fast keeps its consecutive rule');
  for (const base of [LRML_DEFAULTS, perPositive]) {
    assert.equal(resolveNegativeSharing({ ...base, ...LRML_HINGE }, 1_000_000), 1, 'the hinge: not measured, never shared');
    assert.equal(resolveNegativeSharing({ ...base, negatives: 1 }, 1_000_000), 1, 'one negative');
    assert.equal(resolveNegativeSharing({ ...base, loss: 'softplus' }, 1_000_000), 1);
    assert.equal(resolveNegativeSharing({ ...base, negativeSharing: 3 }, 5), 3, 'a number is kept');
  }
  assert.equal(resolveNegativeSharing(CML_DEFAULTS, 1_000_000), 1);
  assert.equal(resolveNegativeSharing({ ...CML_DEFAULTS, negativeSharing: 'auto', loss: 'softmax', negatives: 50 }, 3_706), 1, "CML's consecutive rule");
  // users' blocks resolving to g = 1 (the hinge) train with no user rate scale
  assert.equal(kernelConfig(resolveTripletOptions({ ...LRML_HINGE }, LRML_DEFAULTS), 10, 120).userLearningRateScale, undefined);
  const data = plantedDataset(5);
  assert.equal(data.train.numCols, 120);
  const fit = (negativeSharing: TripletOptions['negativeSharing'], batchSize: number, shareWithin: TripletOptions['shareWithin'] = 'consecutive'): Promise<TripletModel> =>
    fitTriplet('lrml', data.train, resolveTripletOptions({ dim: 8, numMemories: 3, epochs: 2, batchSize, seed: 4, negatives: 10, negativeSharing, shareWithin }, LRML_DEFAULTS));
  const [autoSmall, eight, one] = await Promise.all([fit('auto', 16), fit(8, 16), fit(1, 16)]);
  assert.deepEqual(autoSmall.tensors().Q.data, eight.tensors().Q.data, 'auto = 8 where it shares');
  assert.notDeepEqual(autoSmall.tensors().Q.data, one.tensors().Q.data);
  assert.equal(autoSmall.options.negativeSharing, 'auto', 'the option is kept as given');
  const [autoLarge, oneLarge] = await Promise.all([fit('auto', 32), fit(1, 32)]);
  assert.deepEqual(autoLarge.tensors().Q.data, oneLarge.tensors().Q.data, 'auto = 1 where it does not');
  const [autoBlocks, eightBlocks] = await Promise.all([fit('auto', 32, 'user'), fit(8, 32, 'user')]);
  assert.deepEqual(autoBlocks.tensors().Q.data, eightBlocks.tensors().Q.data, "users' blocks: auto = 8 on any catalogue");
  assert.notDeepEqual(autoBlocks.tensors().Q.data, oneLarge.tensors().Q.data);
});

test("shareWithin: BAD_OPTION names the allowed values; the flag reaches it; 'user' blocks learn the planted structure, deterministically, differ from 'consecutive', and change nothing where nothing is shared", async () => {
  assert.equal(LRML_DEFAULTS.shareWithin, 'user');
  assert.equal(CML_DEFAULTS.shareWithin, 'consecutive');
  assert.throws(() => resolveTripletOptions({ shareWithin: 'users' as never }, LRML_DEFAULTS), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /shareWithin/.test(e.message) && /consecutive/.test(e.message) && /user/.test(e.message));
  // --preset blocks: the default recipe with users' blocks of 8 sharing 40 negatives
  const blocks = addModelOptions(new Command().exitOverride());
  blocks.parse(['--preset', 'blocks'], { from: 'user' });
  const ob = resolveTripletOptions(modelOptionsFromCli('lrml', blocks.opts()), LRML_DEFAULTS);
  assert.deepEqual([ob.negativeSharing, ob.shareWithin, ob.negatives, ob.loss, ob.temperature, ob.epochs], [8, 'user', 40, 'softmax', 0.25, 40]);
  // --preset per-positive: the default until session 18, 20 negatives for each positive
  const per = addModelOptions(new Command().exitOverride());
  per.parse(['--preset', 'per-positive'], { from: 'user' });
  const op = resolveTripletOptions(modelOptionsFromCli('lrml', per.opts()), LRML_DEFAULTS);
  assert.deepEqual([op.negativeSharing, op.shareWithin, op.negatives, op.loss, op.temperature, op.epochs], ['auto', 'consecutive', 20, 'softmax', 0.25, 40]);
  assert.equal(resolveNegativeSharing(op, 3_706), 1);
  const cmd = addModelOptions(new Command().exitOverride());
  cmd.parse(['--negative-sharing', '8', '--share-within', 'user'], { from: 'user' });
  assert.deepEqual(modelOptionsFromCli('lrml', cmd.opts()), { negativeSharing: 8, shareWithin: 'user' });
  const data = plantedDataset(7);
  const counts = data.train.columnCounts();
  const popHits = hitsAtK((_u, out) => {
    for (let i = 0; i < counts.length; i++) out[i] = counts[i];
  }, data, 10);
  const o = (negativeSharing: number, shareWithin: TripletOptions['shareWithin']): TripletOptions => resolveTripletOptions({ dim: 16, numMemories: 4, epochs: 20, learningRate: 0.01, batchSize: 128, seed: 3, loss: 'softmax', temperature: 0.2, negatives: 10, negativeSharing, shareWithin }, LRML_DEFAULTS);
  assert.equal(kernelConfig(o(8, 'user'), 10, 120).userLearningRateScale, 8, "users' rows step once per block: g times the rate");
  assert.equal(kernelConfig(o(8, 'consecutive'), 10, 120).userLearningRateScale, undefined);
  const [a, b, consecutive] = await Promise.all([fitTriplet('lrml', data.train, o(8, 'user')), fitTriplet('lrml', data.train, o(8, 'user')), fitTriplet('lrml', data.train, o(8, 'consecutive'))]);
  assert.deepEqual(a.tensors().Q.data, b.tensors().Q.data, 'one thread: the same weights');
  assert.notDeepEqual(a.tensors().Q.data, consecutive.tensors().Q.data);
  const h = hitsAtK((u, out) => a.scoreAll(u, out), data, 10);
  assert.ok(h > popHits + 0.2, `negatives shared within users' blocks: hits@10 ${h.toFixed(3)} should beat popularity ${popHits.toFixed(3)} by > 0.2`);
  assert.equal(TripletModel.fromTensors('lrml', a.config(), a.tensors(), LRML_DEFAULTS).options.shareWithin, 'user', 'kept in the model config');
  const [oneUser, oneConsecutive] = await Promise.all([fitTriplet('lrml', data.train, o(1, 'user')), fitTriplet('lrml', data.train, o(1, 'consecutive'))]);
  assert.deepEqual(oneUser.tensors().Q.data, oneConsecutive.tensors().Q.data, 'g 1: nothing shared, the same training');
});
