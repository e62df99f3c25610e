// Benchmark: EASE at catalogue sizes users have (issue #18 item 7). Times `lrml`'s EASE fit (the
// code `lrml train --family ease` runs: Gram matrix, blocked WASM SIMD inverse on `--threads`
// threads, weights) against the NumPy/OpenBLAS reference (bench/ease_numpy.py: BLAS Gram,
// numpy.linalg.inv, weights) on the same file, side by side: the reps alternate between the
// two, float64 and float32. Prints a line per run, then a table of medians and the ratios.
// The NumPy side is skipped, with a message, when python3 or numpy is absent.
//
//   node dist/bench/ease.js [--data FILE] [--lambda 1000] [--reps 3] [--threads 2]
//        [--precisions float64,float32] [--quality]
//
// Without --data, a citeulike-like synthetic set (8,000 users, 17,000 items, 800,000
// interactions, seed 1; `lrml generate`) is written to $TMPDIR/lrml-bench-ease/ once.
// --quality: instead, float32 against float64 on the ML-1M validation files
// (../shared/data/ml-1m: HR@10, nDCG@10 with the given negatives, max |B32 − B64|).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IdMap } from '../src/data/idmap.js';
import { loadInteractions, toCsr } from '../src/data/load.js';
import type { Csr } from '../src/data/csr.js';
import { writeSyntheticInteractions } from '../src/data/synthetic.js';
import { evaluate } from '../src/eval/evaluate.js';
import { givenTestSet } from '../src/eval/negatives.js';
import { loadGivenNegatives } from '../src/io/negatives-file.js';
import { resolveEaseOptions, type EaseModel } from '../src/models/ease.js';
import { fitEase } from '../src/train/ease.js';
import { readFlags } from './flags.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = existsSync(resolve(here, '../package.json')) ? resolve(here, '..') : resolve(here, '../..');

const a = { data: '', lambda: 1000, reps: 3, threads: 2, precisions: ['float64', 'float32'] as ('float64' | 'float32')[], quality: false };
readFlags(process.argv.slice(2), {
  '--data': (v) => (a.data = v()),
  '--lambda': (v) => (a.lambda = Number(v())),
  '--reps': (v) => (a.reps = Number(v())),
  '--threads': (v) => (a.threads = Number(v())),
  '--precisions': (v) => (a.precisions = v().split(',') as ('float64' | 'float32')[]),
  '--quality': () => (a.quality = true),
}, '[--data FILE] [--lambda X] [--reps N] [--threads N] [--precisions float64,float32] [--quality]');

const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const f1 = (x: number): string => x.toFixed(1);

interface Times {
  gram: number;
  inverse: number;
  total: number;
  /** CPU seconds of all threads (steadier than wall time on a loaded machine). */
  cpu: number;
}

/** One lrml fit; the Gram stage ends when progress first passes the users (progress is throttled to 50 ms). */
async function lrmlFit(x: Csr, precision: 'float64' | 'float32'): Promise<{ t: Times; model: EaseModel }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let gramEnd = 0;
  const model = await fitEase(x, resolveEaseOptions({ lambda: a.lambda, precision, threads: a.threads, maxMemoryBytes: 2 ** 40 }), {
    onProgress: (p) => {
      if (gramEnd === 0 && p.done > x.numRows) gramEnd = performance.now();
    },
  });
  const total = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const gram = gramEnd > 0 ? (gramEnd - t0) / 1000 : Number.NaN;
  return { t: { gram, inverse: total - gram, total, cpu: (c.user + c.system) / 1e6 }, model };
}

/** One NumPy run, or null (with the reason) when python3 / numpy is missing or fails. */
function numpyFit(file: string, precision: string): Times | string {
  const r = spawnSync('python3', [join(root, 'bench/ease_numpy.py'), file, String(a.lambda), precision], {
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: String(a.threads), OMP_NUM_THREADS: String(a.threads) },
    maxBuffer: 1 << 20,
  });
  if (r.error !== undefined) return `python3 not runnable (${r.error.message})`;
  if (r.status !== 0) return /No module named .?numpy/.test(r.stderr) ? 'numpy is not installed' : `ease_numpy.py failed: ${r.stderr.trim().split('\n').pop()}`;
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { gram: number; inverse: number; weights: number; total: number; cpu: number };
  return { gram: j.gram, inverse: j.inverse + j.weights, total: j.total, cpu: j.cpu };
}

function maxAbsDiff(x: Float32Array, y: Float32Array): number {
  let d = 0;
  for (let k = 0; k < x.length; k++) d = Math.max(d, Math.abs(x[k] - y[k]));
  return d;
}

async function timing(): Promise<void> {
  let file = a.data;
  if (file === '') {
    const dir = join(tmpdir(), 'lrml-bench-ease');
    mkdirSync(dir, { recursive: true });
    file = join(dir, 'e17k.tsv');
    if (!existsSync(file)) {
      console.log(`writing ${file} (8,000 users × 17,000 items, 800,000 interactions, seed 1)`);
      await writeSyntheticInteractions(file, { numUsers: 8000, numItems: 17000, interactions: 800_000, seed: 1 });
    }
  }
  const x = toCsr(await loadInteractions(file));
  console.log(`${file}: ${x.numRows} users × ${x.numCols} items, ${x.indices.length} interactions; lambda ${a.lambda}, ${a.threads} threads (OPENBLAS_NUM_THREADS=${a.threads}), ${a.reps} reps`);
  const lrml: Record<string, Times[]> = {};
  const numpy: Record<string, Times[]> = {};
  const firstB: Record<string, Float32Array> = {};
  let numpyMissing = '';
  for (let rep = 0; rep < a.reps; rep++) {
    for (const p of a.precisions) {
      const { t, model } = await lrmlFit(x, p);
      firstB[p] ??= model.B;
      (lrml[p] ??= []).push(t);
      console.log(`rep ${rep + 1} lrml  ${p}: gram ${f1(t.gram)} s, inverse+weights ${f1(t.inverse)} s, total ${f1(t.total)} s, cpu ${f1(t.cpu)} s`);
      if (numpyMissing === '') {
        const r = numpyFit(file, p);
        if (typeof r === 'string') {
          numpyMissing = r;
          console.log(`NumPy side skipped: ${r}`);
        } else {
          (numpy[p] ??= []).push(r);
          console.log(`rep ${rep + 1} numpy ${p}: gram ${f1(r.gram)} s, inverse+weights ${f1(r.inverse)} s, total ${f1(r.total)} s, cpu ${f1(r.cpu)} s`);
        }
      }
    }
  }
  if (firstB.float64 !== undefined && firstB.float32 !== undefined) {
    console.log(`max |B32 − B64| = ${maxAbsDiff(firstB.float32, firstB.float64).toExponential(2)} (max |B64| ${maxAbsDiff(firstB.float64, new Float32Array(firstB.float64.length)).toExponential(2)})`);
  }
  console.log('\nmedians (seconds)            gram   inverse+weights   total     cpu   lrml/numpy (total)');
  for (const p of a.precisions) {
    const l = lrml[p];
    const n = numpy[p];
    const row = (who: string, ts: Times[]): string =>
      `${who.padEnd(28)} ${f1(median(ts.map((t) => t.gram))).padStart(6)} ${f1(median(ts.map((t) => t.inverse))).padStart(17)} ${f1(median(ts.map((t) => t.total))).padStart(7)} ${f1(median(ts.map((t) => t.cpu))).padStart(7)}`;
    console.log(row(`lrml ${p}`, l));
    if (n !== undefined) {
      console.log(`${row(`numpy ${p}`, n)}   ${(median(l.map((t) => t.total)) / median(n.map((t) => t.total))).toFixed(2)}`);
    }
  }
  if (numpy.float64 !== undefined) {
    const ref = median(numpy.float64.map((t) => t.total));
    for (const p of a.precisions) console.log(`lrml ${p} / numpy float64 (total): ${(median(lrml[p].map((t) => t.total)) / ref).toFixed(2)}`);
  }
}

async function quality(): Promise<void> {
  const dir = resolve(root, '../shared/data/ml-1m');
  if (!existsSync(resolve(dir, 'ml-1m.valid-train.pairs.gz'))) {
    console.log(`${dir}: ML-1M validation files not present; skipped`);
    return;
  }
  const users = IdMap.fromIds(Array.from({ length: 6040 }, (_, u) => String(u)));
  const items = IdMap.fromIds(Array.from({ length: 3706 }, (_, i) => String(i)));
  const train = toCsr(await loadInteractions(resolve(dir, 'ml-1m.valid-train.pairs.gz'), { format: 'ncf-pairs', users, items, frozen: true }));
  const cases = await loadGivenNegatives(resolve(dir, 'ml-1m.valid.negative.gz'), users, items);
  const test = givenTestSet(cases, 6040, 3706);
  const Bs: Record<string, Float32Array> = {};
  for (const p of a.precisions) {
    const { t, model } = await lrmlFit(train, p);
    Bs[p] = model.B;
    const r = evaluate(model, train, test, { kind: 'given', cases }, { k: [10], bootstrap: 0 });
    console.log(`ml-1m valid, lambda ${a.lambda}, ${p}: HR@10 ${r.metrics['hits@10'].toFixed(4)} nDCG@10 ${r.metrics['ndcg@10'].toFixed(4)} (fit ${f1(t.total)} s)`);
  }
  if (Bs.float64 !== undefined && Bs.float32 !== undefined) {
    console.log(`max |B32 − B64| = ${maxAbsDiff(Bs.float32, Bs.float64).toExponential(2)} (max |B64| ${maxAbsDiff(Bs.float64, new Float32Array(Bs.float64.length)).toExponential(2)})`);
  }
}

await (a.quality ? quality() : timing());
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 2 ** 20).toFixed(2)} GiB`);
