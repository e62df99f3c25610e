import type { Command } from 'commander';
import { LrmlError } from '../../errors.js';
import { attachSeen, loadModel } from '../../io/model-file.js';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { recommendationTextParallel } from '../../io/recommend-parallel.js';
import { checkOutputFile, writeChunksAtomic } from '../../fs-atomic.js';
import type { LoadedModel } from '../../models/types.js';
import { checkFilters, recommend, recommendForItems, recommendForSession, titledRecommendations, type ItemTitles, type RecommendOptions, type Recommendations } from '../../recommend/index.js';
import { addTitleOptions, noteTitleCoverage, titlesFrom } from '../titles.js';
import { parseInteger } from '../options.js';
import { formatTable } from '../progress.js';
import { addCandidateOptions, attachCandidates, candidateFlags, checkCandidateFlags, type CandidateFlags } from '../candidates.js';

/** Splits a comma-separated id list (`a,b,c`), dropping empty entries; BAD_OPTION names the flag when empty. */
export function parseIdList(flag: string): (v: string) => string[] {
  return (v: string) => {
    const ids = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (ids.length === 0) throw new LrmlError('BAD_OPTION', `${flag}: "${v}" holds no ids (expected a comma-separated list)`);
    return ids;
  };
}

/** An id list file (`--include-file`, `--exclude-file`): one id a line, blank lines skipped; at least one id. */
/** The text of a list file named by a flag: FILE_NOT_FOUND (or BAD_OPTION) naming the flag and the file. */
async function readListFile(flag: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LrmlError(code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'BAD_OPTION', `${flag}: cannot read ${path}: ${(e as Error).message}`, { file: path });
  }
}

async function readIdFile(flag: string, path: string): Promise<string[]> {
  const text = await readListFile(flag, path);
  const ids = text.split('\n').map((l) => l.replace(/\r$/, '').trim()).filter((l) => l !== '');
  if (ids.length === 0) throw new LrmlError('BAD_OPTION', `${flag} ${path} holds no ids (expected one item id a line)`, { file: path });
  return ids;
}

/**
 * The item filters of `lrml recommend` (--include / --include-file, --exclude / --exclude-file,
 * --skip-unknown) as RecommendOptions fields; BAD_OPTION when a list is given both ways.
 *
 * @example
 * ```ts
 * const filters = await filterOptions({ include: ['1', '2'], excludeFile: 'seen.txt' });
 * ```
 */
export async function filterOptions(opts: Record<string, unknown>): Promise<Pick<RecommendOptions, 'include' | 'exclude' | 'skipUnknown'>> {
  const out: Pick<RecommendOptions, 'include' | 'exclude' | 'skipUnknown'> = {};
  for (const name of ['include', 'exclude'] as const) {
    const list = opts[name] as string[] | undefined;
    const file = opts[`${name}File`] as string | undefined;
    if (list !== undefined && file !== undefined) throw new LrmlError('BAD_OPTION', `give --${name} or --${name}-file, not both`);
    if (list !== undefined) out[name] = list;
    if (file !== undefined) out[name] = await readIdFile(`--${name}-file`, file);
  }
  if (opts.skipUnknown === true) out.skipUnknown = true;
  return out;
}

/** The model of --model, with the seen items of --seen-data when given. */
async function modelFromCli(opts: Record<string, unknown>): Promise<LoadedModel> {
  const m = await loadModel(String(opts.model));
  return opts.seenData === undefined ? m : (await attachSeen(m, String(opts.seenData))).model;
}

/** A line to stderr (notes of the candidate index). */
const logStderr = (line: string): void => writeStderr(`${line}\n`);

/** Writes to stdout (the default output of the product commands; tests pass their own). */
export function writeStdout(text: string): void {
  process.stdout.write(text);
}

/**
 * A ranked list as an aligned table (rank, item, score, and with `titles` a title column: empty for
 * items the items file does not name) with a title line.
 *
 * @example
 * ```ts
 * process.stdout.write(formatRanked('recommendations for 42', r.items));
 * ```
 */
export function formatRanked(title: string, items: { item: string; score: number }[], titles: ItemTitles | null = null): string {
  if (items.length === 0) return `${title}\n(no items)\n`;
  const rows: (string | number)[][] = [['rank', 'item', 'score', ...(titles === null ? [] : ['title'])]];
  items.forEach((x, r) => rows.push([r + 1, x.item, x.score.toFixed(4), ...(titles === null ? [] : [titles.get(x.item)?.title ?? ''])]));
  return `${title}\n${formatTable(rows, [3])}\n`;
}

/** Writes to stderr (notes of the product commands). */
export function writeStderr(text: string): void {
  process.stderr.write(text);
}

/**
 * Registers `lrml recommend --model M --user ID [--k 10] [--json]`, or `--items a,b,c` for a new
 * user (fold-in), or both for a known user with recent items (session fold-in); item filters
 * `--include` / `--exclude` (or their `-file` forms). Prints a table, or the Recommendations JSON with --json.
 *
 * @example
 * ```ts
 * registerRecommend(program);
 * await program.parseAsync(['node', 'lrml', 'recommend', '--model', 'm.lrml', '--user', '42', '--k', '5']);
 * ```
 */
export function registerRecommend(program: Command, out: (text: string) => void = writeStdout): void {
  const cmd = program
    .command('recommend')
    .description('recommend items for a known user (--user), a new user given by items (--items, fold-in), or a known user with recent items (both)')
    .requiredOption('--model <file>', 'model file')
    .option('--user <id>', 'a user the model was trained on')
    .option('--items <ids>', 'comma-separated item ids of a new user (fold-in); with --user: that user\'s recent items', parseIdList('--items'))
    .option('--k <n>', 'how many items', parseInteger('--k'), 10)
    .option('--include <ids>', 'comma-separated item ids: only these are candidates', parseIdList('--include'))
    .option('--include-file <file>', 'as --include, one item id a line')
    .option('--exclude <ids>', 'comma-separated item ids never to recommend', parseIdList('--exclude'))
    .option('--exclude-file <file>', 'as --exclude, one item id a line')
    .option('--skip-unknown', 'ignore --include / --exclude ids the model does not know instead of failing')
    .option('--include-seen', 'also recommend the user\'s training items (or the given --items)')
    .option('--seen-data <file>', 'the training interactions, for a model saved without them (train --no-seen): their items are left out')
    .option('--steps <n>', 'fold-in: optimiser steps (default 50)', parseInteger('--steps'))
    .option('--seed <n>', 'fold-in: seed (default 0)', parseInteger('--seed'))
    .option('--ignore-unknown', 'fold-in: skip --items the model does not know instead of failing')
    .option('--all', 'every user of the model, written to --out (streamed)')
    .option('--users-file <file>', 'the users listed in this file (one id a line), written to --out (streamed)')
    .option('--out <file>', 'with --all / --users-file: recommendations file, JSON lines (.jsonl) or CSV (.csv: user,rank,item,score)')
    .option('--threads <n>', `with --all / --users-file: worker threads (default ${availableParallelism()}: all cores; the output is the same for any number)`, parseInteger('--threads'))
    .option('--quiet', 'with --out: no progress on stderr')
    .option('--json', 'print JSON (with --titles: items gain title and genres)');
  addCandidateOptions(addTitleOptions(cmd))
    .action(async (opts: Record<string, unknown>) => {
      const hasUser = opts.user !== undefined;
      const hasItems = opts.items !== undefined;
      const cands = candidateFlags(opts);
      if (hasItems && cands.search === 'ann') throw new LrmlError('BAD_OPTION', '--candidates ann applies to known users (--user, --all, --users-file); --items recommendations are scored exactly');
      await checkCandidateFlags(cands);
      const many = [opts.all === true ? '--all' : null, opts.usersFile !== undefined ? '--users-file' : null].filter((x) => x !== null);
      if (many.length > 0 || opts.out !== undefined) {
        await recommendToFile(opts, many as string[], hasUser || hasItems, cands);
        return;
      }
      if (!hasUser && !hasItems) throw new LrmlError('BAD_OPTION', 'give one of --user <id>, --items <a,b,c> (both: a known user with recent items), --all or --users-file <file> (the last two with --out <file>)');
      if (opts.threads !== undefined) throw new LrmlError('BAD_OPTION', '--threads applies to --all and --users-file only');
      if (hasUser && !hasItems && (opts.steps !== undefined || opts.seed !== undefined || opts.ignoreUnknown !== undefined)) {
        throw new LrmlError('BAD_OPTION', '--steps, --seed and --ignore-unknown apply to --items (fold-in) only');
      }
      const filters = await filterOptions(opts);
      const titles = await titlesFrom(opts);
      const m = await modelFromCli(opts);
      if (titles !== null) noteTitleCoverage(opts, m, titles, writeStderr);
      const common = { k: opts.k as number, excludeSeen: opts.includeSeen !== true, ...filters };
      let r: Recommendations;
      if (hasUser && !hasItems) {
        checkFilters(m, common);
        const search = await attachCandidates(m, String(opts.model), cands, logStderr);
        r = recommend(m, String(opts.user), { ...common, ...search });
      } else {
        const foldIn = {
          ...(opts.steps === undefined ? {} : { steps: opts.steps as number }),
          ...(opts.seed === undefined ? {} : { seed: opts.seed as number }),
          ignoreUnknown: opts.ignoreUnknown === true,
        };
        r = hasUser ? recommendForSession(m, String(opts.user), opts.items as string[], { ...common, foldIn }) : recommendForItems(m, opts.items as string[], { ...common, foldIn });
      }
      if (opts.json === true) {
        out(`${JSON.stringify(titles === null ? r : titledRecommendations(r, titles))}\n`);
        return;
      }
      const who = hasUser ? (hasItems ? `user ${r.user} with ${(opts.items as string[]).length} recent items` : `user ${r.user}`) : `a new user with ${(opts.items as string[]).length} items`;
      const note = r.complete ? '' : ` (only ${r.items.length} candidates left)`;
      out(formatRanked(`top ${r.k} for ${who} (${m.model.kind})${note}`, r.items, titles));
    });
}

/** The users of a --users-file: one id a line (blank lines skipped), each known to the model. */
async function readUsersFile(path: string, m: LoadedModel): Promise<string[]> {
  const text = await readListFile('--users-file', path);
  const ids: string[] = [];
  const lines = text.split('\n');
  for (let t = 0; t < lines.length; t++) {
    const id = lines[t].replace(/\r$/, '').trim();
    if (id === '') continue;
    if (!m.users.has(id)) throw new LrmlError('UNKNOWN_USER', `--users-file ${path}, line ${t + 1}: unknown user ${JSON.stringify(id)} (not in the model)`, { file: path, line: t + 1 });
    ids.push(id);
  }
  return ids;
}

/** `recommend --all | --users-file F --out FILE`: streamed to FILE (atomically), with progress. */
async function recommendToFile(opts: Record<string, unknown>, many: string[], single: boolean, cands: CandidateFlags): Promise<void> {
  if (many.length !== 1 || single) throw new LrmlError('BAD_OPTION', 'give exactly one of --user <id>, --items <a,b,c>, --all or --users-file <file> (the last two with --out <file>)');
  if (opts.out === undefined) throw new LrmlError('BAD_OPTION', `${many[0]} needs --out <file> (.jsonl or .csv)`);
  for (const f of ['steps', 'seed', 'ignoreUnknown', 'json'] as const) {
    if (opts[f] !== undefined) throw new LrmlError('BAD_OPTION', `--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} does not apply to ${many[0]}`);
  }
  if (opts.threads !== undefined && (opts.threads as number) < 1) throw new LrmlError('BAD_OPTION', `--threads: ${String(opts.threads)} (expected a positive integer)`);
  const out = String(opts.out);
  const format = out.endsWith('.jsonl') ? 'jsonl' : out.endsWith('.csv') ? 'csv' : null;
  if (format === null) throw new LrmlError('BAD_OPTION', `--out ${out}: the name must end in .jsonl (JSON lines) or .csv`);
  await checkOutputFile(out, '--out');
  const filters = await filterOptions(opts);
  const titles = await titlesFrom(opts);
  const m = await modelFromCli(opts);
  if (titles !== null && opts.quiet !== true) noteTitleCoverage(opts, m, titles, writeStderr);
  const users = opts.usersFile === undefined ? null : await readUsersFile(String(opts.usersFile), m);
  checkFilters(m, filters); // before anything is written
  const search = await attachCandidates(m, String(opts.model), cands, opts.quiet === true ? () => undefined : logStderr);
  const options = { k: opts.k as number, excludeSeen: opts.includeSeen !== true, ...filters, ...search };
  const total = users === null ? m.users.size : users.length;
  const showProgress = opts.quiet !== true && process.stderr.isTTY === true;
  let last = 0;
  const onProgress = (done: number): void => {
    const now = performance.now();
    if (showProgress && (now - last > 200 || done === total)) {
      last = now;
      process.stderr.write(`\rrecommending: ${done}/${total} users`);
    }
  };
  const threads = opts.threads as number | undefined;
  await writeChunksAtomic(out, recommendationTextParallel(m, users, format, titles, { ...options, ...(threads === undefined ? {} : { threads }), onProgress }));
  if (showProgress) process.stderr.write('\r\x1b[K');
  if (opts.quiet !== true) process.stderr.write(`${total} users: top ${options.k} written to ${out}\n`);
}
