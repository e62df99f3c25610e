import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Csr } from '../src/data/csr.js';
import { IdMap } from '../src/data/idmap.js';
import { ByteInterner } from '../src/data/interner.js';
import { filterLog, kcoreFilter, markDuplicates } from '../src/data/filters.js';
import { interactionsFromIds, selectInteractions, toCsr, interactionCounts } from '../src/data/interactions.js';
import { parseInteractions } from '../src/data/parse.js';
import { countStats, describeInteractions } from '../src/data/stats.js';
import { Rng } from '../src/rng.js';
import { LrmlError } from '../src/errors.js';
import { NegativeSampler, UserBlockOrder } from '../src/data/samplers.js';

function randomPairs(rng: Rng, n: number, rows: number, cols: number): { r: Int32Array; c: Int32Array } {
  const r = new Int32Array(n);
  const c = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    r[k] = rng.int(rows);
    c[k] = Math.floor(Math.pow(rng.float(), 2) * cols); // skewed, many duplicates
  }
  return { r, c };
}

test('CSR lookups agree with a naive Set (random data, many seeds)', () => {
  for (let seed = 0; seed < 20; seed++) {
    const rng = new Rng(seed);
    const rows = 1 + rng.int(30);
    const cols = 1 + rng.int(50);
    const { r, c } = randomPairs(rng, rng.int(400), rows, cols);
    const csr = Csr.fromPairs(rows, cols, r, c);
    const set = new Set<number>();
    for (let k = 0; k < r.length; k++) set.add(r[k] * cols + c[k]);
    assert.equal(csr.nnz, set.size);
    for (let u = 0; u < rows; u++) {
      const row = csr.row(u);
      for (let k = 1; k < row.length; k++) assert.ok(row[k - 1] < row[k], 'rows sorted and distinct');
      for (let i = 0; i < cols; i++) assert.equal(csr.has(u, i), set.has(u * cols + i), `has(${u}, ${i})`);
    }
    const t = csr.transpose();
    for (let i = 0; i < cols; i++) for (const u of t.row(i)) assert.ok(csr.has(u, i));
    assert.equal(t.nnz, csr.nnz);
    const cc = csr.columnCounts();
    for (let i = 0; i < cols; i++) assert.equal(cc[i], t.rowLength(i));
  }
});

test('toCsr: shape from the id maps, one entry per distinct pair', () => {
  const d = interactionsFromIds(['a', 'a', 'b', 'a'], ['x', 'y', 'x', 'x']);
  const csr = toCsr(d);
  assert.equal(csr.numRows, 2);
  assert.equal(csr.numCols, 2);
  assert.equal(csr.nnz, 3);
  assert.ok(csr.has(d.users.get('b')!, d.items.get('x')!));
  assert.ok(!csr.has(d.users.get('b')!, d.items.get('y')!));
  // users of a pre-existing map without interactions are empty rows
  const e = parseInteractions('user,item\nb,x\n', { users: IdMap.fromIds(['a', 'b', 'c']) });
  const ce = toCsr(e);
  assert.equal(ce.numRows, 3);
  assert.deepEqual([ce.rowLength(0), ce.rowLength(1), ce.rowLength(2)], [0, 1, 0]);
});

test('markDuplicates keeps exactly the last occurrence of each pair (vs a naive Map)', () => {
  for (let seed = 0; seed < 20; seed++) {
    const rng = new Rng(100 + seed);
    const U = 1 + rng.int(10);
    const I = 1 + rng.int(10);
    const n = rng.int(200);
    const { r, c } = randomPairs(rng, n, U, I);
    const alive = new Uint8Array(n).fill(1);
    const marked = markDuplicates(r, c, n, U, I, alive);
    const last = new Map<number, number>();
    for (let k = 0; k < n; k++) last.set(r[k] * I + c[k], k);
    const want = new Uint8Array(n);
    for (const k of last.values()) want[k] = 1;
    assert.deepEqual(alive, want);
    assert.equal(marked, n - last.size);
  }
});

function naiveKcore(r: Int32Array, c: Int32Array, alive: Uint8Array, k: number): Uint8Array {
  const a = alive.slice();
  for (;;) {
    const uc = new Map<number, number>();
    const ic = new Map<number, number>();
    for (let t = 0; t < a.length; t++) {
      if (!a[t]) continue;
      uc.set(r[t], (uc.get(r[t]) ?? 0) + 1);
      ic.set(c[t], (ic.get(c[t]) ?? 0) + 1);
    }
    let changed = false;
    for (let t = 0; t < a.length; t++) {
      if (a[t] && ((uc.get(r[t]) ?? 0) < k || (ic.get(c[t]) ?? 0) < k)) {
        a[t] = 0;
        changed = true;
      }
    }
    if (!changed) return a;
  }
}

test('kcoreFilter equals the naive fixed point, and every survivor has ≥ k interactions', () => {
  for (let seed = 0; seed < 40; seed++) {
    const rng = new Rng(200 + seed);
    const U = 1 + rng.int(25);
    const I = 1 + rng.int(25);
    const n = rng.int(300);
    const { r, c } = randomPairs(rng, n, U, I);
    const alive = new Uint8Array(n).fill(1);
    markDuplicates(r, c, n, U, I, alive);
    const k = 1 + rng.int(6);
    const before = alive.slice();
    const res = kcoreFilter(r, c, n, U, I, k, alive);
    assert.deepEqual(alive, naiveKcore(r, c, before, k));
    let removed = 0;
    for (let t = 0; t < n; t++) removed += before[t] - alive[t];
    assert.equal(res.removed, removed);
    const uc = new Int32Array(U);
    const ic = new Int32Array(I);
    for (let t = 0; t < n; t++) if (alive[t]) { uc[r[t]]++; ic[c[t]]++; }
    for (const x of [...uc, ...ic]) assert.ok(x === 0 || x >= k);
  }
});

test('filterLog = markDuplicates, then rating ≥ minRating (float32), then kcoreFilter, on one mask', () => {
  for (let seed = 0; seed < 20; seed++) {
    const rng = new Rng(500 + seed);
    const U = 1 + rng.int(15);
    const I = 1 + rng.int(15);
    const n = rng.int(200);
    const { r, c } = randomPairs(rng, n, U, I);
    const rating = Float32Array.from({ length: n }, () => 1 + rng.int(9) / 2);
    const minRating = rng.int(2) === 0 ? null : 2.7 + rng.int(3) * 0.1; // 2.8 and 2.9: float32 rounding
    const k = rng.int(2) === 0 ? null : 1 + rng.int(4);
    const alive = new Uint8Array(n).fill(1);
    const got = filterLog(r, c, rating, n, U, I, minRating, k, alive);
    const expected = new Uint8Array(n).fill(1);
    const duplicates = markDuplicates(r, c, n, U, I, expected);
    let below = 0;
    for (let t = 0; t < n; t++) {
      if (minRating !== null && expected[t] && !(rating[t] >= Math.fround(minRating))) {
        expected[t] = 0;
        below++;
      }
    }
    const kc = k === null ? { removed: 0, usersRemoved: 0, itemsRemoved: 0 } : kcoreFilter(r, c, n, U, I, k, expected);
    assert.deepEqual(alive, expected);
    assert.deepEqual(got, { duplicates, belowMinRating: below, kcore: kc });
  }
});

test('ByteInterner agrees with a Map over many ids (rehashing), numeric and string ids', () => {
  const rng = new Rng(9);
  const enc = new TextEncoder();
  const ids = new ByteInterner();
  const naive = new Map<string, number>();
  for (let k = 0; k < 20000; k++) {
    const kind = rng.int(4);
    const s = kind === 0 ? String(rng.int(5000)) : kind === 1 ? `0${rng.int(100)}` : kind === 2 ? `id-${rng.int(5000)}-é` : String(rng.int(1 << 30));
    const b = enc.encode(`,${s},`);
    const got = ids.intern(b, 1, b.length - 1);
    if (!naive.has(s)) naive.set(s, naive.size);
    assert.equal(got, naive.get(s), s);
  }
  assert.deepEqual(ids.toIdMap().ids(), [...naive.keys()]);
});

test('ByteInterner: base map indices kept, new ids after; frozen returns -1 and counts distinct', () => {
  const base = IdMap.fromIds(['10', 'x']);
  const a = new ByteInterner(base);
  assert.equal(a.internString('x'), 1);
  assert.equal(a.internString('10'), 0);
  assert.equal(a.internString('7'), 2);
  assert.equal(a.internString('10'), 0); // cached numeric path
  const m = a.toIdMap();
  assert.deepEqual(m.ids(), ['10', 'x', '7']);
  assert.deepEqual(base.ids(), ['10', 'x']); // untouched
  const f = new ByteInterner(base, { frozen: true });
  assert.equal(f.internString('7'), -1);
  assert.equal(f.internString('7'), -1);
  assert.equal(f.internString('8'), -1);
  assert.equal(f.internString('x'), 1);
  assert.equal(f.unknownCount, 2);
  assert.equal(f.toIdMap(), base);
});

test('selectInteractions shares maps and copies the chosen rows', () => {
  const d = interactionsFromIds(['a', 'b', 'c'], ['x', 'y', 'z'], { rating: [1, 2, 3], timestamp: [10, 20, 30] });
  const s = selectInteractions(d, Int32Array.of(2, 0));
  assert.equal(s.users, d.users);
  assert.deepEqual(Array.from(s.user), [2, 0]);
  assert.deepEqual(Array.from(s.rating!), [3, 1]);
  assert.deepEqual(Array.from(s.timestamp!), [30, 10]);
  assert.equal(s.summary.kept, 2);
  assert.throws(() => selectInteractions(d, Int32Array.of(3)), RangeError);
});

test('countStats and describeInteractions against hand-computed values', () => {
  assert.deepEqual(countStats(Int32Array.of(1, 5, 2, 4)), { min: 1, median: 3, mean: 3, max: 5 });
  assert.deepEqual(countStats(Int32Array.of(7, 1, 3)), { min: 1, median: 3, mean: 11 / 3, max: 7 });
  assert.deepEqual(countStats(new Int32Array(0)), { min: 0, median: 0, mean: 0, max: 0 });
  // a: x y z; b: x → per user [3, 1], per item [2, 1, 1]
  const d = interactionsFromIds(['a', 'a', 'a', 'b'], ['x', 'y', 'z', 'x'], { rating: [1, 2, 3, 5], timestamp: [5, 1, 9, 3] });
  const s = describeInteractions(d);
  assert.equal(s.users, 2);
  assert.equal(s.items, 3);
  assert.equal(s.interactions, 4);
  assert.equal(s.density, 4 / 6);
  assert.deepEqual(s.perUser, { min: 1, median: 2, mean: 2, max: 3 });
  assert.deepEqual(s.perItem, { min: 1, median: 1, mean: 4 / 3, max: 2 });
  assert.deepEqual(s.rating, { min: 1, max: 5, mean: 11 / 4 });
  assert.deepEqual(s.timestamp, { min: 1, max: 9 });
  const { perUser, perItem } = interactionCounts(d);
  assert.deepEqual(Array.from(perUser), [3, 1]);
  assert.deepEqual(Array.from(perItem), [2, 1, 1]);
});

test('NegativeSampler.fill: negatives never seen by their user; with share g, each group of g positives shares every draw its users have not seen, and share 1 is the per-positive sequence', () => {
  const rng = new Rng(5);
  const numUsers = 40;
  const numItems = 30;
  const rows: number[] = [];
  const cols: number[] = [];
  for (let u = 0; u < numUsers; u++) for (let i = 0; i < numItems; i++) if (rng.float() < (u === 7 ? 1 : 0.3)) { rows.push(u); cols.push(i); }
  const csr = Csr.fromPairs(numUsers, numItems, Int32Array.from(rows), Int32Array.from(cols));
  const count = 203; // not a multiple of the group size
  const k = 6;
  const users = Int32Array.from({ length: count }, () => rng.int(numUsers));
  users[10] = 7; // a user who has seen every item gets random items (no true negative exists)
  const plain = new Int32Array(count * k);
  new NegativeSampler(csr, { seed: 3 }).fill(users, count, k, plain);
  const one = new Int32Array(count * k);
  new NegativeSampler(csr, { seed: 3 }).fill(users, count, k, one, 1);
  assert.deepEqual(one, plain);
  for (const g of [1, 4, 16]) {
    const out = new Int32Array(count * k);
    new NegativeSampler(csr, { seed: 3 }).fill(users, count, k, out, g);
    let shared = 0;
    let distinct = 0;
    for (let t = 0; t < count; t++) {
      for (let s = 0; s < k; s++) {
        const j = out[t * k + s];
        assert.ok(j >= 0 && j < numItems);
        if (users[t] !== 7) assert.ok(!csr.has(users[t], j), `g=${g}: user ${users[t]} has seen item ${j}`);
      }
    }
    for (let start = 0; start < count; start += g) {
      const end = Math.min(count, start + g);
      const items = new Set<number>();
      for (let s = 0; s < k; s++) {
        const votes = new Map<number, number>();
        for (let t = start; t < end; t++) {
          votes.set(out[t * k + s], (votes.get(out[t * k + s]) ?? 0) + 1);
          items.add(out[t * k + s]);
        }
        if (g > 1) shared += Math.max(...votes.values());
      }
      distinct += items.size;
    }
    if (g > 1) assert.ok(shared > 0.6 * count * k, `g=${g}: only ${shared} of ${count * k} negatives shared`);
    if (g === 1) assert.deepEqual(out, plain);
    if (g === 16) assert.ok(distinct < (count * k) / 3, `g=16: ${distinct} distinct items over the groups`);
  }
  // users with no history: every draw is shared, slot by slot, within each group (and groups differ)
  const fresh = Csr.fromPairs(numUsers, numItems, new Int32Array(0), new Int32Array(0));
  const out = new Int32Array(count * k);
  new NegativeSampler(fresh, { seed: 9 }).fill(users, count, k, out, 8);
  for (let t = 0; t < count; t++) assert.deepEqual(out.subarray(t * k, t * k + k), out.subarray((t - (t % 8)) * k, (t - (t % 8)) * k + k), `t=${t}`);
  assert.notDeepEqual(out.subarray(0, k), out.subarray(8 * k, 9 * k));
});

test("NegativeSampler.fill 'user': each run of up to g positives of one user shares every draw, all unseen by that user; runs break at another user", () => {
  const rng = new Rng(8);
  const numUsers = 12;
  const numItems = 40;
  const rows: number[] = [];
  const cols: number[] = [];
  for (let u = 0; u < numUsers; u++) for (let i = 0; i < numItems; i++) if (rng.float() < 0.4) { rows.push(u); cols.push(i); }
  const csr = Csr.fromPairs(numUsers, numItems, Int32Array.from(rows), Int32Array.from(cols));
  // runs of one user of lengths 1..11 (longer than g = 4 splits into runs of 4)
  const users: number[] = [];
  for (let r = 0; users.length < 150; r++) users.push(...new Array<number>(1 + (r % 11)).fill(r % numUsers));
  const count = users.length;
  const k = 5;
  const out = new Int32Array(count * k);
  new NegativeSampler(csr, { seed: 2 }).fill(Int32Array.from(users), count, k, out, 4, 'user');
  let groups = 0;
  for (let start = 0; start < count; groups++) {
    let end = start + 1;
    while (end < count && end - start < 4 && users[end] === users[start]) end++;
    for (let t = start; t < end; t++) {
      assert.deepEqual(out.subarray(t * k, t * k + k), out.subarray(start * k, start * k + k), `position ${t} of the run at ${start}`);
      for (let s = 0; s < k; s++) assert.ok(!csr.has(users[t], out[t * k + s]), `user ${users[t]} has seen ${out[t * k + s]}`);
    }
    if (end < count && users[end] === users[start]) assert.notDeepEqual(out.subarray(end * k, end * k + k), out.subarray(start * k, start * k + k), 'the next run of the same user draws anew');
    start = end;
  }
  assert.ok(groups > 20);
  // chunk by chunk (each chunk continuing the last: runs cut across chunks keep their draws) as at once
  for (const chunk of [1, 3, 7, 64]) {
    const sampler = new NegativeSampler(csr, { seed: 2 });
    const chunked = new Int32Array(count * k);
    for (let from = 0; from < count; from += chunk) {
      const c = Math.min(chunk, count - from);
      sampler.fill(Int32Array.from(users.slice(from, from + c)), c, k, chunked.subarray(from * k, (from + c) * k), 4, 'user', from > 0);
    }
    assert.deepEqual(chunked, out, `chunks of ${chunk}`);
  }
  // without `continues` a chunk starts new runs (a new epoch)
  const fresh = new NegativeSampler(csr, { seed: 2 });
  const a = new Int32Array(3 * k);
  fresh.fill(Int32Array.of(0, 0, 0), 3, k, a, 4, 'user');
  const b = new Int32Array(k);
  fresh.fill(Int32Array.of(0), 1, k, b, 4, 'user');
  assert.notDeepEqual(b, a.subarray(0, k));
});

test('UserBlockOrder: each epoch visits every positive once, in blocks of up to g of one user (at most ⌈length / g⌉ runs a user), chunk by chunk as at once, seeded', () => {
  const rng = new Rng(4);
  const numUsers = 25;
  const numItems = 60;
  const rows: number[] = [];
  const cols: number[] = [];
  for (let u = 0; u < numUsers; u++) for (let i = 0; i < numItems; i++) if (rng.float() < (u % 5) * 0.1) { rows.push(u); cols.push(i); }
  const csr = Csr.fromPairs(numUsers, numItems, Int32Array.from(rows), Int32Array.from(cols));
  const n = csr.nnz;
  const g = 4;
  const epoch = (seed: number, epochs: number, chunk: number): { users: Int32Array; items: Int32Array }[] => {
    const order = Int32Array.from({ length: n }, (_, k) => k);
    const blocks = new UserBlockOrder(csr, order, g);
    const r = new Rng(seed);
    const res = [];
    for (let e = 0; e < epochs; e++) {
      blocks.shuffle(r);
      const users = new Int32Array(n);
      const items = new Int32Array(n);
      for (let from = 0; from < n; from += chunk) {
        const count = Math.min(chunk, n - from);
        blocks.fill(from, count, users.subarray(from, from + count), items.subarray(from, from + count));
      }
      res.push({ users, items });
    }
    return res;
  };
  const [e1, e2] = epoch(1, 2, n);
  for (const { users, items } of [e1, e2]) {
    // every (user, item) of the CSR exactly once
    const seen = new Set<number>();
    for (let t = 0; t < n; t++) {
      assert.ok(csr.has(users[t], items[t]));
      seen.add(users[t] * numItems + items[t]);
    }
    assert.equal(seen.size, n);
    // each user's positives come in at most ⌈length / g⌉ runs (blocks of g, the last one short,
    // adjacent blocks of one user merging into one run)
    const runs = new Int32Array(numUsers);
    for (let t = 0; t < n; t++) if (t === 0 || users[t - 1] !== users[t]) runs[users[t]]++;
    for (let u = 0; u < numUsers; u++) assert.ok(runs[u] <= Math.ceil(csr.rowLength(u) / g), `user ${u}: ${runs[u]} runs of ${csr.rowLength(u)} positives`);
    assert.ok(runs.reduce((a, b) => a + b, 0) > n / (2 * g), 'the blocks are shuffled together');
  }
  assert.notDeepEqual(e1.users, e2.users, 'each epoch a new order');
  // chunk by chunk (7 positions, blocks cut across chunks) as at once; the same seed, the same order
  const [c1, c2] = epoch(1, 2, 7);
  assert.deepEqual(c1, e1);
  assert.deepEqual(c2, e2);
  assert.notDeepEqual(epoch(2, 1, n)[0].users, e1.users);
  const blocks = new UserBlockOrder(csr, Int32Array.from({ length: n }, (_, k) => k), g);
  blocks.shuffle(new Rng(1));
  assert.throws(() => blocks.fill(5, 3, new Int32Array(3), new Int32Array(3)), (e: unknown) => e instanceof LrmlError && e.code === 'INTERNAL' && /\[5, 8\), expected from 0/.test(e.message));
  assert.throws(() => blocks.fill(0, n + 1, new Int32Array(n + 1), new Int32Array(n + 1)), (e: unknown) => e instanceof LrmlError && e.code === 'INTERNAL' && /at most/.test(e.message));
  assert.throws(() => new UserBlockOrder(csr, new Int32Array(3), g), (e: unknown) => e instanceof LrmlError && e.code === 'INTERNAL');
});
