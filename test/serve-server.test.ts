// Real servers on an ephemeral 127.0.0.1 port: in-process (startServer) and as `lrml serve` in a
// child process (signals: SIGHUP reload, SIGTERM graceful shutdown with a request in flight).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../src/serve/index.js';
import { saveModel } from '../src/io/model-file.js';
import { syntheticTriplet, trainedModel, wrap } from './recommend-fixtures.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lrml-server-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** POST whose body arrives in two parts; resolves {status, body} once the response is complete. */
function slowPost(url: string, first: string, rest: string, afterFirst: () => Promise<void>): Promise<{ status: number; body: string; generation: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, generation: res.headers['x-lrml-model-generation'] as string | undefined }));
    });
    req.on('error', reject);
    req.write(first);
    afterFirst().then(() => req.end(rest), reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('startServer on another loopback address answers requests addressed to it (Host check)', async () => {
  const path = join(dir, 'loop2.lrml');
  await saveModel(path, wrap(syntheticTriplet('lrml'), null));
  const srv = await startServer({ modelPath: path, host: '127.0.0.2', port: 0 });
  try {
    const r = await fetch(`${srv.url}/health`);
    assert.equal(r.status, 200, `GET ${srv.url}/health`);
  } finally {
    await srv.close();
  }
});

test('startServer: 127.0.0.1 by default, requests, reload, graceful close with a request in flight', async () => {
  const path = join(dir, 'a.lrml');
  await saveModel(path, wrap(syntheticTriplet('lrml'), null));
  const lines: string[] = [];
  const srv = await startServer({ modelPath: path, port: 0, log: (l) => lines.push(l), adminToken: 'tok' });
  try {
    assert.equal(srv.host, '127.0.0.1');
    assert.match(srv.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const h = await (await fetch(`${srv.url}/health`)).json();
    assert.equal(h.status, 'ok');
    const r = await fetch(`${srv.url}/recommend?user=u3&k=4`);
    assert.equal(r.status, 200);
    assert.equal((await r.json()).items.length, 4);
    const nf = await fetch(`${srv.url}/recommend?user=zzz`);
    assert.equal(nf.status, 404);
    assert.equal((await nf.json()).error.code, 'UNKNOWN_USER');
    // admin reload from loopback over a real socket
    await saveModel(path, await trainedModel('bpr'));
    assert.equal((await fetch(`${srv.url}/admin/reload`, { method: 'POST' })).status, 401, 'no token');
    const rl = await fetch(`${srv.url}/admin/reload`, { method: 'POST', headers: { authorization: 'Bearer tok' } });
    assert.equal(rl.status, 200);
    assert.equal((await rl.json()).kind, 'bpr');
    // close while a request is in flight: it completes, new connections are refused
    const inflight = slowPost(`${srv.url}/recommend`, '{"items": ["i1", "i2"],', ' "k": 3}', async () => {
      await sleep(50);
      const closing = srv.close();
      // the listener closes once the kernel's backlog is taken in (a few event-loop turns)
      for (let t = 0; t < 500 && srv.server.listening; t++) await sleep(10);
      assert.equal(srv.server.listening, false);
      await assert.rejects(fetch(`${srv.url}/health`), 'no new connections once the listener closed');
      void closing;
    });
    const res = await inflight;
    assert.equal(res.status, 200, res.body);
    assert.equal(JSON.parse(res.body).items.length, 3);
    await srv.close();
    assert.ok(lines.some((l) => /server closed/.test(l)));
  } finally {
    await srv.close();
  }
});

/** A GET on `agent`: status, Connection header and body. */
function get(url: string, agent: Agent): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('close drains: a keep-alive connection busy at close is answered with Connection: close, then closed', async () => {
  const srv = await startServer({ model: wrap(syntheticTriplet('lrml'), null), port: 0, graceMs: 60000 });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    // the connection has served a request (keep-alive), then carries a slow POST when close begins
    const first = await get(`${srv.url}/health`, agent);
    assert.equal(first.connection, 'keep-alive');
    let closing: Promise<void> | null = null;
    const res = await new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      const req = request(`${srv.url}/recommend`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (r) => {
        r.resume();
        r.on('end', () => resolve({ status: r.statusCode ?? 0, connection: r.headers.connection }));
      });
      req.on('error', reject);
      req.write('{"items": ["i1", "i2"],');
      void sleep(50).then(() => {
        closing = srv.close();
        return sleep(50);
      }).then(() => req.end(' "k": 3}'));
    });
    assert.equal(res.status, 200);
    assert.equal(res.connection, 'close', 'the client is told not to reuse the connection');
    // the server closed the connection after the answer: close() completes long before the 60 s cut
    await closing;
  } finally {
    agent.destroy();
    await srv.close();
  }
});

test('close drains: a connection accepted just before close still gets its request answered', async () => {
  const srv = await startServer({ model: wrap(syntheticTriplet('lrml'), null), port: 0, graceMs: 60000 });
  try {
    const accepted = new Promise<void>((r) => srv.server.once('connection', () => r()));
    const sock = connect(srv.port, '127.0.0.1');
    let data = '';
    sock.setEncoding('utf8');
    sock.on('data', (c: string) => {
      data += c;
    });
    const ended = new Promise<void>((r) => sock.on('close', () => r()));
    sock.on('error', () => undefined);
    await accepted;
    const closing = srv.close();
    await sleep(20);
    sock.write(`GET /health HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\n\r\n`);
    await ended;
    assert.match(data, /^HTTP\/1\.1 200 /, `answer: ${JSON.stringify(data)}`);
    assert.match(data, /\r\nConnection: close\r\n/i);
    await closing;
  } finally {
    await srv.close();
  }
});

test('close drains: connections still in the kernel\'s backlog (event loop busy at close) are answered, not reset', async () => {
  const srv = await startServer({ model: wrap(syntheticTriplet('lrml'), null), port: 0, graceMs: 60000 });
  const flag = join(dir, 'backlog-connected');
  const n = 12;
  // a client in another process: n connections, each sends a GET as soon as it is connected
  const client = `
    import { connect } from 'node:net';
    import { writeFileSync } from 'node:fs';
    const results = [];
    let connected = 0;
    for (let i = 0; i < ${n}; i++) {
      const s = connect(${srv.port}, '127.0.0.1');
      let data = '';
      s.setEncoding('utf8');
      s.on('connect', () => {
        s.write('GET /health HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n');
        if (++connected === ${n}) writeFileSync(${JSON.stringify(flag)}, 'x');
      });
      let err = 'closed without an answer';
      s.on('data', (c) => { data += c; });
      s.on('error', (e) => { err = e.code ?? e.message; });
      s.on('close', () => {
        results.push(data === '' ? err : data.split('\\r\\n')[0] + (/\\r\\nConnection: close\\r\\n/i.test(data) ? ' close' : ''));
      });
    }
    process.on('exit', () => process.stdout.write(JSON.stringify(results)));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', client], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (c: string) => {
    out += c;
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  try {
    // this process's event loop stays busy (as during a fold-in) until every connection is in the
    // backlog, then close is called from the same synchronous stretch, as a signal handler would
    const t0 = performance.now();
    while (!existsSync(flag) && performance.now() - t0 < 30000) {
      /* busy */
    }
    assert.ok(existsSync(flag), 'the client connected');
    const closing = srv.close();
    await exited;
    const results = JSON.parse(out) as string[];
    assert.deepEqual(results, Array.from({ length: n }, () => 'HTTP/1.1 200 OK close'));
    await closing;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await srv.close();
  }
});

test('a client that aborts mid-body is one info line in the log, not an internal error', async () => {
  const lines: string[] = [];
  const srv = await startServer({ model: wrap(syntheticTriplet('lrml'), null), port: 0, log: (l) => lines.push(l) });
  try {
    const sock = connect(srv.port, '127.0.0.1');
    sock.on('error', () => undefined);
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(`POST /recommend HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"items": [`);
    await sleep(100);
    sock.destroy();
    for (let t = 0; t < 100 && !lines.some((l) => /POST \/recommend/.test(l)); t++) await sleep(20);
    const about = lines.filter((l) => /recommend/.test(l));
    assert.equal(about.length, 1, lines.join('\n'));
    assert.match(about[0], /^info: POST \/recommend: the request body was not received/);
    assert.ok(!lines.some((l) => /internal error|\n\s+at /.test(l)), lines.join('\n'));
  } finally {
    await srv.close();
  }
});

test('startServer refuses a missing or bad model file and a bad port', async () => {
  await assert.rejects(startServer({ modelPath: join(dir, 'missing.lrml'), port: 0 }), /FILE_NOT_FOUND|not found/);
  const bad = join(dir, 'bad.lrml');
  writeFileSync(bad, 'nope');
  await assert.rejects(startServer({ modelPath: bad, port: 0 }), (e: Error & { code?: string }) => e.code === 'BAD_MODEL_FILE');
  await assert.rejects(startServer({ model: wrap(syntheticTriplet('cml'), null), port: 70000 }), (e: Error & { code?: string }) => e.code === 'BAD_OPTION');
});

test('`lrml serve` in a child process: SIGHUP reloads (a bad file keeps the old model), SIGTERM finishes in-flight work and exits 0', async () => {
  const path = join(dir, 'served.lrml');
  await saveModel(path, wrap(syntheticTriplet('lrml'), null));
  const self = fileURLToPath(import.meta.url);
  const fromSource = self.endsWith('.ts');
  const serveModule = new URL('../src/cli/commands/serve.js', import.meta.url).href;
  const script = `
    import { Command } from 'commander';
    import { registerServe } from ${JSON.stringify(serveModule)};
    const program = new Command();
    registerServe(program);
    await program.parseAsync(['node', 'lrml', 'serve', '--model', ${JSON.stringify(path)}, '--port', '0']);
  `;
  const child = spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, LRML_ADMIN_TOKEN: 'from-env' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 30000);
      child.stderr.on('data', (c: string) => {
        stderr += c;
        const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.on('exit', () => reject(new Error(`server exited: ${stderr}`)));
    });
    const gen = async () => (await (await fetch(`${url}/health`)).json()).generation as number;
    const waitFor = async (cond: () => Promise<boolean> | boolean, what: string) => {
      for (let t = 0; t < 200; t++) {
        if (await cond()) return;
        await sleep(25);
      }
      assert.fail(`timed out waiting for ${what}; stderr:\n${stderr}`);
    };
    assert.equal(await gen(), 1);
    const first = await (await fetch(`${url}/recommend?user=u1&k=3`)).json();
    assert.equal(first.items.length, 3);

    await saveModel(path, wrap(syntheticTriplet('cml'), null));
    child.kill('SIGHUP');
    await waitFor(async () => (await gen()) === 2, 'reload on SIGHUP');
    assert.equal((await (await fetch(`${url}/model`)).json()).kind, 'cml');

    writeFileSync(path, 'garbage');
    child.kill('SIGHUP');
    await waitFor(() => /reload failed, still serving generation 2/.test(stderr), 'the failed reload to be logged');
    assert.equal(await gen(), 2);
    assert.equal((await fetch(`${url}/recommend?user=u1`)).status, 200);
    // POST /admin/reload with the token from LRML_ADMIN_TOKEN: the garbage file is refused with its reason
    assert.equal((await fetch(`${url}/admin/reload`, { method: 'POST' })).status, 401);
    const rl = await fetch(`${url}/admin/reload`, { method: 'POST', headers: { authorization: 'Bearer from-env' } });
    assert.equal(rl.status, 500);
    assert.equal((await rl.json()).error.code, 'BAD_MODEL_FILE');

    // SIGTERM with a request in flight: it completes, then the process exits 0
    const res = await slowPost(`${url}/recommend`, '{"items": ["i1"],', ' "k": 2}', async () => {
      await sleep(50);
      child.kill('SIGTERM');
      await sleep(100);
    });
    assert.equal(res.status, 200, res.body);
    assert.equal(res.generation, '2');
    const code = await Promise.race([exited, sleep(10000).then(() => 'timeout')]);
    assert.equal(code, 0, `exit code; stderr:\n${stderr}`);
    assert.match(stderr, /SIGTERM: draining/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
