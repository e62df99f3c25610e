// Serving benchmark: `node dist/bench/serve.js --model M [--rate 200] [--duration 30] [--k 10]
// [--post-ratio 0] [--json]`. Starts `startServer` in a child process on 127.0.0.1 (port 0) and
// drives it from this process with an open-loop load: requests are sent on a fixed schedule
// (`rate` per second) whatever the server's speed, and each latency is measured from the request's
// scheduled time to the end of its response (so queueing shows up; no coordinated omission).
// Reports achieved requests/s, p50 / p90 / p99 / max latency, errors and the server's RSS over time.
// Bounded: at most 600 s and 5000 requests/s; loopback only.

import { fork, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../src/io/model-file.js';
import { startServer } from '../src/serve/index.js';
import { Rng } from '../src/rng.js';

interface Args {
  model: string;
  rate: number;
  duration: number;
  k: number;
  postRatio: number;
  warmup: number;
  json: boolean;
  child: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { model: '', rate: 200, duration: 30, k: 10, postRatio: 0, warmup: 2, json: false, child: false };
  for (let t = 0; t < argv.length; t++) {
    const f = argv[t];
    const next = (): string => {
      const v = argv[++t];
      if (v === undefined) throw new Error(`${f} needs a value`);
      return v;
    };
    if (f === '--model') a.model = next();
    else if (f === '--rate') a.rate = Number(next());
    else if (f === '--duration') a.duration = Number(next());
    else if (f === '--k') a.k = Number(next());
    else if (f === '--post-ratio') a.postRatio = Number(next());
    else if (f === '--warmup') a.warmup = Number(next());
    else if (f === '--json') a.json = true;
    else if (f === '--child') a.child = true;
    else throw new Error(`unknown argument ${f} (use --model M [--rate 200] [--duration 30] [--k 10] [--post-ratio 0] [--warmup 2] [--json])`);
  }
  if (a.model === '') throw new Error('--model <file> is required');
  if (!(a.rate > 0 && a.rate <= 5000)) throw new Error('--rate must be in (0, 5000]');
  if (!(a.duration > 0 && a.duration <= 600)) throw new Error('--duration must be in (0, 600] seconds');
  if (!(a.postRatio >= 0 && a.postRatio <= 1)) throw new Error('--post-ratio must be in [0, 1]');
  if (!(a.warmup >= 0 && a.warmup <= 60)) throw new Error('--warmup must be in [0, 60] seconds');
  return a;
}

/** The server side: runs in the child process, reports its port and answers RSS queries. */
async function child(a: Args): Promise<void> {
  const srv = await startServer({ modelPath: a.model, host: '127.0.0.1', port: 0 });
  process.on('message', (msg: { type: string }) => {
    if (msg.type === 'rss') process.send?.({ type: 'rss', rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed });
    if (msg.type === 'stop') void srv.close().then(() => process.disconnect());
  });
  process.send?.({ type: 'ready', port: srv.port, rss: process.memoryUsage().rss });
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

interface Phase {
  sent: number;
  ok: number;
  errors: number;
  latencies: number[];
  /** From the actual send (excludes this generator's own scheduling lag). */
  service: number[];
  seconds: number;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (a.child) return child(a);
  const m = await loadModel(a.model);
  const users = m.users.ids();
  const itemIds = m.items.ids();
  const server: ChildProcess = fork(fileURLToPath(import.meta.url), [...process.argv.slice(2), '--child'], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<{ port: number; rss: number }>((resolve, reject) => {
    server.once('message', (msg: { type: string; port: number; rss: number }) => (msg.type === 'ready' ? resolve(msg) : reject(new Error('unexpected message'))));
    server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const rssQuery = (): Promise<{ rss: number; heap: number }> =>
    new Promise((resolve) => {
      server.once('message', (msg: { type: string; rss: number; heap: number }) => resolve(msg));
      server.send({ type: 'rss' });
    });
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const rng = new Rng(1);

  const fire = (phase: Phase, scheduled: number): void => {
    phase.sent++;
    const sentAt = performance.now();
    const post = a.postRatio > 0 && rng.float() < a.postRatio;
    let path: string;
    let body: string | null = null;
    if (post) {
      const n = 5 + rng.int(20);
      const items = Array.from({ length: n }, () => itemIds[rng.int(itemIds.length)]);
      body = JSON.stringify({ items, k: a.k });
      path = '/recommend';
    } else {
      path = `/recommend?user=${encodeURIComponent(users[rng.int(users.length)])}&k=${a.k}`;
    }
    const req = request({ host: '127.0.0.1', port: ready.port, path, method: post ? 'POST' : 'GET', agent, headers: body === null ? {} : { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) {
          phase.ok++;
          const end = performance.now();
          phase.latencies.push(end - scheduled);
          phase.service.push(end - sentAt);
        } else {
          phase.errors++;
        }
      });
    });
    req.on('error', () => {
      phase.errors++;
    });
    req.end(body ?? undefined);
  };

  /** Open-loop load at a.rate for `seconds`; resolves when every response arrived (or 10 s after the end). */
  const run = async (seconds: number, rssEvery: number, rss: { t: number; rss: number; heap: number }[]): Promise<Phase> => {
    const phase: Phase = { sent: 0, ok: 0, errors: 0, latencies: [], service: [], seconds };
    const total = Math.round(a.rate * seconds);
    const t0 = performance.now();
    let n = 0;
    let nextRss = 0;
    while (n < total) {
      const now = performance.now();
      while (n < total && t0 + (n * 1000) / a.rate <= now) {
        fire(phase, t0 + (n * 1000) / a.rate);
        n++;
      }
      if (rssEvery > 0 && now - t0 >= nextRss * 1000) {
        const t = (now - t0) / 1000;
        void rssQuery().then((r) => rss.push({ t, ...r }));
        nextRss += rssEvery;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    const deadline = performance.now() + 10000;
    while (phase.ok + phase.errors < phase.sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    phase.errors += phase.sent - phase.ok - phase.errors;
    return phase;
  };

  if (a.warmup > 0) await run(a.warmup, 0, []);
  const rss: { t: number; rss: number; heap: number }[] = [];
  const rssStart = await rssQuery();
  const started = performance.now();
  const phase = await run(a.duration, Math.max(1, Math.round(a.duration / 10)), rss);
  const wall = (performance.now() - started) / 1000;
  const rssEnd = await rssQuery();
  server.send({ type: 'stop' });
  await new Promise((r) => server.once('exit', r));
  agent.destroy();

  const lat = Float64Array.from(phase.latencies).sort();
  const svc = Float64Array.from(phase.service).sort();
  const mb = (x: number): number => Math.round((x / 2 ** 20) * 10) / 10;
  const result = {
    model: a.model,
    kind: m.model.kind,
    numUsers: m.model.numUsers,
    numItems: m.model.numItems,
    rate: a.rate,
    duration: a.duration,
    k: a.k,
    postRatio: a.postRatio,
    sent: phase.sent,
    ok: phase.ok,
    errors: phase.errors,
    achievedPerSecond: phase.ok / wall,
    latencyMs: { p50: percentile(lat, 0.5), p90: percentile(lat, 0.9), p99: percentile(lat, 0.99), max: lat.length > 0 ? lat[lat.length - 1] : Number.NaN },
    serviceMs: { p50: percentile(svc, 0.5), p90: percentile(svc, 0.9), p99: percentile(svc, 0.99), max: svc.length > 0 ? svc[svc.length - 1] : Number.NaN },
    rssMiB: { atReady: mb(ready.rss), start: mb(rssStart.rss), end: mb(rssEnd.rss), max: mb(Math.max(rssStart.rss, rssEnd.rss, ...rss.map((r) => r.rss))) },
    rssOverTime: rss.sort((x, y) => x.t - y.t).map((r) => ({ t: Math.round(r.t * 10) / 10, rssMiB: mb(r.rss), heapMiB: mb(r.heap) })),
    node: process.version,
    date: new Date().toISOString(),
  };
  if (a.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const f = (x: number): string => x.toFixed(2);
  process.stdout.write(
    `serve bench: ${result.kind} model (${result.numUsers} users, ${result.numItems} items), GET /recommend k=${a.k}` +
      `${a.postRatio > 0 ? ` + ${Math.round(a.postRatio * 100)}% POST fold-in` : ''}, ${a.rate} req/s for ${a.duration} s on 127.0.0.1\n` +
      `requests ${phase.sent}, ok ${phase.ok}, errors ${phase.errors}, achieved ${result.achievedPerSecond.toFixed(1)} req/s\n` +
      `latency ms (from scheduled send): p50 ${f(result.latencyMs.p50)}  p90 ${f(result.latencyMs.p90)}  p99 ${f(result.latencyMs.p99)}  max ${f(result.latencyMs.max)}\n` +
      `latency ms (from actual send):    p50 ${f(result.serviceMs.p50)}  p90 ${f(result.serviceMs.p90)}  p99 ${f(result.serviceMs.p99)}  max ${f(result.serviceMs.max)}\n` +
      `server RSS MiB: ready ${result.rssMiB.atReady}, start ${result.rssMiB.start}, end ${result.rssMiB.end}, max ${result.rssMiB.max}\n` +
      `RSS over time: ${result.rssOverTime.map((r) => `${r.t}s ${r.rssMiB}`).join(', ')}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/serve: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
