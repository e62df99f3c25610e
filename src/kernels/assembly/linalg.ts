// Dense SPD inverse in AssemblyScript with WebAssembly SIMD (f64x2): the same blocked three-phase
// algorithm as src/kernels/linalg-impl.ts (Cholesky by block columns, V = L⁻ᵀ by block rows,
// P = V·Vᵀ by block rows), on one row-major n×n float64 matrix at offset `a` of this module's own
// (non-shared) memory. The host grows the memory, writes the matrix, then calls the steps in
// order; nothing is allocated here. The heavy loops are dot products of contiguous row
// segments, computed 2 rows × 4 rows at a time (8 vector accumulators) over k-chunks that keep
// a panel in cache.

const K_CHUNK: i32 = 256;

export function heapBase(): usize {
  return __heap_base;
}

@inline function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

@inline function rowPtr(a: usize, n: i32, r: i32): usize {
  return a + ((<usize>r * <usize>n) << 3);
}

/** Σ_{k∈[k0,k1)} x[k]·y[k] for row pointers x and y. */
function dotRange(x: usize, y: usize, k0: i32, k1: i32): f64 {
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  let k = k0;
  for (; k + 3 < k1; k += 4) {
    const o = <usize>k << 3;
    acc0 = f64x2.add(acc0, f64x2.mul(v128.load(x + o), v128.load(y + o)));
    acc1 = f64x2.add(acc1, f64x2.mul(v128.load(x + o + 16), v128.load(y + o + 16)));
  }
  let s = hsum(f64x2.add(acc0, acc1));
  for (; k < k1; k++) {
    const o = <usize>k << 3;
    s += load<f64>(x + o) * load<f64>(y + o);
  }
  return s;
}

/**
 * A[r][c] = beta·A[r][c] + alpha·Σ_{k∈[k0,k1)} A[r][k]·A[c][k], r ∈ [r0,r1), c ∈ [c0,c1).
 * beta is 0 or 1. The target block must not overlap the k-ranges read.
 */
export function rowDotUpdate(a: usize, n: i32, r0: i32, r1: i32, c0: i32, c1: i32, k0: i32, k1: i32, alpha: f64, beta: i32): void {
  if (beta == 0) {
    for (let r = r0; r < r1; r++) memory.fill(rowPtr(a, n, r) + (<usize>c0 << 3), 0, <usize>(c1 - c0) << 3);
  }
  for (let kb = k0; kb < k1; kb += K_CHUNK) {
    const ke = min(kb + K_CHUNK, k1);
    const kv = kb + ((ke - kb) & ~1); // end of the vectorised part
    const ob = <usize>kb << 3;
    const ov = <usize>kv << 3;
    let r = r0;
    for (; r + 1 < r1; r += 2) {
      const x0 = rowPtr(a, n, r);
      const x1 = x0 + (<usize>n << 3);
      let c = c0;
      for (; c + 3 < c1; c += 4) {
        const y0 = rowPtr(a, n, c);
        const y1 = y0 + (<usize>n << 3);
        const y2 = y1 + (<usize>n << 3);
        const y3 = y2 + (<usize>n << 3);
        let s00 = f64x2.splat(0), s01 = f64x2.splat(0), s02 = f64x2.splat(0), s03 = f64x2.splat(0);
        let s10 = f64x2.splat(0), s11 = f64x2.splat(0), s12 = f64x2.splat(0), s13 = f64x2.splat(0);
        for (let o = ob; o < ov; o += 16) {
          const u0 = v128.load(x0 + o);
          const u1 = v128.load(x1 + o);
          const v0 = v128.load(y0 + o);
          const v1 = v128.load(y1 + o);
          const v2 = v128.load(y2 + o);
          const v3 = v128.load(y3 + o);
          s00 = f64x2.add(s00, f64x2.mul(u0, v0));
          s01 = f64x2.add(s01, f64x2.mul(u0, v1));
          s02 = f64x2.add(s02, f64x2.mul(u0, v2));
          s03 = f64x2.add(s03, f64x2.mul(u0, v3));
          s10 = f64x2.add(s10, f64x2.mul(u1, v0));
          s11 = f64x2.add(s11, f64x2.mul(u1, v1));
          s12 = f64x2.add(s12, f64x2.mul(u1, v2));
          s13 = f64x2.add(s13, f64x2.mul(u1, v3));
        }
        let t00 = hsum(s00), t01 = hsum(s01), t02 = hsum(s02), t03 = hsum(s03);
        let t10 = hsum(s10), t11 = hsum(s11), t12 = hsum(s12), t13 = hsum(s13);
        if (kv < ke) {
          const u0 = load<f64>(x0 + ov);
          const u1 = load<f64>(x1 + ov);
          const v0 = load<f64>(y0 + ov);
          const v1 = load<f64>(y1 + ov);
          const v2 = load<f64>(y2 + ov);
          const v3 = load<f64>(y3 + ov);
          t00 += u0 * v0; t01 += u0 * v1; t02 += u0 * v2; t03 += u0 * v3;
          t10 += u1 * v0; t11 += u1 * v1; t12 += u1 * v2; t13 += u1 * v3;
        }
        const p0 = x0 + (<usize>c << 3);
        const p1 = x1 + (<usize>c << 3);
        store<f64>(p0, load<f64>(p0) + alpha * t00);
        store<f64>(p0 + 8, load<f64>(p0 + 8) + alpha * t01);
        store<f64>(p0 + 16, load<f64>(p0 + 16) + alpha * t02);
        store<f64>(p0 + 24, load<f64>(p0 + 24) + alpha * t03);
        store<f64>(p1, load<f64>(p1) + alpha * t10);
        store<f64>(p1 + 8, load<f64>(p1 + 8) + alpha * t11);
        store<f64>(p1 + 16, load<f64>(p1 + 16) + alpha * t12);
        store<f64>(p1 + 24, load<f64>(p1 + 24) + alpha * t13);
      }
      for (; c < c1; c++) {
        const y0 = rowPtr(a, n, c);
        const p0 = x0 + (<usize>c << 3);
        const p1 = x1 + (<usize>c << 3);
        store<f64>(p0, load<f64>(p0) + alpha * dotRange(x0, y0, kb, ke));
        store<f64>(p1, load<f64>(p1) + alpha * dotRange(x1, y0, kb, ke));
      }
    }
    if (r < r1) {
      const x0 = rowPtr(a, n, r);
      for (let c = c0; c < c1; c++) {
        const p0 = x0 + (<usize>c << 3);
        store<f64>(p0, load<f64>(p0) + alpha * dotRange(x0, rowPtr(a, n, c), kb, ke));
      }
    }
  }
}

/** Phase 0: Cholesky of block column [jb, je). Returns −1 or the index of a non-positive pivot. */
export function choleskyBlock(a: usize, n: i32, jb: i32, je: i32): i32 {
  rowDotUpdate(a, n, jb, n, jb, je, 0, jb, -1.0, 1);
  for (let i = jb; i < je; i++) {
    const ri = rowPtr(a, n, i);
    for (let j = jb; j <= i; j++) {
      const rj = rowPtr(a, n, j);
      const pij = ri + (<usize>j << 3);
      const s = load<f64>(pij) - dotRange(ri, rj, jb, j);
      if (i == j) {
        if (!(s > 0)) return j;
        store<f64>(pij, Math.sqrt(s));
      } else {
        store<f64>(pij, s / load<f64>(rj + (<usize>j << 3)));
      }
    }
  }
  for (let i = je; i < n; i++) {
    const ri = rowPtr(a, n, i);
    for (let j = jb; j < je; j++) {
      const rj = rowPtr(a, n, j);
      const pij = ri + (<usize>j << 3);
      store<f64>(pij, (load<f64>(pij) - dotRange(ri, rj, jb, j)) / load<f64>(rj + (<usize>j << 3)));
    }
  }
  return -1;
}

/** Phase 1: block row [jb, je) of V = L⁻ᵀ (upper triangle and diagonal); block rows ascending. */
export function invTriBlock(a: usize, n: i32, jb: i32, je: i32, nb: i32): void {
  for (let j = jb; j < je; j++) {
    const rj = rowPtr(a, n, j);
    const pjj = rj + (<usize>j << 3);
    store<f64>(pjj, 1.0 / load<f64>(pjj));
    for (let i = j + 1; i < je; i++) {
      const ri = rowPtr(a, n, i);
      store<f64>(rj + (<usize>i << 3), -dotRange(ri, rj, j, i) / load<f64>(ri + (<usize>i << 3)));
    }
  }
  for (let ib = je; ib < n; ib += nb) {
    const ie = min(ib + nb, n);
    rowDotUpdate(a, n, jb, je, ib, ie, je, ib, 1.0, 0);
    for (let j = jb; j < je; j++) {
      const rj = rowPtr(a, n, j);
      for (let i = ib; i < ie; i++) {
        const ri = rowPtr(a, n, i);
        const pji = rj + (<usize>i << 3);
        const t = load<f64>(pji) + dotRange(rj, ri, j, je) + dotRange(rj, ri, ib, i);
        store<f64>(pji, -t / load<f64>(ri + (<usize>i << 3)));
      }
    }
  }
}

/** Phase 2: block row [ib, ie) of P = V·Vᵀ (lower triangle and diagonal). */
export function inverseProductBlock(a: usize, n: i32, ib: i32, ie: i32): void {
  rowDotUpdate(a, n, ib, ie, 0, ib, ie, n, 1.0, 0);
  for (let i = ib; i < ie; i++) {
    const ri = rowPtr(a, n, i);
    for (let j = 0; j < ib; j++) {
      const p = ri + (<usize>j << 3);
      store<f64>(p, load<f64>(p) + dotRange(ri, rowPtr(a, n, j), i, ie));
    }
  }
  for (let i = ib; i < ie; i++) {
    const ri = rowPtr(a, n, i);
    for (let j = ib; j < i; j++) store<f64>(ri + (<usize>j << 3), dotRange(ri, rowPtr(a, n, j), i, n));
    store<f64>(ri + (<usize>i << 3), dotRange(ri, ri, i, n));
  }
}

/** Copies the lower triangle onto the upper one, in 64×64 tiles. */
export function symmetrizeFromLower(a: usize, n: i32): void {
  const T: i32 = 64;
  for (let ib = 0; ib < n; ib += T) {
    for (let jb = ib; jb < n; jb += T) {
      const ie = min(ib + T, n);
      const je = min(jb + T, n);
      for (let i = ib; i < ie; i++) {
        const ri = rowPtr(a, n, i);
        for (let j = max(jb, i + 1); j < je; j++) {
          store<f64>(ri + (<usize>j << 3), load<f64>(rowPtr(a, n, j) + (<usize>i << 3)));
        }
      }
    }
  }
}
