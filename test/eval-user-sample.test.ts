// Evaluation on a seeded sample of test users (issue #18 item 6): `users` in the evaluation
// options and `lrml evaluate --users N`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerEvaluate } from '../src/cli/commands/evaluate.js';
import { Csr } from '../src/data/csr.js';
import { IdMap } from '../src/data/idmap.js';
import { LrmlError } from '../src/errors.js';
import { evaluate, sampleUsers } from '../src/eval/evaluate.js';
import { evaluateParallel } from '../src/io/eval-parallel.js';
import { saveModel } from '../src/io/model-file.js';
import { Rng } from '../src/rng.js';
import { lrmlFamily } from '../src/train/triplet.js';
import { captureOutput } from './helpers.js';

const U = 200;
const I = 60;

/** A random LRML model and a train/test split; users divisible by 7 have no test items. */
function setup() {
  const rng = new Rng(31);
  const dim = 6;
  const n = 3;
  const t = (rows: number, s: number) => ({ shape: [rows, dim], data: Float32Array.from({ length: rows * dim }, () => rng.normal() * s) });
  const model = lrmlFamily.fromTensors({ numUsers: U, numItems: I, dim, numMemories: n, distance: 'l2', clip: 'lookup' }, { P: t(U, 0.5), Q: t(I, 0.5), K: t(n, 1), M: t(n, 0.3) });
  const tr: [number, number][] = [];
  const te: [number, number][] = [];
  for (let u = 0; u < U; u++) {
    const perm = rng.shuffle(Int32Array.from({ length: I }, (_, i) => i));
    const testCount = u % 7 === 0 ? 0 : 1 + (u % 3);
    for (let k = 0; k < 12 + testCount; k++) (k < 12 ? tr : te).push([u, perm[k]]);
  }
  const csr = (p: [number, number][]): Csr => Csr.fromPairs(U, I, Int32Array.from(p, (x) => x[0]), Int32Array.from(p, (x) => x[1]));
  return { model, train: csr(tr), test: csr(te), tr, te };
}

const testUsers = Array.from({ length: U }, (_, u) => u).filter((u) => u % 7 !== 0);

test('sampleUsers: n distinct users, ascending, deterministic per seed; all of them when n ≥ their number', () => {
  const users = Int32Array.from(testUsers);
  const a = sampleUsers(users, 25, 4);
  assert.equal(a.length, 25);
  assert.equal(new Set(a).size, 25);
  for (let k = 1; k < a.length; k++) assert.ok(a[k - 1] < a[k]);
  for (const u of a) assert.ok(u % 7 !== 0);
  assert.deepEqual(sampleUsers(users, 25, 4), a);
  assert.notDeepEqual(sampleUsers(users, 25, 5), a);
  assert.deepEqual(Array.from(sampleUsers(users, users.length, 1)), testUsers);
  assert.deepEqual(Array.from(sampleUsers(users, 10_000, 1)), testUsers);
});

test('users: metrics on the sample equal the mean of those users\' per-user results; deterministic per seed', () => {
  const { model, train, test: testSet } = setup();
  for (const protocol of [{ kind: 'full' as const }, { kind: 'sampled' as const, negatives: 20, seed: 2 }]) {
    const all = evaluate(model, train, testSet, protocol, { k: [5], bootstrap: 0, perUser: true });
    assert.equal(all.sample, null);
    const s = evaluate(model, train, testSet, protocol, { k: [5], bootstrap: 200, seed: 9, users: 40, perUser: true });
    assert.deepEqual(s.sample, { users: 40, of: testUsers.length, seed: 9 });
    assert.equal(s.users, 40);
    assert.deepEqual(s.perUser!.users, sampleUsers(Int32Array.from(testUsers), 40, 9));
    const row = new Map(Array.from(all.perUser!.users, (u, r) => [u, r]));
    for (const [key, value] of Object.entries(s.metrics)) {
      let sum = 0;
      for (const u of s.perUser!.users) sum += all.perUser!.metrics[key][row.get(u)!];
      assert.ok(Math.abs(value - sum / 40) < 1e-12, `${protocol.kind} ${key}: ${value} vs ${sum / 40}`);
      const [lo, hi] = s.intervals[key];
      assert.ok(lo <= value && value <= hi, key);
    }
    const again = evaluate(model, train, testSet, protocol, { k: [5], bootstrap: 200, seed: 9, users: 40 });
    assert.deepEqual(again.metrics, s.metrics);
    assert.deepEqual(again.intervals, s.intervals);
    const other = evaluate(model, train, testSet, protocol, { k: [5], bootstrap: 0, seed: 10, users: 40, perUser: true });
    assert.notDeepEqual(other.perUser!.users, s.perUser!.users);
  }
});

test('users ≥ the number of test users: exactly the full evaluation', () => {
  const { model, train, test: testSet } = setup();
  const full = evaluate(model, train, testSet, { kind: 'full' }, { k: [1, 10], bootstrap: 100, seed: 3 });
  for (const n of [testUsers.length, testUsers.length + 1, 1_000_000]) {
    const s = evaluate(model, train, testSet, { kind: 'full' }, { k: [1, 10], bootstrap: 100, seed: 3, users: n });
    assert.deepEqual(s.metrics, full.metrics);
    assert.deepEqual(s.intervals, full.intervals);
    assert.equal(s.users, full.users);
    assert.deepEqual(s.sample, { users: testUsers.length, of: testUsers.length, seed: 3 });
  }
});

test('users: worker threads evaluate the same sample', async () => {
  const { model, train, test: testSet } = setup();
  const one = evaluate(model, train, testSet, { kind: 'full' }, { bootstrap: 50, seed: 1, users: 150, perUser: true });
  const two = await evaluateParallel(model, train, testSet, { kind: 'full' }, { bootstrap: 50, seed: 1, users: 150, perUser: true, threads: 2 });
  assert.deepEqual(two.metrics, one.metrics);
  assert.deepEqual(two.perUser!.users, one.perUser!.users);
});

test('users: not an integer ≥ 1 → BAD_OPTION naming the allowed values; given negatives refuse a sample', () => {
  const { model, train, test: testSet } = setup();
  for (const bad of [0, -3, 2.5, NaN]) {
    assert.throws(() => evaluate(model, train, testSet, { kind: 'full' }, { users: bad }), (e: unknown) => {
      assert.ok(e instanceof LrmlError);
      assert.equal(e.code, 'BAD_OPTION');
      assert.match(e.message, /invalid users: .* \(expected an integer ≥ 1/);
      return true;
    });
  }
  const cases = {
    users: Int32Array.of(1), positives: Int32Array.of(testSet.row(1)[0]), offsets: Int32Array.of(0, 1), negatives: Int32Array.of(testSet.row(1)[0] === 0 ? 1 : 0), lines: Int32Array.of(1),
    summary: { file: '<t>', lines: 1, cases: 1, skippedLines: 0, unknownNegatives: 0, selfNegatives: 0, repeatedNegatives: 0, addedItems: 0 },
  };
  assert.throws(() => evaluate(model, train, testSet, { kind: 'given', cases }, { users: 5 }), { code: 'BAD_OPTION', message: /full and sampled/ });
});

test('lrml evaluate --users N: the output says it is a sample of N; bad N is BAD_OPTION', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrml-eval-sample-'));
  try {
    const { model, tr, te } = setup();
    const users = IdMap.fromIds(Array.from({ length: U }, (_, u) => `u${u}`));
    const items = IdMap.fromIds(Array.from({ length: I }, (_, i) => `i${i}`));
    const modelPath = join(dir, 'm.lrml');
    await saveModel(modelPath, { model, users, items, meta: {}, seen: null });
    const lines = (p: [number, number][]) => `user\titem\n${p.map(([u, i]) => `u${u}\ti${i}`).join('\n')}\n`;
    writeFileSync(join(dir, 'train.tsv'), lines(tr));
    writeFileSync(join(dir, 'test.tsv'), lines(te));
    const run = async (args: string[]): Promise<string> => {
      const program = new Command().exitOverride();
      registerEvaluate(program);
      const base = ['--model', modelPath, '--train', join(dir, 'train.tsv'), '--test', join(dir, 'test.tsv'), '--threads', '1'];
      return (await captureOutput(() => program.parseAsync(['node', 'lrml', 'evaluate', ...base, ...args]))).stdout;
    };
    const text = await run(['--users', '30', '--seed', '2', '--bootstrap', '100']);
    assert.match(text, new RegExp(`user sample: 30 of ${testUsers.length} test users drawn at random \\(seed 2\\)`));
    assert.match(text, /^30 users, /m);
    const json = JSON.parse(await run(['--users', '30', '--seed', '2', '--bootstrap', '100', '--json']));
    assert.deepEqual(json.sample, { users: 30, of: testUsers.length, seed: 2 });
    assert.equal(json.users, 30);
    const all = JSON.parse(await run(['--json', '--bootstrap', '0']));
    assert.equal(all.sample, null);
    assert.match(await run(['--users', '5000', '--bootstrap', '0']), /user sample: all \d+ test users \(--users is at least their number: no sampling\)/);
    for (const bad of ['0', '-1', '2.5', 'many']) {
      await assert.rejects(run(['--users', bad]), (e: unknown) => {
        assert.ok(e instanceof LrmlError);
        assert.equal(e.code, 'BAD_OPTION');
        assert.match(e.message, /^--users: /);
        return true;
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
