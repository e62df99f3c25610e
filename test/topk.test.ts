import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topK } from '../src/kernels/topk-impl.js';
import { Rng } from '../src/rng.js';

/** Obvious reference: sort all candidates by (score desc, index asc). */
function naive(scores: Float32Array, k: number, skip: Uint8Array | null): number[] {
  const idx = [...scores.keys()].filter((i) => (skip === null || skip[i] === 0) && !Number.isNaN(scores[i]));
  idx.sort((a, b) => scores[b] - scores[a] || a - b);
  return idx.slice(0, k);
}

test('topK: hand case, ties by lower index, NaN and skipped never returned', () => {
  const s = Float32Array.of(0.5, 0.9, 0.5, NaN, 0.7, 0.9);
  const idx = new Int32Array(4);
  const sc = new Float32Array(4);
  const n = topK(s, 4, Uint8Array.of(0, 0, 0, 0, 1, 0), idx, sc);
  assert.equal(n, 4);
  assert.deepEqual([...idx], [1, 5, 0, 2]);
  assert.deepEqual([...sc], [s[1], s[5], s[0], s[2]]);
});

test('topK: fewer candidates than k', () => {
  const idx = new Int32Array(5);
  const sc = new Float32Array(5);
  assert.equal(topK(Float32Array.of(1, 2), 5, null, idx, sc), 2);
  assert.deepEqual([...idx.subarray(0, 2)], [1, 0]);
  assert.equal(topK(Float32Array.of(1, 2), 0, null, idx, sc), 0);
});

test('topK agrees with a full sort on random inputs with many ties', () => {
  const rng = new Rng(5);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + rng.int(60);
    const s = new Float32Array(n).map(() => rng.int(8) / 4);
    const skip = new Uint8Array(n).map(() => (rng.float() < 0.2 ? 1 : 0));
    const k = 1 + rng.int(n + 3);
    const idx = new Int32Array(k);
    const sc = new Float32Array(k);
    const got = topK(s, k, skip, idx, sc);
    assert.deepEqual([...idx.subarray(0, got)], naive(s, k, skip));
  }
});
