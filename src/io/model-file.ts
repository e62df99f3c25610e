import { open, type FileHandle } from 'node:fs/promises';
import { loadInteractions, toCsr } from '../data/load.js';
import type { LoadOptions } from '../data/types.js';
import { LrmlError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { assembleModel, decodeModel, encodeModel, modelHeaderLength, readModelHeader, type EncodeOptions, type LoadedModel } from './format.js';

export { writeFileAtomic } from '../fs-atomic.js';

export type { LoadedModel } from './format.js';

/**
 * Saves a model with its id maps and metadata as one safetensors-layout file, atomically (the
 * seen items compressed unless `options.seenEncoding` is `plain`).
 *
 * @example
 * ```ts
 * await saveModel('movies.lrml', { model, users, items, meta: { data: 'ratings.csv' } });
 * ```
 */
export async function saveModel(path: string, m: LoadedModel, options: EncodeOptions = {}): Promise<void> {
  await writeFileAtomic(path, encodeModel(m, options));
}

/** Reads `buf.length` bytes at `position` of `fh` into `buf` (in pieces under the 2 GiB a read takes); false when the file ends first. */
async function readFully(fh: FileHandle, buf: Uint8Array, position: number): Promise<boolean> {
  for (let done = 0; done < buf.length;) {
    const { bytesRead } = await fh.read(buf, done, Math.min(buf.length - done, READ_PIECE), position + done);
    if (bytesRead === 0) return false;
    done += bytesRead;
  }
  return true;
}

/** Largest single read (bytes). */
const READ_PIECE = 1 << 30;

/**
 * Loads and validates a model file (BAD_MODEL_FILE on any problem, FILE_NOT_FOUND when absent).
 * Each tensor is read from the file straight into its own buffer, so loading takes no more memory
 * than the model (not the whole file again until the next garbage collection).
 *
 * @example
 * ```ts
 * const { model, users, items } = await loadModel('movies.lrml');
 * ```
 */
export async function loadModel(path: string): Promise<LoadedModel> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LrmlError('FILE_NOT_FOUND', `model file not found: ${path}`, { file: path });
    throw new LrmlError('BAD_MODEL_FILE', `cannot read model file ${path}: ${(e as Error).message}`, { file: path });
  }
  try {
    const st = await fh.stat();
    // a pipe or device has no size to read tensors at: read it whole, as before
    if (!st.isFile()) return decodeModel(new Uint8Array(await fh.readFile()));
    const size = st.size;
    const first = new Uint8Array(8);
    const short = (): LrmlError => new LrmlError('BAD_MODEL_FILE', `the file ended before its stated size of ${size} bytes (changed while being read?)`);
    if (size >= 8 && !(await readFully(fh, first, 0))) throw short();
    const n = modelHeaderLength(first, size);
    const headerBytes = new Uint8Array(n);
    if (!(await readFully(fh, headerBytes, 8))) throw short();
    const header = readModelHeader(headerBytes, size);
    const raw: Uint8Array[] = [];
    for (const e of header.tensors) {
      const buf = new Uint8Array(e.end - e.begin);
      if (!(await readFully(fh, buf, header.dataStart + e.begin))) throw short();
      raw.push(buf);
    }
    return assembleModel(header, raw);
  } catch (e) {
    if (e instanceof LrmlError) throw new LrmlError(e.code, `${path}: ${e.message}`, { file: path });
    if (typeof (e as NodeJS.ErrnoException).code === 'string') throw new LrmlError('BAD_MODEL_FILE', `cannot read model file ${path}: ${(e as Error).message}`, { file: path });
    throw e;
  } finally {
    await fh.close();
  }
}

/**
 * The model with its seen items taken from an interaction file (for a model saved without them,
 * `lrml train --no-seen`): the file is read with the model's id maps frozen, so lines of users or
 * items the model does not know are dropped (and counted in `dropped`). Replaces any seen items
 * the model file holds.
 *
 * @example
 * ```ts
 * const { model } = await attachSeen(await loadModel('big.lrml'), 'ratings.tsv');
 * recommend(model, '42', { k: 10 }); // seen items left out
 * ```
 */
export async function attachSeen(m: LoadedModel, path: string, options: Omit<LoadOptions, 'users' | 'items' | 'frozen'> = {}): Promise<{ model: LoadedModel; dropped: number }> {
  const data = await loadInteractions(path, { ...options, users: m.users, items: m.items, frozen: true });
  return { model: { ...m, seen: toCsr(data) }, dropped: data.summary.unknownLines ?? 0 };
}
