import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProbeResult, RelationAnalysis } from '../src/analyze/types.js';
import { analysisReport } from '../src/report/analysis.js';
import { htmlReport, reportData, writeReport } from '../src/report/html.js';

function probe(target: string, auc: number): ProbeResult {
  return {
    target, description: `${target} high vs low`, n: 400, positives: 180, majorityRate: 0.55, folds: 5,
    scores: { relation: { accuracy: 0.6, auc, aucStd: 0.02 }, joint: { accuracy: 0.58, auc: auc - 0.05, aucStd: 0.03 }, random: { accuracy: 0.55, auc: 0.5, aucStd: 0.04 } },
  };
}

/** A hand-made analysis: ratings and genres on some points, no time; 4 slots. */
function analysis(): RelationAnalysis {
  const genres = ['Drama', 'Comedy', 'Action'];
  return {
    model: { kind: 'lrml', dim: 8, numMemories: 4, numUsers: 50, numItems: 40 },
    pairs: 30, skippedPairs: 2, seed: 7,
    probes: [probe('rating', 0.71), probe('genre:Drama', 0.64)],
    projection: {
      method: 'pca', explainedVariance: [0.4, 0.15],
      points: Array.from({ length: 30 }, (_, t) => ({
        x: Math.cos(t), y: Math.sin(2 * t), user: `u${t % 5}`, item: `i${t}`,
        ...(t < 20 ? { rating: 1 + (t % 5) } : {}),
        ...(t % 2 === 0 ? { genre: genres[t % 3] } : {}),
      })),
    },
    attention: {
      numMemories: 4, meanBySlot: [0.4, 0.3, 0.2, 0.1], argmaxShare: [0.5, 0.3, 0.2, 0],
      normalizedEntropy: Float64Array.from({ length: 30 }, (_, t) => 0.5 + t / 100),
      maxWeight: Float64Array.from({ length: 30 }, (_, t) => 0.3 + t / 100),
    },
    slots: [
      { slot: 0, items: [{ id: 'i1', title: 'Alien <1979>', weight: 0.61, pairs: 3 }, { id: 'i2', weight: 0.5, pairs: 2 }] },
      { slot: 2, items: [{ id: 'i9', weight: 0.33, pairs: 1 }] },
    ],
    notes: ['no timestamps: time probe skipped'],
  };
}

test('analysisReport: probe table and AUC chart, PCA scatters only for known labels, attention charts, slot table, notes', async () => {
  const report = await analysisReport(analysis(), { modelFile: 'm.lrml' });
  const figures = report.sections.flatMap((s) => s.figures ?? []);
  assert.deepEqual(figures.map((f) => f.name), ['probe-auc', 'pca-rating', 'pca-genre', 'attention-by-slot', 'attention-entropy', 'attention-max-weight']);
  const data = reportData(report);
  assert.equal((data.figures['pca-rating'].data as unknown[]).length, 20);
  assert.equal((data.figures['pca-genre'].data as unknown[]).length, 15);
  assert.match(figures[1].svg, />PC1 \(40\.0% of variance\)</);
  assert.match(figures[1].svg, />PC2 \(15\.0% of variance\)</);
  assert.match(figures[2].svg, />Comedy</);
  const auc = data.figures['probe-auc'].data as { group: string; series: string; value: number; lo: number; hi: number }[];
  assert.equal(auc.length, 6);
  const rel = auc.find((x) => x.group === 'rating' && x.series.startsWith('relation'));
  assert.deepEqual([rel?.value, rel?.lo, rel?.hi], [0.71, 0.71 - 0.02, 0.71 + 0.02]);
  assert.match(figures[0].svg, />chance</);
  assert.match(figures[3].svg, />uniform 1\/N</);
  assert.equal((data.figures['attention-entropy'].data as { count: number }[]).reduce((s, x) => s + x.count, 0), 30);

  const probes = data.tables.find((t) => t.caption === 'Probe results');
  assert.deepEqual(probes?.rows[0].slice(0, 6), ['rating', 'rating high vs low', 400, 180, '0.550', 5]);
  assert.equal(probes?.rows[0][7], '0.710 ± 0.020');
  const slots = data.tables.find((t) => t.caption.startsWith('Memory slots'));
  assert.equal(slots?.rows.length, 4);
  assert.equal(slots?.rows[0][3], 'Alien <1979> (i1) 0.610; i2 0.500');
  assert.equal(slots?.rows[1][3], '–');

  const html = htmlReport(report);
  assert.match(html, /Alien &lt;1979&gt; \(i1\)/);
  assert.match(html, /no timestamps: time probe skipped/);
  assert.match(html, /2 pairs of the data skipped/);
  assert.doesNotMatch(html, /<script/);

  const dir = mkdtempSync(join(tmpdir(), 'lrml-analysis-report-'));
  try {
    const w = await writeReport(dir, report, { png: false });
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.svg')).sort(), figures.map((f) => `${f.name}.svg`).sort());
    assert.equal(JSON.parse(readFileSync(join(dir, 'data.json'), 'utf8')).details.seed, 7);
    assert.ok(w.files.includes(w.index));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('analysisReport: no labels on the points means no scatter (and a sentence saying so); no probes is said too', async () => {
  const a = analysis();
  a.projection.points = a.projection.points.map(({ x, y, user, item }) => ({ x, y, user, item }));
  a.probes = [];
  a.notes = [];
  const report = await analysisReport(a);
  const names = report.sections.flatMap((s) => s.figures ?? []).map((f) => f.name);
  assert.ok(!names.some((n) => n.startsWith('pca-')), names.join(','));
  assert.ok(!names.includes('probe-auc'));
  const html = htmlReport(report);
  assert.match(html, /No rating, time or genre labels for the 30 projected pairs/);
  assert.match(html, /No probe could be run/);
  assert.doesNotMatch(html, /<h2>Notes<\/h2>/);
  // a time label alone gives exactly the time scatter
  a.projection.points = a.projection.points.map((p, t) => ({ ...p, time: t / 29 }));
  const withTime = await analysisReport(a);
  assert.deepEqual(withTime.sections.flatMap((s) => s.figures ?? []).map((f) => f.name).filter((n) => n.startsWith('pca-')), ['pca-time']);
});
