import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Csr } from '../src/data/csr.js';
import { Rng } from '../src/rng.js';
import { lrmlFamily } from '../src/train/triplet.js';
import { evaluate } from '../src/eval/evaluate.js';
import { evaluateParallel } from '../src/io/eval-parallel.js';
import { givenTestSet } from '../src/eval/negatives.js';
import type { GivenNegatives, Protocol } from '../src/eval/types.js';

test('evaluateParallel (2 worker threads) gives exactly the result of evaluate, for every protocol', async () => {
  const numUsers = 300;
  const numItems = 120;
  const dim = 16;
  const n = 4;
  const rng = new Rng(2);
  const f = (len: number, s: number): Float32Array => Float32Array.from({ length: len }, () => rng.normal() * s);
  const model = lrmlFamily.fromTensors(
    { numUsers, numItems, dim, numMemories: n, distance: 'l2', clip: 'lookup' },
    {
      P: { shape: [numUsers, dim], data: f(numUsers * dim, 0.4) },
      Q: { shape: [numItems, dim], data: f(numItems * dim, 0.4) },
      K: { shape: [n, dim], data: f(n * dim, 1) },
      M: { shape: [n, dim], data: f(n * dim, 0.3) },
    },
  );
  const tr: number[][] = [[], []];
  const te: number[][] = [[], []];
  for (let u = 0; u < numUsers; u++) {
    const perm = rng.shuffle(Int32Array.from({ length: numItems }, (_, i) => i));
    for (let t = 0; t < 20; t++) (t < 17 ? tr : te).forEach((a, c) => a.push(c === 0 ? u : perm[t]));
  }
  const train = Csr.fromPairs(numUsers, numItems, Int32Array.from(tr[0]), Int32Array.from(tr[1]));
  const testSet = Csr.fromPairs(numUsers, numItems, Int32Array.from(te[0]), Int32Array.from(te[1]));
  // given: one case per user, 30 negatives drawn here (some equal to the positive)
  const users: number[] = [];
  const positives: number[] = [];
  const negatives: number[] = [];
  const offsets = [0];
  for (let u = 0; u < numUsers; u++) {
    const p = testSet.row(u)[0];
    users.push(u);
    positives.push(p);
    for (let t = 0; t < 30; t++) negatives.push(t === 0 && u % 10 === 0 ? p : rng.int(numItems));
    offsets.push(negatives.length);
  }
  const cases: GivenNegatives = {
    users: Int32Array.from(users), positives: Int32Array.from(positives), offsets: Int32Array.from(offsets),
    negatives: Int32Array.from(negatives), lines: Int32Array.from(users, (_, i) => i + 1),
    summary: { file: '<test>', lines: numUsers, cases: numUsers, skippedLines: 0, unknownNegatives: 0, selfNegatives: 30, repeatedNegatives: 0, addedItems: 0 },
  };
  const protocols: [Protocol, Csr][] = [
    [{ kind: 'full' }, testSet],
    [{ kind: 'sampled', negatives: 50, seed: 9 }, testSet],
    [{ kind: 'given', cases }, givenTestSet(cases, numUsers, numItems)],
  ];
  for (const [protocol, t] of protocols) {
    const opts = { k: [1, 10], bootstrap: 100, seed: 1, perUser: true };
    const one = evaluate(model, train, t, protocol, opts);
    let progress = 0;
    const two = await evaluateParallel(model, train, t, protocol, { ...opts, threads: 2, onProgress: (p) => { progress = p.done; } });
    assert.equal(progress, one.users);
    assert.deepEqual({ ...two, seconds: 0 }, { ...one, seconds: 0 }, protocol.kind);
    assert.ok(one.metrics['hits@10'] > 0 && one.metrics['hits@10'] < 1);
  }
});

test('extendCatalogue: never-trained items score −∞; evaluateParallel on workers gives the result of evaluate', async () => {
  const { extendCatalogue, widenItems } = await import('../src/eval/catalogue.js');
  const numUsers = 200;
  const numItems = 60;
  const dim = 8;
  const rng = new Rng(4);
  const f = (len: number, s: number): Float32Array => Float32Array.from({ length: len }, () => rng.normal() * s);
  const model = lrmlFamily.fromTensors(
    { numUsers, numItems, dim, numMemories: 2, distance: 'l2', clip: 'lookup' },
    { P: { shape: [numUsers, dim], data: f(numUsers * dim, 0.4) }, Q: { shape: [numItems, dim], data: f(numItems * dim, 0.4) }, K: { shape: [2, dim], data: f(2 * dim, 1) }, M: { shape: [2, dim], data: f(2 * dim, 0.3) } },
  );
  const wide = extendCatalogue(model, numItems + 3);
  assert.equal(extendCatalogue(model, numItems), model);
  assert.equal(wide.numItems, numItems + 3);
  const all = new Float32Array(numItems + 3);
  wide.scoreAll(5, all);
  const own = new Float32Array(numItems);
  model.scoreAll(5, own);
  assert.deepEqual(all.subarray(0, numItems), own);
  assert.deepEqual(Array.from(all.subarray(numItems)), [-Infinity, -Infinity, -Infinity]);
  const some = new Float32Array(4);
  wide.scoreItems(5, Int32Array.of(numItems + 1, 3, numItems, 7), some);
  assert.deepEqual(Array.from(some), [-Infinity, own[3], -Infinity, own[7]]);
  // users' test items: one known, and for every 4th user one never-trained item
  const tr: number[][] = [[], []];
  const te: number[][] = [[], []];
  for (let u = 0; u < numUsers; u++) {
    const perm = rng.shuffle(Int32Array.from({ length: numItems }, (_, i) => i));
    for (let t = 0; t < 10; t++) tr.forEach((a, c) => a.push(c === 0 ? u : perm[t]));
    te[0].push(u);
    te[1].push(perm[10]);
    if (u % 4 === 0) {
      te[0].push(u);
      te[1].push(numItems + (u % 3));
    }
  }
  const train = widenItems(Csr.fromPairs(numUsers, numItems, Int32Array.from(tr[0]), Int32Array.from(tr[1])), numItems + 3);
  const test = Csr.fromPairs(numUsers, numItems + 3, Int32Array.from(te[0]), Int32Array.from(te[1]));
  for (const protocol of [{ kind: 'full' }, { kind: 'sampled', negatives: 20, seed: 2 }] as Protocol[]) {
    const one = evaluate(wide, train, test, protocol, { bootstrap: 0 });
    const two = await evaluateParallel(wide, train, test, protocol, { bootstrap: 0, threads: 2 });
    assert.deepEqual({ ...two, seconds: 0 }, { ...one, seconds: 0 }, protocol.kind);
    assert.equal(one.nanScores, 0);
  }
});
