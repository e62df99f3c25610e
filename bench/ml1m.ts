// The ML-1M reproduction table (issue #3): every model on the NCF leave-one-out split,
// HR@10 / nDCG@10 with bootstrap 95% intervals under the given-negatives protocol (99 NCF
// negatives) and under full ranking, plus training time. Regenerates the table from scratch:
//   npm run bench:ml1m [-- --only lrml,cml] [--rows 'LRML (defaults);CML, sampled softmax'] [--threads 1] [--save DIR] [--seed N | --seeds 1,2,3]
// --seed N trains every row with seed N instead of its family default (0), to see the seed-to-seed spread on test.
// --seeds 1,2,3 (or 1-3) trains every row once per seed and adds a table of mean ± sd per row
// (sample sd over the seeds); the per-seed rows are printed as well.
// --save DIR also writes each trained model to DIR/<row name>.lrml (for bench/foldin.ts and bench/serve.ts).
// Reads ../shared/data/ml-1m (never copied into the repo). Prints a markdown table and writes
// the raw results as JSON to bench/results/ml1m-<timestamp>.json (commit only the files BENCHMARKS.md cites).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadInteractions } from '../src/data/load.js';
import { toCsr } from '../src/data/interactions.js';
import { evaluateParallel } from '../src/io/eval-parallel.js';
import { givenTestSet } from '../src/eval/negatives.js';
import { loadGivenNegatives } from '../src/io/negatives-file.js';
import type { EvalResult } from '../src/eval/types.js';
import { saveModel, writeFileAtomic } from '../src/io/model-file.js';
import { CML_SOFTMAX, LRML_FAST, LRML_HINGE, LRML_PAPER_CODE, LRML_PER_POSITIVE } from '../src/models/triplet.js';
import { getFamily } from '../src/train/families.js';
import { formatMeanSd, meanSd, parseSeeds } from './seeds.js';

const DATA = process.env.LRML_ML1M ?? join(process.cwd(), '../shared/data/ml-1m');

interface Entry {
  name: string;
  kind: string;
  options: Record<string, unknown>;
}

/** The settings of each row, written down (defaults of each family unless given). */
const ENTRIES: Entry[] = [
  { name: 'popularity', kind: 'pop', options: {} },
  { name: 'BPR-MF (defaults, untuned)', kind: 'bpr', options: {} },
  { name: 'CML, hinge (defaults)', kind: 'cml', options: {} },
  { name: 'CML, sampled softmax', kind: 'cml', options: CML_SOFTMAX },
  { name: 'CML, sampled softmax, 35 epochs (the previous preset)', kind: 'cml', options: { ...CML_SOFTMAX, epochs: 35 } },
  { name: 'CML, sampled softmax, constant lr 0.001, 35 epochs (the preset before the decay)', kind: 'cml', options: { ...CML_SOFTMAX, learningRate: 1e-3, learningRateSchedule: 'constant', epochs: 35 } },
  { name: 'LRML, hinge, own relation', kind: 'lrml', options: LRML_HINGE },
  { name: 'LRML, fast preset', kind: 'lrml', options: LRML_FAST },
  { name: 'LRML, τ 0.2, constant lr 0.001 (the default before the decay)', kind: 'lrml', options: { ...LRML_PER_POSITIVE, temperature: 0.2, learningRate: 1e-3, learningRateSchedule: 'constant' } },
  { name: 'LRML, τ 0.2 (the default before τ 0.25)', kind: 'lrml', options: { ...LRML_PER_POSITIVE, temperature: 0.2 } },
  { name: 'LRML, per positive (the default until session 18)', kind: 'lrml', options: LRML_PER_POSITIVE },
  { name: 'LRML (defaults)', kind: 'lrml', options: {} },
  { name: 'LRML, paper code (copied relation)', kind: 'lrml', options: { ...LRML_PAPER_CODE, epochs: 30 } },
  { name: 'EASE (defaults)', kind: 'ease', options: {} },
  { name: 'iALS (defaults)', kind: 'ials', options: {} },
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function cell(r: EvalResult, key: string): string {
  const v = r.metrics[key];
  const ci = r.intervals[key];
  return ci ? `${v.toFixed(3)} [${ci[0].toFixed(3)}, ${ci[1].toFixed(3)}]` : v.toFixed(3);
}

/** One markdown row of mean ± sd over the seeds of a bench row. */
function summaryRow(name: string, runs: { given: EvalResult; full: EvalResult; fitSeconds: number }[]): string {
  const f = (pick: (r: (typeof runs)[number]) => number, digits: number): string => formatMeanSd(meanSd(runs.map(pick)), digits);
  return `| ${name} | ${runs.length} | ${f((r) => r.given.metrics['hits@10'], 4)} | ${f((r) => r.given.metrics['ndcg@10'], 4)} | ${f((r) => r.full.metrics['hits@10'], 4)} | ${f((r) => r.full.metrics['ndcg@10'], 4)} | ${f((r) => r.fitSeconds, 0)} |`;
}

async function main(): Promise<void> {
  if (!existsSync(join(DATA, 'ml-1m.train.pairs.gz'))) {
    console.log(`skipped: ${DATA}/ml-1m.train.pairs.gz not found (set LRML_ML1M)`);
    return;
  }
  const only = arg('--only')?.split(',');
  const rowNames = arg('--rows')?.split(';');
  const threads = Number(arg('--threads') ?? 2);
  const saveDir = arg('--save');
  const seedArg = arg('--seed');
  const seedsArg = arg('--seeds');
  let seeds: (number | undefined)[] = [undefined];
  try {
    if (seedArg !== undefined && seedsArg !== undefined) throw new Error('give --seed or --seeds, not both');
    if (seedsArg !== undefined) seeds = parseSeeds(seedsArg);
    if (seedArg !== undefined) {
      seeds = parseSeeds(seedArg);
      if (seeds.length !== 1) throw new Error(`--seed takes one seed, got "${seedArg}" (use --seeds for several)`);
    }
    if (seeds.length !== 1 && saveDir !== undefined) throw new Error('--save keeps one model per row: use it with one seed');
  } catch (err) {
    console.error(`bench/ml1m: ${(err as Error).message}`);
    process.exitCode = 2;
    return;
  }
  if (saveDir !== undefined) mkdirSync(saveDir, { recursive: true });
  const data = await loadInteractions(join(DATA, 'ml-1m.train.pairs.gz'));
  // two test items never occur in the training pairs: they join the catalogue (3,706 items, as NCF)
  const cases = await loadGivenNegatives(join(DATA, 'ml-1m.test.negative.gz'), data.users, data.items, { unknown: 'add-items' });
  const train = toCsr(data);
  const test = givenTestSet(cases, train.numRows, train.numCols);
  console.log(`ML-1M NCF split: ${train.numRows} users, ${train.numCols} items (${cases.summary.addedItems} only in the test files), ${train.nnz} train pairs; ${cases.summary.cases} test cases, ${cases.summary.selfNegatives} negatives equal to their positive (dropped)`);
  const rows: string[] = [];
  const summaries: string[] = [];
  const raw: unknown[] = [];
  for (const e of ENTRIES) {
    if (only !== undefined && !only.includes(e.kind) && !only.includes(e.name)) continue;
    if (rowNames !== undefined && !rowNames.includes(e.name)) continue;
    let family;
    try {
      family = getFamily(e.kind);
    } catch {
      console.log(`(${e.name}: model family not available, skipped)`);
      continue;
    }
    const perSeed: { given: EvalResult; full: EvalResult; fitSeconds: number }[] = [];
    // popularity has no seed: it is trained once
    for (const seed of 'seed' in family.defaults ? seeds : [undefined]) {
      const rowOptions = seed === undefined ? e.options : { ...e.options, seed };
      const options = family.resolveOptions(rowOptions);
      const t0 = performance.now();
      const model = await family.fit(train, rowOptions, {
        onEpoch: (s) => {
          process.stderr.write(`  ${e.name} epoch ${s.epoch}: loss ${s.loss.toFixed(4)} ${Math.round(s.perSecond)}/s\n`);
        },
      });
      const fitSeconds = (performance.now() - t0) / 1000;
      if (saveDir !== undefined) {
        const file = join(saveDir, `${e.name.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-|-$/g, '')}.lrml`);
        const meta = { data: join(DATA, 'ml-1m.train.pairs.gz'), trainedAt: new Date().toISOString(), seconds: fitSeconds, bench: e.name };
        await saveModel(file, { model, users: data.users, items: data.items, meta, seen: train });
        console.log(`  saved ${file}`);
      }
      const given = await evaluateParallel(model, train, test, { kind: 'given', cases }, { k: [10], bootstrap: 1000, seed: 0, threads });
      const full = await evaluateParallel(model, train, test, { kind: 'full' }, { k: [10], bootstrap: 1000, seed: 0, threads });
      const mem = process.memoryUsage().rss / 2 ** 20;
      const name = rowOptions === e.options ? e.name : `${e.name}, seed ${seed}`;
      rows.push(`| ${name} | ${cell(given, 'hits@10')} | ${cell(given, 'ndcg@10')} | ${cell(full, 'hits@10')} | ${cell(full, 'ndcg@10')} | ${fitSeconds.toFixed(0)} |`);
      raw.push({ name, kind: e.kind, options, fitSeconds, rssMiB: mem, given: { metrics: given.metrics, intervals: given.intervals }, full: { metrics: full.metrics, intervals: full.intervals } });
      console.log(rows[rows.length - 1]);
      perSeed.push({ given, full, fitSeconds });
    }
    if (perSeed.length > 1) summaries.push(summaryRow(e.name, perSeed));
  }
  console.log('\n| model | given HR@10 | given nDCG@10 | full recall@10 | full nDCG@10 | train s |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  if (summaries.length > 0) {
    console.log(`\nmean ± sd over seeds ${seeds.join(', ')} (sample sd):\n`);
    console.log('| model | seeds | given HR@10 | given nDCG@10 | full recall@10 | full nDCG@10 | train s |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of summaries) console.log(r);
  }
  mkdirSync('bench/results', { recursive: true });
  const out = `bench/results/ml1m-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  await writeFileAtomic(out, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, results: raw }, null, 2)}\n`);
  console.log(`\nraw results: ${out}`);
}

await main();
