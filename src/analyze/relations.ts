// What an LRML model's latent relation vectors r(u, i) encode: for a seeded sample of known
// (user, item) pairs, the model's own p, q, attention and relation; cross-validated linear probes
// of rating, time, genre and user attributes on r, on p ⊙ q and on random features; a summary of
// the attention; the items each memory slot is about; a 2-D PCA of r. Pure compute (browser-safe).

import { LrmlError, badOption, numberIn, positiveInt } from '../errors.js';
import { unitBallScale } from '../kernels/clip.js';
import { PairState, PairUser, pairDistance } from '../kernels/pair.js';
import { TripletModel, lookupScales, pairShapeOf } from '../models/triplet.js';
import type { LoadedModel } from '../models/types.js';
import { Rng } from '../rng.js';
import type { LabelledPairs } from './pairs.js';
import { pca2 } from './pca.js';
import { crossValidateProbe, stratifiedFolds } from './probe.js';
import { pairAttentionStats } from '../models/attention-stats.js';
import { relationSpread } from './signal.js';
import type { AttentionSummary, ProbeFeatures, ProbeResult, ProbeScore, ProjectedPair, RelationAnalysis, SlotItems } from './types.js';

/** Progress of {@link analyzeRelations}: `done` of `total` units of the current stage. */
export interface AnalyzeProgress {
  stage: 'relations' | 'probes' | 'summary';
  done: number;
  total: number;
  /** The probe being fitted (stage `probes`). */
  target?: string;
}

/** Options of {@link analyzeRelations}. All optional; defaults per field. */
export interface AnalyzeOptions {
  /** Seed of every sample, fold assignment and the random features (default 0). */
  seed?: number;
  /** Pairs analysed at most: a seeded sample when there are more (default 20000). */
  maxPairs?: number;
  /** Pairs per probe at most: a seeded, as balanced as possible sample when more are labelled (default 10000). */
  maxProbePairs?: number;
  /** Cross-validation folds of every probe (default 5). */
  folds?: number;
  /** L2 penalty of the probes' logistic regression on standardised features (default 1e-2). */
  lambda?: number;
  /** Genre probes: the most frequent genres among the analysed pairs (default 5; 0 = none). */
  genres?: number;
  /** Items listed per memory slot (default 10). */
  topItems?: number;
  /** Items need at least this many analysed pairs to be listed for a slot (default 5). */
  minItemPairs?: number;
  /** Points in the 2-D projection at most (default 3000). */
  maxPoints?: number;
  /** A probe runs only when each class has at least this many pairs (default 20). */
  minClassPairs?: number;
  /** Called as the work advances (relations, then probes, then the summaries). */
  onProgress?: (p: AnalyzeProgress) => void;
}

/**
 * The probe feature sets, in the order they are fitted.
 *
 * @example
 * ```ts
 * for (const f of PROBE_FEATURES) console.log(f, probe.scores[f].auc);
 * ```
 */
export const PROBE_FEATURES: readonly ProbeFeatures[] = ['relation', 'joint', 'random'];

/**
 * What the time probe compares (its `description`).
 *
 * @example
 * ```ts
 * analysis.probes.find((p) => p.target === 'time')?.description === TIME_PROBE_DESCRIPTION; // true
 * ```
 */
export const TIME_PROBE_DESCRIPTION =
  "within each user's analysed pairs with a timestamp, ordered by time (ties in input order): the last ⌊m/3⌋ of the user's m pairs (positive) vs the first ⌊m/3⌋, the middle dropped; users with fewer than 3 timed pairs skipped";

function needLrml(lm: LoadedModel): TripletModel {
  const model = lm.model;
  if (!(model instanceof TripletModel) || model.kind !== 'lrml' || model.options.numMemories === 0) {
    throw new LrmlError('BAD_OPTION', `analyzeRelations needs an LRML model with memory slots (this model is ${model.kind}${model instanceof TripletModel && model.kind === 'lrml' ? ' with numMemories = 0' : ''})`);
  }
  return model;
}

/** FNV-1a of a string: per-probe seeds that do not depend on which other probes run. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < s.length; k++) {
    h ^= s.charCodeAt(k);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

interface Resolved {
  seed: number;
  maxPairs: number;
  maxProbePairs: number;
  folds: number;
  lambda: number;
  genres: number;
  topItems: number;
  minItemPairs: number;
  maxPoints: number;
  minClassPairs: number;
}

function resolve(o: AnalyzeOptions): Resolved {
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed)) throw badOption('seed', seed, 'an integer');
  const genres = o.genres ?? 5;
  if (!Number.isInteger(genres) || genres < 0) throw badOption('genres', genres, 'a non-negative integer');
  const folds = positiveInt('folds', o.folds ?? 5);
  if (folds < 2) throw badOption('folds', folds, 'an integer ≥ 2');
  const minClassPairs = positiveInt('minClassPairs', o.minClassPairs ?? 20);
  if (minClassPairs < folds) throw badOption('minClassPairs', minClassPairs, `an integer ≥ folds (${folds})`);
  const maxProbePairs = positiveInt('maxProbePairs', o.maxProbePairs ?? 10000);
  if (maxProbePairs < 2 * minClassPairs) throw badOption('maxProbePairs', maxProbePairs, `an integer ≥ 2 · minClassPairs (${2 * minClassPairs})`);
  return {
    seed,
    maxPairs: positiveInt('maxPairs', o.maxPairs ?? 20000),
    maxProbePairs,
    folds,
    lambda: numberIn('lambda', o.lambda ?? 1e-2, 1e-9, 1e6),
    genres,
    topItems: positiveInt('topItems', o.topItems ?? 10),
    minItemPairs: positiveInt('minItemPairs', o.minItemPairs ?? 5),
    maxPoints: positiveInt('maxPoints', o.maxPoints ?? 3000),
    minClassPairs,
  };
}

function checkPairs(lm: LoadedModel, pairs: LabelledPairs): void {
  const n = pairs.user.length;
  if (pairs.item.length !== n) throw badOption('pairs.item', pairs.item.length, `${n} items, one per user entry`);
  if (n === 0) throw badOption('pairs', 0, 'at least one (user, item) pair the model knows');
  const nu = lm.model.numUsers;
  const ni = lm.model.numItems;
  for (let k = 0; k < n; k++) {
    if (!(pairs.user[k] >= 0 && pairs.user[k] < nu)) throw badOption(`pairs.user[${k}]`, pairs.user[k], `a user index in [0, ${nu - 1}]`);
    if (!(pairs.item[k] >= 0 && pairs.item[k] < ni)) throw badOption(`pairs.item[${k}]`, pairs.item[k], `an item index in [0, ${ni - 1}]`);
  }
  for (const [name, a] of [['rating', pairs.rating], ['timestamp', pairs.timestamp]] as const) {
    if (a !== null && a !== undefined && a.length !== n) throw badOption(`pairs.${name}`, a.length, `${n} values, one per pair (NaN = unknown)`);
  }
  if (pairs.itemInfo !== null && pairs.itemInfo !== undefined && pairs.itemInfo.length !== ni) {
    throw badOption('pairs.itemInfo', pairs.itemInfo.length, `${ni} entries, one per model item (null = unknown)`);
  }
  if (pairs.userInfo !== null && pairs.userInfo !== undefined && pairs.userInfo.length !== nu) {
    throw badOption('pairs.userInfo', pairs.userInfo.length, `${nu} entries, one per model user (null = unknown)`);
  }
}

/** The analysed pairs and everything computed for them. */
interface Sample {
  /** Positions in the input pairs, ordered by (user, position). */
  rows: Int32Array;
  user: Int32Array;
  item: Int32Array;
  /** Relation vectors r (m×d), joints p ⊙ q (m×d), attention (m×N). */
  R: Float64Array;
  S: Float64Array;
  A: Float64Array;
  /** The attention logits (m×N) when the model's attention is not `dot` (else null). */
  L: Float64Array | null;
}

function computeRelations(model: TripletModel, pairs: LabelledPairs, rows: Int32Array, report: (done: number) => void): Sample {
  const shape = pairShapeOf(model.options);
  const d = shape.dim;
  const N = shape.numMemories;
  const m = rows.length;
  const { P, Q, K, M } = model.params;
  const qs = lookupScales(model);
  const lookupClip = model.options.clip === 'lookup';
  const user = new Int32Array(m);
  const item = new Int32Array(m);
  const R = new Float64Array(m * d);
  const S = new Float64Array(m * d);
  const A = new Float64Array(m * N);
  const L = (shape.attention ?? 'dot') === 'dot' ? null : new Float64Array(m * N);
  const pu = new PairUser(shape);
  const pair = new PairState(shape);
  let last = -1;
  for (let t = 0; t < m; t++) {
    const u = pairs.user[rows[t]];
    const i = pairs.item[rows[t]];
    user[t] = u;
    item[t] = i;
    if (u !== last) {
      // p as the model sees it: clipped to the unit ball at lookup when the model does that
      pu.set(P, u * d, lookupClip ? unitBallScale(P, u * d, d) : 1);
      last = u;
    }
    pairDistance(pu, pair, Q, i * d, qs === null ? 1 : qs[i], K, M);
    const o = t * d;
    for (let j = 0; j < d; j++) {
      R[o + j] = pair.r[j];
      S[o + j] = pu.p[j] * pair.q[j];
    }
    A.set(pair.a, t * N);
    if (L !== null) L.set(pair.l, t * N);
    if ((t & 1023) === 1023) report(t + 1);
  }
  report(m);
  return { rows, user, item, R, S, A, L };
}

/** A probe's labels over the analysed pairs: 1 positive, 0 negative, −1 not used. */
interface ProbeTask {
  target: string;
  description: string;
  labels: Int8Array;
}

/**
 * Per analysed pair: its chronological rank among the user's analysed timed pairs and how many
 * the user has (−1 / 0 without a timestamp). Pairs are grouped by user (Sample order).
 */
function timeRanks(s: Sample, timestamp: Float64Array): { rank: Int32Array; count: Int32Array } {
  const m = s.user.length;
  const rank = new Int32Array(m).fill(-1);
  const count = new Int32Array(m);
  let a = 0;
  while (a < m) {
    let b = a + 1;
    while (b < m && s.user[b] === s.user[a]) b++;
    const timed: number[] = [];
    for (let t = a; t < b; t++) if (Number.isFinite(timestamp[s.rows[t]])) timed.push(t);
    timed.sort((x, y) => timestamp[s.rows[x]] - timestamp[s.rows[y]] || s.rows[x] - s.rows[y]);
    timed.forEach((t, k) => {
      rank[t] = k;
      count[t] = timed.length;
    });
    a = b;
  }
  return { rank, count };
}

function probeTasks(s: Sample, pairs: LabelledPairs, o: Resolved, notes: string[], times: { rank: Int32Array; count: Int32Array } | null): ProbeTask[] {
  const m = s.user.length;
  const tasks: ProbeTask[] = [];
  // rating
  const rating = pairs.rating ?? null;
  if (rating === null) notes.push('no ratings in the data: rating probe skipped');
  else {
    const labels = new Int8Array(m).fill(-1);
    for (let t = 0; t < m; t++) {
      const r = rating[s.rows[t]];
      if (r >= 4) labels[t] = 1;
      else if (r <= 2) labels[t] = 0;
    }
    tasks.push({ target: 'rating', description: 'rating ≥ 4 (positive) vs rating ≤ 2; rating-3 and unrated pairs dropped', labels });
  }
  // time
  if (times === null) notes.push('no timestamps in the data: time probe skipped');
  else {
    const labels = new Int8Array(m).fill(-1);
    for (let t = 0; t < m; t++) {
      const c = times.count[t];
      if (c < 3) continue;
      const third = Math.floor(c / 3);
      if (times.rank[t] < third) labels[t] = 0;
      else if (times.rank[t] >= c - third) labels[t] = 1;
    }
    tasks.push({ target: 'time', description: TIME_PROBE_DESCRIPTION, labels });
  }
  // genres
  const itemInfo = pairs.itemInfo ?? null;
  if (itemInfo === null) notes.push('no items file: genre probes skipped');
  else if (o.genres > 0) {
    const freq = new Map<string, number>();
    for (let t = 0; t < m; t++) {
      const info = itemInfo[s.item[t]];
      if (info === null) continue;
      for (const g of new Set(info.genres)) freq.set(g, (freq.get(g) ?? 0) + 1);
    }
    const top = [...freq.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, o.genres);
    if (top.length === 0) notes.push('no genres known for the analysed pairs: genre probes skipped');
    for (const [g] of top) {
      const labels = new Int8Array(m).fill(-1);
      for (let t = 0; t < m; t++) {
        const info = itemInfo[s.item[t]];
        if (info !== null) labels[t] = info.genres.includes(g) ? 1 : 0;
      }
      tasks.push({ target: `genre:${g}`, description: `item has genre ${g} (positive) vs not; items without side info dropped`, labels });
    }
  }
  // user attributes
  const userInfo = pairs.userInfo ?? null;
  if (userInfo === null) notes.push('no users file: user attribute probes skipped');
  else {
    const gender = new Int8Array(m).fill(-1);
    const age = new Int8Array(m).fill(-1);
    for (let t = 0; t < m; t++) {
      const info = userInfo[s.user[t]];
      if (info === null) continue;
      const g = info.gender.toUpperCase();
      if (g === 'F') gender[t] = 1;
      else if (g === 'M') gender[t] = 0;
      if (Number.isFinite(info.age)) age[t] = info.age >= 35 ? 1 : 0;
    }
    tasks.push({ target: 'user:gender', description: 'user is female (F, positive) vs male (M)', labels: gender });
    tasks.push({ target: 'user:age', description: 'user age ≥ 35 (positive) vs < 35', labels: age });
  }
  return tasks;
}

/**
 * The rows of a probe: every labelled pair, or (when more than `cap`) a seeded sample as balanced as
 * possible — min(positives, max(⌊cap/2⌋, cap − negatives)) positives, the rest negatives.
 */
function probeRows(labels: Int8Array, cap: number, rng: Rng): Int32Array {
  const pos: number[] = [];
  const neg: number[] = [];
  labels.forEach((l, t) => {
    if (l === 1) pos.push(t);
    else if (l === 0) neg.push(t);
  });
  if (pos.length + neg.length <= cap) return Int32Array.from([...pos, ...neg].sort((a, b) => a - b));
  const kp = Math.min(pos.length, Math.max(Math.floor(cap / 2), cap - neg.length));
  const kn = Math.min(neg.length, cap - kp);
  const pick = (a: number[], k: number): number[] => Array.from(rng.sampleIndices(a.length, k), (x) => a[x]);
  return Int32Array.from([...pick(pos, kp), ...pick(neg, kn)].sort((a, b) => a - b));
}

function gather(F: Float64Array, d: number, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length * d);
  for (let t = 0; t < rows.length; t++) out.set(F.subarray(rows[t] * d, rows[t] * d + d), t * d);
  return out;
}

function attentionSummary(A: Float64Array, L: Float64Array | null, R: Float64Array, m: number, N: number, d: number): AttentionSummary {
  const meanBySlot = new Array<number>(N).fill(0);
  const argmaxCount = new Array<number>(N).fill(0);
  const normalizedEntropy = new Float64Array(m);
  const maxWeight = new Float64Array(m);
  const logitRange = new Float64Array(m);
  for (let t = 0; t < m; t++) {
    const o = t * N;
    let best = 0;
    for (let k = 0; k < N; k++) {
      const a = A[o + k];
      meanBySlot[k] += a;
      if (a > A[o + best]) best = k;
    }
    argmaxCount[best]++;
    const st = pairAttentionStats(A, o, N, L ?? undefined);
    maxWeight[t] = st.maxWeight;
    normalizedEntropy[t] = st.normalizedEntropy;
    logitRange[t] = st.logitRange;
  }
  return {
    numMemories: N,
    meanBySlot: meanBySlot.map((x) => x / m),
    argmaxShare: argmaxCount.map((x) => x / m),
    normalizedEntropy,
    maxWeight,
    logitRange,
    relationSpread: relationSpread(R, m, d),
  };
}

function slotItems(s: Sample, N: number, pairs: LabelledPairs, lm: LoadedModel, o: Resolved): SlotItems[] {
  const m = s.user.length;
  const compact = new Map<number, number>();
  const itemsOf: number[] = [];
  for (let t = 0; t < m; t++) {
    if (!compact.has(s.item[t])) {
      compact.set(s.item[t], itemsOf.length);
      itemsOf.push(s.item[t]);
    }
  }
  const count = new Int32Array(itemsOf.length);
  const sum = new Float64Array(itemsOf.length * N);
  for (let t = 0; t < m; t++) {
    const c = compact.get(s.item[t]) as number;
    count[c]++;
    for (let k = 0; k < N; k++) sum[c * N + k] += s.A[t * N + k];
  }
  const eligible: number[] = [];
  for (let c = 0; c < itemsOf.length; c++) if (count[c] >= o.minItemPairs) eligible.push(c);
  const info = pairs.itemInfo ?? null;
  const out: SlotItems[] = [];
  for (let k = 0; k < N; k++) {
    const top = eligible
      .map((c) => ({ c, w: sum[c * N + k] / count[c] }))
      .sort((a, b) => b.w - a.w || itemsOf[a.c] - itemsOf[b.c])
      .slice(0, o.topItems);
    out.push({
      slot: k,
      items: top.map(({ c, w }) => {
        const i = itemsOf[c];
        const title = info?.[i]?.title;
        return title === undefined ? { id: lm.items.id(i), weight: w, pairs: count[c] } : { id: lm.items.id(i), title, weight: w, pairs: count[c] };
      }),
    });
  }
  return out;
}

/**
 * Analyses what an LRML model's latent relation vectors r(u, i) encode, on a seeded sample of at
 * most `maxPairs` of the given known pairs (LRML is trained on implicit feedback only):
 * - for each analysed pair, p (clipped as the model sees it), q, the joint s = p ⊙ q, the memory
 *   attention a (softmax(K s) for `dot`, the model's own attention otherwise) and r = Σₖ aₖ Mₖ,
 *   through the model's own pair kernel;
 * - probes: binary questions (`rating` ≥ 4 vs ≤ 2; `time`: last vs first third of each user's
 *   analysed timed pairs; `genre:<G>` for the most frequent genres; `user:gender`, `user:age`
 *   when user attributes are given), each answered by a 5-fold cross-validated logistic regression
 *   on r, on s and on seeded random Gaussian features of the same dimension (chance level), over
 *   at most `maxProbePairs` pairs. A probe without labels, or with a class of fewer than
 *   `minClassPairs` pairs, is skipped with a note;
 * - the attention's concentration, the items each slot is about, a 2-D PCA of r for at most
 *   `maxPoints` pairs (fitted on every analysed pair).
 * LRML models with memory only (BAD_OPTION naming the kind otherwise). Deterministic for a seed;
 * no I/O. Build `pairs` with {@link labelledPairs}.
 *
 * @example
 * ```ts
 * const data = await loadInteractions('ratings.csv', { users: lm.users, items: lm.items, frozen: true });
 * const pairs = labelledPairs(lm, data, { items: await loadItemsFile('movies.csv') });
 * const a = analyzeRelations(lm, pairs, { seed: 1 });
 * a.probes.find((p) => p.target === 'rating')?.scores.relation.auc;
 * ```
 */
export function analyzeRelations(lm: LoadedModel, pairs: LabelledPairs, options: AnalyzeOptions = {}): RelationAnalysis {
  const model = needLrml(lm);
  const o = resolve(options);
  checkPairs(lm, pairs);
  const onProgress = options.onProgress;
  const d = model.options.dim;
  const N = model.options.numMemories;
  const notes: string[] = [...(pairs.notes ?? [])];
  const root = new Rng(o.seed);
  const sampleRng = root.fork();
  const featureRng = root.fork();
  const pointRng = root.fork();

  // the analysed pairs, grouped by user
  const n = pairs.user.length;
  const picked = sampleRng.sampleIndices(n, o.maxPairs);
  const rows = Int32Array.from(Array.from(picked).sort((a, b) => pairs.user[a] - pairs.user[b] || a - b));
  const m = rows.length;
  if (m < n) notes.push(`analysed a seeded sample of ${m} of the ${n} pairs`);
  const s = computeRelations(model, pairs, rows, (done) => onProgress?.({ stage: 'relations', done, total: m }));
  const G = new Float64Array(m * d);
  for (let k = 0; k < G.length; k++) G[k] = featureRng.normal();
  const features: Record<ProbeFeatures, Float64Array> = { relation: s.R, joint: s.S, random: G };

  // probes
  const timestamp = pairs.timestamp ?? null;
  const times = timestamp === null ? null : timeRanks(s, timestamp);
  const tasks = probeTasks(s, pairs, o, notes, times);
  const probes: ProbeResult[] = [];
  const totalFits = tasks.length * PROBE_FEATURES.length;
  let fits = 0;
  for (const task of tasks) {
    const rng = new Rng((o.seed ^ hash32(task.target)) >>> 0);
    const chosen = probeRows(task.labels, o.maxProbePairs, rng);
    const y = Uint8Array.from(chosen, (t) => task.labels[t]);
    let positives = 0;
    for (const v of y) positives += v;
    const negatives = y.length - positives;
    if (positives < o.minClassPairs || negatives < o.minClassPairs) {
      notes.push(`${task.target}: skipped, ${positives} positive and ${negatives} negative pairs (at least ${o.minClassPairs} of each needed)`);
      fits += PROBE_FEATURES.length;
      onProgress?.({ stage: 'probes', done: fits, total: totalFits, target: task.target });
      continue;
    }
    const foldOf = stratifiedFolds(y, o.folds, rng.u32());
    const scores = {} as Record<ProbeFeatures, ProbeScore>;
    for (const f of PROBE_FEATURES) {
      scores[f] = crossValidateProbe(gather(features[f], d, chosen), y, { folds: o.folds, lambda: o.lambda, foldOf });
      fits++;
      onProgress?.({ stage: 'probes', done: fits, total: totalFits, target: task.target });
    }
    probes.push({
      target: task.target,
      description: task.description,
      n: y.length,
      positives,
      majorityRate: Math.max(positives, negatives) / y.length,
      folds: o.folds,
      scores,
    });
  }

  // summaries
  onProgress?.({ stage: 'summary', done: 0, total: 1 });
  const attention = attentionSummary(s.A, s.L, s.R, m, N, d);
  const slots = slotItems(s, N, pairs, lm, o);
  const pca = pca2(s.R, m, d);
  const pointRows = pointRng.sampleIndices(m, o.maxPoints);
  const rating = pairs.rating ?? null;
  const itemInfo = pairs.itemInfo ?? null;
  const points: ProjectedPair[] = Array.from(pointRows, (t) => {
    const p: ProjectedPair = { x: pca.coords[2 * t], y: pca.coords[2 * t + 1], user: lm.users.id(s.user[t]), item: lm.items.id(s.item[t]) };
    const r = rating === null ? Number.NaN : rating[s.rows[t]];
    if (Number.isFinite(r)) p.rating = r;
    if (times !== null && times.count[t] >= 2) p.time = times.rank[t] / (times.count[t] - 1);
    const g = itemInfo?.[s.item[t]]?.genres[0];
    if (g !== undefined) p.genre = g;
    return p;
  });
  onProgress?.({ stage: 'summary', done: 1, total: 1 });
  return {
    model: { kind: model.kind, dim: d, numMemories: N, numUsers: model.numUsers, numItems: model.numItems },
    pairs: m,
    skippedPairs: pairs.skipped ?? 0,
    seed: o.seed,
    probes,
    projection: { method: 'pca', explainedVariance: pca.explainedVariance, points },
    attention,
    slots,
    notes,
  };
}
