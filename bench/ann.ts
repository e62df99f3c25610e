// Candidate-index benchmark (issue #20 item 1): `node dist/bench/ann.js --model M
// [--counts 100,200,500,1000] [--users 200] [--k 10] [--threads 2] [--connectivity 64] [--expansion-add 256]
// [--metric lifted|l2sq] [--quantization i8|f16|f32] [--rebuild] [--json]`.
// Opens the model's candidate index (`<model>.index`: loaded when current, else built and saved,
// as `lrml serve` does) and reports the build or load time, the index file size and the RSS it
// added; then, for `--users` users drawn with a fixed seed, the exact top k (every item scored)
// and, for each candidate count C, the `ann` top k: recall@k against exact scoring (share of the
// exact top k found) and the per-request time of both paths (median, p99), on this thread.

import { stat } from 'node:fs/promises';
import { loadModel } from '../src/io/model-file.js';
import { openCandidateIndex, type IndexMetric, type IndexQuantization } from '../src/io/ann-index.js';
import { recommend } from '../src/recommend/index.js';
import { Rng } from '../src/rng.js';
import { readFlags } from './flags.js';
import { fixed2, printResult, stamped } from './print.js';

interface Args {
  model: string;
  counts: number[];
  users: number;
  k: number;
  threads: number;
  /** HNSW build settings (defaults: openCandidateIndex's). */
  connectivity?: number;
  expansionAdd?: number;
  metric?: IndexMetric;
  quantization?: IndexQuantization;
  rebuild: boolean;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { model: '', counts: [100, 200, 500, 1000], users: 200, k: 10, threads: 2, rebuild: false, json: false };
  readFlags(argv, {
    '--model': (v) => (a.model = v()),
    '--counts': (v) => (a.counts = v().split(',').map(Number)),
    '--users': (v) => (a.users = Number(v())),
    '--k': (v) => (a.k = Number(v())),
    '--threads': (v) => (a.threads = Number(v())),
    '--connectivity': (v) => (a.connectivity = Number(v())),
    '--expansion-add': (v) => (a.expansionAdd = Number(v())),
    '--metric': (v) => (a.metric = v() as IndexMetric),
    '--quantization': (v) => (a.quantization = v() as IndexQuantization),
    '--rebuild': () => (a.rebuild = true),
    '--json': () => (a.json = true),
  }, '--model M [--counts 100,200,500,1000] [--users 200] [--k 10] [--threads 2] [--connectivity 64] [--expansion-add 256] [--metric lifted|l2sq] [--quantization i8|f16|f32] [--rebuild] [--json]');
  if (a.model === '') throw new Error('--model <file> is required');
  if (a.counts.some((c) => !Number.isInteger(c) || c < 1)) throw new Error('--counts must be positive integers');
  if (!(Number.isInteger(a.users) && a.users > 0)) throw new Error('--users must be a positive integer');
  return a;
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const tLoad = performance.now();
  const m = await loadModel(a.model);
  const loadSeconds = (performance.now() - tLoad) / 1000;
  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const opened = await openCandidateIndex(m, a.model, {
    threads: a.threads, rebuild: a.rebuild,
    ...(a.connectivity === undefined ? {} : { connectivity: a.connectivity }),
    ...(a.expansionAdd === undefined ? {} : { expansionAdd: a.expansionAdd }),
    ...(a.metric === undefined ? {} : { metric: a.metric }),
    ...(a.quantization === undefined ? {} : { quantization: a.quantization }),
  });
  globalThis.gc?.();
  const rssAfter = process.memoryUsage().rss;
  m.index = opened.index;
  const indexBytes = (await stat(opened.file)).size;

  const rng = new Rng(20);
  const users = Array.from({ length: a.users }, () => m.users.id(rng.int(m.users.size)));
  const exactMs: number[] = [];
  const truth: Set<string>[] = [];
  for (const u of users) {
    const t0 = performance.now();
    const r = recommend(m, u, { k: a.k, search: 'exact' });
    exactMs.push(performance.now() - t0);
    truth.push(new Set(r.items.map((x) => x.item)));
  }
  const rows = a.counts.map((C) => {
    const ms: number[] = [];
    let hit = 0;
    let total = 0;
    users.forEach((u, t) => {
      const t0 = performance.now();
      const r = recommend(m, u, { k: a.k, search: 'ann', candidateCount: C });
      ms.push(performance.now() - t0);
      for (const x of r.items) if (truth[t].has(x.item)) hit++;
      total += truth[t].size;
    });
    return { candidateCount: C, recall: hit / total, p50Ms: quantile(ms, 0.5), p99Ms: quantile(ms, 0.99) };
  });
  const mib = (x: number): number => Math.round((x / 2 ** 20) * 10) / 10;
  const result = stamped({
    model: a.model, kind: m.model.kind, numUsers: m.model.numUsers, numItems: m.model.numItems, k: a.k, users: a.users,
    modelLoadSeconds: loadSeconds,
    index: { connectivity: opened.connectivity, expansionAdd: opened.expansionAdd, metric: opened.metric, quantization: opened.quantization, built: opened.built, reason: opened.reason, seconds: opened.seconds, threads: a.threads, fileMiB: mib(indexBytes), rssAddedMiB: mib(rssAfter - rssBefore), rssMiB: mib(rssAfter) },
    exact: { p50Ms: quantile(exactMs, 0.5), p99Ms: quantile(exactMs, 0.99) },
    ann: rows,
  });
  printResult(result, a.json, () =>
    `ann bench: ${result.kind} model (${result.numUsers} users, ${result.numItems} items), ${a.users} users, k=${a.k}\n` +
      `index ${opened.file} (M ${opened.connectivity}, efConstruction ${opened.expansionAdd}, ${opened.metric} ${opened.quantization}): ${opened.built ? `built (${opened.reason}, ${a.threads} threads)` : 'loaded'} in ${fixed2(opened.seconds)} s, file ${result.index.fileMiB} MiB, RSS +${result.index.rssAddedMiB} MiB (now ${result.index.rssMiB} MiB)\n` +
      `exact: p50 ${fixed2(result.exact.p50Ms)} ms  p99 ${fixed2(result.exact.p99Ms)} ms\n` +
      rows.map((r) => `ann C=${r.candidateCount}: recall@${a.k} ${r.recall.toFixed(4)}  p50 ${fixed2(r.p50Ms)} ms  p99 ${fixed2(r.p99Ms)} ms\n`).join(''),
  );
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
