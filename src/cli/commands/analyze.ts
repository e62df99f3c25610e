import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { analyzeRelations, attentionSignal, attentionSignalText, labelledPairs, type AnalyzeProgress, type LabelledPairsOptions } from '../../analyze/index.js';
import type { RelationAnalysis } from '../../analyze/types.js';
import { loadInteractions } from '../../data/load.js';
import { loadIdMapFile, loadItemsFile, loadUsersFile } from '../../data/side-info.js';
import { LrmlError, oneOf, relabelOption } from '../../errors.js';
import { writeFileAtomic } from '../../fs-atomic.js';
import { loadModel } from '../../io/model-file.js';
import { addDataOptions, dataOptionsFrom } from '../data-options.js';
import { parseInteger, parseNumber } from '../options.js';
import { formatTable } from '../progress.js';
import { requireReportPackages } from '../report-deps.js';

/** The analysis as plain JSON (typed arrays → arrays). */
export function analysisJson(a: RelationAnalysis): Record<string, unknown> {
  const mean = (x: Float64Array): number => (x.length === 0 ? NaN : x.reduce((s, v) => s + v, 0) / x.length);
  const signal = attentionSignal(a.attention);
  return {
    ...a,
    attention: {
      ...a.attention,
      meanNormalizedEntropy: mean(a.attention.normalizedEntropy),
      meanMaxWeight: mean(a.attention.maxWeight),
      meanLogitRange: signal.meanLogitRange,
      nearUniform: signal.nearUniform,
      normalizedEntropy: Array.from(a.attention.normalizedEntropy),
      maxWeight: Array.from(a.attention.maxWeight),
      logitRange: Array.from(a.attention.logitRange ?? []),
    },
  };
}

/** The probe table of the text output. */
export function probeTable(a: RelationAnalysis): string {
  const f = (x: number): string => x.toFixed(3);
  const rows: (string | number)[][] = [['probe', 'pairs', 'positive', 'majority', 'AUC relation', 'AUC p⊙q', 'AUC random', 'acc relation', 'acc p⊙q']];
  for (const p of a.probes) {
    rows.push([p.target, p.n, p.positives, f(p.majorityRate), `${f(p.scores.relation.auc)} ± ${f(p.scores.relation.aucStd)}`,
      `${f(p.scores.joint.auc)} ± ${f(p.scores.joint.aucStd)}`, `${f(p.scores.random.auc)} ± ${f(p.scores.random.aucStd)}`,
      f(p.scores.relation.accuracy), f(p.scores.joint.accuracy)]);
  }
  return formatTable(rows);
}

/**
 * Registers `lrml analyze --model M --data F [--out DIR]`: what an LRML model's relation vectors
 * r(u, i) encode. Linear probes (cross-validated logistic regression) for rating, time, genre and
 * user attributes against p ⊙ q and random features; attention statistics; per-slot top items; a
 * PCA projection; with --out, a self-contained HTML report with SVG (+ PNG) plots and
 * analysis.json. See docs/analysis.md.
 *
 * @example
 * ```ts
 * registerAnalyze(program);
 * await program.parseAsync(['node', 'lrml', 'analyze', '--model', 'm.lrml', '--data', 'ratings.csv',
 *   '--items', 'movies.csv', '--out', 'runs/analysis']);
 * ```
 */
export function registerAnalyze(program: Command): void {
  const cmd = program
    .command('analyze')
    .description('what an LRML model\'s relation vectors encode: probes for rating, time, genre, user attributes; attention; PCA; HTML report')
    .requiredOption('--model <file>', 'LRML model file')
    .requiredOption('--data <file>', 'interactions to analyse, with ratings and timestamps when available (e.g. the training ratings)')
    .option('--out <dir>', 'write the report folder: index.html (self-contained), SVG (+ PNG) figures, data.json, analysis.json')
    .option('--items <file>', 'items file for titles and genres: MovieLens movies.csv, movies.dat or u.item')
    .option('--users <file>', 'users file for user attributes: MovieLens users.dat (or ML-100K u.user)')
    .option('--data-ids <which>', 'ids used by --data: model (the model\'s ids; default) | side (the side files\' ids, mapped by --item-map / --user-offset)')
    .option('--item-map <file>', 'TSV with a header: model item id → side-file item id (e.g. ml-1m/item_map.tsv)')
    .option('--user-offset <n>', 'side-file user id = model user id + n (NCF ML-1M: 1)', parseInteger('--user-offset'))
    .option('--seed <n>', 'seed of the samples, folds and random features (default 0)', parseInteger('--seed'))
    .option('--max-pairs <n>', 'pairs analysed at most, a seeded sample (default 20000)', parseInteger('--max-pairs'))
    .option('--max-probe-pairs <n>', 'pairs per probe at most (default 10000)', parseInteger('--max-probe-pairs'))
    .option('--folds <n>', 'cross-validation folds (default 5)', parseInteger('--folds'))
    .option('--lambda <x>', 'L2 penalty of the probes (default 0.01)', parseNumber('--lambda'))
    .option('--genres <n>', 'genre probes for the n most frequent genres (default 5)', parseInteger('--genres'))
    .option('--max-points <n>', 'points in the PCA plots at most (default 3000)', parseInteger('--max-points'))
    .option('--no-png', 'do not write PNG copies of the figures')
    .option('--json', 'print the analysis as one JSON object (without the per-pair arrays)')
    .option('--quiet', 'no progress on stderr');
  addDataOptions(cmd);
  cmd.action(async (opts: Record<string, unknown>) => {
    const dataIds = oneOf('--data-ids', String(opts.dataIds ?? 'model'), ['model', 'side'] as const);
    if (opts.out !== undefined) {
      await requireReportPackages('--out');
      await mkdir(String(opts.out), { recursive: true }).catch((e: Error) => {
        throw new LrmlError('WRITE_FAILED', `--out: cannot create folder ${String(opts.out)}: ${e.message}`);
      });
    }
    const showProgress = opts.quiet !== true && opts.json !== true && process.stderr.isTTY === true;
    const say = (s: string): void => {
      if (opts.quiet !== true && opts.json !== true) process.stderr.write(`${s}\n`);
    };
    const modelPath = String(opts.model);
    const lm = await loadModel(modelPath);
    const dataOpts = dataOptionsFrom(opts);
    const data = dataIds === 'model'
      ? await loadInteractions(String(opts.data), { ...dataOpts, users: lm.users, items: lm.items, frozen: true })
      : await loadInteractions(String(opts.data), dataOpts);
    const side: LabelledPairsOptions = { dataIds };
    if (opts.items !== undefined) side.items = await loadItemsFile(String(opts.items));
    if (opts.users !== undefined) side.users = await loadUsersFile(String(opts.users));
    if (opts.itemMap !== undefined) side.itemMap = await loadIdMapFile(String(opts.itemMap));
    if (opts.userOffset !== undefined) side.userOffset = opts.userOffset as number;
    const pairs = labelledPairs(lm, data, side);
    say(`analyze: ${pairs.user.length} pairs known to the model (${pairs.skipped ?? 0} skipped), ratings ${data.rating === null ? 'no' : 'yes'}, timestamps ${data.timestamp === null ? 'no' : 'yes'}`);
    let last = 0;
    const onProgress = showProgress
      ? (p: AnalyzeProgress): void => {
        const now = performance.now();
        if (now - last < 200 && p.done < p.total) return;
        last = now;
        process.stderr.write(`\r\x1b[K${p.stage}${p.target !== undefined ? ` ${p.target}` : ''}: ${p.done}/${p.total}`);
      }
      : undefined;
    const t0 = performance.now();
    const flags: Record<string, string> = { seed: '--seed', maxPairs: '--max-pairs', maxProbePairs: '--max-probe-pairs', folds: '--folds', lambda: '--lambda', genres: '--genres', maxPoints: '--max-points' };
    let a: RelationAnalysis;
    try {
      a = analyzeRelations(lm, pairs, {
        seed: opts.seed as number | undefined,
        maxPairs: opts.maxPairs as number | undefined,
        maxProbePairs: opts.maxProbePairs as number | undefined,
        folds: opts.folds as number | undefined,
        lambda: opts.lambda as number | undefined,
        genres: opts.genres as number | undefined,
        maxPoints: opts.maxPoints as number | undefined,
        onProgress,
      });
    } catch (e) {
      // name the flag, not the library option
      const flag = e instanceof LrmlError && e.option !== undefined ? flags[e.option.name] : undefined;
      throw flag !== undefined ? relabelOption(e as LrmlError, flag) : e;
    }
    if (showProgress) process.stderr.write('\r\x1b[K');
    const seconds = (performance.now() - t0) / 1000;
    const json = analysisJson(a);
    const signal = attentionSignal(a.attention);
    const signalText = attentionSignalText(signal);
    let index: string | null = null;
    if (opts.out !== undefined) {
      const dir = String(opts.out);
      const { analysisReport } = await import('../../report/analysis.js');
      const { writeReport } = await import('../../report/html.js');
      const report = await analysisReport(a, { modelFile: modelPath });
      await writeFileAtomic(join(dir, 'analysis.json'), `${JSON.stringify(json)}\n`);
      const written = await writeReport(dir, report, { png: opts.png !== false });
      index = written.index;
      if (written.png.unavailable !== null && opts.png !== false) say(`report: no PNG copies (${written.png.unavailable}); SVG figures written`);
    }
    if (opts.json === true) {
      const { projection: _p, ...rest } = json as Record<string, unknown> & { attention: Record<string, unknown> };
      const { normalizedEntropy: _e, maxWeight: _w, logitRange: _l, ...attention } = rest.attention;
      process.stdout.write(`${JSON.stringify({ ...rest, attention, projection: { method: a.projection.method, explainedVariance: a.projection.explainedVariance, points: a.projection.points.length }, seconds, report: index })}\n`);
      return;
    }
    const lines = [
      `${a.model.kind} d=${a.model.dim} N=${a.model.numMemories}: ${a.pairs} pairs analysed (seed ${a.seed}) in ${seconds.toFixed(1)} s`,
      probeTable(a),
      `attention: mean normalised entropy ${signal.meanNormalizedEntropy.toFixed(3)} (1 = uniform), mean largest weight ${signal.meanMaxWeight.toFixed(3)} (uniform ${(1 / a.attention.numMemories).toFixed(3)}), mean logit range ${signal.meanLogitRange.toFixed(2)} (0 = uniform)`,
      ...(signalText === null ? [] : [`note: ${signalText}`]),
      `PCA of r: the first two components explain ${(a.projection.explainedVariance[0] * 100).toFixed(1)}% and ${(a.projection.explainedVariance[1] * 100).toFixed(1)}% of the variance`,
      ...a.notes.map((n) => `note: ${n}`),
    ];
    if (index !== null) lines.push(`report written to ${index}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}
