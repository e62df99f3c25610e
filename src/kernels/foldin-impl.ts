// The losses of a fold-in (a new user's vector p optimised with every other parameter frozen):
// the sampled softmax of a triplet model over the pair forward and its ∂/∂p (pair.ts), and BPR's
// logistic loss of a dot-product model. Float64 arithmetic, no allocation; imports only kernels.

import { pairDistance, pairDistanceGrad, type PairState, type PairUser } from './pair.js';

/**
 * The sampled-softmax loss of one positive item against `count` negatives for the user prepared
 * in `user`: −log softmax₀(−D(p, i)/τ, −D(p, j₁)/τ, …, −D(p, j_count)/τ) (what LRML and CML train
 * with `loss: 'softmax'`), adding `scale` · ∂loss/∂p into `grad`. Item x is the row Q[x·d ..]
 * times `qScales[x]` (1 when qScales is null). `pairs` (≥ count + 1 states) and `dist`
 * (≥ count + 1 numbers) are scratch.
 *
 * @example
 * ```ts
 * user.set(p, 0, 1);
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
  dist[0] = pairDistance(user, pairs[0], Q, item * d, qScales === null ? 1 : qScales[item], K, M);
  let zmax = -dist[0] * itau;
  for (let t = 0; t < count; t++) {
    const j = negatives[t];
    const D = pairDistance(user, pairs[t + 1], Q, j * d, qScales === null ? 1 : qScales[j], K, M);
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
