import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { interactionsFromIds } from '../src/data/interactions.js';
import { leaveLatestOut, leaveOneOut, ratioSplit, splitInteractions, type Split } from '../src/data/split.js';
import { loadInteractions, writeInteractions, toCsr } from '../src/data/load.js';
import { parseInteractions } from '../src/data/parse.js';
import { Rng } from '../src/rng.js';
import type { Interactions } from '../src/data/types.js';

const dir = mkdtempSync(join(tmpdir(), 'lrml-data-split-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Random log of distinct (user, item) pairs with timestamps that often tie. */
function randomLog(seed: number, withTime = true): Interactions {
  const rng = new Rng(seed);
  const U = 1 + rng.int(30);
  const I = 1 + rng.int(40);
  const seen = new Set<string>();
  const users: string[] = [];
  const items: string[] = [];
  const ts: number[] = [];
  const n = rng.int(500);
  for (let k = 0; k < n; k++) {
    const u = `u${rng.int(U)}`;
    const i = `i${rng.int(I)}`;
    if (seen.has(`${u}|${i}`)) continue;
    seen.add(`${u}|${i}`);
    users.push(u);
    items.push(i);
    ts.push(rng.int(8)); // many ties
  }
  return interactionsFromIds(users, items, withTime ? { timestamp: ts } : {});
}

function key(d: Interactions, k: number): string {
  return `${d.user[k]}|${d.item[k]}`;
}

/** The rows of `part` as positions in `data` (pairs are distinct). */
function positions(data: Interactions, part: Interactions): number[] {
  const where = new Map<string, number>();
  for (let k = 0; k < data.user.length; k++) where.set(key(data, k), k);
  const out: number[] = [];
  for (let k = 0; k < part.user.length; k++) out.push(where.get(key(part, k))!);
  return out;
}

function checkPartition(data: Interactions, s: Split): { train: number[]; test: number[] } {
  assert.equal(s.train.users, data.users, 'train shares the user map');
  assert.equal(s.test.users, data.users, 'test shares the user map');
  assert.equal(s.train.items, data.items);
  assert.equal(s.test.items, data.items);
  const train = positions(data, s.train);
  const test = positions(data, s.test);
  assert.equal(train.length + test.length, data.user.length);
  const all = new Set([...train, ...test]);
  assert.equal(all.size, data.user.length, 'disjoint and complete');
  // both parts keep file order
  for (let k = 1; k < train.length; k++) assert.ok(train[k - 1] < train[k]);
  for (let k = 1; k < test.length; k++) assert.ok(test[k - 1] < test[k]);
  assert.equal(s.info.trainInteractions, train.length);
  assert.equal(s.info.testInteractions, test.length);
  return { train, test };
}

function rowsByUser(data: Interactions): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (let k = 0; k < data.user.length; k++) {
    const u = data.user[k];
    if (!m.has(u)) m.set(u, []);
    m.get(u)!.push(k);
  }
  return m;
}

test('leave-latest-out: a partition; per eligible user exactly the latest (ties: later line) is held out', () => {
  for (let seed = 0; seed < 40; seed++) {
    const data = randomLog(seed, seed % 4 !== 0);
    const min = 2 + (seed % 3);
    const s = leaveLatestOut(data, { minInteractions: min });
    const { test } = checkPartition(data, s);
    const testSet = new Set(test);
    let eligible = 0;
    let small = 0;
    for (const rows of rowsByUser(data).values()) {
      const held = rows.filter((k) => testSet.has(k));
      if (rows.length < min) {
        small++;
        assert.equal(held.length, 0);
        continue;
      }
      eligible++;
      assert.equal(held.length, 1);
      const ts = data.timestamp;
      const latest = rows.reduce((best, k) => (ts === null ? k : ts[k] > ts[best] || (ts[k] === ts[best] && k > best) ? k : best));
      assert.equal(held[0], latest);
    }
    assert.equal(s.info.usersInTest, eligible);
    assert.equal(s.info.usersTrainOnly, small);
    assert.equal(s.info.users, eligible + small);
    assert.equal(s.info.usedTimestamps, data.timestamp !== null);
  }
});

test('leave-one-out: a partition, one random interaction per eligible user, seeded', () => {
  for (let seed = 0; seed < 30; seed++) {
    const data = randomLog(1000 + seed);
    const s = leaveOneOut(data, { seed });
    const { test } = checkPartition(data, s);
    const testSet = new Set(test);
    for (const rows of rowsByUser(data).values()) {
      assert.equal(rows.filter((k) => testSet.has(k)).length, rows.length < 2 ? 0 : 1);
    }
    assert.deepEqual(positions(data, leaveOneOut(data, { seed }).test), test, 'same seed, same split');
  }
  // the choice varies with the seed and is not always the latest
  const data = randomLog(77);
  const picks = new Set<string>();
  for (let seed = 0; seed < 10; seed++) picks.add(positions(data, leaveOneOut(data, { seed }).test).join(','));
  assert.ok(picks.size > 1);
  assert.notDeepEqual(positions(data, leaveOneOut(data, { seed: 1 }).test), positions(data, leaveLatestOut(data).test));
});

test('leave-one-out picks every position about equally often', () => {
  const users: string[] = [];
  const items: string[] = [];
  for (let i = 0; i < 4; i++) {
    users.push('u');
    items.push(`i${i}`);
  }
  const data = interactionsFromIds(users, items);
  const counts = [0, 0, 0, 0];
  for (let seed = 0; seed < 2000; seed++) counts[leaveOneOut(data, { seed }).test.item[0]]++;
  for (const c of counts) assert.ok(c > 400 && c < 600, `counts ${counts}`);
});

test('ratio split: a partition; per user round(n·(1−ratio)) held out in [1, n−1]; by time holds the latest', () => {
  for (let seed = 0; seed < 40; seed++) {
    const data = randomLog(2000 + seed, seed % 5 !== 0);
    const ratio = [0.5, 0.8, 0.9, 0.7][seed % 4];
    const by = seed % 2 === 0 ? 'time' : 'random';
    const s = ratioSplit(data, { ratio, by, seed });
    const { test } = checkPartition(data, s);
    const testSet = new Set(test);
    const ts = data.timestamp;
    for (const rows of rowsByUser(data).values()) {
      const held = rows.filter((k) => testSet.has(k));
      const kept = rows.filter((k) => !testSet.has(k));
      if (rows.length < 2) {
        assert.equal(held.length, 0);
        continue;
      }
      const want = Math.min(rows.length - 1, Math.max(1, Math.round(rows.length * (1 - ratio))));
      assert.equal(held.length, want);
      if (by === 'time') {
        // every held-out interaction is later than every kept one (timestamp, then file order)
        const later = (a: number, b: number): boolean => (ts !== null && ts[a] !== ts[b] ? ts[a] > ts[b] : a > b);
        for (const h of held) for (const k of kept) assert.ok(later(h, k));
      }
    }
    if (by === 'random') assert.deepEqual(positions(data, ratioSplit(data, { ratio, by, seed }).test), test);
  }
});

test('minInteractions keeps small users wholly in train', () => {
  const data = parseInteractions('user,item\na,1\na,2\na,3\nb,1\nb,2\nc,1\n');
  const s = splitInteractions(data, { method: 'leave-latest-out', minInteractions: 3 });
  assert.equal(s.info.usersTrainOnly, 2);
  assert.equal(s.info.usersInTest, 1);
  assert.deepEqual([s.test.users.id(s.test.user[0]), s.test.items.id(s.test.item[0])], ['a', '3']);
  assert.equal(leaveLatestOut(data).info.usersTrainOnly, 1); // only c (1 interaction) with the default 2
});

test('testItemsNotInTrain counts held-out items no train line has', () => {
  const data = parseInteractions('user,item\na,1\na,2\nb,1\nb,3\n');
  const s = leaveLatestOut(data); // holds out a-2 and b-3: items 2 and 3 are then test-only
  assert.equal(s.info.testItemsNotInTrain, 2);
});

test('split options are validated', () => {
  const data = randomLog(5);
  for (const ratio of [0, 1, 1.5, -0.2, NaN]) assert.throws(() => ratioSplit(data, { ratio }), { code: 'BAD_OPTION', message: /ratio/ });
  assert.throws(() => leaveLatestOut(data, { minInteractions: 1 }), { code: 'BAD_OPTION', message: /minInteractions/ });
  assert.throws(() => leaveOneOut(data, { seed: 1.5 }), { code: 'BAD_OPTION' });
  assert.throws(() => splitInteractions(data, { method: 'kfold' as never }), { code: 'BAD_OPTION', message: /leave-latest-out, leave-one-out, ratio/ });
  assert.throws(() => ratioSplit(data, { by: 'size' as never }), { code: 'BAD_OPTION' });
});

test('written split files read back to the same interactions (test mapped with the train maps)', async () => {
  const data = parseInteractions('user,item,rating,timestamp\nann,m1,4,10\nann,m2,3.5,20\nbob,m1,5,5\nbob,m3,2,30\ncy,m2,1,1\n');
  const s = leaveLatestOut(data);
  const trainPath = join(dir, 'train.tsv');
  const testPath = join(dir, 'test.tsv.gz');
  await writeInteractions(trainPath, s.train);
  await writeInteractions(testPath, s.test);
  const train = await loadInteractions(trainPath);
  const test = await loadInteractions(testPath, { users: train.users, items: train.items });
  const ext = (d: Interactions): string[] =>
    Array.from(d.user, (u, k) => `${d.users.id(u)} ${d.items.id(d.item[k])} ${d.rating![k]} ${d.timestamp![k]}`);
  assert.deepEqual(ext(train), ext(s.train));
  assert.deepEqual(ext(test), ext(s.test));
  // test ids map to the same indices as in the train file; the test-only item m3 comes after
  assert.equal(test.users, train.users);
  assert.equal(test.items.size, train.items.size + 1);
  const csr = toCsr(train);
  assert.ok(csr.has(train.users.get('ann')!, train.items.get('m1')!));
});
