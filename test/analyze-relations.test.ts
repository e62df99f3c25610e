// The relation analysis: a planted model whose attention (hence r) follows known directions of
// p ⊙ q tied to the rating and the time labels is found by the relation probe (random features and
// shuffled labels stay at chance, an unplanted genre too); a small trained LRML gives a well-formed,
// deterministic result; the NCF id bridge; errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeRelations, labelledPairs, type LabelledPairs } from '../src/analyze/index.js';
import type { RelationAnalysis } from '../src/analyze/types.js';
import { IdMap } from '../src/data/idmap.js';
import { interactionsFromIds } from '../src/data/interactions.js';
import type { ItemInfo, UserInfo } from '../src/data/side-info.js';
import { LrmlError } from '../src/errors.js';
import type { LoadedModel } from '../src/io/format.js';
import { LRML_DEFAULTS, TripletModel } from '../src/models/triplet.js';
import { Rng } from '../src/rng.js';
import { planted, syntheticTriplet, trainedModel, wrap } from './recommend-fixtures.js';

const D = 8;
const NUM_USERS = 150;
const NUM_ITEMS = 120;

/**
 * An LRML model built so that slot 0 / 1 attention is softmax(±c · s₀) and slot 2 / 3 is
 * softmax(±c · s₂) (s = p ⊙ q), with values ±e₁ and ±e₃: r₁ = a₀ − a₁ grows with s₀ and
 * r₃ = a₂ − a₃ with s₂. Nothing in K reads s₄ (the planted genre direction stays invisible to r).
 */
function plantedModel(): LoadedModel {
  const rng = new Rng(17);
  const P = Float32Array.from({ length: NUM_USERS * D }, () => rng.normal() * 0.3);
  const Q = Float32Array.from({ length: NUM_ITEMS * D }, () => rng.normal() * 0.3);
  const c = 40;
  const K = new Float32Array(4 * D);
  const M = new Float32Array(4 * D);
  K[0 * D + 0] = c;
  K[1 * D + 0] = -c;
  K[2 * D + 2] = c;
  K[3 * D + 2] = -c;
  M[0 * D + 1] = 1;
  M[1 * D + 1] = -1;
  M[2 * D + 3] = 1;
  M[3 * D + 3] = -1;
  const o = { ...LRML_DEFAULTS, dim: D, numMemories: 4, clip: 'none' as const };
  return wrap(new TripletModel('lrml', NUM_USERS, NUM_ITEMS, o, { P, Q, K, M }), null);
}

/** 4000 random pairs: rating high iff s₀ > 0 (small noise), timestamp = s₂ + noise, genre A iff q₄ > 0. */
function plantedPairs(lm: LoadedModel, shuffle: boolean): LabelledPairs {
  const model = lm.model as TripletModel;
  const { P, Q } = model.params;
  const rng = new Rng(5);
  const n = 4000;
  const user = new Int32Array(n);
  const item = new Int32Array(n);
  const rating = new Float64Array(n);
  const timestamp = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const u = rng.int(NUM_USERS);
    const i = rng.int(NUM_ITEMS);
    user[t] = u;
    item[t] = i;
    const s0 = P[u * D] * Q[i * D];
    const s2 = P[u * D + 2] * Q[i * D + 2];
    rating[t] = s0 + 0.005 * rng.normal() > 0 ? 4.5 : 1.5;
    timestamp[t] = 1e9 + 1e6 * (s2 + 0.005 * rng.normal());
  }
  if (shuffle) {
    new Rng(9).shuffle(rating);
    new Rng(10).shuffle(timestamp);
  }
  const itemInfo: ItemInfo[] = Array.from({ length: NUM_ITEMS }, (_, i) => ({ title: `Item ${i}`, genres: Q[i * D + 4] > 0 ? ['A', 'C'] : ['B'] }));
  const userInfo: UserInfo[] = Array.from({ length: NUM_USERS }, (_, u) => ({ gender: u % 2 === 0 ? 'F' : 'M', age: 18 + (u % 5) * 10, occupation: '0' }));
  return { user, item, rating, timestamp, itemInfo, userInfo };
}

function probe(a: RelationAnalysis, target: string): RelationAnalysis['probes'][number] {
  const p = a.probes.find((x) => x.target === target);
  assert.ok(p !== undefined, `probe ${target} in ${a.probes.map((x) => x.target)}`);
  return p;
}

test('analyzeRelations: the planted rating and time signals are found in r; random features and the unplanted genre are at chance', () => {
  const lm = plantedModel();
  const a = analyzeRelations(lm, plantedPairs(lm, false), { seed: 3 });
  const rating = probe(a, 'rating');
  assert.ok(rating.scores.relation.auc > 0.9, `rating relation auc ${rating.scores.relation.auc}`);
  assert.ok(rating.scores.joint.auc > 0.9, `rating joint auc ${rating.scores.joint.auc}`);
  assert.ok(Math.abs(rating.scores.random.auc - 0.5) < 0.06, `rating random auc ${rating.scores.random.auc}`);
  assert.ok(rating.scores.relation.accuracy > rating.majorityRate);
  const time = probe(a, 'time');
  assert.ok(time.scores.relation.auc > 0.9, `time relation auc ${time.scores.relation.auc}`);
  assert.ok(Math.abs(time.scores.random.auc - 0.5) < 0.08, `time random auc ${time.scores.random.auc}`);
  // genre A follows q₄, which the attention never reads: r knows nothing of it
  const genre = probe(a, 'genre:A');
  assert.ok(Math.abs(genre.scores.relation.auc - 0.5) < 0.06, `genre relation auc ${genre.scores.relation.auc}`);
  const gender = probe(a, 'user:gender');
  assert.ok(Math.abs(gender.scores.relation.auc - 0.5) < 0.06, `gender relation auc ${gender.scores.relation.auc}`);
  const targets = a.probes.map((p) => p.target);
  assert.deepEqual([targets.slice(0, 2), targets.slice(2, 5).sort(), targets.slice(5)], [['rating', 'time'], ['genre:A', 'genre:B', 'genre:C'], ['user:gender', 'user:age']]);
  // r varies along e₁ and e₃ only: two components explain everything
  const [v1, v2] = a.projection.explainedVariance;
  assert.ok(v1 + v2 > 0.999 && v1 >= v2, `explained ${v1}, ${v2}`);
});

test('analyzeRelations: with the labels shuffled the relation probe is at chance', () => {
  const lm = plantedModel();
  const a = analyzeRelations(lm, plantedPairs(lm, true), { seed: 3 });
  for (const target of ['rating', 'time']) {
    const p = probe(a, target);
    assert.ok(Math.abs(p.scores.relation.auc - 0.5) < 0.06, `${target} relation auc ${p.scores.relation.auc}`);
  }
});

test('analyzeRelations on a small trained LRML: well-formed, deterministic, notes for missing labels', async () => {
  const lm = await trainedModel('lrml');
  const N = (lm.model as TripletModel).options.numMemories;
  const rng = new Rng(8);
  const users: string[] = [];
  const items: string[] = [];
  const rating: number[] = [];
  const ts: number[] = [];
  const seen = lm.seen!;
  for (let u = 0; u < seen.numRows; u++) {
    for (const i of seen.row(u)) {
      users.push(`u${u}`);
      items.push(`i${i}`);
      rating.push(0.5 + 0.5 * rng.int(10));
      ts.push(rng.int(1000));
    }
  }
  // two pairs the model does not know
  users.push('stranger', 'u0');
  items.push('i0', 'nothing');
  rating.push(4, 4);
  ts.push(1, 2);
  const data = interactionsFromIds(users, items, { rating, timestamp: ts });
  const genres = ['Drama', 'Comedy', 'Action', 'Horror', 'Sci-Fi', 'Western', 'Noir'];
  const side = new Map<string, ItemInfo>();
  for (let i = 0; i < lm.items.size; i++) side.set(`i${i}`, { title: `Film ${i}`, genres: [genres[i % 7], genres[(i * 3) % 7]].filter((g, k, a) => a.indexOf(g) === k) });
  const pairs = labelledPairs(lm, data, { items: side });
  assert.equal(pairs.skipped, 2);
  const stages = new Set<string>();
  const options = { seed: 4, maxPoints: 500, onProgress: (p: { stage: string }) => stages.add(p.stage) };
  const a = analyzeRelations(lm, pairs, options);
  assert.deepEqual([...stages], ['relations', 'probes', 'summary']);
  assert.equal(a.pairs, seen.nnz);
  assert.equal(a.skippedPairs, 2);
  assert.deepEqual(a.model, { kind: 'lrml', dim: 16, numMemories: N, numUsers: lm.users.size, numItems: lm.items.size });
  // genre probes: the five most frequent genres over the analysed pairs (all of them here), by count then name
  const freq = new Map<string, number>();
  for (const i of pairs.item) for (const g of side.get(`i${i}`)!.genres) freq.set(g, (freq.get(g) ?? 0) + 1);
  const top = [...freq.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, 5).map(([g]) => `genre:${g}`);
  assert.deepEqual(a.probes.map((p) => p.target), ['rating', 'time', ...top]);
  // every pair is analysed here: the rating and time classes can be counted by hand
  const r = Array.from(pairs.rating!);
  assert.deepEqual([probe(a, 'rating').n, probe(a, 'rating').positives], [r.filter((x) => x >= 4 || x <= 2).length, r.filter((x) => x >= 4).length]);
  let thirds = 0;
  for (let u = 0; u < seen.numRows; u++) thirds += Math.floor(seen.row(u).length / 3);
  assert.deepEqual([probe(a, 'time').n, probe(a, 'time').positives], [2 * thirds, thirds]);
  for (const p of a.probes) {
    assert.ok(p.positives >= 20 && p.n - p.positives >= 20 && p.n <= 10000);
    assert.equal(p.majorityRate, Math.max(p.positives, p.n - p.positives) / p.n);
    assert.equal(p.folds, 5);
    for (const f of ['relation', 'joint', 'random'] as const) {
      const s = p.scores[f];
      assert.ok(s.auc >= 0 && s.auc <= 1 && s.accuracy >= 0 && s.accuracy <= 1 && s.aucStd >= 0, `${p.target} ${f} ${JSON.stringify(s)}`);
    }
  }
  assert.ok(a.notes.some((x) => /no users file/.test(x)), a.notes.join('; '));
  assert.ok(a.notes.some((x) => /items file: 120 of 120/.test(x)), a.notes.join('; '));
  const sum = (x: number[]): number => x.reduce((s, v) => s + v, 0);
  assert.equal(a.attention.numMemories, N);
  assert.ok(Math.abs(sum(a.attention.meanBySlot) - 1) < 1e-9);
  assert.ok(Math.abs(sum(a.attention.argmaxShare) - 1) < 1e-9);
  assert.equal(a.attention.normalizedEntropy.length, a.pairs);
  assert.equal(a.attention.maxWeight.length, a.pairs);
  for (let t = 0; t < a.pairs; t++) {
    assert.ok(a.attention.normalizedEntropy[t] >= 0 && a.attention.normalizedEntropy[t] <= 1);
    assert.ok(a.attention.maxWeight[t] >= 1 / N - 1e-12 && a.attention.maxWeight[t] <= 1);
  }
  assert.equal(a.slots.length, N);
  for (const s of a.slots) {
    assert.ok(s.items.length > 0 && s.items.length <= 10);
    for (let k = 1; k < s.items.length; k++) assert.ok(s.items[k].weight <= s.items[k - 1].weight);
    for (const it of s.items) assert.ok(it.pairs >= 5 && it.title === `Film ${it.id.slice(1)}`);
  }
  assert.equal(a.projection.method, 'pca');
  assert.equal(a.projection.points.length, 500);
  const [v1, v2] = a.projection.explainedVariance;
  assert.ok(v1 >= v2 && v2 >= 0 && v1 + v2 <= 1 + 1e-12);
  for (const p of a.projection.points) {
    assert.ok(Number.isFinite(p.x) && Number.isFinite(p.y) && lm.users.has(p.user) && lm.items.has(p.item));
    assert.ok(p.rating !== undefined && p.rating >= 0.5 && p.rating <= 5);
    assert.ok(p.time !== undefined && p.time >= 0 && p.time <= 1);
    assert.ok(p.genre !== undefined && genres.includes(p.genre));
  }
  // deterministic for a seed; another seed samples other random features
  assert.deepEqual(analyzeRelations(lm, pairs, options), a);
  const b = analyzeRelations(lm, pairs, { ...options, seed: 5 });
  assert.notDeepEqual(b.probes[0].scores.random, a.probes[0].scores.random);
  // probes capped: as balanced as the classes allow
  const capped = analyzeRelations(lm, pairs, { seed: 4, maxProbePairs: 100 });
  for (const p of capped.probes) assert.deepEqual([p.n, p.positives], [100, 50], p.target);
  // a sample, and probes without enough pairs of a class
  const small = analyzeRelations(lm, { user: pairs.user, item: pairs.item, rating: pairs.rating }, { maxPairs: 300, seed: 1 });
  assert.equal(small.pairs, 300);
  assert.ok(small.notes.some((x) => /sample of 300 of the/.test(x)));
  for (const re of [/no timestamps/, /no items file/, /no users file/]) assert.ok(small.notes.some((x) => re.test(x)), `${re} in ${small.notes}`);
  const few = Float64Array.from(pairs.rating!, (r, k) => (k < 10 ? 1 : r >= 3 ? 5 : 3));
  const skipped = analyzeRelations(lm, { user: pairs.user, item: pairs.item, rating: few }, { seed: 1 });
  assert.deepEqual(skipped.probes, []);
  assert.ok(skipped.notes.some((x) => /^rating: skipped, \d+ positive and 10 negative pairs/.test(x)), skipped.notes.join('; '));
});

test('labelledPairs: model ids joined to side ids through an item map and a user offset (NCF → MovieLens)', () => {
  const model = syntheticTriplet('lrml', {}, 3, 4, 1);
  const lm: LoadedModel = { model, users: IdMap.fromIds(['0', '1', '2']), items: IdMap.fromIds(['0', '1', '2', '3']), meta: {}, seen: null };
  const itemMap = new Map([['0', '1193'], ['1', '661'], ['2', '914']]); // model item 3 unmapped
  const items = new Map<string, ItemInfo>([['1193', { title: 'Cuckoo', genres: ['Drama'] }], ['661', { title: 'Peach', genres: [] }], ['5', { title: 'x', genres: [] }]]);
  const users = new Map<string, UserInfo>([['1', { gender: 'F', age: 1, occupation: '10' }], ['3', { gender: 'M', age: 25, occupation: '15' }]]);
  // data in MovieLens ids: user 1 → model 0, movie 661 → model 1; user 9 and movie 5 unknown
  const data = interactionsFromIds(['1', '3', '9', '1'], ['661', '1193', '661', '5'], { rating: [5, 3, 4, 2] });
  const p = labelledPairs(lm, data, { dataIds: 'side', itemMap, userOffset: 1, items, users });
  assert.deepEqual(Array.from(p.user), [0, 2]);
  assert.deepEqual(Array.from(p.item), [1, 0]);
  assert.deepEqual(Array.from(p.rating!), [5, 3]);
  assert.equal(p.timestamp, null);
  assert.equal(p.skipped, 2);
  assert.deepEqual(p.itemInfo, [items.get('1193'), items.get('661'), null, null]);
  assert.deepEqual(p.userInfo, [users.get('1'), null, users.get('3')]);
  assert.deepEqual(p.notes, ['items file: 2 of 4 model items found', 'users file: 2 of 3 model users found']);
  // model ids in the data: the same ids, no translation
  const q = labelledPairs(lm, interactionsFromIds(['0', '2'], ['1', '7']), { userOffset: 1, users });
  assert.deepEqual([Array.from(q.user), Array.from(q.item), q.skipped], [[0], [1], 1]);
  assert.throws(() => labelledPairs(lm, data, { userOffset: 0.5 }), /invalid userOffset/);
});

test('analyzeRelations: other models and bad pairs are BAD_OPTION', async () => {
  const code = (f: () => unknown): string | undefined => {
    try {
      f();
    } catch (e) {
      return e instanceof LrmlError ? `${e.code}: ${e.message}` : String(e);
    }
    return undefined;
  };
  const pairs = { user: Int32Array.of(0), item: Int32Array.of(0) };
  const cml = wrap(syntheticTriplet('cml'), null);
  assert.match(code(() => analyzeRelations(cml, pairs)) ?? '', /^BAD_OPTION: .*LRML.*this model is cml/);
  const bpr = await trainedModel('pop');
  assert.match(code(() => analyzeRelations(bpr, pairs)) ?? '', /^BAD_OPTION: .*this model is pop/);
  const lm = wrap(syntheticTriplet('lrml'), planted);
  assert.match(code(() => analyzeRelations(lm, { user: Int32Array.of(0), item: Int32Array.of(999) })) ?? '', /^BAD_OPTION: invalid pairs.item\[0\]/);
  assert.match(code(() => analyzeRelations(lm, { user: new Int32Array(0), item: new Int32Array(0) })) ?? '', /^BAD_OPTION: invalid pairs/);
  assert.match(code(() => analyzeRelations(lm, pairs, { maxPairs: 0 })) ?? '', /^BAD_OPTION: invalid maxPairs/);
  assert.match(code(() => analyzeRelations(lm, { ...pairs, rating: Float64Array.of(1, 2) })) ?? '', /^BAD_OPTION: invalid pairs.rating/);
});
