// Worker-thread entry of recommendationTextParallel (./recommend-parallel.ts): rebuilds the model
// from shared tensors, then answers blocks of user indices with their text lines. Not part of the
// public API.

import { parentPort, workerData } from 'node:worker_threads';
import { IdMap } from '../data/idmap.js';
import { LrmlError } from '../errors.js';
import { modelLoader } from '../models/registry.js';
import type { LoadedModel } from '../models/types.js';
import { recommendationLines, recommendUserIndex } from '../recommend/recommend.js';
import { sharedCsr, type RecommendWorkerInput, type RecommendWorkerMessage, type RecommendWorkerTask } from './recommend-parallel.js';

function post(msg: RecommendWorkerMessage): void {
  parentPort?.postMessage(msg);
}

function fail(e: unknown): void {
  post({ type: 'error', code: e instanceof LrmlError ? e.code : null, message: e instanceof LrmlError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e) });
}

try {
  const input = workerData as RecommendWorkerInput;
  const m: LoadedModel = {
    model: modelLoader(input.kind)(input.config, input.tensors),
    users: new IdMap(), // blocks name their users by index and id
    items: IdMap.fromIds(input.itemIds),
    meta: input.meta,
    seen: input.seen === null ? null : sharedCsr(input.seen),
  };
  const titles = input.titles ?? undefined;
  parentPort?.on('message', (task: RecommendWorkerTask) => {
    if (!('users' in task)) {
      parentPort?.close();
      return;
    }
    try {
      const recs = Array.from(task.users, (u, t) => recommendUserIndex(m, u, task.ids[t], input.options));
      let text = '';
      for (const line of recommendationLines(recs, input.format, titles)) text += line;
      // the CSV header is written once, by the caller
      if (input.format === 'csv') text = text.slice(text.indexOf('\n') + 1);
      post({ type: 'block', block: task.block, text });
    } catch (e) {
      fail(e);
    }
  });
  post({ type: 'ready' });
} catch (e) {
  fail(e);
}
