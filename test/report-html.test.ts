import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LrmlError } from '../src/errors.js';
import { histogram, pngSupport, scatterChart } from '../src/report/charts.js';
import { escapeHtml, figure, formatCell, htmlReport, writeReport } from '../src/report/html.js';
import type { Report } from '../src/report/html.js';

async function sample(title = 'Run <1> & "friends"'): Promise<Report> {
  const scatter = () => scatterChart({
    title: 'PCA', xTitle: 'PC1', yTitle: 'PC2', color: { title: 'rating', type: 'quantitative' },
    points: [{ x: 0, y: 0, color: 1 }, { x: 1, y: 2, color: 5 }, { x: 2, y: 1, color: 3 }],
  });
  return {
    title,
    subtitle: 'tiny <data>',
    sections: [
      { heading: 'One', text: ['first <p>aragraph', 'second'], figures: [await figure('pca-a', 'caption <a>', scatter())] },
      {
        heading: 'Two',
        figures: [
          await figure('pca-b', 'same chart again', scatter()),
          await figure('hist', 'a histogram', histogram({ title: 'h', xTitle: 'v', bins: 3, series: [{ name: 's', values: [1, 2, 3, 3] }] })),
        ],
        tables: [{ caption: 'T <1>', columns: ['name', 'value', 'interval'], rows: [['a<b', 0.123456, '[0.1000, 0.2000]'], ['c', 3, null]] }],
      },
      { heading: 'Three' },
    ],
    footer: 'made by <lrml>',
    details: { seed: 7, vec: Float64Array.of(1, 2) },
  };
}

test('htmlReport: one self-contained page (no script, no external URL), text escaped, figure ids unique', async () => {
  const html = htmlReport(await sample());
  assert.match(html, /^<!DOCTYPE html>/);
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /(src|href)\s*=\s*["']?\s*(https?:|\/\/)/i);
  assert.doesNotMatch(html, /url\(\s*["']?\s*(https?:|\/\/)/i);
  assert.doesNotMatch(html, /<link\b/i);
  assert.doesNotMatch(html, /http/i); // not even SVG namespaces: inline SVG needs none in HTML
  assert.match(html, /<title>Run &lt;1&gt; &amp; &quot;friends&quot;<\/title>/);
  assert.match(html, /<h1>Run &lt;1&gt; &amp; &quot;friends&quot;<\/h1>/);
  assert.doesNotMatch(html, /<1>|<data>|<lrml>|<p>aragraph|a<b/);
  assert.match(html, /<p>first &lt;p&gt;aragraph<\/p>/);
  assert.match(html, /<td class="num">0\.1235<\/td>/);
  assert.match(html, /<td>–<\/td>/);
  assert.match(html, /<td class="num">\[0\.1000, 0\.2000\]<\/td>/);
  assert.equal((html.match(/<svg/g) ?? []).length, 3);
  assert.equal((html.match(/<section/g) ?? []).length, 3);
  assert.match(html, /<nav>/);
  const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(new Set(ids).size, ids.length, 'duplicate ids');
  for (const ref of html.matchAll(/url\(#([^)]+)\)/g)) assert.ok(ids.includes(ref[1]), ref[1]);
  assert.ok(ids.some((id) => id.startsWith('pca-a-')) && ids.some((id) => id.startsWith('pca-b-')));
});

test('htmlReport refuses bad names, repeated names, ragged tables and SVGs with script or external references', async () => {
  const base = await sample();
  const fig = base.sections[0].figures![0];
  const with_ = (figures: typeof base.sections[0]['figures'], tables: typeof base.sections[0]['tables'] = []): Report => ({ title: 't', sections: [{ heading: 'h', figures, tables }] });
  const bad = (r: Report, re: RegExp) => assert.throws(() => htmlReport(r), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && re.test(e.message));
  bad(with_([{ ...fig, name: '../x' }]), /invalid figure name: "\.\.\/x"/);
  bad(with_([fig, { ...fig }]), /used twice/);
  bad(with_([{ ...fig, svg: '<svg><script>alert(1)</script></svg>' }]), /script/);
  bad(with_([{ ...fig, svg: '<svg><image href="https://example.com/x.png"/></svg>' }]), /external/);
  bad(with_([{ ...fig, svg: '<svg onload="x()"></svg>' }]), /event handlers/);
  bad(with_([], [{ caption: 'c', columns: ['a', 'b'], rows: [[1]] }]), /row 1: 1 cells for 2 columns/);
  bad({ title: ' ', sections: [] }, /title/);
  assert.equal(escapeHtml(`<a href='x'>&</a>`), '&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;');
  assert.equal(formatCell(2), '2');
  assert.equal(formatCell(0.000123456), '0.0001235');
  assert.equal(formatCell(NaN), '–');
});

test('writeReport: index.html, one SVG (+ PNG) per figure and data.json, atomically (no temp files left)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrml-report-'));
  try {
    const out = join(dir, 'nested', 'report');
    const report = await sample();
    const w = await writeReport(out, report);
    const files = readdirSync(out).sort();
    assert.equal(w.index, join(out, 'index.html'));
    assert.equal(w.files.at(-1), w.index);
    assert.ok(files.every((f) => !f.endsWith('.tmp')), files.join(','));
    for (const f of ['index.html', 'data.json', 'pca-a.svg', 'pca-b.svg', 'hist.svg']) assert.ok(files.includes(f), f);
    const html = readFileSync(w.index, 'utf8');
    const support = await pngSupport();
    // either every figure has its PNG, or the page says why there is none: never both absent
    if (existsSync(join(out, 'hist.png'))) {
      assert.ok(support.available);
      assert.equal(w.png.written, 3);
      assert.equal(w.png.unavailable, null);
      assert.match(html, /NAME\.svg and NAME\.png/);
      assert.deepEqual([...readFileSync(join(out, 'pca-a.png')).subarray(1, 4)], [0x50, 0x4e, 0x47]);
    } else {
      assert.match(html, /PNG unavailable: /);
      assert.notEqual(w.png.unavailable, null);
    }
    assert.equal(readFileSync(join(out, 'pca-a.svg'), 'utf8'), report.sections[0].figures![0].svg);
    const data = JSON.parse(readFileSync(join(out, 'data.json'), 'utf8'));
    assert.equal(data.title, report.title);
    assert.deepEqual(Object.keys(data.figures), ['pca-a', 'pca-b', 'hist']);
    assert.deepEqual(data.figures.hist.data.map((d: { count: number }) => d.count), [1, 1, 2]);
    assert.deepEqual(data.tables[0].rows[0], ['a<b', 0.123456, '[0.1000, 0.2000]']);
    assert.deepEqual(data.details.vec, [1, 2]);

    // without PNGs: the page says so and no PNG is written
    const out2 = join(dir, 'nopng');
    const w2 = await writeReport(out2, report, { png: false });
    assert.equal(w2.png.written, 0);
    assert.match(readFileSync(w2.index, 'utf8'), /PNG unavailable: PNG copies not asked for/);
    assert.ok(readdirSync(out2).every((f) => !f.endsWith('.png') && !f.endsWith('.tmp')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
