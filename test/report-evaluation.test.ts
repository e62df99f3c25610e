import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Csr } from '../src/data/csr.js';
import { LrmlError } from '../src/errors.js';
import { compareModels } from '../src/eval/bootstrap.js';
import { evaluate } from '../src/eval/evaluate.js';
import { popularityFamily } from '../src/models/popularity.js';
import { Rng } from '../src/rng.js';
import { lrmlFamily } from '../src/train/triplet.js';
import { evaluationReport, heldOutRanks, rankBuckets } from '../src/report/evaluation.js';
import { htmlReport, reportData } from '../src/report/html.js';
import { plantedDataset } from './helpers.js';

async function world() {
  const d = plantedDataset(3, 60, 30, 3, 8);
  const users = Int32Array.from({ length: d.numUsers }, (_, u) => u);
  const test = Csr.fromPairs(d.numUsers, d.numItems, users, d.heldOut);
  const pop = await popularityFamily.fit(d.train, {});
  const rng = new Rng(5);
  const f = (len: number, s: number): Float32Array => Float32Array.from({ length: len }, () => rng.normal() * s);
  const dim = 4;
  const rand = lrmlFamily.fromTensors(
    { numUsers: d.numUsers, numItems: d.numItems, dim, numMemories: 2, distance: 'l2', clip: 'lookup' },
    {
      P: { shape: [d.numUsers, dim], data: f(d.numUsers * dim, 0.5) }, Q: { shape: [d.numItems, dim], data: f(d.numItems * dim, 0.5) },
      K: { shape: [2, dim], data: f(2 * dim, 1) }, M: { shape: [2, dim], data: f(2 * dim, 0.3) },
    },
  );
  return { d, test, pop, rand };
}

test('heldOutRanks and rankBuckets: ranks from the reciprocal rank, power-of-two buckets', async () => {
  assert.deepEqual(rankBuckets(Int32Array.of(1, 2, 3, 9), 9).map((b) => [b.label, b.count]), [['1', 1], ['2–3', 2], ['4–7', 0], ['8–15', 1]]);
  assert.deepEqual(rankBuckets(new Int32Array(0), 1).map((b) => b.label), ['1']);
  const w = await world();
  const r = evaluate(w.pop, w.d.train, w.test, { kind: 'full' }, { perUser: true, bootstrap: 0, k: [5, 10] });
  const ranks = heldOutRanks(r);
  assert.equal(ranks.length, r.users);
  // one held-out item per user: the share of ranks ≤ 10 is hits@10, ≤ 5 is hits@5
  assert.equal(ranks.filter((x) => x <= 10).length / ranks.length, r.metrics['hits@10']);
  assert.equal(ranks.filter((x) => x <= 5).length / ranks.length, r.metrics['hits@5']);
  assert.equal(heldOutRanks(evaluate(w.pop, w.d.train, w.test, { kind: 'full' }, { bootstrap: 0 })).length, 0);
});

test('evaluationReport: metrics with intervals per model, paired differences (computed when not given), per-user distributions', async () => {
  const w = await world();
  const opts = { perUser: true, bootstrap: 50, seed: 2 };
  const a = evaluate(w.pop, w.d.train, w.test, { kind: 'sampled', negatives: 10, seed: 1 }, opts);
  const b = evaluate(w.rand, w.d.train, w.test, { kind: 'sampled', negatives: 10, seed: 1 }, opts);
  const report = await evaluationReport({ models: [{ name: 'pop', result: a }, { name: 'random <lrml>', result: b }], data: { train: 't.tsv', test: 'v.tsv' } });
  const names = report.sections.flatMap((s) => s.figures ?? []).map((f) => f.name);
  assert.deepEqual(names, ['metrics', 'differences', 'per-user-ndcg-10', 'per-user-rank']);
  const data = reportData(report);
  const metrics = data.figures.metrics.data as { group: string; series: string; value: number; lo: number; hi: number }[];
  assert.equal(metrics.length, 2 * Object.keys(a.metrics).length);
  const nd = metrics.find((m) => m.group === 'ndcg@10' && m.series === 'random <lrml>');
  assert.deepEqual([nd?.value, nd?.lo, nd?.hi], [b.metrics['ndcg@10'], ...b.intervals['ndcg@10']]);
  const want = compareModels(a, b, { bootstrap: 50, seed: 2 });
  const diffs = data.figures.differences.data as { group: string; value: number; lo: number; hi: number }[];
  const dh = diffs.find((x) => x.group === 'hits@10');
  assert.deepEqual([dh?.value, dh?.lo, dh?.hi], [want.metrics['hits@10'].diff, ...want.metrics['hits@10'].interval]);
  const rankRows = data.figures['per-user-rank'].data as { series: string; value: number }[];
  for (const s of ['pop', 'random <lrml>']) {
    const total = rankRows.filter((x) => x.series === s).reduce((acc, x) => acc + x.value, 0);
    assert.ok(Math.abs(total - 1) < 1e-12, `${s}: shares sum to ${total}`);
  }
  const hist = data.figures['per-user-ndcg-10'].data as { series: string; count: number }[];
  assert.equal(hist.filter((x) => x.series === 'pop').length, 20);
  // users with ndcg@10 = 0 are counted in words, not drawn
  const popNdcg = a.perUser!.metrics['ndcg@10'];
  const drawn = hist.filter((x) => x.series === 'pop').reduce((acc, x) => acc + x.count, 0);
  assert.equal(drawn, popNdcg.filter((v) => v > 0).length);
  assert.ok(drawn < popNdcg.length);
  const html = htmlReport(report);
  assert.match(html, /random &lt;lrml&gt;/);
  assert.match(html, /Paired differences/);
  assert.match(html, /sampled negatives/);
  const zeroShare = (100 * (popNdcg.length - drawn)) / popNdcg.length;
  assert.match(html, new RegExp(`pop: ${zeroShare.toFixed(1)}% of ${popNdcg.length} users have ndcg@10 = 0`));
  assert.doesNotMatch(html, /<script/);
});

test('evaluationReport: one model without per-user metrics says so; mixed protocols and no models are refused', async () => {
  const w = await world();
  const full = evaluate(w.pop, w.d.train, w.test, { kind: 'full' }, { bootstrap: 20 });
  const r = await evaluationReport({ models: [{ name: 'pop', result: full }] });
  assert.deepEqual(r.sections.flatMap((s) => s.figures ?? []).map((f) => f.name), ['metrics']);
  assert.match(htmlReport(r), /Per-user distributions<\/h2>\n<p>Not available/);
  const sampled = evaluate(w.pop, w.d.train, w.test, { kind: 'sampled', negatives: 5 }, { bootstrap: 0 });
  await assert.rejects(evaluationReport({ models: [{ name: 'a', result: full }, { name: 'b', result: sampled }] }), (e: unknown) => e instanceof LrmlError && /different protocols \(full, sampled\)/.test(e.message));
  await assert.rejects(evaluationReport({ models: [] }), /no models given/);
  // two models, one without per-user metrics: no differences, and a note says why
  const two = await evaluationReport({ models: [{ name: 'a', result: full }, { name: 'a', result: full }] });
  assert.match(htmlReport(two), /No paired differences/);
  assert.deepEqual((reportData(two).details.models as { name: string }[]).map((m) => m.name), ['a', 'a (2)']);
});
