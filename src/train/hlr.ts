// Training of HLR (src/models/hlr.ts): the triplet epoch of src/train/triplet.ts (seeded order,
// sampled negatives, schedule, shared epoch loop) with, per example, a fresh random history of at
// most historyLength of the user's other training items (the positive is left out, or the model
// would learn identity), over the TypeScript HLR step of src/kernels/hlr-impl.ts.

import type { Csr } from '../data/csr.js';
import { NegativeSampler } from '../data/samplers.js';
import { HlrTsStep } from '../kernels/hlr-impl.js';
import type { TripletParams } from '../kernels/types.js';
import { attentionSample } from '../models/attention-epoch.js';
import { HlrModel, hlrAsTriplet, hlrKernelConfig, measureHlrAttention, type HlrOptions } from '../models/hlr.js';
import { provideTrainer } from '../models/trainer.js';
import type { TrainHooks } from '../models/types.js';
import { Rng } from '../rng.js';
import { copyParams } from './backends/common.js';
import { runBatches } from './batches.js';
import { trainEpochs, type EpochRunner } from './loop.js';
import { scheduledLearningRate } from './schedule.js';
import { csrPairs, initTripletParams, restoreParams } from './triplet.js';

/**
 * Draws a history: at most `length` distinct items of `row` other than `exclude` (−1: none), into
 * out[o ..], uniformly at random (all of them when there are few enough, in row order). `mark` is
 * a numItems scratch; `stamp` a value not yet used in it. Returns the number of items drawn.
 *
 * @example
 * ```ts
 * const n = drawHistory(csr.row(u), i, 20, rng, out, 0, mark, ++stamp);
 * ```
 */
export function drawHistory(row: Int32Array, exclude: number, length: number, rng: Rng, out: Int32Array, o: number, mark: Int32Array, stamp: number): number {
  let others = row.length;
  for (let t = 0; t < row.length; t++) if (row[t] === exclude) others--;
  if (others <= length) {
    let w = 0;
    for (let t = 0; t < row.length; t++) if (row[t] !== exclude) out[o + w++] = row[t];
    return w;
  }
  if (exclude >= 0) mark[exclude] = stamp;
  for (let w = 0; w < length; ) {
    const item = row[rng.int(row.length)];
    if (mark[item] === stamp) continue;
    mark[item] = stamp;
    out[o + w++] = item;
  }
  return length;
}

/**
 * The fixed per-user histories a model scores with: for each user, at most `length` of the
 * training items, drawn with `rng` (CSR: indptr, items).
 *
 * @example
 * ```ts
 * const { indptr, items } = scoringHistories(csr, 20, new Rng(1));
 * ```
 */
export function scoringHistories(data: Csr, length: number, rng: Rng): { indptr: Int32Array; items: Int32Array } {
  const indptr = new Int32Array(data.numRows + 1);
  for (let u = 0; u < data.numRows; u++) indptr[u + 1] = indptr[u] + Math.min(length, data.rowLength(u));
  const items = new Int32Array(indptr[data.numRows]);
  const mark = new Int32Array(data.numCols);
  for (let u = 0; u < data.numRows; u++) drawHistory(data.row(u), -1, length, rng, items, indptr[u], mark, u + 1);
  return { indptr, items };
}

/**
 * Trains an HLR model: each epoch visits every positive once in a seeded random order, with
 * `negatives` sampled negatives and a fresh history each, `batchSize` positives per step.
 *
 * @example
 * ```ts
 * const model = await fitHlr(csr, resolveHlrOptions({ epochs: 10 }));
 * ```
 */
export async function fitHlr(data: Csr, o: HlrOptions, hooks: TrainHooks = {}): Promise<HlrModel> {
  const rng = new Rng(o.seed);
  const numUsers = data.numRows;
  const numItems = data.numCols;
  const params = initTripletParams(hlrAsTriplet(o), numUsers, numItems, rng);
  const fixed = scoringHistories(data, o.historyLength, new Rng((o.seed ^ 0x4157) >>> 0));
  const model = new HlrModel(numUsers, numItems, o, params, fixed.indptr, fixed.items);
  if (o.epochs === 0 || data.nnz === 0) return model;
  const cfg = hlrKernelConfig(o, numUsers, numItems);
  const step = new HlrTsStep(cfg, params);
  const sampler = new NegativeSampler(data, { alpha: o.samplerAlpha, seed: rng.u32() });
  const pairs = csrPairs(data);
  const n = pairs.users.length;
  const L = o.historyLength;
  const order = new Int32Array(n);
  for (let k = 0; k < n; k++) order[k] = k;
  const eu = new Int32Array(n);
  const ei = new Int32Array(n);
  const en = new Int32Array(n * o.negatives);
  const hist = new Int32Array(n * L);
  const histLen = new Int32Array(n);
  const mark = new Int32Array(numItems);
  let stamp = 0;
  // the attention statistics of each epoch, on a fixed sample with its own generator
  const sample = attentionSample(data, (o.seed ^ 0x5a17e57) >>> 0);
  const runner: EpochRunner<TripletParams> = {
    epochSize: n,
    async runEpoch(epoch, onProgress, signal) {
      step.learningRate = scheduledLearningRate(o.learningRateSchedule, o.learningRate, epoch, o.epochs);
      rng.shuffle(order);
      for (let k = 0; k < n; k++) {
        eu[k] = pairs.users[order[k]];
        ei[k] = pairs.items[order[k]];
        histLen[k] = drawHistory(data.row(eu[k]), ei[k], L, rng, hist, k * L, mark, ++stamp);
      }
      sampler.fill(eu, n, o.negatives, en);
      const loss = await runBatches(n, o.batchSize, (off, cnt) => step.stepWithHistory(eu, ei, en, hist, histLen, off, cnt), onProgress, signal);
      return { loss, count: n };
    },
    model: () => model,
    attention: () => measureHlrAttention(model, sample),
    snapshot: () => copyParams(params),
    restore: (s) => restoreParams(params, s),
  };
  await trainEpochs(runner, o.epochs, hooks);
  return model;
}

provideTrainer('hlr', (data, o, hooks) => fitHlr(data, o as HlrOptions, hooks));

export { hlrFamily } from '../models/hlr.js';
