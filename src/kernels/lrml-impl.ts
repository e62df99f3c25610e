// LRML / CML triplet training in plain TypeScript: forward pass (the pair forward of pair.ts),
// hand-derived backward pass and optimiser step (the updates of optim.ts, the clip of clip.ts).
// This is the reference the WASM SIMD kernel (assembly/lrml-train.ts) is checked against, and the
// fallback where WebAssembly is unavailable. Pure loops over typed arrays; Float64 scratch
// allocated once per kernel object, nothing allocated per triplet or step.
//
// One training example is a positive (u, i) with k negatives j₁..j_k. For a side x ∈ {i, j₁..j_k}:
//   p = look(P[u]), q = look(Q[x])          look = x·min(1, 1/‖x‖) with clip 'lookup', else identity
//   s = p ⊙ q ; a = softmax(K s) ; r = Σₘ aₘ Mₘ   (r = 0 when numMemories = 0: CML)
//   e = p + r − q ; D = dist(e)              l2: sqrt(Σe² + 1e-3), l2sq: Σe², l1: Σ|e|
// negativeRelation 'copy' scores every negative with the positive's r (gradient flows into it).
// Margin term of negative n: hₙ = margin + D(u,i) − D(u,jₙ); τ = temperature. By `loss`:
//   hinge    'sum' keeps every hₙ > 0, 'hardest' only the largest hₙ if > 0; loss = Σ_kept hₙ,
//            times w = log(1 + ⌊numItems·V/k⌋) with rankWeighting (V = #{n : hₙ > 0}, w constant)
//   softplus 'sum' keeps every n, 'hardest' the largest hₙ (any sign); loss = Σ_kept τ·softplus(hₙ/τ)
//   softmax  every n is kept; loss = −log softmax₀(−D(u,i)/τ, −D(u,j₁)/τ, …, −D(u,j_k)/τ)
// The loss's derivative is Σₙ ωₙ (∂D(u,i) − ∂D(u,jₙ)) over the kept n, with the weights
//   hinge ωₙ = 1 (w with rankWeighting), softplus ωₙ = σ(hₙ/τ), softmax ωₙ = pₙ/τ
// (pₙ the softmax probability of negative n; Σₙ pₙ = 1 − p₀). Each kept ("contributing") triplet
// (u, i, jₙ) also adds l2·(‖P[u]‖² + ‖Q[i]‖² + ‖Q[jₙ]‖²) to the objective (raw, unclipped rows;
// K and M are not regularised; never weighted). The returned loss is without the l2 terms.
// Examples with no contributing triplet (hinge only) skip the backward pass entirely.
//
// Other attentions (`attention` option; types.ts AttentionKind) replace a = softmax(K s): the
// logits, and their backward from dl, are pairAttention / attentionLogitsBackward of pair.ts
// (s is then v = p − q for `fit`, whose ds flows as ∂p += dv, ∂q −= dv).
// After each step: relationCentering subtracts the mean value row from every Mₖ (before the
// memory clip); embeddingLearningRateScale multiplies the rate of P and Q (0: not updated).
// slotDiversity λ adds R = λ/(N(N−1)) Σ_{k≠l} [cos²(Kₖ, Kₗ) + cos²(Mₖ, Mₗ)] to the batch loss once
// per step, its gradient to ∂K, ∂M before their update (slotCosineSquares).
// Backward of a side with upstream dE = ∂obj/∂e:
//   ∂p += dE ; ∂q −= dE ; dr = dE
//   ∂Mₘ += aₘ dr ; daₘ = Mₘ·dr ; dlₘ = aₘ (daₘ − Σₗ aₗ daₗ) ; ∂Kₘ += dlₘ s ; ds = Kᵀ dl
//   ∂p += ds ⊙ q ; ∂q += ds ⊙ p
// then, for clip 'lookup', through the clip of each looked-up row x with ‖x‖ > 1 (y = x/‖x‖):
//   ∂x = (∂y − y (y·∂y)) / ‖x‖

import { clipToBall, unitBallScale } from './clip.js';
import { attention, attentionLogitsBackward, pairAttention, relation, residualDistance } from './pair.js';
import { adagradUpdate, adamSecondMomentScale, adamStepSize, adamUpdate, sgdUpdate } from './optim.js';
import { TouchedRows } from './touched.js';
import type { TripletKernelConfig, TripletParams } from './types.js';

/**
 * The parts of a {@link TripletKernelConfig} that the forward pass uses.
 *
 * @example
 * ```ts
 * const fwd: LrmlForwardConfig = { dim: 64, numMemories: 10, distance: 'l2', clip: 'lookup' };
 * ```
 */
export type LrmlForwardConfig = Pick<TripletKernelConfig, 'dim' | 'numMemories' | 'distance' | 'clip' | 'attention' | 'attentionScale' | 'attentionTemperature'>;

/**
 * Per-kernel scratch of the TypeScript LRML kernel (Float64, allocated once).
 * Side 0 is the positive item, side n + 1 the n-th negative.
 *
 * @example
 * ```ts
 * const scratch = createLrmlScratch(cfg);
 * const loss = lrmlTripletGrad(cfg, params, u, i, neg, 0, grads, scratch);
 * ```
 */
export interface LrmlScratch {
  readonly dim: number;
  readonly numMemories: number;
  readonly negatives: number;
  /** Looked-up p (dim). */
  readonly pc: Float64Array;
  /** Looked-up q per side ((k+1) × dim). */
  readonly qc: Float64Array;
  /** Lookup clip scales (unitBallScale; 1 without the lookup clip): p, then one per side (k+2). */
  readonly scales: Float64Array;
  /** p ⊙ q per side ((k+1) × dim). */
  readonly s: Float64Array;
  /** Attention per side ((k+1) × numMemories). */
  readonly a: Float64Array;
  /** Logits per side ((k+1) × numMemories; attentions other than `dot`). */
  readonly l: Float64Array;
  /** ‖s‖ per side (k+1; `cosine`). */
  readonly ns: Float64Array;
  /** Relation per side ((k+1) × dim). */
  readonly r: Float64Array;
  /** e = p + r − q per side, then ∂obj/∂e ((k+1) × dim). */
  readonly e: Float64Array;
  /** D per side (k+1). */
  readonly dist: Float64Array;
  /** Hinge margin + D(u,i) − D(u,jₙ) per negative (k). */
  readonly hinge: Float64Array;
  /** 1 where the negative's triplet contributes (k). */
  readonly contrib: Uint8Array;
  /** Loss weight ωₙ of each contributing negative (k). */
  readonly weight: Float64Array;
  /** ∂obj/∂p (dim). */
  readonly gp: Float64Array;
  /** ∂obj/∂q per side ((k+1) × dim). */
  readonly gq: Float64Array;
  /** Upstream of the relation (dim), ds (dim), da (numMemories). */
  readonly dr: Float64Array;
  readonly ds: Float64Array;
  readonly da: Float64Array;
  /** The positive's loss coefficient Σ ωₙ and the number of contributing triplets ({@link exampleLossWeights}). */
  readonly lossParts: Float64Array;
}

/**
 * Allocates the scratch of {@link lrmlTripletGrad} / {@link lrmlDistance} for a configuration.
 *
 * @example
 * ```ts
 * const scratch = createLrmlScratch({ dim: 64, numMemories: 10, negatives: 1 });
 * ```
 */
export function createLrmlScratch(cfg: Pick<TripletKernelConfig, 'dim' | 'numMemories' | 'negatives'>): LrmlScratch {
  const d = cfg.dim;
  const n = cfg.numMemories;
  const k = Math.max(1, cfg.negatives);
  const sides = k + 1;
  return {
    dim: d, numMemories: n, negatives: k,
    pc: new Float64Array(d), qc: new Float64Array(sides * d), scales: new Float64Array(sides + 1),
    s: new Float64Array(sides * d), a: new Float64Array(sides * n), l: new Float64Array(sides * n), ns: new Float64Array(sides), r: new Float64Array(sides * d),
    e: new Float64Array(sides * d), dist: new Float64Array(sides), hinge: new Float64Array(k),
    contrib: new Uint8Array(k), weight: new Float64Array(k), gp: new Float64Array(d), gq: new Float64Array(sides * d),
    dr: new Float64Array(d), ds: new Float64Array(d), da: new Float64Array(n), lossParts: new Float64Array(2),
  };
}

/** Copies row `row` of X into out[o, o+d), scaled into the unit ball when `lookup`; returns the scale. */
function lookUp(X: Float32Array, row: number, d: number, lookup: boolean, out: Float64Array, o: number): number {
  const xo = row * d;
  const f = lookup ? unitBallScale(X, xo, d) : 1;
  for (let c = 0; c < d; c++) out[o + c] = X[xo + c] * f;
  return f;
}

/**
 * Forward of one side through the pair forward of pair.ts: s (own relation), a, r,
 * e = p + r_src − q; returns D. `relSide` is the side whose relation is used (the side itself,
 * or 0 for a copied relation).
 */
function sideForward(cfg: LrmlForwardConfig, K: Float32Array, M: Float32Array, sc: LrmlScratch, side: number, relSide: number): number {
  const d = cfg.dim;
  const n = cfg.numMemories;
  const pc = sc.pc;
  const qc = sc.qc;
  const so = side * d;
  if (n > 0 && relSide === side) {
    if ((cfg.attention ?? 'dot') === 'dot') {
      const s = sc.s;
      for (let c = 0; c < d; c++) s[so + c] = pc[c] * qc[so + c];
      attention(K, s, so, d, n, sc.a, side * n);
    } else {
      sc.ns[side] = pairAttention(cfg, K, M, pc, 0, qc, so, sc.s, so, d, n, sc.l, side * n, sc.a, side * n);
    }
    relation(sc.a, side * n, M, d, n, sc.r, so);
  }
  return residualDistance(cfg.distance, pc, 0, n > 0 ? sc.r : null, relSide * d, qc, so, sc.e, so, d);
}

/**
 * Turns e of `side` (sc.e at side·dim) into coef · ∂D/∂e in place (D = sc.dist[side] for `l2`).
 *
 * @example
 * ```ts
 * distanceGrad(cfg, sc, 0, sc.lossParts[0]); // the positive's upstream
 * ```
 */
export function distanceGrad(cfg: LrmlForwardConfig, sc: LrmlScratch, side: number, coef: number): void {
  const d = cfg.dim;
  const e = sc.e;
  const o = side * d;
  if (cfg.distance === 'l2sq') {
    const f = 2 * coef;
    for (let c = o; c < o + d; c++) e[c] *= f;
  } else if (cfg.distance === 'l2') {
    const f = coef / sc.dist[side];
    for (let c = o; c < o + d; c++) e[c] *= f;
  } else {
    for (let c = o; c < o + d; c++) e[c] = e[c] > 0 ? coef : e[c] < 0 ? -coef : 0;
  }
}

/**
 * Backward through the memory relation of side `side` (attention sc.a and joint sc.s of that
 * side) with upstream sc.dr = ∂obj/∂r: accumulates ∂K, ∂M and writes ds = ∂obj/∂s into sc.ds.
 *
 * @example
 * ```ts
 * relationBackward(cfg, K, M, grads.K, grads.M, dim, numMemories, sc, side);
 * ```
 */
export function relationBackward(cfg: LrmlForwardConfig, K: Float32Array, M: Float32Array, gK: Float32Array, gM: Float32Array, d: number, n: number, sc: LrmlScratch, side: number): void {
  const a = sc.a;
  const s = sc.s;
  const dr = sc.dr;
  const da = sc.da;
  const ds = sc.ds;
  const ao = side * n;
  const so = side * d;
  let sa = 0;
  // daₘ = Mₘ · dr and ∂Mₘ += aₘ dr in one pass, four independent partial sums
  for (let m = 0; m < n; m++) {
    const mo = m * d;
    const am = a[ao + m];
    let x0 = 0;
    let x1 = 0;
    let x2 = 0;
    let x3 = 0;
    let c = 0;
    for (; c + 3 < d; c += 4) {
      const o = mo + c;
      const g0 = dr[c];
      const g1 = dr[c + 1];
      const g2 = dr[c + 2];
      const g3 = dr[c + 3];
      x0 += M[o] * g0;
      x1 += M[o + 1] * g1;
      x2 += M[o + 2] * g2;
      x3 += M[o + 3] * g3;
      gM[o] += am * g0;
      gM[o + 1] += am * g1;
      gM[o + 2] += am * g2;
      gM[o + 3] += am * g3;
    }
    for (; c < d; c++) {
      x0 += M[mo + c] * dr[c];
      gM[mo + c] += am * dr[c];
    }
    const x = (x0 + x1) + (x2 + x3);
    da[m] = x;
    sa += am * x;
  }
  for (let m = 0; m < n; m++) da[m] = a[ao + m] * (da[m] - sa);
  const kind = cfg.attention ?? 'dot';
  if (kind !== 'dot') {
    // fit-hard: one-hot attention, dl = 0, no gradient through the choice
    if (kind === 'fit-hard') ds.fill(0);
    else attentionLogitsBackward(cfg, K, M, s, so, d, n, sc.l, ao, sc.ns[side], da, 0, ds, 0, kind === 'cosine' ? gK : gM);
    return;
  }
  // ds = Kᵀ dl four columns at a time in registers; ∂Kₘ += dlₘ s
  let c = 0;
  for (; c + 3 < d; c += 4) {
    let y0 = 0;
    let y1 = 0;
    let y2 = 0;
    let y3 = 0;
    const s0 = s[so + c];
    const s1 = s[so + c + 1];
    const s2 = s[so + c + 2];
    const s3 = s[so + c + 3];
    for (let m = 0, o = c; m < n; m++, o += d) {
      const dl = da[m];
      y0 += dl * K[o];
      y1 += dl * K[o + 1];
      y2 += dl * K[o + 2];
      y3 += dl * K[o + 3];
      gK[o] += dl * s0;
      gK[o + 1] += dl * s1;
      gK[o + 2] += dl * s2;
      gK[o + 3] += dl * s3;
    }
    ds[c] = y0;
    ds[c + 1] = y1;
    ds[c + 2] = y2;
    ds[c + 3] = y3;
  }
  for (; c < d; c++) {
    let y0 = 0;
    const s0 = s[so + c];
    for (let m = 0, o = c; m < n; m++, o += d) {
      y0 += da[m] * K[o];
      gK[o] += da[m] * s0;
    }
    ds[c] = y0;
  }
}

/** ∂p += ds ⊙ q_side ; ∂q_side += ds ⊙ p (fit attentions, ds = ∂obj/∂v: ∂p += ds ; ∂q_side −= ds). */
function embedFromS(cfg: LrmlForwardConfig, sc: LrmlScratch, d: number, side: number): void {
  const ds = sc.ds;
  const gp = sc.gp;
  const gq = sc.gq;
  const pc = sc.pc;
  const qc = sc.qc;
  const o = side * d;
  const kind = cfg.attention ?? 'dot';
  if (kind === 'fit' || kind === 'fit-hard') {
    for (let c = 0; c < d; c++) {
      gp[c] += ds[c];
      gq[o + c] -= ds[c];
    }
    return;
  }
  for (let c = 0; c < d; c++) {
    gp[c] += ds[c] * qc[o + c];
    gq[o + c] += ds[c] * pc[c];
  }
}

/**
 * Adds the gradient g[go, go+d) of a looked-up row (after the clip backward when it was clipped,
 * i.e. its lookup scale is < 1, plus `reg`·x for the regulariser) into G's row `row`.
 *
 * @example
 * ```ts
 * scatterRow(P, grads.P, u, dim, gp, 0, pc, 0, 1, 2 * l2); // an unclipped row
 * ```
 */
export function scatterRow(
  X: Float32Array, G: Float32Array, row: number, d: number, g: Float64Array, go: number,
  y: Float64Array, yo: number, scale: number, reg: number,
): void {
  const xo = row * d;
  if (scale < 1) {
    let dot = 0;
    for (let c = 0; c < d; c++) dot += y[yo + c] * g[go + c];
    for (let c = 0; c < d; c++) G[xo + c] += (g[go + c] - dot * y[yo + c]) * scale + reg * X[xo + c];
  } else {
    for (let c = 0; c < d; c++) G[xo + c] += g[go + c] + reg * X[xo + c];
  }
}

/**
 * The rank weight of `rankWeighting` (CML, Hsieh et al. 2017): with V of k sampled negatives
 * violating the margin, the positive's rank is estimated as ⌊numItems·V/k⌋ and the example's hinge
 * loss is weighted by log(1 + rank). 0 when V = 0.
 *
 * @example
 * ```ts
 * lrmlRankWeight(3706, 4, 10); // log(1 + 1482) ≈ 7.30
 * ```
 */
export function lrmlRankWeight(numItems: number, violators: number, negatives: number): number {
  return Math.log(1 + Math.floor((numItems * violators) / negatives));
}

/**
 * D(u, i) of one pair, with the pair's own attention (Float64 arithmetic on the Float32
 * parameters), honouring `distance` and the `lookup` clip. Uses side 0 of `scratch`.
 *
 * @example
 * ```ts
 * const d = lrmlDistance(cfg, params, 3, 17, createLrmlScratch({ ...cfg, negatives: 1 }));
 * ```
 */
export function lrmlDistance(cfg: LrmlForwardConfig, params: TripletParams, u: number, i: number, scratch: LrmlScratch): number {
  const d = cfg.dim;
  const lookup = cfg.clip === 'lookup';
  lookUp(params.P, u, d, lookup, scratch.pc, 0);
  lookUp(params.Q, i, d, lookup, scratch.qc, 0);
  return sideForward(cfg, params.K, params.M, scratch, 0, 0);
}

/**
 * The loss of one example and the weights of its backward pass, from the distances
 * dist[0] = D(u, i) and dist[1..k] = D(u, jₙ) (k = cfg.negatives): fills sc.hinge (hₙ), sc.contrib
 * (1 for a kept negative) and sc.weight (ωₙ), writes the positive's coefficient Σ ωₙ to
 * sc.lossParts[0] and the number of contributing triplets to sc.lossParts[1] (0: no backward
 * pass), and returns the loss (`cfg.loss`, see the file header). Shared by the triplet kernels
 * (LRML / CML here, HLR in hlr-impl.ts).
 *
 * @example
 * ```ts
 * const loss = exampleLossWeights(cfg, sc.dist, sc);
 * if (sc.lossParts[1] > 0) distanceGrad(cfg, sc, 0, sc.lossParts[0]);
 * ```
 */
export function exampleLossWeights(
  cfg: Pick<TripletKernelConfig, 'negatives' | 'margin' | 'negativeMode' | 'loss' | 'temperature' | 'rankWeighting' | 'numItems'>,
  dist: Float64Array, sc: LrmlScratch,
): number {
  const k = cfg.negatives;
  const { hinge, contrib, weight } = sc;
  let best = -1; // largest positive hinge
  let bestH = 0;
  let top = 0; // largest hinge of any sign
  for (let t = 0; t < k; t++) {
    const h = cfg.margin + dist[0] - dist[t + 1];
    hinge[t] = h;
    contrib[t] = 0;
    if (h > bestH) {
      bestH = h;
      best = t;
    }
    if (h > hinge[top]) top = t;
  }
  const hardest = cfg.negativeMode === 'hardest';
  const lossKind = cfg.loss ?? 'hinge';
  let loss = 0;
  let cnt = 0;
  let wPos = 0; // Σ of the kept weights: the positive's coefficient
  if (lossKind === 'hinge') {
    if (hardest) {
      if (best >= 0) {
        contrib[best] = 1;
        weight[best] = 1;
        loss = bestH;
        cnt = 1;
      }
    } else {
      for (let t = 0; t < k; t++) {
        if (hinge[t] > 0) {
          contrib[t] = 1;
          weight[t] = 1;
          loss += hinge[t];
          cnt++;
        }
      }
    }
    wPos = cnt;
    if (cfg.rankWeighting === true) {
      let violators = 0;
      for (let t = 0; t < k; t++) if (hinge[t] > 0) violators++;
      const w = lrmlRankWeight(cfg.numItems, violators, k);
      loss *= w;
      wPos *= w;
      for (let t = 0; t < k; t++) weight[t] = w;
    }
  } else if (lossKind === 'softplus') {
    const tau = cfg.temperature ?? 1;
    for (let t = hardest ? top : 0; t < (hardest ? top + 1 : k); t++) {
      const x = hinge[t] / tau;
      const ex = Math.exp(-Math.abs(x));
      loss += tau * (Math.max(x, 0) + Math.log1p(ex));
      const w = x >= 0 ? 1 / (1 + ex) : ex / (1 + ex);
      contrib[t] = 1;
      weight[t] = w;
      wPos += w;
      cnt++;
    }
  } else {
    // softmax over logits −D/τ; pₙ = exp(zₙ − zmax) / Z
    const itau = 1 / (cfg.temperature ?? 1);
    let zmax = -dist[0] * itau;
    for (let t = 1; t <= k; t++) zmax = Math.max(zmax, -dist[t] * itau);
    let z = Math.exp(-dist[0] * itau - zmax);
    for (let t = 0; t < k; t++) {
      const ex = Math.exp(-dist[t + 1] * itau - zmax);
      weight[t] = ex;
      z += ex;
    }
    loss = Math.log(z) + zmax + dist[0] * itau;
    const f = itau / z;
    for (let t = 0; t < k; t++) {
      const w = weight[t] * f;
      contrib[t] = 1;
      weight[t] = w;
      wPos += w;
    }
    cnt = k;
  }
  sc.lossParts[0] = wPos;
  sc.lossParts[1] = cnt;
  return loss;
}

/**
 * Loss and gradients of ONE training example: positive (u, i) with the `cfg.negatives`
 * negatives neg[negOffset ..]. Returns the example's loss (`cfg.loss`, without the l2 terms) and
 * ADDS the gradient of the objective (loss + l2 terms, see the file header) into `grads`
 * (same shapes as `params`). Parameters are not changed.
 *
 * @example
 * ```ts
 * const grads = { P: new Float32Array(P.length), Q: new Float32Array(Q.length), K: new Float32Array(K.length), M: new Float32Array(M.length) };
 * const loss = lrmlTripletGrad(cfg, params, 0, 5, Int32Array.of(9), 0, grads, createLrmlScratch(cfg));
 * ```
 */
export function lrmlTripletGrad(
  cfg: TripletKernelConfig, params: TripletParams, u: number, i: number, neg: Int32Array, negOffset: number,
  grads: TripletParams, sc: LrmlScratch,
): number {
  const d = cfg.dim;
  const n = cfg.numMemories;
  const k = cfg.negatives;
  const { P, Q, K, M } = params;
  const lookup = cfg.clip === 'lookup';
  const own = cfg.negativeRelation === 'own';
  const scales = sc.scales;
  // forward
  scales[0] = lookUp(P, u, d, lookup, sc.pc, 0);
  scales[1] = lookUp(Q, i, d, lookup, sc.qc, 0);
  const dist = sc.dist;
  dist[0] = sideForward(cfg, K, M, sc, 0, 0);
  const contrib = sc.contrib;
  const weight = sc.weight;
  for (let t = 0; t < k; t++) {
    const side = t + 1;
    scales[side + 1] = lookUp(Q, neg[negOffset + t], d, lookup, sc.qc, side * d);
    dist[side] = sideForward(cfg, K, M, sc, side, own ? side : 0);
  }
  const loss = exampleLossWeights(cfg, dist, sc);
  const wPos = sc.lossParts[0];
  const cnt = sc.lossParts[1];
  if (cnt === 0) return 0;

  // backward: ∂obj/∂e per side (positive: Σωₙ · ∂D/∂e; contributing negative: −ωₙ ∂D/∂e)
  const e = sc.e;
  const gp = sc.gp;
  const gq = sc.gq;
  const dr = sc.dr;
  distanceGrad(cfg, sc, 0, wPos);
  for (let t = 0; t < k; t++) if (contrib[t] === 1) distanceGrad(cfg, sc, t + 1, -weight[t]);
  for (let c = 0; c < d; c++) {
    gp[c] = e[c];
    gq[c] = -e[c];
  }
  for (let t = 0; t < k; t++) {
    if (contrib[t] === 0) continue;
    const o = (t + 1) * d;
    for (let c = 0; c < d; c++) {
      gp[c] += e[o + c];
      gq[o + c] = -e[o + c];
    }
  }
  if (n > 0) {
    if (own) {
      for (let side = 0; side <= k; side++) {
        if (side > 0 && contrib[side - 1] === 0) continue;
        const o = side * d;
        for (let c = 0; c < d; c++) dr[c] = e[o + c];
        relationBackward(cfg, K, M, grads.K, grads.M, d, n, sc, side);
        embedFromS(cfg, sc, d, side);
      }
    } else {
      // copied relation: every contributing side's upstream flows into the positive's r
      for (let c = 0; c < d; c++) dr[c] = e[c];
      for (let t = 0; t < k; t++) {
        if (contrib[t] === 0) continue;
        const o = (t + 1) * d;
        for (let c = 0; c < d; c++) dr[c] += e[o + c];
      }
      relationBackward(cfg, K, M, grads.K, grads.M, d, n, sc, 0);
      embedFromS(cfg, sc, d, 0);
    }
  }
  const reg = 2 * cfg.l2;
  scatterRow(P, grads.P, u, d, gp, 0, sc.pc, 0, scales[0], reg * cnt);
  scatterRow(Q, grads.Q, i, d, gq, 0, sc.qc, 0, scales[1], reg * cnt);
  for (let t = 0; t < k; t++) {
    if (contrib[t] === 0) continue;
    const side = t + 1;
    scatterRow(Q, grads.Q, neg[negOffset + t], d, gq, side * d, sc.qc, side * d, scales[side + 1], reg);
  }
  return loss;
}

/**
 * `relationCentering`: subtracts the mean row from every row of X (rows × d; the column means in
 * Float64, rounded once per entry).
 *
 * @example
 * ```ts
 * centerRows(params.M, numMemories, dim); // Σₖ Mₖ = 0 (up to rounding)
 * ```
 */
export function centerRows(X: Float32Array, rows: number, d: number): void {
  if (rows === 0) return;
  for (let c = 0; c < d; c++) {
    let m = 0;
    for (let r = 0; r < rows; r++) m += X[r * d + c];
    m /= rows;
    for (let r = 0; r < rows; r++) X[r * d + c] -= m;
  }
}

/**
 * The ε added to Σx² in the norms of the slot-diversity cosines, ‖x‖ = sqrt(Σx² + ε): a zero row
 * gives cos = 0 and a finite gradient (the WASM kernel's `SLOT_EPS`).
 *
 * @example
 * ```ts
 * const n = Math.sqrt(sumOfSquares + SLOT_DIVERSITY_EPS);
 * ```
 */
export const SLOT_DIVERSITY_EPS = 1e-8;

/**
 * The norms of the slot-diversity cosines, norms[k] = sqrt(Σ_c X[k·d + c]² + {@link SLOT_DIVERSITY_EPS}),
 * of the `rows` rows of X (rows × d).
 *
 * @example
 * ```ts
 * slotNorms(params.K, numMemories, dim, norms);
 * ```
 */
export function slotNorms(X: ArrayLike<number>, rows: number, d: number, norms: Float64Array): void {
  for (let k = 0; k < rows; k++) {
    let ss = 0;
    for (let c = 0; c < d; c++) ss += X[k * d + c] * X[k * d + c];
    norms[k] = Math.sqrt(ss + SLOT_DIVERSITY_EPS);
  }
}

/**
 * S = Σ_{k≠l} cos²(Xₖ, Xₗ) over the `rows` rows of X (rows × d), cos(a, b) = a·b / (‖a‖ ‖b‖)
 * with ‖x‖ = sqrt(Σx² + {@link SLOT_DIVERSITY_EPS}); when G is given, adds `weight` · ∂S/∂X into
 * it: ∂S/∂Xₖ = 4 Σ_{l≠k} cosₖₗ (Xₗ / (‖Xₖ‖ ‖Xₗ‖) − cosₖₗ Xₖ / ‖Xₖ‖²) (each row's gradient summed
 * in Float64, rounded into G once per entry). `norms` (≥ rows) and `acc` (≥ d) are scratch.
 * The `slotDiversity` term of a step is λ/(N(N−1)) · (S(K) + S(M)).
 *
 * @example
 * ```ts
 * const s = slotCosineSquares(K, n, d, lambda / (n * (n - 1)), gradK, new Float64Array(n), new Float64Array(d));
 * ```
 */
export function slotCosineSquares(X: Float32Array, rows: number, d: number, weight: number, G: Float32Array | null, norms: Float64Array, acc: Float64Array): number {
  slotNorms(X, rows, d, norms);
  let total = 0;
  for (let k = 0; k < rows; k++) {
    const ok = k * d;
    const nk = norms[k];
    acc.fill(0, 0, d);
    let self = 0;
    for (let l = 0; l < rows; l++) {
      if (l === k) continue;
      const ol = l * d;
      let dot = 0;
      for (let c = 0; c < d; c++) dot += X[ok + c] * X[ol + c];
      const inv = 1 / (nk * norms[l]);
      const cos = dot * inv;
      self += cos * cos;
      const f = cos * inv;
      for (let c = 0; c < d; c++) acc[c] += f * X[ol + c];
    }
    total += self;
    if (G === null) continue;
    const w = 4 * weight;
    const fs = self / (nk * nk);
    for (let c = 0; c < d; c++) G[ok + c] += w * (acc[c] - fs * X[ok + c]);
  }
  return total;
}

/**
 * One LRML / CML optimiser step per call: gradients summed over the batch's examples
 * ({@link lrmlTripletGrad}), then the optimiser on the touched rows of P and Q and on all of K
 * and M, then clipping.
 *
 * - `adam`: lazy for P and Q (m, v and the update only for rows that appear in the batch, even
 *   when their gradient is zero; bias correction from the kernel's global step count), dense
 *   for K and M: m = β₁m + (1−β₁)g, v = β₂v + (1−β₂)g², w −= lr·m̂ / (sqrt(v̂) + ε).
 * - `adagrad`: h += g², w −= lr·g / (sqrt(h) + ε) (h starts at 0).
 * - `sgd`: w −= lr·g.
 * - clip `rows`: touched P/Q rows scaled to norm ≤ 1 after the update; `clipMemory`: every row of
 *   K and M too (after `relationCentering` when set).
 * - `embeddingLearningRateScale` multiplies the step of P and Q (0: they keep rows and state).
 * - `slotDiversity` λ > 0: once per step, the gradient of the slot-diversity term joins the
 *   batch's gradients of K and M before their update, and the term joins the returned loss.
 *
 * Works in place on `params` (the caller's arrays). Deterministic.
 *
 * @example
 * ```ts
 * const step = new LrmlTsStep(cfg, params);
 * for (let off = 0; off < n; off += 1024) loss += step.step(users, pos, neg, off, Math.min(1024, n - off));
 * ```
 */
export class LrmlTsStep {
  /** Gradient accumulators (zero between steps). */
  readonly grads: TripletParams;
  /** Optimiser state: Adam m / Adagrad h (first), Adam v (second); empty when unused. */
  readonly state1: TripletParams;
  readonly state2: TripletParams;
  protected readonly scratch: LrmlScratch;
  /** The users and items the current step touches (their rows get the lazy update). */
  protected readonly touchedP: TouchedRows;
  protected readonly touchedQ: TouchedRows;
  /** Scratch of the slot-diversity term: a norm per slot, a row's gradient. */
  private readonly slotNorms: Float64Array;
  private readonly slotAcc: Float64Array;
  /** Optimiser steps taken (Adam's bias correction uses it). */
  t = 0;
  /** Learning rate of the next steps (starts at cfg.learningRate; a schedule changes it). */
  learningRate: number;

  constructor(readonly cfg: TripletKernelConfig, readonly params: TripletParams) {
    const { numUsers, numItems, dim, numMemories } = cfg;
    const zeros = (len: number): TripletParams => ({
      P: new Float32Array(len && numUsers * dim), Q: new Float32Array(len && numItems * dim),
      K: new Float32Array(len && numMemories * dim), M: new Float32Array(len && numMemories * dim),
    });
    this.grads = zeros(1);
    this.state1 = zeros(cfg.optimizer === 'sgd' ? 0 : 1);
    this.state2 = zeros(cfg.optimizer === 'adam' ? 1 : 0);
    this.scratch = createLrmlScratch(cfg);
    this.touchedP = new TouchedRows(numUsers);
    this.touchedQ = new TouchedRows(numItems);
    const diverse = (cfg.slotDiversity ?? 0) > 0;
    this.slotNorms = new Float64Array(diverse ? numMemories : 0);
    this.slotAcc = new Float64Array(diverse ? dim : 0);
    this.learningRate = cfg.learningRate;
  }

  /**
   * Trains on the examples [offset, offset + count): user users[t], positive pos[t], negatives
   * neg[t·k .. t·k + k). Returns the summed loss (without the l2 terms, with the slot-diversity
   * term; computed before the update).
   */
  step(users: Int32Array, pos: Int32Array, neg: Int32Array, offset: number, count: number): number {
    const cfg = this.cfg;
    const k = cfg.negatives;
    const t = this.beginStep(users, pos, neg, offset, count);
    let loss = 0;
    for (let x = offset; x < offset + count; x++) {
      loss += lrmlTripletGrad(cfg, this.params, users[x], pos[x], neg, x * k, this.grads, this.scratch);
    }
    loss += this.slotDiversity();
    this.apply(t);
    return loss;
  }

  /**
   * `slotDiversity` λ > 0 with N ≥ 2 slots: adds the gradient of R = λ/(N(N−1)) · (S(K) + S(M))
   * ({@link slotCosineSquares}) to the step's gradients of K and M and returns R (0 when off).
   */
  protected slotDiversity(): number {
    const lambda = this.cfg.slotDiversity ?? 0;
    const n = this.cfg.numMemories;
    if (!(lambda > 0) || n < 2) return 0;
    const d = this.cfg.dim;
    const w = lambda / (n * (n - 1));
    const { params: W, grads: G, slotNorms, slotAcc } = this;
    return w * (slotCosineSquares(W.K, n, d, w, G.K, slotNorms, slotAcc) + slotCosineSquares(W.M, n, d, w, G.M, slotNorms, slotAcc));
  }

  /**
   * Starts the next optimiser step over the examples [offset, offset + count): their users,
   * positives and negatives become its touched rows. Returns the step number.
   */
  protected beginStep(users: Int32Array, pos: Int32Array, neg: Int32Array, offset: number, count: number): number {
    const k = this.cfg.negatives;
    const t = ++this.t;
    const { touchedP, touchedQ } = this;
    touchedP.begin(t);
    touchedQ.begin(t);
    for (let x = offset; x < offset + count; x++) {
      touchedP.touch(users[x]);
      touchedQ.touch(pos[x]);
      for (let y = x * k; y < x * k + k; y++) touchedQ.touch(neg[y]);
    }
    return t;
  }

  /** The optimiser on the touched users and items of step t, then K and M; then the clips. */
  protected apply(t: number): void {
    const cfg = this.cfg;
    const d = cfg.dim;
    const { params: W, grads: G, state1: S1, state2: S2 } = this;
    const clipRows = cfg.clip === 'rows';
    const lr = this.learningRate;
    const lrc = adamStepSize(lr, cfg.beta1, t);
    const ibc2 = adamSecondMomentScale(cfg.beta2, t);
    // embeddingLearningRateScale: the rates of P and Q (0: gradients dropped, rows and state kept)
    const es = cfg.embeddingLearningRateScale ?? 1;
    // (and userLearningRateScale P's on top)
    const ps = es * (cfg.userLearningRateScale ?? 1);
    const { touchedP, touchedQ } = this;
    for (let r = 0; r < touchedP.count; r++) {
      const o = touchedP.rows[r] * d;
      if (ps === 0) {
        G.P.fill(0, o, o + d);
        continue;
      }
      this.update(W.P, G.P, S1.P, S2.P, o, d, lrc * ps, ibc2, lr * ps);
      if (clipRows) clipToBall(W.P, o, d);
    }
    for (let r = 0; r < touchedQ.count; r++) {
      const o = touchedQ.rows[r] * d;
      if (es === 0) {
        G.Q.fill(0, o, o + d);
        continue;
      }
      this.update(W.Q, G.Q, S1.Q, S2.Q, o, d, lrc * es, ibc2, lr * es);
      if (clipRows) clipToBall(W.Q, o, d);
    }
    const len = cfg.numMemories * d;
    if (len > 0) {
      this.update(W.K, G.K, S1.K, S2.K, 0, len, lrc, ibc2, lr);
      this.update(W.M, G.M, S1.M, S2.M, 0, len, lrc, ibc2, lr);
      if (cfg.relationCentering === true) centerRows(W.M, cfg.numMemories, d);
      if (cfg.clipMemory) {
        const maxKey = cfg.maxKeyNorm ?? 1;
        for (let o = 0; o < len; o += d) {
          clipToBall(W.K, o, d, maxKey);
          clipToBall(W.M, o, d);
        }
      }
    }
  }

  /** Optimiser update of W[o, o+len) from G (zeroed after use); optim.ts has the maths. */
  private update(W: Float32Array, G: Float32Array, S1: Float32Array, S2: Float32Array, o: number, len: number, lrc: number, ibc2: number, lr: number): void {
    const { optimizer, beta1, beta2, epsilon } = this.cfg;
    if (optimizer === 'adam') adamUpdate(W, G, S1, S2, o, o + len, lrc, ibc2, beta1, beta2, epsilon);
    else if (optimizer === 'adagrad') adagradUpdate(W, G, S1, o, o + len, lr, epsilon);
    else sgdUpdate(W, G, o, o + len, lr);
  }
}
