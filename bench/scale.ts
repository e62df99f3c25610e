// Benchmark at Netflix scale (issue #18 item 1; #20's `recommend --all` timing): a seeded
// Netflix-shaped synthetic set (`lrml generate`: 480,189 users × 17,770 items at 100M
// interactions, users scaled with --interactions) or --data FILE, then each stage in its own
// process so that its wall time and its peak RSS (process.resourceUsage().maxRSS, written at exit
// by bench/rss-probe.ts, preloaded with --import) are its own:
//
//   generate       lrml generate (skipped with --data)
//   split          lrml split (leave-latest-out): train.tsv + test.tsv; the stages below use train.tsv
//   load           lrml info --data train.tsv
//   hinge-x1/-x2   lrml train --preset hinge --epochs 1 --threads 1 / 2
//   default-x1/-x2 lrml train --epochs 1 --threads 1 / 2 (the default recipe: sampled softmax over 40
//                  negatives shared within users' blocks of 8; not run unless asked for: 9.5 min an
//                  epoch at 100M on two threads, ≈ 50 min on one before #18's kernel work)
//   evaluate       lrml evaluate --full --users N (a seeded sample of test users) on the last model trained
//   save / reload  saveModel / loadModel of that model, in a process of their own (the load before the
//                  save is not timed; reload is the whole load)
//   serve          startServer on the model, then --requests GET /recommend (sequential, loopback): p50 / p99
//   recommend-all  lrml recommend --users-file (a seeded sample of --recommend-users users) --out recs.jsonl:
//                  users/s and the time for every user extrapolated (model load taken from the reload
//                  stage when it ran); --recommend-users 0 runs the real `recommend --all`
//
//   npm run bench:scale -- [--interactions 100M] [--stages load,hinge-x1,…|all] [--data FILE] [--lrml OTHER/bin/lrml.js] …
//   node dist/bench/scale.js --interactions 2M --stages all      (a quick run: ≈ 5 min)
//
// `--lrml PATH` runs the CLI stages with another build (e.g. the main branch's bin/lrml.js) for a
// side-by-side comparison on the same data. Generated files go to a fresh temp folder (--workdir
// DIR to choose it), removed at the end unless --keep. Run it under `nice` on a shared machine.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadModel, saveModel } from '../src/io/model-file.js';
import { Rng } from '../src/rng.js';
import { startServer } from '../src/serve/index.js';
import { extrapolate, formatBytes, parseScaleArgs, scaleTable, type ScaleArgs, type StageResult } from './scale-args.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Project root from sources (bench/) or from dist (dist/bench/). */
const root = existsSync(resolve(here, '../package.json')) ? resolve(here, '..') : resolve(here, '../..');
const probe = pathToFileURL(join(here, `rss-probe${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`)).href;

interface Ran {
  seconds: number;
  peakRss: number | null;
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node [--import probe] args…` under the same niceness; wall time and the child's peak RSS. */
function runNode(args: string[], work: string): Promise<Ran> {
  const rssFile = join(work, `rss-${process.pid}-${Date.now()}.json`);
  const t0 = performance.now();
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, '--import', probe, ...args], { env: { ...process.env, LRML_BENCH_RSS: rssFile }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      let peakRss: number | null = null;
      if (existsSync(rssFile)) {
        peakRss = (JSON.parse(readFileSync(rssFile, 'utf8')) as { maxRss: number }).maxRss;
        rmSync(rssFile, { force: true });
      }
      resolveRun({ seconds, peakRss, code: code ?? 1, stdout, stderr });
    });
  });
}

/** The last non-empty line of a stage's output that parses as JSON (the stages print one). */
function lastJson(text: string): Record<string, unknown> | null {
  const lines = text.trim().split('\n').reverse();
  for (const l of lines) {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      // not this line
    }
  }
  return null;
}

function fileSize(path: string): string {
  return existsSync(path) ? formatBytes(statSync(path).size) : '-';
}

/** What the in-process stages do (this script re-run with --child STAGE in a process of its own). */
async function childStage(argv: string[]): Promise<void> {
  const [stage, model, other, n, seed] = argv;
  const out: Record<string, unknown> = {};
  if (stage === 'save') {
    const m = await loadModel(model);
    const t0 = performance.now();
    await saveModel(other, m);
    out.seconds = (performance.now() - t0) / 1000;
  } else if (stage === 'reload') {
    const t0 = performance.now();
    const m = await loadModel(model);
    out.seconds = (performance.now() - t0) / 1000;
    out.users = m.users.size;
  } else if (stage === 'sample-users') {
    const m = await loadModel(model);
    const ids = new Rng(Number(seed)).sampleIndices(m.users.size, Math.min(Number(n), m.users.size));
    writeFileSync(other, `${Array.from(ids, (u) => m.users.id(u)).join('\n')}\n`);
    out.users = m.users.size;
  } else if (stage === 'serve') {
    const t0 = performance.now();
    const srv = await startServer({ modelPath: model, host: '127.0.0.1', port: 0, log: () => undefined });
    const up = (performance.now() - t0) / 1000;
    const m = await loadModel(model);
    const rng = new Rng(Number(seed));
    const lat: number[] = [];
    let errors = 0;
    for (let r = 0; r < Number(n); r++) {
      const user = encodeURIComponent(m.users.id(rng.int(m.users.size)));
      const t = performance.now();
      const status = await new Promise<number>((ok, fail) => {
        const req = request({ host: '127.0.0.1', port: srv.port, path: `/recommend?user=${user}&k=10` }, (res) => {
          res.resume();
          res.on('end', () => ok(res.statusCode ?? 0));
        });
        req.on('error', fail);
        req.end();
      });
      lat.push(performance.now() - t);
      if (status !== 200) errors++;
    }
    await srv.close();
    lat.sort((a, b) => a - b);
    out.startSeconds = up;
    out.p50 = lat[Math.floor(0.5 * lat.length)];
    out.p99 = lat[Math.min(lat.length - 1, Math.floor(0.99 * lat.length))];
    out.errors = errors;
  } else {
    throw new Error(`unknown child stage ${stage}`);
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    await childStage(argv.slice(1));
    return;
  }
  const a: ScaleArgs = parseScaleArgs(argv);
  const lrml = resolve(a.lrml ?? join(root, 'bin/lrml.js'));
  if (!existsSync(lrml)) throw new Error(`--lrml: ${lrml} not found`);
  const self = fileURLToPath(import.meta.url);
  const work = a.workdir === null ? mkdtempSync(join(tmpdir(), 'lrml-scale-')) : resolve(a.workdir);
  mkdirSync(work, { recursive: true });
  const data = a.data ?? join(work, 'synthetic.tsv');
  const train = a.stages.includes('split') || existsSync(join(work, 'train.tsv')) ? join(work, 'train.tsv') : data;
  const test = join(work, 'test.tsv');
  const results: StageResult[] = [];
  let model: string | null = null;
  const log = (text: string): void => {
    if (!a.json) process.stderr.write(`${text}\n`);
  };
  log(`bench:scale: ${a.data ?? `${a.interactions} interactions, ${a.users} users × ${a.items} items (seed ${a.seed})`}; stages ${a.stages.join(', ')}; lrml ${lrml}; work ${work}`);
  const cli = async (stage: string, args: string[], note: (r: Ran) => string): Promise<Ran | null> => {
    const command = `lrml ${args.join(' ')}`;
    log(`${stage}: ${command}`);
    const r = await runNode([lrml, ...args], work);
    const ok = r.code === 0;
    let text: string;
    try {
      text = ok ? note(r) : (r.stderr.trim().split('\n').at(-1) ?? `exit ${r.code}`);
    } catch (e) {
      text = `(no figures: ${(e as Error).message})`;
    }
    results.push({ stage, command, seconds: r.seconds, peakRss: r.peakRss, note: text, ok });
    log(`  ${r.seconds.toFixed(1)} s, peak RSS ${formatBytes(r.peakRss)}${ok ? '' : `: FAILED ${text}`}`);
    return ok ? r : null;
  };
  const inProcess = async (stage: string, args: string[], note: (j: Record<string, unknown>, r: Ran) => string): Promise<Ran | null> => {
    log(`${stage}: bench/scale --child ${args.join(' ')}`);
    const r = await runNode([self, '--child', ...args], work);
    const j = lastJson(r.stdout);
    const ok = r.code === 0 && j !== null;
    results.push({ stage, command: `(in process) ${args.join(' ')}`, seconds: r.seconds, peakRss: r.peakRss, note: ok ? note(j, r) : (r.stderr.trim().split('\n').at(-1) ?? `exit ${r.code}`), ok });
    log(`  ${r.seconds.toFixed(1)} s, peak RSS ${formatBytes(r.peakRss)}`);
    return ok ? r : null;
  };
  let reloadSeconds: number | null = null;
  try {
    for (const stage of a.stages) {
      if (stage === 'generate') {
        await cli(stage, ['generate', '--users', String(a.users), '--items', String(a.items), '--interactions', String(a.interactions), '--seed', String(a.seed), '--out', data, '--quiet'], () => `${fileSize(data)} TSV`);
      } else if (stage === 'split') {
        await cli(stage, ['split', '--data', data, '--method', 'leave-latest-out', '--train-out', train, '--test-out', test, '--json'], (r) => {
          const j = lastJson(r.stdout) ?? {};
          return `train ${fileSize(train)}, test ${fileSize(test)}${j.testInteractions === undefined ? '' : ` (${String(j.testInteractions)} held out)`}`;
        });
      } else if (stage === 'load') {
        await cli(stage, ['info', '--data', train, '--json'], (r) => {
          const j = lastJson(r.stdout) ?? {};
          return `${String(j.interactions)} interactions, ${String(j.users)} users × ${String(j.items)} items`;
        });
      } else if (stage.startsWith('hinge-') || stage.startsWith('default-')) {
        const threads = stage.endsWith('x2') ? '2' : '1';
        const out = join(work, `${stage}.lrml`);
        const recipe = stage.startsWith('hinge-') ? ['--preset', 'hinge'] : [];
        const r = await cli(stage, ['train', '--data', train, ...recipe, '--epochs', '1', '--threads', threads, '--out', out, '--json'], (r) => {
          const j = lastJson(r.stdout) ?? {};
          const secs = Number(j.seconds);
          return `training ${formatSecondsShort(secs)}, ${Math.round(Number(j.interactions) / secs)} positives/s; model ${fileSize(out)}`;
        });
        if (r !== null) model = out;
      } else if (model === null) {
        results.push({ stage, command: '-', seconds: 0, peakRss: null, note: 'no model: run a training stage (hinge-x1, …) first', ok: false });
      } else if (stage === 'evaluate') {
        await cli(stage, ['evaluate', '--model', model, '--train', train, '--test', test, '--full', '--users', String(a.evalUsers), '--seed', String(a.seed), '--json', '--quiet'], (r) => {
          const j = lastJson(r.stdout) ?? {};
          const iv = (j.intervals ?? {}) as Record<string, number[] | undefined>;
          const pick = (k: string): string => `${Number(j[k]).toFixed(4)}${iv[k] === undefined ? '' : ` [${iv[k][0].toFixed(4)}, ${iv[k][1].toFixed(4)}]`}`;
          return `${String(j.users)} users, full ranking: hits@10 ${pick('hits@10')}, ndcg@10 ${pick('ndcg@10')}`;
        });
      } else if (stage === 'save') {
        const copy = join(work, 'resaved.lrml');
        await inProcess(stage, ['save', model, copy], (j) => `saveModel ${Number(j.seconds).toFixed(1)} s (after an untimed load); ${fileSize(copy)}`);
      } else if (stage === 'reload') {
        const copy = existsSync(join(work, 'resaved.lrml')) ? join(work, 'resaved.lrml') : model;
        await inProcess(stage, ['reload', copy], (j) => {
          reloadSeconds = Number(j.seconds);
          return `loadModel ${reloadSeconds.toFixed(1)} s`;
        });
      } else if (stage === 'serve') {
        await inProcess(stage, ['serve', model, '-', String(a.requests), String(a.seed)], (j) => `up in ${Number(j.startSeconds).toFixed(1)} s; ${a.requests} sequential GET /recommend k=10: p50 ${Number(j.p50).toFixed(1)} ms, p99 ${Number(j.p99).toFixed(1)} ms, errors ${String(j.errors)}`);
      } else if (stage === 'recommend-all') {
        const recs = join(work, 'recs.jsonl');
        if (a.recommendUsers === 0) {
          await cli(stage, ['recommend', '--model', model, '--all', '--out', recs, '--quiet'], (r) => `${Math.round(a.users / r.seconds)} users/s (whole process, every user); ${fileSize(recs)}`);
        } else {
          const list = join(work, 'users.txt');
          const s = await runNode([self, '--child', 'sample-users', model, list, String(a.recommendUsers), String(a.seed)], work);
          const total = Number(lastJson(s.stdout)?.users ?? NaN);
          const n = Math.min(a.recommendUsers, total);
          await cli(stage, ['recommend', '--model', model, '--users-file', list, '--out', recs, '--quiet'], (r) => {
            const load = reloadSeconds ?? 0;
            const e = extrapolate(n, Math.max(1e-9, r.seconds - load), total);
            return `${n} of ${total} users: ${Math.round(e.perSecond)} users/s${reloadSeconds === null ? ' (model load included)' : ' (less the reload time)'}; every user ≈ ${formatSecondsShort(load + e.allSeconds)} (extrapolated)`;
          });
        }
        rmSync(recs, { force: true });
      }
    }
  } finally {
    if (!a.keep) rmSync(work, { recursive: true, force: true });
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${formatBytes(totalmem())}, node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} at the end`;
  if (a.json) {
    process.stdout.write(`${JSON.stringify({ args: a, machine, lrml, results })}\n`);
  } else {
    process.stdout.write(`${scaleTable(results)}\n\n${machine}\n`);
  }
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

function formatSecondsShort(s: number): string {
  return s < 120 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`;
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:scale: ${(e as Error).message}\n`);
  process.exitCode = 2;
});
