// The evaluation report: metric table with 95% intervals, per-user distributions (nDCG, rank of
// the held-out item), and the comparison of models (each metric per model with intervals; paired
// bootstrap differences against the first model). Node-side (src/report).

import { compareModels } from '../eval/bootstrap.js';
import type { Comparison, EvalResult } from '../eval/types.js';
import { LrmlError } from '../errors.js';
import { barChart, groupedBarChart, histogram } from './charts.js';
import type { GroupedBar } from './charts.js';
import { figure } from './html.js';
import type { Cell, Figure, Report, Section } from './html.js';

/** One evaluated model: a display name and its result (with per-user metrics for the distributions). */
export interface EvaluatedModel {
  name: string;
  result: EvalResult;
}

/** A paired comparison of the first (reference) model with the model named `name`. */
export interface NamedComparison {
  name: string;
  /** `compareModels(reference, other)`: differences are reference − other. */
  comparison: Comparison;
}

/** What {@link evaluationReport} draws from. */
export interface EvaluationReportInput {
  /** The models, the first one being the reference of the paired comparisons. */
  models: EvaluatedModel[];
  /** Paired comparisons of the first model with each other one (default: computed with compareModels when per-user metrics exist). */
  comparisons?: NamedComparison[];
  /** The protocol in words (default from the result). */
  protocol?: string;
  /** The files evaluated on. */
  data?: { train?: string; test?: string; negatives?: string | null };
  /** Further remarks shown in the summary. */
  notes?: string[];
  /** Title (default "Evaluation report"). */
  title?: string;
  /** Closing lines. */
  footer?: string | string[];
}

const PROTOCOL_TEXT: Record<string, string> = {
  given: 'given negatives: each held-out positive ranked against the fixed negatives of a file',
  sampled: 'sampled negatives: each held-out positive ranked against items the user never interacted with, drawn uniformly (seeded)',
  full: 'full ranking: every item except the user\'s training items',
};

/** The cut-off used for the distributions: 10 when evaluated, else the first. */
function mainK(r: EvalResult): number {
  return r.k.includes(10) ? 10 : r.k[0];
}

/**
 * Rank of the held-out item per user, where it is one number: 1 / reciprocal rank, for users
 * with one ranked positive (given, sampled) or for every user (full ranking: the best-ranked
 * held-out item). Empty without per-user `mrr`.
 *
 * @example
 * ```ts
 * heldOutRanks(evaluate(model, train, test, { kind: 'full' }, { perUser: true })); // Int32Array of ranks ≥ 1
 * ```
 */
export function heldOutRanks(r: EvalResult): Int32Array {
  const pu = r.perUser;
  const rr = pu?.metrics.mrr;
  if (pu === null || rr === undefined) return new Int32Array(0);
  const out: number[] = [];
  for (let t = 0; t < rr.length; t++) {
    if (rr[t] > 0 && (r.protocol === 'full' || pu.positives[t] === 1)) out.push(Math.round(1 / rr[t]));
  }
  return Int32Array.from(out);
}

/**
 * Power-of-two rank buckets (`1`, `2–3`, `4–7`, …) up to the largest rank, with counts.
 *
 * @example
 * ```ts
 * rankBuckets(Int32Array.of(1, 2, 3, 9), 9); // [{ label: '1', count: 1 }, { label: '2–3', count: 2 }, { label: '4–7', count: 0 }, { label: '8–15', count: 1 }]
 * ```
 */
export function rankBuckets(ranks: Int32Array, maxRank: number): { label: string; lo: number; hi: number; count: number }[] {
  const out: { label: string; lo: number; hi: number; count: number }[] = [];
  for (let lo = 1; lo <= Math.max(1, maxRank); lo *= 2) out.push({ label: lo === 1 ? '1' : `${lo}–${2 * lo - 1}`, lo, hi: 2 * lo - 1, count: 0 });
  for (const x of ranks) {
    const b = Math.min(out.length - 1, Math.floor(Math.log2(Math.max(1, x))));
    out[b].count++;
  }
  return out;
}

/**
 * Names made unique (a repeated name gets " (2)", " (3)", …).
 *
 * @example
 * ```ts
 * uniqueNames(['lrml', 'cml', 'lrml']); // ['lrml', 'cml', 'lrml (2)']
 * ```
 */
export function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const c = (seen.get(n) ?? 0) + 1;
    seen.set(n, c);
    return c === 1 ? n : `${n} (${c})`;
  });
}

const f4 = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : '–');
const interval = (iv: [number, number] | undefined): string => (iv === undefined ? '–' : `[${f4(iv[0])}, ${f4(iv[1])}]`);

/**
 * The evaluation report of one or more models on the same data and protocol: summary, a table of
 * every metric with its bootstrap 95% interval, a chart of each metric per model with interval
 * error bars, the paired differences against the first model (table and chart), and per-user
 * distributions of nDCG@K and of the held-out item's rank (when evaluated with `perUser: true`).
 *
 * @example
 * ```ts
 * const a = evaluate(lrml, train, test, { kind: 'full' }, { perUser: true });
 * const b = evaluate(cml, train, test, { kind: 'full' }, { perUser: true });
 * const report = await evaluationReport({ models: [{ name: 'lrml', result: a }, { name: 'cml', result: b }] });
 * await writeReport('runs/eval', report);
 * ```
 */
export async function evaluationReport(input: EvaluationReportInput): Promise<Report> {
  if (input.models.length === 0) throw new LrmlError('BAD_OPTION', 'evaluationReport: no models given (expected at least one { name, result })');
  const names = uniqueNames(input.models.map((m) => m.name));
  const models = input.models.map((m, k) => ({ name: names[k], result: m.result }));
  const ref = models[0];
  const protocols = [...new Set(models.map((m) => m.result.protocol))];
  if (protocols.length > 1) throw new LrmlError('BAD_OPTION', `evaluationReport: the models were evaluated with different protocols (${protocols.join(', ')}); compare models on one protocol`);
  const notes = [...(input.notes ?? [])];
  let comparisons = input.comparisons?.map((c) => ({ name: c.name, comparison: c.comparison }));
  if (comparisons === undefined) {
    comparisons = [];
    if (models.length > 1) {
      if (models.every((m) => m.result.perUser !== null)) {
        const bootstrap = ref.result.bootstrap > 0 ? ref.result.bootstrap : 1000;
        for (const m of models.slice(1)) comparisons.push({ name: m.name, comparison: compareModels(ref.result, m.result, { bootstrap, seed: ref.result.seed }) });
      } else {
        notes.push('No paired differences: they need per-user metrics of every model (evaluate with perUser: true).');
      }
    }
  }
  const keys = Object.keys(ref.result.metrics);
  const sections: Section[] = [];

  // Summary.
  const proto = input.protocol ?? PROTOCOL_TEXT[ref.result.protocol] ?? ref.result.protocol;
  const text = [
    `Protocol: ${proto}. Ties are pessimistic (a candidate scoring equal to a positive ranks above it).`,
    `Metrics are means over users; 95% intervals are percentile bootstrap intervals over users (${ref.result.bootstrap > 0 ? `${ref.result.bootstrap} resamples, seed ${ref.result.seed}` : 'none computed: bootstrap 0'}).`,
  ];
  if (input.data !== undefined) {
    const files = [input.data.train !== undefined ? `train ${input.data.train}` : '', input.data.test !== undefined ? `test ${input.data.test}` : '', input.data.negatives ? `negatives ${input.data.negatives}` : ''].filter((s) => s !== '');
    if (files.length > 0) text.push(`Data: ${files.join('; ')}.`);
  }
  text.push(...notes);
  sections.push({
    heading: 'Summary',
    text,
    tables: [{
      caption: 'Evaluations',
      columns: ['model', 'protocol', 'users', 'positives ranked', 'not ranked', 'candidates per ranking', 'NaN scores', 'seconds'],
      rows: models.map((m) => [m.name, m.result.protocol, m.result.users, m.result.positives, m.result.skipped, m.result.meanCandidates, m.result.nanScores, m.result.seconds]),
    }],
  });

  // Metrics with intervals, per model.
  const bars: GroupedBar[] = [];
  for (const key of keys) {
    for (const m of models) {
      const v = m.result.metrics[key];
      if (v === undefined) continue;
      const iv = m.result.intervals[key];
      bars.push(iv === undefined ? { group: key, series: m.name, value: v } : { group: key, series: m.name, value: v, lo: iv[0], hi: iv[1] });
    }
  }
  const metricFigures: Figure[] = [await figure('metrics', `Each metric per model (mean over users)${ref.result.bootstrap > 0 ? ' with its bootstrap 95% interval as an error bar' : ''}.`, groupedBarChart({
    title: models.length > 1 ? 'Metrics by model' : `Metrics — ${ref.name}`,
    subtitle: `${ref.result.protocol} protocol, ${ref.result.users} users${ref.result.bootstrap > 0 ? '; error bars: 95% bootstrap intervals' : ''}`,
    groupTitle: 'metric', seriesTitle: 'model', yTitle: 'mean over users', yDomain: [0, 1], bars,
  }))];
  sections.push({
    heading: 'Metrics',
    figures: metricFigures,
    tables: [{
      caption: 'Metrics (mean over users) and bootstrap 95% intervals',
      columns: ['metric', ...models.flatMap((m) => [m.name, `${m.name} 95% interval`])],
      rows: keys.map((key) => [key, ...models.flatMap((m) => [m.result.metrics[key] === undefined ? null : f4(m.result.metrics[key]), interval(m.result.intervals[key])])]),
    }],
  });

  // Paired differences.
  if (comparisons.length > 0) {
    const rows: Cell[][] = [];
    const dbars: GroupedBar[] = [];
    for (const c of comparisons) {
      for (const [key, mc] of Object.entries(c.comparison.metrics)) {
        rows.push([c.name, key, f4(mc.a), f4(mc.b), f4(mc.diff), interval(mc.interval), mc.pValue === 0 ? `< ${1 / c.comparison.bootstrap}` : mc.pValue.toFixed(3)]);
        dbars.push({ group: key, series: `${ref.name} − ${c.name}`, value: mc.diff, lo: mc.interval[0], hi: mc.interval[1] });
      }
    }
    const c0 = comparisons[0].comparison;
    sections.push({
      heading: 'Paired differences',
      text: [
        `Each model against the reference ${ref.name}: difference = ${ref.name} − model, per user, averaged; 95% intervals from ${c0.bootstrap} paired bootstrap resamples over the same ${c0.users} users (seed ${c0.seed}). An interval that excludes 0 marks a difference beyond resampling noise; the p-value is two-sided ("< 1/B": no resample crossed 0).`,
      ],
      figures: [await figure('differences', `Mean per-user difference ${ref.name} − model for each metric, with its paired bootstrap 95% interval; above 0 the reference is better.`, groupedBarChart({
        title: `Paired differences against ${ref.name}`,
        subtitle: `${c0.users} users, ${c0.bootstrap} paired bootstrap resamples`,
        groupTitle: 'metric', seriesTitle: 'difference', yTitle: 'mean difference', bars: dbars,
        markers: [{ at: 0, label: 'no difference' }],
      }))],
      tables: [{ caption: `Paired differences (${ref.name} − model)`, columns: ['model', 'metric', `${ref.name} (reference)`, 'model value', 'difference', '95% interval', 'p-value'], rows }],
    });
  }

  // Per-user distributions.
  const withPerUser = models.filter((m) => m.result.perUser !== null);
  if (withPerUser.length === 0) {
    sections.push({ heading: 'Per-user distributions', text: 'Not available: evaluate with per-user metrics (perUser: true, or lrml evaluate --report) to see them.' });
  } else {
    const k = mainK(ref.result);
    const key = `ndcg@${k}`;
    const figures: Figure[] = [];
    const text: string[] = [];
    const series = withPerUser.filter((m) => m.result.perUser?.metrics[key] !== undefined).map((m) => ({ name: m.name, values: (m.result.perUser as NonNullable<EvalResult['perUser']>).metrics[key] }));
    if (series.length > 0) {
      // Users whose held-out items all rank below K have nDCG@K = 0: usually most of them under
      // full ranking, so they are counted in words and the histogram shows the others.
      const zeros = series.map((x) => {
        let z = 0;
        for (const v of x.values) if (v === 0) z++;
        return z;
      });
      const positive = series.map((x) => ({ name: x.name, values: Float64Array.from(x.values).filter((v) => v > 0) }));
      series.forEach((x, t) => text.push(`${x.name}: ${((100 * zeros[t]) / Math.max(1, x.values.length)).toFixed(1)}% of ${x.values.length} users have ${key} = 0 (no held-out item in the top ${k}).`));
      if (positive.some((x) => x.values.length > 0)) {
        const zeroText = series.map((x, t) => `${series.length > 1 ? `${x.name} ` : ''}${((100 * zeros[t]) / Math.max(1, x.values.length)).toFixed(1)}%`).join(', ');
        figures.push(await figure(`per-user-ndcg-${k}`, `Distribution of ${key} over the users with ${key} > 0 (${series.length > 1 ? 'share of those users per bin, one line per model' : 'users per bin'}); users at 0 are not drawn (${zeroText} of users).`, histogram({
          title: `${key} per user (users with ${key} > 0)`, subtitle: `${ref.result.protocol} protocol; ${key} = 0 for ${zeroText} of users (not drawn)`,
          xTitle: key, yTitle: series.length > 1 ? 'share of users' : 'users',
          domain: [0, 1], bins: 20, series: positive, seriesTitle: 'model',
        })));
      }
    }
    const ranks = withPerUser.map((m) => ({ name: m.name, ranks: heldOutRanks(m.result) })).filter((x) => x.ranks.length > 0);
    if (ranks.length > 0) {
      const maxRank = ranks.reduce((mx, x) => x.ranks.reduce((a, b) => Math.max(a, b), mx), 1);
      const what = ref.result.protocol === 'full' ? 'rank of the best-ranked held-out item' : 'rank of the held-out item (users with one ranked positive)';
      const caption = `Distribution of the ${what} in power-of-two buckets; rank 1 = the model put it first.`;
      if (ranks.length === 1) {
        const b = rankBuckets(ranks[0].ranks, maxRank);
        figures.push(await figure('per-user-rank', caption, barChart({
          title: 'Rank of the held-out item', subtitle: `${ranks[0].name}, ${ranks[0].ranks.length} users`, xTitle: 'rank', yTitle: 'share of users',
          bars: b.map((x) => ({ label: x.label, value: x.count / ranks[0].ranks.length })),
        })));
      } else {
        const gb: GroupedBar[] = [];
        for (const x of ranks) for (const b of rankBuckets(x.ranks, maxRank)) gb.push({ group: b.label, series: x.name, value: b.count / x.ranks.length });
        figures.push(await figure('per-user-rank', caption, groupedBarChart({
          title: 'Rank of the held-out item', subtitle: 'share of users per rank bucket', groupTitle: 'rank', seriesTitle: 'model', yTitle: 'share of users', bars: gb,
        })));
      }
      for (const x of ranks) {
        const s = Float64Array.from(x.ranks).sort();
        text.push(`${x.name}: median rank ${s[Math.floor((s.length - 1) / 2)]} over ${s.length} users.`);
      }
    }
    sections.push({ heading: 'Per-user distributions', text, figures });
  }

  return {
    title: input.title ?? (models.length > 1 ? `Evaluation report: ${models.map((m) => m.name).join(' vs ')}` : `Evaluation report: ${ref.name}`),
    subtitle: `${ref.result.protocol} protocol, ${ref.result.users} users, ${ref.result.positives} positives`,
    sections,
    footer: input.footer,
    details: {
      models: models.map((m) => ({ name: m.name, protocol: m.result.protocol, users: m.result.users, positives: m.result.positives, k: m.result.k, metrics: m.result.metrics, intervals: m.result.intervals, bootstrap: m.result.bootstrap, seed: m.result.seed })),
      comparisons,
      data: input.data ?? null,
    },
  };
}
