import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { addModelOptions, familyFromCli, modelOptionsFromCli } from '../src/cli/commands/train.js';
import { LRML_DEFAULTS, LRML_PAPER_CODE, resolveTripletOptions } from '../src/models/triplet.js';
import { LrmlError } from '../src/errors.js';
import { runCli } from './helpers.js';

function parse(...args: string[]): Record<string, unknown> {
  const c = addModelOptions(new Command()).exitOverride();
  c.parse(['node', 'lrml', ...args]);
  return c.opts();
}

test('train flags: only the options given reach the model; --clip-memory / --no-clip-memory / neither', () => {
  assert.deepEqual(modelOptionsFromCli('lrml', parse()), {});
  assert.deepEqual(modelOptionsFromCli('lrml', parse('--clip-memory')), { clipMemory: true });
  assert.deepEqual(modelOptionsFromCli('lrml', parse('--no-clip-memory')), { clipMemory: false });
  assert.deepEqual(modelOptionsFromCli('lrml', parse('--max-key-norm', '10')), { maxKeyNorm: 10 });
  assert.throws(() => resolveTripletOptions({ maxKeyNorm: 0 }, LRML_DEFAULTS), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /maxKeyNorm/.test(e.message));
  assert.deepEqual(modelOptionsFromCli('lrml', parse('--memories', '8', '--learning-rate', '0.01', '--set', 'temperature=0.5')), {
    numMemories: 8, learningRate: 0.01, temperature: 0.5,
  });
});

test('train flags: presets apply first, explicit flags override them; unknown presets are refused', () => {
  const o = modelOptionsFromCli('lrml', parse('--preset', 'paper-code', '--epochs', '3'));
  assert.equal(o.negativeRelation, LRML_PAPER_CODE.negativeRelation);
  assert.equal(o.epochs, 3);
  assert.throws(() => modelOptionsFromCli('lrml', parse('--preset', 'nope')), (e: unknown) => e instanceof LrmlError && /unknown preset "nope" for lrml \(known: paper-code, hinge, fast, blocks, per-positive\)/.test(e.message));
  assert.throws(() => modelOptionsFromCli('lrml', parse('--dim', 'abc')), /--dim: "abc" is not an integer/);
});

test('train --family names the family; --model is its older spelling; both disagreeing is BAD_OPTION', () => {
  assert.equal(familyFromCli({}), 'lrml');
  assert.equal(familyFromCli({ family: 'cml' }), 'cml');
  assert.equal(familyFromCli({ model: 'bpr' }), 'bpr');
  assert.equal(familyFromCli({ family: 'ease', model: 'ease' }), 'ease');
  assert.throws(() => familyFromCli({ family: 'ease', model: 'ials' }), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /--family ease and --model ials disagree/.test(e.message));
});

test('train --help: --threads says what it does per family (Hogwild only for lrml, cml; ease the same weights for any count)', async () => {
  const r = await runCli('train', '--help');
  const line = /--threads <n>([\s\S]*?)\n {2}--/.exec(r.stdout)?.[1].replace(/\s+/g, ' ') ?? '';
  assert.match(line, /lrml, cml: worker threads of the training \(> 1: Hogwild, not deterministic\); ease: threads of the inverse \(default: one per core; the same weights for any count\)/);
  assert.doesNotMatch(line, /auto/, '--threads takes an integer: the help does not offer `auto`');
  assert.doesNotMatch(line, /ials|bpr/, 'families without threads are not named');
});

test("train says when --negative-sharing auto shares the negatives: within users' blocks always (lrml's default), consecutive positives on a catalogue of ≥ batch × (1 + negatives) / 2 items", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrml-share-'));
  try {
    const data = join(dir, 'd.tsv');
    // 40 items: 4 negatives over batches of 16 positives (80 sides) share, over batches of 32 (160) do not
    writeFileSync(data, Array.from({ length: 300 }, (_, k) => `u${k % 30}\ti${(7 * k + Math.floor(k / 120)) % 40}`).join('\n') + '\n'); // 300 distinct pairs, 40 items
    const train = (batch: string, ...more: string[]): ReturnType<typeof runCli> =>
      runCli('train', '--data', data, '--family', 'lrml', '--epochs', '1', '--dim', '4', '--memories', '2', '--negatives', '4', '--batch-size', batch, '--out', join(dir, `m${batch}.lrml`), ...more);
    const blocks = await train('32');
    assert.equal(blocks.code, 0, blocks.stderr);
    assert.match(blocks.stderr, /^negatives: each user's positives in blocks of 8 share a draw of 4 \(--negative-sharing auto on 40 items; --preset per-positive: 20 for each positive\)$/m);
    const shared = await train('16', '--share-within', 'consecutive');
    assert.equal(shared.code, 0, shared.stderr);
    assert.match(shared.stderr, /^negatives: each 8 positives in a row share their draws \(--negative-sharing auto on 40 items; 1 = each its own\)$/m);
    const own = await train('32', '--share-within', 'consecutive');
    assert.equal(own.code, 0, own.stderr);
    assert.doesNotMatch(own.stderr, /^negatives:/m);
    const explicit = await train('16', '--negative-sharing', '1');
    assert.equal(explicit.code, 0, explicit.stderr);
    assert.doesNotMatch(explicit.stderr, /^negatives:/m, 'only auto is announced');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
