// Why an LRML model scores a (user, item) pair as it does: the memory attention, the relation
// vector, the distance; and which pairs a memory slot is about.

import { LrmlError, badOption, positiveInt } from '../errors.js';
import { unitBallScale } from '../kernels/clip.js';
import { PairState, PairUser, pairDistance, residualDistance, type PairShape } from '../kernels/pair.js';
import { TripletModel, lookupScales, pairShapeOf } from '../models/triplet.js';
import type { LoadedModel } from '../models/types.js';
import { Rng } from '../rng.js';
import { pairAttentionStats, type PairAttentionStats } from '../models/attention-stats.js';

/** One memory slot's share of a pair's attention. */
export interface SlotWeight {
  slot: number;
  weight: number;
}

/** What {@link explain} returns (LRML models only). */
export interface Explanation {
  user: string;
  item: string;
  kind: 'lrml';
  /** The model's score of the pair: −distance (higher = better). */
  score: number;
  /** D(u, i) = dist(p + r − q) under the model's distance. */
  distance: number;
  /** dist(p − q): the distance the pair would have without its relation vector. */
  distanceWithoutRelation: number;
  /** The attention a (softmax(K (p ⊙ q)) for the default `dot` attention; the model's own otherwise), one weight per memory slot (slot order; sums to 1). */
  attention: number[];
  /** r = Σₖ aₖ Mₖ (length dim). */
  relation: number[];
  /** The slots by decreasing attention (the first ones dominate). */
  slots: SlotWeight[];
  /**
   * How concentrated the attention is: normalised entropy (1 = uniform), largest and smallest
   * weight, logit range; `nearUniform` when it carries almost no pair-specific signal (r is then
   * nearly the mean memory value, the same for every such pair).
   */
  attentionSignal: PairAttentionStats;
  /** Whether the pair is one of the training interactions (null when the model file has none). */
  seen: boolean | null;
  /** 1-based rank of the item in the user's recommendations (training items excluded; null when seen). */
  rank: number | null;
}

function needLrml(m: LoadedModel): TripletModel {
  const model = m.model;
  if (!(model instanceof TripletModel) || model.kind !== 'lrml' || model.options.numMemories === 0) {
    throw new LrmlError('BAD_OPTION', `explain needs an LRML model with memory slots (this model is ${model.kind})`);
  }
  return model;
}

/** Sets `user` to user u's vector as the model sees it (clipped into the unit ball at lookup when the model does that). */
function setUser(model: TripletModel, user: PairUser, u: number): void {
  const d = model.options.dim;
  const P = model.params.P;
  user.set(P, u * d, model.options.clip === 'lookup' ? unitBallScale(P, u * d, d) : 1);
}

function shapeOf(model: TripletModel): PairShape {
  return pairShapeOf(model.options);
}

/**
 * Explains an LRML model's score of (user, item), both external ids: the attention over the memory
 * slots, the relation vector, the distance with and without it, the dominant slots, whether the
 * pair was trained on and the item's rank for the user. Use {@link slotProfile} to see what a slot
 * is about. UNKNOWN_USER / UNKNOWN_ITEM for unknown ids; BAD_OPTION for models other than LRML
 * (CML, BPR, … have no memory to explain).
 *
 * @example
 * ```ts
 * const e = explain(m, '42', '260');
 * console.log(e.distance, e.slots.slice(0, 3)); // the three dominant slots
 * ```
 */
export function explain(m: LoadedModel, userId: string, itemId: string): Explanation {
  const model = needLrml(m);
  const u = m.users.get(userId);
  if (u === undefined) throw new LrmlError('UNKNOWN_USER', `unknown user ${JSON.stringify(userId)}`);
  const i = m.items.get(itemId);
  if (i === undefined) throw new LrmlError('UNKNOWN_ITEM', `unknown item ${JSON.stringify(itemId)}`);
  const shape = shapeOf(model);
  const d = shape.dim;
  const qs = lookupScales(model);
  const user = new PairUser(shape);
  const pair = new PairState(shape);
  setUser(model, user, u);
  const distance = pairDistance(user, pair, model.params.Q, i * d, qs === null ? 1 : qs[i], model.params.K, model.params.M);
  const attention = Array.from(pair.a);
  const relation = Array.from(pair.r);
  const distanceWithoutRelation = residualDistance(shape.distance, user.p, 0, null, 0, pair.q, 0, new Float64Array(d), 0, d);
  const slots = attention.map((weight, slot) => ({ slot, weight })).sort((a, b) => b.weight - a.weight || a.slot - b.slot);
  const attentionSignal = pairAttentionStats(attention, 0, attention.length, (shape.attention ?? 'dot') === 'dot' ? undefined : pair.l);
  const seen = m.seen === null ? null : m.seen.has(u, i);
  let rank: number | null = null;
  if (seen !== true) {
    const scores = new Float32Array(model.numItems);
    model.scoreAll(u, scores);
    const s = scores[i];
    rank = 1;
    for (let j = 0; j < model.numItems; j++) {
      if (j === i || (m.seen !== null && m.seen.has(u, j))) continue;
      if (scores[j] > s || (scores[j] === s && j < i)) rank++;
    }
  }
  return { user: userId, item: itemId, kind: 'lrml', score: -distance, distance, distanceWithoutRelation, attention, relation, slots, attentionSignal, seen, rank };
}

/** Options of {@link slotProfile}. */
export interface SlotProfileOptions {
  /** How many pairs, items and users to list (default 10). */
  k?: number;
  /** Pairs to look at: a seeded sample of the training pairs of this size (default 5000; all when fewer). */
  sample?: number;
  /** Seed of the sample (default 0). */
  seed?: number;
  /** Only this user's training pairs (external id) instead of a sample of everyone's. */
  user?: string;
}

/** A pair with its attention on the slot. */
export interface PairWeight {
  user: string;
  item: string;
  weight: number;
}

/** An item or user with its mean attention on the slot over the pairs looked at. */
export interface MeanWeight {
  id: string;
  /** Mean attention on the slot over this id's pairs. */
  weight: number;
  /** How many of the pairs looked at involve this id. */
  pairs: number;
}

/** What {@link slotProfile} returns. */
export interface SlotProfile {
  slot: number;
  /** `user`: that user's training pairs; `training`: a sample of the training pairs; `random`: random (user, item) pairs (model file without interactions). */
  source: 'user' | 'training' | 'random';
  /** Pairs looked at. */
  sampled: number;
  /** Mean attention on the slot over all pairs looked at (1/N would be uniform). */
  meanWeight: number;
  /** The pairs that attend to the slot most. */
  pairs: PairWeight[];
  /** Items by mean attention of their pairs to the slot. */
  items: MeanWeight[];
  /** Users by mean attention of their pairs to the slot. */
  users: MeanWeight[];
}

function topMeans(sum: Map<number, number>, count: Map<number, number>, k: number, id: (x: number) => string): MeanWeight[] {
  const rows = [...sum.entries()].map(([x, s]) => ({ x, weight: s / (count.get(x) as number), pairs: count.get(x) as number }));
  rows.sort((a, b) => b.weight - a.weight || a.x - b.x);
  return rows.slice(0, k).map((r) => ({ id: id(r.x), weight: r.weight, pairs: r.pairs }));
}

/**
 * What a memory slot of an LRML model is about: over the user's training pairs (with `user`) or a
 * seeded sample of the training pairs (random pairs when the model file holds no interactions),
 * the pairs, items and users whose attention goes most to `slot`.
 *
 * @example
 * ```ts
 * const e = explain(m, '42', '260');
 * const prof = slotProfile(m, e.slots[0].slot, { k: 5 });
 * console.log(prof.items.map((x) => x.id));
 * ```
 */
export function slotProfile(m: LoadedModel, slot: number, options: SlotProfileOptions = {}): SlotProfile {
  const model = needLrml(m);
  const shape = shapeOf(model);
  const d = shape.dim;
  const n = shape.numMemories;
  if (!Number.isInteger(slot) || slot < 0 || slot >= n) throw badOption('slot', slot, `an integer in [0, ${n - 1}]`);
  const k = positiveInt('k', options.k ?? 10);
  const sample = positiveInt('sample', options.sample ?? 5000);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw badOption('seed', seed, 'an integer');
  if (sample > 1_000_000) throw badOption('sample', sample, 'at most 1000000');
  // the (user, item) pairs to look at
  let users: Int32Array;
  let items: Int32Array;
  let source: SlotProfile['source'];
  const rng = new Rng(seed);
  if (options.user !== undefined) {
    const u = m.users.get(options.user);
    if (u === undefined) throw new LrmlError('UNKNOWN_USER', `unknown user ${JSON.stringify(options.user)}`);
    if (m.seen === null) throw new LrmlError('BAD_OPTION', 'this model file holds no training interactions: slotProfile by user is not available');
    items = Int32Array.from(m.seen.row(u));
    users = new Int32Array(items.length).fill(u);
    source = 'user';
  } else if (m.seen !== null && m.seen.nnz > 0) {
    const seen = m.seen;
    const nnz = seen.nnz;
    const count = Math.min(sample, nnz);
    const picks = new Int32Array(count);
    if (count === nnz) for (let t = 0; t < nnz; t++) picks[t] = t;
    else for (let t = 0; t < count; t++) picks[t] = rng.int(nnz);
    users = new Int32Array(count);
    items = new Int32Array(count);
    for (let t = 0; t < count; t++) {
      const e = picks[t];
      // the row holding entry e: binary search in indptr
      let lo = 0;
      let hi = seen.numRows - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (seen.indptr[mid] <= e) lo = mid;
        else hi = mid - 1;
      }
      users[t] = lo;
      items[t] = seen.indices[e];
    }
    source = 'training';
  } else {
    users = new Int32Array(sample);
    items = new Int32Array(sample);
    for (let t = 0; t < sample; t++) {
      users[t] = rng.int(model.numUsers);
      items[t] = rng.int(model.numItems);
    }
    source = 'random';
  }
  const qs = lookupScales(model);
  const user = new PairUser(shape);
  const pair = new PairState(shape);
  const weights = new Float64Array(users.length);
  let lastUser = -1;
  let total = 0;
  const itemSum = new Map<number, number>();
  const itemCount = new Map<number, number>();
  const userSum = new Map<number, number>();
  const userCount = new Map<number, number>();
  for (let t = 0; t < users.length; t++) {
    const u = users[t];
    const i = items[t];
    if (u !== lastUser) {
      setUser(model, user, u);
      lastUser = u;
    }
    pairDistance(user, pair, model.params.Q, i * d, qs === null ? 1 : qs[i], model.params.K, model.params.M);
    const w = pair.a[slot];
    weights[t] = w;
    total += w;
    itemSum.set(i, (itemSum.get(i) ?? 0) + w);
    itemCount.set(i, (itemCount.get(i) ?? 0) + 1);
    userSum.set(u, (userSum.get(u) ?? 0) + w);
    userCount.set(u, (userCount.get(u) ?? 0) + 1);
  }
  const order = Array.from(weights.keys()).sort((a, b) => weights[b] - weights[a] || a - b).slice(0, k);
  return {
    slot,
    source,
    sampled: users.length,
    meanWeight: users.length > 0 ? total / users.length : 0,
    pairs: order.map((t) => ({ user: m.users.id(users[t]), item: m.items.id(items[t]), weight: weights[t] })),
    items: topMeans(itemSum, itemCount, k, (x) => m.items.id(x)),
    users: topMeans(userSum, userCount, k, (x) => m.users.id(x)),
  };
}
