// Node-only: `recommend --all` on worker threads. The model's tensors and seen items are copied once
// into shared memory; each worker rebuilds the model from them (through the model registry's
// loader: no training code), takes blocks of users in turn, and sends back each block's text lines
// (JSON lines or CSV, as recommendationLines writes them); the blocks come out in user order, so the
// text is the same as that of one thread, whatever the number of workers.

import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startIoWorker } from './start-worker.js';
import { Csr } from '../data/csr.js';
import { LrmlError, type ErrorCode } from '../errors.js';
import { isBuiltInFamily } from '../models/registry.js';
import type { LoadedModel, Tensor } from '../models/types.js';
import { checkFilters, checkK, recommendationLines, recommendEach, searchMode, type RecommendOptions, type RecommendationsFormat } from '../recommend/recommend.js';
import type { ItemTitles } from '../recommend/titles.js';

/** Options of {@link recommendationTextParallel}. */
export interface ParallelRecommendOptions extends RecommendOptions {
  /** Worker threads (default: the machine's available parallelism; 1 = this thread). */
  threads?: number;
  /** Users per block handed to a worker (default 256). */
  blockSize?: number;
  /** Called after each block with the users done so far. */
  onProgress?: (done: number, total: number) => void;
}

/** What a recommend worker is given once (structured-cloned; the big arrays are shared). */
export interface RecommendWorkerInput {
  kind: string;
  config: Record<string, unknown>;
  tensors: Record<string, Tensor>;
  itemIds: string[];
  meta: Record<string, unknown>;
  seen: { numRows: number; numCols: number; indptr: Int32Array; indices: Int32Array } | null;
  options: RecommendOptions;
  format: RecommendationsFormat;
  titles: ItemTitles | null;
}

/** Messages to a recommend worker: a block of users (indices and ids), or the end. */
export type RecommendWorkerTask = { block: number; users: Int32Array; ids: string[] } | { block: -1 };

/** Messages from a recommend worker. */
export type RecommendWorkerMessage =
  | { type: 'ready' }
  | { type: 'block'; block: number; text: string }
  | { type: 'error'; code: ErrorCode | null; message: string };

/** A copy of a typed array in shared memory (workers see it without copying). */
function shared<T extends Float32Array | Int32Array | Float64Array | Uint8Array>(x: T): T {
  const C = x.constructor as new (b: SharedArrayBuffer) => T;
  const out = new C(new SharedArrayBuffer(x.byteLength));
  out.set(x as never);
  return out;
}

function startWorker(input: RecommendWorkerInput): Worker {
  return startIoWorker('recommend-worker', input);
}

/**
 * The threads a batch of `users` users can use: `threads` (default: every core), at most one per
 * 64 users, and 1 for what workers cannot rebuild (a plug-in family) or search (an attached
 * candidate index on the `ann` path).
 */
function usableThreads(m: LoadedModel, users: number, o: ParallelRecommendOptions): number {
  const threads = o.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads <= 0) throw new LrmlError('BAD_OPTION', `invalid threads: ${JSON.stringify(threads)} (expected a positive integer)`);
  if (!isBuiltInFamily(m.model.kind) || searchMode(m, o) === 'ann') return 1;
  return Math.min(threads, Math.max(1, Math.floor(users / 64)));
}

/**
 * The text of `recommendationLines(recommendEach(m, userIds, options), format, titles)`, computed on
 * worker threads and yielded in user order, a block of users at a time (Node only). Every user of
 * the model when `userIds` is null. Checks k, the filters and the search mode up front (BAD_OPTION,
 * UNKNOWN_ITEM before any text); an unknown user id is UNKNOWN_USER.
 *
 * @example
 * ```ts
 * await writeChunksAtomic('recs.jsonl', recommendationTextParallel(m, null, 'jsonl', null, { k: 10, threads: 2 }));
 * ```
 */
export async function* recommendationTextParallel(
  m: LoadedModel, userIds: readonly string[] | null, format: RecommendationsFormat, titles: ItemTitles | null, options: ParallelRecommendOptions = {},
): AsyncGenerator<string> {
  const { threads: _t, blockSize: _b, onProgress, ...recOptions } = options;
  checkK(recOptions.k ?? 10);
  checkFilters(m, recOptions);
  const total = userIds === null ? m.users.size : userIds.length;
  const users = userIds === null ? null : Int32Array.from(userIds, (id) => {
    const u = m.users.get(id);
    if (u === undefined) throw new LrmlError('UNKNOWN_USER', `unknown user ${JSON.stringify(id)}`);
    return u;
  });
  const t = usableThreads(m, total, options);
  const blockSize = options.blockSize ?? 256;
  if (!Number.isInteger(blockSize) || blockSize <= 0) throw new LrmlError('BAD_OPTION', `invalid blockSize: ${JSON.stringify(blockSize)} (expected a positive integer)`);
  if (t <= 1) {
    let done = 0;
    const counted = function* (): Generator<ReturnType<typeof recommendEach> extends Generator<infer R> ? R : never> {
      for (const r of recommendEach(m, userIds, recOptions)) {
        yield r;
        if (++done % blockSize === 0 || done === total) onProgress?.(done, total);
      }
    };
    yield* recommendationLines(counted(), format, titles ?? undefined);
    return;
  }
  if (format === 'csv') yield titles === null ? 'user,rank,item,score\n' : 'user,rank,item,score,title\n';
  const tensors: Record<string, Tensor> = {};
  for (const [name, x] of Object.entries(m.model.tensors())) tensors[name] = { shape: x.shape.slice(), data: shared(x.data) };
  const seen = m.seen === null ? null : { numRows: m.seen.numRows, numCols: m.seen.numCols, indptr: shared(m.seen.indptr), indices: shared(m.seen.indices) };
  const input: RecommendWorkerInput = {
    kind: m.model.kind, config: m.model.config(), tensors, itemIds: m.items.ids(), meta: m.meta, seen,
    options: recOptions, format, titles,
  };
  const blocks = Math.ceil(total / blockSize);
  const texts = new Map<number, string>();
  let next = 0; // next block to hand out
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  const parked: Worker[] = [];
  let emitted = 0; // blocks yielded
  const give = (w: Worker): void => {
    if (failure !== null || next >= blocks) {
      w.postMessage({ block: -1 } satisfies RecommendWorkerTask);
      return;
    }
    if (next - emitted >= 4 * t) {
      parked.push(w); // the writer is behind: wait
      return;
    }
    const b = next++;
    const from = b * blockSize;
    const to = Math.min(total, from + blockSize);
    const list = users === null ? Int32Array.from({ length: to - from }, (_, x) => from + x) : users.slice(from, to);
    const ids = Array.from(list, (u) => m.users.id(u));
    w.postMessage({ block: b, users: list, ids } satisfies RecommendWorkerTask, [list.buffer as ArrayBuffer]);
  };
  const active = new Set<Worker>();
  try {
    for (let x = 0; x < t; x++) {
      const w = startWorker(input);
      active.add(w);
      w.on('message', (msg: RecommendWorkerMessage) => {
        if (msg.type === 'ready') give(w);
        else if (msg.type === 'block') {
          texts.set(msg.block, msg.text);
          give(w);
        } else failure ??= msg.code !== null ? new LrmlError(msg.code, msg.message) : new Error(msg.message);
        notify();
      });
      w.on('error', (e) => {
        failure ??= e;
        notify();
      });
      w.on('exit', (code) => {
        active.delete(w);
        if (code !== 0) failure ??= new LrmlError('INTERNAL', `recommend worker exited with code ${code} before finishing`);
        notify();
      });
    }
    while (emitted < blocks) {
      if (failure !== null) throw failure;
      const text = texts.get(emitted);
      if (text === undefined) {
        if (active.size === 0) throw new LrmlError('INTERNAL', 'recommend workers stopped before finishing');
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      texts.delete(emitted);
      emitted++;
      onProgress?.(Math.min(total, emitted * blockSize), total);
      while (parked.length > 0 && next - emitted < 4 * t) give(parked.shift()!);
      yield text;
    }
  } finally {
    for (const w of active) void w.terminate();
  }
}

/** A Csr of shared arrays (a worker's view of the seen items). */
export function sharedCsr(s: NonNullable<RecommendWorkerInput['seen']>): Csr {
  return new Csr(s.numRows, s.numCols, s.indptr, s.indices);
}
