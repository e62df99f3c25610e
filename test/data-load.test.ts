import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadInteractions, parseInteractions, toCsr, writeInteractions } from '../src/data/load.js';
import { InteractionParser } from '../src/data/parse.js';
import { IdMap } from '../src/data/idmap.js';
import { Rng } from '../src/rng.js';
import type { Interactions, LoadOptions } from '../src/data/types.js';

const dir = mkdtempSync(join(tmpdir(), 'lrml-data-load-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** (user id, item id, rating, timestamp) tuples of a load, in order. */
function tuples(d: Interactions): [string, string, number | null, number | null][] {
  const out: [string, string, number | null, number | null][] = [];
  for (let k = 0; k < d.user.length; k++) {
    out.push([d.users.id(d.user[k]), d.items.id(d.item[k]), d.rating ? d.rating[k] : null, d.timestamp ? d.timestamp[k] : null]);
  }
  return out;
}

const EXPECTED: [string, string, number, number][] = [
  ['1', '10', 4, 100],
  ['1', '20', 3.5, 101],
  ['2', '10', 5, 102],
  ['3', '30', 1, 103],
];

const FORMATS: { name: string; text: string; format: string; header: boolean; rating: boolean; timestamp: boolean }[] = [
  {
    name: 'ratings.csv',
    text: 'userId,movieId,rating,timestamp\n1,10,4,100\n1,20,3.5,101\n2,10,5,102\n3,30,1,103\n',
    format: 'csv', header: true, rating: true, timestamp: true,
  },
  {
    name: 'ratings.tsv',
    text: 'user_id\titem_id\trating\ttimestamp\n1\t10\t4\t100\n1\t20\t3.5\t101\n2\t10\t5\t102\n3\t30\t1\t103\n',
    format: 'tsv', header: true, rating: true, timestamp: true,
  },
  {
    name: 'ratings.dat',
    text: '1::10::4::100\n1::20::3.5::101\n2::10::5::102\n3::30::1::103\n',
    format: 'dat', header: false, rating: true, timestamp: true,
  },
  {
    name: 'ml.test.rating',
    text: '1\t10\t4\t100\n1\t20\t3.5\t101\n2\t10\t5\t102\n3\t30\t1\t103\n',
    format: 'ncf-rating', header: false, rating: true, timestamp: true,
  },
  {
    name: 'ml.train.pairs',
    text: '1\t10\n1\t20\n2\t10\n3\t30\n',
    format: 'ncf-pairs', header: false, rating: false, timestamp: false,
  },
];

for (const f of FORMATS) {
  for (const gz of [false, true]) {
    test(`loads ${f.format}${gz ? ' (gzip)' : ''}: auto-detected, same interactions`, async () => {
      // gzip is detected by content: the .gz file gets a misleading name on purpose.
      const p = file(gz ? `${f.name}.data` : f.name, gz ? gzipSync(f.text) : f.text);
      const d = await loadInteractions(p);
      assert.equal(d.summary.format, f.format);
      assert.equal(d.summary.gzip, gz);
      assert.equal(d.summary.header, f.header);
      assert.equal(d.summary.linesRead, 4);
      assert.equal(d.summary.kept, 4);
      const want = EXPECTED.map(([u, i, r, t]) => [u, i, f.rating ? r : null, f.timestamp ? t : null]);
      assert.deepEqual(tuples(d), want);
      assert.deepEqual(d.users.ids(), ['1', '2', '3']);
      assert.deepEqual(d.items.ids(), ['10', '20', '30']);
      // forcing the right format gives the same result
      const forced = await loadInteractions(p, { format: f.format as LoadOptions['format'] });
      assert.deepEqual(tuples(forced), want);
    });
  }
}

test('plain .gz name with text content is read as text (magic bytes, not extension)', async () => {
  const p = file('not-really.csv.gz', 'user,item\na,b\n');
  const d = await loadInteractions(p);
  assert.equal(d.summary.gzip, false);
  assert.deepEqual(tuples(d), [['a', 'b', null, null]]);
});

test('columns by name and by 0-based index, in any order; "-"/null skips', async () => {
  const text = 'ts,rating,item,user,extra\n100,4,x,alice,z\n101,2,y,bob,z\n';
  const byName = parseInteractions(text, { columns: ['user', 'item', 'rating', 'ts'] });
  const byIndex = parseInteractions(text, { columns: [3, 2, 1, 0], header: true });
  assert.deepEqual(tuples(byName), [['alice', 'x', 4, 100], ['bob', 'y', 2, 101]]);
  assert.deepEqual(tuples(byIndex), tuples(byName));
  const noRating = parseInteractions(text, { columns: ['user', 'item', null, 'ts'] });
  assert.deepEqual(tuples(noRating), [['alice', 'x', null, 100], ['bob', 'y', null, 101]]);
  assert.equal(noRating.summary.columns?.timestamp?.name, 'ts');
  const dash = parseInteractions(text, { columns: ['user', 'item', '-', 'ts'] });
  assert.deepEqual(tuples(dash), tuples(noRating));
});

test('header auto-detection: known names, unknown names over numbers, none', () => {
  assert.equal(parseInteractions('userId,movieId\n1,2\n').summary.header, true);
  assert.equal(parseInteractions('a,b,c\nx,y,5\n').summary.header, true); // no number at all above a number
  assert.equal(parseInteractions('u1,i1,5\nu2,i2,4\n').summary.header, false);
  assert.equal(parseInteractions('1,2\n3,4\n').summary.header, false);
  // forced
  assert.deepEqual(tuples(parseInteractions('userId,movieId\n1,2\n', { header: false })), [['userId', 'movieId', null, null], ['1', '2', null, null]]);
  assert.deepEqual(tuples(parseInteractions('p,q\n1,2\n', { header: true })), [['1', '2', null, null]]);
});

test('short header names: u/i/r/t name the columns (a rating named "r" is not dropped)', () => {
  const r = parseInteractions('user,item,r\nalice,x,4\nbob,y,2\n');
  assert.equal(r.summary.columns?.rating?.name, 'r');
  assert.deepEqual(tuples(r), [['alice', 'x', 4, null], ['bob', 'y', 2, null]]);
  assert.deepEqual(r.summary.ignoredColumns, []);
  const uirt = parseInteractions('t,r,i,u\n100,4,x,alice\n101,2,y,bob\n');
  assert.equal(uirt.summary.header, true);
  assert.deepEqual(tuples(uirt), [['alice', 'x', 4, 100], ['bob', 'y', 2, 101]]);
  assert.deepEqual(tuples(parseInteractions('u\ti\na\tx\n')), [['a', 'x', null, null]]);
  // other spellings of the same roles
  const long = parseInteractions('user_id;movieId;score;time\nalice;x;4;100\n');
  assert.deepEqual(tuples(long), [['alice', 'x', 4, 100]]);
  const d = parseInteractions('userId,itemId,rate,ts\nalice,x,4,100\n');
  assert.deepEqual(tuples(d), [['alice', 'x', 4, 100]]);
  // one lone one-letter id on a first line does not make it a header
  const data = parseInteractions('u,1,5\nv,2,4\n');
  assert.equal(data.summary.header, false);
  assert.deepEqual(data.users.ids(), ['u', 'v']);
  assert.equal(parseInteractions('alice,t\nbob,t\n').summary.header, false);
});

test('columns no role reads are reported in summary.ignoredColumns, with a header or without', () => {
  const d = parseInteractions('userId,movieId,stars_given,comment\n1,10,4,nice\n2,10,5,ok\n');
  assert.equal(d.summary.columns?.rating, null);
  assert.deepEqual(d.summary.ignoredColumns, [{ index: 2, name: 'stars_given' }, { index: 3, name: 'comment' }]);
  // unknown names: user and item by position, the rest ignored
  const e = parseInteractions('a,b,c\nx,y,5\n');
  assert.deepEqual([e.summary.columns?.user.name, e.summary.columns?.item.name, e.summary.columns?.rating], ['a', 'b', null]);
  assert.deepEqual(e.summary.ignoredColumns, [{ index: 2, name: 'c' }]);
  // columns chosen by the caller: the others are ignored
  const f = parseInteractions('ts,rating,item,user,extra\n100,4,x,alice,z\n', { columns: ['user', 'item'] });
  assert.deepEqual(f.summary.ignoredColumns, [{ index: 0, name: 'ts' }, { index: 1, name: 'rating' }, { index: 4, name: 'extra' }]);
  // no header: the first data line's fields beyond user, item, rating, timestamp
  const g = parseInteractions('1,10,4,100,x\n2,10,5,101,y\n');
  assert.deepEqual(g.summary.ignoredColumns, [{ index: 4, name: 'column 5' }]);
  assert.deepEqual(parseInteractions('1\t10\t4\t100\n').summary.ignoredColumns, []);
});

test('header names pick the columns; unnamed user/item fall back to the first free columns', () => {
  const d = parseInteractions('customer,product,qty\nc1,p1,3\n');
  assert.equal(d.summary.columns?.user.name, 'customer');
  assert.equal(d.summary.columns?.item.name, 'product');
  assert.equal(d.summary.columns?.rating, null); // "qty" is not a rating name
  const e = parseInteractions('a,b,rating\nc1,p1,3\n', { header: true });
  assert.deepEqual(tuples(e), [['c1', 'p1', 3, null]]);
});

test('no header: 3rd column is the rating, 4th the timestamp; extra columns ignored', () => {
  assert.deepEqual(tuples(parseInteractions('a,b,3\n')), [['a', 'b', 3, null]]);
  assert.deepEqual(tuples(parseInteractions('a,b,3,7,extra,more\n')), [['a', 'b', 3, 7]]);
});

test('CRLF line ends, UTF-8 BOM, blank and whitespace-only lines, no final newline', () => {
  const text = '\uFEFFuserId,movieId,rating\r\n1,10,4\r\n\r\n   \r\n2,20,5';
  const d = parseInteractions(text);
  assert.equal(d.summary.header, true);
  assert.equal(d.summary.columns?.user.name, 'userId'); // BOM not glued to the name
  assert.deepEqual(tuples(d), [['1', '10', 4, null], ['2', '20', 5, null]]);
  assert.equal(d.summary.blankLines, 2);
  assert.equal(d.summary.linesRead, 2);
});

test('fields are trimmed of spaces; ids keep inner spaces; UTF-8 ids', () => {
  const d = parseInteractions('user , item\n  Zoë Ünal ,  Café au lait  \n');
  assert.deepEqual(tuples(d), [['Zoë Ünal', 'Café au lait', null, null]]);
});

test('quoted CSV fields: commas and "" inside quotes', () => {
  const d = parseInteractions('user,item,rating\n"Smith, J.","The ""Best"" Movie",4\nplain,"x",3\n');
  assert.deepEqual(tuples(d), [['Smith, J.', 'The "Best" Movie', 4, null], ['plain', 'x', 3, null]]);
});

test('semicolon CSV auto-detected; explicit delimiters: |, space (runs collapse)', () => {
  assert.deepEqual(tuples(parseInteractions('a;b;2\nc;d;3\n')), [['a', 'b', 2, null], ['c', 'd', 3, null]]);
  assert.equal(parseInteractions('a;b;2\n').summary.delimiter, ';');
  assert.deepEqual(tuples(parseInteractions('a|b|2\n', { delimiter: '|' })), [['a', 'b', 2, null]]);
  assert.deepEqual(tuples(parseInteractions('a  b   2\nc d 3  \n', { delimiter: ' ' })), [['a', 'b', 2, null], ['c', 'd', 3, null]]);
});

test('numbers: decimals, signs, exponents, long timestamps', () => {
  const d = parseInteractions('user,item,rating,timestamp\na,b,-1.25,1e9\nc,d,+3,1700000000123\ne,f,.5,0.000001\n');
  assert.deepEqual(tuples(d), [['a', 'b', -1.25, 1e9], ['c', 'd', 3, 1700000000123], ['e', 'f', 0.5, 0.000001]]);
});

test('duplicate pairs keep the latest line (its rating and timestamp) and are counted', () => {
  const d = parseInteractions('user,item,rating,timestamp\na,x,1,10\nb,x,2,11\na,y,3,12\na,x,5,13\na,x,4,14\n');
  assert.equal(d.summary.duplicates, 2);
  assert.equal(d.summary.kept, 3);
  assert.deepEqual(tuples(d), [['b', 'x', 2, 11], ['a', 'y', 3, 12], ['a', 'x', 4, 14]]);
  assert.deepEqual(d.users.ids(), ['a', 'b']); // order of first appearance
});

test('minRating drops lower ratings (after duplicates resolve), counted; unused ids leave the maps', () => {
  const text = 'user,item,rating\na,x,5\nb,y,2\na,z,4\nc,x,5\nc,x,1\n';
  const d = parseInteractions(text, { minRating: 4 });
  assert.deepEqual(tuples(d), [['a', 'x', 5, null], ['a', 'z', 4, null]]);
  assert.equal(d.summary.duplicates, 1);
  assert.equal(d.summary.belowMinRating, 2); // b,y,2 and the latest c,x,1
  assert.deepEqual(d.users.ids(), ['a']);
  assert.deepEqual(d.items.ids(), ['x', 'z']);
  assert.equal(d.summary.droppedUsers, 2);
  assert.equal(d.summary.droppedItems, 1);
  // float32 storage does not break the comparison at the boundary
  assert.equal(parseInteractions('user,item,rating\na,b,0.7\n', { minRating: 0.7 }).summary.kept, 1);
});

test('k-core removes users/items with < k interactions iteratively, rebuilds the maps densely', () => {
  // u1,u2 each see i1,i2 (a 2-core); u3 sees i1 and i3; i3 only once → cascade removes u3's lines.
  const text = 'user,item\nu3,i3\nu1,i1\nu1,i2\nu2,i1\nu2,i2\nu3,i1\n';
  const d = parseInteractions(text, { kcore: 2 });
  assert.deepEqual(tuples(d).map(([u, i]) => `${u}-${i}`), ['u1-i1', 'u1-i2', 'u2-i1', 'u2-i2']);
  assert.deepEqual(d.users.ids(), ['u1', 'u2']);
  assert.deepEqual(d.items.ids(), ['i1', 'i2']);
  assert.equal(d.summary.kcoreRemoved, 2);
  assert.equal(d.summary.kcoreUsersRemoved, 1);
  assert.equal(d.summary.kcoreItemsRemoved, 1);
  const csr = toCsr(d);
  assert.equal(csr.numRows, 2);
  assert.equal(csr.numCols, 2);
});

test('every line is accounted for: read = kept + duplicates + belowMinRating + k-core + bad + unknown', () => {
  const rng = new Rng(5);
  for (let trial = 0; trial < 20; trial++) {
    const lines = ['user,item,rating'];
    for (let k = 0; k < 300; k++) {
      const roll = rng.float();
      if (roll < 0.05) lines.push(`u${rng.int(20)},i${rng.int(30)},oops`);
      else if (roll < 0.08) lines.push('');
      else lines.push(`u${rng.int(20)},i${rng.int(30)},${1 + rng.int(5)}`);
    }
    const d = parseInteractions(lines.join('\n'), { skipBadLines: true, minRating: 2, kcore: 1 + rng.int(4) });
    const s = d.summary;
    assert.equal(s.linesRead, s.kept + s.duplicates + s.belowMinRating + s.kcoreRemoved + s.badLines + (s.unknownLines ?? 0));
    // a final empty string only ends the last line: it is not a line
    const physical = lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
    assert.equal(s.linesRead + s.blankLines + 1, physical);
    assert.equal(d.user.length, s.kept);
  }
});

test('id maps: dense, first-appearance order, round trip external → index → external', () => {
  const d = parseInteractions('user,item\nzed,9\nalpha,1\nzed,1\nmid,9\n');
  assert.deepEqual(d.users.ids(), ['zed', 'alpha', 'mid']);
  assert.deepEqual(d.items.ids(), ['9', '1']);
  for (const id of d.users.ids()) assert.equal(d.users.id(d.users.get(id)!), id);
  for (let k = 0; k < d.users.size; k++) assert.equal(d.users.get(d.users.id(k)), k);
});

test('numeric-looking ids stay distinct strings: "7", "07", "7.0"', () => {
  const d = parseInteractions('user,item\n7,a\n07,a\n7.0,a\n7,b\n');
  assert.deepEqual(d.users.ids(), ['7', '07', '7.0']);
  assert.deepEqual(Array.from(d.user), [0, 1, 2, 0]);
});

test('existing maps are extended, never modified; frozen maps drop and count unknown ids', async () => {
  const train = parseInteractions('user,item\na,x\nb,y\n');
  const usersBefore = train.users.ids();
  const test1 = parseInteractions('user,item\nb,x\nc,z\n', { users: train.users, items: train.items });
  assert.deepEqual(train.users.ids(), usersBefore); // unchanged
  assert.deepEqual(test1.users.ids(), ['a', 'b', 'c']);
  assert.deepEqual(test1.items.ids(), ['x', 'y', 'z']);
  assert.deepEqual(Array.from(test1.user), [1, 2]);
  const frozen = parseInteractions('user,item\nb,x\nc,z\nb,q\na,y\n', { users: train.users, items: train.items, frozen: true });
  assert.equal(frozen.users, train.users); // the same map objects
  assert.equal(frozen.items, train.items);
  assert.deepEqual(tuples(frozen).map(([u, i]) => `${u}-${i}`), ['b-x', 'a-y']);
  assert.equal(frozen.summary.unknownLines, 2);
  assert.equal(frozen.summary.unknownUsers, 1);
  assert.equal(frozen.summary.unknownItems, 2);
  // a map built by hand works too
  const d = parseInteractions('user,item\nq,x\n', { users: IdMap.fromIds(['p', 'q']) });
  assert.deepEqual(Array.from(d.user), [1]);
  assert.equal(d.users.size, 2);
});

test('streaming: any chunking of the bytes gives the same result (lines split across chunks)', () => {
  const rng = new Rng(11);
  const lines = ['\uFEFFuserId,movieId,rating,timestamp'];
  for (let k = 0; k < 400; k++) lines.push(`u${rng.int(40)},"m ${rng.int(60)}",${rng.int(10) / 2},${1000 + k}${rng.float() < 0.3 ? '\r' : ''}`);
  if (rng.float() < 2) lines.splice(50, 0, '', '  ');
  const bytes = new TextEncoder().encode(lines.join('\n'));
  const whole = parseInteractions(bytes);
  for (let trial = 0; trial < 30; trial++) {
    const p = new InteractionParser('<chunks>', {});
    let o = 0;
    while (o < bytes.length) {
      const len = 1 + rng.int(trial < 10 ? 4 : 300);
      p.push(bytes.slice(o, o + len));
      o += len;
    }
    const d = p.finish();
    assert.deepEqual(tuples(d), tuples(whole));
    assert.deepEqual({ ...d.summary, file: '' }, { ...whole.summary, file: '' });
  }
});

test('loadInteractions streams large files: 300k lines, plain and gzip, same as in memory', async () => {
  const rng = new Rng(3);
  const parts: string[] = ['user\titem\trating'];
  for (let k = 0; k < 300_000; k++) parts.push(`${rng.int(5000)}\t${rng.int(3000)}\t${1 + rng.int(5)}`);
  const text = parts.join('\n');
  const plain = file('big.tsv', text);
  const gz = file('big.tsv.gz', gzipSync(text));
  const a = await loadInteractions(plain);
  const b = await loadInteractions(gz);
  const c = parseInteractions(text);
  assert.equal(a.summary.linesRead, 300_000);
  assert.deepEqual(a.user, c.user);
  assert.deepEqual(b.user, c.user);
  assert.deepEqual(b.item, c.item);
  assert.deepEqual(b.rating, c.rating);
  assert.equal(a.summary.kept + a.summary.duplicates, 300_000);
});

test('multi-member gzip (concatenated .gz files) is read whole', async () => {
  const p = file('multi.gz', Buffer.concat([gzipSync('user,item\na,x\n'), gzipSync('b,y\n')]));
  const d = await loadInteractions(p);
  assert.deepEqual(tuples(d).map(([u, i]) => `${u}-${i}`), ['a-x', 'b-y']);
});

test('writeInteractions → loadInteractions round-trips ids, ratings, timestamps (plain and gzip), atomically', async () => {
  const d = parseInteractions('user,item,rating,timestamp\n"Smith, J.",x,4.1,1700000000\nbob,"y z",0.3,1\nbob,x,5,2\n');
  for (const name of ['out.tsv', 'out.tsv.gz']) {
    const p = join(dir, name);
    await writeInteractions(p, d);
    const back = await loadInteractions(p);
    assert.deepEqual(tuples(back), tuples(d));
    assert.equal(back.summary.header, true);
  }
  assert.match(readFileSync(join(dir, 'out.tsv'), 'utf8'), /^user\titem\trating\ttimestamp\nSmith, J\.\tx\t4\.1\t1700000000\n/);
  // subset and order by rows
  await writeInteractions(join(dir, 'rows.tsv'), d, Int32Array.of(2, 0));
  assert.deepEqual(tuples(await loadInteractions(join(dir, 'rows.tsv'))).map((t) => t[0]), ['bob', 'Smith, J.']);
  // pairs only: no rating / timestamp columns
  const pairs = parseInteractions('a\tb\n');
  await writeInteractions(join(dir, 'pairs.tsv'), pairs);
  assert.equal(readFileSync(join(dir, 'pairs.tsv'), 'utf8'), 'user\titem\na\tb\n');
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});

test('writeInteractions refuses ids that TSV cannot hold, leaving no file behind', async () => {
  const d = parseInteractions('user,item\n"a\tb",x\n');
  const p = join(dir, 'bad-id.tsv');
  await assert.rejects(writeInteractions(p, d), { code: 'BAD_VALUE' });
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('bad-id')), []);
  await assert.rejects(writeInteractions(join(dir, 'no-such-dir', 'x.tsv'), parseInteractions('a,b\n')), { code: 'WRITE_FAILED' });
});

test('fast and general line paths agree: random noisy lines, whole vs 1–7 byte chunks, every format', () => {
  const rng = new Rng(21);
  const alphabet = ['a', 'b', '1', '2', '.', ',', '\t', ':', '::', ' ', '"', '\r', '5', 'é'];
  for (const format of ['csv', 'tsv', 'dat'] as const) {
    for (let trial = 0; trial < 15; trial++) {
      const lines: string[] = [];
      for (let k = 0; k < 120; k++) {
        let line = '';
        const len = rng.int(12);
        for (let c = 0; c < len; c++) line += alphabet[rng.int(alphabet.length)];
        lines.push(line);
      }
      const bytes = new TextEncoder().encode(lines.join('\n'));
      const opts: LoadOptions = { format, header: false, columns: [0, 1], skipBadLines: true };
      let whole: Interactions | string;
      try {
        whole = parseInteractions(bytes, opts);
      } catch (e) {
        whole = (e as { code: string }).code;
      }
      const p = new InteractionParser('<text>', opts);
      let chunked: Interactions | string;
      try {
        for (let o = 0; o < bytes.length;) {
          const len = 1 + rng.int(7);
          p.push(bytes.slice(o, o + len));
          o += len;
        }
        chunked = p.finish();
      } catch (e) {
        chunked = (e as { code: string }).code;
      }
      if (typeof whole === 'string' || typeof chunked === 'string') assert.equal(chunked, whole);
      else {
        assert.deepEqual(tuples(chunked), tuples(whole));
        assert.deepEqual(chunked.summary, whole.summary);
      }
    }
  }
});
