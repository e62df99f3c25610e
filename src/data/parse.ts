import { LrmlError, badOption, oneOf } from '../errors.js';
import type { IdMap } from './idmap.js';
import { ByteInterner, INVALID_UTF8 } from './interner.js';
import { kcoreFilter, markDuplicates } from './filters.js';
import type { ColumnChoice, ColumnRef, ColumnSpec, DataFormat, Interactions, LoadOptions, LoadSummary } from './types.js';

// Browser-safe: no Node imports here. `load.ts` adds files, streams and gzip.

/**
 * The formats `format` accepts.
 *
 * @example
 * ```ts
 * DATA_FORMATS.includes('csv'); // true
 * ```
 */
export const DATA_FORMATS: readonly DataFormat[] = ['auto', 'csv', 'tsv', 'dat', 'ncf-rating', 'ncf-pairs'];

const NL = 10;
const CR = 13;
const QUOTE = 34;
const SPACE = 32;
const TAB = 9;

/** Longest line accepted (a longer one means the file is not line-based text). */
const MAX_LINE = 64 * 1024 * 1024;
/** Longest first lines accepted while sniffing the format. */
const MAX_FIRST_LINE = 16 * 1024 * 1024;
/** Bytes gathered before deciding the format even with fewer than two lines. */
const SNIFF_BYTES = 1 << 20;
/** Messages of skipped bad lines kept in the summary. */
const MAX_EXAMPLES = 5;

/**
 * Header names recognised per role (compared lower-case, without `_`, `-`, `.`, spaces); earlier
 * names win when a header has several of a role. The one-letter names (`u`, `i`, `r`, `t`) make a
 * first line a header only when it has two of them (see {@link isHeaderLine}).
 */
const ROLE_NAMES = {
  user: ['user', 'userid', 'uid', 'users', 'customer', 'customerid', 'visitorid', 'reviewerid', 'memberid', 'member', 'u'],
  item: ['item', 'itemid', 'iid', 'items', 'movie', 'movieid', 'product', 'productid', 'asin', 'song', 'songid',
    'track', 'trackid', 'artist', 'artistid', 'book', 'bookid', 'isbn', 'business', 'businessid', 'video', 'videoid',
    'article', 'articleid', 'object', 'objectid', 'poi', 'poiid', 'venue', 'venueid', 'recipe', 'recipeid', 'i'],
  rating: ['rating', 'ratings', 'score', 'stars', 'star', 'preference', 'value', 'weight', 'rate', 'r'],
  timestamp: ['timestamp', 'time', 'ts', 'unixtime', 'unixreviewtime', 'datetime', 'epoch', 't'],
} as const;

type Role = 'user' | 'item' | 'rating' | 'timestamp';
const ROLES: readonly Role[] = ['user', 'item', 'rating', 'timestamp'];

function normName(s: string): string {
  return s.toLowerCase().replace(/[\s_\-.]/g, '');
}

const KNOWN_NAMES = new Set<string>(Object.values(ROLE_NAMES).flat());

/**
 * Whether a first line's fields read as a header by their names: one known name of two letters or
 * more (`userId`, `ts`), or two known one-letter names (`u,i`; a lone `u` or `t` is as likely an id).
 */
function isHeaderLine(fields: readonly string[]): boolean {
  let short = 0;
  for (const f of fields) {
    const n = normName(f);
    if (!KNOWN_NAMES.has(n)) continue;
    if (n.length > 1) return true;
    short++;
  }
  return short >= 2;
}

const decoder = new TextDecoder('utf-8');
const encoder = new TextEncoder();

function showDelimiter(d: string): string {
  return d === '\t' ? 'tab' : JSON.stringify(d);
}

function preview(s: string, max = 60): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}

/** Load options after validation, defaults filled (see {@link resolveLoadOptions}). */
export interface ResolvedLoadOptions {
  format: DataFormat;
  columns: ColumnSpec[] | null;
  minRating: number | null;
  kcore: number | null;
  skipBadLines: boolean;
  delimiter: string | null;
  header: 'auto' | boolean;
  users: IdMap | undefined;
  items: IdMap | undefined;
  frozen: boolean;
}

/**
 * Validates load options (throws BAD_OPTION, or BAD_COLUMN for `columns`) and fills defaults.
 *
 * @example
 * ```ts
 * resolveLoadOptions({ kcore: 0 }); // throws LrmlError BAD_OPTION: invalid kcore: 0 (expected a positive integer)
 * ```
 */
export function resolveLoadOptions(options: LoadOptions = {}): ResolvedLoadOptions {
  const format = oneOf('format', options.format ?? 'auto', DATA_FORMATS);
  let columns: ColumnSpec[] | null = null;
  if (options.columns !== undefined) columns = checkColumns(options.columns);
  const minRating = options.minRating ?? null;
  if (minRating !== null && (typeof minRating !== 'number' || !Number.isFinite(minRating))) {
    throw badOption('minRating', minRating, 'a finite number');
  }
  const kcore = options.kcore ?? null;
  if (kcore !== null && (!Number.isInteger(kcore) || kcore <= 0)) throw badOption('kcore', kcore, 'a positive integer');
  const delimiter = options.delimiter ?? null;
  if (delimiter !== null && (typeof delimiter !== 'string' || delimiter.length === 0 || /[\r\n"]/.test(delimiter))) {
    throw badOption('delimiter', delimiter, 'a non-empty string without quotes or line breaks, e.g. "," "\\t" "::" ";"');
  }
  const header = options.header ?? 'auto';
  if (header !== 'auto' && header !== true && header !== false) throw badOption('header', header, "'auto', true or false");
  const frozen = options.frozen ?? false;
  if (typeof frozen !== 'boolean') throw badOption('frozen', frozen, 'true or false');
  if (frozen && options.users === undefined && options.items === undefined) {
    throw badOption('frozen', frozen, 'true only together with users and/or items maps');
  }
  const skip = options.skipBadLines ?? false;
  if (typeof skip !== 'boolean') throw badOption('skipBadLines', skip, 'true or false');
  return { format, columns, minRating, kcore, skipBadLines: skip, delimiter, header, users: options.users, items: options.items, frozen };
}

function checkColumns(spec: readonly ColumnSpec[]): ColumnSpec[] {
  const bad = (why: string): LrmlError =>
    new LrmlError('BAD_COLUMN', `invalid columns ${JSON.stringify(spec)}: ${why} (expected [user, item, rating?, timestamp?] as header names or 0-based indices, e.g. ["userId","movieId","rating"] or [0,1,2,3]; null or "-" skips one)`);
  if (!Array.isArray(spec) || spec.length < 2 || spec.length > 4) throw bad('need 2 to 4 entries');
  const out: ColumnSpec[] = [];
  for (let r = 0; r < spec.length; r++) {
    const c = spec[r];
    if (c === null || c === '-' || (c === '' && r >= 2)) out.push(null);
    else if (typeof c === 'number') {
      if (!Number.isInteger(c) || c < 0) throw bad(`${ROLES[r]} column ${c} is not a 0-based index`);
      out.push(c);
    } else if (typeof c === 'string' && c.trim() !== '') out.push(c.trim());
    else throw bad(`${ROLES[r]} column ${JSON.stringify(c)} is neither a name nor an index`);
  }
  if (out[0] === null || out[1] === null) throw bad('user and item columns are required');
  const seen = new Set<string>();
  for (const c of out) {
    if (c === null) continue;
    const key = `${typeof c}:${c}`;
    if (seen.has(key)) throw bad(`column ${JSON.stringify(c)} is used twice`);
    seen.add(key);
  }
  return out;
}

/**
 * Parses a number from bytes `b[s, e)`; NaN when it is not a finite number. A fast path
 * handles plain decimals (`-12`, `3.5`); anything else goes through `Number()`.
 */
function parseNumber(b: Uint8Array, s: number, e: number): number {
  let p = s;
  let neg = false;
  if (p < e && (b[p] === 45 || b[p] === 43)) {
    neg = b[p] === 45;
    p++;
  }
  let v = 0;
  let digits = 0;
  let c = 0;
  while (p < e && (c = b[p] - 48) >= 0 && c <= 9) {
    v = v * 10 + c;
    digits++;
    p++;
  }
  let scale = 1;
  if (p < e && b[p] === 46) {
    p++;
    while (p < e && (c = b[p] - 48) >= 0 && c <= 9) {
      v = v * 10 + c;
      scale *= 10;
      digits++;
      p++;
    }
  }
  if (p === e && digits > 0 && digits <= 15) {
    const x = scale === 1 ? v : v / scale;
    return neg ? -x : x;
  }
  // Slow path: exponents, long numbers, oddities.
  const str = decoder.decode(b.subarray(s, e)).trim();
  if (str === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(str)) return NaN;
  const x = Number(str);
  return Number.isFinite(x) ? x : NaN;
}

function isNumeric(s: string): boolean {
  return /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(s);
}

/** Growable typed-array columns. */
class Columns {
  n = 0;
  user: Int32Array;
  item: Int32Array;
  rating: Float32Array | null;
  timestamp: Float64Array | null;
  constructor(hasRating: boolean, hasTimestamp: boolean, capacity: number) {
    this.user = new Int32Array(capacity);
    this.item = new Int32Array(capacity);
    this.rating = hasRating ? new Float32Array(capacity) : null;
    this.timestamp = hasTimestamp ? new Float64Array(capacity) : null;
  }
  grow(): void {
    const cap = Math.ceil(this.user.length * 1.5) + 1024;
    const u = new Int32Array(cap);
    u.set(this.user);
    this.user = u;
    const i = new Int32Array(cap);
    i.set(this.item);
    this.item = i;
    if (this.rating !== null) {
      const r = new Float32Array(cap);
      r.set(this.rating);
      this.rating = r;
    }
    if (this.timestamp !== null) {
      const t = new Float64Array(cap);
      t.set(this.timestamp);
      this.timestamp = t;
    }
  }
}

/** The layout decided from the first lines. */
interface Layout {
  format: Exclude<DataFormat, 'auto'>;
  delimiter: string;
  quotes: boolean;
  header: boolean;
  headerLine: number;
  columns: ColumnChoice;
  ignoredColumns: ColumnRef[];
}

/**
 * A streaming interaction parser: feed it the file's bytes in chunks of any size
 * (`push`), then `finish()` applies duplicates handling, `minRating`, k-core and id
 * compaction and returns the {@link Interactions}. Memory: the columns (20 bytes per
 * line at most) plus one chunk; the text is never held whole. Browser-safe (no gzip:
 * decompress first). `loadInteractions` and `parseInteractions` are built on it.
 *
 * @example
 * ```ts
 * const p = new InteractionParser('ratings.csv', { minRating: 4 });
 * p.push(new TextEncoder().encode('userId,movieId,rating\n1,10,5\n'));
 * p.push(new TextEncoder().encode('1,11,2\n2,10,4\n'));
 * const data = p.finish(); // 2 interactions, 2 users, 1 item
 * ```
 */
export class InteractionParser {
  private readonly opt: ResolvedLoadOptions;
  private readonly userIds: ByteInterner;
  private readonly itemIds: ByteInterner;
  private layout: Layout | null = null;
  private cols: Columns | null = null;
  /** Bytes gathered before the layout is known (`sniffLen` used, grown by doubling). */
  private sniffBuf: Uint8Array | null = new Uint8Array(0);
  private sniffLen = 0;
  /** How far the sniff buffer was scanned for line ends, and the non-blank lines found. */
  private sniffScan = 0;
  private sniffLines = 0;
  /** Incomplete last line of the previous chunk. */
  private carry: Uint8Array | null = null;
  private lineNo = 0;
  private linesRead = 0;
  private blankLines = 0;
  private badLines = 0;
  private unknownLines = 0;
  private readonly examples: string[] = [];
  private finished = false;
  // Per-line field bounds (sized to the highest column needed + 1).
  private fs = new Int32Array(4);
  private fe = new Int32Array(4);
  private need = 2;
  private delimBytes = new Uint8Array(0);
  private uc = 0;
  private ic = 1;
  private rc = -1;
  private tc = -1;

  /**
   * `file` names the input in messages and in the summary; `gzip` is only reported;
   * `sizeHint` (bytes of text expected, optional) sizes the columns up front.
   */
  constructor(
    readonly file: string,
    options: LoadOptions = {},
    private readonly gzip = false,
    private readonly sizeHint = 0,
  ) {
    this.opt = resolveLoadOptions(options);
    const frozen = { frozen: this.opt.frozen };
    this.userIds = new ByteInterner(this.opt.users, this.opt.users !== undefined ? frozen : {});
    this.itemIds = new ByteInterner(this.opt.items, this.opt.items !== undefined ? frozen : {});
  }

  /** Feeds the next bytes of the file. The parser may modify `chunk` in place (quoted CSV fields). */
  push(chunk: Uint8Array): void {
    if (this.finished) throw new LrmlError('INTERNAL', 'InteractionParser: push after finish');
    if (chunk.length === 0) return;
    // Node Buffers are a Uint8Array subclass: view them as plain Uint8Array so the hot
    // functions see one array shape and stay optimised.
    if (Object.getPrototypeOf(chunk) !== Uint8Array.prototype) chunk = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    if (this.layout === null) {
      let buf = this.sniffBuf!;
      const need = this.sniffLen + chunk.length;
      if (need > buf.length) {
        const grown = new Uint8Array(Math.max(need, buf.length * 2));
        grown.set(buf.subarray(0, this.sniffLen));
        buf = grown;
        this.sniffBuf = buf;
      }
      buf.set(chunk, this.sniffLen);
      this.sniffLen = need;
      if (this.readyToSniff()) this.startBody(false);
      return;
    }
    this.feed(chunk);
  }

  /** Ends the input and returns the interactions (throws EMPTY_FILE, NO_INTERACTIONS, …). */
  finish(): Interactions {
    if (this.finished) throw new LrmlError('INTERNAL', 'InteractionParser: finish called twice');
    if (this.layout === null) this.startBody(true);
    if (this.carry !== null) {
      const c = this.carry;
      this.carry = null;
      this.line(c, 0, c.length);
    }
    this.finished = true;
    return this.build();
  }

  // ---- sniffing -----------------------------------------------------------------

  private readyToSniff(): boolean {
    const buf = this.sniffBuf!.subarray(0, this.sniffLen);
    if (this.sniffScan === 0 && buf.subarray(0, 8192).includes(0)) {
      throw new LrmlError('UNKNOWN_FORMAT', `${this.file}: looks binary (NUL bytes in the first 8 KiB), not a text interaction file${this.gzip ? '' : ' (gzip is detected by its magic bytes; other compressions are not supported)'}`, { file: this.file });
    }
    let p = this.sniffScan;
    for (;;) {
      const nl = buf.indexOf(NL, p);
      if (nl < 0) break;
      if (!isBlank(buf, p, nl)) this.sniffLines++;
      p = nl + 1;
      this.sniffScan = p;
      if (this.sniffLines >= 2) return true;
    }
    if (buf.length - this.sniffScan >= MAX_FIRST_LINE) {
      throw new LrmlError('UNKNOWN_FORMAT', `${this.file}: no line break in ${MAX_FIRST_LINE >> 20} MiB: not a line-based text file`, { file: this.file });
    }
    return this.sniffLines >= 1 && buf.length >= SNIFF_BYTES;
  }

  /** Decides the layout from the gathered bytes, then parses them as the first chunk. */
  private startBody(atEnd: boolean): void {
    let buf = this.sniffBuf!.subarray(0, this.sniffLen);
    this.sniffBuf = null;
    if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
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
      throw new LrmlError('EMPTY_FILE', `${this.file}: the file is empty (no data lines)`, { file: this.file });
    }
    this.layout = this.decideLayout(first[0].text, first[0].no, first.length > 1 ? first[1].text : null);
    const L = this.layout;
    const c = L.columns;
    this.uc = c.user.index;
    this.ic = c.item.index;
    this.rc = c.rating?.index ?? -1;
    this.tc = c.timestamp?.index ?? -1;
    this.need = Math.max(this.uc, this.ic, this.rc, this.tc) + 1;
    this.fs = new Int32Array(this.need);
    this.fe = new Int32Array(this.need);
    this.delimBytes = encoder.encode(L.delimiter);
    if (this.opt.minRating !== null && c.rating === null) {
      throw new LrmlError('MISSING_COLUMN', `${this.file}: minRating needs a rating column, and none was found (columns: ${describeColumns(c)}); name it with columns`, { file: this.file });
    }
    this.cols = new Columns(c.rating !== null, c.timestamp !== null, this.initialCapacity(buf));
    this.feed(buf);
  }

  /** Lines expected: the size hint over the mean line length of the first bytes. */
  private initialCapacity(buf: Uint8Array): number {
    const MIN = 1 << 14;
    if (!(this.sizeHint > 0)) return MIN;
    const sample = buf.subarray(0, SNIFF_BYTES);
    let lines = 0;
    let last = -1;
    for (let p = sample.indexOf(NL); p >= 0; p = sample.indexOf(NL, p + 1)) {
      lines++;
      last = p;
    }
    if (lines === 0) return MIN;
    const estimate = Math.ceil((this.sizeHint / ((last + 1) / lines)) * 1.02) + 1024;
    return Math.max(MIN, Math.min(estimate, 1 << 27, Math.ceil(this.sizeHint / 2)));
  }

  private splitStrings(line: Uint8Array, delimiter: string, quotes: boolean): string[] {
    const limit = 4096;
    const fs = new Int32Array(limit);
    const fe = new Int32Array(limit);
    const n = splitFields(line, 0, line.length, encoder.encode(delimiter), quotes, fs, fe, limit);
    if (n < 0) return [decoder.decode(line)]; // a malformed quote: reported when the line is parsed
    const out: string[] = [];
    for (let k = 0; k < n; k++) out.push(decoder.decode(line.subarray(fs[k], fe[k])));
    return out;
  }

  private decideLayout(line1: Uint8Array, lineNo: number, line2: Uint8Array | null): Layout {
    const o = this.opt;
    const text1 = decoder.decode(line1);
    if (line1.includes(0)) {
      throw new LrmlError('UNKNOWN_FORMAT', `${this.file}: looks binary (NUL bytes in the first line), not a text interaction file${this.gzip ? '' : ' (gzip is detected by its magic bytes; other compressions are not supported)'}`, { file: this.file });
    }
    if (line1.includes(CR)) {
      throw new LrmlError('UNKNOWN_FORMAT', `${this.file}: lines end in a bare carriage return (classic Mac line ends); convert them to \\n or \\r\\n`, { file: this.file, line: lineNo });
    }
    // Format and delimiter.
    let format: Exclude<DataFormat, 'auto'>;
    let delimiter: string;
    const byFormat: Record<Exclude<DataFormat, 'auto'>, string> = { csv: ',', tsv: '\t', dat: '::', 'ncf-rating': '\t', 'ncf-pairs': '\t' };
    if (o.format !== 'auto') {
      format = o.format;
      delimiter = o.delimiter ?? byFormat[format];
    } else if (o.delimiter !== null) {
      delimiter = o.delimiter;
      format = delimiter === '\t' ? 'tsv' : delimiter === '::' ? 'dat' : 'csv';
    } else if (text1.includes('::')) {
      format = 'dat';
      delimiter = '::';
    } else if (text1.includes('\t')) {
      format = 'tsv';
      delimiter = '\t';
    } else if (text1.includes(',')) {
      format = 'csv';
      delimiter = ',';
    } else if (text1.includes(';')) {
      format = 'csv';
      delimiter = ';';
    } else {
      throw new LrmlError('UNKNOWN_FORMAT', `${this.file}:${lineNo}: cannot tell the format: the first line ${preview(text1)} has no tab, comma, semicolon or "::" separator (give format, or delimiter, e.g. --delimiter " ")`, { file: this.file, line: lineNo, value: text1.slice(0, 200) });
    }
    const quotes = format === 'csv';
    const f1 = this.splitStrings(line1, delimiter, quotes);
    const f2 = line2 === null ? null : this.splitStrings(line2, delimiter, quotes);
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
      throw new LrmlError('BAD_COLUMN', `${this.file}: columns are given by name (${JSON.stringify(spec)}) but the file has no header line; give 0-based indices instead`, { file: this.file });
    }
    if (header && f2 === null) {
      throw new LrmlError('EMPTY_FILE', `${this.file}: only a header line (${preview(text1)}), no data lines`, { file: this.file, line: lineNo });
    }
    const names = header ? f1.map((s) => s.trim()) : null;
    if (o.format === 'auto' && o.delimiter === null && format === 'tsv' && !header) {
      if (f1.length === 2) format = 'ncf-pairs';
      else if (f1.length === 4 && f1.every(isNumeric)) format = 'ncf-rating';
    }
    const columns = this.chooseColumns(format, names, header ? f2! : f1, spec, lineNo);
    const ignoredColumns = unusedColumns(columns, names, header ? f2!.length : f1.length);
    return { format, delimiter, quotes, header, headerLine: header ? lineNo : -1, columns, ignoredColumns };
  }

  private chooseColumns(format: Exclude<DataFormat, 'auto'>, names: string[] | null, firstData: string[], spec: ColumnSpec[] | null, lineNo: number): ColumnChoice {
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
            throw new LrmlError('MISSING_COLUMN', `${this.file}: column "${c}" (${role}) is not in the header (columns: ${names!.map((n) => JSON.stringify(n)).join(', ')})`, { file: this.file, line: lineNo, column: c });
          }
          out[role] = ref(role, idx2);
        }
      }
      const idx = ROLES.map((r) => out[r]?.index).filter((x): x is number => x !== undefined);
      if (new Set(idx).size !== idx.length) {
        throw new LrmlError('BAD_COLUMN', `${this.file}: columns ${JSON.stringify(spec)} use one column for two roles (${describeColumns(out as ColumnChoice)})`, { file: this.file });
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
        throw new LrmlError('MISSING_COLUMN', `${this.file}:${lineNo}: the header (${names.map((x) => JSON.stringify(x)).join(', ')}) has fewer than 2 columns to use as user and item`, { file: this.file, line: lineNo });
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

  // ---- lines ----------------------------------------------------------------------

  private feed(chunk: Uint8Array): void {
    let p = 0;
    if (this.carry !== null) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        const c = this.carry;
        if (c.length + chunk.length > MAX_LINE) {
          throw this.lineError('BAD_VALUE', this.lineNo + 1, `line longer than ${MAX_LINE >> 20} MiB: not a line-based text file?`);
        }
        const merged = new Uint8Array(c.length + chunk.length);
        merged.set(c);
        merged.set(chunk, c.length);
        this.carry = merged;
        return;
      }
      const c = this.carry;
      const merged = new Uint8Array(c.length + nl);
      merged.set(c);
      merged.set(chunk.subarray(0, nl), c.length);
      this.carry = null;
      this.line(merged, 0, merged.length);
      p = nl + 1;
    }
    const d = this.delimBytes;
    p = d.length <= 2 && d[0] !== SPACE ? this.scanFast(chunk, p) : this.scanLines(chunk, p);
    if (p < chunk.length) {
      if (chunk.length - p > MAX_LINE) throw this.lineError('BAD_VALUE', this.lineNo + 1, `line longer than ${MAX_LINE >> 20} MiB: not a line-based text file?`);
      this.carry = chunk.slice(p);
    }
  }

  /** Parses the complete lines of `b` from `p`; returns where the incomplete last line starts. */
  private scanLines(b: Uint8Array, p: number): number {
    const len = b.length;
    while (p < len) {
      let nl = p;
      while (nl < len && b[nl] !== NL) nl++;
      if (nl === len) return p;
      this.line(b, p, nl);
      p = nl + 1;
    }
    return p;
  }

  /**
   * Like {@link scanLines}, for 1- or 2-byte delimiters: finds the line end and the field
   * bounds in one pass. Lines needing more care (spaces or tabs to trim, quotes, blank,
   * too few fields, the header) go to the general {@link line}.
   */
  private scanFast(b: Uint8Array, p: number): number {
    const len = b.length;
    const d0 = this.delimBytes[0];
    const two = this.delimBytes.length === 2;
    const d1 = two ? this.delimBytes[1] : -1;
    const need = this.need;
    const fs = this.fs;
    const fe = this.fe;
    const headerLine = this.layout!.headerLine;
    while (p < len) {
      let q = p;
      let n = 0;
      let f = p;
      let special = false;
      for (;;) {
        if (q === len) return p;
        const c = b[q];
        if (c === NL) break;
        if (c === d0 && (!two || b[q + 1] === d1)) {
          if (n < need) {
            fs[n] = f;
            fe[n] = q;
          }
          n++;
          if (two) q++;
          f = q + 1;
        } else if (c === SPACE || c === TAB || c === QUOTE) special = true;
        q++;
      }
      let e = q;
      if (e > p && b[e - 1] === CR) e--;
      if (n < need) {
        fs[n] = f;
        fe[n] = e < f ? f : e;
      }
      n++;
      const c0 = b[p];
      if (special || n < need || e === p || c0 === SPACE || c0 === TAB || this.lineNo < headerLine) this.line(b, p, q);
      else {
        this.lineNo++;
        this.linesRead++;
        this.record(b, this.lineNo);
      }
      p = q + 1;
    }
    return p;
  }

  /** One physical line `b[s, e)` (without its `\n`): the general path. */
  private line(b: Uint8Array, s: number, e: number): void {
    const lineNo = ++this.lineNo;
    if (e > s && b[e - 1] === CR) e--;
    if (e === s || ((b[s] === SPACE || b[s] === TAB) && isBlank(b, s, e))) {
      this.blankLines++;
      return;
    }
    if (lineNo === this.layout!.headerLine) return;
    this.linesRead++;
    // Quoted fields are unescaped in place: keep the original text for messages.
    const quoted = this.layout!.quotes && b.subarray(s, e).includes(QUOTE);
    const original = quoted ? decoder.decode(b.subarray(s, e)) : null;
    const n = splitFields(b, s, e, this.delimBytes, this.layout!.quotes, this.fs, this.fe, this.need);
    if (n < 0) {
      this.bad('BAD_VALUE', lineNo, `unterminated quote or text after a closing quote in ${preview(original!)}`);
      return;
    }
    if (n < this.need) {
      this.missing(original ?? decoder.decode(b.subarray(s, e)), n, lineNo);
      return;
    }
    this.record(b, lineNo);
  }

  /** Checks and stores the fields of one data line (bounds in fs/fe). */
  private record(b: Uint8Array, lineNo: number): void {
    const fs = this.fs;
    const fe = this.fe;
    const uc = this.uc;
    const ic = this.ic;
    if (fe[uc] === fs[uc]) {
      this.bad('BAD_VALUE', lineNo, `${this.colName('user')}: empty user id`, uc + 1, '');
      return;
    }
    if (fe[ic] === fs[ic]) {
      this.bad('BAD_VALUE', lineNo, `${this.colName('item')}: empty item id`, ic + 1, '');
      return;
    }
    let r = 0;
    let t = 0;
    const rc = this.rc;
    const tc = this.tc;
    if (rc >= 0) {
      r = parseNumber(b, fs[rc], fe[rc]);
      if (r !== r) {
        this.badNumber(b, lineNo, 'rating', rc);
        return;
      }
    }
    if (tc >= 0) {
      t = parseNumber(b, fs[tc], fe[tc]);
      if (t !== t) {
        this.badNumber(b, lineNo, 'timestamp', tc);
        return;
      }
    }
    const u = this.userIds.intern(b, fs[uc], fe[uc]);
    const i = this.itemIds.intern(b, fs[ic], fe[ic]);
    if (u === INVALID_UTF8 || i === INVALID_UTF8) {
      const role: Role = u === INVALID_UTF8 ? 'user' : 'item';
      const col = role === 'user' ? uc : ic;
      const v = new TextDecoder('utf-8').decode(b.subarray(fs[col], fe[col]));
      this.bad('BAD_VALUE', lineNo, `${this.colName(role)}: ${role} id ${preview(v)} is not valid UTF-8 (convert the file to UTF-8, e.g. iconv -f latin1 -t utf-8)`, col + 1, v);
      return;
    }
    if (u < 0 || i < 0) {
      this.unknownLines++;
      return;
    }
    const cols = this.cols!;
    const k = cols.n;
    if (k === cols.user.length) cols.grow();
    cols.user[k] = u;
    cols.item[k] = i;
    if (cols.rating !== null) cols.rating[k] = r;
    if (cols.timestamp !== null) cols.timestamp[k] = t;
    cols.n = k + 1;
  }

  private colName(role: Role): string {
    const c = this.layout!.columns[role]!;
    return `column "${c.name}" (${c.index + 1})`;
  }

  private badNumber(b: Uint8Array, lineNo: number, role: Role, col: number): void {
    const v = decoder.decode(b.subarray(this.fs[col], this.fe[col]));
    this.bad('BAD_VALUE', lineNo, `${this.colName(role)}: ${preview(v)} is not a number`, col + 1, v);
  }

  private missing(text: string, n: number, lineNo: number): void {
    const L = this.layout!;
    const roles = ROLES.filter((r) => L.columns[r] !== null && L.columns[r]!.index >= n);
    const which = roles.map((r) => `${r} "${L.columns[r]!.name}" (${L.columns[r]!.index + 1})`).join(', ');
    let hint = '';
    const others: [string, string][] = [['\t', 'tabs'], [',', 'commas'], [';', 'semicolons'], ['::', '"::"'], ['|', 'bars'], [' ', 'spaces']];
    for (const [d, name] of others) {
      if (d !== L.delimiter && text.includes(d)) {
        hint = `; the line contains ${name}: wrong format or delimiter?`;
        break;
      }
    }
    this.bad('MISSING_COLUMN', lineNo, `expected at least ${this.need} fields separated by ${showDelimiter(L.delimiter)}, found ${n} in ${preview(text)} (missing ${which})${hint}`, L.columns[roles[0]]!.index + 1, text);
  }

  private lineError(code: 'BAD_VALUE' | 'MISSING_COLUMN', lineNo: number, message: string, column?: number, value?: string): LrmlError {
    return new LrmlError(code, `${this.file}:${lineNo}: ${message}`, { file: this.file, line: lineNo, column, value });
  }

  private bad(code: 'BAD_VALUE' | 'MISSING_COLUMN', lineNo: number, message: string, column?: number, value?: string): void {
    const err = this.lineError(code, lineNo, message, column, value);
    if (!this.opt.skipBadLines) throw err;
    this.badLines++;
    if (this.examples.length < MAX_EXAMPLES) this.examples.push(`${code}: ${err.message}`);
  }

  // ---- finishing ------------------------------------------------------------------

  private build(): Interactions {
    const L = this.layout!;
    const cols = this.cols!;
    const o = this.opt;
    const n = cols.n;
    const numUsers = this.userIds.size;
    const numItems = this.itemIds.size;
    const alive = new Uint8Array(n).fill(1);
    const duplicates = markDuplicates(cols.user, cols.item, n, numUsers, numItems, alive);
    let belowMinRating = 0;
    if (o.minRating !== null) {
      const r = cols.rating!;
      const m = Math.fround(o.minRating); // ratings are stored as float32
      for (let k = 0; k < n; k++) {
        if (alive[k] !== 0 && !(r[k] >= m)) {
          alive[k] = 0;
          belowMinRating++;
        }
      }
    }
    let kc = { removed: 0, usersRemoved: 0, itemsRemoved: 0 };
    if (o.kcore !== null) kc = kcoreFilter(cols.user, cols.item, n, numUsers, numItems, o.kcore, alive);
    // Ids seen only on dropped lines leave the maps (base-map ids always stay).
    const userKept = new Uint8Array(numUsers);
    const itemKept = new Uint8Array(numItems);
    let kept = 0;
    for (let k = 0; k < n; k++) {
      if (alive[k] !== 0) {
        userKept[cols.user[k]] = 1;
        itemKept[cols.item[k]] = 1;
        kept++;
      }
    }
    const ub = this.userIds.baseSize;
    const ib = this.itemIds.baseSize;
    const userRemap = new Int32Array(numUsers);
    const itemRemap = new Int32Array(numItems);
    const users = this.userIds.toIdMap(userKept.subarray(ub), userRemap);
    const items = this.itemIds.toIdMap(itemKept.subarray(ib), itemRemap);
    let droppedUsers = 0;
    let droppedItems = 0;
    for (let u = ub; u < numUsers; u++) if (userKept[u] === 0) droppedUsers++;
    for (let i = ib; i < numItems; i++) if (itemKept[i] === 0) droppedItems++;
    let user: Int32Array;
    let item: Int32Array;
    let rating: Float32Array | null;
    let timestamp: Float64Array | null;
    if (kept === n && droppedUsers === 0 && droppedItems === 0) {
      // Nothing dropped, indices unchanged: trim the columns (views unless over 25% spare).
      const view = cols.user.length - n <= (n >> 2);
      const cut = <T extends Int32Array | Float32Array | Float64Array>(a: T): T => (view ? a.subarray(0, n) : a.slice(0, n)) as T;
      user = cut(cols.user);
      item = cut(cols.item);
      rating = cols.rating === null ? null : cut(cols.rating);
      timestamp = cols.timestamp === null ? null : cut(cols.timestamp);
    } else {
      user = new Int32Array(kept);
      item = new Int32Array(kept);
      rating = cols.rating === null ? null : new Float32Array(kept);
      timestamp = cols.timestamp === null ? null : new Float64Array(kept);
      let w = 0;
      for (let k = 0; k < n; k++) {
        if (alive[k] === 0) continue;
        user[w] = userRemap[cols.user[k]];
        item[w] = itemRemap[cols.item[k]];
        if (rating !== null) rating[w] = cols.rating![k];
        if (timestamp !== null) timestamp[w] = cols.timestamp![k];
        w++;
      }
    }
    this.cols = null;
    const summary: LoadSummary = {
      file: this.file,
      format: L.format,
      gzip: this.gzip,
      header: L.header,
      linesRead: this.linesRead,
      blankLines: this.blankLines,
      kept,
      duplicates,
      belowMinRating,
      kcoreRemoved: kc.removed,
      badLines: this.badLines,
      delimiter: L.delimiter,
      columns: L.columns,
      ignoredColumns: L.ignoredColumns,
      badLineExamples: this.examples.slice(),
      unknownLines: this.unknownLines,
      unknownUsers: this.userIds.unknownCount,
      unknownItems: this.itemIds.unknownCount,
      kcoreUsersRemoved: kc.usersRemoved,
      kcoreItemsRemoved: kc.itemsRemoved,
      droppedUsers,
      droppedItems,
    };
    if (this.linesRead === 0) {
      throw new LrmlError('EMPTY_FILE', `${this.file}: no data lines${L.header ? ' after the header' : ''}`, { file: this.file });
    }
    if (kept === 0) {
      throw new LrmlError('NO_INTERACTIONS', `${this.file}: no interaction left: ${describeDrops(summary)}`, { file: this.file });
    }
    return { users, items, user, item, rating, timestamp, summary };
  }
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

function describeColumns(c: ColumnChoice): string {
  return ROLES.map((r) => `${r}=${c[r] === null ? '-' : `"${c[r]!.name}" (${c[r]!.index + 1})`}`).join(', ');
}

/**
 * One line saying where the lines of a load went, e.g. for NO_INTERACTIONS.
 *
 * @example
 * ```ts
 * describeDrops(data.summary); // "100836 lines read, 51 below minRating, 100785 kept"
 * ```
 */
export function describeDrops(s: LoadSummary): string {
  const parts = [`${s.linesRead} lines read`];
  if (s.duplicates) parts.push(`${s.duplicates} duplicates`);
  if (s.belowMinRating) parts.push(`${s.belowMinRating} below minRating`);
  if (s.kcoreRemoved) parts.push(`${s.kcoreRemoved} removed by k-core`);
  if (s.badLines) parts.push(`${s.badLines} bad lines skipped`);
  if (s.unknownLines) parts.push(`${s.unknownLines} with unknown ids`);
  parts.push(`${s.kept} kept`);
  return parts.join(', ');
}

function isBlank(b: Uint8Array, s: number, e: number): boolean {
  for (let p = s; p < e; p++) {
    const c = b[p];
    if (c !== SPACE && c !== TAB && c !== CR) return false;
  }
  return true;
}

/**
 * Splits `b[s, e)` into at most `limit` fields on `delim`, writing bounds to fs/fe
 * (trimmed of spaces, and of tabs unless tab is the delimiter). With `quotes`, a field
 * may be "quoted" with "" escapes (unescaped in place). Returns the number of fields
 * found (stops at `limit`), or -1 for a malformed quote.
 */
function splitFields(
  b: Uint8Array,
  s: number,
  e: number,
  delim: Uint8Array,
  quotes: boolean,
  fs: Int32Array,
  fe: Int32Array,
  limit: number,
): number {
  const d0 = delim[0];
  const dl = delim.length;
  const trimTab = d0 !== TAB;
  const trimSpace = d0 !== SPACE;
  const collapse = d0 === SPACE && dl === 1; // runs of spaces count as one separator
  let n = 0;
  let p = s;
  for (;;) {
    if (trimSpace) while (p < e && (b[p] === SPACE || (trimTab && b[p] === TAB))) p++;
    else if (collapse) {
      while (p < e && b[p] === SPACE) p++;
      if (p >= e && n > 0) return n;
    }
    let q: number;
    let end: number;
    if (quotes && p < e && b[p] === QUOTE) {
      let w = p;
      q = p + 1;
      for (;;) {
        if (q >= e) return -1;
        const c = b[q];
        if (c === QUOTE) {
          if (q + 1 < e && b[q + 1] === QUOTE) {
            b[w++] = QUOTE;
            q += 2;
          } else {
            q++;
            break;
          }
        } else {
          b[w++] = c;
          q++;
        }
      }
      end = w;
      while (q < e && (b[q] === SPACE || b[q] === TAB) && b[q] !== d0) q++;
      if (q < e && !matchAt(b, q, e, delim)) return -1;
    } else {
      q = p;
      if (dl === 1) {
        while (q < e && b[q] !== d0) q++;
      } else {
        while (q < e && !(b[q] === d0 && matchAt(b, q, e, delim))) q++;
      }
      end = q;
      if (trimSpace) while (end > p && (b[end - 1] === SPACE || (trimTab && b[end - 1] === TAB))) end--;
    }
    fs[n] = p;
    fe[n] = end;
    n++;
    if (q >= e || n >= limit) return n;
    p = q + dl;
  }
}

function matchAt(b: Uint8Array, q: number, e: number, delim: Uint8Array): boolean {
  if (q + delim.length > e) return false;
  for (let k = 0; k < delim.length; k++) if (b[q + k] !== delim[k]) return false;
  return true;
}

/**
 * Parses interactions from text in memory (same rules as `loadInteractions`, without
 * gzip). `name` labels the text in messages (default `<text>`).
 *
 * @example
 * ```ts
 * const data = parseInteractions('user,item\nalice,x\nbob,x\n');
 * data.users.ids(); // ['alice', 'bob']
 * data.summary.header; // true
 * ```
 */
export function parseInteractions(text: string | Uint8Array, options: LoadOptions & { name?: string } = {}): Interactions {
  const bytes = typeof text === 'string' ? encoder.encode(text) : text.slice();
  const name = options.name ?? '<text>';
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new LrmlError('UNKNOWN_FORMAT', `${name}: gzip-compressed bytes: decompress first or use loadInteractions`, { file: name });
  }
  const p = new InteractionParser(name, options, false, bytes.length);
  p.push(bytes);
  return p.finish();
}
