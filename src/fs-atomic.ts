// Node-only: atomic file writes, shared by io, eval and the CLI (the library's browser-safe
// core never imports this).
import { rename, unlink, writeFile } from 'node:fs/promises';

/**
 * Writes `path` atomically (temp file in the same folder, then rename): readers never see
 * a half-written file, and a failed write leaves the old file as it was and no temp file.
 *
 * @example
 * ```ts
 * await writeFileAtomic('report.json', JSON.stringify(r));
 * ```
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}
