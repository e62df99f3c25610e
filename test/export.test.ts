// `lrml export` (issue #20 item 4): user and item vectors with their ids, .npy (read back by an
// independent reader here) and CSV; families without vectors and malformed input exit 2, nothing written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdMap } from '../src/data/idmap.js';
import { LrmlError } from '../src/errors.js';
import { encodeNpy, exportVectors } from '../src/io/vectors-file.js';
import { saveModel } from '../src/io/model-file.js';
import { bprFamily } from '../src/models/bpr.js';
import { PopularityModel } from '../src/models/popularity.js';
import type { LoadedModel } from '../src/models/types.js';
import { Rng } from '../src/rng.js';
import { randomLrml, runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lrml-export-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** An independent .npy reader (format 1.0, '<f4', C order) following the NumPy spec. */
function readNpy(bytes: Uint8Array): { shape: number[]; data: Float32Array; dataOffset: number } {
  assert.deepEqual(Array.from(bytes.subarray(0, 8)), [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const headerLen = bytes[8] | (bytes[9] << 8);
  const header = Buffer.from(bytes.subarray(10, 10 + headerLen)).toString('latin1');
  assert.ok(header.endsWith('\n'), 'header ends with a newline');
  assert.match(header, /'descr': '<f4'/);
  assert.match(header, /'fortran_order': False/);
  const m = /'shape': \(([\d, ]*)\)/.exec(header);
  assert.ok(m !== null, header);
  const shape = m[1].split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const dataOffset = 10 + headerLen;
  const n = shape.reduce((a, b) => a * b, 1);
  assert.equal(bytes.length, dataOffset + 4 * n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Float32Array(n);
  for (let k = 0; k < n; k++) data[k] = view.getFloat32(dataOffset + 4 * k, true);
  return { shape, data, dataOffset };
}

function world(clip: 'lookup' | 'rows'): LoadedModel {
  const model = randomLrml(5, 7, 3, 4, clip, 1);
  const users = IdMap.fromIds(['alice', 'bob', 'u,3', 'dé"j', '5']);
  const items = IdMap.fromIds(Array.from({ length: 7 }, (_, i) => `item-${i}`));
  return { model, users, items, meta: {}, seen: null };
}

test('encodeNpy: NumPy 1.0 header (data at a multiple of 64), 1-D and 2-D shapes, exact little-endian float32', () => {
  const data = Float32Array.of(1, -2.5, Math.fround(0.1), 3e-38, -0, Number.MAX_VALUE > 0 ? 65504 : 0);
  const two = readNpy(encodeNpy(data, [2, 3]));
  assert.deepEqual(two.shape, [2, 3]);
  assert.equal(two.dataOffset % 64, 0);
  assert.deepEqual(two.data, data);
  assert.ok(Object.is(two.data[4], -0));
  const one = readNpy(encodeNpy(data, [6]));
  assert.deepEqual(one.shape, [6]);
  const header = Buffer.from(encodeNpy(data, [6]).subarray(10, 10 + one.dataOffset - 10)).toString('latin1');
  assert.match(header, /'shape': \(6,\)/); // a 1-tuple, as Python writes it
  assert.throws(() => encodeNpy(data, [4, 2]), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_VALUE');
});

test('exportVectors npy: vectors read back exactly (as the model looks them up), ids in order in the sidecars', async () => {
  for (const clip of ['rows', 'lookup'] as const) {
    const m = world(clip);
    const prefix = join(dir, `lrml-${clip}`);
    const written = await exportVectors(m, prefix, { format: 'npy' });
    assert.deepEqual(written, [`${prefix}.users.npy`, `${prefix}.users.ids.txt`, `${prefix}.items.npy`, `${prefix}.items.ids.txt`]);
    const v = m.model.vectors!();
    const users = readNpy(readFileSync(`${prefix}.users.npy`));
    const items = readNpy(readFileSync(`${prefix}.items.npy`));
    assert.deepEqual(users.shape, [5, 3]);
    assert.deepEqual(items.shape, [7, 3]);
    assert.deepEqual(users.data, v.users);
    assert.deepEqual(items.data, v.items);
    const P = m.model.tensors().P.data as Float32Array;
    if (clip === 'rows') {
      assert.deepEqual(users.data, P);
    } else {
      // unit ball: every exported row has norm ≤ 1 (+ float rounding), and a row of norm > 1 was scaled
      for (let r = 0; r < 5; r++) {
        const row = users.data.subarray(3 * r, 3 * r + 3);
        assert.ok(Math.hypot(...row) <= 1 + 1e-6);
      }
      assert.notDeepEqual(users.data, P);
    }
    assert.deepEqual(readFileSync(`${prefix}.users.ids.txt`, 'utf8').split('\n').slice(0, -1), m.users.ids());
    assert.deepEqual(readFileSync(`${prefix}.items.ids.txt`, 'utf8').split('\n').slice(0, -1), m.items.ids());
  }
});

test('exportVectors csv: header, quoted ids, values that read back to the same float32; BPR-MF adds item biases', async () => {
  const m = world('rows');
  const prefix = join(dir, 'csv');
  await exportVectors(m, prefix, { format: 'csv' });
  const lines = readFileSync(`${prefix}.users.csv`, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'id,v0,v1,v2');
  assert.equal(lines[3].split(',')[0] + lines[3].split(',')[1], '"u3"');
  assert.ok(lines[4].startsWith('"dé""j",'));
  const P = m.model.vectors!().users;
  const last = lines[5].split(',');
  assert.equal(last[0], '5');
  assert.deepEqual(last.slice(1).map((x) => Math.fround(Number(x))), Array.from(P.subarray(12, 15)));

  const rng = new Rng(2);
  const bpr = bprFamily.fromTensors(
    { numUsers: 2, numItems: 3, dim: 2 },
    { P: { shape: [2, 2], data: Float32Array.from({ length: 4 }, () => rng.normal()) }, Q: { shape: [3, 2], data: Float32Array.from({ length: 6 }, () => rng.normal()) }, B: { shape: [3], data: Float32Array.of(0.5, -1, 2) } },
  );
  const mb: LoadedModel = { model: bpr, users: IdMap.fromIds(['a', 'b']), items: IdMap.fromIds(['x', 'y', 'z']), meta: {}, seen: null };
  const written = await exportVectors(mb, join(dir, 'bpr'), { format: 'npy' });
  assert.ok(written.includes(join(dir, 'bpr.items.bias.npy')));
  assert.deepEqual(readNpy(readFileSync(join(dir, 'bpr.items.bias.npy'))).data, Float32Array.of(0.5, -1, 2));
  await exportVectors(mb, join(dir, 'bpr'), { format: 'csv' });
  assert.equal(readFileSync(join(dir, 'bpr.items.csv'), 'utf8').split('\n')[0], 'id,v0,v1,bias');
});

test('exportVectors parquet: id and v0… columns read back (by hyparquet) as the exact float32 weights; BPR-MF adds a bias column', async () => {
  const { parquetReadObjects } = await import('hyparquet');
  const m = world('lookup');
  const prefix = join(dir, 'pq');
  const written = await exportVectors(m, prefix, { format: 'parquet' });
  assert.deepEqual(written, [`${prefix}.users.parquet`, `${prefix}.items.parquet`]);
  const v = m.model.vectors!();
  for (const [what, ids, X] of [['users', m.users.ids(), v.users], ['items', m.items.ids(), v.items]] as const) {
    const bytes = readFileSync(`${prefix}.${what}.parquet`);
    const rows = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
    assert.deepEqual(rows.map((r) => r.id), ids);
    assert.deepEqual(Object.keys(rows[0]), ['id', 'v0', 'v1', 'v2']);
    const back = Float32Array.from(rows.flatMap((r) => [r.v0, r.v1, r.v2] as number[]));
    assert.deepEqual(back, X, `${what}: the exact float32 weights`);
  }
  const rng = new Rng(3);
  const bpr = bprFamily.fromTensors(
    { numUsers: 1, numItems: 2, dim: 1 },
    { P: { shape: [1, 1], data: Float32Array.of(rng.normal()) }, Q: { shape: [2, 1], data: Float32Array.of(0.25, -2) }, B: { shape: [2], data: Float32Array.of(0.5, -1) } },
  );
  await exportVectors({ model: bpr, users: IdMap.fromIds(['a']), items: IdMap.fromIds(['x', 'y']), meta: {}, seen: null }, join(dir, 'pqb'), { format: 'parquet' });
  const b = readFileSync(join(dir, 'pqb.items.parquet'));
  const items = await parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) });
  assert.deepEqual(items, [{ id: 'x', v0: 0.25, bias: 0.5 }, { id: 'y', v0: -2, bias: -1 }]);
});

const cli = runCli;

test('lrml export: writes the files; no vectors (pop), bad format, missing folder, missing or corrupt model: exit 2, nothing written', async () => {
  const sub = mkdtempSync(join(dir, 'cli-'));
  const modelPath = join(sub, 'm.lrml');
  await saveModel(modelPath, world('rows'));
  const ok = await cli('export', '--model', modelPath, '--out', join(sub, 'v'), '--json');
  assert.equal(ok.code, 0, ok.stderr);
  const j = JSON.parse(ok.stdout);
  assert.equal(j.kind, 'lrml');
  assert.equal(j.dim, 3);
  assert.equal(j.files.length, 4);
  assert.deepEqual(readNpy(readFileSync(join(sub, 'v.items.npy'))).data, world('rows').model.vectors!().items);

  const popPath = join(sub, 'pop.lrml');
  await saveModel(popPath, { model: new PopularityModel(2, Float32Array.of(3, 1)), users: IdMap.fromIds(['a', 'b']), items: IdMap.fromIds(['x', 'y']), meta: {}, seen: null });
  const corrupt = join(sub, 'corrupt.lrml');
  writeFileSync(corrupt, 'not a model');
  const before = readdirSync(sub).sort();
  for (const [args, pattern] of [
    [['--model', popPath, '--out', join(sub, 'p')], /^error \[BAD_OPTION\]: .*pop family have no user\/item vectors/],
    [['--model', modelPath, '--out', join(sub, 'q'), '--format', 'feather'], /^error \[BAD_OPTION\]: --format: "feather" is not a format \(expected npy, csv, parquet\)/],
    [['--model', modelPath, '--out', join(sub, 'no', 'such', 'v')], /^error \[WRITE_FAILED\]: --out: .*does not exist/],
    [['--model', join(sub, 'missing.lrml'), '--out', join(sub, 'r')], /^error \[FILE_NOT_FOUND\]/],
    [['--model', corrupt, '--out', join(sub, 's')], /^error \[BAD_MODEL_FILE\]/],
    [['--model', modelPath], /^error \[USAGE\]: required option '--out <prefix>'/],
  ] as const) {
    const r = await cli('export', ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.deepEqual(readdirSync(sub).sort(), before, 'nothing written');
  }
  assert.equal(existsSync(join(sub, 'no')), false);
});
