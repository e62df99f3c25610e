// Benchmark: training throughput (triplets per second) and peak RSS of the LRML / CML training
// kernels on MovieLens 1M (../shared/data/ml-1m/ml-1m.train.pairs.gz, 994,169 positives).
//
//   npm run bench:train        (= node dist/bench/train.js)
//   node dist/bench/train.js [--rounds 5] [--batches 200] [--distance l2sq|l2] [--ts] [--losses] [--temperature 0.2] [--only lrml-wasm-x1,cml-wasm-x2]
//   node dist/bench/train.js --kernels [--rounds 3] [--batches 100]   (issue #18 item 2: the default recipe, blocked / deferred / pairs paths)
//
// Candidates: LRML (d=100, N=20, batch 1024, own relation, rows clip, Adam lr 1e-3, margin 0.5)
// and CML (same without memory, l2sq), each with the WASM kernel on 1 and 2 threads (`--ts`
// adds the TypeScript kernel on 1 thread). `--losses` adds the losses of docs/lrml-losses.md on
// LRML, WASM, 1 thread, with k = 1 and k = 10 negatives per positive: lrml-<loss>-k<k>-wasm-x1 with
// loss hinge (the same kernel as lrml-wasm-x1, as the reference at k = 10), softplus, softmax
// (τ = --temperature, default 0.2) and rankw (hinge with rank weighting). A candidate name is
// <kind>[-<loss>-k<negatives>]-<backend>-x<threads>; backends `pairs`, `blocked` and `deferred`
// are the WASM kernel with that kernelPath (`pairs`: the sides two at a time, as before the
// blocked path; `wasm` is the WASM kernel with its default path). `--kernels` measures
// the default recipe (softmax τ = 0.25 over 20 negatives, own relation, l2sq, rows + memory clip,
// Adam 2e-3): lrml-softmax-k20-{blocked,deferred,pairs}-x{1,2}. `--default-recipe` applies that recipe's
// τ, learning rate and memory clip to every LRML candidate. Throughput is given per positive (examples,
// each with its k negatives) and per triplet (u, i, j): examples × k. Every candidate starts from the same state: the
// parameters after one warm-up epoch of WASM training from the seeded init. (The kernels skip
// the backward pass of hinge-inactive triplets, and far fewer are active after an epoch than at
// init, so timing from a fresh init would favour whichever candidate has trained least.)
// Each run is a fresh child process (so peak RSS is per run): load data, create the kernel from
// the saved state, 20 warm-up batches, then `--batches` timed batches of a fresh shuffle with
// uniform negatives. Rounds interleave the candidates (order rotated every round); the summary
// gives medians, per-round x2/x1 ratios, and how busy the machine was (load average, and the
// cores used by other processes during each run, from /proc/stat).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Rng } from '../src/rng.js';
import type { Distance, TripletKernelConfig, TripletLoss, TripletParams } from '../src/kernels/types.js';
import { createTripletKernel } from '../src/train/backends/index.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Project root from sources (bench/) or from dist (dist/bench/). */
const root = existsSync(resolve(here, '../package.json')) ? resolve(here, '..') : resolve(here, '../..');
const DATA = resolve(root, '../shared/data/ml-1m/ml-1m.train.pairs.gz');
const BATCH = 1024;
const WARM_BATCHES = 20;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

interface Pairs {
  users: Int32Array;
  items: Int32Array;
  numUsers: number;
  numItems: number;
}

/** The `user\titem` pairs of the gzip file (a tiny gunzip + byte-parsing loop, straight into Int32Arrays). */
function loadPairs(file: string): Pairs {
  const bytes = gunzipSync(readFileSync(file));
  let lines = 0;
  for (let k = 0; k < bytes.length; k++) if (bytes[k] === 10) lines++;
  if (bytes.length > 0 && bytes[bytes.length - 1] !== 10) lines++;
  const users = new Int32Array(lines);
  const items = new Int32Array(lines);
  let n = 0;
  let field = 0;
  let value = 0;
  let digits = 0;
  let numUsers = 0;
  let numItems = 0;
  for (let k = 0; k <= bytes.length; k++) {
    const b = k < bytes.length ? bytes[k] : 10;
    if (b >= 48 && b <= 57) {
      value = value * 10 + (b - 48);
      digits++;
    } else if (b === 9 && field === 0) {
      users[n] = value;
      field = 1;
      value = 0;
      digits = 0;
    } else if (b === 10) {
      if (field === 1 && digits > 0) {
        items[n] = value;
        if (users[n] >= numUsers) numUsers = users[n] + 1;
        if (value >= numItems) numItems = value + 1;
        n++;
      }
      field = 0;
      value = 0;
      digits = 0;
    } else if (b !== 13) {
      throw new Error(`${file}: unexpected byte ${b} at offset ${k}`);
    }
  }
  return { users: users.subarray(0, n), items: items.subarray(0, n), numUsers, numItems };
}

type Kind = 'lrml' | 'cml';

/** The loss part of a candidate: `rankw` is the hinge with rank weighting. */
type LossName = TripletLoss | 'rankw';

/** `wasm`: the WASM kernel with its default path; `pairs`, `blocked`, `deferred`: with that kernelPath. */
type Backend = 'wasm' | 'ts' | 'pairs' | 'blocked' | 'deferred';
const BACKENDS: readonly string[] = ['wasm', 'ts', 'pairs', 'blocked', 'deferred'];

/** A candidate parsed from its name, <kind>[-<loss>-k<negatives>]-<backend>-x<threads>. */
interface Candidate {
  name: string;
  kind: Kind;
  loss: LossName;
  negatives: number;
  backend: Backend;
  threads: number;
}

function parseCandidate(name: string): Candidate {
  const parts = name.split('-');
  const bad = (): never => {
    throw new Error(`bad candidate "${name}": expected <lrml|cml>[-<hinge|softplus|softmax|rankw>-k<n>]-<wasm|pairs|blocked|deferred|ts>-x<threads>`);
  };
  if (parts.length !== 3 && parts.length !== 5) bad();
  const [kind, ...rest] = parts;
  const [loss, k] = parts.length === 5 ? [rest[0], rest[1]] : ['hinge', 'k1'];
  const [backend, x] = rest.slice(-2);
  if ((kind !== 'lrml' && kind !== 'cml') || !['hinge', 'softplus', 'softmax', 'rankw'].includes(loss) || !/^k\d+$/.test(k) || !BACKENDS.includes(backend) || !/^x\d+$/.test(x)) bad();
  return { name, kind: kind as Kind, loss: loss as LossName, negatives: Number(k.slice(1)), backend: backend as Backend, threads: Number(x.slice(1)) };
}

function kernelConfig(kind: Kind, data: Pairs, distance: Distance, c?: Candidate, temperature = 0.2, recipe = false): TripletKernelConfig {
  const loss = c?.loss ?? 'hinge';
  const lrml = kind === 'lrml';
  return {
    numUsers: data.numUsers, numItems: data.numItems, dim: 100, numMemories: lrml ? 20 : 0,
    negativeRelation: 'own', distance: lrml ? distance : 'l2sq', clip: 'rows', clipMemory: recipe && lrml,
    margin: 0.5, l2: 0, negatives: c?.negatives ?? 1, negativeMode: 'sum', optimizer: 'adam', learningRate: recipe && lrml ? 2e-3 : 1e-3,
    beta1: 0.9, beta2: 0.999, epsilon: 1e-8,
    ...(loss === 'hinge' ? {} : loss === 'rankw' ? { loss: 'hinge', rankWeighting: true } : { loss, temperature }),
    ...(c?.backend === 'pairs' || c?.backend === 'blocked' || c?.backend === 'deferred' ? { kernelPath: c.backend } : {}),
  };
}

/** One epoch's examples: a seeded shuffle of the positives, `k` uniform random negatives each. */
function epochArrays(data: Pairs, seed: number, k = 1): { users: Int32Array; pos: Int32Array; neg: Int32Array } {
  const rng = new Rng(seed);
  const n = data.users.length;
  const order = rng.shuffle(Int32Array.from({ length: n }, (_, j) => j));
  return {
    users: Int32Array.from(order, (o) => data.users[o]),
    pos: Int32Array.from(order, (o) => data.items[o]),
    neg: Int32Array.from({ length: n * k }, () => rng.int(data.numItems)),
  };
}

function initParams(cfg: TripletKernelConfig, seed: number): TripletParams {
  const rng = new Rng(seed);
  const d = cfg.dim;
  const f = (rows: number, clip: boolean): Float32Array => {
    const a = Float32Array.from({ length: rows * d }, () => rng.normal() * 0.1);
    if (clip) {
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += a[r * d + c] ** 2;
        if (s > 1) for (let c = 0; c < d; c++) a[r * d + c] /= Math.sqrt(s);
      }
    }
    return a;
  };
  return { P: f(cfg.numUsers, true), Q: f(cfg.numItems, true), K: f(cfg.numMemories, false), M: f(cfg.numMemories, false) };
}

function saveParams(file: string, p: TripletParams): void {
  const all = new Float32Array(p.P.length + p.Q.length + p.K.length + p.M.length);
  let o = 0;
  for (const a of [p.P, p.Q, p.K, p.M]) {
    all.set(a, o);
    o += a.length;
  }
  writeFileSync(file, new Uint8Array(all.buffer));
}

function loadParams(file: string, cfg: TripletKernelConfig): TripletParams {
  const buf = readFileSync(file);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const d = cfg.dim;
  let o = 0;
  const take = (rows: number): Float32Array => all.slice(o, (o += rows * d));
  const p = { P: take(cfg.numUsers), Q: take(cfg.numItems), K: take(cfg.numMemories), M: take(cfg.numMemories) };
  if (o !== all.length) throw new Error(`${file}: unexpected size`);
  return p;
}

/** Busy and total jiffies of all cores (Linux), for the load other processes put on the machine. */
function procStat(): { busy: number; total: number } | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    const idle = f[3] + (f[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

interface RunResult {
  candidate: string;
  round: number;
  /** Negatives per positive. */
  negatives: number;
  /** Positives (examples) per second. */
  examplesPerSec: number;
  /** Triplets (u, i, j) per second: examples × negatives. */
  tripletsPerSec: number;
  tripletsPerCpuSec: number;
  seconds: number;
  meanLoss: number;
  peakRssMiB: number;
  /** Cores kept busy by other processes during the timed window (null off Linux). */
  otherCores: number | null;
  loadavg1: number;
}

// ---- child: warm-up state ----
async function warmChild(kind: Kind, distance: Distance, out: string): Promise<void> {
  const data = loadPairs(DATA);
  const cfg = kernelConfig(kind, data, distance);
  const params = initParams(cfg, 7);
  const ep = epochArrays(data, 1);
  const kernel = await createTripletKernel(cfg, params, { backend: 'wasm', threads: 1 });
  const t0 = performance.now();
  const loss = await kernel.runEpoch(ep.users, ep.pos, ep.neg, ep.users.length, BATCH);
  const s = (performance.now() - t0) / 1000;
  kernel.read(params);
  await kernel.dispose();
  saveParams(out, params);
  process.stdout.write(`${JSON.stringify({ kind, warmEpochSeconds: s, meanLoss: loss / ep.users.length })}\n`);
}

// ---- child: one timed run ----
async function runChild(candidate: string, state: string, batches: number, round: number, distance: Distance, temperature: number, recipe: boolean): Promise<void> {
  const c = parseCandidate(candidate);
  const { kind, threads } = c;
  const backend = c.backend === 'ts' ? 'ts' : 'wasm';
  const k = c.negatives;
  const data = loadPairs(DATA);
  const cfg = kernelConfig(kind, data, distance, c, temperature, recipe);
  const params = loadParams(state, cfg);
  const ep = epochArrays(data, 1000 + round, k);
  const kernel = await createTripletKernel(cfg, params, { backend, threads });
  if (kernel.backend !== backend || kernel.threads !== threads) throw new Error(`${candidate}: got ${kernel.backend} x${kernel.threads}`);
  const warm = WARM_BATCHES * BATCH;
  const n = Math.min(batches * BATCH, ep.users.length - warm);
  await kernel.runEpoch(ep.users, ep.pos, ep.neg, warm, BATCH);
  const users = ep.users.subarray(warm);
  const pos = ep.pos.subarray(warm);
  const neg = ep.neg.subarray(warm * k);
  const la = loadavg()[0];
  const st0 = procStat();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const loss = await kernel.runEpoch(users, pos, neg, n, BATCH);
  const seconds = (performance.now() - t0) / 1000;
  const cu = process.cpuUsage(c0);
  const st1 = procStat();
  await kernel.dispose();
  const cpu = (cu.user + cu.system) / 1e6;
  let otherCores: number | null = null;
  if (st0 !== null && st1 !== null) {
    const ticksPerCore = (st1.total - st0.total) / cpus().length;
    const busyCores = ticksPerCore > 0 ? ((st1.busy - st0.busy) / ticksPerCore) : 0;
    otherCores = Math.max(0, busyCores - cpu / seconds);
  }
  const r: RunResult = {
    candidate, round, negatives: k, examplesPerSec: n / seconds, tripletsPerSec: (n * k) / seconds, tripletsPerCpuSec: (n * k) / cpu, seconds, meanLoss: loss / n,
    peakRssMiB: process.resourceUsage().maxRSS / 1024, otherCores, loadavg1: la,
  };
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

// ---- parent ----
function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

function spawnChild(args: string[]): string {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`child ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return line;
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

async function parent(): Promise<void> {
  if (!existsSync(DATA)) {
    process.stdout.write(`bench:train: ${DATA} not found; nothing to measure (see ../shared/data/README.md)\n`);
    return;
  }
  const rounds = Number(arg('--rounds', '5'));
  const batches = Number(arg('--batches', '200'));
  const distance = arg('--distance', 'l2sq') as Distance;
  const kernels = process.argv.includes('--kernels');
  const recipe = kernels || process.argv.includes('--default-recipe');
  const temperature = Number(arg('--temperature', recipe ? '0.25' : '0.2'));
  let candidates = ['lrml-wasm-x1', 'lrml-wasm-x2', 'cml-wasm-x1', 'cml-wasm-x2'];
  if (process.argv.includes('--ts')) candidates.push('lrml-ts-x1');
  if (process.argv.includes('--losses')) {
    for (const k of [1, 10]) for (const loss of ['hinge', 'softplus', 'softmax', 'rankw']) candidates.push(`lrml-${loss}-k${k}-wasm-x1`);
  }
  if (kernels) candidates = ['lrml-softmax-k20-blocked-x1', 'lrml-softmax-k20-deferred-x1', 'lrml-softmax-k20-pairs-x1', 'lrml-softmax-k20-blocked-x2', 'lrml-softmax-k20-deferred-x2', 'lrml-softmax-k20-pairs-x2'];
  const only = arg('--only', '');
  if (only !== '') candidates = only.split(',');
  candidates.forEach(parseCandidate); // fail early on a bad name
  const dir = mkdtempSync(join(tmpdir(), 'lrml-bench-train-'));
  const started = new Date().toISOString();
  const load0 = loadavg();
  process.stdout.write(`# bench:train ${started} — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load average ${load0.map((x) => x.toFixed(2)).join(' ')}\n`);
  process.stdout.write(`# LRML d=100 N=20 ${distance} own rows-clip${recipe ? ' + memory clip' : ''} adam lr ${recipe ? '2e-3' : '1e-3'} margin 0.5 batch ${BATCH}; CML N=0 l2sq; softplus / softmax τ = ${temperature}; ${rounds} rounds × ${batches} timed batches per candidate\n`);
  try {
    const states: Record<Kind, string> = { lrml: join(dir, 'lrml.f32'), cml: join(dir, 'cml.f32') };
    for (const kind of ['lrml', 'cml'] as const) {
      if (!candidates.some((c) => c.startsWith(kind))) continue;
      process.stdout.write(`warm-up ${spawnChild(['--warm', kind, '--out', states[kind], '--distance', distance])}\n`);
    }
    const results: RunResult[] = [];
    for (let round = 0; round < rounds; round++) {
      const order = candidates.map((_, k) => candidates[(k + round) % candidates.length]);
      for (const c of order) {
        const kind = c.split('-')[0] as Kind;
        const line = spawnChild(['--child', c, '--state', states[kind], '--batches', String(batches), '--round', String(round), '--distance', distance, '--temperature', String(temperature), ...(recipe ? ['--default-recipe'] : [])]);
        process.stdout.write(`${line}\n`);
        results.push(JSON.parse(line) as RunResult);
      }
    }
    const load1 = loadavg();
    const base0 = candidates[0];
    process.stdout.write(`\n| candidate | k | runs | median positives/s | median triplets/s | median triplets/CPU-s | vs ${base0} triplets/CPU-s, same round: median | mean loss per positive | peak RSS MiB (median) | other cores busy (median [min-max]) | x2 / x1 same round: median [min-max] | wasm (default path), blocked or deferred / pairs same round, positives/s: median [min-max]; per CPU-s: median |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n`);
    for (const c of candidates) {
      const rs = results.filter((r) => r.candidate === c);
      const other = rs.map((r) => r.otherCores ?? NaN);
      let ratio = '';
      if (c.endsWith('-x2')) {
        const base = c.replace(/-x2$/, '-x1');
        const ratios = rs.map((r) => {
          const b = results.find((q) => q.candidate === base && q.round === r.round);
          return b === undefined ? NaN : r.tripletsPerSec / b.tripletsPerSec;
        }).filter((x) => !Number.isNaN(x));
        if (ratios.length > 0) ratio = `${median(ratios).toFixed(2)} [${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}]`;
      }
      const vsBase = rs.map((r) => {
        const b = results.find((q) => q.candidate === base0 && q.round === r.round);
        return b === undefined ? NaN : r.tripletsPerCpuSec / b.tripletsPerCpuSec;
      }).filter((x) => !Number.isNaN(x));
      let vsPairs = '';
      if (/-(wasm|blocked|deferred)-/.test(c)) {
        const twin = c.replace(/-(wasm|blocked|deferred)-/, '-pairs-');
        const wall: number[] = [];
        const cpuR: number[] = [];
        for (const r of rs) {
          const b = results.find((q) => q.candidate === twin && q.round === r.round);
          if (b === undefined) continue;
          wall.push(r.examplesPerSec / b.examplesPerSec);
          cpuR.push(r.tripletsPerCpuSec / b.tripletsPerCpuSec);
        }
        if (wall.length > 0) vsPairs = `${median(wall).toFixed(2)} [${Math.min(...wall).toFixed(2)}-${Math.max(...wall).toFixed(2)}]; ${median(cpuR).toFixed(2)}`;
      }
      process.stdout.write(`| ${c} | ${rs[0]?.negatives ?? ''} | ${rs.length} | ${fmt(median(rs.map((r) => r.examplesPerSec)))} | ${fmt(median(rs.map((r) => r.tripletsPerSec)))} | ${fmt(median(rs.map((r) => r.tripletsPerCpuSec)))} | ${vsBase.length > 0 ? median(vsBase).toFixed(2) : ''} | ${median(rs.map((r) => r.meanLoss)).toFixed(4)} | ${median(rs.map((r) => r.peakRssMiB)).toFixed(0)} | ${median(other).toFixed(2)} [${Math.min(...other).toFixed(2)}-${Math.max(...other).toFixed(2)}] | ${ratio} | ${vsPairs} |\n`);
    }
    process.stdout.write(`\nload average before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${load1.map((x) => x.toFixed(2)).join(' ')} (${cpus().length} cores)\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const warmKind = arg('--warm', '');
const childCandidate = arg('--child', '');
const dist = arg('--distance', 'l2sq') as Distance;
if (warmKind !== '') await warmChild(warmKind as Kind, dist, arg('--out', ''));
else if (childCandidate !== '') await runChild(childCandidate, arg('--state', ''), Number(arg('--batches', '200')), Number(arg('--round', '0')), dist, Number(arg('--temperature', '0.2')), process.argv.includes('--default-recipe'));
else await parent();
