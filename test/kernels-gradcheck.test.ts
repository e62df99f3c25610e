// Finite-difference check of the hand-derived LRML / CML gradient (src/kernels/lrml-impl.ts)
// against a slow, obvious Float64 reference of the objective written here, for every option
// combination on tiny random cases (the hinge of the original kernel, and the losses of
// docs/lrml-losses.md: softplus, softmax / InfoNCE, rank-weighted hinge); plus the SGD step
// against its formula, and the rank weight and loss option checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/rng.js';
import { LrmlError } from '../src/errors.js';
import { LrmlTsStep, createLrmlScratch, lrmlDistance, lrmlRankWeight, lrmlTripletGrad } from '../src/kernels/lrml-impl.js';
import type { AttentionKind, ClipMode, Distance, NegativeMode, NegativeRelation, TripletKernelConfig, TripletLoss, TripletParams } from '../src/kernels/types.js';
import { checkKernelConfig } from '../src/train/backends/common.js';

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
  const sq = (x: Vec): number => x.reduce((a, v) => a + v * v, 0);
  const relation = (pv: Vec, qv: Vec): Vec => {
    const r: Vec = new Array<number>(d).fill(0);
    if (N === 0) return r;
    const logits: Vec = [];
    const kind = cfg.attention ?? 'dot';
    const sv = pv.map((v, c) => v * qv[c]);
    for (let m = 0; m < N; m++) {
      const key = row(p.K, m, d);
      const val = row(p.M, m, d);
      let l = 0;
      if (kind === 'dot') {
        for (let c = 0; c < d; c++) l += key[c] * sv[c];
      } else if (kind === 'cosine') {
        // σ · cos(Kₘ, s), written out
        for (let c = 0; c < d; c++) l += key[c] * sv[c];
        l = ((cfg.attentionScale ?? 10) * l) / (norm(key) * norm(sv) + 1e-8);
      } else {
        // −‖p + Mₘ − q‖² / τₐ in full (the kernel drops the slot-independent ‖p − q‖²)
        l = -sq(pv.map((v, c) => v + val[c] - qv[c])) / (cfg.attentionTemperature ?? 0.1);
      }
      logits.push(l);
    }
    if (kind === 'fit-hard') {
      const sorted = [...logits].sort((a, b) => b - a);
      if (sorted.length > 1) kink = Math.min(kink, sorted[0] - sorted[1]);
      const best = logits.indexOf(sorted[0]);
      for (let c = 0; c < d; c++) r[c] = p.M[best * d + c];
      return r;
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
    const dNegs = ex.negs.map((j) => {
      const qj = look(row(p.Q, j, d));
      const r = cfg.negativeRelation === 'own' ? relation(pv, qj) : ri;
      return dist(pv.map((v, c) => v + r[c] - qj[c]));
    });
    const hinges = dNegs.map((dn) => cfg.margin + dPos - dn);
    const lossKind = cfg.loss ?? 'hinge';
    const tau = cfg.temperature ?? 1;
    const reg = (t: number): number => cfg.l2 * (sq(pRaw) + sq(qiRaw) + sq(row(p.Q, ex.negs[t], d)));
    const sorted = [...hinges].sort((a, b) => b - a);
    if (cfg.negativeMode === 'hardest' && sorted.length > 1) kink = Math.min(kink, sorted[0] - sorted[1]);
    if (lossKind === 'softmax') {
      // −log(exp(−D⁺/τ) / (exp(−D⁺/τ) + Σ exp(−D⁻/τ))), written out directly
      const all = [dPos, ...dNegs].reduce((a, dx) => a + Math.exp(-dx / tau), 0);
      const l = -Math.log(Math.exp(-dPos / tau) / all);
      loss += l;
      obj += l;
      for (let t = 0; t < hinges.length; t++) obj += reg(t);
      continue;
    }
    if (lossKind === 'softplus') {
      const kept = cfg.negativeMode === 'hardest' ? [hinges.indexOf(sorted[0])] : hinges.map((_, t) => t);
      for (const t of kept) {
        const l = tau * Math.log(1 + Math.exp(hinges[t] / tau));
        loss += l;
        obj += l + reg(t);
      }
      continue;
    }
    for (const h of hinges) kink = Math.min(kink, Math.abs(h));
    let kept: number[];
    if (cfg.negativeMode === 'hardest') {
      const best = hinges.indexOf(sorted[0]);
      kept = sorted[0] > 0 ? [best] : [];
    } else {
      kept = hinges.map((h, t) => (h > 0 ? t : -1)).filter((t) => t >= 0);
    }
    // rank weighting: w = log(1 + ⌊numItems · V / k⌋), V = violators among the k
    const violators = hinges.filter((h) => h > 0).length;
    const w = cfg.rankWeighting === true ? Math.log(1 + Math.floor((cfg.numItems * violators) / hinges.length)) : 1;
    for (const t of kept) {
      loss += w * hinges[t];
      obj += w * hinges[t] + reg(t);
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

interface CheckStats { worstRel: number; active: number; inactive: number }

/**
 * Draws a kink-free random case for `cfg` (seeded by `seed`), then checks the loss against the
 * reference and every gradient entry against central differences of the reference objective.
 */
function checkCombo(cfg: TripletKernelConfig, what: string, seed: number, stats: CheckStats): void {
  // draw until no kink lies within reach of the finite differences
  let params!: TripletParams;
  let exs!: Example[];
  let ref!: ReturnType<typeof reference>;
  for (let attempt = 0; attempt < 50; attempt++) {
    const rng = new Rng(seed + attempt);
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
    if (one.loss > 0) stats.active++;
    else stats.inactive++;
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
      stats.worstRel = Math.max(stats.worstRel, err);
      assert.ok(err < 1e-3, `${what}: d${name}[${c}] analytic ${an} vs numeric ${num[c]} (relative error ${err.toExponential(2)})`);
    }
  }
}

test('lrmlTripletGrad matches central differences of a Float64 reference for every option combination', (t) => {
  let combos = 0;
  const stats: CheckStats = { worstRel: 0, active: 0, inactive: 0 };
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
              checkCombo(cfg, what, 1000 * combos, stats);
            }
          }
        }
      }
    }
  }
  assert.equal(combos, 96);
  t.diagnostic(`${combos} combinations, worst relative error ${stats.worstRel.toExponential(2)}, examples active ${stats.active} / inactive ${stats.inactive}`);
  assert.ok(stats.active > 100 && stats.inactive > 50, `active ${stats.active}, inactive ${stats.inactive}: both kinds must be exercised`);
  assert.ok(stats.worstRel < 1e-3);
});

/** The new losses: loss (and its negativeMode / rankWeighting variants) × the other options. */
const LOSS_VARIANTS: { loss: TripletLoss; negativeMode: NegativeMode; rankWeighting: boolean }[] = [
  { loss: 'softplus', negativeMode: 'sum', rankWeighting: false },
  { loss: 'softplus', negativeMode: 'hardest', rankWeighting: false },
  { loss: 'softmax', negativeMode: 'sum', rankWeighting: false },
  { loss: 'hinge', negativeMode: 'sum', rankWeighting: true },
  { loss: 'hinge', negativeMode: 'hardest', rankWeighting: true },
];

test('new losses (softplus, softmax, rank-weighted hinge) match central differences for every option combination', (t) => {
  let combos = 0;
  const stats: CheckStats = { worstRel: 0, active: 0, inactive: 0 };
  for (const variant of LOSS_VARIANTS) {
    for (const distance of DISTANCES) {
      for (const negativeRelation of RELATIONS) {
        for (const clip of CLIPS) {
          for (const negatives of [1, 3]) {
            for (const numMemories of [3, 0]) {
              combos++;
              const dim = 4 + (combos % 3); // 4..6
              const l2 = combos % 2 === 0 ? 0.05 : 0;
              // temperatures from sharp to flat (softmax typical 0.05–0.5 for unit-ball embeddings)
              const temperature = [0.1, 0.3, 1, 2.5][combos % 4];
              const cfg = config({ ...variant, temperature, distance, negativeRelation, clip, negatives, numMemories, dim, l2 });
              const what = JSON.stringify({ ...variant, temperature, distance, negativeRelation, clip, negatives, numMemories, dim, l2 });
              checkCombo(cfg, what, 500_000 + 1000 * combos, stats);
            }
          }
        }
      }
    }
  }
  assert.equal(combos, LOSS_VARIANTS.length * 48);
  t.diagnostic(`${combos} combinations, worst relative error ${stats.worstRel.toExponential(2)}, examples with loss ${stats.active} / without ${stats.inactive}`);
  assert.ok(stats.active > 1000 && stats.inactive > 20, `with loss ${stats.active}, without ${stats.inactive}: both kinds must be exercised (rank-weighted hinge)`);
  assert.ok(stats.worstRel < 1e-3);
});

/** The attentions other than dot (docs/lrml.md): their logits' backward, across the other options. */
const ATTENTIONS: { attention: AttentionKind; attentionScale?: number; attentionTemperature?: number }[] = [
  { attention: 'cosine', attentionScale: 10 },
  { attention: 'cosine', attentionScale: 2.5 },
  { attention: 'fit', attentionTemperature: 0.1 },
  { attention: 'fit', attentionTemperature: 1 },
  { attention: 'fit-hard', attentionTemperature: 0.1 },
];

test('cosine, fit and fit-hard attentions match central differences for every distance, relation, clip and loss', (t) => {
  let combos = 0;
  const stats: CheckStats = { worstRel: 0, active: 0, inactive: 0 };
  for (const att of ATTENTIONS) {
    for (const distance of DISTANCES) {
      for (const negativeRelation of RELATIONS) {
        for (const clip of CLIPS) {
          for (const loss of ['hinge', 'softmax'] as const) {
            combos++;
            const dim = 4 + (combos % 3); // 4..6
            const negatives = combos % 2 === 0 ? 3 : 1;
            const l2 = combos % 4 === 1 ? 0.05 : 0;
            const temperature = loss === 'softmax' ? 0.3 : undefined;
            const cfg = config({ ...att, distance, negativeRelation, clip, loss, temperature, negatives, dim, l2, numMemories: 3 });
            const what = JSON.stringify({ ...att, distance, negativeRelation, clip, loss, negatives, dim, l2 });
            checkCombo(cfg, what, 900_000 + 1000 * combos, stats);
          }
        }
      }
    }
  }
  assert.equal(combos, ATTENTIONS.length * 24);
  t.diagnostic(`${combos} combinations, worst relative error ${stats.worstRel.toExponential(2)}, examples with loss ${stats.active} / without ${stats.inactive}`);
  assert.ok(stats.worstRel < 1e-3);
});

test('the fit attentions leave the keys K without gradient', () => {
  for (const attention of ['fit', 'fit-hard'] as const) {
    const cfg = config({ attention, loss: 'softmax', temperature: 0.5, negatives: 3 });
    const params = randomParams(cfg, new Rng(21));
    const a = analytic(cfg, params, examples(cfg, new Rng(22)));
    assert.ok(a.g.K.every((v) => v === 0), `${attention}: K has a gradient`);
    assert.ok(a.g.M.some((v) => v !== 0) && a.g.P.some((v) => v !== 0));
  }
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

test('lrmlDistance equals the reference distance for every distance, clip and attention', () => {
  for (const distance of DISTANCES) {
    for (const clip of CLIPS) {
      for (const [numMemories, att] of [[3, {}], [0, {}], ...ATTENTIONS.map((x) => [3, x] as const)] as const) {
        const cfg = config({ distance, clip, numMemories, ...att });
        const params = randomParams(cfg, new Rng(3));
        const p64 = to64(params);
        const sc = createLrmlScratch(cfg);
        for (let u = 0; u < cfg.numUsers; u++) {
          for (let i = 0; i < cfg.numItems; i++) {
            const want = reference(cfg, p64, [], { u, i }).pair;
            const got = lrmlDistance(cfg, params, u, i, sc);
            assert.ok(Math.abs(got - want) <= 1e-12 * (1 + want), `${distance}/${clip}/N=${numMemories} ${JSON.stringify(att)} D(${u},${i}) = ${got}, reference ${want}`);
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

test('lrmlRankWeight is log(1 + ⌊numItems·V/k⌋)', () => {
  assert.equal(lrmlRankWeight(3706, 0, 10), 0);
  assert.equal(lrmlRankWeight(3706, 4, 10), Math.log(1483));
  assert.equal(lrmlRankWeight(3706, 10, 10), Math.log(3707));
  assert.equal(lrmlRankWeight(7, 1, 3), Math.log(3)); // ⌊7/3⌋ = 2
  assert.equal(lrmlRankWeight(100, 1, 1), Math.log(101));
});

test('softplus tends to the hinge as the temperature goes to 0, and equals τ·log 2 at the margin', () => {
  const base = config({ numMemories: 0, distance: 'l2sq', dim: 2, numUsers: 1, numItems: 3, negatives: 2, margin: 0.5 });
  const params: TripletParams = { P: Float32Array.of(0, 0), Q: Float32Array.of(0.5, 0, 0, 0.5, 0.5, 0.5), K: new Float32Array(0), M: new Float32Array(0) };
  const hingeCfg = { ...base, loss: 'hinge' as const };
  // D⁺ = 0.25, D⁻ = 0.25 and 0.5: hinges 0.5 and 0.25
  const hinge = analytic(hingeCfg, params, [{ u: 0, i: 0, negs: [1, 2] }]).loss;
  assert.ok(Math.abs(hinge - 0.75) < 1e-6);
  for (const tau of [1e-2, 1e-3]) {
    const sp = analytic({ ...base, loss: 'softplus', temperature: tau }, params, [{ u: 0, i: 0, negs: [1, 2] }]);
    assert.ok(sp.loss >= hinge && sp.loss - hinge < 2 * tau * Math.log(2), `τ=${tau}: softplus ${sp.loss} vs hinge ${hinge}`);
  }
  // a triplet exactly at the margin (h = 0): τ·log 2, gradient weight ½
  const atMargin = { ...base, margin: 0, negatives: 1 };
  const one = analytic({ ...atMargin, loss: 'softplus', temperature: 0.3 }, params, [{ u: 0, i: 0, negs: [1] }]);
  assert.ok(Math.abs(one.loss - 0.3 * Math.log(2)) < 1e-12);
  const hingeAt = analytic({ ...atMargin, loss: 'hinge', margin: 1 }, params, [{ u: 0, i: 0, negs: [1] }]);
  for (let c = 0; c < one.g.Q.length; c++) assert.ok(Math.abs(one.g.Q[c] - 0.5 * hingeAt.g.Q[c]) < 1e-7, `dQ[${c}]`);
});

test('attention options are validated by the kernels\' own check: kind, σ, τₐ, embedding rate scale', () => {
  const cfg = config({ negatives: 1 });
  const params = randomParams(cfg, new Rng(1));
  const bad = (over: Partial<TripletKernelConfig>, re: RegExp): void => {
    assert.throws(() => checkKernelConfig({ ...cfg, ...over }, params), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && re.test(e.message), JSON.stringify(over));
  };
  bad({ attention: 'softmax' as AttentionKind }, /attention.*dot, cosine, fit, fit-hard/);
  bad({ attention: 'cosine', attentionScale: 0 }, /attentionScale/);
  bad({ attentionScale: Number.POSITIVE_INFINITY }, /attentionScale/);
  bad({ attention: 'fit', attentionTemperature: -1 }, /attentionTemperature/);
  bad({ attentionTemperature: Number.NaN }, /attentionTemperature/);
  bad({ embeddingLearningRateScale: -0.5 }, /embeddingLearningRateScale/);
  bad({ embeddingLearningRateScale: Number.NaN }, /embeddingLearningRateScale/);
  for (const ok of [{}, { attention: 'cosine', attentionScale: 0.5 }, { attention: 'fit-hard', attentionTemperature: 2 }, { embeddingLearningRateScale: 0 }] as Partial<TripletKernelConfig>[]) {
    checkKernelConfig({ ...cfg, ...ok }, params);
  }
});

test('loss options are validated: softmax with hardest, rank weighting without hinge, bad temperature, unknown loss', () => {
  const cfg = config({ negatives: 3 });
  const params = randomParams(cfg, new Rng(1));
  const bad = (over: Partial<TripletKernelConfig>, re: RegExp): void => {
    assert.throws(() => checkKernelConfig({ ...cfg, ...over }, params), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && re.test(e.message), JSON.stringify(over));
  };
  bad({ loss: 'softmax', negativeMode: 'hardest' }, /negativeMode.*hardest.*softmax/);
  bad({ loss: 'softplus', rankWeighting: true }, /rankWeighting.*softplus/);
  bad({ loss: 'softmax', rankWeighting: true }, /rankWeighting.*softmax/);
  bad({ loss: 'softmax', temperature: 0 }, /temperature/);
  bad({ loss: 'softplus', temperature: -1 }, /temperature/);
  bad({ temperature: Number.NaN }, /temperature/);
  bad({ loss: 'logistic' as TripletLoss }, /loss.*hinge, softplus, softmax/);
  bad({ rankWeighting: 1 as unknown as boolean }, /rankWeighting/);
  for (const ok of [{}, { loss: 'softmax', temperature: 0.05 }, { loss: 'softplus', negativeMode: 'hardest' }, { loss: 'hinge', rankWeighting: true, negativeMode: 'hardest' }] as Partial<TripletKernelConfig>[]) {
    checkKernelConfig({ ...cfg, ...ok }, params);
  }
});
