// Benchmark: training kernels side by side in ONE process on the same batches (issue #18).
//
//   npm run bench:kernel-ab -- --data ratings.tsv [--recipe default|hinge] [--chunks 12] [--batches 30]
//       [--sharing 1] [--candidate label=DIST[:PATH]] ...
//
// Every candidate is the WASM training kernel of a build (DIST: its dist/ directory, `.` for this
// build; another build's dist, e.g. a worktree of an older commit, for a before/after) with a
// kernelPath (auto, deferred, blocked, pairs; default: the build's own default). Each gets its own
// training memory with the same seeded parameters and trains the same batches (one seeded shuffle
// of the data, uniform negatives, shared by each `--sharing` consecutive positives as
// `negativeSharing` shares them): the run is cut into `--chunks` chunks of `--batches` batches of
// 1,024 positives, and in every chunk each candidate trains that chunk in turn (the order rotated
// from chunk to chunk). The speed ratio of two candidates is taken chunk by chunk, so that the
// drift of a shared, noisy machine (this project's VM: ±30% from one minute to the next) cancels
// out; medians and ranges are printed. Every page of each training memory is touched before the
// timing: a short run would otherwise measure the first-touch faults of tables that a long epoch
// pays once (on this VM they cost more than the arithmetic at 480k users).
//
// The default recipe: sampled softmax τ 0.25 over 20 negatives, Adam 2e-3; the hinge: 1 negative,
// Adam 3e-3 (the `--preset hinge` recipe); both d 100, N 20, l2sq, rows + memory clip, one thread.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadInteractions } from '../src/data/load.js';
import { Rng } from '../src/rng.js';
import type { TripletKernelConfig, TripletParams } from '../src/kernels/types.js';
import { readFlags } from './flags.js';

const BATCH = 1024;
const USAGE = '--data FILE [--recipe default|hinge] [--chunks N] [--batches N] [--sharing G] [--seed N] --candidate label=DIST[:auto|deferred|blocked|pairs] ...';

interface Candidate {
  label: string;
  dist: string;
  path: TripletKernelConfig['kernelPath'] | undefined;
}

/** The parts of a build's src/train/backends/wasm.js this bench drives (stable since issue #18). */
interface WasmBackendModule {
  WasmTrainMemory: {
    create(cfg: TripletKernelConfig, params: TripletParams, workers: number): {
      module: WebAssembly.Module; memory: WebAssembly.Memory; layout: unknown;
      stageEpoch(users: Int32Array, pos: Int32Array, neg: Int32Array, count: number): { users: number; pos: number; neg: number };
    };
  };
  instantiateTrainer(module: WebAssembly.Module, memory: WebAssembly.Memory, cfg: TripletKernelConfig, layout: unknown, w: number): { step(users: number, pos: number, negs: number, count: number): number };
}

function parseCandidate(text: string): Candidate {
  const m = /^([^=]+)=([^:]+)(?::(auto|deferred|blocked|pairs))?$/.exec(text);
  if (m === null) throw new Error(`--candidate ${text}: expected label=DIST[:auto|deferred|blocked|pairs]`);
  return { label: m[1], dist: m[2], path: m[3] as Candidate['path'] };
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 === 1 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  const a = { data: '', recipe: 'default', chunks: 12, batches: 30, sharing: 1, seed: 1, candidates: [] as Candidate[] };
  readFlags(process.argv.slice(2), {
    '--data': (v) => (a.data = v()),
    '--recipe': (v) => (a.recipe = v()),
    '--chunks': (v) => (a.chunks = Number(v())),
    '--batches': (v) => (a.batches = Number(v())),
    '--sharing': (v) => (a.sharing = Number(v())),
    '--seed': (v) => (a.seed = Number(v())),
    '--candidate': (v) => a.candidates.push(parseCandidate(v())),
  }, USAGE);
  if (a.data === '' || a.candidates.length === 0) throw new Error(`usage: ${USAGE}`);
  if (a.recipe !== 'default' && a.recipe !== 'hinge') throw new Error(`--recipe ${a.recipe}: expected default or hinge`);
  for (const [name, v] of [['--chunks', a.chunks], ['--batches', a.batches], ['--sharing', a.sharing]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} ${v}: expected a positive integer`);
  }
  const data = await loadInteractions(a.data);
  const numUsers = data.users.size;
  const numItems = data.items.size;
  const n = data.user.length;
  const total = a.chunks * a.batches * BATCH;
  if (total > n) throw new Error(`${a.chunks} chunks × ${a.batches} batches × ${BATCH} = ${total} positives, more than the ${n} interactions of ${a.data}`);
  const hinge = a.recipe === 'hinge';
  const k = hinge ? 1 : 20;
  const rng = new Rng(a.seed);
  const order = rng.shuffle(Int32Array.from({ length: n }, (_, j) => j)).subarray(0, total);
  const users = Int32Array.from(order, (o) => data.user[o]);
  const pos = Int32Array.from(order, (o) => data.item[o]);
  const neg = new Int32Array(total * k);
  for (let g = 0; g < total; g += a.sharing) {
    for (let s = 0; s < k; s++) {
      const j = rng.int(numItems);
      for (let t = g; t < Math.min(total, g + a.sharing); t++) neg[t * k + s] = j;
    }
  }
  const base: TripletKernelConfig = {
    numUsers, numItems, dim: 100, numMemories: 20, negativeRelation: 'own', distance: 'l2sq', clip: 'rows', clipMemory: true,
    margin: 0.5, l2: 0, negatives: k, negativeMode: 'sum', optimizer: 'adam', learningRate: hinge ? 3e-3 : 2e-3,
    beta1: 0.9, beta2: 0.999, epsilon: 1e-8, ...(hinge ? {} : { loss: 'softmax' as const, temperature: 0.25 }),
  };
  const init = (rows: number, seed: number): Float32Array => {
    const r = new Rng(seed);
    const out = Float32Array.from({ length: rows * 100 }, () => r.normal() * 0.1);
    for (let row = 0; row < rows; row++) {
      let s = 0;
      for (let c = 0; c < 100; c++) s += out[row * 100 + c] ** 2;
      if (s > 1) for (let c = 0; c < 100; c++) out[row * 100 + c] /= Math.sqrt(s);
    }
    return out;
  };
  const runs = [];
  for (const c of a.candidates) {
    const m = (await import(pathToFileURL(resolve(c.dist, 'src/train/backends/wasm.js')).href)) as WasmBackendModule;
    const cfg: TripletKernelConfig = { ...base, ...(c.path === undefined ? {} : { kernelPath: c.path }) };
    const params: TripletParams = { P: init(numUsers, a.seed + 1), Q: init(numItems, a.seed + 2), K: init(20, a.seed + 3), M: init(20, a.seed + 4) };
    const mem = m.WasmTrainMemory.create(cfg, params, 1);
    const ex = m.instantiateTrainer(mem.module, mem.memory, cfg, mem.layout, 0);
    const at = mem.stageEpoch(users, pos, neg, total);
    const bytes = new Uint8Array(mem.memory.buffer);
    for (let b = 0; b < bytes.length; b += 4096) bytes[b] = bytes[b]; // every page faulted in
    runs.push({ c, ex, at, ms: [] as number[], loss: 0 });
  }
  process.stdout.write(`${a.data}: ${numUsers} users × ${numItems} items, ${n} interactions; ${a.recipe} recipe${a.sharing > 1 ? `, negatives shared by ${a.sharing}` : ''}, ${a.chunks} chunks × ${a.batches} batches of ${BATCH}, one thread\n`);
  for (let ch = 0; ch < a.chunks; ch++) {
    for (let j = 0; j < runs.length; j++) {
      const r = runs[(j + ch) % runs.length];
      const t0 = performance.now();
      for (let b = 0; b < a.batches; b++) {
        const off = (ch * a.batches + b) * BATCH;
        r.loss += r.ex.step(r.at.users + 4 * off, r.at.pos + 4 * off, r.at.neg + 4 * k * off, BATCH);
      }
      r.ms.push(performance.now() - t0);
    }
  }
  const ref = runs[0];
  for (const r of runs) {
    const ratios = r.ms.map((t, j) => ref.ms[j] / t);
    const seconds = r.ms.reduce((x, y) => x + y, 0) / 1000;
    process.stdout.write(`${r.c.label.padEnd(16)} ${String(Math.round(total / seconds)).padStart(9)} positives/s  ` +
      `speed against ${ref.c.label}, chunk by chunk: median ${median(ratios).toFixed(3)} [${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}]  mean loss ${(r.loss / total).toFixed(5)}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
