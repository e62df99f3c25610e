// Node-only: evaluation on worker threads. Each worker rebuilds the model from its config and
// tensors (through the model registry's loader: no training code), ranks a contiguous slice of the plan's users with
// the same core as `evaluate`, and sends back its per-user rows; the result is identical to
// `evaluate`'s, whatever the number of threads. Load it with a dynamic import where the library
// must stay browser-safe.

import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startIoWorker } from './start-worker.js';
import type { Csr } from '../data/csr.js';
import { LrmlError, type ErrorCode } from '../errors.js';
import type { Recommender, Tensor } from '../models/types.js';
import { isBuiltInFamily } from '../models/registry.js';
import { ExtendedCatalogue } from '../eval/catalogue.js';
import { evaluateUsers, finishEvaluation, planEvaluation, type EvalPart, type EvalPlan } from '../eval/evaluate.js';
import type { EvalOptions, EvalResult, Protocol } from '../eval/types.js';

/** Options of {@link evaluateParallel}: those of `evaluate` plus the number of threads. */
export interface ParallelEvalOptions extends EvalOptions {
  /** Worker threads (default: the machine's available parallelism; 1 = this thread). */
  threads?: number;
}

/** What a rank worker is given (structured-cloned). */
export interface RankWorkerInput {
  kind: string;
  config: Record<string, unknown>;
  tensors: Record<string, Tensor>;
  train: { numRows: number; numCols: number; indptr: Int32Array; indices: Int32Array };
  test: { numRows: number; numCols: number; indptr: Int32Array; indices: Int32Array };
  protocol: Protocol;
  plan: EvalPlan;
  from: number;
  to: number;
  /** The model's catalogue extended to this many items (never-trained items, see ./catalogue.ts). */
  numItems?: number;
}

/** Messages from a rank worker. */
export type RankWorkerMessage =
  | { type: 'progress'; done: number }
  | { type: 'done'; part: EvalPart }
  | { type: 'error'; code: ErrorCode | null; message: string };

function plainCsr(m: Csr): RankWorkerInput['train'] {
  return { numRows: m.numRows, numCols: m.numCols, indptr: m.indptr, indices: m.indices };
}

function startWorker(input: RankWorkerInput): Worker {
  return startIoWorker('rank-worker', input);
}

function runWorker(input: RankWorkerInput, onDone: (done: number) => void): Promise<EvalPart> {
  return new Promise((resolve, reject) => {
    const w = startWorker(input);
    let settled = false;
    w.on('message', (msg: RankWorkerMessage) => {
      if (msg.type === 'progress') onDone(msg.done);
      else if (msg.type === 'done') {
        settled = true;
        resolve(msg.part);
      } else {
        settled = true;
        reject(msg.code !== null ? new LrmlError(msg.code, msg.message) : new Error(msg.message));
      }
    });
    w.on('error', (e) => {
      if (!settled) reject(e);
      settled = true;
    });
    w.on('exit', (code) => {
      if (!settled) reject(new LrmlError('INTERNAL', `evaluation worker exited with code ${code} before finishing`));
      settled = true;
    });
  });
}

/**
 * `evaluate` on worker threads (Node only): same result, faster full ranking. Models are rebuilt
 * in each worker from `kind`, `config()` and `tensors()` through the model registry; a model of a
 * plug-in family (registered in this thread only) is evaluated on this thread.
 *
 * @example
 * ```ts
 * import { evaluateParallel } from 'lrml';
 * const r = await evaluateParallel(model, train, test, { kind: 'full' }, { threads: 2, k: [10, 20] });
 * ```
 */
export async function evaluateParallel(model: Recommender, train: Csr, test: Csr, protocol: Protocol, options: ParallelEvalOptions = {}): Promise<EvalResult> {
  const t0 = performance.now();
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads <= 0) throw new LrmlError('BAD_OPTION', `invalid threads: ${JSON.stringify(threads)} (expected a positive integer)`);
  const plan = planEvaluation(model, train, test, protocol, options);
  const n = plan.users.length;
  // a catalogue extended with never-trained items: workers rebuild the base model and extend it
  const extended = model instanceof ExtendedCatalogue ? model : null;
  const base = extended?.base ?? model;
  const t = Math.min(threads, Math.max(1, Math.floor(n / 64)));
  // workers know the built-in families only (a plug-in registered here is not registered there)
  if (t <= 1 || !isBuiltInFamily(base.kind)) {
    const part = evaluateUsers(model, train, test, protocol, plan, 0, n, options.onProgress);
    return finishEvaluation(plan, [part], options, t0, { model, train });
  }
  const tensors: Record<string, Tensor> = {};
  for (const [name, x] of Object.entries(base.tensors())) tensors[name] = { shape: x.shape.slice(), data: x.data.slice() };
  const config = base.config();
  const done = new Array<number>(t).fill(0);
  const report = (): void => options.onProgress?.({ done: done.reduce((a, b) => a + b, 0), total: n });
  const jobs: Promise<EvalPart>[] = [];
  for (let w = 0; w < t; w++) {
    const from = Math.floor((w * n) / t);
    const to = Math.floor(((w + 1) * n) / t);
    const input: RankWorkerInput = {
      kind: base.kind, config, tensors, train: plainCsr(train), test: plainCsr(test), protocol, plan, from, to,
    };
    if (extended !== null) input.numItems = extended.numItems;
    jobs.push(runWorker(input, (d) => {
      done[w] = d;
      report();
    }));
  }
  const parts = await Promise.all(jobs);
  return finishEvaluation(plan, parts, options, t0, { model, train });
}
