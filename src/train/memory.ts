// How much memory training a model needs, estimated from its size before anything is allocated,
// so that a command can refuse `--dim 1000000000` at once instead of swapping for minutes.
// Pure arithmetic (browser-safe); the limit to compare with is the caller's (the CLI's).

import type { MemoryEstimate, TrainingShape } from '../models/memory-estimate.js';
import { getFamily, modelKinds } from '../models/registry.js';

export type { MemoryEstimate, TrainingShape } from '../models/memory-estimate.js';

/**
 * About how many bytes training `kind` on data of this shape takes, or null for a kind without
 * an estimate (`estimateMemory` of its family). A lower bound for planning: input data, the runtime and scoring buffers come on
 * top.
 *
 * @example
 * ```ts
 * estimateTrainingMemory('lrml', { numUsers: 610, numItems: 9724, nnz: 100836 }, { dim: 1e9, numMemories: 20 });
 * // { bytes: ≈2.1e14, option: 'dim' }
 * ```
 */
export function estimateTrainingMemory(kind: string, shape: TrainingShape, options: Record<string, unknown>): MemoryEstimate | null {
  // each family's descriptor carries its own estimate (src/models/<family>.ts)
  const family = modelKinds().includes(kind) ? getFamily(kind) : undefined;
  return family?.estimateMemory === undefined ? null : family.estimateMemory(shape, options);
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
