// A plug-in model family (test/cooc-family.ts) registered with one call is trainable, savable and
// loadable like a built-in one; the product API asks the model for its capabilities and refuses
// what it lacks with BAD_OPTION; worker-thread evaluation keeps it on this thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { IdMap } from '../src/data/idmap.js';
import { LrmlError } from '../src/errors.js';
import { evaluate } from '../src/eval/evaluate.js';
import { evaluateParallel } from '../src/io/eval-parallel.js';
import { loadModel, saveModel } from '../src/io/model-file.js';
import { trainWith } from '../src/models/trainer.js';
import { estimateTrainingMemory } from '../src/train/memory.js';
import { recommend, recommendForItems, similarItems } from '../src/recommend/index.js';
import { getFamily, isBuiltInFamily, modelKinds, registerFamily } from '../src/train/families.js';
import { lrmlFamily } from '../src/train/triplet.js';
import { addModelOptions, modelOptionsFromCli } from '../src/cli/commands/train.js';
import { coocFamily, CoocModel } from './cooc-family.js';
import { plantedDataset } from './helpers.js';

registerFamily(coocFamily);
const data = plantedDataset(3);
const users = IdMap.fromIds(Array.from({ length: data.numUsers }, (_, u) => `u${u}`));
const items = IdMap.fromIds(Array.from({ length: data.numItems }, (_, i) => `i${i}`));

test('plug-in family: one registerFamily call makes it trainable, savable and loadable from a model file', async () => {
  assert.ok(modelKinds().includes('cooc'));
  assert.equal(isBuiltInFamily('cooc'), false);
  assert.equal(isBuiltInFamily('lrml'), true);
  const model = await getFamily('cooc').fit(data.train, { shrink: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'lrml-plugin-'));
  try {
    const file = join(dir, 'cooc.lrml');
    await saveModel(file, { model, users, items, meta: {}, seen: data.train });
    const m = await loadModel(file);
    assert.ok(m.model instanceof CoocModel);
    assert.deepEqual(m.model.config(), model.config());
    const r = recommend(m, 'u5', { k: 5 });
    assert.equal(r.items.length, 5);
    const s = new Float32Array(data.numItems);
    model.scoreAll(5, s);
    assert.equal(r.items[0].score, Math.max(...Array.from(s).filter((_, i) => !data.train.has(5, i))));
    // capabilities it does not declare are refused by name, not guessed from its tensors
    assert.throws(() => recommendForItems(m, ['i1', 'i2']), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /new user are not supported for cooc/.test(e.message));
    assert.throws(() => similarItems(m, 'i1'), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /similar items are not supported for cooc/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('plug-in family: evaluateParallel with threads evaluates it on this thread (workers do not know it), same result as evaluate', async () => {
  const model = await getFamily('cooc').fit(data.train, {});
  const heldOut: number[][] = [[], []];
  for (let u = 0; u < data.numUsers; u++) if (data.heldOut[u] >= 0) heldOut.forEach((a, c) => a.push(c === 0 ? u : data.heldOut[u]));
  const { Csr } = await import('../src/data/csr.js');
  const testSet = Csr.fromPairs(data.numUsers, data.numItems, Int32Array.from(heldOut[0]), Int32Array.from(heldOut[1]));
  assert.ok(data.numUsers >= 128, 'enough users for two workers');
  const one = evaluate(model, data.train, testSet, { kind: 'full' }, { bootstrap: 0 });
  const par = await evaluateParallel(model, data.train, testSet, { kind: 'full' }, { threads: 2, bootstrap: 0 });
  assert.deepEqual(par.metrics, one.metrics);
});

test('plug-in family: its --flags reach train, and the typed built-in families need no casts', async () => {
  const cmd = addModelOptions(new Command().exitOverride());
  cmd.parse(['--shrink', '3', '--dim', '8'], { from: 'user' });
  assert.deepEqual(modelOptionsFromCli('cooc', cmd.opts()), { shrink: 3, dim: 8 });
  const lrml = await getFamily('lrml').fit(data.train, { dim: 4, numMemories: 2, epochs: 0 });
  assert.equal(lrml.options.dim, 4); // getFamily('lrml') is ModelFamily<TripletOptions, TripletModel>
  // @ts-expect-error: the options are type-checked per family (and refused at run time too)
  await assert.rejects(lrmlFamily.fit(data.train, { dimm: 4 }), { code: 'BAD_OPTION' });
});

test('plug-in family: its memory estimate comes from its descriptor (the CLI checks it before training)', () => {
  assert.deepEqual(estimateTrainingMemory('cooc', { numUsers: 10, numItems: 1000, nnz: 50 }, {}), { bytes: 12e6, option: null });
  assert.equal(estimateTrainingMemory('no-such-kind', { numUsers: 1, numItems: 1, nnz: 1 }, {}), null);
});

test('registerFamily refuses an incomplete descriptor; a family whose training code is absent says so', async () => {
  assert.throws(() => registerFamily({ ...coocFamily, kind: '' }), { code: 'BAD_OPTION' });
  assert.throws(() => registerFamily({ ...coocFamily, fromTensors: undefined } as never), (e: unknown) => e instanceof LrmlError && /has no fromTensors/.test(e.message));
  await assert.rejects(trainWith('no-such-trainer', data.train, {}), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /training code/.test(e.message));
});
