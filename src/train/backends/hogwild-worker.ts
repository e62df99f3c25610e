// Worker thread of the Hogwild kernel (hogwild.ts): one instance of the WASM training kernel on
// the shared memory, configured with this worker's private work area. Trains the batches of each
// epoch it is sent, taking the next one not yet taken from the shared counter until none is
// left, then replies with its summed loss.

import { parentPort, workerData } from 'node:worker_threads';
import type { HogwildAdvance, HogwildReply, HogwildRun, HogwildWorkerData } from './hogwild.js';
import { instantiateTrainer } from './wasm.js';

const data = workerData as HogwildWorkerData;
const port = parentPort;
if (port === null) throw new Error('hogwild-worker.js must run in a worker thread');
const ex = instantiateTrainer(data.module, data.memory, data.cfg, data.layout, data.index);
const flags = new Int32Array(data.flags);
const progress = new Float64Array(data.progress);
const k = data.cfg.negatives;
const me = data.index;

port.on('message', (msg: HogwildRun | HogwildAdvance) => {
  if ('advance' in msg) {
    // a resume: empty steps advance this instance's step count and Adam's running powers
    for (let t = 0; t < msg.advance; t++) ex.step(0, 0, 0, 0);
    const reply: HogwildReply = { type: 'done', loss: 0, done: 0, cancelled: false, steps: ex.steps() };
    port.postMessage(reply);
    return;
  }
  const run = msg;
  let loss = 0;
  let done = 0;
  let cancelled = false;
  ex.setLearningRate(run.learningRate);
  const batches = Math.ceil(run.count / run.batchSize);
  // each worker takes the next batch not yet taken: a worker that shares its core (with the
  // thread drawing the next chunk, or with another process) takes fewer, instead of leaving the
  // others idle at the end of the epoch
  for (;;) {
    if (Atomics.load(flags, 0) !== 0) {
      cancelled = true;
      break;
    }
    const b = Atomics.add(flags, 1, 1);
    if (b >= batches) break;
    const off = b * run.batchSize;
    const cnt = Math.min(run.batchSize, run.count - off);
    loss += ex.step(run.users + 4 * off, run.pos + 4 * off, run.neg + 4 * k * off, cnt);
    done += cnt;
    progress[2 * me] = done;
    progress[2 * me + 1] = loss;
  }
  const reply: HogwildReply = { type: 'done', loss, done, cancelled, steps: ex.steps() };
  port.postMessage(reply);
});
const ready: HogwildReply = { type: 'ready' };
port.postMessage(ready);
