// Every class of malformed input gives its specific error code (or documented behaviour).
// The table in docs/data.md lists the same classes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadInteractions, parseInteractions } from '../src/data/load.js';
import { LrmlError, type ErrorCode } from '../src/errors.js';
import type { LoadOptions } from '../src/data/types.js';
import { IdMap } from '../src/data/idmap.js';

const dir = mkdtempSync(join(tmpdir(), 'lrml-data-bad-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const gz = gzipSync('userId,movieId,rating\n' + '1,2,3\n'.repeat(2000));

interface Case {
  what: string;
  name: string;
  content: string | Buffer | null; // null: no file
  options?: LoadOptions;
  code: ErrorCode;
  /** Expected message (regexp) and location. */
  message?: RegExp;
  line?: number;
}

const CASES: Case[] = [
  { what: 'missing file', name: 'nope.csv', content: null, code: 'FILE_NOT_FOUND', message: /nope\.csv: no such file/ },
  { what: 'empty file (0 bytes)', name: 'empty.csv', content: '', code: 'EMPTY_FILE' },
  { what: 'only blank lines', name: 'blank.csv', content: '\n  \n\r\n', code: 'EMPTY_FILE' },
  { what: 'header only', name: 'header.csv', content: 'userId,movieId,rating\n', code: 'EMPTY_FILE', message: /only a header line/ },
  { what: 'header and blank lines only', name: 'header2.csv', content: 'userId,movieId\n\n\n', code: 'EMPTY_FILE' },
  { what: 'gzip of an empty text', name: 'empty.gz', content: gzipSync(''), code: 'EMPTY_FILE' },
  { what: 'truncated gzip', name: 'trunc.gz', content: gz.subarray(0, gz.length - 40), code: 'BAD_GZIP', message: /corrupt or truncated gzip/ },
  { what: 'corrupt gzip body', name: 'corrupt.gz', content: Buffer.concat([gz.subarray(0, 12), Buffer.alloc(200, 0xff)]), code: 'BAD_GZIP' },
  { what: 'zip archive', name: 'ratings.zip', content: Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4]), code: 'UNKNOWN_FORMAT', message: /zip archive/ },
  { what: 'bzip2 file', name: 'ratings.bz2', content: Buffer.from('BZh91AY&SY'), code: 'UNKNOWN_FORMAT', message: /bzip2/ },
  { what: 'binary (NUL bytes)', name: 'bin.dat', content: Buffer.from([1, 0, 2, 0, 10, 3, 0, 10]), code: 'UNKNOWN_FORMAT', message: /binary/ },
  { what: 'no separator on the first line', name: 'one.csv', content: 'alice\nbob\n', code: 'UNKNOWN_FORMAT', message: /no tab, comma/ },
  { what: 'classic Mac CR-only line ends', name: 'mac.csv', content: 'userId,movieId\r1,2\r3,4\r', code: 'UNKNOWN_FORMAT', message: /carriage return/ },
  {
    what: 'wrong separator (tab file read as csv)', name: 'tabs.csv', content: '1\t2\t3\n4\t5\t6\n', options: { format: 'csv' },
    code: 'MISSING_COLUMN', line: 1, message: /tabs\.csv:1: expected at least 2 fields separated by ",", found 1 .*contains tabs: wrong format or delimiter\?/,
  },
  {
    what: 'one line with another separator', name: 'mixed.csv', content: 'u,i,r\n1,2,3\n1;5;3\n', options: { header: true },
    code: 'MISSING_COLUMN', line: 3, message: /mixed\.csv:3: .*contains semicolons/,
  },
  {
    what: 'too few fields on a line', name: 'short.csv', content: 'userId,movieId,rating\n1,2,3\n4,5\n', code: 'MISSING_COLUMN', line: 3,
    message: /short\.csv:3: expected at least 3 fields separated by ",", found 2 in "4,5" \(missing rating "rating" \(3\)\)/,
  },
  {
    what: 'named column not in the header', name: 'named.csv', content: 'user,item\n1,2\n', options: { columns: ['user', 'movie'] },
    code: 'MISSING_COLUMN', message: /column "movie" \(item\) is not in the header \(columns: "user", "item"\)/,
  },
  { what: 'minRating on a file without ratings', name: 'pairs.tsv', content: '1\t2\n', options: { minRating: 4 }, code: 'MISSING_COLUMN', message: /minRating needs a rating column/ },
  { what: 'column names without a header', name: 'nohead.csv', content: '1,2\n', options: { columns: ['user', 'item'], header: false }, code: 'BAD_COLUMN' },
  { what: 'columns spec with one entry', name: 'c1.csv', content: '1,2\n', options: { columns: ['user'] }, code: 'BAD_COLUMN' },
  { what: 'columns spec with a negative index', name: 'c2.csv', content: '1,2\n', options: { columns: [0, -1] }, code: 'BAD_COLUMN' },
  { what: 'columns spec using one column twice', name: 'c3.csv', content: '1,2\n', options: { columns: [0, 0] }, code: 'BAD_COLUMN' },
  { what: 'columns spec naming and indexing the same column', name: 'c5.csv', content: 'userId,movieId\n1,2\n', options: { columns: ['userId', 0] }, code: 'BAD_COLUMN', message: /one column for two roles/ },
  { what: 'columns spec without item', name: 'c4.csv', content: '1,2\n', options: { columns: [0, null, 2] }, code: 'BAD_COLUMN' },
  {
    what: 'non-numeric rating', name: 'ratings.csv', content: 'userId,movieId,rating,timestamp\n1,2,4,5\n\n1,3,abc,7\n', code: 'BAD_VALUE', line: 4,
    message: /^ratings\.csv:4: column "rating" \(3\): "abc" is not a number$/,
  },
  {
    what: 'timestamp neither a number nor ISO-8601', name: 'ts.tsv', content: '1\t2\t4\t09/09/2001\n', code: 'BAD_VALUE', line: 1,
    message: /ts\.tsv:1: column "timestamp" \(4\): "09\/09\/2001" is neither a number nor an ISO-8601 date\/time/,
  },
  { what: 'empty rating', name: 'er.csv', content: 'userId,movieId,rating\n1,2,\n', code: 'BAD_VALUE', line: 2, message: /column "rating" \(3\): "" is not a number/ },
  { what: 'rating NaN', name: 'nan.csv', content: 'userId,movieId,rating\n1,2,NaN\n', code: 'BAD_VALUE' },
  { what: 'rating Infinity', name: 'inf.csv', content: 'userId,movieId,rating\n1,2,Infinity\n', code: 'BAD_VALUE' },
  { what: 'rating in hex', name: 'hex.csv', content: 'userId,movieId,rating\n1,2,0x10\n', code: 'BAD_VALUE' },
  { what: 'empty user id', name: 'eu.csv', content: 'userId,movieId\n1,2\n,3\n', code: 'BAD_VALUE', line: 3, message: /column "userId" \(1\): empty user id/ },
  { what: 'empty item id', name: 'ei.tsv', content: '1\t\t4\n', code: 'BAD_VALUE', line: 1, message: /empty item id/ },
  {
    what: 'unterminated quote', name: 'q1.csv', content: 'user,item\n"a,b\n', code: 'BAD_VALUE', line: 2,
    message: /q1\.csv:2: unterminated quote or text after a closing quote in "\\"a,b"$/,
  },
  { what: 'text after a closing quote', name: 'q2.csv', content: 'user,item\n"a"x,b\n', code: 'BAD_VALUE', line: 2, message: /in "\\"a\\"x,b"$/ },
  {
    what: 'quoted line with too few fields', name: 'q3.csv', content: 'user,item,rating\n"a ""b""",c\n', code: 'MISSING_COLUMN', line: 2,
    message: /found 2 in "\\"a \\"\\"b\\"\\"\\",c"/,
  },
  { what: 'every rating below minRating', name: 'low.csv', content: 'userId,movieId,rating\n1,2,1\n2,3,2\n', options: { minRating: 4 }, code: 'NO_INTERACTIONS', message: /2 below minRating, 0 kept/ },
  { what: 'k-core removes everything', name: 'kc.csv', content: 'user,item\n1,2\n2,3\n', options: { kcore: 2 }, code: 'NO_INTERACTIONS', message: /2 removed by k-core/ },
  { what: 'every line bad with skipBadLines', name: 'allbad.csv', content: 'userId,movieId,rating\n1,2,x\n3,4,y\n', options: { skipBadLines: true }, code: 'NO_INTERACTIONS', message: /2 bad lines skipped/ },
  {
    what: 'frozen maps, every id unknown', name: 'frozen.csv', content: 'user,item\nzz,qq\n',
    options: { users: IdMap.fromIds(['a']), items: IdMap.fromIds(['b']), frozen: true }, code: 'NO_INTERACTIONS', message: /1 with unknown ids/,
  },
  { what: 'unknown format option', name: 'o1.csv', content: '1,2\n', options: { format: 'xlsx' as never }, code: 'BAD_OPTION', message: /one of auto, csv, tsv, dat, ncf-rating, ncf-pairs/ },
  { what: 'kcore 0', name: 'o2.csv', content: '1,2\n', options: { kcore: 0 }, code: 'BAD_OPTION', message: /kcore/ },
  { what: 'minRating NaN', name: 'o3.csv', content: '1,2,3\n', options: { minRating: NaN }, code: 'BAD_OPTION' },
  { what: 'empty delimiter', name: 'o4.csv', content: '1,2\n', options: { delimiter: '' }, code: 'BAD_OPTION' },
  { what: 'frozen without maps', name: 'o5.csv', content: '1,2\n', options: { frozen: true }, code: 'BAD_OPTION' },
];

for (const c of CASES) {
  test(`malformed: ${c.what} → ${c.code}`, async () => {
    const p = c.content === null ? join(dir, c.name) : file(c.name, c.content);
    // relative name in messages, as a user would type it
    const shown = c.content === null ? p : p;
    await assert.rejects(loadInteractions(shown, c.options), (e: unknown) => {
      assert.ok(e instanceof LrmlError, `expected LrmlError, got ${String(e)}`);
      assert.equal(e.code, c.code, e.message);
      if (c.message) assert.match(e.message.replace(`${dir}/`, ''), c.message);
      if (c.line !== undefined) assert.equal(e.location?.line, c.line);
      return true;
    });
  });
}

test('malformed: a directory instead of a file → FILE_NOT_FOUND', async () => {
  const d = join(dir, 'adir');
  mkdirSync(d);
  await assert.rejects(loadInteractions(d), { code: 'FILE_NOT_FOUND', message: /is a directory/ });
});

test('bad value errors carry file, line, column and value in `location`', async () => {
  const p = file('loc.csv', 'userId,movieId,rating\n1,2,3\n1,3,4.5x\n');
  await assert.rejects(loadInteractions(p), (e: unknown) => {
    assert.ok(e instanceof LrmlError);
    assert.deepEqual(e.location, { file: p, line: 3, column: 3, value: '4.5x' });
    return true;
  });
});

test('skipBadLines skips and counts every bad class, with examples; good lines survive', () => {
  const text = [
    'userId,movieId,rating',
    '1,10,4', // ok
    '2,11,abc', // bad rating
    '3', // missing column
    ',12,3', // empty user
    '"4,13,3', // unterminated quote
    '5,14,5', // ok
    '6,15,', // empty rating
    '7,16,1', // ok
  ].join('\n');
  const d = parseInteractions(text, { skipBadLines: true, name: 'mixed.csv' });
  assert.equal(d.summary.badLines, 5);
  assert.equal(d.summary.kept, 3);
  assert.equal(d.summary.linesRead, 8);
  assert.deepEqual(d.users.ids(), ['1', '5', '7']);
  const ex = d.summary.badLineExamples ?? [];
  assert.equal(ex.length, 5);
  assert.match(ex[0], /^BAD_VALUE: mixed\.csv:3: column "rating" \(3\): "abc" is not a number$/);
  assert.match(ex[1], /^MISSING_COLUMN: mixed\.csv:4:/);
  // without the option, the first bad line stops the load
  assert.throws(() => parseInteractions(text, { name: 'mixed.csv' }), { code: 'BAD_VALUE', message: /mixed\.csv:3:/ });
});

test('skipBadLines keeps at most 5 examples but counts all', () => {
  const text = 'userId,movieId,rating\n1,2,3\n' + '1,2,x\n'.repeat(50);
  const d = parseInteractions(text, { skipBadLines: true });
  assert.equal(d.summary.badLines, 50);
  assert.equal(d.summary.badLineExamples?.length, 5);
});

test('line numbers count the header, blank lines and CRLF lines as physical lines', () => {
  assert.throws(() => parseInteractions('\r\nuserId,movieId,rating\r\n\r\n1,2,3\r\n1,2,bad\r\n'), { code: 'BAD_VALUE', message: /^<text>:5:/ });
});

test('parseInteractions refuses gzip bytes with a clear message', () => {
  assert.throws(() => parseInteractions(gzipSync('a,b\n')), { code: 'UNKNOWN_FORMAT', message: /gzip/ });
});

test('documented behaviours that are not errors', () => {
  // extra columns are ignored
  assert.equal(parseInteractions('1,2,3,4,5,6\n').summary.kept, 1);
  // a line with more fields than the header is fine; fewer is not
  assert.equal(parseInteractions('userId,movieId\n1,2,extra\n').summary.kept, 1);
  // duplicates keep the latest
  const d = parseInteractions('userId,movieId,rating\n1,2,5\n1,2,1\n');
  assert.deepEqual([d.summary.duplicates, d.rating?.[0]], [1, 1]);
  // blank lines are counted, not errors
  assert.equal(parseInteractions('1,2\n\n\n3,4\n').summary.blankLines, 2);
});

test('malformed: ids that are not valid UTF-8 (e.g. Latin-1) → BAD_VALUE (skippable); BOMs inside ids are kept', async () => {
  const latin1 = Buffer.concat([Buffer.from('user,item\nJos'), Buffer.from([0xe9]), Buffer.from(',x\nJos'), Buffer.from([0xe8]), Buffer.from(',y\nok,z\n')]);
  const p = file('latin1.csv', latin1);
  await assert.rejects(loadInteractions(p), { code: 'BAD_VALUE', message: /latin1\.csv:2: column "user" \(1\): user id "Jos\uFFFD" is not valid UTF-8/ });
  const d = await loadInteractions(p, { skipBadLines: true });
  assert.deepEqual([d.summary.badLines, d.users.ids()], [2, ['ok']]);
  const bom = parseInteractions('user,item\n\uFEFFa,x\na,y\n');
  assert.deepEqual(bom.users.ids(), ['\uFEFFa', 'a']);
});

test('malformed: NUL bytes after the first line, within 8 KiB → UNKNOWN_FORMAT', async () => {
  const p = file('nul.csv', Buffer.concat([Buffer.from('user,item\n1,2\n'), Buffer.alloc(100, 0)]));
  await assert.rejects(loadInteractions(p), { code: 'UNKNOWN_FORMAT', message: /binary/ });
});

test('malformed: no line break in the first 16 MiB → UNKNOWN_FORMAT (without reading the rest)', async () => {
  const p = file('oneline.csv', Buffer.alloc(17 * 1024 * 1024, 0x61));
  await assert.rejects(loadInteractions(p), { code: 'UNKNOWN_FORMAT', message: /no line break in 16 MiB/ });
});
