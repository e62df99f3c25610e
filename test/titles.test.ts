// Item titles (#20 item 5): --titles on recommend, similar, explain and serve, the three items-file
// layouts (movies.csv, movies.dat in Latin-1, u.item) sniffed or forced with --titles-format, ids the
// model does not know (ignored, said once on stderr), malformed files (exit 2, nothing written).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModel } from '../src/io/model-file.js';
import { Csr } from '../src/data/csr.js';
import { parseItemsText, sniffItemsFormat } from '../src/data/side-text.js';
import { loadItemsFile } from '../src/data/side-info.js';
import { createApp, ModelHolder, startServer } from '../src/serve/index.js';
import { explain, recommend, similarItems, titleCoverage, titledExplanation, titledRecommendations, titledSimilar } from '../src/recommend/index.js';
import { LrmlError } from '../src/errors.js';
import type { LoadedModel } from '../src/io/format.js';
import { syntheticTriplet, wrap } from './recommend-fixtures.js';
import { runCli } from './helpers.js';

let dir = '';
let modelPath = '';
let m: LoadedModel;
let csvPath = '';
let datPath = '';
let uitemPath = '';

/** A u.item line: id|title|date||url|19 flags (the given genre flags set). */
function uItemLine(id: string, title: string, flags: number[]): string {
  const f = Array.from({ length: 19 }, (_, g) => (flags.includes(g) ? '1' : '0'));
  return [id, title, '01-Jan-1995', '', 'http://us.imdb.com/x', ...f].join('|');
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lrml-titles-'));
  const model = syntheticTriplet('lrml');
  m = { ...wrap(model, null), seen: Csr.fromPairs(model.numUsers, model.numItems, Int32Array.of(0, 0, 2), Int32Array.of(1, 2, 3)) };
  modelPath = join(dir, 'm.lrml');
  await saveModel(modelPath, m);
  // titles for i0..i39 (i40..i47 have none) and two ids the model does not know
  const ids = Array.from({ length: 40 }, (_, i) => `i${i}`);
  csvPath = join(dir, 'movies.csv');
  writeFileSync(csvPath, ['movieId,title,genres', ...ids.map((id, i) => `${id},"Film ${i}, The (1995)",Drama|Comedy`), 'x1,Unknown One (2000),Drama', 'x2,Unknown Two (2001),(no genres listed)'].join('\n') + '\n');
  datPath = join(dir, 'movies.dat');
  writeFileSync(datPath, Buffer.from(ids.map((id, i) => `${id}::Caf\u00e9 ${i} (1995)::Drama`).join('\n') + '\n', 'latin1'));
  uitemPath = join(dir, 'u.item');
  writeFileSync(uitemPath, Buffer.from(ids.map((id, i) => uItemLine(id, `Ren\u00e9 ${i} (1995)`, [1, 5])).join('\n') + '\n', 'latin1'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('items files: the three layouts sniffed, or forced; a forced layout that does not fit names file:line', async () => {
  assert.equal(sniffItemsFormat('movieId,title,genres\n1,A,B\n'), 'csv');
  assert.equal(sniffItemsFormat('1::A (1995)::Drama\n'), 'dat');
  assert.equal(sniffItemsFormat(`${uItemLine('1', 'A', [])}\n`), 'uitem');
  const csv = await loadItemsFile(csvPath);
  assert.deepEqual(csv.get('i3'), { title: 'Film 3, The (1995)', genres: ['Drama', 'Comedy'] });
  assert.deepEqual(csv.get('x2'), { title: 'Unknown Two (2001)', genres: [] });
  assert.deepEqual((await loadItemsFile(datPath)).get('i7'), { title: 'Caf\u00e9 7 (1995)', genres: ['Drama'] }, 'Latin-1 decoded');
  assert.deepEqual((await loadItemsFile(uitemPath, 'uitem')).get('i2'), { title: 'Ren\u00e9 2 (1995)', genres: ['Action', 'Comedy'] });
  await assert.rejects(loadItemsFile(csvPath, 'dat'), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_VALUE' && e.message.startsWith(`${csvPath}:1: expected MovieID::Title::Genres`));
  await assert.rejects(loadItemsFile(datPath, 'uitem'), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_VALUE' && e.message.startsWith(`${datPath}:1: expected movie id|title`));
  assert.throws(() => parseItemsText('1,a\n', 'x', 'xml' as never), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /auto, csv, dat, uitem/.test(e.message));
});

test('titled results: items the file names gain title and genres, the others stay as they were', async () => {
  const titles = await loadItemsFile(csvPath);
  assert.deepEqual(titleCoverage(m, titles), { titles: 42, matched: 40, unknownIds: 2, untitled: 8 });
  const r = recommend(m, 'u3', { k: 48 });
  const t = titledRecommendations(r, titles);
  assert.equal(t.items.length, r.items.length);
  for (let n = 0; n < r.items.length; n++) {
    const x = t.items[n];
    const num = Number(r.items[n].item.slice(1));
    assert.equal(x.item, r.items[n].item);
    assert.equal(x.score, r.items[n].score);
    if (num < 40) assert.deepEqual([x.title, x.genres], [`Film ${num}, The (1995)`, ['Drama', 'Comedy']]);
    else assert.ok(!('title' in x) && !('genres' in x), `${x.item} has no title`);
  }
  const s = titledSimilar(similarItems(m, 'i5', { k: 3 }), titles);
  assert.equal(s.title, 'Film 5, The (1995)');
  const e = titledExplanation(explain(m, 'u3', 'i44'), titles);
  assert.ok(!('title' in e), 'an item without a title gains nothing');
});

test('CLI --titles: recommend table and JSON, similar, explain; unknown ids said once on stderr', async () => {
  const rec = await runCli('recommend', '--model', modelPath, '--user', 'u3', '--k', '48', '--titles', csvPath);
  assert.equal(rec.code, 0, rec.stderr);
  assert.match(rec.stdout, /rank\s+item\s+score\s+title\n/);
  assert.match(rec.stdout, /Film \d+, The \(1995\)/);
  assert.equal(rec.stderr.match(/note: --titles/g)?.length, 1, rec.stderr);
  assert.match(rec.stderr, /2 of its 42 ids are not items of the model \(ignored\); 40 of the model's 48 items have a title/);
  const json = await runCli('recommend', '--model', modelPath, '--user', 'u3', '--k', '5', '--json', '--titles', datPath);
  assert.equal(json.code, 0, json.stderr);
  assert.equal(json.stderr, '', 'every id of the file is known: nothing to say');
  const r = JSON.parse(json.stdout);
  assert.deepEqual(r, JSON.parse(JSON.stringify(titledRecommendations(recommend(m, 'u3', { k: 5 }), await loadItemsFile(datPath)))));
  const sim = JSON.parse((await runCli('similar', '--model', modelPath, '--item', 'i1', '--k', '3', '--json', '--titles', uitemPath, '--titles-format', 'uitem')).stdout);
  assert.equal(sim.title, 'Ren\u00e9 1 (1995)');
  for (const x of sim.items) assert.deepEqual(x.genres, Number(x.item.slice(1)) < 40 ? ['Action', 'Comedy'] : undefined);
  const simText = await runCli('similar', '--model', modelPath, '--item', 'i1', '--titles', csvPath);
  assert.match(simText.stdout, /items similar to i1 \(Film 1, The \(1995\)\)/);
  const ex = await runCli('explain', '--model', modelPath, '--user', 'u3', '--item', 'i9', '--titles', csvPath, '--json');
  assert.equal(JSON.parse(ex.stdout).title, 'Film 9, The (1995)');
  const exText = await runCli('explain', '--model', modelPath, '--user', 'u3', '--item', 'i9', '--titles', csvPath);
  assert.match(exText.stdout, /user u3, item i9 \(Film 9, The \(1995\)\)/);
});

test('CLI --titles with recommend --all --out: CSV gains a title column, JSON lines title fields', async () => {
  const out = join(dir, 'recs.csv');
  const r = await runCli('recommend', '--model', modelPath, '--all', '--k', '2', '--out', out, '--titles', csvPath, '--quiet');
  assert.equal(r.code, 0, r.stderr);
  const { readFileSync } = await import('node:fs');
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'user,rank,item,score,title');
  assert.equal(lines.length, 1 + 2 * 60);
  for (const l of lines.slice(1)) {
    const item = l.split(',')[2];
    assert.ok(Number(item.slice(1)) < 40 ? /,"Film \d+, The \(1995\)"$/.test(l) : l.endsWith(','), l);
  }
});

test('CLI --titles: malformed or missing files and bad --titles-format are exit 2, nothing written', async () => {
  const bad = join(dir, 'bad.dat');
  writeFileSync(bad, 'i1::A (1995)::Drama\ni2::B (1995)\n');
  const out = join(dir, 'never.jsonl');
  const cases: [string[], RegExp][] = [
    [['recommend', '--model', modelPath, '--user', 'u3', '--titles', bad], new RegExp(`error \\[BAD_VALUE\\]: ${bad.replace(/[.]/g, '\\.')}:2: expected MovieID::Title::Genres \\(3 fields\\), found 2`)],
    [['similar', '--model', modelPath, '--item', 'i1', '--titles', join(dir, 'nope.csv')], /error \[FILE_NOT_FOUND\]: .*nope\.csv: no such file/],
    [['explain', '--model', modelPath, '--user', 'u3', '--item', 'i1', '--titles', csvPath, '--titles-format', 'xml'], /error \[BAD_OPTION\]: invalid --titles-format: "xml" \(expected one of auto, csv, dat, uitem\)/],
    [['recommend', '--model', modelPath, '--user', 'u3', '--titles-format', 'csv'], /error \[BAD_OPTION\]: --titles-format applies to --titles <file> only/],
    [['recommend', '--model', modelPath, '--all', '--out', out, '--titles', bad], /error \[BAD_VALUE\]: .*bad\.dat:2/],
    [['serve', '--model', modelPath, '--port', '0', '--titles', bad], /error \[BAD_VALUE\]: .*bad\.dat:2/],
  ];
  for (const [args, re] of cases) {
    const r = await runCli(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stdout, '');
  }
  assert.ok(!existsSync(out), 'nothing written');
});

test('serve with titles: /recommend, POST /recommend, /similar, /explain answers carry titles; /model counts them', async () => {
  const titles = await loadItemsFile(csvPath);
  const app = createApp({ holder: new ModelHolder(m, null), titles });
  const get = async (url: string) => (await app.request(url)).json() as Promise<Record<string, any>>;
  const r = await get('/recommend?user=u3&k=48');
  assert.deepEqual(r, JSON.parse(JSON.stringify(titledRecommendations(recommend(m, 'u3', { k: 48 }), titles))));
  assert.ok(r.items.some((x: { title?: string }) => x.title === undefined) && r.items.some((x: { title?: string }) => x.title !== undefined));
  const post = await (await app.request('/recommend', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: ['i1', 'i2'], k: 3 }) })).json() as Record<string, any>;
  for (const x of post.items) assert.equal(x.title === undefined, Number(x.item.slice(1)) >= 40);
  assert.equal((await get('/similar?item=i4&k=2')).title, 'Film 4, The (1995)');
  const e = await get('/explain?user=u3&item=i6&profile=true');
  assert.equal(e.title, 'Film 6, The (1995)');
  for (const x of e.profile.items) assert.equal(x.title === undefined, Number(x.id.slice(1)) >= 40);
  assert.deepEqual((await get('/model')).titles, { entries: 42, matched: 40 });
  const plain = createApp({ holder: new ModelHolder(m, null) });
  const p = await (await plain.request('/recommend?user=u3&k=3')).json() as Record<string, any>;
  assert.ok(p.items.every((x: Record<string, unknown>) => !('title' in x)), 'no titles without an items file');
  assert.ok(!('titles' in (await (await plain.request('/model')).json() as Record<string, unknown>)));
});

test('serve --titles: a reload re-reads the titles file with the model; a bad titles file fails the reload and keeps the old model and titles', async () => {
  const d = mkdtempSync(join(tmpdir(), 'lrml-titles-reload-'));
  const model = join(d, 'm.lrml');
  const items = join(d, 'movies.csv');
  await saveModel(model, m);
  writeFileSync(items, 'movieId,title\ni4,Old Four (1995)\n');
  const lines: string[] = [];
  const srv = await startServer({ modelPath: model, port: 0, titlesFile: { path: items }, log: (l) => lines.push(l) });
  try {
    const get = async (url: string) => (await fetch(`${srv.url}${url}`)).json() as Promise<Record<string, any>>;
    assert.equal((await get('/similar?item=i4&k=1')).title, 'Old Four (1995)');
    assert.deepEqual((await get('/model')).titles, { entries: 1, matched: 1 });
    writeFileSync(items, 'movieId,title\ni4,New Four (1995)\ni5,New Five (1995)\n');
    await srv.reload();
    assert.equal(srv.holder.current.generation, 2);
    assert.equal((await get('/similar?item=i4&k=1')).title, 'New Four (1995)', 'titles re-read on reload');
    assert.deepEqual((await get('/model')).titles, { entries: 2, matched: 2 });
    assert.ok(lines.some((l) => /info: reloaded .*m\.lrml \(generation 2, .*titles: 2 of 48 items\)/.test(l)), lines.join('\n'));
    // a malformed titles file: the reload fails as a bad model file does, generation 2 (model and titles) keeps serving
    writeFileSync(items, 'i4::Bad\n');
    await assert.rejects(srv.reload(), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_VALUE' && e.message.includes('movies.csv:1'));
    assert.equal(srv.holder.current.generation, 2);
    assert.equal((await get('/similar?item=i4&k=1')).title, 'New Four (1995)');
    assert.ok(lines.some((l) => /warn: reload failed, still serving generation 2: .*movies\.csv:1/.test(l)));
    // through POST /admin/reload (the app's route) likewise: a 500 naming the file
    rmSync(items);
    const holder = srv.holder;
    const app = createApp({ holder, adminToken: 't' });
    const res = await app.request('/admin/reload', { method: 'POST', headers: { authorization: 'Bearer t' } }, { incoming: { socket: { remoteAddress: '127.0.0.1' } } });
    assert.equal(res.status, 500);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'FILE_NOT_FOUND');
    assert.equal(holder.current.generation, 2);
    assert.equal(holder.current.titles?.get('i4')?.title, 'New Four (1995)');
  } finally {
    await srv.close();
    rmSync(d, { recursive: true, force: true });
  }
  await assert.rejects(startServer({ model: m, port: 0, titles: new Map(), titlesFile: { path: items } }), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /not both/.test(e.message));
});
