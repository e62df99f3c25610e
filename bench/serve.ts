// Serving benchmark: `node dist/bench/serve.js --model M [--rate 200] [--duration 30] [--k 10]
// [--post-ratio 0] [--concurrent-posts 0] [--candidates auto] [--candidate-count 500] [--search-threads N] [--json]`. Starts `startServer` in a child process on 127.0.0.1 (port 0) and
// drives it from this process with an open-loop load: requests are sent on a fixed schedule
// (`rate` per second) whatever the server's speed, and each latency is measured from the request's
// scheduled time to the end of its response (so queueing shows up; no coordinated omission).
// Reports achieved requests/s, p50 / p90 / p99 / max latency, errors and the server's RSS over time.
// `--concurrent-posts N` adds a mixed load: N clients that each keep one POST /recommend fold-in (a
// new user from 5-24 items) in flight for the whole run, each on its own connection (a client
// refused with 503 waits Retry-After seconds, 50 ms without one, then tries again); the latencies
// reported are then those of the GETs alone, and the POSTs' outcomes (200 / 503) are counted.
// Bounded: at most 600 s and 5000 requests/s; loopback only. The load generator never loads the
// model: the server child sends the user and item ids as two packed strings, so this process keeps
// a small heap and its own garbage-collection pauses stay out of the measured latencies.

import { fork, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { startServer } from '../src/serve/index.js';
import { Rng } from '../src/rng.js';
import { readFlags } from './flags.js';
import { fixed2, printResult, stamped } from './print.js';

interface Args {
  model: string;
  rate: number;
  duration: number;
  k: number;
  postRatio: number;
  concurrentPosts: number;
  warmup: number;
  /** The server's `--candidates` (exact | ann | auto) and `--candidate-count` (0 = its default). */
  candidates: 'exact' | 'ann' | 'auto';
  candidateCount: number;
  /** The server's search threads (-1 = its default). */
  searchThreads: number;
  json: boolean;
  child: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { model: '', rate: 200, duration: 30, k: 10, postRatio: 0, concurrentPosts: 0, warmup: 2, candidates: 'auto', candidateCount: 0, searchThreads: -1, json: false, child: false };
  readFlags(
    argv,
    {
      '--model': (v) => (a.model = v()),
      '--rate': (v) => (a.rate = Number(v())),
      '--duration': (v) => (a.duration = Number(v())),
      '--k': (v) => (a.k = Number(v())),
      '--post-ratio': (v) => (a.postRatio = Number(v())),
      '--concurrent-posts': (v) => (a.concurrentPosts = Number(v())),
      '--warmup': (v) => (a.warmup = Number(v())),
      '--candidates': (v) => (a.candidates = v() as Args['candidates']),
      '--candidate-count': (v) => (a.candidateCount = Number(v())),
      '--search-threads': (v) => (a.searchThreads = Number(v())),
      '--json': () => (a.json = true),
      '--child': () => (a.child = true),
    },
    '--model M [--rate 200] [--duration 30] [--k 10] [--post-ratio 0] [--concurrent-posts 0] [--warmup 2] [--candidates auto] [--candidate-count 500] [--search-threads N] [--json]',
  );
  if (a.model === '') throw new Error('--model <file> is required');
  if (!(a.rate > 0 && a.rate <= 5000)) throw new Error('--rate must be in (0, 5000]');
  if (!(a.duration > 0 && a.duration <= 600)) throw new Error('--duration must be in (0, 600] seconds');
  if (!(a.postRatio >= 0 && a.postRatio <= 1)) throw new Error('--post-ratio must be in [0, 1]');
  if (!(Number.isInteger(a.concurrentPosts) && a.concurrentPosts >= 0 && a.concurrentPosts <= 200)) throw new Error('--concurrent-posts must be an integer in [0, 200]');
  if (!(a.warmup >= 0 && a.warmup <= 60)) throw new Error('--warmup must be in [0, 60] seconds');
  if (!['exact', 'ann', 'auto'].includes(a.candidates)) throw new Error('--candidates must be exact, ann or auto');
  if (!(Number.isInteger(a.candidateCount) && a.candidateCount >= 0)) throw new Error('--candidate-count must be a positive integer');
  if (!(Number.isInteger(a.searchThreads) && a.searchThreads >= -1 && a.searchThreads <= 64)) throw new Error('--search-threads must be an integer in [0, 64]');
  return a;
}

/** The server side: runs in the child process, reports its port and answers RSS queries. */
async function child(a: Args): Promise<void> {
  const srv = await startServer({
    modelPath: a.model, host: '127.0.0.1', port: 0,
    candidates: { search: a.candidates, ...(a.candidateCount > 0 ? { candidateCount: a.candidateCount } : {}), ...(a.searchThreads >= 0 ? { searchThreads: a.searchThreads } : {}) },
    log: (line) => process.stderr.write(`server: ${line}\n`),
  });
  process.on('message', (msg: { type: string }) => {
    if (msg.type === 'rss') process.send?.({ type: 'rss', rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed });
    if (msg.type === 'stop') void srv.close().then(() => process.disconnect());
  });
  const m = srv.holder.current.model;
  const ids: Ids = { kind: m.model.kind, numUsers: m.model.numUsers, numItems: m.model.numItems, users: m.users.ids().join('\n'), items: m.items.ids().join('\n') };
  process.send?.({ type: 'ready', port: srv.port, rss: process.memoryUsage().rss, ids });
}

/** What the server child tells the load generator of its model: the ids packed one per line. */
interface Ids {
  kind: string;
  numUsers: number;
  numItems: number;
  users: string;
  items: string;
}

/** Ids packed in one string with their start offsets: one heap object however many ids. */
class PackedIds {
  private readonly starts: Uint32Array;
  constructor(private readonly packed: string, readonly length: number) {
    this.starts = new Uint32Array(length + 1);
    let at = 0;
    for (let t = 0; t < length; t++) {
      this.starts[t] = at;
      const nl = packed.indexOf('\n', at);
      at = nl < 0 ? packed.length + 1 : nl + 1;
    }
    this.starts[length] = packed.length + 1;
  }
  get(t: number): string {
    return this.packed.slice(this.starts[t], this.starts[t + 1] - 1);
  }
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
  const server: ChildProcess = fork(fileURLToPath(import.meta.url), [...process.argv.slice(2), '--child'], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<{ port: number; rss: number; ids: Ids }>((resolve, reject) => {
    server.once('message', (msg: { type: string; port: number; rss: number; ids: Ids }) => (msg.type === 'ready' ? resolve(msg) : reject(new Error('unexpected message'))));
    server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const users = new PackedIds(ready.ids.users, ready.ids.numUsers);
  const itemIds = new PackedIds(ready.ids.items, ready.ids.numItems);
  const rssQuery = (): Promise<{ rss: number; heap: number }> =>
    new Promise((resolve) => {
      server.once('message', (msg: { type: string; rss: number; heap: number }) => resolve(msg));
      server.send({ type: 'rss' });
    });
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const postAgent = new Agent({ keepAlive: true, maxSockets: Math.max(1, a.concurrentPosts) });
  const rng = new Rng(1);
  const foldInBody = (): string => {
    const n = 5 + rng.int(20);
    return JSON.stringify({ items: Array.from({ length: n }, () => itemIds.get(rng.int(itemIds.length))), k: a.k });
  };

  /** The closed-loop fold-in clients of --concurrent-posts: each sends its next POST when the last one is answered. */
  interface Posts {
    ok: number;
    busy: number;
    other: number;
    /** What the "other" outcomes were: status codes and error codes, with counts. */
    otherKinds: Record<string, number>;
    latencies: number[];
  }
  const postLoop = (posts: Posts, running: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      const once = (): void => {
        if (!running()) {
          resolve();
          return;
        }
        const t0 = performance.now();
        const req = request({ host: '127.0.0.1', port: ready.port, path: '/recommend', method: 'POST', agent: postAgent, headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) {
              posts.ok++;
              posts.latencies.push(performance.now() - t0);
            } else if (res.statusCode === 503) {
              posts.busy++;
            } else {
              posts.other++;
              posts.otherKinds[String(res.statusCode)] = (posts.otherKinds[String(res.statusCode)] ?? 0) + 1;
            }
            // a refused client waits as told (Retry-After, seconds), as a well-behaved client does
            if (res.statusCode === 503) setTimeout(once, 1000 * Math.max(0.05, Number(res.headers['retry-after'] ?? 0.05) || 0.05));
            else once();
          });
        });
        req.on('error', (e: NodeJS.ErrnoException) => {
          posts.other++;
          posts.otherKinds[e.code ?? e.message] = (posts.otherKinds[e.code ?? e.message] ?? 0) + 1;
          setTimeout(once, 50);
        });
        req.end(foldInBody());
      };
      once();
    });

  const fire = (phase: Phase, scheduled: number): void => {
    phase.sent++;
    const sentAt = performance.now();
    const post = a.postRatio > 0 && rng.float() < a.postRatio;
    let path: string;
    let body: string | null = null;
    if (post) {
      body = foldInBody();
      path = '/recommend';
    } else {
      path = `/recommend?user=${encodeURIComponent(users.get(rng.int(users.length)))}&k=${a.k}`;
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
  const run = async (seconds: number, rssEvery: number, rss: { t: number; rss: number; heap: number }[], posts: Posts): Promise<Phase> => {
    const phase: Phase = { sent: 0, ok: 0, errors: 0, latencies: [], service: [], seconds };
    let postsRunning = true;
    const loops = Array.from({ length: a.concurrentPosts }, () => postLoop(posts, () => postsRunning));
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
    postsRunning = false;
    await Promise.race([Promise.all(loops), new Promise((r) => setTimeout(r, 30000))]);
    return phase;
  };

  const newPosts = (): Posts => ({ ok: 0, busy: 0, other: 0, otherKinds: {}, latencies: [] });
  if (a.warmup > 0) await run(a.warmup, 0, [], newPosts());
  const posts = newPosts();
  const rss: { t: number; rss: number; heap: number }[] = [];
  const rssStart = await rssQuery();
  const started = performance.now();
  const phase = await run(a.duration, Math.max(1, Math.round(a.duration / 10)), rss, posts);
  const wall = (performance.now() - started) / 1000;
  const rssEnd = await rssQuery();
  server.send({ type: 'stop' });
  await new Promise((r) => server.once('exit', r));
  agent.destroy();
  postAgent.destroy();
  const postLat = Float64Array.from(posts.latencies).sort();

  const lat = Float64Array.from(phase.latencies).sort();
  const svc = Float64Array.from(phase.service).sort();
  const mb = (x: number): number => Math.round((x / 2 ** 20) * 10) / 10;
  const result = stamped({
    model: a.model,
    kind: ready.ids.kind,
    numUsers: ready.ids.numUsers,
    numItems: ready.ids.numItems,
    rate: a.rate,
    duration: a.duration,
    k: a.k,
    candidates: a.candidates,
    candidateCount: a.candidateCount > 0 ? a.candidateCount : null,
    searchThreads: a.searchThreads >= 0 ? a.searchThreads : 'default',
    postRatio: a.postRatio,
    concurrentPosts: a.concurrentPosts,
    posts: { ok: posts.ok, busy503: posts.busy, other: posts.other, otherKinds: posts.otherKinds, latencyMs: { p50: percentile(postLat, 0.5), p99: percentile(postLat, 0.99) } },
    sent: phase.sent,
    ok: phase.ok,
    errors: phase.errors,
    achievedPerSecond: phase.ok / wall,
    latencyMs: { p50: percentile(lat, 0.5), p90: percentile(lat, 0.9), p99: percentile(lat, 0.99), max: lat.length > 0 ? lat[lat.length - 1] : Number.NaN },
    serviceMs: { p50: percentile(svc, 0.5), p90: percentile(svc, 0.9), p99: percentile(svc, 0.99), max: svc.length > 0 ? svc[svc.length - 1] : Number.NaN },
    rssMiB: { atReady: mb(ready.rss), start: mb(rssStart.rss), end: mb(rssEnd.rss), max: mb(Math.max(rssStart.rss, rssEnd.rss, ...rss.map((r) => r.rss))) },
    rssOverTime: rss.sort((x, y) => x.t - y.t).map((r) => ({ t: Math.round(r.t * 10) / 10, rssMiB: mb(r.rss), heapMiB: mb(r.heap) })),
  });
  printResult(result, a.json, () =>
    `serve bench: ${result.kind} model (${result.numUsers} users, ${result.numItems} items), GET /recommend k=${a.k}, --candidates ${a.candidates}${a.candidateCount > 0 ? ` --candidate-count ${a.candidateCount}` : ''}${a.searchThreads >= 0 ? ` --search-threads ${a.searchThreads}` : ''}` +
      `${a.postRatio > 0 ? ` + ${Math.round(a.postRatio * 100)}% POST fold-in` : ''}, ${a.rate} req/s for ${a.duration} s on 127.0.0.1\n` +
      (a.concurrentPosts > 0
        ? `with ${a.concurrentPosts} concurrent POST /recommend fold-ins (latencies below are the GETs'): answered ${posts.ok} (p50 ${fixed2(result.posts.latencyMs.p50)} ms, p99 ${fixed2(result.posts.latencyMs.p99)} ms), 503 ${posts.busy}, other ${posts.other}${posts.other > 0 ? ` ${JSON.stringify(posts.otherKinds)}` : ''}\n`
        : '') +
      `requests ${phase.sent}, ok ${phase.ok}, errors ${phase.errors}, achieved ${result.achievedPerSecond.toFixed(1)} req/s\n` +
      `latency ms (from scheduled send): p50 ${fixed2(result.latencyMs.p50)}  p90 ${fixed2(result.latencyMs.p90)}  p99 ${fixed2(result.latencyMs.p99)}  max ${fixed2(result.latencyMs.max)}\n` +
      `latency ms (from actual send):    p50 ${fixed2(result.serviceMs.p50)}  p90 ${fixed2(result.serviceMs.p90)}  p99 ${fixed2(result.serviceMs.p99)}  max ${fixed2(result.serviceMs.max)}\n` +
      `server RSS MiB: ready ${result.rssMiB.atReady}, start ${result.rssMiB.start}, end ${result.rssMiB.end}, max ${result.rssMiB.max}\n` +
      `RSS over time: ${result.rssOverTime.map((r) => `${r.t}s ${r.rssMiB}`).join(', ')}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/serve: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
