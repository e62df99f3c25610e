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
 * Length of the scratch array {@link pairDistance} needs: 2N + 3d. After a call, `work` holds
 * the attention a in [0, N), the relation r in [N, N + d), e = p + r − q in [N + d, N + 2d), the
 * (scaled) item vector in [N + 2d, N + 3d).
 *
 * @example
 * ```ts
 * const work = new Float64Array(pairWorkSize({ dim: 32, numMemories: 8, distance: 'l2' }));
 * ```
 */
export function pairWorkSize(shape: PairShape): number {
  return 2 * shape.numMemories + 3 * shape.dim;
}

/**
 * D(p, q) = dist(p + r − q), r = Σₖ softmax(K (p ⊙ q))ₖ Mₖ (r = 0 when N = 0), with q the item
 * row Q[qo .. qo + d) times `qs` (its lookup clip scale, 1 otherwise) and dist the model's distance
 * (`l2` = sqrt(Σe² + 1e-3), `l2sq` = Σe², `l1` = Σ|e|). When `grad` is not null, adds
 * `scale` · ∂D/∂p into it (through e and through the attention; q, K, M are constants).
 * Scratch and outputs in `work` (see {@link pairWorkSize}).
 *
 * @example
 * ```ts
 * const g = new Float64Array(dim);
 * const d = pairDistance(p, Q, i * dim, 1, K, M, shape, g, 1, work); // g = ∂D/∂p
 * ```
 */
export function pairDistance(
  p: Float64Array, Q: Float32Array, qo: number, qs: number, K: Float32Array, M: Float32Array,
  shape: PairShape, grad: Float64Array | null, scale: number, work: Float64Array,
): number {
  const d = shape.dim;
  const n = shape.numMemories;
  const oR = n;
  const oE = n + d;
  const oQ = n + 2 * d;
  const oH = n + 3 * d;
  for (let j = 0; j < d; j++) work[oQ + j] = Q[qo + j] * qs;
  for (let j = 0; j < d; j++) work[oR + j] = 0;
  if (n > 0) {
    let mx = -Infinity;
    for (let k = 0; k < n; k++) {
      let l = 0;
      const ko = k * d;
      for (let j = 0; j < d; j++) l += K[ko + j] * p[j] * work[oQ + j];
      work[k] = l;
      if (l > mx) mx = l;
    }
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const e = Math.exp(work[k] - mx);
      work[k] = e;
      sum += e;
    }
    for (let k = 0; k < n; k++) {
      const a = work[k] / sum;
      work[k] = a;
      const mo = k * d;
      for (let j = 0; j < d; j++) work[oR + j] += a * M[mo + j];
    }
  }
  let acc = 0;
  for (let j = 0; j < d; j++) {
    const e = p[j] + work[oR + j] - work[oQ + j];
    work[oE + j] = e;
    acc += shape.distance === 'l1' ? Math.abs(e) : e * e;
  }
  const D = shape.distance === 'l2' ? Math.sqrt(acc + 1e-3) : acc;
  if (grad !== null) pairDistanceGrad(K, M, shape, D, grad, scale, work);
  return D;
}

/**
 * The backward pass of {@link pairDistance}: adds `scale` · ∂D/∂p into `grad`, reading the
 * attention, e and q that the last pairDistance call left in `work` (and its result D). Lets a
 * caller run the forward pass alone and pay for the gradient only when it is needed (e.g. when
 * the hinge is active). Overwrites e in `work` with ∂D/∂e.
 *
 * @example
 * ```ts
 * const D = pairDistance(p, Q, j * dim, 1, K, M, shape, null, 1, work);
 * if (margin + Dpos - D > 0) pairDistanceGrad(K, M, shape, D, grad, -1, work);
 * ```
 */
export function pairDistanceGrad(K: Float32Array, M: Float32Array, shape: PairShape, D: number, grad: Float64Array, scale: number, work: Float64Array): void {
  const d = shape.dim;
  const n = shape.numMemories;
  const oE = n + d;
  const oQ = n + 2 * d;
  const oH = n + 3 * d;
  // g = ∂D/∂e, kept in the e slots from here on
  for (let j = 0; j < d; j++) {
    const e = work[oE + j];
    const g = shape.distance === 'l2' ? e / D : shape.distance === 'l2sq' ? 2 * e : e > 0 ? 1 : e < 0 ? -1 : 0;
    work[oE + j] = g;
    grad[j] += scale * g;
  }
  if (n > 0) {
    // h_k = M_k · g; ∂D/∂l_k = a_k (h_k − Σ a h); ∂l_k/∂p_j = K_kj q_j
    let hbar = 0;
    for (let k = 0; k < n; k++) {
      let h = 0;
      const mo = k * d;
      for (let j = 0; j < d; j++) h += M[mo + j] * work[oE + j];
      work[oH + k] = h;
      hbar += work[k] * h;
    }
    for (let k = 0; k < n; k++) {
      const b = work[k] * (work[oH + k] - hbar) * scale;
      if (b === 0) continue;
      const ko = k * d;
      for (let j = 0; j < d; j++) grad[j] += b * K[ko + j] * work[oQ + j];
    }
  }
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
