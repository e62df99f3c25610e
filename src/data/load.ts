import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, unlink, stat } from 'node:fs/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { Readable, Writable } from 'node:stream';
import { LrmlError } from '../errors.js';
import { removeStaleTemps, tempPathFor } from '../fs-atomic.js';
import { resolveLoadOptions } from './load-options.js';
import { InteractionParser } from './parse.js';
import { isParquetMagic, loadParquet } from './parquet.js';
import type { Interactions, LoadOptions } from './types.js';

export { toCsr } from './interactions.js';
export { parseInteractions } from './parse.js';

/** Read size for plain files and gzip output chunks. */
const CHUNK = 1 << 20;

/** Magic numbers of compressions we do not read, for a helpful UNKNOWN_FORMAT. */
const OTHER_MAGIC: [number[], string][] = [
  [[0x50, 0x4b, 0x03, 0x04], 'a zip archive'],
  [[0x42, 0x5a, 0x68], 'bzip2-compressed'],
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a], 'xz-compressed'],
  [[0x28, 0xb5, 0x2f, 0xfd], 'zstd-compressed'],
];

function fsError(path: string, e: unknown): LrmlError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new LrmlError('FILE_NOT_FOUND', `${path}: no such file`, { file: path });
  if (code === 'EISDIR') return new LrmlError('FILE_NOT_FOUND', `${path}: is a directory, not a file`, { file: path });
  if (code === 'EACCES' || code === 'EPERM') return new LrmlError('FILE_NOT_FOUND', `${path}: permission denied`, { file: path });
  return new LrmlError('FILE_NOT_FOUND', `${path}: cannot read (${(e as Error).message})`, { file: path });
}

/**
 * Loads an interaction log from a file: CSV, TSV, MovieLens `::` (.dat), NCF `.rating`
 * (user, item, rating, timestamp) or NCF pairs (user, item), any of them gzip-compressed
 * (detected by the magic bytes 1f 8b, not by the extension), or Apache Parquet (magic bytes
 * `PAR1`; read one row group at a time by {@link loadParquet}, same options, same results). The file is streamed (its
 * text is never held whole); ids are mapped to dense indices in order of first
 * appearance. Duplicate (user, item) pairs keep the latest line; `minRating` and
 * `kcore` filter after that; every line is accounted for in `summary`. Bad input throws
 * {@link LrmlError} naming file, line, column and value (or is skipped and counted with
 * `skipBadLines`). See docs/data.md.
 *
 * @example
 * ```ts
 * const data = await loadInteractions('data/ml-latest-small/ratings.csv', { minRating: 4 });
 * data.users.size;        // users with at least one rating ≥ 4
 * data.summary.duplicates; // 0
 * const csr = toCsr(data);
 * ```
 */
export async function loadInteractions(path: string, options: LoadOptions = {}): Promise<Interactions> {
  resolveLoadOptions(options); // option errors first, whatever the file
  let head: Buffer;
  let textSize = 0;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    const fh = await open(path, 'r');
    try {
      head = Buffer.alloc(8);
      const { bytesRead } = await fh.read(head, 0, 8, 0);
      head = head.subarray(0, bytesRead);
      const size = st.size;
      textSize = size;
      if (size >= 18 && head[0] === 0x1f && head[1] === 0x8b) {
        // gzip trailer: uncompressed size mod 2^32 (of the last member): a size hint only.
        const tail = Buffer.alloc(4);
        await fh.read(tail, 0, 4, size - 4);
        const isize = tail.readUInt32LE(0);
        textSize = isize >= size ? isize : 0;
      }
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw fsError(path, e);
  }
  if (head.length === 0) throw new LrmlError('EMPTY_FILE', `${path}: the file is empty (0 bytes)`, { file: path });
  if (isParquetMagic(head)) return loadParquet(path, options);
  if (options.format === 'parquet' || /\.parquet$/i.test(path)) {
    throw new LrmlError('UNKNOWN_FORMAT', `${path}: ${options.format === 'parquet' ? 'format parquet' : 'named .parquet'}, but the file does not start with the Parquet magic bytes PAR1 (not Parquet, or damaged)`, { file: path });
  }
  const gzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  for (const [magic, what] of OTHER_MAGIC) {
    if (magic.every((b, k) => head[k] === b)) {
      throw new LrmlError('UNKNOWN_FORMAT', `${path}: ${what} file; only plain text and gzip are read (decompress it first)`, { file: path });
    }
  }
  const parser = new InteractionParser(path, options, gzip, textSize);
  const source = createReadStream(path, { highWaterMark: CHUNK });
  let stream: Readable = source;
  if (gzip) {
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    source.on('error', (e) => gunzip.destroy(e));
    stream = source.pipe(gunzip);
  }
  let gotData = false;
  try {
    for await (const chunk of stream) {
      gotData = true;
      parser.push(chunk as Buffer);
    }
  } catch (e) {
    source.destroy();
    stream.destroy();
    if (e instanceof LrmlError) throw e;
    const err = e as NodeJS.ErrnoException;
    // zlib errors carry codes like Z_DATA_ERROR / Z_BUF_ERROR and no syscall
    if (gzip && (err.code?.startsWith('Z_') === true || (typeof err.errno === 'number' && err.syscall === undefined))) {
      throw new LrmlError('BAD_GZIP', `${path}: corrupt or truncated gzip data (${err.message})`, { file: path });
    }
    throw fsError(path, e);
  }
  if (!gotData) throw new LrmlError('EMPTY_FILE', `${path}: no data${gzip ? ' (empty gzip stream)' : ''}`, { file: path });
  return parser.finish();
}

/** Shortest decimal that reads back as the same float32 (4.1 stays "4.1", not 4.099999904632568). */
function float32Text(x: number, cache: Map<number, string>): string {
  let s = cache.get(x);
  if (s !== undefined) return s;
  s = String(x);
  for (let p = 1; p <= 9; p++) {
    const t = x.toPrecision(p);
    if (Math.fround(Number(t)) === x) {
      s = String(Number(t));
      break;
    }
  }
  if (cache.size < 4096) cache.set(x, s);
  return s;
}

function checkId(id: string, what: string, path: string): string {
  if (/[\t\r\n]/.test(id)) {
    throw new LrmlError('BAD_VALUE', `${path}: cannot write ${what} id ${JSON.stringify(id)} to TSV: it contains a tab or line break`, { file: path, value: id });
  }
  return id;
}

async function writeAll(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await new Promise<void>((resolve, reject) => {
    const onDrain = (): void => { out.off('error', onError); resolve(); };
    const onError = (e: Error): void => { out.off('drain', onDrain); reject(e); };
    out.once('drain', onDrain);
    out.once('error', onError);
  });
}

/**
 * Writes interactions as TSV with a header — `user\titem[\trating][\ttimestamp]`, with
 * external ids — to a temporary file renamed over `path` when complete (atomic). A path
 * ending in `.gz` is gzip-compressed. `rows` (optional) selects and orders the
 * interactions to write. `loadInteractions` reads the file back to the same ids,
 * ratings and timestamps.
 *
 * @example
 * ```ts
 * await writeInteractions('train.tsv', split.train);
 * const back = await loadInteractions('train.tsv'); // same pairs, same ids
 * ```
 */
export async function writeInteractions(path: string, data: Interactions, rows?: Int32Array): Promise<void> {
  const n = rows === undefined ? data.user.length : rows.length;
  const uIds = data.users.ids();
  const iIds = data.items.ids();
  for (const id of uIds) checkId(id, 'user', path);
  for (const id of iIds) checkId(id, 'item', path);
  if (rows !== undefined) {
    for (let k = 0; k < n; k++) {
      const r = rows[k];
      if (!(r >= 0 && r < data.user.length)) throw new RangeError(`writeInteractions: row ${r} out of range [0, ${data.user.length})`);
    }
  }
  await removeStaleTemps(path);
  const tmp = tempPathFor(path);
  const file = createWriteStream(tmp);
  const gz = path.endsWith('.gz') ? createGzip() : null;
  const out: Writable = gz ?? file;
  const closed = new Promise<void>((resolve) => file.on('close', () => resolve()));
  let failure: Error | null = null;
  const finished = new Promise<void>((resolve, reject) => {
    file.on('finish', resolve);
    file.on('error', reject);
    gz?.on('error', reject);
  });
  finished.catch((e: Error) => {
    failure = e;
  });
  if (gz !== null) gz.pipe(file);
  try {
    const rating = data.rating;
    const ts = data.timestamp;
    const cache = new Map<number, string>();
    let text = `user\titem${rating !== null ? '\trating' : ''}${ts !== null ? '\ttimestamp' : ''}\n`;
    for (let k = 0; k < n && failure === null; k++) {
      const r = rows === undefined ? k : rows[k];
      text += `${uIds[data.user[r]]}\t${iIds[data.item[r]]}`;
      if (rating !== null) text += `\t${float32Text(rating[r], cache)}`;
      if (ts !== null) text += `\t${ts[r]}`;
      text += '\n';
      if (text.length >= CHUNK) {
        await Promise.race([writeAll(out, text), finished]);
        text = '';
      }
    }
    if (failure === null) await Promise.race([writeAll(out, text), finished]);
    out.end();
    await finished;
    await rename(tmp, path);
  } catch (e) {
    out.destroy();
    file.destroy();
    await closed;
    await unlink(tmp).catch(() => undefined);
    throw new LrmlError('WRITE_FAILED', `${path}: cannot write (${(e as Error).message})`, { file: path });
  }
}
