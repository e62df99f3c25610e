// explain / slotProfile: attention and relation against a direct computation, error cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LrmlError } from '../src/errors.js';
import { explain, recommend, slotProfile } from '../src/recommend/index.js';
import { Csr } from '../src/data/csr.js';
import { syntheticTriplet, trainedModel, wrap } from './recommend-fixtures.js';
import type { TripletModel } from '../src/models/triplet.js';

/** softmax(K (p ⊙ q)) and Σ a M computed the obvious way, with the lookup clip. */
function direct(model: TripletModel, u: number, i: number): { a: number[]; r: number[]; D: number } {
  const d = model.options.dim;
  const n = model.options.numMemories;
  const clip = (v: number[]): number[] => {
    const norm = Math.hypot(...v);
    return model.options.clip === 'lookup' && norm > 1 ? v.map((x) => x / norm) : v;
  };
  const p = clip(Array.from(model.params.P.subarray(u * d, (u + 1) * d)));
  const q = clip(Array.from(model.params.Q.subarray(i * d, (i + 1) * d)));
  const logits = Array.from({ length: n }, (_, k) => p.reduce((s, pj, j) => s + model.params.K[k * d + j] * pj * q[j], 0));
  const mx = Math.max(...logits);
  const ex = logits.map((l) => Math.exp(l - mx));
  const z = ex.reduce((s, x) => s + x, 0);
  const a = ex.map((x) => x / z);
  const r = Array.from({ length: d }, (_, j) => a.reduce((s, ak, k) => s + ak * model.params.M[k * d + j], 0));
  const D = Math.sqrt(p.reduce((s, pj, j) => s + (pj + r[j] - q[j]) ** 2, 0) + 1e-3);
  return { a, r, D };
}

const code = (c: string, re?: RegExp) => (e: unknown) => e instanceof LrmlError && e.code === c && (re === undefined || re.test(e.message));

for (const clip of ['rows', 'lookup'] as const) {
  test(`explain: attention, relation and distance match a direct computation (clip=${clip})`, () => {
    const model = syntheticTriplet('lrml', { clip, distance: 'l2' });
    const m = wrap(model, null);
    const scores = new Float32Array(model.numItems);
    for (const [u, i] of [[0, 0], [3, 17], [59, 47], [10, 30]]) {
      const e = explain(m, `u${u}`, `i${i}`);
      const ref = direct(model, u, i);
      assert.equal(e.attention.length, model.options.numMemories);
      assert.equal(e.relation.length, model.options.dim);
      for (let k = 0; k < ref.a.length; k++) assert.ok(Math.abs(e.attention[k] - ref.a[k]) < 1e-9, `a[${k}]`);
      for (let j = 0; j < ref.r.length; j++) assert.ok(Math.abs(e.relation[j] - ref.r[j]) < 1e-9, `r[${j}]`);
      assert.ok(Math.abs(e.distance - ref.D) < 1e-9);
      assert.ok(Math.abs(e.attention.reduce((s, x) => s + x, 0) - 1) < 1e-12);
      model.scoreAll(u, scores);
      assert.ok(Math.abs(e.score - scores[i]) < 1e-4, 'score is the model\'s score');
      // slots sorted by weight, a permutation of 0..N-1
      assert.deepEqual(e.slots.map((s) => s.slot).sort((x, y) => x - y), [...e.attention.keys()]);
      for (let k = 1; k < e.slots.length; k++) assert.ok(e.slots[k - 1].weight >= e.slots[k].weight);
      assert.equal(e.slots[0].weight, Math.max(...e.attention));
      assert.equal(e.seen, null);
    }
  });
}

test('explain: rank agrees with recommend; seen pairs have no rank', () => {
  const model = syntheticTriplet('lrml');
  const seen = Csr.fromPairs(model.numUsers, model.numItems, Int32Array.of(0, 0), Int32Array.of(1, 2));
  const m = { ...wrap(model, null), seen };
  const rec = recommend(m, 'u0', { k: 5 });
  rec.items.forEach((x, r) => assert.equal(explain(m, 'u0', x.item).rank, r + 1));
  const e = explain(m, 'u0', 'i1');
  assert.equal(e.seen, true);
  assert.equal(e.rank, null);
});

test('explain: errors for unknown ids and for models without memory', async () => {
  const m = wrap(syntheticTriplet('lrml'), null);
  assert.throws(() => explain(m, 'nobody', 'i0'), code('UNKNOWN_USER'));
  assert.throws(() => explain(m, 'u0', 'nothing'), code('UNKNOWN_ITEM'));
  const cml = wrap(syntheticTriplet('cml'), null);
  assert.throws(() => explain(cml, 'u0', 'i0'), code('BAD_OPTION', /explain needs an LRML model.*this model is cml/));
  const bpr = await trainedModel('bpr');
  assert.throws(() => explain(bpr, 'u0', 'i0'), code('BAD_OPTION', /this model is bpr/));
  assert.throws(() => slotProfile(bpr, 0), code('BAD_OPTION'));
});

test('slotProfile over a user\'s pairs: weights are the pairs\' attention on the slot, sorted', () => {
  const model = syntheticTriplet('lrml');
  const rows = Int32Array.of(4, 4, 4, 4, 5, 5);
  const cols = Int32Array.of(0, 9, 20, 33, 1, 2);
  const m = { ...wrap(model, null), seen: Csr.fromPairs(model.numUsers, model.numItems, rows, cols) };
  const slot = explain(m, 'u4', 'i20').slots[0].slot;
  const prof = slotProfile(m, slot, { user: 'u4', k: 3 });
  assert.equal(prof.source, 'user');
  assert.equal(prof.sampled, 4);
  assert.equal(prof.pairs.length, 3);
  const expected = [0, 9, 20, 33].map((i) => ({ item: `i${i}`, w: explain(m, 'u4', `i${i}`).attention[slot] })).sort((a, b) => b.w - a.w);
  prof.pairs.forEach((p, r) => {
    assert.equal(p.user, 'u4');
    assert.equal(p.item, expected[r].item);
    assert.ok(Math.abs(p.weight - expected[r].w) < 1e-12);
  });
  assert.ok(Math.abs(prof.meanWeight - expected.reduce((s, x) => s + x.w, 0) / 4) < 1e-12);
  assert.deepEqual(prof.users, [{ id: 'u4', weight: prof.meanWeight, pairs: 4 }]);
  // over all training pairs (6 < sample: all of them)
  const all = slotProfile(m, slot, { k: 10 });
  assert.equal(all.source, 'training');
  assert.equal(all.sampled, 6);
  assert.equal(all.users.length, 2);
  assert.equal(all.items.length, 6);
});

test('slotProfile: seeded sample, random pairs without interactions, bad slot', () => {
  const model = syntheticTriplet('lrml');
  const m = wrap(model, null);
  const a = slotProfile(m, 1, { sample: 200, seed: 3 });
  const b = slotProfile(m, 1, { sample: 200, seed: 3 });
  assert.deepEqual(a, b);
  assert.equal(a.source, 'random');
  assert.equal(a.sampled, 200);
  assert.equal(a.pairs.length, 10);
  assert.throws(() => slotProfile(m, 5), code('BAD_OPTION'));
  assert.throws(() => slotProfile(m, -1), code('BAD_OPTION'));
  assert.throws(() => slotProfile(m, 0, { user: 'u1' }), code('BAD_OPTION'));
  assert.throws(() => slotProfile(m, 0, { user: 'nobody' }), code('UNKNOWN_USER'));
});
