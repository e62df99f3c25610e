// Large catalogues (issue #20 item 1): candidates from a usearch HNSW index over the item
// vectors, scored exactly. Forced ANN path against exact scoring, recall on a generated model,
// the saved index and its stale rebuild, malformed options and flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LrmlError } from '../src/errors.js';
import { writeSyntheticInteractions } from '../src/data/synthetic.js';
import { loadInteractions } from '../src/data/load.js';
import { toCsr } from '../src/data/interactions.js';
import { getFamily } from '../src/train/families.js';
import { saveModel, loadModel } from '../src/io/model-file.js';
import type { LoadedModel } from '../src/io/format.js';
import { attachCandidateIndex, buildCandidateIndex, candidateIndexPath, DEFAULT_EXPANSION_ADD, liftItems, liftQuery, liftRadius2, liftScale, openCandidateIndex, requireIndexPackage } from '../src/io/ann-index.js';
import { Rng } from '../src/rng.js';
import { recommend, recommendAsync, recommendMany, searchMode } from '../src/recommend/index.js';
import { startServer } from '../src/serve/index.js';
import { runCli } from './helpers.js';
import { trainedModel } from './recommend-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'lrml-ann-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const code = (c: string, re?: RegExp) => (e: unknown) => e instanceof LrmlError && e.code === c && (re === undefined || re.test(e.message));
const ids = (r: { items: { item: string }[] }): string[] => r.items.map((x) => x.item);
/** Item indices of the exact top k of a user. */
const topKOf = (m: LoadedModel, user: string, k: number): number[] => recommend(m, user, { k }).items.map((x) => m.items.get(x.item)!);
const missing = async (): Promise<never> => {
  throw Object.assign(new Error('Cannot find package usearch'), { code: 'ERR_MODULE_NOT_FOUND' });
};

for (const kind of ['lrml', 'cml']) {
  test(`${kind}: forced ann with candidateCount ≥ numItems gives exactly the exact top-k, with every filter`, async () => {
    const m = await trainedModel(kind);
    const a: LoadedModel = { ...m, index: await buildCandidateIndex(m, { threads: 1 }) };
    const n = m.model.numItems;
    assert.equal(searchMode(a, { search: 'ann' }), 'ann');
    for (let u = 0; u < m.users.size; u += 7) {
      const user = m.users.id(u);
      for (const o of [{ k: 10 }, { k: 25, excludeSeen: false }, { k: 5, exclude: ['i3', 'i4', 'i50'] }, { k: 8, include: ['i1', 'i2', 'i9', 'i30', 'i31', 'i77'] }]) {
        assert.deepEqual(recommend(a, user, { ...o, search: 'ann', candidateCount: n }), recommend(m, user, o), `user ${user} ${JSON.stringify(o)}`);
      }
    }
    // auto on a small catalogue: exact, index or not
    assert.equal(searchMode(a, {}), 'exact');
    assert.deepEqual(recommendMany(a, ['u0', 'u1'], { k: 4, search: 'ann', candidateCount: n }), recommendMany(m, ['u0', 'u1'], { k: 4 }));
  });
}

test('recall@10 of the ann path against exact scoring on a generated catalogue (lrml and cml, trained)', async () => {
  const data = join(dir, 'gen.tsv');
  await writeSyntheticInteractions(data, { numUsers: 400, numItems: 3000, interactions: 12000, seed: 3 });
  const train = toCsr(await loadInteractions(data));
  const recall: Record<string, number[]> = {};
  for (const kind of ['lrml', 'cml']) {
    const model = await getFamily(kind).fit(train, { dim: 32, ...(kind === 'lrml' ? { numMemories: 8, loss: 'hinge', negatives: 1 } : {}), epochs: 3, seed: 1 });
    const loaded = await loadInteractions(data);
    const m: LoadedModel = { model, users: loaded.users, items: loaded.items, meta: {}, seen: train };
    for (const setting of [{}, { metric: 'l2sq' as const }]) {
      const name = `${kind} ${setting.metric ?? 'lifted'}`;
      const a: LoadedModel = { ...m, index: await buildCandidateIndex(m, { threads: 1, ...setting }) };
      recall[name] = [];
      for (const C of [20, 100, 400]) {
        let hit = 0;
        let total = 0;
        for (let u = 0; u < m.users.size; u += 4) {
          const user = m.users.id(u);
          const exact = new Set(ids(recommend(m, user, { k: 10 })));
          const got = recommend(a, user, { k: 10, search: 'ann', candidateCount: C });
          assert.equal(got.items.length, 10);
          for (const x of got.items) if (exact.has(x.item)) hit++;
          total += exact.size;
        }
        recall[name].push(hit / total);
      }
      // more candidates never hurt here, and 400 of 3000 items recover almost all of the exact top 10
      assert.ok(recall[name][2] >= recall[name][0], `${name}: ${recall[name]}`);
      assert.ok(recall[name][1] >= 0.9, `${name}: recall@10 ${recall[name]}`);
    }
  }
  // CML's query is exact (−‖p − q‖²): its few candidates already hold the top 10, with either
  // metric (the lifted i8 vectors keep the squared-L2 order up to their rounding)
  assert.ok(recall['cml lifted'][1] >= 0.95 && recall['cml l2sq'][1] >= 0.95, JSON.stringify(recall));
  // a query that ignores the user would not come close
  const m = await trainedModel('cml');
  const index = await buildCandidateIndex(m, { threads: 1 });
  const top = index.search(new Float32Array(m.model.vectors!().dim), 10);
  assert.equal(top.length, 10);
  assert.ok(topKOf(m, 'u0', 10).filter((i) => top.includes(i)).length < 10);
});

test('the lift keeps the squared-L2 order: cosine of lifted vectors against a lifted query ranks items as ‖x − q‖²', () => {
  // hand-computed: x = (1, 0) and (0, 0.5): ‖x‖² + ‖x‖⁴ = 2 and 0.3125
  assert.equal(liftRadius2(new Float32Array([1, 0, 0, 0.5]), 2), 2);
  assert.deepEqual(Array.from(liftItems(new Float32Array([1, 0, 0, 0.5]), 2, 0, 2, 1, 2)), [1, 0, 1, 0, 0, 0.5, 0.25, Math.fround(Math.sqrt(2 - 0.3125))]);
  assert.deepEqual(Array.from(liftQuery(new Float32Array([0.5, 1]))), [1, 2, -1, 0]);
  assert.deepEqual(Array.from(liftQuery(new Float32Array([0.5, 1]), 0.5)), [0.5, 1, -1, 0]);
  // the scale brings the largest norm to 1 (3-4-5: 0.2), and is 1 for an all-zero catalogue
  assert.equal(liftScale(new Float32Array([3, 4, 0, 1]), 2), 0.2);
  assert.equal(liftScale(new Float32Array(6), 3), 1);
  const rng = new Rng(4);
  const dim = 7;
  const n = 300;
  for (const norm of [1, 5, 0.05]) {
    const items = new Float32Array(n * dim);
    for (let i = 1; i < n; i++) { // item 0 stays the zero vector
      const r = rng.float() * norm;
      let s = 0;
      for (let c = 0; c < dim; c++) s += (items[i * dim + c] = rng.float() - 0.5) ** 2;
      for (let c = 0; c < dim; c++) items[i * dim + c] *= r / Math.sqrt(s);
    }
    const scale = liftScale(items, dim);
    const r2 = liftRadius2(items, dim, scale);
    const lifted = liftItems(items, dim, 0, n, scale, r2);
    for (let t = 0; t < 20; t++) {
      // the last query is the zero vector: it ranks items by their norms
      const q = Float32Array.from({ length: dim }, () => (t === 19 ? 0 : (rng.float() - 0.5) * norm));
      const lq = liftQuery(q, scale);
      const l2 = Array.from({ length: n }, (_, i) => { let s = 0; for (let c = 0; c < dim; c++) s += (items[i * dim + c] - q[c]) ** 2; return s; });
      const cos = Array.from({ length: n }, (_, i) => {
        let dot = 0;
        let nx = 0;
        for (let c = 0; c < dim + 2; c++) {
          dot += lifted[i * (dim + 2) + c] * lq[c];
          nx += lifted[i * (dim + 2) + c] ** 2;
        }
        assert.ok(Math.abs(nx - r2) < 1e-5, `every lifted vector has length R: ${nx} vs ${r2}`);
        return -dot;
      });
      const byL2 = Array.from({ length: n }, (_, i) => i).sort((a, b) => l2[a] - l2[b]).slice(0, 10);
      const byCos = Array.from({ length: n }, (_, i) => i).sort((a, b) => cos[a] - cos[b]).slice(0, 10);
      assert.deepEqual(byCos, byL2, `norms up to ${norm}, query ${t}`);
    }
  }
});

/** Share of the brute-force squared-L2 top 10 of random queries among an index's 30 nearest (the candidates re-scored exactly). */
function indexRecall(index: { search(q: Float32Array, count: number): Int32Array }, items: Float32Array, dim: number, norm: number, seed: number): number {
  const rng = new Rng(seed);
  const n = items.length / dim;
  let hit = 0;
  for (let t = 0; t < 30; t++) {
    const q = Float32Array.from({ length: dim }, () => (rng.float() - 0.5) * norm);
    const l2 = Array.from({ length: n }, (_, i) => { let s = 0; for (let c = 0; c < dim; c++) s += (items[i * dim + c] - q[c]) ** 2; return s; });
    const truth = Array.from({ length: n }, (_, i) => i).sort((a, b) => l2[a] - l2[b]).slice(0, 10);
    const got = new Set(index.search(q, 30));
    hit += truth.filter((i) => got.has(i)).length;
  }
  return hit / 300;
}

test('the lifted i8 index finds the squared-L2 neighbours whatever the norms of the vectors (0.05, 1, 5)', async () => {
  const rng = new Rng(9);
  const dim = 24;
  const n = 2000;
  for (const norm of [1, 5, 0.05]) {
    const items = new Float32Array(n * dim);
    for (let i = 0; i < n * dim; i++) items[i] = (rng.float() - 0.5) * norm;
    // a stand-in model: the index only needs the item vectors (and a candidate query to exist)
    const m = { model: { kind: 'cml', numItems: n, candidateQuery: () => undefined, vectors: () => ({ items, dim, geometry: 'euclidean' }) } } as unknown as LoadedModel;
    const lifted = await buildCandidateIndex(m, { threads: 1 });
    const l2 = await buildCandidateIndex(m, { threads: 1, metric: 'l2sq' });
    const [rl, r2] = [indexRecall(lifted, items, dim, norm, 1), indexRecall(l2, items, dim, norm, 1)];
    assert.ok(rl >= 0.97 && rl >= r2 - 0.03, `norms ~${norm}: lifted i8 finds ${rl} of the top 10 among 30 candidates, l2sq f32 ${r2}`);
  }
});

test('openCandidateIndex: saved next to the model with its fingerprint; reused when current, rebuilt when stale or other settings', async () => {
  const path = join(dir, 'cml.lrml');
  const m = await trainedModel('cml');
  await saveModel(path, m);
  const loaded = await loadModel(path);
  const first = await openCandidateIndex(loaded, path, { threads: 1 });
  assert.equal(first.built, true);
  assert.equal(first.reason, 'missing');
  assert.equal(first.file, candidateIndexPath(path));
  assert.ok(existsSync(`${path}.index`) && existsSync(`${path}.index.json`));
  assert.ok(!readdirSync(dir).some((f) => f.endsWith('.tmp')), 'no temp files left');
  const side = JSON.parse(readFileSync(`${path}.index.json`, 'utf8'));
  assert.equal(side.engine, 'usearch');
  assert.equal(side.numItems, m.model.numItems);
  assert.match(side.fingerprint, /^[0-9a-f]{64}$/);

  const again = await openCandidateIndex(await loadModel(path), path, { threads: 1 });
  assert.equal(again.built, false);
  const q = new Float32Array(16).fill(0.1);
  assert.deepEqual(again.index.search(q, 20), first.index.search(q, 20));

  // another model under the same name: stale, rebuilt; the results follow the new model
  const other = await trainedModel('lrml');
  await saveModel(path, { ...other });
  const newer = await loadModel(path);
  const rebuilt = await openCandidateIndex(newer, path, { threads: 1 });
  assert.equal(rebuilt.built, true);
  assert.equal(rebuilt.reason, 'stale');
  assert.notEqual(JSON.parse(readFileSync(`${path}.index.json`, 'utf8')).fingerprint, side.fingerprint);
  const a = { ...newer, index: rebuilt.index };
  assert.deepEqual(recommend(a, 'u3', { k: 10, search: 'ann', candidateCount: 1000 }), recommend(newer, 'u3', { k: 10 }));
  assert.equal((await openCandidateIndex(newer, path, { threads: 1 })).built, false);
  assert.equal((await openCandidateIndex(newer, path, { threads: 1, connectivity: 8 })).reason, 'settings');
  assert.equal((await openCandidateIndex(newer, path, { threads: 1, connectivity: 8 })).built, false);
  assert.equal((await openCandidateIndex(newer, path, { threads: 1, connectivity: 8, rebuild: true })).reason, 'rebuild');
  // settings not given are the saved index's: the M 8 index is reused, and reported as such
  const kept = await openCandidateIndex(newer, path, { threads: 1 });
  assert.deepEqual([kept.built, kept.connectivity, kept.expansionAdd], [false, 8, DEFAULT_EXPANSION_ADD]);
  assert.equal((await openCandidateIndex(newer, path, { threads: 1, expansionAdd: 64 })).reason, 'settings');
  assert.deepEqual((({ built, connectivity, expansionAdd }) => [built, connectivity, expansionAdd])(await openCandidateIndex(newer, path, { threads: 1 })), [false, 8, 64]);
  // … also when the model changes: the rebuilt index keeps M 8, efConstruction 64
  await saveModel(path, await trainedModel('cml'));
  const re = await openCandidateIndex(await loadModel(path), path, { threads: 1 });
  assert.deepEqual([re.reason, re.connectivity, re.expansionAdd, re.metric, re.quantization], ['stale', 8, 64, 'lifted', 'i8']);
  const cmlM = await loadModel(path);
  const cmlItems = cmlM.model.vectors!().items;
  const same = (i: { index: LoadedModel['index'] }) => {
    // exact re-scoring with every item a candidate, and the index's own neighbours (the query
    // lifted or not as its metric needs: a wrong lift would not find them)
    assert.deepEqual(recommend({ ...cmlM, index: i.index }, 'u3', { k: 10, search: 'ann', candidateCount: 1000 }), recommend(cmlM, 'u3', { k: 10 }));
    assert.ok(indexRecall(i.index!, cmlItems, 16, 0.5, 2) >= 0.9, 'index neighbours');
  };
  same(re);
  const sideOf = () => JSON.parse(readFileSync(`${path}.index.json`, 'utf8')) as { metric?: string; quantization?: string; liftScale?: number; radius2?: number };
  assert.deepEqual([sideOf().metric, sideOf().quantization, sideOf().liftScale! > 0, sideOf().radius2! > 0], ['lifted', 'i8', true, true]);
  // each step asks for other settings (rebuilt: reason 'settings', written to the sidecar) and is
  // checked against exact scoring and for the index's own neighbours. Half precision keeps the
  // saved metric; a metric alone brings its default quantization (l2sq f32, lifted i8); i8 alone
  // over an l2sq index makes it lifted.
  const steps: [Parameters<typeof openCandidateIndex>[2], [string, string]][] = [
    [{ quantization: 'f16' }, ['lifted', 'f16']],
    [{ metric: 'l2sq' }, ['l2sq', 'f32']],
    [{ quantization: 'f16' }, ['l2sq', 'f16']],
    [{ quantization: 'i8' }, ['lifted', 'i8']],
    [{ metric: 'l2sq' }, ['l2sq', 'f32']],
    [{ metric: 'lifted' }, ['lifted', 'i8']],
    [{ quantization: 'f16' }, ['lifted', 'f16']],
  ];
  for (const [o, want] of steps) {
    const r = await openCandidateIndex(cmlM, path, { threads: 1, ...o });
    assert.deepEqual([r.reason, r.metric, r.quantization], ['settings', ...want], JSON.stringify(o));
    assert.deepEqual([sideOf().metric, sideOf().quantization], want);
    same(r);
  }
  // settings not given are the saved index's
  const halfAgain = await openCandidateIndex(cmlM, path, { threads: 1 });
  assert.deepEqual([halfAgain.built, halfAgain.metric, halfAgain.quantization], [false, 'lifted', 'f16']);
  same(halfAgain);
  await openCandidateIndex(cmlM, path, { threads: 1, quantization: 'i8' });
  // a lifted sidecar without its scale, or one pairing l2sq with i8, is not trusted: rebuilt
  const noScale = sideOf() as Record<string, unknown>;
  delete noScale.liftScale;
  writeFileSync(`${path}.index.json`, JSON.stringify(noScale));
  assert.equal((await openCandidateIndex(cmlM, path, { threads: 1 })).reason, 'settings');
  writeFileSync(`${path}.index.json`, JSON.stringify({ ...sideOf(), metric: 'l2sq' }));
  const bad = await openCandidateIndex(cmlM, path, { threads: 1 });
  assert.deepEqual([bad.reason, bad.metric, bad.quantization], ['settings', 'lifted', 'i8']);
  await openCandidateIndex(cmlM, path, { threads: 1, metric: 'l2sq' });
  // a sidecar written before the metric existed (no metric, no quantization): l2sq f32, reused
  const old = sideOf();
  delete old.metric;
  delete old.quantization;
  writeFileSync(`${path}.index.json`, JSON.stringify(old));
  const legacy = await openCandidateIndex(cmlM, path, { threads: 1 });
  assert.deepEqual([legacy.built, legacy.metric, legacy.quantization], [false, 'l2sq', 'f32']);
  same(legacy);
  await assert.rejects(openCandidateIndex(cmlM, path, { threads: 1, quantization: 'i4' as 'f16' }), code('BAD_OPTION', /quantization: "i4" is not one of f32, f16, i8/));
  await assert.rejects(openCandidateIndex(cmlM, path, { threads: 1, metric: 'cos' as 'l2sq' }), code('BAD_OPTION', /metric: "cos" is not one of l2sq, lifted/));
  await assert.rejects(openCandidateIndex(cmlM, path, { threads: 1, metric: 'l2sq', quantization: 'i8' }), code('BAD_OPTION', /quantization i8 needs the lifted metric/));
  await assert.rejects(buildCandidateIndex(cmlM, { threads: 1, metric: 'l2sq', quantization: 'i8' }), code('BAD_OPTION', /quantization i8 needs the lifted metric/));
});

test('search threads: searchAsync answers from worker threads as search does; recommendAsync = recommend; close falls back; bad values', async () => {
  const path = join(dir, 'threads.lrml');
  const m = await trainedModel('lrml');
  await saveModel(path, m);
  const loaded = await loadModel(path);
  const warnings: string[] = [];
  const opened = await openCandidateIndex(loaded, path, { threads: 1, searchThreads: 2, onWarning: (l) => warnings.push(l) });
  assert.equal(opened.searchThreads, 2);
  const index = opened.index;
  assert.ok(index.searchAsync !== undefined && index.close !== undefined);
  const a: LoadedModel = { ...loaded, index };
  const n = m.model.numItems;
  const queries = Array.from({ length: 12 }, (_, u) => {
    const q = new Float32Array(index.dim);
    loaded.model.candidateQuery!(u, loaded.seen!.row(u), q);
    return q;
  });
  // many at once: spread over both threads, each answer matched to its own query
  const together = await Promise.all(queries.map((q, t) => index.searchAsync!(q, 5 + t)));
  queries.forEach((q, t) => assert.deepEqual(together[t], index.search(q, 5 + t), `query ${t}`));
  for (let u = 0; u < 12; u++) {
    const user = m.users.id(u);
    for (const o of [{ k: 10, candidateCount: 15 }, { k: 5, exclude: ['i3', 'i4'], candidateCount: 30 }, { k: 10, candidateCount: n }, { k: 4, include: ['i1', 'i2', 'i9', 'i30'] }]) {
      assert.deepEqual(await recommendAsync(a, user, { ...o, search: 'ann' }), recommend(a, user, { ...o, search: 'ann' }), `user ${user} ${JSON.stringify(o)}`);
    }
  }
  assert.deepEqual(await recommendAsync(m, 'u1', { k: 6 }), recommend(m, 'u1', { k: 6 })); // exact path, no index
  await assert.rejects(recommendAsync(a, 'nobody'), code('UNKNOWN_USER'));
  await assert.rejects(recommendAsync(a, 'u1', { search: 'ann', candidateCount: 0 }), code('BAD_OPTION', /candidateCount/));
  // closed: the threads stop, searches run on the calling thread with the same answers
  await index.close!();
  assert.deepEqual(await index.searchAsync!(queries[3], 9), index.search(queries[3], 9));
  assert.deepEqual(warnings, []);
  // bad values; an index in memory has no file for threads to open
  for (const bad of [-1, 1.5, 65]) {
    await assert.rejects(openCandidateIndex(loaded, path, { threads: 1, searchThreads: bad }), code('BAD_OPTION', /searchThreads/));
  }
  await assert.rejects(buildCandidateIndex(m, { threads: 1, searchThreads: 1 }), code('BAD_OPTION', /searchThreads.*in memory/));
});

test('bad options: search, candidateCount, ann without an index or for a family without a candidate query; missing usearch', async () => {
  const m = await trainedModel('lrml');
  const a = { ...m, index: await buildCandidateIndex(m, { threads: 1 }) };
  assert.throws(() => recommend(a, 'u0', { search: 'fast' as 'ann' }), code('BAD_OPTION', /search.*exact, ann, auto/));
  assert.throws(() => recommend(a, 'u0', { search: 'ann', candidateCount: 0 }), code('BAD_OPTION', /candidateCount/));
  assert.throws(() => recommend(a, 'u0', { search: 'ann', candidateCount: 2.5 }), code('BAD_OPTION', /candidateCount/));
  assert.throws(() => recommend(m, 'u0', { search: 'ann' }), code('BAD_OPTION', /no candidate index/));
  assert.throws(() => recommendMany(m, ['u0'], { search: 'ann' }), code('BAD_OPTION', /no candidate index/));
  const pop = await trainedModel('pop');
  assert.throws(() => recommend({ ...pop, index: a.index }, 'u0', { search: 'ann' }), code('BAD_OPTION', /pop models have no candidate query/));
  await assert.rejects(buildCandidateIndex(pop), code('BAD_OPTION', /pop models are scored exactly/));
  await assert.rejects(buildCandidateIndex(m, { connectivity: 0 }), code('BAD_OPTION', /connectivity/));
  const ease = await trainedModel('ease');
  assert.throws(() => recommend({ ...ease, index: a.index }, 'u0', { search: 'ann' }), code('BAD_OPTION', /ease models/));
  // usearch absent: MISSING_DEPENDENCY naming the setting and the install command; auto stays exact
  await assert.rejects(requireIndexPackage('--candidates ann', missing), code('MISSING_DEPENDENCY', /--candidates ann needs the optional package usearch.*npm install usearch/));
  await assert.rejects(attachCandidateIndex({ ...m }, null, { search: 'ann', importer: missing }), code('MISSING_DEPENDENCY'));
  const plain = { ...m };
  assert.equal(await attachCandidateIndex(plain, null, { search: 'auto', importer: missing }), false);
  assert.equal(plain.index, undefined);
  assert.equal(await attachCandidateIndex(plain, null, { search: 'exact' }), false);
});

test('CLI: malformed --candidates / --candidate-count exit 2 and write nothing; ann output equals exact; the index is saved and reused', async () => {
  const path = join(dir, 'cli.lrml');
  await saveModel(path, await trainedModel('lrml'));
  const before = readdirSync(dir).sort();
  for (const [args, re] of [
    [['--candidates', 'fast'], /--candidates: "fast" is not one of exact, ann, auto/],
    [['--candidates', 'ann', '--candidate-count', '0'], /--candidate-count: "0" is below 1/],
    [['--candidate-count', 'many'], /--candidate-count: "many" is not an integer/],
    [['--candidates', 'exact', '--candidate-count', '50'], /--candidate-count applies to --candidates ann or auto/],
    [['--candidates', 'exact', '--rebuild-index'], /--rebuild-index applies/],
    // the CLI's default is exact: the index flags alone ask for what the default does not do
    [['--candidate-count', '50'], /--candidate-count needs --candidates ann or auto \(the default is exact\)/],
    [['--rebuild-index'], /--rebuild-index needs --candidates ann or auto/],
    [['--index-connectivity', '32'], /--index-connectivity needs --candidates ann or auto/],
    [['--candidates', 'exact', '--index-expansion', '200'], /--index-expansion applies to --candidates ann or auto, not exact/],
    [['--candidates', 'ann', '--index-connectivity', '1'], /--index-connectivity: "1" is below 2/],
    [['--candidates', 'ann', '--index-connectivity', '1000'], /--index-connectivity: "1000" is above 256/],
    [['--candidates', 'ann', '--index-connectivity', 'dense'], /--index-connectivity: "dense" is not an integer/],
    [['--candidates', 'ann', '--index-expansion', '4'], /--index-expansion: "4" is below 8/],
    [['--candidates', 'ann', '--index-quantization', 'i4'], /--index-quantization: "i4" is not one of f32, f16, i8/],
    [['--index-quantization', 'f16'], /--index-quantization needs --candidates ann or auto/],
    [['--candidates', 'ann', '--index-metric', 'cos'], /--index-metric: "cos" is not one of l2sq, lifted/],
    [['--candidates', 'exact', '--index-metric', 'l2sq'], /--index-metric applies to --candidates ann or auto, not exact/],
    [['--candidates', 'ann', '--index-metric', 'l2sq', '--index-quantization', 'i8'], /--index-quantization i8 needs --index-metric lifted/],
  ] as [string[], RegExp][]) {
    const r = await runCli('recommend', '--model', path, '--user', 'u1', ...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, re);
    const s = await runCli('serve', '--model', path, '--port', '0', ...args);
    assert.equal(s.code, 2, `serve ${args.join(' ')}`);
  }
  // serve's own flag: search threads
  for (const [args, re] of [
    [['--search-threads', '2'], /--search-threads needs --candidates ann or auto \(the default is exact\)/],
    [['--candidates', 'ann', '--search-threads', '-1'], /--search-threads: "-1" is below 0/],
    [['--candidates', 'ann', '--search-threads', '100'], /--search-threads: "100" is above 64/],
    [['--candidates', 'ann', '--search-threads', 'all'], /--search-threads: "all" is not an integer/],
  ] as [string[], RegExp][]) {
    const s = await runCli('serve', '--model', path, '--port', '0', ...args);
    assert.equal(s.code, 2, `serve ${args.join(' ')}`);
    assert.match(s.stderr, re);
  }
  const fold = await runCli('recommend', '--model', path, '--items', 'i1,i2', '--candidates', 'ann');
  assert.equal(fold.code, 2);
  assert.match(fold.stderr, /--items recommendations are scored exactly/);
  const pick = await runCli('recommend', '--model', path, '--user', 'u1', '--candidates', 'ann', '--include', 'nope');
  assert.equal(pick.code, 2, 'unknown include id fails before an index is built');
  assert.deepEqual(readdirSync(dir).sort(), before, 'nothing written');

  const exact = await runCli('recommend', '--model', path, '--user', 'u1', '--json');
  const ann = await runCli('recommend', '--model', path, '--user', 'u1', '--json', '--candidates', 'ann', '--candidate-count', '1000');
  assert.equal(ann.code, 0, ann.stderr);
  assert.equal(ann.stdout, exact.stdout);
  assert.match(ann.stderr, /candidate index .*cli\.lrml\.index: built \(missing\)/);
  const again = await runCli('recommend', '--model', path, '--user', 'u1', '--json', '--candidates', 'ann', '--candidate-count', '1000');
  assert.match(again.stderr, /loaded/);
  assert.equal(again.stdout, exact.stdout);
  // other build settings rebuild the index (and are written to its sidecar); the same ones reuse it
  const denser = await runCli('recommend', '--model', path, '--user', 'u1', '--json', '--candidates', 'ann', '--candidate-count', '1000', '--index-connectivity', '8', '--index-expansion', '64');
  assert.equal(denser.code, 0, denser.stderr);
  assert.match(denser.stderr, /built \(settings\)/);
  assert.equal(denser.stdout, exact.stdout);
  const side = JSON.parse(readFileSync(`${path}.index.json`, 'utf8')) as { connectivity: number; expansionAdd: number };
  assert.deepEqual([side.connectivity, side.expansionAdd], [8, 64]);
  const reused = await runCli('recommend', '--model', path, '--user', 'u1', '--json', '--candidates', 'ann', '--candidate-count', '1000', '--index-connectivity', '8', '--index-expansion', '64');
  assert.match(reused.stderr, /loaded/);
  const out = join(dir, 'all.jsonl');
  const all = await runCli('recommend', '--model', path, '--all', '--out', out, '--quiet', '--candidates', 'ann', '--candidate-count', '1000');
  assert.equal(all.code, 0, all.stderr);
  const exactAll = join(dir, 'all-exact.jsonl');
  await runCli('recommend', '--model', path, '--all', '--out', exactAll, '--quiet');
  assert.equal(readFileSync(out, 'utf8'), readFileSync(exactAll, 'utf8'));
});

test('serve: GET /recommend takes index candidates (search ann), /model says so; a reload of another model rebuilds the index', async () => {
  const path = join(dir, 'serve.lrml');
  const cml = await trainedModel('cml');
  await saveModel(path, cml);
  const lines: string[] = [];
  const srv = await startServer({ modelPath: path, port: 0, candidates: { search: 'ann', candidateCount: 1000 }, log: (l) => lines.push(l) });
  try {
    const get = async (q: string): Promise<unknown> => (await fetch(`${srv.url}${q}`)).json();
    assert.deepEqual(await get('/recommend?user=u2&k=7'), recommend(cml, 'u2', { k: 7 }));
    const info = (await get('/model')) as { candidates: { search: string; candidateCount: number } };
    assert.deepEqual(info.candidates, { search: 'ann', candidateCount: 1000 });
    // searches run on the main thread unless asked for threads
    assert.ok(lines.some((l) => /candidate index .*built \(missing\) in [\d.]+ s$/.test(l)), lines.join('\n'));
    const lrml = await trainedModel('lrml');
    await saveModel(path, lrml);
    await srv.reload();
    assert.ok(lines.some((l) => /built \(stale\)/.test(l)), lines.join('\n'));
    assert.deepEqual(await get('/recommend?user=u2&k=7'), recommend(lrml, 'u2', { k: 7 }));
  } finally {
    await srv.close();
  }
  await assert.rejects(startServer({ model: await trainedModel('pop'), port: 0, candidates: { search: 'ann' } }), code('BAD_OPTION', /pop models/));
  await assert.rejects(startServer({ model: cml, port: 0, candidates: { search: 'ann', candidateCount: -1 } }), code('BAD_OPTION', /candidateCount/));
  await assert.rejects(startServer({ model: cml, port: 0, candidates: { search: 'ann', connectivity: 0 } }), code('BAD_OPTION', /connectivity/));
  // the build settings reach the saved index (its sidecar), and the next start with them reuses it
  const srv2 = await startServer({ modelPath: path, port: 0, candidates: { search: 'ann', connectivity: 8, expansionAdd: 64, searchThreads: 1 }, log: (l) => lines.push(l) });
  await srv2.close();
  assert.ok(lines.some((l) => /built \(settings\) in [\d.]+ s, searched on 1 worker thread$/.test(l)), lines.join('\n'));
  const side = JSON.parse(readFileSync(`${path}.index.json`, 'utf8')) as { connectivity: number; expansionAdd: number };
  assert.deepEqual([side.connectivity, side.expansionAdd], [8, 64]);
  assert.ok(lines.some((l) => /built \(settings\)/.test(l)), lines.join('\n'));
});
