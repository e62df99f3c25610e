// Pieces the WASM kernels share (lrml-train.ts, lrml-score.ts): the f32x4 helpers, the ε of the
// l2 distance and of the cosine attention, and the unit-ball clip of a padded row. Not a module of its own: scripts/build.mjs
// compiles only the files not starting with `_`, and each kernel that imports from here gets its
// own (inlined) copy. The TypeScript homes of the same maths are src/kernels/pair.ts
// (L2_DISTANCE_EPS, COSINE_ATTENTION_EPS) and src/kernels/clip.ts (clipToBall); test/kernels-crosscheck.test.ts checks
// the WASM training kernel's pieces against them.

/** The ε inside the square root of the `l2` distance: sqrt(Σe² + 1e-3) (pair.ts: L2_DISTANCE_EPS). */
export const L2_DISTANCE_EPS: f32 = 1e-3;

/** The ε of the `cosine` attention logits σ (Kₖ · s) / (‖Kₖ‖ ‖s‖ + ε) (pair.ts: COSINE_ATTENTION_EPS). */
export const COSINE_EPS: f32 = 1e-8;

/** acc + a·b in each lane. */
// @ts-ignore: decorator
@inline export function fmadd(acc: v128, a: v128, b: v128): v128 {
  return f32x4.add(acc, f32x4.mul(a, b));
}

/** Sum of the four lanes, as (l0 + l1) + (l2 + l3). */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Σ w² of the row W[0, bytes) (bytes a multiple of 16). */
export function rowSq(W: usize, bytes: usize): f32 {
  let ss = f32x4.splat(0);
  for (let c: usize = 0; c < bytes; c += 16) {
    const v = v128.load(W + c);
    ss = fmadd(ss, v, v);
  }
  return hsum(ss);
}

/**
 * Scales the row W[0, bytes) into the ball of radius max given its Σ w² (ss): by max / norm when
 * ss > max², else leaves it (clip.ts: clipToBall).
 */
export function clipToBall(W: usize, bytes: usize, ss: f32, max: f32): void {
  if (ss > max * max) {
    const f = f32x4.splat(max / Mathf.sqrt(ss));
    for (let c: usize = 0; c < bytes; c += 16) v128.store(W + c, f32x4.mul(v128.load(W + c), f));
  }
}
