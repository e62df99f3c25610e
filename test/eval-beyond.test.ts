import { test } from 'node:test';
import assert from 'node:assert/strict';
import { close, csr } from './helpers.js';
import { LrmlError } from '../src/errors.js';
import { IdMap } from '../src/data/idmap.js';
import { beyondAccuracy } from '../src/eval/beyond.js';
import { parseGivenNegatives } from '../src/eval/negatives.js';
import { evaluate } from '../src/eval/evaluate.js';
import { evaluateParallel } from '../src/io/eval-parallel.js';
import type { Recommender } from '../src/models/types.js';

/** Every user scores items by the same list (item 0 best). */
function fixedModel(numUsers: number, scores: number[]): Recommender {
  const s = Float32Array.from(scores);
  return {
    kind: 'pop', numUsers, numItems: s.length,
    scoreItems(_u, items, out) {
      for (let t = 0; t < items.length; t++) out[t] = s[items[t]];
    },
    scoreAll(_u, out) {
      out.set(s);
    },
    config: () => ({}),
    tensors: () => ({}),
  };
}


// 3 users, 4 items; train u0 {0}, u1 {0, 1}, u2 {2}; scores item 0 > 1 > 2 > 3 for everyone.
// Top-2 lists (training items skipped): u0 [1, 2], u1 [2, 3], u2 [0, 1]; top-1: [1], [2], [0].
// Item training users: U0 = {u0, u1}, U1 = {u1}, U2 = {u2}, U3 = {} (count 0 → treated as 1).
const train = csr(3, 4, [[0, 0], [1, 0], [1, 1], [2, 2]]);
const model = fixedModel(3, [4, 3, 2, 1]);
const L3 = Math.log2(3); // self-information of items 1, 2, 3 (1 of 3 users)
const L15 = Math.log2(1.5); // item 0 (2 of 3 users)

test('beyondAccuracy: coverage, diversity (Jaccard distance), novelty (self-information) against hand-computed values', () => {
  const b = beyondAccuracy(model, train, Int32Array.of(0, 1, 2), [1, 2]);
  assert.deepEqual(Object.keys(b.metrics), ['coverage@1', 'novelty@1', 'coverage@2', 'diversity@2', 'novelty@2']);
  close(b.metrics['coverage@1'], 3 / 4, 'coverage@1'); // items 1, 2, 0
  close(b.metrics['coverage@2'], 4 / 4, 'coverage@2');
  // novelty@1: u0 item 1, u1 item 2, u2 item 0
  close(b.metrics['novelty@1'], (L3 + L3 + L15) / 3, 'novelty@1');
  // novelty@2: u0 (L3 + L3)/2, u1 (L3 + L3)/2, u2 (L15 + L3)/2
  close(b.metrics['novelty@2'], (L3 + L3 + (L15 + L3) / 2) / 3, 'novelty@2');
  // diversity@2: u0 (1,2): |∅|/|{u0,u1… }| → 1 − 0/2 = 1; u1 (2,3): union {u2} → 1; u2 (0,1): 1 − 1/2 = 0.5
  close(b.metrics['diversity@2'], (1 + 1 + 0.5) / 3, 'diversity@2');
  assert.deepEqual(Array.from(b.perUser['diversity@2']), [1, 1, 0.5]);
  // a one-item list has no pairs: no diversity@1
  assert.equal(b.metrics['diversity@1'], undefined);
  assert.equal(b.perUser['diversity@1'], undefined);
  assert.deepEqual(b.intervals, {});
});

test('beyondAccuracy: identical lists → coverage k/numItems; items never co-consumed → diversity 1; bootstrap intervals bracket the mean', () => {
  // nobody has training items; every user gets [0, 1]
  const empty = csr(4, 5, []);
  const m = fixedModel(4, [5, 4, 3, 2, 1]);
  const b = beyondAccuracy(m, empty, Int32Array.of(0, 1, 2, 3), [2], { bootstrap: 200, seed: 1 });
  close(b.metrics['coverage@2'], 2 / 5, 'coverage');
  close(b.metrics['diversity@2'], 1, 'diversity (no training users: distance 1)');
  close(b.metrics['novelty@2'], Math.log2(4), 'novelty (count 0 treated as 1 of 4 users)');
  assert.deepEqual(b.intervals['novelty@2'], [Math.log2(4), Math.log2(4)]);
  // per-user values differ: the interval lies within their range and contains the mean
  const r = beyondAccuracy(model, train, Int32Array.of(0, 1, 2), [2], { bootstrap: 500, seed: 3 });
  const [lo, hi] = r.intervals['novelty@2'];
  assert.ok(lo >= (L15 + L3) / 2 - 1e-12 && hi <= L3 + 1e-12 && lo <= r.metrics['novelty@2'] && r.metrics['novelty@2'] <= hi, `${lo} ${hi}`);
  assert.equal(r.intervals['coverage@2'], undefined);
});

test('evaluate/evaluateParallel with beyondAccuracy: same values in metrics, intervals and per-user columns; off by default', async () => {
  const test3 = csr(3, 4, [[0, 3], [1, 3], [2, 3]]);
  const plain = evaluate(model, train, test3, { kind: 'full' }, { k: [2], bootstrap: 0 });
  assert.equal(plain.metrics['coverage@2'], undefined);
  const r = evaluate(model, train, test3, { kind: 'full' }, { k: [2], bootstrap: 100, perUser: true, beyondAccuracy: true });
  const b = beyondAccuracy(model, train, Int32Array.of(0, 1, 2), [2], { bootstrap: 100, seed: 0 });
  for (const [key, v] of Object.entries(b.metrics)) assert.equal(r.metrics[key], v, key);
  assert.equal(r.metrics['hits@2'], plain.metrics['hits@2']);
  assert.deepEqual(r.intervals['novelty@2'], b.intervals['novelty@2']);
  assert.deepEqual(Array.from(r.perUser!.metrics['diversity@2']), [1, 1, 0.5]);
  const p = await evaluateParallel(model, train, test3, { kind: 'sampled', negatives: 2 }, { k: [2], bootstrap: 0, beyondAccuracy: true, threads: 1 });
  close(p.metrics['coverage@2'], 1, 'coverage through evaluateParallel (lists are full-ranking lists whatever the protocol)');
});

test('beyondAccuracy: bad shapes, cut-offs and users are typed errors', () => {
  assert.throws(() => beyondAccuracy(model, csr(2, 4, []), Int32Array.of(0), [2]), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_VALUE');
  assert.throws(() => beyondAccuracy(model, train, Int32Array.of(0), [0]), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION');
  assert.throws(() => beyondAccuracy(model, train, Int32Array.of(7), [2]), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_VALUE');
});

test('evaluate with beyondAccuracy: a per-user column with an undefined value (a one-item list) is left out of perUser, so paired comparisons stay finite', () => {
  // user 2 has seen 3 of 4 items: a one-item list, no diversity (ranked against a given seen item)
  const tr = csr(3, 4, [[0, 0], [2, 0], [2, 1], [2, 2]]);
  const te = csr(3, 4, [[0, 3], [1, 3], [2, 3]]);
  const ids = (p: string, n: number): IdMap => IdMap.fromIds(Array.from({ length: n }, (_, i) => `${p}${i}`));
  const cases = parseGivenNegatives('(u0,i3)\ti1\n(u1,i3)\ti0\n(u2,i3)\ti0\n', ids('u', 3), ids('i', 4));
  const r = evaluate(model, tr, te, { kind: 'given', cases }, { k: [2], bootstrap: 0, perUser: true, beyondAccuracy: true });
  assert.equal(r.users, 3);
  close(r.metrics['diversity@2'], (0 + 0.5) / 2, 'diversity over the users with two-item lists');
  assert.ok(Number.isFinite(r.metrics['diversity@2']));
  assert.equal(r.perUser!.metrics['diversity@2'], undefined);
  assert.ok(r.perUser!.metrics['novelty@2'].every(Number.isFinite));
});
