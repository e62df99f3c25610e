// Real data: the embedded ml-latest-small always; MovieLens 100K / 1M from ../shared/data
// when present (skipped with a message otherwise: they may not be copied into the repo).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadInteractions, toCsr } from '../src/data/load.js';
import { leaveLatestOut } from '../src/data/split.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Project root from test/ (tsx) or dist/test/ (compiled). */
const root = existsSync(resolve(here, '../package.json')) ? resolve(here, '..') : resolve(here, '../..');
const shared = resolve(root, '../shared/data');

test('embedded data/ml-latest-small/ratings.csv: 610 users, 9,724 items, 100,836 ratings', async () => {
  const d = await loadInteractions(resolve(root, 'data/ml-latest-small/ratings.csv'));
  assert.equal(d.users.size, 610);
  assert.equal(d.items.size, 9724);
  assert.equal(d.user.length, 100836);
  assert.equal(d.summary.format, 'csv');
  assert.equal(d.summary.header, true);
  assert.equal(d.summary.duplicates, 0);
  assert.equal(toCsr(d).nnz, 100836);
  // ratings 0.5–5.0, timestamps present
  let min = Infinity;
  let max = -Infinity;
  for (const r of d.rating!) {
    min = Math.min(min, r);
    max = Math.max(max, r);
  }
  assert.deepEqual([min, max], [0.5, 5]);
  assert.ok(d.timestamp !== null);
  // implicit feedback: rating ≥ 4
  const pos = await loadInteractions(resolve(root, 'data/ml-latest-small/ratings.csv'), { minRating: 4 });
  assert.equal(pos.summary.belowMinRating + pos.summary.kept, 100836);
  assert.equal(pos.summary.kept, 48580);
});

test('ml-100k u.data: 943 users, 1,682 items, 100,000 ratings', async (t) => {
  const p = resolve(shared, 'ml-100k/u.data');
  if (!existsSync(p)) {
    t.skip(`${p} not found (MovieLens 100K is read from ../shared/data, never copied)`);
    return;
  }
  const d = await loadInteractions(p);
  assert.equal(d.users.size, 943);
  assert.equal(d.items.size, 1682);
  assert.equal(d.user.length, 100000);
  assert.equal(d.summary.header, false);
  assert.ok(d.rating !== null && d.timestamp !== null);
  const s = leaveLatestOut(d);
  assert.equal(s.info.usersInTest, 943);
  assert.equal(s.test.user.length, 943);
});

test('ml-1m ml-1m.train.pairs.gz: 6,040 users, 994,169 pairs, NCF item ids 0..3705', async (t) => {
  const p = resolve(shared, 'ml-1m/ml-1m.train.pairs.gz');
  if (!existsSync(p)) {
    t.skip(`${p} not found (MovieLens 1M is read from ../shared/data, never copied)`);
    return;
  }
  const d = await loadInteractions(p);
  assert.equal(d.summary.gzip, true);
  assert.equal(d.summary.format, 'ncf-pairs');
  assert.equal(d.users.size, 6040);
  assert.equal(d.user.length, 994169);
  assert.equal(d.summary.duplicates, 0);
  // The NCF id space has 3,706 items, but 2 of them occur only in the test file:
  // the train pairs hold 3,704 distinct items, the largest id being 3705.
  assert.equal(d.items.size, 3704);
  const maxId = Math.max(...d.items.ids().map(Number));
  assert.equal(maxId + 1, 3706);
  // the held-out test file maps onto the same ids
  const testFile = resolve(shared, 'ml-1m/ml-1m.test.rating');
  if (existsSync(testFile)) {
    const test1 = await loadInteractions(testFile, { users: d.users, items: d.items });
    assert.equal(test1.user.length, 6040);
    assert.equal(test1.users.size, 6040);
    const csr = toCsr(d);
    // leave-one-out data: no test pair is in train
    for (let k = 0; k < test1.user.length; k++) {
      const i = test1.item[k];
      if (i < csr.numCols) assert.ok(!csr.has(test1.user[k], i));
    }
  }
});
