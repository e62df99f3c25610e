import { realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { checkOutputFile } from '../../fs-atomic.js';
import type { Command } from 'commander';
import { LrmlError, badOption } from '../../errors.js';
import { loadInteractions, writeInteractions } from '../../data/load.js';
import { SPLIT_METHODS, splitInteractions, type SplitMethod } from '../../data/split.js';
import { addDataOptions, dataOptionsFrom } from '../data-options.js';
import { formatTable } from '../progress.js';
import { summaryText } from './info.js';

/**
 * The file a path names, for comparing paths: the real path (symlinks and `.`/`..` resolved) of
 * the file, or of its nearest existing parent folder joined with the rest when the file does not
 * exist yet (an output), so `./x`, `x` and `dir/../x` compare equal.
 */
function fileIdentity(path: string): string {
  let p = resolve(path);
  const rest: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(p), ...rest);
    } catch {
      const parent = dirname(p);
      if (parent === p) return join(p, ...rest);
      rest.unshift(basename(p));
      p = parent;
    }
  }
}

/** BAD_OPTION when two of the files are one (an output over the input, or both outputs the same), before anything is read or written. */
function checkDistinctFiles(files: [flag: string, path: string][]): void {
  const ids = files.map(([, path]) => fileIdentity(path));
  for (let a = 0; a < files.length; a++) {
    for (let b = a + 1; b < files.length; b++) {
      if (ids[a] !== ids[b]) continue;
      const [fa, pa] = files[a];
      const [fb, pb] = files[b];
      const what = fa === '--data' ? `would overwrite the input ${fa} ${pa}` : `is the same file as ${fa} ${pa}`;
      throw new LrmlError('BAD_OPTION', `${fb} ${pb} ${what}${pa === pb ? '' : ` (both are ${ids[a]})`}; give ${fa === '--data' ? 'an output path that is not the input' : 'two different output files'}`);
    }
  }
}

function int(flag: string, v: unknown): number {
  const s = String(v);
  if (!/^\s*-?\d+\s*$/.test(s)) throw badOption(flag, s, 'an integer');
  return Number(s);
}

/**
 * Registers `lrml split`: reads an interaction file, splits it per user
 * (leave-latest-out, leave-one-out at random, or a ratio by time / at random) and writes
 * train and test files (TSV with header and the original ids; `.gz` paths are gzipped)
 * that every lrml command reads back. Read the test file with the train file's maps.
 *
 * @example
 * ```ts
 * registerSplit(program);
 * await program.parseAsync(['node', 'lrml', 'split', '--data', 'ratings.csv', '--method', 'leave-one-out',
 *   '--seed', '1', '--train-out', 'train.tsv', '--test-out', 'test.tsv']);
 * ```
 */
export function registerSplit(program: Command): void {
  const cmd = program
    .command('split')
    .description('split an interaction file per user into train and test files')
    .requiredOption('--data <file>', 'interaction file (csv, tsv, dat, NCF; gzip ok)')
    .option('--method <m>', `${SPLIT_METHODS.join(' | ')} (default leave-latest-out)`)
    .option('--seed <n>', 'random seed (leave-one-out, ratio --by random; default 0)')
    .option('--ratio <x>', 'ratio method: train fraction per user, in (0, 1) (default 0.8)')
    .option('--by <order>', 'ratio method: hold out the latest (time, default) or random interactions')
    .option('--min-interactions <n>', 'users with fewer interactions stay wholly in train (default 2)')
    .requiredOption('--train-out <file>', 'train file to write (TSV; .gz → gzip)')
    .requiredOption('--test-out <file>', 'test file to write (TSV; .gz → gzip)')
    .option('--json', 'print a JSON summary on stdout');
  addDataOptions(cmd);
  cmd.action(async (opts: Record<string, unknown>) => {
    const method = String(opts.method ?? 'leave-latest-out');
    if (!(SPLIT_METHODS as readonly string[]).includes(method)) throw badOption('--method', method, `one of ${SPLIT_METHODS.join(', ')}`);
    const seed = opts.seed === undefined ? undefined : int('--seed', opts.seed);
    let ratio: number | undefined;
    if (opts.ratio !== undefined) {
      ratio = Number(opts.ratio);
      if (String(opts.ratio).trim() === '' || !(ratio > 0 && ratio < 1)) throw badOption('--ratio', opts.ratio, 'a number strictly between 0 and 1, e.g. 0.8');
    }
    let by: 'time' | 'random' | undefined;
    if (opts.by !== undefined) {
      if (opts.by !== 'time' && opts.by !== 'random') throw badOption('--by', opts.by, 'one of time, random');
      by = opts.by;
    }
    if ((ratio !== undefined || by !== undefined) && method !== 'ratio') {
      throw new LrmlError('BAD_OPTION', `--ratio and --by apply to --method ratio only (got --method ${method})`);
    }
    const minInteractions = opts.minInteractions === undefined ? undefined : int('--min-interactions', opts.minInteractions);
    const trainOut = String(opts.trainOut);
    const testOut = String(opts.testOut);
    checkDistinctFiles([['--data', String(opts.data)], ['--train-out', trainOut], ['--test-out', testOut]]);
    await checkOutputFile(trainOut, '--train-out');
    await checkOutputFile(testOut, '--test-out');
    const data = await loadInteractions(String(opts.data), dataOptionsFrom(opts));
    const { train, test, info } = splitInteractions(data, { method: method as SplitMethod, seed, ratio, by, minInteractions });
    await writeInteractions(trainOut, train);
    await writeInteractions(testOut, test);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ train: trainOut, test: testOut, ...info, summary: data.summary })}\n`);
      return;
    }
    const notes = [
      `${info.usersInTest} of ${info.users} users have held-out interactions; ${info.usersTrainOnly} with fewer than ${info.minInteractions} stay wholly in train`,
    ];
    if (info.method !== 'leave-one-out' && !(info.method === 'ratio' && info.by === 'random')) {
      notes.push(info.usedTimestamps ? 'latest = by timestamp (ties by file order)' : 'no timestamps: latest = last in file order');
    }
    if (info.testItemsNotInTrain > 0) notes.push(`${info.testItemsNotInTrain} held-out items never occur in train`);
    process.stdout.write(
      `${summaryText(data.summary)}\n\n` +
        `${formatTable([['part', 'interactions', 'file'], ['train', info.trainInteractions, trainOut], ['test', info.testInteractions, testOut]])}\n` +
        `${notes.join('\n')}\n`,
    );
  });
}
