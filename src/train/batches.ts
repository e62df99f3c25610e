import { LrmlError } from '../errors.js';

/** Yields to the event loop (timers), so progress can be drawn and aborts seen. Works in browsers too. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Runs `step(offset, count)` over [0, total) in chunks of `batchSize`, summing what it returns,
 * reporting progress and yielding to the event loop about every `yieldMs` milliseconds.
 * An aborted `signal` stops it with CANCELLED.
 *
 * @example
 * ```ts
 * const loss = await runBatches(n, 1024, (off, cnt) => kernel.step(off, cnt));
 * ```
 */
export async function runBatches(
  total: number,
  batchSize: number,
  step: (offset: number, count: number) => number,
  onProgress?: (done: number, sum: number) => void,
  signal?: AbortSignal,
  yieldMs = 50,
): Promise<number> {
  let sum = 0;
  let last = performance.now();
  for (let off = 0; off < total; off += batchSize) {
    if (signal?.aborted) throw new LrmlError('CANCELLED', `training cancelled at example ${off} of ${total}`);
    const cnt = Math.min(batchSize, total - off);
    sum += step(off, cnt);
    const now = performance.now();
    if (now - last >= yieldMs) {
      onProgress?.(off + cnt, sum);
      await yieldToEventLoop();
      last = performance.now();
    }
  }
  onProgress?.(total, sum);
  return sum;
}
