import { LrmlError } from '../errors.js';
import { Rng } from '../rng.js';

/**
 * A search space: for each option, the list of values to try. The grid is their cartesian
 * product; random search draws `trials` distinct points from it (seeded).
 */
export type SearchSpace = Record<string, readonly unknown[]>;

/** How to search. */
export interface SearchPlan {
  search: 'grid' | 'random';
  /** Random search: how many points (default 20). */
  trials?: number;
  /** Random search seed (default 0). */
  seed?: number;
}

/** One finished trial. */
export interface TrialResult {
  /** Stable key of the point (JSON of the sorted option values). */
  key: string;
  /** Index of the trial in the plan. */
  trial: number;
  /** The options tried (base options merged with the point). */
  options: Record<string, unknown>;
  /** Validation metrics of the best epoch. */
  metrics: Record<string, number>;
  /** Epoch whose weights gave `metrics`. */
  bestEpoch: number;
  seconds: number;
  /** Set when the trial failed (e.g. DIVERGED); metrics are then empty. */
  error?: string;
}

/** A stable key for a point of the space: JSON of its entries sorted by name. */
export function pointKey(point: Record<string, unknown>): string {
  return JSON.stringify(Object.keys(point).sort().map((k) => [k, point[k]]));
}

/**
 * Validates a search space (non-empty lists of JSON values) and returns the points to try,
 * in order: the grid, or `trials` distinct seeded random points of it.
 *
 * @example
 * ```ts
 * planPoints({ margin: [0.5, 1], dim: [32, 64] }, { search: 'grid' }).length; // 4
 * ```
 */
export function planPoints(space: SearchSpace, plan: SearchPlan): Record<string, unknown>[] {
  const names = Object.keys(space);
  if (names.length === 0) throw new LrmlError('BAD_OPTION', 'search space is empty: give at least one option with a list of values');
  for (const n of names) {
    const v = space[n];
    if (!Array.isArray(v) || v.length === 0) throw new LrmlError('BAD_OPTION', `search space option "${n}" must be a non-empty list of values`);
  }
  const sizes = names.map((n) => space[n].length);
  const total = sizes.reduce((a, b) => a * b, 1);
  const pointAt = (index: number): Record<string, unknown> => {
    const p: Record<string, unknown> = {};
    let r = index;
    for (let k = names.length - 1; k >= 0; k--) {
      p[names[k]] = space[names[k]][r % sizes[k]];
      r = Math.floor(r / sizes[k]);
    }
    return p;
  };
  if (plan.search === 'grid') {
    if (total > 100000) throw new LrmlError('BAD_OPTION', `grid has ${total} points: too many (use "search": "random" with "trials")`);
    return Array.from({ length: total }, (_, i) => pointAt(i));
  }
  if (plan.search !== 'random') throw new LrmlError('BAD_OPTION', `invalid search: ${JSON.stringify(plan.search)} (expected grid or random)`);
  const trials = plan.trials ?? 20;
  if (!Number.isInteger(trials) || trials <= 0) throw new LrmlError('BAD_OPTION', `invalid trials: ${trials} (expected a positive integer)`);
  const rng = new Rng(plan.seed ?? 0);
  const chosen = new Set<number>();
  const out: Record<string, unknown>[] = [];
  while (out.length < Math.min(trials, total)) {
    const i = total <= Number.MAX_SAFE_INTEGER ? Math.floor(rng.float() * total) : 0;
    if (chosen.has(i)) continue;
    chosen.add(i);
    out.push(pointAt(i));
  }
  return out;
}

/** Best trial by `metric` (higher is better), ignoring failed ones; null if none succeeded. */
export function bestTrial(results: readonly TrialResult[], metric: string): TrialResult | null {
  let best: TrialResult | null = null;
  for (const r of results) {
    const v = r.metrics[metric];
    if (r.error !== undefined || v === undefined || Number.isNaN(v)) continue;
    if (best === null || v > (best.metrics[metric] as number)) best = r;
  }
  return best;
}

/** Results as CSV: one row per trial, columns = trial, the searched options, metrics, bestEpoch, seconds, error. */
export function resultsCsv(results: readonly TrialResult[], optionNames: readonly string[]): string {
  const metricNames = [...new Set(results.flatMap((r) => Object.keys(r.metrics)))].sort();
  const esc = (v: unknown): string => {
    const s = v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const head = ['trial', ...optionNames, ...metricNames, 'bestEpoch', 'seconds', 'error'];
  const rows = results.map((r) => [r.trial, ...optionNames.map((n) => r.options[n]), ...metricNames.map((m) => r.metrics[m]), r.bestEpoch, r.seconds.toFixed(1), r.error].map(esc).join(','));
  return [head.join(','), ...rows].join('\n') + '\n';
}
