// The optimisers' element-wise updates, one home for every trainer: the LRML / CML TypeScript
// kernel (lrml-impl.ts), BPR-MF (bpr-impl.ts) and the fold-in of a new user
// (src/models/foldin.ts). The WASM training kernel (assembly/lrml-train.ts, f32 SIMD) has
// the same updates; test/kernels-crosscheck.test.ts checks it against these. Each update works
// on W[o, end) in place, reads and then zeroes the gradient G there, and keeps its state at the
// state arrays' own precision (Float32Array: the update uses the float32-rounded moments, as the
// WASM twin does). Pure loops; nothing allocated.

/** A parameter, gradient or optimiser-state array. */
export type FloatArray = Float32Array | Float64Array;

/**
 * Adam's bias-corrected step size at step t (1-based): lr / (1 − β₁ᵗ).
 *
 * @example
 * ```ts
 * const lrc = adamStepSize(1e-3, 0.9, 1); // 1e-2
 * ```
 */
export function adamStepSize(learningRate: number, beta1: number, t: number): number {
  return learningRate / (1 - Math.pow(beta1, t));
}

/**
 * Adam's second-moment bias correction at step t (1-based): 1 / (1 − β₂ᵗ).
 *
 * @example
 * ```ts
 * const ibc2 = adamSecondMomentScale(0.999, 1); // 1000
 * ```
 */
export function adamSecondMomentScale(beta2: number, t: number): number {
  return 1 / (1 - Math.pow(beta2, t));
}

/**
 * Adam on W[o, end) (Kingma & Ba): m = β₁m + (1−β₁)g, v = β₂v + (1−β₂)g²,
 * w −= lrc·m / (sqrt(v·ibc2) + ε), with lrc = {@link adamStepSize} and ibc2 =
 * {@link adamSecondMomentScale} of the step. m and v live in S1 and S2; G is zeroed.
 *
 * @example
 * ```ts
 * const t = ++steps;
 * adamUpdate(W, G, m, v, 0, W.length, adamStepSize(1e-3, 0.9, t), adamSecondMomentScale(0.999, t), 0.9, 0.999, 1e-8);
 * ```
 */
export function adamUpdate(
  W: FloatArray, G: FloatArray, S1: FloatArray, S2: FloatArray, o: number, end: number,
  lrc: number, ibc2: number, beta1: number, beta2: number, epsilon: number,
): void {
  const ob1 = 1 - beta1;
  const ob2 = 1 - beta2;
  for (let c = o; c < end; c++) {
    const g = G[c];
    G[c] = 0;
    S1[c] = beta1 * S1[c] + ob1 * g;
    S2[c] = beta2 * S2[c] + ob2 * g * g;
    W[c] -= (lrc * S1[c]) / (Math.sqrt(S2[c] * ibc2) + epsilon);
  }
}

/**
 * Adagrad on W[o, end): h += g², w −= lr·g / (sqrt(h) + ε) (h in H, starting at 0); G is zeroed.
 *
 * @example
 * ```ts
 * adagradUpdate(W, G, h, 0, W.length, 0.01, 1e-8);
 * ```
 */
export function adagradUpdate(W: FloatArray, G: FloatArray, H: FloatArray, o: number, end: number, learningRate: number, epsilon: number): void {
  for (let c = o; c < end; c++) {
    const g = G[c];
    G[c] = 0;
    H[c] += g * g;
    W[c] -= (learningRate * g) / (Math.sqrt(H[c]) + epsilon);
  }
}

/**
 * Plain SGD on W[o, end): w −= lr·g; G is zeroed.
 *
 * @example
 * ```ts
 * sgdUpdate(W, G, 0, W.length, 0.05);
 * ```
 */
export function sgdUpdate(W: FloatArray, G: FloatArray, o: number, end: number, learningRate: number): void {
  for (let c = o; c < end; c++) {
    W[c] -= learningRate * G[c];
    G[c] = 0;
  }
}
