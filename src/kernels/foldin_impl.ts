// Per-pair loops used by the product API: the LRML / CML distance of one (p, q) pair with its
// attention and relation vector, and the gradient of that distance with respect to p only (fold-in
// of a new user with every other parameter frozen). Float64 arithmetic, no allocation; imports only
// kernel types.

import type { Distance } from './types.js';

/** Shape of the triplet model a pair is scored in. */
export interface PairShape {
  dim: number;
  /** Memory slots N (0 = CML: r = 0). */
  numMemories: number;
  distance: Distance;
}

/**
 * The user side of a pair computation: the user vector p (float64 copy) and K ⊙ p, prepared once
 * per p by {@link PairUser.set} and reused for every item.
 *
 * @example
 * ```ts
 * const user = new PairUser({ dim: 32, numMemories: 8, distance: 'l2' });
 * user.set(P, u * 32, K, 1);
 * ```
 */
export class PairUser {
  /** p (after the caller's clip scale). */
  readonly p: Float64Array;
  /** N × d: K_kj · p_j. */
  readonly kp: Float64Array;
  constructor(readonly shape: PairShape) {
    this.p = new Float64Array(shape.dim);
    this.kp = new Float64Array(shape.numMemories * shape.dim);
  }
  /** Sets p = src[off .. off + d) · scale and recomputes K ⊙ p. Call again whenever p changes. */
  set(src: ArrayLike<number>, off: number, K: Float32Array, scale: number): void {
    const d = this.shape.dim;
    const n = this.shape.numMemories;
    const p = this.p;
    const kp = this.kp;
    for (let j = 0; j < d; j++) p[j] = src[off + j] * scale;
    for (let k = 0; k < n; k++) {
      const ko = k * d;
      for (let j = 0; j < d; j++) kp[ko + j] = K[ko + j] * p[j];
    }
  }
}

/**
 * The per-pair state {@link pairDistance} leaves behind: attention a (N), relation r (d),
 * e = p + r − q (d; ∂D/∂e after {@link pairDistanceGrad}), the item vector q (d), scratch h (N).
 *
 * @example
 * ```ts
 * const pair = new PairState({ dim: 32, numMemories: 8, distance: 'l2' });
 * ```
 */
export class PairState {
  readonly a: Float64Array;
  readonly r: Float64Array;
  readonly e: Float64Array;
  readonly q: Float64Array;
  readonly h: Float64Array;
  constructor(readonly shape: PairShape) {
    const d = shape.dim;
    const n = shape.numMemories;
    this.a = new Float64Array(n);
    this.r = new Float64Array(d);
    this.e = new Float64Array(d);
    this.q = new Float64Array(d);
    this.h = new Float64Array(n);
  }
}

/**
 * D(p, q) = dist(p + r − q), r = Σₖ softmax(K (p ⊙ q))ₖ Mₖ (r = 0 when N = 0), with p from
 * `user` and q the item row Q[qo .. qo + d) times `qs` (its lookup clip scale, 1 otherwise); dist
 * is the model's distance (`l2` = sqrt(Σe² + 1e-3), `l2sq` = Σe², `l1` = Σ|e|). Leaves the
 * attention, relation, e and q in `pair` (for explanations and for {@link pairDistanceGrad}).
 *
 * @example
 * ```ts
 * user.set(p, 0, K, 1);
 * const D = pairDistance(user, pair, Q, i * dim, 1, M);
 * pair.a; // attention over the memory slots
 * ```
 */
export function pairDistance(user: PairUser, pair: PairState, Q: Float32Array, qo: number, qs: number, M: Float32Array): number {
  const { dim: d, numMemories: n, distance } = user.shape;
  const p = user.p;
  const kp = user.kp;
  const { a, r, e, q } = pair;
  for (let j = 0; j < d; j++) q[j] = Q[qo + j] * qs;
  r.fill(0);
  if (n > 0) {
    let mx = -Infinity;
    for (let k = 0; k < n; k++) {
      let l = 0;
      const ko = k * d;
      for (let j = 0; j < d; j++) l += kp[ko + j] * q[j];
      a[k] = l;
      if (l > mx) mx = l;
    }
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const x = Math.exp(a[k] - mx);
      a[k] = x;
      sum += x;
    }
    const inv = 1 / sum;
    for (let k = 0; k < n; k++) {
      const ak = a[k] * inv;
      a[k] = ak;
      const mo = k * d;
      for (let j = 0; j < d; j++) r[j] += ak * M[mo + j];
    }
  }
  let acc = 0;
  if (distance === 'l1') {
    for (let j = 0; j < d; j++) {
      const x = p[j] + r[j] - q[j];
      e[j] = x;
      acc += Math.abs(x);
    }
    return acc;
  }
  for (let j = 0; j < d; j++) {
    const x = p[j] + r[j] - q[j];
    e[j] = x;
    acc += x * x;
  }
  return distance === 'l2' ? Math.sqrt(acc + 1e-3) : acc;
}

/**
 * The backward pass of {@link pairDistance}: adds `scale` · ∂D/∂p into `grad` (through e and
 * through the attention; q, K, M are constants), reading the state the last pairDistance call left
 * in `pair` and its result D. Lets a caller pay for the gradient only when it is needed (e.g. an
 * active hinge). Overwrites pair.e with ∂D/∂e.
 *
 * @example
 * ```ts
 * const D = pairDistance(user, pair, Q, j * dim, 1, M);
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
  // h_k = M_k · g; ∂D/∂l_k = a_k (h_k − Σ a h); ∂l_k/∂p_j = K_kj q_j
  let hbar = 0;
  for (let k = 0; k < n; k++) {
    let s = 0;
    const mo = k * d;
    for (let j = 0; j < d; j++) s += M[mo + j] * e[j];
    h[k] = s;
    hbar += a[k] * s;
  }
  for (let k = 0; k < n; k++) {
    const b = a[k] * (h[k] - hbar) * scale;
    if (b === 0) continue;
    const ko = k * d;
    for (let j = 0; j < d; j++) grad[j] += b * K[ko + j] * q[j];
  }
}

/**
 * The sampled-softmax loss of one positive item against `count` negatives for the user prepared
 * in `user`: −log softmax₀(−D(p, i)/τ, −D(p, j₁)/τ, …, −D(p, j_count)/τ) (what LRML and CML train
 * with `loss: 'softmax'`), adding `scale` · ∂loss/∂p into `grad`. Item x is the row Q[x·d ..]
 * times `qScales[x]` (1 when qScales is null). `pairs` (≥ count + 1 states) and `dist`
 * (≥ count + 1 numbers) are scratch.
 *
 * @example
 * ```ts
 * user.set(p, 0, K, 1);
 * const loss = pairSoftmaxLoss(user, pairs, dist, Q, null, K, M, i, negs, negs.length, 0.25, grad, 1);
 * ```
 */
export function pairSoftmaxLoss(
  user: PairUser, pairs: readonly PairState[], dist: Float64Array, Q: Float32Array, qScales: Float64Array | null,
  K: Float32Array, M: Float32Array, item: number, negatives: Int32Array, count: number, temperature: number,
  grad: Float64Array, scale: number,
): number {
  const d = user.shape.dim;
  const itau = 1 / temperature;
  dist[0] = pairDistance(user, pairs[0], Q, item * d, qScales === null ? 1 : qScales[item], M);
  let zmax = -dist[0] * itau;
  for (let t = 0; t < count; t++) {
    const j = negatives[t];
    const D = pairDistance(user, pairs[t + 1], Q, j * d, qScales === null ? 1 : qScales[j], M);
    dist[t + 1] = D;
    if (-D * itau > zmax) zmax = -D * itau;
  }
  // pₙ = exp(−Dₙ/τ − zmax) / Z over n = 0 (the positive) .. count; loss = log Z + zmax + D₀/τ
  let z = 0;
  for (let t = 0; t <= count; t++) z += Math.exp(-dist[t] * itau - zmax);
  const loss = Math.log(z) + zmax + dist[0] * itau;
  // ∂loss/∂D₀ = (1 − p₀)/τ, ∂loss/∂Dₙ = −pₙ/τ
  const p0 = Math.exp(-dist[0] * itau - zmax) / z;
  pairDistanceGrad(pairs[0], K, M, dist[0], grad, scale * (1 - p0) * itau);
  for (let t = 1; t <= count; t++) {
    const pt = Math.exp(-dist[t] * itau - zmax) / z;
    pairDistanceGrad(pairs[t], K, M, dist[t], grad, -scale * pt * itau);
  }
  return loss;
}

/**
 * BPR's logistic loss of one (p, positive i, negative j) triple for a dot-product model,
 * −log σ(p·(q_i − q_j) + b_i − b_j), adding `scale` · ∂loss/∂p into `grad` (when not null).
 * `bias` may be null (no item bias).
 *
 * @example
 * ```ts
 * const loss = dotPairLoss(p, Q, B, dim, i, j, grad, 1);
 * ```
 */
export function dotPairLoss(
  p: Float64Array, Q: Float32Array, bias: Float32Array | null, dim: number, i: number, j: number,
  grad: Float64Array | null, scale: number,
): number {
  const io = i * dim;
  const jo = j * dim;
  let x = bias === null ? 0 : bias[i] - bias[j];
  for (let c = 0; c < dim; c++) x += p[c] * (Q[io + c] - Q[jo + c]);
  // −log σ(x) = softplus(−x), computed stably
  const loss = x > 0 ? Math.log1p(Math.exp(-x)) : -x + Math.log1p(Math.exp(x));
  if (grad !== null) {
    const s = 1 / (1 + Math.exp(x)); // σ(−x)
    for (let c = 0; c < dim; c++) grad[c] -= scale * s * (Q[io + c] - Q[jo + c]);
  }
  return loss;
}
