import { readFile } from 'node:fs/promises';
import { LrmlError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { decodeModel, encodeModel, type LoadedModel } from './format.js';

export { writeFileAtomic } from '../fs-atomic.js';

export type { LoadedModel } from './format.js';

/**
 * Saves a model with its id maps and metadata as one safetensors-layout file, atomically.
 *
 * @example
 * ```ts
 * await saveModel('movies.lrml', { model, users, items, meta: { data: 'ratings.csv' } });
 * ```
 */
export async function saveModel(path: string, m: LoadedModel): Promise<void> {
  await writeFileAtomic(path, encodeModel(m));
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
