import type { Csr } from '../data/csr.js';
import { NegativeSampler } from '../data/samplers.js';
import { clipToBall } from '../kernels/clip.js';
import type { TripletParams } from '../kernels/types.js';
import { attentionSample, measureEpochAttention } from '../models/attention-epoch.js';
import { TripletModel, kernelConfig, type TripletOptions } from '../models/triplet.js';
import { provideTrainer } from '../models/trainer.js';
import type { TrainHooks } from '../models/types.js';
import { Rng } from '../rng.js';
import { trainEpochs, type EpochRunner } from './loop.js';
import { scheduledLearningRate } from './schedule.js';

/** Fills `out` with normal(0, std) draws. */
export function fillNormal(out: Float32Array, std: number, rng: Rng): Float32Array {
  for (let k = 0; k < out.length; k++) out[k] = rng.normal() * std;
  return out;
}

/** Scales each row of a row-major matrix into the unit ball (norm ≤ 1; kernels/clip.ts). */
export function clipRowsToUnitBall(x: Float32Array, dim: number): void {
  for (let o = 0; o < x.length; o += dim) clipToBall(x, o, dim);
}

/** Seeded initial parameters of a triplet model. */
export function initTripletParams(o: TripletOptions, numUsers: number, numItems: number, rng: Rng): TripletParams {
  const d = o.dim;
  const n = o.numMemories;
  const params: TripletParams = {
    P: fillNormal(new Float32Array(numUsers * d), o.initScale, rng),
    Q: fillNormal(new Float32Array(numItems * d), o.initScale, rng),
    K: fillNormal(new Float32Array(n * d), o.memoryInitScale, rng),
    M: fillNormal(new Float32Array(n * d), o.memoryInitScale, rng),
  };
  if (o.clip === 'rows') {
    clipRowsToUnitBall(params.P, d);
    clipRowsToUnitBall(params.Q, d);
  }
  if (o.clipMemory && n > 0) {
    clipRowsToUnitBall(params.K, d);
    clipRowsToUnitBall(params.M, d);
  }
  return params;
}

/** The (user, item) pairs of a CSR as two arrays, row by row. */
export function csrPairs(data: Csr): { users: Int32Array; items: Int32Array } {
  const users = new Int32Array(data.nnz);
  for (let u = 0; u < data.numRows; u++) users.fill(u, data.indptr[u], data.indptr[u + 1]);
  return { users, items: data.indices.slice() };
}

/**
 * Trains an LRML/CML model on a user × item matrix: each epoch visits every positive once in a
 * seeded random order, with `negatives` sampled negatives each, `batchSize` positives per step.
 *
 * @example
 * ```ts
 * const model = await fitTriplet('lrml', csr, resolveTripletOptions({ epochs: 10 }, LRML_DEFAULTS));
 * ```
 */
export async function fitTriplet(kind: 'lrml' | 'cml', data: Csr, o: TripletOptions, hooks: TrainHooks = {}): Promise<TripletModel> {
  const rng = new Rng(o.seed);
  const numUsers = data.numRows;
  const numItems = data.numCols;
  const params = initTripletParams(o, numUsers, numItems, rng);
  const model = new TripletModel(kind, numUsers, numItems, o, params);
  if (o.epochs === 0 || data.nnz === 0) return model;
  // loaded on demand: the inference path (models, io) must not pull in the training kernels
  const { createTripletKernel } = await import('./backends/index.js');
  const kernel = await createTripletKernel(kernelConfig(o, numUsers, numItems), params, { backend: o.backend, threads: o.threads });
  const sampler = new NegativeSampler(data, { alpha: o.samplerAlpha, seed: rng.u32() });
  const pairs = csrPairs(data);
  const n = pairs.users.length;
  const order = new Int32Array(n);
  for (let k = 0; k < n; k++) order[k] = k;
  const eu = new Int32Array(n);
  const ei = new Int32Array(n);
  const en = new Int32Array(n * o.negatives);
  // the attention statistics of each epoch (LRML): a fixed sample, its own generator (the
  // training's random streams are untouched)
  const sample = kind === 'lrml' && o.numMemories > 0 ? attentionSample(data, (o.seed ^ 0x5a17e57) >>> 0) : null;
  const runner: EpochRunner<TripletParams> = {
    epochSize: n,
    async runEpoch(epoch, onProgress, signal) {
      kernel.setLearningRate(scheduledLearningRate(o.learningRateSchedule, o.learningRate, epoch, o.epochs));
      rng.shuffle(order);
      for (let k = 0; k < n; k++) {
        eu[k] = pairs.users[order[k]];
        ei[k] = pairs.items[order[k]];
      }
      sampler.fill(eu, n, o.negatives, en);
      const loss = await kernel.runEpoch(eu, ei, en, n, o.batchSize, (p) => onProgress(p.done, p.loss), signal);
      kernel.read(params);
      model.refresh();
      return { loss, count: n };
    },
    model: () => model,
    ...(sample === null ? {} : { attention: () => measureEpochAttention(model, sample) }),
    snapshot: () => ({ P: params.P.slice(), Q: params.Q.slice(), K: params.K.slice(), M: params.M.slice() }),
    restore: (s) => {
      params.P.set(s.P);
      params.Q.set(s.Q);
      params.K.set(s.K);
      params.M.set(s.M);
      model.refresh();
    },
  };
  try {
    await trainEpochs(runner, o.epochs, hooks);
  } finally {
    await kernel.dispose();
  }
  return model;
}

provideTrainer('lrml', (data, o, hooks) => fitTriplet('lrml', data, o as TripletOptions, hooks));
provideTrainer('cml', (data, o, hooks) => fitTriplet('cml', data, o as TripletOptions, hooks));

export { lrmlFamily, cmlFamily } from '../models/triplet.js';
