// similarItems: the documented measure per model kind, computed independently here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LrmlError } from '../src/errors.js';
import { similarItems } from '../src/recommend/index.js';
import { hasKind, syntheticTriplet, trainedModel, wrap } from './recommend-fixtures.js';

const code = (c: string) => (e: unknown) => e instanceof LrmlError && e.code === c;

test('LRML/CML: nearest items by Euclidean distance of (clipped) item vectors', () => {
  for (const clip of ['rows', 'lookup'] as const) {
    const model = syntheticTriplet('lrml', { clip });
    const m = wrap(model, null);
    const d = model.options.dim;
    const q = (i: number): number[] => {
      const v = Array.from(model.params.Q.subarray(i * d, (i + 1) * d));
      const n = Math.hypot(...v);
      return clip === 'lookup' && n > 1 ? v.map((x) => x / n) : v;
    };
    const s = similarItems(m, 'i5', { k: 6 });
    assert.equal(s.measure, 'euclidean');
    assert.equal(s.item, 'i5');
    const ref = Array.from({ length: model.numItems }, (_, j) => ({ j, dist: Math.hypot(...q(5).map((x, c) => x - q(j)[c])) }))
      .filter((x) => x.j !== 5)
      .sort((a, b) => a.dist - b.dist || a.j - b.j)
      .slice(0, 6);
    assert.deepEqual(s.items.map((x) => x.item), ref.map((x) => `i${x.j}`));
    s.items.forEach((x, r) => assert.ok(Math.abs(x.score + ref[r].dist) < 1e-5));
    // the planted clusters: item 5's neighbours are items 0..11
    for (const x of s.items) assert.ok(Number(x.item.slice(1)) < 12);
  }
});

test('BPR: cosine of item vectors; fixed shape; exclude; k larger than the catalogue', async () => {
  const m = await trainedModel('bpr');
  const Q = m.model.tensors().Q;
  const d = Q.shape[1];
  const row = (i: number) => Array.from(Q.data.subarray(i * d, (i + 1) * d));
  const cos = (a: number[], b: number[]) => a.reduce((s, x, c) => s + x * b[c], 0) / (Math.hypot(...a) * Math.hypot(...b));
  const s = similarItems(m, 'i3', { k: 5, exclude: ['i4'] });
  assert.equal(s.measure, 'cosine');
  const ref = Array.from({ length: m.model.numItems }, (_, j) => ({ j, c: cos(row(3), row(j)) }))
    .filter((x) => x.j !== 3 && x.j !== 4)
    .sort((a, b) => b.c - a.c || a.j - b.j)
    .slice(0, 5);
  assert.deepEqual(s.items.map((x) => x.item), ref.map((x) => `i${x.j}`));
  s.items.forEach((x, r) => assert.ok(Math.abs(x.score - ref[r].c) < 1e-5));
  const big = similarItems(m, 'i3', { k: 500 });
  assert.equal(big.items.length, m.model.numItems - 1);
  assert.equal(big.complete, false);
  assert.deepEqual(Object.keys(big).sort(), ['complete', 'item', 'items', 'k', 'measure']);
});

test('popularity: the most popular other items', async () => {
  const m = await trainedModel('pop');
  const counts = m.seen!.columnCounts();
  const s = similarItems(m, 'i0', { k: 4 });
  assert.equal(s.measure, 'popularity');
  const ref = Array.from(counts, (c, j) => ({ c, j })).filter((x) => x.j !== 0).sort((a, b) => b.c - a.c || a.j - b.j).slice(0, 4);
  assert.deepEqual(s.items.map((x) => x.item), ref.map((x) => `i${x.j}`));
});

test('EASE: B row weights', async (t) => {
  if (!hasKind('ease')) return t.skip('ease family not available yet');
  const m = await trainedModel('ease');
  const s = similarItems(m, 'i2', { k: 5 });
  assert.equal(s.measure, 'ease-weight');
  const n = m.model.numItems;
  const B = m.model.tensors().B.data;
  const ref = Array.from({ length: n }, (_, j) => ({ j, w: B[2 * n + j] })).filter((x) => x.j !== 2).sort((a, b) => b.w - a.w || a.j - b.j).slice(0, 5);
  assert.deepEqual(s.items.map((x) => x.item), ref.map((x) => `i${x.j}`));
});

test('iALS: cosine of item factors', async (t) => {
  if (!hasKind('ials')) return t.skip('ials family not available yet');
  const m = await trainedModel('ials');
  const Q = m.model.tensors().Q;
  const d = Q.shape[1];
  const row = (i: number) => Array.from(Q.data.subarray(i * d, (i + 1) * d));
  const cos = (a: number[], b: number[]) => a.reduce((s, x, c) => s + x * b[c], 0) / (Math.hypot(...a) * Math.hypot(...b));
  const s = similarItems(m, 'i9', { k: 3 });
  assert.equal(s.measure, 'cosine');
  const ref = Array.from({ length: m.model.numItems }, (_, j) => ({ j, c: cos(row(9), row(j)) })).filter((x) => x.j !== 9).sort((a, b) => b.c - a.c || a.j - b.j).slice(0, 3);
  assert.deepEqual(s.items.map((x) => x.item), ref.map((x) => `i${x.j}`));
});

test('errors: unknown item, bad k', async () => {
  const m = wrap(syntheticTriplet('cml'), null);
  assert.throws(() => similarItems(m, 'nope'), code('UNKNOWN_ITEM'));
  assert.throws(() => similarItems(m, 'i0', { k: 0 }), code('BAD_OPTION'));
  assert.throws(() => similarItems(m, 'i0', { k: 2.5 }), code('BAD_OPTION'));
  assert.throws(() => similarItems(m, 'i0', { k: 1e6 }), code('BAD_OPTION'));
});
