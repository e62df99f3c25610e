import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadInteractions, toCsr } from '../src/data/load.js';
import type { Recommender } from '../src/models/types.js';
import { evaluate } from '../src/eval/evaluate.js';
import { loadGivenNegatives } from '../src/io/negatives-file.js';

const DIR = join(import.meta.dirname ?? '.', '..', '..', 'shared', 'data', 'ml-1m');
// compiled tests run from dist/test: try both ../shared and ../../shared relative to the project
const ROOT = [join(process.cwd(), '..', 'shared', 'data', 'ml-1m'), DIR].find((d) => existsSync(join(d, 'ml-1m.test.negative.gz')));

test('ML-1M NCF files: given-negatives evaluation of popularity (156 self-negatives dropped)', async (t) => {
  if (ROOT === undefined) {
    t.skip('../shared/data/ml-1m is absent');
    return;
  }
  const train = await loadInteractions(join(ROOT, 'ml-1m.train.pairs.gz'));
  const testData = await loadInteractions(join(ROOT, 'ml-1m.test.rating'), { users: train.users, items: train.items, frozen: true });
  const cases = await loadGivenNegatives(join(ROOT, 'ml-1m.test.negative.gz'), train.users, train.items, { unknown: 'skip' });
  // facts of the files: 2 test positives (and 340 negatives) are items that never occur in the training pairs
  assert.equal(train.items.size, 3704);
  assert.deepEqual(cases.summary, {
    file: join(ROOT, 'ml-1m.test.negative.gz'), lines: 6040, cases: 6038, skippedLines: 2, unknownNegatives: 340, selfNegatives: 156, repeatedNegatives: 0, addedItems: 0,
  });
  const trainCsr = toCsr(train);
  const testCsr = toCsr(testData);
  assert.equal(testCsr.nnz, 6038);
  assert.equal(testData.summary.unknownLines, 2);
  const counts = trainCsr.columnCounts();
  const pop: Recommender = {
    kind: 'pop', numUsers: trainCsr.numRows, numItems: trainCsr.numCols,
    scoreItems: (_u, items, out) => { for (let i = 0; i < items.length; i++) out[i] = counts[items[i]]; },
    scoreAll: (_u, out) => { for (let i = 0; i < counts.length; i++) out[i] = counts[i]; },
    config: () => ({}), tensors: () => ({}),
  };
  const r = evaluate(pop, trainCsr, testCsr, { kind: 'given', cases }, { k: [10], bootstrap: 200 });
  assert.equal(r.users, 6040 - cases.summary.skippedLines);
  assert.equal(r.droppedCandidates, 156 + cases.summary.repeatedNegatives);
  assert.ok(r.meanCandidates > 99.9 && r.meanCandidates < 100);
  // popularity on the NCF split: HR@10 ≈ 0.45, nDCG@10 ≈ 0.25 (published figures)
  assert.ok(r.metrics['hits@10'] > 0.4 && r.metrics['hits@10'] < 0.5, `hits@10 = ${r.metrics['hits@10']}`);
  assert.ok(r.metrics['ndcg@10'] > 0.2 && r.metrics['ndcg@10'] < 0.3, `ndcg@10 = ${r.metrics['ndcg@10']}`);
  const [lo, hi] = r.intervals['hits@10'];
  assert.ok(lo < r.metrics['hits@10'] && r.metrics['hits@10'] < hi && hi - lo < 0.04);
});

test('NCF ML-1M: add-items puts the 2 test-only items into the catalogue and keeps all 6,040 cases', async (t) => {
  if (ROOT === undefined) {
    t.skip('../shared/data/ml-1m is absent');
    return;
  }
  const train = await loadInteractions(join(ROOT, 'ml-1m.train.pairs.gz'));
  const cases = await loadGivenNegatives(join(ROOT, 'ml-1m.test.negative.gz'), train.users, train.items, { unknown: 'add-items' });
  assert.equal(cases.summary.addedItems, 2);
  assert.equal(cases.summary.cases, 6040);
  assert.equal(cases.summary.unknownNegatives, 0);
  assert.equal(train.items.size, 3706);
  const csr = toCsr(train);
  assert.equal(csr.numCols, 3706);
  assert.equal(csr.nnz, 994169);
});

test('NCF ML-1M: lrml evaluate --negatives --add-unknown-items follows the bench protocol (6,040 users, 3,706 items; popularity identical)', async (t) => {
  if (ROOT === undefined) {
    t.skip('../shared/data/ml-1m is absent');
    return;
  }
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { buildProgram } = await import('../src/cli/main.js');
  const { saveModel } = await import('../src/io/model-file.js');
  const { getFamily } = await import('../src/train/families.js');
  const { givenTestSet } = await import('../src/eval/negatives.js');
  const { captureOutput } = await import('./helpers.js');
  const dir = mkdtempSync(join(tmpdir(), 'lrml-ncf-'));
  try {
    // a model trained on the training pairs only: 3,704 items
    const plain = await loadInteractions(join(ROOT, 'ml-1m.train.pairs.gz'));
    const plainCsr = toCsr(plain);
    const model = await getFamily('pop').fit(plainCsr, {});
    await saveModel(join(dir, 'pop.lrml'), { model, users: plain.users, items: plain.items, meta: {}, seen: plainCsr });
    const out = await captureOutput(() => buildProgram().exitOverride().parseAsync(['node', 'lrml', 'evaluate', '--model', join(dir, 'pop.lrml'),
      '--train', join(ROOT, 'ml-1m.train.pairs.gz'), '--test', join(ROOT, 'ml-1m.test.rating'), '--negatives', join(ROOT, 'ml-1m.test.negative.gz'),
      '--add-unknown-items', '--bootstrap', '0', '--threads', '1', '--json']));
    const cli = JSON.parse(out.stdout);
    assert.equal(cli.users, 6040);
    assert.equal(cli.negatives.addedItems, 2);
    assert.equal(cli.testUnknownLines, 0);
    // bench/ml1m: the two items join the catalogue before training (popularity count 0: below every known item)
    const train = await loadInteractions(join(ROOT, 'ml-1m.train.pairs.gz'));
    const cases = await loadGivenNegatives(join(ROOT, 'ml-1m.test.negative.gz'), train.users, train.items, { unknown: 'add-items' });
    const csr = toCsr(train);
    const bench = evaluate(await getFamily('pop').fit(csr, {}), csr, givenTestSet(cases, csr.numRows, csr.numCols), { kind: 'given', cases }, { bootstrap: 0 });
    assert.equal(bench.users, 6040);
    for (const [key, v] of Object.entries(bench.metrics)) assert.equal(cli[key], v, key);
    assert.equal(cli.meanCandidates, bench.meanCandidates);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
