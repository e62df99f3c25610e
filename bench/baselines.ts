// Benchmark: the strong baselines EASE and iALS on the NCF ML-1M split (given 99 negatives,
// HR@10 / nDCG@10, pessimistic ties, negatives equal to the positive dropped), through the shared
// loader (src/data/load.ts) and evaluation harness (src/eval). Settings are chosen on the
// validation files only; the test files are touched once, with the chosen settings.
//
//   node dist/bench/baselines.js [--model ease|ials|both] [--data ../shared/data/ml-1m]
//        [--lambdas 100,250,500,1000,2000]                 (EASE grid)
//        [--ials 'dim=64,alpha0=0.3,regularization=0.007;…'] (iALS grid, ';'-separated settings)
//        [--epochs 16] [--seed 0] [--backends]              (--backends: also time the TS inverse)
//
// Prints one line per fit (fit seconds, validation metrics) and the chosen setting's test figures,
// then peak RSS of the process.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IdMap } from '../src/data/idmap.js';
import { loadInteractions, toCsr } from '../src/data/load.js';
import type { Csr } from '../src/data/csr.js';
import { evaluate } from '../src/eval/evaluate.js';
import { loadGivenNegatives } from '../src/io/negatives-file.js';
import { givenTestSet } from '../src/eval/negatives.js';
import { easeFamily } from '../src/train/ease.js';
import type { IalsOptions } from '../src/models/ials.js';
import { ialsFamily } from '../src/train/ials.js';
import type { Recommender } from '../src/models/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = existsSync(resolve(here, '../package.json')) ? resolve(here, '..') : resolve(here, '../..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const dataDir = resolve(root, arg('--data', '../shared/data/ml-1m'));
const which = arg('--model', 'both');
const NUM_USERS = 6040;
const NUM_ITEMS = 3706;

/** One split: training matrix and the given-negatives cases, on identity id maps (NCF ids 0..n−1). */
interface Split {
  train: Csr;
  test: Csr;
  cases: Awaited<ReturnType<typeof loadGivenNegatives>>;
}

const users = IdMap.fromIds(Array.from({ length: NUM_USERS }, (_, u) => String(u)));
const items = IdMap.fromIds(Array.from({ length: NUM_ITEMS }, (_, i) => String(i)));

async function loadSplit(trainFile: string, negFile: string): Promise<Split> {
  const data = await loadInteractions(resolve(dataDir, trainFile), { format: 'ncf-pairs', users, items, frozen: true });
  const train = toCsr(data);
  if (train.numRows !== NUM_USERS || train.numCols !== NUM_ITEMS) throw new Error(`unexpected shape ${train.numRows}×${train.numCols}`);
  const cases = await loadGivenNegatives(resolve(dataDir, negFile), users, items);
  const test = givenTestSet(cases, NUM_USERS, NUM_ITEMS);
  return { train, test, cases };
}

function score(model: Recommender, s: Split): { hr: number; ndcg: number } {
  const r = evaluate(model, s.train, s.test, { kind: 'given', cases: s.cases }, { k: [10], bootstrap: 0 });
  return { hr: r.metrics['hits@10'], ndcg: r.metrics['ndcg@10'] };
}

function fmt(x: number): string {
  return x.toFixed(4);
}

function rssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await f();
  return [v, (performance.now() - t0) / 1000];
}

async function runEase(valid: Split, test: Split): Promise<void> {
  const lambdas = arg('--lambdas', '100,250,500,1000,2000').split(',').map(Number);
  let best: { lambda: number; ndcg: number } | null = null;
  for (const lambda of lambdas) {
    const [model, sec] = await timed(() => easeFamily.fit(valid.train, { lambda }));
    const m = score(model, valid);
    console.log(`ease valid lambda=${lambda}: HR@10 ${fmt(m.hr)} nDCG@10 ${fmt(m.ndcg)} (fit ${sec.toFixed(1)} s)`);
    if (best === null || m.ndcg > best.ndcg) best = { lambda, ndcg: m.ndcg };
  }
  const lambda = best!.lambda;
  const [model, sec] = await timed(() => easeFamily.fit(test.train, { lambda }));
  const m = score(model, test);
  console.log(`ease TEST lambda=${lambda} (chosen on validation): HR@10 ${fmt(m.hr)} nDCG@10 ${fmt(m.ndcg)} (fit ${sec.toFixed(1)} s, wasm)`);
  if (process.argv.includes('--backends')) {
    const [tsModel, tsSec] = await timed(() => easeFamily.fit(test.train, { lambda, backend: 'ts' }));
    const t = score(tsModel, test);
    console.log(`ease TEST lambda=${lambda} backend=ts: HR@10 ${fmt(t.hr)} nDCG@10 ${fmt(t.ndcg)} (fit ${tsSec.toFixed(1)} s; wasm/ts time ratio ${(sec / tsSec).toFixed(3)})`);
  }
}

function parseSetting(s: string): Partial<IalsOptions> {
  const o: Record<string, unknown> = {};
  for (const kv of s.split(',').filter((x) => x.length > 0)) {
    const [k, v] = kv.split('=');
    o[k.trim()] = /^[0-9.e+-]+$/i.test(v.trim()) ? Number(v) : v.trim();
  }
  return o as Partial<IalsOptions>;
}

async function runIals(valid: Split, test: Split): Promise<void> {
  const grid = arg('--ials', 'dim=64,alpha0=0.3,regularization=0.003').split(';').map(parseSetting);
  const epochs = Number(arg('--epochs', '16'));
  const seed = Number(arg('--seed', '0'));
  let best: { setting: Partial<IalsOptions>; epoch: number; ndcg: number } | null = null;
  for (const setting of grid) {
    let bestEpoch = 0;
    let bestNdcg = -1;
    const [, sec] = await timed(() =>
      ialsFamily.fit(valid.train, { epochs, seed, ...setting }, {
        validation: {
          evaluate: (model) => {
            const m = score(model, valid);
            return { 'hits@10': m.hr, 'ndcg@10': m.ndcg };
          },
          every: 1,
          monitor: 'ndcg@10',
        },
        onEpoch: (s) => {
          const v = s.validation!;
          if (v['ndcg@10'] > bestNdcg) {
            bestNdcg = v['ndcg@10'];
            bestEpoch = s.epoch;
          }
          console.log(`  epoch ${s.epoch}: loss ${s.loss.toFixed(4)} valid HR@10 ${fmt(v['hits@10'])} nDCG@10 ${fmt(v['ndcg@10'])} (${s.seconds.toFixed(1)} s)`);
        },
      }),
    );
    console.log(`ials valid ${JSON.stringify(setting)}: best epoch ${bestEpoch} nDCG@10 ${fmt(bestNdcg)} (${sec.toFixed(1)} s with per-epoch validation)`);
    if (best === null || bestNdcg > best.ndcg) best = { setting, epoch: bestEpoch, ndcg: bestNdcg };
  }
  const chosen = { ...best!.setting, epochs: best!.epoch, seed };
  const [model, sec] = await timed(() => ialsFamily.fit(test.train, chosen));
  const m = score(model, test);
  console.log(`ials TEST ${JSON.stringify(chosen)} (chosen on validation): HR@10 ${fmt(m.hr)} nDCG@10 ${fmt(m.ndcg)} (fit ${sec.toFixed(1)} s)`);
}

async function main(): Promise<void> {
  if (!existsSync(resolve(dataDir, 'ml-1m.train.pairs.gz'))) {
    console.log(`skipped: ${dataDir} has no NCF ML-1M files`);
    return;
  }
  const valid = await loadSplit('ml-1m.valid-train.pairs.gz', 'ml-1m.valid.negative.gz');
  const test = await loadSplit('ml-1m.train.pairs.gz', 'ml-1m.test.negative.gz');
  console.log(`ML-1M NCF split: valid-train ${valid.train.nnz} pairs, train ${test.train.nnz} pairs, ${NUM_USERS} users, ${NUM_ITEMS} items`);
  if (which === 'ease' || which === 'both') await runEase(valid, test);
  if (which === 'ials' || which === 'both') await runIals(valid, test);
  console.log(`peak RSS ${rssMB().toFixed(0)} MB; node ${process.version}; ${new Date().toISOString().slice(0, 10)}`);
}

await main();
