// The LRML / CML pair forward, one home for every use: the TypeScript training kernel
// (lrml-impl.ts, per side of a training example), the TypeScript scorer (score-impl.ts), fold-in
// of a new user (foldin-impl.ts, src/models/foldin.ts), explanations (src/recommend/explain.ts)
// and the relation analysis (src/analyze/relations.ts). For looked-up rows p and q:
//   s = p ⊙ q ; a = softmax(K s) ; r = Σₘ aₘ Mₘ   (r = 0 when numMemories = 0: CML)
//   e = p + r − q ; D = dist(e)              l2: sqrt(Σe² + 1e-3), l2sq: Σe², l1: Σ|e|
// The logits K s are those of the default attention `dot`; `cosine`, `fit` and `fit-hard`
// (types.ts: AttentionKind) compute theirs in pairAttention and go back through them in
// attentionLogitsBackward.
// Float64 arithmetic on the Float32 parameters; the same pair gives the same bits in every use.
// The WASM kernels (assembly/lrml-train.ts, assembly/lrml-score.ts) compute the same in float32;
// test/kernels-crosscheck.test.ts and test/score-kernels.test.ts check them against this file.
// Pure loops; nothing allocated except by the PairUser / PairState constructors.

import type { AttentionKind, AttentionOptions, Distance } from './types.js';

export type { AttentionOptions } from './types.js';

/**
 * The ε of the `cosine` attention logits: lₖ = σ (Kₖ · s) / (‖Kₖ‖ ‖s‖ + ε).
 *
 * @example
 * ```ts
 * const l = scale * c / (keyNorm * sNorm + COSINE_ATTENTION_EPS);
 * ```
 */
export const COSINE_ATTENTION_EPS = 1e-8;

/**
 * Default σ of the `cosine` attention (its logits lie in [−σ, σ]).
 *
 * @example
 * ```ts
 * const scale = o.attentionScale ?? DEFAULT_ATTENTION_SCALE; // 10
 * ```
 */
export const DEFAULT_ATTENTION_SCALE = 10;
/**
 * Default τₐ of the `fit` and `fit-hard` attentions.
 *
 * @example
 * ```ts
 * const tau = o.attentionTemperature ?? DEFAULT_ATTENTION_TEMPERATURE; // 0.1
 * ```
 */
export const DEFAULT_ATTENTION_TEMPERATURE = 0.1;

/**
 * The attention kinds, in the order the docs and CLI list them; a kind's index is its number in
 * the WASM kernels (`setAttention`).
 *
 * @example
 * ```ts
 * ATTENTION_KINDS.indexOf('fit'); // 2
 * ```
 */
export const ATTENTION_KINDS: readonly AttentionKind[] = ['dot', 'cosine', 'fit', 'fit-hard'];

/**
 * The number of an attention kind in the WASM kernels (absent = `dot`, 0); RangeError on an
 * unknown kind.
 *
 * @example
 * ```ts
 * attentionCode('fit-hard'); // 3
 * ```
 */
export function attentionCode(kind: AttentionKind | undefined): number {
  const i = ATTENTION_KINDS.indexOf(kind ?? 'dot');
  if (i < 0) throw new RangeError(`invalid attention "${String(kind)}" (expected one of ${ATTENTION_KINDS.join(', ')})`);
  return i;
}


/**
 * The ε inside the square root of the `l2` distance: sqrt(Σe² + 1e-3), as in the authors' code.
 *
 * @example
 * ```ts
 * const D = Math.sqrt(sumOfSquares + L2_DISTANCE_EPS);
 * ```
 */
export const L2_DISTANCE_EPS = 1e-3;

/**
 * The distance from Σe² (`l2`, `l2sq`) or Σ|e| (`l1`): sqrt(acc + {@link L2_DISTANCE_EPS}) for
 * `l2`, else acc.
 *
 * @example
 * ```ts
 * finishDistance('l2', 0.999); // 1
 * ```
 */
export function finishDistance(distance: Distance, acc: number): number {
  return distance === 'l2' ? Math.sqrt(acc + L2_DISTANCE_EPS) : acc;
}

/** A[ao, ao+d) · B[bo, bo+d), four independent partial sums (faster in V8 than one chain). */
function dot(A: Float32Array, ao: number, B: Float64Array, bo: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let c = 0;
  for (; c + 3 < d; c += 4) {
    s0 += A[ao + c] * B[bo + c];
    s1 += A[ao + c + 1] * B[bo + c + 1];
    s2 += A[ao + c + 2] * B[bo + c + 2];
    s3 += A[ao + c + 3] * B[bo + c + 3];
  }
  for (; c < d; c++) s0 += A[ao + c] * B[bo + c];
  return (s0 + s1) + (s2 + s3);
}

/**
 * The memory attention a[ao, ao+n) = softmax(K s) of s = s[so, so+d) (K: n × d, row-major).
 *
 * @example
 * ```ts
 * attention(K, s, 0, dim, numMemories, a, 0);
 * ```
 */
export function attention(K: Float32Array, s: Float64Array, so: number, d: number, n: number, a: Float64Array, ao: number): void {
  for (let m = 0; m < n; m++) a[ao + m] = dot(K, m * d, s, so, d);
  softmaxInto(a, ao, n, a, ao);
}

/** a[ao, ao+n) = softmax(l[lo, lo+n)) (a may be l itself). */
function softmaxInto(l: Float64Array, lo: number, n: number, a: Float64Array, ao: number): void {
  let mx = -Infinity;
  for (let m = 0; m < n; m++) if (l[lo + m] > mx) mx = l[lo + m];
  let z = 0;
  for (let m = 0; m < n; m++) {
    const x = Math.exp(l[lo + m] - mx);
    a[ao + m] = x;
    z += x;
  }
  const iz = 1 / z;
  for (let m = 0; m < n; m++) a[ao + m] *= iz;
}

/** a[ao, ao+n) one-hot on the largest logit (the first of equal ones). */
function hardmaxInto(l: Float64Array, lo: number, n: number, a: Float64Array, ao: number): void {
  let best = 0;
  for (let m = 1; m < n; m++) if (l[lo + m] > l[lo + best]) best = m;
  for (let m = 0; m < n; m++) a[ao + m] = m === best ? 1 : 0;
}

/** Σ A[ao, ao+d)². */
function sumSq(A: Float32Array, ao: number, d: number): number {
  let s = 0;
  for (let c = 0; c < d; c++) s += A[ao + c] * A[ao + c];
  return s;
}

/**
 * The attention of one pair for any {@link AttentionOptions}: writes the attention input x
 * (x = s = p ⊙ q for `dot` / `cosine`; x = v = p − q for `fit` / `fit-hard`) at x[xo, xo+d), the
 * logits at l[lo, lo+n) and the weights at a[ao, ao+n) (softmax, or one-hot for `fit-hard`);
 * returns ‖s‖ for `cosine` (0 otherwise), which {@link attentionLogitsBackward} needs. The logits:
 * dot Kₖ·s; cosine σ (Kₖ·s) / (‖Kₖ‖ ‖s‖ + {@link COSINE_ATTENTION_EPS}); fit −(2 v·Mₖ + ‖Mₖ‖²)/τₐ
 * (= −‖p + Mₖ − q‖²/τₐ up to the per-pair constant ‖v‖²/τₐ, which the softmax ignores).
 *
 * @example
 * ```ts
 * const ns = pairAttention({ attention: 'cosine' }, K, M, p, 0, q, 0, s, 0, dim, numMemories, l, 0, a, 0);
 * ```
 */
export function pairAttention(
  o: AttentionOptions, K: Float32Array, M: Float32Array, p: Float64Array, po: number, q: Float64Array, qo: number,
  x: Float64Array, xo: number, d: number, n: number, l: Float64Array, lo: number, a: Float64Array, ao: number,
): number {
  const kind = o.attention ?? 'dot';
  let ns = 0;
  if (kind === 'fit' || kind === 'fit-hard') {
    for (let c = 0; c < d; c++) x[xo + c] = p[po + c] - q[qo + c];
    const f = -1 / (o.attentionTemperature ?? DEFAULT_ATTENTION_TEMPERATURE);
    for (let m = 0; m < n; m++) l[lo + m] = (2 * dot(M, m * d, x, xo, d) + sumSq(M, m * d, d)) * f;
  } else {
    for (let c = 0; c < d; c++) x[xo + c] = p[po + c] * q[qo + c];
    if (kind === 'cosine') {
      let ss = 0;
      for (let c = 0; c < d; c++) ss += x[xo + c] * x[xo + c];
      ns = Math.sqrt(ss);
      const scale = o.attentionScale ?? DEFAULT_ATTENTION_SCALE;
      for (let m = 0; m < n; m++) {
        l[lo + m] = (scale * dot(K, m * d, x, xo, d)) / (Math.sqrt(sumSq(K, m * d, d)) * ns + COSINE_ATTENTION_EPS);
      }
    } else {
      for (let m = 0; m < n; m++) l[lo + m] = dot(K, m * d, x, xo, d);
    }
  }
  if (kind === 'fit-hard') hardmaxInto(l, lo, n, a, ao);
  else softmaxInto(l, lo, n, a, ao);
  return ns;
}

/**
 * The backward pass of the logits of {@link pairAttention}: from dl[dlo, dlo+n) = ∂obj/∂l, writes
 * dx[dxo, dxo+d) = ∂obj/∂x (x as pairAttention left it: s, or v = p − q for fit) and, unless gKey
 * is null, adds ∂obj/∂keys into gKey (K for dot / cosine, M for fit; the fit logits' own ∂/∂M,
 * the caller adds aₖ ∂r). `ns` is what pairAttention returned. With w = dl σ / (‖Kₖ‖ ‖s‖ + ε) and
 * cₖ = lₖ/σ, cosine gives ds = Σₖ wₖ Kₖ − (Σₖ wₖ cₖ ‖Kₖ‖) s/‖s‖ and ∂Kₖ = wₖ s − wₖ cₖ (‖s‖/‖Kₖ‖) Kₖ;
 * fit, with bₖ = −2 dlₖ/τₐ: dv = Σₖ bₖ Mₖ and ∂Mₖ = bₖ (v + Mₖ). (For fit-hard dl is 0.)
 *
 * @example
 * ```ts
 * attentionLogitsBackward(o, K, M, s, 0, dim, numMemories, l, 0, ns, dl, 0, ds, 0, gK);
 * ```
 */
export function attentionLogitsBackward(
  o: AttentionOptions, K: Float32Array, M: Float32Array, x: Float64Array, xo: number, d: number, n: number,
  l: Float64Array, lo: number, ns: number, dl: Float64Array, dlo: number, dx: Float64Array, dxo: number, gKey: Float32Array | null,
): void {
  const kind = o.attention ?? 'dot';
  for (let c = 0; c < d; c++) dx[dxo + c] = 0;
  if (kind === 'fit' || kind === 'fit-hard') {
    const f = -2 / (o.attentionTemperature ?? DEFAULT_ATTENTION_TEMPERATURE);
    for (let m = 0; m < n; m++) {
      const b = dl[dlo + m] * f;
      if (b === 0) continue;
      const mo = m * d;
      for (let c = 0; c < d; c++) dx[dxo + c] += b * M[mo + c];
      if (gKey !== null) for (let c = 0; c < d; c++) gKey[mo + c] += b * (x[xo + c] + M[mo + c]);
    }
    return;
  }
  if (kind === 'dot') {
    for (let m = 0; m < n; m++) {
      const b = dl[dlo + m];
      const ko = m * d;
      for (let c = 0; c < d; c++) dx[dxo + c] += b * K[ko + c];
      if (gKey !== null) for (let c = 0; c < d; c++) gKey[ko + c] += b * x[xo + c];
    }
    return;
  }
  const scale = o.attentionScale ?? DEFAULT_ATTENTION_SCALE;
  let corr = 0;
  for (let m = 0; m < n; m++) {
    const ko = m * d;
    const nk = Math.sqrt(sumSq(K, ko, d));
    const w = (dl[dlo + m] * scale) / (nk * ns + COSINE_ATTENTION_EPS);
    if (w === 0) continue;
    const cm = l[lo + m] / scale;
    corr += w * cm * nk;
    for (let c = 0; c < d; c++) dx[dxo + c] += w * K[ko + c];
    if (gKey !== null) {
      const kf = nk > 0 ? (w * cm * ns) / nk : 0;
      for (let c = 0; c < d; c++) gKey[ko + c] += w * x[xo + c] - kf * K[ko + c];
    }
  }
  if (ns > 0) {
    const f = corr / ns;
    for (let c = 0; c < d; c++) dx[dxo + c] -= f * x[xo + c];
  }
}

/**
 * The latent relation r[ro, ro+d) = Σₘ aₘ Mₘ of the attention a[ao, ao+n) (M: n × d, row-major).
 *
 * @example
 * ```ts
 * relation(a, 0, M, dim, numMemories, r, 0);
 * ```
 */
export function relation(a: Float64Array, ao: number, M: Float32Array, d: number, n: number, r: Float64Array, ro: number): void {
  // four columns at a time in registers
  let c = 0;
  for (; c + 3 < d; c += 4) {
    let r0 = 0;
    let r1 = 0;
    let r2 = 0;
    let r3 = 0;
    for (let m = 0, o = c; m < n; m++, o += d) {
      const am = a[ao + m];
      r0 += am * M[o];
      r1 += am * M[o + 1];
      r2 += am * M[o + 2];
      r3 += am * M[o + 3];
    }
    r[ro + c] = r0;
    r[ro + c + 1] = r1;
    r[ro + c + 2] = r2;
    r[ro + c + 3] = r3;
  }
  for (; c < d; c++) {
    let r0 = 0;
    for (let m = 0; m < n; m++) r0 += a[ao + m] * M[m * d + c];
    r[ro + c] = r0;
  }
}

/**
 * e[eo, eo+d) = p + r − q (p − q when r is null) and its distance D = dist(e) (see
 * {@link finishDistance}); p, r, q read at offsets po, ro, qo.
 *
 * @example
 * ```ts
 * const D = residualDistance('l2', p, 0, r, 0, q, 0, e, 0, dim);
 * ```
 */
export function residualDistance(
  distance: Distance, p: Float64Array, po: number, r: Float64Array | null, ro: number,
  q: Float64Array, qo: number, e: Float64Array, eo: number, d: number,
): number {
  let acc = 0;
  if (r !== null) {
    for (let c = 0; c < d; c++) e[eo + c] = p[po + c] + r[ro + c] - q[qo + c];
  } else {
    for (let c = 0; c < d; c++) e[eo + c] = p[po + c] - q[qo + c];
  }
  if (distance === 'l1') {
    for (let c = 0; c < d; c++) acc += Math.abs(e[eo + c]);
    return acc;
  }
  for (let c = 0; c < d; c++) acc += e[eo + c] * e[eo + c];
  return finishDistance(distance, acc);
}

/** Shape of the triplet model a pair is scored in. */
export interface PairShape extends AttentionOptions {
  dim: number;
  /** Memory slots N (0 = CML: r = 0). */
  numMemories: number;
  distance: Distance;
}

/**
 * The user side of a pair computation: the user vector p (float64 copy), prepared once per p by
 * {@link PairUser.set} and reused for every item.
 *
 * @example
 * ```ts
 * const user = new PairUser({ dim: 32, numMemories: 8, distance: 'l2' });
 * user.set(P, u * 32, unitBallScale(P, u * 32, 32));
 * ```
 */
export class PairUser {
  /** p (after the caller's clip scale). */
  readonly p: Float64Array;
  constructor(readonly shape: PairShape) {
    this.p = new Float64Array(shape.dim);
  }
  /** Sets p = src[off .. off + d) · scale. Call again whenever p changes. */
  set(src: ArrayLike<number>, off: number, scale: number): void {
    const d = this.shape.dim;
    const p = this.p;
    for (let j = 0; j < d; j++) p[j] = src[off + j] * scale;
  }
}

/**
 * The per-pair state {@link pairDistance} leaves behind: the item vector q (d), s = p ⊙ q (d; the
 * attention input v = p − q for the `fit` attentions), attention a (N), relation r (d),
 * e = p + r − q (d; ∂D/∂e after {@link pairDistanceGrad}), scratch h (N); for the attentions other
 * than `dot` also the logits l (N), ‖s‖ (`cosine`) and scratch ds (d).
 *
 * @example
 * ```ts
 * const pair = new PairState({ dim: 32, numMemories: 8, distance: 'l2' });
 * ```
 */
export class PairState {
  readonly q: Float64Array;
  readonly s: Float64Array;
  readonly a: Float64Array;
  readonly r: Float64Array;
  readonly e: Float64Array;
  readonly h: Float64Array;
  readonly l: Float64Array;
  readonly ds: Float64Array;
  /** ‖s‖ of the last pair (`cosine` attention). */
  ns = 0;
  constructor(readonly shape: PairShape) {
    const d = shape.dim;
    const n = shape.numMemories;
    this.l = new Float64Array(n);
    this.ds = new Float64Array(d);
    this.q = new Float64Array(d);
    this.s = new Float64Array(d);
    this.a = new Float64Array(n);
    this.r = new Float64Array(d);
    this.e = new Float64Array(d);
    this.h = new Float64Array(n);
  }
}

/**
 * D(p, q) = dist(p + r − q), r = Σₖ softmax(K (p ⊙ q))ₖ Mₖ (r = 0 when N = 0), with p from
 * `user` and q the item row Q[qo .. qo + d) times `qs` (its lookup clip scale, 1 otherwise): the
 * pair forward of the file header. Leaves q, s, the attention, relation and e in `pair` (for
 * explanations and for {@link pairDistanceGrad}).
 *
 * @example
 * ```ts
 * user.set(p, 0, 1);
 * const D = pairDistance(user, pair, Q, i * dim, 1, K, M);
 * pair.a; // attention over the memory slots
 * ```
 */
export function pairDistance(user: PairUser, pair: PairState, Q: Float32Array, qo: number, qs: number, K: Float32Array, M: Float32Array): number {
  const shape = pair.shape;
  const { dim: d, numMemories: n, distance } = shape;
  const p = user.p;
  const { q, s, a, r, e } = pair;
  for (let j = 0; j < d; j++) q[j] = Q[qo + j] * qs;
  if (n === 0) {
    r.fill(0);
    return residualDistance(distance, p, 0, null, 0, q, 0, e, 0, d);
  }
  if ((shape.attention ?? 'dot') === 'dot') {
    for (let j = 0; j < d; j++) s[j] = p[j] * q[j];
    attention(K, s, 0, d, n, a, 0);
  } else {
    pair.ns = pairAttention(shape, K, M, p, 0, q, 0, s, 0, d, n, pair.l, 0, a, 0);
  }
  relation(a, 0, M, d, n, r, 0);
  return residualDistance(distance, p, 0, r, 0, q, 0, e, 0, d);
}

/**
 * The backward pass of {@link pairDistance}: adds `scale` · ∂D/∂p into `grad` (through e and
 * through the attention; q, K, M are constants), reading the state the last pairDistance call left
 * in `pair` and its result D. Lets a caller pay for the gradient only when it is needed (e.g. an
 * active hinge). Overwrites pair.e with ∂D/∂e.
 *
 * @example
 * ```ts
 * const D = pairDistance(user, pair, Q, j * dim, 1, K, M);
 * if (margin + Dpos - D > 0) pairDistanceGrad(pair, K, M, D, grad, -1);
 * ```
 */
export function pairDistanceGrad(pair: PairState, K: Float32Array, M: Float32Array, D: number, grad: Float64Array, scale: number): void {
  const { dim: d, numMemories: n, distance } = pair.shape;
  const { a, e, q, h } = pair;
  // g = ∂D/∂e, kept in e from here on
  if (distance === 'l2') {
    const inv = 1 / D;
    for (let j = 0; j < d; j++) e[j] *= inv;
  } else if (distance === 'l2sq') {
    for (let j = 0; j < d; j++) e[j] *= 2;
  } else {
    for (let j = 0; j < d; j++) e[j] = e[j] > 0 ? 1 : e[j] < 0 ? -1 : 0;
  }
  for (let j = 0; j < d; j++) grad[j] += scale * e[j];
  if (n === 0) return;
  const kind = pair.shape.attention ?? 'dot';
  if (kind === 'fit-hard') return; // one-hot attention: no gradient through the choice
  // h_k = M_k · g; ∂D/∂l_k = a_k (h_k − Σ a h)
  let hbar = 0;
  for (let k = 0; k < n; k++) {
    let t = 0;
    const mo = k * d;
    for (let j = 0; j < d; j++) t += M[mo + j] * e[j];
    h[k] = t;
    hbar += a[k] * t;
  }
  if (kind !== 'dot') {
    // back through the logits of the other attentions
    for (let k = 0; k < n; k++) h[k] = a[k] * (h[k] - hbar) * scale;
    const ds = pair.ds;
    attentionLogitsBackward(pair.shape, K, M, pair.s, 0, d, n, pair.l, 0, pair.ns, h, 0, ds, 0, null);
    if (kind === 'fit') for (let j = 0; j < d; j++) grad[j] += ds[j];
    else for (let j = 0; j < d; j++) grad[j] += ds[j] * q[j];
    return;
  }
  // dot: ∂l_k/∂p_j = K_kj q_j
  for (let k = 0; k < n; k++) {
    const b = a[k] * (h[k] - hbar) * scale;
    if (b === 0) continue;
    const ko = k * d;
    for (let j = 0; j < d; j++) grad[j] += b * K[ko + j] * q[j];
  }
}
