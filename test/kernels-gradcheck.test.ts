// Finite-difference check of the hand-derived LRML / CML gradient (src/kernels/lrml_impl.ts)
// against a slow, obvious Float64 reference of the objective written here, for every option
// combination on tiny random cases; plus the SGD step against its formula.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/rng.js';
import { LrmlTsStep, createLrmlScratch, lrmlDistance, lrmlTripletGrad } from '../src/kernels/lrml_impl.js';
import type { ClipMode, Distance, NegativeMode, NegativeRelation, TripletKernelConfig, TripletParams } from '../src/kernels/types.js';

type Vec = number[];
interface Params64 { P: Float64Array; Q: Float64Array; K: Float64Array; M: Float64Array }
interface Example { u: number; i: number; negs: number[] }

const row = (X: Float64Array, r: number, d: number): Vec => Array.from(X.subarray(r * d, r * d + d));
const norm = (x: Vec): number => Math.sqrt(x.reduce((acc, v) => acc + v * v, 0));

/** Reference objective of a batch and how close it is to any kink (where differences are invalid). */
function reference(cfg: TripletKernelConfig, p: Params64, examples: Example[], pair?: { u: number; i: number }): { obj: number; loss: number; kink: number; pair: number } {
  const d = cfg.dim;
  const N = cfg.numMemories;
  let kink = Infinity;
  const look = (x: Vec): Vec => {
    if (cfg.clip !== 'lookup') return x;
    const n = norm(x);
    kink = Math.min(kink, Math.abs(n - 1));
    return n > 1 ? x.map((v) => v / n) : x;
  };
  const relation = (pv: Vec, qv: Vec): Vec => {
    const r: Vec = new Array<number>(d).fill(0);
    if (N === 0) return r;
    const logits: Vec = [];
    for (let m = 0; m < N; m++) {
      let l = 0;
      for (let c = 0; c < d; c++) l += p.K[m * d + c] * pv[c] * qv[c];
      logits.push(l);
    }
    const mx = Math.max(...logits);
    const ex = logits.map((l) => Math.exp(l - mx));
    const z = ex.reduce((a, b) => a + b, 0);
    for (let m = 0; m < N; m++) for (let c = 0; c < d; c++) r[c] += (ex[m] / z) * p.M[m * d + c];
    return r;
  };
  const dist = (e: Vec): number => {
    if (cfg.distance === 'l1') {
      for (const v of e) kink = Math.min(kink, Math.abs(v));
      return e.reduce((a, v) => a + Math.abs(v), 0);
    }
    const sq = e.reduce((a, v) => a + v * v, 0);
    return cfg.distance === 'l2' ? Math.sqrt(sq + 1e-3) : sq;
  };
  const sq = (x: Vec): number => x.reduce((a, v) => a + v * v, 0);
  let pairD = NaN;
  if (pair !== undefined) {
    const pv = look(row(p.P, pair.u, d));
    const qv = look(row(p.Q, pair.i, d));
    const r = relation(pv, qv);
    pairD = dist(pv.map((v, c) => v + r[c] - qv[c]));
  }
  let obj = 0;
  let loss = 0;
  for (const ex of examples) {
    const pRaw = row(p.P, ex.u, d);
    const qiRaw = row(p.Q, ex.i, d);
    const pv = look(pRaw);
    const qi = look(qiRaw);
    const ri = relation(pv, qi);
    const dPos = dist(pv.map((v, c) => v + ri[c] - qi[c]));
    const hinges = ex.negs.map((j) => {
      const qj = look(row(p.Q, j, d));
      const r = cfg.negativeRelation === 'own' ? relation(pv, qj) : ri;
      return cfg.margin + dPos - dist(pv.map((v, c) => v + r[c] - qj[c]));
    });
    for (const h of hinges) kink = Math.min(kink, Math.abs(h));
    let kept: number[];
    if (cfg.negativeMode === 'hardest') {
      const sorted = [...hinges].sort((a, b) => b - a);
      if (sorted.length > 1) kink = Math.min(kink, sorted[0] - sorted[1]);
      const best = hinges.indexOf(sorted[0]);
      kept = sorted[0] > 0 ? [best] : [];
    } else {
      kept = hinges.map((h, t) => (h > 0 ? t : -1)).filter((t) => t >= 0);
    }
    for (const t of kept) {
      loss += hinges[t];
      obj += hinges[t] + cfg.l2 * (sq(pRaw) + sq(qiRaw) + sq(row(p.Q, ex.negs[t], d)));
    }
  }
  return { obj, loss, kink, pair: pairD };
}

function config(over: Partial<TripletKernelConfig>): TripletKernelConfig {
  return {
    numUsers: 3, numItems: 6, dim: 5, numMemories: 3, negativeRelation: 'own', distance: 'l2sq', clip: 'none',
    clipMemory: false, margin: 0.5, l2: 0, negatives: 1, negativeMode: 'sum', optimizer: 'sgd',
    learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, ...over,
  };
}

function randomParams(cfg: TripletKernelConfig, rng: Rng): TripletParams {
  const d = cfg.dim;
  const f = (len: number, s: number): Float32Array => Float32Array.from({ length: len }, () => rng.normal() * s);
  const P = f(cfg.numUsers * d, 0.55);
  const Q = f(cfg.numItems * d, 0.55);
  return { P, Q, K: f(cfg.numMemories * d, 1.2), M: f(cfg.numMemories * d, 0.5) };
}

/** Examples with repeated users and items, an i == j negative, and k negatives each. */
function examples(cfg: TripletKernelConfig, rng: Rng): Example[] {
  const out: Example[] = [];
  const k = cfg.negatives;
  const fixed: [number, number][] = [[0, 0], [1, 1], [2, 2], [0, 3], [1, 4], [2, 0], [0, 2], [1, 3]];
  for (const [u, i] of fixed) {
    const negs: number[] = [];
    for (let t = 0; t < k; t++) negs.push(rng.int(cfg.numItems));
    out.push({ u, i, negs });
  }
  out[5].negs[0] = out[5].i; // i == j
  return out;
}

function to64(p: TripletParams): Params64 {
  return { P: Float64Array.from(p.P), Q: Float64Array.from(p.Q), K: Float64Array.from(p.K), M: Float64Array.from(p.M) };
}

/** Sum over examples of lrmlTripletGrad's gradient (each example into fresh Float32 arrays, summed in Float64). */
function analytic(cfg: TripletKernelConfig, params: TripletParams, exs: Example[]): { loss: number; g: Params64 } {
  const zeros = (): TripletParams => ({
    P: new Float32Array(params.P.length), Q: new Float32Array(params.Q.length),
    K: new Float32Array(params.K.length), M: new Float32Array(params.M.length),
  });
  const sum: Params64 = { P: new Float64Array(params.P.length), Q: new Float64Array(params.Q.length), K: new Float64Array(params.K.length), M: new Float64Array(params.M.length) };
  const sc = createLrmlScratch(cfg);
  let loss = 0;
  for (const ex of exs) {
    const g = zeros();
    loss += lrmlTripletGrad(cfg, params, ex.u, ex.i, Int32Array.from(ex.negs), 0, g, sc);
    for (const name of ['P', 'Q', 'K', 'M'] as const) for (let c = 0; c < g[name].length; c++) sum[name][c] += g[name][c];
  }
  return { loss, g: sum };
}

const DISTANCES: Distance[] = ['l2', 'l2sq', 'l1'];
const RELATIONS: NegativeRelation[] = ['own', 'copy'];
const CLIPS: ClipMode[] = ['lookup', 'none'];
const MODES: NegativeMode[] = ['sum', 'hardest'];

test('lrmlTripletGrad matches central differences of a Float64 reference for every option combination', (t) => {
  let combos = 0;
  let worstRel = 0;
  let activeSeen = 0;
  let inactiveSeen = 0;
  for (const distance of DISTANCES) {
    for (const negativeRelation of RELATIONS) {
      for (const clip of CLIPS) {
        for (const negatives of [1, 3]) {
          for (const negativeMode of MODES) {
            for (const numMemories of [3, 0]) {
              combos++;
              const dim = 4 + (combos % 3); // 4..6
              const l2 = combos % 2 === 0 ? 0.05 : 0;
              const cfg = config({ distance, negativeRelation, clip, negatives, negativeMode, numMemories, dim, l2 });
              const what = JSON.stringify({ distance, negativeRelation, clip, negatives, negativeMode, numMemories, dim, l2 });
              // draw until no kink lies within reach of the finite differences
              let params!: TripletParams;
              let exs!: Example[];
              let ref!: ReturnType<typeof reference>;
              for (let attempt = 0; attempt < 50; attempt++) {
                const rng = new Rng(1000 * combos + attempt);
                params = randomParams(cfg, rng);
                exs = examples(cfg, rng);
                ref = reference(cfg, to64(params), exs);
                if (ref.kink > 1e-3) break;
              }
              assert.ok(ref.kink > 1e-3, `${what}: no kink-free draw`);
              const a = analytic(cfg, params, exs);
              assert.ok(Math.abs(a.loss - ref.loss) <= 1e-5 * (1 + Math.abs(ref.loss)), `${what}: loss ${a.loss} vs reference ${ref.loss}`);
              // count active / inactive examples
              for (const ex of exs) {
                const one = reference(cfg, to64(params), [ex]);
                if (one.loss > 0) activeSeen++;
                else inactiveSeen++;
              }
              const p64 = to64(params);
              const h = 1e-6;
              for (const name of ['P', 'Q', 'K', 'M'] as const) {
                const W = p64[name];
                const num = new Float64Array(W.length);
                for (let c = 0; c < W.length; c++) {
                  const w0 = W[c];
                  W[c] = w0 + h;
                  const up = reference(cfg, p64, exs).obj;
                  W[c] = w0 - h;
                  const down = reference(cfg, p64, exs).obj;
                  W[c] = w0;
                  num[c] = (up - down) / (2 * h);
                }
                let scale = 0;
                for (const v of num) scale = Math.max(scale, Math.abs(v));
                for (let c = 0; c < W.length; c++) {
                  const an = a.g[name][c];
                  // relative error; entries below 0.1% of the tensor's largest are held to 1e-6 of it
                  // (the kernel stores gradients in float32: a row used as positive and negative,
                  // i == j, cancels to a rounding residual of ~1e-8 of its terms, not to 0)
                  const err = Math.abs(an - num[c]) / Math.max(Math.abs(num[c]), Math.abs(an), 1e-3 * scale, 1e-7);
                  worstRel = Math.max(worstRel, err);
                  assert.ok(err < 1e-3, `${what}: d${name}[${c}] analytic ${an} vs numeric ${num[c]} (relative error ${err.toExponential(2)})`);
                }
              }
            }
          }
        }
      }
    }
  }
  assert.equal(combos, 96);
  t.diagnostic(`${combos} combinations, worst relative error ${worstRel.toExponential(2)}, examples active ${activeSeen} / inactive ${inactiveSeen}`);
  assert.ok(activeSeen > 100 && inactiveSeen > 50, `active ${activeSeen}, inactive ${inactiveSeen}: both kinds must be exercised`);
  assert.ok(worstRel < 1e-3);
});

test('hinge-inactive examples give zero loss and leave the gradients untouched', () => {
  for (const negativeRelation of RELATIONS) {
    for (const negativeMode of MODES) {
      const cfg = config({ negativeRelation, negativeMode, negatives: 3, margin: 0.1, l2: 0.5, clip: 'lookup', distance: 'l2' });
      const rng = new Rng(7);
      const params = randomParams(cfg, rng);
      // user 0 sits exactly on item 0; negatives 1..3 are far away
      params.P.set(params.Q.subarray(0, cfg.dim), 0);
      for (let j = 1; j <= 3; j++) for (let c = 0; c < cfg.dim; c++) params.Q[j * cfg.dim + c] = c % 2 === 0 ? 3 : -3;
      const a = analytic(cfg, params, [{ u: 0, i: 0, negs: [1, 2, 3] }]);
      const ref = reference(cfg, to64(params), [{ u: 0, i: 0, negs: [1, 2, 3] }]);
      assert.equal(ref.loss, 0);
      assert.equal(a.loss, 0);
      for (const name of ['P', 'Q', 'K', 'M'] as const) assert.ok(a.g[name].every((v) => v === 0), `${name} gradient not zero`);
    }
  }
});

test('lrmlDistance equals the reference distance for every distance and clip', () => {
  for (const distance of DISTANCES) {
    for (const clip of CLIPS) {
      for (const numMemories of [3, 0]) {
        const cfg = config({ distance, clip, numMemories });
        const params = randomParams(cfg, new Rng(3));
        const p64 = to64(params);
        const sc = createLrmlScratch(cfg);
        for (let u = 0; u < cfg.numUsers; u++) {
          for (let i = 0; i < cfg.numItems; i++) {
            const want = reference(cfg, p64, [], { u, i }).pair;
            const got = lrmlDistance(cfg, params, u, i, sc);
            assert.ok(Math.abs(got - want) <= 1e-12 * (1 + want), `${distance}/${clip}/N=${numMemories} D(${u},${i}) = ${got}, reference ${want}`);
          }
        }
      }
    }
  }
});

test('one SGD step on one triplet moves the parameters by −lr·gradient (then clips rows)', () => {
  for (const clip of ['none', 'rows'] as const) {
    for (const numMemories of [3, 0]) {
      const cfg = config({ clip, numMemories, distance: 'l2', optimizer: 'sgd', learningRate: 0.05, l2: 0.01, margin: 5 });
      const params = randomParams(cfg, new Rng(11));
      const before = { P: params.P.slice(), Q: params.Q.slice(), K: params.K.slice(), M: params.M.slice() };
      const g = analytic(cfg, params, [{ u: 1, i: 2, negs: [4] }]).g;
      assert.ok(g.P.some((v) => v !== 0), 'the triplet must be active');
      const step = new LrmlTsStep(cfg, params);
      step.step(Int32Array.of(1), Int32Array.of(2), Int32Array.of(4), 0, 1);
      const d = cfg.dim;
      for (const name of ['P', 'Q', 'K', 'M'] as const) {
        const want = Float64Array.from(before[name], (w, c) => w - cfg.learningRate * g[name][c]);
        if (clip === 'rows' && (name === 'P' || name === 'Q')) {
          const touched = name === 'P' ? [1] : [2, 4];
          for (const r of touched) {
            const n = norm(Array.from(want.subarray(r * d, r * d + d)));
            if (n > 1) for (let c = 0; c < d; c++) want[r * d + c] /= n;
          }
        }
        for (let c = 0; c < want.length; c++) {
          assert.ok(Math.abs(params[name][c] - want[c]) <= 1e-6 * (1 + Math.abs(want[c])), `${clip} N=${numMemories} ${name}[${c}]: ${params[name][c]} vs ${want[c]}`);
        }
      }
      // the step left no gradient behind
      assert.ok(step.grads.P.every((v) => v === 0) && step.grads.Q.every((v) => v === 0));
    }
  }
});
