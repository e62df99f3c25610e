// Node-only: reading a given-negatives file (plain or gzip). Import it directly (or dynamically);
// the browser-safe evaluation code (src/eval) does not depend on it.

import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import type { IdMap } from '../data/idmap.js';
import { LrmlError } from '../errors.js';
import { parseGivenNegatives, type GivenNegativesOptions } from '../eval/negatives.js';
import type { GivenNegatives } from '../eval/types.js';

/**
 * Loads an NCF-style negatives file (`(user,item)\tneg1\t…\tneg99` per line; gzip detected by
 * its magic bytes) with ids mapped through the model's maps. Unknown ids throw UNKNOWN_USER /
 * UNKNOWN_ITEM with file and line (or are skipped and counted with `unknown: 'skip'`). Negatives
 * equal to their own positive are counted in `summary.selfNegatives` and dropped by `evaluate`.
 *
 * @example
 * ```ts
 * const { model, users, items } = await loadModel('ml1m.lrml');
 * const cases = await loadGivenNegatives('../shared/data/ml-1m/ml-1m.test.negative.gz', users, items);
 * cases.summary.selfNegatives; // 156
 * ```
 */
export async function loadGivenNegatives(path: string, users: IdMap, items: IdMap, options: Omit<GivenNegativesOptions, 'file'> = {}): Promise<GivenNegatives> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : (e as Error).message;
    throw new LrmlError('FILE_NOT_FOUND', `${path}: ${why}`, { file: path });
  }
  if (bytes.length === 0) throw new LrmlError('EMPTY_FILE', `${path}: the file is empty (0 bytes)`, { file: path });
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new LrmlError('BAD_GZIP', `${path}: corrupt or truncated gzip data (${(e as Error).message})`, { file: path });
    }
  }
  const cases = parseGivenNegatives(bytes.toString('utf8'), users, items, { ...options, file: path });
  if (cases.summary.cases === 0 && cases.summary.skippedLines === 0) throw new LrmlError('EMPTY_FILE', `${path}: no negatives lines`, { file: path });
  return cases;
}
