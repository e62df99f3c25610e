// Node-only: starts a worker thread on a module of this folder (src/io), from the build (.js) or,
// under tsx (development, `node --import tsx --test`), from the .ts source with tsx registered first.

import { Worker } from 'node:worker_threads';

/** Under tsx this module is the .ts source. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');

/**
 * A worker thread running `./<name>.js` of src/io (or `./<name>.ts` from source) with `workerData`.
 *
 * @example
 * ```ts
 * const w = startIoWorker('rank-worker', input);
 * ```
 */
export function startIoWorker(name: string, workerData: unknown): Worker {
  if (!FROM_SOURCE) return new Worker(new URL(`./${name}.js`, import.meta.url), { workerData });
  const url = new URL(`./${name}.ts`, import.meta.url).href;
  // an eval'd worker defines the CommonJS globals __dirname ('.') and __filename, which would
  // mislead ES modules that look for them (usearch then seeks its native build in the cwd)
  const boot = `delete globalThis.__dirname; delete globalThis.__filename; import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); })`;
  return new Worker(boot, { eval: true, workerData });
}
