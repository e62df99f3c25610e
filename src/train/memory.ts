// How much memory training a model needs, estimated from its size before anything is allocated,
// so that a command can refuse `--dim 1000000000` at once instead of swapping for minutes.
// Pure arithmetic (browser-safe); the limit to compare with is the caller's (the CLI's).

import { getFamily, modelKinds } from '../models/registry.js';

/** The size of the training data: users, items and interactions (nnz). */
export interface TrainingShape {
  numUsers: number;
  numItems: number;
  nnz: number;
}

/** A memory estimate: bytes, and the model option that drives them (null: the data alone). */
export interface MemoryEstimate {
  bytes: number;
  option: string | null;
}

/** One family's estimate from the data shape and its resolved options. */
export type MemoryEstimator = (shape: TrainingShape, options: Record<string, unknown>) => MemoryEstimate;

const num = (o: Record<string, unknown>, key: string, fallback: number): number => (typeof o[key] === 'number' ? (o[key] as number) : fallback);

/** Extra float copies per parameter kept by the optimiser (Adam: 2 moments, Adagrad: 1). */
function optimizerCopies(o: Record<string, unknown>): number {
  return o.optimizer === 'sgd' ? 0 : o.optimizer === 'adagrad' ? 1 : 2;
}

/** The sum of the parts, blaming the option of the largest (`data`: no option). */
function fromParts(parts: Record<string, number>): MemoryEstimate {
  let bytes = 0;
  let top = 'data';
  for (const [k, b] of Object.entries(parts)) {
    bytes += b;
    if (b > (parts[top] ?? -1)) top = k;
  }
  return { bytes, option: top === 'data' ? null : top };
}

function tripletEstimate(memories: boolean): MemoryEstimator {
  return (s, o) => {
    const d = num(o, 'dim', 0);
    const n = memories ? num(o, 'numMemories', 0) : 0;
    // the weights in JS and in the kernel, the kernel's gradients and optimiser state, and the
    // best-epoch snapshot
    const copies = 4 + optimizerCopies(o);
    return fromParts({
      dim: 4 * (s.numUsers + s.numItems) * d * copies,
      numMemories: 4 * 2 * n * d * copies,
      // per-epoch triplet arrays: pairs, order, users, items (int32) and the negatives
      data: 4 * s.nnz * 5,
      negatives: 4 * s.nnz * num(o, 'negatives', 1),
    });
  };
}

/**
 * Memory estimators by model kind (unknown kinds have none). Each is a small function of the
 * data shape and the resolved options, meant to sit next to its family.
 *
 * @example
 * ```ts
 * MEMORY_ESTIMATORS.lrml({ numUsers: 6040, numItems: 3706, nnz: 1e6 }, { dim: 100, numMemories: 20 }).bytes;
 * ```
 */
export const MEMORY_ESTIMATORS: Readonly<Record<string, MemoryEstimator>> = Object.freeze({
  lrml: tripletEstimate(true),
  cml: tripletEstimate(false),
  bpr: (s, o) => {
    // weights, gradients, optimiser state and the best-epoch snapshot; per-epoch pair arrays
    const tables = (s.numUsers + s.numItems) * num(o, 'dim', 0) + s.numItems;
    return fromParts({ dim: 4 * tables * (3 + optimizerCopies(o)), data: 4 * s.nnz * 4 });
  },
  ials: (s, o) => {
    const d = num(o, 'dim', 0);
    // P, Q and a snapshot; the d×d Gram matrix and solver scratch in float64
    return { bytes: 4 * (s.numUsers + s.numItems) * d * 2 + 8 * d * d * 4, option: 'dim' };
  },
  // the item-item Gram matrix (float64) and the weights B (float32)
  ease: (s) => ({ bytes: 12 * s.numItems * s.numItems, option: null }),
  pop: (s) => ({ bytes: 4 * s.numItems, option: null }),
});

/**
 * About how many bytes training `kind` on data of this shape takes, or null for a kind without
 * an estimator. A lower bound for planning: input data, the runtime and scoring buffers come on
 * top.
 *
 * @example
 * ```ts
 * estimateTrainingMemory('lrml', { numUsers: 610, numItems: 9724, nnz: 100836 }, { dim: 1e9, numMemories: 20 });
 * // { bytes: ≈2.1e14, option: 'dim' }
 * ```
 */
export function estimateTrainingMemory(kind: string, shape: TrainingShape, options: Record<string, unknown>): MemoryEstimate | null {
  // a family's own estimate (a plug-in's descriptor carries it), else the built-ins' table
  const family = modelKinds().includes(kind) ? getFamily(kind) : undefined;
  if (family?.estimateMemory !== undefined) return family.estimateMemory(shape, options);
  const f = MEMORY_ESTIMATORS[kind];
  return f === undefined ? null : f(shape, options);
}

/**
 * A byte count for people: 1536 → "1.5 KiB", 2.1e14 → "191 TiB".
 *
 * @example
 * ```ts
 * formatBytes(3 * 2 ** 30); // '3.0 GiB'
 * ```
 */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let x = bytes;
  let u = 0;
  while (x >= 1024 && u < units.length - 1) {
    x /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(x)} bytes` : `${x >= 100 ? Math.round(x) : x.toFixed(1)} ${units[u]}`;
}
