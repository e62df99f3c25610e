import type { Command } from 'commander';
import { loadInteractions } from '../../data/load.js';
import { describeDrops } from '../../data/line-accounting.js';
import { describeInteractions, type CountStats } from '../../data/stats.js';
import type { LoadSummary } from '../../data/types.js';
import { addDataOptions, dataOptionsFrom } from '../data-options.js';
import { formatTable } from '../progress.js';

function fmt(x: number): string {
  if (Number.isInteger(x)) return String(x);
  return String(Number(Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(2)));
}

/** A Unix time in seconds or milliseconds as a date, else the number. */
function timeText(t: number): string {
  const ms = t > 1e11 ? t : t * 1000;
  if (t >= 1e8 && t < 1e14) return `${t} (${new Date(ms).toISOString().slice(0, 10)})`;
  return String(t);
}

/**
 * The load summary as two or more lines of text (shared by `info`, `split` and `train`): the
 * format, the columns used and those ignored, where every line went.
 *
 * @example
 * ```ts
 * process.stdout.write(`${summaryText(data.summary)}\n`);
 * // ratings.csv: csv, with header, columns: user=userId, item=movieId, rating=rating, timestamp=timestamp
 * // lines: 100836 lines read, 100836 kept
 * // (columns no role reads are named: "…, timestamp=ts; ignored: stars_given (3)")
 * ```
 */
export function summaryText(s: LoadSummary): string {
  const cols = s.columns;
  const colText = cols === undefined ? '' : `, columns: user=${cols.user.name}, item=${cols.item.name}` +
    `${cols.rating !== null ? `, rating=${cols.rating.name}` : ''}${cols.timestamp !== null ? `, timestamp=${cols.timestamp.name}` : ''}`;
  const ignored = s.ignoredColumns ?? [];
  const ignoredText = ignored.length === 0 ? '' : `; ignored: ${ignored.map((c) => `${c.name} (${c.index + 1})`).join(', ')}`;
  const lines = [
    `${s.file}: ${s.format}${s.gzip ? ' (gzip)' : ''}${s.format === 'parquet' ? '' : s.header ? ', with header' : ', no header'}${colText}${ignoredText}`,
    `${s.format === 'parquet' ? 'rows' : 'lines'}: ${describeDrops(s)}${s.blankLines ? `, ${s.blankLines} blank` : ''}`,
  ];
  if (s.droppedUsers || s.droppedItems) {
    lines.push(`left without interactions and removed from the maps: ${s.droppedUsers ?? 0} users, ${s.droppedItems ?? 0} items`);
  }
  if (s.unknownLines) lines.push(`unknown to the given maps: ${s.unknownUsers ?? 0} users, ${s.unknownItems ?? 0} items`);
  for (const ex of s.badLineExamples ?? []) lines.push(`  skipped: ${ex}`);
  return lines.join('\n');
}

function statsRow(name: string, c: CountStats): (string | number)[] {
  return [name, fmt(c.min), fmt(c.median), fmt(c.mean), fmt(c.max)];
}

/**
 * Registers `lrml info --data F [--json]`: counts, density, per-user and per-item
 * interaction statistics and the load summary of an interaction file.
 *
 * @example
 * ```ts
 * registerInfo(program);
 * await program.parseAsync(['node', 'lrml', 'info', '--data', 'data/ml-latest-small/ratings.csv', '--json']);
 * // {"users":610,"items":9724,"interactions":100836,"density":0.0169…,…}
 * ```
 */
export function registerInfo(program: Command): void {
  const cmd = program
    .command('info')
    .description('describe an interaction file: counts, density, per-user / per-item statistics, what the loader kept')
    .requiredOption('--data <file>', 'interaction file (csv, tsv, dat, NCF; gzip ok)')
    .option('--json', 'print JSON on stdout');
  addDataOptions(cmd);
  cmd.action(async (opts: Record<string, unknown>) => {
    const data = await loadInteractions(String(opts.data), dataOptionsFrom(opts));
    const s = describeInteractions(data);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ ...s, summary: data.summary })}\n`);
      return;
    }
    const out = [
      summaryText(data.summary),
      '',
      formatTable([
        ['', 'count'],
        ['users', s.users],
        ['items', s.items],
        ['interactions', s.interactions],
        ['density', `${(s.density * 100).toFixed(3)}%`],
      ]),
      '',
      formatTable([['interactions', 'min', 'median', 'mean', 'max'], statsRow('per user', s.perUser), statsRow('per item', s.perItem)]),
    ];
    if (s.rating !== null) out.push('', `rating: ${fmt(s.rating.min)} to ${fmt(s.rating.max)}, mean ${s.rating.mean.toFixed(3)}`);
    if (s.timestamp !== null) out.push(`timestamp: ${timeText(s.timestamp.min)} to ${timeText(s.timestamp.max)}`);
    process.stdout.write(`${out.join('\n')}\n`);
  });
}
