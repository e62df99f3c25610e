import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bestTrial, planPoints, pointKey, resultsCsv, type TrialResult } from '../src/train/tune.js';
import { LrmlError } from '../src/errors.js';
import { buildProgram } from '../src/cli/main.js';
import { captureOutput, plantedDataset } from './helpers.js';
import { Rng } from '../src/rng.js';

test('planPoints: grid is the cartesian product in order; random is a seeded distinct subset', () => {
  const g = planPoints({ a: [1, 2], b: ['x', 'y', 'z'] }, { search: 'grid' });
  assert.equal(g.length, 6);
  assert.deepEqual(g[0], { a: 1, b: 'x' });
  assert.deepEqual(g[5], { a: 2, b: 'z' });
  const r1 = planPoints({ a: [1, 2, 3, 4], b: [1, 2, 3, 4] }, { search: 'random', trials: 5, seed: 9 });
  const r2 = planPoints({ a: [1, 2, 3, 4], b: [1, 2, 3, 4] }, { search: 'random', trials: 5, seed: 9 });
  assert.deepEqual(r1, r2);
  assert.equal(new Set(r1.map(pointKey)).size, 5);
  assert.equal(planPoints({ a: [1, 2] }, { search: 'random', trials: 10 }).length, 2, 'never more than the grid');
  assert.throws(() => planPoints({}, { search: 'grid' }), LrmlError);
  assert.throws(() => planPoints({ a: [] }, { search: 'grid' }), /non-empty/);
  assert.throws(() => planPoints({ a: [1] }, { search: 'bayes' as 'grid' }), /grid or random/);
});

test('pointKey ignores key order; bestTrial skips failures; CSV quotes', () => {
  assert.equal(pointKey({ a: 1, b: 2 }), pointKey({ b: 2, a: 1 }));
  const rs: TrialResult[] = [
    { key: 'k1', trial: 0, options: { m: 'a,b' }, metrics: { 'ndcg@10': 0.3 }, bestEpoch: 2, seconds: 1 },
    { key: 'k2', trial: 1, options: { m: 2 }, metrics: {}, bestEpoch: 0, seconds: 1, error: 'diverged' },
    { key: 'k3', trial: 2, options: { m: 3 }, metrics: { 'ndcg@10': 0.5 }, bestEpoch: 4, seconds: 1 },
  ];
  assert.equal(bestTrial(rs, 'ndcg@10')?.key, 'k3');
  assert.equal(bestTrial(rs.slice(0, 2), 'hits@10'), null);
  const csv = resultsCsv(rs, ['m']);
  assert.match(csv, /^trial,m,ndcg@10,bestEpoch,seconds,error\n0,"a,b",0.3,2,1.0,\n/);
});

test('lrml tune: runs a grid on a validation split, writes results, resumes without redoing trials', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrml-tune-'));
  const data = plantedDataset(4, 60, 40, 4, 8);
  // train file (user\titem) and an NCF-style negatives file built from the held-out items
  const lines: string[] = [];
  for (let u = 0; u < data.numUsers; u++) for (const i of data.train.row(u)) lines.push(`u${u}\ti${i}`);
  writeFileSync(join(dir, 'train.tsv'), `${lines.join('\n')}\n`);
  const rng = new Rng(2);
  const neg: string[] = [];
  for (let u = 0; u < data.numUsers; u++) {
    const js: string[] = [];
    while (js.length < 10) {
      const j = rng.int(data.numItems);
      if (j !== data.heldOut[u] && !data.train.has(u, j)) js.push(`i${j}`);
    }
    neg.push(`(u${u},i${data.heldOut[u]})\t${js.join('\t')}`);
  }
  writeFileSync(join(dir, 'valid.negative'), `${neg.join('\n')}\n`);
  const config = {
    model: 'cml', data: 'train.tsv',
    validation: { negatives: 'valid.negative', every: 1, monitor: 'hits@10' },
    base: { dim: 8, epochs: 3, batchSize: 64, learningRate: 0.01, seed: 1 },
    space: { margin: [0.25, 0.5] },
  };
  writeFileSync(join(dir, 'space.json'), JSON.stringify(config));
  const out = join(dir, 'out');
  const run = () => captureOutput(() => buildProgram().parseAsync(['node', 'lrml', 'tune', '--config', join(dir, 'space.json'), '--out', out, '--quiet']));
  const first = await run();
  assert.match(first.stderr, /trial 2\/2 \{"margin":0.5\}: hits@10 /);
  assert.match(first.stdout, /best: trial/);
  const log1 = readFileSync(join(out, 'trials.jsonl'), 'utf8').trim().split('\n');
  assert.equal(log1.length, 2);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as TrialResult[];
  assert.deepEqual(results.map((r) => r.options.margin), [0.25, 0.5]);
  for (const r of results) assert.ok(r.metrics['hits@10'] >= 0 && r.metrics['hits@10'] <= 1);
  const best = JSON.parse(readFileSync(join(out, 'best.json'), 'utf8'));
  assert.equal(best.value, Math.max(...results.map((r) => r.metrics['hits@10'])));
  assert.ok(existsSync(join(out, 'results.csv')));
  // resume: nothing is trained again
  const again = await run();
  assert.match(again.stderr, /2 trials \(2 already done\)/);
  assert.equal(readFileSync(join(out, 'trials.jsonl'), 'utf8').trim().split('\n').length, 2);
});

test('lrml tune: bad configs are refused before any training, naming the problem', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrml-tune-'));
  const write = (c: unknown): string => {
    const p = join(dir, `c${Math.random()}.json`);
    writeFileSync(p, typeof c === 'string' ? c : JSON.stringify(c));
    return p;
  };
  const go = (p: string) => buildProgram().exitOverride().parseAsync(['node', 'lrml', 'tune', '--config', p]);
  await assert.rejects(go(write('{nope')), /not valid JSON/);
  await assert.rejects(go(write({ model: 'lrml', data: 'x', validation: {}, space: {}, extra: 1 })), /unknown key "extra"/);
  await assert.rejects(go(write({ model: 'lrml', data: 'x', validation: {}, space: { margin: [-1] } })), /invalid margin/);
  await assert.rejects(go(write({ model: 'nope', data: 'x', validation: {}, space: { a: [1] } })), /unknown model "nope"/);
  await assert.rejects(go(join(dir, 'missing.json')), (e: unknown) => e instanceof LrmlError && e.code === 'FILE_NOT_FOUND');
});
