// The training report: learning curves (loss and validation metrics per epoch; LRML's attention
// entropy and logit range per epoch), the epochs table,
// the options used and the data summary. Node-side (src/report).

import type { EpochAttention, TrainReport } from '../models/types.js';
import { lineChart } from './charts.js';
import { figure } from './html.js';
import type { Cell, Figure, Report, Section, Table } from './html.js';

/** What {@link trainingReport} draws from. */
export interface TrainingReportInput {
  /** Model kind (e.g. `lrml`). */
  kind: string;
  /** The resolved options the model was trained with. */
  options: Record<string, unknown>;
  /** The trainer's report (epochs with loss, time, validation metrics; best epoch). */
  report: TrainReport;
  /** The training data: shape, and the loader's summary when known. */
  data?: { file?: string; users: number; items: number; interactions: number; summary?: Record<string, unknown> };
  /** How validation was done, in words (e.g. "ml-1m.valid.negative, given negatives; monitor ndcg@10"). */
  validation?: string;
  /** Where the model was saved. */
  modelFile?: string;
  /** Title (default "Training report: KIND"). */
  title?: string;
  /** Closing lines (e.g. the command, the date). */
  footer?: string | string[];
}

/**
 * A figure name from a metric key, unique within `taken`: `ndcg@10` → `validation-ndcg-10`.
 *
 * @example
 * ```ts
 * figureName('validation', 'ndcg@10', new Set()); // 'validation-ndcg-10'
 * ```
 */
export function figureName(prefix: string, key: string, taken: Set<string>): string {
  const base = `${prefix}-${key.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'metric'}`;
  let name = base;
  for (let k = 2; taken.has(name); k++) name = `${base}-${k}`;
  taken.add(name);
  return name;
}

/** An option value as a table cell. */
function optionCell(v: unknown): Cell {
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (v === null || v === undefined) return null;
  return JSON.stringify(v);
}

/** Validation metric keys over all epochs, in order of first appearance. */
function validationKeys(r: TrainReport): string[] {
  const keys: string[] = [];
  for (const e of r.epochs) for (const k of Object.keys(e.validation ?? {})) if (!keys.includes(k)) keys.push(k);
  return keys;
}

/**
 * The training report of one run: a learning curve of the loss, one curve per validation metric
 * with the best epoch marked, the table of epochs, the options used and the data summary. Write
 * it with {@link writeReport}; data.json holds every curve's points.
 *
 * @example
 * ```ts
 * let trainReport: TrainReport | undefined;
 * await family.fit(csr, options, { validation, onDone: (r) => { trainReport = r; } });
 * const report = await trainingReport({ kind: 'lrml', options, report: trainReport!,
 *   data: { users: csr.numRows, items: csr.numCols, interactions: csr.nnz } });
 * await writeReport('runs/lrml', report);
 * ```
 */
export async function trainingReport(input: TrainingReportInput): Promise<Report> {
  const r = input.report;
  const keys = validationKeys(r);
  const validated = keys.length > 0;
  const best = r.epochs.find((e) => e.epoch === r.bestEpoch);
  const bestMarker = best !== undefined && validated ? [{ at: best.epoch, label: `best epoch ${best.epoch}` }] : [];
  const figures: Figure[] = [];
  const taken = new Set<string>(['loss']);
  if (r.epochs.length > 0) {
    figures.push(await figure('loss', `Mean training loss per positive, per epoch (${r.epochs.length} epochs)${bestMarker.length > 0 ? `; the dashed line marks the best epoch by validation, whose weights the model keeps` : ''}.`, lineChart({
      title: `Training loss — ${input.kind}`,
      subtitle: `${r.epochs.length} epochs${r.stoppedEarly ? ', stopped early' : ''}`,
      xTitle: 'epoch', yTitle: 'mean loss per positive', integerX: true,
      series: [{ name: 'training loss', points: r.epochs.map((e) => ({ x: e.epoch, y: e.loss })) }],
      markers: bestMarker,
    })));
  }
  for (const key of keys) {
    const points = r.epochs.filter((e) => e.validation?.[key] !== undefined).map((e) => ({ x: e.epoch, y: (e.validation as Record<string, number>)[key] }));
    const bestValue = r.bestValidation?.[key];
    figures.push(await figure(figureName('validation', key, taken), `Validation ${key} after each evaluated epoch (${points.length} points)${bestValue !== undefined && best !== undefined ? `; best epoch ${best.epoch}: ${bestValue.toFixed(4)}` : ''}.`, lineChart({
      title: `Validation ${key} — ${input.kind}`,
      subtitle: input.validation,
      xTitle: 'epoch', yTitle: key, integerX: true,
      series: [{ name: key, points }],
      markers: bestMarker,
    })));
  }

  const att = r.epochs.filter((e) => e.attention !== undefined);
  if (att.length > 0) {
    const pts = (f: (a: EpochAttention) => number): { x: number; y: number }[] => att.map((e) => ({ x: e.epoch, y: f(e.attention as EpochAttention) }));
    const first = att[0].attention as EpochAttention;
    figures.push(await figure(figureName('attention', 'entropy', taken), `Memory attention after each epoch, on the same ${first.pairs} training pairs every epoch: mean normalised entropy (1 = uniform) and mean largest weight (1/N = uniform); the memory can only make the relation pair-specific when these fall.`, lineChart({
      title: `Attention entropy — ${input.kind}`,
      subtitle: `${first.pairs} fixed training pairs`,
      xTitle: 'epoch', yTitle: 'mean per pair', integerX: true,
      series: [
        { name: 'normalised entropy', points: pts((a) => a.meanNormalizedEntropy) },
        { name: 'largest weight', points: pts((a) => a.meanMaxWeight) },
      ],
    })));
    figures.push(await figure(figureName('attention', 'logit range', taken), `Logit range max − min of K (p ⊙ q) per pair after each epoch (mean and largest over the ${first.pairs} pairs), and the spread of r across ${first.users} fixed users' items (√(mean ‖r − r̄‖²) / ‖r̄‖).`, lineChart({
      title: `Attention logit range — ${input.kind}`,
      subtitle: `${first.pairs} fixed training pairs, ${first.users} fixed users`,
      xTitle: 'epoch', yTitle: 'logit range / relative spread', integerX: true,
      series: [
        { name: 'mean logit range', points: pts((a) => a.meanLogitRange) },
        { name: 'largest logit range', points: pts((a) => a.maxLogitRange) },
        { name: 'r spread across items', points: pts((a) => a.relationSpread) },
      ],
    })));
  }

  const attCols = att.length > 0 ? ['attention entropy', 'mean logit range', 'max logit range', 'r spread'] : [];
  const epochs: Table = {
    caption: 'Epochs',
    columns: ['epoch', 'loss', 'seconds', 'per second', ...keys, ...attCols, 'best'],
    rows: r.epochs.map((e) => [e.epoch, e.loss, e.seconds, Math.round(e.perSecond), ...keys.map((k) => e.validation?.[k]),
      ...(attCols.length === 0 ? [] : [e.attention?.meanNormalizedEntropy, e.attention?.meanLogitRange, e.attention?.maxLogitRange, e.attention?.relationSpread]),
      e.epoch === r.bestEpoch ? 'best' : '']),
  };
  const summaryRows: Cell[][] = [
    ['model', input.kind],
    ['epochs run', r.epochs.length],
    ['best epoch (weights kept)', r.bestEpoch],
    ['stopped early', r.stoppedEarly ? 'yes' : 'no'],
    ['training seconds', r.seconds],
  ];
  for (const [k, v] of Object.entries(r.bestValidation ?? {})) summaryRows.push([`best validation ${k}`, v]);
  if (input.validation !== undefined) summaryRows.push(['validation', input.validation]);
  if (input.modelFile !== undefined) summaryRows.push(['model file', input.modelFile]);

  const sections: Section[] = [];
  const lead = [`${input.kind} trained for ${r.epochs.length} epoch${r.epochs.length === 1 ? '' : 's'} in ${r.seconds.toFixed(1)} s${r.stoppedEarly ? ' (stopped early: no validation gain for the patience given)' : ''}.`];
  if (input.data !== undefined) lead.push(`Data: ${input.data.users} users × ${input.data.items} items, ${input.data.interactions} interactions${input.data.file !== undefined ? ` (${input.data.file})` : ''}.`);
  lead.push(validated
    ? `Validation metrics were computed on held-out data during training; the model keeps the weights of epoch ${r.bestEpoch}. These are validation figures, not test scores.`
    : 'No validation during training: the curves show the training loss only, and the model holds the last epoch\'s weights.');
  sections.push({ heading: 'Summary', text: lead, tables: [{ caption: 'Run', columns: ['', 'value'], rows: summaryRows }] });
  sections.push({
    heading: 'Learning curves',
    text: r.epochs.length === 0 ? 'No epochs were recorded.' : undefined,
    figures,
  });
  sections.push({ heading: 'Epochs', tables: [epochs] });
  sections.push({
    heading: 'Options',
    tables: [{ caption: `Options of ${input.kind} (resolved, defaults included)`, columns: ['option', 'value'], rows: Object.entries(input.options).map(([k, v]) => [k, optionCell(v)]) }],
  });
  if (input.data !== undefined) {
    const rows: Cell[][] = [['users', input.data.users], ['items', input.data.items], ['interactions', input.data.interactions]];
    if (input.data.file !== undefined) rows.unshift(['file', input.data.file]);
    for (const [k, v] of Object.entries(input.data.summary ?? {})) if (typeof v !== 'object' || v === null) rows.push([k, optionCell(v)]);
    sections.push({ heading: 'Data', tables: [{ caption: 'Training data', columns: ['', 'value'], rows }] });
  }
  return {
    title: input.title ?? `Training report: ${input.kind}`,
    subtitle: input.data?.file,
    sections,
    footer: input.footer,
    details: { kind: input.kind, options: input.options, train: input.report, data: input.data ?? null, validation: input.validation ?? null, modelFile: input.modelFile ?? null },
  };
}
