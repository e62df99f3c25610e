// `lrml recommend --all | --users-file --out FILE` (issue #20 item 3): every user (or a list),
// streamed to JSON lines or CSV, seen items filtered; bad input exits 2 with nothing written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Csr } from '../src/data/csr.js';
import { IdMap } from '../src/data/idmap.js';
import { LrmlError } from '../src/errors.js';
import { writeChunksAtomic } from '../src/fs-atomic.js';
import { saveModel } from '../src/io/model-file.js';
import type { LoadedModel } from '../src/models/types.js';
import { recommend, recommendationLines, recommendEach } from '../src/recommend/recommend.js';
import { recommendationTextParallel } from '../src/io/recommend-parallel.js';
import { randomLrml, runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lrml-recall-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function world(): LoadedModel {
  const numUsers = 6;
  const numItems = 9;
  const model = randomLrml(numUsers, numItems, 4, 11, 'rows', 0.5);
  const pairs: [number, number][] = [];
  for (let u = 0; u < numUsers; u++) for (let t = 0; t < 3; t++) pairs.push([u, (u * 2 + t * 3) % numItems]);
  const seen = Csr.fromPairs(numUsers, numItems, Int32Array.from(pairs, (p) => p[0]), Int32Array.from(pairs, (p) => p[1]));
  const users = IdMap.fromIds(['u0', 'u,1', 'u2', 'u3', 'u4', 'u5']);
  const items = IdMap.fromIds(Array.from({ length: numItems }, (_, i) => `i${i}`));
  return { model, users, items, meta: {}, seen };
}

test('recommendEach / recommendationLines: every user in index order, the same as recommend; CSV rows with ranks', () => {
  const m = world();
  const all = [...recommendEach(m, null, { k: 3 })];
  assert.deepEqual(all.map((r) => r.user), m.users.ids());
  for (const r of all) assert.deepEqual(r, recommend(m, r.user, { k: 3 }));
  const csv = [...recommendationLines(all.slice(0, 2), 'csv')].join('');
  const rows = csv.trim().split('\n');
  assert.equal(rows[0], 'user,rank,item,score');
  assert.equal(rows.length, 1 + 6);
  assert.equal(rows[4], `"u,1",1,${all[1].items[0].item},${all[1].items[0].score}`);
  assert.throws(() => recommendEach(m, null, { k: 0 }), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION');
  assert.throws(() => [...recommendationLines(all, 'xml' as 'csv')], (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION');
});

test('writeChunksAtomic: streams chunks; an iterable that throws leaves the old file and no temp file', async () => {
  const sub = mkdtempSync(join(dir, 'chunks-'));
  const path = join(sub, 'f.txt');
  await writeChunksAtomic(path, ['a', 'b'.repeat(70000), 'c\n']);
  assert.equal(readFileSync(path, 'utf8'), `a${'b'.repeat(70000)}c\n`);
  function* failing(): Generator<string> {
    yield 'x'.repeat(70000); // flushed to the temp file before the failure
    throw new LrmlError('UNKNOWN_USER', 'boom');
  }
  await assert.rejects(writeChunksAtomic(path, failing()), (e: unknown) => e instanceof LrmlError && e.code === 'UNKNOWN_USER');
  assert.equal(readFileSync(path, 'utf8'), `a${'b'.repeat(70000)}c\n`);
  assert.deepEqual(readdirSync(sub), ['f.txt']);
});

test('lrml recommend --all / --users-file --out: JSON lines and CSV, seen items filtered; bad input exits 2, nothing written', async () => {
  const sub = mkdtempSync(join(dir, 'cli-'));
  const m = world();
  const modelPath = join(sub, 'm.lrml');
  await saveModel(modelPath, m);
  const r1 = await runCli('recommend', '--model', modelPath, '--all', '--k', '4', '--out', join(sub, 'recs.jsonl'), '--quiet');
  assert.equal(r1.code, 0, r1.stderr);
  const lines = readFileSync(join(sub, 'recs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 6);
  for (let u = 0; u < 6; u++) {
    assert.deepEqual(lines[u], JSON.parse(JSON.stringify(recommend(m, m.users.id(u), { k: 4 }))));
    const seen = new Set(Array.from(m.seen!.row(u), (i) => m.items.id(i)));
    assert.ok(lines[u].items.every((x: { item: string }) => !seen.has(x.item)), 'seen items filtered');
  }
  writeFileSync(join(sub, 'users.txt'), 'u3\n\nu,1\r\n');
  const r2 = await runCli('recommend', '--model', modelPath, '--users-file', join(sub, 'users.txt'), '--out', join(sub, 'recs.csv'));
  assert.equal(r2.code, 0, r2.stderr);
  assert.match(r2.stderr, /2 users: top 10 written/);
  const csv = readFileSync(join(sub, 'recs.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'user,rank,item,score');
  assert.equal(csv.length, 1 + 2 * 6); // 9 items − 3 seen = 6 per user
  assert.ok(csv[1].startsWith('u3,1,'));
  assert.ok(csv[7].startsWith('"u,1",1,'));

  writeFileSync(join(sub, 'bad-users.txt'), 'u3\nnobody\n');
  const before = readdirSync(sub).sort();
  for (const [args, pattern] of [
    [['--users-file', join(sub, 'bad-users.txt'), '--out', join(sub, 'x.jsonl')], /^error \[UNKNOWN_USER\]: --users-file .*line 2: unknown user "nobody"/],
    [['--users-file', join(sub, 'missing.txt'), '--out', join(sub, 'x.jsonl')], /^error \[FILE_NOT_FOUND\]/],
    [['--all', '--out', join(sub, 'x.txt')], /^error \[BAD_OPTION\]: --out .*\.jsonl .*\.csv/],
    [['--all'], /^error \[BAD_OPTION\]: --all needs --out/],
    [['--all', '--user', 'u3', '--out', join(sub, 'x.jsonl')], /^error \[BAD_OPTION\]: give exactly one of/],
    [['--all', '--users-file', join(sub, 'users.txt'), '--out', join(sub, 'x.jsonl')], /^error \[BAD_OPTION\]: give exactly one of/],
    [['--all', '--out', join(sub, 'no', 'such', 'x.jsonl')], /^error \[WRITE_FAILED\]: --out: .*does not exist/],
    [['--all', '--k', '0', '--out', join(sub, 'x.jsonl')], /^error \[BAD_OPTION\]: invalid k/],
    [['--all', '--include', 'i1,zzz', '--out', join(sub, 'x.jsonl')], /^error \[UNKNOWN_ITEM\]: unknown item "zzz" in include/],
    [['--all', '--exclude', 'zzz', '--out', join(sub, 'x.jsonl')], /^error \[UNKNOWN_ITEM\]: unknown item "zzz" in exclude/],
    [['--all', '--exclude-file', join(sub, 'missing.txt'), '--out', join(sub, 'x.jsonl')], /^error \[FILE_NOT_FOUND\]: --exclude-file/],
    [['--all', '--include', 'i1', '--include-file', join(sub, 'users.txt'), '--out', join(sub, 'x.jsonl')], /^error \[BAD_OPTION\]: give --include or --include-file, not both/],
    [['--all', '--include', ',', '--out', join(sub, 'x.jsonl')], /^error \[BAD_OPTION\]: --include: "," holds no ids/],
    [['--all', '--threads', '0', '--out', join(sub, 'x.jsonl')], /^error \[BAD_OPTION\]: --threads: 0 \(expected a positive integer\)/],
    [['--all', '--threads', 'two', '--out', join(sub, 'x.jsonl')], /^error \[BAD_OPTION\]: --threads: "two" is not an integer/],
    [['--user', 'u3', '--threads', '2'], /^error \[BAD_OPTION\]: --threads applies to --all and --users-file only/],
  ] as const) {
    const r = await runCli('recommend', '--model', modelPath, ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.deepEqual(readdirSync(sub).sort(), before, 'nothing written');
  }
  assert.equal(existsSync(join(sub, 'x.jsonl')), false);

  // filters apply to every user; unknown ids skipped with --skip-unknown
  const r3 = await runCli('recommend', '--model', modelPath, '--all', '--include', 'i0,i1,i2,zzz', '--exclude', 'i2', '--skip-unknown', '--out', join(sub, 'f.jsonl'));
  assert.equal(r3.code, 0, r3.stderr);
  for (const line of readFileSync(join(sub, 'f.jsonl'), 'utf8').trim().split('\n')) {
    assert.ok(JSON.parse(line).items.every((x: { item: string }) => x.item === 'i0' || x.item === 'i1'));
  }
});

/** A model of 300 users × 40 items with seen items, for the worker threads. */
function bigWorld(seenOmitted = false): LoadedModel {
  const numUsers = 300;
  const numItems = 40;
  const model = randomLrml(numUsers, numItems, 4, 5, 'lookup', 0.5);
  const rows: number[] = [];
  const cols: number[] = [];
  for (let u = 0; u < numUsers; u++) for (let t = 0; t < 1 + (u % 5); t++) { rows.push(u); cols.push((u * 7 + t * 11) % numItems); }
  const seen = Csr.fromPairs(numUsers, numItems, Int32Array.from(rows), Int32Array.from(cols));
  const users = IdMap.fromIds(Array.from({ length: numUsers }, (_, u) => (u === 5 ? 'u,5' : `u${u}`)));
  const items = IdMap.fromIds(Array.from({ length: numItems }, (_, i) => `i${i}`));
  return { model, users, items, meta: seenOmitted ? { seenOmitted: true } : {}, seen: seenOmitted ? null : seen };
}

const collect = async (chunks: AsyncIterable<string>): Promise<string> => {
  let text = '';
  for await (const c of chunks) text += c;
  return text;
};

test('recommendationTextParallel: worker threads write the text of one thread, in user order, for every format, list and filter', async () => {
  const m = bigWorld();
  const titles = new Map([['i3', { title: 'Three, "the"', genres: ['a'] }]]);
  const list = ['u7', 'u,5', 'u299', 'u0', 'u7', ...Array.from({ length: 150 }, (_, t) => `u${(t * 13) % 300}`)];
  for (const [ids, format, o, t] of [
    [null, 'jsonl', { k: 5 }, null], [null, 'csv', { k: 3, exclude: ['i1'] }, titles], [list, 'csv', { k: 4, include: ['i1', 'i2', 'i3', 'i9'] }, null],
    [list, 'jsonl', { k: 6, excludeSeen: false }, titles],
  ] as const) {
    const want = [...recommendationLines(recommendEach(m, ids, o), format, t ?? undefined)].join('');
    for (const threads of [1, 2, 3]) {
      let last = 0;
      const got = await collect(recommendationTextParallel(m, ids, format, t, { ...o, threads, blockSize: 16, onProgress: (done) => { last = done; } }));
      assert.equal(got, want, `${format} ${threads} threads ${JSON.stringify(o)}`);
      assert.equal(last, (ids ?? m.users.ids()).length);
    }
  }
});

test('recommendationTextParallel: bad input before any text; an error in a worker rejects the stream', async () => {
  const m = bigWorld();
  const first = (o: Parameters<typeof recommendationTextParallel>[4], ids: string[] | null = null) => recommendationTextParallel(m, ids, 'jsonl', null, o).next();
  await assert.rejects(first({ k: 0, threads: 2 }), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION');
  await assert.rejects(first({ threads: 0 }), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /threads/.test(e.message));
  await assert.rejects(first({ exclude: ['nope'], threads: 2 }), (e: unknown) => e instanceof LrmlError && e.code === 'UNKNOWN_ITEM');
  await assert.rejects(first({ threads: 2 }, ['u1', 'ghost']), (e: unknown) => e instanceof LrmlError && e.code === 'UNKNOWN_USER');
  // a model saved without seen items: each worker's first user fails with BAD_OPTION
  const omitted = bigWorld(true);
  await assert.rejects(collect(recommendationTextParallel(omitted, null, 'jsonl', null, { threads: 2 })), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /no training interactions/.test(e.message));
});
