// Side information loaders: MovieLens items (movies.csv with quoted titles, movies.dat in Latin-1,
// gzip), users, id maps; malformed lines name file:line; the embedded ml-latest-small movies.csv.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ML100K_GENRES, loadIdMapFile, loadItemsFile, loadUsersFile } from '../src/data/side-info.js';
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

/** One line in MovieLens 100K's u.item layout: id|title|date|video date|URL|19 genre flags. */
function uItemLine(id: string, title: string, genreFlags: number[]): string {
  const flags = new Array(19).fill(0);
  for (const g of genreFlags) flags[g] = 1;
  return `${id}|${title}|01-Jan-1995||http://us.imdb.com/M/title-exact?${encodeURIComponent(title)}|${flags.join('|')}`;
}

test('loadItemsFile: MovieLens 100K u.item (| separated, Latin-1, 19 genre flags), also gzip-compressed', async () => {
  const text = [
    uItemLine('1', 'Toy Story (1995)', [3, 4, 5]),
    uItemLine('11', 'American President, The (1995)', [5, 8, 14]),
    uItemLine('543', 'Mis\xe9rables, Les (1995)', [8, 12]),
    '267|unknown||||1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0',
    uItemLine('1373', 'Good Morning (1971)', [0]),
    '',
  ].join('\n');
  const bytes = Buffer.from(text, 'latin1');
  assert.ok(bytes.includes(0xe9), 'the file holds a Latin-1 é');
  for (const p of [file('u.item', bytes), file('u.item.gz', gzipSync(bytes))]) {
    const m = await loadItemsFile(p);
    assert.equal(m.size, 5);
    assert.deepEqual(m.get('1'), { title: 'Toy Story (1995)', genres: ['Animation', "Children's", 'Comedy'] });
    assert.deepEqual(m.get('11'), { title: 'American President, The (1995)', genres: ['Comedy', 'Drama', 'Romance'] });
    assert.deepEqual(m.get('543'), { title: 'Misérables, Les (1995)', genres: ['Drama', 'Musical'] });
    assert.deepEqual(m.get('267'), { title: 'unknown', genres: [] }, 'the flag "unknown" is no genre');
    assert.deepEqual(m.get('1373')?.genres, []);
  }
  assert.deepEqual([ML100K_GENRES[0], ML100K_GENRES[1], ML100K_GENRES[18], ML100K_GENRES.length], ['unknown', 'Action', 'Western', 19]);
});

test('loadItemsFile: malformed u.item lines are BAD_VALUE naming file:line', async () => {
  const short = file('short-u.item', `${uItemLine('1', 'A (1995)', [1])}\n2|B (1996)|01-Jan-1996||url|0|1\n`);
  let e = await failure(loadItemsFile(short));
  assert.equal(e.code, 'BAD_VALUE');
  assert.ok(e.message.startsWith(`${short}:2: `) && /24 fields\), found 7/.test(e.message), e.message);
  const flag = file('flag-u.item', `${uItemLine('1', 'A (1995)', [1])}\n${uItemLine('2', 'B (1996)', [2]).replace(/\|0$/, '|x')}\n`);
  e = await failure(loadItemsFile(flag));
  assert.ok(e.code === 'BAD_VALUE' && e.message.startsWith(`${flag}:2: `) && /genre flag 19 \(Western, field 24\) is "x"/.test(e.message), e.message);
  const twice = file('twice-u.item', `${uItemLine('1', 'A (1995)', [1])}\n${uItemLine('1', 'B (1996)', [2])}\n`);
  e = await failure(loadItemsFile(twice));
  assert.ok(e.message.startsWith(`${twice}:2: `) && /appears twice/.test(e.message), e.message);
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

const ML100K = '../shared/data/ml-100k';
test('MovieLens 100K u.item: 1,682 movies, Latin-1 titles, genres from the flags', { skip: existsSync(ML100K) ? false : `${ML100K} absent` }, async () => {
  const movies = await loadItemsFile(`${ML100K}/u.item`);
  assert.equal(movies.size, 1682);
  assert.deepEqual(movies.get('1'), { title: 'Toy Story (1995)', genres: ['Animation', "Children's", 'Comedy'] });
  assert.equal(movies.get('543')?.title, 'Misérables, Les (1995)');
  assert.deepEqual(movies.get('267'), { title: 'unknown', genres: [] });
  assert.equal([...movies.values()].filter((m) => m.genres.includes('Action')).length, 251);
  // the genre names are u.genre's, in its order
  const genreFile = readFileSync(`${ML100K}/u.genre`, 'latin1');
  const names = genreFile.split('\n').filter((l) => l.trim() !== '').map((l) => l.split('|'));
  assert.deepEqual(names.map(([name]) => name), ML100K_GENRES);
  assert.deepEqual(names.map(([, index]) => Number(index)), ML100K_GENRES.map((_, g) => g));
});
