// The pure parts of bench/scale.ts (issue #18): its flags, its stages, the users of a
// Netflix-shaped set of a given size, and the table it prints. No side effects: tested in
// test/bench-scale.test.ts.
import { readFlags } from './flags.js';

/** Every stage of the bench, in the order they run. */
export const SCALE_STAGES = [
  'generate', 'split', 'load', 'hinge-x1', 'hinge-x2', 'default-x1', 'default-x2',
  'evaluate', 'save', 'reload', 'serve', 'recommend-all',
] as const;
export type ScaleStage = (typeof SCALE_STAGES)[number];

/**
 * The stages run when `--stages` is not given: all but the default recipe's epochs (at 100M
 * interactions about 50 min each on one thread before issue #18's kernel work) and a full
 * `recommend --all` (a sample of users is timed and extrapolated instead).
 */
export const DEFAULT_STAGES: readonly ScaleStage[] = ['generate', 'split', 'load', 'hinge-x1', 'hinge-x2', 'evaluate', 'save', 'reload', 'serve', 'recommend-all'];

/** Netflix's catalogue, as issue #18 sets it for 100M interactions: 480,189 users and 17,770 items. */
export const NETFLIX = { users: 480_189, items: 17_770, interactions: 100_000_000 } as const;

export interface ScaleArgs {
  /** Interactions to generate (default 100M). */
  interactions: number;
  /** Users (default: Netflix's users per interaction, scaled to `interactions`). */
  users: number;
  /** Items (default Netflix's 17,770). */
  items: number;
  seed: number;
  /** An existing interaction file instead of generating one (then `generate` is skipped). */
  data: string | null;
  stages: ScaleStage[];
  /** Users of the seeded evaluation sample (`evaluate --users`). */
  evalUsers: number;
  /** Requests of the serve stage. */
  requests: number;
  /** Users of the timed `recommend` sample (0 = every user: the real `recommend --all`). */
  recommendUsers: number;
  /** The lrml entry (bin/lrml.js) of the CLI stages: another build for a side-by-side run. */
  lrml: string | null;
  /** Folder of the generated files (default: a fresh one under the system temp folder, removed at the end). */
  workdir: string | null;
  /** Keep the generated files. */
  keep: boolean;
  json: boolean;
}

export const SCALE_USAGE = '[--interactions 100000000] [--users N] [--items 17770] [--seed 1] [--data FILE] [--stages a,b,…|all] [--eval-users 10000] [--requests 200] [--recommend-users 20000|0] [--lrml bin/lrml.js] [--workdir DIR] [--keep] [--json]';

/** A positive integer flag value; accepts 100M / 20k / 1e8 / 1_000_000. */
export function parseCount(flag: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)([kKmM]?)$/.exec(v.replace(/_/g, ''));
  const n = m === null ? NaN : Number(m[1]) * (m[2] === '' ? 1 : /k/i.test(m[2]) ? 1e3 : 1e6);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${flag}: "${v}" is not a positive integer (e.g. 100000000, 100M, 20k)`);
  return n;
}

function nonNegative(flag: string, v: string): number {
  return v === '0' ? 0 : parseCount(flag, v);
}

/** The stages of a `--stages` value: names from {@link SCALE_STAGES}, comma-separated, or `all`; run in the bench's order. */
export function parseStages(v: string): ScaleStage[] {
  if (v === 'all') return [...SCALE_STAGES];
  const names = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = names.filter((s) => !(SCALE_STAGES as readonly string[]).includes(s));
  if (names.length === 0 || bad.length > 0) throw new Error(`--stages: unknown stage ${bad.length > 0 ? bad.map((s) => JSON.stringify(s)).join(', ') : '(none given)'} (known: ${SCALE_STAGES.join(', ')}, or all)`);
  return SCALE_STAGES.filter((s) => names.includes(s));
}

/**
 * Reads the bench's flags (errors name the flag and the allowed values).
 *
 * @example
 * ```ts
 * parseScaleArgs(['--interactions', '10M', '--stages', 'load,hinge-x1']).users; // 48,019
 * ```
 */
export function parseScaleArgs(argv: string[]): ScaleArgs {
  const a: ScaleArgs = {
    interactions: 100_000_000, users: 0, items: 0, seed: 1, data: null, stages: [...DEFAULT_STAGES],
    evalUsers: 10_000, requests: 200, recommendUsers: 20_000, lrml: null, workdir: null, keep: false, json: false,
  };
  readFlags(argv, {
    '--interactions': (v) => (a.interactions = parseCount('--interactions', v())),
    '--users': (v) => (a.users = parseCount('--users', v())),
    '--items': (v) => (a.items = parseCount('--items', v())),
    '--seed': (v) => (a.seed = nonNegative('--seed', v())),
    '--data': (v) => (a.data = v()),
    '--stages': (v) => (a.stages = parseStages(v())),
    '--eval-users': (v) => (a.evalUsers = parseCount('--eval-users', v())),
    '--requests': (v) => (a.requests = parseCount('--requests', v())),
    '--recommend-users': (v) => (a.recommendUsers = nonNegative('--recommend-users', v())),
    '--lrml': (v) => (a.lrml = v()),
    '--workdir': (v) => (a.workdir = v()),
    '--keep': () => (a.keep = true),
    '--json': () => (a.json = true),
  }, SCALE_USAGE);
  if (a.users === 0) a.users = Math.max(10, Math.round((NETFLIX.users * a.interactions) / NETFLIX.interactions));
  if (a.items === 0) a.items = NETFLIX.items;
  if (a.data === null && a.interactions > a.users * a.items) {
    throw new Error(`--interactions ${a.interactions}: more than --users × --items = ${a.users * a.items} (the pairs are distinct)`);
  }
  if (a.data !== null) a.stages = a.stages.filter((s) => s !== 'generate');
  return a;
}

/** One measured stage: its wall time, the peak RSS of its process, and what it reports. */
export interface StageResult {
  stage: string;
  /** The command it ran (for BENCHMARKS.md). */
  command: string;
  seconds: number;
  /** Peak resident set of the stage's process in bytes (process.resourceUsage().maxRSS), null when unknown. */
  peakRss: number | null;
  /** Free text: throughput, file size, …. */
  note: string;
  ok: boolean;
}

/** Bytes as MiB / GiB with 2 decimals (GiB from 1 GiB). */
export function formatBytes(b: number | null): string {
  if (b === null) return '-';
  return b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GiB` : `${(b / 2 ** 20).toFixed(0)} MiB`;
}

/** Seconds as `12.3 s` or `12 min 5 s`. */
export function formatSeconds(s: number): string {
  if (s < 120) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - 60 * m)} s`;
}

/**
 * The results as an aligned text table: stage, time, peak RSS, notes (a failed stage says so).
 *
 * @example
 * ```ts
 * scaleTable([{ stage: 'load', command: 'lrml info …', seconds: 38, peakRss: 1.6e9, note: '', ok: true }]);
 * ```
 */
export function scaleTable(rows: readonly StageResult[]): string {
  const cells = [['stage', 'time', 'peak RSS', 'notes'], ...rows.map((r) => [r.stage, formatSeconds(r.seconds), formatBytes(r.peakRss), r.ok ? r.note : `FAILED: ${r.note}`])];
  const width = [0, 1, 2].map((c) => Math.max(...cells.map((row) => row[c].length)));
  const line = (row: string[]): string => `${row[0].padEnd(width[0])}  ${row[1].padStart(width[1])}  ${row[2].padStart(width[2])}  ${row[3]}`.trimEnd();
  return [line(cells[0]), line(width.map((w) => '-'.repeat(w)).concat('-----')), ...cells.slice(1).map(line)].join('\n');
}

/** Users per second and the time all `total` users would take at that rate. */
export function extrapolate(users: number, seconds: number, total: number): { perSecond: number; allSeconds: number } {
  const perSecond = seconds > 0 ? users / seconds : 0;
  return { perSecond, allSeconds: perSecond > 0 ? total / perSecond : Infinity };
}
