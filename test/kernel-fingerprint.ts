// Fingerprints of short training runs of the triplet kernels (losses and a hash of the parameter
// bits), for the test that the default hinge path is bit-for-bit what it was before the loss
// options (test/kernels-crosscheck.test.ts). The expected values there were computed with this
// function from a copy of the kernels as they were before that change (not typed in by hand).
import { Rng } from '../src/rng.js';
import type { TripletKernel, TripletKernelConfig, TripletParams } from '../src/kernels/types.js';

/** What creates a kernel (createTripletKernel, or an older copy of it). */
export type CreateKernel = (cfg: TripletKernelConfig, params: TripletParams, opts: { backend: 'ts' | 'wasm' }) => Promise<TripletKernel>;

/** Losses of each epoch and FNV-1a (32-bit) of the float32 bits of P, Q, K, M afterwards. */
export interface KernelFingerprint {
  losses: number[];
  hash: string;
}

/**
 * The configurations fingerprinted: `lrml-defaults` is the kernel part of the LRML defaults when
 * the loss options were added (l2, Adam 1e-3; smaller catalogue), `cml-defaults` the same with
 * CML's distance, then several other options of the original hinge kernel.
 *
 * @example
 * ```ts
 * for (const [name, over] of Object.entries(FINGERPRINT_CONFIGS)) console.log(name, over);
 * ```
 */
export const FINGERPRINT_CONFIGS: Record<string, Partial<TripletKernelConfig>> = {
  'lrml-defaults': {},
  'cml-defaults': { numMemories: 0, distance: 'l2sq' },
  'lrml-k5-sum-lookup-copy-l2': { negatives: 5, clip: 'lookup', negativeRelation: 'copy', l2: 0.01 },
  'lrml-k3-hardest-l1-adagrad': { negatives: 3, negativeMode: 'hardest', distance: 'l1', optimizer: 'adagrad', learningRate: 0.01, clipMemory: true, dim: 30 },
  'cml-k4-sgd-none': { numMemories: 0, distance: 'l2sq', negatives: 4, optimizer: 'sgd', learningRate: 0.05, clip: 'none' },
};

/**
 * A kernel configuration: d = 100, N = 20, l2, own relation, rows clip, margin 0.5, one
 * negative, Adam 1e-3, on 50 users × 80 items, with `over` on top.
 *
 * @example
 * ```ts
 * const cfg = fingerprintConfig({ negatives: 3 });
 * ```
 */
export function fingerprintConfig(over: Partial<TripletKernelConfig>): TripletKernelConfig {
  return {
    numUsers: 50, numItems: 80, dim: 100, numMemories: 20, negativeRelation: 'own', distance: 'l2', clip: 'rows',
    clipMemory: false, margin: 0.5, l2: 0, negatives: 1, negativeMode: 'sum', optimizer: 'adam', learningRate: 1e-3,
    beta1: 0.9, beta2: 0.999, epsilon: 1e-8, ...over,
  };
}

/**
 * Trains 3 epochs of 400 seeded random examples (batches of 64) from a seeded init and
 * fingerprints the result.
 *
 * @example
 * ```ts
 * const fp = await kernelFingerprint(createTripletKernel, fingerprintConfig({}), 'wasm');
 * ```
 */
export async function kernelFingerprint(create: CreateKernel, cfg: TripletKernelConfig, backend: 'ts' | 'wasm'): Promise<KernelFingerprint> {
  const rng = new Rng(2024);
  const d = cfg.dim;
  const f = (len: number, s: number): Float32Array => Float32Array.from({ length: len }, () => rng.normal() * s);
  const init: TripletParams = { P: f(cfg.numUsers * d, 0.1), Q: f(cfg.numItems * d, 0.1), K: f(cfg.numMemories * d, 0.1), M: f(cfg.numMemories * d, 0.1) };
  const kernel = await create(cfg, init, { backend });
  const losses: number[] = [];
  try {
    for (let e = 0; e < 3; e++) {
      const r = new Rng(77 + e);
      const n = 400;
      const users = Int32Array.from({ length: n }, () => r.int(cfg.numUsers));
      const pos = Int32Array.from({ length: n }, () => r.int(cfg.numItems));
      const neg = Int32Array.from({ length: n * cfg.negatives }, () => r.int(cfg.numItems));
      losses.push(await kernel.runEpoch(users, pos, neg, n, 64));
    }
    const out: TripletParams = { P: new Float32Array(init.P.length), Q: new Float32Array(init.Q.length), K: new Float32Array(init.K.length), M: new Float32Array(init.M.length) };
    kernel.read(out);
    let h = 0x811c9dc5;
    for (const a of [out.P, out.Q, out.K, out.M]) {
      const bits = new Uint32Array(a.buffer, a.byteOffset, a.length);
      for (let c = 0; c < bits.length; c++) {
        let x = bits[c];
        for (let b = 0; b < 4; b++) {
          h = Math.imul(h ^ (x & 0xff), 0x01000193) >>> 0;
          x >>>= 8;
        }
      }
    }
    return { losses, hash: h.toString(16).padStart(8, '0') };
  } finally {
    await kernel.dispose();
  }
}
