// `--candidates exact|ann|auto` and `--candidate-count C` of `lrml recommend` and `lrml serve`:
// whether recommendations take their candidates from a nearest-neighbour index (built or loaded
// next to the model file, src/io/ann-index.ts) and score only those exactly.
import type { Command } from 'commander';
import { LrmlError } from '../errors.js';
import { attachCandidateIndex, requireIndexPackage } from '../io/ann-index.js';
import type { LoadedModel } from '../models/types.js';
import { ANN_AUTO_ITEMS, SEARCH_MODES, type RecommendOptions, type SearchMode } from '../recommend/index.js';
import { parseInteger } from './options.js';

/** The parsed candidate flags. */
export interface CandidateFlags {
  search: SearchMode;
  candidateCount?: number;
  rebuildIndex: boolean;
}

function parseMode(v: string): SearchMode {
  if (!(SEARCH_MODES as readonly string[]).includes(v)) throw new LrmlError('BAD_OPTION', `--candidates: "${v}" is not one of ${SEARCH_MODES.join(', ')}`);
  return v as SearchMode;
}

function parseCount(v: string): number {
  const x = parseInteger('--candidate-count')(v);
  if (x < 1) throw new LrmlError('BAD_OPTION', `--candidate-count: "${v}" is below 1`);
  return x;
}

/**
 * Adds `--candidates <mode>`, `--candidate-count <n>` and `--rebuild-index` to a command.
 *
 * @example
 * ```ts
 * addCandidateOptions(program.command('recommend'));
 * ```
 */
export function addCandidateOptions(cmd: Command): Command {
  return cmd
    .option('--candidates <mode>', `exact (score every item) | ann (candidates from a nearest-neighbour index saved as <model>.index, scored exactly; lrml and cml) | auto (ann from ${ANN_AUTO_ITEMS.toLocaleString('en')} items) (default: exact: the index's recall on large trained models is not yet shown, BENCHMARKS.md)`, parseMode)
    .option('--candidate-count <n>', 'with ann: index candidates scored exactly (default 500; more = closer to exact, slower)', parseCount)
    .option('--rebuild-index', 'with ann: rebuild <model>.index even when it is current');
}

/**
 * The candidate flags of parsed options; BAD_OPTION for `--candidate-count` or `--rebuild-index`
 * with `--candidates exact`.
 *
 * @example
 * ```ts
 * const flags = candidateFlags(opts); // { search: 'exact', rebuildIndex: false } without --candidates
 * ```
 */
export function candidateFlags(opts: Record<string, unknown>): CandidateFlags {
  const search = (opts.candidates as SearchMode | undefined) ?? 'exact';
  if (search === 'exact' && opts.candidates === undefined) {
    if (opts.candidateCount !== undefined || opts.rebuildIndex === true) throw new LrmlError('BAD_OPTION', `${opts.candidateCount !== undefined ? '--candidate-count' : '--rebuild-index'} needs --candidates ann or auto (the default is exact)`);
  } else if (search === 'exact') {
    if (opts.candidateCount !== undefined) throw new LrmlError('BAD_OPTION', '--candidate-count applies to --candidates ann or auto, not exact');
    if (opts.rebuildIndex === true) throw new LrmlError('BAD_OPTION', '--rebuild-index applies to --candidates ann or auto, not exact');
  }
  return { search, ...(opts.candidateCount === undefined ? {} : { candidateCount: opts.candidateCount as number }), rebuildIndex: opts.rebuildIndex === true };
}

/**
 * Checks up front, before a model is loaded, what the flags need: the index package for
 * `--candidates ann` (MISSING_DEPENDENCY when absent).
 *
 * @example
 * ```ts
 * await checkCandidateFlags(flags);
 * ```
 */
export async function checkCandidateFlags(flags: CandidateFlags, importer?: (name: string) => Promise<unknown>): Promise<void> {
  if (flags.search === 'ann') await requireIndexPackage('--candidates ann', importer);
}

/**
 * Attaches the candidate index a model needs under the flags ({@link attachCandidateIndex}: loaded
 * from `<model>.index`, or built and saved when missing or stale) and returns the recommend
 * options of the flags.
 *
 * @example
 * ```ts
 * const search = await attachCandidates(m, 'big.lrml', candidateFlags(opts), (l) => process.stderr.write(`${l}\n`));
 * recommend(m, '42', { k: 10, ...search });
 * ```
 */
export async function attachCandidates(m: LoadedModel, modelPath: string, flags: CandidateFlags, log: (line: string) => void): Promise<Pick<RecommendOptions, 'search' | 'candidateCount'>> {
  await attachCandidateIndex(m, modelPath, { search: flags.search, rebuild: flags.rebuildIndex, flag: `--candidates ${flags.search}`, log });
  return { search: flags.search, ...(flags.candidateCount === undefined ? {} : { candidateCount: flags.candidateCount }) };
}
