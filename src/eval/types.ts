// Types of the evaluation harness (see docs/evaluation.md).

import type { Csr } from '../data/csr.js';

/** Held-out positives: a users × items 0/1 matrix with the model's shape (load it with the model's id maps). */
export type TestSet = Csr;

/** The one tie rule of every protocol: a candidate scoring equal to a positive ranks above it. */
export type TieRule = 'pessimistic';

/** Protocol names as they appear in results. */
export type ProtocolKind = 'given' | 'sampled' | 'full';

/** What a negatives file held and what its loading did with every line. */
export interface GivenNegativesSummary {
  /** File path as given (or `<memory>`). */
  file: string;
  /** Non-blank lines read. */
  lines: number;
  /** Cases kept (one per kept line). */
  cases: number;
  /** Lines skipped because their user or positive item is unknown to the model (`unknown: 'skip'`). */
  skippedLines: number;
  /** Negatives skipped because the item is unknown to the model (`unknown: 'skip'`). */
  unknownNegatives: number;
  /** Negatives equal to the line's own positive (156 in the NCF ML-1M test file); kept here, dropped by `evaluate`. */
  selfNegatives: number;
  /** Negatives repeated within a line; kept here, dropped by `evaluate`. */
  repeatedNegatives: number;
  /** Items added to the item map (`unknown: 'add-items'`; 0 otherwise). */
  addedItems: number;
}

/**
 * Ranking cases with fixed candidates (the NCF `*.negative` files): case c ranks positive item
 * `positives[c]` of user `users[c]` against `negatives[offsets[c] .. offsets[c+1])`.
 * Dense model indices; `lines[c]` is the 1-based source line, for messages.
 */
export interface GivenNegatives {
  users: Int32Array;
  positives: Int32Array;
  offsets: Int32Array;
  negatives: Int32Array;
  lines: Int32Array;
  summary: GivenNegativesSummary;
}

/**
 * How held-out positives are ranked:
 * - `given`: against fixed negatives (e.g. NCF's 99 per user);
 * - `sampled`: each positive against `negatives` (default 100) items the user never interacted
 *   with (train or test), drawn uniformly without replacement, seeded (default seed 0);
 * - `full`: all items except the user's training items; the user's test items are ranked as one set.
 */
export type Protocol =
  | { kind: 'given'; cases: GivenNegatives }
  | { kind: 'sampled'; negatives?: number; seed?: number }
  | { kind: 'full' };

/** Progress of an evaluation: users done of total. */
export interface EvalProgress {
  done: number;
  total: number;
}

/** Options of `evaluate` (all optional). */
export interface EvalOptions {
  /** Cut-offs of the @K metrics (default [10]). */
  k?: number[];
  /** Bootstrap resamples over users for the 95% intervals (default 1000; 0 = no intervals). */
  bootstrap?: number;
  /** Seed of the bootstrap (default 0). */
  seed?: number;
  /** Keep per-user metrics in the result (default false; needed by compareModels). */
  perUser?: boolean;
  /** Called now and then with users done / total. */
  onProgress?: (p: EvalProgress) => void;
  /**
   * Evaluate a seeded random sample of this many test users (an integer ≥ 1; default: all). The
   * sample is drawn with `seed` and does not depend on threads; with `users` ≥ the number of test
   * users every user is evaluated and the result equals the unsampled one. Protocols `full` and
   * `sampled` only (given negatives fix their cases).
   */
  users?: number;
  /**
   * The pairs the model was trained on (e.g. `LoadedModel.seen` from its model file), same shape
   * as the model: test pairs found there are counted in `overlap.inSeen` (default: not checked).
   */
  seen?: Csr | null;
  /**
   * Also compute the beyond-accuracy metrics `coverage@K`, `diversity@K`, `novelty@K` of each
   * evaluated user's top-K list (see `beyondAccuracy`; default false).
   */
  beyondAccuracy?: boolean;
}

/** The user sample of an evaluation with `users` (see {@link EvalOptions.users}). */
export interface UserSample {
  /** Test users drawn (min(users, of)). */
  users: number;
  /** Test users there were to draw from. */
  of: number;
  /** Seed the sample was drawn with (the evaluation's `seed`). */
  seed: number;
}

/**
 * Test pairs that are also training pairs: a metric over them is a score on training data, not a
 * test score (e.g. train and test files swapped). Counted over the test matrix's pairs.
 */
export interface TestOverlap {
  /** Test pairs counted (the test matrix's interactions). */
  pairs: number;
  /** Test pairs also in the `train` matrix given to the evaluation. */
  inTrain: number;
  /** Test pairs also in `options.seen` (the model's own training pairs); null when not given. */
  inSeen: number | null;
  /** Test pairs in `train` or `seen`, as a fraction of `pairs` (0 when there are no pairs). */
  fraction: number;
}

/** Per-user metrics, one row per evaluated user (ascending user index). */
export interface PerUserMetrics {
  /** Dense user index of each row. */
  users: Int32Array;
  /** Positives ranked for the user (cases for given/sampled, test items for full). */
  positives: Int32Array;
  /** One column per metric key, same order as `users`. */
  metrics: Record<string, Float64Array>;
}

/**
 * The result of an evaluation; the same shape for every protocol and input.
 * Metrics are means over users of each user's value (for given/sampled, a user's value is the
 * mean over their ranked positives).
 */
export interface EvalResult {
  protocol: ProtocolKind;
  tieRule: TieRule;
  /** Users evaluated. */
  users: number;
  /** Positives ranked. */
  positives: number;
  /** Test positives that could not be ranked (no negative candidate left, or no given case for them). */
  skipped: number;
  /** Cut-offs of the @K metrics. */
  k: number[];
  /**
   * Metric key (`hits@10`, `ndcg@10`, `recall@10`, `precision@10`, `mrr`, `auc`; with
   * `beyondAccuracy`, also `coverage@10`, `diversity@10`, `novelty@10`) → mean over users
   * (coverage: share of the catalogue).
   */
  metrics: Record<string, number>;
  /** Metric key → bootstrap 95% interval of the mean (empty when bootstrap = 0). */
  intervals: Record<string, [number, number]>;
  /** Bootstrap resamples used (0 = none). */
  bootstrap: number;
  /** Seed of the bootstrap. */
  seed: number;
  /** Mean number of candidates per ranking, positives included. */
  meanCandidates: number;
  /** Given candidates dropped: negatives equal to their own positive, or repeated in a case. */
  droppedCandidates: number;
  /** Candidate scores that were NaN (ranked below everything). */
  nanScores: number;
  /** Test pairs that are also training pairs (should be 0; see {@link TestOverlap}). */
  overlap: TestOverlap;
  /** Per-user metrics when `perUser` was asked, else null. */
  perUser: PerUserMetrics | null;
  /** The user sample when `users` was given (metrics are over the sampled users only), else null. */
  sample: UserSample | null;
  /** Wall-clock seconds. */
  seconds: number;
}

/** One metric of a paired comparison. */
export interface MetricComparison {
  a: number;
  b: number;
  /** Mean over users of a − b. */
  diff: number;
  /** Bootstrap 95% interval of the mean difference (paired: the same resampled users for both). */
  interval: [number, number];
  /** Two-sided bootstrap p-value of "no difference" (2 · the smaller tail at 0, capped at 1). */
  pValue: number;
}

/** A paired comparison of two evaluations on the same users. */
export interface Comparison {
  users: number;
  bootstrap: number;
  seed: number;
  metrics: Record<string, MetricComparison>;
}
