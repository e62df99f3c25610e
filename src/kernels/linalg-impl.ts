// Dense linear algebra in plain TypeScript over row-major Float64Array matrices: Cholesky
// factorisation and solves, the inverse of a symmetric positive definite (SPD) matrix from its
// Cholesky factor (blocked, cache-friendly), conjugate gradient, Gramians. These are the
// reference implementations and the fallback of the WASM SIMD module (assembly/linalg.ts), which
// runs the very same blocked algorithm step by step. Pure loops; imports nothing; never throws
// on numerical trouble (functions return a status instead).
//
// The SPD inverse works in place on an n×n matrix in three phases (each a loop over blocks of
// `blockSize` rows/columns, so a caller can run it piecewise, report progress and stay
// cancellable):
//   0. Cholesky A = L·Lᵀ, left-looking by block columns: L in the lower triangle.
//   1. V = L⁻ᵀ (upper triangular) by block rows, ascending: V in the upper triangle and the
//      diagonal (the diagonal of L is read from the diagonal before it is overwritten).
//   2. P = A⁻¹ = V·Vᵀ by block rows: P in the lower triangle and the diagonal.
// Every heavy inner loop is a dot product of two contiguous row segments ("A·Bᵀ" form), the
// cache-friendly shape for row-major storage; the three phases cost n³/6 multiply-adds each.

/**
 * Default block size of the blocked SPD inverse (rows/columns per block).
 *
 * @example
 * ```ts
 * spdInversePlan(n, LINALG_BLOCK).length; // 3·⌈n / 64⌉ steps
 * ```
 */
export const LINALG_BLOCK = 64;

/** Length of the k-chunks of the dot-product updates (keeps a panel of rows in cache). */
const K_CHUNK = 256;

/**
 * A[r][c] = beta·A[r][c] + alpha·Σ_{k∈[k0,k1)} A[r][k]·A[c][k] for r ∈ [r0,r1), c ∈ [c0,c1), on one
 * row-major n×n matrix (the "A·Aᵀ" update every phase is built on). The target block must not
 * overlap the k-ranges it reads. beta is 0 (overwrite) or 1 (accumulate).
 *
 * @example
 * ```ts
 * // A[2][0..2) -= A[2][0..2)·A[0..2][0..2)ᵀ  (on a 3×3 matrix)
 * rowDotUpdate(a, 3, 2, 3, 0, 2, 0, 2, -1, 1);
 * ```
 */
export function rowDotUpdate(
  a: Float64Array, n: number,
  r0: number, r1: number, c0: number, c1: number, k0: number, k1: number,
  alpha: number, beta: 0 | 1,
): void {
  if (beta === 0) {
    for (let r = r0; r < r1; r++) a.fill(0, r * n + c0, r * n + c1);
  }
  for (let kb = k0; kb < k1; kb += K_CHUNK) {
    const ke = Math.min(kb + K_CHUNK, k1);
    let r = r0;
    for (; r + 1 < r1; r += 2) {
      const x0 = r * n;
      const x1 = x0 + n;
      let c = c0;
      for (; c + 1 < c1; c += 2) {
        const y0 = c * n;
        const y1 = y0 + n;
        let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
        for (let k = kb; k < ke; k++) {
          const u0 = a[x0 + k];
          const u1 = a[x1 + k];
          const v0 = a[y0 + k];
          const v1 = a[y1 + k];
          s00 += u0 * v0;
          s01 += u0 * v1;
          s10 += u1 * v0;
          s11 += u1 * v1;
        }
        a[x0 + c] += alpha * s00;
        a[x0 + c + 1] += alpha * s01;
        a[x1 + c] += alpha * s10;
        a[x1 + c + 1] += alpha * s11;
      }
      if (c < c1) {
        const y0 = c * n;
        let s0 = 0, s1 = 0;
        for (let k = kb; k < ke; k++) {
          s0 += a[x0 + k] * a[y0 + k];
          s1 += a[x1 + k] * a[y0 + k];
        }
        a[x0 + c] += alpha * s0;
        a[x1 + c] += alpha * s1;
      }
    }
    if (r < r1) {
      const x0 = r * n;
      for (let c = c0; c < c1; c++) {
        const y0 = c * n;
        let s = 0;
        for (let k = kb; k < ke; k++) s += a[x0 + k] * a[y0 + k];
        a[x0 + c] += alpha * s;
      }
    }
  }
}

/** Σ_{k∈[k0,k1)} a[x+k]·a[y+k]. */
function dotRange(a: Float64Array, x: number, y: number, k0: number, k1: number): number {
  let s = 0;
  for (let k = k0; k < k1; k++) s += a[x + k] * a[y + k];
  return s;
}

/**
 * Phase 0 of the blocked SPD inverse: Cholesky of block column [jb, je) (all earlier block
 * columns must be done). Reads the lower triangle of A; L replaces it. Entries above the diagonal
 * inside the diagonal block are overwritten with scratch values. Returns −1, or the index of the
 * first pivot that is not positive (A not positive definite).
 *
 * @example
 * ```ts
 * for (let jb = 0; jb < n; jb += 64) if (choleskyBlock(a, n, jb, Math.min(n, jb + 64)) >= 0) break;
 * ```
 */
export function choleskyBlock(a: Float64Array, n: number, jb: number, je: number): number {
  // contributions of the columns left of the block
  rowDotUpdate(a, n, jb, n, jb, je, 0, jb, -1, 1);
  // the diagonal block, row by row
  for (let i = jb; i < je; i++) {
    const ri = i * n;
    for (let j = jb; j <= i; j++) {
      const rj = j * n;
      const s = a[ri + j] - dotRange(a, ri, rj, jb, j);
      if (i === j) {
        if (!(s > 0)) return j;
        a[ri + j] = Math.sqrt(s);
      } else {
        a[ri + j] = s / a[rj + j];
      }
    }
  }
  // the panel below it
  for (let i = je; i < n; i++) {
    const ri = i * n;
    for (let j = jb; j < je; j++) {
      const rj = j * n;
      a[ri + j] = (a[ri + j] - dotRange(a, ri, rj, jb, j)) / a[rj + j];
    }
  }
  return -1;
}

/**
 * Phase 1 of the blocked SPD inverse: block row [jb, je) of V = L⁻ᵀ into the upper triangle and
 * the diagonal. Block rows must run in ascending order after phase 0 is complete (the diagonal
 * of L is read from the diagonal of later rows, which are still untouched).
 *
 * @example
 * ```ts
 * for (let jb = 0; jb < n; jb += 64) invTriBlock(a, n, jb, Math.min(n, jb + 64), 64);
 * ```
 */
export function invTriBlock(a: Float64Array, n: number, jb: number, je: number, nb: number): void {
  // diagonal block: V_JJ = L_JJ⁻ᵀ, rows ascending (row j overwrites only its own diagonal)
  for (let j = jb; j < je; j++) {
    const rj = j * n;
    a[rj + j] = 1 / a[rj + j];
    for (let i = j + 1; i < je; i++) {
      const ri = i * n;
      a[rj + i] = -dotRange(a, ri, rj, j, i) / a[ri + i];
    }
  }
  // blocks right of it: V_JI = −(Σ_{K∈[J,I)} V_JK·L_IKᵀ)·L_II⁻ᵀ
  for (let ib = je; ib < n; ib += nb) {
    const ie = Math.min(ib + nb, n);
    rowDotUpdate(a, n, jb, je, ib, ie, je, ib, 1, 0);
    for (let j = jb; j < je; j++) {
      const rj = j * n;
      for (let i = ib; i < ie; i++) {
        const ri = i * n;
        // triangular part k ∈ [j, je) and the part inside block I, k ∈ [ib, i)
        const t = a[rj + i] + dotRange(a, rj, ri, j, je) + dotRange(a, rj, ri, ib, i);
        a[rj + i] = -t / a[ri + i];
      }
    }
  }
}

/**
 * Phase 2 of the blocked SPD inverse: block row [ib, ie) of P = V·Vᵀ = A⁻¹ into the lower
 * triangle and the diagonal (after phase 1 is complete; block rows in any order).
 *
 * @example
 * ```ts
 * for (let ib = 0; ib < n; ib += 64) inverseProductBlock(a, n, ib, Math.min(n, ib + 64));
 * ```
 */
export function inverseProductBlock(a: Float64Array, n: number, ib: number, ie: number): void {
  // off-diagonal blocks J < I: P[i][j] = Σ_{k∈[i,ie)} V[i][k]V[j][k] + Σ_{k≥ie} V[i][k]V[j][k]
  rowDotUpdate(a, n, ib, ie, 0, ib, ie, n, 1, 0);
  for (let i = ib; i < ie; i++) {
    const ri = i * n;
    for (let j = 0; j < ib; j++) a[ri + j] += dotRange(a, ri, j * n, i, ie);
  }
  // diagonal block, rows ascending, each row's diagonal last
  for (let i = ib; i < ie; i++) {
    const ri = i * n;
    for (let j = ib; j < i; j++) a[ri + j] = dotRange(a, ri, j * n, i, n);
    a[ri + i] = dotRange(a, ri, ri, i, n);
  }
}

/**
 * One step of a blocked SPD inverse: phase 0 (Cholesky), 1 (V = L⁻ᵀ) or 2 (P = V·Vᵀ) on [start, end).
 *
 * @example
 * ```ts
 * const first: SpdInverseStep = spdInversePlan(100)[0]; // { phase: 0, start: 0, end: 64, cost: … }
 * ```
 */
export interface SpdInverseStep {
  phase: 0 | 1 | 2;
  start: number;
  end: number;
  /** Multiply-adds of this step (for progress). */
  cost: number;
}

/**
 * The steps of a blocked SPD inverse of an n×n matrix, in the order they must run, with their
 * cost in multiply-adds (for progress reports).
 *
 * @example
 * ```ts
 * for (const s of spdInversePlan(n)) runStep(s);
 * ```
 */
export function spdInversePlan(n: number, nb = LINALG_BLOCK): SpdInverseStep[] {
  const steps: SpdInverseStep[] = [];
  for (let b = 0; b < n; b += nb) {
    const e = Math.min(b + nb, n);
    const w = e - b;
    steps.push({ phase: 0, start: b, end: e, cost: (n - b) * w * (b + w / 2) });
  }
  for (let b = 0; b < n; b += nb) {
    const e = Math.min(b + nb, n);
    const w = e - b;
    steps.push({ phase: 1, start: b, end: e, cost: (w * (n - b) * (n - b)) / 2 });
  }
  for (let b = 0; b < n; b += nb) {
    const e = Math.min(b + nb, n);
    const w = e - b;
    steps.push({ phase: 2, start: b, end: e, cost: w * e * (n - b) });
  }
  return steps;
}

/**
 * Runs one step of {@link spdInversePlan} on `a` in TypeScript. Returns −1, or (phase 0 only)
 * the index of a non-positive pivot.
 *
 * @example
 * ```ts
 * for (const s of spdInversePlan(n)) if (runSpdInverseStep(a, n, s) >= 0) throw new Error('not SPD');
 * ```
 */
export function runSpdInverseStep(a: Float64Array, n: number, s: SpdInverseStep, nb = LINALG_BLOCK): number {
  if (s.phase === 0) return choleskyBlock(a, n, s.start, s.end);
  if (s.phase === 1) invTriBlock(a, n, s.start, s.end, nb);
  else inverseProductBlock(a, n, s.start, s.end);
  return -1;
}

/**
 * Inverts a symmetric positive definite n×n matrix in place (reads its lower triangle; writes the
 * full symmetric inverse). Returns −1 on success, or the index of a non-positive pivot (then `a`
 * holds garbage).
 *
 * @example
 * ```ts
 * const a = Float64Array.of(4, 2, 2, 3);
 * spdInverse(a, 2); // a ≈ [0.375, -0.25, -0.25, 0.5]
 * ```
 */
export function spdInverse(a: Float64Array, n: number, nb = LINALG_BLOCK): number {
  for (const s of spdInversePlan(n, nb)) {
    const bad = runSpdInverseStep(a, n, s, nb);
    if (bad >= 0) return bad;
  }
  symmetrizeFromLower(a, n);
  return -1;
}

/**
 * Copies the lower triangle onto the upper one (tiles of 64×64, cache-friendly).
 *
 * @example
 * ```ts
 * symmetrizeFromLower(a, n);
 * ```
 */
export function symmetrizeFromLower(a: Float64Array, n: number): void {
  const T = 64;
  for (let ib = 0; ib < n; ib += T) {
    for (let jb = ib; jb < n; jb += T) {
      const ie = Math.min(ib + T, n);
      const je = Math.min(jb + T, n);
      for (let i = ib; i < ie; i++) {
        for (let j = Math.max(jb, i + 1); j < je; j++) a[i * n + j] = a[j * n + i];
      }
    }
  }
}

/**
 * Cholesky factorisation A = L·Lᵀ in place: L in the lower triangle, zeros above. Reads only the
 * lower triangle. Returns −1, or the index of a non-positive pivot (A not positive definite).
 *
 * @example
 * ```ts
 * const a = Float64Array.of(4, 2, 2, 3);
 * choleskyFactor(a, 2); // a = [2, 0, 1, 1.414…]
 * ```
 */
export function choleskyFactor(a: Float64Array, n: number, nb = LINALG_BLOCK): number {
  for (let jb = 0; jb < n; jb += nb) {
    const bad = choleskyBlock(a, n, jb, Math.min(jb + nb, n));
    if (bad >= 0) return bad;
  }
  for (let i = 0; i < n; i++) a.fill(0, i * n + i + 1, (i + 1) * n);
  return -1;
}

/**
 * Solves L·Lᵀ·x = b in place (b becomes x) with the lower Cholesky factor from
 * {@link choleskyFactor} (only its lower triangle is read).
 *
 * @example
 * ```ts
 * choleskyFactor(a, n);
 * choleskySolve(a, n, b); // b = A⁻¹ b
 * ```
 */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array | Float32Array): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[ri + k] * b[k];
    b[i] = s / l[ri + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * b[k];
    b[i] = s / l[i * n + i];
  }
}

/**
 * Gramian MᵀM (d×d, full, float64) of a row-major rows×d float32 matrix.
 *
 * @example
 * ```ts
 * const g = new Float64Array(d * d);
 * gramian(Q, numItems, d, g);
 * ```
 */
export function gramian(m: Float32Array, rows: number, d: number, out: Float64Array): void {
  out.fill(0);
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    for (let a = 0; a < d; a++) {
      const x = m[o + a];
      if (x === 0) continue;
      const ra = a * d;
      for (let b = 0; b <= a; b++) out[ra + b] += x * m[o + b];
    }
  }
  for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) out[a * d + b] = out[b * d + a];
}

/**
 * Scratch vectors for {@link conjugateGradient} (allocate once per dimension).
 *
 * @example
 * ```ts
 * const ws: CgWorkspace = cgWorkspace(64);
 * ```
 */
export interface CgWorkspace {
  r: Float64Array;
  p: Float64Array;
  ap: Float64Array;
}

/**
 * Allocates a {@link CgWorkspace} for systems of dimension d.
 *
 * @example
 * ```ts
 * conjugateGradient(apply, b, x, 3, 0, cgWorkspace(b.length));
 * ```
 */
export function cgWorkspace(d: number): CgWorkspace {
  return { r: new Float64Array(d), p: new Float64Array(d), ap: new Float64Array(d) };
}

/**
 * Conjugate gradient on a symmetric positive definite system A·x = b, warm-started from x:
 * at most `steps` iterations, stopping early when ‖r‖² ≤ tol²·‖b‖². `apply(v, out)` writes A·v.
 * Each iteration lowers ½xᵀAx − bᵀx. Returns the iterations run.
 *
 * @example
 * ```ts
 * const its = conjugateGradient((v, out) => matVec(A, d, v, out), b, x, 3, 1e-10, cgWorkspace(d));
 * ```
 */
export function conjugateGradient(
  apply: (v: Float64Array, out: Float64Array) => void,
  b: Float64Array,
  x: Float64Array,
  steps: number,
  tol: number,
  ws: CgWorkspace,
): number {
  const d = b.length;
  const { r, p, ap } = ws;
  apply(x, ap);
  let rr = 0;
  let bb = 0;
  for (let c = 0; c < d; c++) {
    const v = b[c] - ap[c];
    r[c] = v;
    p[c] = v;
    rr += v * v;
    bb += b[c] * b[c];
  }
  const stop = tol * tol * bb;
  let it = 0;
  for (; it < steps; it++) {
    if (rr <= stop || rr === 0) break;
    apply(p, ap);
    let pap = 0;
    for (let c = 0; c < d; c++) pap += p[c] * ap[c];
    if (!(pap > 0)) break;
    const alpha = rr / pap;
    let rr2 = 0;
    for (let c = 0; c < d; c++) {
      x[c] += alpha * p[c];
      const v = r[c] - alpha * ap[c];
      r[c] = v;
      rr2 += v * v;
    }
    const beta = rr2 / rr;
    rr = rr2;
    for (let c = 0; c < d; c++) p[c] = r[c] + beta * p[c];
  }
  return it;
}

/**
 * out = A·v for a dense row-major d×d matrix.
 *
 * @example
 * ```ts
 * matVec(A, d, v, out);
 * ```
 */
export function matVec(a: Float64Array, d: number, v: Float64Array, out: Float64Array): void {
  for (let i = 0; i < d; i++) {
    const o = i * d;
    let s = 0;
    for (let k = 0; k < d; k++) s += a[o + k] * v[k];
    out[i] = s;
  }
}
