// HLR: a relation conditioned on the user's history (after Tran, Salha-Galvan, Hennequin,
// Moussallam, "Hierarchical Latent Relation Modeling for Collaborative Metric Learning", RecSys
// 2021). Plain TypeScript training step, scoring and forward, over the pair maths of pair.ts, the
// loss weights and backward helpers of lrml-impl.ts and the optimiser of LrmlTsStep.
//
// For user u (p = P[u]) and a target item x (q = Q[x]), the references are the user and the
// items of u's history H (at most historyLength of them; the target itself is never one):
//   X = [p, Q[h₁], …, Q[h_L]] minus any row whose item is x
//   level 1 (target–history attention):  βₜ = softmax_t(q · Xₜ / τ_h)      τ_h = historyTemperature
//   history summary:                        h = Σₜ βₜ Xₜ
//   level 2 (LRML's memory):               s = q ⊙ h ; a = softmax(K s) ; r = Σₘ aₘ Mₘ
//   e = p + r − q ; D = dist(e)            l2: sqrt(Σe² + 1e-3), l2sq: Σe², l1: Σ|e|
// Every side of an example (the positive and each negative) has its own β, h, a and r over the
// same history. The loss of an example is that of the LRML kernel (exampleLossWeights).
//
// Backward of a side with upstream dE = ∂obj/∂e:
//   ∂p += dE ; ∂q −= dE ; dr = dE ; memory backward (relationBackward) gives ds = ∂obj/∂s
//   ∂q += ds ⊙ h ; dh = ds ⊙ q
//   ∂Xₜ += βₜ dh ; dβₜ = Xₜ · dh ; dzₜ = βₜ (dβₜ − Σₗ βₗ dβₗ) / τ_h
//   ∂q += Σₜ dzₜ Xₜ ; ∂Xₜ += dzₜ q
// ∂X₀ goes to p, ∂Xₜ (t ≥ 1) to the history item's row of Q (no l2 on history rows).
// Float64 arithmetic on the Float32 parameters; scratch allocated once per kernel object.

import { attention, relation, residualDistance } from './pair.js';
import { LrmlTsStep, createLrmlScratch, distanceGrad, exampleLossWeights, relationBackward, scatterRow, type LrmlScratch } from './lrml-impl.js';
import type { TripletKernelConfig, TripletParams } from './types.js';

/**
 * The configuration of the HLR kernel: the triplet kernel's, the history length L and the
 * temperature τ_h of the target–history attention (clip `lookup` and the copied negative relation
 * are not supported: HLR scores each negative with its own relation).
 *
 * @example
 * ```ts
 * const cfg: HlrKernelConfig = { ...tripletCfg, historyLength: 20, historyTemperature: 0.2 };
 * ```
 */
export interface HlrKernelConfig extends TripletKernelConfig {
  historyLength: number;
  historyTemperature: number;
}

/**
 * Scratch of the HLR kernel (Float64, allocated once): the LRML scratch of the sides (p, q, s, a,
 * r, e, D, loss weights, ∂p, ∂q) and the references.
 *
 * @example
 * ```ts
 * const sc = createHlrScratch(cfg);
 * ```
 */
export interface HlrScratch {
  readonly base: LrmlScratch;
  /** Reference capacity: historyLength + 1 (the user, then the history). */
  readonly capacity: number;
  /** References in use. */
  count: number;
  /** Reference rows (capacity × dim): row 0 = p. */
  readonly X: Float64Array;
  /** The item of each reference (−1 for the user). */
  readonly refItem: Int32Array;
  /** Level-1 attention per side (sides × capacity). */
  readonly beta: Float64Array;
  /** History summary per side (sides × dim). */
  readonly h: Float64Array;
  /** ∂obj/∂X (capacity × dim). */
  readonly gX: Float64Array;
  /** dh (dim) and dβ (capacity). */
  readonly dh: Float64Array;
  readonly dbeta: Float64Array;
}

/**
 * Allocates the scratch of {@link hlrTripletGrad} / {@link hlrScoreItems} (reuses `base` when
 * given, e.g. a step's LRML scratch).
 *
 * @example
 * ```ts
 * const sc = createHlrScratch({ dim: 32, numMemories: 10, negatives: 5, historyLength: 20 });
 * ```
 */
export function createHlrScratch(cfg: Pick<HlrKernelConfig, 'dim' | 'numMemories' | 'negatives' | 'historyLength'>, base?: LrmlScratch): HlrScratch {
  const d = cfg.dim;
  const cap = cfg.historyLength + 1;
  const sides = Math.max(1, cfg.negatives) + 1;
  return {
    base: base ?? createLrmlScratch(cfg), capacity: cap, count: 0,
    X: new Float64Array(cap * d), refItem: new Int32Array(cap), beta: new Float64Array(sides * cap),
    h: new Float64Array(sides * d), gX: new Float64Array(cap * d), dh: new Float64Array(d), dbeta: new Float64Array(cap),
  };
}

/**
 * Loads the references: the user vector p[po, po + d) (copied into sc.base.pc and row 0 of X) and the rows of
 * Q of hist[offset, offset + len) (at most capacity − 1 of them: the first ones).
 *
 * @example
 * ```ts
 * hlrSetReferences(sc, P, u * d, Q, history, 0, history.length, d);
 * ```
 */
export function hlrSetReferences(sc: HlrScratch, p: Float32Array | Float64Array, po: number, Q: Float32Array, hist: Int32Array, offset: number, len: number, d: number): void {
  const pc = sc.base.pc;
  const X = sc.X;
  for (let c = 0; c < d; c++) {
    pc[c] = p[po + c];
    X[c] = p[po + c];
  }
  sc.refItem[0] = -1;
  const n = Math.min(len, sc.capacity - 1);
  for (let t = 0; t < n; t++) {
    const item = hist[offset + t];
    sc.refItem[t + 1] = item;
    const qo = item * d;
    const xo = (t + 1) * d;
    for (let c = 0; c < d; c++) X[xo + c] = Q[qo + c];
  }
  sc.count = n + 1;
}

/** Copies row `item` of Q into the q of `side`. */
function loadItem(sc: HlrScratch, Q: Float32Array, item: number, side: number, d: number): void {
  const qc = sc.base.qc;
  const qo = item * d;
  const o = side * d;
  for (let c = 0; c < d; c++) qc[o + c] = Q[qo + c];
}

/**
 * Forward of one side whose q is loaded (item `item`): β, h, s, a, r, e of that side; returns D.
 * References whose item is `item` get no weight (a target never sees itself).
 */
function sideForward(cfg: HlrKernelConfig, K: Float32Array, M: Float32Array, sc: HlrScratch, side: number, item: number): number {
  const d = cfg.dim;
  const n = cfg.numMemories;
  const base = sc.base;
  const q = base.qc;
  const X = sc.X;
  const beta = sc.beta;
  const h = sc.h;
  const qo = side * d;
  const bo = side * sc.capacity;
  const itau = 1 / cfg.historyTemperature;
  let mx = -Infinity;
  for (let t = 0; t < sc.count; t++) {
    if (sc.refItem[t] === item) {
      beta[bo + t] = -Infinity;
      continue;
    }
    const xo = t * d;
    let z = 0;
    for (let c = 0; c < d; c++) z += q[qo + c] * X[xo + c];
    z *= itau;
    beta[bo + t] = z;
    if (z > mx) mx = z;
  }
  let sum = 0;
  for (let t = 0; t < sc.count; t++) {
    const w = beta[bo + t] === -Infinity ? 0 : Math.exp(beta[bo + t] - mx);
    beta[bo + t] = w;
    sum += w;
  }
  const isum = 1 / sum;
  for (let c = 0; c < d; c++) h[qo + c] = 0;
  for (let t = 0; t < sc.count; t++) {
    const w = beta[bo + t] * isum;
    beta[bo + t] = w;
    if (w === 0) continue;
    const xo = t * d;
    for (let c = 0; c < d; c++) h[qo + c] += w * X[xo + c];
  }
  const s = base.s;
  for (let c = 0; c < d; c++) s[qo + c] = q[qo + c] * h[qo + c];
  attention(K, s, qo, d, n, base.a, side * n);
  relation(base.a, side * n, M, d, n, base.r, qo);
  return residualDistance(cfg.distance, base.pc, 0, base.r, qo, q, qo, base.e, qo, d);
}

/**
 * Backward of one side whose sc.base.e holds dE = ∂obj/∂e: accumulates ∂K, ∂M, ∂X and adds into
 * ∂p (sc.base.gp) and ∂q of the side (sc.base.gq, which it first sets to −dE).
 */
function sideBackward(cfg: HlrKernelConfig, K: Float32Array, M: Float32Array, grads: TripletParams, sc: HlrScratch, side: number): void {
  const d = cfg.dim;
  const base = sc.base;
  const { e, gp, gq, dr, ds, qc } = base;
  const { X, gX, h, dh, dbeta, beta } = sc;
  const qo = side * d;
  const bo = side * sc.capacity;
  for (let c = 0; c < d; c++) {
    const g = e[qo + c];
    gp[c] += g;
    gq[qo + c] = -g;
    dr[c] = g;
  }
  relationBackward(cfg, K, M, grads.K, grads.M, d, cfg.numMemories, base, side);
  for (let c = 0; c < d; c++) {
    gq[qo + c] += ds[c] * h[qo + c];
    dh[c] = ds[c] * qc[qo + c];
  }
  let sb = 0;
  for (let t = 0; t < sc.count; t++) {
    const w = beta[bo + t];
    if (w === 0) {
      dbeta[t] = 0;
      continue;
    }
    const xo = t * d;
    let x = 0;
    for (let c = 0; c < d; c++) x += X[xo + c] * dh[c];
    dbeta[t] = x;
    sb += w * x;
  }
  const itau = 1 / cfg.historyTemperature;
  for (let t = 0; t < sc.count; t++) {
    const w = beta[bo + t];
    if (w === 0) continue;
    const dz = w * (dbeta[t] - sb) * itau;
    const xo = t * d;
    for (let c = 0; c < d; c++) {
      gq[qo + c] += dz * X[xo + c];
      gX[xo + c] += w * dh[c] + dz * qc[qo + c];
    }
  }
}

/**
 * D(u, x) of one target item with the references loaded by {@link hlrSetReferences} (side 0 of
 * the scratch).
 *
 * @example
 * ```ts
 * hlrSetReferences(sc, p, 0, Q, hist, 0, hist.length, d);
 * const D = hlrDistance(cfg, Q, K, M, 17, sc);
 * ```
 */
export function hlrDistance(cfg: HlrKernelConfig, Q: Float32Array, K: Float32Array, M: Float32Array, item: number, sc: HlrScratch): number {
  loadItem(sc, Q, item, 0, cfg.dim);
  return sideForward(cfg, K, M, sc, 0, item);
}

/**
 * Scores −D(u, x) of `items` (every item when null) into out, with the references loaded by
 * {@link hlrSetReferences}.
 *
 * @example
 * ```ts
 * hlrSetReferences(sc, p, 0, Q, hist, 0, hist.length, d);
 * hlrScoreItems(cfg, Q, K, M, null, out, sc);
 * ```
 */
export function hlrScoreItems(cfg: HlrKernelConfig, Q: Float32Array, K: Float32Array, M: Float32Array, items: Int32Array | null, out: Float32Array, sc: HlrScratch): void {
  const count = items === null ? cfg.numItems : items.length;
  for (let t = 0; t < count; t++) out[t] = -hlrDistance(cfg, Q, K, M, items === null ? t : items[t], sc);
}

/**
 * Loss and gradients of ONE training example: positive (u, i), negatives neg[negOffset ..], the
 * history hist[histOffset, histOffset + histLen) (the positive must not be in it: the trainer
 * leaves it out; were it there, it would get no weight). Returns the loss (without the l2 terms)
 * and ADDS the gradient of the objective into `grads`; parameters are not changed.
 *
 * @example
 * ```ts
 * const loss = hlrTripletGrad(cfg, params, 0, 5, Int32Array.of(9), 0, Int32Array.of(2, 3), 0, 2, grads, createHlrScratch(cfg));
 * ```
 */
export function hlrTripletGrad(
  cfg: HlrKernelConfig, params: TripletParams, u: number, i: number, neg: Int32Array, negOffset: number,
  hist: Int32Array, histOffset: number, histLen: number, grads: TripletParams, sc: HlrScratch,
): number {
  const d = cfg.dim;
  const k = cfg.negatives;
  const { P, Q, K, M } = params;
  const base = sc.base;
  hlrSetReferences(sc, P, u * d, Q, hist, histOffset, histLen, d);
  const dist = base.dist;
  loadItem(sc, Q, i, 0, d);
  dist[0] = sideForward(cfg, K, M, sc, 0, i);
  for (let t = 0; t < k; t++) {
    const j = neg[negOffset + t];
    loadItem(sc, Q, j, t + 1, d);
    dist[t + 1] = sideForward(cfg, K, M, sc, t + 1, j);
  }
  const loss = exampleLossWeights(cfg, dist, base);
  const cnt = base.lossParts[1];
  if (cnt === 0) return 0;
  base.gp.fill(0);
  sc.gX.fill(0, 0, sc.count * d);
  distanceGrad(cfg, base, 0, base.lossParts[0]);
  sideBackward(cfg, K, M, grads, sc, 0);
  for (let t = 0; t < k; t++) {
    if (base.contrib[t] === 0) continue;
    distanceGrad(cfg, base, t + 1, -base.weight[t]);
    sideBackward(cfg, K, M, grads, sc, t + 1);
  }
  const gp = base.gp;
  for (let c = 0; c < d; c++) gp[c] += sc.gX[c];
  const reg = 2 * cfg.l2;
  scatterRow(P, grads.P, u, d, gp, 0, base.pc, 0, 1, reg * cnt);
  scatterRow(Q, grads.Q, i, d, base.gq, 0, base.qc, 0, 1, reg * cnt);
  for (let t = 0; t < k; t++) {
    if (base.contrib[t] === 0) continue;
    scatterRow(Q, grads.Q, neg[negOffset + t], d, base.gq, (t + 1) * d, base.qc, (t + 1) * d, 1, reg);
  }
  for (let t = 1; t < sc.count; t++) scatterRow(Q, grads.Q, sc.refItem[t], d, sc.gX, t * d, sc.X, t * d, 1, 0);
  return loss;
}

/**
 * One HLR optimiser step per call, the LRML step's optimiser and clips ({@link LrmlTsStep}) over
 * the gradients of {@link hlrTripletGrad}; the history items' rows count as touched.
 *
 * @example
 * ```ts
 * const step = new HlrTsStep(cfg, params);
 * loss += step.stepWithHistory(users, pos, neg, hist, histLen, off, Math.min(1024, n - off));
 * ```
 */
export class HlrTsStep extends LrmlTsStep {
  private readonly hlr: HlrScratch;

  constructor(readonly hlrConfig: HlrKernelConfig, params: TripletParams) {
    super(hlrConfig, params);
    this.hlr = createHlrScratch(hlrConfig, this.scratch);
  }

  /**
   * Trains on the examples [offset, offset + count): user users[x], positive pos[x], negatives
   * neg[x·k ..], history hist[x·L, x·L + histLen[x]) with L = historyLength. Returns the summed loss.
   */
  stepWithHistory(users: Int32Array, pos: Int32Array, neg: Int32Array, hist: Int32Array, histLen: Int32Array, offset: number, count: number): number {
    const cfg = this.hlrConfig;
    const k = cfg.negatives;
    const L = cfg.historyLength;
    const t = this.beginStep(users, pos, neg, offset, count);
    for (let x = offset; x < offset + count; x++) {
      for (let y = x * L; y < x * L + histLen[x]; y++) this.touchedQ.touch(hist[y]);
    }
    let loss = 0;
    for (let x = offset; x < offset + count; x++) {
      loss += hlrTripletGrad(cfg, this.params, users[x], pos[x], neg, x * k, hist, x * L, histLen[x], this.grads, this.hlr);
    }
    this.apply(t);
    return loss;
  }
}
