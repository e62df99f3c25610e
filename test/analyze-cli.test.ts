// `lrml analyze` end to end on tiny generated data: probes, notes, report folder, JSON shape, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../src/cli/main.js';
import { LrmlError } from '../src/errors.js';
import { Rng } from '../src/rng.js';
import { captureOutput, plantedDataset } from './helpers.js';

const cli = (...args: string[]) => captureOutput(() => buildProgram().exitOverride().parseAsync(['node', 'lrml', ...args]));

/** Ratings with timestamps (user,item,rating,timestamp) and a movies.csv with two genres. */
function writeData(dir: string): void {
  const d = plantedDataset(3, 80, 40, 4, 8);
  const rng = new Rng(7);
  const lines = ['userId,movieId,rating,timestamp'];
  for (let u = 0; u < d.numUsers; u++) {
    let t = 1000;
    for (const i of d.train.row(u)) lines.push(`${u + 1},${i + 1},${1 + rng.int(5)},${(t += 1 + rng.int(50))}`);
  }
  writeFileSync(join(dir, 'ratings.csv'), `${lines.join('\n')}\n`);
  const movies = ['movieId,title,genres'];
  for (let i = 0; i < d.numItems; i++) movies.push(`${i + 1},"Movie ${i}, The (2000)",${i % 2 === 0 ? 'Drama' : 'Comedy|Drama'}`);
  writeFileSync(join(dir, 'movies.csv'), `${movies.join('\n')}\n`);
}

test('lrml analyze: probes, attention and a self-contained report on tiny data', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrml-analyze-cli-'));
  try {
    writeData(dir);
    const p = (f: string) => join(dir, f);
    await cli('train', '--data', p('ratings.csv'), '--model', 'lrml', '--out', p('m.lrml'), '--epochs', '2', '--dim', '8', '--memories', '3', '--seed', '1', '--quiet');
    const out = JSON.parse((await cli('analyze', '--model', p('m.lrml'), '--data', p('ratings.csv'), '--items', p('movies.csv'),
      '--out', p('report'), '--no-png', '--genres', '2', '--json')).stdout);
    assert.deepEqual(out.probes.map((x: { target: string }) => x.target), ['rating', 'time', 'genre:Comedy']);
    for (const pr of out.probes) {
      for (const f of ['relation', 'joint', 'random']) assert.ok(pr.scores[f].auc >= 0 && pr.scores[f].auc <= 1, `${pr.target} ${f}`);
      assert.ok(pr.majorityRate >= 0.5 && pr.majorityRate <= 1);
    }
    assert.equal(out.attention.meanBySlot.length, 3);
    assert.ok(Math.abs(out.attention.meanBySlot.reduce((s: number, v: number) => s + v, 0) - 1) < 1e-9);
    assert.equal(out.attention.normalizedEntropy, undefined); // per-pair arrays stay out of --json
    assert.equal(typeof out.projection.points, 'number');
    assert.ok(out.notes.some((n: string) => /users file/.test(n)), out.notes.join('; '));
    assert.equal(out.report, p('report/index.html'));
    const files = readdirSync(p('report'));
    for (const f of ['index.html', 'data.json', 'analysis.json', 'probe-auc.svg']) assert.ok(files.includes(f), `${f} in ${files.join(',')}`);
    assert.ok(files.every((f) => !f.endsWith('.tmp') && !f.endsWith('.png')), files.join(','));
    const full = JSON.parse(readFileSync(p('report/analysis.json'), 'utf8'));
    assert.equal(full.attention.normalizedEntropy.length, full.pairs);
    assert.doesNotMatch(readFileSync(p('report/index.html'), 'utf8'), /<script/i);

    const text = (await cli('analyze', '--model', p('m.lrml'), '--data', p('ratings.csv'), '--quiet')).stdout;
    assert.match(text, /probe\s+pairs\s+positive/);
    assert.match(text, /note: no items file/);

    await cli('train', '--data', p('ratings.csv'), '--family', 'pop', '--out', p('pop.lrml'), '--quiet');
    await assert.rejects(cli('analyze', '--model', p('pop.lrml'), '--data', p('ratings.csv')), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /pop/.test(e.message));
    await assert.rejects(cli('analyze', '--model', p('m.lrml'), '--data', p('ratings.csv'), '--lambda', '0', '--quiet'),
      (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /^--lambda: /.test(e.message));
    await assert.rejects(cli('analyze', '--model', p('m.lrml'), '--data', p('ratings.csv'), '--data-ids', 'both'), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /--data-ids/.test(e.message));
    assert.ok(!existsSync(p('nothing')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
