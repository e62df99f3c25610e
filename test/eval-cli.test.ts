import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerEvaluate } from '../src/cli/commands/evaluate.js';
import { Csr } from '../src/data/csr.js';
import { IdMap } from '../src/data/idmap.js';
import { LrmlError } from '../src/errors.js';
import { evaluate } from '../src/eval/evaluate.js';
import { saveModel } from '../src/io/model-file.js';
import { Rng } from '../src/rng.js';
import { lrmlFamily } from '../src/train/triplet.js';

const numUsers = 80;
const numItems = 50;

function world(dir: string) {
  const rng = new Rng(8);
  const dim = 8;
  const n = 3;
  const f = (len: number, s: number): Float32Array => Float32Array.from({ length: len }, () => rng.normal() * s);
  const model = lrmlFamily.fromTensors(
    { numUsers, numItems, dim, numMemories: n, distance: 'l2', clip: 'lookup' },
    {
      P: { shape: [numUsers, dim], data: f(numUsers * dim, 0.5) },
      Q: { shape: [numItems, dim], data: f(numItems * dim, 0.5) },
      K: { shape: [n, dim], data: f(n * dim, 1) },
      M: { shape: [n, dim], data: f(n * dim, 0.3) },
    },
  );
  const users = IdMap.fromIds(Array.from({ length: numUsers }, (_, u) => `u${u}`));
  const items = IdMap.fromIds(Array.from({ length: numItems }, (_, i) => `i${i}`));
  const trainLines: string[] = [];
  const testLines: string[] = [];
  const negLines: string[] = [];
  const tr: [number, number][] = [];
  const te: [number, number][] = [];
  for (let u = 0; u < numUsers; u++) {
    const perm = rng.shuffle(Int32Array.from({ length: numItems }, (_, i) => i));
    for (let t = 0; t < 10; t++) {
      trainLines.push(`u${u}\ti${perm[t]}`);
      tr.push([u, perm[t]]);
    }
    testLines.push(`u${u}\ti${perm[10]}\t5\t100`);
    te.push([u, perm[10]]);
    negLines.push(`(u${u},i${perm[10]})\t${Array.from(perm.subarray(11, 30), (i) => `i${i}`).join('\t')}${u === 0 ? `\ti${perm[10]}` : ''}`);
  }
  writeFileSync(join(dir, 'train.tsv'), `${trainLines.join('\n')}\n`);
  writeFileSync(join(dir, 'test.rating'), `${testLines.join('\n')}\n`);
  writeFileSync(join(dir, 'test.negative'), `${negLines.join('\n')}\n`);
  const csr = (p: [number, number][]): Csr => Csr.fromPairs(numUsers, numItems, Int32Array.from(p, (x) => x[0]), Int32Array.from(p, (x) => x[1]));
  return { model, users, items, train: csr(tr), test: csr(te) };
}

async function run(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerEvaluate(program);
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array): boolean => {
    out += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'lrml', 'evaluate', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return out;
}

test('lrml evaluate: --json for each protocol equals the library result; --per-user writes TSV / JSONL; table output', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrml-eval-'));
  try {
    const w = world(dir);
    const modelPath = join(dir, 'm.lrml');
    await saveModel(modelPath, { model: w.model, users: w.users, items: w.items, meta: {}, seen: null });
    const base = ['--model', modelPath, '--train', join(dir, 'train.tsv'), '--test', join(dir, 'test.rating'), '--threads', '1'];
    const full = JSON.parse(await run([...base, '--full', '--k', '1,5', '--bootstrap', '50', '--json']));
    const lib = evaluate(w.model, w.train, w.test, { kind: 'full' }, { k: [1, 5], bootstrap: 50 });
    assert.equal(full.protocol, 'full');
    assert.equal(full.tieRule, 'pessimistic');
    assert.equal(full.users, numUsers);
    for (const key of Object.keys(lib.metrics)) assert.equal(full[key], lib.metrics[key], key);
    assert.deepEqual(full.intervals, lib.intervals);
    assert.equal(full['coverage@5'], undefined);
    const beyond = JSON.parse(await run([...base, '--full', '--k', '5', '--bootstrap', '50', '--beyond-accuracy', '--json']));
    const libB = evaluate(w.model, w.train, w.test, { kind: 'full' }, { k: [5], bootstrap: 50, beyondAccuracy: true });
    for (const key of ['coverage@5', 'diversity@5', 'novelty@5']) assert.equal(beyond[key], libB.metrics[key], key);
    assert.deepEqual(beyond.intervals['novelty@5'], libB.intervals['novelty@5']);
    assert.match(await run([...base, '--full', '--bootstrap', '20', '--beyond-accuracy']), /diversity@10\s+\d\.\d{4}\s+\[/);

    const sampled = JSON.parse(await run([...base, '--sampled', '20', '--seed', '3', '--json', '--per-user', join(dir, 'pu.jsonl')]));
    const libS = evaluate(w.model, w.train, w.test, { kind: 'sampled', negatives: 20, seed: 3 }, { seed: 3 });
    assert.equal(sampled['hits@10'], libS.metrics['hits@10']);
    assert.equal(sampled.meanCandidates, 21);
    const jsonl = readFileSync(join(dir, 'pu.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(jsonl.length, numUsers);
    assert.equal(jsonl[0].user, 'u0');
    assert.equal(typeof jsonl[0]['ndcg@10'], 'number');

    const given = JSON.parse(await run([...base, '--negatives', join(dir, 'test.negative'), '--json', '--bootstrap', '0']));
    assert.equal(given.protocol, 'given');
    assert.equal(given.droppedCandidates, 1);
    assert.equal(given.negatives.selfNegatives, 1);
    assert.deepEqual(given.intervals, {});

    const text = await run([...base, '--negatives', join(dir, 'test.negative'), '--per-user', join(dir, 'pu.tsv'), '--threads', '2']);
    assert.match(text, /given negatives/);
    assert.match(text, /pessimistic/);
    assert.match(text, /hits@10\s+\d\.\d{4}\s+\[/);
    assert.match(text, /1 given negatives dropped/);
    const tsv = readFileSync(join(dir, 'pu.tsv'), 'utf8').trim().split('\n');
    assert.equal(tsv[0], 'user\tpositives\thits@10\tndcg@10\trecall@10\tprecision@10\tmrr\tauc');
    assert.equal(tsv.length, numUsers + 1);

    await assert.rejects(run([...base, '--full', '--sampled', '10']), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION');
    await assert.rejects(run([...base, '--negatives', join(dir, 'nope.gz')]), (e: unknown) => e instanceof LrmlError && e.code === 'FILE_NOT_FOUND');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lrml evaluate: test pairs that are training pairs (files swapped) are counted and warned about', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrml-eval-'));
  try {
    const w = world(dir);
    const modelPath = join(dir, 'm.lrml');
    await saveModel(modelPath, { model: w.model, users: w.users, items: w.items, meta: {}, seen: w.train });
    const common = ['--model', modelPath, '--threads', '1', '--bootstrap', '0'];
    const right = JSON.parse(await run([...common, '--train', join(dir, 'train.tsv'), '--test', join(dir, 'test.rating'), '--json']));
    assert.deepEqual(right.overlap, { pairs: numUsers, inTrain: 0, inSeen: 0, fraction: 0 });
    assert.doesNotMatch(await run([...common, '--train', join(dir, 'train.tsv'), '--test', join(dir, 'test.rating')]), /warning/);
    // train and test swapped: every test pair is one the model was trained on
    const swapped = ['--train', join(dir, 'test.rating'), '--test', join(dir, 'train.tsv')];
    const j = JSON.parse(await run([...common, ...swapped, '--json']));
    assert.deepEqual(j.overlap, { pairs: 10 * numUsers, inTrain: 0, inSeen: 10 * numUsers, fraction: 1 });
    const text = await run([...common, ...swapped]);
    assert.match(text, /warning: 800 of 800 test pairs \(100\.0%\) are training pairs \(800 in the model's training data, 0 in --train\)/);
    // the same file as train and test
    const same = JSON.parse(await run([...common, '--train', join(dir, 'train.tsv'), '--test', join(dir, 'train.tsv'), '--json']));
    assert.equal(same.overlap.inTrain, 10 * numUsers);
    // library: without the model's pairs only --train is checked
    const lib = evaluate(w.model, w.test, w.train, { kind: 'full' }, { bootstrap: 0 });
    assert.deepEqual(lib.overlap, { pairs: 10 * numUsers, inTrain: 0, inSeen: null, fraction: 0 });
    assert.equal(evaluate(w.model, w.test, w.train, { kind: 'full' }, { bootstrap: 0, seen: w.train }).overlap.fraction, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lrml evaluate --negatives --add-unknown-items: unknown items join the catalogue as never-trained items (a positive among them is a miss), every line evaluated', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrml-eval-'));
  try {
    const w = world(dir);
    const modelPath = join(dir, 'm.lrml');
    await saveModel(modelPath, { model: w.model, users: w.users, items: w.items, meta: {}, seen: w.train });
    // user u0's test item is one the model never saw; every other line gets an unknown negative too
    const neg = readFileSync(join(dir, 'test.negative'), 'utf8').trim().split('\n').map((l, u) => (u === 0 ? l.replace(/^\(u0,i\d+\)/, '(u0,iNEW)') : `${l}\tiNEW2`));
    writeFileSync(join(dir, 'new.negative'), `${neg.join('\n')}\n`);
    const rating = readFileSync(join(dir, 'test.rating'), 'utf8').trim().split('\n').map((l, u) => (u === 0 ? l.replace(/^u0\ti\d+/, 'u0\tiNEW') : l));
    writeFileSync(join(dir, 'new.rating'), `${rating.join('\n')}\n`);
    const base = ['--model', modelPath, '--train', join(dir, 'train.tsv'), '--test', join(dir, 'new.rating'), '--negatives', join(dir, 'new.negative'), '--bootstrap', '0'];
    await assert.rejects(run([...base, '--threads', '1']), (e: unknown) => e instanceof LrmlError && e.code === 'UNKNOWN_ITEM' && /--add-unknown-items/.test(e.message));
    const skip = JSON.parse(await run([...base, '--threads', '1', '--skip-unknown', '--json', '--per-user', join(dir, 'skip.jsonl')]));
    assert.equal(skip.users, numUsers - 1);
    const add = JSON.parse(await run([...base, '--threads', '2', '--add-unknown-items', '--json', '--per-user', join(dir, 'add.jsonl')]));
    assert.equal(add.users, numUsers);
    assert.equal(add.negatives.addedItems, 2);
    assert.equal(add.testUnknownLines, 0);
    const rows = (f: string) => readFileSync(join(dir, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | string>);
    const addRows = rows('add.jsonl');
    const u0 = addRows.find((r) => r.user === 'u0')!;
    assert.equal(u0['hits@10'], 0);
    assert.equal(u0.auc, 0);
    // the other users: never-trained negatives rank below every known item, so their figures are
    // those of --skip-unknown (but AUC, which counts the extra negative ranked below)
    const skipRows = new Map(rows('skip.jsonl').map((r) => [r.user, r]));
    const noAuc = (r: Record<string, number | string> | undefined) => ({ ...r, auc: undefined });
    for (const r of addRows) if (r.user !== 'u0') assert.deepEqual(noAuc(r), noAuc(skipRows.get(r.user)));
    const text = await run([...base, '--threads', '1', '--add-unknown-items']);
    assert.match(text, /2 items unknown to the model added to the catalogue as never-trained items/);
    await assert.rejects(run([...base, '--add-unknown-items', '--skip-unknown']), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION');
    await assert.rejects(run([...base.slice(0, 6), '--full', '--add-unknown-items']), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /--negatives/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
