import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeModel, encodeModel, MODEL_FORMAT_VERSION, type LoadedModel } from '../src/io/format.js';
import { loadModel, saveModel } from '../src/io/model-file.js';
import { IdMap } from '../src/data/idmap.js';
import { LrmlError } from '../src/errors.js';
import { fitBpr } from '../src/train/bpr.js';
import { resolveBprOptions } from '../src/models/bpr.js';
import { editModelHeader, modelHeader, plantedDataset } from './helpers.js';

const data = plantedDataset(3, 30, 24, 3, 6);

async function smallModel(): Promise<LoadedModel> {
  const model = await fitBpr(data.train, resolveBprOptions({ dim: 4, epochs: 2, batchSize: 16, seed: 1 }));
  return {
    model,
    users: IdMap.fromIds(Array.from({ length: data.numUsers }, (_, u) => `user-${u}`)),
    items: IdMap.fromIds(Array.from({ length: data.numItems }, (_, i) => `item-${i}`)),
    meta: { trainedOn: 'planted' },
    seen: data.train,
  };
}

const header = modelHeader;

/** The file with its header edited; the checksum is dropped (as a hand edit would), unless `keepChecksum`. */
function withHeader(bytes: Uint8Array, edit: (h: Record<string, any>) => void, keepChecksum = false): Uint8Array {
  return editModelHeader(bytes, (h) => {
    if (!keepChecksum) delete h.__metadata__.crc32;
    edit(h);
  });
}

function assertBad(fn: () => unknown, pattern: RegExp): void {
  let thrown: unknown = null;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof LrmlError, `expected an LrmlError matching ${pattern}, got ${thrown === null ? 'no error' : String(thrown)}`);
  assert.equal(thrown.code, 'BAD_MODEL_FILE', thrown.message);
  assert.match(thrown.message, pattern);
}

test('model file is a safetensors layout: 8-byte LE header length, JSON header, aligned data', async () => {
  const bytes = encodeModel(await smallModel());
  const h = header(bytes);
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0);
  assert.equal(h.__metadata__.format, 'lrml');
  assert.equal(h.__metadata__.version, String(MODEL_FORMAT_VERSION));
  assert.deepEqual(h.P.shape, [data.numUsers, 4]);
  assert.equal(h.P.dtype, 'F32');
  // the seen items: row pointers as I32, the rows compressed (gap varints) as U8
  assert.equal(h['seen.indptr'].dtype, 'I32');
  assert.equal(h['seen.varint'].dtype, 'U8');
  assert.equal(h['seen.indices'], undefined);
  for (const v of Object.values(h.__metadata__)) assert.equal(typeof v, 'string');
});

test('save → load round trip on disk reproduces scores, ids and seen items exactly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrml-io-'));
  const m = await smallModel();
  const path = join(dir, 'm.lrml');
  await saveModel(path, m);
  assert.deepEqual(readdirSync(dir), ['m.lrml'], 'no temp file left behind');
  const back = await loadModel(path);
  assert.deepEqual(back.items.ids(), m.items.ids());
  assert.deepEqual(back.model.config(), m.model.config());
  const a = new Float32Array(data.numItems);
  const b = new Float32Array(data.numItems);
  for (let u = 0; u < data.numUsers; u++) {
    m.model.scoreAll(u, a);
    back.model.scoreAll(u, b);
    assert.deepEqual(b, a);
    assert.deepEqual(back.seen?.row(u), m.seen?.row(u));
  }
});

test('every kind of broken file gives BAD_MODEL_FILE saying what is wrong', async () => {
  const bytes = encodeModel(await smallModel());
  assertBad(() => decodeModel(bytes.subarray(0, 5)), /too short/);
  assertBad(() => decodeModel(bytes.subarray(0, 100)), /header length/);
  assertBad(() => decodeModel(bytes.subarray(0, bytes.length - 4)), /truncated/);
  const garbage = bytes.slice();
  garbage.set(new TextEncoder().encode('{{{{'), 8);
  assertBad(() => decodeModel(garbage), /not valid JSON/);
  assertBad(() => decodeModel(withHeader(bytes, (h) => { h.__metadata__.version = '99'; })), /unsupported model format version/);
  assertBad(() => decodeModel(withHeader(bytes, (h) => { delete h.__metadata__; })), /no lrml metadata/);
  assertBad(() => decodeModel(withHeader(bytes, (h) => { h.__metadata__.kind = 'nope'; })), /unknown model kind/);
  assertBad(() => decodeModel(withHeader(bytes, (h) => { h.P.dtype = 'F16'; })), /dtype/);
  assertBad(() => decodeModel(withHeader(bytes, (h) => { h.P.shape = [data.numUsers, 5]; })), /do not hold shape/);
  assertBad(() => decodeModel(withHeader(bytes, (h) => { h.Q.shape = [h.Q.shape[1], h.Q.shape[0]]; })), /has shape \[4,24\] but the config implies \[24,4\]/);
  assertBad(() => decodeModel(withHeader(bytes, (h) => { delete h.B; })), /gap|missing/);
  assertBad(() => decodeModel(withHeader(bytes, (h) => { h.__metadata__.users = '["a"]'; })), /id maps/);
  assertBad(() => decodeModel(withHeader(bytes, (h) => { h.__metadata__.config = '{"numUsers":30,"numItems":24,"dim":"x"}'; })), /bad config|dim/);
  assertBad(() => decodeModel(withHeader(bytes, (h) => { h.__metadata__.users = JSON.stringify(Array(data.numUsers).fill('same')); })), /duplicate/);
});

test('loadModel: missing file is FILE_NOT_FOUND; a non-model file is BAD_MODEL_FILE with the path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrml-io-'));
  await assert.rejects(loadModel(join(dir, 'none.lrml')), (e: unknown) => e instanceof LrmlError && e.code === 'FILE_NOT_FOUND');
  const p = join(dir, 'text.lrml');
  writeFileSync(p, 'user,item\n1,2\n');
  await assert.rejects(loadModel(p), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_MODEL_FILE' && e.message.includes(p));
});

test('saveModel into a missing folder fails and leaves nothing behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrml-io-'));
  await assert.rejects(saveModel(join(dir, 'no', 'such', 'm.lrml'), await smallModel()));
  assert.deepEqual(readdirSync(dir), []);
});
