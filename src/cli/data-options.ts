import type { Command } from 'commander';
import { LrmlError, badOption } from '../errors.js';
import { DATA_FORMATS } from '../data/load-options.js';
import type { ColumnSpec, DataFormat, LoadOptions } from '../data/types.js';

/**
 * Adds the data-loading flags shared by every command that reads an interaction file:
 * `--format`, `--columns`, `--min-rating`, `--kcore`, `--skip-bad-lines`, `--delimiter`,
 * `--header`. Values stay strings here; {@link dataOptionsFrom} validates them.
 *
 * @example
 * ```ts
 * const cmd = program.command('info').requiredOption('--data <file>', 'interaction file');
 * addDataOptions(cmd);
 * cmd.action(async (opts) => { const data = await loadInteractions(opts.data, dataOptionsFrom(opts)); });
 * ```
 */
export function addDataOptions(cmd: Command): Command {
  return cmd
    .option('--format <f>', `input format: ${DATA_FORMATS.join(' | ')} (default auto; gzip is detected by content)`)
    .option('--columns <list>', 'user,item[,rating[,timestamp]] as header names or 0-based indices; - skips one (e.g. userId,movieId,rating or 0,1,-,2)')
    .option('--min-rating <x>', 'keep only interactions with rating ≥ x (implicit feedback)')
    .option('--kcore <k>', 'repeatedly drop users and items with fewer than k interactions')
    .option('--skip-bad-lines', 'skip and count malformed lines instead of stopping at the first')
    .option('--delimiter <s>', 'field separator overriding the format\'s (e.g. ";" "|" "\\t" " ")')
    .option('--header <mode>', 'whether the first line is a header: auto | yes | no (default auto)');
}

function parseColumns(spec: string): ColumnSpec[] {
  const parts = spec.split(',').map((s) => s.trim());
  if (parts.length < 2 || parts.length > 4 || parts[0] === '' || parts[1] === '') {
    throw new LrmlError('BAD_COLUMN', `--columns: "${spec}" is not user,item[,rating[,timestamp]] (names or 0-based indices, - to skip), e.g. --columns userId,movieId,rating,timestamp or --columns 0,1,2,3`);
  }
  return parts.map((p) => {
    if (p === '-' || p === '') return null;
    if (/^\d+$/.test(p)) return Number(p);
    if (/^-?\d+(\.\d*)?$/.test(p)) {
      throw new LrmlError('BAD_COLUMN', `--columns: "${p}" is not a 0-based column index (in "${spec}")`);
    }
    return p;
  });
}

function parseDelimiter(v: string): string {
  if (v === '\\t' || v.toLowerCase() === 'tab') return '\t';
  if (v.toLowerCase() === 'space') return ' ';
  return v;
}

/**
 * Validates the data flags of a parsed command (commander's camelCase options) into
 * {@link LoadOptions}. Throws BAD_OPTION naming the flag and the allowed values
 * (BAD_COLUMN for `--columns`).
 *
 * @example
 * ```ts
 * dataOptionsFrom({ minRating: '4', kcore: '5', columns: 'userId,movieId,rating' });
 * // { minRating: 4, kcore: 5, columns: ['userId', 'movieId', 'rating'] }
 * dataOptionsFrom({ format: 'xlsx' }); // throws BAD_OPTION: invalid --format: "xlsx" (expected one of auto, csv, …)
 * ```
 */
export function dataOptionsFrom(opts: Record<string, unknown>): LoadOptions {
  const out: LoadOptions = {};
  if (opts.format !== undefined) {
    const f = String(opts.format);
    if (!(DATA_FORMATS as readonly string[]).includes(f)) throw badOption('--format', f, `one of ${DATA_FORMATS.join(', ')}`);
    out.format = f as DataFormat;
  }
  if (opts.columns !== undefined) out.columns = parseColumns(String(opts.columns));
  if (opts.minRating !== undefined) {
    const s = String(opts.minRating);
    const x = Number(s);
    if (s.trim() === '' || !Number.isFinite(x)) throw badOption('--min-rating', s, 'a number, e.g. 4');
    out.minRating = x;
  }
  if (opts.kcore !== undefined) {
    const s = String(opts.kcore);
    const k = Number(s);
    if (!/^\s*\d+\s*$/.test(s) || k < 1) throw badOption('--kcore', s, 'a positive integer, e.g. 5');
    out.kcore = k;
  }
  if (opts.skipBadLines !== undefined) out.skipBadLines = opts.skipBadLines === true;
  if (opts.delimiter !== undefined) {
    const d = parseDelimiter(String(opts.delimiter));
    if (d.length === 0 || /[\r\n"]/.test(d)) throw badOption('--delimiter', d, 'a non-empty separator such as "," ";" "|" "::" tab space');
    out.delimiter = d;
  }
  if (opts.header !== undefined) {
    const h = String(opts.header).toLowerCase();
    const map: Record<string, 'auto' | boolean> = { auto: 'auto', yes: true, true: true, no: false, false: false };
    if (!(h in map)) throw badOption('--header', opts.header, 'one of auto, yes, no');
    out.header = map[h];
  }
  return out;
}
