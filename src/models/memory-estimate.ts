// Pieces shared by the families' memory estimates (ModelFamily.estimateMemory): pure arithmetic,
// browser-safe. Each family's estimate sits in its own descriptor.

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

/**
 * A numeric option, or `fallback` when it is absent or not a number.
 *
 * @example
 * ```ts
 * numOption({ dim: 64 }, 'dim', 0); // 64
 * ```
 */
export function numOption(o: Record<string, unknown>, key: string, fallback: number): number {
  return typeof o[key] === 'number' ? (o[key] as number) : fallback;
}

/**
 * Extra float copies per parameter kept by the optimiser (Adam: 2 moments, Adagrad: 1, SGD: 0).
 *
 * @example
 * ```ts
 * optimizerCopies({ optimizer: 'adagrad' }); // 1
 * ```
 */
export function optimizerCopies(o: Record<string, unknown>): number {
  return o.optimizer === 'sgd' ? 0 : o.optimizer === 'adagrad' ? 1 : 2;
}

/**
 * The sum of named parts in bytes, blaming the option of the largest (`data`: no option).
 *
 * @example
 * ```ts
 * estimateFromParts({ dim: 800, data: 100 }); // { bytes: 900, option: 'dim' }
 * ```
 */
export function estimateFromParts(parts: Record<string, number>): MemoryEstimate {
  let bytes = 0;
  let top = 'data';
  for (const [k, b] of Object.entries(parts)) {
    bytes += b;
    if (b > (parts[top] ?? -1)) top = k;
  }
  return { bytes, option: top === 'data' ? null : top };
}
