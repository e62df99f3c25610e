// The HTTP API without a socket (app.request): routes, bounds, error shapes, reload semantics.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, ModelHolder } from '../src/serve/index.js';
import { JobQueue } from '../src/serve/queue.js';
import { saveModel } from '../src/io/model-file.js';
import { Csr } from '../src/data/csr.js';
import { explain, recommend, recommendForItems, recommendForSession, similarItems } from '../src/recommend/index.js';
import type { LoadedModel } from '../src/io/format.js';
import { syntheticTriplet, trainedModel, wrap } from './recommend-fixtures.js';

const LOOPBACK = { incoming: { socket: { remoteAddress: '127.0.0.1' } } };
const REMOTE = { incoming: { socket: { remoteAddress: '203.0.113.9' } } };

function lrmlModel(): LoadedModel {
  const model = syntheticTriplet('lrml');
  const seen = Csr.fromPairs(model.numUsers, model.numItems, Int32Array.of(0, 0, 1), Int32Array.of(3, 4, 5));
  return { ...wrap(model, null, { trainedOn: 'synthetic' }), seen };
}

/** JSON of a response, with its status, after checking the content type. */
async function json(res: Response): Promise<{ status: number; body: any }> {
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  return { status: res.status, body: await res.json() };
}

/** Asserts the error shape {"error": {"code", "message"}} with the status and code. */
async function assertError(res: Response, status: number, code: string): Promise<string> {
  const { status: s, body } = await json(res);
  assert.equal(s, status, `status for ${code}: ${JSON.stringify(body)}`);
  assert.deepEqual(Object.keys(body), ['error']);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message']);
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  return body.error.message;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const roundTrip = (x: unknown): any => JSON.parse(JSON.stringify(x));

describe('HTTP API (LRML model)', () => {
  const m = lrmlModel();
  const app = createApp({ holder: new ModelHolder(m, null), limits: { maxK: 50, maxItems: 20, maxBodyBytes: 2048, foldInSteps: 20 } });

  test('GET /health and GET /model', async () => {
    const h = await json(await app.request('/health'));
    assert.equal(h.status, 200);
    assert.equal(h.body.status, 'ok');
    assert.equal(h.body.generation, 1);
    const res = await app.request('/model');
    assert.equal(res.headers.get('x-lrml-model-generation'), '1');
    const { status, body } = await json(res);
    assert.equal(status, 200);
    assert.equal(body.kind, 'lrml');
    assert.equal(body.numUsers, 60);
    assert.equal(body.numItems, 48);
    assert.equal(body.interactions, 3);
    assert.equal(body.config.numMemories, 5);
    assert.deepEqual(body.meta, { trainedOn: 'synthetic' });
    assert.equal(body.limits.maxK, 50);
  });

  test('GET /recommend is the library\'s recommend', async () => {
    const { status, body } = await json(await app.request('/recommend?user=u0&k=5'));
    assert.equal(status, 200);
    assert.deepEqual(body, roundTrip(recommend(m, 'u0', { k: 5 })));
    const d = await json(await app.request('/recommend?user=u0'));
    assert.equal(d.body.items.length, 10, 'k defaults to 10');
    const ex = await json(await app.request('/recommend?user=u0&k=5&exclude=' + body.items[0].item));
    assert.ok(!ex.body.items.some((x: { item: string }) => x.item === body.items[0].item));
    const inc = await json(await app.request('/recommend?user=u0&k=48&includeSeen=true'));
    assert.equal(inc.body.items.length, 48);
  });

  test('GET /recommend bounds and errors', async () => {
    for (const k of ['0', '-1', '2.5', 'abc', '', '51']) await assertError(await app.request(`/recommend?user=u0&k=${k}`), 400, 'BAD_OPTION');
    assert.match(await assertError(await app.request('/recommend'), 400, 'BAD_OPTION'), /user/);
    await assertError(await app.request('/recommend?user=nobody'), 404, 'UNKNOWN_USER');
    await assertError(await app.request('/recommend?user=u0&includeSeen=maybe'), 400, 'BAD_OPTION');
  });

  test('POST /recommend folds in a new user (the library\'s recommendForItems)', async () => {
    const res = await app.request('/recommend', { method: 'POST', body: JSON.stringify({ items: ['i12', 'i13', 'i20'], k: 6 }), headers: { 'content-type': 'application/json' } });
    const { status, body } = await json(res);
    assert.equal(status, 200);
    assert.deepEqual(body, roundTrip(recommendForItems(m, ['i12', 'i13', 'i20'], { k: 6, foldIn: { steps: 20, seed: 0 } })));
    assert.equal(body.items.length, 6);
    for (const x of body.items) assert.ok(!['i12', 'i13', 'i20'].includes(x.item));
  });

  test('POST /recommend bounds and errors', async () => {
    const post = (body: string, headers: Record<string, string> = {}) => app.request('/recommend', { method: 'POST', body, headers });
    await assertError(await post('{"items": ["i1"'), 400, 'BAD_JSON');
    await assertError(await post('[1, 2]'), 400, 'BAD_JSON');
    await assertError(await post('{}'), 400, 'BAD_OPTION');
    await assertError(await post('{"items": "i1"}'), 400, 'BAD_OPTION');
    await assertError(await post('{"items": [1, 2]}'), 400, 'BAD_OPTION');
    await assertError(await post('{"items": []}'), 400, 'BAD_OPTION');
    await assertError(await post('{"items": ["i1"], "k": 0}'), 400, 'BAD_OPTION');
    await assertError(await post('{"items": ["i1"], "k": 51}'), 400, 'BAD_OPTION');
    assert.match(await assertError(await post('{"items": ["i1"], "color": "x"}'), 400, 'BAD_OPTION'), /unknown field "color" \(known: items, user, k, include, exclude/);
    await assertError(await post('{"items": ["i1", "nope"]}'), 404, 'UNKNOWN_ITEM');
    const ok = await json(await post('{"items": ["i1", "nope"], "ignoreUnknown": true}'));
    assert.equal(ok.status, 200);
    await assertError(await post(JSON.stringify({ items: Array.from({ length: 21 }, (_, i) => `i${i}`) })), 413, 'TOO_LARGE');
    // too large by Content-Length, and (without it) while streaming
    await assertError(await post(JSON.stringify({ items: ['i1'], pad: 'x'.repeat(3000) })), 413, 'TOO_LARGE');
    const chunks = [new TextEncoder().encode('{"items": ["i1"], "pad": "'), new TextEncoder().encode('x'.repeat(3000)), new TextEncoder().encode('"}')];
    const stream = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        const c = chunks.shift();
        if (c === undefined) ctrl.close();
        else ctrl.enqueue(c);
      },
    });
    const req = new Request('http://localhost/recommend', { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    await assertError(await app.request(req), 413, 'TOO_LARGE');
  });

  test('GET /recommend: include / exclude / skipUnknown as the library', async () => {
    const r = await json(await app.request('/recommend?user=u0&k=10&include=i3,i4,i5,i6,i7&exclude=i4'));
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, roundTrip(recommend(m, 'u0', { k: 10, include: ['i3', 'i4', 'i5', 'i6', 'i7'], exclude: ['i4'] })));
    assert.deepEqual(r.body.items.map((x: { item: string }) => x.item).sort(), ['i5', 'i6', 'i7'], 'seen i3 and excluded i4 removed');
    const s = await json(await app.request('/recommend?user=u0&k=10&include=i5,nope&exclude=zz&skipUnknown=true'));
    assert.deepEqual(s.body.items.map((x: { item: string }) => x.item), ['i5']);
  });

  test('GET routes refuse unknown query parameters and malformed filters (nothing answered but the error)', async () => {
    assert.match(await assertError(await app.request('/recommend?user=u0&kk=5'), 400, 'BAD_OPTION'), /unknown query parameter "kk" \(known: user, k, include, exclude, includeSeen, skipUnknown\)/);
    await assertError(await app.request('/recommend?user=u0&candidates=i1'), 400, 'BAD_OPTION');
    await assertError(await app.request('/similar?item=i5&user=u0'), 400, 'BAD_OPTION');
    await assertError(await app.request('/explain?user=u2&item=i7&k=3'), 400, 'BAD_OPTION');
    await assertError(await app.request('/recommend?user=u0&include='), 400, 'BAD_OPTION');
    await assertError(await app.request('/recommend?user=u0&skipUnknown=perhaps'), 400, 'BAD_OPTION');
    assert.match(await assertError(await app.request('/recommend?user=u0&include=i1,nope'), 404, 'UNKNOWN_ITEM'), /"nope" in include/);
    assert.match(await assertError(await app.request('/recommend?user=u0&exclude=nope'), 404, 'UNKNOWN_ITEM'), /"nope" in exclude/);
    await assertError(await app.request(`/recommend?user=u0&include=${Array.from({ length: 21 }, (_, i) => `i${i}`).join(',')}`), 413, 'TOO_LARGE');
  });

  test('POST /recommend: filters, and a known user with recent items (the library\'s recommendForSession)', async () => {
    const post = (body: unknown) => app.request('/recommend', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const f = await json(await post({ items: ['i12'], k: 10, include: ['i12', 'i20', 'i21', 'i22'], exclude: ['i22'] }));
    assert.equal(f.status, 200);
    assert.deepEqual(f.body, roundTrip(recommendForItems(m, ['i12'], { k: 10, include: ['i12', 'i20', 'i21', 'i22'], exclude: ['i22'], foldIn: { steps: 20, seed: 0 } })));
    assert.deepEqual(f.body.items.map((x: { item: string }) => x.item).sort(), ['i20', 'i21']);
    const s = await json(await post({ user: 'u0', items: ['i12', 'i13'], k: 8, seed: 3 }));
    assert.equal(s.status, 200);
    assert.deepEqual(s.body, roundTrip(recommendForSession(m, 'u0', ['i12', 'i13'], { k: 8, foldIn: { steps: 20, seed: 3 } })));
    assert.equal(s.body.user, 'u0');
    for (const x of s.body.items) assert.ok(!['i3', 'i4', 'i12', 'i13'].includes(x.item), 'history and recent items excluded');
    // malformed
    await assertError(await post({ user: 'nobody', items: ['i12'] }), 404, 'UNKNOWN_USER');
    await assertError(await post({ user: 5, items: ['i12'] }), 400, 'BAD_OPTION');
    await assertError(await post({ user: '', items: ['i12'] }), 400, 'BAD_OPTION');
    await assertError(await post({ user: 'u0' }), 400, 'BAD_OPTION');
    await assertError(await post({ items: ['i12'], include: 'i1' }), 400, 'BAD_OPTION');
    await assertError(await post({ items: ['i12'], exclude: [1] }), 400, 'BAD_OPTION');
    await assertError(await post({ items: ['i12'], skipUnknown: 'yes' }), 400, 'BAD_OPTION');
    assert.match(await assertError(await post({ items: ['i12'], include: ['nope'] }), 404, 'UNKNOWN_ITEM'), /in include/);
    assert.match(await assertError(await post({ user: 'u0', items: ['i12'], exclude: ['nope'] }), 404, 'UNKNOWN_ITEM'), /in exclude/);
    const skipped = await json(await post({ items: ['i12'], include: ['nope', 'i20'], skipUnknown: true }));
    assert.deepEqual(skipped.body.items.map((x: { item: string }) => x.item), ['i20']);
    await assertError(await post({ items: ['i12'], include: Array.from({ length: 21 }, (_, i) => `i${i}`) }), 413, 'TOO_LARGE');
  });

  test('GET /similar and GET /explain', async () => {
    const s = await json(await app.request('/similar?item=i5&k=4'));
    assert.equal(s.status, 200);
    assert.deepEqual(s.body, roundTrip(similarItems(m, 'i5', { k: 4 })));
    await assertError(await app.request('/similar?item=nope'), 404, 'UNKNOWN_ITEM');
    await assertError(await app.request('/similar'), 400, 'BAD_OPTION');
    await assertError(await app.request('/similar?item=i5&k=1000'), 400, 'BAD_OPTION');
    const e = await json(await app.request('/explain?user=u2&item=i7'));
    assert.equal(e.status, 200);
    assert.deepEqual(e.body, roundTrip(explain(m, 'u2', 'i7')));
    const p = await json(await app.request('/explain?user=u2&item=i7&profile=true'));
    assert.equal(p.body.profile.slot, e.body.slots[0].slot);
    assert.equal(p.body.profile.items.length, 3, 'the 3 training pairs');
    await assertError(await app.request('/explain?user=u2'), 400, 'BAD_OPTION');
    await assertError(await app.request('/explain?user=zz&item=i7'), 404, 'UNKNOWN_USER');
    await assertError(await app.request('/explain?user=u2&item=zz'), 404, 'UNKNOWN_ITEM');
  });

  test('unknown routes and methods are 404 NOT_FOUND', async () => {
    await assertError(await app.request('/nothing'), 404, 'NOT_FOUND');
    await assertError(await app.request('/recommend', { method: 'DELETE' }), 404, 'NOT_FOUND');
  });

  test('admin reload answers loopback peers only', async () => {
    await assertError(await app.request('/admin/reload', { method: 'POST' }), 403, 'FORBIDDEN');
    await assertError(await app.request('/admin/reload', { method: 'POST' }, REMOTE), 403, 'FORBIDDEN');
  });
});

describe('admin endpoints need a token, a loopback Host and no Origin', () => {
  const bearer = { authorization: 'Bearer s3cret-token' };
  const withToken = createApp({ holder: new ModelHolder(lrmlModel(), null), adminToken: 's3cret-token' });

  test('without a configured token /admin/reload is disabled, even from loopback', async () => {
    const app = createApp({ holder: new ModelHolder(lrmlModel(), null) });
    assert.match(await assertError(await app.request('/admin/reload', { method: 'POST' }, LOOPBACK), 403, 'FORBIDDEN'), /disabled.*--admin-token.*SIGHUP/);
    assert.match(await assertError(await app.request('/admin/reload', { method: 'POST', headers: bearer }, LOOPBACK), 403, 'FORBIDDEN'), /disabled/);
  });

  test('a missing or wrong token is 401 with WWW-Authenticate; the right one passes', async () => {
    const none = await withToken.request('/admin/reload', { method: 'POST' }, LOOPBACK);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    await assertError(none, 401, 'UNAUTHORIZED');
    for (const authorization of ['Bearer wrong', 'Bearer s3cret-token-and-more', 'Basic s3cret-token', 's3cret-token', 'Bearer ']) {
      await assertError(await withToken.request('/admin/reload', { method: 'POST', headers: { authorization } }, LOOPBACK), 401, 'UNAUTHORIZED');
    }
    // past the checks: a model given in memory has no file to reload
    await assertError(await withToken.request('/admin/reload', { method: 'POST', headers: bearer }, LOOPBACK), 400, 'BAD_OPTION');
    // the token does not open the endpoint to other peers
    await assertError(await withToken.request('/admin/reload', { method: 'POST', headers: bearer }, REMOTE), 403, 'FORBIDDEN');
  });

  test('a request from a web page (Origin header) is refused, even with the token', async () => {
    const res = await withToken.request('/admin/reload', { method: 'POST', headers: { ...bearer, origin: 'http://127.0.0.1:8080' } }, LOOPBACK);
    assert.match(await assertError(res, 403, 'FORBIDDEN'), /Origin/);
  });

  test('Host must be a loopback name (DNS rebinding): admin and API routes', async () => {
    const evil = { ...bearer, host: 'evil.example:8080' };
    assert.match(await assertError(await withToken.request('/admin/reload', { method: 'POST', headers: evil }, LOOPBACK), 403, 'BAD_HOST'), /evil\.example/);
    await assertError(await withToken.request('http://evil.example/admin/reload', { method: 'POST', headers: bearer }, LOOPBACK), 403, 'BAD_HOST');
    await assertError(await withToken.request('/recommend?user=u0', { headers: { host: 'evil.example' } }), 403, 'BAD_HOST');
    await assertError(await withToken.request('http://evil.example/health'), 403, 'BAD_HOST');
    for (const host of ['localhost:8080', '127.0.0.1', '127.0.0.1:9', '[::1]:8080', 'LOCALHOST']) {
      assert.equal((await withToken.request('/health', { headers: { host } })).status, 200, host);
    }
    // more names when configured; null answers any Host on the API, never on /admin
    const named = createApp({ holder: new ModelHolder(lrmlModel(), null), allowedHosts: ['recs.internal'] });
    assert.equal((await named.request('http://recs.internal/health')).status, 200);
    await assertError(await named.request('http://localhost/health'), 403, 'BAD_HOST');
    const open = createApp({ holder: new ModelHolder(lrmlModel(), null), allowedHosts: null, adminToken: 's3cret-token' });
    assert.equal((await open.request('http://recs.example/health')).status, 200);
    await assertError(await open.request('http://recs.example/admin/reload', { method: 'POST', headers: bearer }, LOOPBACK), 403, 'BAD_HOST');
  });

  test('GET /model shows no path of the training data', async () => {
    const m: LoadedModel = {
      ...lrmlModel(),
      meta: { lrmlVersion: '0.1.0', data: '/home/someone/private/ratings.csv', loadSummary: { file: '/home/someone/private/ratings.csv', kept: 3, badLineExamples: [{ line: 7, text: 'alice,42' }] }, bestEpoch: 4 },
    };
    const app = createApp({ holder: new ModelHolder(m, '/srv/models/m.lrml') });
    const res = await app.request('/model');
    const text = await res.text();
    assert.ok(!text.includes('/home/someone'), text);
    assert.ok(!text.includes('/srv/models'), text);
    assert.ok(!text.includes('alice'), text);
    const body = JSON.parse(text);
    assert.deepEqual(body.meta, { lrmlVersion: '0.1.0', loadSummary: { kept: 3 }, bestEpoch: 4 });
    assert.equal(body.file, 'm.lrml');
  });
});

test('explain on a CML model is a 400 naming the kind', async () => {
  const app = createApp({ holder: new ModelHolder(wrap(syntheticTriplet('cml'), null)) });
  assert.match(await assertError(await app.request('/explain?user=u0&item=i0'), 400, 'BAD_OPTION'), /this model is cml/);
});

describe('fold-in load: a bounded queue, a time limit, aborted clients', () => {
  const body = JSON.stringify({ items: ['i12', 'i13', 'i20'], k: 3 });
  const post = (app: ReturnType<typeof createApp>) => app.request('/recommend', { method: 'POST', body, headers: { 'content-type': 'application/json' } });

  test('fold-ins beyond the queue get 503 BUSY with Retry-After; the others are answered', async () => {
    const app = createApp({ holder: new ModelHolder(lrmlModel(), null), limits: { foldInQueue: 2, foldInSteps: 5 } });
    const all = await Promise.all(Array.from({ length: 8 }, () => post(app)));
    const busy = all.filter((r) => r.status === 503);
    const ok = all.filter((r) => r.status === 200);
    assert.equal(ok.length, 3, 'one about to run + 2 waiting');
    assert.equal(busy.length, 5);
    for (const r of busy) {
      assert.match(r.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
      assert.match(await assertError(r, 503, 'BUSY'), /busy/);
    }
    // the queue empties: later requests are answered again
    assert.equal((await post(app)).status, 200);
  });

  test('GET requests are answered while fold-ins wait in the queue', async () => {
    const app = createApp({ holder: new ModelHolder(lrmlModel(), null), limits: { foldInQueue: 10 } });
    const done: string[] = [];
    const posts = Array.from({ length: 4 }, (_, i) => Promise.resolve(post(app)).then((r) => { assert.equal(r.status, 200); done.push(`post${i}`); }));
    // wait until the first fold-in has run, then ask a GET: it must not wait for the other three
    await posts[0];
    const get = Promise.resolve(app.request('/recommend?user=u0&k=3')).then((r) => { assert.equal(r.status, 200); done.push('get'); });
    await Promise.all([...posts, get]);
    assert.ok(done.indexOf('get') < done.indexOf('post3'), done.join(' '));
  });

  test('a queued fold-in that cannot start by its deadline is 503 TIMEOUT with Retry-After', async () => {
    const q = new JobQueue(4);
    const spinUntil = (t: number) => {
      while (performance.now() <= t) {
        /* busy: a synchronous fold-in */
      }
      return 'first';
    };
    const deadline = performance.now() + 20;
    const first = q.run(() => spinUntil(deadline + 1), { deadline: performance.now() + 60000 });
    const second = q.run(() => 'second', { deadline });
    assert.equal(await first, 'first');
    await assert.rejects(second, (e: Error & { code?: string; headers?: Record<string, string> }) => e.code === 'TIMEOUT' && /^[1-9]\d*$/.test(e.headers?.['Retry-After'] ?? ''));
    // a job whose client has gone is dropped, not run
    let ran = false;
    await assert.rejects(q.run(() => { ran = true; }, { deadline: performance.now() + 60000, signal: AbortSignal.abort() }), (e: Error & { code?: string }) => e.code === 'ABORTED');
    assert.equal(ran, false);
  });

  test('a body that does not arrive within the time limit is 408 BODY_TIMEOUT (one warn line, no stack)', { timeout: 20000 }, async () => {
    const lines: string[] = [];
    const app = createApp({ holder: new ModelHolder(lrmlModel(), null), limits: { requestTimeoutMs: 50 }, log: (l) => lines.push(l) });
    const stream = new ReadableStream<Uint8Array>({
      start(ctrl) {
        ctrl.enqueue(new TextEncoder().encode('{"items": ['));
        // and nothing more
      },
    });
    const res = await app.request(new Request('http://localhost/recommend', { method: 'POST', body: stream, duplex: 'half' } as RequestInit));
    assert.equal(res.headers.get('connection'), 'close');
    await assertError(res, 408, 'BODY_TIMEOUT');
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], /^warn: POST \/recommend: the request body did not arrive within the time limit/);
  });

  test('a client that aborts while sending the body is logged as one info line, not an internal error', async () => {
    const lines: string[] = [];
    const app = createApp({ holder: new ModelHolder(lrmlModel(), null), log: (l) => lines.push(l) });
    const stream = new ReadableStream<Uint8Array>({
      start(ctrl) {
        ctrl.enqueue(new TextEncoder().encode('{"items": ['));
        setTimeout(() => ctrl.error(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })), 5);
      },
    });
    const res = await app.request(new Request('http://localhost/recommend', { method: 'POST', body: stream, duplex: 'half' } as RequestInit));
    await assertError(res, 400, 'ABORTED');
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], /^info: POST \/recommend: the request body was not received: ECONNRESET$/);
    assert.ok(!lines.some((l) => /internal error|\n\s+at /.test(l)), lines.join('\n'));
  });

  test('limits of the queue and the time limit are checked', () => {
    const holder = new ModelHolder(lrmlModel(), null);
    assert.throws(() => createApp({ holder, limits: { foldInQueue: -1 } }), /foldInQueue/);
    assert.throws(() => createApp({ holder, limits: { requestTimeoutMs: 0 } }), /requestTimeoutMs/);
  });
});

describe('reload', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lrml-serve-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('swaps atomically; a bad file is rejected and the old model keeps serving; in-flight requests keep their model', async () => {
    const path = join(dir, 'm.lrml');
    const first = lrmlModel();
    await saveModel(path, first);
    const holder = new ModelHolder(first, path);
    const lines: string[] = [];
    const app = createApp({ holder, log: (l) => lines.push(l), adminToken: 'tok' });
    const admin = { method: 'POST', headers: { authorization: 'Bearer tok' } };

    // a request whose body is still arriving when the reload happens
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const stream = new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        await gate;
        ctrl.enqueue(new TextEncoder().encode('{"items": ["i12", "i13"], "k": 3}'));
        ctrl.close();
      },
    });
    const inflight = app.request(new Request('http://localhost/recommend', { method: 'POST', body: stream, duplex: 'half' } as RequestInit));

    // the new file: a BPR model over other ids
    const bpr = await trainedModel('bpr');
    await saveModel(path, bpr);
    const r1 = await json(await app.request('/admin/reload', admin, LOOPBACK));
    assert.equal(r1.status, 200);
    assert.equal(r1.body.reloaded, true);
    assert.equal(r1.body.generation, 2);
    assert.equal(r1.body.kind, 'bpr');
    release();
    const old = await inflight;
    assert.equal(old.status, 200);
    assert.equal(old.headers.get('x-lrml-model-generation'), '1', 'the in-flight request finished on the old model');
    const oldBody = await old.json();
    assert.deepEqual(oldBody, roundTrip(recommendForItems(first, ['i12', 'i13'], { k: 3, foldIn: { steps: 50, seed: 0 } })));
    const now = await json(await app.request('/model'));
    assert.equal(now.body.kind, 'bpr');
    assert.equal(now.body.generation, 2);

    // a corrupt file: rejected with the reason, generation 2 keeps serving
    writeFileSync(path, 'this is not a model');
    assert.match(await assertError(await app.request('/admin/reload', admin, LOOPBACK), 500, 'BAD_MODEL_FILE'), /m\.lrml/);
    const still = await json(await app.request('/recommend?user=u1&k=2'));
    assert.equal(still.status, 200);
    assert.equal(holder.current.generation, 2);
    assert.ok(lines.some((l) => /reload failed, still serving generation 2/.test(l)));
    rmSync(path);
    await assertError(await app.request('/admin/reload', admin, LOOPBACK), 500, 'FILE_NOT_FOUND');
    assert.equal(holder.current.generation, 2);
  });
});

test('the served model holds its item vectors once: the holder moves Q into the scorer\'s shared table, same answers, and again on swap', async () => {
  const plain = lrmlModel();
  const served = lrmlModel();
  const before = (served.model as unknown as { params: { Q: Float32Array } }).params.Q;
  const holder = new ModelHolder(served, null);
  const Q = (served.model as unknown as { params: { Q: Float32Array } }).params.Q;
  assert.notEqual(Q, before);
  assert.ok(Q.buffer instanceof SharedArrayBuffer, 'params.Q is the WASM scorer\'s table');
  assert.deepEqual(Q, before);
  const app = createApp({ holder });
  for (const user of ['u0', 'u1', 'u7']) {
    const { body } = await json(await app.request(`/recommend?user=${user}&k=5`));
    assert.deepEqual(body.items, roundTrip(recommend(plain, user, { k: 5 }).items), `GET /recommend user=${user}`);
  }
  const next = lrmlModel();
  holder.swap(next);
  assert.ok((next.model as unknown as { params: { Q: Float32Array } }).params.Q.buffer instanceof SharedArrayBuffer, 'a swapped-in model too');
});
