// The LRML attention statistics recorded per epoch (EpochSummary.attention): present for LRML and
// absent for CML, deterministic, in range, equal to a direct computation with the per-pair measure
// on the final model; the seeded sample; and their place in the training report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PairState, PairUser, pairDistance } from '../src/kernels/pair.js';
import { attentionSample, measureEpochAttention } from '../src/models/attention-epoch.js';
import { pairAttentionStats, relationSpread } from '../src/models/attention-stats.js';
import { CML_DEFAULTS, LRML_DEFAULTS, resolveTripletOptions, type TripletModel } from '../src/models/triplet.js';
import type { EpochSummary, TrainReport } from '../src/models/types.js';
import { figureName, trainingReport } from '../src/report/training.js';
import { Rng } from '../src/rng.js';
import { fitTriplet } from '../src/train/triplet.js';
import { plantedDataset } from './helpers.js';

const data = plantedDataset(5, 60, 40, 4, 8).train;
const opts = { dim: 8, numMemories: 5, epochs: 3, batchSize: 32, seed: 7, threads: 1 };

async function run(kind: 'lrml' | 'cml', extra: Record<string, unknown> = {}): Promise<{ model: TripletModel; epochs: EpochSummary[] }> {
  const epochs: EpochSummary[] = [];
  const o = resolveTripletOptions({ ...opts, ...extra }, kind === 'lrml' ? LRML_DEFAULTS : CML_DEFAULTS);
  const model = await fitTriplet(kind, data, o, { onEpoch: (s) => { epochs.push(s); } });
  return { model, epochs };
}

test('epoch attention: present every LRML epoch, deterministic, in range; absent for CML', async () => {
  const a = await run('lrml');
  const b = await run('lrml');
  assert.equal(a.epochs.length, 3);
  for (const e of a.epochs) {
    const s = e.attention;
    assert.ok(s !== undefined, `epoch ${e.epoch} has attention`);
    assert.equal(s.pairs, Math.min(256, data.nnz));
    assert.equal(s.users, 4);
    assert.ok(s.meanNormalizedEntropy >= 0 && s.meanNormalizedEntropy <= 1);
    assert.ok(s.meanMaxWeight >= 1 / 5 && s.meanMaxWeight <= 1);
    assert.ok(s.meanLogitRange >= 0 && s.meanLogitRange <= s.maxLogitRange && Number.isFinite(s.maxLogitRange));
    assert.ok(s.relationSpread >= 0 && Number.isFinite(s.relationSpread));
  }
  assert.deepEqual(a.epochs.map((e) => e.attention), b.epochs.map((e) => e.attention));
  assert.notDeepEqual(a.epochs[0].attention, a.epochs[2].attention); // the model moved
  const cml = await run('cml');
  for (const e of cml.epochs) assert.equal(e.attention, undefined);
});

test('epoch attention: the last epoch equals a direct per-pair computation on the final model', async () => {
  const { model, epochs } = await run('lrml');
  const sample = attentionSample(data, (7 ^ 0x5a17e57) >>> 0);
  const last = epochs[epochs.length - 1].attention;
  assert.deepEqual(last, measureEpochAttention(model, sample));
  // by hand: the pair forward and pairAttentionStats over the sampled pairs
  const { dim: d, numMemories: n, distance } = model.options;
  const { P, Q, K, M } = model.params;
  assert.equal(model.options.clip, 'rows'); // rows stay in the ball: no lookup scale
  const user = new PairUser({ dim: d, numMemories: n, distance });
  const pair = new PairState({ dim: d, numMemories: n, distance });
  const stats = Array.from(sample.users, (u, t) => {
    user.set(P, u * d, 1);
    pairDistance(user, pair, Q, sample.items[t] * d, 1, K, M);
    // the logits by hand: K (p ⊙ q)
    const logits = Array.from({ length: n }, (_, k) => { let x = 0; for (let j = 0; j < d; j++) x += K[k * d + j] * user.p[j] * pair.q[j]; return x; });
    const st = pairAttentionStats(pair.a);
    assert.ok(Math.abs(st.logitRange - (Math.max(...logits) - Math.min(...logits))) < 1e-9);
    return st;
  });
  const mean = (f: (s: (typeof stats)[0]) => number): number => stats.reduce((acc, s) => acc + f(s), 0) / stats.length;
  assert.ok(last !== undefined);
  assert.ok(Math.abs(last.meanNormalizedEntropy - mean((s) => s.normalizedEntropy)) < 1e-12);
  assert.ok(Math.abs(last.meanMaxWeight - mean((s) => s.maxWeight)) < 1e-12);
  assert.ok(Math.abs(last.meanLogitRange - mean((s) => s.logitRange)) < 1e-12);
  assert.equal(last.maxLogitRange, Math.max(...stats.map((s) => s.logitRange)));
  let spread = 0;
  for (const u of sample.fixedUsers) {
    user.set(P, u * d, 1);
    const R = new Float64Array(sample.fixedItems.length * d);
    sample.fixedItems.forEach((i, t) => { pairDistance(user, pair, Q, i * d, 1, K, M); R.set(pair.r, t * d); });
    spread += relationSpread(R, sample.fixedItems.length, d);
  }
  assert.ok(Math.abs(last.relationSpread - spread / sample.fixedUsers.length) < 1e-12);
});

test('attentionSample: training pairs, fixed sizes, all when fewer; measuring leaves the model untouched', async () => {
  const sample = attentionSample(data, 1, { pairs: 10, users: 2, itemsPerUser: 5 });
  assert.equal(sample.users.length, 10);
  assert.equal(sample.fixedUsers.length, 2);
  assert.equal(new Set(sample.fixedItems).size, 5);
  for (let t = 0; t < 10; t++) {
    const u = sample.users[t];
    const row = Array.from(data.indices.subarray(data.indptr[u], data.indptr[u + 1]));
    assert.ok(row.includes(sample.items[t]), 'a sampled pair is a training pair');
  }
  assert.deepEqual(attentionSample(data, 1, { pairs: 10, users: 2, itemsPerUser: 5 }), sample);
  const all = attentionSample(data, 1, { pairs: 1e9, itemsPerUser: 1e9 });
  assert.equal(all.users.length, data.nnz);
  assert.equal(all.fixedItems.length, data.numCols);
  const { model } = await run('lrml');
  const before = Object.values(model.params).map((x) => Array.from(x));
  measureEpochAttention(model, all);
  assert.deepEqual(Object.values(model.params).map((x) => Array.from(x)), before);
});

test('trainingReport: attention entropy and logit range charts and table columns when epochs carry attention', async () => {
  const { epochs } = await run('lrml');
  const report: TrainReport = { epochs, bestEpoch: 3, stoppedEarly: false, seconds: 1 };
  const r = await trainingReport({ kind: 'lrml', options: {}, report });
  const figures = r.sections.flatMap((s) => s.figures ?? []);
  assert.deepEqual(figures.map((f) => f.name), ['loss', 'attention-entropy', 'attention-logit-range']);
  const table = r.sections.flatMap((s) => s.tables ?? []).find((t) => t.caption === 'Epochs');
  assert.ok(table !== undefined);
  assert.deepEqual(table.columns, ['epoch', 'loss', 'seconds', 'per second', 'attention entropy', 'mean logit range', 'max logit range', 'r spread', 'best']);
  assert.equal(table.rows[2][4], epochs[2].attention?.meanNormalizedEntropy);
  assert.equal(figureName('attention', 'entropy', new Set()), 'attention-entropy');
});

test('Rng.sampleIndices: k distinct sorted indices; all of them without drawing when k ≥ n', () => {
  const rng = new Rng(3);
  const s = rng.sampleIndices(50, 7);
  assert.equal(new Set(s).size, 7);
  assert.deepEqual(Array.from(s), Array.from(s).sort((a, b) => a - b));
  for (const x of s) assert.ok(x >= 0 && x < 50);
  const before = new Rng(3);
  before.sampleIndices(50, 7);
  assert.equal(rng.u32(), before.u32());
  const all = new Rng(4);
  assert.deepEqual(Array.from(all.sampleIndices(5, 9)), [0, 1, 2, 3, 4]);
  assert.equal(all.u32(), new Rng(4).u32()); // nothing drawn
});
