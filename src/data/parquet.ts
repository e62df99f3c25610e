// Apache Parquet interaction files, read with hyparquet (pure JavaScript) one row group at a time
// into the same InteractionParser as text: same column choice, filters and ids. Node-only (files).

import { LrmlError } from '../errors.js';
import { parseIsoTimestamp, parseNumber } from './byte-fields.js';
import { resolveLoadOptions } from './load-options.js';
import { InteractionParser } from './parse.js';
import { columnsFromNames } from './sniff-layout.js';
import type { Interactions, LoadOptions } from './types.js';

/**
 * The magic bytes a Parquet file starts (and ends) with: `PAR1`.
 *
 * @example
 * ```ts
 * isParquetMagic(Buffer.from('PAR1…')); // true
 * ```
 */
export function isParquetMagic(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x41 && head[2] === 0x52 && head[3] === 0x31;
}

/** Codecs hyparquet reads by itself; others need the optional hyparquet-compressors. */
const BUILT_IN_CODECS = new Set(['UNCOMPRESSED', 'SNAPPY']);

type Hyparquet = typeof import('hyparquet');
type Decoded = ArrayLike<unknown>;

/** Imports hyparquet (a dependency; MISSING_DEPENDENCY when an install left it out). */
async function hyparquet(path: string): Promise<Hyparquet> {
  try {
    return await import('hyparquet');
  } catch (e) {
    throw new LrmlError('MISSING_DEPENDENCY', `${path}: reading Parquet needs the package hyparquet, which is not installed (${(e as Error).message}): run \`npm install hyparquet\``, { file: path });
  }
}

/** The decompressors of hyparquet-compressors for `codecs`, or MISSING_DEPENDENCY naming them. */
async function extraCompressors(path: string, codecs: string[]): Promise<Record<string, unknown>> {
  const name = 'hyparquet-compressors'; // an optionalDependency (absent with --omit=optional): a computed specifier
  try {
    const mod = (await import(name)) as { compressors?: Record<string, unknown> };
    if (mod.compressors !== undefined) return mod.compressors;
  } catch {
    // fall through
  }
  throw new LrmlError('MISSING_DEPENDENCY', `${path}: column chunks compressed with ${codecs.join(', ')}; hyparquet reads uncompressed and snappy Parquet only: run \`npm install hyparquet-compressors\` (gzip, zstd, brotli, lz4), or write the file with snappy`, { file: path });
}

/** Writes the decimal digits of a non-negative safe integer at `p`; returns the end. */
function writeDigits(buf: Uint8Array, p: number, x: number): number {
  if (x === 0) {
    buf[p] = 48;
    return p + 1;
  }
  let n = 0;
  for (let y = x; y > 0; y = Math.floor(y / 10)) n++;
  for (let k = p + n - 1, y = x; k >= p; k--, y = Math.floor(y / 10)) buf[k] = 48 + (y % 10);
  return p + n;
}

const encoder = new TextEncoder();

/**
 * Loads interactions from a Parquet file (called by `loadInteractions` for files starting with
 * `PAR1` or named `.parquet`): the top-level columns are chosen as a text file's header would be
 * (`columns` by name or 0-based index, else by the header names of `column-names.ts`); ids may be strings or integers
 * (written in decimal, so `1` is the id "1" as in a CSV), ratings and timestamps numbers (INT32/64,
 * FLOAT, DOUBLE), numeric or ISO-8601 strings, or Parquet timestamps / dates (seconds since the
 * epoch). Reads one row group at a time: memory is the interactions plus one row group's decoded
 * columns. Rows are numbered from 1 in messages (`file, row N`). `delimiter` and `header` do not apply.
 *
 * @example
 * ```ts
 * const data = await loadParquet('ratings.parquet', { minRating: 4 });
 * ```
 */
export async function loadParquet(path: string, options: LoadOptions = {}): Promise<Interactions> {
  const o = resolveLoadOptions(options);
  if (o.delimiter !== null) throw new LrmlError('BAD_OPTION', `${path}: delimiter does not apply to a Parquet file (its columns are named in its schema)`, { file: path });
  if (o.header !== 'auto') throw new LrmlError('BAD_OPTION', `${path}: header does not apply to a Parquet file (its columns are named in its schema)`, { file: path });
  if (o.format !== 'auto' && o.format !== 'parquet') {
    throw new LrmlError('UNKNOWN_FORMAT', `${path}: a Parquet file (it starts with PAR1), read as format ${o.format}: leave format to auto or give parquet`, { file: path });
  }
  const hp = await hyparquet(path);
  const file = await hp.asyncBufferFromFile(path);
  let metadata: Awaited<ReturnType<Hyparquet['parquetMetadataAsync']>>;
  let schema: ReturnType<Hyparquet['parquetSchema']>;
  try {
    metadata = await hp.parquetMetadataAsync(file);
    schema = hp.parquetSchema(metadata);
  } catch (e) {
    throw new LrmlError('UNKNOWN_FORMAT', `${path}: not a readable Parquet file (${(e as Error).message}): truncated or corrupt?`, { file: path });
  }
  const names = schema.children.map((c) => c.element.name);
  const { columns, ignoredColumns } = columnsFromNames({ file: path, gzip: false, options: o }, names);
  const roles = (['user', 'item', 'rating', 'timestamp'] as const).filter((r) => columns[r] !== null);
  for (const r of roles) {
    const c = columns[r]!;
    if (c.index >= names.length) {
      throw new LrmlError('MISSING_COLUMN', `${path}: column ${c.index} (${r}) does not exist: the file has ${names.length} columns (${names.map((n) => JSON.stringify(n)).join(', ')})`, { file: path, column: c.index });
    }
    if (schema.children[c.index].children.length > 0) {
      throw new LrmlError('BAD_COLUMN', `${path}: column "${c.name}" (${r}) is nested (a list or struct); the ${r} column must hold plain values`, { file: path, column: c.name });
    }
  }
  const read = roles.map((r) => columns[r]!.name);
  const codecs = new Set<string>();
  for (const g of metadata.row_groups) {
    for (const ch of g.columns) {
      const codec = ch.meta_data?.codec;
      if (codec !== undefined && read.includes(ch.meta_data!.path_in_schema[0]) && !BUILT_IN_CODECS.has(codec)) codecs.add(codec);
    }
  }
  const compressors = codecs.size === 0 ? undefined : await extraCompressors(path, [...codecs]);
  const numRows = Number(metadata.num_rows);
  const groupRows = metadata.row_groups.reduce((sum, g) => sum + Number(g.num_rows), 0);
  if (!Number.isSafeInteger(numRows) || numRows < 0 || groupRows !== numRows || metadata.row_groups.some((g) => g.num_rows < 0n)) {
    throw new LrmlError('UNKNOWN_FORMAT', `${path}: not a readable Parquet file (its ${metadata.row_groups.length} row groups count ${groupRows} rows, the file ${numRows}): truncated or corrupt?`, { file: path });
  }
  if (numRows === 0) throw new LrmlError('EMPTY_FILE', `${path}: no rows`, { file: path });
  const parser = InteractionParser.forRecords(path, options, 'parquet', columns, ignoredColumns, numRows);
  let ids: Uint8Array = new Uint8Array(256); // two 32-bit ids in decimal always fit
  // one id written at `p` of `ids` (grown as needed) as UTF-8; returns its end (null: empty, a bad row)
  const putId = (v: unknown, p: number): number => {
    if (v === null || v === undefined) return p;
    // a float column's missing value (pandas writes NaN for an int id column with gaps): empty, as a CSV's
    if (typeof v === 'number' && !Number.isFinite(v)) return p;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
      if (ids.length < p + 16) ids = grow(ids, p + 16);
      return writeDigits(ids, p, v);
    }
    const s = typeof v === 'string' ? v.trim() : v instanceof Date ? dateText(v) : v instanceof Uint8Array ? new TextDecoder().decode(v).trim() : String(v);
    if (ids.length < p + 3 * s.length) ids = grow(ids, p + 3 * s.length + 16);
    return p + encoder.encodeInto(s, ids.subarray(p)).written;
  };
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const n = Number(group.num_rows);
    const groupEnd = groupStart + n;
    const chunks = new Map<string, { rowStart: number; data: Decoded }[]>();
    for (const name of read) chunks.set(name, []);
    try {
      await hp.parquetRead({
        file,
        metadata,
        columns: read,
        rowStart: groupStart,
        rowEnd: groupEnd,
        ...(compressors === undefined ? {} : { compressors }),
        onChunk: (chunk) => chunks.get(chunk.columnName)?.push({ rowStart: chunk.rowStart, data: chunk.columnData as Decoded }),
      });
    } catch (e) {
      if (e instanceof LrmlError) throw e;
      throw new LrmlError('UNKNOWN_FORMAT', `${path}: cannot read the row group of rows ${groupStart + 1}–${groupEnd} (${(e as Error).message})`, { file: path });
    }
    const column = (name: string): Decoded => {
      const c = groupColumn(chunks.get(name)!, groupStart, n);
      if (c === null) throw new LrmlError('UNKNOWN_FORMAT', `${path}: column "${name}" holds fewer values than the ${n} rows its row group (rows ${groupStart + 1}–${groupEnd}) claims: truncated or corrupt?`, { file: path });
      return c;
    };
    const users = column(columns.user.name);
    const items = column(columns.item.name);
    const ratingsRaw = columns.rating === null ? null : column(columns.rating.name);
    const timesRaw = columns.timestamp === null ? null : column(columns.timestamp.name);
    const ratings = ratingsRaw === null ? null : numbers(ratingsRaw, false);
    const times = timesRaw === null ? null : numbers(timesRaw, true);
    chunks.clear();
    for (let k = 0; k < n; k++) {
      const row = groupStart + k + 1;
      const rating = ratings === null ? 0 : ratings[k];
      if (rating !== rating) {
        parser.rejectRecord(row, 'rating', shown(ratingsRaw![k]));
        continue;
      }
      const ts = times === null ? 0 : times[k];
      if (ts !== ts) {
        parser.rejectRecord(row, 'timestamp', shown(timesRaw![k]));
        continue;
      }
      const u = users[k];
      const ue = typeof u === 'number' && (u >>> 0) === u ? writeDigits(ids, 0, u) : putId(u, 0);
      const i = items[k];
      if (ids.length < ue + 16) ids = grow(ids, ue + 16); // a long user id may leave no room for the item's digits
      const ie = typeof i === 'number' && (i >>> 0) === i ? writeDigits(ids, ue, i) : putId(i, ue);
      parser.pushRecord(row, ids, 0, ue, ue, ie, rating, ts);
    }
    groupStart = groupEnd;
  }
  return parser.finish();
}

/**
 * A column's values over one row group, from its chunks (one chunk covering the group is used as it
 * is); null when the chunks hold fewer values than the group's rows (a damaged file).
 */
function groupColumn(chunks: { rowStart: number; data: Decoded }[], groupStart: number, n: number): Decoded | null {
  if (chunks.length === 1 && chunks[0].rowStart === groupStart && chunks[0].data.length === n) return chunks[0].data;
  let held = 0;
  for (const c of chunks) held += c.data.length;
  if (held < n) return null;
  const out = new Array<unknown>(n).fill(null);
  for (const c of chunks) {
    for (let r = Math.max(c.rowStart, groupStart); r < Math.min(c.rowStart + c.data.length, groupStart + n); r++) out[r - groupStart] = c.data[r - c.rowStart];
  }
  return out;
}

/** A rating or timestamp column as numbers (NaN where a value is none). */
function numbers(v: Decoded, time: boolean): Float64Array {
  const n = v.length;
  const out = new Float64Array(n);
  if (v instanceof Float64Array || v instanceof Float32Array || v instanceof Int32Array || v instanceof Uint32Array) {
    out.set(v);
    return out;
  }
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) {
    for (let k = 0; k < n; k++) out[k] = Number(v[k]);
    return out;
  }
  for (let k = 0; k < n; k++) out[k] = toNumber(v[k], time);
  return out;
}

function grow(b: Uint8Array, need: number): Uint8Array {
  const out = new Uint8Array(Math.max(need, b.length * 2));
  out.set(b);
  return out;
}

/** A rating or timestamp value as a number (NaN when it is none); dates and ISO strings (timestamps) in seconds. */
function toNumber(v: unknown, time: boolean): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return time ? v.getTime() / 1000 : Number.NaN;
  if (typeof v === 'string') {
    const b = encoder.encode(v);
    const x = parseNumber(b, 0, b.length);
    return x === x || !time ? x : parseIsoTimestamp(b, 0, b.length);
  }
  return Number.NaN;
}

/** A date as ISO-8601 text (`Invalid Date` for a date out of range: damaged data). */
function dateText(d: Date): string {
  return Number.isNaN(d.getTime()) ? 'Invalid Date' : d.toISOString();
}

/** A value as shown in a message. */
function shown(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return dateText(v);
  return String(v);
}
