// Scoring and full-ranking benchmark: `node dist/bench/score.js [--reps 3] [--users 6040] [--threads 1,2]`.
// Random LRML parameters at the ML-1M shape (6,040 users × 3,706 items, d = 100, N = 20, l2, clip lookup):
// 1. raw scoring of every (user, item) pair: WASM expanded / WASM direct / TS (Float64), one thread;
// 2. accuracy of the float32 WASM formulas against the Float64 TS scorer (max |Δscore|, pessimistic
//    ranks of a random positive that change);
// 3. full-ranking evaluation (`evaluateParallel`, protocol full) with 1 and 2 threads, on the real
//    ML-1M train/test files when ../shared/data/ml-1m is present (training items excluded), else on
//    random interactions of the same shape. Medians of --reps runs.

import { existsSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Csr } from '../src/data/csr.js';
import { loadInteractions, toCsr } from '../src/data/load.js';
import { evaluateParallel } from '../src/io/eval-parallel.js';
import { createTripletScorer, type ScorerOptions } from '../src/kernels/scorer.js';
import type { TripletParams } from '../src/kernels/types.js';
import { Rng } from '../src/rng.js';
import { lrmlFamily } from '../src/train/triplet.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const reps = Number(arg('reps', '3'));
const threadList = arg('threads', '1,2').split(',').map(Number);
const dim = 100;
const numMemories = 20;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function randomParams(numUsers: number, numItems: number, seed: number): TripletParams {
  const rng = new Rng(seed);
  const f = (len: number, s: number): Float32Array => Float32Array.from({ length: len }, () => rng.normal() * s);
  return { P: f(numUsers * dim, 0.1), Q: f(numItems * dim, 0.1), K: f(numMemories * dim, 1), M: f(numMemories * dim, 0.1) };
}

async function loadData(): Promise<{ train: Csr; test: Csr; source: string }> {
  const dir = join(process.cwd(), '..', 'shared', 'data', 'ml-1m');
  if (existsSync(join(dir, 'ml-1m.train.pairs.gz'))) {
    const tr = await loadInteractions(join(dir, 'ml-1m.train.pairs.gz'));
    const te = await loadInteractions(join(dir, 'ml-1m.test.rating'), { users: tr.users, items: tr.items, frozen: true });
    return { train: toCsr(tr), test: toCsr(te), source: 'ML-1M NCF train/test files' };
  }
  const numUsers = 6040;
  const numItems = 3706;
  const rng = new Rng(1);
  const rows: number[] = [];
  const cols: number[] = [];
  const trows: number[] = [];
  const tcols: number[] = [];
  for (let u = 0; u < numUsers; u++) {
    const n = 20 + rng.int(300);
    for (let t = 0; t < n; t++) {
      rows.push(u);
      cols.push(rng.int(numItems));
    }
    trows.push(u);
    tcols.push(rng.int(numItems));
  }
  const train = Csr.fromPairs(numUsers, numItems, Int32Array.from(rows), Int32Array.from(cols));
  const test = Csr.fromPairs(numUsers, numItems, Int32Array.from(trows), Int32Array.from(tcols));
  return { train, test, source: 'random interactions (ML-1M shape; ../shared/data absent)' };
}

async function main(): Promise<void> {
  const numUsers = 6040;
  const numItems = 3706;
  const users = Math.min(numUsers, Number(arg('users', String(numUsers))));
  console.log(`# bench/score — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus()[0]?.model ?? '?'} × ${availableParallelism()}, load average ${loadavg()[0].toFixed(2)}`);
  console.log(`shape: ${numUsers} users × ${numItems} items, dim ${dim}, ${numMemories} memories, l2, clip lookup; medians of ${reps} runs\n`);
  const params = randomParams(numUsers, numItems, 7);
  const config = { numUsers, numItems, dim, numMemories, distance: 'l2' as const, clip: 'lookup' as const };
  const out = new Float32Array(numItems);

  console.log('## 1. raw scoring, one thread (all items for each user)');
  const variants: [string, ScorerOptions, number][] = [
    ['wasm expanded', { backend: 'wasm', formula: 'expanded' }, users],
    ['wasm direct', { backend: 'wasm', formula: 'direct' }, users],
    ['ts (Float64 direct)', { backend: 'ts' }, Math.min(users, 200)],
  ];
  const perUser = new Map<string, number>();
  for (const [name, opts, n] of variants) {
    const s = createTripletScorer(params, config, opts);
    const times: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < reps; r++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let u = 0; u < n; u++) s.scoreAll(u, out);
      times.push((performance.now() - t0) / 1000);
      cpu.push(process.cpuUsage(c0).user / 1e6);
    }
    const t = median(times);
    perUser.set(name, median(cpu) / n);
    console.log(`${name.padEnd(22)} ${n} users: ${t.toFixed(3)} s wall, ${median(cpu).toFixed(3)} s CPU → all ${numUsers} users ≈ ${((t / n) * numUsers).toFixed(2)} s wall, ${((median(cpu) / n) * numUsers).toFixed(2)} s CPU (${((n * numItems) / t / 1e6).toFixed(2)} M pairs/s)`);
  }

  console.log('\n## 2. accuracy of the float32 WASM formulas vs the Float64 TS scorer (300 users, a random positive each)');
  const ref = createTripletScorer(params, config, { backend: 'ts' });
  const exp = createTripletScorer(params, config, { backend: 'wasm', formula: 'expanded' });
  const dir = createTripletScorer(params, config, { backend: 'wasm', formula: 'direct' });
  const a = new Float32Array(numItems);
  const b = new Float32Array(numItems);
  const rng = new Rng(3);
  const stats = { expanded: { maxErr: 0, rankDiff: 0, rankAbs: 0 }, direct: { maxErr: 0, rankDiff: 0, rankAbs: 0 } };
  const rank = (s: Float32Array, pos: number): number => {
    let n = 0;
    for (let i = 0; i < numItems; i++) if (i !== pos && s[i] >= s[pos]) n++;
    return n + 1;
  };
  for (let t = 0; t < 300; t++) {
    const u = rng.int(numUsers);
    const pos = rng.int(numItems);
    ref.scoreAll(u, a);
    const rr = rank(a, pos);
    for (const [name, s] of [['expanded', exp], ['direct', dir]] as const) {
      s.scoreAll(u, b);
      for (let i = 0; i < numItems; i++) stats[name].maxErr = Math.max(stats[name].maxErr, Math.abs(a[i] - b[i]));
      const r = rank(b, pos);
      if (r !== rr) stats[name].rankDiff++;
      stats[name].rankAbs = Math.max(stats[name].rankAbs, Math.abs(r - rr));
    }
  }
  for (const [name, s] of Object.entries(stats)) {
    console.log(`${name.padEnd(9)} max |Δscore| ${s.maxErr.toExponential(2)}; positive's rank differs for ${s.rankDiff}/300 users (max |Δrank| ${s.rankAbs})`);
  }

  console.log('\n## 3. full-ranking evaluation (protocol full, k = 10, no bootstrap), default scorer (wasm expanded)');
  const data = await loadData();
  const U = data.train.numRows;
  const I = data.train.numCols;
  const p2 = randomParams(U, I, 11);
  const model = lrmlFamily.fromTensors(
    { numUsers: U, numItems: I, dim, numMemories, distance: 'l2', clip: 'lookup' },
    { P: { shape: [U, dim], data: p2.P }, Q: { shape: [I, dim], data: p2.Q }, K: { shape: [numMemories, dim], data: p2.K }, M: { shape: [numMemories, dim], data: p2.M } },
  );
  console.log(`data: ${data.source}: ${U} users × ${I} items, ${data.train.nnz} training pairs excluded, ${data.test.nnz} test positives`);
  const results: Record<string, number> = {};
  for (const threads of threadList) {
    const times: number[] = [];
    const cpu: number[] = [];
    let hits = 0;
    for (let r = 0; r < reps; r++) {
      const c0 = process.cpuUsage();
      const res = await evaluateParallel(model, data.train, data.test, { kind: 'full' }, { threads, bootstrap: 0 });
      cpu.push(process.cpuUsage(c0).user / 1e6);
      times.push(res.seconds);
      hits = res.metrics['hits@10'];
    }
    results[threads] = median(times);
    console.log(`${threads} thread${threads > 1 ? 's' : ' '}: ${median(times).toFixed(2)} s wall (runs: ${times.map((x) => x.toFixed(2)).join(', ')}), ${median(cpu).toFixed(2)} s CPU over all threads; hits@10 of random params ${hits.toFixed(4)}`);
  }
  if (results[1] !== undefined && results[2] !== undefined) console.log(`speed-up 2 threads / 1 thread: ${(results[1] / results[2]).toFixed(2)}×`);
  const e = perUser.get('wasm expanded');
  const d = perUser.get('wasm direct');
  if (e !== undefined && d !== undefined) console.log(`wasm direct / expanded CPU time per user: ${(d / e).toFixed(2)}×`);
  console.log(`load average at the end: ${loadavg()[0].toFixed(2)}`);
}

await main();
