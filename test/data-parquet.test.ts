// Parquet input (#20 item 6): files written here with hyparquet-writer (a devDependency) from the
// same rows as a CSV load to exactly the same Interactions (ids, ratings, timestamps, filters,
// summary counts), over several row groups; column options as for CSV; malformed files and options
// are typed errors naming the file and row (CLI: exit 2).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { parquetMetadata } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { loadInteractions } from '../src/data/load.js';
import type { Interactions, LoadOptions } from '../src/data/types.js';
import { LrmlError } from '../src/errors.js';
import { repoRoot, runCli } from './helpers.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lrml-parquet-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

type Column = { name: string; data: unknown[] | ArrayLike<unknown>; type?: string; nullable?: boolean };
function writeParquet(name: string, columnData: Column[], extra: Record<string, unknown> = {}): string {
  const p = join(dir, name);
  writeFileSync(p, new Uint8Array(parquetWriteBuffer({ columnData, ...extra } as never)));
  return p;
}

/** Everything a load gives, as plain values, for deepEqual. */
function plain(d: Interactions): unknown {
  const { file: _file, format: _format, header: _header, delimiter: _delimiter, ...summary } = d.summary;
  return {
    users: d.users.ids(), items: d.items.ids(), user: [...d.user], item: [...d.item],
    rating: d.rating === null ? null : [...d.rating], timestamp: d.timestamp === null ? null : [...d.timestamp], summary,
  };
}

const code = (c: string, re?: RegExp) => (e: unknown) => e instanceof LrmlError && e.code === c && (re === undefined || re.test(e.message));

/** The first `n` rows of ml-latest-small's ratings.csv (userId,movieId,rating,timestamp). */
function mlRows(n: number): string[][] {
  const lines = readFileSync(join(repoRoot(), 'data', 'ml-latest-small', 'ratings.csv'), 'utf8').split('\n');
  return lines.slice(1, n + 1).map((l) => l.trim().split(','));
}

test('parquet: ml-latest-small rows give exactly the CSV\'s Interactions, over several row groups, with and without filters', async () => {
  const rows = mlRows(3000);
  // a repeated pair (the later line wins) and one more user, to exercise the duplicates rule
  rows.push([rows[5][0], rows[5][1], '0.5', '1700000000'], ['99999', rows[0][1], '4', '1700000001']);
  const csv = join(dir, 'r.csv');
  writeFileSync(csv, ['userId,movieId,rating,timestamp', ...rows.map((r) => r.join(','))].join('\n') + '\n');
  const pq = writeParquet('r.parquet', [
    { name: 'userId', data: Int32Array.from(rows, (r) => Number(r[0])), type: 'INT32' },
    { name: 'movieId', data: Int32Array.from(rows, (r) => Number(r[1])), type: 'INT32' },
    { name: 'rating', data: Float64Array.from(rows, (r) => Number(r[2])), type: 'DOUBLE' },
    { name: 'timestamp', data: BigInt64Array.from(rows, (r) => BigInt(r[3])), type: 'INT64' },
  ], { rowGroupSize: 700 });
  const opts: LoadOptions[] = [{}, { minRating: 4 }, { kcore: 5 }, { columns: ['movieId', 'userId'] }, { columns: [0, 1, null, 3] }];
  for (const o of opts) {
    const a = await loadInteractions(csv, o);
    const b = await loadInteractions(pq, o);
    assert.deepEqual(plain(b), plain(a), JSON.stringify(o));
    assert.equal(b.summary.format, 'parquet');
  }
  const b = await loadInteractions(pq);
  assert.equal(b.summary.duplicates, 1);
  assert.equal(b.summary.linesRead, rows.length);
  // named by extension only, it is still found by its magic bytes
  const renamed = join(dir, 'r.bin');
  writeFileSync(renamed, readFileSync(pq));
  assert.deepEqual(plain(await loadInteractions(renamed)), plain(b));
});

test('parquet: string ids, FLOAT ratings, string and Parquet timestamps load as the CSV with ISO-8601 times', async () => {
  const users = ['alice', 'bob', ' carol ', 'bob', 'dave'];
  const items = ['x', 'y', 'x', 'z', 'y'];
  const ratings = [4.5, 3, 2.5, 5, 1];
  const iso = ['2020-01-02T03:04:05Z', '2020-01-03', '2021-06-01T00:00:00.250Z', '2022-12-31T23:59:59Z', '2019-07-04T12:00:00Z'];
  const csv = join(dir, 's.csv');
  writeFileSync(csv, ['user,item,rating,time', ...users.map((u, k) => `${u.trim()},${items[k]},${ratings[k]},${iso[k]}`)].join('\n') + '\n');
  const expected = plain(await loadInteractions(csv));
  const strings = writeParquet('s.parquet', [
    { name: 'user', data: users, type: 'STRING' },
    { name: 'item', data: items, type: 'STRING' },
    { name: 'rating', data: Float32Array.from(ratings), type: 'FLOAT' },
    { name: 'time', data: iso, type: 'STRING' },
  ]);
  assert.deepEqual(plain(await loadInteractions(strings)), expected);
  const dates = writeParquet('d.parquet', [
    { name: 'user', data: users, type: 'STRING' },
    { name: 'item', data: items, type: 'STRING' },
    { name: 'rating', data: ratings, type: 'DOUBLE' },
    { name: 'time', data: iso.map((s) => new Date(s)), type: 'TIMESTAMP' },
  ]);
  assert.deepEqual(plain(await loadInteractions(dates)), expected);
});

test('parquet: column choice as for CSV: by name, by index, ignored columns reported; a missing name is MISSING_COLUMN', async () => {
  const pq = writeParquet('c.parquet', [
    { name: 'session', data: ['s1', 's2', 's3'], type: 'STRING' },
    { name: 'customer_id', data: ['c1', 'c2', 'c1'], type: 'STRING' },
    { name: 'product_id', data: ['p1', 'p1', 'p2'], type: 'STRING' },
    { name: 'stars', data: [5, 3, 4], type: 'DOUBLE' },
  ]);
  const d = await loadInteractions(pq);
  assert.deepEqual(d.summary.columns, { user: { index: 1, name: 'customer_id' }, item: { index: 2, name: 'product_id' }, rating: { index: 3, name: 'stars' }, timestamp: null });
  assert.deepEqual(d.summary.ignoredColumns, [{ index: 0, name: 'session' }]);
  assert.deepEqual(d.users.ids(), ['c1', 'c2']);
  const byIndex = await loadInteractions(pq, { columns: [2, 0] });
  assert.deepEqual([byIndex.users.ids(), byIndex.items.ids(), byIndex.rating], [['p1', 'p2'], ['s1', 's2', 's3'], null]);
  await assert.rejects(loadInteractions(pq, { columns: ['customer_id', 'sku'] }), code('MISSING_COLUMN', /column "sku" \(item\) is not in the header \(columns: "session", "customer_id", "product_id", "stars"\)/));
  await assert.rejects(loadInteractions(pq, { columns: [1, 9] }), code('MISSING_COLUMN', /column 9 \(item\) does not exist: the file has 4 columns/));
  await assert.rejects(loadInteractions(pq, { delimiter: ';' }), code('BAD_OPTION', /delimiter does not apply to a Parquet file/));
  await assert.rejects(loadInteractions(pq, { format: 'csv' }), code('UNKNOWN_FORMAT', /a Parquet file \(it starts with PAR1\), read as format csv/));
  assert.equal((await loadInteractions(pq, { format: 'parquet' })).summary.kept, 3);
});

test('parquet: bad rows name file and row (thrown, or skipped and counted); damaged or misnamed files are UNKNOWN_FORMAT', async () => {
  const pq = writeParquet('bad.parquet', [
    { name: 'user', data: ['a', null, 'c', 'd'], type: 'STRING' },
    { name: 'item', data: ['x', 'y', 'z', 'x'], type: 'STRING' },
    { name: 'rating', data: ['4', '5', 'abc', '3'], type: 'STRING' },
  ]);
  await assert.rejects(loadInteractions(pq), code('BAD_VALUE', /bad\.parquet, row 2: column "user" \(1\): empty user id$/));
  const skipped = await loadInteractions(pq, { skipBadLines: true });
  assert.equal(skipped.summary.badLines, 2);
  assert.deepEqual(skipped.summary.badLineExamples, [
    `BAD_VALUE: ${pq}, row 2: column "user" (1): empty user id`,
    `BAD_VALUE: ${pq}, row 3: column "rating" (3): "abc" is not a number`,
  ]);
  assert.deepEqual([skipped.users.ids(), [...skipped.rating!]], [['a', 'd'], [4, 3]]);
  const good = readFileSync(pq);
  const cut = join(dir, 'cut.parquet');
  writeFileSync(cut, good.subarray(0, good.length - 20));
  await assert.rejects(loadInteractions(cut), code('UNKNOWN_FORMAT', /cut\.parquet: not a readable Parquet file/));
  const text = join(dir, 'text.parquet');
  writeFileSync(text, 'user,item\n1,2\n');
  await assert.rejects(loadInteractions(text), code('UNKNOWN_FORMAT', /named \.parquet, but the file does not start with the Parquet magic bytes PAR1/));
  const csv = join(dir, 'plain.csv');
  writeFileSync(csv, 'user,item\n1,2\n');
  await assert.rejects(loadInteractions(csv, { format: 'parquet' }), code('UNKNOWN_FORMAT', /format parquet, but the file does not start with the Parquet magic bytes PAR1/));
  const empty = writeParquet('empty.parquet', [{ name: 'user', data: [], type: 'STRING' }, { name: 'item', data: [], type: 'STRING' }]);
  await assert.rejects(loadInteractions(empty), code('EMPTY_FILE', /no rows/));
});

test('parquet: gzip, brotli (written here) and zstd (test/fixtures, by the zstd command) column chunks read as the same rows in CSV (hyparquet-compressors)', async () => {
  const rows = mlRows(300);
  const csv = join(dir, 'codecs.csv');
  writeFileSync(csv, `userId,movieId,rating\n${rows.map((r) => r.slice(0, 3).join(',')).join('\n')}\n`);
  const want = plain(await loadInteractions(csv));
  const columns: Column[] = [
    { name: 'userId', data: rows.map((r) => r[0]), type: 'STRING' },
    { name: 'movieId', data: rows.map((r) => r[1]), type: 'STRING' },
    { name: 'rating', data: rows.map((r) => Number(r[2])), type: 'DOUBLE' },
  ];
  const written = {
    GZIP: writeParquet('gz.parquet', columns, { codec: 'GZIP', compressors: { GZIP: (b: Uint8Array) => new Uint8Array(gzipSync(b)) }, rowGroupSize: 128 }),
    BROTLI: writeParquet('br.parquet', columns, { codec: 'BROTLI', compressors: { BROTLI: (b: Uint8Array) => new Uint8Array(brotliCompressSync(b)) }, rowGroupSize: 128 }),
  };
  for (const [codec, pq] of Object.entries(written)) {
    assert.deepEqual(await codecsOf(pq), [codec], `${pq} is written with ${codec}`);
    assert.deepEqual(plain(await loadInteractions(pq)), want, codec);
  }
  // zstd: Node 20's zlib cannot write it; the fixture and its CSV come from test/fixtures/make-zstd-parquet.mjs
  const fixtures = join(repoRoot(), 'test', 'fixtures');
  const zstd = join(fixtures, 'interactions-zstd.parquet');
  assert.deepEqual(await codecsOf(zstd), ['ZSTD']);
  const fromZstd = await loadInteractions(zstd);
  assert.equal(fromZstd.summary.kept, 240);
  assert.deepEqual(plain(fromZstd), plain(await loadInteractions(join(fixtures, 'interactions-zstd.csv'))));
});

/** The compression codecs of a Parquet file's column chunks. */
async function codecsOf(path: string): Promise<string[]> {
  const meta = parquetMetadata(toArrayBuffer(readFileSync(path)));
  return [...new Set(meta.row_groups.flatMap((g) => g.columns.map((c) => String(c.meta_data?.codec))))];
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

test('CLI: --data x.parquet is read as CSV is; a bad Parquet file or --format parquet on text exits 2', async () => {
  const rows = mlRows(200);
  const pq = writeParquet('cli.parquet', [
    { name: 'userId', data: rows.map((r) => r[0]), type: 'STRING' },
    { name: 'movieId', data: rows.map((r) => r[1]), type: 'STRING' },
    { name: 'rating', data: rows.map((r) => Number(r[2])), type: 'DOUBLE' },
  ]);
  const ok = await runCli('info', '--data', pq, '--min-rating', '4');
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /cli\.parquet: parquet, columns: user=userId, item=movieId, rating=rating\nrows: 200 rows read, \d+ below minRating, \d+ kept\n/);
  const csv = join(dir, 'cli.csv');
  writeFileSync(csv, 'userId,movieId\n1,2\n');
  const bad = await runCli('info', '--data', csv, '--format', 'parquet');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /error \[UNKNOWN_FORMAT\]: .*cli\.csv: format parquet, but the file does not start with the Parquet magic bytes PAR1/);
  const cut = join(dir, 'cli-cut.parquet');
  writeFileSync(cut, readFileSync(pq).subarray(0, 100));
  const r = await runCli('info', '--data', cut);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /error \[UNKNOWN_FORMAT\]: .*cli-cut\.parquet: not a readable Parquet file/);
});

test('parquet: damaged files (truncated, bytes flipped) load or throw an LrmlError, never another exception', async () => {
  const good = readFileSync(writeParquet('f.parquet', [
    { name: 'user', data: ['a', 'b', 'c', 'a'], type: 'STRING' },
    { name: 'item', data: Int32Array.of(1, 2, 3, 4), type: 'INT32' },
    { name: 'rating', data: [1, 2, 3, 4], type: 'DOUBLE' },
    { name: 'time', data: [1, 2, 3, 4].map((x) => new Date(x * 1e9)), type: 'TIMESTAMP' },
  ], { rowGroupSize: 2 }));
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const p = join(dir, 'fuzz.parquet');
  let errors = 0;
  for (let t = 0; t < 300; t++) {
    const b = Buffer.from(good);
    const damaged = t % 3 === 0 ? b.subarray(0, 4 + rand(b.length - 4)) : b;
    if (t % 3 !== 0) for (let k = 0; k < 1 + rand(4); k++) damaged[4 + rand(b.length - 8)] ^= 1 << rand(8);
    writeFileSync(p, damaged);
    try {
      await loadInteractions(p);
    } catch (e) {
      assert.ok(e instanceof LrmlError, `mutation ${t}: ${(e as Error).stack}`);
      errors++;
    }
  }
  assert.ok(errors > 0, 'some mutations are refused');
});

test('parquet: a NaN id in a float column is an empty id (a bad row), as in a CSV', async () => {
  // pandas writes an int id column with gaps as DOUBLE with NaN; the CSV of the same rows has an empty field
  const pq = writeParquet('nan-id.parquet', [
    { name: 'user', data: [1, NaN, 3], type: 'DOUBLE' },
    { name: 'item', data: [10, 20, 30], type: 'INT32' },
  ]);
  await assert.rejects(loadInteractions(pq), code('BAD_VALUE', /nan-id\.parquet, row 2: column "user" \(1\): empty user id$/));
  const skipped = await loadInteractions(pq, { skipBadLines: true });
  assert.deepEqual([skipped.users.ids(), skipped.items.ids()], [['1', '3'], ['10', '30']]);
});

test('parquet: a long user id leaves room for the item id after it', async () => {
  // 85 three-byte characters fill 255 of the 256 bytes the reader starts with: the item's digits still fit
  const long = '語'.repeat(85);
  const big = writeParquet('long-id.parquet', [
    { name: 'user', data: [long, 'b'], type: 'STRING' },
    { name: 'item', data: [1234567890, 7], type: 'INT32' },
  ]);
  const d = await loadInteractions(big);
  assert.deepEqual([d.users.ids(), d.items.ids()], [[long, 'b'], ['1234567890', '7']]);
});
