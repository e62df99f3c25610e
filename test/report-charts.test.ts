import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LrmlError } from '../src/errors.js';
import {
  barChart, groupedBarChart, histogram, lineChart, pngSupport, prefixSvgIds, renderPng, renderSvg, scatterChart,
} from '../src/report/charts.js';

const line = () => lineChart({
  title: 'Training loss', xTitle: 'epoch', yTitle: 'mean loss', integerX: true,
  series: [{ name: 'loss', points: [1, 2, 3, 4].map((x) => ({ x, y: 1 / x })) }],
  markers: [{ at: 3, label: 'best epoch 3' }],
});

test('renderSvg: an SVG with titles, axis titles, markers and <title> tooltips; the same input gives the same bytes', async () => {
  const a = await renderSvg(line().spec);
  const b = await renderSvg(line().spec);
  // a different chart in between must not shift vega's global id counters into the output
  await renderSvg(barChart({ title: 'x', xTitle: 'a', yTitle: 'b', bars: [{ label: 'p', value: 1, lo: 0.5, hi: 1.5 }] }).spec);
  const c = await renderSvg(line().spec);
  assert.match(a, /^<svg[^>]*width="\d+"/);
  assert.equal(a, b);
  assert.equal(a, c);
  assert.match(a, />Training loss</);
  assert.match(a, />epoch</);
  assert.match(a, />mean loss</);
  assert.match(a, />best epoch 3</);
  assert.match(a, /<title>epoch 2: mean loss 0\.5<\/title>/);
  assert.doesNotMatch(a, /<script/);
  // vega numbers gradients and clip paths with process-wide counters: renumbered from 0, every
  // url(#…) reference still points at a definition, and the bytes repeat
  const colour = () => scatterChart({ title: 's', xTitle: 'a', yTitle: 'b', color: { title: 'rating', type: 'quantitative' }, points: [{ x: 0, y: 0, color: 1 }, { x: 1, y: 1, color: 5 }] });
  const s1 = await renderSvg(colour().spec);
  const s2 = await renderSvg(colour().spec);
  assert.equal(s1, s2);
  const ids = [...s1.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(ids.length > 0);
  assert.ok(ids.every((id) => /^lrml-\d+$/.test(id)), ids.join(','));
  const refs = [...s1.matchAll(/url\(#([^)]+)\)/g)].map((m) => m[1]);
  assert.ok(refs.length > 0);
  for (const ref of refs) assert.ok(ids.includes(ref), ref);
});

test('prefixSvgIds renames definitions and references consistently', () => {
  const svg = '<svg><defs><clipPath id="clip9"><rect/></clipPath><linearGradient id="g_3"/></defs><g clip-path="url(#clip9)" fill="url(#g_3)"/><use href="#clip9"/></svg>';
  assert.equal(prefixSvgIds(svg, 'f-'), '<svg><defs><clipPath id="f-0"><rect/></clipPath><linearGradient id="f-1"/></defs><g clip-path="url(#f-0)" fill="url(#f-1)"/><use href="#f-0"/></svg>');
});

test('histogram: equal-width bins over the domain; values outside are not counted and are said so', async () => {
  const h = histogram({ title: 'h', xTitle: 'v', domain: [0, 1], bins: 4, series: [{ name: 's', values: [0, 0.1, 0.25, 0.5, 0.74, 1, 1.5, NaN] }] });
  assert.deepEqual(h.data.map((d) => d.count), [2, 1, 2, 1]);
  assert.deepEqual(h.data.map((d) => d.start), [0, 0.25, 0.5, 0.75]);
  const svg = await renderSvg(h.spec);
  assert.match(svg, /2 values outside \[0, 1\] or not finite, not counted/);
  const two = histogram({ title: 'h', xTitle: 'v', bins: 2, series: [{ name: 'a', values: [0, 1] }, { name: 'b', values: [0, 0, 0, 1] }] });
  assert.deepEqual(two.data.map((d) => [d.series, d.share]), [['a', 0.5], ['a', 0.5], ['b', 0.75], ['b', 0.25]]);
  assert.match(await renderSvg(two.spec), />share</);
  assert.throws(() => histogram({ title: 'h', xTitle: 'v', bins: 0, series: [{ name: 's', values: [1] }] }), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /bins/.test(e.message));
  assert.throws(() => histogram({ title: 'h', xTitle: 'v', domain: [1, 1], series: [{ name: 's', values: [1] }] }), /invalid domain/);
  assert.throws(() => histogram({ title: 'h', xTitle: 'v', series: [] }), /no series/);
});

test('scatter, bar and grouped bar charts render with legends, error bars and reference lines', async () => {
  const sc = scatterChart({
    title: 'PCA', xTitle: 'PC1 (40.0% of variance)', yTitle: 'PC2 (10.0% of variance)', color: { title: 'genre', type: 'nominal' },
    points: [{ x: 0, y: 1, color: 'Drama', tooltip: { item: 'i<1>' } }, { x: 1, y: 0, color: 'Comedy' }, { x: NaN, y: 0, color: 'Drama' }],
  });
  assert.equal(sc.data.length, 2);
  const s = await renderSvg(sc.spec);
  assert.match(s, />Comedy</);
  assert.match(s, />PC1 \(40\.0% of variance\)</);
  assert.match(s, /<title>[^<]*item: i&lt;1&gt;<\/title>/);
  const q = await renderSvg(scatterChart({ title: 'q', xTitle: 'a', yTitle: 'b', color: { title: 'rating', type: 'quantitative' }, points: [{ x: 0, y: 0, color: 1 }, { x: 1, y: 1, color: 5 }] }).spec);
  assert.match(q, />rating</);

  const b = await renderSvg(barChart({
    title: 'Attention', xTitle: 'slot', yTitle: 'mean weight', markers: [{ at: 0.25, label: 'uniform 1/N' }],
    bars: [0, 1, 2, 3].map((i) => ({ label: String(i), value: [0.4, 0.3, 0.2, 0.1][i], lo: 0.05, hi: 0.45 })),
  }).spec);
  assert.match(b, />uniform 1\/N</);
  assert.match(b, /<title>slot 0: 0\.4 \[0\.05, 0\.45\]<\/title>/);

  const g = groupedBarChart({
    title: 'AUC', groupTitle: 'target', seriesTitle: 'features', yTitle: 'AUC', yDomain: [0, 1], markers: [{ at: 0.5, label: 'chance' }],
    bars: ['rating', 'time'].flatMap((t) => ['relation', 'random'].map((f) => ({ group: t, series: f, value: 0.6, lo: 0.55, hi: 0.65 }))),
  });
  assert.equal(g.data.length, 4);
  const gs = await renderSvg(g.spec);
  assert.match(gs, />relation</);
  assert.match(gs, />chance</);
  assert.match(gs, /<title>time, random: 0\.6 \[0\.55, 0\.65\]<\/title>/);
  assert.throws(() => barChart({ title: 'x', xTitle: 'a', yTitle: 'b', bars: [], markers: [{ at: NaN, label: 'm' }] }), /invalid marker "m"/);
  assert.throws(() => lineChart({ title: 'x', xTitle: 'a', yTitle: 'b', series: [], width: 0 }), (e: unknown) => e instanceof LrmlError && /invalid width/.test(e.message));
});

test('renderPng: a PNG when @resvg/resvg-js loads, else null with a reason; never throws for a missing renderer', async () => {
  const support = await pngSupport();
  const png = await renderPng(await renderSvg(line().spec), { scale: 1 });
  if (support.available) {
    assert.ok(png !== null);
    assert.deepEqual(Array.from(png.subarray(0, 8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  } else {
    assert.equal(png, null);
    assert.match(support.reason ?? '', /resvg/);
  }
  await assert.rejects(renderPng('<svg/>', { scale: 0 }), /invalid scale/);
});
