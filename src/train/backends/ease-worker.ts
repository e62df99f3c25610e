// Worker thread of the threaded EASE inverse (ease-threads.ts): its own instance of the WASM
// linear algebra module on the shared memory that holds the matrix; runs the row-range tasks it
// is sent and replies when each is done.

import { parentPort, workerData } from 'node:worker_threads';
import { instantiateLinalg, runSpdTask, type SpdTask } from '../../kernels/linalg-wasm.js';
import type { EaseWorkerData, EaseWorkerReply } from './ease-threads.js';

const data = workerData as EaseWorkerData;
const port = parentPort;
if (port === null) throw new Error('ease-worker.js must run in a worker thread');
const x = instantiateLinalg(data.module, data.memory);

port.on('message', (task: SpdTask) => {
  let reply: EaseWorkerReply;
  try {
    runSpdTask(x, data.layout, task);
    reply = { type: 'done' };
  } catch (e) {
    reply = { type: 'failed', message: (e as Error).message };
  }
  port.postMessage(reply);
});
const ready: EaseWorkerReply = { type: 'ready' };
port.postMessage(ready);
