import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../src/cli/main.js';
import { LrmlError } from '../src/errors.js';
import { captureOutput, plantedDataset } from './helpers.js';

/** Tiny train / held-out files with string ids. */
function writeData(dir: string): void {
  const d = plantedDataset(2, 60, 30, 3, 8);
  const train: string[] = [];
  for (let u = 0; u < d.numUsers; u++) for (const i of d.train.row(u)) train.push(`u${u}\ti${i}`);
  writeFileSync(join(dir, 'train.tsv'), `${train.join('\n')}\n`);
  writeFileSync(join(dir, 'test.tsv'), `${Array.from(d.heldOut, (i, u) => `u${u}\ti${i}`).join('\n')}\n`);
}

const cli = (...args: string[]) => captureOutput(() => buildProgram().exitOverride().parseAsync(['node', 'lrml', ...args]));

/** Either every figure has a PNG next to its SVG, or index.html says why PNGs are unavailable. */
function assertPngOrNote(dir: string): void {
  const files = readdirSync(dir);
  const svgs = files.filter((f) => f.endsWith('.svg'));
  assert.ok(svgs.length > 0);
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  if (files.some((f) => f.endsWith('.png'))) {
    for (const s of svgs) assert.ok(files.includes(s.replace(/\.svg$/, '.png')), s);
  } else {
    assert.match(html, /PNG unavailable: /);
  }
  assert.ok(files.every((f) => !f.endsWith('.tmp')), files.join(','));
  assert.doesNotMatch(html, /<script/i);
}

test('lrml train --report and lrml evaluate --report --compare write self-contained reports', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrml-report-cli-'));
  try {
    writeData(dir);
    const p = (f: string) => join(dir, f);
    const trained = await cli('train', '--data', p('train.tsv'), '--model', 'lrml', '--out', p('a.lrml'), '--epochs', '3', '--dim', '8', '--memories', '2',
      '--valid', p('test.tsv'), '--valid-sampled', '10', '--seed', '1', '--threads', '1', '--report', p('train-report'), '--quiet');
    assert.match(trained.stdout, new RegExp(`report written to ${p('train-report').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/index\\.html`));
    const tdata = JSON.parse(readFileSync(p('train-report/data.json'), 'utf8'));
    assert.equal(tdata.figures.loss.data.length, 3);
    assert.equal(tdata.figures['validation-ndcg-10'].data.length, 3);
    assert.match(readFileSync(p('train-report/index.html'), 'utf8'), /10 sampled negatives/);
    assertPngOrNote(p('train-report'));

    const popRun = await cli('train', '--data', p('train.tsv'), '--model', 'pop', '--out', p('pop.lrml'), '--json');
    const pop = JSON.parse(popRun.stdout);
    assert.equal(pop.report, null);
    // the columns read (and any ignored) on stderr, stdout left to the JSON
    assert.match(popRun.stderr, /train\.tsv: ncf-pairs, no header, columns: user=user, item=item\nlines: \d+ lines read/);

    const base = ['evaluate', '--model', p('a.lrml'), '--train', p('train.tsv'), '--test', p('test.tsv'), '--sampled', '10', '--bootstrap', '30', '--threads', '1'];
    const plain = JSON.parse((await cli(...base, '--json')).stdout);
    assert.deepEqual(plain.comparisons, []);
    assert.equal(plain.report, null);

    const out = JSON.parse((await cli(...base, '--compare', p('pop.lrml'), '--report', p('eval-report'), '--json')).stdout);
    assert.equal(out.report, p('eval-report/index.html'));
    assert.equal(out['hits@10'], plain['hits@10']); // comparing does not change the reference's numbers
    assert.equal(out.comparisons.length, 1);
    const c = out.comparisons[0];
    assert.equal(c.model, p('pop.lrml'));
    assert.equal(c.sameIdMaps, true);
    assert.equal(c.differences.users, out.users);
    assert.ok(Math.abs(c.differences.metrics['hits@10'].diff - (out['hits@10'] - c.metrics['hits@10'])) < 1e-12);
    const edata = JSON.parse(readFileSync(p('eval-report/data.json'), 'utf8'));
    assert.deepEqual(Object.keys(edata.figures), ['metrics', 'differences', 'per-user-ndcg-10', 'per-user-rank']);
    assert.match(readFileSync(p('eval-report/index.html'), 'utf8'), /Paired differences/);
    assertPngOrNote(p('eval-report'));

    const text = await cli(...base, '--compare', p('pop.lrml'), '--compare', p('pop.lrml'));
    assert.match(text.stdout, /models: .*a\.lrml \(reference\), .*pop\.lrml, .*pop\.lrml/);
    assert.match(text.stdout, /paired differences: reference − model/);
    assert.match(text.stdout, /pop\.lrml\s+hits@10\s+\d\.\d{4}/);

    await assert.rejects(cli(...base, '--compare', p('pop.lrml'), '--bootstrap', '0'), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /--compare/.test(e.message));
    await assert.rejects(cli(...base, '--compare', p('missing.lrml')), (e: unknown) => e instanceof LrmlError && e.code === 'FILE_NOT_FOUND');
    assert.ok(!existsSync(p('missing.lrml')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
