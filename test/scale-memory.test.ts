// Bounded memory at scale (issue #18): the seen items compressed in the model file (exact round
// trip, old files load, corrupt bytes refused), models saved without them (recommend refuses to
// pretend it filtered; --seen-data / attachSeen give them back), and epochs trained in chunks
// (the same weights as one epoch-long array) without copies of the data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Csr } from '../src/data/csr.js';
import { LrmlError } from '../src/errors.js';
import { decodeCsrVarint, encodeCsrVarint } from '../src/io/csr-varint.js';
import { decodeModel, encodeModel } from '../src/io/format.js';
import { attachSeen, loadModel, saveModel } from '../src/io/model-file.js';
import { LRML_DEFAULTS, LRML_HINGE, resolveTripletOptions } from '../src/models/triplet.js';
import { recommend } from '../src/recommend/index.js';
import { Rng } from '../src/rng.js';
import { csrPairs, epochChunkSize, fillEpochChunk, fitTriplet } from '../src/train/triplet.js';
import { hitsAtK, modelHeader, plantedDataset, repoRoot, runCli } from './helpers.js';
import { syntheticTriplet, wrap } from './recommend-fixtures.js';

const code = (c: string, re?: RegExp) => (e: unknown) => e instanceof LrmlError && e.code === c && (re === undefined || re.test(e.message));

/** A random CSR with gaps of every varint length (1 to 5 bytes) and empty rows. */
function randomCsr(seed: number): Csr {
  const rng = new Rng(seed);
  const numCols = 2 ** 31 - 1;
  const rows: number[] = [];
  const cols: number[] = [];
  for (let r = 0; r < 40; r++) {
    if (r % 7 === 3) continue; // empty rows
    let c = r === 0 ? 0 : rng.int(200);
    for (let k = 0; k < 30 && c < numCols; k++) {
      rows.push(r);
      cols.push(c);
      const bytes = 1 + rng.int(5); // a gap of about 7 × bytes bits
      c += 1 + rng.int(Math.min(2 ** (7 * bytes), 2 ** 26));
    }
  }
  rows.push(39);
  cols.push(numCols - 1); // the largest index
  return Csr.fromPairs(40, numCols, Int32Array.from(rows), Int32Array.from(cols));
}

test('seen items as gap varints: the round trip is exact (gaps of 1 to 5 bytes, empty rows, the largest index)', () => {
  for (const seed of [1, 2, 3]) {
    const csr = randomCsr(seed);
    const bytes = encodeCsrVarint(csr);
    const back = decodeCsrVarint(csr.numRows, csr.numCols, csr.indptr, bytes);
    assert.deepEqual(back.indptr, csr.indptr);
    assert.deepEqual(back.indices, csr.indices);
  }
  // by hand: row 0 = [5, 200] → 5, gap 194 = 0xc2 0x01; row 1 = [7] → 7
  const small = Csr.fromPairs(2, 300, Int32Array.of(0, 0, 1), Int32Array.of(5, 200, 7));
  assert.deepEqual(encodeCsrVarint(small), Uint8Array.of(5, 0xc2, 0x01, 7));
  // dense Netflix-like rows take about one byte an item
  const planted = plantedDataset(2, 200, 150, 5, 20).train;
  assert.ok(encodeCsrVarint(planted).length < 1.3 * planted.nnz);
});

test('seen varints: corrupt bytes are BAD_MODEL_FILE saying what', () => {
  const csr = Csr.fromPairs(2, 300, Int32Array.of(0, 0, 1), Int32Array.of(5, 200, 7));
  const ok = encodeCsrVarint(csr);
  assert.throws(() => decodeCsrVarint(2, 300, csr.indptr, ok.subarray(0, 3)), code('BAD_MODEL_FILE', /cannot hold 3 items|truncated/));
  assert.throws(() => decodeCsrVarint(2, 300, csr.indptr, Uint8Array.of(...ok, 0)), code('BAD_MODEL_FILE', /1 bytes left/));
  assert.throws(() => decodeCsrVarint(2, 150, csr.indptr, ok), code('BAD_MODEL_FILE', /item index 200 is not below 150/));
  assert.throws(() => decodeCsrVarint(2, 300, csr.indptr, Uint8Array.of(5, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 7)), code('BAD_MODEL_FILE', /longer than 5 bytes|not below/));
  assert.throws(() => decodeCsrVarint(2, 300, Int32Array.of(0, 2, 1), ok), code('BAD_MODEL_FILE'));
});

test('model files: seen items compressed by default, plain on request; both load to the same seen items exactly', () => {
  const data = plantedDataset(4, 60, 48, 4, 10);
  const m = { ...wrap(syntheticTriplet('lrml'), null), seen: data.train };
  const varint = encodeModel(m);
  const plain = encodeModel(m, { seenEncoding: 'plain' });
  assert.ok(varint.length < plain.length - 2 * data.train.nnz, `${varint.length} vs ${plain.length}`);
  assert.equal(modelHeader(plain)['seen.indices'].dtype, 'I32');
  assert.equal(modelHeader(varint)['seen.varint'].dtype, 'U8');
  for (const bytes of [varint, plain]) {
    const back = decodeModel(bytes).seen;
    assert.ok(back !== null);
    assert.deepEqual(back.indptr, data.train.indptr);
    assert.deepEqual(back.indices, data.train.indices);
  }
  // every 4-byte tensor stays 4-byte aligned: the bytes come last
  const h = modelHeader(varint);
  for (const [name, e] of Object.entries(h)) {
    if (name === '__metadata__') continue;
    if (name !== 'seen.varint') assert.equal(e.data_offsets[0] % 4, 0, name);
    else assert.equal(e.data_offsets[1], Math.max(...Object.entries(h).filter(([n]) => n !== '__metadata__').map(([, x]) => x.data_offsets[1])));
  }
  // a file written before compression (plain seen.indices, no checksum) still loads with its seen items
  const old = decodeModel(readFileSync(join(repoRoot(), 'test/fixtures/lrml-v1-no-checksum.lrml')));
  assert.ok(old.seen !== null && old.seen.nnz > 0);
});

test('a model without seen items: recommend for a known user says so instead of leaving nothing out silently', async () => {
  const data = plantedDataset(4, 60, 48, 4, 10);
  const withSeen = { ...wrap(syntheticTriplet('lrml'), null), seen: data.train };
  const without = { ...withSeen, seen: null, meta: { seenOmitted: true } };
  assert.throws(() => recommend(without, 'u0', { k: 5 }), code('BAD_OPTION', /no training interactions.*--seen-data.*excludeSeen: false/));
  // a model built in code without seen items and without the mark: nothing to leave out, as before
  assert.deepEqual(recommend({ ...without, meta: {} }, 'u0', { k: 5 }).items, recommend(withSeen, 'u0', { k: 5, excludeSeen: false }).items);
  // asked to keep seen items: fine, and the same as the full model asked the same
  assert.deepEqual(recommend(without, 'u0', { k: 5, excludeSeen: false }), recommend(withSeen, 'u0', { k: 5, excludeSeen: false }));
  // the seen items given back from the training file filter as the stored ones did
  const dir = mkdtempSync(join(tmpdir(), 'lrml-noseen-'));
  try {
    const lines = ['user\titem'];
    for (let u = 0; u < data.train.numRows; u++) for (const i of data.train.row(u)) lines.push(`u${u}\ti${i}`);
    lines.push('stranger\ti0'); // a user the model does not know: dropped and counted
    writeFileSync(join(dir, 'train.tsv'), `${lines.join('\n')}\n`);
    const { model: back, dropped } = await attachSeen(without, join(dir, 'train.tsv'));
    assert.equal(dropped, 1);
    assert.deepEqual(back.seen?.indices, data.train.indices);
    assert.deepEqual(recommend(back, 'u3', { k: 8 }), recommend(withSeen, 'u3', { k: 8 }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI: train --no-seen writes no seen items; recommend then fails clearly (exit 2), works with --seen-data or --include-seen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrml-noseen-cli-'));
  try {
    const data = plantedDataset(5, 40, 30, 3, 8).train;
    const lines = ['user\titem'];
    for (let u = 0; u < data.numRows; u++) for (const i of data.row(u)) lines.push(`u${u}\ti${i}`);
    const file = join(dir, 'train.tsv');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const small = ['--dim', '4', '--memories', '2', '--negatives', '2', '--epochs', '1', '--quiet'];
    const a = await runCli('train', '--data', file, '--out', join(dir, 'full.lrml'), ...small);
    const b = await runCli('train', '--data', file, '--out', join(dir, 'bare.lrml'), '--no-seen', ...small);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const full = await loadModel(join(dir, 'full.lrml'));
    const bare = await loadModel(join(dir, 'bare.lrml'));
    assert.equal(bare.seen, null);
    assert.equal(bare.meta.seenOmitted, true);
    assert.ok(full.seen !== null && full.seen.nnz === data.nnz);
    assert.deepEqual(bare.model.tensors(), full.model.tensors(), 'the same training either way');
    const refused = await runCli('recommend', '--model', join(dir, 'bare.lrml'), '--user', 'u1', '--json');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /error \[BAD_OPTION\]: this model file holds no training interactions.*--seen-data/);
    const given = await runCli('recommend', '--model', join(dir, 'bare.lrml'), '--user', 'u1', '--seen-data', file, '--json');
    const stored = await runCli('recommend', '--model', join(dir, 'full.lrml'), '--user', 'u1', '--json');
    assert.equal(given.code, 0, given.stderr);
    assert.deepEqual(JSON.parse(given.stdout), JSON.parse(stored.stdout));
    const kept = await runCli('recommend', '--model', join(dir, 'bare.lrml'), '--user', 'u1', '--include-seen', '--json');
    assert.equal(kept.code, 0, kept.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('epochs in chunks: the chunk arrays are the CSR pairs in the shuffled order, no copy of the data', () => {
  const data = plantedDataset(6, 50, 40, 4, 9).train;
  const pairs = csrPairs(data);
  const order = new Rng(3).shuffle(Int32Array.from({ length: data.nnz }, (_, k) => k));
  const u = new Int32Array(7);
  const i = new Int32Array(7);
  for (let from = 0; from < data.nnz; from += 7) {
    const count = Math.min(7, data.nnz - from);
    fillEpochChunk(data, order, from, count, u, i);
    for (let k = 0; k < count; k++) {
      assert.equal(u[k], pairs.users[order[from + k]]);
      assert.equal(i[k], pairs.items[order[from + k]]);
    }
  }
  // a CSR with empty rows (the row search must skip them)
  const gaps = Csr.fromPairs(5, 3, Int32Array.of(1, 1, 4), Int32Array.of(0, 2, 1));
  fillEpochChunk(gaps, Int32Array.of(2, 0, 1), 0, 3, u, i);
  assert.deepEqual([...u.subarray(0, 3)], [4, 1, 1]);
  assert.deepEqual([...i.subarray(0, 3)], [1, 0, 2]);
  assert.equal(epochChunkSize(1000, 5_000_000), 1_048_000);
  assert.equal(epochChunkSize(1000, 2500), 2500);
  assert.equal(epochChunkSize(4096, 10_000, 100), 4096);
});

test('epochs in chunks train exactly the weights of one epoch-long array (one thread, wasm and ts)', async () => {
  const data = plantedDataset(6, 80, 60, 4, 12).train;
  for (const backend of ['wasm', 'ts'] as const) {
    for (const recipe of [LRML_HINGE, {}]) {
      const o = resolveTripletOptions({ ...recipe, dim: 8, numMemories: 3, epochs: 2, batchSize: 32, seed: 4, backend, threads: 1 }, LRML_DEFAULTS);
      const whole = await fitTriplet('lrml', data, o);
      const chunked = await fitTriplet('lrml', data, o, {}, 3 * 32);
      assert.ok(data.nnz > 3 * 3 * 32, 'several chunks');
      assert.deepEqual(chunked.params, whole.params, `${backend}`);
    }
  }
});

test('with worker threads the next chunk is drawn while the workers train: the kernel has its own copy of the input by then', async () => {
  const { createTripletKernel } = await import('../src/train/backends/index.js');
  const o = resolveTripletOptions({ dim: 8, numMemories: 3, negatives: 4, batchSize: 16 }, LRML_DEFAULTS);
  const cfg = { numUsers: 30, numItems: 40, dim: 8, numMemories: 3, negativeRelation: o.negativeRelation, distance: o.distance, clip: o.clip, clipMemory: o.clipMemory, margin: o.margin, l2: 0, negatives: 4, negativeMode: o.negativeMode, optimizer: o.optimizer, learningRate: o.learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, loss: o.loss, temperature: o.temperature } as const;
  const rng = new Rng(3);
  const f = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal() * 0.1);
  const params = { P: f(30 * 8), Q: f(40 * 8), K: f(3 * 8), M: f(3 * 8) };
  const kernel = await createTripletKernel(cfg, params, { backend: 'wasm', threads: 2 });
  try {
    if (kernel.threads < 2) return; // no worker threads here: nothing is drawn alongside
    assert.equal(kernel.inputCopied, true);
    const n = 4096;
    const users = Int32Array.from({ length: n }, () => rng.int(30));
    const pos = Int32Array.from({ length: n }, () => rng.int(40));
    const neg = Int32Array.from({ length: 4 * n }, () => rng.int(40));
    const running = kernel.runEpoch(users, pos, neg, n, 16);
    // ids far out of every table: a kernel still reading these arrays would trap or train garbage
    users.fill(2 ** 30);
    pos.fill(2 ** 30);
    neg.fill(2 ** 30);
    const loss = await running;
    assert.ok(Number.isFinite(loss) && loss > 0, `loss ${loss}`);
    const after = { P: new Float32Array(30 * 8), Q: new Float32Array(40 * 8), K: new Float32Array(3 * 8), M: new Float32Array(3 * 8) };
    kernel.read(after);
    assert.ok(after.P.every(Number.isFinite) && after.Q.every(Number.isFinite));
    assert.ok(after.Q.some((v, c) => v !== params.Q[c]), 'trained');
  } finally {
    await kernel.dispose();
  }
});

test('epochs in chunks with worker threads (the next chunk drawn while training) learn the planted structure', async () => {
  const planted = plantedDataset(7);
  const o = resolveTripletOptions({ dim: 16, numMemories: 4, epochs: 30, learningRate: 0.01, batchSize: 128, seed: 3, backend: 'wasm', threads: 2 }, LRML_DEFAULTS);
  const model = await fitTriplet('lrml', planted.train, o, {}, 4 * 128);
  assert.ok(planted.train.nnz > 3 * 4 * 128, 'several chunks');
  const counts = planted.train.columnCounts();
  const pop = hitsAtK((_u, out) => { for (let i = 0; i < counts.length; i++) out[i] = counts[i]; }, planted, 10);
  const h = hitsAtK((u, out) => model.scoreAll(u, out), planted, 10);
  assert.ok(h > pop + 0.2, `hits@10 ${h.toFixed(3)} against popularity ${pop.toFixed(3)}`);
});
