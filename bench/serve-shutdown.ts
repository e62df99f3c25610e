// Shutdown benchmark: `node dist/bench/serve-shutdown.js --model M [--posts 50] [--gets 120]
// [--late 20] [--lrml bin/lrml.js] [--json]`. Starts `lrml serve --model M --port 0` in a child
// process on 127.0.0.1, warms `posts` keep-alive connections, then sends `posts` POST /recommend
// fold-ins on them and, 150 ms later, `gets` GET /recommend on fresh connections (one per ms),
// with SIGTERM sent half-way through the GETs; 300 ms after the signal `late` more GETs go out on
// the keep-alive connections. Counts each request's outcome (status and Connection header, or
// the socket error) and the exit code. A draining server answers what was in flight, tells every
// client `Connection: close`, and resets nothing; requests sent after it stopped listening are
// refused (ECONNREFUSED). Bounded: at most 500 requests of each kind; loopback only.

import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { readFlags } from './flags.js';
import { printResult, stamped } from './print.js';

interface Args {
  model: string;
  posts: number;
  gets: number;
  late: number;
  lrml: string;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { model: '', posts: 50, gets: 120, late: 20, lrml: fileURLToPath(new URL('../../bin/lrml.js', import.meta.url)), json: false };
  readFlags(
    argv,
    {
      '--model': (v) => (a.model = v()),
      '--posts': (v) => (a.posts = Number(v())),
      '--gets': (v) => (a.gets = Number(v())),
      '--late': (v) => (a.late = Number(v())),
      '--lrml': (v) => (a.lrml = v()),
      '--json': () => (a.json = true),
    },
    '--model M [--posts 50] [--gets 120] [--late 20] [--lrml bin/lrml.js] [--json]',
  );
  if (a.model === '') throw new Error('--model <file> is required');
  for (const [name, v] of [['--posts', a.posts], ['--gets', a.gets], ['--late', a.late]] as const) {
    if (!(Number.isInteger(v) && v >= 1 && v <= 500)) throw new Error(`${name} must be an integer in [1, 500]`);
  }
  return a;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const child = spawn(process.execPath, [a.lrml, 'serve', '--model', a.model, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (c: string) => {
      stderr += c;
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    child.on('exit', () => reject(new Error(`server exited: ${stderr}`)));
  });
  const port = Number(new URL(url).port);
  const keepAlive = new Agent({ keepAlive: true, maxSockets: a.posts });
  const outcomes: Record<string, number> = {};
  let counting = false;
  const send = (method: 'GET' | 'POST', agent: Agent | false): Promise<void> =>
    new Promise((resolve) => {
      const body = method === 'POST' ? JSON.stringify({ items: ['1', '260', '1196', '2571', '318'], k: 5, ignoreUnknown: true }) : null;
      const path = method === 'POST' ? '/recommend' : '/recommend?user=1&k=5';
      const count = (k: string): void => {
        if (counting) outcomes[k] = (outcomes[k] ?? 0) + 1;
        resolve();
      };
      const req = request({ host: '127.0.0.1', port, method, agent, path, headers: body === null ? {} : { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => count(`${method} ${res.statusCode} connection: ${res.headers.connection ?? '-'}`));
      });
      req.on('error', (e: NodeJS.ErrnoException) => count(`${method} ${e.code ?? e.message}`));
      req.end(body ?? undefined);
    });
  await Promise.all(Array.from({ length: a.posts }, () => send('GET', keepAlive)));
  counting = true;
  const all: Promise<void>[] = [];
  for (let i = 0; i < a.posts; i++) all.push(send('POST', keepAlive));
  await sleep(150);
  for (let i = 0; i < a.gets; i++) {
    all.push(send('GET', false));
    await sleep(1);
    if (i === Math.floor(a.gets / 2)) child.kill('SIGTERM');
  }
  await sleep(300);
  for (let i = 0; i < a.late; i++) all.push(send('GET', keepAlive));
  await Promise.race([Promise.all(all), sleep(60000)]);
  const code = await Promise.race([exited, sleep(30000).then(() => 'no exit within 30 s after the last answer')]);
  keepAlive.destroy();
  if (child.exitCode === null) child.kill('SIGKILL');
  const resets = Object.entries(outcomes)
    .filter(([k]) => /ECONNRESET|socket hang up/.test(k))
    .reduce((s, [, n]) => s + n, 0);
  const result = stamped({ model: a.model, posts: a.posts, gets: a.gets, late: a.late, outcomes, resets, exitCode: code });
  printResult(result, a.json, () =>
    `serve shutdown bench: ${a.posts} POST fold-ins on keep-alive + ${a.gets} GETs on fresh connections, SIGTERM half-way, ${a.late} keep-alive GETs 300 ms later\n` +
      Object.entries(outcomes)
        .sort()
        .map(([k, n]) => `  ${k}: ${n}\n`)
        .join('') +
      `resets: ${resets}, exit code: ${code}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/serve-shutdown: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
