// `--candidates exact|ann|auto` and `--candidate-count C` of `lrml recommend` and `lrml serve`:
// whether recommendations take their candidates from a nearest-neighbour index (built or loaded
// next to the model file, src/io/ann-index.ts) and score only those exactly.
import type { Command } from 'commander';
import { LrmlError } from '../errors.js';
import { attachCandidateIndex, indexSettings, INDEX_METRICS, INDEX_QUANTIZATIONS, requireIndexPackage, type IndexMetric, type IndexQuantization } from '../io/ann-index.js';
import type { LoadedModel } from '../models/types.js';
import { ANN_AUTO_ITEMS, SEARCH_MODES, type RecommendOptions, type SearchMode } from '../recommend/index.js';
import { parseInteger } from './options.js';

/** The parsed candidate flags. */
export interface CandidateFlags {
  search: SearchMode;
  candidateCount?: number;
  rebuildIndex: boolean;
  /** `--index-connectivity`: the index's HNSW graph degree M (default: the saved index's, else the library's). */
  connectivity?: number;
  /** `--index-expansion`: the index's build beam width efConstruction (default: the saved index's, else the library's). */
  expansionAdd?: number;
  /** `--index-metric`: how the index compares vectors (default: the saved index's, else lifted). */
  metric?: IndexMetric;
  /** `--index-quantization`: how the index stores the vectors (default: the saved index's, else i8 for lifted, f32 for l2sq). */
  quantization?: IndexQuantization;
}

function parseMode(v: string): SearchMode {
  if (!(SEARCH_MODES as readonly string[]).includes(v)) throw new LrmlError('BAD_OPTION', `--candidates: "${v}" is not one of ${SEARCH_MODES.join(', ')}`);
  return v as SearchMode;
}

/**
 * Parser of an integer flag within [min, max]: BAD_OPTION naming the flag otherwise.
 *
 * @example
 * ```ts
 * cmd.option('--search-threads <n>', '…', parseAtLeast('--search-threads', 0, 64));
 * ```
 */
export const parseAtLeast = (flag: string, min: number, max: number) => (v: string): number => {
  const x = parseInteger(flag)(v);
  if (x < min) throw new LrmlError('BAD_OPTION', `${flag}: "${v}" is below ${min}`);
  if (x > max) throw new LrmlError('BAD_OPTION', `${flag}: "${v}" is above ${max}`);
  return x;
};
const parseCount = parseAtLeast('--candidate-count', 1, Number.MAX_SAFE_INTEGER);

/** The flags that only apply with an index (`--candidates ann` or `auto`), as [flag, option key]. */
const INDEX_FLAGS = [['--candidate-count', 'candidateCount'], ['--rebuild-index', 'rebuildIndex'], ['--index-connectivity', 'indexConnectivity'], ['--index-expansion', 'indexExpansion'], ['--index-metric', 'indexMetric'], ['--index-quantization', 'indexQuantization']] as const;

/** Parser of a flag taking one of `allowed`: BAD_OPTION naming the flag and the allowed values otherwise. */
const parseOneOf = <T extends string>(flag: string, allowed: readonly T[]) => (v: string): T => {
  if (!(allowed as readonly string[]).includes(v)) throw new LrmlError('BAD_OPTION', `${flag}: "${v}" is not one of ${allowed.join(', ')}`);
  return v as T;
};

/**
 * Adds `--candidates <mode>`, `--candidate-count <n>`, `--rebuild-index`, `--index-connectivity <M>`,
 * `--index-expansion <ef>`, `--index-metric <m>` and `--index-quantization <q>` to a command.
 *
 * @example
 * ```ts
 * addCandidateOptions(program.command('recommend'));
 * ```
 */
export function addCandidateOptions(cmd: Command): Command {
  return cmd
    .option('--candidates <mode>', `exact (score every item) | ann (candidates from a nearest-neighbour index saved as <model>.index, scored exactly; lrml and cml) | auto (ann from ${ANN_AUTO_ITEMS.toLocaleString('en')} items) (default: exact; the default index finds 0.966 of the exact top 10 at 150 candidates on a 1M-item model in under 1 ms a search, but takes ≈ 27 min to build on 2 cores, BENCHMARKS.md)`, parseMode)
    .option('--candidate-count <n>', 'with ann: index candidates scored exactly (default 500; more = closer to exact, slower)', parseCount)
    .option('--rebuild-index', 'with ann: rebuild <model>.index even when it is current')
    .option('--index-connectivity <M>', `with ann: graph degree of <model>.index (HNSW M, 2–256; default 64 for a new index, else the saved index's; more = higher recall, slower build, larger file; another value rebuilds the index)`, parseAtLeast('--index-connectivity', 2, 256))
    .option('--index-expansion <ef>', `with ann: beam width while building <model>.index (HNSW efConstruction, 8–4096; default 256 for a new index, else the saved index's; another value rebuilds the index)`, parseAtLeast('--index-expansion', 8, 4096))
    .option('--index-metric <m>', `with ann: how <model>.index compares vectors: lifted (squared L2 lifted onto a sphere and searched by cosine: the same nearest items, an easier graph, and i8 storage) | l2sq; default lifted for a new index, else the saved index's (given alone, with its own default quantization); another value rebuilds the index`, parseOneOf('--index-metric', INDEX_METRICS))
    .option('--index-quantization <q>', `with ann: how <model>.index stores the item vectors: i8 (a byte a component; lifted only) | f16 | f32; default i8 for a new lifted index (on a 1M-item model more recall than l2sq f16 at a tenth of the search time, BENCHMARKS.md), f32 for l2sq, else the saved index's (i8 alone over an l2sq index makes it lifted); another value rebuilds the index`, parseOneOf('--index-quantization', INDEX_QUANTIZATIONS));
}

/**
 * The candidate flags of parsed options; BAD_OPTION for an index flag with `--candidates exact`,
 * and for `--index-quantization i8` with `--index-metric l2sq`.
 *
 * @example
 * ```ts
 * const flags = candidateFlags(opts); // { search: 'exact', rebuildIndex: false } without --candidates
 * ```
 */
export function candidateFlags(opts: Record<string, unknown>): CandidateFlags {
  const search = (opts.candidates as SearchMode | undefined) ?? 'exact';
  if (search === 'exact') {
    const given = INDEX_FLAGS.find(([, key]) => opts[key] !== undefined && opts[key] !== false);
    if (given !== undefined) {
      throw new LrmlError('BAD_OPTION', opts.candidates === undefined
        ? `${given[0]} needs --candidates ann or auto (the default is exact)`
        : `${given[0]} applies to --candidates ann or auto, not exact`);
    }
  }
  if (opts.indexMetric === 'l2sq' && opts.indexQuantization === 'i8') {
    throw new LrmlError('BAD_OPTION', '--index-quantization i8 needs --index-metric lifted (usearch scales each i8 vector to unit length, which changes squared-L2 distances)');
  }
  return {
    search, rebuildIndex: opts.rebuildIndex === true,
    ...(opts.candidateCount === undefined ? {} : { candidateCount: opts.candidateCount as number }),
    ...(opts.indexConnectivity === undefined ? {} : { connectivity: opts.indexConnectivity as number }),
    ...(opts.indexExpansion === undefined ? {} : { expansionAdd: opts.indexExpansion as number }),
    ...(opts.indexMetric === undefined ? {} : { metric: opts.indexMetric as IndexMetric }),
    ...(opts.indexQuantization === undefined ? {} : { quantization: opts.indexQuantization as IndexQuantization }),
  };
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
  await attachCandidateIndex(m, modelPath, { search: flags.search, rebuild: flags.rebuildIndex, flag: `--candidates ${flags.search}`, log, ...indexSettings(flags) });
  return { search: flags.search, ...(flags.candidateCount === undefined ? {} : { candidateCount: flags.candidateCount }) };
}
