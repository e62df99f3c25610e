// Model files that are malformed, corrupted or carry non-finite weights: every one is refused
// with BAD_MODEL_FILE saying what and where (library, CLI and the server's reload); files written
// before the checksum existed still load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as zlib from 'node:zlib';
import { decodeModel, encodeModel } from '../src/io/format.js';
import { loadModel, saveModel } from '../src/io/model-file.js';
import { crc32 } from '../src/io/crc32.js';
import { LrmlError } from '../src/errors.js';
import { Csr } from '../src/data/csr.js';
import { main } from '../src/cli/main.js';
import { createApp, ModelHolder } from '../src/serve/index.js';
import { captureOutput, editModelHeader, modelHeader, repoRoot } from './helpers.js';
import { syntheticTriplet, wrap } from './recommend-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'lrml-robust-io-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const good = wrap(syntheticTriplet('lrml', { dim: 4, numMemories: 3 }, 7, 9, 3, 2), null, { note: 'robust' });

function headerLength(bytes: Uint8Array): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
}

const withHeader = editModelHeader;

/** Where tensor `name` starts in the file. */
function tensorStart(bytes: Uint8Array, name: string): number {
  return 8 + headerLength(bytes) + modelHeader(bytes)[name].data_offsets[0];
}

function refused(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => decodeModel(bytes), (e: unknown) => {
    assert.ok(e instanceof LrmlError, `expected an LrmlError, got ${String(e)}`);
    assert.equal(e.code, 'BAD_MODEL_FILE');
    assert.match(e.message, pattern);
    return true;
  });
}

/** Runs the CLI in-process; returns its exit code and output (and resets process.exitCode). */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  process.exitCode = 0;
  const out = await captureOutput(() => main(['node', 'lrml', ...args]));
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, ...out };
}

test('crc32 is the standard CRC-32 (zlib)', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')).toString(16), 'cbf43926');
  assert.equal(crc32(new Uint8Array(0)), 0);
  const a = new TextEncoder().encode('12345');
  const b = new TextEncoder().encode('6789');
  assert.equal(crc32(b, crc32(a)), 0xcbf43926);
  // every length and alignment against zlib's, where this Node has it (20.15+)
  const z = (zlib as { crc32?: (d: Uint8Array, v?: number) => number }).crc32;
  if (z !== undefined) {
    const bytes = Uint8Array.from({ length: 100 }, (_, k) => (k * 2654435761) >>> 24);
    for (let from = 0; from < 9; from++) for (let len = 0; len < 40; len++) assert.equal(crc32(bytes.subarray(from, from + len), 7), z(bytes.subarray(from, from + len), 7));
  }
});

test('issue 17.1: a header with "__metadata__": null (or any other wrong type) is BAD_MODEL_FILE, never a crash', () => {
  const bytes = encodeModel(good);
  refused(withHeader(bytes, (h) => { h.__metadata__ = null; }), /"__metadata__" is null/);
  refused(withHeader(bytes, (h) => { h.__metadata__ = [1]; }), /"__metadata__" is an array/);
  refused(withHeader(bytes, (h) => { h.__metadata__ = 'lrml'; }), /"__metadata__" is the string/);
  refused(withHeader(bytes, () => null), /header must be a JSON object, not null/);
  refused(withHeader(bytes, () => [1, 2]), /header must be a JSON object, not an array/);
  refused(withHeader(bytes, (h) => { h.__metadata__.config = { dim: 4 }; }), /metadata field "config" must be a string, not an object/);
  refused(withHeader(bytes, (h) => { h.__metadata__.users = null; }), /metadata field "users" must be a string, not null/);
  refused(withHeader(bytes, (h) => { delete h.__metadata__.crc32; h.__metadata__.users = '[1,2]'; }), /metadata users\[0\] must be a string, not the number 1/);
  refused(withHeader(bytes, (h) => { delete h.__metadata__.crc32; h.__metadata__.config = 'null'; }), /metadata config must be a JSON object, not null/);
  refused(withHeader(bytes, (h) => { delete h.__metadata__.crc32; h.__metadata__.config = '[]'; }), /metadata config must be a JSON object, not an array/);
  refused(withHeader(bytes, (h) => { delete h.__metadata__.crc32; h.__metadata__.meta = '[1]'; }), /metadata meta must be a JSON object, not an array/);
  refused(withHeader(bytes, (h) => { h.P = null; }), /tensor P: entry must be an object, not null/);
  refused(withHeader(bytes, (h) => { h.P.shape = '7,4'; }), /tensor P: shape must be an array of non-negative integers/);
  refused(withHeader(bytes, (h) => { h.P.shape = [7, -4]; }), /tensor P: shape/);
  refused(withHeader(bytes, (h) => { h.P.data_offsets = null; }), /tensor P: data_offsets must be \[begin, end\]/);
  refused(withHeader(bytes, (h) => { h.P.data_offsets = [0, 1e300]; }), /tensor P: data_offsets/);
  refused(withHeader(bytes, (h) => { delete h.P.dtype; }), /tensor P: dtype missing not supported/);
  // a "__proto__" tensor name (JSON.parse makes it an own key)
  const proto = withHeader(bytes, () => undefined);
  const text = new TextDecoder().decode(proto.subarray(8, 8 + headerLength(proto))).replace('{"__metadata__"', '{"__proto__":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"__metadata__"');
  const hb = new TextEncoder().encode(text + ' '.repeat((8 - (text.length % 8)) % 8));
  const p2 = new Uint8Array(8 + hb.length + proto.length - 8 - headerLength(proto));
  new DataView(p2.buffer).setBigUint64(0, BigInt(hb.length), true);
  p2.set(hb, 8);
  p2.set(proto.subarray(8 + headerLength(proto)), 8 + hb.length);
  refused(p2, /tensor name "__proto__" is not allowed/);
});

test('issue 17.1: the CLI prints error [BAD_MODEL_FILE] and exits 2 for a null __metadata__ (no stack trace)', async () => {
  const path = join(dir, 'null-metadata.lrml');
  writeFileSync(path, withHeader(encodeModel(good), (h) => { h.__metadata__ = null; }));
  const r = await cli('recommend', '--model', path, '--user', 'u0');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^error \[BAD_MODEL_FILE\]: .*null-metadata\.lrml: header has no lrml metadata: "__metadata__" is null/);
  assert.doesNotMatch(r.stderr, /at .*\.(ts|js):\d+/);
});

test('issue 17.2: non-finite weights are refused on load, naming the tensor and the element', () => {
  const plain = withHeader(encodeModel(good), (h) => { delete h.__metadata__.crc32; });
  for (const [value, name, k, what] of [[Number.NaN, 'K', 5, 'NaN'], [Number.POSITIVE_INFINITY, 'Q', 0, 'Infinity'], [Number.NEGATIVE_INFINITY, 'P', 27, '-Infinity']] as const) {
    const bytes = plain.slice();
    new DataView(bytes.buffer).setFloat32(tensorStart(bytes, name) + 4 * k, value, true);
    refused(bytes, new RegExp(`tensor ${name} \\[\\d+,4\\]: element ${k} \\(row ${Math.floor(k / 4)}, column ${k % 4}\\) is ${what} \\(weights must be finite\\)`));
  }
  // a huge finite weight (scores would come out as Infinity, JSON null) is refused too
  const big = plain.slice();
  new DataView(big.buffer).setFloat32(tensorStart(big, 'M') + 4, 3e38, true);
  refused(big, /tensor M \[3,4\]: element 1 \(row 0, column 1\) is 3\.0\d*e\+38 \(beyond ±1000000000000000 \(scores would overflow\)\)/);
});

test('issue 17.2: a model with non-finite weights is not saved (DIVERGED), so no file is written that loading refuses', async () => {
  const broken = wrap(syntheticTriplet('lrml', { dim: 4, numMemories: 3 }, 7, 9, 3, 2), null);
  (broken.model.tensors().K.data as Float32Array)[6] = Number.NaN;
  assert.throws(() => encodeModel(broken), (e: unknown) => e instanceof LrmlError && e.code === 'DIVERGED' && /not saved: tensor K \[3,4\]: element 6 \(row 1, column 2\) is NaN/.test(e.message));
  const path = join(dir, 'never.lrml');
  await assert.rejects(saveModel(path, broken), { code: 'DIVERGED' });
  assert.equal(existsSync(path), false);
});

test('issue 17.2: new files carry a crc32; a flipped byte anywhere in the data or the id maps is caught', () => {
  const bytes = encodeModel(good);
  const h = modelHeader(bytes);
  assert.match(h.__metadata__.crc32, /^[0-9a-f]{8}$/);
  assert.equal(decodeModel(bytes).model.numUsers, 7);
  // a flipped low bit of a weight: still a finite float, caught only by the checksum
  const flipped = bytes.slice();
  flipped[tensorStart(bytes, 'Q') + 9] ^= 1;
  refused(flipped, /checksum mismatch: the file says crc32 [0-9a-f]{8}, its content gives [0-9a-f]{8}/);
  // an id renamed inside the header, checksum kept
  refused(withHeader(bytes, (x) => { x.__metadata__.users = x.__metadata__.users.replace('"u3"', '"u9"'); }), /checksum mismatch/);
  refused(withHeader(bytes, (x) => { x.__metadata__.crc32 = 'xyz'; }), /"crc32" must be 8 hex digits/);
  // the header re-serialised with other spacing and key order (as another safetensors writer would) still checks out
  const reordered = withHeader(bytes, (x) => {
    const { __metadata__: md, ...rest } = x;
    return { ...Object.fromEntries(Object.entries(rest).reverse()), __metadata__: Object.fromEntries(Object.entries(md).reverse()) };
  });
  assert.equal(decodeModel(reordered).users.size, 7);
});

test('loadModel reads each tensor from the file into its own buffer: the model decodeModel gives of the whole file (seen items both ways); flipped, truncated and unreadable files are BAD_MODEL_FILE naming the path', async () => {
  const seen = Csr.fromPairs(7, 9, Int32Array.of(0, 0, 3, 6, 6), Int32Array.of(1, 8, 2, 0, 5));
  for (const seenEncoding of ['varint', 'plain'] as const) {
    const bytes = encodeModel({ ...good, seen }, { seenEncoding });
    const path = join(dir, `straight-${seenEncoding}.lrml`);
    writeFileSync(path, bytes);
    const m = await loadModel(path);
    const d = decodeModel(bytes);
    assert.deepEqual(m.model.tensors(), d.model.tensors());
    assert.deepEqual(m.users.ids(), d.users.ids());
    assert.deepEqual(m.items.ids(), d.items.ids());
    assert.deepEqual(m.meta, d.meta);
    assert.deepEqual([m.seen?.indptr, m.seen?.indices], [seen.indptr, seen.indices]);
    for (const t of Object.values(m.model.tensors())) assert.equal(t.data.byteLength, t.data.buffer.byteLength, 'each tensor owns its buffer');
  }
  const bytes = encodeModel(good);
  const failing = async (name: string, content: Uint8Array | null, pattern: RegExp): Promise<void> => {
    const path = join(dir, name);
    if (content !== null) writeFileSync(path, content);
    await assert.rejects(loadModel(path), (e: unknown) => {
      assert.ok(e instanceof LrmlError, String(e));
      assert.equal(e.code, 'BAD_MODEL_FILE');
      assert.ok(e.message.startsWith(`${path}: `) || e.message.startsWith(`cannot read model file ${path}`), e.message);
      assert.match(e.message, pattern);
      return true;
    });
  };
  const flipped = bytes.slice();
  flipped[tensorStart(bytes, 'Q') + 5] ^= 1;
  await failing('flipped.lrml', flipped, /checksum mismatch/);
  await failing('cut-in-tensor.lrml', bytes.subarray(0, tensorStart(bytes, 'Q') + 3), /truncated/);
  await failing('cut-in-header.lrml', bytes.subarray(0, 20), /header length \d+ exceeds the file size 20/);
  await failing('tiny.lrml', bytes.subarray(0, 5), /too short for a model file/);
  await failing('', null, /EISDIR|illegal operation on a directory/);
  await assert.rejects(loadModel(join(dir, 'absent.lrml')), (e: unknown) => e instanceof LrmlError && e.code === 'FILE_NOT_FOUND');
});

test('issue 17.2: a file written before checksums (committed fixture, old writer) still loads', async () => {
  const fixture = resolve(repoRoot(), 'test/fixtures/lrml-v1-no-checksum.lrml');
  const bytes = new Uint8Array(readFileSync(fixture));
  assert.ok(!new TextDecoder().decode(bytes.subarray(8, 8 + headerLength(bytes))).includes('"crc32"'));
  const m = await loadModel(fixture);
  assert.equal(m.model.kind, 'lrml');
  assert.deepEqual(m.users.ids(), ['u0', 'u1', 'u2', 'u3', 'u4']);
  assert.deepEqual(m.seen?.row(0), Int32Array.from([0, 1]));
  // saved again, it gains a checksum and the same scores
  const again = decodeModel(encodeModel(m));
  const a = new Float32Array(6);
  const b = new Float32Array(6);
  m.model.scoreAll(3, a);
  again.model.scoreAll(3, b);
  assert.deepEqual(b, a);
});

test('issue 17.1/17.2: reload of a corrupt or non-finite file answers BAD_MODEL_FILE with the reason; the old model keeps serving', async () => {
  const path = join(dir, 'served.lrml');
  await saveModel(path, good);
  const holder = new ModelHolder(await loadModel(path), path);
  const app = createApp({ holder, adminToken: 'robust-token' });
  const LOOPBACK = { incoming: { socket: { remoteAddress: '127.0.0.1' } } };
  const bad = withHeader(encodeModel(good), (h) => { delete h.__metadata__.crc32; });
  new DataView(bad.buffer).setFloat32(tensorStart(bad, 'K'), Number.NaN, true);
  for (const bytes of [withHeader(encodeModel(good), (h) => { h.__metadata__ = null; }), bad]) {
    writeFileSync(path, bytes);
    const res = await app.request('/admin/reload', { method: 'POST', headers: { authorization: 'Bearer robust-token' } }, LOOPBACK);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(res.status, 500);
    assert.equal(body.error.code, 'BAD_MODEL_FILE');
    assert.match(body.error.message, /served\.lrml: (header has no lrml metadata|tensor K .*NaN)/);
    assert.equal(holder.current.generation, 1);
  }
});
