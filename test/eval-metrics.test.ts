import { test } from 'node:test';
import assert from 'node:assert/strict';
import { close, csr } from './helpers.js';
import { IdMap } from '../src/data/idmap.js';
import { LrmlError } from '../src/errors.js';
import { Rng } from '../src/rng.js';
import type { Recommender } from '../src/models/types.js';
import { evaluate, sampledRng, sampleNegatives } from '../src/eval/evaluate.js';
import { aheadOfMany, metricKeys, rankingMetrics } from '../src/eval/metrics.js';
import { parseGivenNegatives, givenTestSet } from '../src/eval/negatives.js';
import { compareModels } from '../src/eval/bootstrap.js';
import { formatPerUser } from '../src/eval/per-user.js';
import type { EvalResult, GivenNegatives } from '../src/eval/types.js';

/** A model whose scores are a fixed users × items matrix. */
export function matrixModel(numUsers: number, numItems: number, S: ArrayLike<number>): Recommender {
  const s = Float32Array.from(S);
  return {
    kind: 'pop', numUsers, numItems,
    scoreItems(u, items, out) {
      for (let t = 0; t < items.length; t++) out[t] = s[u * numItems + items[t]];
    },
    scoreAll(u, out) {
      out.set(s.subarray(u * numItems, (u + 1) * numItems));
    },
    config: () => ({}),
    tensors: () => ({}),
  };
}


function cases(users: number[], positives: number[], negatives: number[][]): GivenNegatives {
  const offsets = [0];
  for (const n of negatives) offsets.push(offsets[offsets.length - 1] + n.length);
  return {
    users: Int32Array.from(users), positives: Int32Array.from(positives), offsets: Int32Array.from(offsets),
    negatives: Int32Array.from(negatives.flat()), lines: Int32Array.from(users.map((_, i) => i + 1)),
    summary: { file: '<test>', lines: users.length, cases: users.length, skippedLines: 0, unknownNegatives: 0, selfNegatives: 0, repeatedNegatives: 0, addedItems: 0 },
  };
}

const L = (r: number): number => 1 / Math.log2(r + 1);

test('metric keys are exactly hits@K, ndcg@K, recall@K, precision@K per K, then mrr, auc', () => {
  assert.deepEqual(metricKeys([1, 10]), ['hits@1', 'ndcg@1', 'recall@1', 'precision@1', 'hits@10', 'ndcg@10', 'recall@10', 'precision@10', 'mrr', 'auc']);
});

test('single positive, hand-computed, with a tie (pessimistic): given protocol', () => {
  // items 0..4; positive 0 scores 0.5; negatives 1..4 score 0.9, 0.5 (tie), 0.1, 0.7 → rank 4 of 5
  const model = matrixModel(1, 5, [0.5, 0.9, 0.5, 0.1, 0.7]);
  const train = csr(1, 5, []);
  const test1 = csr(1, 5, [[0, 0]]);
  const r = evaluate(model, train, test1, { kind: 'given', cases: cases([0], [0], [[1, 2, 3, 4]]) }, { k: [1, 3, 5], bootstrap: 0 });
  assert.equal(r.tieRule, 'pessimistic');
  assert.equal(r.protocol, 'given');
  assert.equal(r.users, 1);
  assert.equal(r.positives, 1);
  const want: Record<string, number> = {
    'hits@1': 0, 'ndcg@1': 0, 'recall@1': 0, 'precision@1': 0,
    'hits@3': 0, 'ndcg@3': 0, 'recall@3': 0, 'precision@3': 0,
    'hits@5': 1, 'ndcg@5': L(4), 'recall@5': 1, 'precision@5': 1 / 5,
    mrr: 1 / 4, auc: 1 - 3 / 4,
  };
  assert.deepEqual(Object.keys(r.metrics), Object.keys(want));
  for (const [k, v] of Object.entries(want)) close(r.metrics[k], v, k);
  assert.deepEqual(r.intervals, {});
  assert.equal(r.meanCandidates, 5);
});

test('all scores equal: the positive ranks last (pessimistic), in every protocol', () => {
  const model = matrixModel(1, 5, [0, 0, 0, 0, 0]);
  const train = csr(1, 5, []);
  const test1 = csr(1, 5, [[0, 2]]);
  const given = evaluate(model, train, test1, { kind: 'given', cases: cases([0], [2], [[0, 1, 3, 4]]) }, { k: [4, 5], bootstrap: 0 });
  const full = evaluate(model, train, test1, { kind: 'full' }, { k: [4, 5], bootstrap: 0 });
  const sampled = evaluate(model, train, test1, { kind: 'sampled', negatives: 10 }, { k: [4, 5], bootstrap: 0 });
  for (const r of [given, full, sampled]) {
    assert.equal(r.metrics['hits@4'], 0, r.protocol);
    assert.equal(r.metrics['hits@5'], 1, r.protocol);
    close(r.metrics.mrr, 1 / 5, r.protocol);
    assert.equal(r.metrics.auc, 0, r.protocol);
  }
});

test('full ranking, two positives, train exclusion, ties and a NaN: hand-computed', () => {
  // train {1}; test {0, 4}; negatives 2 (0.8), 3 (0.3), 5 (0.9), 6 (NaN = −∞), 7 (0.5)
  // positive 0 (0.8): ahead 2 (5, tie 2) → rank 3; positive 4 (0.5): ahead 3 (5, 2, tie 7) → rank 2 + 3 = 5
  const model = matrixModel(1, 8, [0.8, 9, 0.8, 0.3, 0.5, 0.9, NaN, 0.5]);
  const r = evaluate(model, csr(1, 8, [[0, 1]]), csr(1, 8, [[0, 0], [0, 4]]), { kind: 'full' }, { k: [1, 3, 5], bootstrap: 0, perUser: true });
  const idcg2 = L(1) + L(2);
  const want: Record<string, number> = {
    'hits@1': 0, 'ndcg@1': 0, 'recall@1': 0, 'precision@1': 0,
    'hits@3': 1, 'ndcg@3': L(3) / idcg2, 'recall@3': 1 / 2, 'precision@3': 1 / 3,
    'hits@5': 1, 'ndcg@5': (L(3) + L(5)) / idcg2, 'recall@5': 1, 'precision@5': 2 / 5,
    mrr: 1 / 3, auc: 1 - (2 + 3) / (2 * 5),
  };
  for (const [k, v] of Object.entries(want)) close(r.metrics[k], v, k);
  assert.equal(r.nanScores, 1);
  assert.equal(r.positives, 2);
  assert.equal(r.meanCandidates, 7);
  assert.deepEqual([...r.perUser!.users], [0]);
  assert.deepEqual([...r.perUser!.positives], [2]);
});

test('NaN positive ranks below everything, even NaN negatives', () => {
  const model = matrixModel(1, 4, [NaN, NaN, -Infinity, -5]);
  const r = evaluate(model, csr(1, 4, []), csr(1, 4, [[0, 0]]), { kind: 'full' }, { k: [3, 4], bootstrap: 0 });
  assert.equal(r.metrics['hits@3'], 0);
  assert.equal(r.metrics['hits@4'], 1);
  assert.equal(r.metrics.auc, 0);
  assert.equal(r.nanScores, 2);
});

test('given protocol: per-user mean over cases; users with no case count as skipped', () => {
  // user 0: two cases, rank 1 and rank 3 (of 3); user 1: rank 2; user 2 has a test item but no case
  const model = matrixModel(3, 4, [0.9, 0.5, 0.1, 0.7, 0.1, 0.6, 0.2, 0.0, 0, 0, 0, 0]);
  const test3 = csr(3, 4, [[0, 0], [0, 2], [1, 2], [2, 1]]);
  const c = cases([1, 0, 0], [2, 0, 2], [[1, 3], [1, 3], [1, 3]]);
  const r = evaluate(model, csr(3, 4, []), test3, { kind: 'given', cases: c }, { k: [1], bootstrap: 0, perUser: true });
  assert.equal(r.users, 2);
  assert.equal(r.positives, 3);
  assert.equal(r.skipped, 1);
  assert.deepEqual([...r.perUser!.users], [0, 1]);
  close(r.perUser!.metrics['hits@1'][0], 0.5, 'user 0 hits@1');
  close(r.perUser!.metrics.mrr[0], (1 + 1 / 3) / 2, 'user 0 mrr');
  close(r.perUser!.metrics.mrr[1], 1 / 2, 'user 1 mrr');
  close(r.metrics.mrr, ((1 + 1 / 3) / 2 + 1 / 2) / 2, 'mean mrr over users');
});

test('given cases whose positive is not in the test set are refused', () => {
  const model = matrixModel(1, 3, [1, 2, 3]);
  assert.throws(
    () => evaluate(model, csr(1, 3, []), csr(1, 3, [[0, 1]]), { kind: 'given', cases: cases([0], [0], [[2]]) }),
    (e: unknown) => e instanceof LrmlError && e.code === 'BAD_VALUE' && /not in the test set/.test(e.message),
  );
});

test('negatives-file quirk: a negative equal to its own positive (and repeats) are dropped and counted', () => {
  const users = IdMap.fromIds(['u0', 'u1']);
  const items = IdMap.fromIds(['a', 'b', 'c', 'd', 'e']);
  const text = '(u0,a)\tb\ta\tc\n\n(u1,b)\tc\td\tc\te \n';
  const g = parseGivenNegatives(text, users, items, { file: 'x.negative' });
  assert.equal(g.summary.cases, 2);
  assert.equal(g.summary.selfNegatives, 1);
  assert.equal(g.summary.repeatedNegatives, 1);
  assert.deepEqual([...g.lines], [1, 3]);
  // scores: everything equal to the positive's score → without dropping, 'a' would tie with itself
  const model = matrixModel(2, 5, [0.5, 0.2, 0.1, 0, 0, 0, 0.5, 0.9, 0.1, 0.2]);
  const test2 = givenTestSet(g, 2, 5);
  const r = evaluate(model, csr(2, 5, []), test2, { kind: 'given', cases: g }, { k: [1, 2], bootstrap: 0, perUser: true });
  assert.equal(r.droppedCandidates, 2);
  assert.equal(r.meanCandidates, (3 + 4) / 2);
  // u0: a (0.5) vs b (0.2), c (0.1) → rank 1 (the self-negative would have made it rank 2)
  assert.equal(r.perUser!.metrics['hits@1'][0], 1);
  // u1: b (0.5) vs c (0.9), d (0.1), e (0.2) → rank 2
  assert.equal(r.perUser!.metrics['hits@1'][1], 0);
  close(r.perUser!.metrics.auc[1], 2 / 3, 'u1 auc');
});

test('negatives file: bad lines and unknown ids give typed errors with file and line, or counted skips', () => {
  const users = IdMap.fromIds(['0']);
  const items = IdMap.fromIds(['1', '2']);
  const bad = (text: string, code: string): void => {
    assert.throws(() => parseGivenNegatives(text, users, items, { file: 'f.neg' }), (e: unknown) => e instanceof LrmlError && e.code === code && /f\.neg:2/.test(e.message));
  };
  bad('(0,1)\t2\n0,1\t2\n', 'BAD_VALUE');
  bad('(0,1)\t2\n(9,1)\t2\n', 'UNKNOWN_USER');
  bad('(0,1)\t2\n(0,7)\t2\n', 'UNKNOWN_ITEM');
  bad('(0,1)\t2\n(0,1)\t2\t8\n', 'UNKNOWN_ITEM');
  const g = parseGivenNegatives('(0,1)\t2\t8\n(9,1)\t2\n', users, items, { unknown: 'skip' });
  assert.equal(g.summary.cases, 1);
  assert.equal(g.summary.skippedLines, 1);
  assert.equal(g.summary.unknownNegatives, 1);
});

/** Independent reference: sort candidates by (score desc, negatives before positives), NaN last. */
function naiveMetrics(scores: number[], candidates: number[], positives: Set<number>, k: number[]): Record<string, number> {
  const key = (x: number): number => (Number.isNaN(x) ? -Infinity : x);
  const order = [...candidates].sort((x, y) => key(scores[y]) - key(scores[x]) || Number(positives.has(x)) - Number(positives.has(y)));
  const ranks = order.map((i, r) => (positives.has(i) ? r + 1 : 0)).filter((r) => r > 0);
  const P = ranks.length;
  const nNeg = candidates.length - P;
  const out: Record<string, number> = {};
  for (const K of k) {
    const hit = ranks.filter((r) => r <= K);
    let idcg = 0;
    for (let t = 0; t < Math.min(K, P); t++) idcg += L(t + 1);
    out[`hits@${K}`] = hit.length > 0 ? 1 : 0;
    out[`ndcg@${K}`] = hit.reduce((a, r) => a + L(r), 0) / idcg;
    out[`recall@${K}`] = hit.length / P;
    out[`precision@${K}`] = hit.length / K;
  }
  out.mrr = 1 / ranks[0];
  let wrong = 0;
  for (const p of candidates) if (positives.has(p)) for (const n of candidates) if (!positives.has(n) && key(scores[n]) >= key(scores[p])) wrong++;
  out.auc = 1 - wrong / (P * nNeg);
  return out;
}

function randomWorld(seed: number, numUsers: number, numItems: number, testPerUser: number) {
  const rng = new Rng(seed);
  // few score levels → many ties; a few NaNs
  const S = Float32Array.from({ length: numUsers * numItems }, () => (rng.float() < 0.01 ? NaN : rng.int(6) / 5));
  const trainPairs: [number, number][] = [];
  const testPairs: [number, number][] = [];
  for (let u = 0; u < numUsers; u++) {
    const perm = rng.shuffle(Int32Array.from({ length: numItems }, (_, i) => i));
    const nTrain = rng.int(numItems / 2);
    for (let t = 0; t < nTrain; t++) trainPairs.push([u, perm[t]]);
    for (let t = 0; t < testPerUser; t++) testPairs.push([u, perm[nTrain + t]]);
  }
  return { S, train: csr(numUsers, numItems, trainPairs), test: csr(numUsers, numItems, testPairs) };
}

test('property: full ranking equals an independent sort-based reference (ties, NaN, several positives)', () => {
  const k = [1, 3, 10];
  for (const seed of [1, 2, 3]) {
    const { S, train, test: te } = randomWorld(seed, 30, 40, 1 + seed);
    const r = evaluate(matrixModel(30, 40, S), train, te, { kind: 'full' }, { k, bootstrap: 0, perUser: true });
    for (let row = 0; row < r.users; row++) {
      const u = r.perUser!.users[row];
      const cand = [...Array(40).keys()].filter((i) => !train.has(u, i) || te.has(u, i));
      const want = naiveMetrics(Array.from(S.subarray(u * 40, (u + 1) * 40)), cand, new Set(te.row(u)), k);
      for (const [key, v] of Object.entries(want)) close(r.perUser!.metrics[key][row], v, `seed ${seed} user ${u} ${key}`);
    }
  }
});

test('property: sampled metrics equal full-ranking metrics restricted to the same candidates', () => {
  const k = [1, 5, 10];
  const numUsers = 40;
  const numItems = 300;
  const { S, train, test: te } = randomWorld(7, numUsers, numItems, 1);
  const model = matrixModel(numUsers, numItems, S);
  const seed = 5;
  const sampled = evaluate(model, train, te, { kind: 'sampled', negatives: 20, seed }, { k, bootstrap: 0, perUser: true });
  // rebuild each user's candidates with the same sampler, then exclude everything else as "train"
  const excluded: [number, number][] = [];
  const flags = new Uint8Array(numItems);
  const cand = new Int32Array(21);
  for (let u = 0; u < numUsers; u++) {
    flags.fill(0);
    let marked = 0;
    for (const i of [...train.row(u), ...te.row(u)]) if (flags[i] === 0) { flags[i] = 1; marked++; }
    const n = sampleNegatives(sampledRng(seed, u), flags, numItems - marked, 20, cand, 1);
    assert.equal(n, 20);
    const keep = new Set([te.row(u)[0], ...cand.subarray(1, 1 + n)]);
    for (let i = 0; i < numItems; i++) if (!keep.has(i)) excluded.push([u, i]);
  }
  const full = evaluate(model, csr(numUsers, numItems, excluded), te, { kind: 'full' }, { k, bootstrap: 0, perUser: true });
  assert.equal(sampled.users, numUsers);
  assert.equal(sampled.meanCandidates, 21);
  assert.equal(full.meanCandidates, 21);
  for (const key of Object.keys(sampled.metrics)) {
    assert.deepEqual(sampled.perUser!.metrics[key], full.perUser!.metrics[key], key);
  }
  // and sampled draws are distinct unseen items
  for (let u = 0; u < numUsers; u++) {
    flags.fill(0);
    for (const i of [...train.row(u), ...te.row(u)]) flags[i] = 1;
    sampleNegatives(sampledRng(seed, u), flags, 10_000, 20, cand, 0);
    const drawn = cand.subarray(0, 20);
    assert.equal(new Set(drawn).size, 20);
    for (const i of drawn) assert.ok(!train.has(u, i) && !te.has(u, i));
  }
});

test('sampled: users with fewer unseen items than N rank against all of them; none → skipped', () => {
  const model = matrixModel(2, 4, [0.1, 0.2, 0.3, 0.4, 1, 1, 1, 1]);
  const train = csr(2, 4, [[0, 0], [1, 0], [1, 1], [1, 2]]);
  const te = csr(2, 4, [[0, 3], [1, 3]]);
  const r = evaluate(model, train, te, { kind: 'sampled', negatives: 100 }, { k: [1], bootstrap: 0 });
  assert.equal(r.users, 1);
  assert.equal(r.skipped, 1);
  assert.equal(r.meanCandidates, 3);
  assert.equal(r.metrics['hits@1'], 1);
});

test('aheadOfMany matches a direct count', () => {
  const rng = new Rng(4);
  for (let rep = 0; rep < 50; rep++) {
    const P = 1 + rng.int(6);
    const N = rng.int(30);
    const pos = Float64Array.from({ length: P }, () => rng.int(5));
    const neg = Float32Array.from({ length: N }, () => (rng.float() < 0.1 ? NaN : rng.int(5)));
    const sorted = [...pos].sort((a, b) => b - a);
    const ahead = new Int32Array(P);
    aheadOfMany(pos, P, neg, N, ahead, new Int32Array(P + 1));
    for (let t = 0; t < P; t++) {
      const want = [...neg].filter((x) => !Number.isNaN(x) && x >= sorted[t]).length;
      assert.equal(ahead[t], want);
    }
  }
  const out = new Float64Array(6);
  rankingMetrics(Int32Array.of(2), 1, 99, [10], out);
  assert.deepEqual([...out], [1, 0.5, 1, 0.1, 1 / 3, 1 - 2 / 99]);
});

function bootstrapWorld(users: number): EvalResult {
  const { S, train, test: te } = randomWorld(11, users, 30, 1);
  return evaluate(matrixModel(users, 30, S), train, te, { kind: 'full' }, { k: [5], bootstrap: 300, seed: 3, perUser: true });
}

test('bootstrap: deterministic per seed, different across seeds, intervals contain the mean and shrink with users', () => {
  const { S, train, test: te } = randomWorld(11, 200, 30, 1);
  const model = matrixModel(200, 30, S);
  const a = evaluate(model, train, te, { kind: 'full' }, { bootstrap: 300, seed: 3 });
  const b = evaluate(model, train, te, { kind: 'full' }, { bootstrap: 300, seed: 3 });
  const c = evaluate(model, train, te, { kind: 'full' }, { bootstrap: 300, seed: 4 });
  assert.deepEqual(a.intervals, b.intervals);
  assert.notDeepEqual(a.intervals, c.intervals);
  for (const [key, [lo, hi]] of Object.entries(a.intervals)) {
    assert.ok(lo <= a.metrics[key] && a.metrics[key] <= hi, `${key}: ${lo} ≤ ${a.metrics[key]} ≤ ${hi}`);
    assert.ok(hi > lo, key);
  }
  const small = bootstrapWorld(50);
  const large = bootstrapWorld(800);
  const w = (r: EvalResult): number => r.intervals['ndcg@5'][1] - r.intervals['ndcg@5'][0];
  assert.ok(w(large) < w(small), `${w(large)} < ${w(small)}`);
  // 95% interval of a mean of 0/1 hits: about ±1.96·sqrt(p(1−p)/n)
  const p = large.metrics['hits@5'];
  const half = 1.96 * Math.sqrt((p * (1 - p)) / large.users);
  const [lo, hi] = large.intervals['hits@5'];
  assert.ok(Math.abs((hi - lo) / 2 - half) < 0.25 * half, `half-width ${(hi - lo) / 2} vs ${half}`);
});

test('options are validated with BAD_OPTION; shapes with BAD_VALUE', () => {
  const model = matrixModel(1, 3, [1, 2, 3]);
  const tr = csr(1, 3, []);
  const te = csr(1, 3, [[0, 0]]);
  const code = (f: () => unknown, c: string): void => assert.throws(f, (e: unknown) => e instanceof LrmlError && e.code === c);
  code(() => evaluate(model, tr, te, { kind: 'full' }, { k: [0] }), 'BAD_OPTION');
  code(() => evaluate(model, tr, te, { kind: 'full' }, { bootstrap: -1 }), 'BAD_OPTION');
  code(() => evaluate(model, tr, te, { kind: 'sampled', negatives: 0 }), 'BAD_OPTION');
  code(() => evaluate(model, tr, csr(2, 3, [[0, 0]]), { kind: 'full' }), 'BAD_VALUE');
  code(() => evaluate(model, tr, csr(1, 3, []), { kind: 'full' }), 'NO_INTERACTIONS');
});

test('compareModels: paired difference, interval, p-value; identical models give diff 0 and p = 1', () => {
  const { S, train, test: te } = randomWorld(13, 300, 30, 1);
  // model b: the same scores but the test item pushed to the top for every third user
  const S2 = Float32Array.from(S);
  for (let u = 0; u < 300; u += 3) S2[u * 30 + te.row(u)[0]] = 10;
  const opts = { k: [5], bootstrap: 0, perUser: true };
  const a = evaluate(matrixModel(300, 30, S), train, te, { kind: 'full' }, opts);
  const b = evaluate(matrixModel(300, 30, S2), train, te, { kind: 'full' }, opts);
  const c = compareModels(b, a, { bootstrap: 500, seed: 2 });
  const m = c.metrics['hits@5'];
  close(m.diff, b.metrics['hits@5'] - a.metrics['hits@5'], 'diff');
  assert.ok(m.interval[0] > 0 && m.interval[0] <= m.diff && m.diff <= m.interval[1], JSON.stringify(m));
  assert.ok(m.pValue < 0.01, `p = ${m.pValue}`);
  assert.deepEqual(compareModels(b, a, { bootstrap: 500, seed: 2 }), c);
  const same = compareModels(a, a, { bootstrap: 100 });
  assert.equal(same.metrics.mrr.diff, 0);
  assert.equal(same.metrics.mrr.pValue, 1);
  const noPer = evaluate(matrixModel(300, 30, S), train, te, { kind: 'full' }, { bootstrap: 0 });
  assert.throws(() => compareModels(noPer, a), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION');
  const fewer = evaluate(matrixModel(300, 30, S), train, csr(300, 30, [[0, te.row(0)[0]]]), { kind: 'full' }, opts);
  assert.throws(() => compareModels(fewer, a), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_VALUE');
});

test('formatPerUser: TSV with header and external ids, JSON lines', () => {
  const model = matrixModel(2, 3, [0.9, 0.1, 0.5, 0.2, 0.8, 0.3]);
  const r = evaluate(model, csr(2, 3, []), csr(2, 3, [[0, 0], [1, 2]]), { kind: 'full' }, { k: [1], bootstrap: 0, perUser: true });
  const users = IdMap.fromIds(['alice', 'bob']);
  assert.equal(formatPerUser(r, users, 'tsv'), 'user\tpositives\thits@1\tndcg@1\trecall@1\tprecision@1\tmrr\tauc\nalice\t1\t1\t1\t1\t1\t1\t1\nbob\t1\t0\t0\t0\t0\t0.5\t0.5\n');
  const lines = formatPerUser(r, users, 'jsonl').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines[1], { user: 'bob', positives: 1, 'hits@1': 0, 'ndcg@1': 0, 'recall@1': 0, 'precision@1': 0, mrr: 0.5, auc: 0.5 });
  assert.throws(() => formatPerUser({ ...r, perUser: null }, users, 'tsv'), LrmlError);
});
