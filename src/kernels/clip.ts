// The unit-ball constraint of the metric-learning models, one home for every use: the clip of
// looked-up rows (`clip: 'lookup'`: training, scoring, fold-in, explanations, analysis) and the
// projection of rows after an update (`clip: 'rows'`, `clipMemory`, the initialisation, the
// fold-in vector). The WASM twins (assembly/_common.ts) are checked against these in
// test/kernels-crosscheck.test.ts. Pure loops; nothing allocated.

/**
 * The factor that brings the row X[o, o+d) into the unit ball: 1 when its norm is ≤ 1, else
 * 1 / norm (the row as `clip: 'lookup'` sees it is factor · row). Σx² is summed in Float64.
 *
 * @example
 * ```ts
 * const s = unitBallScale(model.params.P, u * dim, dim); // p as the model sees it = s · P[u]
 * unitBallScale(Float32Array.of(3, 4), 0, 2); // 0.2
 * ```
 */
export function unitBallScale(X: ArrayLike<number>, o: number, d: number): number {
  let ss = 0;
  for (let c = o; c < o + d; c++) ss += X[c] * X[c];
  return ss > 1 ? 1 / Math.sqrt(ss) : 1;
}

/**
 * {@link unitBallScale} of every row of a row-major matrix (rows × dim) into `out` (length rows).
 *
 * @example
 * ```ts
 * const s = new Float64Array(2);
 * rowClipScales(Float32Array.of(3, 4, 0.1, 0), 2, 2, s); // s = [0.2, 1]
 * ```
 */
export function rowClipScales(X: Float32Array, rows: number, dim: number, out: Float64Array): void {
  for (let r = 0; r < rows; r++) out[r] = unitBallScale(X, r * dim, dim);
}

/**
 * Scales the row W[o, o+d) in place into the ball of radius `max` (default 1): by max / norm
 * when its norm exceeds max, else leaves it.
 *
 * @example
 * ```ts
 * const w = Float32Array.of(3, 4);
 * clipToBall(w, 0, 2); // w = [0.6, 0.8]
 * ```
 */
export function clipToBall(W: Float32Array | Float64Array, o: number, d: number, max = 1): void {
  let ss = 0;
  for (let c = o; c < o + d; c++) ss += W[c] * W[c];
  if (ss > max * max) {
    const f = max / Math.sqrt(ss);
    for (let c = o; c < o + d; c++) W[c] *= f;
  }
}
