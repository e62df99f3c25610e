// The relation-analysis report: linear probes of the relation vectors, their PCA projection
// coloured by rating / time / genre, how concentrated the memory attention is, and the items
// each memory slot is about. Draws a RelationAnalysis (src/analyze/types.ts). Node-side.

import type { ProbeFeatures, ProjectedPair, RelationAnalysis } from '../analyze/types.js';
import { attentionSignal, attentionSignalText } from '../analyze/signal.js';
import { barChart, groupedBarChart, histogram, scatterChart } from './charts.js';
import type { GroupedBar } from './charts.js';
import { figure } from './html.js';
import type { Cell, Figure, Report, Section } from './html.js';

/** Options of {@link analysisReport}. */
export interface AnalysisReportOptions {
  /** Title (default "Relation analysis: KIND"). */
  title?: string;
  /** Model file, shown in the subtitle. */
  modelFile?: string;
  /** Items listed per slot in the table (default 8). */
  topItems?: number;
  /** Closing lines. */
  footer?: string | string[];
}

const FEATURES: ProbeFeatures[] = ['relation', 'joint', 'random'];

const FEATURE_TEXT: Record<ProbeFeatures, string> = {
  relation: 'relation r(u, i)',
  joint: 'joint p ⊙ q',
  random: 'random (chance)',
};

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const f3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '–');

/** One PCA scatter, coloured by one label, of the points that have it. */
async function projectionFigure(
  a: RelationAnalysis, name: string, label: 'rating' | 'time' | 'genre', title: string, caption: string,
): Promise<Figure | null> {
  const pts = a.projection.points.filter((p: ProjectedPair) => p[label] !== undefined);
  if (pts.length === 0) return null;
  const [v1, v2] = a.projection.explainedVariance;
  return figure(name, caption, scatterChart({
    title,
    subtitle: `PCA of ${pts.length} relation vectors; ${pct(v1 + v2)} of the variance in these two components`,
    xTitle: `PC1 (${pct(v1)} of variance)`,
    yTitle: `PC2 (${pct(v2)} of variance)`,
    color: { title: label === 'time' ? 'time (0 first, 1 last)' : label, type: label === 'genre' ? 'nominal' : 'quantitative' },
    points: pts.map((p) => ({ x: p.x, y: p.y, color: p[label] as string | number, tooltip: { user: p.user, item: p.item } })),
  }));
}

/** An item of a slot as text: `Title (id) 0.412`. */
function slotItemText(it: { id: string; title?: string; weight: number; pairs: number }): string {
  return `${it.title !== undefined && it.title !== '' ? `${it.title} (${it.id})` : it.id} ${it.weight.toFixed(3)}`;
}

/**
 * The report of a relation analysis: the probe table (accuracy and AUC ± std per target and
 * feature set) with a grouped bar chart of AUC, PCA scatters of the relation vectors coloured by
 * rating, time and genre (each only when that label is known), the attention (mean weight per
 * slot against uniform 1/N, histograms of normalised entropy and of the largest weight), the top
 * items per slot and the notes. Write it with {@link writeReport}.
 *
 * @example
 * ```ts
 * const analysis = await analyzeRelations(model, data, { seed: 1 });
 * await writeReport('runs/analysis', await analysisReport(analysis, { modelFile: 'm.lrml' }));
 * ```
 */
export async function analysisReport(a: RelationAnalysis, options: AnalysisReportOptions = {}): Promise<Report> {
  const sections: Section[] = [];
  const m = a.model;
  const N = a.attention.numMemories;
  const signalText = attentionSignalText(attentionSignal(a.attention));

  sections.push({
    heading: 'Summary',
    text: [
      ...(signalText === null ? [] : [signalText]),
      `${m.kind} model with d = ${m.dim} and N = ${m.numMemories} memory slots, ${m.numUsers} users × ${m.numItems} items. ${a.pairs} known (user, item) pairs analysed (a seeded sample, seed ${a.seed})${a.skippedPairs > 0 ? `; ${a.skippedPairs} pairs of the data skipped (user or item unknown to the model)` : ''}.`,
      'Probes ask whether a property of a pair can be read linearly from its relation vector r(u, i), compared with the attention\'s input p ⊙ q and with random vectors of the same size (chance). AUC 0.5 is chance.',
    ],
    tables: [{
      caption: 'Model and sample',
      columns: ['', 'value'],
      rows: [['kind', m.kind], ['dim', m.dim], ['memory slots', m.numMemories], ['users', m.numUsers], ['items', m.numItems], ['pairs analysed', a.pairs], ['pairs skipped', a.skippedPairs], ['seed', a.seed]],
    }],
  });

  // Probes.
  if (a.probes.length > 0) {
    const rows: Cell[][] = a.probes.map((p) => [
      p.target, p.description, p.n, p.positives, f3(p.majorityRate), p.folds,
      ...FEATURES.flatMap((f) => [f3(p.scores[f].accuracy), `${f3(p.scores[f].auc)} ± ${f3(p.scores[f].aucStd)}`]),
    ]);
    const bars: GroupedBar[] = a.probes.flatMap((p) => FEATURES.map((f) => ({
      group: p.target, series: FEATURE_TEXT[f], value: p.scores[f].auc, lo: p.scores[f].auc - p.scores[f].aucStd, hi: p.scores[f].auc + p.scores[f].aucStd,
    })));
    sections.push({
      heading: 'Probes',
      text: `Cross-validated logistic-regression probes (${a.probes[0].folds} folds); AUC ± standard deviation over the folds. Accuracy should be read against the majority rate.`,
      figures: [await figure('probe-auc', 'Held-out AUC of each probe by feature set; error bars: ± one standard deviation over the folds; the dashed line is chance (0.5).', groupedBarChart({
        title: 'What the relation vectors encode: probe AUC', subtitle: `${a.pairs} pairs, ${a.probes[0].folds}-fold cross-validation`,
        groupTitle: 'target', seriesTitle: 'features', yTitle: 'AUC (held-out)', yDomain: [0, 1], bars, markers: [{ at: 0.5, label: 'chance' }],
      }))],
      tables: [{
        caption: 'Probe results',
        columns: ['target', 'description', 'n', 'positives', 'majority rate', 'folds', ...FEATURES.flatMap((f) => [`${f} accuracy`, `${f} AUC ± std`])],
        rows,
      }],
    });
  } else {
    sections.push({ heading: 'Probes', text: 'No probe could be run (see the notes).' });
  }

  // Projection.
  const proj: Figure[] = [];
  const byRating = await projectionFigure(a, 'pca-rating', 'rating', 'Relation vectors (PCA) by rating', 'Each point is one (user, item) pair\'s relation vector projected on the first two principal components, coloured by the explicit rating.');
  const byTime = await projectionFigure(a, 'pca-time', 'time', 'Relation vectors (PCA) by time', 'The same projection coloured by the pair\'s chronological position in the user\'s history (0 = first interaction, 1 = last).');
  const byGenre = await projectionFigure(a, 'pca-genre', 'genre', 'Relation vectors (PCA) by genre', 'The same projection coloured by the item\'s first listed genre.');
  for (const f of [byRating, byTime, byGenre]) if (f !== null) proj.push(f);
  const [v1, v2] = a.projection.explainedVariance;
  const unlabeled = proj.length === 0 ? [`No rating, time or genre labels for the ${a.projection.points.length} projected pairs: no scatter drawn.`] : [];
  sections.push({
    heading: 'Projection',
    text: [`Principal component analysis of the relation vectors: the first two components explain ${pct(v1)} and ${pct(v2)} of the variance.`, ...unlabeled],
    figures: proj,
  });

  // Attention.
  const att = a.attention;
  const attFigures: Figure[] = [];
  if (N > 0 && att.meanBySlot.length > 0) {
    attFigures.push(await figure('attention-by-slot', `Mean attention weight of each memory slot over the analysed pairs; the dashed line is uniform attention (1/N = ${(1 / N).toFixed(3)}).`, barChart({
      title: 'Mean attention per memory slot', subtitle: `N = ${N} slots`, xTitle: 'slot', yTitle: 'mean attention weight',
      bars: att.meanBySlot.map((w, s) => ({ label: String(s), value: w })), markers: [{ at: 1 / N, label: 'uniform 1/N' }],
    })));
  }
  if (att.normalizedEntropy.length > 0) {
    attFigures.push(await figure('attention-entropy', 'Entropy of each pair\'s attention divided by log N: 1 = uniform over the slots, 0 = all weight on one slot.', histogram({
      title: 'Attention entropy per pair (normalised)', subtitle: `${att.normalizedEntropy.length} pairs`, xTitle: 'entropy / log N', yTitle: 'pairs',
      domain: [0, 1], bins: 25, series: [{ name: 'pairs', values: att.normalizedEntropy }], markers: [{ at: 1, label: 'uniform' }],
    })));
  }
  if (att.maxWeight.length > 0) {
    attFigures.push(await figure('attention-max-weight', `Largest attention weight of each pair: 1/N = ${N > 0 ? (1 / N).toFixed(3) : '–'} is uniform, 1 is a single slot.`, histogram({
      title: 'Largest attention weight per pair', subtitle: `${att.maxWeight.length} pairs`, xTitle: 'largest weight', yTitle: 'pairs',
      domain: [0, 1], bins: 25, series: [{ name: 'pairs', values: att.maxWeight }], markers: N > 0 ? [{ at: 1 / N, label: '1/N' }] : [],
    })));
  }
  const topN = options.topItems ?? 8;
  const slotRows: Cell[][] = [];
  for (let s = 0; s < N; s++) {
    const items = a.slots.find((x) => x.slot === s)?.items ?? [];
    slotRows.push([s, att.meanBySlot[s], att.argmaxShare[s], items.length === 0 ? '–' : items.slice(0, topN).map(slotItemText).join('; ')]);
  }
  sections.push({
    heading: 'Attention',
    text: ['How concentrated the memory attention is: a memory that attends uniformly gives every pair nearly the same relation vector.', ...(signalText === null ? [] : [signalText])],
    figures: attFigures,
    tables: [{ caption: `Memory slots: mean weight, share of pairs where the slot is the largest weight, and the items whose pairs attend most to it (mean weight over their pairs; top ${topN})`, columns: ['slot', 'mean weight', 'argmax share', 'top items'], rows: slotRows }],
  });

  if (a.notes.length > 0) sections.push({ heading: 'Notes', text: a.notes });

  return {
    title: options.title ?? `Relation analysis: ${m.kind}`,
    subtitle: options.modelFile,
    sections,
    footer: options.footer,
    details: {
      model: a.model, pairs: a.pairs, skippedPairs: a.skippedPairs, seed: a.seed, probes: a.probes,
      explainedVariance: a.projection.explainedVariance,
      attention: { numMemories: N, meanBySlot: att.meanBySlot, argmaxShare: att.argmaxShare, signal: attentionSignal(att) },
      slots: a.slots, notes: a.notes,
    },
  };
}
