// Checkpoints and resume (issue #18 item 4): a training of E epochs in one go and one of E/2
// epochs + a resume from the checkpoint (through the file format) give identical tensors with
// one thread — LRML and CML, WASM and TypeScript kernels, Adam and Adagrad, a decaying schedule,
// validation with best weights; a resume on other options or data is refused naming what
// differs; a cancelled training keeps the last finished epoch's checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LrmlError } from '../src/errors.js';
import { decodeCheckpoint, encodeCheckpoint } from '../src/io/checkpoint-file.js';
import type { Recommender, TrainCheckpoint, TrainHooks } from '../src/models/types.js';
import { CML_DEFAULTS, LRML_DEFAULTS, resolveNegativeSharing, resolveTripletOptions, type TripletModel, type TripletOptions } from '../src/models/triplet.js';
import { fitTriplet } from '../src/train/triplet.js';
import { fitIals } from '../src/train/ials.js';
import { checkResumable } from '../src/train/checkpoint.js';
import { resolveIalsOptions } from '../src/models/ials.js';
import { hitsAtK, plantedDataset } from './helpers.js';

const data = plantedDataset(3, 60, 40, 4, 8);

/** Validation on the planted held-out items (hits@10 as both keys: it only has to be deterministic). */
function validation(): TrainHooks['validation'] {
  return {
    evaluate: (m: Recommender) => {
      const h = hitsAtK((u, out) => m.scoreAll(u, out), data, 10);
      return { 'hits@10': h, 'ndcg@10': h };
    },
  };
}

function tensorsEqual(a: TripletModel, b: TripletModel, what: string): void {
  for (const name of ['P', 'Q', 'K', 'M'] as const) {
    assert.ok(Buffer.from(a.params[name].buffer).equals(Buffer.from(b.params[name].buffer)), `${what}: tensor ${name} differs`);
  }
}

async function splitRun(kind: 'lrml' | 'cml', o: TripletOptions, withValidation: boolean): Promise<{ whole: TripletModel; resumed: TripletModel; saved: TrainCheckpoint[] }> {
  const val = withValidation ? { validation: validation() } : {};
  const whole = await fitTriplet(kind, data.train, o, { ...val });
  // the first half: stop after epoch E/2 by aborting at the start of the next one
  const saved: TrainCheckpoint[] = [];
  const half = o.epochs / 2;
  const controller = new AbortController();
  await assert.rejects(
    fitTriplet(kind, data.train, o, {
      ...val,
      signal: controller.signal,
      checkpoint: { every: half, save: (c) => { saved.push(decodeCheckpoint(encodeCheckpoint(c))); } },
      onEpoch: (s) => { if (s.epoch === half) controller.abort(); },
    }),
    (e: unknown) => e instanceof LrmlError && e.code === 'CANCELLED',
  );
  assert.equal(saved.length, 1);
  assert.equal(saved[0].epoch, half);
  const resumed = await fitTriplet(kind, data.train, o, { ...val, resume: saved[0] });
  return { whole, resumed, saved };
}

for (const backend of ['wasm', 'ts'] as const) {
  test(`resume = uninterrupted (${backend}): lrml default recipe (cosine schedule, softmax loss), E = 6 → 3 + 3`, async () => {
    const o = resolveTripletOptions({ dim: 8, numMemories: 4, epochs: 6, batchSize: 32, negatives: 3, backend, seed: 11 }, LRML_DEFAULTS);
    const { whole, resumed } = await splitRun('lrml', o, false);
    tensorsEqual(whole, resumed, `lrml ${backend}`);
  });
  test(`resume = uninterrupted (${backend}): cml hinge with Adagrad and validation (best weights kept across the resume)`, async () => {
    const o = resolveTripletOptions({ dim: 6, epochs: 4, batchSize: 16, optimizer: 'adagrad', learningRate: 0.05, backend, seed: 5 }, CML_DEFAULTS);
    const { whole, resumed, saved } = await splitRun('cml', o, true);
    assert.ok(saved[0].best !== null, 'the checkpoint carries the validation state');
    tensorsEqual(whole, resumed, `cml ${backend}`);
  });
}

test('resume = uninterrupted: ials (4 → 2 + 2 sweeps)', async () => {
  const o = resolveIalsOptions({ dim: 6, epochs: 4, seed: 3 });
  const whole = await fitIals(data.train, o);
  const saved: TrainCheckpoint[] = [];
  const controller = new AbortController();
  await assert.rejects(
    fitIals(data.train, o, {
      signal: controller.signal,
      checkpoint: { every: 2, save: (c) => { saved.push(decodeCheckpoint(encodeCheckpoint(c))); } },
      onEpoch: (s) => { if (s.epoch === 2) controller.abort(); },
    }),
    (e: unknown) => e instanceof LrmlError && e.code === 'CANCELLED',
  );
  const resumed = await fitIals(data.train, o, { resume: saved[0] });
  const t0 = whole.tensors();
  const t1 = resumed.tensors();
  for (const name of Object.keys(t0)) assert.ok(Buffer.from(t0[name].data.buffer).equals(Buffer.from(t1[name].data.buffer)), `ials tensor ${name} differs`);
});

test('a resume on other options or data is refused naming what differs', async () => {
  const o = resolveTripletOptions({ dim: 6, epochs: 2, batchSize: 16, seed: 2 }, CML_DEFAULTS);
  let ck: TrainCheckpoint | null = null;
  await fitTriplet('cml', data.train, o, { checkpoint: { every: 1, save: (c) => { ck ??= c; } } });
  assert.ok(ck !== null);
  const c = ck as TrainCheckpoint;
  await assert.rejects(
    fitTriplet('cml', data.train, { ...o, learningRate: 0.5 }, { resume: c }),
    (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /learningRate 0\.5 \(checkpoint: 0\.0/.test(e.message),
  );
  const other = plantedDataset(4, 60, 40, 4, 8).train;
  await assert.rejects(
    fitTriplet('cml', other, o, { resume: c }),
    (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /data differ/.test(e.message) && /hash/.test(e.message),
  );
  await assert.rejects(
    fitTriplet('lrml', data.train, resolveTripletOptions({ dim: 6, epochs: 2 }, LRML_DEFAULTS), { resume: c }),
    (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /cml training, this training is lrml/.test(e.message),
  );
  await assert.rejects(
    fitTriplet('cml', data.train, { ...o, threads: 2 }, { resume: c }),
    (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /threads 2 \(checkpoint: 1\)/.test(e.message),
  );
});

test('Hogwild (threads 2): checkpoints hold each worker\'s step count; a resume continues them', async () => {
  const o = resolveTripletOptions({ dim: 6, epochs: 4, batchSize: 8, threads: 2, seed: 4 }, CML_DEFAULTS);
  const saved: TrainCheckpoint[] = [];
  await fitTriplet('cml', data.train, o, { checkpoint: { every: 2, save: (c) => { saved.push(decodeCheckpoint(encodeCheckpoint(c))); } } });
  const batches = Math.ceil(data.train.nnz / 8);
  const steps = (c: TrainCheckpoint): number[] => (c.state as { workerSteps: number[] }).workerSteps;
  // the workers take the batches between them (each the next one not yet taken): every batch is
  // one step of one worker
  const sum = (c: TrainCheckpoint): number => steps(c).reduce((x, y) => x + y, 0);
  assert.equal(steps(saved[0]).length, 2);
  assert.equal(sum(saved[0]), 2 * batches);
  assert.equal(sum(saved[1]), 4 * batches);
  const again: TrainCheckpoint[] = [];
  const resumed = await fitTriplet('cml', data.train, o, { resume: saved[0], checkpoint: { every: 2, save: (c) => { again.push(c); } } });
  assert.equal(sum(again[0]), 4 * batches);
  steps(again[0]).forEach((n, w) => assert.ok(n >= steps(saved[0])[w], `worker ${w} continued from its saved ${steps(saved[0])[w]} steps (now ${n})`));
  assert.ok(resumed.params.P.every(Number.isFinite));
});

test('cancelled: the last finished epoch is saved even between checkpoint epochs', async () => {
  const o = resolveTripletOptions({ dim: 6, epochs: 5, batchSize: 8, seed: 9 }, CML_DEFAULTS);
  const saved: number[] = [];
  const controller = new AbortController();
  await assert.rejects(
    fitTriplet('cml', data.train, o, {
      signal: controller.signal,
      checkpoint: { every: 4, save: (c) => { saved.push(c.epoch); } },
      // cancelled after epoch 3 (epoch 4 would be the first to be written)
      onEpoch: (s) => { if (s.epoch === 3) controller.abort(); },
    }),
    (e: unknown) => e instanceof LrmlError && e.code === 'CANCELLED',
  );
  assert.deepEqual(saved, [3]);
});

test('checkpoint bytes: round trip exact; damage and model files refused', () => {
  const c: TrainCheckpoint = {
    identity: { kind: 'cml', options: { dim: 2 }, data: { numUsers: 1, numItems: 2, nnz: 1, hash: '00000001' } },
    validation: null, epoch: 1, epochs: [{ epoch: 1, loss: 0.5, seconds: 1, perSecond: 2 }], best: null, sinceBest: 0,
    state: { steps: 3 }, tensors: { P: Float32Array.of(1.5, -2), order: Int32Array.of(0) },
  };
  const bytes = encodeCheckpoint(c);
  assert.deepEqual(decodeCheckpoint(bytes), c);
  const bad = bytes.slice();
  bad[bad.length - 1] ^= 1;
  assert.throws(() => decodeCheckpoint(bad, 'x.ckpt'), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /x\.ckpt.*checksum/.test(e.message));
});

test('a checkpoint written before an option existed (no negativeSharing, no slotDiversity) resumes a training with their old values, and refuses others', () => {
  // (LRML's previous defaults: 20 negatives per positive, 'consecutive', as those checkpoints were written)
  const o = resolveTripletOptions({ dim: 4, negatives: 20, shareWithin: 'consecutive' }, LRML_DEFAULTS) as unknown as Record<string, unknown>;
  const data = { numUsers: 3, numItems: 5, nnz: 7, hash: 'h' };
  const old: Record<string, unknown> = { ...o };
  delete old.negativeSharing;
  delete old.slotDiversity;
  delete old.shareWithin;
  const c = { identity: { kind: 'lrml', options: old, data }, validation: null, epoch: 1, epochs: [], best: null, sinceBest: 0, state: {}, tensors: {} } as unknown as TrainCheckpoint;
  // a training's identity holds the group size it trains with (LRML's 'auto' resolved: 1 on 5 items)
  assert.equal(o.negativeSharing, 'auto');
  checkResumable(c, { kind: 'lrml', options: { ...o, negativeSharing: 1 }, data } as never, null, 5);
  assert.throws(
    () => checkResumable(c, { kind: 'lrml', options: { ...o, negativeSharing: 8 }, data } as never, null, 5),
    (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /negativeSharing 8 \(checkpoint: 1\)/.test(e.message),
  );
  // (a training's identity holds shareWithin 'consecutive' wherever nothing is shared: see below)
  assert.throws(
    () => checkResumable(c, { kind: 'lrml', options: { ...o, negativeSharing: 1, shareWithin: 'user' }, data } as never, null, 5),
    (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /shareWithin "user" \(checkpoint: "consecutive"\)|shareWithin user \(checkpoint: consecutive\)/.test(e.message),
  );
  // a checkpoint of LRML's previous default recipe, resumed under today's defaults: the preset that resumes it is named
  const today = resolveTripletOptions({ dim: 4 }, LRML_DEFAULTS) as unknown as Record<string, unknown>;
  assert.throws(
    () => checkResumable(c, { kind: 'lrml', options: { ...today, negativeSharing: 8 }, data } as never, null, 5),
    (e: unknown) => e instanceof LrmlError && /negatives 40 \(checkpoint: 20\)/.test(e.message) && /--preset per-positive\)$/.test(e.message),
  );
});

test("shareWithin is compared where negatives are shared (a checkpoint of 'user' blocks resumes them exactly, and refuses 'consecutive'), and not where g = 1", async () => {
  const o = resolveTripletOptions({ dim: 8, numMemories: 4, epochs: 2, batchSize: 8, negatives: 3, seed: 5, negativeSharing: 4, shareWithin: 'user' }, LRML_DEFAULTS);
  const saved: TrainCheckpoint[] = [];
  const whole = await fitTriplet('lrml', data.train, o, { checkpoint: { every: 1, save: (c) => { saved.push(decodeCheckpoint(encodeCheckpoint(c))); } } });
  tensorsEqual(whole, await fitTriplet('lrml', data.train, o, { resume: saved[0] }), "user blocks resumed");
  await assert.rejects(
    fitTriplet('lrml', data.train, { ...o, shareWithin: 'consecutive' }, { resume: saved[0] }),
    (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /shareWithin/.test(e.message),
  );
  const one = { ...o, negativeSharing: 1 };
  const saved1: TrainCheckpoint[] = [];
  const whole1 = await fitTriplet('lrml', data.train, one, { checkpoint: { every: 1, save: (c) => { saved1.push(decodeCheckpoint(encodeCheckpoint(c))); } } });
  tensorsEqual(whole1, await fitTriplet('lrml', data.train, { ...one, shareWithin: 'consecutive' }, { resume: saved1[0] }), 'g 1: which positives would share does not matter');
});

test("negativeSharing 'auto' is compared as trained: its checkpoint resumes the group size it resolved to, given as a number, and refuses another", async () => {
  const o = resolveTripletOptions({ dim: 8, numMemories: 4, epochs: 2, batchSize: 8, negatives: 3, seed: 5 }, LRML_DEFAULTS);
  assert.equal(resolveNegativeSharing(o, data.train.numCols), 8, 'auto shares on this catalogue (batches of 8 × 4 sides)');
  const saved: TrainCheckpoint[] = [];
  const whole = await fitTriplet('lrml', data.train, o, { checkpoint: { every: 1, save: (c) => { saved.push(decodeCheckpoint(encodeCheckpoint(c))); } } });
  assert.equal(saved[0].epoch, 1);
  const resumed = await fitTriplet('lrml', data.train, { ...o, negativeSharing: 8 }, { resume: saved[0] });
  tensorsEqual(whole, resumed, "auto's checkpoint resumed with 8");
  await assert.rejects(
    fitTriplet('lrml', data.train, { ...o, negativeSharing: 1 }, { resume: saved[0] }),
    (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /negativeSharing 1 \(checkpoint: 8\)/.test(e.message),
  );
});
