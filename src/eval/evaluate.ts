// The evaluation harness: the three protocols over one ranking core (pessimistic ties, NaN = worst),
// per-user metrics, bootstrap intervals. Browser-safe; the worker-thread version is ./parallel.ts.

import type { Csr } from '../data/csr.js';
import { LrmlError } from '../errors.js';
import type { Recommender } from '../models/types.js';
import { Rng } from '../rng.js';
import { beyondAccuracy } from './beyond.js';
import { bootstrapIntervals } from './bootstrap.js';
import { aheadOfMany, checkCutoffs, metricKeys, rankingMetrics } from './metrics.js';
import type { EvalOptions, EvalProgress, EvalResult, GivenNegatives, PerUserMetrics, Protocol, ProtocolKind, TestOverlap, TestSet, UserSample } from './types.js';

/** Default sampled negatives per positive. */
export const DEFAULT_SAMPLED_NEGATIVES = 100;
/** Default bootstrap resamples. */
export const DEFAULT_BOOTSTRAP = 1000;

/**
 * What an evaluation will do, validated: the users to rank (ascending) and, for `given`, the
 * cases of each user. Plain data (typed arrays), so it can be sent to worker threads.
 */
export interface EvalPlan {
  kind: ProtocolKind;
  k: number[];
  keys: string[];
  /** Users to evaluate, ascending. */
  users: Int32Array;
  /** given: case indices grouped by user (file order within a user). */
  caseOrder: Int32Array;
  /** given: caseOrder[caseStart[r] .. caseStart[r+1]) are the cases of users[r]. */
  caseStart: Int32Array;
  /** sampled: negatives per positive and seed. */
  negatives: number;
  sampleSeed: number;
  /** Test positives no ranking covers (given: no case for them). */
  uncovered: number;
  bootstrap: number;
  seed: number;
  /** Test pairs that are also training pairs. */
  overlap: TestOverlap;
  /** The user sample (options.users), or null: all users. */
  sample: UserSample | null;
}

/** Per-user rows computed for a range of a plan's users (see {@link evaluateUsers}). */
export interface EvalPart {
  /** Rows kept (users with at least one ranked positive). */
  rows: number;
  users: Int32Array;
  positives: Int32Array;
  /** rows × keys.length, row-major. */
  values: Float64Array;
  /** Candidates summed over rankings, and rankings done. */
  candidates: number;
  rankings: number;
  dropped: number;
  skipped: number;
  nan: number;
}

function checkShape(what: string, m: Csr, model: Recommender): void {
  if (m.numRows !== model.numUsers || m.numCols !== model.numItems) {
    throw new LrmlError('BAD_VALUE', `${what} matrix is ${m.numRows} users × ${m.numCols} items but the model has ${model.numUsers} × ${model.numItems} (load it with the model's id maps)`);
  }
}

function nonNegInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0) throw new LrmlError('BAD_OPTION', `invalid ${name}: ${JSON.stringify(v)} (expected an integer ≥ 0)`);
  return v;
}

function integer(name: string, v: number): number {
  if (!Number.isInteger(v)) throw new LrmlError('BAD_OPTION', `invalid ${name}: ${JSON.stringify(v)} (expected an integer)`);
  return v;
}

/**
 * Counts the test pairs that are also in `train` and in `seen` (the model's own training pairs,
 * when known): a score on such pairs is a training score.
 *
 * @example
 * ```ts
 * testOverlap(train, train, null); // { pairs: train.nnz, inTrain: train.nnz, inSeen: null, fraction: 1 }
 * ```
 */
export function testOverlap(train: Csr, test: Csr, seen: Csr | null): TestOverlap {
  if (seen !== null && (seen.numRows !== test.numRows || seen.numCols !== test.numCols)) {
    throw new LrmlError('BAD_VALUE', `seen matrix is ${seen.numRows} users × ${seen.numCols} items but the test matrix is ${test.numRows} × ${test.numCols}`);
  }
  let inTrain = 0;
  let inSeen = 0;
  let either = 0;
  for (let u = 0; u < test.numRows; u++) {
    for (let t = test.indptr[u]; t < test.indptr[u + 1]; t++) {
      const i = test.indices[t];
      const a = train.has(u, i);
      const b = seen !== null && seen.has(u, i);
      if (a) inTrain++;
      if (b) inSeen++;
      if (a || b) either++;
    }
  }
  const pairs = test.indices.length;
  return { pairs, inTrain, inSeen: seen === null ? null : inSeen, fraction: pairs > 0 ? either / pairs : 0 };
}

/**
 * Validates an evaluation's inputs and lists what to rank. Throws BAD_OPTION on bad options,
 * BAD_VALUE when shapes disagree or a given case's positive is not in the test set.
 *
 * @example
 * ```ts
 * const plan = planEvaluation(model, train, test, { kind: 'full' }, { k: [10] });
 * plan.users.length; // users with test items
 * ```
 */
export function planEvaluation(model: Recommender, train: Csr, test: Csr, protocol: Protocol, options: EvalOptions = {}): EvalPlan {
  checkShape('train', train, model);
  checkShape('test', test, model);
  const k = checkCutoffs(options.k ?? [10]);
  const bootstrap = nonNegInt('bootstrap', options.bootstrap ?? DEFAULT_BOOTSTRAP);
  const seed = integer('seed', options.seed ?? 0);
  const sampleSize = options.users ?? null;
  if (sampleSize !== null && (!Number.isInteger(sampleSize) || sampleSize < 1)) {
    throw new LrmlError('BAD_OPTION', `invalid users: ${JSON.stringify(sampleSize)} (expected an integer ≥ 1: the number of test users to sample, e.g. 1000)`);
  }
  if (sampleSize !== null && protocol.kind === 'given') {
    throw new LrmlError('BAD_OPTION', 'users: a user sample applies to the full and sampled protocols (given negatives fix their cases; give a smaller negatives file instead)');
  }
  const empty = new Int32Array(0);
  const plan: EvalPlan = {
    kind: protocol.kind, k, keys: metricKeys(k), users: empty, caseOrder: empty, caseStart: Int32Array.of(0),
    negatives: 0, sampleSeed: 0, uncovered: 0, bootstrap, seed, overlap: testOverlap(train, test, options.seen ?? null), sample: null,
  };
  const testUsers = (): Int32Array => {
    const us: number[] = [];
    for (let u = 0; u < test.numRows; u++) if (test.rowLength(u) > 0) us.push(u);
    return Int32Array.from(us);
  };
  if (protocol.kind === 'full') {
    plan.users = testUsers();
  } else if (protocol.kind === 'sampled') {
    const n = protocol.negatives ?? DEFAULT_SAMPLED_NEGATIVES;
    if (!Number.isInteger(n) || n <= 0) throw new LrmlError('BAD_OPTION', `invalid sampled negatives: ${JSON.stringify(n)} (expected a positive integer, e.g. 100)`);
    plan.negatives = n;
    plan.sampleSeed = integer('sampled seed', protocol.seed ?? 0);
    plan.users = testUsers();
  } else if (protocol.kind === 'given') {
    planGiven(plan, protocol.cases, test, model);
  } else {
    throw new LrmlError('BAD_OPTION', `unknown protocol ${JSON.stringify((protocol as { kind: unknown }).kind)} (expected given, sampled or full)`);
  }
  if (sampleSize !== null) {
    plan.sample = { users: Math.min(sampleSize, plan.users.length), of: plan.users.length, seed };
    plan.users = sampleUsers(plan.users, sampleSize, seed);
  }
  return plan;
}

/**
 * A seeded random sample of `n` of `users` (all of them when n ≥ their number), ascending: a
 * partial Fisher–Yates shuffle drawn from a stream derived from `seed` (not the bootstrap's).
 *
 * @example
 * ```ts
 * sampleUsers(Int32Array.of(0, 2, 5, 7, 9), 2, 0); // two of them, ascending, the same for seed 0 every time
 * ```
 */
export function sampleUsers(users: Int32Array, n: number, seed: number): Int32Array {
  if (n >= users.length) return users;
  // users are ascending, so the sorted sample of their positions maps to ascending users
  const picks = new Rng(Math.imul(seed, 0x27d4eb2f) ^ 0x165667b1).sampleIndices(users.length, n);
  return Int32Array.from(picks, (t) => users[t]);
}

function planGiven(plan: EvalPlan, cases: GivenNegatives, test: Csr, model: Recommender): void {
  const n = cases.users.length;
  if (cases.positives.length !== n || cases.offsets.length !== n + 1 || cases.offsets[n] !== cases.negatives.length) {
    throw new LrmlError('BAD_VALUE', 'given negatives: users, positives, offsets and negatives have inconsistent lengths');
  }
  const covered = new Set<number>();
  for (let c = 0; c < n; c++) {
    const u = cases.users[c];
    const i = cases.positives[c];
    const where = `given negatives (${cases.summary.file}, line ${cases.lines[c] ?? '?'})`;
    if (!(u >= 0 && u < model.numUsers && i >= 0 && i < model.numItems)) {
      throw new LrmlError('BAD_VALUE', `${where}: user ${u} / item ${i} out of range for the model (${model.numUsers} users, ${model.numItems} items)`);
    }
    if (!test.has(u, i)) {
      throw new LrmlError('BAD_VALUE', `${where}: the case's positive (user index ${u}, item index ${i}) is not in the test set (negatives file and test file do not match?)`);
    }
    for (let t = cases.offsets[c]; t < cases.offsets[c + 1]; t++) {
      const j = cases.negatives[t];
      if (!(j >= 0 && j < model.numItems)) throw new LrmlError('BAD_VALUE', `${where}: negative item index ${j} out of range [0, ${model.numItems})`);
    }
    covered.add(u * model.numItems + i);
  }
  plan.uncovered = test.nnz - covered.size;
  const order = Int32Array.from({ length: n }, (_, c) => c).sort((x, y) => cases.users[x] - cases.users[y] || x - y);
  const users: number[] = [];
  const start: number[] = [];
  for (let t = 0; t < n; t++) {
    const u = cases.users[order[t]];
    if (users.length === 0 || users[users.length - 1] !== u) {
      users.push(u);
      start.push(t);
    }
  }
  start.push(n);
  plan.users = Int32Array.from(users);
  plan.caseOrder = order;
  plan.caseStart = Int32Array.from(start);
}

/**
 * The RNG of user u's sampled negatives: derived from (seed, u) only, so the draws do not depend
 * on thread split or user order.
 *
 * @example
 * ```ts
 * const rng = sampledRng(0, 42);
 * ```
 */
export function sampledRng(seed: number, u: number): Rng {
  return new Rng(Math.imul(seed, 0x85ebca6b) ^ Math.imul(u + 1, 0x9e3779b1));
}

/**
 * Draws `n` distinct items with flags[i] = 0 (the user's unseen items; `available` of them)
 * uniformly into out[offset ..]; all of them, in item order, when available ≤ n. Returns the
 * count drawn. Leaves `flags` as it found it.
 *
 * @example
 * ```ts
 * const got = sampleNegatives(sampledRng(0, u), flags, available, 100, cand, 1);
 * ```
 */
export function sampleNegatives(rng: Rng, flags: Uint8Array, available: number, n: number, out: Int32Array, offset: number): number {
  const I = flags.length;
  let c = 0;
  if (available <= n) {
    for (let i = 0; i < I; i++) if (flags[i] === 0) out[offset + c++] = i;
    return c;
  }
  while (c < n) {
    const j = rng.int(I);
    if (flags[j] === 0) {
      flags[j] = 3;
      out[offset + c++] = j;
    }
  }
  for (let q = 0; q < c; q++) flags[out[offset + q]] = 0;
  return c;
}

/**
 * Ranks the held-out positives of plan.users[from .. to) and returns their per-user metric rows.
 * The core of {@link evaluate}; worker threads run it on slices of the same plan.
 *
 * @example
 * ```ts
 * const part = evaluateUsers(model, train, test, protocol, plan, 0, plan.users.length);
 * ```
 */
export function evaluateUsers(
  model: Recommender, train: Csr, test: Csr, protocol: Protocol, plan: EvalPlan, from: number, to: number,
  onProgress?: (p: EvalProgress) => void,
): EvalPart {
  const I = model.numItems;
  const m = plan.keys.length;
  const count = Math.max(0, to - from);
  const part: EvalPart = {
    rows: 0, users: new Int32Array(count), positives: new Int32Array(count), values: new Float64Array(count * m),
    candidates: 0, rankings: 0, dropped: 0, skipped: 0, nan: 0,
  };
  let maxTest = 1;
  for (let r = from; r < to; r++) maxTest = Math.max(maxTest, test.rowLength(plan.users[r]));
  let maxCand = 1;
  if (protocol.kind === 'sampled') maxCand = plan.negatives + 1;
  if (protocol.kind === 'given') {
    const c = protocol.cases;
    for (let t = 0; t < c.users.length; t++) maxCand = Math.max(maxCand, c.offsets[t + 1] - c.offsets[t] + 1);
  }
  const scores = new Float32Array(Math.max(I, maxCand));
  const cand = new Int32Array(maxCand);
  const flags = new Uint8Array(I);
  const negScores = protocol.kind === 'full' ? new Float32Array(I) : new Float32Array(0);
  const posScores = new Float64Array(maxTest);
  const ahead = new Int32Array(maxTest);
  const work = new Int32Array(maxTest + 1);
  const caseVals = new Float64Array(m);
  const acc = new Float64Array(m);

  /** Ranks one positive at cand[0] against cand[1 .. n]; adds its metrics to acc. */
  const rankOne = (u: number, n: number): boolean => {
    if (n === 0) {
      part.skipped++;
      return false;
    }
    const c = cand.subarray(0, n + 1);
    model.scoreItems(u, c, scores);
    let s = scores[0];
    if (s !== s) {
      part.nan++;
      s = -Infinity;
    }
    let a = 0;
    for (let j = 1; j <= n; j++) {
      let x = scores[j];
      if (x !== x) {
        part.nan++;
        x = -Infinity;
      }
      if (x >= s) a++;
    }
    ahead[0] = a;
    rankingMetrics(ahead, 1, n, plan.k, caseVals);
    for (let q = 0; q < m; q++) acc[q] += caseVals[q];
    part.candidates += n + 1;
    part.rankings++;
    return true;
  };

  const pushRow = (u: number, positives: number, values: Float64Array, scale: number): void => {
    const r = part.rows++;
    part.users[r] = u;
    part.positives[r] = positives;
    for (let q = 0; q < m; q++) part.values[r * m + q] = values[q] * scale;
  };

  for (let r = from; r < to; r++) {
    const u = plan.users[r];
    if (protocol.kind === 'full') {
      const pos = test.row(u);
      const P = pos.length;
      model.scoreAll(u, scores);
      const tr = train.row(u);
      for (let t = 0; t < tr.length; t++) flags[tr[t]] = 1;
      for (let t = 0; t < P; t++) flags[pos[t]] = 2;
      let nNeg = 0;
      for (let i = 0; i < I; i++) {
        if (flags[i] === 0) {
          let x = scores[i];
          if (x !== x) {
            part.nan++;
            x = -Infinity;
          }
          negScores[nNeg++] = x;
        }
      }
      for (let t = 0; t < P; t++) {
        let x = scores[pos[t]];
        if (x !== x) {
          part.nan++;
          x = -Infinity;
        }
        posScores[t] = x;
      }
      for (let t = 0; t < tr.length; t++) flags[tr[t]] = 0;
      for (let t = 0; t < P; t++) flags[pos[t]] = 0;
      if (nNeg === 0) {
        part.skipped += P;
      } else {
        if (P === 1) {
          const s = posScores[0];
          let a = 0;
          for (let j = 0; j < nNeg; j++) if (negScores[j] >= s) a++;
          ahead[0] = a;
        } else {
          aheadOfMany(posScores, P, negScores, nNeg, ahead, work);
        }
        rankingMetrics(ahead, P, nNeg, plan.k, caseVals);
        part.candidates += nNeg + P;
        part.rankings++;
        pushRow(u, P, caseVals, 1);
      }
    } else if (protocol.kind === 'sampled') {
      const tr = train.row(u);
      const te = test.row(u);
      let marked = 0;
      for (let t = 0; t < tr.length; t++) if (flags[tr[t]] === 0) { flags[tr[t]] = 1; marked++; }
      for (let t = 0; t < te.length; t++) if (flags[te[t]] === 0) { flags[te[t]] = 1; marked++; }
      const avail = I - marked;
      const rng = sampledRng(plan.sampleSeed, u);
      acc.fill(0);
      let ranked = 0;
      for (let t = 0; t < te.length; t++) {
        cand[0] = te[t];
        const n = sampleNegatives(rng, flags, avail, plan.negatives, cand, 1);
        if (rankOne(u, n)) ranked++;
      }
      for (let t = 0; t < tr.length; t++) flags[tr[t]] = 0;
      for (let t = 0; t < te.length; t++) flags[te[t]] = 0;
      if (ranked > 0) pushRow(u, ranked, acc, 1 / ranked);
    } else {
      const cs = protocol.cases;
      acc.fill(0);
      let ranked = 0;
      for (let t = plan.caseStart[r]; t < plan.caseStart[r + 1]; t++) {
        const c = plan.caseOrder[t];
        const pos = cs.positives[c];
        cand[0] = pos;
        let n = 0;
        for (let q = cs.offsets[c]; q < cs.offsets[c + 1]; q++) {
          const j = cs.negatives[q];
          if (j === pos || flags[j] === 4) {
            part.dropped++;
            continue;
          }
          flags[j] = 4;
          cand[1 + n++] = j;
        }
        for (let q = 1; q <= n; q++) flags[cand[q]] = 0;
        if (rankOne(u, n)) ranked++;
      }
      if (ranked > 0) pushRow(u, ranked, acc, 1 / ranked);
    }
    if (onProgress !== undefined && ((r - from + 1) % 256 === 0 || r + 1 === to)) onProgress({ done: r - from + 1, total: count });
  }
  return part;
}

/**
 * Joins the parts of an evaluation (in user order) into its result: means over users, bootstrap
 * intervals, per-user metrics when asked, and with `options.beyondAccuracy` the beyond-accuracy
 * metrics of the evaluated users' top-K lists (which need `ranked`: the model and train matrix).
 *
 * @example
 * ```ts
 * const result = finishEvaluation(plan, [part], { perUser: true }, performance.now());
 * ```
 */
export function finishEvaluation(plan: EvalPlan, parts: EvalPart[], options: EvalOptions, startMs: number, ranked?: { model: Recommender; train: Csr }): EvalResult {
  const m = plan.keys.length;
  const rows = parts.reduce((a, p) => a + p.rows, 0);
  const users = new Int32Array(rows);
  const positives = new Int32Array(rows);
  const values = new Float64Array(rows * m);
  let o = 0;
  let candidates = 0;
  let rankings = 0;
  let dropped = 0;
  let skipped = plan.uncovered;
  let nan = 0;
  for (const p of parts) {
    users.set(p.users.subarray(0, p.rows), o);
    positives.set(p.positives.subarray(0, p.rows), o);
    values.set(p.values.subarray(0, p.rows * m), o * m);
    o += p.rows;
    candidates += p.candidates;
    rankings += p.rankings;
    dropped += p.dropped;
    skipped += p.skipped;
    nan += p.nan;
  }
  if (rows === 0) {
    throw new LrmlError('NO_INTERACTIONS', `nothing to evaluate: no test positive could be ranked (${skipped} skipped); check that the test set and the model share users and items`);
  }
  const metrics: Record<string, number> = {};
  for (let q = 0; q < m; q++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += values[r * m + q];
    metrics[plan.keys[q]] = s / rows;
  }
  const intervals: Record<string, [number, number]> = {};
  if (plan.bootstrap > 0) {
    const iv = bootstrapIntervals(values, rows, m, plan.bootstrap, plan.seed);
    for (let q = 0; q < m; q++) intervals[plan.keys[q]] = iv[q];
  }
  let perUser: PerUserMetrics | null = null;
  if (options.perUser === true) {
    const cols: Record<string, Float64Array> = {};
    for (let q = 0; q < m; q++) {
      const col = new Float64Array(rows);
      for (let r = 0; r < rows; r++) col[r] = values[r * m + q];
      cols[plan.keys[q]] = col;
    }
    perUser = { users, positives, metrics: cols };
  }
  if (options.beyondAccuracy === true) {
    if (ranked === undefined) throw new LrmlError('BAD_OPTION', 'beyondAccuracy needs the model and the train matrix (finishEvaluation\'s last argument)');
    const b = beyondAccuracy(ranked.model, ranked.train, users, plan.k, { bootstrap: plan.bootstrap, seed: plan.seed });
    Object.assign(metrics, b.metrics);
    Object.assign(intervals, b.intervals);
    // per-user columns only where every user has a value (a NaN would make paired comparisons NaN)
    if (perUser !== null) for (const [key, col] of Object.entries(b.perUser)) if (!col.some(Number.isNaN)) perUser.metrics[key] = col;
  }
  return {
    protocol: plan.kind,
    tieRule: 'pessimistic',
    users: rows,
    positives: positives.reduce((a, b) => a + b, 0),
    skipped,
    k: plan.k,
    metrics,
    intervals,
    bootstrap: plan.bootstrap,
    seed: plan.seed,
    meanCandidates: rankings > 0 ? candidates / rankings : 0,
    droppedCandidates: dropped,
    nanScores: nan,
    overlap: plan.overlap,
    perUser,
    sample: plan.sample,
    seconds: (performance.now() - startMs) / 1000,
  };
}

/**
 * Evaluates a model on held-out positives with one of the three protocols, on this thread
 * (see `evaluateParallel` in ./parallel.ts for worker threads). Ties are pessimistic in every
 * protocol; NaN scores rank below everything and are counted.
 *
 * @example
 * ```ts
 * const r = evaluate(model, trainCsr, testCsr, { kind: 'sampled', negatives: 100, seed: 1 }, { k: [5, 10] });
 * r.metrics['hits@10']; r.intervals['hits@10']; // mean and bootstrap 95% interval
 * // NCF files: const cases = await loadGivenNegatives('ml-1m.test.negative.gz', users, items);
 * evaluate(model, trainCsr, testCsr, { kind: 'given', cases }, { bootstrap: 0 }).metrics['ndcg@10'];
 * ```
 */
export function evaluate(model: Recommender, train: Csr, test: TestSet, protocol: Protocol, options: EvalOptions = {}): EvalResult {
  const t0 = performance.now();
  const plan = planEvaluation(model, train, test, protocol, options);
  const part = evaluateUsers(model, train, test, protocol, plan, 0, plan.users.length, options.onProgress);
  return finishEvaluation(plan, [part], options, t0, { model, train });
}
