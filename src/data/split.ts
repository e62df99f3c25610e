import { LrmlError, badOption, oneOf } from '../errors.js';
import { Rng } from '../rng.js';
import { selectInteractions } from './interactions.js';
import type { Interactions } from './types.js';

export { toCsr } from './interactions.js';

/**
 * The split methods.
 *
 * @example
 * ```ts
 * SPLIT_METHODS.includes('ratio'); // true
 * ```
 */
export const SPLIT_METHODS = ['leave-latest-out', 'leave-one-out', 'ratio'] as const;
/** A split method: per user, hold out the latest / one random / a fraction of interactions. */
export type SplitMethod = (typeof SPLIT_METHODS)[number];

/** Options of {@link splitInteractions} (each method reads the ones it needs). */
export interface SplitOptions {
  /** Default `leave-latest-out`. */
  method?: SplitMethod;
  /** Seed of the random choices (`leave-one-out`, `ratio` with `by: 'random'`); default 0. */
  seed?: number;
  /** `ratio`: fraction of each user's interactions kept in train, in (0, 1); default 0.8. */
  ratio?: number;
  /** `ratio`: hold out each user's latest interactions (`time`, default) or random ones. */
  by?: 'time' | 'random';
  /** Users with fewer interactions than this stay wholly in train (default 2, at least 2). */
  minInteractions?: number;
}

/**
 * What a split did.
 *
 * @example
 * ```ts
 * const { info } = leaveLatestOut(data);
 * console.log(`${info.usersInTest} users in test, ${info.usersTrainOnly} train-only`);
 * ```
 */
export interface SplitInfo {
  method: SplitMethod;
  seed: number | null;
  ratio: number | null;
  by: 'time' | 'random' | null;
  minInteractions: number;
  /** Whether "latest" used the timestamp column (else file order). */
  usedTimestamps: boolean;
  /** Users with at least one interaction. */
  users: number;
  /** Users with at least one held-out interaction. */
  usersInTest: number;
  /** Users with fewer than `minInteractions` interactions, kept wholly in train. */
  usersTrainOnly: number;
  trainInteractions: number;
  testInteractions: number;
  /** Distinct items held out that never occur in train (no model can have learned them). */
  testItemsNotInTrain: number;
}

/**
 * A train/test partition of one interaction log; both parts share the log's id maps.
 *
 * @example
 * ```ts
 * const { train, test }: Split = leaveOneOut(data, { seed: 1 });
 * train.users === test.users; // true
 * ```
 */
export interface Split {
  train: Interactions;
  test: Interactions;
  info: SplitInfo;
}

/** Interaction indices grouped by user, each group in file order. */
function byUser(data: Interactions): { start: Int32Array; order: Int32Array } {
  const numUsers = data.users.size;
  const n = data.user.length;
  const start = new Int32Array(numUsers + 1);
  for (let k = 0; k < n; k++) start[data.user[k] + 1]++;
  for (let u = 0; u < numUsers; u++) start[u + 1] += start[u];
  const fill = start.slice(0, numUsers);
  const order = new Int32Array(n);
  for (let k = 0; k < n; k++) order[fill[data.user[k]]++] = k;
  return { start, order };
}

/**
 * Calls `hold(rows)` for every user with at least `minInteractions` interactions, with the
 * user's interaction indices in file order; `hold` marks the ones to hold out in `test`.
 * Returns the flags and the number of users (with interactions) kept wholly in train.
 */
function perUser(data: Interactions, minInteractions: number, hold: (rows: Int32Array, test: Uint8Array) => void): { test: Uint8Array; usersTrainOnly: number } {
  const { start, order } = byUser(data);
  const test = new Uint8Array(data.user.length);
  let usersTrainOnly = 0;
  for (let u = 0; u < data.users.size; u++) {
    const len = start[u + 1] - start[u];
    if (len === 0) continue;
    if (len < minInteractions) usersTrainOnly++;
    else hold(order.subarray(start[u], start[u + 1]), test);
  }
  return { test, usersTrainOnly };
}

function checkMin(v: number | undefined): number {
  const m = v ?? 2;
  if (!Number.isInteger(m) || m < 2) throw badOption('minInteractions', m, 'an integer ≥ 2 (a user needs one train interaction left)');
  return m;
}

function checkSeed(v: number | undefined): number {
  const s = v ?? 0;
  if (!Number.isInteger(s)) throw badOption('seed', s, 'an integer');
  return s;
}

/** Builds the split from a 0/1 "held out" flag per interaction (both parts in file order). */
function assemble(
  data: Interactions,
  test: Uint8Array,
  info: Omit<SplitInfo, 'users' | 'usersInTest' | 'trainInteractions' | 'testInteractions' | 'testItemsNotInTrain'>,
): Split {
  const n = data.user.length;
  let nt = 0;
  for (let k = 0; k < n; k++) nt += test[k];
  const trainRows = new Int32Array(n - nt);
  const testRows = new Int32Array(nt);
  let a = 0;
  let b = 0;
  const usersWith = new Uint8Array(data.users.size);
  const usersTest = new Uint8Array(data.users.size);
  const itemTrain = new Uint8Array(data.items.size);
  const itemTest = new Uint8Array(data.items.size);
  for (let k = 0; k < n; k++) {
    usersWith[data.user[k]] = 1;
    if (test[k] !== 0) {
      testRows[b++] = k;
      usersTest[data.user[k]] = 1;
      itemTest[data.item[k]] = 1;
    } else {
      trainRows[a++] = k;
      itemTrain[data.item[k]] = 1;
    }
  }
  let testItemsNotInTrain = 0;
  for (let i = 0; i < itemTest.length; i++) if (itemTest[i] !== 0 && itemTrain[i] === 0) testItemsNotInTrain++;
  let users = 0;
  let usersInTest = 0;
  for (let u = 0; u < usersWith.length; u++) {
    users += usersWith[u];
    usersInTest += usersTest[u];
  }
  return {
    train: selectInteractions(data, trainRows),
    test: selectInteractions(data, testRows),
    info: { ...info, users, usersInTest, trainInteractions: n - nt, testInteractions: nt, testItemsNotInTrain },
  };
}

/** Sort key "later is larger": timestamp, ties (and no timestamps) by file position. */
function later(data: Interactions, a: number, b: number): boolean {
  const ts = data.timestamp;
  if (ts !== null && ts[a] !== ts[b]) return ts[a] > ts[b];
  return a > b;
}

/**
 * Leave-latest-out: each user's latest interaction (by timestamp; ties, or a file
 * without timestamps, by file order: the later line is the latest) goes to test, the
 * rest to train. Users with fewer than `minInteractions` (default 2) stay wholly in train.
 *
 * @example
 * ```ts
 * const { train, test, info } = leaveLatestOut(data);
 * info.usersInTest; // users with ≥ 2 interactions
 * ```
 */
export function leaveLatestOut(data: Interactions, options: { minInteractions?: number } = {}): Split {
  const minInteractions = checkMin(options.minInteractions);
  const { test, usersTrainOnly } = perUser(data, minInteractions, (rows, flags) => {
    let best = rows[0];
    for (let t = 1; t < rows.length; t++) if (later(data, rows[t], best)) best = rows[t];
    flags[best] = 1;
  });
  return assemble(data, test, {
    method: 'leave-latest-out', seed: null, ratio: null, by: null, minInteractions,
    usedTimestamps: data.timestamp !== null, usersTrainOnly,
  });
}

/**
 * Leave-one-out at random: one interaction per user, chosen with a seeded {@link Rng},
 * goes to test. Users with fewer than `minInteractions` (default 2) stay wholly in train.
 *
 * @example
 * ```ts
 * const a = leaveOneOut(data, { seed: 7 });
 * const b = leaveOneOut(data, { seed: 7 }); // the same split
 * ```
 */
export function leaveOneOut(data: Interactions, options: { seed?: number; minInteractions?: number } = {}): Split {
  const minInteractions = checkMin(options.minInteractions);
  const seed = checkSeed(options.seed);
  const rng = new Rng(seed);
  const { test, usersTrainOnly } = perUser(data, minInteractions, (rows, flags) => {
    flags[rows[rng.int(rows.length)]] = 1;
  });
  return assemble(data, test, {
    method: 'leave-one-out', seed, ratio: null, by: null, minInteractions, usedTimestamps: false, usersTrainOnly,
  });
}

/**
 * Per-user ratio split: each user with at least `minInteractions` interactions keeps
 * the fraction `ratio` (default 0.8) of them in train and holds out the rest —
 * `round(n·(1−ratio))`, at least 1 and at most n−1 — choosing the latest ones
 * (`by: 'time'`, default: by timestamp, ties and no timestamps by file order) or random
 * ones (`by: 'random'`, seeded).
 *
 * @example
 * ```ts
 * const { train, test } = ratioSplit(data, { ratio: 0.9, by: 'random', seed: 1 });
 * ```
 */
export function ratioSplit(
  data: Interactions,
  options: { ratio?: number; by?: 'time' | 'random'; seed?: number; minInteractions?: number } = {},
): Split {
  const minInteractions = checkMin(options.minInteractions);
  const ratio = options.ratio ?? 0.8;
  if (typeof ratio !== 'number' || !(ratio > 0 && ratio < 1)) throw badOption('ratio', ratio, 'a number strictly between 0 and 1 (the train fraction)');
  const by = oneOf('by', options.by ?? 'time', ['time', 'random'] as const);
  const seed = checkSeed(options.seed);
  const rng = new Rng(seed);
  const ts = data.timestamp;
  const { test, usersTrainOnly } = perUser(data, minInteractions, (rows, flags) => {
    const len = rows.length;
    const nTest = Math.min(len - 1, Math.max(1, Math.round(len * (1 - ratio))));
    const seg = rows.slice();
    if (by === 'random') rng.shuffle(seg);
    else if (ts !== null) {
      // Stable by file order for equal timestamps (seg is in file order).
      const idx = Array.from(seg);
      idx.sort((a, b) => (ts[a] !== ts[b] ? ts[a] - ts[b] : a - b));
      seg.set(idx);
    }
    for (let t = len - nTest; t < len; t++) flags[seg[t]] = 1;
  });
  return assemble(data, test, {
    method: 'ratio', seed: by === 'random' ? seed : null, ratio, by, minInteractions,
    usedTimestamps: by === 'time' && ts !== null, usersTrainOnly,
  });
}

/**
 * Splits by `options.method` (default `leave-latest-out`); see {@link leaveLatestOut},
 * {@link leaveOneOut}, {@link ratioSplit}. Train and test share `data`'s id maps, so
 * indices mean the same in both.
 *
 * @example
 * ```ts
 * const { train, test, info } = splitInteractions(data, { method: 'ratio', ratio: 0.8 });
 * const trainCsr = toCsr(train);
 * ```
 */
export function splitInteractions(data: Interactions, options: SplitOptions = {}): Split {
  const method = oneOf('method', options.method ?? 'leave-latest-out', SPLIT_METHODS);
  switch (method) {
    case 'leave-latest-out':
      return leaveLatestOut(data, options);
    case 'leave-one-out':
      return leaveOneOut(data, options);
    case 'ratio':
      return ratioSplit(data, options);
    default:
      throw new LrmlError('INTERNAL', `unhandled split method ${String(method)}`);
  }
}
