// The --titles flags of recommend, similar, explain and serve: an items file (MovieLens movies.csv,
// movies.dat or u.item) whose titles and genres are attached to the output.

import type { Command } from 'commander';
import { LrmlError, badOption } from '../errors.js';
import { ITEMS_FORMATS, loadItemsFile, type ItemsFormat } from '../data/side-info.js';
import type { LoadedModel } from '../models/types.js';
import { titleCoverage, type ItemTitles } from '../recommend/index.js';

/**
 * Adds `--titles <file>` and `--titles-format <auto|csv|dat|uitem>` to a command.
 *
 * @example
 * ```ts
 * addTitleOptions(program.command('similar'));
 * ```
 */
export function addTitleOptions(cmd: Command): Command {
  return cmd
    .option('--titles <file>', 'items file whose titles (and genres) are shown: MovieLens movies.csv, movies.dat or u.item (gzip ok)')
    .option('--titles-format <f>', `layout of the --titles file: ${ITEMS_FORMATS.join(' | ')} (default auto)`);
}

/**
 * The `--titles-format` value, checked (BAD_OPTION with the allowed values; also when given without --titles).
 *
 * @example
 * ```ts
 * titlesFormatFrom({ titles: 'u.item', titlesFormat: 'uitem' }); // 'uitem'
 * ```
 */
export function titlesFormatFrom(opts: Record<string, unknown>): ItemsFormat {
  if (opts.titlesFormat === undefined) return 'auto';
  const f = String(opts.titlesFormat);
  if (!(ITEMS_FORMATS as readonly string[]).includes(f)) throw badOption('--titles-format', f, `one of ${ITEMS_FORMATS.join(', ')}`);
  if (opts.titles === undefined) throw new LrmlError('BAD_OPTION', '--titles-format applies to --titles <file> only');
  return f as ItemsFormat;
}

/**
 * Reads the `--titles` file (null without the flag). Malformed files throw (BAD_VALUE naming file:line,
 * MISSING_COLUMN, FILE_NOT_FOUND…). Call before loading the model so bad input fails first.
 *
 * @example
 * ```ts
 * const titles = await titlesFrom(opts);
 * ```
 */
export async function titlesFrom(opts: Record<string, unknown>): Promise<ItemTitles | null> {
  const format = titlesFormatFrom(opts);
  if (opts.titles === undefined) return null;
  return loadItemsFile(String(opts.titles), format);
}

/**
 * Says once on stderr (through `say`) how many ids of the --titles file the model does not know
 * (they are ignored); nothing when every id is known.
 *
 * @example
 * ```ts
 * noteTitleCoverage(opts, m, titles, (s) => process.stderr.write(s));
 * ```
 */
export function noteTitleCoverage(opts: Record<string, unknown>, m: Pick<LoadedModel, 'items'>, titles: ItemTitles, say: (text: string) => void): void {
  const c = titleCoverage(m, titles);
  if (c.unknownIds === 0) return;
  say(`note: --titles ${String(opts.titles)}: ${c.unknownIds} of its ${c.titles} ids are not items of the model (ignored); ${c.matched} of the model's ${m.items.size} items have a title\n`);
}
