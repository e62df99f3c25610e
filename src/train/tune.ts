// Hyper-parameter search: plans (grid / seeded random), the resumable trial loop over a
// TuneStore (Node folder: src/io/tune-folder.ts), result files. Browser-safe: no Node imports.
import { csvField } from '../data/csv-field.js';
import type { Csr } from '../data/csr.js';
import { LrmlError } from '../errors.js';
import type { TrainProgress, TrainReport, ValidationControl } from '../models/types.js';
import { Rng } from '../rng.js';
import { getFamily } from './families.js';

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
  const esc = (v: unknown): string => csvField(v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
  const head = ['trial', ...optionNames, ...metricNames, 'bestEpoch', 'seconds', 'error'];
  const rows = results.map((r) => [r.trial, ...optionNames.map((n) => r.options[n]), ...metricNames.map((m) => r.metrics[m]), r.bestEpoch, r.seconds.toFixed(1), r.error].map(esc).join(','));
  return [head.join(','), ...rows].join('\n') + '\n';
}

/**
 * Where a search keeps its files: the trial log (append-only, one JSON line per finished trial:
 * what makes a search resumable) and the result files `results.csv`, `results.json` and
 * `best.json`. On Node, `tuneFolder(dir)` (src/io/tune-folder.ts) keeps them in a folder;
 * {@link memoryTuneStore} keeps them in memory.
 *
 * @example
 * ```ts
 * const store = await tuneFolder('runs/tune-1'); // Node: trials.jsonl, results.*, best.json
 * ```
 */
export interface TuneStore {
  /** The trial log's text, or null when there is none yet. */
  readLog(): Promise<string | null>;
  /** Appends text to the trial log (creating it). */
  appendLog(text: string): Promise<void>;
  /** Replaces the trial log's text (atomically): used to drop a cut last line. */
  replaceLog(text: string): Promise<void>;
  /** Writes a result file (`results.csv`, `results.json`, `best.json`) atomically. */
  writeFile(name: string, text: string): Promise<void>;
}

/**
 * A {@link TuneStore} in memory (browsers, tests): the log and the result files are strings in
 * `files` (the log under `trials.jsonl`).
 *
 * @example
 * ```ts
 * const store = memoryTuneStore();
 * await tune(train, { model: 'cml', space: { margin: [0.5, 1] }, validation }, {}, store);
 * JSON.parse(store.files.get('best.json')!).options.margin;
 * ```
 */
export function memoryTuneStore(): TuneStore & { files: Map<string, string> } {
  const files = new Map<string, string>();
  return {
    files,
    readLog: async () => files.get('trials.jsonl') ?? null,
    appendLog: async (text) => void files.set('trials.jsonl', (files.get('trials.jsonl') ?? '') + text),
    replaceLog: async (text) => void files.set('trials.jsonl', text),
    writeFile: async (name, text) => void files.set(name, text),
  };
}

/** What reading a trial log found. */
export interface TrialLog {
  /** Finished trials by point key (a later record of a key replaces an earlier one). */
  done: Map<string, TrialResult>;
  /** Lines that held no trial record and were skipped (their trials run again). */
  badLines: number;
  /**
   * The log's last line had no newline (an interrupted write): `kept` when it was a whole
   * record (the newline is then added), `dropped` when it was cut (that trial runs again);
   * `chars` is its length. null when the log ended with a newline.
   */
  unterminated: { kept: boolean; chars: number } | null;
  /** The text the log must be replaced with before appending (null: leave it as it is). */
  repaired: string | null;
}

function parseTrial(text: string): TrialResult | null {
  try {
    const r = JSON.parse(text) as TrialResult;
    return r !== null && typeof r === 'object' && typeof r.key === 'string' ? r : null;
  } catch {
    return null;
  }
}

/**
 * Reads a trial log (`trials.jsonl`). A last line without a newline (the process was stopped
 * while writing it) is dropped when cut, or kept when whole; either way `repaired` is the text
 * to put back, ending with a newline, so that the next record starts on its own line. A line
 * where a cut record was glued to the next (logs written before this repair) yields that next
 * record.
 *
 * @example
 * ```ts
 * const log = readTrialLog('{"key":"a","trial":0}\n{"key":"b');
 * log.done.size; // 1
 * log.unterminated; // { kept: false, chars: 9 }
 * log.repaired; // '{"key":"a","trial":0}\n'
 * ```
 */
export function readTrialLog(text: string): TrialLog {
  const done = new Map<string, TrialResult>();
  let badLines = 0;
  let unterminated: TrialLog['unterminated'] = null;
  let repaired: string | null = null;
  const end = text.lastIndexOf('\n') + 1;
  const tail = text.slice(end);
  const lines = text.slice(0, end).split('\n');
  for (const line of lines) {
    if (line.trim() === '') continue;
    let r = parseTrial(line);
    if (r === null) {
      const glued = line.lastIndexOf('{"key":');
      if (glued > 0) r = parseTrial(line.slice(glued));
    }
    if (r === null) badLines++;
    else done.set(r.key, r);
  }
  if (tail.trim() !== '') {
    const r = parseTrial(tail);
    if (r !== null) done.set(r.key, r);
    unterminated = { kept: r !== null, chars: tail.length };
    repaired = r !== null ? `${text}\n` : text.slice(0, end);
  } else if (tail !== '') {
    repaired = text.slice(0, end);
  }
  return { done, badLines, unterminated, repaired };
}

/**
 * The points of a search, each validated as a whole set of options of the family (`base` merged
 * with the point) before any training: a typo fails at once, naming the option.
 *
 * @example
 * ```ts
 * planTrials('cml', { margin: [0.25, 0.5] }, { search: 'grid' }, { dim: 32 }).length; // 2
 * ```
 */
export function planTrials(model: string, space: SearchSpace, plan: SearchPlan, base: Record<string, unknown> = {}): Record<string, unknown>[] {
  const family = getFamily(model);
  const points = planPoints(space, plan);
  for (const p of points) family.resolveOptions({ ...base, ...p });
  return points;
}

/** What to search: a model family, its options and a validation split (see {@link tune}). */
export interface TuneOptions {
  /** Model family (`lrml`, `cml`, `bpr`, `ials`, `ease`, `pop`). */
  model: string;
  /** Option → values to try. */
  space: SearchSpace;
  /** `grid` (default) or `random`. */
  search?: SearchPlan['search'];
  /** Random search: points to draw (default 20). */
  trials?: number;
  /** Random search seed (default 0). */
  seed?: number;
  /** Options every trial shares. */
  base?: Record<string, unknown>;
  /** Scores each trial after every E epochs; its `monitor` (default `ndcg@10`) picks the best. */
  validation: ValidationControl;
}

/** One trial as the search sees it: its index, the count and its point of the space. */
export interface TrialInfo {
  trial: number;
  total: number;
  point: Record<string, unknown>;
}

/** Callbacks of {@link tune} (all optional; the library prints nothing). */
export interface TuneHooks {
  /** Before the first trial: points, how many the log already holds, and what reading it found. */
  onStart?: (info: { total: number; done: number; log: TrialLog }) => void;
  /** A trial starts training (not called for trials found in the log). */
  onTrialStart?: (t: TrialInfo) => void;
  /** Training progress of the running trial. */
  onProgress?: (p: TrainProgress) => void;
  /** A trial's training warning (`TrainHooks.onWarning`). */
  onWarning?: (message: string) => void;
  /** A trial finished (or diverged) and was appended to the log. */
  onTrialDone?: (r: TrialResult, t: TrialInfo) => void;
}

/** The outcome of a search. */
export interface TuneOutcome {
  /** Every trial, in plan order (those from the log included). */
  results: TrialResult[];
  /** The metric maximised. */
  metric: string;
  /** The best trial by `metric`. */
  best: TrialResult;
  /** The content of `best.json`. */
  bestFile: { model: string; metric: string; value: number; bestEpoch: number; options: Record<string, unknown> };
}

/**
 * Grid or seeded random search over training options, resumable: trials already in the store's
 * log are not trained again (a trial is identified by its point), every finished trial is
 * appended to the log as it finishes, and a cut last line is dropped (`onStart`'s `log` says
 * so). A trial that diverges is recorded with its error and the search goes on. At the end
 * `results.csv`, `results.json` and `best.json` are written to the store. Throws DIVERGED
 * (after writing the results) when no trial finished.
 *
 * @example
 * ```ts
 * // train and held-out (validation) matrices with the same id maps
 * const validation = { evaluate: (m) => evaluate(m, train, held, { kind: 'sampled' }, { bootstrap: 0 }).metrics, monitor: 'ndcg@10' };
 * const { best } = await tune(train, { model: 'cml', space: { margin: [0.25, 0.5] }, base: { epochs: 10 }, validation },
 *   { onTrialDone: (r) => console.log(r.trial, r.metrics) }, await tuneFolder('tune/cml.out'));
 * best.options; // the winning options
 * ```
 */
export async function tune(train: Csr, options: TuneOptions, hooks: TuneHooks = {}, store: TuneStore = memoryTuneStore()): Promise<TuneOutcome> {
  const base = options.base ?? {};
  const family = getFamily(options.model);
  const points = planTrials(options.model, options.space, { search: options.search ?? 'grid', trials: options.trials, seed: options.seed }, base);
  const logText = await store.readLog();
  const log = readTrialLog(logText ?? '');
  if (log.repaired !== null) await store.replaceLog(log.repaired);
  hooks.onStart?.({ total: points.length, done: log.done.size, log });
  const metric = options.validation.monitor ?? 'ndcg@10';
  const results: TrialResult[] = [];
  for (let t = 0; t < points.length; t++) {
    const key = pointKey(points[t]);
    const prev = log.done.get(key);
    if (prev !== undefined) {
      results.push({ ...prev, trial: t });
      continue;
    }
    const info: TrialInfo = { trial: t, total: points.length, point: points[t] };
    hooks.onTrialStart?.(info);
    const trialOptions = { ...base, ...points[t] };
    const t0 = performance.now();
    let report: TrainReport | undefined;
    let result: TrialResult;
    try {
      await family.fit(train, trialOptions, { validation: options.validation, onProgress: hooks.onProgress, ...(hooks.onWarning === undefined ? {} : { onWarning: hooks.onWarning }), onDone: (r) => { report = r; } });
      result = { key, trial: t, options: trialOptions, metrics: report?.bestValidation ?? {}, bestEpoch: report?.bestEpoch ?? 0, seconds: (performance.now() - t0) / 1000 };
    } catch (e) {
      if (!(e instanceof LrmlError) || e.code !== 'DIVERGED') throw e;
      result = { key, trial: t, options: trialOptions, metrics: {}, bestEpoch: 0, seconds: (performance.now() - t0) / 1000, error: e.message };
    }
    await store.appendLog(`${JSON.stringify(result)}\n`);
    results.push(result);
    hooks.onTrialDone?.(result, info);
  }
  await store.writeFile('results.csv', resultsCsv(results, Object.keys(options.space)));
  await store.writeFile('results.json', `${JSON.stringify(results, null, 2)}\n`);
  const best = bestTrial(results, metric);
  if (best === null) throw new LrmlError('DIVERGED', 'no trial finished without diverging');
  const bestFile = { model: options.model, metric, value: best.metrics[metric], bestEpoch: best.bestEpoch, options: best.options };
  await store.writeFile('best.json', `${JSON.stringify(bestFile, null, 2)}\n`);
  return { results, metric, best, bestFile };
}
