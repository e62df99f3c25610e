import type { Csr } from '../data/csr.js';
import { LrmlError } from '../errors.js';
import { IalsModel, IalsSolver, type IalsOptions } from '../models/ials.js';
import { provideTrainer } from '../models/trainer.js';
import type { TrainHooks } from '../models/types.js';
import { yieldToEventLoop } from './batches.js';
import { lazyIdentity } from './checkpoint.js';
import { trainEpochs, type EpochRunner } from './loop.js';

/**
 * Trains iALS: `epochs` sweeps (users, then items), each an epoch for the hooks (progress in
 * rows, loss = the full objective per observed pair, validation / best-weights / early stopping
 * through the shared epoch loop). `hooks.signal` is checked every 256 rows.
 *
 * @example
 * ```ts
 * const model = await fitIals(csr, resolveIalsOptions({ dim: 64, epochs: 10 }));
 * ```
 */
export async function fitIals(data: Csr, o: IalsOptions, hooks: TrainHooks = {}): Promise<IalsModel> {
  const solver = new IalsSolver(data, o);
  const model = new IalsModel(data.numRows, data.numCols, o, solver.P, solver.Q);
  if (o.epochs === 0) return model;
  const rowsPerEpoch = data.numRows + data.numCols;
  const runner: EpochRunner<{ P: Float32Array; Q: Float32Array }> = {
    epochSize: rowsPerEpoch,
    async runEpoch(epoch, onProgress, signal) {
      let done = 0;
      let last = performance.now();
      for (const side of ['users', 'items'] as const) {
        solver.beginSide(side);
        const rows = solver.rows(side);
        for (let s = 0; s < rows; s += 256) {
          if (signal?.aborted) throw new LrmlError('CANCELLED', `ials: training cancelled in epoch ${epoch} (${side} sweep, row ${s} of ${rows})`);
          const e = Math.min(rows, s + 256);
          solver.solveRows(side, s, e);
          done += e - s;
          const now = performance.now();
          if (now - last >= 50) {
            onProgress(done, 0);
            await yieldToEventLoop();
            last = performance.now();
          }
        }
      }
      const obj = solver.objective().total;
      // mean over the epoch's rows × rows/nnz = objective per observed pair
      return { loss: (obj * rowsPerEpoch) / Math.max(1, data.nnz), count: rowsPerEpoch };
    },
    model: () => model,
    snapshot: () => ({ P: solver.P.slice(), Q: solver.Q.slice() }),
    restore: (s) => {
      solver.P.set(s.P);
      solver.Q.set(s.Q);
    },
    // ALS keeps no state between epochs but P and Q (each sweep solves from them): a checkpoint is the two
    checkpoint: {
      identity: lazyIdentity('ials', o, data),
      save: () => ({ state: {}, tensors: { P: solver.P.slice(), Q: solver.Q.slice() } }),
      load: (c) => {
        const { P, Q } = c.tensors;
        if (!(P instanceof Float32Array) || P.length !== solver.P.length || !(Q instanceof Float32Array) || Q.length !== solver.Q.length) {
          throw new LrmlError('BAD_OPTION', `resume: checkpoint tensors P and Q must be float32 of ${solver.P.length} and ${solver.Q.length} values`);
        }
        solver.P.set(P);
        solver.Q.set(Q);
      },
      snapshotTensors: (s) => ({ P: s.P, Q: s.Q }),
      snapshotFromTensors: (t) => ({ P: t.P as Float32Array, Q: t.Q as Float32Array }),
    },
  };
  await trainEpochs(runner, o.epochs, hooks);
  return model;
}

provideTrainer('ials', (data, o, hooks) => fitIals(data, o as IalsOptions, hooks));

export { ialsFamily } from '../models/ials.js';
