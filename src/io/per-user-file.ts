// Node-only: writing per-user metrics to a file, atomically (temp file in the same folder, then rename).

import { writeFileAtomic } from '../fs-atomic.js';
import type { IdMap } from '../data/idmap.js';
import { formatPerUser, type PerUserFormat } from '../eval/per-user.js';
import type { EvalResult } from '../eval/types.js';

/**
 * Writes a result's per-user metrics to `path` as TSV or JSON lines (default: JSON lines when the
 * name ends in .jsonl or .json, else TSV). Readers never see a half-written file.
 *
 * @example
 * ```ts
 * await writePerUser('per-user.tsv', result, users);
 * ```
 */
export async function writePerUser(path: string, result: EvalResult, users: IdMap | null, format?: PerUserFormat): Promise<void> {
  const f = format ?? (/\.jsonl?$/i.test(path) ? 'jsonl' : 'tsv');
  const text = formatPerUser(result, users, f);
  await writeFileAtomic(path, text); // WRITE_FAILED naming the file, as the CLI's check up front
}
