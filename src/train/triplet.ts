import type { Csr } from '../data/csr.js';
import { NegativeSampler, UserBlockOrder } from '../data/samplers.js';
import { clipToBall } from '../kernels/clip.js';
import type { TripletParams } from '../kernels/types.js';
import { attentionSample, measureEpochAttention } from '../models/attention-epoch.js';
import { TripletModel, kernelConfig, resolveNegativeSharing, type TripletOptions } from '../models/triplet.js';
import { provideTrainer } from '../models/trainer.js';
import type { ModelInit, TrainHooks } from '../models/types.js';
import { LrmlError } from '../errors.js';
import { lazyIdentity } from './checkpoint.js';
import { Rng, type RngState } from '../rng.js';
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

/**
 * Copies a snapshot of triplet parameters (e.g. `copyParams(params)`) back into `params`.
 *
 * @example
 * ```ts
 * restoreParams(params, best);
 * ```
 */
export function restoreParams(params: TripletParams, s: TripletParams): void {
  params.P.set(s.P);
  params.Q.set(s.Q);
  params.K.set(s.K);
  params.M.set(s.M);
}

/**
 * Positives per chunk of an epoch (the arrays handed to the kernel): whole batches, about
 * `target` positives (default about a million), at most the epoch.
 *
 * @example
 * ```ts
 * epochChunkSize(1000, 5_000_000); // 1048000
 * ```
 */
export function epochChunkSize(batchSize: number, epochSize: number, target = EPOCH_CHUNK): number {
  const batches = Math.max(1, Math.floor(target / batchSize));
  return Math.max(1, Math.min(batches * batchSize, epochSize));
}

/** Positives in one chunk of an epoch's arrays (see {@link epochChunkSize}). */
const EPOCH_CHUNK = 1 << 20;

/**
 * Fills `users[0..count)` / `items[0..count)` with the (user, item) of the CSR entries at
 * positions `order[from .. from + count)`: the item is `indices[p]`, the user the row holding
 * position p (a binary search of `indptr`), so no copy of the data is made.
 *
 * @example
 * ```ts
 * const csr = Csr.fromPairs(2, 3, Int32Array.of(0, 1, 1), Int32Array.of(2, 0, 1));
 * const u = new Int32Array(2), i = new Int32Array(2);
 * fillEpochChunk(csr, Int32Array.of(2, 0), 0, 2, u, i); // u = [1, 0], i = [1, 2]
 * ```
 */
export function fillEpochChunk(data: Csr, order: Int32Array, from: number, count: number, users: Int32Array, items: Int32Array): void {
  const indices = data.indices;
  for (let k = 0; k < count; k++) {
    const p = order[from + k];
    users[k] = data.rowOf(p);
    items[k] = indices[p];
  }
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
export async function fitTriplet(kind: 'lrml' | 'cml', data: Csr, o: TripletOptions, hooks: TrainHooks = {}, chunkPositives = EPOCH_CHUNK): Promise<TripletModel> {
  const rng = new Rng(o.seed);
  const numUsers = data.numRows;
  const numItems = data.numCols;
  const params = initTripletParams(o, numUsers, numItems, rng);
  if (hooks.initFrom !== undefined) applyModelInit(kind, o, params, numUsers, numItems, hooks.initFrom);
  const model = new TripletModel(kind, numUsers, numItems, o, params);
  if (o.epochs === 0 || data.nnz === 0) return model;
  const checkpoints = hooks.checkpoint !== undefined || hooks.resume !== undefined;
  // loaded on demand: the inference path (models, io) must not pull in the training kernels
  const { createTripletKernel } = await import('./backends/index.js');
  const kernel = await createTripletKernel(kernelConfig(o, numUsers, numItems), params, { backend: o.backend, threads: o.threads });
  const sampler = new NegativeSampler(data, { alpha: o.samplerAlpha, seed: rng.u32() });
  const share = resolveNegativeSharing(o, numItems);
  const n = data.nnz;
  // an epoch is a seeded order over the positions of the CSR's entries; its (user, item,
  // negatives) arrays are filled and trained chunk by chunk, so that memory stays bounded by
  // one chunk rather than growing with the data (issue #18): chunks of whole batches, so the
  // batches (and, with one thread, the trained weights) are exactly those of one epoch-long array
  const order = new Int32Array(n);
  for (let k = 0; k < n; k++) order[k] = k;
  const chunk = epochChunkSize(o.batchSize, n, chunkPositives);
  // negatives shared within a user's blocks: the epoch visits each user's positives in blocks
  const blocks = share > 1 && o.shareWithin === 'user' ? new UserBlockOrder(data, order, share) : null;
  const eu = new Int32Array(chunk);
  const ei = new Int32Array(chunk);
  const en = new Int32Array(chunk * o.negatives);
  // the attention statistics of each epoch (LRML): a fixed sample, its own generator (the
  // training's random streams are untouched)
  const sample = kind === 'lrml' && o.numMemories > 0 ? attentionSample(data, (o.seed ^ 0x5a17e57) >>> 0) : null;
  const runner: EpochRunner<TripletParams> = {
    epochSize: n,
    async runEpoch(epoch, onProgress, signal) {
      kernel.setLearningRate(scheduledLearningRate(o.learningRateSchedule, o.learningRate, epoch, o.epochs));
      if (blocks === null) rng.shuffle(order);
      else blocks.shuffle(rng);
      let loss = 0;
      const fill = (from: number): void => {
        const count = Math.min(chunk, n - from);
        if (blocks === null) fillEpochChunk(data, order, from, count, eu, ei);
        else blocks.fill(from, count, eu, ei);
        sampler.fill(eu, count, o.negatives, en, share, o.shareWithin, from > 0);
      };
      fill(0);
      for (let from = 0; from < n; from += chunk) {
        const count = Math.min(chunk, n - from);
        const before = loss;
        const next = from + chunk;
        try {
          const running = kernel.runEpoch(eu, ei, en, count, o.batchSize, (p) => onProgress(from + p.done, before + p.loss), signal);
          // worker threads train this chunk from their copy while this thread draws the next one
          // (the same draws in the same order as filling it afterwards)
          if (kernel.inputCopied === true && next < n) {
            try {
              fill(next);
            } catch (e) {
              await running.catch(() => undefined);
              throw e;
            }
          }
          loss += await running;
          if (kernel.inputCopied !== true && next < n) fill(next);
        } catch (e) {
          // the kernel counts within the chunk: say where in the epoch
          const at = e instanceof LrmlError && e.code === 'CANCELLED' ? /at example (\d+) of/.exec(e.message) : null;
          if (at !== null) throw new LrmlError('CANCELLED', `training cancelled at example ${from + Number(at[1])} of ${n}`);
          throw e;
        }
      }
      kernel.read(params);
      model.refresh();
      return { loss, count: n };
    },
    model: () => model,
    ...(sample === null ? {} : { attention: () => measureEpochAttention(model, sample) }),
    snapshot: () => ({ P: params.P.slice(), Q: params.Q.slice(), K: params.K.slice(), M: params.M.slice() }),
    ...(checkpoints ? {
      checkpoint: {
        // the group size as trained ('auto' resolved): a checkpoint of 'auto' that shared nothing
        // resumes a training of 1, and one written before the option existed (1) resumes 'auto'
        // on a catalogue where it shares nothing
        // (and where nothing is shared, which positives would share does not matter)
        identity: lazyIdentity(kind, { ...o, negativeSharing: share, shareWithin: share > 1 ? o.shareWithin : 'consecutive' }, data),
        save: () => {
          const ks = kernel.saveState!();
          const tensors: Record<string, Float32Array | Int32Array> = { order: order.slice() };
          for (const name of ['P', 'Q', 'K', 'M'] as const) {
            tensors[name] = params[name].slice();
            tensors[`state1.${name}`] = ks.state1[name];
            tensors[`state2.${name}`] = ks.state2[name];
          }
          return { state: { rng: rng.state(), sampler: sampler.rngState(), steps: ks.steps, ...(ks.workerSteps === undefined ? {} : { workerSteps: ks.workerSteps }) }, tensors };
        },
        load: async (c) => {
          const t = c.tensors;
          const f32 = (name: string): Float32Array => {
            const a = t[name];
            if (!(a instanceof Float32Array)) throw new LrmlError('BAD_OPTION', `resume: checkpoint tensor ${name} missing or not float32`);
            return a;
          };
          const four = (prefix: string): TripletParams => ({ P: f32(`${prefix}P`), Q: f32(`${prefix}Q`), K: f32(`${prefix}K`), M: f32(`${prefix}M`) });
          const saved = four('');
          for (const name of ['P', 'Q', 'K', 'M'] as const) {
            if (saved[name].length !== params[name].length) throw new LrmlError('BAD_OPTION', `resume: checkpoint tensor ${name} has ${saved[name].length} values, the model ${params[name].length}`);
            params[name].set(saved[name]);
          }
          const ord = t.order;
          if (!(ord instanceof Int32Array) || ord.length !== n) throw new LrmlError('BAD_OPTION', `resume: checkpoint tensor order missing or not ${n} int32 values`);
          order.set(ord);
          const st = c.state as { rng: RngState; sampler: RngState; steps: number; workerSteps?: number[] };
          rng.setState(st.rng);
          sampler.setRngState(st.sampler);
          await kernel.loadState!({ steps: st.steps, ...(st.workerSteps === undefined ? {} : { workerSteps: st.workerSteps }), state1: four('state1.'), state2: four('state2.') }, params);
          model.refresh();
        },
        snapshotTensors: (p: TripletParams) => ({ P: p.P, Q: p.Q, K: p.K, M: p.M }),
        snapshotFromTensors: (t: Record<string, Float32Array | Int32Array>) => ({ P: t.P as Float32Array, Q: t.Q as Float32Array, K: t.K as Float32Array, M: t.M as Float32Array }),
      },
    } : {}),
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

/**
 * Copies the learned rows of `init.model` into fresh parameters: user / item rows mapped by
 * `init.userRows` / `init.itemRows` (−1 keeps the fresh row), and the memory K, M when the model
 * is an LRML with as many slots. A CML model may start an LRML one (P and Q copied, the memory
 * stays fresh: the warm start of docs/lrml.md). Throws BAD_OPTION for another family or dim.
 *
 * @example
 * ```ts
 * applyModelInit('lrml', o, params, numUsers, numItems, { model: cml, userRows, itemRows });
 * ```
 */
export function applyModelInit(kind: 'lrml' | 'cml', o: TripletOptions, params: TripletParams, numUsers: number, numItems: number, init: ModelInit): void {
  const from = init.model;
  if (!(from instanceof TripletModel) || (from.kind !== kind && !(from.kind === 'cml' && kind === 'lrml'))) {
    const allowed = kind === 'lrml' ? 'an lrml or cml model' : 'a cml model';
    throw new LrmlError('BAD_OPTION', `--init-from: a ${from.kind} model cannot start a ${kind} training (allowed: ${allowed})`);
  }
  const d = o.dim;
  if (from.options.dim !== d) {
    throw new LrmlError('BAD_OPTION', `--init-from: the model has dim ${from.options.dim}, this training dim ${d} (train with --dim ${from.options.dim})`);
  }
  const sameMemory = from.kind === kind && kind === 'lrml';
  if (sameMemory && from.options.numMemories !== o.numMemories) {
    throw new LrmlError('BAD_OPTION', `--init-from: the model has ${from.options.numMemories} memory slots, this training ${o.numMemories} (train with --memories ${from.options.numMemories})`);
  }
  if (init.userRows.length !== numUsers || init.itemRows.length !== numItems) {
    throw new LrmlError('BAD_OPTION', `initFrom: row maps of ${init.userRows.length} users and ${init.itemRows.length} items do not fit the data (${numUsers} × ${numItems})`);
  }
  const copyRows = (dst: Float32Array, src: Float32Array, rows: Int32Array, limit: number, what: string): void => {
    for (let r = 0; r < rows.length; r++) {
      const s = rows[r];
      if (s < 0) continue;
      if (s >= limit) throw new LrmlError('BAD_OPTION', `initFrom: ${what} row ${r} maps to row ${s}, the model has ${limit}`);
      dst.set(src.subarray(s * d, s * d + d), r * d);
    }
  };
  copyRows(params.P, from.params.P, init.userRows, from.numUsers, 'user');
  copyRows(params.Q, from.params.Q, init.itemRows, from.numItems, 'item');
  if (sameMemory) {
    params.K.set(from.params.K);
    params.M.set(from.params.M);
  }
}

provideTrainer('lrml', (data, o, hooks) => fitTriplet('lrml', data, o as TripletOptions, hooks));
provideTrainer('cml', (data, o, hooks) => fitTriplet('cml', data, o as TripletOptions, hooks));

export { lrmlFamily, cmlFamily } from '../models/triplet.js';
