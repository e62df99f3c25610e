/**
 * The project's only source of randomness: a small, fast, seeded PRNG
 * (sfc32 seeded through splitmix32). Same seed, same stream, on every platform.
 *
 * @example
 * ```ts
 * const rng = new Rng(42);
 * rng.int(10);      // 0..9
 * rng.float();      // [0, 1)
 * rng.normal();     // standard normal
 * ```
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | null = null;

  constructor(seed: number) {
    let s = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** Next unsigned 32-bit integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n), for 0 < n ≤ 2^32. */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.float();
    const v = this.float();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** In-place Fisher–Yates shuffle; returns the array. */
  shuffle<T extends { length: number; [i: number]: unknown }>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i];
      arr[i] = arr[j];
      arr[j] = t;
    }
    return arr;
  }

  /**
   * k distinct integers of [0, n) in increasing order (all of them when k ≥ n, drawing nothing):
   * a partial Fisher–Yates shuffle, k draws.
   *
   * @example
   * ```ts
   * new Rng(1).sampleIndices(100, 5); // five distinct indices, sorted
   * ```
   */
  sampleIndices(n: number, k: number): Int32Array {
    const idx = new Int32Array(n);
    for (let t = 0; t < n; t++) idx[t] = t;
    if (k >= n) return idx;
    for (let t = 0; t < k; t++) {
      const j = t + this.int(n - t);
      const x = idx[t];
      idx[t] = idx[j];
      idx[j] = x;
    }
    return idx.slice(0, k).sort();
  }

  /**
   * The generator's whole state (for training checkpoints): a generator made with
   * {@link Rng.fromState} continues exactly where this one is.
   *
   * @example
   * ```ts
   * const s = rng.state();
   * Rng.fromState(s).u32() === rng.u32(); // true
   * ```
   */
  state(): RngState {
    return { a: this.a, b: this.b, c: this.c, d: this.d, spare: this.spare };
  }

  /**
   * A generator that continues from a saved {@link Rng.state}.
   *
   * @example
   * ```ts
   * const copy = Rng.fromState(new Rng(7).state());
   * ```
   */
  static fromState(s: RngState): Rng {
    const r = new Rng(0);
    r.setState(s);
    return r;
  }

  /**
   * Puts a saved {@link Rng.state} back into this generator.
   *
   * @example
   * ```ts
   * rng.setState(saved);
   * ```
   */
  setState(s: RngState): void {
    this.a = s.a | 0;
    this.b = s.b | 0;
    this.c = s.c | 0;
    this.d = s.d | 0;
    this.spare = s.spare;
  }

  /** A new generator whose stream is derived from this one (for sub-tasks). */
  fork(): Rng {
    return new Rng(this.u32());
  }
}

/**
 * The state of an {@link Rng}: four 32-bit words and the spare normal draw (JSON-safe).
 *
 * @example
 * ```ts
 * const s: RngState = new Rng(1).state();
 * ```
 */
export interface RngState {
  a: number;
  b: number;
  c: number;
  d: number;
  spare: number | null;
}
