// Side information loaders: MovieLens items (movies.csv with quoted titles, movies.dat in Latin-1,
// gzip), users, id maps; malformed lines name file:line; the embedded ml-latest-small movies.csv.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadIdMapFile, loadItemsFile, loadUsersFile } from '../src/data/side-info.js';
import { LrmlError } from '../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'lrml-side-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

async function failure(p: Promise<unknown>): Promise<LrmlError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof LrmlError, `an LrmlError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

test('loadItemsFile: movies.csv with quoted titles (commas, doubled quotes), no genres, CRLF', async () => {
  const p = file('movies.csv', [
    'movieId,title,genres',
    '1,Toy Story (1995),Adventure|Animation|Children',
    '11,"American President, The (1995)",Comedy|Drama|Romance',
    '7789,"11\'09""01 - September 11 (2002)",Drama',
    '',
    '200,Nothing (2000),(no genres listed)',
    '201,"Two\nLines (2001)",Drama',
  ].join('\r\n') + '\r\n');
  const m = await loadItemsFile(p);
  assert.equal(m.size, 5);
  assert.deepEqual(m.get('1'), { title: 'Toy Story (1995)', genres: ['Adventure', 'Animation', 'Children'] });
  assert.deepEqual(m.get('11'), { title: 'American President, The (1995)', genres: ['Comedy', 'Drama', 'Romance'] });
  assert.equal(m.get('7789')?.title, '11\'09"01 - September 11 (2002)');
  assert.deepEqual(m.get('200')?.genres, []);
  assert.equal(m.get('201')?.title, 'Two\nLines (2001)');
});

test('loadItemsFile: movies.dat in Latin-1, also gzip-compressed', async () => {
  const text = '1::Toy Story (1995)::Animation|Children\'s|Comedy\n73::Mis\xe9rables, Les (1995)::Drama|Musical\n';
  const bytes = Buffer.from(text, 'latin1');
  assert.ok(bytes.includes(0xe9) && !bytes.includes(0xc3), 'the file holds a Latin-1 é, not UTF-8');
  for (const p of [file('movies.dat', bytes), file('movies.dat.x', gzipSync(bytes))]) {
    const m = await loadItemsFile(p);
    assert.equal(m.size, 2);
    assert.deepEqual(m.get('73'), { title: 'Misérables, Les (1995)', genres: ['Drama', 'Musical'] });
    assert.deepEqual(m.get('1')?.genres, ['Animation', "Children's", 'Comedy']);
  }
  // UTF-8 stays UTF-8
  const u = await loadItemsFile(file('movies-utf8.dat', Buffer.from(text, 'utf8')));
  assert.equal(u.get('73')?.title, 'Misérables, Les (1995)');
});

test('loadItemsFile: malformed lines are BAD_VALUE naming file:line', async () => {
  const dat = file('bad.dat', '1::A (1995)::Drama\n2::B (1996)::Comedy\n3::C (1997)\n');
  let e = await failure(loadItemsFile(dat));
  assert.equal(e.code, 'BAD_VALUE');
  assert.ok(e.message.startsWith(`${dat}:3: `), e.message);
  assert.equal(e.location?.line, 3);
  const csv = file('bad.csv', 'movieId,title,genres\n1,A,Drama\n2,"B, unterminated,Drama\n');
  e = await failure(loadItemsFile(csv));
  assert.equal(e.code, 'BAD_VALUE');
  assert.ok(e.message.startsWith(`${csv}:3: `) && /unterminated quote/.test(e.message), e.message);
  const after = file('after.csv', 'movieId,title,genres\n1,"A" x,Drama\n');
  e = await failure(loadItemsFile(after));
  assert.ok(e.message.startsWith(`${after}:2: `) && /after a closing quote/.test(e.message), e.message);
  const twice = file('twice.csv', 'movieId,title,genres\n1,A,Drama\n1,B,Drama\n');
  e = await failure(loadItemsFile(twice));
  assert.ok(e.message.startsWith(`${twice}:3: `) && /appears twice/.test(e.message), e.message);
  e = await failure(loadItemsFile(join(dir, 'nope.csv')));
  assert.equal(e.code, 'FILE_NOT_FOUND');
  e = await failure(loadItemsFile(file('noheader.csv', 'foo,bar,baz\n1,A,Drama\n')));
  assert.equal(e.code, 'MISSING_COLUMN');
  e = await failure(loadItemsFile(file('empty.csv', '')));
  assert.equal(e.code, 'EMPTY_FILE');
});

test('loadUsersFile: users.dat and u.user; malformed lines name file:line', async () => {
  const m = await loadUsersFile(file('users.dat', '1::F::1::10::48067\n2::M::56::16::70072\n'));
  assert.deepEqual(m.get('1'), { gender: 'F', age: 1, occupation: '10' });
  assert.deepEqual(m.get('2'), { gender: 'M', age: 56, occupation: '16' });
  const k = await loadUsersFile(file('u.user', '1|24|M|technician|85711\n2|53|F|other|94043\n'));
  assert.deepEqual(k.get('2'), { gender: 'F', age: 53, occupation: 'other' });
  const bad = file('bad-users.dat', '1::F::1::10::48067\n2::M::old::16::70072\n');
  let e = await failure(loadUsersFile(bad));
  assert.ok(e.code === 'BAD_VALUE' && e.message.startsWith(`${bad}:2: `) && /age/.test(e.message), e.message);
  const short = file('short-users.dat', '1::F::1::10::48067\n\n3::M::25\n');
  e = await failure(loadUsersFile(short));
  assert.ok(e.message.startsWith(`${short}:3: `), e.message);
});

test('loadIdMapFile: header, two columns; malformed and repeated ids name file:line', async () => {
  const m = await loadIdMapFile(file('item_map.tsv', 'ncf_item\tmovie_id\n0\t1193\n1\t661\n'));
  assert.deepEqual([...m.entries()], [['0', '1193'], ['1', '661']]);
  const noHeader = await loadIdMapFile(file('plain.tsv', '0\t1193\n1\t661\n'));
  assert.equal(noHeader.size, 2);
  const bad = file('bad-map.tsv', 'ncf_item\tmovie_id\n0\t1193\n1 661\n');
  let e = await failure(loadIdMapFile(bad));
  assert.ok(e.code === 'BAD_VALUE' && e.message.startsWith(`${bad}:3: `), e.message);
  const twice = file('twice-map.tsv', 'a\tb\n0\t1\n0\t2\n');
  e = await failure(loadIdMapFile(twice));
  assert.ok(e.message.startsWith(`${twice}:3: `) && /twice/.test(e.message), e.message);
});

test('the embedded ml-latest-small movies.csv: 9,742 movies', async () => {
  const m = await loadItemsFile('data/ml-latest-small/movies.csv');
  assert.equal(m.size, 9742);
  assert.equal(m.get('11')?.title, 'American President, The (1995)');
  assert.equal(m.get('7789')?.title, '11\'09"01 - September 11 (2002)');
  assert.equal([...m.values()].filter((x) => x.genres.length === 0).length, 34, '"(no genres listed)"');
});

const ML1M = '../shared/data/ml-1m';
test('MovieLens 1M side files: 3,883 movies (Latin-1 titles), 6,040 users, 3,706 mapped items', { skip: existsSync(ML1M) ? false : `${ML1M} absent` }, async () => {
  const movies = await loadItemsFile(`${ML1M}/movies.dat`);
  assert.equal(movies.size, 3883);
  assert.equal(movies.get('73')?.title, 'Misérables, Les (1995)');
  const users = await loadUsersFile(`${ML1M}/users.dat`);
  assert.equal(users.size, 6040);
  assert.deepEqual(users.get('1'), { gender: 'F', age: 1, occupation: '10' });
  const map = await loadIdMapFile(`${ML1M}/item_map.tsv`);
  assert.equal(map.size, 3706);
  assert.equal(map.get('0'), '1193');
  for (const id of map.values()) assert.ok(movies.has(id), `movie ${id} in movies.dat`);
});
