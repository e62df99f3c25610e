// The WebAssembly SIMD training kernel (src/kernels/assembly/lrml-train.ts) on the host side:
// memory layout, padded parameter copies, epoch staging, and the single-thread TripletKernel.
// The module imports a shared memory so that Hogwild workers (hogwild.ts) can share it; in a
// browser that needs cross-origin isolation (SharedArrayBuffer), otherwise creation throws and
// `auto` falls back to the TypeScript kernel. No Node-only imports here.

import { LrmlError } from '../../errors.js';
import { wasmBase64 } from '../../kernels/generated/lrml-train.js';
import type { TripletKernelConfig, TripletParams } from '../../kernels/types.js';
import { compileKernel, LinearAllocator, WASM_PAGE } from '../../kernels/wasm.js';
import { attentionCode, DEFAULT_ATTENTION_SCALE, DEFAULT_ATTENTION_TEMPERATURE } from '../../kernels/pair.js';
import { SingleThreadKernel, optimizerStateShapes, type KernelOptimizerState } from './common.js';

/**
 * Exports of the lrml-train module (offsets are byte offsets into the shared memory).
 *
 * @example
 * ```ts
 * const ex = instantiateTrainer(trainModule(), memory, cfg, layout, 0);
 * const loss = ex.step(usersPtr, posPtr, negPtr, 1024);
 * ```
 */
export interface TrainExports {
  heapBase(): number;
  setShape(dimPadded: number, numMemories: number, negatives: number): void;
  scratchBytes(): number;
  setOptions(dist: number, copy: number, clip: number, clipMem: number, hardest: number, opt: number,
    margin: number, l2: number, lr: number, b1: number, b2: number, eps: number,
    loss: number, temperature: number, rankWeighting: number, numItems: number, maxKeyNorm: number): void;
  setParams(p: number, q: number, k: number, m: number,
    s1p: number, s2p: number, s1q: number, s2q: number, s1k: number, s2k: number, s1m: number, s2m: number, ps: number): void;
  setWork(gp: number, gq: number, gk: number, gm: number, stampP: number, stampQ: number, touchP: number, touchQ: number, scratch: number): void;
  setLearningRate(lr: number): void;
  /** Attention 0 = dot, 1 = cosine, 2 = fit, 3 = fit-hard; σ; τₐ; relation centering 0 / 1; rate scale of P and Q. */
  setAttention(att: number, scale: number, temperature: number, center: number, embeddingLearningRateScale: number): void;
  /** λ ≥ 0 of the slot-diversity term (0 = off). */
  setSlotDiversity(lambda: number): void;
  /** 1 = the blocked path for dot attention with own relations, 0 = sides two at a time. */
  setBlocked(on: number): void;
  /** 1 = the deferred variant of the blocked path (l2 / l2sq; the default), with this instance's per-item buffer. */
  setDeferred(on: number, dq: number): void;
  /** 1 = one user's consecutive examples with the same negatives scored as one group (the default), 0 = each on its own. */
  setGrouping(on: number): void;
  /** Multiplies the learning rate of P (TripletKernelConfig.userLearningRateScale). */
  setUserRate(scale: number): void;
  steps(): number;
  step(users: number, pos: number, negs: number, count: number): number;
  /** D(u, i) with the pair's own attention (the pair forward alone; for cross-checks). */
  pairDistance(u: number, i: number): number;
  /** One optimiser update of the padded row(s) W[0, bytes) (for cross-checks); returns Σ w². */
  updateRow(w: number, g: number, s1: number, s2: number, bytes: number, lrc: number, ibc2: number): number;
  /** Clips the padded row at `w` into the ball of radius max (for cross-checks). */
  clipRow(w: number, max: number): void;
  /** Σ_{k≠l} cos² of the memory rows at `x`, adding weight × its gradient into `g` (for cross-checks). */
  slotCosineSquares(x: number, g: number, weight: number): number;
}

/**
 * Byte offsets of the shared part: parameters (padded rows) and optimiser state (0 = unused):
 * s1 = Adam m / Adagrad h, s2 = Adam v. A row of P sits beside its optimiser state: row u of P
 * at `P + u · userStride`, its s1 at `s1p + u · userStride` (= P + dimPadded·4 + …), so that a
 * user's parameters and moments, read once per positive and updated once per batch, are one
 * contiguous block. Q (read by every side of every example: kept dense for the caches), K, M and
 * their state are tables of contiguous rows.
 *
 * @example
 * ```ts
 * const p0 = new Float32Array(memory.buffer, layout.shared.P + u * layout.shared.userStride, layout.dimPadded);
 * ```
 */
export interface SharedLayout {
  P: number; Q: number; K: number; M: number;
  s1p: number; s2p: number; s1q: number; s2q: number; s1k: number; s2k: number; s1m: number; s2m: number;
  /** Bytes from one row of P (and of its optimiser state) to the next. */
  userStride: number;
}

/**
 * Byte offsets of one instance's (one thread's) private part: gradients, row stamps, touched
 * row lists, scratch.
 *
 * @example
 * ```ts
 * const gP = new Float32Array(memory.buffer, layout.work[0].gp, numUsers * layout.dimPadded);
 * ```
 */
export interface WorkLayout {
  gp: number; gq: number; gk: number; gm: number;
  stampP: number; stampQ: number; touchP: number; touchQ: number; scratch: number;
  /** The deferred path's per-item buffer (numItems × 2 N-vectors; 0 on the other paths). */
  dq: number;
}

/**
 * Where everything lives in the training memory.
 *
 * @example
 * ```ts
 * const { dimPadded, shared, work } = WasmTrainMemory.create(cfg, params, 2).layout;
 * ```
 */
export interface TrainLayout {
  /** dim rounded up to a multiple of 4 (row stride in floats). */
  dimPadded: number;
  shared: SharedLayout;
  work: WorkLayout[];
}

/**
 * Whether the WASM kernel may take the deferred path (`kernelPath` 'deferred', or 'auto', the
 * default, which takes it for the steps where it pays): dot attention, the sides' own relations,
 * a memory, and l2 or l2sq (l1 is not linear in e; such examples run on the blocked path).
 *
 * @example
 * ```ts
 * usesDeferredPath({ ...cfg, distance: 'l1' }); // false
 * ```
 */
export function usesDeferredPath(cfg: TripletKernelConfig): boolean {
  const path = cfg.kernelPath ?? 'auto';
  return (path === 'deferred' || path === 'auto') && cfg.numMemories > 0 && cfg.distance !== 'l1' &&
    cfg.negativeRelation !== 'copy' && attentionCode(cfg.attention) === 0;
}

/** GROUP_MAX of lrml-train.ts: most positives of one user sharing their negatives scored as one group. */
const KERNEL_GROUP_MAX = 32;

/** Largest memory a 32-bit WebAssembly module can address (pages). */
const MAX_PAGES = 65536;

/**
 * The compiled training module (cached). Throws where WebAssembly or SIMD is unavailable.
 *
 * @example
 * ```ts
 * const module = trainModule();
 * ```
 */
export function trainModule(): WebAssembly.Module {
  return compileKernel('lrml-train', wasmBase64);
}

/**
 * Instantiates the training module on `memory` and configures it as instance `w` of `layout`.
 *
 * @example
 * ```ts
 * const ex = instantiateTrainer(trainModule(), memory, cfg, layout, 0);
 * ex.step(usersPtr, posPtr, negPtr, 1024);
 * ```
 */
export function instantiateTrainer(module: WebAssembly.Module, memory: WebAssembly.Memory, cfg: TripletKernelConfig, layout: TrainLayout, w: number): TrainExports {
  const ex = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as TrainExports;
  ex.setShape(layout.dimPadded, cfg.numMemories, cfg.negatives);
  ex.setOptions(
    cfg.distance === 'l2' ? 0 : cfg.distance === 'l2sq' ? 1 : 2,
    cfg.negativeRelation === 'copy' ? 1 : 0,
    cfg.clip === 'rows' ? 0 : cfg.clip === 'lookup' ? 1 : 2,
    cfg.clipMemory ? 1 : 0,
    cfg.negativeMode === 'hardest' ? 1 : 0,
    cfg.optimizer === 'adam' ? 0 : cfg.optimizer === 'adagrad' ? 1 : 2,
    cfg.margin, cfg.l2, cfg.learningRate, cfg.beta1, cfg.beta2, cfg.epsilon,
    cfg.loss === 'softplus' ? 1 : cfg.loss === 'softmax' ? 2 : 0,
    cfg.temperature ?? 1,
    cfg.rankWeighting === true ? 1 : 0,
    cfg.numItems,
    cfg.maxKeyNorm ?? 1,
  );
  ex.setAttention(
    attentionCode(cfg.attention),
    cfg.attentionScale ?? DEFAULT_ATTENTION_SCALE,
    cfg.attentionTemperature ?? DEFAULT_ATTENTION_TEMPERATURE,
    cfg.relationCentering === true ? 1 : 0,
    cfg.embeddingLearningRateScale ?? 1,
  );
  ex.setSlotDiversity(cfg.slotDiversity ?? 0);
  ex.setBlocked(cfg.kernelPath === 'pairs' ? 0 : 1);
  ex.setGrouping(cfg.groupSharedNegatives === false ? 0 : 1);
  ex.setUserRate(cfg.userLearningRateScale ?? 1);
  ex.setDeferred(layout.work[w].dq === 0 ? 0 : (cfg.kernelPath ?? 'auto') === 'auto' ? 2 : 1, layout.work[w].dq);
  const s = layout.shared;
  ex.setParams(s.P, s.Q, s.K, s.M, s.s1p, s.s2p, s.s1q, s.s2q, s.s1k, s.s2k, s.s1m, s.s2m, s.userStride);
  const o = layout.work[w];
  ex.setWork(o.gp, o.gq, o.gk, o.gm, o.stampP, o.stampQ, o.touchP, o.touchQ, o.scratch);
  return ex;
}

/**
 * The training memory: one shared WebAssembly.Memory holding padded copies of the parameters,
 * the optimiser state, `workers` private work areas and the staged epoch arrays.
 *
 * @example
 * ```ts
 * const mem = WasmTrainMemory.create(cfg, params, 1);
 * const ex = instantiateTrainer(mem.module, mem.memory, cfg, mem.layout, 0);
 * ```
 */
export class WasmTrainMemory {
  private epochOff = 0;
  private epochCap = 0;

  private constructor(
    readonly cfg: TripletKernelConfig,
    readonly module: WebAssembly.Module,
    readonly memory: WebAssembly.Memory,
    readonly layout: TrainLayout,
    private readonly alloc: LinearAllocator,
  ) {}

  /** Lays out and fills a new training memory (throws where WASM / shared memory is unavailable). */
  static create(cfg: TripletKernelConfig, params: TripletParams, workers: number): WasmTrainMemory {
    const module = trainModule();
    const dp = Math.ceil(cfg.dim / 4) * 4;
    const n = cfg.numMemories;
    const k = cfg.negatives;
    const rowsBytes = (rows: number): number => rows * dp * 4;
    const adam = cfg.optimizer === 'adam';
    const stateSets = cfg.optimizer === 'sgd' ? 0 : adam ? 2 : 1;
    // an upper bound of everything, checked before any memory is reserved
    const paramBytes = rowsBytes(cfg.numUsers + cfg.numItems + 2 * n);
    const nb = 4 * (n + 4); // bytes of an N-vector, rounded up to 16
    const sides = k + 2 + KERNEL_GROUP_MAX; // an example's sides and the zero side, or a group's
    const scratchBound = 4 * (sides * (10 * dp + 3 * n + 72) + 8 * dp + 4 * n) + (sides + 2 + 2 * n) * nb + 4096;
    const deferred = usesDeferredPath(cfg);
    const dqBytes = deferred ? 2 * nb * cfg.numItems : 0;
    const workBytes = paramBytes + 12 * (cfg.numUsers + cfg.numItems) + scratchBound + dqBytes;
    const total = 65536 + paramBytes * (1 + stateSets) + workers * workBytes;
    if (total > (MAX_PAGES - 16) * WASM_PAGE) {
      throw new LrmlError('TOO_LARGE', `training state needs about ${Math.ceil(total / 2 ** 20)} MiB, more than a 32-bit WebAssembly memory holds (4 GiB): use the ts backend or a smaller dim`);
    }
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    const probe = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as TrainExports;
    probe.setShape(dp, n, k);
    const scratchBytes = probe.scratchBytes();
    const al = new LinearAllocator(memory, probe.heapBase());
    const f = (rows: number): number => al.alloc(rowsBytes(rows));
    const opt = (rows: number, set: number): number => (stateSets > set && rows > 0 ? f(rows) : 0);
    // P: each row followed by its optimiser state (one block per user)
    const userStride = 4 * dp * (1 + stateSets);
    const P = al.alloc(cfg.numUsers * userStride);
    const beside = (set: number): number => (stateSets > set ? P + 4 * dp * (1 + set) : 0);
    const shared: SharedLayout = {
      P, Q: f(cfg.numItems), K: f(n), M: f(n),
      s1p: beside(0), s2p: beside(1), s1q: opt(cfg.numItems, 0), s2q: opt(cfg.numItems, 1),
      s1k: opt(n, 0), s2k: opt(n, 1), s1m: opt(n, 0), s2m: opt(n, 1),
      userStride,
    };
    const work: WorkLayout[] = [];
    for (let w = 0; w < workers; w++) {
      al.alloc(64); // keep threads' hot buffers off each other's cache lines
      work.push({
        gp: f(cfg.numUsers), gq: f(cfg.numItems), gk: f(n), gm: f(n),
        stampP: al.alloc(8 * cfg.numUsers), stampQ: al.alloc(8 * cfg.numItems),
        touchP: al.alloc(4 * cfg.numUsers), touchQ: al.alloc(4 * cfg.numItems),
        scratch: al.alloc(scratchBytes),
        dq: deferred ? al.alloc(dqBytes) : 0,
      });
    }
    al.commit();
    const mem = new WasmTrainMemory(cfg, module, memory, { dimPadded: dp, shared, work }, al);
    mem.writeParams(params);
    return mem;
  }

  /** Floats from one row to the next of the table at `off`: P and its state are interleaved. */
  private strideOf(off: number): number {
    const s = this.layout.shared;
    return off === s.P || off === s.s1p || off === s.s2p ? s.userStride / 4 : this.layout.dimPadded;
  }

  private copyIn(src: Float32Array, off: number, rows: number): void {
    const d = this.cfg.dim;
    const stride = this.strideOf(off);
    const dst = new Float32Array(this.memory.buffer, off, rows === 0 ? 0 : (rows - 1) * stride + d);
    if (d === stride) dst.set(src);
    else for (let r = 0; r < rows; r++) dst.set(src.subarray(r * d, r * d + d), r * stride);
  }

  private copyOut(off: number, rows: number, out: Float32Array): void {
    const d = this.cfg.dim;
    const stride = this.strideOf(off);
    const src = new Float32Array(this.memory.buffer, off, rows === 0 ? 0 : (rows - 1) * stride + d);
    if (d === stride) out.set(src);
    else for (let r = 0; r < rows; r++) out.set(src.subarray(r * stride, r * stride + d), r * d);
  }

  /** Copies parameters in (padded lanes stay 0). */
  writeParams(p: TripletParams): void {
    const s = this.layout.shared;
    const { numUsers, numItems, numMemories: n } = this.cfg;
    this.copyIn(p.P, s.P, numUsers);
    this.copyIn(p.Q, s.Q, numItems);
    this.copyIn(p.K, s.K, n);
    this.copyIn(p.M, s.M, n);
  }

  /** Copies the current parameters out (unpadded). */
  readParams(out: TripletParams): void {
    const s = this.layout.shared;
    const { numUsers, numItems, numMemories: n } = this.cfg;
    this.copyOut(s.P, numUsers, out.P);
    this.copyOut(s.Q, numItems, out.Q);
    this.copyOut(s.K, n, out.K);
    this.copyOut(s.M, n, out.M);
  }

  /** Copies the optimiser state out (unpadded; unused sets stay empty). */
  readState(out: { state1: TripletParams; state2: TripletParams }): void {
    const s = this.layout.shared;
    const { numUsers, numItems, numMemories: n } = this.cfg;
    const sets = [[out.state1, s.s1p, s.s1q, s.s1k, s.s1m], [out.state2, s.s2p, s.s2q, s.s2k, s.s2m]] as const;
    for (const [t, p, q, k, m] of sets) {
      if (p !== 0) this.copyOut(p, numUsers, t.P);
      if (q !== 0) this.copyOut(q, numItems, t.Q);
      if (k !== 0) this.copyOut(k, n, t.K);
      if (m !== 0) this.copyOut(m, n, t.M);
    }
  }

  /** Copies an optimiser state in (the inverse of readState). */
  writeState(from: { state1: TripletParams; state2: TripletParams }): void {
    const s = this.layout.shared;
    const { numUsers, numItems, numMemories: n } = this.cfg;
    const sets = [[from.state1, s.s1p, s.s1q, s.s1k, s.s1m], [from.state2, s.s2p, s.s2q, s.s2k, s.s2m]] as const;
    for (const [t, p, q, k, m] of sets) {
      if (p !== 0) this.copyIn(t.P, p, numUsers);
      if (q !== 0) this.copyIn(t.Q, q, numItems);
      if (k !== 0) this.copyIn(t.K, k, n);
      if (m !== 0) this.copyIn(t.M, m, n);
    }
  }

  /**
   * Copies an epoch's arrays into the memory (growing it when needed); returns their offsets.
   * `neg` holds `negatives` entries per example.
   */
  stageEpoch(users: Int32Array, pos: Int32Array, neg: Int32Array, count: number): { users: number; pos: number; neg: number } {
    const k = this.cfg.negatives;
    const need = count * (2 + k);
    if (need > this.epochCap) {
      const cap = Math.max(need, 1024);
      if (this.alloc.end + 4 * cap > (MAX_PAGES - 1) * WASM_PAGE) {
        throw new LrmlError('TOO_LARGE', `epoch of ${count} examples does not fit the 4 GiB WebAssembly memory next to the model: train with smaller epochs`);
      }
      this.epochOff = this.alloc.alloc(4 * cap);
      this.alloc.commit();
      this.epochCap = cap;
    }
    const buf = this.memory.buffer;
    const u = this.epochOff;
    const p = u + 4 * count;
    const n = p + 4 * count;
    new Int32Array(buf, u, count).set(users.subarray(0, count));
    new Int32Array(buf, p, count).set(pos.subarray(0, count));
    new Int32Array(buf, n, count * k).set(neg.subarray(0, count * k));
    return { users: u, pos: p, neg: n };
  }
}

/**
 * LRML / CML training with the WASM SIMD kernel in this thread: deterministic (same inputs, same
 * bits). Use {@link createTripletKernel} rather than this class directly.
 *
 * @example
 * ```ts
 * const kernel = WasmTripletKernel.create(cfg, params);
 * await kernel.runEpoch(users, pos, neg, n, 1024);
 * ```
 */
export class WasmTripletKernel extends SingleThreadKernel {
  readonly backend = 'wasm' as const;

  private constructor(cfg: TripletKernelConfig, private readonly mem: WasmTrainMemory, private readonly ex: TrainExports) {
    super(cfg);
  }

  /** Builds the kernel (throws where WebAssembly SIMD or shared memory is unavailable). */
  static create(cfg: TripletKernelConfig, params: TripletParams): WasmTripletKernel {
    const mem = WasmTrainMemory.create(cfg, params, 1);
    return new WasmTripletKernel(cfg, mem, instantiateTrainer(mem.module, mem.memory, cfg, mem.layout, 0));
  }

  protected begin(users: Int32Array, pos: Int32Array, neg: Int32Array, count: number): (offset: number, count: number) => number {
    const at = this.mem.stageEpoch(users, pos, neg, count);
    const k = this.cfg.negatives;
    const ex = this.ex;
    return (off, cnt) => ex.step(at.users + 4 * off, at.pos + 4 * off, at.neg + 4 * k * off, cnt);
  }

  protected applyLearningRate(learningRate: number): void {
    this.ex.setLearningRate(learningRate);
  }

  protected copyOut(out: TripletParams): void {
    this.mem.readParams(out);
  }

  protected exportOptimizer(): KernelOptimizerState {
    const out = optimizerStateShapes(this.cfg);
    this.mem.readState(out);
    return { steps: this.ex.steps(), ...out };
  }

  protected importOptimizer(s: KernelOptimizerState, params: TripletParams): void {
    // the module's step count and its running powers β^t have no setter: empty steps advance
    // them exactly as the saved run did (an empty step changes no row of P or Q; K and M, and
    // every state, are overwritten right after)
    const behind = s.steps - this.ex.steps();
    if (behind < 0) throw new LrmlError('INTERNAL', `cannot load a state of ${s.steps} steps into a kernel that took ${this.ex.steps()}`);
    for (let t = 0; t < behind; t++) this.ex.step(0, 0, 0, 0);
    this.mem.writeState(s);
    this.mem.writeParams(params);
  }
}
