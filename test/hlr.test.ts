// HLR (src/kernels/hlr-impl.ts, src/models/hlr.ts, src/train/hlr.ts): the hand-derived gradient
// against finite differences of an obvious Float64 reference of the objective written here (every
// loss, two distances, l2), the history rules (a target never sees itself; training leaves the
// positive out), the options, fold-in and the model file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/rng.js';
import { LrmlError } from '../src/errors.js';
import { createHlrScratch, hlrDistance, hlrSetReferences, hlrTripletGrad, type HlrKernelConfig } from '../src/kernels/hlr-impl.js';
import type { Distance, TripletLoss, TripletParams } from '../src/kernels/types.js';
import { HlrModel, resolveHlrOptions } from '../src/models/hlr.js';
import { drawHistory, fitHlr, scoringHistories } from '../src/train/hlr.js';
import { getFamily } from '../src/train/families.js';
import { decodeModel, encodeModel } from '../src/io/format.js';
import { IdMap } from '../src/data/idmap.js';
import { foldInUser, scoreFoldIn } from '../src/recommend/index.js';
import { Csr } from '../src/data/csr.js';
import type { EpochSummary } from '../src/models/types.js';
import { hitsAtK, plantedDataset } from './helpers.js';

interface Example { u: number; i: number; negs: number[]; hist: number[] }

function config(loss: TripletLoss, distance: Distance, l2: number): HlrKernelConfig {
  return {
    numUsers: 3, numItems: 9, dim: 4, numMemories: 3, negativeRelation: 'own', distance, clip: 'rows', clipMemory: true,
    margin: 0.5, l2, negatives: 3, negativeMode: 'sum', loss, temperature: 0.3, rankWeighting: false,
    optimizer: 'sgd', learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, historyLength: 4, historyTemperature: 0.25,
  };
}

/** The objective of a batch, computed the obvious way; `kink` = the smallest |hinge| (hinge loss). */
function reference(cfg: HlrKernelConfig, p: { P: Float64Array; Q: Float64Array; K: Float64Array; M: Float64Array }, examples: Example[]): { obj: number; kink: number } {
  const d = cfg.dim;
  const N = cfg.numMemories;
  const row = (X: Float64Array, r: number): number[] => Array.from(X.subarray(r * d, r * d + d));
  const dot = (a: number[], b: number[]): number => a.reduce((s, v, c) => s + v * b[c], 0);
  const softmax = (z: number[]): number[] => {
    const mx = Math.max(...z);
    const ex = z.map((v) => Math.exp(v - mx));
    const s = ex.reduce((a, b) => a + b, 0);
    return ex.map((v) => v / s);
  };
  const distance = (u: number, x: number, hist: number[]): number => {
    const pv = row(p.P, u);
    const q = row(p.Q, x);
    const refs = [pv, ...hist.filter((h) => h !== x).map((h) => row(p.Q, h))];
    const beta = softmax(refs.map((r) => dot(q, r) / cfg.historyTemperature));
    const h = q.map((_, c) => refs.reduce((s, r, t) => s + beta[t] * r[c], 0));
    const s = q.map((v, c) => v * h[c]);
    const a = softmax(Array.from({ length: N }, (_, m) => dot(row(p.K, m), s)));
    const r = q.map((_, c) => a.reduce((acc, am, m) => acc + am * p.M[m * d + c], 0));
    const e = pv.map((v, c) => v + r[c] - q[c]);
    const sq = dot(e, e);
    return cfg.distance === 'l2' ? Math.sqrt(sq + 1e-3) : sq;
  };
  const sq = (x: number[]): number => dot(x, x);
  let obj = 0;
  let kink = Infinity;
  for (const ex of examples) {
    const dPos = distance(ex.u, ex.i, ex.hist);
    const dNeg = ex.negs.map((j) => distance(ex.u, j, ex.hist));
    const reg = (j: number): number => cfg.l2 * (sq(row(p.P, ex.u)) + sq(row(p.Q, ex.i)) + sq(row(p.Q, j)));
    const tau = cfg.temperature ?? 1;
    if (cfg.loss === 'softmax') {
      const z = [-dPos / tau, ...dNeg.map((x) => -x / tau)];
      const mx = Math.max(...z);
      obj += Math.log(z.reduce((s, v) => s + Math.exp(v - mx), 0)) + mx + dPos / tau;
      for (const j of ex.negs) obj += reg(j);
    } else {
      dNeg.forEach((dn, t) => {
        const h = cfg.margin + dPos - dn;
        if (cfg.loss === 'softplus') {
          obj += tau * Math.log1p(Math.exp(h / tau)) + reg(ex.negs[t]);
        } else {
          kink = Math.min(kink, Math.abs(h));
          if (h > 0) obj += h + reg(ex.negs[t]);
        }
      });
    }
  }
  return { obj, kink };
}

function randomParams(cfg: HlrKernelConfig, rng: Rng): TripletParams {
  const f = (n: number, s: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal() * s);
  const d = cfg.dim;
  return { P: f(cfg.numUsers * d, 0.5), Q: f(cfg.numItems * d, 0.5), K: f(cfg.numMemories * d, 1.5), M: f(cfg.numMemories * d, 0.5) };
}

for (const loss of ['softmax', 'hinge', 'softplus'] as const) {
  for (const distance of ['l2sq', 'l2'] as const) {
    test(`hlr gradient matches finite differences (${loss}, ${distance}, l2 0.01)`, () => {
      const cfg = config(loss, distance, 0.01);
      const examples: Example[] = [
        { u: 0, i: 1, negs: [5, 6, 7], hist: [2, 3, 4] },
        { u: 2, i: 3, negs: [8, 0, 5], hist: [1, 2] },
        { u: 1, i: 4, negs: [2, 6, 0], hist: [] },
      ];
      let checked = 0;
      for (let seed = 1; seed <= 6 && checked < 3; seed++) {
        const params = randomParams(cfg, new Rng(seed));
        const p64 = { P: Float64Array.from(params.P), Q: Float64Array.from(params.Q), K: Float64Array.from(params.K), M: Float64Array.from(params.M) };
        if (loss === 'hinge' && reference(cfg, p64, examples).kink < 0.05) continue;
        const grads: TripletParams = { P: new Float32Array(params.P.length), Q: new Float32Array(params.Q.length), K: new Float32Array(params.K.length), M: new Float32Array(params.M.length) };
        const sc = createHlrScratch(cfg);
        for (const ex of examples) {
          hlrTripletGrad(cfg, params, ex.u, ex.i, Int32Array.from(ex.negs), 0, Int32Array.from(ex.hist), 0, ex.hist.length, grads, sc);
        }
        const h = 1e-6;
        for (const name of ['P', 'Q', 'K', 'M'] as const) {
          const X = p64[name];
          for (let k = 0; k < X.length; k++) {
            const x0 = X[k];
            X[k] = x0 + h;
            const up = reference(cfg, p64, examples).obj;
            X[k] = x0 - h;
            const down = reference(cfg, p64, examples).obj;
            X[k] = x0;
            const fd = (up - down) / (2 * h);
            assert.ok(Math.abs(fd - grads[name][k]) < 1e-4 + 1e-3 * Math.abs(fd), `${name}[${k}]: finite difference ${fd}, kernel ${grads[name][k]} (seed ${seed})`);
          }
        }
        checked++;
      }
      assert.ok(checked > 0, 'at least one case away from the hinge kinks');
    });
  }
}

test('hlr: a target never sees itself among the references (its weight is zero)', () => {
  const cfg = config('softmax', 'l2sq', 0);
  const params = randomParams(cfg, new Rng(4));
  const sc = createHlrScratch(cfg);
  const d = cfg.dim;
  hlrSetReferences(sc, params.P, 0, params.Q, Int32Array.of(2, 3, 5), 0, 3, d);
  const withSelf = hlrDistance(cfg, params.Q, params.K, params.M, 3, sc);
  hlrSetReferences(sc, params.P, 0, params.Q, Int32Array.of(2, 5), 0, 2, d);
  const without = hlrDistance(cfg, params.Q, params.K, params.M, 3, sc);
  assert.equal(withSelf, without);
});

test('hlr: drawn histories leave the positive out, are distinct and at most historyLength long', () => {
  const rng = new Rng(3);
  const row = Int32Array.from({ length: 30 }, (_, t) => 2 * t);
  const out = new Int32Array(10);
  const mark = new Int32Array(100);
  let stamp = 0;
  for (let rep = 0; rep < 200; rep++) {
    const exclude = row[rng.int(row.length)];
    const n = drawHistory(row, exclude, 10, rng, out, 0, mark, ++stamp);
    assert.equal(n, 10);
    const got = Array.from(out.subarray(0, n));
    assert.ok(!got.includes(exclude), 'the positive is not in its history');
    assert.equal(new Set(got).size, n);
    for (const x of got) assert.ok(row.includes(x));
  }
  // few items: all but the positive, in row order
  const short = Int32Array.of(1, 4, 7);
  assert.equal(drawHistory(short, 4, 10, rng, out, 0, mark, ++stamp), 2);
  assert.deepEqual(Array.from(out.subarray(0, 2)), [1, 7]);
  const csr = Csr.fromPairs(2, 50, Int32Array.from([...Array(30).fill(0), 1]), Int32Array.from([...Array.from({ length: 30 }, (_, t) => t), 3]));
  const fixed = scoringHistories(csr, 8, new Rng(1));
  assert.deepEqual(Array.from(fixed.indptr), [0, 8, 9]);
});

test('hlr options: bad values are BAD_OPTION naming the option', () => {
  const bad = (o: Record<string, unknown>, name: string): void => {
    assert.throws(() => resolveHlrOptions(o), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION' && e.message.includes(name));
  };
  bad({ historyLength: 0 }, 'historyLength');
  bad({ historyTemperature: 0 }, 'historyTemperature');
  bad({ clip: 'lookup' }, 'clip');
  bad({ numMemories: 0 }, 'numMemories');
  bad({ loss: 'softmax', negativeMode: 'hardest' }, 'negativeMode');
  bad({ negativeRelation: 'copy' }, 'negativeRelation');
  assert.equal(resolveHlrOptions({}).historyLength, 20);
  // HLR draws for each positive: LRML's per-positive 20, not the 40 of LRML's shared users' blocks
  assert.equal(resolveHlrOptions({}).negatives, 20);
});

test('hlr: trains on planted data, fold-in scores a new user from their items, the model file round-trips', async () => {
  const data = plantedDataset(5);
  const model = (await getFamily('hlr').fit(data.train, { dim: 16, numMemories: 4, epochs: 15, learningRate: 0.01, batchSize: 128, historyLength: 6, seed: 2 })) as HlrModel;
  assert.ok(model instanceof HlrModel);
  const h = hitsAtK((u, out) => model.scoreAll(u, out), data, 10);
  assert.ok(h > 0.5, `hits@10 ${h}`);
  const users = IdMap.fromIds(Array.from({ length: data.numUsers }, (_, u) => `u${u}`));
  const items = IdMap.fromIds(Array.from({ length: data.numItems }, (_, i) => `i${i}`));
  const m = decodeModel(encodeModel({ model, users, items, meta: {}, seen: data.train }));
  assert.deepEqual(m.model.tensors().historyItems.data, model.historyItems);
  // a new user from cluster 0's items (items 0..19): recommendations come from the same cluster
  const f = foldInUser(m, ['i1', 'i3', 'i5', 'i8', 'i12'], {});
  assert.equal(f.method, 'item-set');
  const out = new Float32Array(data.numItems);
  scoreFoldIn(m, f, out);
  const order = Array.from(out.keys()).sort((a, b) => out[b] - out[a]).filter((i) => ![1, 3, 5, 8, 12].includes(i));
  const inCluster = order.slice(0, 10).filter((i) => i < 20).length;
  assert.ok(inCluster >= 7, `${inCluster} of the top 10 from the user's cluster`);
  assert.throws(() => foldInUser(m, ['i1'], { loss: 'hinge' }), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_OPTION');
  // a file whose history does not fit the users is refused
  const t = model.tensors();
  assert.throws(() => HlrModel.fromTensors(model.config(), { ...t, historyIndptr: { shape: [2], data: Int32Array.of(0, 0) } }), (e: unknown) => e instanceof LrmlError && e.code === 'BAD_MODEL_FILE');
});

test('hlr: same seed, same model (deterministic training)', async () => {
  const data = plantedDataset(6);
  const o = resolveHlrOptions({ dim: 8, numMemories: 3, epochs: 2, historyLength: 5, negatives: 4, seed: 9 });
  const seen: EpochSummary[] = [];
  const a = await fitHlr(data.train, o, { onEpoch: (e) => { seen.push(e); } });
  const b = await fitHlr(data.train, o);
  // each epoch records the memory and history attention (entropies in [0, 1])
  assert.equal(seen.length, 2);
  for (const e of seen) {
    const at = e.attention;
    assert.ok(at !== undefined && at.pairs > 0);
    assert.ok(at.meanNormalizedEntropy >= 0 && at.meanNormalizedEntropy <= 1);
    assert.ok(at.historyEntropy !== undefined && at.historyEntropy >= 0 && at.historyEntropy <= 1, `history entropy ${at.historyEntropy}`);
    assert.ok(Number.isFinite(at.relationSpread));
  }
  assert.deepEqual(a.params.Q, b.params.Q);
  assert.deepEqual(a.historyItems, b.historyItems);
});
