import { test } from 'node:test';
import assert from 'node:assert/strict';
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
  assert.throws(() => modelOptionsFromCli('lrml', parse('--preset', 'nope')), (e: unknown) => e instanceof LrmlError && /unknown preset "nope" for lrml \(known: paper-code, hinge, fast\)/.test(e.message));
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
