// Scorer objects that models call from scoreAll / scoreItems: WASM SIMD (assembly/lrml-score.ts)
// when it can be compiled, the TypeScript loops of score-impl.ts otherwise. Synchronous, usable in
// browsers (only the WebAssembly global), no allocation per call (the WASM scorer lays out its
// whole-catalogue tables once, at the first whole-catalogue call).

import { compileKernel, LinearAllocator } from './wasm.js';
import { wasmBase64 } from './generated/lrml-score.js';
import { wasmBase64 as sharedWasmBase64 } from './generated/lrml-score-shared.js';
import { rowClipScales } from './clip.js';
import { attentionCode, DEFAULT_ATTENTION_SCALE, DEFAULT_ATTENTION_TEMPERATURE, type AttentionOptions } from './pair.js';
import { dotScoreTs, fillBlockTables, fillItemTables, fillKeyNorms, fillUserRows, TripletScoreTs, type BlockTables, type ScoreTables, type TripletScoreShape } from './score-impl.js';
import type { TripletParams } from './types.js';

/**
 * Shapes and choices of a triplet (LRML / CML) model's scorer: the TypeScript scorer's
 * {@link TripletScoreShape}, one definition for both backends.
 *
 * @example
 * ```ts
 * const config: TripletScorerConfig = { numUsers: 3, numItems: 5, dim: 4, numMemories: 2, distance: 'l2', clip: 'rows' };
 * ```
 */
export type TripletScorerConfig = TripletScoreShape;

/**
 * How to score. `backend`: `wasm` (SIMD; throws when WebAssembly fails), `ts`, or `auto` (WASM,
 * else TS). `formula` (WASM, l2 / l2sq only): `expanded` uses ‖p−q‖² + 2 r·(p−q) + ‖r‖² with
 * per-model tables (faster), `direct` sums (p + r − q)² over the dimensions; l1 is always direct.
 * See docs/evaluation.md for the measured speed and accuracy of both.
 */
export interface ScorerOptions {
  backend?: 'auto' | 'wasm' | 'ts';
  formula?: 'expanded' | 'direct';
  /**
   * WASM: `auto` (default) runs the kernel on a shared memory where the runtime has one (its
   * tables never detach, so {@link Scorer.itemTable} can lend the item table), else on its own;
   * `own` always on its own memory (what pages that are not cross-origin isolated run). The same
   * scores either way.
   */
  memory?: 'auto' | 'own';
}

/**
 * Scores of one model for a user (higher = better). One scorer serves every protocol: scores of an
 * item do not depend on which list or call it is scored in.
 */
export interface Scorer {
  /** The backend in use. */
  readonly backend: 'wasm' | 'ts';
  readonly numUsers: number;
  readonly numItems: number;
  readonly dim: number;
  /** Scores of every item for user u into out[0 .. numItems). */
  scoreAll(u: number, out: Float32Array): void;
  /** Scores of `items` for user u into out[0 .. items.length). */
  scoreItems(u: number, items: Int32Array, out: Float32Array): void;
  /** Scores of every item for an arbitrary user vector p (length dim), e.g. a folded-in new user. */
  scoreVector(p: Float32Array, out: Float32Array): void;
  /** Call after the parameters changed in place: recomputes the per-model tables. */
  refresh(): void;
  /**
   * Optional: bounds of every item's score for user u, lower[i] ≤ score(u, i) ≤ upper[i] (the
   * scores scoreAll writes), from one pass costing about 1/(N+1) of scoreAll; false (arrays
   * untouched) when this scorer has no bounds (see {@link scoreBoundsOf}).
   */
  scoreBounds?(u: number, lower: Float32Array, upper: Float32Array): boolean;
  /**
   * Optional: the scorer's own item table (numItems × dim, item-major) when it holds exactly the
   * model's item vectors and stays valid for the scorer's life (the WASM scorer on a shared memory,
   * no clip at lookup); null otherwise. A model can keep its item vectors there instead of in a
   * second copy beside it: written to, then refresh(), as before (between the two, scores mix the
   * new vectors with the per-item tables of the old ones).
   */
  itemTable?(): Float32Array | null;
}

/** A scorer of an LRML / CML model. */
export type TripletScorer = Scorer;
/** A scorer of a dot-product model (BPR-MF, iALS). */
export type DotScorer = Scorer;

/** Items per call into the WASM module (the candidate buffer's size). */
const CHUNK = 4096;

function checkUser(u: number, numUsers: number): void {
  if (!Number.isInteger(u) || u < 0 || u >= numUsers) throw new RangeError(`user index ${u} out of range [0, ${numUsers})`);
}

function checkOut(out: Float32Array, n: number): void {
  if (out.length < n) throw new RangeError(`output array holds ${out.length} scores, ${n} needed`);
}

function checkItems(items: Int32Array, numItems: number): void {
  for (let t = 0; t < items.length; t++) {
    const i = items[t];
    if (!(i >= 0 && i < numItems)) throw new RangeError(`item index ${i} (position ${t}) out of range [0, ${numItems})`);
  }
}

interface ScoreExports {
  heapBase(): number;
  configure(...args: number[]): void;
  scoreAll(count: number, pp: number): void;
  scoreList(count: number, pp: number): void;
  boundsAll(count: number, vPtr: number, vv: number, pp: number, beta: number, diam: number, tol: number, qnPtr: number, lowerPtr: number, upperPtr: number): void;
  setAttention(att: number, scale: number, temperature: number, knPtr: number): void;
}

/** Most pages of the scorer's shared memory (4 GiB, wasm32's whole reach: only address space until used; scripts/build.mjs's --maximumMemory). */
const SHARED_MAX_PAGES = 65536;

/**
 * The score kernel on a shared memory where the runtime has one (Node; browsers when cross-origin
 * isolated) and `memory` allows: growing it never detaches the views taken before, so a model can
 * keep its item table there. Else (or when the shared kernel cannot be set up) the same kernel on
 * its own memory, whose views a growth detaches (the scorer retakes its own).
 */
function instantiateScoreKernel(memory: 'auto' | 'own'): { ex: ScoreExports; memory: WebAssembly.Memory; shared: boolean } {
  const abort = (): never => { throw new Error('lrml-score: abort'); };
  if (memory === 'auto' && typeof SharedArrayBuffer === 'function') {
    try {
      const mem = new WebAssembly.Memory({ initial: 1, maximum: SHARED_MAX_PAGES, shared: true });
      const inst = new WebAssembly.Instance(compileKernel('lrml-score-shared', sharedWasmBase64), { env: { abort, memory: mem } });
      return { ex: inst.exports as unknown as ScoreExports, memory: mem, shared: true };
    } catch {
      // no shared memory or threads here: the own-memory kernel below
    }
  }
  const inst = new WebAssembly.Instance(compileKernel('lrml-score', wasmBase64), { env: { abort } });
  return { ex: inst.exports as unknown as ScoreExports, memory: inst.exports.memory as WebAssembly.Memory, shared: false };
}

/** What the WASM scorer reads: user vectors, memory keys/values, item vectors and bias. */
interface WasmSource {
  P: () => Float32Array;
  Q: () => Float32Array;
  K: () => Float32Array;
  M: () => Float32Array;
  bias: () => Float32Array | null;
}

/** Byte offsets of the WASM scorer's tables; `block` once the whole-catalogue part is laid out. */
interface ScorerLayout {
  a: number; mp: number; m: number; g: number; qq: number; bias: number; qi: number; mqi: number;
  l: number; at: number; gq: number; gmq: number; gqq: number; gb: number; items: number; kn: number; v: number;
  /** Scores out: CHUNK floats, or ipad once `block` exists. */
  out: number;
  block: { qt: number; mqt: number; qn: number; lower: number; upper: number } | null;
}

/**
 * The WASM SIMD scorer (a shared memory where the runtime has one, else its own; tables refilled
 * by refresh()). Lays out the item-major tables that score candidate lists at construction, and
 * the block-major copies, score bounds and output that score the whole catalogue at the first
 * scoreAll / scoreVector / scoreBounds: a scorer that only re-ranks candidates (a served 1M-item
 * model) holds the items once, not twice.
 */
class WasmScorer implements Scorer {
  readonly backend = 'wasm' as const;
  private readonly ex: ScoreExports;
  private readonly memory: WebAssembly.Memory;
  /** Whether the memory is shared (its views never detach). */
  private readonly shared: boolean;
  private readonly al: LinearAllocator;
  private readonly ipad: number;
  private readonly lay: ScorerLayout;
  private tables!: ScoreTables;
  private blocks: BlockTables | null = null;
  private A!: Float32Array;
  private mp!: Float32Array;
  private items!: Int32Array;
  private out!: Float32Array;
  private v!: Float32Array;
  private kn!: Float32Array;
  private qn!: Float32Array;
  private lowerOut!: Float32Array;
  private upperOut!: Float32Array;
  private readonly qScale: Float64Array;
  private readonly att: number;
  /** What scoreBounds needs of the model, filled by refresh(). */
  private readonly shape: BoundShape;

  constructor(
    readonly numUsers: number,
    readonly numItems: number,
    readonly dim: number,
    private readonly n: number,
    private readonly clip: boolean,
    private readonly mode: number,
    private readonly dist: number,
    private readonly src: WasmSource,
    private readonly attention: AttentionOptions = {},
    memory: 'auto' | 'own' = 'auto',
  ) {
    ({ ex: this.ex, memory: this.memory, shared: this.shared } = instantiateScoreKernel(memory));
    const d = dim;
    this.ipad = Math.ceil(Math.max(numItems, 1) / 16) * 16;
    this.al = new LinearAllocator(this.memory, this.ex.heapBase());
    const f = (count: number): number => this.al.alloc(count * 4);
    const ipad = this.ipad;
    this.lay = {
      a: f((n + 1) * d), mp: f(n), m: f(n * d), g: f(n * n), qq: f(ipad), bias: f(ipad),
      qi: f(numItems * d), mqi: f(numItems * n),
      l: f((n + 1) * 16), at: f(n * 16), gq: f(d * 16), gmq: f(n * 16), gqq: f(16), gb: f(16),
      items: f(CHUNK), kn: f(n), v: f(d), out: f(CHUNK), block: null,
    };
    this.qScale = new Float64Array(clip ? numItems : 0);
    this.shape = { rMean: new Float64Array(d), diameter: 0 };
    this.att = attentionCode(attention.attention);
    this.layOut();
    this.refresh();
  }

  /** Grows the memory to the layout, (re)takes every view and tells the module the offsets. */
  private layOut(): void {
    this.al.commit();
    const { numItems, dim: d, n, ipad, lay } = this;
    const buf = this.memory.buffer;
    const view = (o: number, count: number): Float32Array => new Float32Array(buf, o, count);
    this.tables = {
      dim: d, numItems, numMemories: n, ipad,
      qi: view(lay.qi, numItems * d), qq: view(lay.qq, ipad), bias: view(lay.bias, ipad),
      mqi: view(lay.mqi, numItems * n), m: view(lay.m, n * d), g: view(lay.g, n * n),
    };
    this.A = view(lay.a, (n + 1) * d);
    this.mp = view(lay.mp, n);
    this.items = new Int32Array(buf, lay.items, CHUNK);
    this.v = view(lay.v, d);
    this.kn = view(lay.kn, n);
    const b = lay.block;
    this.out = view(lay.out, b === null ? CHUNK : Math.max(ipad, CHUNK));
    this.blocks = b === null ? null : { qt: view(b.qt, d * ipad), mqt: view(b.mqt, n * ipad) };
    this.qn = b === null ? new Float32Array(0) : view(b.qn, ipad);
    this.lowerOut = b === null ? new Float32Array(0) : view(b.lower, ipad);
    this.upperOut = b === null ? new Float32Array(0) : view(b.upper, ipad);
    this.ex.configure(
      d, n, this.mode, this.dist, ipad,
      lay.a, lay.mp, lay.m, lay.g, b?.qt ?? 0, b?.mqt ?? 0, lay.qq, lay.bias, lay.qi, lay.mqi,
      lay.l, lay.at, lay.gq, lay.gmq, lay.gqq, lay.gb, lay.items, lay.out,
    );
    this.ex.setAttention(
      this.att, this.attention.attentionScale ?? DEFAULT_ATTENTION_SCALE,
      this.attention.attentionTemperature ?? DEFAULT_ATTENTION_TEMPERATURE, lay.kn,
    );
  }

  /** The whole-catalogue tables, laid out and filled at the first call. */
  private wholeCatalogue(): void {
    if (this.lay.block !== null) return;
    const f = (count: number): number => this.al.alloc(count * 4);
    const { ipad, dim: d, n } = this;
    const mark = this.al.end;
    const block = { qt: f(d * ipad), mqt: f(n * ipad), qn: f(ipad), lower: f(ipad), upper: f(ipad) };
    const out = f(Math.max(ipad, CHUNK));
    try {
      this.al.commit();
    } catch (e) {
      // the memory could not grow (4 GiB of wasm32): candidate lists keep working
      this.al.rewind(mark);
      throw new RangeError(`the scorer cannot lay out its whole-catalogue tables for ${this.numItems} items (${(e as Error).message}); score candidate lists instead`);
    }
    this.lay.block = block;
    this.lay.out = out;
    this.layOut();
    this.fillBlocks();
  }

  private fillBlocks(): void {
    if (this.blocks === null) return;
    fillBlockTables(this.blocks, this.tables);
    for (let i = 0; i < this.numItems; i++) this.qn[i] = Math.sqrt(this.tables.qq[i]) * (1 + 1e-6);
  }

  itemTable(): Float32Array | null {
    return this.shared && !this.clip ? this.tables.qi : null;
  }

  refresh(): void {
    const Q = this.src.Q();
    if (this.clip) rowClipScales(Q, this.numItems, this.dim, this.qScale);
    fillItemTables(this.tables, Q, this.src.M(), this.src.bias(), this.clip ? this.qScale : null);
    if (this.att !== 0) fillKeyNorms(this.kn, this.att === 1 ? this.src.K() : this.src.M(), this.n, this.dim, this.att === 1);
    fillBoundShape(this.shape, this.tables);
    this.fillBlocks();
  }

  /**
   * Bounds from the uniform-attention relation r̄ (mean memory value): the score's distance is
   * ‖p + r̄ − q + δ‖ with δ = Σₖ (aₖ − 1/N) Mₖ, ‖δ‖ ≤ ½‖a − 1/N‖₁ · diam(M), and the `dot`
   * attention's logits |Kₖ·(p ⊙ q)| ≤ ‖Kₖ ⊙ p‖ ‖q‖ bound how far a is from uniform. One GEMV
   * (v = p + r̄ against every item) in WASM; widened by a margin far above float32 rounding.
   * Only LRML with `dot` attention and an l2 / l2sq distance has them.
   */
  scoreBounds(u: number, lower: Float32Array, upper: Float32Array): boolean {
    const { n, dim: d, numItems } = this;
    if (n === 0 || this.mode === 2 || this.att !== 0 || this.dist === 2) return false;
    checkUser(u, this.numUsers);
    checkOut(lower, numItems);
    checkOut(upper, numItems);
    this.wholeCatalogue();
    const pp = this.user(this.src.P(), u * d);
    const A = this.A;
    let beta2 = 0;
    for (let k = 0; k < n; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += A[k * d + j] * A[k * d + j];
      if (s > beta2) beta2 = s;
    }
    const { rMean, diameter } = this.shape;
    let vv = 0;
    for (let j = 0; j < d; j++) {
      const x = Math.fround(A[n * d + j] + rMean[j]);
      this.v[j] = x;
      vv += x * x;
    }
    // the rounding of scoreAll's expanded distance also grows with ‖r‖² ≤ (‖r̄‖ + diam)²: widen by it too
    let rr = 0;
    for (let j = 0; j < d; j++) rr += rMean[j] * rMean[j];
    const reach = Math.sqrt(rr) + diameter;
    const o = this.lay.block!;
    this.ex.boundsAll(numItems, this.lay.v, vv, pp, Math.sqrt(beta2) * (1 + 1e-6), diameter, BOUND_TOLERANCE * (1 + reach * reach), o.qn, o.lower, o.upper);
    lower.set(this.lowerOut.subarray(0, numItems));
    upper.set(this.upperOut.subarray(0, numItems));
    return true;
  }

  private user(src: Float32Array, off: number): number {
    return fillUserRows(src, off, this.dim, this.src.K(), this.src.M(), this.n, this.clip, this.A, this.mp);
  }

  /** Scores every item for the user of the last `user()` (after wholeCatalogue()). */
  private all(pp: number, out: Float32Array): void {
    this.ex.scoreAll(this.numItems, pp);
    out.set(this.out.subarray(0, this.numItems));
  }

  scoreAll(u: number, out: Float32Array): void {
    checkUser(u, this.numUsers);
    checkOut(out, this.numItems);
    this.wholeCatalogue();
    this.all(this.user(this.src.P(), u * this.dim), out);
  }

  scoreVector(p: Float32Array, out: Float32Array): void {
    if (p.length !== this.dim) throw new RangeError(`user vector has length ${p.length}, expected dim = ${this.dim}`);
    checkOut(out, this.numItems);
    this.wholeCatalogue();
    this.all(this.user(p, 0), out);
  }

  scoreItems(u: number, items: Int32Array, out: Float32Array): void {
    checkUser(u, this.numUsers);
    checkOut(out, items.length);
    checkItems(items, this.numItems);
    const pp = this.user(this.src.P(), u * this.dim);
    const buf = this.items;
    const res = this.out;
    for (let s = 0; s < items.length; s += CHUNK) {
      const c = Math.min(CHUNK, items.length - s);
      for (let t = 0; t < c; t++) buf[t] = items[s + t];
      this.ex.scoreList(c, pp);
      for (let t = 0; t < c; t++) out[s + t] = res[t];
    }
  }
}

/** Widening of the score bounds (relative to the squared norms involved): float32 rounding of a score is ≈ 1e-6 of them. */
const BOUND_TOLERANCE = 1e-4;

/** What the score bounds need of a model: the mean memory value r̄ and the memory values' diameter. */
interface BoundShape {
  rMean: Float64Array;
  diameter: number;
}

/** Fills a {@link BoundShape} from the scorer's tables (M). */
function fillBoundShape(b: BoundShape, t: ScoreTables): void {
  const { dim: d, numMemories: n, m } = t;
  b.rMean.fill(0);
  for (let k = 0; k < n; k++) for (let j = 0; j < d; j++) b.rMean[j] += m[k * d + j] / n;
  let diam2 = 0;
  for (let k = 0; k < n; k++) {
    for (let l = k + 1; l < n; l++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (m[k * d + j] - m[l * d + j]) ** 2;
      if (s > diam2) diam2 = s;
    }
  }
  b.diameter = Math.sqrt(diam2) * (1 + 1e-6);
}

/**
 * Half the largest L1 distance between a softmax over n logits that all lie in [−b, b] and the
 * uniform attention 1/n, bounded through the largest weight: (n−1)(e^{2b}−1) / (2(e^{2b}+n−1)),
 * at most 1 (the formula the score bounds of the WASM scorer use, `boundsAll`).
 *
 * @example
 * ```ts
 * attentionDeviation(0, 20); // 0: equal logits give the uniform attention
 * attentionDeviation(50, 20); // 1
 * ```
 */
export function attentionDeviation(b: number, n: number): number {
  if (n <= 1) return 0;
  const x = Math.exp(2 * b);
  const dev = ((n - 1) * (x - 1)) / (2 * (x + n - 1));
  return Number.isFinite(dev) ? Math.min(1, dev) : 1;
}

/** The TypeScript triplet scorer behind the {@link Scorer} interface. */
class TsTripletScorer implements Scorer {
  readonly backend = 'ts' as const;
  private readonly impl: TripletScoreTs;
  readonly numUsers: number;
  readonly numItems: number;
  readonly dim: number;
  constructor(private readonly params: TripletParams, shape: TripletScoreShape) {
    this.impl = new TripletScoreTs(params, shape);
    this.numUsers = shape.numUsers;
    this.numItems = shape.numItems;
    this.dim = shape.dim;
  }
  refresh(): void {
    this.impl.refresh();
  }
  scoreAll(u: number, out: Float32Array): void {
    checkUser(u, this.numUsers);
    checkOut(out, this.numItems);
    this.impl.score(this.params.P, u * this.dim, null, this.numItems, out);
  }
  scoreItems(u: number, items: Int32Array, out: Float32Array): void {
    checkUser(u, this.numUsers);
    checkOut(out, items.length);
    checkItems(items, this.numItems);
    this.impl.score(this.params.P, u * this.dim, items, items.length, out);
  }
  scoreVector(p: Float32Array, out: Float32Array): void {
    if (p.length !== this.dim) throw new RangeError(`user vector has length ${p.length}, expected dim = ${this.dim}`);
    checkOut(out, this.numItems);
    this.impl.score(p, 0, null, this.numItems, out);
  }
}

/** The TypeScript dot-product scorer behind the {@link Scorer} interface. */
class TsDotScorer implements Scorer {
  readonly backend = 'ts' as const;
  constructor(
    private readonly P: Float32Array,
    private readonly Q: Float32Array,
    private readonly bias: Float32Array | null,
    readonly dim: number,
    readonly numUsers: number,
    readonly numItems: number,
  ) {}
  refresh(): void {}
  scoreAll(u: number, out: Float32Array): void {
    checkUser(u, this.numUsers);
    checkOut(out, this.numItems);
    dotScoreTs(this.P, u * this.dim, this.Q, this.bias, this.dim, null, this.numItems, out);
  }
  scoreItems(u: number, items: Int32Array, out: Float32Array): void {
    checkUser(u, this.numUsers);
    checkOut(out, items.length);
    checkItems(items, this.numItems);
    dotScoreTs(this.P, u * this.dim, this.Q, this.bias, this.dim, items, items.length, out);
  }
  scoreVector(p: Float32Array, out: Float32Array): void {
    if (p.length !== this.dim) throw new RangeError(`user vector has length ${p.length}, expected dim = ${this.dim}`);
    checkOut(out, this.numItems);
    dotScoreTs(p, 0, this.Q, this.bias, this.dim, null, this.numItems, out);
  }
}

function pickBackend<T>(backend: 'auto' | 'wasm' | 'ts' | undefined, wasm: () => T, ts: () => T): T {
  const b = backend ?? 'auto';
  if (b !== 'auto' && b !== 'wasm' && b !== 'ts') throw new RangeError(`invalid scorer backend "${String(b)}" (expected auto, wasm or ts)`);
  if (b === 'ts') return ts();
  if (b === 'wasm') return wasm();
  try {
    return wasm();
  } catch {
    return ts();
  }
}

function memoryOption(options: ScorerOptions): 'auto' | 'own' {
  const m = options.memory ?? 'auto';
  if (m !== 'auto' && m !== 'own') throw new RangeError(`invalid scorer memory "${String(m)}" (expected auto or own)`);
  return m;
}

/**
 * A scorer for an LRML / CML model: score(u, i) = −dist(p + r − q) (higher = better), with
 * r = Σₖ softmax(K (p ⊙ q))ₖ Mₖ (r = 0 when numMemories = 0) and p, q clipped to the unit ball
 * first when clip = `lookup`. Reads `params` at every call (P) and at refresh() (Q, K, M).
 *
 * @example
 * ```ts
 * const scorer = createTripletScorer(params, { numUsers, numItems, dim: 100, numMemories: 20, distance: 'l2', clip: 'lookup' });
 * const out = new Float32Array(numItems);
 * scorer.scoreAll(0, out);
 * // after a training epoch changed params in place:
 * scorer.refresh();
 * ```
 */
export function createTripletScorer(params: TripletParams, config: TripletScorerConfig, options: ScorerOptions = {}): TripletScorer {
  const { numUsers, numItems, dim, numMemories: n, distance, clip } = config;
  if (params.P.length !== numUsers * dim || params.Q.length !== numItems * dim || params.K.length !== n * dim || params.M.length !== n * dim) {
    throw new RangeError(`triplet scorer: parameter shapes do not match numUsers=${numUsers}, numItems=${numItems}, dim=${dim}, numMemories=${n}`);
  }
  const formula = options.formula ?? 'expanded';
  if (formula !== 'expanded' && formula !== 'direct') throw new RangeError(`invalid scorer formula "${String(formula)}" (expected expanded or direct)`);
  const dist = distance === 'l2' ? 0 : distance === 'l2sq' ? 1 : 2;
  const mode = formula === 'direct' || distance === 'l1' ? 1 : 0;
  return pickBackend<Scorer>(
    options.backend,
    () => new WasmScorer(numUsers, numItems, dim, n, clip === 'lookup', mode, dist, {
      P: () => params.P, Q: () => params.Q, K: () => params.K, M: () => params.M, bias: () => null,
    }, config, memoryOption(options)),
    () => new TsTripletScorer(params, {
      numUsers, numItems, dim, numMemories: n, distance, clip,
      attention: config.attention, attentionScale: config.attentionScale, attentionTemperature: config.attentionTemperature,
    }),
  );
}

/**
 * A scorer for a dot-product model: score(u, i) = P[u] · Q[i] + itemBias[i] (bias optional).
 * numUsers = P.length / dim, numItems = Q.length / dim.
 *
 * @example
 * ```ts
 * const scorer = createDotScorer(params.P, params.Q, params.B, 64);
 * scorer.scoreItems(3, Int32Array.of(0, 5, 9), out);
 * ```
 */
export function createDotScorer(P: Float32Array, Q: Float32Array, itemBias: Float32Array | null, dim: number, options: ScorerOptions = {}): DotScorer {
  if (!Number.isInteger(dim) || dim <= 0 || P.length % dim !== 0 || Q.length % dim !== 0) {
    throw new RangeError(`dot scorer: P (${P.length}) and Q (${Q.length}) are not multiples of dim = ${dim}`);
  }
  const numUsers = P.length / dim;
  const numItems = Q.length / dim;
  if (itemBias !== null && itemBias.length !== numItems) throw new RangeError(`dot scorer: item bias has ${itemBias.length} entries, ${numItems} items`);
  const empty = new Float32Array(0);
  return pickBackend<Scorer>(
    options.backend,
    () => new WasmScorer(numUsers, numItems, dim, 0, false, 2, 0, { P: () => P, Q: () => Q, K: () => empty, M: () => empty, bias: () => itemBias }, {}, memoryOption(options)),
    () => new TsDotScorer(P, Q, itemBias, dim, numUsers, numItems),
  );
}
