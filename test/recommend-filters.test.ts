// Item filters (include / exclude / skipUnknown) on the library, and session-aware recommendations
// for a known user with recent items (recommendForSession).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LrmlError } from '../src/errors.js';
import { Csr } from '../src/data/csr.js';
import { checkFilters, foldInUser, recommend, recommendEach, recommendForItems, recommendForSession, recommendMany, scoreFoldIn } from '../src/recommend/index.js';
import type { LoadedModel } from '../src/io/format.js';
import { syntheticTriplet, wrap } from './recommend-fixtures.js';

function model(): LoadedModel {
  const t = syntheticTriplet('lrml');
  return { ...wrap(t, null), seen: Csr.fromPairs(t.numUsers, t.numItems, Int32Array.of(0, 0, 1), Int32Array.of(1, 2, 5)) };
}
const m = model();
const code = (c: string, re?: RegExp) => (e: unknown) => e instanceof LrmlError && e.code === c && (re === undefined || re.test(e.message));
const ids = (r: { items: { item: string }[] }): string[] => r.items.map((x) => x.item);

test('include: only those items, best first, seen and excluded still removed; equals the full ranking restricted', () => {
  const full = ids(recommend(m, 'u0', { k: 48 }));
  const include = ['i1', 'i3', 'i7', 'i9', 'i20', 'i33'];
  const r = recommend(m, 'u0', { k: 10, include, exclude: ['i9'] });
  assert.deepEqual(ids(r), full.filter((x) => include.includes(x) && x !== 'i9'));
  assert.ok(!ids(r).includes('i1'), 'seen item not returned');
  assert.equal(r.complete, false);
  assert.deepEqual(ids(recommend(m, 'u0', { k: 2, include, exclude: ['i9'] })), ids(r).slice(0, 2));
  // the former name still works
  assert.deepEqual(recommend(m, 'u0', { k: 10, candidates: include }), recommend(m, 'u0', { k: 10, include }));
  // includeSeen: the seen item comes back
  assert.ok(ids(recommend(m, 'u0', { k: 10, include, excludeSeen: false })).includes('i1'));
});

test('exclude and include: unknown ids throw UNKNOWN_ITEM naming the list; skipUnknown ignores them', () => {
  assert.throws(() => recommend(m, 'u0', { include: ['i1', 'nope'] }), code('UNKNOWN_ITEM', /"nope" in include/));
  assert.throws(() => recommend(m, 'u0', { exclude: ['nope'] }), code('UNKNOWN_ITEM', /"nope" in exclude/));
  assert.throws(() => recommend(m, 'u0', { include: ['i1'], candidates: ['i2'] }), code('BAD_OPTION', /not both/));
  assert.throws(() => recommend(m, 'u0', { include: 'i1' as unknown as string[] }), code('BAD_OPTION', /include/));
  assert.throws(() => recommend(m, 'u0', { exclude: [3 as unknown as string] }), code('BAD_OPTION', /exclude/));
  assert.deepEqual(recommend(m, 'u0', { k: 5, exclude: ['nope', 'i3'], skipUnknown: true }), recommend(m, 'u0', { k: 5, exclude: ['i3'] }));
  assert.deepEqual(recommend(m, 'u0', { k: 5, include: ['nope'], skipUnknown: true }).items, []);
  // checked up front by recommendMany / recommendEach (nothing computed, no partial result)
  assert.throws(() => recommendMany(m, ['u0', 'u1'], { exclude: ['nope'] }), code('UNKNOWN_ITEM'));
  assert.throws(() => recommendEach(m, null, { include: ['nope'] }), code('UNKNOWN_ITEM'));
  assert.throws(() => checkFilters(m, { exclude: ['nope'] }), code('UNKNOWN_ITEM'));
  checkFilters(m, { exclude: ['nope'], skipUnknown: true });
  // filters apply to new users too
  assert.throws(() => recommendForItems(m, ['i3'], { include: ['nope'], foldIn: { steps: 2 } }), code('UNKNOWN_ITEM', /include/));
  const r = recommendForItems(m, ['i3'], { k: 10, include: ['i3', 'i4', 'i5'], foldIn: { steps: 2 } });
  assert.deepEqual(ids(r).sort(), ['i4', 'i5']);
});

test('recommendForSession: fold-in over history + recent items; both excluded; seeded; errors', () => {
  const r = recommendForSession(m, 'u0', ['i12', 'i13'], { k: 48, foldIn: { steps: 10, seed: 1 } });
  assert.equal(r.user, 'u0');
  for (const x of ['i1', 'i2', 'i12', 'i13']) assert.ok(!ids(r).includes(x), `${x} excluded`);
  assert.equal(r.items.length, 44);
  assert.deepEqual(recommendForSession(m, 'u0', ['i12', 'i13'], { k: 48, foldIn: { steps: 10, seed: 1 } }), r, 'deterministic');
  // the same as a fold-in over the union, scored and filtered by hand
  const f = foldInUser(m, ['i1', 'i2', 'i12', 'i13'], { steps: 10, seed: 1 });
  const scores = new Float32Array(48);
  scoreFoldIn(m, f, scores);
  const order = Array.from({ length: 48 }, (_, i) => i).filter((i) => ![1, 2, 12, 13].includes(i)).sort((a, b) => scores[b] - scores[a] || a - b);
  assert.deepEqual(ids(r), order.map((i) => `i${i}`));
  // filters and includeSeen
  assert.deepEqual(ids(recommendForSession(m, 'u0', ['i12'], { k: 5, include: ['i12', 'i20', 'i21'], foldIn: { steps: 2 } })).sort(), ['i20', 'i21']);
  assert.ok(ids(recommendForSession(m, 'u0', ['i12'], { k: 48, excludeSeen: false, foldIn: { steps: 2 } })).includes('i12'));
  // a user without history: the same as a new user with those items
  assert.deepEqual(recommendForSession(m, 'u7', ['i12'], { k: 5, foldIn: { steps: 5 } }).items, recommendForItems(m, ['i12'], { k: 5, foldIn: { steps: 5 } }).items);
  assert.throws(() => recommendForSession(m, 'nobody', ['i12']), code('UNKNOWN_USER'));
  assert.throws(() => recommendForSession(m, 'u0', ['nope']), code('UNKNOWN_ITEM'));
  assert.throws(() => recommendForSession(m, 'u0', []), code('BAD_OPTION'));
  assert.throws(() => recommendForSession({ ...m, seen: null }, 'u0', ['i12']), code('BAD_OPTION', /training interactions/));
});
