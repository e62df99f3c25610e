import type { Command } from 'commander';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { loadInteractions } from '../../data/load.js';
import { toCsr } from '../../data/interactions.js';
import type { LoadOptions } from '../../data/types.js';
import { LrmlError } from '../../errors.js';
import { writeFileAtomic } from '../../io/model-file.js';
import type { TrainReport } from '../../models/types.js';
import { getFamily } from '../../train/families.js';
import { bestTrial, planPoints, pointKey, resultsCsv, type SearchPlan, type SearchSpace, type TrialResult } from '../../train/tune.js';
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
      const family = getFamily(cfg.model);
      const points = planPoints(cfg.space, { search: cfg.search ?? 'grid', trials: cfg.trials, seed: cfg.seed });
      // validate every trial's options before spending any time
      for (const p of points) family.resolveOptions({ ...(cfg.base ?? {}), ...p });
      await mkdir(outDir, { recursive: true });
      const log = join(outDir, 'trials.jsonl');
      const done = new Map<string, TrialResult>();
      try {
        for (const line of (await readFile(log, 'utf8')).split('\n')) {
          if (line.trim() === '') continue;
          try {
            const r = JSON.parse(line) as TrialResult;
            done.set(r.key, r);
          } catch {
            // a line cut by an interruption: that trial runs again
          }
        }
      } catch {
        // no log yet
      }
      const data = await loadInteractions(cfg.data, cfg.dataOptions ?? {});
      const makeValidation = await prepareValidation(cfg.validation, data);
      const train = toCsr(data);
      const validation = makeValidation(train);
      const err = (s: string): void => void process.stderr.write(`${s}\n`);
      err(`tune ${cfg.model}: ${points.length} trials (${done.size} already done) → ${outDir}`);
      const results: TrialResult[] = [];
      const metric = cfg.validation.monitor ?? 'ndcg@10';
      for (let t = 0; t < points.length; t++) {
        const key = pointKey(points[t]);
        const prev = done.get(key);
        if (prev !== undefined) {
          results.push({ ...prev, trial: t });
          continue;
        }
        const options = { ...(cfg.base ?? {}), ...points[t] };
        const bar = new TrainProgressBar(Boolean(opts.quiet) || Boolean(opts.json));
        const t0 = performance.now();
        let report: TrainReport | undefined;
        let result: TrialResult;
        try {
          await family.fit(train, options, { validation, onProgress: (p) => bar.update(p), onDone: (r) => { report = r; } });
          result = { key, trial: t, options, metrics: report?.bestValidation ?? {}, bestEpoch: report?.bestEpoch ?? 0, seconds: (performance.now() - t0) / 1000 };
        } catch (e) {
          if (!(e instanceof LrmlError) || e.code !== 'DIVERGED') throw e;
          result = { key, trial: t, options, metrics: {}, bestEpoch: 0, seconds: (performance.now() - t0) / 1000, error: e.message };
        } finally {
          bar.stop();
        }
        await appendFile(log, `${JSON.stringify(result)}\n`);
        results.push(result);
        err(`trial ${t + 1}/${points.length} ${JSON.stringify(points[t])}: ${result.error ?? `${metric} ${(result.metrics[metric] ?? NaN).toFixed(4)} (epoch ${result.bestEpoch})`} in ${result.seconds.toFixed(0)} s`);
      }
      const names = Object.keys(cfg.space);
      await writeFileAtomic(join(outDir, 'results.csv'), resultsCsv(results, names));
      await writeFileAtomic(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
      const best = bestTrial(results, metric);
      if (best === null) throw new LrmlError('DIVERGED', 'no trial finished without diverging');
      await writeFileAtomic(join(outDir, 'best.json'), `${JSON.stringify({ model: cfg.model, metric, value: best.metrics[metric], bestEpoch: best.bestEpoch, options: best.options }, null, 2)}\n`);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(best)}\n`);
      } else {
        const sorted = [...results].sort((a, b) => (b.metrics[metric] ?? -1) - (a.metrics[metric] ?? -1));
        process.stdout.write(`${formatTable([['trial', ...names, metric, 'epoch', 'seconds'], ...sorted.map((r) => [r.trial + 1, ...names.map((n) => JSON.stringify(r.options[n])), r.metrics[metric] ?? NaN, r.bestEpoch, r.seconds.toFixed(0)])])}\n`);
        process.stdout.write(`best: trial ${best.trial + 1}, ${metric} ${best.metrics[metric].toFixed(4)} → ${join(outDir, 'best.json')}\n`);
      }
    });
}
