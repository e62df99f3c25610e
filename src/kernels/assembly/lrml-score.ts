// @lrml-also-shared-memory (scripts/build.mjs: also built as lrml-score-shared, for scorers on a shared memory)
// Batched scoring of LRML / CML / dot-product models with WebAssembly SIMD: 16 items per block,
// one item per f32x4 lane, so every item's arithmetic is the same whatever block or list it is in
// (scoreAll and scoreList give bit-identical scores for the same user and item).
//
// Per block of 16 items the logits of every memory slot and p·q come from one small GEMM
// (rows A = [K₀⊙p; …; K_{N-1}⊙p; p] times the block's item vectors), then softmax in the lanes
// (polynomial exp), then the distance, either
//   expanded: ‖p + r − q‖² = ‖p‖² + ‖q‖² − 2 p·q + 2 Σₖ aₖ (Mₖ·p − Mₖ·q) + aᵀ G a   (G = M Mᵀ)
//   direct:   Σⱼ (pⱼ + Σₖ aₖ Mₖⱼ − qⱼ)²  (or |·| for l1; l1 is always direct)
// The host (src/kernels/scorer.ts) lays out the memory, fills the per-model tables and the per-user
// rows, and calls configure() once with the offsets. fmadd and the l2 ε come from _common.ts.
//
// Attention (setAttention; src/kernels/types.ts AttentionKind, pair.ts pairAttention): 0 = dot
// (the logits of the GEMM), 1 = cosine (the GEMM's Kₖ·s divided per lane by ‖Kₖ‖ ‖s‖ + ε, times σ;
// ‖s‖² = Σⱼ pⱼ² qⱼ² from the block), 2 = fit (no GEMM rows for the keys: the logits
// −(2 (Mₖ·p − Mₖ·q) + ‖Mₖ‖²)/τₐ come from the tables Mp and Mq), 3 = fit-hard (fit logits,
// one-hot on the first largest). KN holds ‖Kₖ‖ (cosine) or ‖Mₖ‖² (fit), filled by the host.

import { COSINE_EPS, L2_DISTANCE_EPS, fmadd } from './_common';

const B: i32 = 16; // items per block
const BB: i32 = B * 4; // bytes of one block row

let D: i32 = 0; // dim
let N: i32 = 0; // memories
let MODE: i32 = 0; // 0 = triplet expanded, 1 = triplet direct, 2 = dot product (+ bias)
let DIST: i32 = 0; // 0 = l2 (sqrt(Σe² + 1e-3)), 1 = l2sq, 2 = l1

let A_PTR: usize = 0; // (N+1) × D: rows Kₖ ⊙ p, then p
let MP_PTR: usize = 0; // N: Mₖ · p
let M_PTR: usize = 0; // N × D
let G_PTR: usize = 0; // N × N
let QT_PTR: usize = 0; // IPAD × D: item vectors, block-major (per 16 items: D rows of 16 lanes)
let MQT_PTR: usize = 0; // IPAD × N: Mₖ · q_i, block-major (per 16 items: N rows of 16 lanes)
let QQ_PTR: usize = 0; // IPAD: ‖q_i‖²
let BIAS_PTR: usize = 0; // IPAD: item bias (dot mode)
let IPAD: i32 = 0;
let QI_PTR: usize = 0; // numItems × D: item vectors, item-major (gather source)
let MQI_PTR: usize = 0; // numItems × N: Mₖ · q_i, item-major (gather source)
let L_PTR: usize = 0; // (N+1) × B scratch: logits then p·q
let AT_PTR: usize = 0; // N × B scratch: attention
let GQ_PTR: usize = 0; // D × B gathered item vectors
let GMQ_PTR: usize = 0; // N × B gathered Mₖ · q
let GQQ_PTR: usize = 0; // B gathered ‖q‖²
let GB_PTR: usize = 0; // B gathered bias
let ITEMS_PTR: usize = 0; // candidate item indices (i32)
let OUT_PTR: usize = 0; // scores out
let ATT: i32 = 0; // 0 = dot, 1 = cosine, 2 = fit, 3 = fit-hard
let ASCALE: f32 = 10; // σ of cosine
let ATEMP: f32 = 0.1; // τₐ of fit
let KN_PTR: usize = 0; // N: ‖Kₖ‖ (cosine) or ‖Mₖ‖² (fit)

/** Start of free memory for the host's allocator. */
export function heapBase(): usize {
  return __heap_base;
}

/** Sets the shapes, the mode and every table's offset (bytes). */
export function configure(
  d: i32, n: i32, mode: i32, dist: i32, ipad: i32,
  aPtr: usize, mpPtr: usize, mPtr: usize, gPtr: usize,
  qtPtr: usize, mqtPtr: usize, qqPtr: usize, biasPtr: usize,
  qiPtr: usize, mqiPtr: usize,
  lPtr: usize, atPtr: usize, gqPtr: usize, gmqPtr: usize, gqqPtr: usize, gbPtr: usize,
  itemsPtr: usize, outPtr: usize,
): void {
  D = d; N = n; MODE = mode; DIST = dist; IPAD = ipad;
  A_PTR = aPtr; MP_PTR = mpPtr; M_PTR = mPtr; G_PTR = gPtr;
  QT_PTR = qtPtr; MQT_PTR = mqtPtr; QQ_PTR = qqPtr; BIAS_PTR = biasPtr;
  QI_PTR = qiPtr; MQI_PTR = mqiPtr;
  L_PTR = lPtr; AT_PTR = atPtr; GQ_PTR = gqPtr; GMQ_PTR = gmqPtr; GQQ_PTR = gqqPtr; GB_PTR = gbPtr;
  ITEMS_PTR = itemsPtr; OUT_PTR = outPtr;
}

/**
 * Sets the attention (0 = dot, 1 = cosine, 2 = fit, 3 = fit-hard: pair.ts attentionCode), σ, τₐ
 * and the KN table's offset.
 *
 * @example
 * ```ts
 * ex.setAttention(attentionCode('cosine'), 10, 0.1, off.kn); // host side, src/kernels/scorer.ts
 * ```
 */
export function setAttention(att: i32, scale: f32, temperature: f32, knPtr: usize): void {
  ATT = att;
  ASCALE = scale;
  ATEMP = temperature;
  KN_PTR = knPtr;
}

/**
 * exp of each lane (Cody–Waite reduction, degree-6 polynomial; relative error ≈ 1e-7); inputs
 * clamped to [-87, 88]. Rounding x·log₂e to an integer is done by adding 1.5·2²³ (the integer
 * lands in the low mantissa bits), which is cheaper than nearest + trunc_sat in V8.
 */
// @ts-ignore: decorator
@inline function expv(x0: v128): v128 {
  // pmin/pmax are single instructions on x64 (min/max are NaN-propagating sequences); with the
  // input as first operand a NaN still passes through: pmax(NaN, c) = NaN
  const x = f32x4.pmin(f32x4.pmax(x0, f32x4.splat(-87.0)), f32x4.splat(88.0));
  const magic = f32x4.splat(12582912.0);
  const t = fmadd(magic, x, f32x4.splat(1.44269504088896341));
  const fx = f32x4.sub(t, magic);
  let r = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(fx, f32x4.splat(-2.12194440e-4)));
  const r2 = f32x4.mul(r, r);
  let y = f32x4.splat(1.9875691500e-4);
  y = fmadd(f32x4.splat(1.3981999507e-3), y, r);
  y = fmadd(f32x4.splat(8.3334519073e-3), y, r);
  y = fmadd(f32x4.splat(4.1665795894e-2), y, r);
  y = fmadd(f32x4.splat(1.6666665459e-1), y, r);
  y = fmadd(f32x4.splat(5.0000001201e-1), y, r);
  y = f32x4.add(fmadd(r, y, r2), f32x4.splat(1.0));
  const n = i32x4.sub(t, magic);
  const pow2 = i32x4.shl(i32x4.add(n, i32x4.splat(127)), 23);
  return f32x4.mul(y, pow2);
}

/** L[r .. r+4) = A[r .. r+4) · block (4 rows × 16 lanes). */
function gemm4(r: i32, qt: usize, qs: usize): void {
  const a0 = A_PTR + <usize>(r * D) * 4;
  const a1 = a0 + <usize>D * 4;
  const a2 = a1 + <usize>D * 4;
  const a3 = a2 + <usize>D * 4;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c22 = f32x4.splat(0), c23 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0), c32 = f32x4.splat(0), c33 = f32x4.splat(0);
  let q = qt;
  for (let j: usize = 0; j < <usize>D; j++) {
    const q0 = v128.load(q);
    const q1 = v128.load(q, 16);
    const q2 = v128.load(q, 32);
    const q3 = v128.load(q, 48);
    const s0 = v128.load32_splat(a0 + j * 4);
    c00 = fmadd(c00, s0, q0); c01 = fmadd(c01, s0, q1); c02 = fmadd(c02, s0, q2); c03 = fmadd(c03, s0, q3);
    const s1 = v128.load32_splat(a1 + j * 4);
    c10 = fmadd(c10, s1, q0); c11 = fmadd(c11, s1, q1); c12 = fmadd(c12, s1, q2); c13 = fmadd(c13, s1, q3);
    const s2 = v128.load32_splat(a2 + j * 4);
    c20 = fmadd(c20, s2, q0); c21 = fmadd(c21, s2, q1); c22 = fmadd(c22, s2, q2); c23 = fmadd(c23, s2, q3);
    const s3 = v128.load32_splat(a3 + j * 4);
    c30 = fmadd(c30, s3, q0); c31 = fmadd(c31, s3, q1); c32 = fmadd(c32, s3, q2); c33 = fmadd(c33, s3, q3);
    q += qs;
  }
  const l = L_PTR + <usize>(r * BB);
  v128.store(l, c00); v128.store(l, c01, 16); v128.store(l, c02, 32); v128.store(l, c03, 48);
  v128.store(l + BB, c10); v128.store(l + BB, c11, 16); v128.store(l + BB, c12, 32); v128.store(l + BB, c13, 48);
  v128.store(l + 2 * BB, c20); v128.store(l + 2 * BB, c21, 16); v128.store(l + 2 * BB, c22, 32); v128.store(l + 2 * BB, c23, 48);
  v128.store(l + 3 * BB, c30); v128.store(l + 3 * BB, c31, 16); v128.store(l + 3 * BB, c32, 32); v128.store(l + 3 * BB, c33, 48);
}

/** L[r .. r+3) = A[r .. r+3) · block (3 rows × 16 lanes). */
function gemm3(r: i32, qt: usize, qs: usize): void {
  const a0 = A_PTR + <usize>(r * D) * 4;
  const a1 = a0 + <usize>D * 4;
  const a2 = a1 + <usize>D * 4;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c22 = f32x4.splat(0), c23 = f32x4.splat(0);
  let q = qt;
  for (let j: usize = 0; j < <usize>D; j++) {
    const q0 = v128.load(q);
    const q1 = v128.load(q, 16);
    const q2 = v128.load(q, 32);
    const q3 = v128.load(q, 48);
    const s0 = v128.load32_splat(a0 + j * 4);
    c00 = fmadd(c00, s0, q0); c01 = fmadd(c01, s0, q1); c02 = fmadd(c02, s0, q2); c03 = fmadd(c03, s0, q3);
    const s1 = v128.load32_splat(a1 + j * 4);
    c10 = fmadd(c10, s1, q0); c11 = fmadd(c11, s1, q1); c12 = fmadd(c12, s1, q2); c13 = fmadd(c13, s1, q3);
    const s2 = v128.load32_splat(a2 + j * 4);
    c20 = fmadd(c20, s2, q0); c21 = fmadd(c21, s2, q1); c22 = fmadd(c22, s2, q2); c23 = fmadd(c23, s2, q3);
    q += qs;
  }
  const l = L_PTR + <usize>(r * BB);
  v128.store(l, c00); v128.store(l, c01, 16); v128.store(l, c02, 32); v128.store(l, c03, 48);
  v128.store(l + BB, c10); v128.store(l + BB, c11, 16); v128.store(l + BB, c12, 32); v128.store(l + BB, c13, 48);
  v128.store(l + 2 * BB, c20); v128.store(l + 2 * BB, c21, 16); v128.store(l + 2 * BB, c22, 32); v128.store(l + 2 * BB, c23, 48);
}

/** L[r .. r+2) = A[r .. r+2) · block (2 rows × 16 lanes). */
function gemm2(r: i32, qt: usize, qs: usize): void {
  const a0 = A_PTR + <usize>(r * D) * 4;
  const a1 = a0 + <usize>D * 4;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  let q = qt;
  for (let j: usize = 0; j < <usize>D; j++) {
    const q0 = v128.load(q);
    const q1 = v128.load(q, 16);
    const q2 = v128.load(q, 32);
    const q3 = v128.load(q, 48);
    const s0 = v128.load32_splat(a0 + j * 4);
    c00 = fmadd(c00, s0, q0); c01 = fmadd(c01, s0, q1); c02 = fmadd(c02, s0, q2); c03 = fmadd(c03, s0, q3);
    const s1 = v128.load32_splat(a1 + j * 4);
    c10 = fmadd(c10, s1, q0); c11 = fmadd(c11, s1, q1); c12 = fmadd(c12, s1, q2); c13 = fmadd(c13, s1, q3);
    q += qs;
  }
  const l = L_PTR + <usize>(r * BB);
  v128.store(l, c00); v128.store(l, c01, 16); v128.store(l, c02, 32); v128.store(l, c03, 48);
  v128.store(l + BB, c10); v128.store(l + BB, c11, 16); v128.store(l + BB, c12, 32); v128.store(l + BB, c13, 48);
}

/** L[r] = A[r] · block (1 row × 16 lanes). */
function gemm1(r: i32, qt: usize, qs: usize): void {
  rowTimesBlock(A_PTR + <usize>(r * D) * 4, qt, qs, L_PTR + <usize>(r * BB));
}

/** out[0 .. 16) = the D floats at a0 · block (1 row × 16 lanes; qt, qs as in gemm4). */
// @ts-ignore: decorator
@inline function rowTimesBlock(a0: usize, qt: usize, qs: usize, l: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let q = qt;
  for (let j: usize = 0; j < <usize>D; j++) {
    const s0 = v128.load32_splat(a0 + j * 4);
    c00 = fmadd(c00, s0, v128.load(q));
    c01 = fmadd(c01, s0, v128.load(q, 16));
    c02 = fmadd(c02, s0, v128.load(q, 32));
    c03 = fmadd(c03, s0, v128.load(q, 48));
    q += qs;
  }
  v128.store(l, c00); v128.store(l, c01, 16); v128.store(l, c02, 32); v128.store(l, c03, 48);
}

/**
 * Unnormalised softmax of the N logits of all 16 lanes: AT[k] = exp(L[k] − max), and
 * returns nothing; the reciprocal sums (one vector per 4 lanes) are left in inv0 .. inv3.
 */
let inv0 = f32x4.splat(0);
let inv1 = f32x4.splat(0);
let inv2 = f32x4.splat(0);
let inv3 = f32x4.splat(0);

function softmax(): void {
  let m0 = v128.load(L_PTR), m1 = v128.load(L_PTR, 16), m2 = v128.load(L_PTR, 32), m3 = v128.load(L_PTR, 48);
  for (let k: i32 = 1; k < N; k++) {
    const l = L_PTR + <usize>(k * BB);
    // a NaN logit may be skipped by pmax here, but its exp below is NaN, so the scores are NaN
    m0 = f32x4.pmax(m0, v128.load(l)); m1 = f32x4.pmax(m1, v128.load(l, 16));
    m2 = f32x4.pmax(m2, v128.load(l, 32)); m3 = f32x4.pmax(m3, v128.load(l, 48));
  }
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  for (let k: i32 = 0; k < N; k++) {
    const l = L_PTR + <usize>(k * BB);
    const a = AT_PTR + <usize>(k * BB);
    const e0 = expv(f32x4.sub(v128.load(l), m0));
    const e1 = expv(f32x4.sub(v128.load(l, 16), m1));
    const e2 = expv(f32x4.sub(v128.load(l, 32), m2));
    const e3 = expv(f32x4.sub(v128.load(l, 48), m3));
    v128.store(a, e0); v128.store(a, e1, 16); v128.store(a, e2, 32); v128.store(a, e3, 48);
    s0 = f32x4.add(s0, e0); s1 = f32x4.add(s1, e1); s2 = f32x4.add(s2, e2); s3 = f32x4.add(s3, e3);
  }
  const one = f32x4.splat(1.0);
  inv0 = f32x4.div(one, s0); inv1 = f32x4.div(one, s1); inv2 = f32x4.div(one, s2); inv3 = f32x4.div(one, s3);
}

/** Fit logits of the block: L[k] = −(2 (Mₖ·p − Mₖ·q) + ‖Mₖ‖²)/τₐ from the Mq table at mqt (stride ms per slot). */
function fitLogits(mqt: usize, ms: usize): void {
  const f = f32x4.splat(<f32>-1 / ATEMP);
  const two = f32x4.splat(2);
  for (let k: i32 = 0; k < N; k++) {
    const mp = v128.load32_splat(MP_PTR + <usize>k * 4);
    const kn = v128.load32_splat(KN_PTR + <usize>k * 4);
    const mq = mqt + <usize>k * ms;
    const l = L_PTR + <usize>(k * BB);
    for (let v: usize = 0; v < 4; v++) {
      v128.store(l + v * 16, f32x4.mul(fmadd(kn, two, f32x4.sub(mp, v128.load(mq + v * 16))), f));
    }
  }
}

/** Cosine logits of the block: L[k] = σ L[k] / (‖Kₖ‖ ‖s‖ + ε), ‖s‖² = Σⱼ pⱼ² qⱼ² per lane. */
function cosineLogits(qt: usize, qs: usize): void {
  const p = A_PTR + <usize>(N * D) * 4;
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let q = qt;
  for (let j: usize = 0; j < <usize>D; j++) {
    const pj = v128.load32_splat(p + j * 4);
    const pp = f32x4.mul(pj, pj);
    const q0 = v128.load(q), q1 = v128.load(q, 16), q2 = v128.load(q, 32), q3 = v128.load(q, 48);
    s0 = fmadd(s0, pp, f32x4.mul(q0, q0));
    s1 = fmadd(s1, pp, f32x4.mul(q1, q1));
    s2 = fmadd(s2, pp, f32x4.mul(q2, q2));
    s3 = fmadd(s3, pp, f32x4.mul(q3, q3));
    q += qs;
  }
  const n0 = f32x4.sqrt(s0), n1 = f32x4.sqrt(s1), n2 = f32x4.sqrt(s2), n3 = f32x4.sqrt(s3);
  const sc = f32x4.splat(ASCALE), eps = f32x4.splat(COSINE_EPS);
  for (let k: i32 = 0; k < N; k++) {
    const kn = v128.load32_splat(KN_PTR + <usize>k * 4);
    const l = L_PTR + <usize>(k * BB);
    v128.store(l, f32x4.div(f32x4.mul(sc, v128.load(l)), fmadd(eps, kn, n0)));
    v128.store(l, f32x4.div(f32x4.mul(sc, v128.load(l, 16)), fmadd(eps, kn, n1)), 16);
    v128.store(l, f32x4.div(f32x4.mul(sc, v128.load(l, 32)), fmadd(eps, kn, n2)), 32);
    v128.store(l, f32x4.div(f32x4.mul(sc, v128.load(l, 48)), fmadd(eps, kn, n3)), 48);
  }
}

/** One-hot attention on the first largest logit of each lane (fit-hard); inv0 .. inv3 = 1. */
function hardmax(): void {
  const one = f32x4.splat(1.0);
  for (let v: usize = 0; v < 4; v++) {
    let m = v128.load(L_PTR + v * 16);
    for (let k: i32 = 1; k < N; k++) m = f32x4.pmax(m, v128.load(L_PTR + <usize>(k * BB) + v * 16));
    let found = i32x4.splat(0);
    for (let k: i32 = 0; k < N; k++) {
      const eq = v128.andnot(f32x4.eq(v128.load(L_PTR + <usize>(k * BB) + v * 16), m), found);
      v128.store(AT_PTR + <usize>(k * BB) + v * 16, v128.and(eq, one));
      found = v128.or(found, eq);
    }
  }
  inv0 = one; inv1 = one; inv2 = one; inv3 = one;
}

/** −distance from the squared distance. */
// @ts-ignore: decorator
@inline function fromSquared(d2: v128): v128 {
  const c = f32x4.pmax(d2, f32x4.splat(0)); // NaN stays NaN
  if (DIST == 0) return f32x4.neg(f32x4.sqrt(f32x4.add(c, f32x4.splat(L2_DISTANCE_EPS))));
  return f32x4.neg(c);
}

/** −distance of 4 lanes from ‖p‖², ‖q‖², p·q and the unnormalised t1 = Σ e (Mp − Mq), rr = eᵀGe. */
// @ts-ignore: decorator
@inline function finishExpanded(pp: v128, qq: v128, pq: v128, t1: v128, rr: v128, inv: v128): v128 {
  const t = f32x4.mul(t1, inv);
  const r = f32x4.mul(f32x4.mul(rr, inv), inv);
  let d2 = f32x4.sub(f32x4.add(pp, qq), f32x4.add(pq, pq));
  d2 = f32x4.add(d2, f32x4.add(t, t));
  return fromSquared(f32x4.add(d2, r));
}

/** Scores of the 16 items of one block: item tables at qt (stride qs bytes per dim), mqt (stride ms per slot), qq, bias. */
function block(qt: usize, qs: usize, mqt: usize, ms: usize, qq: usize, bias: usize, out: usize, pp: f32): void {
  const rows = MODE == 2 ? 1 : N + 1;
  if (MODE != 2 && ATT >= 2 && N > 0) {
    // fit: only p·q from the GEMM; the logits from the Mp / Mq tables
    gemm1(N, qt, qs);
    fitLogits(mqt, ms);
  } else {
    let r = 0;
    for (; r + 4 <= rows; r += 4) gemm4(r, qt, qs);
    for (; r + 3 <= rows; r += 3) gemm3(r, qt, qs);
    for (; r + 2 <= rows; r += 2) gemm2(r, qt, qs);
    for (; r < rows; r++) gemm1(r, qt, qs);
    if (MODE != 2 && ATT == 1 && N > 0) cosineLogits(qt, qs);
  }
  const pqRow = L_PTR + <usize>((rows - 1) * BB);
  if (MODE == 2) {
    for (let v: usize = 0; v < 4; v++) {
      v128.store(out + v * 16, f32x4.add(v128.load(pqRow + v * 16), v128.load(bias + v * 16)));
    }
    return;
  }
  if (N > 0) {
    if (ATT == 3) hardmax();
    else softmax();
  } else {
    inv0 = f32x4.splat(1); inv1 = inv0; inv2 = inv0; inv3 = inv0;
  }
  if (MODE == 0 && DIST != 2) {
    // with e = unnormalised attention and a = e · inv: t1 = Σₖ aₖ (Mₖ·p − Mₖ·q), rr = aᵀ G a
    let t0 = f32x4.splat(0), t1 = f32x4.splat(0), t2 = f32x4.splat(0), t3 = f32x4.splat(0);
    let q0 = f32x4.splat(0), q1 = f32x4.splat(0), q2 = f32x4.splat(0), q3 = f32x4.splat(0);
    for (let k: i32 = 0; k < N; k++) {
      const at = AT_PTR + <usize>(k * BB);
      const e0 = v128.load(at), e1 = v128.load(at, 16), e2 = v128.load(at, 32), e3 = v128.load(at, 48);
      const mp = v128.load32_splat(MP_PTR + <usize>k * 4);
      const mq = mqt + <usize>k * ms;
      t0 = fmadd(t0, e0, f32x4.sub(mp, v128.load(mq)));
      t1 = fmadd(t1, e1, f32x4.sub(mp, v128.load(mq, 16)));
      t2 = fmadd(t2, e2, f32x4.sub(mp, v128.load(mq, 32)));
      t3 = fmadd(t3, e3, f32x4.sub(mp, v128.load(mq, 48)));
      const grow = G_PTR + <usize>(k * N) * 4;
      let i0 = f32x4.splat(0), i1 = f32x4.splat(0), i2 = f32x4.splat(0), i3 = f32x4.splat(0);
      for (let l: i32 = k + 1; l < N; l++) {
        const g = v128.load32_splat(grow + <usize>l * 4);
        const al = AT_PTR + <usize>(l * BB);
        i0 = fmadd(i0, g, v128.load(al)); i1 = fmadd(i1, g, v128.load(al, 16));
        i2 = fmadd(i2, g, v128.load(al, 32)); i3 = fmadd(i3, g, v128.load(al, 48));
      }
      const gkk = v128.load32_splat(grow + <usize>k * 4);
      q0 = fmadd(q0, e0, fmadd(f32x4.add(i0, i0), gkk, e0));
      q1 = fmadd(q1, e1, fmadd(f32x4.add(i1, i1), gkk, e1));
      q2 = fmadd(q2, e2, fmadd(f32x4.add(i2, i2), gkk, e2));
      q3 = fmadd(q3, e3, fmadd(f32x4.add(i3, i3), gkk, e3));
    }
    const ppv = f32x4.splat(pp);
    v128.store(out, finishExpanded(ppv, v128.load(qq), v128.load(pqRow), t0, q0, inv0));
    v128.store(out, finishExpanded(ppv, v128.load(qq, 16), v128.load(pqRow, 16), t1, q1, inv1), 16);
    v128.store(out, finishExpanded(ppv, v128.load(qq, 32), v128.load(pqRow, 32), t2, q2, inv2), 32);
    v128.store(out, finishExpanded(ppv, v128.load(qq, 48), v128.load(pqRow, 48), t3, q3, inv3), 48);
    return;
  }
  // direct: e = p + r − q, dimension by dimension, 16 lanes at once
  const p = A_PTR + <usize>(N * D) * 4;
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let q = qt;
  for (let j: usize = 0; j < <usize>D; j++) {
    let r0 = f32x4.splat(0), r1 = f32x4.splat(0), r2 = f32x4.splat(0), r3 = f32x4.splat(0);
    for (let k: i32 = 0; k < N; k++) {
      const mkj = v128.load32_splat(M_PTR + (<usize>(k * D) + j) * 4);
      const at = AT_PTR + <usize>(k * BB);
      r0 = fmadd(r0, mkj, v128.load(at));
      r1 = fmadd(r1, mkj, v128.load(at, 16));
      r2 = fmadd(r2, mkj, v128.load(at, 32));
      r3 = fmadd(r3, mkj, v128.load(at, 48));
    }
    const pj = v128.load32_splat(p + j * 4);
    const e0 = f32x4.sub(fmadd(pj, r0, inv0), v128.load(q));
    const e1 = f32x4.sub(fmadd(pj, r1, inv1), v128.load(q, 16));
    const e2 = f32x4.sub(fmadd(pj, r2, inv2), v128.load(q, 32));
    const e3 = f32x4.sub(fmadd(pj, r3, inv3), v128.load(q, 48));
    if (DIST == 2) {
      s0 = f32x4.add(s0, f32x4.abs(e0)); s1 = f32x4.add(s1, f32x4.abs(e1));
      s2 = f32x4.add(s2, f32x4.abs(e2)); s3 = f32x4.add(s3, f32x4.abs(e3));
    } else {
      s0 = fmadd(s0, e0, e0); s1 = fmadd(s1, e1, e1); s2 = fmadd(s2, e2, e2); s3 = fmadd(s3, e3, e3);
    }
    q += qs;
  }
  if (DIST == 2) {
    v128.store(out, f32x4.neg(s0)); v128.store(out, f32x4.neg(s1), 16);
    v128.store(out, f32x4.neg(s2), 32); v128.store(out, f32x4.neg(s3), 48);
  } else {
    v128.store(out, fromSquared(s0)); v128.store(out, fromSquared(s1), 16);
    v128.store(out, fromSquared(s2), 32); v128.store(out, fromSquared(s3), 48);
  }
}

/** Scores of items 0 .. count) (count ≤ IPAD) into OUT (padded to a multiple of 16). */
export function scoreAll(count: i32, pp: f32): void {
  for (let i: i32 = 0; i < count; i += B) {
    const o = <usize>i * 4;
    block(QT_PTR + o * <usize>D, <usize>BB, MQT_PTR + o * <usize>N, <usize>BB, QQ_PTR + o, BIAS_PTR + o, OUT_PTR + o, pp);
  }
}

/** Scores of the `count` items listed at ITEMS into OUT: each block of 16 is gathered first. */
export function scoreList(count: i32, pp: f32): void {
  for (let i: i32 = 0; i < count; i += B) {
    const m = min(B, count - i);
    for (let t: i32 = 0; t < B; t++) {
      // lanes past the end repeat the last item (their scores are not read)
      const item = load<i32>(ITEMS_PTR + <usize>(i + min(t, m - 1)) * 4);
      const src = QI_PTR + <usize>(item * D) * 4;
      const dst = GQ_PTR + <usize>t * 4;
      for (let j: i32 = 0; j < D; j++) store<f32>(dst + <usize>(j * BB), load<f32>(src + <usize>j * 4));
      const msrc = MQI_PTR + <usize>(item * N) * 4;
      for (let k: i32 = 0; k < N; k++) store<f32>(GMQ_PTR + <usize>(k * BB + t * 4), load<f32>(msrc + <usize>k * 4));
      store<f32>(GQQ_PTR + <usize>t * 4, load<f32>(QQ_PTR + <usize>item * 4));
      store<f32>(GB_PTR + <usize>t * 4, load<f32>(BIAS_PTR + <usize>item * 4));
    }
    block(GQ_PTR, <usize>BB, GMQ_PTR, <usize>BB, GQQ_PTR, GB_PTR, OUT_PTR + <usize>i * 4, pp);
  }
}

/**
 * Bounds of the scores of items 0 .. count) (count ≤ IPAD; arrays padded to a multiple of 16) for
 * the user of the last fillUserRows, from v = p + r̄ (D floats at vPtr, r̄ the mean memory value):
 * base = ‖v − q‖ from one GEMV, δ = dev(β ‖q‖) · diam with dev(b) = (N−1)(e^{2b}−1)/(2(e^{2b}+N−1))
 * (at most 1) how far a softmax of logits in [−b, b] can be from uniform (half its L1 distance), β
 * the largest ‖Kₖ ⊙ p‖; the distance lies in [base − δ, base + δ]. Each squared end is widened by
 * tol (1 + vv + ‖q‖² + pp); the scores (−distance, as fromSquared) go to lowerPtr / upperPtr.
 * QN_PTR holds ‖q_i‖ (filled by the host).
 *
 * @example
 * ```ts
 * ex.boundsAll(numItems, off.v, vv, pp, beta, diameter, tol, off.lower, off.upper); // host side
 * ```
 */
export function boundsAll(count: i32, vPtr: usize, vv: f32, pp: f32, beta: f32, diam: f32, tol: f32, qnPtr: usize, lowerPtr: usize, upperPtr: usize): void {
  const nm1 = f32x4.splat(<f32>(N - 1));
  const one = f32x4.splat(1);
  const zero = f32x4.splat(0);
  const half = f32x4.splat(0.5);
  const twoBeta = f32x4.splat(2 * beta);
  const diamv = f32x4.splat(diam * 1.0001); // the exp polynomial's error, and more
  const vvv = f32x4.splat(vv);
  const base1 = f32x4.splat(1 + vv + pp);
  const tolv = f32x4.splat(tol);
  for (let i: i32 = 0; i < count; i += B) {
    const o = <usize>i * 4;
    rowTimesBlock(vPtr, QT_PTR + o * <usize>D, <usize>BB, L_PTR);
    for (let v: usize = 0; v < 4; v++) {
      const dot = v128.load(L_PTR + v * 16);
      const qq = v128.load(QQ_PTR + o + v * 16);
      const x = expv(f32x4.mul(twoBeta, v128.load(qnPtr + o + v * 16)));
      const dev = f32x4.pmin(f32x4.div(f32x4.mul(f32x4.mul(nm1, f32x4.sub(x, one)), half), f32x4.add(x, nm1)), one);
      const delta = f32x4.mul(dev, diamv);
      const base = f32x4.sqrt(f32x4.pmax(f32x4.sub(f32x4.add(vvv, qq), f32x4.add(dot, dot)), zero));
      const t = f32x4.mul(tolv, f32x4.add(base1, qq));
      const lo = f32x4.pmax(f32x4.sub(base, delta), zero);
      const hi = f32x4.add(base, delta);
      const hi2 = f32x4.add(f32x4.mul(hi, hi), t);
      const lo2 = f32x4.pmax(f32x4.sub(f32x4.mul(lo, lo), t), zero);
      v128.store(lowerPtr + o + v * 16, fromSquared(hi2));
      v128.store(upperPtr + o + v * 16, fromSquared(lo2));
    }
  }
}
