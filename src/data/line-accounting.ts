// Bad-line accounting: the errors that name file:line:column, skipping and counting them with
// skipBadLines, and the one-line account of where a load's lines went (browser-safe).
import { LrmlError } from '../errors.js';
import { ROLES } from './column-names.js';
import type { ColumnChoice, LoadSummary } from './types.js';

/** Messages of skipped bad lines kept in the summary. */
const MAX_EXAMPLES = 5;

/**
 * A string for a message: quoted, cut after `max` characters.
 *
 * @example
 * ```ts
 * preview('a,b'); // '"a,b"'
 * ```
 */
export function preview(s: string, max = 60): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}

function showDelimiter(d: string): string {
  return d === '\t' ? 'tab' : JSON.stringify(d);
}

/** The codes of errors about one line. */
export type LineErrorCode = 'BAD_VALUE' | 'MISSING_COLUMN';

/**
 * The bad lines of one load: each becomes an {@link LrmlError} naming `file:line`; it is thrown,
 * or with `skipBadLines` counted, its message kept among the first five examples.
 *
 * @example
 * ```ts
 * const bad = new BadLines('x.csv', true);
 * bad.report('BAD_VALUE', 3, 'column "rating" (3): "abc" is not a number', 3, 'abc');
 * bad.count; // 1
 * bad.examples[0]; // 'BAD_VALUE: x.csv:3: column "rating" (3): "abc" is not a number'
 * ```
 */
export class BadLines {
  /** Bad lines skipped. */
  count = 0;
  /** The first messages of skipped lines, as `CODE: message`. */
  readonly examples: string[] = [];

  /** `unit` `row`: records of a structured file (Parquet), named `file, row N` instead of `file:N`. */
  constructor(
    private readonly file: string,
    private readonly skip: boolean,
    private readonly unit: 'line' | 'row' = 'line',
  ) {}

  /** The error for line `line` (1-based physical line, or row; `column` 1-based). */
  error(code: LineErrorCode, line: number, message: string, column?: number, value?: string): LrmlError {
    const where = this.unit === 'row' ? `${this.file}, row ${line}` : `${this.file}:${line}`;
    return new LrmlError(code, `${where}: ${message}`, { file: this.file, line, column, value });
  }

  /** A bad line: throws its error, or with `skipBadLines` counts it. */
  report(code: LineErrorCode, line: number, message: string, column?: number, value?: string): void {
    const err = this.error(code, line, message, column, value);
    if (!this.skip) throw err;
    this.count++;
    if (this.examples.length < MAX_EXAMPLES) this.examples.push(`${code}: ${err.message}`);
  }
}

/**
 * The message (and 1-based column) of a line with `found` fields where `need` are needed: which
 * roles are missing, and a hint when the line holds another common separator.
 *
 * @example
 * ```ts
 * tooFewFields(layout.columns, ',', 3, '1\t2\t3', 1).message;
 * // 'expected at least 3 fields separated by ",", found 1 in "1\t2\t3" (missing item "item" (2), rating "rating" (3)); the line contains tabs: wrong format or delimiter?'
 * ```
 */
export function tooFewFields(columns: ColumnChoice, delimiter: string, need: number, text: string, found: number): { message: string; column: number } {
  const roles = ROLES.filter((r) => columns[r] !== null && columns[r]!.index >= found);
  const which = roles.map((r) => `${r} "${columns[r]!.name}" (${columns[r]!.index + 1})`).join(', ');
  let hint = '';
  const others: [string, string][] = [['\t', 'tabs'], [',', 'commas'], [';', 'semicolons'], ['::', '"::"'], ['|', 'bars'], [' ', 'spaces']];
  for (const [d, name] of others) {
    if (d !== delimiter && text.includes(d)) {
      hint = `; the line contains ${name}: wrong format or delimiter?`;
      break;
    }
  }
  return {
    message: `expected at least ${need} fields separated by ${showDelimiter(delimiter)}, found ${found} in ${preview(text)} (missing ${which})${hint}`,
    column: columns[roles[0]]!.index + 1,
  };
}

/**
 * One line saying where the lines (Parquet: rows) of a load went, e.g. for NO_INTERACTIONS.
 *
 * @example
 * ```ts
 * describeDrops(data.summary); // "100836 lines read, 51 below minRating, 100785 kept"
 * ```
 */
export function describeDrops(s: LoadSummary): string {
  const unit = s.format === 'parquet' ? 'rows' : 'lines';
  const parts = [`${s.linesRead} ${unit} read`];
  if (s.duplicates) parts.push(`${s.duplicates} duplicates`);
  if (s.belowMinRating) parts.push(`${s.belowMinRating} below minRating`);
  if (s.kcoreRemoved) parts.push(`${s.kcoreRemoved} removed by k-core`);
  if (s.badLines) parts.push(`${s.badLines} bad ${unit} skipped`);
  if (s.unknownLines) parts.push(`${s.unknownLines} with unknown ids`);
  parts.push(`${s.kept} kept`);
  return parts.join(', ');
}
