import { readFile } from 'node:fs/promises';
import { loadInteractions, toCsr } from '../data/load.js';
import type { LoadOptions } from '../data/types.js';
import { LrmlError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { decodeModel, encodeModel, type EncodeOptions, type LoadedModel } from './format.js';

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

/**
 * Loads and validates a model file (BAD_MODEL_FILE on any problem, FILE_NOT_FOUND when absent).
 *
 * @example
 * ```ts
 * const { model, users, items } = await loadModel('movies.lrml');
 * ```
 */
export async function loadModel(path: string): Promise<LoadedModel> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LrmlError('FILE_NOT_FOUND', `model file not found: ${path}`, { file: path });
    throw new LrmlError('BAD_MODEL_FILE', `cannot read model file ${path}: ${(e as Error).message}`, { file: path });
  }
  try {
    return decodeModel(bytes);
  } catch (e) {
    if (e instanceof LrmlError) throw new LrmlError(e.code, `${path}: ${e.message}`, { file: path });
    throw e;
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
