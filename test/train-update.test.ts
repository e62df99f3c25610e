// lrml train --checkpoint-every / --resume / --init-from / --replay (issue #18 items 4 and 5), run
// in-process: a resumed CLI training equals the uninterrupted one; an update keeps the model's
// rows by string id and grows the tables with fresh seeded rows; a CML model starts an LRML one
// (P and Q copied, the memory fresh); incompatible models and bad combinations are refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerTrain } from '../src/cli/commands/train.js';
import { loadInteractions } from '../src/data/load.js';
import { LrmlError } from '../src/errors.js';
import { readCheckpoint } from '../src/io/checkpoint-file.js';
import { loadModel } from '../src/io/model-file.js';
import { CML_DEFAULTS, LRML_DEFAULTS, TripletModel, resolveTripletOptions } from '../src/models/triplet.js';
import { Rng } from '../src/rng.js';
import { growIdMaps, prepareUpdate } from '../src/train/incremental.js';
import { fitTriplet, initTripletParams } from '../src/train/triplet.js';

let dir = '';
const f = (name: string): string => join(dir, name);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lrml-update-'));
  // old: users u0..u29 × items i0..i19; new: some old users and items, plus new users u30..u34 and items i20..i24
  const rng = new Rng(4);
  const old: string[] = ['user\titem'];
  for (let u = 0; u < 30; u++) for (let k = 0; k < 6; k++) old.push(`u${u}\ti${(u + 3 * k + rng.int(3)) % 20}`);
  const fresh: string[] = ['user\titem'];
  for (let u = 20; u < 35; u++) for (let k = 0; k < 3; k++) fresh.push(`u${u}\ti${(u + 5 * k) % 25}`);
  writeFileSync(f('old.tsv'), `${old.join('\n')}\n`);
  writeFileSync(f('new.tsv'), `${fresh.join('\n')}\n`);
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function train(...args: string[]): Promise<void> {
  const program = new Command();
  program.exitOverride();
  registerTrain(program);
  await program.parseAsync(['node', 'lrml', 'train', '--quiet', '--json', ...args]);
}

function sameTensors(a: TripletModel, b: TripletModel): boolean {
  return (['P', 'Q', 'K', 'M'] as const).every((n) => Buffer.from(a.params[n].buffer).equals(Buffer.from(b.params[n].buffer)));
}

const code = (c: string, re: RegExp) => (e: unknown) => e instanceof LrmlError && e.code === c && re.test(e.message);

test('train --checkpoint-every 2 --epochs 3, then --resume: the model of an uninterrupted run', async () => {
  const common = ['--data', f('old.tsv'), '--family', 'lrml', '--dim', '6', '--memories', '3', '--epochs', '3', '--batch-size', '16'];
  await train(...common, '--out', f('whole.lrml'));
  // a checkpoint named with --checkpoint is kept after the training; the default <out>.ckpt is removed
  await train(...common, '--out', f('part.lrml'), '--checkpoint-every', '2', '--checkpoint', f('part.lrml.ckpt'));
  await train(...common, '--out', f('plain.lrml'), '--checkpoint-every', '2');
  assert.ok(existsSync(f('plain.lrml')) && !existsSync(f('plain.lrml.ckpt')), 'the default checkpoint is removed once the model is written');
  assert.ok(sameTensors((await loadModel(f('plain.lrml'))).model as TripletModel, (await loadModel(f('whole.lrml'))).model as TripletModel), 'checkpoints change nothing');
  const ck = await readCheckpoint(f('part.lrml.ckpt'));
  assert.equal(ck.epoch, 2);
  assert.equal(ck.identity.kind, 'lrml');
  await train(...common, '--out', f('resumed.lrml'), '--resume', f('part.lrml.ckpt'));
  const a = (await loadModel(f('whole.lrml'))).model as TripletModel;
  const b = (await loadModel(f('resumed.lrml'))).model as TripletModel;
  assert.ok(sameTensors(a, b), 'resumed model differs from the uninterrupted one');
  const meta = (await loadModel(f('resumed.lrml'))).meta as { epochs: unknown[]; resumedFrom: { epoch: number } };
  assert.equal(meta.epochs.length, 3, 'the resumed model records all epochs');
  assert.equal(meta.resumedFrom.epoch, 2);
  await assert.rejects(train(...common.map((x) => (x === '6' ? '8' : x)), '--out', f('x.lrml'), '--resume', f('part.lrml.ckpt')), code('BAD_OPTION', /dim 8 \(checkpoint: 6\)/));
  await assert.rejects(train('--data', f('new.tsv'), ...common.slice(2), '--out', f('x.lrml'), '--resume', f('part.lrml.ckpt')), code('BAD_OPTION', /data differ/));
  await assert.rejects(train(...common, '--out', f('x.lrml'), '--resume', f('whole.lrml')), code('BAD_OPTION', /model file/));
  await assert.rejects(train('--data', f('old.tsv'), '--family', 'bpr', '--out', f('x.lrml'), '--checkpoint-every', '1'), code('BAD_OPTION', /supported for lrml, cml, ials, not bpr/));
  await assert.rejects(train(...common, '--out', f('x.lrml'), '--checkpoint', f('c.ckpt')), code('BAD_OPTION', /--checkpoint-every/));
  assert.ok(!existsSync(f('x.lrml')));
});

test('prepareUpdate: grown id maps (old rows first), new interactions mapped, seen = old ∪ new, replay sampled', async () => {
  await train('--data', f('old.tsv'), '--family', 'cml', '--dim', '4', '--epochs', '2', '--out', f('old.lrml'));
  const loaded = await loadModel(f('old.lrml'));
  const fresh = await loadInteractions(f('new.tsv'));
  const plan = prepareUpdate(loaded, fresh);
  assert.equal(plan.users.size, 35);
  assert.equal(plan.items.size, 25);
  assert.equal(plan.newUsers, 5);
  assert.equal(plan.newItems, 5);
  for (let u = 0; u < 30; u++) assert.equal(plan.users.id(u), loaded.users.id(u));
  assert.equal(plan.data.nnz, 45);
  assert.ok(plan.data.has(plan.users.get('u34')!, plan.items.get('i9')!));
  assert.ok(plan.data.has(plan.users.get('u24')!, plan.items.get('i24')!));
  assert.equal(plan.seen.nnz, loaded.seen!.nnz + 45 - overlap(loaded, plan));
  assert.deepEqual([...plan.initFrom.userRows.subarray(28, 32)], [28, 29, -1, -1]);
  const withReplay = prepareUpdate(loaded, fresh, { replay: 0.5, seed: 3 });
  assert.equal(withReplay.replayed, Math.round(0.5 * loaded.seen!.nnz));
  assert.ok(withReplay.data.nnz > plan.data.nnz);
  assert.throws(() => prepareUpdate(loaded, fresh, { replay: 1.5 }), code('BAD_OPTION', /\[0, 1\]/));
  assert.throws(() => prepareUpdate({ ...loaded, seen: null }, fresh, { replay: 0.1 }), code('BAD_OPTION', /no seen interactions/));
});

/** New interactions that the old model had seen already. */
function overlap(loaded: Awaited<ReturnType<typeof loadModel>>, plan: ReturnType<typeof prepareUpdate>): number {
  let n = 0;
  for (let u = 0; u < loaded.users.size; u++) for (const i of plan.data.row(u)) if (i < loaded.items.size && loaded.seen!.has(u, i)) n++;
  return n;
}

test('initFrom: learned rows kept by id, new rows as a fresh seeded model; cml → lrml copies P and Q, not the memory', async () => {
  const loaded = await loadModel(f('old.lrml'));
  const old = loaded.model as TripletModel;
  const plan = prepareUpdate(loaded, await loadInteractions(f('new.tsv')));
  const d = 4;
  for (const kind of ['cml', 'lrml'] as const) {
    const o = resolveTripletOptions({ dim: d, numMemories: kind === 'lrml' ? 3 : 0, epochs: 0, seed: 7 }, kind === 'lrml' ? LRML_DEFAULTS : CML_DEFAULTS);
    const m = await fitTriplet(kind, plan.data, o, { initFrom: plan.initFrom });
    const fresh = initTripletParams(o, plan.users.size, plan.items.size, new Rng(7));
    assert.deepEqual(m.params.P.subarray(0, 30 * d), old.params.P.subarray(0, 30 * d));
    assert.deepEqual(m.params.Q.subarray(0, 20 * d), old.params.Q.subarray(0, 20 * d));
    assert.deepEqual(m.params.P.subarray(30 * d), fresh.P.subarray(30 * d));
    assert.deepEqual(m.params.Q.subarray(20 * d), fresh.Q.subarray(20 * d));
    assert.deepEqual(m.params.K, fresh.K);
  }
  const bad = resolveTripletOptions({ dim: 5, epochs: 1 }, CML_DEFAULTS);
  await assert.rejects(fitTriplet('cml', plan.data, bad, { initFrom: plan.initFrom }), code('BAD_OPTION', /dim 4, this training dim 5/));
  const lrmlModel = await fitTriplet('lrml', plan.data, resolveTripletOptions({ dim: d, numMemories: 3, epochs: 0 }, LRML_DEFAULTS));
  const cml = resolveTripletOptions({ dim: d, epochs: 1 }, CML_DEFAULTS);
  await assert.rejects(fitTriplet('cml', plan.data, cml, { initFrom: { ...plan.initFrom, model: lrmlModel } }), code('BAD_OPTION', /lrml model cannot start a cml training/));
  const lrml5 = resolveTripletOptions({ dim: d, numMemories: 5, epochs: 1 }, LRML_DEFAULTS);
  await assert.rejects(fitTriplet('lrml', plan.data, lrml5, { initFrom: { ...plan.initFrom, model: lrmlModel } }), code('BAD_OPTION', /3 memory slots, this training 5/));
});

test('train --init-from: the updated model knows old and new ids, its seen items are old ∪ new; refusals', async () => {
  await train('--data', f('new.tsv'), '--family', 'lrml', '--dim', '4', '--memories', '3', '--epochs', '2', '--init-from', f('old.lrml'), '--replay', '0.2', '--out', f('up.lrml'));
  const up = await loadModel(f('up.lrml'));
  assert.equal(up.model.kind, 'lrml');
  assert.equal(up.users.size, 35);
  assert.equal(up.items.size, 25);
  assert.ok(up.seen!.has(up.users.get('u0')!, up.items.get(up.items.id(up.seen!.row(0)[0]))!));
  assert.ok(up.seen!.has(up.users.get('u24')!, up.items.get('i24')!));
  assert.equal((up.meta as { initFrom: string }).initFrom, f('old.lrml'));
  await assert.rejects(train('--data', f('new.tsv'), '--family', 'cml', '--dim', '8', '--epochs', '1', '--init-from', f('old.lrml'), '--out', f('x.lrml')), code('BAD_OPTION', /dim 4, this training dim 8 \(train with --dim 4\)/));
  await assert.rejects(train('--data', f('new.tsv'), '--family', 'ease', '--init-from', f('old.lrml'), '--out', f('x.lrml')), code('BAD_OPTION', /supported for lrml, cml, not ease/));
  await assert.rejects(train('--data', f('new.tsv'), '--family', 'cml', '--replay', '0.1', '--out', f('x.lrml')), code('BAD_OPTION', /--replay goes with --init-from/));
  await assert.rejects(train('--data', f('new.tsv'), '--family', 'cml', '--init-from', f('nope.lrml'), '--out', f('x.lrml')), (e: unknown) => e instanceof LrmlError && e.code === 'FILE_NOT_FOUND');
  assert.ok(!existsSync(f('x.lrml')));
});

test('train --init-from with validation: ids through the grown maps (new users and items too), seen items excluded', async () => {
  // u30..u34 and i20..i24 exist only in the new data; u0 only in the model
  writeFileSync(f('valid.tsv'), 'user\titem\nu0\ti5\nu34\ti21\nu31\ti23\n');
  const epochsSeen: number[] = [];
  await train('--data', f('new.tsv'), '--family', 'cml', '--dim', '4', '--epochs', '3', '--init-from', f('old.lrml'), '--valid', f('valid.tsv'), '--valid-sampled', '0', '--out', f('upv.lrml'));
  const up = await loadModel(f('upv.lrml'));
  const meta = up.meta as { epochs: { epoch: number; validation?: Record<string, number> }[] };
  for (const e of meta.epochs) {
    epochsSeen.push(e.epoch);
    assert.ok(e.validation !== undefined && Number.isFinite(e.validation['ndcg@10']), `epoch ${e.epoch} validated`);
  }
  assert.deepEqual(epochsSeen, [1, 2, 3]);
  // the given maps must be the grown ones
  const loaded = await loadModel(f('old.lrml'));
  const fresh = await loadInteractions(f('new.tsv'));
  const maps = growIdMaps(loaded, fresh);
  maps.items.add('only-in-validation');
  const plan = prepareUpdate(loaded, fresh, { maps });
  assert.equal(plan.items.size, 26);
  assert.equal(plan.initFrom.itemRows[25], -1);
  assert.throws(() => prepareUpdate(loaded, fresh, { maps: { users: fresh.users, items: fresh.items } }), code('INTERNAL', /growIdMaps/));
});
