import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { loadInteractions, toCsr } from '../../data/load.js';
import type { LoadSummary } from '../../data/types.js';
import { LrmlError } from '../../errors.js';
import { loadGivenNegatives } from '../../eval/negatives-file.js';
import { evaluateParallel } from '../../eval/parallel.js';
import { writePerUser } from '../../eval/per-user-file.js';
import type { EvalResult, GivenNegativesSummary, Protocol } from '../../eval/types.js';
import { loadModel } from '../../io/model-file.js';
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

/** The one JSON object `lrml evaluate --json` prints. */
export function evaluationJson(
  r: EvalResult, extra: { model: string; negatives: GivenNegativesSummary | null; trainUnknownLines: number; testUnknownLines: number },
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
    negatives: extra.negatives,
    trainUnknownLines: extra.trainUnknownLines,
    testUnknownLines: extra.testUnknownLines,
    seconds: r.seconds,
  };
}

/** The readable report of `lrml evaluate`. */
function evaluationText(r: EvalResult, negatives: GivenNegativesSummary | null, unknown: { train: number; test: number }): string {
  const proto = r.protocol === 'given' ? `given negatives (${negatives?.file ?? ''})` : r.protocol === 'sampled' ? 'sampled negatives' : 'full ranking';
  const lines = [
    `protocol: ${proto}; ties: ${r.tieRule} (a candidate scoring equal to a positive ranks above it)`,
    `${r.users} users, ${r.positives} positives ranked, ${r.meanCandidates.toFixed(2)} candidates per ranking${r.skipped > 0 ? `, ${r.skipped} test positives not ranked` : ''}`,
  ];
  if (r.droppedCandidates > 0) lines.push(`${r.droppedCandidates} given negatives dropped (equal to their own positive, or repeated)`);
  if (r.nanScores > 0) lines.push(`warning: ${r.nanScores} candidate scores were NaN (ranked last)`);
  if (negatives !== null && (negatives.skippedLines > 0 || negatives.unknownNegatives > 0)) {
    lines.push(`negatives file: ${negatives.skippedLines} lines and ${negatives.unknownNegatives} negatives skipped (ids unknown to the model)`);
  }
  if (unknown.train > 0 || unknown.test > 0) lines.push(`ids unknown to the model: ${unknown.train} train lines and ${unknown.test} test lines skipped`);
  const head = r.bootstrap > 0 ? ['metric', 'value', `95% interval (${r.bootstrap} bootstrap resamples over users)`] : ['metric', 'value'];
  const rows: (string | number)[][] = [head];
  for (const [key, v] of Object.entries(r.metrics)) {
    const iv = r.intervals[key];
    rows.push(iv === undefined ? [key, v.toFixed(4)] : [key, v.toFixed(4), `[${iv[0].toFixed(4)}, ${iv[1].toFixed(4)}]`]);
  }
  lines.push('', formatTable(rows), '', `${r.seconds.toFixed(2)} s`);
  return `${lines.join('\n')}\n`;
}

/**
 * Registers `lrml evaluate`: loads a model file, the train and test files with the model's id maps
 * (frozen), ranks the test positives with one protocol and prints the metrics (a table, or one
 * JSON object with `--json`), with bootstrap 95% intervals over users.
 *
 * @example
 * ```ts
 * registerEvaluate(program);
 * await program.parseAsync(['node', 'lrml', 'evaluate', '--model', 'm.lrml', '--train', 'ml-1m.train.pairs.gz',
 *   '--test', 'ml-1m.test.rating', '--negatives', 'ml-1m.test.negative.gz', '--json']);
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
    .option('--bootstrap <n>', 'bootstrap resamples over users for 95% intervals; 0 = none (default 1000)', parseInteger('--bootstrap'))
    .option('--per-user <file>', 'write per-user metrics: TSV, or JSON lines when the name ends in .jsonl')
    .option('--threads <n>', `worker threads (default ${availableParallelism()}: all cores)`, parseInteger('--threads'))
    .option('--skip-unknown', 'skip negatives-file lines and negatives whose ids the model does not know (default: stop with an error)')
    .option('--json', 'print one JSON object on stdout')
    .option('--quiet', 'no progress on stderr');
  addDataOptions(cmd);
  cmd.action(async (opts: Record<string, unknown>) => {
    const kind = protocolFlag(opts);
    if (opts.sampled !== undefined && (opts.sampled as number) <= 0) throw new LrmlError('BAD_OPTION', `--sampled: ${String(opts.sampled)} is not a positive integer (e.g. --sampled 100)`);
    const dataOpts = dataOptionsFrom(opts);
    const modelPath = String(opts.model);
    const lm = await loadModel(modelPath);
    const load = (path: string) => loadInteractions(path, { ...dataOpts, users: lm.users, items: lm.items, frozen: true });
    const trainData = await load(String(opts.train));
    const testData = await load(String(opts.test));
    const train = toCsr(trainData);
    const test = toCsr(testData);
    const seed = (opts.seed as number | undefined) ?? 0;
    let negatives: GivenNegativesSummary | null = null;
    let protocol: Protocol;
    if (kind === 'given') {
      const cases = await loadGivenNegatives(String(opts.negatives), lm.users, lm.items, { unknown: opts.skipUnknown === true ? 'skip' : 'error' });
      negatives = cases.summary;
      protocol = { kind: 'given', cases };
    } else if (kind === 'sampled') {
      protocol = { kind: 'sampled', negatives: opts.sampled as number, seed };
    } else {
      protocol = { kind: 'full' };
    }
    const showProgress = opts.quiet !== true && opts.json !== true && process.stderr.isTTY === true;
    let last = 0;
    const result = await evaluateParallel(lm.model, train, test, protocol, {
      k: opts.k as number[] | undefined,
      bootstrap: opts.bootstrap as number | undefined,
      seed,
      perUser: opts.perUser !== undefined,
      threads: opts.threads as number | undefined,
      onProgress: showProgress
        ? (p) => {
          const now = performance.now();
          if (now - last < 200 && p.done < p.total) return;
          last = now;
          process.stderr.write(`\revaluating: ${p.done}/${p.total} users`);
        }
        : undefined,
    });
    if (showProgress) process.stderr.write('\r\x1b[K');
    if (opts.perUser !== undefined) await writePerUser(String(opts.perUser), result, lm.users);
    const unknown = { train: unknownLines(trainData.summary), test: unknownLines(testData.summary) };
    if (opts.json === true) {
      const o = evaluationJson(result, { model: modelPath, negatives, trainUnknownLines: unknown.train, testUnknownLines: unknown.test });
      process.stdout.write(`${JSON.stringify(o)}\n`);
    } else {
      process.stdout.write(evaluationText(result, negatives, unknown));
      if (opts.perUser !== undefined) process.stdout.write(`per-user metrics written to ${String(opts.perUser)}\n`);
    }
  });
}
