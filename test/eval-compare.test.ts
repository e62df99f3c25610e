// `lrml evaluate --compare` with a model whose id maps differ from the reference's: users are
// matched by external id, so the same model trained on a reordered file compares as identical.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../src/cli/main.js';
import { LrmlError } from '../src/errors.js';
import { captureOutput, plantedDataset } from './helpers.js';

const cli = (...args: string[]) => captureOutput(() => buildProgram().exitOverride().parseAsync(['node', 'lrml', ...args]));

test('evaluate --compare: a model with other id maps is paired with the reference by external user id', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrml-compare-'));
  try {
    const d = plantedDataset(4, 50, 30, 3, 8);
    const lines: string[] = [];
    for (let u = 0; u < d.numUsers; u++) for (const i of d.train.row(u)) lines.push(`u${u}\ti${i}`);
    const p = (f: string) => join(dir, f);
    writeFileSync(p('train.tsv'), `${lines.join('\n')}\n`);
    writeFileSync(p('train-reversed.tsv'), `${lines.slice().reverse().join('\n')}\n`);
    writeFileSync(p('test.tsv'), `${Array.from(d.heldOut, (i, u) => `u${u}\ti${i}`).join('\n')}\n`);
    await cli('train', '--data', p('train.tsv'), '--model', 'pop', '--out', p('a.lrml'), '--quiet');
    await cli('train', '--data', p('train-reversed.tsv'), '--model', 'pop', '--out', p('b.lrml'), '--quiet');
    const out = JSON.parse((await cli('evaluate', '--model', p('a.lrml'), '--compare', p('b.lrml'), '--train', p('train.tsv'),
      '--test', p('test.tsv'), '--full', '--bootstrap', '50', '--threads', '1', '--json')).stdout);
    const c = out.comparisons[0];
    assert.equal(c.sameIdMaps, false);
    assert.equal(c.differences.users, out.users);
    for (const [key, m] of Object.entries(c.differences.metrics) as [string, { diff: number; a: number; b: number }][]) {
      assert.equal(m.diff, 0, `${key}: ${m.a} vs ${m.b}`); // same counts, same ranking: identical per user
      assert.equal(m.a, out[key]);
    }
    // a model that never saw user u0: the pairing keeps the users both models evaluated
    writeFileSync(p('train-no-u0.tsv'), `${lines.filter((l) => !l.startsWith('u0\t')).join('\n')}\n`);
    await cli('train', '--data', p('train-no-u0.tsv'), '--model', 'pop', '--out', p('c.lrml'), '--quiet');
    const cut = JSON.parse((await cli('evaluate', '--model', p('a.lrml'), '--compare', p('c.lrml'), '--train', p('train.tsv'),
      '--test', p('test.tsv'), '--full', '--bootstrap', '50', '--threads', '1', '--json')).stdout);
    assert.equal(cut.comparisons[0].differences.users, out.users - 1);
    // sampled negatives would differ between models with other item indices: refused
    await assert.rejects(cli('evaluate', '--model', p('a.lrml'), '--compare', p('b.lrml'), '--train', p('train.tsv'), '--test', p('test.tsv'), '--sampled', '10'),
      (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /--compare/.test(e.message) && /--sampled/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('compareEvaluated (library): other id maps are paired by external user id; same maps equal compareModels; sampled across maps refused', async () => {
  const { parseInteractions } = await import('../src/data/load.js');
  const { toCsr } = await import('../src/data/interactions.js');
  const { getFamily } = await import('../src/train/families.js');
  const { evaluate } = await import('../src/eval/evaluate.js');
  const { compareModels } = await import('../src/eval/bootstrap.js');
  const { compareEvaluated } = await import('../src/eval/compare.js');
  const d = plantedDataset(4, 50, 30, 3, 8);
  const lines: string[] = [];
  for (let u = 0; u < d.numUsers; u++) for (const i of d.train.row(u)) lines.push(`u${u}\ti${i}`);
  const testText = `${Array.from(d.heldOut, (i, u) => `u${u}\ti${i}`).join('\n')}\n`;
  const side = async (trainText: string) => {
    const data = parseInteractions(trainText, { format: 'tsv' });
    const train = toCsr(data);
    const model = await getFamily('pop').fit(train, {});
    const held = parseInteractions(testText, { format: 'tsv', users: data.users, items: data.items, frozen: true });
    const test = toCsr({ ...held, users: data.users, items: data.items });
    const result = evaluate(model, train, test, { kind: 'full' }, { perUser: true, bootstrap: 20 });
    return { model, train, test, result, users: data.users, items: data.items };
  };
  const a = await side(`${lines.join('\n')}\n`);
  const b = await side(`${lines.slice().reverse().join('\n')}\n`);
  const cross = compareEvaluated(a, b, { bootstrap: 50 });
  assert.equal(cross.sameIdMaps, false);
  assert.equal(cross.comparison.users, a.result.users);
  for (const m of Object.values(cross.comparison.metrics)) assert.equal(m.diff, 0);
  assert.deepEqual(cross.other.perUser!.users, a.result.perUser!.users, 'rows re-indexed to the reference users');
  const self = compareEvaluated(a, { ...a }, { bootstrap: 50 });
  assert.equal(self.sameIdMaps, true);
  assert.deepEqual(self.comparison, compareModels(a.result, a.result, { bootstrap: 50 }));
  const sampled = (s: typeof a) => ({ ...s, result: evaluate(s.model, s.train, s.test, { kind: 'sampled', negatives: 5 }, { perUser: true, bootstrap: 0 }) });
  assert.throws(() => compareEvaluated(sampled(a), sampled(b)), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /sampled/.test(e.message));
});
