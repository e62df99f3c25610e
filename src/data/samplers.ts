import type { Csr } from './csr.js';
import { Rng, type RngState } from '../rng.js';
import { LrmlError } from '../errors.js';

/** Options of {@link NegativeSampler}. */
export interface NegativeSamplerOptions {
  /** Sample items with probability ∝ count^alpha (0 = uniform, the default). */
  alpha?: number;
  /** Seed of the sampler's own RNG (default 0). */
  seed?: number;
}

/**
 * Draws negative items for a user: items the user has not interacted with,
 * uniformly (default) or by popularity^alpha, by rejection against the CSR.
 *
 * @example
 * ```ts
 * const s = new NegativeSampler(trainCsr, { seed: 1 });
 * const j = s.sample(u); // an item u has not seen
 * ```
 */
export class NegativeSampler {
  private readonly rng: Rng;
  private readonly cdf: Float64Array | null;

  constructor(readonly csr: Csr, options: NegativeSamplerOptions = {}) {
    this.rng = new Rng(options.seed ?? 0);
    const alpha = options.alpha ?? 0;
    if (!Number.isFinite(alpha) || alpha < 0) throw new LrmlError('BAD_OPTION', `invalid sampler alpha: ${alpha} (expected a number ≥ 0)`);
    if (alpha === 0) {
      this.cdf = null;
    } else {
      const counts = csr.columnCounts();
      const cdf = new Float64Array(csr.numCols);
      let acc = 0;
      for (let i = 0; i < counts.length; i++) {
        acc += Math.pow(counts[i] + 1, alpha);
        cdf[i] = acc;
      }
      for (let i = 0; i < cdf.length; i++) cdf[i] /= acc;
      this.cdf = cdf;
    }
  }

  private draw(): number {
    if (this.cdf === null) return this.rng.int(this.csr.numCols);
    const x = this.rng.float();
    const cdf = this.cdf;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /**
   * One negative for user u. If u has interacted with every item, returns a
   * uniformly random item (there is no true negative to draw).
   */
  sample(u: number): number {
    const n = this.csr.numCols;
    if (this.csr.rowLength(u) >= n) return this.rng.int(n);
    for (;;) {
      const j = this.draw();
      if (!this.csr.has(u, j)) return j;
    }
  }

  /**
   * The state of the sampler's generator (training checkpoints).
   *
   * @example
   * ```ts
   * const s = sampler.rngState(); // … later: sampler.setRngState(s)
   * ```
   */
  rngState(): RngState {
    return this.rng.state();
  }

  /**
   * Continues from a saved {@link NegativeSampler.rngState}.
   *
   * @example
   * ```ts
   * sampler.setRngState(saved);
   * ```
   */
  setRngState(s: RngState): void {
    this.rng.setState(s);
  }

  /**
   * Fills out[k*t .. k*t+k) with k negatives for users[t], for t < count. With `share` g > 1 the
   * positives go in groups of g (t = 0..g−1, g..2g−1, …) and a group's positives get the same
   * k draws, except that a user who has seen a drawn item gets a draw of their own in its place.
   *
   * @example
   * ```ts
   * sampler.fill(users, count, 20, negatives);    // 20 negatives a positive
   * sampler.fill(users, count, 20, negatives, 8); // 20 draws shared by each 8 positives in a row
   * ```
   */
  fill(users: Int32Array, count: number, k: number, out: Int32Array, share = 1): void {
    if (share <= 1) {
      for (let t = 0; t < count; t++) {
        const u = users[t];
        for (let s = 0; s < k; s++) out[t * k + s] = this.sample(u);
      }
      return;
    }
    for (let g = 0; g < count; g += share) {
      const end = Math.min(count, g + share);
      for (let s = 0; s < k; s++) {
        const j = this.draw();
        for (let t = g; t < end; t++) out[t * k + s] = this.csr.has(users[t], j) ? this.sample(users[t]) : j;
      }
    }
  }
}
