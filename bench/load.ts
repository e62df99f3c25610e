// Benchmark: time and peak RSS to load an interaction file into CSR, each run in a fresh
// child process (so every run pays the same cold costs and peak RSS is per run).
//
//   node dist/bench/load.js [--runs 5] [--file ../shared/data/ml-1m/ml-1m.chrono.tsv.gz] [--columns 0,1,-,2]
//
// Prints one line per run and the medians. `--file a,b` measures several files side by side (runs
// interleaved; medians and ratios to the first). Default file: MovieLens 1M, all 1,000,209
// interactions (gzip TSV, no header: user_id, movie_id, chronological position).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, dirname, resolve } from 'node:path';
import { loadInteractions, toCsr } from '../src/data/load.js';
import type { ColumnSpec } from '../src/data/types.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Project root from src (bench/) or from dist (dist/bench/). */
const root = existsSync(resolve(here, '../package.json')) ? resolve(here, '..') : resolve(here, '../..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function parseColumns(s: string): ColumnSpec[] {
  return s.split(',').map((p) => (p === '-' ? null : /^\d+$/.test(p) ? Number(p) : p));
}

interface RunResult {
  ms: number;
  /** CPU time (user + system, all threads: zlib, GC, JIT included) during load+CSR. */
  cpuMs: number;
  rssMB: number;
  users: number;
  items: number;
  nnz: number;
  lines: number;
}

async function child(file: string, columns: string): Promise<void> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const data = await loadInteractions(file, { columns: parseColumns(columns) });
  const csr = toCsr(data);
  const ms = performance.now() - t0;
  const c1 = process.cpuUsage(c0);
  const r: RunResult = {
    ms,
    cpuMs: (c1.user + c1.system) / 1000,
    rssMB: process.resourceUsage().maxRSS / 1024,
    users: csr.numRows,
    items: csr.numCols,
    nnz: csr.nnz,
    lines: data.summary.linesRead,
  };
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const n = s.length;
  return n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

async function parent(): Promise<void> {
  // several files (comma-separated) are measured side by side: their runs interleave
  const files = arg('--file', resolve(root, '../shared/data/ml-1m/ml-1m.chrono.tsv.gz')).split(',').map((f) => resolve(f));
  const columns = arg('--columns', '0,1,-,2');
  const runs = Number(arg('--runs', '5'));
  const absent = files.find((f) => !existsSync(f));
  if (absent !== undefined) {
    process.stdout.write(`bench:load skipped: ${absent} not found (MovieLens 1M lives in ../shared/data)\n`);
    return;
  }
  process.stdout.write(`bench:load ${files.join(', ')} (columns ${columns}), ${runs} runs in fresh processes${files.length > 1 ? ', interleaved' : ''}, node ${process.version}\n`);
  const results: RunResult[][] = files.map(() => []);
  const walls: number[][] = files.map(() => []);
  for (let k = 0; k < runs; k++) {
    for (let f = 0; f < files.length; f++) {
      const file = files[f];
      const t0 = performance.now();
      const res = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', file, '--columns', columns], { encoding: 'utf8' });
      const wall = performance.now() - t0;
      if (res.status !== 0) {
        process.stderr.write(res.stderr);
        throw new Error(`run ${k + 1} of ${file} failed (exit ${res.status})`);
      }
      const r = JSON.parse(res.stdout.trim().split('\n').pop()!) as RunResult;
      results[f].push(r);
      walls[f].push(wall);
      process.stdout.write(`run ${k + 1}${files.length > 1 ? ` ${basename(file)}` : ''}: load+CSR ${r.ms.toFixed(0)} ms (CPU ${r.cpuMs.toFixed(0)} ms), peak RSS ${r.rssMB.toFixed(0)} MB, process ${wall.toFixed(0)} ms ` +
        `(${r.lines} lines → ${r.users} users × ${r.items} items, ${r.nnz} nnz)\n`);
    }
  }
  const base = median(results[0].map((r) => r.ms));
  for (let f = 0; f < files.length; f++) {
    const ms = median(results[f].map((r) => r.ms));
    const rss = median(results[f].map((r) => r.rssMB));
    const cpu = median(results[f].map((r) => r.cpuMs));
    process.stdout.write(`median${files.length > 1 ? ` ${basename(files[f])}` : ''}: load+CSR ${ms.toFixed(0)} ms (${(results[f][0].lines / ms / 1000).toFixed(2)} M lines/s, CPU ${cpu.toFixed(0)} ms), ` +
      `peak RSS ${rss.toFixed(0)} MB, whole process ${median(walls[f]).toFixed(0)} ms${f > 0 ? `, ${(ms / base).toFixed(2)}× the first` : ''}\n`);
  }
}

if (process.argv.includes('--child')) await child(arg('--child', ''), arg('--columns', '0,1,-,2'));
else await parent();
