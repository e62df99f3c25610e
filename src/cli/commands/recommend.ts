import type { Command } from 'commander';
import { LrmlError } from '../../errors.js';
import { loadModel } from '../../io/model-file.js';
import { recommend, recommendForItems, type Recommendations } from '../../recommend/index.js';
import { parseInteger } from '../options.js';
import { formatTable } from '../progress.js';

/** Splits a comma-separated id list (`a,b,c`), dropping empty entries; BAD_OPTION names the flag when empty. */
export function parseIdList(flag: string): (v: string) => string[] {
  return (v: string) => {
    const ids = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (ids.length === 0) throw new LrmlError('BAD_OPTION', `${flag}: "${v}" holds no ids (expected a comma-separated list)`);
    return ids;
  };
}

/** Writes to stdout (the default output of the product commands; tests pass their own). */
export function writeStdout(text: string): void {
  process.stdout.write(text);
}

/**
 * A ranked list as an aligned table (rank, item, score) with a title line.
 *
 * @example
 * ```ts
 * process.stdout.write(formatRanked('recommendations for 42', r.items));
 * ```
 */
export function formatRanked(title: string, items: { item: string; score: number }[]): string {
  if (items.length === 0) return `${title}\n(no items)\n`;
  const rows: (string | number)[][] = [['rank', 'item', 'score'], ...items.map((x, r) => [r + 1, x.item, x.score.toFixed(4)])];
  return `${title}\n${formatTable(rows)}\n`;
}

/**
 * Registers `lrml recommend --model M --user ID [--k 10] [--json]`, or `--items a,b,c` for a new
 * user (fold-in). Prints a table, or the Recommendations JSON with --json.
 *
 * @example
 * ```ts
 * registerRecommend(program);
 * await program.parseAsync(['node', 'lrml', 'recommend', '--model', 'm.lrml', '--user', '42', '--k', '5']);
 * ```
 */
export function registerRecommend(program: Command, out: (text: string) => void = writeStdout): void {
  program
    .command('recommend')
    .description('recommend items for a known user (--user) or for a new user given by items (--items, fold-in)')
    .requiredOption('--model <file>', 'model file')
    .option('--user <id>', 'a user the model was trained on')
    .option('--items <ids>', 'comma-separated item ids of a new user (fold-in)', parseIdList('--items'))
    .option('--k <n>', 'how many items', parseInteger('--k'), 10)
    .option('--exclude <ids>', 'comma-separated item ids never to recommend', parseIdList('--exclude'))
    .option('--include-seen', 'also recommend the user\'s training items (or the given --items)')
    .option('--steps <n>', 'fold-in: optimiser steps (default 50)', parseInteger('--steps'))
    .option('--seed <n>', 'fold-in: seed (default 0)', parseInteger('--seed'))
    .option('--ignore-unknown', 'fold-in: skip --items the model does not know instead of failing')
    .option('--json', 'print JSON')
    .action(async (opts: Record<string, unknown>) => {
      const hasUser = opts.user !== undefined;
      const hasItems = opts.items !== undefined;
      if (hasUser === hasItems) throw new LrmlError('BAD_OPTION', 'give exactly one of --user <id> and --items <a,b,c>');
      if (hasUser && (opts.steps !== undefined || opts.seed !== undefined || opts.ignoreUnknown !== undefined)) {
        throw new LrmlError('BAD_OPTION', '--steps, --seed and --ignore-unknown apply to --items (fold-in) only');
      }
      const m = await loadModel(String(opts.model));
      const common = {
        k: opts.k as number,
        excludeSeen: opts.includeSeen !== true,
        ...(opts.exclude === undefined ? {} : { exclude: opts.exclude as string[] }),
      };
      let r: Recommendations;
      if (hasUser) {
        r = recommend(m, String(opts.user), common);
      } else {
        r = recommendForItems(m, opts.items as string[], {
          ...common,
          foldIn: {
            ...(opts.steps === undefined ? {} : { steps: opts.steps as number }),
            ...(opts.seed === undefined ? {} : { seed: opts.seed as number }),
            ignoreUnknown: opts.ignoreUnknown === true,
          },
        });
      }
      if (opts.json === true) {
        out(`${JSON.stringify(r)}\n`);
        return;
      }
      const who = hasUser ? `user ${r.user}` : `a new user with ${(opts.items as string[]).length} items`;
      const note = r.complete ? '' : ` (only ${r.items.length} candidates left)`;
      out(formatRanked(`top ${r.k} for ${who} (${m.model.kind})${note}`, r.items));
    });
}
