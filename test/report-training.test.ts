import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrainReport } from '../src/models/types.js';
import { htmlReport, writeReport } from '../src/report/html.js';
import { figureName, trainingReport } from '../src/report/training.js';

/** Seven epochs, validation every other epoch (2, 4, 6) and at the end (7); best at 4; stopped early. */
const trainReport: TrainReport = {
  epochs: [1, 2, 3, 4, 5, 6, 7].map((e) => ({
    epoch: e,
    loss: 1 / e,
    seconds: 0.5,
    perSecond: 1000 + e,
    ...(e % 2 === 0 || e === 7 ? { validation: { 'hits@10': ({ 2: 0.52, 4: 0.61, 6: 0.56, 7: 0.57 } as Record<number, number>)[e], 'ndcg@10': e === 4 ? 0.4 : 0.3 } } : {}),
  })),
  bestEpoch: 4,
  bestValidation: { 'hits@10': 0.61, 'ndcg@10': 0.4 },
  stoppedEarly: true,
  seconds: 3.5,
};

test('trainingReport: a loss curve with one point per epoch, one curve per validation metric with the best epoch marked', async () => {
  const report = await trainingReport({
    kind: 'lrml', options: { dim: 8, margin: 0.5, optimizer: 'adam', nested: { a: 1 } }, report: trainReport,
    data: { file: 'ratings.csv', users: 30, items: 20, interactions: 300, summary: { format: 'csv', kept: 300, columns: { user: 0 } } },
    validation: 'valid.tsv (100 sampled negatives); monitor ndcg@10',
  });
  const figures = report.sections.flatMap((s) => s.figures ?? []);
  assert.deepEqual(figures.map((f) => f.name), ['loss', 'validation-hits-10', 'validation-ndcg-10']);
  for (const f of figures) assert.match(f.svg, />best epoch 4</);
  const html = htmlReport(report);
  assert.match(html, /stopped early/);
  assert.match(html, /<td>nested<\/td><td>\{&quot;a&quot;:1\}<\/td>/);
  assert.match(html, /not test scores/);

  const dir = mkdtempSync(join(tmpdir(), 'lrml-train-report-'));
  try {
    await writeReport(dir, report, { png: false });
    const data = JSON.parse(readFileSync(join(dir, 'data.json'), 'utf8'));
    assert.equal(data.figures.loss.data.length, 7);
    assert.deepEqual(data.figures.loss.data.map((d: { x: number }) => d.x), [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(data.figures.loss.data[3].y, 0.25);
    assert.deepEqual(data.figures['validation-hits-10'].data.map((d: { x: number; y: number }) => [d.x, d.y]), [[2, 0.52], [4, 0.61], [6, 0.56], [7, 0.57]]);
    const epochs = data.tables.find((t: { caption: string }) => t.caption === 'Epochs');
    assert.deepEqual(epochs.columns, ['epoch', 'loss', 'seconds', 'per second', 'hits@10', 'ndcg@10', 'best']);
    assert.equal(epochs.rows.length, 7);
    assert.deepEqual(epochs.rows[3].slice(-1), ['best']);
    assert.equal(epochs.rows[0][4], null); // no validation at epoch 1
    assert.equal(data.details.train.bestEpoch, 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('trainingReport without validation: only the loss curve, no best-epoch marker; no epochs: no figure', async () => {
  const plain: TrainReport = { epochs: trainReport.epochs.map(({ validation: _v, ...e }) => e), bestEpoch: 7, stoppedEarly: false, seconds: 3.5 };
  const r = await trainingReport({ kind: 'cml', options: {}, report: plain });
  const figures = r.sections.flatMap((s) => s.figures ?? []);
  assert.deepEqual(figures.map((f) => f.name), ['loss']);
  assert.doesNotMatch(figures[0].svg, /best epoch/);
  const empty = await trainingReport({ kind: 'pop', options: {}, report: { epochs: [], bestEpoch: 0, stoppedEarly: false, seconds: 0 } });
  assert.equal(empty.sections.flatMap((s) => s.figures ?? []).length, 0);
  assert.match(htmlReport(empty), /No epochs were recorded/);
  const taken = new Set<string>(['loss']);
  assert.equal(figureName('validation', 'ndcg@10', taken), 'validation-ndcg-10');
  assert.equal(figureName('validation', 'ndcg-10', taken), 'validation-ndcg-10-2');
  assert.equal(figureName('x', '@@', taken), 'x-metric');
});
