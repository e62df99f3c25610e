import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/rng.js';
import { createDotScorer, createTripletScorer } from '../src/kernels/scorer.js';
import type { AttentionKind, ClipMode, Distance, TripletParams } from '../src/kernels/types.js';

interface Att { attention?: AttentionKind; attentionScale?: number; attentionTemperature?: number }

/** Slow, obvious Float64 reference of the LRML score −dist(p + r − q); `gap` gets the fit-hard top-2 logit gap. */
function refScore(params: TripletParams, d: number, n: number, distance: Distance, clip: ClipMode, p0: Float32Array | number[], i: number, att: Att = {}, gap: number[] = []): number {
  const p = Array.from(p0, Number);
  const q = Array.from(params.Q.subarray(i * d, (i + 1) * d), Number);
  if (clip === 'lookup') {
    for (const x of [p, q]) {
      const norm = Math.sqrt(x.reduce((a, b) => a + b * b, 0));
      if (norm > 1) for (let j = 0; j < d; j++) x[j] /= norm;
    }
  }
  const r = new Array<number>(d).fill(0);
  if (n > 0) {
    const s = p.map((pj, j) => pj * q[j]);
    const logits: number[] = [];
    const kind = att.attention ?? 'dot';
    const len = (x: number[]): number => Math.sqrt(x.reduce((a, b) => a + b * b, 0));
    for (let k = 0; k < n; k++) {
      const key = Array.from(params.K.subarray(k * d, (k + 1) * d), Number);
      const val = Array.from(params.M.subarray(k * d, (k + 1) * d), Number);
      let l = 0;
      if (kind === 'fit' || kind === 'fit-hard') {
        for (let j = 0; j < d; j++) l -= (p[j] + val[j] - q[j]) ** 2;
        l /= att.attentionTemperature ?? 0.1;
      } else {
        for (let j = 0; j < d; j++) l += key[j] * s[j];
        if (kind === 'cosine') l = ((att.attentionScale ?? 10) * l) / (len(key) * len(s) + 1e-8);
      }
      logits.push(l);
    }
    const mx = Math.max(...logits);
    if (kind === 'fit-hard') {
      const best = logits.indexOf(mx);
      const sorted = [...logits].sort((a, b) => b - a);
      gap.push(n > 1 ? sorted[0] - sorted[1] : Infinity);
      for (let j = 0; j < d; j++) r[j] = params.M[best * d + j];
    } else {
      const e = logits.map((l) => Math.exp(l - mx));
      const z = e.reduce((a, b) => a + b, 0);
      for (let k = 0; k < n; k++) for (let j = 0; j < d; j++) r[j] += (e[k] / z) * params.M[k * d + j];
    }
  }
  const diff = p.map((pj, j) => pj + r[j] - q[j]);
  if (distance === 'l1') return -diff.reduce((a, b) => a + Math.abs(b), 0);
  const sq = diff.reduce((a, b) => a + b * b, 0);
  return distance === 'l2' ? -Math.sqrt(sq + 1e-3) : -sq;
}

function randomParams(numUsers: number, numItems: number, d: number, n: number, seed: number, scale = 0.5): TripletParams {
  const rng = new Rng(seed);
  const f = (len: number, s: number): Float32Array => Float32Array.from({ length: len }, () => rng.normal() * s);
  return { P: f(numUsers * d, scale), Q: f(numItems * d, scale), K: f(n * d, 1), M: f(n * d, 0.3) };
}

const DISTANCES: Distance[] = ['l2', 'l2sq', 'l1'];
const CLIPS: ClipMode[] = ['none', 'lookup'];

for (const backend of ['ts', 'wasm'] as const) {
  for (const formula of ['expanded', 'direct'] as const) {
    if (backend === 'ts' && formula === 'direct') continue; // the TS scorer is always direct
    test(`triplet scorer (${backend === 'ts' ? 'ts, Float64 direct' : `wasm, ${formula}`}) matches the Float64 reference: every distance, clip, N = 0`, () => {
      const numUsers = 5;
      const numItems = 37; // not a multiple of 16
      for (const d of [7, 16]) {
        for (const n of [0, 1, 2, 3, 6, 20]) { // GEMM row blocks of 1, 2, 3, 4 and mixes
          const params = randomParams(numUsers, numItems, d, n, d * 100 + n);
          for (const distance of DISTANCES) {
            for (const clip of CLIPS) {
              const s = createTripletScorer(params, { numUsers, numItems, dim: d, numMemories: n, distance, clip }, { backend, formula });
              assert.equal(s.backend, backend);
              const out = new Float32Array(numItems);
              for (let u = 0; u < numUsers; u++) {
                s.scoreAll(u, out);
                for (let i = 0; i < numItems; i++) {
                  const ref = refScore(params, d, n, distance, clip, params.P.subarray(u * d, (u + 1) * d), i);
                  const tol = backend === 'ts' ? 1e-6 * (1 + Math.abs(ref)) : 2e-5 * (1 + Math.abs(ref));
                  assert.ok(Math.abs(out[i] - ref) <= tol, `${backend}/${formula} d=${d} n=${n} ${distance} ${clip} u=${u} i=${i}: ${out[i]} vs ${ref}`);
                }
              }
            }
          }
        }
      }
    });
  }
}

const ATTENTIONS: Att[] = [
  { attention: 'cosine', attentionScale: 10 },
  { attention: 'cosine', attentionScale: 30 },
  { attention: 'fit', attentionTemperature: 0.1 },
  { attention: 'fit', attentionTemperature: 1 },
  { attention: 'fit-hard', attentionTemperature: 0.1 },
];

for (const backend of ['ts', 'wasm'] as const) {
  for (const formula of ['expanded', 'direct'] as const) {
    if (backend === 'ts' && formula === 'direct') continue;
    test(`triplet scorer (${backend === 'ts' ? 'ts' : `wasm, ${formula}`}) matches the Float64 reference with the cosine, fit and fit-hard attentions`, () => {
      const numUsers = 4;
      const numItems = 37;
      let skipped = 0;
      let checked = 0;
      for (const att of ATTENTIONS) {
        for (const d of [7, 16]) {
          for (const n of [1, 3, 6, 20]) {
            const params = randomParams(numUsers, numItems, d, n, d * 100 + n + 7);
            for (const distance of DISTANCES) {
              for (const clip of CLIPS) {
                const s = createTripletScorer(params, { numUsers, numItems, dim: d, numMemories: n, distance, clip, ...att }, { backend, formula });
                assert.equal(s.backend, backend);
                const out = new Float32Array(numItems);
                const vec = new Float32Array(numItems);
                for (let u = 0; u < numUsers; u++) {
                  s.scoreAll(u, out);
                  s.scoreVector(params.P.slice(u * d, (u + 1) * d), vec);
                  assert.deepEqual(vec, out);
                  for (let i = 0; i < numItems; i++) {
                    const gap: number[] = [];
                    const ref = refScore(params, d, n, distance, clip, params.P.subarray(u * d, (u + 1) * d), i, att, gap);
                    // fit-hard: a near tie may pick the other slot in float32
                    if (gap.length > 0 && gap[0] < 1e-3) {
                      skipped++;
                      continue;
                    }
                    checked++;
                    const tol = backend === 'ts' ? 1e-6 * (1 + Math.abs(ref)) : 5e-5 * (1 + Math.abs(ref));
                    assert.ok(Math.abs(out[i] - ref) <= tol, `${backend}/${formula} ${JSON.stringify(att)} d=${d} n=${n} ${distance} ${clip} u=${u} i=${i}: ${out[i]} vs ${ref}`);
                  }
                }
              }
            }
          }
        }
      }
      assert.ok(skipped < checked / 100, `${skipped} near ties skipped of ${checked}`);
    });
  }
}

test('scoreItems and scoreVector give bit-identical scores to scoreAll (wasm and ts, lists with repeats, > 1 chunk, every attention)', () => {
  const numUsers = 3;
  const numItems = 53;
  const d = 12;
  const n = 5;
  const params = randomParams(numUsers, numItems, d, n, 7);
  const rng = new Rng(3);
  const items = Int32Array.from({ length: 9000 }, () => rng.int(numItems));
  for (const backend of ['ts', 'wasm'] as const) {
    for (const [distance, att] of [...DISTANCES.map((x) => [x, {}] as const), ...ATTENTIONS.map((a) => ['l2sq', a] as const)]) {
      const s = createTripletScorer(params, { numUsers, numItems, dim: d, numMemories: n, distance, clip: 'lookup', ...att }, { backend });
      const all = new Float32Array(numItems);
      const some = new Float32Array(items.length);
      const vec = new Float32Array(numItems);
      for (let u = 0; u < numUsers; u++) {
        s.scoreAll(u, all);
        s.scoreItems(u, items, some);
        for (let t = 0; t < items.length; t++) assert.equal(some[t], all[items[t]], `${backend} ${distance} u=${u} t=${t}`);
        s.scoreVector(params.P.slice(u * d, (u + 1) * d), vec);
        assert.deepEqual(vec, all);
      }
    }
  }
});

test('the wasm scorer lays out its whole-catalogue tables at the first whole-catalogue call: lists before and after, refresh in between, the same scores and bounds as a scorer that scored everything first', () => {
  const numUsers = 3;
  // not a multiple of 16, and large enough (2,003 × 10 floats) that the whole-catalogue tables grow
  // the module's memory past its first pages: every view must be taken anew
  const numItems = 2003;
  const d = 10;
  const n = 4;
  const params = randomParams(numUsers, numItems, d, n, 17);
  const cfg = { numUsers, numItems, dim: d, numMemories: n, distance: 'l2' as const, clip: 'lookup' as const };
  const items = Int32Array.of(2002, 0, 5, 5, 21, 1500);
  const lazy = createTripletScorer(params, cfg, { backend: 'wasm' });
  const before = new Float32Array(items.length);
  lazy.scoreItems(1, items, before);
  params.Q[d * 5] += 0.3;
  params.M[1] -= 0.2;
  lazy.refresh();
  const fresh = createTripletScorer(params, cfg, { backend: 'wasm' });
  const want = new Float32Array(numItems);
  const got = new Float32Array(numItems);
  const some = new Float32Array(items.length);
  const lo = [new Float32Array(numItems), new Float32Array(numItems)];
  const hi = [new Float32Array(numItems), new Float32Array(numItems)];
  for (let u = 0; u < numUsers; u++) {
    lazy.scoreItems(u, items, some);
    fresh.scoreAll(u, want);
    for (let t = 0; t < items.length; t++) assert.equal(some[t], want[items[t]], `list before the whole catalogue, u=${u} t=${t}`);
    if (u === 1) assert.notEqual(some[2], before[2], 'refresh took the changed item');
    lazy.scoreAll(u, got);
    assert.deepEqual(got, want, `scoreAll u=${u}`);
    assert.equal(fresh.scoreBounds?.(u, lo[0], hi[0]), true);
    assert.equal(lazy.scoreBounds?.(u, lo[1], hi[1]), true);
    assert.deepEqual(lo[1], lo[0]);
    assert.deepEqual(hi[1], hi[0]);
    lazy.scoreItems(u, items, some);
    for (let t = 0; t < items.length; t++) assert.equal(some[t], want[items[t]], `list after, u=${u} t=${t}`);
  }
  params.Q[d * 7 + 1] -= 0.3;
  lazy.refresh();
  fresh.refresh();
  lazy.scoreAll(2, got);
  fresh.scoreAll(2, want);
  assert.deepEqual(got, want, 'refresh refills the whole-catalogue tables');
  const bias = Float32Array.from({ length: numItems }, (_, i) => i / 10);
  const dotLazy = createDotScorer(params.P, params.Q, bias, d, { backend: 'wasm' });
  const dotAll = new Float32Array(numItems);
  createDotScorer(params.P, params.Q, bias, d, { backend: 'wasm' }).scoreAll(2, want);
  dotLazy.scoreItems(2, items, some);
  for (let t = 0; t < items.length; t++) assert.equal(some[t], want[items[t]], `dot list t=${t}`);
  dotLazy.scoreAll(2, dotAll);
  assert.deepEqual(dotAll, want);
});

test('refresh() picks up parameter changes; P is read at every call', () => {
  const params = randomParams(2, 20, 8, 4, 11);
  for (const backend of ['ts', 'wasm'] as const) {
    const p = { P: params.P.slice(), Q: params.Q.slice(), K: params.K.slice(), M: params.M.slice() };
    const s = createTripletScorer(p, { numUsers: 2, numItems: 20, dim: 8, numMemories: 4, distance: 'l2', clip: 'lookup' }, { backend });
    const before = new Float32Array(20);
    const after = new Float32Array(20);
    s.scoreAll(1, before);
    p.Q[8 * 3] += 0.5;
    p.M[0] -= 0.4;
    s.refresh();
    s.scoreAll(1, after);
    const ref = refScore(p, 8, 4, 'l2', 'lookup', p.P.subarray(8, 16), 3);
    assert.ok(Math.abs(after[3] - ref) < 1e-4, `${backend}: ${after[3]} vs ${ref}`);
    assert.notEqual(after[3], before[3]);
    p.P[8] += 0.25;
    s.scoreAll(1, after);
    const ref2 = refScore(p, 8, 4, 'l2', 'lookup', p.P.subarray(8, 16), 3);
    assert.ok(Math.abs(after[3] - ref2) < 1e-4, `${backend}: ${after[3]} vs ${ref2}`);
  }
});

test('dot scorer: p·q + bias, with and without bias, both backends, scoreItems = scoreAll', () => {
  const rng = new Rng(5);
  const d = 9;
  const numUsers = 4;
  const numItems = 29;
  const P = Float32Array.from({ length: numUsers * d }, () => rng.normal());
  const Q = Float32Array.from({ length: numItems * d }, () => rng.normal());
  const b = Float32Array.from({ length: numItems }, () => rng.normal());
  for (const backend of ['ts', 'wasm'] as const) {
    for (const bias of [null, b]) {
      const s = createDotScorer(P, Q, bias, d, { backend });
      assert.equal(s.numItems, numItems);
      assert.equal(s.numUsers, numUsers);
      const out = new Float32Array(numItems);
      const items = Int32Array.of(28, 0, 5, 5, 17);
      const some = new Float32Array(items.length);
      for (let u = 0; u < numUsers; u++) {
        s.scoreAll(u, out);
        for (let i = 0; i < numItems; i++) {
          let ref = bias === null ? 0 : bias[i];
          for (let j = 0; j < d; j++) ref += P[u * d + j] * Q[i * d + j];
          assert.ok(Math.abs(out[i] - ref) < 1e-5 * (1 + Math.abs(ref)), `${backend} u=${u} i=${i}: ${out[i]} vs ${ref}`);
        }
        s.scoreItems(u, items, some);
        for (let t = 0; t < items.length; t++) assert.equal(some[t], out[items[t]]);
      }
    }
  }
});

test('scorers reject bad indices, short outputs and mismatched shapes', () => {
  const params = randomParams(2, 10, 4, 2, 1);
  for (const backend of ['ts', 'wasm'] as const) {
    const s = createTripletScorer(params, { numUsers: 2, numItems: 10, dim: 4, numMemories: 2, distance: 'l2', clip: 'none' }, { backend });
    assert.throws(() => s.scoreItems(0, Int32Array.of(1, 10), new Float32Array(2)), RangeError);
    assert.throws(() => s.scoreItems(0, Int32Array.of(-1), new Float32Array(1)), RangeError);
    assert.throws(() => s.scoreAll(2, new Float32Array(10)), RangeError);
    assert.throws(() => s.scoreAll(0, new Float32Array(9)), RangeError);
    assert.throws(() => s.scoreVector(new Float32Array(3), new Float32Array(10)), RangeError);
  }
  assert.throws(() => createTripletScorer(params, { numUsers: 3, numItems: 10, dim: 4, numMemories: 2, distance: 'l2', clip: 'none' }), RangeError);
  assert.throws(() => createDotScorer(new Float32Array(7), new Float32Array(8), null, 4), RangeError);
});

test('NaN parameters give NaN scores (never a good finite score)', () => {
  const params = randomParams(1, 20, 4, 2, 9);
  params.Q[4 * 6] = NaN;
  for (const backend of ['ts', 'wasm'] as const) {
    const s = createTripletScorer(params, { numUsers: 1, numItems: 20, dim: 4, numMemories: 2, distance: 'l2', clip: 'none' }, { backend });
    const out = new Float32Array(20);
    s.scoreAll(0, out);
    assert.ok(Number.isNaN(out[6]), `${backend}: ${out[6]}`);
    assert.ok(Number.isFinite(out[5]));
  }
});

test('a model holds its item vectors once in the scorer\'s shared table: same scores and file bytes, valid past the memory\'s growth, refresh as before', async () => {
  const { LRML_DEFAULTS, TripletModel } = await import('../src/models/triplet.js');
  const { encodeModel } = await import('../src/io/format.js');
  const { IdMap } = await import('../src/data/idmap.js');
  const numUsers = 4;
  const numItems = 2003; // the whole-catalogue tables grow the memory past its first pages
  const d = 12;
  const n = 5;
  const make = (clip: 'rows' | 'lookup'): InstanceType<typeof TripletModel> => {
    const p = randomParams(numUsers, numItems, d, n, 23, 0.2);
    return new TripletModel('lrml', numUsers, numItems, { ...LRML_DEFAULTS, dim: d, numMemories: n, clip }, p);
  };
  const plain = make('rows');
  const shared = make('rows');
  const ids = (count: number, prefix: string): InstanceType<typeof IdMap> => IdMap.fromIds(Array.from({ length: count }, (_, i) => `${prefix}${i}`));
  const file = (m: InstanceType<typeof TripletModel>): Uint8Array => encodeModel({ model: m, users: ids(numUsers, 'u'), items: ids(numItems, 'i'), meta: {}, seen: null });
  const bytes = file(plain);
  const oldQ = shared.params.Q;
  assert.equal(shared.shareItemTable(), true, 'Node has shared WebAssembly memory');
  assert.notEqual(shared.params.Q, oldQ, 'params.Q is the scorer\'s table now');
  assert.ok(shared.params.Q.buffer instanceof SharedArrayBuffer);
  assert.deepEqual(shared.params.Q, oldQ, 'the same numbers');
  const held = shared.params.Q;
  assert.equal(shared.shareItemTable(), false, 'a second call moves nothing');
  assert.equal(shared.params.Q, held);
  const items = Int32Array.of(2002, 0, 7, 7, 1500);
  const a = new Float32Array(items.length);
  const b = new Float32Array(items.length);
  for (let u = 0; u < numUsers; u++) {
    plain.scoreItems(u, items, a);
    shared.scoreItems(u, items, b);
    assert.deepEqual(b, a, `candidate list, u=${u}`);
  }
  // the first whole-catalogue call grows the scorer's memory: the table must stay valid
  const all = [new Float32Array(numItems), new Float32Array(numItems)];
  plain.scoreAll(1, all[0]);
  shared.scoreAll(1, all[1]);
  assert.deepEqual(all[1], all[0]);
  assert.equal(shared.params.Q.length, numItems * d, 'not detached by the growth');
  assert.equal(shared.shareItemTable(), false, 'nor after the growth');
  assert.equal(shared.params.Q, held);
  assert.deepEqual(shared.params.Q, plain.params.Q);
  assert.deepEqual(file(shared), bytes, 'the model file is byte for byte the same');
  // training-style writes through params.Q, then refresh(): scores follow as in the plain model
  for (const m of [plain, shared]) {
    m.params.Q[7 * d] += 0.4;
    m.params.Q[1500 * d + 3] -= 0.25;
    m.refresh();
  }
  plain.scoreAll(2, all[0]);
  shared.scoreAll(2, all[1]);
  assert.deepEqual(all[1], all[0], 'after writes and refresh');
  plain.scoreItems(3, items, a);
  shared.scoreItems(3, items, b);
  assert.deepEqual(b, a);
  // a model that clips at lookup keeps scaled rows in its table: no sharing
  const lookup = make('lookup');
  const q = lookup.params.Q;
  assert.equal(lookup.shareItemTable(), false);
  assert.equal(lookup.params.Q, q);
});

test('the own-memory kernel (pages without shared memory) scores bit for bit as the shared one, before and after its memory grows', () => {
  const numUsers = 3;
  const numItems = 2003;
  const d = 10;
  const n = 4;
  const items = Int32Array.of(2002, 0, 5, 5, 21, 1500);
  for (const clip of ['rows', 'lookup'] as const) {
    for (const attention of ['dot', 'cosine', 'fit'] as const) {
      const params = randomParams(numUsers, numItems, d, n, 29);
      const cfg = { numUsers, numItems, dim: d, numMemories: n, distance: 'l2' as const, clip, attention };
      const shared = createTripletScorer(params, cfg, { backend: 'wasm' });
      const own = createTripletScorer(params, cfg, { backend: 'wasm', memory: 'own' });
      const what = `${clip} ${attention}`;
      assert.equal(own.itemTable?.() ?? null, null, `${what}: an own memory lends no table`);
      assert.equal(shared.itemTable?.() === null, clip === 'lookup', `${what}: the shared scorer lends its table unless rows are scaled at lookup`);
      const a = [new Float32Array(items.length), new Float32Array(items.length)];
      const all = [new Float32Array(numItems), new Float32Array(numItems)];
      for (let u = 0; u < numUsers; u++) {
        shared.scoreItems(u, items, a[0]);
        own.scoreItems(u, items, a[1]);
        assert.deepEqual(a[1], a[0], `${what}: list u=${u}`);
        shared.scoreAll(u, all[0]);
        own.scoreAll(u, all[1]);
        assert.deepEqual(all[1], all[0], `${what}: scoreAll u=${u}`);
        own.scoreItems(u, items, a[1]);
        assert.deepEqual(a[1], a[0], `${what}: list after the growth u=${u}`);
      }
      shared.scoreVector(params.P.subarray(0, d), all[0]);
      own.scoreVector(params.P.subarray(0, d), all[1]);
      assert.deepEqual(all[1], all[0], `${what}: scoreVector`);
    }
  }
  const bias = Float32Array.from({ length: numItems }, (_, i) => i / 7);
  const params = randomParams(numUsers, numItems, d, 0, 31);
  const out = [new Float32Array(numItems), new Float32Array(numItems)];
  createDotScorer(params.P, params.Q, bias, d, { backend: 'wasm' }).scoreAll(1, out[0]);
  createDotScorer(params.P, params.Q, bias, d, { backend: 'wasm', memory: 'own' }).scoreAll(1, out[1]);
  assert.deepEqual(out[1], out[0], 'dot');
  assert.throws(() => createTripletScorer(params, { numUsers, numItems, dim: d, numMemories: 0, distance: 'l2', clip: 'rows' }, { backend: 'wasm', memory: 'big' as 'own' }), /invalid scorer memory "big" \(expected auto or own\)/);
});
