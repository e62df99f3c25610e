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
  /** The last run of a 'user' fill: its user, its length so far, and its k draws (a run that the next chunk may continue). */
  private readonly run = { user: -1, length: 0, draws: new Int32Array(0) };

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
   * sampler.fill(users, count, 20, negatives, 8, 'user'); // shared by each run of ≤ 8 of one user
   * ```
   *
   * With `within` 'user' a group is a run of up to g consecutive positives of one user (the
   * blocks of a {@link UserBlockOrder}), and its k draws are all unseen by that user. With
   * `continues` (the next chunk of one epoch), a run that the last call ended continues into
   * this one with the same draws: an epoch filled chunk by chunk gets exactly the draws of one
   * call over the whole epoch.
   */
  fill(users: Int32Array, count: number, k: number, out: Int32Array, share = 1, within: 'consecutive' | 'user' = 'consecutive', continues = false): void {
    if (share > 1 && within === 'user') {
      this.fillUserRuns(users, count, k, out, share, continues);
      return;
    }
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

  private fillUserRuns(users: Int32Array, count: number, k: number, out: Int32Array, share: number, continues: boolean): void {
    const last = this.run;
    for (let g = 0; g < count;) {
      const u = users[g];
      // the run the last chunk ended continues here, with its draws
      const carried = g === 0 && continues && u === last.user && last.length < share && last.draws.length === k;
      const room = carried ? share - last.length : share;
      let end = g + 1;
      while (end < count && end - g < room && users[end] === u) end++;
      if (carried) {
        for (let t = g; t < end; t++) out.set(last.draws, t * k);
      } else {
        for (let s = 0; s < k; s++) {
          const j = this.sample(u);
          for (let t = g; t < end; t++) out[t * k + s] = j;
        }
      }
      last.user = u;
      last.length = (carried ? last.length : 0) + end - g;
      g = end;
    }
    if (count > 0) {
      if (last.draws.length !== k) last.draws = new Int32Array(k);
      last.draws.set(out.subarray((count - 1) * k, count * k));
    }
  }

}

/**
 * An epoch order that visits each user's positives in blocks of up to g: each user's positives
 * (CSR positions, `order`) shuffled within the user's row, cut into blocks of g from the row's
 * start, and the blocks of every user shuffled together. Used with negatives shared within a
 * user's block ({@link NegativeSampler.fill} with 'user'). `order` is kept across epochs (each
 * epoch reshuffles it, as a checkpoint saves it); the block list is rebuilt each epoch.
 *
 * @example
 * ```ts
 * const order = Int32Array.from({ length: csr.nnz }, (_, k) => k);
 * const blocks = new UserBlockOrder(csr, order, 8);
 * blocks.shuffle(rng);
 * blocks.fill(0, 1024, users, items); // then 1024, 2048, … in turn
 * ```
 */
export class UserBlockOrder {
  private readonly blocks: Int32Array;
  /** The next position of the epoch that fill() continues from, the block it is in, and where in that block. */
  private position = 0;
  private block = 0;
  private within = 0;

  constructor(readonly csr: Csr, readonly order: Int32Array, readonly g: number) {
    if (order.length !== csr.nnz) throw new LrmlError('INTERNAL', `UserBlockOrder: order has ${order.length} positions, the data ${csr.nnz}`);
    let n = 0;
    for (let u = 0; u < csr.numRows; u++) n += Math.ceil(csr.rowLength(u) / g);
    this.blocks = new Int32Array(n);
  }

  /** A new epoch: every user's row of `order` reshuffled, then the blocks. */
  shuffle(rng: Rng): void {
    const { indptr, numRows } = this.csr;
    const order = this.order;
    let k = 0;
    for (let u = 0; u < numRows; u++) {
      const a = indptr[u], b = indptr[u + 1];
      for (let i = b - 1; i > a; i--) {
        const j = a + rng.int(i - a + 1);
        const t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      for (let s = a; s < b; s += this.g) this.blocks[k++] = s;
    }
    rng.shuffle(this.blocks);
    this.position = 0;
    this.block = 0;
    this.within = 0;
  }

  /**
   * Users and items of the epoch's positions [from, from + count), the chunks in turn from 0
   * (`from` must be where the last call ended).
   */
  fill(from: number, count: number, users: Int32Array, items: Int32Array): void {
    if (from !== this.position || from + count > this.order.length) {
      throw new LrmlError('INTERNAL', `UserBlockOrder.fill: positions [${from}, ${from + count}), expected from ${this.position} to at most ${this.order.length} (chunks in turn after shuffle())`);
    }
    const { indptr, indices } = this.csr;
    const order = this.order;
    let k = 0;
    while (k < count) {
      const start = this.blocks[this.block];
      const u = this.csr.rowOf(start);
      const end = Math.min(start + this.g, indptr[u + 1]);
      let p = start + this.within;
      for (; p < end && k < count; p++, k++) {
        users[k] = u;
        items[k] = indices[order[p]];
      }
      if (p === end) {
        this.block++;
        this.within = 0;
      } else {
        this.within = p - start;
      }
    }
    this.position = from + count;
  }
}
