import { checkOutputFile } from '../../fs-atomic.js';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { IdMap } from '../../data/idmap.js';
import { loadInteractions, toCsr } from '../../data/load.js';
import type { LoadSummary } from '../../data/types.js';
import { LrmlError } from '../../errors.js';
import { extendCatalogue, widenItems } from '../../eval/catalogue.js';
import { compareEvaluated, sameIdMap, type ModelComparison } from '../../eval/compare.js';
import { loadGivenNegatives } from '../../io/negatives-file.js';
import { evaluateParallel } from '../../io/eval-parallel.js';
import { writePerUser } from '../../io/per-user-file.js';
import { LRML_VERSION } from '../../version.js';
import { requireReportPackages } from '../report-deps.js';
import type { Comparison, EvalResult, GivenNegativesSummary, Protocol, UserSample } from '../../eval/types.js';
import { loadModel } from '../../io/model-file.js';
import type { LoadedModel } from '../../io/format.js';
import { addDataOptions, dataOptionsFrom } from '../data-options.js';
import { parseInteger, parseIntList } from '../options.js';
import { formatTable } from '../progress.js';

/** The protocol the flags ask for (exactly one of --negatives, --sampled, --full; default --full). */
function protocolFlag(opts: Record<string, unknown>): 'given' | 'sampled' | 'full' {
  const given: string[] = [];
  if (opts.negatives !== undefined) given.push('--negatives');
  if (opts.sampled !== undefined) given.push('--sampled');
  if (opts.full === true) given.push('--full');
  if (given.length > 1) throw new LrmlError('BAD_OPTION', `choose one protocol: ${given.join(' and ')} were both given (use one of --negatives FILE, --sampled N, --full)`);
  if (opts.negatives !== undefined) return 'given';
  if (opts.sampled !== undefined) return 'sampled';
  return 'full';
}

/** Lines a frozen-map load dropped because of ids the model does not know. */
function unknownLines(s: LoadSummary): number {
  return s.unknownLines ?? 0;
}

/** One model evaluated with `--compare`: its result and the paired comparison with the `--model` model. */
export interface ComparedModel {
  /** Model file as given. */
  model: string;
  result: EvalResult;
  /** `compareModels(reference, this)`: differences are reference − this model. */
  comparison: Comparison;
  /** Whether the model has the same user and item ids as the reference (else its data were loaded with its own id maps). */
  sameIdMaps: boolean;
}

/**
 * The one JSON object `lrml evaluate --json` prints: the `--model` result at the top level,
 * `comparisons` (one entry per `--compare` model; empty when none) and `report` (index.html
 * path, or null).
 *
 * @example
 * ```ts
 * evaluationJson(result, { model: 'm.lrml', negatives: null, trainUnknownLines: 0, testUnknownLines: 0 }).comparisons; // []
 * ```
 */
export function evaluationJson(
  r: EvalResult,
  extra: { model: string; negatives: GivenNegativesSummary | null; trainUnknownLines: number; testUnknownLines: number; comparisons?: ComparedModel[]; report?: string | null },
): Record<string, unknown> {
  return {
    model: extra.model,
    protocol: r.protocol,
    tieRule: r.tieRule,
    users: r.users,
    positives: r.positives,
    skipped: r.skipped,
    k: r.k,
    ...r.metrics,
    intervals: r.intervals,
    bootstrap: r.bootstrap,
    seed: r.seed,
    meanCandidates: r.meanCandidates,
    droppedCandidates: r.droppedCandidates,
    nanScores: r.nanScores,
    overlap: r.overlap,
    sample: r.sample,
    negatives: extra.negatives,
    trainUnknownLines: extra.trainUnknownLines,
    testUnknownLines: extra.testUnknownLines,
    seconds: r.seconds,
    comparisons: (extra.comparisons ?? []).map((c) => ({
      model: c.model,
      users: c.result.users,
      positives: c.result.positives,
      skipped: c.result.skipped,
      metrics: c.result.metrics,
      intervals: c.result.intervals,
      meanCandidates: c.result.meanCandidates,
      nanScores: c.result.nanScores,
      overlap: c.result.overlap,
      sameIdMaps: c.sameIdMaps,
      seconds: c.result.seconds,
      differences: c.comparison,
    })),
    report: extra.report ?? null,
  };
}

/** The comparisons as text: one table of paired differences (reference − other). */
function comparisonText(reference: string, compared: ComparedModel[]): string {
  if (compared.length === 0) return '';
  const c0 = compared[0].comparison;
  const rows: (string | number)[][] = [['model', 'metric', 'reference', 'model value', 'difference', '95% interval', 'p-value']];
  for (const c of compared) {
    for (const [key, m] of Object.entries(c.comparison.metrics)) {
      rows.push([c.model, key, m.a.toFixed(4), m.b.toFixed(4), m.diff.toFixed(4), `[${m.interval[0].toFixed(4)}, ${m.interval[1].toFixed(4)}]`, m.pValue === 0 ? `< ${1 / c.comparison.bootstrap}` : m.pValue.toFixed(3)]);
    }
  }
  const lines = [
    '',
    `models: ${reference} (reference), ${compared.map((c) => c.model).join(', ')}`,
    `paired differences: reference − model, per user; 95% intervals from ${c0.bootstrap} paired bootstrap resamples over ${c0.users} users`,
    ...compared.filter((c) => !c.sameIdMaps).map((c) => `note: ${c.model} has other user/item ids than the reference; its data were loaded with its own id maps and users matched by id`),
    '',
    formatTable(rows),
  ];
  return `${lines.join('\n')}\n`;
}

/** Collects a repeatable option into a list. */
function collectList(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

/**
 * The warning when test pairs are training pairs (train and test swapped?), or null.
 *
 * @example
 * ```ts
 * overlapWarning(result); // 'warning: 800 of 800 test pairs (100.0%) are training pairs (…)' or null
 * ```
 */
export function overlapWarning(r: EvalResult): string | null {
  const o = r.overlap;
  if (o.inTrain === 0 && (o.inSeen ?? 0) === 0) return null;
  const n = Math.round(o.fraction * o.pairs);
  const where = o.inSeen === null ? `${o.inTrain} in --train` : `${o.inSeen} in the model's training data, ${o.inTrain} in --train`;
  return `warning: ${n} of ${o.pairs} test pairs (${(100 * o.fraction).toFixed(1)}%) are training pairs (${where}): figures on them are training scores, not test scores (train and test files swapped?)`;
}

/**
 * The line saying that an evaluation ran on a user sample (`--users`).
 *
 * @example
 * ```ts
 * sampleText({ users: 500, of: 6040, seed: 0 }); // 'user sample: 500 of 6040 test users drawn at random (seed 0); metrics and intervals are over the sample'
 * ```
 */
export function sampleText(s: UserSample): string {
  if (s.users >= s.of) return `user sample: all ${s.of} test users (--users is at least their number: no sampling)`;
  return `user sample: ${s.users} of ${s.of} test users drawn at random (seed ${s.seed}); metrics and intervals are over the sample`;
}

/** The readable report of `lrml evaluate`. */
function evaluationText(r: EvalResult, negatives: GivenNegativesSummary | null, unknown: { train: number; test: number }): string {
  const proto = r.protocol === 'given' ? `given negatives (${negatives?.file ?? ''})` : r.protocol === 'sampled' ? 'sampled negatives' : 'full ranking';
  const lines = [
    `protocol: ${proto}; ties: ${r.tieRule} (a candidate scoring equal to a positive ranks above it)`,
    ...(r.sample === null ? [] : [sampleText(r.sample)]),
    `${r.users} users, ${r.positives} positives ranked, ${r.meanCandidates.toFixed(2)} candidates per ranking${r.skipped > 0 ? `, ${r.skipped} test positives not ranked` : ''}`,
  ];
  if (r.droppedCandidates > 0) lines.push(`${r.droppedCandidates} given negatives dropped (equal to their own positive, or repeated)`);
  if (r.nanScores > 0) lines.push(`warning: ${r.nanScores} candidate scores were NaN (ranked last)`);
  const overlap = overlapWarning(r);
  if (overlap !== null) lines.push(overlap);
  if (negatives !== null && (negatives.skippedLines > 0 || negatives.unknownNegatives > 0)) {
    lines.push(`negatives file: ${negatives.skippedLines} lines and ${negatives.unknownNegatives} negatives skipped (ids unknown to the model; bench/ml1m and BENCHMARKS.md instead keep them, with those items in the catalogue: --add-unknown-items)`);
  }
  if (negatives !== null && negatives.addedItems > 0) {
    lines.push(`negatives file: ${negatives.addedItems} items unknown to the model added to the catalogue as never-trained items, ranked below every known item (a test positive among them is a miss)`);
  }
  if (unknown.train > 0 || unknown.test > 0) lines.push(`ids unknown to the model: ${unknown.train} train lines and ${unknown.test} test lines skipped`);
  const head = r.bootstrap > 0 ? ['metric', 'value', `95% interval (${r.bootstrap} bootstrap resamples over users)`] : ['metric', 'value'];
  const rows: (string | number)[][] = [head];
  for (const [key, v] of Object.entries(r.metrics)) {
    const iv = r.intervals[key];
    rows.push(Number.isNaN(v) ? [key, 'n/a'] : iv === undefined ? [key, v.toFixed(4)] : [key, v.toFixed(4), `[${iv[0].toFixed(4)}, ${iv[1].toFixed(4)}]`]);
  }
  lines.push('', formatTable(rows), '', `${r.seconds.toFixed(2)} s`);
  return `${lines.join('\n')}\n`;
}

/**
 * Registers `lrml evaluate`: loads a model file, the train and test files with the model's id maps
 * (frozen), ranks the test positives with one protocol and prints the metrics (a table, or one
 * JSON object with `--json`), with bootstrap 95% intervals over users. `--compare FILE`
 * (repeatable) evaluates more models on the same data and protocol and adds paired bootstrap
 * differences against the first; `--report DIR` writes an HTML report with figures.
 *
 * @example
 * ```ts
 * registerEvaluate(program);
 * await program.parseAsync(['node', 'lrml', 'evaluate', '--model', 'm.lrml', '--train', 'ml-1m.train.pairs.gz',
 *   '--test', 'ml-1m.test.rating', '--negatives', 'ml-1m.test.negative.gz', '--json']);
 * await program.parseAsync(['node', 'lrml', 'evaluate', '--model', 'lrml.lrml', '--compare', 'cml.lrml',
 *   '--train', 'train.tsv', '--test', 'test.tsv', '--report', 'runs/compare']);
 * ```
 */
export function registerEvaluate(program: Command): void {
  const cmd = program
    .command('evaluate')
    .description('evaluate a saved model on held-out interactions: given negatives (NCF files), sampled negatives or full ranking')
    .requiredOption('--model <file>', 'model file (from lrml train)')
    .requiredOption('--train <file>', 'the training interactions (excluded from full ranking, never sampled as negatives)')
    .requiredOption('--test <file>', 'the held-out interactions: the positives to rank')
    .option('--negatives <file>', 'protocol given: NCF negatives file, lines "(user,item)<tab>neg1<tab>…" (gzip ok)')
    .option('--sampled <n>', 'protocol sampled: rank each positive against n unseen items drawn uniformly (paper protocol: 100)', parseInteger('--sampled'))
    .option('--full', 'protocol full: rank all items except the user\'s training items (the default)')
    .option('--seed <n>', 'seed of the sampled negatives and of the bootstrap (default 0)', parseInteger('--seed'))
    .option('--k <list>', 'cut-offs of hits/ndcg/recall/precision, e.g. 1,5,10 (default 10)', parseIntList('--k'))
    .option('--users <n>', 'evaluate a random sample of n test users, drawn with --seed (default: all; n ≥ the test users = all of them)', parseInteger('--users'))
    .option('--bootstrap <n>', 'bootstrap resamples over users for 95% intervals; 0 = none (default 1000)', parseInteger('--bootstrap'))
    .option('--beyond-accuracy', 'also report coverage@K, diversity@K and novelty@K of each evaluated user\'s top-K list (unseen items; definitions in docs/evaluation.md)')
    .option('--per-user <file>', 'write per-user metrics: TSV, or JSON lines when the name ends in .jsonl')
    .option('--threads <n>', `worker threads (default ${availableParallelism()}: all cores)`, parseInteger('--threads'))
    .option('--skip-unknown', 'skip negatives-file lines and negatives whose ids the model does not know (default: stop with an error)')
    .option('--add-unknown-items', 'with --negatives: items of the negatives file the model does not know join the catalogue as never-trained items, ranked below every known item, so every line is evaluated (the catalogue of bench/ml1m: 3,706 items, 6,040 users on the NCF ML-1M files)')
    .option('--compare <model-file>', 'also evaluate this model on the same data and protocol, with paired bootstrap differences against --model (repeatable)', collectList)
    .option('--report <dir>', 'write an evaluation report to this folder: index.html (self-contained), figures as SVG (+ PNG), data.json; collects per-user metrics')
    .option('--json', 'print one JSON object on stdout')
    .option('--quiet', 'no progress on stderr');
  addDataOptions(cmd);
  cmd.action(async (opts: Record<string, unknown>) => {
    const kind = protocolFlag(opts);
    if (opts.sampled !== undefined && (opts.sampled as number) <= 0) throw new LrmlError('BAD_OPTION', `--sampled: ${String(opts.sampled)} is not a positive integer (e.g. --sampled 100)`);
    if (opts.users !== undefined && (opts.users as number) < 1) throw new LrmlError('BAD_OPTION', `--users: ${String(opts.users)} is not a positive integer (the number of test users to sample, an integer ≥ 1, e.g. --users 1000)`);
    if (opts.users !== undefined && kind === 'given') throw new LrmlError('BAD_OPTION', '--users: a user sample applies to --full and --sampled (given negatives fix their cases)');
    const compareFiles = (opts.compare as string[] | undefined) ?? [];
    if (compareFiles.length > 0 && opts.bootstrap === 0) {
      throw new LrmlError('BAD_OPTION', '--compare: paired differences need bootstrap resamples, but --bootstrap 0 was given (use --bootstrap N with N > 0, default 1000)');
    }
    const addUnknown = opts.addUnknownItems === true;
    if (addUnknown && kind !== 'given') throw new LrmlError('BAD_OPTION', '--add-unknown-items needs --negatives FILE (it adds the items of the negatives file the model does not know)');
    if (addUnknown && opts.skipUnknown === true) throw new LrmlError('BAD_OPTION', 'give either --skip-unknown (skip lines and negatives with unknown ids) or --add-unknown-items (rank unknown items as never-trained ones), not both');
    const reportDir = opts.report === undefined ? null : String(opts.report);
    // fail before evaluating, not after, when the per-user file cannot be written
    if (opts.perUser !== undefined) await checkOutputFile(String(opts.perUser), '--per-user');
    if (reportDir !== null) await requireReportPackages('--report');
    const dataOpts = dataOptionsFrom(opts);
    const modelPath = String(opts.model);
    const seed = (opts.seed as number | undefined) ?? 0;

    /** Train and test matrices and the protocol, through one model's id maps. */
    const prepare = async (lm: LoadedModel) => {
      // --add-unknown-items: the negatives file first, its unknown items joining a copy of the model's item map
      const items = addUnknown ? IdMap.fromIds(lm.items.ids()) : lm.items;
      const readNegatives = () => loadGivenNegatives(String(opts.negatives), lm.users, items, { unknown: addUnknown ? 'add-items' : opts.skipUnknown === true ? 'skip' : 'error' });
      const early = addUnknown ? await readNegatives() : null;
      const load = (path: string) => loadInteractions(path, { ...dataOpts, users: lm.users, items, frozen: true });
      const trainData = await load(String(opts.train));
      const testData = await load(String(opts.test));
      let negatives: GivenNegativesSummary | null = null;
      let protocol: Protocol;
      if (kind === 'given') {
        const cases = early ?? await readNegatives();
        negatives = cases.summary;
        protocol = { kind: 'given', cases };
      } else if (kind === 'sampled') {
        protocol = { kind: 'sampled', negatives: opts.sampled as number, seed };
      } else {
        protocol = { kind: 'full' };
      }
      return { train: toCsr(trainData), test: toCsr(testData), trainData, testData, protocol, negatives, numItems: items.size };
    };

    const showProgress = opts.quiet !== true && opts.json !== true && process.stderr.isTTY === true;
    const run = async (lm: LoadedModel, d: Awaited<ReturnType<typeof prepare>>, label: string): Promise<EvalResult> => {
      let last = 0;
      const r = await evaluateParallel(extendCatalogue(lm.model, d.numItems), d.train, d.test, d.protocol, {
        k: opts.k as number[] | undefined,
        bootstrap: opts.bootstrap as number | undefined,
        seed,
        users: opts.users as number | undefined,
        perUser: opts.perUser !== undefined || reportDir !== null || compareFiles.length > 0,
        beyondAccuracy: opts.beyondAccuracy === true,
        threads: opts.threads as number | undefined,
        seen: lm.seen === null ? null : widenItems(lm.seen, d.numItems),
        onProgress: showProgress
          ? (p) => {
            const now = performance.now();
            if (now - last < 200 && p.done < p.total) return;
            last = now;
            process.stderr.write(`\revaluating ${label}: ${p.done}/${p.total} users`);
          }
          : undefined,
      });
      if (showProgress) process.stderr.write('\r\x1b[K');
      return r;
    };

    const lm = await loadModel(modelPath);
    const data = await prepare(lm);
    const result = await run(lm, data, modelPath);
    const compared: ComparedModel[] = [];
    for (const file of compareFiles) {
      const other = await loadModel(file);
      const same = sameIdMap(other.users, lm.users) && sameIdMap(other.items, lm.items);
      if (!same && kind === 'sampled') {
        throw new LrmlError('BAD_OPTION', `--compare ${file}: its user/item ids differ from ${modelPath}'s, so --sampled would draw different negatives for the two models; use --full or --negatives, or models trained on the same file`);
      }
      const r = await run(other, same ? data : await prepare(other), file);
      let paired: ModelComparison;
      try {
        paired = compareEvaluated({ result, users: lm.users, items: lm.items }, { result: r, users: other.users, items: other.items }, { bootstrap: (opts.bootstrap as number | undefined) ?? 1000, seed });
      } catch (e) {
        if (e instanceof LrmlError) throw new LrmlError(e.code, `--compare ${file}: ${e.message}`);
        throw e;
      }
      compared.push({ model: file, result: paired.other, comparison: paired.comparison, sameIdMaps: paired.sameIdMaps });
    }
    if (opts.perUser !== undefined) await writePerUser(String(opts.perUser), result, lm.users);
    const unknown = { train: unknownLines(data.trainData.summary), test: unknownLines(data.testData.summary) };

    let index: string | null = null;
    let pngNote: string | null = null;
    if (reportDir !== null) {
      // loaded on demand: the plotting stack (vega) takes a few hundred ms to import
      const { evaluationReport, uniqueNames } = await import('../../report/evaluation.js');
      const { writeReport } = await import('../../report/html.js');
      const notes = compared.filter((c) => !c.sameIdMaps).map((c) => `${c.model} has other user/item ids than ${modelPath}: its data were loaded with its own id maps and users matched by id.`);
      if (unknown.train > 0 || unknown.test > 0) notes.push(`Ids unknown to ${modelPath}: ${unknown.train} train lines and ${unknown.test} test lines skipped.`);
      const overlap = overlapWarning(result);
      if (overlap !== null) notes.push(`${overlap.replace(/^warning: /, 'Warning: ')}.`);
      if (data.negatives !== null && data.negatives.addedItems > 0) notes.push(`${data.negatives.addedItems} items of the negatives file unknown to ${modelPath} added to the catalogue as never-trained items, ranked below every known item.`);
      if (result.sample !== null) notes.push(`${sampleText(result.sample).replace(/^user sample/, 'User sample')}.`);
      if (result.droppedCandidates > 0) notes.push(`${result.droppedCandidates} given negatives dropped (equal to their own positive, or repeated).`);
      const names = uniqueNames([modelPath, ...compared.map((c) => c.model)].map((f) => basename(f).replace(/\.lrml$/, '')));
      const report = await evaluationReport({
        models: [{ name: names[0], result }, ...compared.map((c, k) => ({ name: names[k + 1], result: c.result }))],
        comparisons: compared.map((c, k) => ({ name: names[k + 1], comparison: c.comparison })),
        data: { train: String(opts.train), test: String(opts.test), negatives: opts.negatives === undefined ? null : String(opts.negatives) },
        notes,
        footer: `Written by lrml ${LRML_VERSION} (lrml evaluate): models ${[modelPath, ...compareFiles].join(', ')}.`,
      });
      const written = await writeReport(reportDir, report);
      index = written.index;
      pngNote = written.png.unavailable;
    }
    if (opts.json === true) {
      const o = evaluationJson(result, { model: modelPath, negatives: data.negatives, trainUnknownLines: unknown.train, testUnknownLines: unknown.test, comparisons: compared, report: index });
      process.stdout.write(`${JSON.stringify(o)}\n`);
      const overlap = overlapWarning(result);
      if (overlap !== null && opts.quiet !== true) process.stderr.write(`${overlap}\n`);
    } else {
      process.stdout.write(evaluationText(result, data.negatives, unknown));
      process.stdout.write(comparisonText(modelPath, compared));
      if (opts.perUser !== undefined) process.stdout.write(`per-user metrics written to ${String(opts.perUser)}\n`);
      if (index !== null) process.stdout.write(`report written to ${index}\n`);
    }
    if (pngNote !== null && opts.quiet !== true) process.stderr.write(`report: no PNG copies (${pngNote}); SVG figures written\n`);
  });
}
