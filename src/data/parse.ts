// The streaming interaction parser: takes a file's bytes in chunks, sniffs the layout from the
// first lines (sniff-layout.ts), splits lines into fields and numbers (byte-fields.ts), accounts
// for bad lines (line-accounting.ts) and ends with the loader's filters (filters.ts).
// Browser-safe: no Node imports here. `load.ts` adds files, streams and gzip.
import { LrmlError } from '../errors.js';
import { CR, ISO_FORMS, NL, QUOTE, SPACE, TAB, isBlank, parseIsoTimestamp, parseNumber, splitFields } from './byte-fields.js';
import { ColumnBuffer } from './column-buffer.js';
import type { Role } from './column-names.js';
import { filterLog } from './filters.js';
import { ByteInterner, INVALID_UTF8 } from './interner.js';
import { BadLines, describeDrops, preview, tooFewFields } from './line-accounting.js';
import { resolveLoadOptions, type ResolvedLoadOptions } from './load-options.js';
import { SNIFF_BYTES, SniffBuffer, describeColumns, sniffLayout, type Layout } from './sniff-layout.js';
import type { ColumnChoice, ColumnRef, Interactions, LoadOptions, LoadSummary } from './types.js';

export { DATA_FORMATS, resolveLoadOptions, type ResolvedLoadOptions } from './load-options.js';
export { describeDrops } from './line-accounting.js';

/** Longest line accepted (a longer one means the file is not line-based text). */
const MAX_LINE = 64 * 1024 * 1024;

const decoder = new TextDecoder('utf-8');
const encoder = new TextEncoder();

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
  private readonly options: ResolvedLoadOptions;
  private readonly userIds: ByteInterner;
  private readonly itemIds: ByteInterner;
  private badLines: BadLines;
  /** The first bytes, until the layout is decided (then null). */
  private sniff: SniffBuffer | null;
  private layout: Layout | null = null;
  private columns: ColumnBuffer | null = null;
  /** Incomplete last line of the previous chunk. */
  private carry: Uint8Array | null = null;
  /** Physical lines seen (header and blank lines included): the line number of the last one. */
  private lineNo = 0;
  private linesRead = 0;
  private blankLines = 0;
  private unknownLines = 0;
  private finished = false;
  /** Bounds of the current line's fields (sized to the highest column read + 1). */
  private fieldStart = new Int32Array(4);
  private fieldEnd = new Int32Array(4);
  /** Fields a line needs: the highest column read + 1. */
  private fieldsNeeded = 2;
  private delimBytes = new Uint8Array(0);
  /** 0-based column of each role (-1: the file has none). */
  private userCol = 0;
  private itemCol = 1;
  private ratingCol = -1;
  private timestampCol = -1;

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
    this.options = resolveLoadOptions(options);
    const frozen = { frozen: this.options.frozen };
    this.userIds = new ByteInterner(this.options.users, this.options.users !== undefined ? frozen : {});
    this.itemIds = new ByteInterner(this.options.items, this.options.items !== undefined ? frozen : {});
    this.badLines = new BadLines(file, this.options.skipBadLines);
    this.sniff = new SniffBuffer(file, gzip);
  }

  /**
   * A parser for a structured file whose columns are known without sniffing (Parquet, read by
   * `load.ts`): records come through {@link pushRecord} / {@link rejectRecord}, numbered as rows
   * (messages name `file, row N`); `finish()` applies the same duplicates handling, filters and id
   * compaction as for text, so the same rows give the same {@link Interactions}.
   *
   * @example
   * ```ts
   * const p = InteractionParser.forRecords('r.parquet', {}, 'parquet', { user: { index: 0, name: 'u' }, item: { index: 1, name: 'i' }, rating: null, timestamp: null }, []);
   * const ids = new TextEncoder().encode('1x');
   * p.pushRecord(1, ids, 0, 1, 1, 2, 0, 0);
   * p.finish().items.ids(); // ['x']
   * ```
   */
  static forRecords(file: string, options: LoadOptions, format: 'parquet', columns: ColumnChoice, ignoredColumns: ColumnRef[], sizeHint = 0): InteractionParser {
    const p = new InteractionParser(file, options, false, 0);
    p.sniff = null;
    p.badLines = new BadLines(file, p.options.skipBadLines, 'row');
    p.layout = { format, delimiter: '', quotes: false, header: true, headerLine: -1, columns, ignoredColumns };
    p.userCol = columns.user.index;
    p.itemCol = columns.item.index;
    p.ratingCol = columns.rating?.index ?? -1;
    p.timestampCol = columns.timestamp?.index ?? -1;
    const width = Math.max(p.userCol, p.itemCol, p.ratingCol, p.timestampCol) + 1;
    p.fieldStart = new Int32Array(width);
    p.fieldEnd = new Int32Array(width);
    p.checkMinRatingColumn();
    p.columns = new ColumnBuffer(columns.rating !== null, columns.timestamp !== null, Math.max(1 << 14, Math.min(sizeHint, 1 << 27)));
    return p;
  }

  /**
   * One record of a structured file ({@link forRecords}): row number (1-based), the user id in
   * `ids[0, userEnd)` and the item id in `ids[userEnd, itemEnd)` as UTF-8, rating and timestamp (0
   * when the file has none). Empty ids are bad rows (thrown, or counted with skipBadLines).
   */
  pushRecord(row: number, ids: Uint8Array, userStart: number, userEnd: number, itemStart: number, itemEnd: number, rating: number, timestamp: number): void {
    if (this.finished) throw new LrmlError('INTERNAL', 'InteractionParser: push after finish');
    this.lineNo = row;
    this.linesRead++;
    this.fieldStart[this.userCol] = userStart;
    this.fieldEnd[this.userCol] = userEnd;
    this.fieldStart[this.itemCol] = itemStart;
    this.fieldEnd[this.itemCol] = itemEnd;
    if (userEnd === userStart) return this.badLines.report('BAD_VALUE', row, `${this.colName('user')}: empty user id`, this.userCol + 1, '');
    if (itemEnd === itemStart) return this.badLines.report('BAD_VALUE', row, `${this.colName('item')}: empty item id`, this.itemCol + 1, '');
    this.store(ids, row, rating, timestamp);
  }

  /** A record of a structured file whose rating or timestamp (`role`) is not a number (`value`: as the file holds it): a bad row. */
  rejectRecord(row: number, role: 'rating' | 'timestamp', value: string): void {
    this.lineNo = row;
    this.linesRead++;
    const what = role === 'timestamp' ? `is neither a number nor an ISO-8601 date/time (${ISO_FORMS})` : 'is not a number';
    const col = role === 'rating' ? this.ratingCol : this.timestampCol;
    this.badLines.report('BAD_VALUE', row, `${this.colName(role)}: ${preview(value)} ${what}`, col + 1, value);
  }

  private checkMinRatingColumn(): void {
    const c = this.layout!.columns;
    if (this.options.minRating !== null && c.rating === null) {
      throw new LrmlError('MISSING_COLUMN', `${this.file}: minRating needs a rating column, and none was found (columns: ${describeColumns(c)}); name it with columns`, { file: this.file });
    }
  }

  /** Feeds the next bytes of the file. The parser may modify `chunk` in place (quoted CSV fields). */
  push(chunk: Uint8Array): void {
    if (this.finished) throw new LrmlError('INTERNAL', 'InteractionParser: push after finish');
    if (chunk.length === 0) return;
    // Node Buffers are a Uint8Array subclass: view them as plain Uint8Array so the hot
    // functions see one array shape and stay optimised.
    if (Object.getPrototypeOf(chunk) !== Uint8Array.prototype) chunk = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    if (this.layout === null) {
      if (this.sniff!.append(chunk)) this.startBody(false);
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

  /** Decides the layout from the gathered bytes, then parses them as the first chunk. */
  private startBody(atEnd: boolean): void {
    const buf = this.sniff!.take();
    this.sniff = null;
    this.layout = sniffLayout({ file: this.file, gzip: this.gzip, options: this.options }, buf, atEnd);
    const c = this.layout.columns;
    this.userCol = c.user.index;
    this.itemCol = c.item.index;
    this.ratingCol = c.rating?.index ?? -1;
    this.timestampCol = c.timestamp?.index ?? -1;
    this.fieldsNeeded = Math.max(this.userCol, this.itemCol, this.ratingCol, this.timestampCol) + 1;
    this.fieldStart = new Int32Array(this.fieldsNeeded);
    this.fieldEnd = new Int32Array(this.fieldsNeeded);
    this.delimBytes = encoder.encode(this.layout.delimiter);
    this.checkMinRatingColumn();
    this.columns = new ColumnBuffer(c.rating !== null, c.timestamp !== null, this.initialCapacity(buf));
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

  // ---- lines ----------------------------------------------------------------------

  private feed(chunk: Uint8Array): void {
    let p = 0;
    if (this.carry !== null) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        const c = this.carry;
        if (c.length + chunk.length > MAX_LINE) {
          throw this.badLines.error('BAD_VALUE', this.lineNo + 1, `line longer than ${MAX_LINE >> 20} MiB: not a line-based text file?`);
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
      if (chunk.length - p > MAX_LINE) throw this.badLines.error('BAD_VALUE', this.lineNo + 1, `line longer than ${MAX_LINE >> 20} MiB: not a line-based text file?`);
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
    const fieldsNeeded = this.fieldsNeeded;
    const fieldStart = this.fieldStart;
    const fieldEnd = this.fieldEnd;
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
          if (n < fieldsNeeded) {
            fieldStart[n] = f;
            fieldEnd[n] = q;
          }
          n++;
          if (two) q++;
          f = q + 1;
        } else if (c === SPACE || c === TAB || c === QUOTE) special = true;
        q++;
      }
      let e = q;
      if (e > p && b[e - 1] === CR) e--;
      if (n < fieldsNeeded) {
        fieldStart[n] = f;
        fieldEnd[n] = e < f ? f : e;
      }
      n++;
      const c0 = b[p];
      if (special || n < fieldsNeeded || e === p || c0 === SPACE || c0 === TAB || this.lineNo < headerLine) this.line(b, p, q);
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
    const n = splitFields(b, s, e, this.delimBytes, this.layout!.quotes, this.fieldStart, this.fieldEnd, this.fieldsNeeded);
    if (n < 0) {
      this.badLines.report('BAD_VALUE', lineNo, `unterminated quote or text after a closing quote in ${preview(original!)}`);
      return;
    }
    if (n < this.fieldsNeeded) {
      const text = original ?? decoder.decode(b.subarray(s, e));
      const L = this.layout!;
      const { message, column } = tooFewFields(L.columns, L.delimiter, this.fieldsNeeded, text, n);
      this.badLines.report('MISSING_COLUMN', lineNo, message, column, text);
      return;
    }
    this.record(b, lineNo);
  }

  /** Checks and stores the fields of one data line (bounds in fieldStart/fieldEnd). */
  private record(b: Uint8Array, lineNo: number): void {
    const fieldStart = this.fieldStart;
    const fieldEnd = this.fieldEnd;
    const userCol = this.userCol;
    const itemCol = this.itemCol;
    if (fieldEnd[userCol] === fieldStart[userCol]) {
      this.badLines.report('BAD_VALUE', lineNo, `${this.colName('user')}: empty user id`, userCol + 1, '');
      return;
    }
    if (fieldEnd[itemCol] === fieldStart[itemCol]) {
      this.badLines.report('BAD_VALUE', lineNo, `${this.colName('item')}: empty item id`, itemCol + 1, '');
      return;
    }
    let r = 0;
    let t = 0;
    const ratingCol = this.ratingCol;
    const timestampCol = this.timestampCol;
    if (ratingCol >= 0) {
      r = parseNumber(b, fieldStart[ratingCol], fieldEnd[ratingCol]);
      if (r !== r) {
        this.badNumber(b, lineNo, 'rating', ratingCol);
        return;
      }
    }
    if (timestampCol >= 0) {
      t = parseNumber(b, fieldStart[timestampCol], fieldEnd[timestampCol]);
      // Not a number: an ISO-8601 date/time, in seconds since the epoch (off the numeric fast path).
      if (t !== t) t = parseIsoTimestamp(b, fieldStart[timestampCol], fieldEnd[timestampCol]);
      if (t !== t) {
        this.badNumber(b, lineNo, 'timestamp', timestampCol);
        return;
      }
    }
    this.store(b, lineNo, r, t);
  }

  /** Interns the ids (bounds in fieldStart/fieldEnd) and stores one interaction. */
  private store(b: Uint8Array, lineNo: number, r: number, t: number): void {
    const fieldStart = this.fieldStart;
    const fieldEnd = this.fieldEnd;
    const userCol = this.userCol;
    const itemCol = this.itemCol;
    const u = this.userIds.intern(b, fieldStart[userCol], fieldEnd[userCol]);
    const i = this.itemIds.intern(b, fieldStart[itemCol], fieldEnd[itemCol]);
    if (u === INVALID_UTF8 || i === INVALID_UTF8) {
      const role: Role = u === INVALID_UTF8 ? 'user' : 'item';
      const col = role === 'user' ? userCol : itemCol;
      const v = new TextDecoder('utf-8').decode(b.subarray(fieldStart[col], fieldEnd[col]));
      this.badLines.report('BAD_VALUE', lineNo, `${this.colName(role)}: ${role} id ${preview(v)} is not valid UTF-8 (convert the file to UTF-8, e.g. iconv -f latin1 -t utf-8)`, col + 1, v);
      return;
    }
    if (u < 0 || i < 0) {
      this.unknownLines++;
      return;
    }
    const cols = this.columns!;
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
    const v = decoder.decode(b.subarray(this.fieldStart[col], this.fieldEnd[col]));
    const what = role === 'timestamp' ? `is neither a number nor an ISO-8601 date/time (${ISO_FORMS})` : 'is not a number';
    this.badLines.report('BAD_VALUE', lineNo, `${this.colName(role)}: ${preview(v)} ${what}`, col + 1, v);
  }

  // ---- finishing ------------------------------------------------------------------

  private build(): Interactions {
    const L = this.layout!;
    const cols = this.columns!;
    const n = cols.n;
    const numUsers = this.userIds.size;
    const numItems = this.itemIds.size;
    const alive = new Uint8Array(n).fill(1);
    const { duplicates, belowMinRating, kcore } = filterLog(cols.user, cols.item, cols.rating, n, numUsers, numItems, this.options.minRating, this.options.kcore, alive);
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
    const userBase = this.userIds.baseSize;
    const itemBase = this.itemIds.baseSize;
    const userRemap = new Int32Array(numUsers);
    const itemRemap = new Int32Array(numItems);
    const users = this.userIds.toIdMap(userKept.subarray(userBase), userRemap);
    const items = this.itemIds.toIdMap(itemKept.subarray(itemBase), itemRemap);
    let droppedUsers = 0;
    let droppedItems = 0;
    for (let u = userBase; u < numUsers; u++) if (userKept[u] === 0) droppedUsers++;
    for (let i = itemBase; i < numItems; i++) if (itemKept[i] === 0) droppedItems++;
    // Nothing dropped, indices unchanged: the columns as they are; else the kept rows, renumbered.
    const unchanged = kept === n && droppedUsers === 0 && droppedItems === 0;
    const { user, item, rating, timestamp } = unchanged ? cols.trimmed() : cols.compacted(alive, kept, userRemap, itemRemap);
    this.columns = null;
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
      kcoreRemoved: kcore.removed,
      badLines: this.badLines.count,
      delimiter: L.delimiter,
      columns: L.columns,
      ignoredColumns: L.ignoredColumns,
      badLineExamples: this.badLines.examples.slice(),
      unknownLines: this.unknownLines,
      unknownUsers: this.userIds.unknownCount,
      unknownItems: this.itemIds.unknownCount,
      kcoreUsersRemoved: kcore.usersRemoved,
      kcoreItemsRemoved: kcore.itemsRemoved,
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
