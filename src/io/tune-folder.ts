// Node-only: the folder a `tune` search keeps its files in (trials.jsonl, results.csv,
// results.json, best.json).
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs-atomic.js';
import type { TuneStore } from '../train/tune.js';

/**
 * A {@link TuneStore} in folder `dir` (created if needed): the trial log `trials.jsonl`
 * (appended to as trials finish) and the result files, written atomically.
 *
 * @example
 * ```ts
 * const store = await tuneFolder('tune/cml.out');
 * await tune(train, { model: 'cml', space: { margin: [0.25, 0.5] }, validation }, {}, store);
 * store.log; // 'tune/cml.out/trials.jsonl'
 * ```
 */
export async function tuneFolder(dir: string): Promise<TuneStore & { dir: string; log: string }> {
  await mkdir(dir, { recursive: true });
  const log = join(dir, 'trials.jsonl');
  return {
    dir,
    log,
    readLog: async () => {
      try {
        return await readFile(log, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
    },
    appendLog: (text) => appendFile(log, text),
    replaceLog: (text) => writeFileAtomic(log, text),
    writeFile: (name, text) => writeFileAtomic(join(dir, name), text),
  };
}
