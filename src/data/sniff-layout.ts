// Format sniffing: gathering the first bytes of a stream and deciding from its first two lines
// the format, delimiter, header and which column holds which role (browser-safe).
import { LrmlError } from '../errors.js';
import { CR, NL, isBlank, splitFields } from './byte-fields.js';
import { ROLES, ROLE_NAMES, isHeaderLine, normName, type Role } from './column-names.js';
import { preview } from './line-accounting.js';
import type { ResolvedLoadOptions } from './load-options.js';
import type { ColumnChoice, ColumnRef, ColumnSpec, DataFormat } from './types.js';

/** Longest first lines accepted while sniffing the format. */
const MAX_FIRST_LINE = 16 * 1024 * 1024;

/**
 * Bytes gathered before deciding the format even with fewer than two lines.
 *
 * @example
 * ```ts
 * SNIFF_BYTES; // 1048576
 * ```
 */
export const SNIFF_BYTES = 1 << 20;

const decoder = new TextDecoder('utf-8');
const encoder = new TextEncoder();

/**
 * The layout of an interaction file, decided from its first lines by {@link sniffLayout}.
 *
 * @example
 * ```ts
 * const layout = sniffLayout(ctx, new TextEncoder().encode('u,i\n1,2\n'), true);
 * layout.format; // 'csv'
 * layout.columns.user; // { index: 0, name: 'u' }
 * ```
 */
export interface Layout {
  format: Exclude<DataFormat, 'auto'>;
  delimiter: string;
  /** Whether fields may be "quoted" (csv). */
  quotes: boolean;
  header: boolean;
  /** The header's physical line number, -1 without a header. */
  headerLine: number;
  columns: ColumnChoice;
  /** Columns no role reads (see `LoadSummary.ignoredColumns`). */
  ignoredColumns: ColumnRef[];
}

/**
 * What sniffing needs to know besides the bytes: the file (for messages), whether it was gzip
 * (for messages) and the resolved load options.
 *
 * @example
 * ```ts
 * const ctx: SniffContext = { file: 'ratings.csv', gzip: false, options: resolveLoadOptions({}) };
 * ```
 */
export interface SniffContext {
  file: string;
  gzip: boolean;
  options: ResolvedLoadOptions;
}

/**
 * The first bytes of a stream, gathered until the layout can be decided: two non-blank lines, or
 * one line and {@link SNIFF_BYTES} bytes. Refuses binary input (NUL bytes in the first 8 KiB) and
 * a first line longer than 16 MiB with UNKNOWN_FORMAT.
 *
 * @example
 * ```ts
 * const sniff = new SniffBuffer('ratings.csv', false);
 * sniff.append(new TextEncoder().encode('userId,movieId\n1,'));  // false: one line so far
 * sniff.append(new TextEncoder().encode('10\n'));                // true
 * const bytes = sniff.take(); // everything gathered, BOM dropped
 * ```
 */
export class SniffBuffer {
  private buffer = new Uint8Array(0);
  private length = 0;
  /** How far the buffer was scanned for line ends. */
  private scanned = 0;
  /** Non-blank lines found so far. */
  private lines = 0;

  constructor(
    private readonly file: string,
    private readonly gzip: boolean,
  ) {}

  /** Adds the next bytes; true when enough has been gathered to decide the layout. */
  append(chunk: Uint8Array): boolean {
    let buf = this.buffer;
    const need = this.length + chunk.length;
    if (need > buf.length) {
      const grown = new Uint8Array(Math.max(need, buf.length * 2));
      grown.set(buf.subarray(0, this.length));
      buf = grown;
      this.buffer = buf;
    }
    buf.set(chunk, this.length);
    this.length = need;
    return this.ready();
  }

  /** The bytes gathered, without a leading UTF-8 byte-order mark. */
  take(): Uint8Array {
    let buf = this.buffer.subarray(0, this.length);
    this.buffer = new Uint8Array(0);
    this.length = 0;
    if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    return buf;
  }

  private ready(): boolean {
    const buf = this.buffer.subarray(0, this.length);
    if (this.scanned === 0 && buf.subarray(0, 8192).includes(0)) {
      throw new LrmlError('UNKNOWN_FORMAT', `${this.file}: looks binary (NUL bytes in the first 8 KiB), not a text interaction file${this.gzip ? '' : ' (gzip is detected by its magic bytes; other compressions are not supported)'}`, { file: this.file });
    }
    let p = this.scanned;
    for (;;) {
      const nl = buf.indexOf(NL, p);
      if (nl < 0) break;
      if (!isBlank(buf, p, nl)) this.lines++;
      p = nl + 1;
      this.scanned = p;
      if (this.lines >= 2) return true;
    }
    if (buf.length - this.scanned >= MAX_FIRST_LINE) {
      throw new LrmlError('UNKNOWN_FORMAT', `${this.file}: no line break in ${MAX_FIRST_LINE >> 20} MiB: not a line-based text file`, { file: this.file });
    }
    return this.lines >= 1 && buf.length >= SNIFF_BYTES;
  }
}

/**
 * Decides the layout from the first bytes of a file (`atEnd`: they are the whole file, so a last
 * line without a line break counts): format and delimiter, header, the column of each role.
 * Throws EMPTY_FILE, UNKNOWN_FORMAT, MISSING_COLUMN, BAD_COLUMN.
 *
 * @example
 * ```ts
 * const ctx = { file: 'x.csv', gzip: false, options: resolveLoadOptions({}) };
 * sniffLayout(ctx, new TextEncoder().encode('userId,movieId,r\n1,10,4\n'), true).columns.rating; // { index: 2, name: 'r' }
 * ```
 */
export function sniffLayout(ctx: SniffContext, buf: Uint8Array, atEnd: boolean): Layout {
  // First two non-blank lines (copies: field splitting may unescape in place).
  const first: { text: Uint8Array; no: number }[] = [];
  let p = 0;
  let no = 0;
  while (p < buf.length && first.length < 2) {
    let nl = buf.indexOf(NL, p);
    if (nl < 0) {
      if (!atEnd) break;
      nl = buf.length;
    }
    no++;
    let e = nl;
    if (e > p && buf[e - 1] === CR) e--;
    if (!isBlank(buf, p, e)) first.push({ text: buf.slice(p, e), no });
    p = nl + 1;
  }
  if (first.length === 0) {
    throw new LrmlError('EMPTY_FILE', `${ctx.file}: the file is empty (no data lines)`, { file: ctx.file });
  }
  return decideLayout(ctx, first[0].text, first[0].no, first.length > 1 ? first[1].text : null);
}

/** Separators looked for in the first line, in order, and the format each means. */
const SNIFFED_SEPARATORS: [string, Exclude<DataFormat, 'auto'>][] = [['::', 'dat'], ['\t', 'tsv'], [',', 'csv'], [';', 'csv']];

function isNumeric(s: string): boolean {
  return /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(s);
}

/** The fields of one of the first lines, as strings. */
function splitStrings(line: Uint8Array, delimiter: string, quotes: boolean): string[] {
  const limit = 4096;
  const fieldStart = new Int32Array(limit);
  const fieldEnd = new Int32Array(limit);
  const n = splitFields(line, 0, line.length, encoder.encode(delimiter), quotes, fieldStart, fieldEnd, limit);
  if (n < 0) return [decoder.decode(line)]; // a malformed quote: reported when the line is parsed
  const out: string[] = [];
  for (let k = 0; k < n; k++) out.push(decoder.decode(line.subarray(fieldStart[k], fieldEnd[k])));
  return out;
}

/** Format, delimiter and header from the first (and second) non-blank line, then the columns. */
function decideLayout(ctx: SniffContext, line1: Uint8Array, lineNo: number, line2: Uint8Array | null): Layout {
  const o = ctx.options;
  const text1 = decoder.decode(line1);
  if (line1.includes(0)) {
    throw new LrmlError('UNKNOWN_FORMAT', `${ctx.file}: looks binary (NUL bytes in the first line), not a text interaction file${ctx.gzip ? '' : ' (gzip is detected by its magic bytes; other compressions are not supported)'}`, { file: ctx.file });
  }
  if (line1.includes(CR)) {
    throw new LrmlError('UNKNOWN_FORMAT', `${ctx.file}: lines end in a bare carriage return (classic Mac line ends); convert them to \\n or \\r\\n`, { file: ctx.file, line: lineNo });
  }
  // Format and delimiter.
  let format: Exclude<DataFormat, 'auto'>;
  let delimiter: string;
  const byFormat: Record<Exclude<DataFormat, 'auto' | 'parquet'>, string> = { csv: ',', tsv: '\t', dat: '::', 'ncf-rating': '\t', 'ncf-pairs': '\t' };
  if (o.format === 'parquet') {
    throw new LrmlError('UNKNOWN_FORMAT', `${ctx.file}: format parquet, but this is text, not a Parquet file (Parquet files start with the bytes PAR1; loadInteractions reads them)`, { file: ctx.file });
  }
  if (o.format !== 'auto') {
    format = o.format;
    delimiter = o.delimiter ?? byFormat[format];
  } else if (o.delimiter !== null) {
    delimiter = o.delimiter;
    format = delimiter === '\t' ? 'tsv' : delimiter === '::' ? 'dat' : 'csv';
  } else {
    const sniffed = SNIFFED_SEPARATORS.find(([sep]) => text1.includes(sep));
    if (sniffed !== undefined) [delimiter, format] = sniffed;
    else throw new LrmlError('UNKNOWN_FORMAT', `${ctx.file}:${lineNo}: cannot tell the format: the first line ${preview(text1)} has no tab, comma, semicolon or "::" separator (give format, or delimiter, e.g. --delimiter " ")`, { file: ctx.file, line: lineNo, value: text1.slice(0, 200) });
  }
  const quotes = format === 'csv';
  const f1 = splitStrings(line1, delimiter, quotes);
  const f2 = line2 === null ? null : splitStrings(line2, delimiter, quotes);
  // Header.
  const spec = o.columns;
  const namedSpec = spec !== null && spec.some((c) => typeof c === 'string');
  let header: boolean;
  if (o.header !== 'auto') header = o.header;
  else if (format === 'ncf-rating' || format === 'ncf-pairs') header = false;
  else if (namedSpec) header = true;
  else {
    header = isHeaderLine(f1);
    // Unknown names: a first line with no number above a line with a number as rating.
    if (!header && f1.length >= 3 && f2 !== null && f2.length >= 3 && !f1.some(isNumeric) && isNumeric(f2[2])) header = true;
  }
  if (namedSpec && !header) {
    throw new LrmlError('BAD_COLUMN', `${ctx.file}: columns are given by name (${JSON.stringify(spec)}) but the file has no header line; give 0-based indices instead`, { file: ctx.file });
  }
  if (header && f2 === null) {
    throw new LrmlError('EMPTY_FILE', `${ctx.file}: only a header line (${preview(text1)}), no data lines`, { file: ctx.file, line: lineNo });
  }
  const names = header ? f1.map((s) => s.trim()) : null;
  if (o.format === 'auto' && o.delimiter === null && format === 'tsv' && !header) {
    if (f1.length === 2) format = 'ncf-pairs';
    else if (f1.length === 4 && f1.every(isNumeric)) format = 'ncf-rating';
  }
  const columns = chooseColumns(ctx, format, names, header ? f2! : f1, spec, lineNo);
  const ignoredColumns = unusedColumns(columns, names, header ? f2!.length : f1.length);
  return { format, delimiter, quotes, header, headerLine: header ? lineNo : -1, columns, ignoredColumns };
}

/**
 * The columns of a file whose column names are known without sniffing (Parquet's schema): the
 * column of each role chosen as for a text file with a header (`columns` by name or index, else by
 * the header names of {@link ROLE_NAMES}), and the columns no role reads.
 *
 * @example
 * ```ts
 * columnsFromNames(ctx, ['userId', 'movieId', 'rating', 'timestamp']).columns.rating; // { index: 2, name: 'rating' }
 * ```
 */
export function columnsFromNames(ctx: SniffContext, names: string[]): { columns: ColumnChoice; ignoredColumns: ColumnRef[] } {
  const columns = chooseColumns(ctx, 'parquet', names, names, ctx.options.columns, 1);
  return { columns, ignoredColumns: unusedColumns(columns, names, names.length) };
}

/** The column of each role: from `columns`, the format, the header names, or positions. */
function chooseColumns(ctx: SniffContext, format: Exclude<DataFormat, 'auto'>, names: string[] | null, firstData: string[], spec: ColumnSpec[] | null, lineNo: number): ColumnChoice {
  const ref = (role: Role, index: number): ColumnRef => ({ index, name: names !== null && index < names.length ? names[index] : role });
  const out: Partial<Record<Role, ColumnRef | null>> = {};
  if (spec !== null) {
    for (let r = 0; r < 4; r++) {
      const role = ROLES[r];
      const c = r < spec.length ? spec[r] : null;
      if (c === null) out[role] = null;
      else if (typeof c === 'number') out[role] = ref(role, c);
      else {
        const idx = names!.indexOf(c);
        const idx2 = idx >= 0 ? idx : names!.findIndex((n) => n.toLowerCase() === c.toLowerCase());
        if (idx2 < 0) {
          throw new LrmlError('MISSING_COLUMN', `${ctx.file}: column "${c}" (${role}) is not in the header (columns: ${names!.map((n) => JSON.stringify(n)).join(', ')})`, { file: ctx.file, line: lineNo, column: c });
        }
        out[role] = ref(role, idx2);
      }
    }
    const idx = ROLES.map((r) => out[r]?.index).filter((x): x is number => x !== undefined);
    if (new Set(idx).size !== idx.length) {
      throw new LrmlError('BAD_COLUMN', `${ctx.file}: columns ${JSON.stringify(spec)} use one column for two roles (${describeColumns(out as ColumnChoice)})`, { file: ctx.file });
    }
    return out as ColumnChoice;
  }
  if (format === 'ncf-pairs') return { user: ref('user', 0), item: ref('item', 1), rating: null, timestamp: null };
  if (format === 'ncf-rating') return { user: ref('user', 0), item: ref('item', 1), rating: ref('rating', 2), timestamp: ref('timestamp', 3) };
  if (names !== null) {
    const used = new Set<number>();
    const find = (role: Role): number => {
      const wanted = ROLE_NAMES[role] as readonly string[];
      let best = -1;
      let bestRank = Infinity;
      names.forEach((n, idx) => {
        const rank = wanted.indexOf(normName(n));
        if (rank >= 0 && rank < bestRank && !used.has(idx)) {
          best = idx;
          bestRank = rank;
        }
      });
      if (best >= 0) used.add(best);
      return best;
    };
    let u = find('user');
    let i = find('item');
    const r = find('rating');
    const t = find('timestamp');
    // Unnamed user/item columns: the first columns not taken by another role.
    const free = (): number => {
      for (let k = 0; k < names.length; k++) if (!used.has(k)) { used.add(k); return k; }
      return -1;
    };
    if (u < 0) u = free();
    if (i < 0) i = free();
    if (u < 0 || i < 0) {
      throw new LrmlError('MISSING_COLUMN', `${ctx.file}:${lineNo}: the header (${names.map((x) => JSON.stringify(x)).join(', ')}) has fewer than 2 columns to use as user and item`, { file: ctx.file, line: lineNo });
    }
    return { user: ref('user', u), item: ref('item', i), rating: r >= 0 ? ref('rating', r) : null, timestamp: t >= 0 ? ref('timestamp', t) : null };
  }
  const n = firstData.length;
  return {
    user: ref('user', 0),
    item: ref('item', 1),
    rating: n >= 3 ? ref('rating', 2) : null,
    timestamp: n >= 4 ? ref('timestamp', 3) : null,
  };
}

/**
 * The columns no role reads: those of the header, or without one, of the first data line
 * (named `column N`, 1-based).
 */
function unusedColumns(c: ColumnChoice, names: string[] | null, firstDataFields: number): ColumnRef[] {
  const used = new Set(ROLES.map((r) => c[r]?.index));
  const count = names !== null ? names.length : firstDataFields;
  const out: ColumnRef[] = [];
  for (let k = 0; k < count; k++) {
    if (!used.has(k)) out.push({ index: k, name: names !== null ? names[k] : `column ${k + 1}` });
  }
  return out;
}

/**
 * The columns as text for messages, e.g. `user="userId" (1), item="movieId" (2), rating=-, timestamp=-`.
 *
 * @example
 * ```ts
 * describeColumns(layout.columns);
 * ```
 */
export function describeColumns(c: ColumnChoice): string {
  return ROLES.map((r) => `${r}=${c[r] === null ? '-' : `"${c[r]!.name}" (${c[r]!.index + 1})`}`).join(', ');
}
