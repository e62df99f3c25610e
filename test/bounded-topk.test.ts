// The exact top k from score bounds (issue #20, batch speed): on large catalogues an LRML model's
// scoreBounds bound every item's score from one cheap pass and recommend scores only the items that
// can still reach the top k. The result must be the one of scoring every item, bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Csr } from '../src/data/csr.js';
import type { LoadedModel } from '../src/io/format.js';
import { attentionDeviation, createTripletScorer } from '../src/kernels/scorer.js';
import { LRML_DEFAULTS, TripletModel, type TripletOptions } from '../src/models/triplet.js';
import { BOUNDED_MIN_ITEMS, buildSkipMask, exactTop, pickTop, recommend, recommendEach } from '../src/recommend/index.js';
import { Rng } from '../src/rng.js';
import { wrap } from './recommend-fixtures.js';

const NUM_ITEMS = BOUNDED_MIN_ITEMS + 808; // 9,000: past the threshold
const NUM_USERS = 40;

/** An LRML model on a clustered catalogue; `keyScale` sets how far the attention is from uniform. */
function model(options: Partial<TripletOptions>, keyScale: number, seed = 11, memScale = 0.1): TripletModel {
  const o: TripletOptions = { ...LRML_DEFAULTS, dim: 12, numMemories: 5, ...options };
  const rng = new Rng(seed);
  const d = o.dim;
  const centres = Array.from({ length: 8 }, () => Array.from({ length: d }, () => rng.normal() * 0.3));
  const P = Float32Array.from({ length: NUM_USERS * d }, (_, x) => centres[Math.floor(x / d) % 8][x % d] + rng.normal() * 0.1);
  const Q = Float32Array.from({ length: NUM_ITEMS * d }, (_, x) => centres[Math.floor(x / d) % 8][x % d] + rng.normal() * 0.15);
  // a few items share another's vector: equal scores, ranked by the lower index
  for (let i = 100; i < 140; i++) Q.copyWithin(i * d, (i + 4000) * d, (i + 4001) * d);
  const n = o.numMemories;
  const K = Float32Array.from({ length: n * d }, () => rng.normal() * keyScale);
  const M = Float32Array.from({ length: n * d }, () => rng.normal() * memScale);
  return new TripletModel('lrml', NUM_USERS, NUM_ITEMS, o, { P, Q, K, M });
}

/** Seen items: 30 per user. */
function seen(seed: number): Csr {
  const rng = new Rng(seed);
  const rows = new Int32Array(NUM_USERS * 30);
  const cols = new Int32Array(NUM_USERS * 30);
  for (let t = 0; t < rows.length; t++) {
    rows[t] = Math.floor(t / 30);
    cols[t] = rng.int(NUM_ITEMS);
  }
  return Csr.fromPairs(NUM_USERS, NUM_ITEMS, rows, cols);
}

/** The top k of scoring every item (the path before bounds). */
function everyItem(m: LoadedModel, user: string, o: Parameters<typeof buildSkipMask>[2], k: number) {
  const u = m.users.get(user)!;
  const scores = new Float32Array(m.model.numItems);
  m.model.scoreAll(u, scores);
  return pickTop(m, user, scores, buildSkipMask(m, u, o), k);
}

/** Counts the items the model scores through scoreAll and scoreItems. */
function counting(m: LoadedModel): { m: LoadedModel; scored: () => number } {
  let scored = 0;
  const model = m.model;
  const spy = Object.create(model) as typeof model;
  spy.scoreAll = (u, out) => {
    scored += model.numItems;
    model.scoreAll(u, out);
  };
  spy.scoreItems = (u, items, out) => {
    scored += items.length;
    model.scoreItems(u, items, out);
  };
  return { m: { ...m, model: spy }, scored: () => scored };
}

for (const distance of ['l2', 'l2sq'] as const) {
  for (const [clip, memScale] of [['lookup', 0.1], ['rows', 0.1], ['none', 3]] as const) {
    test(`scoreBounds hold every item's score (${distance}, clip ${clip}, memory values ~ ${memScale}·normal)`, () => {
      const mod = model({ distance, clip }, clip === 'none' ? 0.05 : 0.5, 11, memScale);
      const lower = new Float32Array(NUM_ITEMS);
      const upper = new Float32Array(NUM_ITEMS);
      const scores = new Float32Array(NUM_ITEMS);
      for (let u = 0; u < NUM_USERS; u += 3) {
        assert.equal(mod.scoreBounds(u, lower, upper), true);
        mod.scoreAll(u, scores);
        for (let i = 0; i < NUM_ITEMS; i++) {
          assert.ok(lower[i] <= scores[i] && scores[i] <= upper[i], `user ${u} item ${i}: ${lower[i]} ≤ ${scores[i]} ≤ ${upper[i]}`);
        }
      }
    });
  }
}

test('recommend on a large catalogue: the bounded path gives the every-item top k, with every filter, and scores far fewer items', () => {
  const m = wrap(model({}, 0.05), null);
  const ms: LoadedModel = { ...m, seen: seen(5) };
  const spied = counting(ms);
  const options = [
    { k: 10 }, { k: 1 }, { k: 200 }, { k: 10, excludeSeen: false },
    { k: 10, exclude: ['i100', 'i101', 'i4100', 'i8000'] },
    { k: 5, include: Array.from({ length: 300 }, (_, t) => `i${t * 29}`) },
  ];
  for (let u = 0; u < NUM_USERS; u++) {
    const user = `u${u}`;
    for (const o of options) assert.deepEqual(recommend(spied.m, user, o), everyItem(ms, user, o, o.k), `user ${user} ${JSON.stringify(o).slice(0, 60)}`);
  }
  const calls = NUM_USERS * options.length;
  assert.ok(spied.scored() < (calls * NUM_ITEMS) / 4, `scored ${spied.scored()} of ${calls * NUM_ITEMS}`);
});

test('ties (items with equal vectors) rank by the lower index on the bounded path as on the every-item path', () => {
  const m = wrap(model({ distance: 'l2sq' }, 0.2, 3), null);
  let tied = 0;
  for (let u = 0; u < NUM_USERS; u++) {
    const user = `u${u}`;
    const want = everyItem(m, user, {}, 3000);
    assert.deepEqual(recommend(m, user, { k: 3000 }), want);
    for (let r = 1; r < want.items.length; r++) if (want.items[r].score === want.items[r - 1].score) tied++;
  }
  assert.ok(tied > 0, 'the fixture has equal scores in the top k');
});

test('sharp attention (bounds too wide to prune) and other attentions fall back to scoring every item, same result', () => {
  for (const [o, keys] of [[{}, 40], [{ attention: 'cosine' as const }, 0.5], [{ distance: 'l1' as const }, 0.3]] as const) {
    const m = wrap(model(o, keys), null);
    const spied = counting(m);
    for (let u = 0; u < NUM_USERS; u += 5) assert.deepEqual(recommend(spied.m, `u${u}`, { k: 10 }), everyItem(m, `u${u}`, {}, 10));
    assert.equal(spied.scored(), Math.ceil(NUM_USERS / 5) * NUM_ITEMS, JSON.stringify(o));
  }
});

test('exactTop and recommendEach over every user agree with the every-item path', () => {
  const m: LoadedModel = { ...wrap(model({}, 0.3, 2), null), seen: seen(9) };
  const all = [...recommendEach(m, null, { k: 7 })];
  assert.equal(all.length, NUM_USERS);
  for (let u = 0; u < NUM_USERS; u++) {
    assert.deepEqual(all[u], everyItem(m, `u${u}`, {}, 7));
    assert.deepEqual(exactTop(m, u, `u${u}`, buildSkipMask(m, u, {}), 7), all[u]);
  }
});

test('the TypeScript scorer has no bounds; attentionDeviation is 0 for equal logits, 1 at most, growing with b', () => {
  const mod = model({}, 0.3);
  const ts = createTripletScorer(mod.params, { numUsers: NUM_USERS, numItems: NUM_ITEMS, dim: 12, numMemories: 5, distance: 'l2', clip: 'lookup' }, { backend: 'ts' });
  assert.equal(ts.scoreBounds, undefined);
  assert.equal(attentionDeviation(0, 20), 0);
  assert.equal(attentionDeviation(1e6, 20), 1);
  assert.equal(attentionDeviation(3, 1), 0);
  let last = 0;
  for (const b of [0.01, 0.05, 0.1, 0.2]) {
    const v = attentionDeviation(b, 20);
    assert.ok(v > last && v <= 1, `b ${b}: ${v}`);
    last = v;
  }
});
