// @lrml-shared-memory
// LRML / CML training step in AssemblyScript with WebAssembly SIMD (f32x4): forward pass,
// hand-derived backward pass, optimiser and clipping, one batch per step() call. The same maths
// as src/kernels/lrml-impl.ts (the TypeScript reference; see its header for the formulas), in
// float32. Every option of TripletKernelConfig is a runtime switch set once by setOptions().
//
// Memory: the host (src/train/backends/wasm.ts) lays out every buffer in the imported (shared)
// linear memory and passes the offsets: parameters and optimiser state may be shared by several
// instances (Hogwild worker threads), gradients, stamps and scratch belong to one instance.
// Nothing is allocated here, and the module has no data segment (no Math.pow / Mathf.exp tables),
// so instantiating it in a worker writes nothing into the shared memory. Rows are padded to a
// multiple of 4 floats (D); the host keeps the padded lanes at 0 and they stay 0 (every gradient
// there is 0, and the optimisers map a zero gradient on zero state to no change).
//
// Speed: with dot attention and each side's own relation (the default recipe) an example takes
// all of its sides (the positive and its negatives) at once, as small dense products in register
// tiles of three sides (the blocked path: attendAll / relBackAll, setBlocked): the logits S·Kᵀ,
// the relations A·M, backward dA = G·Mᵀ, ∂M += Aᵀ·G and ∂K += dLᵀ·S summed over the sides in
// registers and stored once per example, and dS = dL·K folded into ∂p, ∂q (∂q straight into
// its row of GQ). With l2 / l2sq the deferred variant (setDeferred, kernelPath 'deferred') keeps
// only the logits, dL·K and ∂K per side: the parameters are fixed within a step, so the
// relation's products (A·M, G·Mᵀ, ∂M) become once per example or per distinct item of the step
// through G = M Mᵀ, M·p and M·q (see "the deferred path" below). By default (kernelPath 'auto')
// each step takes the deferred variant only when its distinct items are few enough for that to
// pay (the many negatives of the default recipe on a catalogue of ML-1M's size), the blocked
// path otherwise (the hinge's two sides, or 20 negatives spread over a Netflix-sized catalogue). The other attentions and the copied relation take the sides two at a time
// (attend2 / relBack2: one pass over K and M serves two attentions, as in the reference kernel
// of ../shared/reference/ts-kernels/asm/lrml.ts), as did every example before the blocked
// path; inner loops take two memory slots at a time (independent accumulators instead of one
// dependency chain), and the softmax uses a SIMD exp. Consecutive examples of one user with the
// same negatives (negatives shared within a user's blocks) run as one group on the blocked path:
// the negatives' sides once for all of the group's positives (exampleGroup, "groups" below).
// Differences from the TypeScript kernel are float32 rounding only (test/kernels-crosscheck).
//
// Losses (LOSS): the per-example scalar maths of softplus / softmax / rank weighting runs in f64
// with the table-free expd / logd below (so the module keeps no data segment); the distances and
// everything per dimension stay f32 SIMD. The default hinge path is the one that existed before
// these options (same instructions and rounding).
//
// Attention (ATT, setAttention): 0 = dot (the paper's; the instructions that existed before the
// other kinds), 1 = cosine, 2 = fit, 3 = fit-hard (src/kernels/types.ts AttentionKind; the
// maths of pair.ts pairAttention / attentionLogitsBackward). Per step, KN holds ‖Kₖ‖ (cosine) or
// ‖Mₖ‖² (fit), and the logits' terms of ∂K (cosine: −Σ wₖcₖ‖s‖/‖Kₖ‖ · Kₖ) or ∂M (fit: Σ bₖ · Mₖ)
// that are a multiple of the key row itself gather in KC and are added once before the update.
// CENTER subtracts the mean value row from M after each update; EMBLR scales the rate of P, Q.
// SLOTDIV (setSlotDiversity) λ > 0 adds the slot-diversity term λ/(N(N−1)) Σ_{k≠l} [cos²(Kₖ, Kₗ) +
// cos²(Mₖ, Mₗ)] to the step's loss and its gradient to GK, GM before the update, once per step
// (lrml-impl.ts slotCosineSquares; SLOT_EPS is its SLOT_DIVERSITY_EPS).
//
// The f32x4 helpers, the l2 ε and the row clip come from _common.ts (shared with lrml-score.ts).
// The exports pairDistance, updateRow and clipRow run one piece (pair forward, optimiser update,
// clip) on its own, for test/kernels-crosscheck.test.ts to check against the TypeScript homes
// (src/kernels/pair.ts, optim.ts, clip.ts).

import { COSINE_EPS, L2_DISTANCE_EPS, clipToBall, fmadd, hsum, rowSq } from './_common';

// ---- shapes ----
let D: i32 = 0; // padded dim
let RB: usize = 0; // bytes of a row (D × 4)
let NM: i32 = 0; // memory slots
let NB: usize = 0; // bytes of an N-vector, rounded up to 16
let NEG: i32 = 1; // negatives per positive
let SIDES: i32 = 2; // NEG + 1 (the sides of the current example or group)
/**
 * Most consecutive positives of one user with the same negatives that a step scores as one group
 * (exampleGroup); src/train/backends/wasm.ts sizes the scratch with the same number.
 */
const GROUP_MAX: i32 = 32;
let GROUPING: bool = true; // setGrouping

// ---- options ----
let DIST: i32 = 0; // 0 = l2 (sqrt(Σe² + 1e-3)), 1 = l2sq, 2 = l1
let COPY: bool = false; // negatives use the positive's relation
let LOOKUP: bool = false; // clip looked-up p and q into the unit ball in the forward pass
let CLIPROWS: bool = false; // clip touched P / Q rows after the update
let CLIPMEM: bool = false; // clip K / M rows after the update
let MAXKEY: f32 = 1; // with CLIPMEM: key rows clipped to norm ≤ MAXKEY (values to ≤ 1)
let HARDEST: bool = false; // only the hardest negative contributes
let LOSS: i32 = 0; // 0 = hinge, 1 = softplus, 2 = softmax
let RANKW: bool = false; // hinge: WARP-style rank weight log(1 + ⌊NITEMS·V/NEG⌋)
let TAU: f64 = 1; // temperature of softplus / softmax
let NITEMS: i32 = 0; // items in the catalogue (rank weighting)
let OPT: i32 = 0; // 0 = adam, 1 = adagrad, 2 = sgd
let MARGIN: f32 = 0;
let L2: f32 = 0;
let LR: f32 = 0;
let B1: f32 = 0;
let B2: f32 = 0;
let EPS: f32 = 0;
let ATT: i32 = 0; // 0 = dot, 1 = cosine, 2 = fit, 3 = fit-hard
let ASCALE: f32 = 10; // σ of cosine
let ATEMP: f32 = 0.1; // τₐ of fit
let CENTER: bool = false; // relation centering: M rows minus their mean after each update
let EMBLR: f32 = 1; // learning-rate scale of P and Q (0 = frozen)
let USERLR: f32 = 1; // a further learning-rate scale of P (setUserRate)
let SLOTDIV: f32 = 0; // λ of the slot-diversity term (0 = off)
/** ε added to Σx² in the norms of the slot-diversity cosines (lrml-impl.ts: SLOT_DIVERSITY_EPS). */
const SLOT_EPS: f32 = 1e-8;

// ---- parameters and optimiser state (may be shared) ----
let P: usize = 0;
let Q: usize = 0;
let K: usize = 0;
let M: usize = 0;
// The host lays a row of P out beside its optimiser state: row u of P at P + u·PS, of S1P at
// S1P + u·PS, … (PS = RB times the number of tables), so that a user's parameters and Adam moments
// are one contiguous block rather than three rows in three tables of 192 MB each (at 480k users).
// Q stays dense (rows RB apart): every side of every example reads a row of it.
let PS: usize = 0; // bytes from one row of P (S1P, S2P) to the next
let S1P: usize = 0;
let S2P: usize = 0;
let S1Q: usize = 0;
let S2Q: usize = 0;
let S1K: usize = 0;
let S2K: usize = 0;
let S1M: usize = 0;
let S2M: usize = 0;

// ---- this instance's work buffers ----
let GP: usize = 0;
let GQ: usize = 0;
let GK: usize = 0;
let GM: usize = 0;
// A step's touched rows get slots 0, 1, … in the order first seen (the order of TOUCHP / TOUCHQ):
// their gradients (GP, GQ) and the deferred path's per-item rows (DQ) live at their slot, so that
// a step writes a compact, cache-warm block instead of rows scattered over tables of every user
// and item (at 480k users the scattered rows cost about a fifth of a hinge step).
let STAMPP: usize = 0; // per user two i32: the last step that touched the row, its slot in that step
let STAMPQ: usize = 0; // per item, the same
let TOUCHP: usize = 0; // i32 list of touched users (numUsers entries)
let TOUCHQ: usize = 0; // i32 list of touched items (numItems entries)
let T: i32 = 0; // optimiser steps taken by this instance
let PW1: f64 = 1; // β₁^T (running product: no Math.pow, so the module has no data segment)
let PW2: f64 = 1; // β₂^T

// ---- scratch (offsets inside the scratch block) ----
let PC: usize = 0; // looked-up p (lookup clip)
let QC: usize = 0; // looked-up q per side
let QP: usize = 0; // pointer (u32) to each side's q
let RAWQ: usize = 0; // pointer (u32) to each side's raw Q row
let NRM: usize = 0; // f32 raw norms: p, then sides
let SS: usize = 0; // p ⊙ q per side
let AA: usize = 0; // attention per side (N-vectors)
let RR: usize = 0; // relation per side
let EE: usize = 0; // e per side, then ∂obj/∂e
let DI: usize = 0; // f32 distance per side
let HG: usize = 0; // f32 hinge per negative
let CT: usize = 0; // i32 1 when the negative contributes
let WT: usize = 0; // f32 loss weight ωₙ of each contributing negative
let WD: usize = 0; // f64 scratch per negative (softmax exponentials)
let LIST: usize = 0; // i32 contributing sides
let GPL: usize = 0; // ∂obj/∂p of the example
let GQL: usize = 0; // ∂obj/∂q per side
let DS0: usize = 0; // ds of the first side of a pair
let DS1: usize = 0; // ds of the second side of a pair
let DA0: usize = 0; // da / dl of the first side of a pair
let DA1: usize = 0; // da / dl of the second side of a pair
let PP: usize = 0; // pointer to the current looked-up p
let KN: usize = 0; // f32 per slot: ‖Kₖ‖ (cosine) or ‖Mₖ‖² (fit), set per step
let KC: usize = 0; // f32 per slot: coefficient of the key row in its own gradient, summed over the step
let NS: usize = 0; // f32 ‖s‖ per side (cosine)
let CSC: usize = 0; // f32 per side: ds correction −(Σ wₖcₖ‖Kₖ‖)/‖s‖ along s (cosine)
let LG: usize = 0; // logits per side (N-vectors; attentions other than dot)
let DLB: usize = 0; // blocked path: dA, then dl, per side (N-vectors)
let BL: usize = 0; // blocked path: i32 list of sides, padded to a multiple of 3 with the zero side SIDES
let GQT: usize = 0; // blocked path: u32 per side, the row of GQ its ∂q goes to (DIRECTQ)
let DIRECTQ: bool = false; // blocked path without lookup clip or l2: ∂q straight into GQ
let BLOCKED: bool = true; // dot attention, own relation, N > 0: all sides of an example at once
let DEFER: i32 = 0; // the deferred path: 0 never, 1 always, 2 where a step's distinct items are few (setDeferred; DEFERRED)
let DEFERRED: bool = false; // this step: blocked with l2 / l2sq, the relation's products deferred
let DQ: usize = 0; // deferred path: M·q per item (numItems N-vectors), then v per item (as many)
let VOFF: usize = 0; // deferred path: from an item's M·q to its v (numItems × NB bytes)
let GG: usize = 0; // deferred path: G = M Mᵀ (N rows of NB bytes), per step
let HH: usize = 0; // deferred path: H = Σ c a aᵀ (N rows of NB bytes), summed over the step
let MPV: usize = 0; // deferred path: M·p of the example
let WV: usize = 0; // deferred path: w = Σₓ cₓ aₓ of the example
let UT: usize = 0; // deferred path: per side, M·p − M·q + G a (N-vectors)
let CX: usize = 0; // deferred path: f32 per side, c = ∂D/∂e ÷ e times the side's coefficient
let DQP: usize = 0; // deferred path: u32 per side, the side's item in DQ
let SLQ: usize = 0; // u32 per side: the slot of the side's item among the step's touched items (its rows of GQ and DQ)
let DVN: usize = 0; // slot diversity: f32 norm per slot
let DVA: usize = 0; // slot diversity: the gradient of one row
let SCRATCH_BYTES: usize = 0;

/** Start of free memory for the host's allocator. */
export function heapBase(): usize {
  return __heap_base;
}

/** Sets the shapes (d a multiple of 4) and computes the scratch size. */
export function setShape(d: i32, n: i32, k: i32): void {
  D = d;
  RB = <usize>d << 2;
  NM = n;
  NB = ((<usize>n << 2) + 15) & ~(<usize>15);
  NEG = k;
  SIDES = k + 1;
  // room for a group of GROUP_MAX positives with the k negatives they share (exampleGroup)
  const sides = <usize>(k + 1 + GROUP_MAX);
  const small = (((sides + 1) << 2) + 15) & ~(<usize>15); // an i32/f32 per side (+1), rounded to 16
  let o: usize = 0;
  PC = o; o += RB;
  QC = o; o += sides * RB;
  QP = o; o += small;
  RAWQ = o; o += small;
  NRM = o; o += small;
  SS = o; o += (sides + 1) * RB; // row SIDES: the zero side padding the blocked path's tiles
  AA = o; o += (sides + 1) * NB;
  RR = o; o += (sides + 1) * RB;
  EE = o; o += (sides + 1) * RB;
  DI = o; o += small;
  HG = o; o += small;
  CT = o; o += small;
  WT = o; o += small;
  WD = o; o += small << 1;
  LIST = o; o += small;
  GPL = o; o += RB;
  GQL = o; o += (sides + 1) * RB;
  DS0 = o; o += RB;
  DS1 = o; o += RB;
  DA0 = o; o += NB;
  DA1 = o; o += NB;
  KN = o; o += NB;
  KC = o; o += NB;
  NS = o; o += small;
  CSC = o; o += small;
  LG = o; o += sides * NB;
  DLB = o; o += (sides + 1) * NB;
  BL = o; o += (((sides + 3) << 2) + 15) & ~(<usize>15);
  GQT = o; o += small;
  GG = o; o += <usize>n * NB;
  HH = o; o += <usize>n * NB;
  MPV = o; o += NB;
  WV = o; o += NB;
  UT = o; o += (sides + 1) * NB;
  CX = o; o += small;
  DQP = o; o += small;
  SLQ = o; o += small;
  DVN = o; o += NB;
  DVA = o; o += RB;
  SCRATCH_BYTES = o;
}

/** Bytes of scratch one instance needs (after setShape). */
export function scratchBytes(): usize {
  return SCRATCH_BYTES;
}

/**
 * Sets the options (codes as in the header) and hyper-parameters; loss: 0 = hinge, 1 = softplus,
 * 2 = softmax; tau = temperature; rankW: hinge rank weighting over numItems items; maxKey: with
 * clipMem, the largest key-row norm.
 */
export function setOptions(
  dist: i32, copy: i32, clip: i32, clipMem: i32, hardest: i32, opt: i32,
  margin: f32, l2: f32, lr: f32, b1: f32, b2: f32, eps: f32,
  loss: i32, tau: f64, rankW: i32, numItems: i32, maxKey: f32,
): void {
  MAXKEY = maxKey;
  LOSS = loss;
  TAU = tau;
  RANKW = rankW != 0;
  NITEMS = numItems;
  DIST = dist;
  COPY = copy != 0;
  LOOKUP = clip == 1;
  CLIPROWS = clip == 0;
  CLIPMEM = clipMem != 0;
  HARDEST = hardest != 0;
  OPT = opt;
  MARGIN = margin;
  L2 = l2;
  LR = lr;
  B1 = b1;
  B2 = b2;
  EPS = eps;
}

/**
 * Sets the attention (0 = dot, 1 = cosine, 2 = fit, 3 = fit-hard: pair.ts attentionCode) with its
 * σ (cosine) and τₐ (fit), relation centering (0 / 1) and the learning-rate scale of P and Q.
 *
 * @example
 * ```ts
 * ex.setAttention(attentionCode('fit'), 10, 0.1, 1, 0); // host side, src/train/backends/wasm.ts
 * ```
 */
export function setAttention(att: i32, scale: f32, temperature: f32, center: i32, embLr: f32): void {
  ATT = att;
  ASCALE = scale;
  ATEMP = temperature;
  CENTER = center != 0;
  EMBLR = embLr;
}

/**
 * Sets λ ≥ 0 of the slot-diversity term (0 = off; src/kernels/types.ts slotDiversity).
 *
 * @example
 * ```ts
 * ex.setSlotDiversity(cfg.slotDiversity ?? 0); // host side, src/train/backends/wasm.ts
 * ```
 */
export function setSlotDiversity(lambda: f32): void {
  SLOTDIV = lambda;
}

/**
 * Chooses the path of examples with dot attention and their own relations (N > 0): 1 = blocked
 * (all sides at once; the default, deferred or not: setDeferred), 0 = the sides two at a time (the kernel before the blocked
 * path, kept for the other attentions and the copied relation, and for side-by-side benchmarks).
 *
 * @example
 * ```ts
 * ex.setBlocked(0); // host side: cfg.kernelPath === 'pairs'
 * ```
 */
export function setBlocked(on: i32): void {
  BLOCKED = on != 0;
}

/**
 * Chooses the deferred variant of the blocked path for l2 and l2sq distances: the relation's
 * products move to once per example or once per distinct item of a step (see "the deferred
 * path" below). `on`: 0 never, 1 every step, 2 the steps whose distinct items are fewer than 0.4
 * of their sides (where it pays); `dq` is this instance's per-item buffer (numItems × 2
 * N-vectors, 16-aligned, indexed by the items' slots). l1 and the cases the blocked path does not
 * take run as before.
 *
 * @example
 * ```ts
 * ex.setDeferred(2, layout.work[w].dq); // host side: cfg.kernelPath 'auto' (1: 'deferred')
 * ```
 */
export function setDeferred(on: i32, dq: usize): void {
  DEFER = on;
  DQ = dq;
}

/**
 * 1 (the default) = a step scores consecutive examples of one user with the same negatives as
 * one group (exampleGroup) where the options allow; 0 = each example on its own (for tests and
 * benchmarks: the same maths, other rounding).
 */
export function setGrouping(on: i32): void {
  GROUPING = on != 0;
}

/** Multiplies the learning rate of P (on top of the embeddings' scale of setAttention). */
export function setUserRate(scale: f32): void {
  USERLR = scale;
}

/** Sets the learning rate of the following steps (a schedule changes it between epochs). */
export function setLearningRate(lr: f32): void {
  LR = lr;
}

/**
 * Offsets of the parameters (padded rows) and of the optimiser state (0 where unused); `ps`: the
 * bytes from one row of P (and of its optimiser state) to the next (rows of Q, K and M and of
 * their state are contiguous).
 */
export function setParams(
  p: usize, q: usize, k: usize, m: usize,
  s1p: usize, s2p: usize, s1q: usize, s2q: usize, s1k: usize, s2k: usize, s1m: usize, s2m: usize,
  ps: usize,
): void {
  P = p; Q = q; K = k; M = m; PS = ps;
  S1P = s1p; S2P = s2p; S1Q = s1q; S2Q = s2q; S1K = s1k; S2K = s2k; S1M = s1m; S2M = s2m;
}

/**
 * Offsets of this instance's gradients (zeroed by the host; rows indexed by slot, as many as rows
 * of P / Q), stamps (two i32 per row, zeroed), touched lists and scratch (scratchBytes() bytes,
 * 16-aligned). Rebases the scratch offsets once.
 */
export function setWork(gp: usize, gq: usize, gk: usize, gm: usize, stampP: usize, stampQ: usize, touchP: usize, touchQ: usize, scratch: usize): void {
  GP = gp; GQ = gq; GK = gk; GM = gm;
  STAMPP = stampP; STAMPQ = stampQ; TOUCHP = touchP; TOUCHQ = touchQ;
  PC += scratch; QC += scratch; QP += scratch; RAWQ += scratch; NRM += scratch; SS += scratch;
  AA += scratch; RR += scratch; EE += scratch; DI += scratch; HG += scratch; CT += scratch; WT += scratch; WD += scratch;
  LIST += scratch; GPL += scratch; GQL += scratch; DS0 += scratch; DS1 += scratch; DA0 += scratch; DA1 += scratch;
  KN += scratch; KC += scratch; NS += scratch; CSC += scratch; LG += scratch; DLB += scratch; BL += scratch; GQT += scratch;
  GG += scratch; HH += scratch; MPV += scratch; WV += scratch; UT += scratch; CX += scratch; DQP += scratch; SLQ += scratch;
  DVN += scratch; DVA += scratch;
  // the zero side of the blocked path: s, a, e and dl rows stay 0 (the tiles only ever store 0 there)
  memory.fill(sideRow(SS, SIDES), 0, RB);
  memory.fill(sideN(AA, SIDES), 0, NB);
  memory.fill(sideRow(RR, SIDES), 0, RB);
  memory.fill(sideRow(EE, SIDES), 0, RB);
  memory.fill(sideN(DLB, SIDES), 0, NB);
  T = 0;
  PW1 = 1;
  PW2 = 1;
}

/** Optimiser steps taken by this instance. */
export function steps(): i32 {
  return T;
}

// ---- helpers ----

// @ts-ignore: decorator
@inline function side4(base: usize, x: i32): usize {
  return base + (<usize>x << 2);
}

// @ts-ignore: decorator
@inline function side8(base: usize, x: i32): usize {
  return base + (<usize>x << 3);
}

// @ts-ignore: decorator
@inline function sideRow(base: usize, x: i32): usize {
  return base + <usize>x * RB;
}

// @ts-ignore: decorator
@inline function sideN(base: usize, x: i32): usize {
  return base + <usize>x * NB;
}

/** Copies a row, scaled into the unit ball; returns the raw norm. */
function lookUp(src: usize, dst: usize): f32 {
  let acc = f32x4.splat(0);
  for (let c: usize = 0; c < RB; c += 16) {
    const v = v128.load(src + c);
    acc = fmadd(acc, v, v);
  }
  const norm = Mathf.sqrt(hsum(acc));
  const f = f32x4.splat(norm > 1 ? 1 / norm : 1);
  for (let c: usize = 0; c < RB; c += 16) v128.store(dst + c, f32x4.mul(v128.load(src + c), f));
  return norm;
}

/**
 * eˣ in each lane: x = n·ln2 + r (Cody–Waite, |r| ≤ ln2/2), eʳ by its Taylor series to degree 7
 * (relative error < 1e-8 before rounding), 2ⁿ by exponent arithmetic; x clamped to [−87, 88].
 */
// @ts-ignore: decorator
@inline function expv(x0: v128): v128 {
  // pmin / pmax (one instruction each on x64, where min / max take several for NaN and −0)
  const x = f32x4.pmin(f32x4.pmax(x0, f32x4.splat(-87)), f32x4.splat(88));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.4426950408889634)));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375))), f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let y = f32x4.splat(1.0 / 5040);
  y = fmadd(f32x4.splat(1.0 / 720), y, r);
  y = fmadd(f32x4.splat(1.0 / 120), y, r);
  y = fmadd(f32x4.splat(1.0 / 24), y, r);
  y = fmadd(f32x4.splat(1.0 / 6), y, r);
  y = fmadd(f32x4.splat(0.5), y, r);
  y = fmadd(f32x4.splat(1), y, r);
  y = fmadd(f32x4.splat(1), y, r);
  // 2ⁿ: n + 127 is an integer in [1, 254], so n + (2²³ + 127) holds it exactly in its low
  // mantissa bits, and shifting them to the exponent gives (n + 127) << 23 without a conversion
  const scale = i32x4.shl(f32x4.add(n, f32x4.splat(8388735)), 23);
  return f32x4.mul(y, scale);
}

const LN2HI: f64 = 6.93147180369123816490e-01; // ln 2 = LN2HI + LN2LO (fdlibm's split)
const LN2LO: f64 = 1.90821492927058770002e-10;

/**
 * eˣ in f64 without tables: x = n·ln2 + r (|r| ≤ ln2/2), eʳ by its Taylor series to degree 13
 * (truncation < 1e-17), 2ⁿ by exponent bits; 0 below −708, x capped at 709.
 */
function expd(x: f64): f64 {
  if (x < -708) return 0;
  if (x > 709) x = 709;
  const n = nearest<f64>(x * 1.4426950408889634);
  const r = (x - n * LN2HI) - n * LN2LO;
  let y: f64 = 1.0 / 6227020800;
  y = y * r + 1.0 / 479001600;
  y = y * r + 1.0 / 39916800;
  y = y * r + 1.0 / 3628800;
  y = y * r + 1.0 / 362880;
  y = y * r + 1.0 / 40320;
  y = y * r + 1.0 / 5040;
  y = y * r + 1.0 / 720;
  y = y * r + 1.0 / 120;
  y = y * r + 1.0 / 24;
  y = y * r + 1.0 / 6;
  y = y * r + 0.5;
  y = y * r + 1;
  y = y * r + 1;
  return y * reinterpret<f64>(<u64>(<i64>n + 1023) << 52);
}

/**
 * ln x in f64 without tables, for normal x > 0: x = 2ᵉ·m with m in [√½, √2), ln m = 2·atanh(s),
 * s = (m − 1)/(m + 1), |s| ≤ 0.172, by its series to s¹⁹ (truncation < 1e-17).
 */
function logd(x: f64): f64 {
  const bits = reinterpret<u64>(x);
  let e = <i32>(bits >> 52) - 1023;
  let m = reinterpret<f64>((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000);
  if (m > 1.4142135623730951) {
    m *= 0.5;
    e++;
  }
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  let p: f64 = 1.0 / 19;
  p = p * s2 + 1.0 / 17;
  p = p * s2 + 1.0 / 15;
  p = p * s2 + 1.0 / 13;
  p = p * s2 + 1.0 / 11;
  p = p * s2 + 1.0 / 9;
  p = p * s2 + 1.0 / 7;
  p = p * s2 + 1.0 / 5;
  p = p * s2 + 1.0 / 3;
  p = p * s2 + 1;
  return <f64>e * LN2HI + (2 * s * p + <f64>e * LN2LO);
}

/** In place softmax of an N-vector (lanes past N are left 0). */
function softmax(a: usize): void {
  const full = <usize>(NM >> 2) << 4;
  let vx = f32x4.splat(-Infinity);
  for (let o: usize = 0; o < full; o += 16) vx = f32x4.pmax(vx, v128.load(a + o));
  let mx: f32 = max<f32>(max<f32>(f32x4.extract_lane(vx, 0), f32x4.extract_lane(vx, 1)), max<f32>(f32x4.extract_lane(vx, 2), f32x4.extract_lane(vx, 3)));
  for (let m = NM & ~3; m < NM; m++) {
    const l = load<f32>(a + (<usize>m << 2));
    if (l > mx) mx = l;
  }
  const vm = f32x4.splat(mx);
  let z = f32x4.splat(0);
  for (let o: usize = 0; o < full; o += 16) {
    const e = expv(f32x4.sub(v128.load(a + o), vm));
    v128.store(a + o, e);
    z = f32x4.add(z, e);
  }
  let zs = hsum(z);
  for (let m = NM & ~3; m < NM; m++) {
    const o = a + (<usize>m << 2);
    const e = f32x4.extract_lane(expv(f32x4.splat(load<f32>(o) - mx)), 0);
    store<f32>(o, e);
    zs += e;
  }
  const iz = f32x4.splat(1 / zs);
  for (let o: usize = 0; o < full; o += 16) v128.store(a + o, f32x4.mul(v128.load(a + o), iz));
  const is: f32 = 1 / zs;
  for (let m = NM & ~3; m < NM; m++) {
    const o = a + (<usize>m << 2);
    store<f32>(o, load<f32>(o) * is);
  }
}

/**
 * The attention input of side x for the attentions other than dot: s = p ⊙ q and ‖s‖ (cosine)
 * or v = p − q (fit).
 */
function attInput(x: i32): void {
  const pp = PP;
  const q = <usize>load<u32>(side4(QP, x));
  const sx = sideRow(SS, x);
  if (ATT >= 2) {
    for (let c: usize = 0; c < RB; c += 16) v128.store(sx + c, f32x4.sub(v128.load(pp + c), v128.load(q + c)));
    return;
  }
  let acc = f32x4.splat(0);
  for (let c: usize = 0; c < RB; c += 16) {
    const v = f32x4.mul(v128.load(pp + c), v128.load(q + c));
    v128.store(sx + c, v);
    acc = fmadd(acc, v, v);
  }
  store<f32>(side4(NS, x), Mathf.sqrt(hsum(acc)));
}

/**
 * Attentions other than dot: turns the raw products at a (Kₖ·s, or Mₖ·v for fit) into the
 * logits (kept in LG for the backward pass), then into the weights: softmax, or one-hot on the
 * first largest logit (fit-hard).
 */
function weights(a: usize, x: i32): void {
  const lg = sideN(LG, x);
  if (ATT == 1) {
    const ns = load<f32>(side4(NS, x));
    for (let m = 0; m < NM; m++) {
      const o = <usize>m << 2;
      const l = (ASCALE * load<f32>(a + o)) / (load<f32>(KN + o) * ns + COSINE_EPS);
      store<f32>(a + o, l);
      store<f32>(lg + o, l);
    }
  } else {
    const f: f32 = -1 / ATEMP;
    for (let m = 0; m < NM; m++) {
      const o = <usize>m << 2;
      const l = (<f32>2 * load<f32>(a + o) + load<f32>(KN + o)) * f;
      store<f32>(a + o, l);
      store<f32>(lg + o, l);
    }
  }
  if (ATT != 3) {
    softmax(a);
    return;
  }
  let best = 0;
  let bl = load<f32>(a);
  for (let m = 1; m < NM; m++) {
    const l = load<f32>(a + (<usize>m << 2));
    if (l > bl) {
      bl = l;
      best = m;
    }
  }
  for (let m = 0; m < NM; m++) store<f32>(a + (<usize>m << 2), m == best ? <f32>1 : <f32>0);
}

/**
 * Attentions other than dot, backward: turns dl (∂obj/∂l of side x, at da) into the coefficients
 * of the key rows in ds and in the keys' gradient (cosine wₖ = dlₖσ/(‖Kₖ‖‖s‖ + ε); fit
 * bₖ = −2 dlₖ/τₐ), adds the terms along the key row itself into KC and, for cosine, leaves the
 * ds correction along s in CSC.
 */
function dlBack(x: i32, da: usize): void {
  if (ATT == 1) {
    const ns = load<f32>(side4(NS, x));
    const lg = sideN(LG, x);
    let corr: f32 = 0;
    for (let m = 0; m < NM; m++) {
      const o = <usize>m << 2;
      const nk = load<f32>(KN + o);
      const w = (load<f32>(da + o) * ASCALE) / (nk * ns + COSINE_EPS);
      const cm = load<f32>(lg + o) / ASCALE;
      corr += w * cm * nk;
      if (nk > 0) store<f32>(KC + o, load<f32>(KC + o) + (w * cm * ns) / nk);
      store<f32>(da + o, w);
    }
    store<f32>(side4(CSC, x), ns > 0 ? -corr / ns : 0);
    return;
  }
  const f: f32 = -2 / ATEMP;
  for (let m = 0; m < NM; m++) {
    const o = <usize>m << 2;
    const b = load<f32>(da + o) * f;
    store<f32>(da + o, b);
    store<f32>(KC + o, load<f32>(KC + o) + b);
  }
}

/**
 * Per step, attentions other than dot: KN = ‖Kₖ‖ (cosine) or ‖Mₖ‖² (fit) of the current memory,
 * and KC cleared.
 */
function prepareKeys(): void {
  for (let m = 0; m < NM; m++) {
    const o = <usize>m << 2;
    const ss = rowSq((ATT == 1 ? K : M) + <usize>m * RB, RB);
    store<f32>(KN + o, ATT == 1 ? Mathf.sqrt(ss) : ss);
    store<f32>(KC + o, 0);
  }
}

/** Adds the gathered KC terms into the keys' gradient: ∂Kₖ −= KCₖ Kₖ (cosine), ∂Mₖ += KCₖ Mₖ (fit). */
function finishKeys(): void {
  const W = ATT == 1 ? K : M, G = ATT == 1 ? GK : GM;
  for (let m = 0; m < NM; m++) {
    const kc = load<f32>(KC + (<usize>m << 2));
    if (kc == 0) continue;
    const f = f32x4.splat(ATT == 1 ? -kc : kc);
    const w = W + <usize>m * RB, g = G + <usize>m * RB;
    for (let c: usize = 0; c < RB; c += 16) v128.store(g + c, fmadd(v128.load(g + c), f, v128.load(w + c)));
  }
}

/** relationCentering: every row of M minus the mean row. */
function centerM(): void {
  const inv = f32x4.splat(<f32>1 / <f32>NM);
  for (let c: usize = 0; c < RB; c += 16) {
    let acc = f32x4.splat(0);
    for (let m = 0; m < NM; m++) acc = f32x4.add(acc, v128.load(M + <usize>m * RB + c));
    const mean = f32x4.mul(acc, inv);
    for (let m = 0; m < NM; m++) {
      const o = M + <usize>m * RB + c;
      v128.store(o, f32x4.sub(v128.load(o), mean));
    }
  }
}

/**
 * S = Σ_{k≠l} cos²(Xₖ, Xₗ) over the NM padded rows of X, ‖x‖ = sqrt(Σx² + SLOT_EPS), and
 * G += weight · ∂S/∂X, ∂S/∂Xₖ = 4 Σ_{l≠k} cosₖₗ (Xₗ / (‖Xₖ‖ ‖Xₗ‖) − cosₖₗ Xₖ / ‖Xₖ‖²), a row
 * at a time (lrml-impl.ts slotCosineSquares, in float32).
 */
function slotCosines(X: usize, G: usize, weight: f32): f64 {
  for (let k = 0; k < NM; k++) store<f32>(DVN + (<usize>k << 2), Mathf.sqrt(rowSq(X + <usize>k * RB, RB) + SLOT_EPS));
  const w4 = f32x4.splat(4 * weight);
  let total: f64 = 0;
  for (let k = 0; k < NM; k++) {
    const xk = X + <usize>k * RB;
    const nk = load<f32>(DVN + (<usize>k << 2));
    memory.fill(DVA, 0, RB);
    let self: f32 = 0;
    for (let l = 0; l < NM; l++) {
      if (l == k) continue;
      const xl = X + <usize>l * RB;
      let acc = f32x4.splat(0);
      for (let c: usize = 0; c < RB; c += 16) acc = fmadd(acc, v128.load(xk + c), v128.load(xl + c));
      const inv: f32 = 1 / (nk * load<f32>(DVN + (<usize>l << 2)));
      const cos = hsum(acc) * inv;
      self += cos * cos;
      const f = f32x4.splat(cos * inv);
      for (let c: usize = 0; c < RB; c += 16) v128.store(DVA + c, fmadd(v128.load(DVA + c), f, v128.load(xl + c)));
    }
    total += <f64>self;
    const fs = f32x4.splat(self / (nk * nk));
    const gk = G + <usize>k * RB;
    for (let c: usize = 0; c < RB; c += 16) {
      const g = f32x4.sub(v128.load(DVA + c), f32x4.mul(fs, v128.load(xk + c)));
      v128.store(gk + c, fmadd(v128.load(gk + c), w4, g));
    }
  }
  return total;
}

/** The slot-diversity term of this step (λ > 0, NM ≥ 2): its gradient into GK, GM; returns its value. */
function slotDiversity(): f64 {
  const w: f64 = <f64>SLOTDIV / (<f64>NM * <f64>(NM - 1));
  return w * (slotCosines(K, GK, <f32>w) + slotCosines(M, GM, <f32>w));
}

/**
 * s, attention and relation of sides x and y in one pass over K and one over M, two memory slots
 * at a time (independent accumulators keep the SIMD units busy).
 */
function attend2(x: i32, y: i32): void {
  const pp = PP;
  const qx = <usize>load<u32>(side4(QP, x)), qy = <usize>load<u32>(side4(QP, y));
  const sx = sideRow(SS, x), sy = sideRow(SS, y);
  const ax = sideN(AA, x), ay = sideN(AA, y);
  const rx = sideRow(RR, x), ry = sideRow(RR, y);
  if (ATT == 0) {
    for (let c: usize = 0; c < RB; c += 16) {
      const pv = v128.load(pp + c);
      v128.store(sx + c, f32x4.mul(pv, v128.load(qx + c)));
      v128.store(sy + c, f32x4.mul(pv, v128.load(qy + c)));
    }
  } else {
    attInput(x);
    attInput(y);
  }
  const kb = ATT >= 2 ? M : K;
  let m = 0;
  for (; m + 1 < NM; m += 2) {
    const k0 = kb + <usize>m * RB, k1 = k0 + RB;
    let x0 = f32x4.splat(0), y0 = f32x4.splat(0), x1 = f32x4.splat(0), y1 = f32x4.splat(0);
    for (let c: usize = 0; c < RB; c += 16) {
      const kv0 = v128.load(k0 + c), kv1 = v128.load(k1 + c), svx = v128.load(sx + c), svy = v128.load(sy + c);
      x0 = fmadd(x0, kv0, svx);
      y0 = fmadd(y0, kv0, svy);
      x1 = fmadd(x1, kv1, svx);
      y1 = fmadd(y1, kv1, svy);
    }
    const o = <usize>m << 2;
    store<f32>(ax + o, hsum(x0));
    store<f32>(ay + o, hsum(y0));
    store<f32>(ax + o + 4, hsum(x1));
    store<f32>(ay + o + 4, hsum(y1));
  }
  if (m < NM) {
    const k0 = kb + <usize>m * RB;
    let x0 = f32x4.splat(0), y0 = f32x4.splat(0);
    for (let c: usize = 0; c < RB; c += 16) {
      const kv0 = v128.load(k0 + c);
      x0 = fmadd(x0, kv0, v128.load(sx + c));
      y0 = fmadd(y0, kv0, v128.load(sy + c));
    }
    store<f32>(ax + (<usize>m << 2), hsum(x0));
    store<f32>(ay + (<usize>m << 2), hsum(y0));
  }
  if (ATT == 0) {
    softmax(ax);
    softmax(ay);
  } else {
    weights(ax, x);
    weights(ay, y);
  }
  for (let c: usize = 0; c < RB; c += 16) {
    let x0 = f32x4.splat(0), y0 = f32x4.splat(0), x1 = f32x4.splat(0), y1 = f32x4.splat(0);
    let mr = M + c;
    let mm = 0;
    for (; mm + 1 < NM; mm += 2, mr += RB << 1) {
      const mv0 = v128.load(mr), mv1 = v128.load(mr + RB);
      const o = <usize>mm << 2;
      x0 = fmadd(x0, f32x4.splat(load<f32>(ax + o)), mv0);
      y0 = fmadd(y0, f32x4.splat(load<f32>(ay + o)), mv0);
      x1 = fmadd(x1, f32x4.splat(load<f32>(ax + o + 4)), mv1);
      y1 = fmadd(y1, f32x4.splat(load<f32>(ay + o + 4)), mv1);
    }
    if (mm < NM) {
      const mv0 = v128.load(mr);
      const o = <usize>mm << 2;
      x0 = fmadd(x0, f32x4.splat(load<f32>(ax + o)), mv0);
      y0 = fmadd(y0, f32x4.splat(load<f32>(ay + o)), mv0);
    }
    v128.store(rx + c, f32x4.add(x0, x1));
    v128.store(ry + c, f32x4.add(y0, y1));
  }
}

/** s, attention and relation of side x (two memory slots at a time). */
function attend1(x: i32): void {
  const pp = PP;
  const qx = <usize>load<u32>(side4(QP, x));
  const sx = sideRow(SS, x), ax = sideN(AA, x), rx = sideRow(RR, x);
  if (ATT == 0) {
    for (let c: usize = 0; c < RB; c += 16) v128.store(sx + c, f32x4.mul(v128.load(pp + c), v128.load(qx + c)));
  } else {
    attInput(x);
  }
  rowsDot(ATT >= 2 ? M : K, sx, ax);
  if (ATT == 0) softmax(ax);
  else weights(ax, x);
  for (let c: usize = 0; c < RB; c += 16) {
    let x0 = f32x4.splat(0), x1 = f32x4.splat(0);
    let mr = M + c;
    let mm = 0;
    for (; mm + 1 < NM; mm += 2, mr += RB << 1) {
      const o = <usize>mm << 2;
      x0 = fmadd(x0, f32x4.splat(load<f32>(ax + o)), v128.load(mr));
      x1 = fmadd(x1, f32x4.splat(load<f32>(ax + o + 4)), v128.load(mr + RB));
    }
    if (mm < NM) x0 = fmadd(x0, f32x4.splat(load<f32>(ax + (<usize>mm << 2))), v128.load(mr));
    v128.store(rx + c, f32x4.add(x0, x1));
  }
}

/** e = p + r − q of side x (r at `r`, or none when r = 0); returns D. */
function eSide(x: i32, r: usize): f32 {
  const pp = PP;
  const q = <usize>load<u32>(side4(QP, x));
  const e = sideRow(EE, x);
  let acc = f32x4.splat(0);
  for (let c: usize = 0; c < RB; c += 16) {
    let v = f32x4.sub(v128.load(pp + c), v128.load(q + c));
    if (r != 0) v = f32x4.add(v, v128.load(r + c));
    v128.store(e + c, v);
    acc = DIST == 2 ? f32x4.add(acc, f32x4.abs(v)) : fmadd(acc, v, v);
  }
  const s = hsum(acc);
  return DIST == 0 ? Mathf.sqrt(s + L2_DISTANCE_EPS) : s;
}

/** Turns e of side x into coef · ∂D/∂e in place. */
function deSide(x: i32, coef: f32): void {
  const e = sideRow(EE, x);
  if (DIST == 2) {
    const one = f32x4.splat(coef), zero = f32x4.splat(0);
    for (let c: usize = 0; c < RB; c += 16) {
      const v = v128.load(e + c);
      v128.store(e + c, f32x4.sub(v128.and(f32x4.gt(v, zero), one), v128.and(f32x4.lt(v, zero), one)));
    }
    return;
  }
  const cf: f32 = DIST == 1 ? 2 * coef : coef / load<f32>(side4(DI, x));
  store<f32>(side4(CX, x), cf);
  const f = f32x4.splat(cf);
  for (let c: usize = 0; c < RB; c += 16) v128.store(e + c, f32x4.mul(v128.load(e + c), f));
}

/**
 * Weighted losses: GPL += w·∂D₀/∂e (from the positive's raw e, rounded as deSide(0, w) would) +
 * ∂obj/∂e of side x (already deSide(x, −w)); ∂q_x = −∂obj/∂e of side x.
 */
function pairTerm(x: i32, w: f32): void {
  const e0 = EE, ex = sideRow(EE, x), gq = sideRow(GQL, x);
  if (DIST == 2) {
    const wv = f32x4.splat(w), zero = f32x4.splat(0);
    for (let c: usize = 0; c < RB; c += 16) {
      const v = v128.load(e0 + c), g = v128.load(ex + c);
      const s0 = f32x4.sub(v128.and(f32x4.gt(v, zero), wv), v128.and(f32x4.lt(v, zero), wv));
      v128.store(GPL + c, f32x4.add(v128.load(GPL + c), f32x4.add(s0, g)));
      v128.store(gq + c, f32x4.neg(g));
    }
    return;
  }
  const f = f32x4.splat(DIST == 1 ? 2 * w : w / load<f32>(DI));
  for (let c: usize = 0; c < RB; c += 16) {
    const g = v128.load(ex + c);
    v128.store(GPL + c, f32x4.add(v128.load(GPL + c), f32x4.add(f32x4.mul(v128.load(e0 + c), f), g)));
    v128.store(gq + c, f32x4.neg(g));
  }
}

/**
 * Backward through the relations of sides x and y (upstreams dx, dy): ∂K, ∂M, ds into DS0 / DS1;
 * two memory slots at a time.
 */
function relBack2(x: i32, y: i32, dx: usize, dy: usize): void {
  const ax = sideN(AA, x), ay = sideN(AA, y);
  const sx = sideRow(SS, x), sy = sideRow(SS, y);
  let sax: f32 = 0, say: f32 = 0;
  let m = 0;
  for (; m + 1 < NM; m += 2) {
    const o = <usize>m << 2;
    const m0 = M + <usize>m * RB, m1 = m0 + RB, g0 = GM + <usize>m * RB, g1 = g0 + RB;
    const ax0 = load<f32>(ax + o), ay0 = load<f32>(ay + o), ax1 = load<f32>(ax + o + 4), ay1 = load<f32>(ay + o + 4);
    const avx0 = f32x4.splat(ax0), avy0 = f32x4.splat(ay0), avx1 = f32x4.splat(ax1), avy1 = f32x4.splat(ay1);
    let x0 = f32x4.splat(0), y0 = f32x4.splat(0), x1 = f32x4.splat(0), y1 = f32x4.splat(0);
    for (let c: usize = 0; c < RB; c += 16) {
      const gx = v128.load(dx + c), gy = v128.load(dy + c);
      const mv0 = v128.load(m0 + c), mv1 = v128.load(m1 + c);
      x0 = fmadd(x0, mv0, gx);
      y0 = fmadd(y0, mv0, gy);
      x1 = fmadd(x1, mv1, gx);
      y1 = fmadd(y1, mv1, gy);
      v128.store(g0 + c, f32x4.add(v128.load(g0 + c), f32x4.add(f32x4.mul(avx0, gx), f32x4.mul(avy0, gy))));
      v128.store(g1 + c, f32x4.add(v128.load(g1 + c), f32x4.add(f32x4.mul(avx1, gx), f32x4.mul(avy1, gy))));
    }
    const hx0 = hsum(x0), hy0 = hsum(y0), hx1 = hsum(x1), hy1 = hsum(y1);
    store<f32>(DA0 + o, hx0);
    store<f32>(DA1 + o, hy0);
    store<f32>(DA0 + o + 4, hx1);
    store<f32>(DA1 + o + 4, hy1);
    sax += ax0 * hx0 + ax1 * hx1;
    say += ay0 * hy0 + ay1 * hy1;
  }
  if (m < NM) {
    const o = <usize>m << 2;
    const m0 = M + <usize>m * RB, g0 = GM + <usize>m * RB;
    const ax0 = load<f32>(ax + o), ay0 = load<f32>(ay + o);
    const avx0 = f32x4.splat(ax0), avy0 = f32x4.splat(ay0);
    let x0 = f32x4.splat(0), y0 = f32x4.splat(0);
    for (let c: usize = 0; c < RB; c += 16) {
      const gx = v128.load(dx + c), gy = v128.load(dy + c), mv0 = v128.load(m0 + c);
      x0 = fmadd(x0, mv0, gx);
      y0 = fmadd(y0, mv0, gy);
      v128.store(g0 + c, f32x4.add(v128.load(g0 + c), f32x4.add(f32x4.mul(avx0, gx), f32x4.mul(avy0, gy))));
    }
    const hx0 = hsum(x0), hy0 = hsum(y0);
    store<f32>(DA0 + o, hx0);
    store<f32>(DA1 + o, hy0);
    sax += ax0 * hx0;
    say += ay0 * hy0;
  }
  for (let k = 0; k < NM; k++) {
    const o = <usize>k << 2;
    store<f32>(DA0 + o, load<f32>(ax + o) * (load<f32>(DA0 + o) - sax));
    store<f32>(DA1 + o, load<f32>(ay + o) * (load<f32>(DA1 + o) - say));
  }
  if (ATT != 0) {
    dlBack(x, DA0);
    dlBack(y, DA1);
  }
  const kb = ATT >= 2 ? M : K, gkb = ATT >= 2 ? GM : GK;
  for (let c: usize = 0; c < RB; c += 16) {
    let x0 = f32x4.splat(0), y0 = f32x4.splat(0), x1 = f32x4.splat(0), y1 = f32x4.splat(0);
    const svx = v128.load(sx + c), svy = v128.load(sy + c);
    let kr = kb + c, gk = gkb + c;
    let k = 0;
    for (; k + 1 < NM; k += 2, kr += RB << 1, gk += RB << 1) {
      const o = <usize>k << 2;
      const bx0 = f32x4.splat(load<f32>(DA0 + o)), by0 = f32x4.splat(load<f32>(DA1 + o));
      const bx1 = f32x4.splat(load<f32>(DA0 + o + 4)), by1 = f32x4.splat(load<f32>(DA1 + o + 4));
      const kv0 = v128.load(kr), kv1 = v128.load(kr + RB);
      x0 = fmadd(x0, bx0, kv0);
      y0 = fmadd(y0, by0, kv0);
      x1 = fmadd(x1, bx1, kv1);
      y1 = fmadd(y1, by1, kv1);
      v128.store(gk, f32x4.add(v128.load(gk), f32x4.add(f32x4.mul(bx0, svx), f32x4.mul(by0, svy))));
      v128.store(gk + RB, f32x4.add(v128.load(gk + RB), f32x4.add(f32x4.mul(bx1, svx), f32x4.mul(by1, svy))));
    }
    if (k < NM) {
      const o = <usize>k << 2;
      const bx0 = f32x4.splat(load<f32>(DA0 + o)), by0 = f32x4.splat(load<f32>(DA1 + o));
      const kv0 = v128.load(kr);
      x0 = fmadd(x0, bx0, kv0);
      y0 = fmadd(y0, by0, kv0);
      v128.store(gk, f32x4.add(v128.load(gk), f32x4.add(f32x4.mul(bx0, svx), f32x4.mul(by0, svy))));
    }
    v128.store(DS0 + c, f32x4.add(x0, x1));
    v128.store(DS1 + c, f32x4.add(y0, y1));
  }
}

/** Backward through the relation of side x (upstream dx): ∂K, ∂M, ds into DS0; two slots at a time. */
function relBack1(x: i32, dx: usize): void {
  const ax = sideN(AA, x), sx = sideRow(SS, x);
  let sax: f32 = 0;
  let m = 0;
  for (; m + 1 < NM; m += 2) {
    const o = <usize>m << 2;
    const m0 = M + <usize>m * RB, m1 = m0 + RB, g0 = GM + <usize>m * RB, g1 = g0 + RB;
    const a0 = load<f32>(ax + o), a1 = load<f32>(ax + o + 4);
    const av0 = f32x4.splat(a0), av1 = f32x4.splat(a1);
    let x0 = f32x4.splat(0), x1 = f32x4.splat(0);
    for (let c: usize = 0; c < RB; c += 16) {
      const gx = v128.load(dx + c);
      x0 = fmadd(x0, v128.load(m0 + c), gx);
      x1 = fmadd(x1, v128.load(m1 + c), gx);
      v128.store(g0 + c, fmadd(v128.load(g0 + c), av0, gx));
      v128.store(g1 + c, fmadd(v128.load(g1 + c), av1, gx));
    }
    const h0 = hsum(x0), h1 = hsum(x1);
    store<f32>(DA0 + o, h0);
    store<f32>(DA0 + o + 4, h1);
    sax += a0 * h0 + a1 * h1;
  }
  if (m < NM) {
    const o = <usize>m << 2;
    const m0 = M + <usize>m * RB, g0 = GM + <usize>m * RB;
    const a0 = load<f32>(ax + o);
    const av0 = f32x4.splat(a0);
    let x0 = f32x4.splat(0);
    for (let c: usize = 0; c < RB; c += 16) {
      const gx = v128.load(dx + c);
      x0 = fmadd(x0, v128.load(m0 + c), gx);
      v128.store(g0 + c, fmadd(v128.load(g0 + c), av0, gx));
    }
    const h0 = hsum(x0);
    store<f32>(DA0 + o, h0);
    sax += a0 * h0;
  }
  for (let k = 0; k < NM; k++) {
    const o = <usize>k << 2;
    store<f32>(DA0 + o, load<f32>(ax + o) * (load<f32>(DA0 + o) - sax));
  }
  if (ATT != 0) dlBack(x, DA0);
  const kb = ATT >= 2 ? M : K, gkb = ATT >= 2 ? GM : GK;
  for (let c: usize = 0; c < RB; c += 16) {
    let x0 = f32x4.splat(0), x1 = f32x4.splat(0);
    const svx = v128.load(sx + c);
    let kr = kb + c, gk = gkb + c;
    let k = 0;
    for (; k + 1 < NM; k += 2, kr += RB << 1, gk += RB << 1) {
      const o = <usize>k << 2;
      const b0 = f32x4.splat(load<f32>(DA0 + o)), b1 = f32x4.splat(load<f32>(DA0 + o + 4));
      x0 = fmadd(x0, b0, v128.load(kr));
      x1 = fmadd(x1, b1, v128.load(kr + RB));
      v128.store(gk, fmadd(v128.load(gk), b0, svx));
      v128.store(gk + RB, fmadd(v128.load(gk + RB), b1, svx));
    }
    if (k < NM) {
      const b0 = f32x4.splat(load<f32>(DA0 + (<usize>k << 2)));
      x0 = fmadd(x0, b0, v128.load(kr));
      v128.store(gk, fmadd(v128.load(gk), b0, svx));
    }
    v128.store(DS0 + c, f32x4.add(x0, x1));
  }
}

/**
 * ∂p += ds ⊙ q_x ; ∂q_x += ds ⊙ p (cosine: ds plus its correction along s first; fit: ds is
 * ∂obj/∂v, ∂p += ds, ∂q_x −= ds).
 */
function embed(x: i32, ds: usize): void {
  const pp = PP;
  const q = <usize>load<u32>(side4(QP, x));
  const gq = sideRow(GQL, x);
  if (ATT >= 2) {
    for (let c: usize = 0; c < RB; c += 16) {
      const dv = v128.load(ds + c);
      v128.store(GPL + c, f32x4.add(v128.load(GPL + c), dv));
      v128.store(gq + c, f32x4.sub(v128.load(gq + c), dv));
    }
    return;
  }
  if (ATT == 1) {
    const f = f32x4.splat(load<f32>(side4(CSC, x)));
    const sx = sideRow(SS, x);
    for (let c: usize = 0; c < RB; c += 16) v128.store(ds + c, fmadd(v128.load(ds + c), f, v128.load(sx + c)));
  }
  for (let c: usize = 0; c < RB; c += 16) {
    const dv = v128.load(ds + c);
    v128.store(GPL + c, fmadd(v128.load(GPL + c), dv, v128.load(q + c)));
    v128.store(gq + c, fmadd(v128.load(gq + c), dv, v128.load(pp + c)));
  }
}

/**
 * G_row += (clip backward of g) + reg · raw: for a looked-up row with norm > 1 (y = raw / norm),
 * (g − y (y·g)) / norm, else g.
 */
function scatter(grow: usize, raw: usize, g: usize, y: usize, norm: f32, reg: f32): void {
  const rv = f32x4.splat(reg);
  if (LOOKUP && norm > 1) {
    let acc = f32x4.splat(0);
    for (let c: usize = 0; c < RB; c += 16) acc = fmadd(acc, v128.load(y + c), v128.load(g + c));
    const dot = f32x4.splat(hsum(acc)), inv = f32x4.splat(1 / norm);
    for (let c: usize = 0; c < RB; c += 16) {
      const t = f32x4.mul(f32x4.sub(v128.load(g + c), f32x4.mul(dot, v128.load(y + c))), inv);
      v128.store(grow + c, f32x4.add(v128.load(grow + c), fmadd(t, rv, v128.load(raw + c))));
    }
  } else if (reg != 0) {
    for (let c: usize = 0; c < RB; c += 16) {
      v128.store(grow + c, f32x4.add(v128.load(grow + c), fmadd(v128.load(g + c), rv, v128.load(raw + c))));
    }
  } else {
    for (let c: usize = 0; c < RB; c += 16) v128.store(grow + c, f32x4.add(v128.load(grow + c), v128.load(g + c)));
  }
}

// ---- the blocked path: every side of an example at once ----
// Dot attention with each side's own relation. With S sides (the positive and the negatives, or
// the contributing ones backward), the work of an example is a few small dense products:
// logits L = S·Kᵀ (S×N), relations R = A·M, and backward dA = G·Mᵀ, ∂M += Aᵀ·G, ∂K += dLᵀ·S,
// dS = dL·K. Tiles of three sides share every load of a K or M row; ∂K and ∂M accumulate over
// all sides in registers and are stored once per example instead of once per pair of sides.
// Lists of sides (BL) are padded to a multiple of 3 with the zero side SIDES, whose s, a, e and
// dl rows are 0, so that a tile never needs a remainder for sides.

/** out[x][k] = Kₖ · base[x] for the three sides x of a tile (W: N rows; base: side rows; out: side N-vectors). */
function rowDots3(W: usize, base: usize, out: usize, x0: i32, x1: i32, x2: i32): void {
  rowDots3At(W, sideRow(base, x0), sideRow(base, x1), sideRow(base, x2), sideN(out, x0), sideN(out, x1), sideN(out, x2));
}

/** rowDots3 on rows s0, s1, s2 into the N-vectors o0, o1, o2. */
function rowDots3At(W: usize, s0: usize, s1: usize, s2: usize, o0: usize, o1: usize, o2: usize): void {
  let m = 0;
  for (; m + 1 < NM; m += 2) {
    const k0 = W + <usize>m * RB, k1 = k0 + RB;
    let a00 = f32x4.splat(0), a10 = f32x4.splat(0), a20 = f32x4.splat(0);
    let a01 = f32x4.splat(0), a11 = f32x4.splat(0), a21 = f32x4.splat(0);
    for (let c: usize = 0; c < RB; c += 16) {
      const kv0 = v128.load(k0 + c), kv1 = v128.load(k1 + c);
      const v0 = v128.load(s0 + c), v1 = v128.load(s1 + c), v2 = v128.load(s2 + c);
      a00 = fmadd(a00, kv0, v0);
      a10 = fmadd(a10, kv0, v1);
      a20 = fmadd(a20, kv0, v2);
      a01 = fmadd(a01, kv1, v0);
      a11 = fmadd(a11, kv1, v1);
      a21 = fmadd(a21, kv1, v2);
    }
    const o = <usize>m << 2;
    store<f32>(o0 + o, hsum(a00));
    store<f32>(o1 + o, hsum(a10));
    store<f32>(o2 + o, hsum(a20));
    store<f32>(o0 + o + 4, hsum(a01));
    store<f32>(o1 + o + 4, hsum(a11));
    store<f32>(o2 + o + 4, hsum(a21));
  }
  if (m < NM) {
    const k0 = W + <usize>m * RB;
    let a00 = f32x4.splat(0), a10 = f32x4.splat(0), a20 = f32x4.splat(0);
    for (let c: usize = 0; c < RB; c += 16) {
      const kv0 = v128.load(k0 + c);
      a00 = fmadd(a00, kv0, v128.load(s0 + c));
      a10 = fmadd(a10, kv0, v128.load(s1 + c));
      a20 = fmadd(a20, kv0, v128.load(s2 + c));
    }
    const o = <usize>m << 2;
    store<f32>(o0 + o, hsum(a00));
    store<f32>(o1 + o, hsum(a10));
    store<f32>(o2 + o, hsum(a20));
  }
}

/**
 * G_k += Σₓ coef[x][k] · base[x] over the n sides listed at xs (an outer product summed over the
 * sides): two slots × three lane-blocks in registers, each stored once. Rows of G and base are
 * `row` bytes (RB: rows of d; NB: N-vectors).
 */
function outerSum(G: usize, base: usize, coef: usize, xs: usize, n: i32, row: usize): void {
  let m = 0;
  for (; m + 1 < NM; m += 2) {
    outerSlots(G, base, coef, xs, n, m, 2, row);
  }
  if (m < NM) outerSlots(G, base, coef, xs, n, m, 1, row);
}

/** outerSum for slots m (and m + 1 when two). */
// @ts-ignore: decorator
@inline function outerSlots(G: usize, base: usize, coef: usize, xs: usize, n: i32, m: i32, two: i32, row: usize): void {
  const g0 = G + <usize>m * row, g1 = two == 2 ? g0 + row : g0;
  const o = <usize>m << 2, o1 = two == 2 ? o + 4 : o;
  let c: usize = 0;
  for (; c + 32 < row; c += 48) {
    let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a02 = f32x4.splat(0);
    let a10 = f32x4.splat(0), a11 = f32x4.splat(0), a12 = f32x4.splat(0);
    for (let l = 0; l < n; l++) {
      const x = load<i32>(xs + (<usize>l << 2));
      const b = base + <usize>x * row + c, w = sideN(coef, x);
      const v0 = v128.load(b), v1 = v128.load(b + 16), v2 = v128.load(b + 32);
      const w0 = v128.load32_splat(w + o);
      a00 = fmadd(a00, w0, v0);
      a01 = fmadd(a01, w0, v1);
      a02 = fmadd(a02, w0, v2);
      if (two == 2) {
        const w1 = v128.load32_splat(w + o1);
        a10 = fmadd(a10, w1, v0);
        a11 = fmadd(a11, w1, v1);
        a12 = fmadd(a12, w1, v2);
      }
    }
    v128.store(g0 + c, f32x4.add(v128.load(g0 + c), a00));
    v128.store(g0 + c + 16, f32x4.add(v128.load(g0 + c + 16), a01));
    v128.store(g0 + c + 32, f32x4.add(v128.load(g0 + c + 32), a02));
    if (two == 2) {
      v128.store(g1 + c, f32x4.add(v128.load(g1 + c), a10));
      v128.store(g1 + c + 16, f32x4.add(v128.load(g1 + c + 16), a11));
      v128.store(g1 + c + 32, f32x4.add(v128.load(g1 + c + 32), a12));
    }
  }
  for (; c < row; c += 16) {
    let a00 = f32x4.splat(0), a10 = f32x4.splat(0);
    for (let l = 0; l < n; l++) {
      const x = load<i32>(xs + (<usize>l << 2));
      const v0 = v128.load(base + <usize>x * row + c), w = sideN(coef, x);
      a00 = fmadd(a00, v128.load32_splat(w + o), v0);
      if (two == 2) a10 = fmadd(a10, v128.load32_splat(w + o1), v0);
    }
    v128.store(g0 + c, f32x4.add(v128.load(g0 + c), a00));
    if (two == 2) v128.store(g1 + c, f32x4.add(v128.load(g1 + c), a10));
  }
}

/**
 * Σₖ coef[x][k] Wₖ of the three sides of a tile, two lane-blocks at a time: the relations
 * R[x] = Σₖ a[x][k] Mₖ (embed false, out RR, row RB), or ds = Σₖ dl[x][k] Kₖ folded at once into
 * ∂p += ds ⊙ q_x and ∂q_x += ds ⊙ p (embed true, row RB; the zero side adds 0), or on the
 * deferred path G a (embed false, W = G, out UT, row NB). Rows of W and out are `row` bytes.
 */
function combine3(W: usize, coef: usize, x0: i32, x1: i32, x2: i32, embed: bool, out: usize, row: usize): void {
  const c0 = sideN(coef, x0), c1 = sideN(coef, x1), c2 = sideN(coef, x2);
  const r0 = out + <usize>x0 * row, r1 = out + <usize>x1 * row, r2 = out + <usize>x2 * row;
  const q0 = <usize>load<u32>(side4(QP, x0)), q1 = <usize>load<u32>(side4(QP, x1)), q2 = <usize>load<u32>(side4(QP, x2));
  const l0 = sideRow(GQL, x0), l1 = sideRow(GQL, x1), l2 = sideRow(GQL, x2);
  // with DIRECTQ, ∂q_x (its direct terms in GQL plus ds ⊙ p) goes straight into the item's row of
  // GQ, rounded as scatter() would have added it; the zero side's target is its own (zero) GQL row
  const g0 = DIRECTQ ? <usize>load<u32>(side4(GQT, x0)) : l0;
  const g1 = DIRECTQ ? <usize>load<u32>(side4(GQT, x1)) : l1;
  const g2 = DIRECTQ ? <usize>load<u32>(side4(GQT, x2)) : l2;
  let c: usize = 0;
  for (; c + 16 < row; c += 32) {
    let a00 = f32x4.splat(0), a10 = f32x4.splat(0), a20 = f32x4.splat(0);
    let a01 = f32x4.splat(0), a11 = f32x4.splat(0), a21 = f32x4.splat(0);
    let wr = W + c;
    for (let m = 0; m < NM; m++, wr += row) {
      const o = <usize>m << 2;
      const wv0 = v128.load(wr), wv1 = v128.load(wr + 16);
      const w0 = v128.load32_splat(c0 + o), w1 = v128.load32_splat(c1 + o), w2 = v128.load32_splat(c2 + o);
      a00 = fmadd(a00, w0, wv0);
      a10 = fmadd(a10, w1, wv0);
      a20 = fmadd(a20, w2, wv0);
      a01 = fmadd(a01, w0, wv1);
      a11 = fmadd(a11, w1, wv1);
      a21 = fmadd(a21, w2, wv1);
    }
    if (embed) {
      embedLanes(c, a00, a10, a20, q0, q1, q2, l0, l1, l2, g0, g1, g2);
      embedLanes(c + 16, a01, a11, a21, q0, q1, q2, l0, l1, l2, g0, g1, g2);
    } else {
      v128.store(r0 + c, a00);
      v128.store(r1 + c, a10);
      v128.store(r2 + c, a20);
      v128.store(r0 + c + 16, a01);
      v128.store(r1 + c + 16, a11);
      v128.store(r2 + c + 16, a21);
    }
  }
  if (c < row) {
    let d0 = f32x4.splat(0), d1 = f32x4.splat(0), d2 = f32x4.splat(0);
    let wr = W + c;
    for (let m = 0; m < NM; m++, wr += row) {
      const o = <usize>m << 2;
      const wv0 = v128.load(wr);
      d0 = fmadd(d0, v128.load32_splat(c0 + o), wv0);
      d1 = fmadd(d1, v128.load32_splat(c1 + o), wv0);
      d2 = fmadd(d2, v128.load32_splat(c2 + o), wv0);
    }
    if (embed) {
      embedLanes(c, d0, d1, d2, q0, q1, q2, l0, l1, l2, g0, g1, g2);
    } else {
      v128.store(r0 + c, d0);
      v128.store(r1 + c, d1);
      v128.store(r2 + c, d2);
    }
  }
}

/** Lanes [c, c + 16) of combine3's embed: ∂p += Σ ds_x ⊙ q_x, ∂q_x += ds_x ⊙ p. */
// @ts-ignore: decorator
@inline function embedLanes(c: usize, d0: v128, d1: v128, d2: v128, q0: usize, q1: usize, q2: usize, l0: usize, l1: usize, l2: usize, g0: usize, g1: usize, g2: usize): void {
  const pv = v128.load(PP + c);
  const t = f32x4.add(f32x4.add(f32x4.mul(d0, v128.load(q0 + c)), f32x4.mul(d1, v128.load(q1 + c))), f32x4.mul(d2, v128.load(q2 + c)));
  v128.store(GPL + c, f32x4.add(v128.load(GPL + c), t));
  if (DIRECTQ) {
    v128.store(g0 + c, f32x4.add(v128.load(g0 + c), fmadd(v128.load(l0 + c), d0, pv)));
    v128.store(g1 + c, f32x4.add(v128.load(g1 + c), fmadd(v128.load(l1 + c), d1, pv)));
    v128.store(g2 + c, f32x4.add(v128.load(g2 + c), fmadd(v128.load(l2 + c), d2, pv)));
  } else {
    v128.store(g0 + c, fmadd(v128.load(g0 + c), d0, pv));
    v128.store(g1 + c, fmadd(v128.load(g1 + c), d1, pv));
    v128.store(g2 + c, fmadd(v128.load(g2 + c), d2, pv));
  }
}

/** Pads the n sides in BL with the zero side to a multiple of 3; returns the padded count. */
function padList(n: i32): i32 {
  let np = n;
  while (np % 3 != 0) {
    store<i32>(BL + (<usize>np << 2), SIDES);
    np++;
  }
  return np;
}

/**
 * Forward of every side of the example: s = p ⊙ q, logits, attention, relation (into SS, AA, RR);
 * on the deferred path M·p (MPV) and G a (UT) instead of the relations.
 */
function attendAll(): void {
  const pp = PP;
  store<u32>(side4(QP, SIDES), <u32>pp);
  for (let x = 0; x < SIDES; x++) {
    const q = <usize>load<u32>(side4(QP, x)), sx = sideRow(SS, x);
    for (let c: usize = 0; c < RB; c += 16) v128.store(sx + c, f32x4.mul(v128.load(pp + c), v128.load(q + c)));
    store<i32>(BL + (<usize>x << 2), x);
  }
  const np = padList(SIDES);
  for (let l = 0; l < np; l += 3) {
    const o = BL + (<usize>l << 2);
    rowDots3(K, SS, AA, load<i32>(o), load<i32>(o + 4), load<i32>(o + 8));
  }
  for (let x = 0; x < SIDES; x++) softmax(sideN(AA, x));
  if (DEFERRED) rowsDot(M, pp, MPV);
  for (let l = 0; l < np; l += 3) {
    const o = BL + (<usize>l << 2);
    if (DEFERRED) combine3(GG, AA, load<i32>(o), load<i32>(o + 4), load<i32>(o + 8), false, UT, NB); // G symmetric
    else combine3(M, AA, load<i32>(o), load<i32>(o + 4), load<i32>(o + 8), false, RR, RB);
  }
}

/** Backward through the relations and attentions of the nl sides listed at LIST (upstreams in EE). */
function relBackAll(nl: i32): void {
  if (DIRECTQ) {
    for (let x = 0; x < SIDES; x++) store<u32>(side4(GQT, x), <u32>(GQ + <usize>load<u32>(side4(SLQ, x)) * RB));
    store<u32>(side4(GQT, SIDES), <u32>sideRow(GQL, SIDES));
  }
  for (let l = 0; l < nl; l++) store<i32>(BL + (<usize>l << 2), load<i32>(LIST + (<usize>l << 2)));
  const np = padList(nl);
  if (DEFERRED) {
    deferredBack(nl);
  } else {
    for (let l = 0; l < np; l += 3) {
      const o = BL + (<usize>l << 2);
      rowDots3(M, EE, DLB, load<i32>(o), load<i32>(o + 4), load<i32>(o + 8));
    }
  }
  // softmax backward: dl = a ⊙ (dA − a·dA)
  for (let l = 0; l < nl; l++) {
    const x = load<i32>(LIST + (<usize>l << 2));
    const a = sideN(AA, x), g = sideN(DLB, x);
    let sa: f32 = 0;
    for (let k = 0; k < NM; k++) sa += load<f32>(a + (<usize>k << 2)) * load<f32>(g + (<usize>k << 2));
    for (let k = 0; k < NM; k++) {
      const o = <usize>k << 2;
      store<f32>(g + o, load<f32>(a + o) * (load<f32>(g + o) - sa));
    }
  }
  if (!DEFERRED) outerSum(GM, EE, AA, LIST, nl, RB);
  outerSum(GK, SS, DLB, LIST, nl, RB);
  for (let l = 0; l < np; l += 3) {
    const o = BL + (<usize>l << 2);
    combine3(K, DLB, load<i32>(o), load<i32>(o + 4), load<i32>(o + 8), true, RR, RB);
  }
}

// ---- the deferred path: the relation's products once per example or per item ----
// Within a step the parameters are fixed (the optimiser runs after the last example), and with
// dot attention, own relations and l2 / l2sq everything the values M touch is linear in
// e = p − q + Σₖ aₖ Mₖ. So, with G = M Mᵀ once per step, M·p once per example and M·q once per
// distinct item of the step (the pre-pass deferredBegin, into DQ):
//   D² = ‖p − q‖² + 2 a·(M·p − M·q) + aᵀ G a   (clamped at 0 against float32 cancellation)
// and backward, with ∂D/∂e = c e per side (c = 2·coef for l2sq, coef / D for l2):
//   dA = c (M·p − M·q + G a)                   (N² per side instead of G·Mᵀ)
//   ∂p += Σ c (p − q) + Mᵀ w,  w = Σₓ cₓ aₓ   (once per example)
//   ∂q += −c (p − q) − Mᵀ vᵢ,  vᵢ = Σ c a over the sides of item i (once per item, deferredEnd)
//   ∂M += w ⊗ p − Σᵢ vᵢ ⊗ qᵢ + H M,  H = Σ c a aᵀ (once per example / item / step)
// The logits S·Kᵀ, dS = dL·K and ∂K += dLᵀ·S stay per side. The lookup clip's backward is
// linear for a row of fixed norm, so an item's deferred term goes through it once (without the
// l2 term, which its sides' own scatter adds). l1 is not linear in e: it keeps the blocked path.

/** out[k] = Wₖ · x over the N rows of W, two rows at a time. */
function rowsDot(W: usize, x: usize, out: usize): void {
  let m = 0;
  for (; m + 1 < NM; m += 2) {
    const k0 = W + <usize>m * RB, k1 = k0 + RB;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
    for (let c: usize = 0; c < RB; c += 16) {
      const v = v128.load(x + c);
      a0 = fmadd(a0, v128.load(k0 + c), v);
      a1 = fmadd(a1, v128.load(k1 + c), v);
    }
    store<f32>(out + (<usize>m << 2), hsum(a0));
    store<f32>(out + (<usize>m << 2) + 4, hsum(a1));
  }
  if (m < NM) {
    const k0 = W + <usize>m * RB;
    let a0 = f32x4.splat(0);
    for (let c: usize = 0; c < RB; c += 16) a0 = fmadd(a0, v128.load(k0 + c), v128.load(x + c));
    store<f32>(out + (<usize>m << 2), hsum(a0));
  }
}

/** g += sign · Mᵀ w (a row) and ∂Mₖ += sign · wₖ x (w: an N-vector; x, g: rows). */
function memFold(w: usize, x: usize, g: usize, sign: f32): void {
  for (let c: usize = 0; c < RB; c += 16) {
    const xv = f32x4.mul(v128.load(x + c), f32x4.splat(sign));
    let acc = f32x4.splat(0);
    let mr = M + c, gr = GM + c;
    for (let k = 0; k < NM; k++, mr += RB, gr += RB) {
      const wk = v128.load32_splat(w + (<usize>k << 2));
      acc = fmadd(acc, wk, v128.load(mr));
      v128.store(gr, fmadd(v128.load(gr), wk, xv));
    }
    v128.store(g + c, sign > 0 ? f32x4.add(v128.load(g + c), acc) : f32x4.sub(v128.load(g + c), acc));
  }
}

/** Start of a step on the deferred path: G = M Mᵀ, H = 0, and per touched item M·q and v = 0. */
function deferredBegin(nQ: i32): void {
  VOFF = <usize>NITEMS * NB; // (the slots of a step's items are below NITEMS)
  let n = 0;
  memory.fill(GG, 0, <usize>NM * NB);
  memory.fill(HH, 0, <usize>NM * NB);
  for (let k = 0; k < NM; k++) {
    const mk = M + <usize>k * RB;
    for (let j = 0; j <= k; j++) {
      const g = hsum(rowDot(mk, M + <usize>j * RB));
      store<f32>(GG + <usize>k * NB + (<usize>j << 2), g);
      store<f32>(GG + <usize>j * NB + (<usize>k << 2), g);
    }
  }
  for (let r = 0; r < nQ; r++) {
    const i = load<i32>(TOUCHQ + (<usize>r << 2));
    const raw = Q + <usize>i * RB;
    let q = raw;
    if (LOOKUP) {
      lookUp(raw, DS0);
      q = DS0;
    }
    if (LOOKUP) {
      rowsDot(M, q, DQ + <usize>r * NB);
    } else {
      // three items at a time (the last tile padded by repeating an item)
      store<i32>(BL + (<usize>n << 2), r);
      n++;
      if (n == 3 || r == nQ - 1) {
        for (let l = n; l < 3; l++) store<i32>(BL + (<usize>l << 2), r);
        const r0 = <usize>load<i32>(BL), r1 = <usize>load<i32>(BL + 4), r2 = <usize>load<i32>(BL + 8);
        rowDots3At(M, Q + <usize>load<i32>(TOUCHQ + (r0 << 2)) * RB, Q + <usize>load<i32>(TOUCHQ + (r1 << 2)) * RB,
          Q + <usize>load<i32>(TOUCHQ + (r2 << 2)) * RB, DQ + r0 * NB, DQ + r1 * NB, DQ + r2 * NB);
        n = 0;
      }
    }
    memory.fill(DQ + <usize>r * NB + VOFF, 0, NB);
  }
}

// @ts-ignore: decorator
@inline function rowDot(x: usize, y: usize): v128 {
  let acc = f32x4.splat(0);
  for (let c: usize = 0; c < RB; c += 16) acc = fmadd(acc, v128.load(x + c), v128.load(y + c));
  return acc;
}

/**
 * End of a step on the deferred path: each touched item's ∂q −= Mᵀ v and ∂M −= v ⊗ q (three
 * items at a time, BL listing them, padded with a zero item); then ∂M += H M.
 */
function deferredEnd(nQ: i32): void {
  // the zero item: v = 0 (UT's row 0 is free now), q = 0 (a zeroed row of RR)
  const zv = UT, zq = sideRow(RR, 2);
  memory.fill(zv, 0, NB);
  memory.fill(zq, 0, RB);
  let n = 0;
  for (let r = 0; r < nQ; r++) {
    const v = DQ + <usize>r * NB + VOFF;
    let any = false;
    for (let k = 0; k < NM; k++) if (load<f32>(v + (<usize>k << 2)) != 0) any = true;
    if (!any) continue;
    store<i32>(BL + (<usize>n << 2), r);
    n++;
    if (n == 3) {
      itemsBack3(3);
      n = 0;
    }
  }
  if (n > 0) itemsBack3(n);
  // rows 0–2 of SS, EE and RR served as scratch: the zero side's rows (the blocked path's
  // padding) are 0 again
  memory.fill(sideRow(SS, SIDES), 0, RB);
  memory.fill(sideRow(EE, SIDES), 0, RB);
  memory.fill(sideRow(RR, SIDES), 0, RB);
  for (let k = 0; k < NM; k++) {
    const h = HH + <usize>k * NB, gk = GM + <usize>k * RB;
    for (let c: usize = 0; c < RB; c += 16) {
      let acc = f32x4.splat(0);
      let mr = M + c;
      for (let j = 0; j < NM; j++, mr += RB) acc = fmadd(acc, v128.load32_splat(h + (<usize>j << 2)), v128.load(mr));
      v128.store(gk + c, f32x4.add(v128.load(gk + c), acc));
    }
  }
}

/** deferredEnd for the n (≤ 3) items whose slots BL lists: rows of SS (q, clipped with lookup) and EE (∂q). */
function itemsBack3(n: i32): void {
  const zv = UT, zq = sideRow(RR, 2);
  let v0 = zv, v1 = zv, v2 = zv, q0 = zq, q1 = zq, q2 = zq;
  for (let l = 0; l < n; l++) {
    const r = <usize>load<i32>(BL + (<usize>l << 2));
    const raw = Q + <usize>load<i32>(TOUCHQ + (r << 2)) * RB;
    let q = raw;
    if (LOOKUP) {
      store<f32>(side4(NRM, l), lookUp(raw, sideRow(SS, l)));
      q = sideRow(SS, l);
    }
    const v = DQ + r * NB + VOFF;
    if (l == 0) { v0 = v; q0 = q; } else if (l == 1) { v1 = v; q1 = q; } else { v2 = v; q2 = q; }
  }
  const d0 = sideRow(EE, 0), d1 = sideRow(EE, 1), d2 = sideRow(EE, 2);
  for (let c: usize = 0; c < RB; c += 16) {
    const x0 = v128.load(q0 + c), x1 = v128.load(q1 + c), x2 = v128.load(q2 + c);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0);
    let mr = M + c, gr = GM + c;
    for (let k = 0; k < NM; k++, mr += RB, gr += RB) {
      const o = <usize>k << 2;
      const w0 = v128.load32_splat(v0 + o), w1 = v128.load32_splat(v1 + o), w2 = v128.load32_splat(v2 + o);
      const mv = v128.load(mr);
      a0 = fmadd(a0, w0, mv);
      a1 = fmadd(a1, w1, mv);
      a2 = fmadd(a2, w2, mv);
      const t = f32x4.add(f32x4.add(f32x4.mul(w0, x0), f32x4.mul(w1, x1)), f32x4.mul(w2, x2));
      v128.store(gr, f32x4.sub(v128.load(gr), t));
    }
    v128.store(d0 + c, f32x4.neg(a0));
    v128.store(d1 + c, f32x4.neg(a1));
    v128.store(d2 + c, f32x4.neg(a2));
  }
  for (let l = 0; l < n; l++) {
    const r = <usize>load<i32>(BL + (<usize>l << 2));
    const raw = Q + <usize>load<i32>(TOUCHQ + (r << 2)) * RB;
    const q = LOOKUP ? sideRow(SS, l) : raw;
    scatter(GQ + r * RB, raw, sideRow(EE, l), q, LOOKUP ? load<f32>(side4(NRM, l)) : 0, 0);
  }
}

/** Deferred path: p − q of side x into EE, y = M·p − M·q + G a into UT (G a there already); returns D. */
function eDeferred(x: i32): f32 {
  const pp = PP;
  const q = <usize>load<u32>(side4(QP, x));
  const e = sideRow(EE, x);
  let acc = f32x4.splat(0);
  for (let c: usize = 0; c < RB; c += 16) {
    const v = f32x4.sub(v128.load(pp + c), v128.load(q + c));
    v128.store(e + c, v);
    acc = fmadd(acc, v, v);
  }
  const a = sideN(AA, x), y = sideN(UT, x);
  const mq = <usize>load<u32>(side4(DQP, x));
  let au = f32x4.splat(0), ay = f32x4.splat(0);
  for (let o: usize = 0; o < NB; o += 16) {
    const t = v128.load(y + o); // G a (attendAll)
    const u = f32x4.sub(v128.load(MPV + o), v128.load(mq + o));
    const yv = f32x4.add(u, t);
    v128.store(y + o, yv);
    const av = v128.load(a + o);
    au = fmadd(au, av, u);
    ay = fmadd(ay, av, yv);
  }
  let s = hsum(acc) + (hsum(au) + hsum(ay));
  if (s < 0) s = 0;
  return DIST == 0 ? Mathf.sqrt(s + L2_DISTANCE_EPS) : s;
}

/**
 * Deferred path, backward of the nl sides at LIST: dA = c y into DLB, then c a into UT; w, each
 * item's v and H gather c a.
 */
function deferredBack(nl: i32): void {
  memory.fill(WV, 0, NB);
  for (let l = 0; l < nl; l++) {
    const x = load<i32>(LIST + (<usize>l << 2));
    const cv = f32x4.splat(load<f32>(side4(CX, x)));
    const a = sideN(AA, x), y = sideN(UT, x), da = sideN(DLB, x);
    const v = <usize>load<u32>(side4(DQP, x)) + VOFF;
    for (let o: usize = 0; o < NB; o += 16) {
      v128.store(da + o, f32x4.mul(cv, v128.load(y + o)));
      const ca = f32x4.mul(cv, v128.load(a + o));
      v128.store(y + o, ca);
      v128.store(WV + o, f32x4.add(v128.load(WV + o), ca));
      v128.store(v + o, f32x4.add(v128.load(v + o), ca));
    }
  }
  // H += Σₓ (c a)ₓ ⊗ aₓ, an outer product summed over the sides (rows of N-vectors)
  outerSum(HH, AA, UT, LIST, nl, NB);
}

/** Deferred path, end of an example's backward: ∂p += Mᵀ w, ∂M += w ⊗ p. */
function deferredExample(): void {
  memFold(WV, PP, GPL, 1);
}

/** Forward and (when some triplet contributes) backward of one example; returns its loss (no l2 term). */
function example(u: i32, i: i32, negs: usize): f32 {
  const rawP = P + <usize>u * PS;
  if (LOOKUP) {
    store<f32>(NRM, lookUp(rawP, PC));
    PP = PC;
  } else {
    PP = rawP;
  }
  for (let x = 0; x < SIDES; x++) {
    const row = x == 0 ? i : load<i32>(negs + (<usize>(x - 1) << 2));
    const raw = Q + <usize>row * RB;
    store<u32>(side4(RAWQ, x), <u32>raw);
    const slot = <usize>load<i32>(STAMPQ + (<usize>row << 3) + 4);
    store<u32>(side4(SLQ, x), <u32>slot);
    if (DEFERRED) store<u32>(side4(DQP, x), <u32>(DQ + slot * NB));
    if (LOOKUP) {
      const qc = sideRow(QC, x);
      store<f32>(side4(NRM, x + 1), lookUp(raw, qc));
      store<u32>(side4(QP, x), <u32>qc);
    } else {
      store<u32>(side4(QP, x), <u32>raw);
    }
  }
  // forward
  DIRECTQ = false;
  if (NM > 0) {
    if (COPY) {
      attend1(0);
    } else if (BLOCKED && ATT == 0) {
      DIRECTQ = !LOOKUP && L2 == 0;
      attendAll();
    } else {
      let x = 0;
      for (; x + 1 < SIDES; x += 2) attend2(x, x + 1);
      if (x < SIDES) attend1(x);
    }
  }
  const dfr = DEFERRED;
  const d0 = dfr ? eDeferred(0) : eSide(0, NM > 0 ? RR : 0);
  store<f32>(DI, d0);
  let best = -1; // largest positive hinge
  let bestH: f32 = 0;
  let top = 0; // largest hinge of any sign
  let topH: f32 = -Infinity;
  for (let t = 0; t < NEG; t++) {
    const x = t + 1;
    const dx = dfr ? eDeferred(x) : eSide(x, NM > 0 ? (COPY ? RR : sideRow(RR, x)) : 0);
    store<f32>(side4(DI, x), dx);
    const h = MARGIN + d0 - dx;
    store<f32>(side4(HG, t), h);
    store<i32>(side4(CT, t), 0);
    if (h > bestH) {
      bestH = h;
      best = t;
    }
    if (h > topH) {
      topH = h;
      top = t;
    }
  }
  let loss: f32 = 0;
  let cnt = 0;
  let wPos: f32 = 0; // the positive's coefficient: Σ of the kept weights
  const unit = LOSS == 0 && !RANKW; // every kept weight is 1 (the original hinge)
  if (LOSS == 0) {
    if (HARDEST) {
      if (best >= 0) {
        store<i32>(side4(CT, best), 1);
        loss = bestH;
        cnt = 1;
      }
    } else {
      for (let t = 0; t < NEG; t++) {
        const h = load<f32>(side4(HG, t));
        if (h > 0) {
          store<i32>(side4(CT, t), 1);
          loss += h;
          cnt++;
        }
      }
    }
    if (cnt == 0) return 0;
    wPos = <f32>cnt;
    if (RANKW) {
      let v = 0;
      for (let t = 0; t < NEG; t++) if (load<f32>(side4(HG, t)) > 0) v++;
      const w64 = logd(1 + <f64>(<i64>NITEMS * <i64>v / <i64>NEG));
      const w = <f32>w64;
      loss = <f32>(<f64>loss * w64);
      wPos = <f32>(<f64>cnt * w64);
      for (let t = 0; t < NEG; t++) store<f32>(side4(WT, t), w);
    }
  } else if (LOSS == 1) {
    // softplus: τ·log(1 + exp(h/τ)), weight σ(h/τ)
    let l: f64 = 0, wp: f64 = 0;
    const t0 = HARDEST ? top : 0, t1 = HARDEST ? top + 1 : NEG;
    for (let t = t0; t < t1; t++) {
      const x = <f64>load<f32>(side4(HG, t)) / TAU;
      const ex = expd(-abs<f64>(x));
      l += TAU * (max<f64>(x, 0) + logd(1 + ex));
      const w = x >= 0 ? 1 / (1 + ex) : ex / (1 + ex);
      store<i32>(side4(CT, t), 1);
      store<f32>(side4(WT, t), <f32>w);
      wp += w;
      cnt++;
    }
    loss = <f32>l;
    wPos = <f32>wp;
  } else {
    // softmax over logits −D/τ: weight of negative n = pₙ/τ
    const itau: f64 = 1 / TAU;
    const z0 = -<f64>d0 * itau;
    let zmax = z0;
    for (let t = 1; t <= NEG; t++) zmax = max<f64>(zmax, -<f64>load<f32>(side4(DI, t)) * itau);
    let z = expd(z0 - zmax);
    for (let t = 0; t < NEG; t++) {
      const ex = expd(-<f64>load<f32>(side4(DI, t + 1)) * itau - zmax);
      store<f64>(side8(WD, t), ex);
      z += ex;
    }
    loss = <f32>(logd(z) + zmax - z0);
    const f = itau / z;
    let wp: f64 = 0;
    for (let t = 0; t < NEG; t++) {
      const w = load<f64>(side8(WD, t)) * f;
      store<i32>(side4(CT, t), 1);
      store<f32>(side4(WT, t), <f32>w);
      wp += w;
    }
    wPos = <f32>wp;
    cnt = NEG;
  }

  // backward: ∂obj/∂e per contributing side, direct terms of ∂p and ∂q
  store<i32>(LIST, 0);
  let nl = 1;
  if (unit) {
    deSide(0, wPos);
    for (let t = 0; t < NEG; t++) {
      if (load<i32>(side4(CT, t)) == 0) continue;
      deSide(t + 1, -1);
      store<i32>(side4(LIST, nl), t + 1);
      nl++;
    }
    const e0 = EE;
    for (let c: usize = 0; c < RB; c += 16) {
      const v = v128.load(e0 + c);
      v128.store(GPL + c, v);
      v128.store(GQL + c, f32x4.neg(v));
    }
    for (let l = 1; l < nl; l++) {
      const x = load<i32>(side4(LIST, l));
      const e = sideRow(EE, x), gq = sideRow(GQL, x);
      for (let c: usize = 0; c < RB; c += 16) {
        const v = v128.load(e + c);
        v128.store(GPL + c, f32x4.add(v128.load(GPL + c), v));
        v128.store(gq + c, f32x4.neg(v));
      }
    }
  } else {
    // weighted: ∂p's direct term is summed per kept triplet, ωₙ·∂D⁺/∂e − ωₙ·∂D⁻ₙ/∂e, each pair
    // rounded alike, so terms that cancel exactly (l1 coordinates whose signs agree, a negative
    // equal to the positive) give 0 rather than a float32 residual that Adam would turn into a
    // full-size step (with weights 1 the plain sum above is exact already)
    for (let c: usize = 0; c < RB; c += 16) v128.store(GPL + c, f32x4.splat(0));
    for (let t = 0; t < NEG; t++) {
      if (load<i32>(side4(CT, t)) == 0) continue;
      const x = t + 1;
      const w = load<f32>(side4(WT, t));
      deSide(x, -w);
      pairTerm(x, w);
      store<i32>(side4(LIST, nl), x);
      nl++;
    }
    deSide(0, wPos);
    const e0 = EE;
    for (let c: usize = 0; c < RB; c += 16) v128.store(GQL + c, f32x4.neg(v128.load(e0 + c)));
  }
  if (NM > 0) {
    if (COPY) {
      // every contributing side's upstream flows into the positive's relation: Σ ∂obj/∂e = GPL now
      const dr = DS1;
      for (let c: usize = 0; c < RB; c += 16) v128.store(dr + c, v128.load(GPL + c));
      relBack1(0, dr);
      embed(0, DS0);
    } else if (BLOCKED && ATT == 0) {
      relBackAll(nl);
      if (dfr) deferredExample();
    } else {
      let l = 0;
      for (; l + 1 < nl; l += 2) {
        const x = load<i32>(side4(LIST, l)), y = load<i32>(side4(LIST, l + 1));
        relBack2(x, y, sideRow(EE, x), sideRow(EE, y));
        embed(x, DS0);
        embed(y, DS1);
      }
      if (l < nl) {
        const x = load<i32>(side4(LIST, l));
        relBack1(x, sideRow(EE, x));
        embed(x, DS0);
      }
    }
  }
  const reg: f32 = 2 * L2;
  scatter(GP + <usize>load<i32>(STAMPP + (<usize>u << 3) + 4) * RB, rawP, GPL, PP, load<f32>(NRM), reg * <f32>cnt);
  if (DIRECTQ) return loss; // ∂q went into GQ in combine3
  for (let l = 0; l < nl; l++) {
    const x = load<i32>(side4(LIST, l));
    const raw = <usize>load<u32>(side4(RAWQ, x));
    scatter(GQ + <usize>load<u32>(side4(SLQ, x)) * RB, raw, sideRow(GQL, x), <usize>load<u32>(side4(QP, x)), load<f32>(side4(NRM, x + 1)), x == 0 ? reg * <f32>cnt : reg);
  }
  return loss;
}

// ---- groups: positives of one user that share their negatives ----
// With negatives shared within a user's group (the sampler's shareWithin 'user'), consecutive
// examples of one user with the same NEG negatives score the same (user, negative) pairs. A group
// of ng such positives takes its ng positives and the NEG negatives once, as the sides of one
// blocked example: ng + NEG sides instead of ng·(NEG + 1). Its loss is the sum of each positive's
// own sampled softmax over those negatives, the same maths as example() one positive at a time
// (float rounding aside): a negative's upstream is the sum of its weights over the positives.
// Taken for the sampled softmax on the blocked path (dot attention, own relations) with l2 or
// l2sq, no lookup clip and no l2 penalty (DIRECTQ); anything else runs example() per positive.

/** Whether examples x and y have the same user and the same negatives. */
function sameGroup(users: usize, negs: usize, x: i32, y: i32): bool {
  if (load<i32>(users + (<usize>x << 2)) != load<i32>(users + (<usize>y << 2))) return false;
  const a = negs + (<usize>(x * NEG) << 2), b = negs + (<usize>(y * NEG) << 2);
  for (let t: usize = 0; t < <usize>NEG << 2; t += 4) if (load<i32>(a + t) != load<i32>(b + t)) return false;
  return true;
}

/** How many examples from x on (before count) form a group with x: 1 to GROUP_MAX. */
function groupLength(users: usize, negs: usize, x: i32, count: i32): i32 {
  let n = 1;
  while (n < GROUP_MAX && x + n < count && sameGroup(users, negs, x, x + n)) n++;
  return n;
}

/** Zeroes the rows of side x that the blocked path's zero side must keep at 0. */
function zeroSide(x: i32): void {
  memory.fill(sideRow(SS, x), 0, RB);
  memory.fill(sideRow(EE, x), 0, RB);
  memory.fill(sideRow(GQL, x), 0, RB);
  memory.fill(sideN(AA, x), 0, NB);
  memory.fill(sideN(DLB, x), 0, NB);
}

/**
 * The group of ng (2 to GROUP_MAX) positives of user u (i32 items at pos) sharing the NEG
 * negatives at negs: sides 0..ng−1 are the positives, ng..ng+NEG−1 the negatives. Returns the
 * summed loss of its positives.
 */
function exampleGroup(u: i32, pos: usize, ng: i32, negs: usize): f64 {
  const rawP = P + <usize>u * PS;
  PP = rawP;
  const S = ng + NEG;
  for (let x = 0; x < S; x++) {
    const row = x < ng ? load<i32>(pos + (<usize>x << 2)) : load<i32>(negs + (<usize>(x - ng) << 2));
    store<u32>(side4(QP, x), <u32>(Q + <usize>row * RB));
    store<u32>(side4(SLQ, x), <u32>load<i32>(STAMPQ + (<usize>row << 3) + 4));
  }
  SIDES = S;
  zeroSide(S);
  DIRECTQ = true;
  attendAll();
  for (let x = 0; x < S; x++) store<f32>(side4(DI, x), eSide(x, sideRow(RR, x)));
  // each positive's softmax over the logits −D/τ of itself and the negatives; the negatives'
  // exponentials once, relative to their largest logit zn
  const itau: f64 = 1 / TAU;
  let zn: f64 = -Infinity;
  for (let x = ng; x < S; x++) zn = max<f64>(zn, -<f64>load<f32>(side4(DI, x)) * itau);
  let en: f64 = 0;
  for (let x = ng; x < S; x++) {
    const ex = expd(-<f64>load<f32>(side4(DI, x)) * itau - zn);
    store<f64>(side8(WD, x), ex);
    en += ex;
  }
  let loss: f64 = 0;
  let fsum: f64 = 0; // Σ over the positives of their negatives' weight per unit of exponential
  for (let a = 0; a < ng; a++) {
    const z0 = -<f64>load<f32>(side4(DI, a)) * itau;
    const zmax = max<f64>(z0, zn);
    const sc = expd(zn - zmax); // from exponentials relative to zn to relative to zmax
    const z = expd(z0 - zmax) + sc * en;
    loss += logd(z) + zmax - z0;
    const f = sc * itau / z;
    fsum += f;
    deSide(a, <f32>(f * en)); // the positive's coefficient: the sum of its negatives' weights
  }
  for (let x = ng; x < S; x++) deSide(x, -<f32>(load<f64>(side8(WD, x)) * fsum));
  // ∂p's direct terms; each side's ∂q direct term −∂obj/∂e (into GQ with the relation's terms)
  for (let c: usize = 0; c < RB; c += 16) v128.store(GPL + c, f32x4.splat(0));
  for (let x = 0; x < S; x++) {
    store<i32>(side4(LIST, x), x);
    const e = sideRow(EE, x), gq = sideRow(GQL, x);
    for (let c: usize = 0; c < RB; c += 16) {
      const v = v128.load(e + c);
      v128.store(GPL + c, f32x4.add(v128.load(GPL + c), v));
      v128.store(gq + c, f32x4.neg(v));
    }
  }
  relBackAll(S);
  scatter(GP + <usize>load<i32>(STAMPP + (<usize>u << 3) + 4) * RB, rawP, GPL, PP, 1, 0);
  SIDES = NEG + 1;
  zeroSide(SIDES);
  return loss;
}

// ---- optimiser ----

/** Updates W[0, bytes) from G (zeroed after use); returns Σ w² of the updated values. */
function update(W: usize, G: usize, S1: usize, S2: usize, bytes: usize, lrc: f32, ibc2: f32, lr: f32): f32 {
  let ss = f32x4.splat(0);
  const zero = f32x4.splat(0), eps = f32x4.splat(EPS);
  if (OPT == 0) {
    const b1 = f32x4.splat(B1), ob1 = f32x4.splat(1 - B1), b2 = f32x4.splat(B2), ob2 = f32x4.splat(1 - B2);
    const vl = f32x4.splat(lrc), vi = f32x4.splat(ibc2);
    for (let c: usize = 0; c < bytes; c += 16) {
      const g = v128.load(G + c);
      v128.store(G + c, zero);
      const m = fmadd(f32x4.mul(b1, v128.load(S1 + c)), ob1, g);
      const v = fmadd(f32x4.mul(b2, v128.load(S2 + c)), ob2, f32x4.mul(g, g));
      v128.store(S1 + c, m);
      v128.store(S2 + c, v);
      const w = f32x4.sub(v128.load(W + c), f32x4.div(f32x4.mul(vl, m), f32x4.add(f32x4.sqrt(f32x4.mul(v, vi)), eps)));
      v128.store(W + c, w);
      ss = fmadd(ss, w, w);
    }
  } else if (OPT == 1) {
    const vl = f32x4.splat(lr);
    for (let c: usize = 0; c < bytes; c += 16) {
      const g = v128.load(G + c);
      v128.store(G + c, zero);
      const h = fmadd(v128.load(S1 + c), g, g);
      v128.store(S1 + c, h);
      const w = f32x4.sub(v128.load(W + c), f32x4.div(f32x4.mul(vl, g), f32x4.add(f32x4.sqrt(h), eps)));
      v128.store(W + c, w);
      ss = fmadd(ss, w, w);
    }
  } else {
    const vl = f32x4.splat(lr);
    for (let c: usize = 0; c < bytes; c += 16) {
      const g = v128.load(G + c);
      v128.store(G + c, zero);
      const w = f32x4.sub(v128.load(W + c), f32x4.mul(vl, g));
      v128.store(W + c, w);
      ss = fmadd(ss, w, w);
    }
  }
  return hsum(ss);
}

function updateRows(W: usize, G: usize, S1: usize, S2: usize, stride: usize, rows: usize, n: i32, lrc: f32, ibc2: f32, scale: f32): void {
  const zero = f32x4.splat(0);
  for (let r = 0; r < n; r++) {
    const o = <usize>load<i32>(rows + (<usize>r << 2)) * stride;
    const g = G + <usize>r * RB; // the gradient of the r-th touched row (its slot)
    if (scale == 0) {
      // frozen: the gradient is dropped, the row and its optimiser state are left alone
      for (let c: usize = 0; c < RB; c += 16) v128.store(g + c, zero);
      continue;
    }
    const ss = update(W + o, g, S1 + o, S2 + o, RB, lrc * scale, ibc2, LR * scale);
    if (CLIPROWS) clipToBall(W + o, RB, ss, 1);
  }
}

/**
 * Row `row` touched by step t: the first time in the step it gets slot n (stamps: step, slot) and
 * joins the list; returns the number of rows listed.
 */
// @ts-ignore: decorator
@inline function stamp(stamps: usize, list: usize, row: i32, n: i32, t: i32): i32 {
  const s = stamps + (<usize>row << 3);
  if (load<i32>(s) == t) return n;
  store<i32>(s, t);
  store<i32>(s + 4, n);
  store<i32>(list + (<usize>n << 2), row);
  return n + 1;
}

/**
 * One optimiser step on `count` examples: users / positives (i32 arrays at these offsets) and
 * negatives (NEG per example). Returns the summed loss (no l2 terms; before the update).
 */
export function step(users: usize, pos: usize, negs: usize, count: i32): f64 {
  const t = ++T;
  let nP = 0, nQ = 0;
  for (let x = 0; x < count; x++) {
    const u = load<i32>(users + (<usize>x << 2));
    nP = stamp(STAMPP, TOUCHP, u, nP, t);
    nQ = stamp(STAMPQ, TOUCHQ, load<i32>(pos + (<usize>x << 2)), nQ, t);
    const nb = negs + (<usize>(x * NEG) << 2);
    for (let y = 0; y < NEG; y++) {
      nQ = stamp(STAMPQ, TOUCHQ, load<i32>(nb + (<usize>y << 2)), nQ, t);
    }
  }
  if (NM > 0 && ATT != 0) prepareKeys();
  // groups of one user's positives sharing their negatives (exampleGroup): the sides scored
  const blocked = BLOCKED && ATT == 0 && !COPY && NM > 0;
  const groups = GROUPING && blocked && LOSS == 2 && !LOOKUP && L2 == 0 && DIST != 2;
  const every: i64 = <i64>count * SIDES;
  let sides: i64 = every;
  if (groups) {
    sides = 0;
    for (let x = 0; x < count;) {
      const n = groupLength(users, negs, x, count);
      sides += n > 1 ? n + NEG : SIDES;
      x += n;
    }
  }
  // the deferred path saves three of the blocked path's N×d products per side and pays three per
  // distinct item of the step: with DEFER == 2 (auto) it is taken when that costs less than the
  // blocked path, counting a side of the deferred path as half a blocked one and a distinct item
  // as 1.25 (2·every + 5·nQ < 4·sides). Without groups (every = sides) that is the measured
  // crossover, distinct items fewer than 0.4 of the sides (issue #18, BENCHMARKS.md "Netflix
  // scale"); with groups the deferred path scores every example on its own (every sides) and the
  // blocked path a group's negatives once (sides), so a step of users' blocks stays blocked even
  // on a catalogue that every step covers.
  DEFERRED = DEFER != 0 && blocked && DIST != 2 && (DEFER == 1 || every * 2 + <i64>nQ * 5 < sides * 4);
  if (DEFERRED) deferredBegin(nQ);
  let loss: f64 = 0;
  for (let x = 0; x < count;) {
    const o = <usize>x << 2;
    const n = groups && !DEFERRED ? groupLength(users, negs, x, count) : 1;
    const nb = negs + (<usize>(x * NEG) << 2);
    if (n > 1) loss += exampleGroup(load<i32>(users + o), pos + o, n, nb);
    else loss += <f64>example(load<i32>(users + o), load<i32>(pos + o), nb);
    x += n;
  }
  if (DEFERRED) deferredEnd(nQ);
  if (SLOTDIV > 0 && NM > 1) loss += slotDiversity();
  PW1 *= <f64>B1;
  PW2 *= <f64>B2;
  const bc1 = <f32>(1 - PW1);
  const bc2 = <f32>(1 - PW2);
  const lrc: f32 = LR / bc1, ibc2: f32 = 1 / bc2;
  updateRows(P, GP, S1P, S2P, PS, TOUCHP, nP, lrc, ibc2, EMBLR * USERLR);
  updateRows(Q, GQ, S1Q, S2Q, RB, TOUCHQ, nQ, lrc, ibc2, EMBLR);
  if (NM > 0) {
    const bytes = <usize>NM * RB;
    if (ATT == 1 || ATT == 2) finishKeys();
    update(K, GK, S1K, S2K, bytes, lrc, ibc2, LR);
    update(M, GM, S1M, S2M, bytes, lrc, ibc2, LR);
    if (CENTER) centerM();
    if (CLIPMEM) {
      for (let m = 0; m < NM; m++) {
        const o = <usize>m * RB;
        clipToBall(K + o, RB, rowSq(K + o, RB), MAXKEY);
        clipToBall(M + o, RB, rowSq(M + o, RB), 1);
      }
    }
  }
  return loss;
}

// ---- single pieces, for the cross-check against the TypeScript homes ----

/**
 * D(u, i) of one pair with the pair's own attention (the forward of the positive side of an
 * example; uses side 0 of the scratch): the twin of pairDistance in src/kernels/pair.ts.
 */
export function pairDistance(u: i32, i: i32): f32 {
  const rawP = P + <usize>u * PS;
  if (LOOKUP) {
    lookUp(rawP, PC);
    PP = PC;
  } else {
    PP = rawP;
  }
  const raw = Q + <usize>i * RB;
  if (LOOKUP) {
    lookUp(raw, QC);
    store<u32>(QP, <u32>QC);
  } else {
    store<u32>(QP, <u32>raw);
  }
  if (NM > 0) {
    if (ATT != 0) prepareKeys();
    attend1(0);
  }
  return eSide(0, NM > 0 ? RR : 0);
}

/**
 * One update of the optimiser of setOptions on the padded row(s) W[0, bytes) with gradient G
 * (zeroed) and state S1, S2, Adam's step size lrc and second-moment scale ibc2 given: the twin
 * of adamUpdate / adagradUpdate / sgdUpdate in src/kernels/optim.ts. Returns Σ w² afterwards.
 */
export function updateRow(W: usize, G: usize, S1: usize, S2: usize, bytes: usize, lrc: f32, ibc2: f32): f32 {
  return update(W, G, S1, S2, bytes, lrc, ibc2, LR);
}

/**
 * Σ_{k≠l} cos²(Xₖ, Xₗ) of the NM padded rows at X, adding weight × its gradient into G: the twin
 * of slotCosineSquares in src/kernels/lrml-impl.ts.
 */
export function slotCosineSquares(X: usize, G: usize, weight: f32): f64 {
  return slotCosines(X, G, weight);
}

/** Clips the padded row at W into the ball of radius max: the twin of clipToBall in src/kernels/clip.ts. */
export function clipRow(W: usize, max: f32): void {
  clipToBall(W, RB, rowSq(W, RB), max);
}
