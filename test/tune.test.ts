import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bestTrial, memoryTuneStore, planPoints, planTrials, pointKey, readTrialLog, resultsCsv, tune, type TrialResult } from '../src/train/tune.js';
import { Csr } from '../src/data/csr.js';
import { evaluate } from '../src/eval/evaluate.js';
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

test('readTrialLog: whole lines kept, a cut last line dropped, a whole unterminated one kept, glued records recovered', () => {
  const a = JSON.stringify({ key: 'a', trial: 0, options: {}, metrics: {}, bestEpoch: 1, seconds: 1 });
  const b = JSON.stringify({ key: 'b', trial: 1, options: {}, metrics: {}, bestEpoch: 1, seconds: 1 });
  const clean = readTrialLog(`${a}\n${b}\n`);
  assert.deepEqual([...clean.done.keys()], ['a', 'b']);
  assert.equal(clean.repaired, null);
  assert.equal(clean.unterminated, null);
  const cut = readTrialLog(`${a}\n${b.slice(0, 10)}`);
  assert.deepEqual([...cut.done.keys()], ['a']);
  assert.deepEqual(cut.unterminated, { kept: false, chars: 10 });
  assert.equal(cut.repaired, `${a}\n`);
  const whole = readTrialLog(`${a}\n${b}`);
  assert.deepEqual([...whole.done.keys()], ['a', 'b']);
  assert.deepEqual(whole.unterminated, { kept: true, chars: b.length });
  assert.equal(whole.repaired, `${a}\n${b}\n`);
  // a log written before the repair: the cut record glued to the next one
  const glued = readTrialLog(`${a.slice(0, 15)}${b}\nnot json\n`);
  assert.deepEqual([...glued.done.keys()], ['b']);
  assert.equal(glued.badLines, 1);
  assert.equal(readTrialLog('').done.size, 0);
});

test('tune (library): seeded search in a memory store, resumable, same results on resume; planTrials validates', async () => {
  const d = plantedDataset(5, 60, 40, 4, 8);
  const users = Int32Array.from({ length: d.numUsers }, (_, u) => u);
  const test = Csr.fromPairs(d.numUsers, d.numItems, users, d.heldOut);
  const validation = { evaluate: (m: Parameters<typeof evaluate>[0]) => evaluate(m, d.train, test, { kind: 'sampled', negatives: 10 }, { bootstrap: 0 }).metrics, monitor: 'hits@10' };
  const options = { model: 'cml', space: { margin: [0.25, 0.5, 1] }, search: 'random' as const, trials: 2, seed: 3, base: { dim: 8, epochs: 2, batchSize: 64, seed: 1 }, validation };
  const store = memoryTuneStore();
  const started: number[] = [];
  const first = await tune(d.train, options, { onTrialStart: (t) => started.push(t.trial) }, store);
  assert.deepEqual(started, [0, 1]);
  assert.equal(first.results.length, 2);
  assert.equal(first.metric, 'hits@10');
  assert.equal(store.files.get('trials.jsonl')!.trim().split('\n').length, 2);
  assert.deepEqual(JSON.parse(store.files.get('best.json')!), first.bestFile);
  assert.equal(first.bestFile.value, Math.max(...first.results.map((r) => r.metrics['hits@10'])));
  assert.ok(store.files.get('results.csv')!.startsWith('trial,margin,'));
  const again: number[] = [];
  const second = await tune(d.train, options, { onTrialStart: (t) => again.push(t.trial), onStart: (s) => assert.equal(s.done, 2) }, store);
  assert.deepEqual(again, []);
  assert.deepEqual(second.results, first.results);
  assert.throws(() => planTrials('cml', { margin: [-1] }, { search: 'grid' }), /invalid margin/);
});

/** A small tune setup: train file, NCF-style validation negatives and a 2-point grid config. */
function tuneSetup(): { dir: string; run: (out: string) => Promise<{ stdout: string; stderr: string }> } {
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
  const run = (out: string) => captureOutput(() => buildProgram().parseAsync(['node', 'lrml', 'tune', '--config', join(dir, 'space.json'), '--out', out, '--quiet']));
  return { dir, run };
}

test('lrml tune: runs a grid on a validation split, writes results, resumes without redoing trials', async () => {
  const { dir, run: runIn } = tuneSetup();
  const out = join(dir, 'out');
  const run = () => runIn(out);
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

test('lrml tune: a cut last line of trials.jsonl is dropped on resume (said so), not glued to the next record', async () => {
  const { dir, run } = tuneSetup();
  const out = join(dir, 'out');
  await run(out);
  const log = join(out, 'trials.jsonl');
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  // an interruption while the second record was being written: half of it, no newline
  writeFileSync(log, `${lines[0]}\n${lines[1].slice(0, Math.floor(lines[1].length / 2))}`);
  const second = await run(out);
  assert.match(second.stderr, /2 trials \(1 already done\)/);
  assert.match(second.stderr, /trials\.jsonl: its last line was cut .*dropped/);
  const repaired = readFileSync(log, 'utf8');
  assert.ok(repaired.endsWith('\n'));
  assert.deepEqual(repaired.trim().split('\n').map((l) => JSON.parse(l).options.margin), [0.25, 0.5]);
  // every later resume finds both trials done
  const third = await run(out);
  assert.match(third.stderr, /2 trials \(2 already done\)/);
  assert.doesNotMatch(third.stderr, /cut/);
  // a complete last record without its newline is kept, and the newline added
  writeFileSync(log, `${lines[0]}\n${lines[1]}`);
  const fourth = await run(out);
  assert.match(fourth.stderr, /2 trials \(2 already done\)/);
  assert.equal(readFileSync(log, 'utf8'), `${lines[0]}\n${lines[1]}\n`);
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
