// ISO-8601 timestamps in interaction files (issue #20 item 6): converted to epoch seconds;
// malformed ones are BAD_VALUE naming file, line and column, or skipped with skipBadLines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInteractions } from '../src/data/load.js';
import { parseIsoTimestamp, parseNumber } from '../src/data/byte-fields.js';
import { LrmlError } from '../src/errors.js';

const enc = new TextEncoder();
function iso(s: string): number {
  const b = enc.encode(s);
  return parseIsoTimestamp(b, 0, b.length);
}

test('parseIsoTimestamp: accepted forms equal Date.parse (seconds)', () => {
  const cases: [string, string][] = [
    ['2024-03-01', '2024-03-01T00:00:00Z'],
    ['2024-03-01T12:00:00Z', '2024-03-01T12:00:00Z'],
    ['2024-03-01t12:00:00z', '2024-03-01T12:00:00Z'],
    ['2024-03-01 12:00:00Z', '2024-03-01T12:00:00Z'],
    ['2024-03-01T12:00', '2024-03-01T12:00:00Z'],
    ['2024-03-01T12:00:00', '2024-03-01T12:00:00Z'],
    ['2024-03-01T12:00:00+02:00', '2024-03-01T12:00:00+02:00'],
    ['2024-03-01T12:00:00-0530', '2024-03-01T12:00:00-05:30'],
    ['2024-03-01T01:00:00+03', '2024-03-01T01:00:00+03:00'],
    ['2024-02-29T23:59:59Z', '2024-02-29T23:59:59Z'],
    ['2000-02-29', '2000-02-29T00:00:00Z'],
    ['1969-12-31T23:59:59Z', '1969-12-31T23:59:59Z'],
    ['1600-03-01', '1600-03-01T00:00:00Z'],
    ['0001-01-01', '0001-01-01T00:00:00Z'],
    ['9999-12-31T23:59:59Z', '9999-12-31T23:59:59Z'],
  ];
  for (const [s, ref] of cases) assert.equal(iso(s), Date.parse(ref) / 1000, s);
  assert.equal(iso('1970-01-01T00:00:00Z'), 0);
});

test('parseIsoTimestamp: fractional seconds (dot or comma) are kept', () => {
  assert.equal(iso('1970-01-01T00:00:01.5Z'), 1.5);
  assert.equal(iso('1970-01-01T00:00:01,25Z'), 1.25);
  assert.equal(iso('1970-01-01T00:00:00.123456789+00:00'), 0.123456789);
  const t = iso('2024-03-01T12:00:00.250+02:00');
  assert.ok(Math.abs(t - (Date.parse('2024-03-01T10:00:00Z') / 1000 + 0.25)) < 1e-6, String(t));
});

test('parseIsoTimestamp: malformed or out-of-range values are NaN', () => {
  for (const s of [
    '', '2024', '2024-3-01', '2024-03-1', '24-03-01', '2024/03/01', '2024-13-01', '2024-00-10', '2024-03-00',
    '2023-02-29', '1900-02-29', '2024-04-31', '2024-03-01T', '2024-03-01T12', '2024-03-01T12:', '2024-03-01T24:00',
    '2024-03-01T12:60', '2024-03-01T12:00:60Z', '2024-03-01T12:00:00.', '2024-03-01T12:00:00.Z', '2024-03-01Z',
    '2024-03-01T12:00:00+', '2024-03-01T12:00:00+2', '2024-03-01T12:00:00+02:', '2024-03-01T12:00:00+24:00',
    '2024-03-01T12:00:00+02:60', '2024-03-01T12:00:00ZZ', '2024-03-01T12:00:00 Z', '2024-03-01x', '2024-03-01T12:00:00+02:00x',
    '2024-03-01T12:00:00 +02:00', 'abcd-ef-gh',
  ]) {
    assert.ok(Number.isNaN(iso(s)), `${JSON.stringify(s)} → ${iso(s)}`);
  }
});

test('parseIsoTimestamp reads only its field: bytes after end are ignored', () => {
  const b = enc.encode('2024-03-01T12:00:00Z\t7');
  assert.equal(parseIsoTimestamp(b, 0, 10), Date.parse('2024-03-01') / 1000);
  const c = enc.encode('2024-03\t-01');
  assert.ok(Number.isNaN(parseIsoTimestamp(c, 0, 7)));
});

test('CSV and TSV: ISO-8601 timestamps load as epoch seconds, mixed with numbers', () => {
  const csv = parseInteractions('userId,movieId,rating,timestamp\n1,10,5,2024-03-01\n1,11,4,2024-03-01T12:00:00Z\n2,10,3,"2024-03-01T12:00:00.5+02:00"\n2,12,1,1709251200\n', { name: 'r.csv' });
  assert.deepEqual(Array.from(csv.timestamp!), [1709251200, 1709294400, 1709287200.5, 1709251200]);
  const tsv = parseInteractions('1\t10\t5\t2001-01-06T23:37:48Z\n1\t48\t5\t978824351\n', { name: 'r.tsv' });
  assert.equal(tsv.summary.format, 'tsv');
  assert.deepEqual(Array.from(tsv.timestamp!), [978824268, 978824351]);
  // Named by the timestamp role alone (no rating), with a space between date and time.
  const named = parseInteractions('user,item,time\na,x,2024-03-01 00:00:01\n', { name: 'n.csv' });
  assert.deepEqual(Array.from(named.timestamp!), [1709251201]);
});

test('a malformed ISO timestamp is BAD_VALUE naming file, line, column and value', () => {
  const text = 'userId,movieId,rating,timestamp\n1,10,5,2024-03-01T10:00:00Z\n1,11,4,2024-02-30T10:00:00Z\n';
  assert.throws(() => parseInteractions(text, { name: 'bad.csv' }), (e: unknown) => {
    assert.ok(e instanceof LrmlError);
    assert.equal(e.code, 'BAD_VALUE');
    assert.match(e.message, /^bad\.csv:3: column "timestamp" \(4\): "2024-02-30T10:00:00Z" is neither a number nor an ISO-8601 date\/time \(YYYY-MM-DD/);
    assert.deepEqual(e.location, { file: 'bad.csv', line: 3, column: 4, value: '2024-02-30T10:00:00Z' });
    return true;
  });
});

test('with skipBadLines a malformed ISO timestamp is skipped and counted, like a bad number', () => {
  const text = 'userId,movieId,rating,timestamp\n1,10,5,2024-03-01\n1,11,4,2024-03-01T25:00Z\n2,10,3,yesterday\n';
  const data = parseInteractions(text, { name: 's.csv', skipBadLines: true });
  assert.equal(data.summary.badLines, 2);
  assert.equal(data.summary.kept, 1);
  assert.match(data.summary.badLineExamples![0], /^BAD_VALUE: s\.csv:3: column "timestamp" \(4\): "2024-03-01T25:00Z" is neither/);
  assert.deepEqual(Array.from(data.timestamp!), [1709251200]);
});

test('ISO timestamps order a leave-latest-out split like the equivalent epoch seconds', async () => {
  const { leaveLatestOut } = await import('../src/data/split.js');
  const a = parseInteractions('u\ti\tr\tt\n1\tx\t5\t2024-03-02T00:00:00+05:00\n1\ty\t5\t2024-03-01T20:00:00Z\n1\tz\t5\t2024-03-01\n', { name: 'a.tsv' });
  const { test: held } = leaveLatestOut(a);
  // 2024-03-02T00:00+05:00 is 2024-03-01T19:00Z: y is the latest.
  assert.deepEqual(Array.from(held.item).map((i) => a.items.id(i)), ['y']);
});

test('parseNumber: a date is not a number, exponents with a minus still are', () => {
  const num = (x: string): number => parseNumber(enc.encode(x), 0, x.length);
  assert.ok(Number.isNaN(num('2024-03-01')));
  assert.ok(Number.isNaN(num('5-')));
  assert.equal(num('123e-5'), 0.00123);
  assert.equal(num('-12'), -12);
});
