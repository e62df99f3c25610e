// Worker-thread entry of the candidate index's search threads (./ann-index.ts, `searchThreads`):
// loads the saved index file into its own memory and answers searches. (usearch's memory-mapped
// `view` would share the pages between threads, but searched 2× slower on a 1M-item index:
// BENCHMARKS.md.) Not part of the public API.

import { parentPort, workerData } from 'node:worker_threads';
import { matchedItems, newIndex, type SearchWorkerInput, type SearchWorkerMessage, type SearchWorkerTask, type UsearchModule } from './ann-index.js';

function post(msg: SearchWorkerMessage, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(msg, transfer);
}

try {
  const input = workerData as SearchWorkerInput;
  const raw = newIndex((await import(input.packageName)) as UsearchModule, input.dim, input);
  raw.load(input.file);
  if (raw.size() !== input.numItems) throw new Error(`the index file ${input.file} holds ${raw.size()} items, expected ${input.numItems}`);
  parentPort?.on('message', (task: SearchWorkerTask) => {
    try {
      const r = raw.search(task.query, task.count, 1);
      const items = matchedItems(r.keys, r.distances, input.numItems).slice();
      post({ type: 'result', id: task.id, items }, [items.buffer]);
    } catch (e) {
      post({ type: 'error', id: task.id, message: (e as Error).message });
    }
  });
  post({ type: 'ready' });
} catch (e) {
  post({ type: 'error', id: -1, message: (e as Error).message });
}
