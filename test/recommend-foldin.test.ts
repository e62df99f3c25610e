// Fold-in of new users: the p-gradient against finite differences, the pair distance against the
// model's own scores, and recommendations from a user's own history against that user's.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { dotPairLoss, pairSoftmaxLoss } from '../src/kernels/foldin-impl.js';
import { PairState, PairUser, pairDistance, pairDistanceGrad, type PairShape } from '../src/kernels/pair.js';
import { Rng } from '../src/rng.js';
import { LrmlError } from '../src/errors.js';
import { foldInUser, recommend, recommendForItems } from '../src/recommend/index.js';
import type { LoadedModel } from '../src/io/format.js';
import { hasKind, planted, syntheticTriplet, trainedModel, wrap } from './recommend-fixtures.js';

/** D(p, q) through the kernel's forward pass; adds scale·∂D/∂p into grad when given. */
function dist(p: Float64Array, Q: Float32Array, qo: number, qs: number, K: Float32Array, M: Float32Array, shape: PairShape, grad: Float64Array | null = null, scale = 1): number {
  const user = new PairUser(shape);
  user.set(p, 0, 1);
  const pair = new PairState(shape);
  const D = pairDistance(user, pair, Q, qo, qs, K, M);
  if (grad !== null) pairDistanceGrad(pair, K, M, D, grad, scale);
  return D;
}

/** Asserts g = ∇f(p) against central finite differences (step 1e-6, relative tolerance 1e-5). */
function assertGradient(f: (p: Float64Array) => number, p: Float64Array, g: Float64Array, what: string): void {
  const h = 1e-6;
  for (let j = 0; j < p.length; j++) {
    const pp = Float64Array.from(p);
    pp[j] += h;
    const up = f(pp);
    pp[j] -= 2 * h;
    const dn = f(pp);
    const fd = (up - dn) / (2 * h);
    assert.ok(Math.abs(fd - g[j]) < 1e-5 * Math.max(1, Math.abs(fd)), `${what}, dim ${j}: analytic ${g[j]} vs finite difference ${fd}`);
  }
}

function randomArray(n: number, rng: Rng, s = 0.5): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * s);
}

/** Random frozen parameters of a pair model: item rows Q (numItems × dim), keys K and memories M. */
function randomPairModel(rng: Rng, dim: number, numItems: number, numMemories: number, distance: PairShape['distance']): { shape: PairShape; Q: Float32Array; K: Float32Array; M: Float32Array } {
  const Q = randomArray(numItems * dim, rng);
  const K = randomArray(numMemories * dim, rng, 1.5);
  const M = randomArray(numMemories * dim, rng, 0.4);
  return { shape: { dim, numMemories, distance }, Q, K, M };
}

describe('pairDistance', () => {
  for (const distance of ['l2', 'l2sq', 'l1'] as const) {
    for (const numMemories of [0, 3]) {
      test(`∂D/∂p matches central finite differences (${distance}, N=${numMemories})`, () => {
        const rng = new Rng(11);
        const dim = 6;
        const { shape, Q, K, M } = randomPairModel(rng, dim, 4, numMemories, distance);
        for (let trial = 0; trial < 5; trial++) {
          const p = Float64Array.from(randomArray(dim, rng));
          const qo = (trial % 4) * dim;
          const qs = trial % 2 === 0 ? 1 : 0.7;
          const g = new Float64Array(dim);
          dist(p, Q, qo, qs, K, M, shape, g);
          assertGradient((x) => dist(x, Q, qo, qs, K, M, shape), p, g, `trial ${trial}`);
        }
      });
    }
  }

  for (const att of [{ attention: 'cosine', attentionScale: 10 }, { attention: 'fit', attentionTemperature: 0.2 }, { attention: 'fit-hard', attentionTemperature: 0.2 }] as const) {
    for (const distance of ['l2', 'l2sq', 'l1'] as const) {
      test(`∂D/∂p matches central finite differences (${att.attention} attention, ${distance})`, () => {
        const rng = new Rng(12);
        const dim = 6;
        const base = randomPairModel(rng, dim, 4, 3, distance);
        const shape: PairShape = { ...base.shape, ...att };
        const { Q, K, M } = base;
        for (let trial = 0; trial < 5; trial++) {
          const p = Float64Array.from(randomArray(dim, rng));
          const qo = (trial % 4) * dim;
          const qs = trial % 2 === 0 ? 1 : 0.7;
          const g = new Float64Array(dim);
          dist(p, Q, qo, qs, K, M, shape, g, -1.5);
          for (let j = 0; j < dim; j++) g[j] /= -1.5;
          assertGradient((x) => dist(x, Q, qo, qs, K, M, shape), p, g, `${att.attention} trial ${trial}`);
        }
      });
    }
  }

  test('scale multiplies the gradient and accumulates into grad', () => {
    const rng = new Rng(2);
    const shape: PairShape = { dim: 4, numMemories: 2, distance: 'l2' };
    const Q = randomArray(4, rng);
    const K = randomArray(8, rng);
    const M = randomArray(8, rng);
    const p = Float64Array.from(randomArray(4, rng));
    const g1 = new Float64Array(4);
    dist(p, Q, 0, 1, K, M, shape, g1);
    const g2 = Float64Array.from([1, 1, 1, 1]);
    dist(p, Q, 0, 1, K, M, shape, g2, -2);
    for (let j = 0; j < 4; j++) assert.ok(Math.abs(g2[j] - (1 - 2 * g1[j])) < 1e-12);
  });

  for (const clip of ['rows', 'lookup'] as const) {
    test(`D equals minus the model's score (LRML, clip=${clip})`, () => {
      const model = syntheticTriplet('lrml', { clip, distance: 'l2' });
      const d = model.options.dim;
      const shape: PairShape = { dim: d, numMemories: model.options.numMemories, distance: 'l2' };
      const scores = new Float32Array(model.numItems);
      for (const u of [0, 7, 33]) {
        model.scoreAll(u, scores);
        const p = Float64Array.from(model.params.P.subarray(u * d, (u + 1) * d));
        let ps = 0;
        for (const x of p) ps += x * x;
        if (clip === 'lookup' && ps > 1) for (let j = 0; j < d; j++) p[j] /= Math.sqrt(ps);
        for (let i = 0; i < model.numItems; i++) {
          let qs = 0;
          for (let j = 0; j < d; j++) qs += model.params.Q[i * d + j] ** 2;
          const scale = clip === 'lookup' && qs > 1 ? 1 / Math.sqrt(qs) : 1;
          const D = dist(p, model.params.Q, i * d, scale, model.params.K, model.params.M, shape);
          assert.ok(Math.abs(-D - scores[i]) < 1e-4, `user ${u} item ${i}: −D ${-D} vs score ${scores[i]}`);
        }
      }
    });
  }
});

test('dotPairLoss gradient matches finite differences', () => {
  const rng = new Rng(4);
  const dim = 5;
  const Q = randomArray(3 * dim, rng);
  const B = randomArray(3, rng);
  for (let trial = 0; trial < 5; trial++) {
    const p = Float64Array.from(randomArray(dim, rng, 2));
    const g = new Float64Array(dim);
    const loss = dotPairLoss(p, Q, B, dim, 0, 2, g, 1);
    assert.ok(loss > 0);
    for (let j = 0; j < dim; j++) {
      const pp = Float64Array.from(p);
      pp[j] += 1e-6;
      const up = dotPairLoss(pp, Q, B, dim, 0, 2, null, 1);
      pp[j] -= 2e-6;
      const dn = dotPairLoss(pp, Q, B, dim, 0, 2, null, 1);
      assert.ok(Math.abs((up - dn) / 2e-6 - g[j]) < 1e-6);
    }
  }
});

describe('pairSoftmaxLoss', () => {
  for (const distance of ['l2sq', 'l2'] as const) {
    for (const numMemories of [0, 3]) {
      test(`loss is −log softmax₀ of −D/τ and ∂loss/∂p matches finite differences (${distance}, N=${numMemories})`, () => {
        const rng = new Rng(21);
        const dim = 5;
        const { shape, Q, K, M } = randomPairModel(rng, dim, 6, numMemories, distance);
        const qScales = Float64Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? 1 : 0.8));
        const negs = Int32Array.of(1, 4, 5);
        const tau = 0.3;
        const pairs = Array.from({ length: 4 }, () => new PairState(shape));
        const scratch = new Float64Array(4);
        const lossAt = (p: Float64Array, grad: Float64Array): number => {
          const user = new PairUser(shape);
          user.set(p, 0, 1);
          return pairSoftmaxLoss(user, pairs, scratch, Q, qScales, K, M, 2, negs, 3, tau, grad, 1);
        };
        for (let trial = 0; trial < 4; trial++) {
          const p = Float64Array.from(randomArray(dim, rng));
          const g = new Float64Array(dim);
          const loss = lossAt(p, g);
          // by hand: slow and obvious
          const D = [2, 1, 4, 5].map((i) => dist(p, Q, i * dim, qScales[i], K, M, shape));
          const z = D.reduce((acc, x) => acc + Math.exp(-x / tau), 0);
          assert.ok(Math.abs(loss - -Math.log(Math.exp(-D[0] / tau) / z)) < 1e-9, `loss ${loss}`);
          assertGradient((x) => lossAt(x, new Float64Array(dim)), p, g, `trial ${trial}`);
        }
      });
    }
  }
});

/** Mean top-10 overlap between recommend(user) and recommendForItems(user's training items). */
function overlapOfOwnHistory(m: LoadedModel, users: number, k = 10): number {
  let sum = 0;
  for (let u = 0; u < users; u++) {
    const own = recommend(m, `u${u}`, { k });
    const history = Array.from(planted.train.row(u), (i) => `i${i}`);
    const folded = recommendForItems(m, history, { k });
    const a = new Set(own.items.map((x) => x.item));
    sum += folded.items.filter((x) => a.has(x.item)).length / k;
  }
  return sum / users;
}

/** Overlap between recommendForItems(history) and recommend of an unrelated user (a floor the real overlap must clear). */
function overlapWithOther(m: LoadedModel, users: number, k = 10): number {
  let sum = 0;
  for (let u = 0; u < users; u++) {
    const other = (u + 1) % planted.numUsers; // another cluster (u mod 6 differs)
    const own = recommend(m, `u${other}`, { k });
    const folded = recommendForItems(m, Array.from(planted.train.row(u), (i) => `i${i}`), { k });
    const a = new Set(own.items.map((x) => x.item));
    sum += folded.items.filter((x) => a.has(x.item)).length / k;
  }
  return sum / users;
}

for (const kind of ['lrml', 'cml', 'bpr']) {
  describe(`fold-in: ${kind}`, () => {
    test('folding in a user\'s own history reproduces that user\'s recommendations (mean top-10 overlap ≥ 0.5)', async (t) => {
      if (!hasKind(kind)) return t.skip(`${kind} family not available`);
      const m = await trainedModel(kind);
      const own = overlapOfOwnHistory(m, 60);
      const other = overlapWithOther(m, 60);
      t.diagnostic(`${kind}: own-history overlap ${own.toFixed(3)}, overlap with another cluster's user ${other.toFixed(3)}`);
      assert.ok(own >= 0.5, `${kind}: mean overlap ${own.toFixed(3)} < 0.5`);
      assert.ok(own > other + 0.3, `${kind}: overlap ${own.toFixed(3)} should clearly beat an unrelated user's ${other.toFixed(3)}`);
    });

    test('seeded and deterministic; the given items are excluded; bounded steps', async (t) => {
      if (!hasKind(kind)) return t.skip(`${kind} family not available`);
      const m = await trainedModel(kind);
      const items = ['i0', 'i3', 'i5', 'i3'];
      const a = foldInUser(m, items, { seed: 4, steps: 30 });
      const b = foldInUser(m, items, { seed: 4, steps: 30 });
      assert.deepEqual(a.vector, b.vector);
      assert.deepEqual(a.items, ['i0', 'i3', 'i5']);
      assert.equal(a.steps, 30);
      // LRML's recipe trains with the sampled softmax (its default loss), CML's with the hinge
      assert.equal(a.method, kind === 'bpr' ? 'logistic' : kind === 'lrml' ? 'softmax' : 'hinge');
      if (kind !== 'bpr') {
        assert.equal(foldInUser(m, items, { steps: 3, loss: 'hinge' }).method, 'hinge');
        assert.equal(foldInUser(m, items, { steps: 3, loss: 'softmax' }).method, 'softmax');
      } else {
        assert.throws(() => foldInUser(m, items, { loss: 'hinge' }), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /lrml and cml/.test(e.message));
      }
      assert.ok(Number.isFinite(a.loss));
      if (kind === 'bpr') {
        // the logistic loss is never exactly 0, so other negatives always move the vector elsewhere
        // (a hinge may be inactive for every sampled pair, leaving the start point for any seed)
        const c = foldInUser(m, items, { seed: 5, steps: 30 });
        assert.notDeepEqual(a.vector, c.vector, 'another seed samples other negatives');
      }
      const r = recommendForItems(m, items, { k: 20 });
      assert.equal(r.items.length, 20);
      for (const x of r.items) assert.ok(!items.includes(x.item), `${x.item} was given and must not be recommended`);
      const kept = recommendForItems(m, items, { k: m.model.numItems, excludeSeen: false });
      assert.equal(kept.items.length, m.model.numItems);
    });

    test('the fold-in objective over all negatives is lower after the steps than at the start', async (t) => {
      if (!hasKind(kind)) return t.skip(`${kind} family not available`);
      const m = await trainedModel(kind);
      const margin = kind === 'bpr' ? 0 : (m.model.config().margin as number);
      const softmax = kind === 'lrml'; // the loss LRML's recipe trains with, and so its fold-in's
      const tau = softmax ? (m.model.config().temperature as number) : 1;
      const items = Array.from(planted.train.row(3), (i) => `i${i}`);
      // exact objective from scores (= −distances): the hinge for CML, −log softmax over the
      // positive and all negatives for LRML, logistic for BPR
      const objective = (vector: Float32Array): number => {
        const s = new Float32Array(m.model.numItems);
        (m.model as unknown as { scoreVector(p: Float32Array, out: Float32Array): void }).scoreVector(vector, s);
        const pos = new Set(planted.train.row(3));
        let sum = 0;
        let n = 0;
        for (const i of pos) {
          if (softmax) {
            let z = Math.exp(s[i] / tau);
            for (let j = 0; j < s.length; j++) if (!pos.has(j)) z += Math.exp(s[j] / tau);
            sum += Math.log(z) - s[i] / tau;
            n++;
            continue;
          }
          for (let j = 0; j < s.length; j++) {
            if (pos.has(j)) continue;
            const x = s[i] - s[j];
            sum += kind === 'bpr' ? Math.log1p(Math.exp(-x)) : Math.max(0, margin - x);
            n++;
          }
        }
        return sum / n;
      };
      const start = foldInUser(m, items, { steps: 0 });
      const done = foldInUser(m, items, { steps: 100, seed: 1 });
      const a = objective(start.vector!);
      const b = objective(done.vector!);
      t.diagnostic(`${kind}: objective ${a.toFixed(4)} at the start, ${b.toFixed(4)} after 100 steps`);
      assert.ok(b < a, `objective after 100 steps ${b} should be below the start's ${a}`);
    });
  });
}

test('fold-in errors: unknown items, empty list, bad options', async () => {
  const m = wrap(syntheticTriplet('lrml'), null);
  const code = (c: string) => (e: unknown) => e instanceof LrmlError && e.code === c;
  assert.throws(() => foldInUser(m, ['i0', 'nope']), code('UNKNOWN_ITEM'));
  assert.throws(() => foldInUser(m, []), code('BAD_OPTION'));
  assert.throws(() => foldInUser(m, ['nope'], { ignoreUnknown: true }), code('BAD_OPTION'));
  assert.deepEqual(foldInUser(m, ['nope', 'i1'], { ignoreUnknown: true, steps: 2 }).items, ['i1']);
  assert.throws(() => foldInUser(m, ['i0'], { steps: -1 }), code('BAD_OPTION'));
  assert.throws(() => foldInUser(m, ['i0'], { steps: 1e9 }), code('BAD_OPTION'));
  assert.throws(() => foldInUser(m, ['i0'], { learningRate: 0 }), code('BAD_OPTION'));
  assert.throws(() => foldInUser(m, ['i0'], { loss: 'bogus' as 'hinge' }), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && /loss.*hinge, softmax/.test(e.message));
  assert.throws(() => recommendForItems(m, ['i0'], { k: 0 }), code('BAD_OPTION'));
  assert.throws(() => recommendForItems(m, ['i0'], { k: 1e9 }), code('BAD_OPTION'));
  assert.throws(() => foldInUser(m, Array.from({ length: 10001 }, (_, i) => `i${i % 48}`)), code('TOO_LARGE'));
  // every item given: nothing to contrast with, the vector is the start point and no step runs
  const all = foldInUser(m, Array.from({ length: 48 }, (_, i) => `i${i}`));
  assert.equal(all.steps, 0);
  assert.ok(all.vector !== null && all.vector.every(Number.isFinite));
});

test('fold-in on a planted-parameter CML model recovers the cluster', () => {
  const model = syntheticTriplet('cml');
  const m = wrap(model, null);
  // items 12..23 form cluster 1; give five of them
  const r = recommendForItems(m, ['i12', 'i13', 'i15', 'i18', 'i20'], { k: 7 });
  for (const x of r.items) {
    const i = Number(x.item.slice(1));
    assert.ok(i >= 12 && i < 24, `${x.item} is not in cluster 1`);
  }
  assert.equal(r.user, '');
  assert.equal(r.complete, true);
});

test('popularity: a new user gets the popular items, minus the given ones', async () => {
  const m = await trainedModel('pop');
  const f = foldInUser(m, ['i1']);
  assert.equal(f.method, 'popularity');
  assert.equal(f.vector, null);
  const r = recommendForItems(m, ['i1', 'i2'], { k: 10 });
  const expected = recommend(m, 'u0', { k: 10, excludeSeen: false, exclude: ['i1', 'i2'] });
  assert.deepEqual(r.items, expected.items);
});

test('EASE: a user\'s own history as a new user gives exactly that user\'s recommendations', async (t) => {
  if (!hasKind('ease')) return t.skip('ease family not available yet');
  const m = await trainedModel('ease');
  for (const u of [0, 1, 17]) {
    const history = Array.from(planted.train.row(u), (i) => `i${i}`);
    const f = foldInUser(m, history);
    assert.equal(f.method, 'item-set');
    const a = recommend(m, `u${u}`, { k: 10 });
    const b = recommendForItems(m, history, { k: 10, user: `u${u}` });
    assert.deepEqual(b.items.map((x) => x.item), a.items.map((x) => x.item));
    for (let r = 0; r < 10; r++) assert.ok(Math.abs(a.items[r].score - b.items[r].score) < 1e-4);
  }
});

test('iALS: fold-in of a user\'s own history overlaps strongly with that user\'s recommendations', async (t) => {
  if (!hasKind('ials')) return t.skip('ials family not available yet');
  const m = await trainedModel('ials');
  const own = overlapOfOwnHistory(m, 60);
  t.diagnostic(`ials: own-history overlap ${own.toFixed(3)}`);
  assert.ok(own >= 0.5, `ials: mean overlap ${own.toFixed(3)} < 0.5`);
});

for (const kind of ['lrml', 'cml'] as const) {
  test(`fold-in of a planted-parameter ${kind} model: a user's top items as a new user give that user's next items`, (t) => {
    const model = syntheticTriplet(kind, { clip: 'lookup', distance: kind === 'lrml' ? 'l2' : 'l2sq' }, 60, 96, 4);
    const m = wrap(model, null);
    let sum = 0;
    const users = 20;
    for (let u = 0; u < users; u++) {
      const top = recommend(m, `u${u}`, { k: 20 }).items.map((x) => x.item);
      const history = top.slice(0, 10);
      const next = new Set(top.slice(10));
      const folded = recommendForItems(m, history, { k: 10 });
      sum += folded.items.filter((x) => next.has(x.item)).length / 10;
    }
    t.diagnostic(`${kind}: mean overlap with the user's items 11..20: ${(sum / users).toFixed(3)}`);
    assert.ok(sum / users >= 0.5, `${kind}: mean overlap ${(sum / users).toFixed(3)} < 0.5`);
  });
}
