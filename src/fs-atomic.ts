// Node-only: atomic file writes, shared by io, eval and the CLI (the library's browser-safe
// core never imports this).
import { constants } from 'node:fs';
import { access, open, readdir, rename, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LrmlError } from './errors.js';

/**
 * The temp file a write to `path` goes through: `<path>.<pid>.<milliseconds>.tmp` in the same
 * folder, so that {@link removeStaleTemps} can tell whose it is.
 *
 * @example
 * ```ts
 * tempPathFor('m.lrml'); // 'm.lrml.4242.1733450000000.tmp'
 * ```
 */
export function tempPathFor(path: string): string {
  return `${path}.${process.pid}.${Date.now()}.tmp`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temp files of earlier writes to `path` (`<path>.<pid>.<ms>.tmp`) whose process is
 * no longer running: what a write killed mid-way (kill -9, power loss) leaves behind. Temp files
 * of running processes (this one included) are kept. Returns the names removed; never throws.
 *
 * @example
 * ```ts
 * await removeStaleTemps('m.lrml'); // ['m.lrml.4242.1733450000000.tmp']
 * ```
 */
export async function removeStaleTemps(path: string): Promise<string[]> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(`${base}.`) || !name.endsWith('.tmp')) continue;
    const m = /^\.(\d+)\.(\d+)\.tmp$/.exec(name.slice(base.length));
    if (m === null) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    try {
      await unlink(join(dir, name));
      removed.push(name);
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}

/**
 * Writes `path` atomically (temp file in the same folder, then rename): readers never see
 * a half-written file, and a failed write leaves the old file as it was and no temp file.
 * Temp files left by killed writers to the same path are removed first. Failures are
 * WRITE_FAILED errors naming the file.
 *
 * @example
 * ```ts
 * await writeFileAtomic('report.json', JSON.stringify(r));
 * ```
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await removeStaleTemps(path);
  const tmp = tempPathFor(path);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new LrmlError('WRITE_FAILED', `cannot write ${path}: ${(e as Error).message}`, { file: path });
  }
}

/**
 * Checks, before any long work, that a file can be written at `path`: its folder exists and is
 * writable, and `path` is not a folder. Throws WRITE_FAILED naming `label` (a flag such as
 * `--out`) and what is wrong; creates nothing.
 *
 * @example
 * ```ts
 * await checkOutputFile(String(opts.out), '--out'); // then load, train, save
 * ```
 */
export async function checkOutputFile(path: string, label: string): Promise<void> {
  const fail = (why: string): LrmlError => new LrmlError('WRITE_FAILED', `${label}: cannot write ${path}: ${why}`, { file: path });
  if (path === '' || path.endsWith('/')) throw fail('give a file name, not a folder');
  const st = await stat(path).catch(() => null);
  if (st !== null && st.isDirectory()) throw fail('it is a folder (give a file name inside it)');
  const dir = dirname(path);
  const ds = await stat(dir).catch(() => null);
  if (ds === null) throw fail(`the folder ${dir} does not exist (create it first)`);
  if (!ds.isDirectory()) throw fail(`${dir} is not a folder`);
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw fail(`the folder ${dir} is not writable`);
  }
}

/**
 * Writes the text chunks of an iterable (or async iterable) to `path` atomically, streamed (never the whole text in
 * memory): into a temporary file in the same folder, renamed over `path` when every chunk is
 * written. When the iterable throws or a write fails, the temporary file is removed and `path` is
 * left as it was; failures to write are WRITE_FAILED errors naming the file, errors of the
 * iterable propagate unchanged.
 *
 * @example
 * ```ts
 * await writeChunksAtomic('recs.jsonl', (function* () { yield '{"user":"1"}\n'; })());
 * ```
 */
export async function writeChunksAtomic(path: string, chunks: Iterable<string> | AsyncIterable<string>): Promise<void> {
  await removeStaleTemps(path);
  const tmp = tempPathFor(path);
  const failed = (e: unknown): LrmlError => new LrmlError('WRITE_FAILED', `cannot write ${path}: ${(e as Error).message}`, { file: path });
  let handle: FileHandle;
  try {
    handle = await open(tmp, 'w');
  } catch (e) {
    throw failed(e);
  }
  try {
    let buffer = '';
    const flush = async (): Promise<void> => {
      try {
        await handle.write(buffer);
      } catch (e) {
        throw failed(e);
      }
      buffer = '';
    };
    for await (const chunk of chunks) {
      buffer += chunk;
      if (buffer.length >= 1 << 16) await flush();
    }
    if (buffer.length > 0) await flush();
    try {
      await handle.close();
      await rename(tmp, path);
    } catch (e) {
      throw failed(e);
    }
  } catch (e) {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}
