import type { Csr } from '../data/csr.js';
import { NegativeSampler } from '../data/samplers.js';
import { BprStep, type BprParams } from '../kernels/bpr-impl.js';
import { BprModel, type BprOptions } from '../models/bpr.js';
import { provideTrainer } from '../models/trainer.js';
import type { TrainHooks } from '../models/types.js';
import { Rng } from '../rng.js';
import { runBatches } from './batches.js';
import { trainEpochs, type EpochRunner } from './loop.js';
import { csrPairs, fillNormal } from './triplet.js';

/**
 * Trains BPR-MF with one uniformly sampled unseen negative per positive.
 *
 * @example
 * ```ts
 * const model = await fitBpr(csr, resolveBprOptions({ epochs: 10 }));
 * ```
 */
export async function fitBpr(data: Csr, o: BprOptions, hooks: TrainHooks = {}): Promise<BprModel> {
  const rng = new Rng(o.seed);
  const numUsers = data.numRows;
  const numItems = data.numCols;
  const params: BprParams = {
    P: fillNormal(new Float32Array(numUsers * o.dim), o.initScale, rng),
    Q: fillNormal(new Float32Array(numItems * o.dim), o.initScale, rng),
    B: new Float32Array(numItems),
  };
  const model = new BprModel(numUsers, numItems, o, params);
  if (o.epochs === 0 || data.nnz === 0) return model;
  const kernel = new BprStep({ numUsers, numItems, dim: o.dim, l2: o.l2, optimizer: o.optimizer, learningRate: o.learningRate, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon }, params);
  const sampler = new NegativeSampler(data, { alpha: o.samplerAlpha, seed: rng.u32() });
  const pairs = csrPairs(data);
  const n = pairs.users.length;
  const order = new Int32Array(n).map((_, k) => k);
  const eu = new Int32Array(n);
  const ei = new Int32Array(n);
  const en = new Int32Array(n);
  const runner: EpochRunner<BprParams> = {
    epochSize: n,
    async runEpoch(_e, onProgress, signal) {
      rng.shuffle(order);
      for (let k = 0; k < n; k++) {
        eu[k] = pairs.users[order[k]];
        ei[k] = pairs.items[order[k]];
      }
      sampler.fill(eu, n, 1, en);
      const loss = await runBatches(n, o.batchSize, (off, cnt) => kernel.step(eu, ei, en, off, cnt), onProgress, signal);
      return { loss, count: n };
    },
    model: () => model,
    snapshot: () => ({ P: params.P.slice(), Q: params.Q.slice(), B: params.B.slice() }),
    restore: (s) => {
      params.P.set(s.P);
      params.Q.set(s.Q);
      params.B.set(s.B);
    },
  };
  await trainEpochs(runner, o.epochs, hooks);
  return model;
}

provideTrainer('bpr', (data, o, hooks) => fitBpr(data, o as BprOptions, hooks));

export { bprFamily } from '../models/bpr.js';
