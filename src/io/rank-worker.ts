// Worker-thread entry of evaluateParallel (./eval-parallel.ts): rebuilds the model, ranks its slice of
// users, posts the per-user rows back. Not part of the public API.

import { parentPort, workerData } from 'node:worker_threads';
import { Csr } from '../data/csr.js';
import { LrmlError } from '../errors.js';
import { modelLoader } from '../models/registry.js';
import { extendCatalogue } from '../eval/catalogue.js';
import { evaluateUsers } from '../eval/evaluate.js';
import type { RankWorkerInput, RankWorkerMessage } from './eval-parallel.js';

function post(msg: RankWorkerMessage, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(msg, transfer);
}

try {
  const input = workerData as RankWorkerInput;
  const base = modelLoader(input.kind)(input.config, input.tensors);
  const model = input.numItems === undefined ? base : extendCatalogue(base, input.numItems);
  const csr = (m: RankWorkerInput['train']): Csr => new Csr(m.numRows, m.numCols, m.indptr, m.indices);
  const part = evaluateUsers(model, csr(input.train), csr(input.test), input.protocol, input.plan, input.from, input.to, (p) => post({ type: 'progress', done: p.done }));
  post({ type: 'done', part }, [part.users.buffer as ArrayBuffer, part.positives.buffer as ArrayBuffer, part.values.buffer as ArrayBuffer]);
} catch (e) {
  post({ type: 'error', code: e instanceof LrmlError ? e.code : null, message: e instanceof LrmlError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e) });
}
