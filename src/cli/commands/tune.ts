import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { loadInteractions } from '../../data/load.js';
import { toCsr } from '../../data/interactions.js';
import type { LoadOptions } from '../../data/types.js';
import { LrmlError } from '../../errors.js';
import { tuneFolder } from '../../io/tune-folder.js';
import { planTrials, tune, type SearchPlan, type SearchSpace, type TuneOutcome } from '../../train/tune.js';
import { TrainProgressBar, formatTable } from '../progress.js';
import { prepareValidation, type ValidationSpec } from '../validation.js';

/** The JSON file `lrml tune --config` reads. Paths are relative to the config file. */
export interface TuneConfig {
  model: string;
  /** Training interactions (for ML-1M: ml-1m.valid-train.pairs.gz, never the test files). */
  data: string;
  dataOptions?: LoadOptions;
  validation: ValidationSpec;
  /** Options every trial shares. */
  base?: Record<string, unknown>;
  space: SearchSpace;
  search?: SearchPlan['search'];
  trials?: number;
  seed?: number;
  /** Output folder (default: beside the config, `<config name>.out`). */
  out?: string;
}

function bad(file: string, msg: string): LrmlError {
  return new LrmlError('BAD_OPTION', `${file}: ${msg}`, { file });
}

/** Reads and validates a tune config file. */
export async function readTuneConfig(path: string): Promise<TuneConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new LrmlError('FILE_NOT_FOUND', `tune config not found: ${path}`, { file: path });
  }
  let c: TuneConfig;
  try {
    c = JSON.parse(text) as TuneConfig;
  } catch (e) {
    throw bad(path, `not valid JSON: ${(e as Error).message}`);
  }
  if (c === null || typeof c !== 'object') throw bad(path, 'must hold a JSON object');
  for (const key of ['model', 'data'] as const) if (typeof c[key] !== 'string') throw bad(path, `"${key}" must be a string`);
  if (typeof c.validation !== 'object' || c.validation === null) throw bad(path, '"validation" must be an object like {"negatives": "ml-1m.valid.negative.gz"}');
  if (typeof c.space !== 'object' || c.space === null) throw bad(path, '"space" must be an object of option → list of values');
  const known = ['model', 'data', 'dataOptions', 'validation', 'base', 'space', 'search', 'trials', 'seed', 'out'];
  for (const k of Object.keys(c)) if (!known.includes(k)) throw bad(path, `unknown key "${k}" (known: ${known.join(', ')})`);
  const here = dirname(resolve(path));
  const rel = (p: string): string => (isAbsolute(p) ? p : join(here, p));
  c.data = rel(c.data);
  if (c.validation.negatives !== undefined) c.validation.negatives = rel(c.validation.negatives);
  if (c.validation.test !== undefined) c.validation.test = rel(c.validation.test);
  c.out = c.out !== undefined ? rel(c.out) : `${resolve(path).replace(/\.json$/, '')}.out`;
  return c;
}

/** Registers `lrml tune`. */
export function registerTune(program: Command): void {
  program
    .command('tune')
    .description('grid or random search over training options, each trial scored on a validation split (resumable)')
    .requiredOption('--config <file>', 'search space JSON (see docs/tuning.md)')
    .option('--out <dir>', 'output folder (overrides the config)')
    .option('--json', 'print the best trial as JSON on stdout')
    .option('--quiet', 'no progress bar (one line per trial is still printed on stderr)')
    .action(async (opts: { config: string; out?: string; json?: boolean; quiet?: boolean }) => {
      const cfg = await readTuneConfig(opts.config);
      const outDir = opts.out ?? (cfg.out as string);
      const plan = { search: cfg.search ?? 'grid', trials: cfg.trials, seed: cfg.seed } as const;
      // validate every trial's options before loading data or spending any time
      planTrials(cfg.model, cfg.space, plan, cfg.base ?? {});
      const store = await tuneFolder(outDir);
      const data = await loadInteractions(cfg.data, cfg.dataOptions ?? {});
      const makeValidation = await prepareValidation(cfg.validation, data);
      const train = toCsr(data);
      const err = (s: string): void => void process.stderr.write(`${s}\n`);
      const metric = cfg.validation.monitor ?? 'ndcg@10';
      let bar: TrainProgressBar | null = null;
      let outcome: TuneOutcome;
      try {
        outcome = await tune(train, { model: cfg.model, space: cfg.space, ...plan, base: cfg.base, validation: makeValidation(train) }, {
          onStart: ({ total, done, log }) => {
            err(`tune ${cfg.model}: ${total} trials (${done} already done) → ${outDir}`);
            const cut = log.unterminated;
            if (cut !== null) {
              err(cut.kept
                ? `${store.log}: its last line had no newline (an interrupted write); the record is whole and kept, the newline added`
                : `${store.log}: its last line was cut (${cut.chars} characters, no newline: an interrupted write): dropped; that trial runs again`);
            }
            if (log.badLines > 0) err(`${store.log}: ${log.badLines} lines are not trial records: skipped (their trials run again)`);
          },
          onTrialStart: () => { bar = new TrainProgressBar(Boolean(opts.quiet) || Boolean(opts.json)); },
          onProgress: (p) => bar?.update(p),
          onWarning: (m) => {
            bar?.stop();
            err(`warning: ${m}`);
          },
          onTrialDone: (result, { trial, total, point }) => {
            bar?.stop();
            bar = null;
            err(`trial ${trial + 1}/${total} ${JSON.stringify(point)}: ${result.error ?? `${metric} ${(result.metrics[metric] ?? NaN).toFixed(4)} (epoch ${result.bestEpoch})`} in ${result.seconds.toFixed(0)} s`);
          },
        }, store);
      } finally {
        (bar as TrainProgressBar | null)?.stop();
      }
      const { results, best } = outcome;
      const names = Object.keys(cfg.space);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(best)}\n`);
      } else {
        const sorted = [...results].sort((a, b) => (b.metrics[metric] ?? -1) - (a.metrics[metric] ?? -1));
        process.stdout.write(`${formatTable([['trial', ...names, metric, 'epoch', 'seconds'], ...sorted.map((r) => [r.trial + 1, ...names.map((n) => JSON.stringify(r.options[n])), r.metrics[metric] ?? NaN, r.bestEpoch, r.seconds.toFixed(0)])])}\n`);
        process.stdout.write(`best: trial ${best.trial + 1}, ${metric} ${best.metrics[metric].toFixed(4)} → ${join(outDir, 'best.json')}\n`);
      }
    });
}
