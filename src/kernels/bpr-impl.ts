// BPR-MF training step (Rendle et al., UAI 2009): x_ui = p_u · q_i + b_i,
// loss = −log σ(x_ui − x_uj) + l2·(‖p_u‖² + ‖q_i‖² + ‖q_j‖² + b_i² + b_j²)/2 per triplet,
// gradients summed over the batch, then lazy Adam on the touched rows (global step for bias
// correction) or plain SGD (optim.ts). Pure loops over typed arrays; no allocation after construction.

import { adamSecondMomentScale, adamStepSize, adamUpdate, sgdUpdate } from './optim.js';
import { TouchedRows } from './touched.js';

/** BPR-MF parameters: P (numUsers×dim), Q (numItems×dim), B (numItems item biases). */
export interface BprParams {
  P: Float32Array;
  Q: Float32Array;
  B: Float32Array;
}

/** Kernel configuration of BPR-MF. */
export interface BprKernelConfig {
  numUsers: number;
  numItems: number;
  dim: number;
  l2: number;
  optimizer: 'adam' | 'sgd';
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** Numerically stable log(1 + exp(−x)) and its derivative's sigmoid. */
function softplusNeg(x: number): number {
  return x > 0 ? Math.log1p(Math.exp(-x)) : -x + Math.log1p(Math.exp(x));
}

/**
 * One BPR-MF optimiser step per call over triplets (users[t], pos[t], neg[t]).
 *
 * @example
 * ```ts
 * const k = new BprStep(cfg, params);
 * const loss = k.step(users, pos, neg, 0, 1024);
 * ```
 */
export class BprStep {
  private readonly gP: Float32Array;
  private readonly gQ: Float32Array;
  private readonly gB: Float32Array;
  private readonly mP: Float32Array;
  private readonly vP: Float32Array;
  private readonly mQ: Float32Array;
  private readonly vQ: Float32Array;
  private readonly mB: Float32Array;
  private readonly vB: Float32Array;
  private readonly touchedP: TouchedRows;
  private readonly touchedQ: TouchedRows;
  private t = 0;

  constructor(readonly cfg: BprKernelConfig, readonly params: BprParams) {
    const { numUsers, numItems, dim } = cfg;
    this.gP = new Float32Array(numUsers * dim);
    this.gQ = new Float32Array(numItems * dim);
    this.gB = new Float32Array(numItems);
    const adam = cfg.optimizer === 'adam';
    this.mP = new Float32Array(adam ? numUsers * dim : 0);
    this.vP = new Float32Array(adam ? numUsers * dim : 0);
    this.mQ = new Float32Array(adam ? numItems * dim : 0);
    this.vQ = new Float32Array(adam ? numItems * dim : 0);
    this.mB = new Float32Array(adam ? numItems : 0);
    this.vB = new Float32Array(adam ? numItems : 0);
    this.touchedP = new TouchedRows(numUsers);
    this.touchedQ = new TouchedRows(numItems);
  }

  /** Trains on triplets [offset, offset+count); returns the summed loss (before the update). */
  step(users: Int32Array, pos: Int32Array, neg: Int32Array, offset: number, count: number): number {
    const { dim: d, l2 } = this.cfg;
    const { P, Q, B } = this.params;
    const { gP, gQ, gB, touchedP, touchedQ } = this;
    const t = ++this.t;
    touchedP.begin(t);
    touchedQ.begin(t);
    let loss = 0;
    for (let k = offset; k < offset + count; k++) {
      const u = users[k];
      const i = pos[k];
      const j = neg[k];
      touchedP.touch(u);
      touchedQ.touch(i);
      touchedQ.touch(j);
      const pu = u * d;
      const qi = i * d;
      const qj = j * d;
      let x = B[i] - B[j];
      for (let c = 0; c < d; c++) x += P[pu + c] * (Q[qi + c] - Q[qj + c]);
      loss += softplusNeg(x);
      const g = -1 / (1 + Math.exp(x)); // d loss / d x
      for (let c = 0; c < d; c++) {
        const p = P[pu + c];
        gP[pu + c] += g * (Q[qi + c] - Q[qj + c]) + l2 * p;
        gQ[qi + c] += g * p + l2 * Q[qi + c];
        gQ[qj + c] += -g * p + l2 * Q[qj + c];
      }
      gB[i] += g + l2 * B[i];
      gB[j] += -g + l2 * B[j];
    }
    this.apply(P, gP, this.mP, this.vP, touchedP, d, t);
    this.apply(Q, gQ, this.mQ, this.vQ, touchedQ, d, t);
    this.apply(B, gB, this.mB, this.vB, touchedQ, 1, t);
    return loss;
  }

  private apply(W: Float32Array, G: Float32Array, Mm: Float32Array, V: Float32Array, touched: TouchedRows, width: number, t: number): void {
    const { rows, count: n } = touched;
    const { learningRate: lr, beta1: b1, beta2: b2, epsilon: eps } = this.cfg;
    const sgd = this.cfg.optimizer === 'sgd';
    const lrc = sgd ? 0 : adamStepSize(lr, b1, t);
    const ibc2 = sgd ? 0 : adamSecondMomentScale(b2, t);
    for (let r = 0; r < n; r++) {
      const o = rows[r] * width;
      if (sgd) sgdUpdate(W, G, o, o + width, lr);
      else adamUpdate(W, G, Mm, V, o, o + width, lrc, ibc2, b1, b2, eps);
    }
  }
}
