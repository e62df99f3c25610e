// @lrml-shared-memory
// Dense SPD inverse in AssemblyScript with WebAssembly SIMD, in float64 (f64x2) or float32
// (f32x4): the same blocked three-phase algorithm as src/kernels/linalg-impl.ts (Cholesky by
// block columns, V = L⁻ᵀ by block rows, P = V·Vᵀ by block rows), on one row-major n×n matrix at
// offset `a` of the imported (shared) memory. Every function works on a range of rows, so the
// host can split a step between threads (src/kernels/linalg-wasm.ts plans the split; the worker
// threads live in src/train/backends/ease-threads.ts): the rows of one call never read what
// another call of the same stage writes. Each matrix entry is computed by the same sequence of
// operations whatever the split (the 2×4 register tile and the one-entry remainder path sum in
// the same order), so one thread and two give bit-identical results.
//
// Exports come in pairs, `…64` (f64) and `…32` (f32), instances of one generic kernel. `d` is a
// length-n vector next to the matrix: the diagonal of L during phase 1, then −1/diag(P) for the
// EASE weights. Nothing is allocated here.

/** Length of the k-chunks of the dot-product updates (elements; keeps panels in cache). */
const K_CHUNK: i32 = 256;
/** Columns per tile of the dot-product updates (a tile of K_CHUNK × 64 stays in L2). */
const C_TILE: i32 = 64;

export function heapBase(): usize {
  return __heap_base;
}

// @ts-ignore: decorator
@inline function hsum<T>(v: v128): T {
  if (sizeof<T>() == 8) return v128.extract_lane<T>(v, 0) + v128.extract_lane<T>(v, 1);
  return (v128.extract_lane<T>(v, 0) + v128.extract_lane<T>(v, 1)) + (v128.extract_lane<T>(v, 2) + v128.extract_lane<T>(v, 3));
}

// @ts-ignore: decorator
@inline function rowPtr<T>(a: usize, n: i32, r: i32): usize {
  return a + <usize>r * <usize>n * sizeof<T>();
}

// @ts-ignore: decorator
@inline function at<T>(row: usize, k: i32): usize {
  return row + <usize>k * sizeof<T>();
}

/** Σ_{k∈[k0,k1)} x[k]·y[k] (two vector accumulators; for the short triangular fix-ups). */
function dotRange<T>(x: usize, y: usize, k0: i32, k1: i32): T {
  const lanes: i32 = 16 / <i32>sizeof<T>();
  let acc0 = v128.splat<T>(0);
  let acc1 = v128.splat<T>(0);
  let k = k0;
  for (; k + 2 * lanes - 1 < k1; k += 2 * lanes) {
    const o = <usize>k * sizeof<T>();
    acc0 = v128.add<T>(acc0, v128.mul<T>(v128.load(x + o), v128.load(y + o)));
    acc1 = v128.add<T>(acc1, v128.mul<T>(v128.load(x + o + 16), v128.load(y + o + 16)));
  }
  let s = hsum<T>(v128.add<T>(acc0, acc1));
  for (; k < k1; k++) s += load<T>(at<T>(x, k)) * load<T>(at<T>(y, k));
  return s;
}

/**
 * One entry of a chunk of the update, summed exactly as the 2×4 tile sums each of its entries:
 * one vector accumulator over [kb, kv), its lanes, then the scalar tail [kv, ke) in order.
 */
// @ts-ignore: decorator
@inline function dotChunk<T>(x: usize, y: usize, ob: usize, ov: usize, kv: i32, ke: i32): T {
  let acc = v128.splat<T>(0);
  for (let o = ob; o < ov; o += 16) acc = v128.add<T>(acc, v128.mul<T>(v128.load(x + o), v128.load(y + o)));
  let s = hsum<T>(acc);
  for (let k = kv; k < ke; k++) s += load<T>(at<T>(x, k)) * load<T>(at<T>(y, k));
  return s;
}

// @ts-ignore: decorator
@inline function addTo<T>(p: usize, v: T): void {
  store<T>(p, load<T>(p) + v);
}

/** p[0..4) += alpha·(t0, t1, t2, t3). */
// @ts-ignore: decorator
@inline function addTo4<T>(p: usize, alpha: T, t0: T, t1: T, t2: T, t3: T): void {
  const S = sizeof<T>();
  addTo<T>(p, alpha * t0);
  addTo<T>(p + S, alpha * t1);
  addTo<T>(p + 2 * S, alpha * t2);
  addTo<T>(p + 3 * S, alpha * t3);
}

/**
 * A[r][c] = beta·A[r][c] + alpha·Σ_{k∈[k0,k1)} A[r][k]·A[c][k], r ∈ [r0,r1), c ∈ [c0,c1); beta 0 or
 * 1. The target block must not overlap the k-ranges read. Loops: k-chunks, column tiles, pairs
 * of rows, quads of columns (2×4 vector accumulators).
 */
function gemmNT<T>(a: usize, n: i32, r0: i32, r1: i32, c0: i32, c1: i32, k0: i32, k1: i32, alpha: T, beta: i32): void {
  const S = sizeof<T>();
  const lanes: i32 = 16 / <i32>S;
  if (beta == 0) {
    for (let r = r0; r < r1; r++) memory.fill(at<T>(rowPtr<T>(a, n, r), c0), 0, <usize>(c1 - c0) * S);
  }
  const rowBytes = <usize>n * S;
  for (let kb = k0; kb < k1; kb += K_CHUNK) {
    const ke = min(kb + K_CHUNK, k1);
    const kv = kb + ((ke - kb) & ~(lanes - 1)); // end of the vectorised part
    const ob = <usize>kb * S;
    const ov = <usize>kv * S;
    for (let cb = c0; cb < c1; cb += C_TILE) {
      const ce = min(cb + C_TILE, c1);
      let r = r0;
      for (; r + 1 < r1; r += 2) {
        const x0 = rowPtr<T>(a, n, r);
        const x1 = x0 + rowBytes;
        let c = cb;
        for (; c + 3 < ce; c += 4) {
          const y0 = rowPtr<T>(a, n, c);
          const y1 = y0 + rowBytes;
          const y2 = y1 + rowBytes;
          const y3 = y2 + rowBytes;
          let s00 = v128.splat<T>(0), s01 = v128.splat<T>(0), s02 = v128.splat<T>(0), s03 = v128.splat<T>(0);
          let s10 = v128.splat<T>(0), s11 = v128.splat<T>(0), s12 = v128.splat<T>(0), s13 = v128.splat<T>(0);
          for (let o = ob; o < ov; o += 16) {
            const u0 = v128.load(x0 + o);
            const u1 = v128.load(x1 + o);
            const v0 = v128.load(y0 + o);
            s00 = v128.add<T>(s00, v128.mul<T>(u0, v0));
            s10 = v128.add<T>(s10, v128.mul<T>(u1, v0));
            const v1 = v128.load(y1 + o);
            s01 = v128.add<T>(s01, v128.mul<T>(u0, v1));
            s11 = v128.add<T>(s11, v128.mul<T>(u1, v1));
            const v2 = v128.load(y2 + o);
            s02 = v128.add<T>(s02, v128.mul<T>(u0, v2));
            s12 = v128.add<T>(s12, v128.mul<T>(u1, v2));
            const v3 = v128.load(y3 + o);
            s03 = v128.add<T>(s03, v128.mul<T>(u0, v3));
            s13 = v128.add<T>(s13, v128.mul<T>(u1, v3));
          }
          let t00 = hsum<T>(s00), t01 = hsum<T>(s01), t02 = hsum<T>(s02), t03 = hsum<T>(s03);
          let t10 = hsum<T>(s10), t11 = hsum<T>(s11), t12 = hsum<T>(s12), t13 = hsum<T>(s13);
          for (let k = kv; k < ke; k++) {
            const u0 = load<T>(at<T>(x0, k));
            const u1 = load<T>(at<T>(x1, k));
            const v0 = load<T>(at<T>(y0, k));
            const v1 = load<T>(at<T>(y1, k));
            const v2 = load<T>(at<T>(y2, k));
            const v3 = load<T>(at<T>(y3, k));
            t00 += u0 * v0; t01 += u0 * v1; t02 += u0 * v2; t03 += u0 * v3;
            t10 += u1 * v0; t11 += u1 * v1; t12 += u1 * v2; t13 += u1 * v3;
          }
          addTo4<T>(at<T>(x0, c), alpha, t00, t01, t02, t03);
          addTo4<T>(at<T>(x1, c), alpha, t10, t11, t12, t13);
        }
        for (; c < ce; c++) {
          const y0 = rowPtr<T>(a, n, c);
          addTo<T>(at<T>(x0, c), alpha * dotChunk<T>(x0, y0, ob, ov, kv, ke));
          addTo<T>(at<T>(x1, c), alpha * dotChunk<T>(x1, y0, ob, ov, kv, ke));
        }
      }
      if (r < r1) {
        const x0 = rowPtr<T>(a, n, r);
        for (let c = cb; c < ce; c++) addTo<T>(at<T>(x0, c), alpha * dotChunk<T>(x0, rowPtr<T>(a, n, c), ob, ov, kv, ke));
      }
    }
  }
}

/** Phase 0, stage 1: rows [r0, r1) ⊆ [jb, n) of block column [jb, je) minus the columns left of it. */
function cholUpdate<T>(a: usize, n: i32, jb: i32, je: i32, r0: i32, r1: i32): void {
  gemmNT<T>(a, n, r0, r1, jb, je, 0, jb, <T>-1, 1);
}

/** Phase 0, stage 2 (one thread): the diagonal block. Returns −1 or a non-positive pivot's index. */
function cholDiag<T>(a: usize, n: i32, jb: i32, je: i32): i32 {
  for (let i = jb; i < je; i++) {
    const ri = rowPtr<T>(a, n, i);
    for (let j = jb; j <= i; j++) {
      const rj = rowPtr<T>(a, n, j);
      const pij = at<T>(ri, j);
      const s = load<T>(pij) - dotRange<T>(ri, rj, jb, j);
      if (i == j) {
        if (!(s > 0)) return j;
        store<T>(pij, sqrt<T>(s));
      } else {
        store<T>(pij, s / load<T>(at<T>(rj, j)));
      }
    }
  }
  return -1;
}

/** Phase 0, stage 3: rows [r0, r1) ⊆ [je, n) of the panel below the diagonal block. */
function cholPanel<T>(a: usize, n: i32, jb: i32, je: i32, r0: i32, r1: i32): void {
  for (let i = r0; i < r1; i++) {
    const ri = rowPtr<T>(a, n, i);
    for (let j = jb; j < je; j++) {
      const rj = rowPtr<T>(a, n, j);
      const pij = at<T>(ri, j);
      store<T>(pij, (load<T>(pij) - dotRange<T>(ri, rj, jb, j)) / load<T>(at<T>(rj, j)));
    }
  }
}

/** d[i] = A[i][i] for i ∈ [0, n) (one thread). */
function saveDiag<T>(a: usize, n: i32, d: usize): void {
  for (let i = 0; i < n; i++) store<T>(at<T>(d, i), load<T>(at<T>(rowPtr<T>(a, n, i), i)));
}

/**
 * Phase 1: rows [j0, j1) ⊆ [jb, je) of block row [jb, je) of V = L⁻ᵀ (upper triangle and
 * diagonal); block rows ascending; d holds diag(L) (saveDiag after phase 0). A row of V reads
 * only itself and L, so rows split freely between threads.
 */
function invTri<T>(a: usize, n: i32, d: usize, jb: i32, je: i32, nb: i32, j0: i32, j1: i32): void {
  for (let j = j0; j < j1; j++) {
    const rj = rowPtr<T>(a, n, j);
    store<T>(at<T>(rj, j), <T>1 / load<T>(at<T>(d, j)));
    for (let i = j + 1; i < je; i++) {
      store<T>(at<T>(rj, i), -dotRange<T>(rowPtr<T>(a, n, i), rj, j, i) / load<T>(at<T>(d, i)));
    }
  }
  for (let ib = je; ib < n; ib += nb) {
    const ie = min(ib + nb, n);
    gemmNT<T>(a, n, j0, j1, ib, ie, je, ib, <T>1, 0);
    for (let j = j0; j < j1; j++) {
      const rj = rowPtr<T>(a, n, j);
      for (let i = ib; i < ie; i++) {
        const ri = rowPtr<T>(a, n, i);
        const p = at<T>(rj, i);
        const t = load<T>(p) + dotRange<T>(rj, ri, j, je) + dotRange<T>(rj, ri, ib, i);
        store<T>(p, -t / load<T>(at<T>(d, i)));
      }
    }
  }
}

/**
 * Phase 2: rows [r0, r1) ⊆ [ib, ie) of block row [ib, ie) of P = V·Vᵀ (lower triangle and
 * diagonal). A row reads only the upper triangle of V and its own diagonal, so rows split freely.
 */
function invProd<T>(a: usize, n: i32, ib: i32, ie: i32, r0: i32, r1: i32): void {
  gemmNT<T>(a, n, r0, r1, 0, ib, ie, n, <T>1, 0);
  for (let i = r0; i < r1; i++) {
    const ri = rowPtr<T>(a, n, i);
    for (let j = 0; j < ib; j++) addTo<T>(at<T>(ri, j), dotRange<T>(ri, rowPtr<T>(a, n, j), i, ie));
  }
  for (let i = r0; i < r1; i++) {
    const ri = rowPtr<T>(a, n, i);
    for (let j = ib; j < i; j++) store<T>(at<T>(ri, j), dotRange<T>(ri, rowPtr<T>(a, n, j), i, n));
    store<T>(at<T>(ri, i), dotRange<T>(ri, ri, i, n));
  }
}

/** Rows [r0, r1): the upper triangle from the lower one (reads only the lower triangle), by 64×64 tiles. */
function symmetrize<T>(a: usize, n: i32, r0: i32, r1: i32): void {
  const T_: i32 = 64;
  for (let ib = r0; ib < r1; ib += T_) {
    const ie = min(ib + T_, r1);
    for (let jb = ib; jb < n; jb += T_) {
      const je = min(jb + T_, n);
      for (let i = ib; i < ie; i++) {
        const ri = rowPtr<T>(a, n, i);
        for (let j = max(jb, i + 1); j < je; j++) store<T>(at<T>(ri, j), load<T>(at<T>(rowPtr<T>(a, n, j), i)));
      }
    }
  }
}

/** d[j] = −1 / A[j][j] (one thread; after the inverse, before easeWeights). */
function negInvDiag<T>(a: usize, n: i32, d: usize): void {
  for (let j = 0; j < n; j++) store<T>(at<T>(d, j), <T>-1 / load<T>(at<T>(rowPtr<T>(a, n, j), j)));
}

/** Rows [r0, r1) of the EASE weights in place: A[i][j] ·= d[j], A[i][i] = 0 (A symmetric, d from negInvDiag). */
function easeWeights<T>(a: usize, n: i32, d: usize, r0: i32, r1: i32): void {
  const lanes: i32 = 16 / <i32>sizeof<T>();
  for (let i = r0; i < r1; i++) {
    const ri = rowPtr<T>(a, n, i);
    let j = 0;
    for (; j + lanes - 1 < n; j += lanes) v128.store(at<T>(ri, j), v128.mul<T>(v128.load(at<T>(ri, j)), v128.load(at<T>(d, j))));
    for (; j < n; j++) store<T>(at<T>(ri, j), load<T>(at<T>(ri, j)) * load<T>(at<T>(d, j)));
    store<T>(at<T>(ri, i), <T>0);
  }
}

export function cholUpdate64(a: usize, n: i32, jb: i32, je: i32, r0: i32, r1: i32): void { cholUpdate<f64>(a, n, jb, je, r0, r1); }
export function cholUpdate32(a: usize, n: i32, jb: i32, je: i32, r0: i32, r1: i32): void { cholUpdate<f32>(a, n, jb, je, r0, r1); }
export function cholDiag64(a: usize, n: i32, jb: i32, je: i32): i32 { return cholDiag<f64>(a, n, jb, je); }
export function cholDiag32(a: usize, n: i32, jb: i32, je: i32): i32 { return cholDiag<f32>(a, n, jb, je); }
export function cholPanel64(a: usize, n: i32, jb: i32, je: i32, r0: i32, r1: i32): void { cholPanel<f64>(a, n, jb, je, r0, r1); }
export function cholPanel32(a: usize, n: i32, jb: i32, je: i32, r0: i32, r1: i32): void { cholPanel<f32>(a, n, jb, je, r0, r1); }
export function saveDiag64(a: usize, n: i32, d: usize): void { saveDiag<f64>(a, n, d); }
export function saveDiag32(a: usize, n: i32, d: usize): void { saveDiag<f32>(a, n, d); }
export function invTri64(a: usize, n: i32, d: usize, jb: i32, je: i32, nb: i32, j0: i32, j1: i32): void { invTri<f64>(a, n, d, jb, je, nb, j0, j1); }
export function invTri32(a: usize, n: i32, d: usize, jb: i32, je: i32, nb: i32, j0: i32, j1: i32): void { invTri<f32>(a, n, d, jb, je, nb, j0, j1); }
export function invProd64(a: usize, n: i32, ib: i32, ie: i32, r0: i32, r1: i32): void { invProd<f64>(a, n, ib, ie, r0, r1); }
export function invProd32(a: usize, n: i32, ib: i32, ie: i32, r0: i32, r1: i32): void { invProd<f32>(a, n, ib, ie, r0, r1); }
export function symmetrize64(a: usize, n: i32, r0: i32, r1: i32): void { symmetrize<f64>(a, n, r0, r1); }
export function symmetrize32(a: usize, n: i32, r0: i32, r1: i32): void { symmetrize<f32>(a, n, r0, r1); }
export function negInvDiag64(a: usize, n: i32, d: usize): void { negInvDiag<f64>(a, n, d); }
export function negInvDiag32(a: usize, n: i32, d: usize): void { negInvDiag<f32>(a, n, d); }
export function easeWeights64(a: usize, n: i32, d: usize, r0: i32, r1: i32): void { easeWeights<f64>(a, n, d, r0, r1); }
export function easeWeights32(a: usize, n: i32, d: usize, r0: i32, r1: i32): void { easeWeights<f32>(a, n, d, r0, r1); }
