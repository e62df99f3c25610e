// The HTTP API (hono): JSON in and out, errors as {"error": {"code", "message"}}.

import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { LrmlError, badOption } from '../errors.js';
import { checkFilters, explain, recommendAsync, recommendForItems, recommendForSession, resolveItems, similarItems, slotProfile, titleCoverage, titledExplanation, titledRecommendations, titledSimilar, searchMode, MAX_K, DEFAULT_CANDIDATE_COUNT, type ItemTitles, type RecommendOptions } from '../recommend/index.js';
import { HttpError, type HttpErrorCode } from './http-error.js';
import { JobQueue } from './queue.js';
import type { ModelHolder, ModelSnapshot } from './state.js';
import { LRML_VERSION } from '../version.js';

export { HttpError, type HttpErrorCode } from './http-error.js';

/** Bounds on what one request may ask for, and on the work the server takes on at once. */
export interface ServeLimits {
  /** Largest k accepted (default 1000; at most MAX_K). */
  maxK: number;
  /** Most items in a POST /recommend body (default 1000). */
  maxItems: number;
  /** Largest request body in bytes (default 65536). */
  maxBodyBytes: number;
  /** Fold-in steps for POST /recommend (default 50). */
  foldInSteps: number;
  /**
   * Most fold-ins (POST /recommend) waiting while one runs (default 32); beyond that the answer is
   * 503 BUSY with Retry-After. Fold-ins run one at a time, GET requests are answered in between.
   */
  foldInQueue: number;
  /**
   * Time limit of a request in ms (default 10000): its body must have arrived (else 408
   * BODY_TIMEOUT) and its fold-in must have started (else 503 TIMEOUT) by then. A fold-in that has
   * started runs to its end (bounded by foldInSteps and maxItems).
   */
  requestTimeoutMs: number;
}

/** The default {@link ServeLimits}. */
export const DEFAULT_LIMITS: Readonly<ServeLimits> = Object.freeze({
  maxK: 1000,
  maxItems: 1000,
  maxBodyBytes: 65536,
  foldInSteps: 50,
  foldInQueue: 32,
  requestTimeoutMs: 10000,
});

/** Host names every server answers to (the loopback names), without port. */
export const LOOPBACK_HOSTS: readonly string[] = Object.freeze(['localhost', '127.0.0.1', '[::1]']);

/** What the app needs: the model holder, limits, admin token, Host names, and a log sink. */
export interface ServeState {
  holder: ModelHolder;
  limits?: Partial<ServeLimits>;
  /**
   * Token of POST /admin/reload, sent as `Authorization: Bearer <token>`. Without one the endpoint
   * is disabled (403); reload with SIGHUP instead.
   */
  adminToken?: string;
  /**
   * Host names (without port; IPv6 in brackets) the API answers to; other Host headers get 403
   * BAD_HOST (a defence against DNS rebinding). Default: {@link LOOPBACK_HOSTS}. `null`: any Host
   * (for a server bound to a public interface), except on /admin/*, which always requires a
   * loopback name or one of these.
   */
  allowedHosts?: readonly string[] | null;
  /** While it returns true, queued fold-ins do not start (the server, while it accepts its backlog of connections on close). */
  holdFoldIns?: () => boolean;
  /** Receives one line per notable event (reloads, aborted requests, internal errors), led by its level (info / warn / error); nothing is printed otherwise. */
  log?: (line: string) => void;
  /**
   * Item titles (an items file's id → title and genres, e.g. from `loadItemsFile`): the items of
   * /recommend, /similar and /explain answers gain `title` and `genres` (items it does not name: none),
   * and /model says how many of the model's items have one. Used when the holder's snapshot has no
   * titles of its own (titles given to the `ModelHolder` are re-read with the model on reload);
   * these are kept across reloads.
   */
  titles?: ItemTitles;
  /** How GET /recommend finds candidates (`RecommendOptions.search`, `candidateCount`; default: `auto`). */
  search?: Pick<RecommendOptions, 'search' | 'candidateCount'>;
}

/** HTTP status of an error code. */
export function statusOf(code: HttpErrorCode): 400 | 401 | 403 | 404 | 408 | 413 | 500 | 503 {
  switch (code) {
    case 'UNKNOWN_USER':
    case 'UNKNOWN_ITEM':
    case 'NOT_FOUND':
      return 404;
    case 'TOO_LARGE':
      return 413;
    case 'FORBIDDEN':
    case 'BAD_HOST':
      return 403;
    case 'UNAUTHORIZED':
      return 401;
    case 'BODY_TIMEOUT':
      return 408;
    case 'BUSY':
    case 'TIMEOUT':
      return 503;
    case 'BAD_OPTION':
    case 'BAD_VALUE':
    case 'BAD_JSON':
    case 'ABORTED':
      return 400;
    default:
      return 500;
  }
}

/**
 * The log line of a successful reload: file, generation, kind, size, and the titles matched.
 *
 * @example
 * ```ts
 * log(`info: ${reloadedLine(holder.current)}`); // reloaded m.lrml (generation 2, lrml, 60 users, 48 items)
 * ```
 */
export function reloadedLine(s: ModelSnapshot): string {
  const t = s.titles === undefined ? '' : `, titles: ${titleCoverage(s.model, s.titles).matched} of ${s.model.model.numItems} items`;
  return `reloaded ${s.path} (generation ${s.generation}, ${s.model.model.kind}, ${s.model.model.numUsers} users, ${s.model.model.numItems} items${t})`;
}

/** Bindings @hono/node-server passes: the Node request (for the peer address). */
type Env = {
  Bindings: { incoming?: { socket?: { remoteAddress?: string } } };
  Variables: { snapshot: ModelSnapshot; deadline: number };
};

function isLoopback(addr: string | undefined): boolean {
  if (addr === undefined) return false;
  return addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.');
}

/** Refuses query parameters a route does not know (as POST refuses unknown body fields): BAD_OPTION naming them and the known ones. */
function knownQuery(c: Context<Env>, known: readonly string[]): void {
  for (const key of Object.keys(c.req.queries())) {
    if (!known.includes(key)) throw new LrmlError('BAD_OPTION', `unknown query parameter "${key}" (known: ${known.join(', ')})`);
  }
}

function queryInt(c: Context<Env>, name: string, def: number, max: number): number {
  const raw = c.req.query(name);
  if (raw === undefined) return def;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(v) || v < 1 || v > max) {
    throw new LrmlError('BAD_OPTION', `invalid ${name}: ${JSON.stringify(raw)} (expected an integer in [1, ${max}])`);
  }
  return v;
}

function requiredQuery(c: Context<Env>, name: string): string {
  const v = c.req.query(name);
  if (v === undefined || v === '') throw new LrmlError('BAD_OPTION', `missing query parameter "${name}"`);
  return v;
}

function queryBool(c: Context<Env>, name: string): boolean {
  const raw = c.req.query(name);
  if (raw === undefined) return false;
  if (raw === '' || raw === '1' || raw === 'true') return true;
  if (raw === '0' || raw === 'false') return false;
  throw new LrmlError('BAD_OPTION', `invalid ${name}: ${JSON.stringify(raw)} (expected true or false)`);
}

function queryList(c: Context<Env>, name: string, max: number): string[] | undefined {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return undefined;
  const xs = raw.split(',');
  if (xs.length > max) throw new LrmlError('TOO_LARGE', `${name}: ${xs.length} ids given; at most ${max} are accepted`);
  return xs;
}

/** One read of the body stream, racing the request's deadline (BODY_TIMEOUT) and mapping stream errors to ABORTED. */
async function readChunk(reader: ReadableStreamDefaultReader<Uint8Array>, deadline: number): Promise<ReadableStreamReadResult<Uint8Array>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HttpError('BODY_TIMEOUT', 'the request body did not arrive within the time limit', { Connection: 'close' })), Math.max(0, deadline - performance.now()));
  });
  try {
    return await Promise.race([reader.read(), timeout]);
  } catch (e) {
    if (e instanceof HttpError) {
      reader.cancel().catch(() => undefined);
      throw e;
    }
    // the stream of the request body failed: the client closed or reset the connection (or Node's own timeout cut it)
    const err = e as Error & { code?: string };
    throw new HttpError('ABORTED', `the request body was not received: ${err.code ?? err.message ?? String(e)}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads the body as text, at most `max` bytes (TOO_LARGE otherwise, checked before and while
 * reading), by `deadline` (performance.now() time; BODY_TIMEOUT otherwise).
 */
async function readBody(c: Context<Env>, max: number, deadline: number): Promise<string> {
  const len = c.req.header('content-length');
  if (len !== undefined && Number(len) > max) throw new LrmlError('TOO_LARGE', `request body of ${len} bytes exceeds the limit of ${max} bytes`);
  const body = c.req.raw.body;
  if (body === null) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await readChunk(reader, deadline);
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw new LrmlError('TOO_LARGE', `request body exceeds the limit of ${max} bytes`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(total);
  let off = 0;
  for (const ch of chunks) {
    all.set(ch, off);
    off += ch.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(all);
  } catch {
    throw new HttpError('BAD_JSON', 'request body is not valid UTF-8');
  }
}

async function readJson(c: Context<Env>, max: number, deadline: number): Promise<Record<string, unknown>> {
  const text = await readBody(c, max, deadline);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new HttpError('BAD_JSON', `request body is not valid JSON: ${(e as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new HttpError('BAD_JSON', 'request body must be a JSON object');
  return v as Record<string, unknown>;
}

function stringList(v: unknown, name: string, max: number): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new LrmlError('BAD_OPTION', `"${name}" must be an array of strings`);
  if (v.length > max) throw new LrmlError('TOO_LARGE', `"${name}": ${v.length} ids given; at most ${max} are accepted`);
  return v as string[];
}

function bodyInt(v: unknown, name: string, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new LrmlError('BAD_OPTION', `invalid ${name}: ${JSON.stringify(v)} (expected an integer in [${min}, ${max}])`);
  }
  return v;
}

/** The model's training metadata without what is private to the machine that trained it (the data file's path, lines quoted from it). */
function publicMeta(meta: Record<string, unknown> | null | undefined): Record<string, unknown> | null {
  if (meta === null || meta === undefined || typeof meta !== 'object') return meta ?? null;
  const out: Record<string, unknown> = { ...meta };
  delete out.data;
  const summary = out.loadSummary;
  if (summary !== null && typeof summary === 'object' && !Array.isArray(summary)) {
    const { file: _file, badLineExamples: _examples, ...rest } = summary as Record<string, unknown>;
    out.loadSummary = rest;
  }
  return out;
}

/** What GET /model reports (no paths: only the model file's name). */
function describe(s: ModelSnapshot): Record<string, unknown> {
  const m = s.model;
  const config = { ...m.model.config() };
  return {
    kind: m.model.kind,
    config,
    numUsers: m.model.numUsers,
    numItems: m.model.numItems,
    interactions: m.seen === null ? null : m.seen.nnz,
    meta: publicMeta(m.meta as Record<string, unknown> | null | undefined),
    file: s.path === null ? null : s.path.split(/[\\/]/).pop(),
    loadedAt: s.loadedAt,
    generation: s.generation,
  };
}

/** The host names of a request (Host header and the URL's host), lower case, without port. */
function requestHosts(c: Context<Env>): string[] {
  const strip = (h: string): string => {
    const x = h.trim().toLowerCase();
    if (x.startsWith('[')) return x.slice(0, x.indexOf(']') + 1);
    return x.replace(/:\d*$/, '');
  };
  const out = [strip(new URL(c.req.url).host)];
  const header = c.req.header('host');
  if (header !== undefined) out.push(strip(header));
  return out;
}

function sameToken(given: string, expected: string): boolean {
  const h = (x: string): Buffer => createHash('sha256').update(x, 'utf8').digest();
  return timingSafeEqual(h(given), h(expected));
}

/**
 * The HTTP API as a hono app (no socket: tests call `app.request(...)`; {@link startServer} serves
 * it). Every response carries `x-lrml-model-generation`, the generation of the model that answered.
 *
 * Routes: `GET /health`, `GET /model`,
 * `GET /recommend?user=ID&k=10[&include=a,b][&exclude=c][&includeSeen=true][&skipUnknown=true]`,
 * `POST /recommend` with `{"items": [...], "k": 10}` (new user via fold-in; with `"user": ID`, that
 * known user's history plus the items; queued: at most `limits.foldInQueue` waiting), `GET /similar?item=ID&k=10`, `GET /explain?user=ID&item=ID[&profile=true]`,
 * `POST /admin/reload` (loopback peers, loopback Host, `Authorization: Bearer <adminToken>`).
 *
 * @example
 * ```ts
 * const app = createApp({ holder: new ModelHolder(await loadModel('m.lrml'), 'm.lrml') });
 * const res = await app.request('/recommend?user=42&k=5');
 * console.log(await res.json());
 * ```
 */
export function createApp(state: ServeState): Hono<Env> {
  const limits: ServeLimits = { ...DEFAULT_LIMITS, ...state.limits };
  limits.maxK = Math.min(limits.maxK, MAX_K);
  if (!Number.isInteger(limits.foldInQueue) || limits.foldInQueue < 0) throw badOption('foldInQueue', limits.foldInQueue, 'an integer ≥ 0');
  if (!Number.isInteger(limits.requestTimeoutMs) || limits.requestTimeoutMs < 1 || limits.requestTimeoutMs > 2 ** 31 - 1) {
    throw badOption('requestTimeoutMs', limits.requestTimeoutMs, 'an integer in [1, 2147483647] (ms)');
  }
  const log = state.log ?? (() => undefined);
  const search = state.search ?? {};
  const queue = new JobQueue(limits.foldInQueue, 8, state.holdFoldIns);
  const allowed = state.allowedHosts === undefined ? LOOPBACK_HOSTS : state.allowedHosts;
  const adminHosts = new Set([...LOOPBACK_HOSTS, ...(allowed ?? [])].map((h) => h.toLowerCase()));
  const apiHosts = allowed === null ? null : new Set(allowed.map((h) => h.toLowerCase()));
  const app = new Hono<Env>();

  // every request works on the snapshot current at its start, and must be answered by its deadline
  const snap = (c: Context<Env>): ModelSnapshot => c.get('snapshot');
  app.use('*', async (c, next) => {
    const s = state.holder.current;
    c.set('snapshot', s);
    c.set('deadline', performance.now() + limits.requestTimeoutMs);
    if (apiHosts !== null) {
      const bad = requestHosts(c).find((h) => !apiHosts.has(h));
      if (bad !== undefined) throw new HttpError('BAD_HOST', `Host ${JSON.stringify(bad)} is not served here (allowed: ${[...apiHosts].join(', ')})`);
    }
    await next();
    c.header('x-lrml-model-generation', String(s.generation));
  });

  app.get('/health', (c) => {
    const s = snap(c);
    return c.json({ status: 'ok', version: LRML_VERSION, generation: s.generation, loadedAt: s.loadedAt });
  });

  // the titles of the request's snapshot (re-read with its model), else the app's fixed ones
  const titlesOf = (c: Context<Env>): ItemTitles | undefined => snap(c).titles ?? state.titles;
  app.get('/model', (c) => {
    const s = snap(c);
    const titles = titlesOf(c);
    return c.json({
      ...describe(s), limits,
      candidates: { search: searchMode(s.model, search), candidateCount: search.candidateCount ?? DEFAULT_CANDIDATE_COUNT },
      ...(titles === undefined ? {} : { titles: { entries: titles.size, matched: titleCoverage(s.model, titles).matched } }),
    });
  });

  app.get('/recommend', async (c) => {
    const m = snap(c).model;
    const titles = titlesOf(c);
    knownQuery(c, ['user', 'k', 'include', 'exclude', 'includeSeen', 'skipUnknown']);
    const user = requiredQuery(c, 'user');
    const k = queryInt(c, 'k', 10, limits.maxK);
    const include = queryList(c, 'include', limits.maxItems);
    if (c.req.query('include') === '') throw new LrmlError('BAD_OPTION', 'include is empty (expected comma-separated item ids)');
    const exclude = queryList(c, 'exclude', limits.maxItems);
    const r = await recommendAsync(m, user, { k, excludeSeen: !queryBool(c, 'includeSeen'), skipUnknown: queryBool(c, 'skipUnknown'), ...(include ? { include } : {}), ...(exclude ? { exclude } : {}), ...search });
    return c.json(titles === undefined ? r : titledRecommendations(r, titles));
  });

  app.post('/recommend', async (c) => {
    const m = snap(c).model;
    const titles = titlesOf(c);
    const deadline = c.get('deadline');
    queue.refuseIfFull(); // before reading the body: refusing costs little under overload
    const body = await readJson(c, limits.maxBodyBytes, deadline);
    const fields = ['items', 'user', 'k', 'include', 'exclude', 'skipUnknown', 'seed', 'ignoreUnknown'];
    for (const key of Object.keys(body)) {
      if (!fields.includes(key)) throw new LrmlError('BAD_OPTION', `unknown field "${key}" (known: ${fields.join(', ')})`);
    }
    if (body.items === undefined) throw new LrmlError('BAD_OPTION', 'missing field "items" (an array of item ids)');
    if (body.user !== undefined && (typeof body.user !== 'string' || body.user === '')) throw new LrmlError('BAD_OPTION', '"user" must be a non-empty string (a user id of the model)');
    const items = stringList(body.items, 'items', limits.maxItems);
    const include = body.include === undefined ? undefined : stringList(body.include, 'include', limits.maxItems);
    const exclude = body.exclude === undefined ? undefined : stringList(body.exclude, 'exclude', limits.maxItems);
    const k = bodyInt(body.k, 'k', 10, 1, limits.maxK);
    const seed = bodyInt(body.seed, 'seed', 0, 0, 2 ** 31 - 1);
    for (const f of ['ignoreUnknown', 'skipUnknown'] as const) {
      if (body[f] !== undefined && typeof body[f] !== 'boolean') throw new LrmlError('BAD_OPTION', `"${f}" must be true or false`);
    }
    const options = {
      k,
      skipUnknown: body.skipUnknown === true,
      ...(include ? { include } : {}),
      ...(exclude ? { exclude } : {}),
      foldIn: { seed, steps: limits.foldInSteps, ignoreUnknown: body.ignoreUnknown === true },
    };
    // refuse bad ids and unknown users before queueing
    checkFilters(m, options);
    const user = body.user as string | undefined;
    if (user !== undefined && !m.users.has(user)) throw new LrmlError('UNKNOWN_USER', `unknown user ${JSON.stringify(user)}`);
    resolveItems(m, items, body.ignoreUnknown === true); // unknown or no usable items: refused before queueing too
    // the fold-in is CPU-heavy and synchronous: one at a time, GETs answered in between
    const r = await queue.run(() => (user === undefined ? recommendForItems(m, items, options) : recommendForSession(m, user, items, options)), {
      deadline,
      signal: c.req.raw.signal,
    });
    return c.json(titles === undefined ? r : titledRecommendations(r, titles));
  });

  app.get('/similar', (c) => {
    const m = snap(c).model;
    const titles = titlesOf(c);
    knownQuery(c, ['item', 'k']);
    const item = requiredQuery(c, 'item');
    const k = queryInt(c, 'k', 10, limits.maxK);
    const s = similarItems(m, item, { k });
    return c.json(titles === undefined ? s : titledSimilar(s, titles));
  });

  app.get('/explain', (c) => {
    const m = snap(c).model;
    const titles = titlesOf(c);
    knownQuery(c, ['user', 'item', 'profile']);
    const e = explain(m, requiredQuery(c, 'user'), requiredQuery(c, 'item'));
    const profile = queryBool(c, 'profile') ? slotProfile(m, e.slots[0].slot, { k: 5, sample: 2000 }) : undefined;
    if (titles !== undefined) return c.json(titledExplanation(e, titles, profile));
    return c.json(profile === undefined ? e : { ...e, profile });
  });

  // admin: a loopback peer, a loopback (or allowed) Host, no Origin (not a browser page), the token
  app.use('/admin/*', async (c, next) => {
    if (!isLoopback(c.env?.incoming?.socket?.remoteAddress)) throw new HttpError('FORBIDDEN', 'admin endpoints answer loopback clients only');
    const bad = requestHosts(c).find((h) => !adminHosts.has(h));
    if (bad !== undefined) throw new HttpError('BAD_HOST', `Host ${JSON.stringify(bad)} is not allowed on admin endpoints (allowed: ${[...adminHosts].join(', ')})`);
    if (c.req.header('origin') !== undefined) throw new HttpError('FORBIDDEN', 'admin endpoints refuse requests from web pages (an Origin header was sent)');
    if (state.adminToken === undefined || state.adminToken === '') {
      throw new HttpError('FORBIDDEN', 'admin endpoints are disabled: start the server with --admin-token (or LRML_ADMIN_TOKEN), or reload with SIGHUP');
    }
    const auth = c.req.header('authorization') ?? '';
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(auth);
    if (m === null || !sameToken(m[1], state.adminToken)) {
      throw new HttpError('UNAUTHORIZED', 'admin endpoints need the header "Authorization: Bearer <admin token>"', { 'WWW-Authenticate': 'Bearer' });
    }
    await next();
  });

  app.post('/admin/reload', async (c) => {
    const before = state.holder.current;
    try {
      const s = await state.holder.reload();
      log(`info: ${reloadedLine(s)}`);
      return c.json({ reloaded: true, previousGeneration: before.generation, ...describe(s) });
    } catch (e) {
      log(`warn: reload failed, still serving generation ${state.holder.current.generation}: ${(e as Error).message}`);
      throw e;
    }
  });

  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404));

  app.onError((err, c) => {
    let code: HttpErrorCode;
    let message: string;
    const where = `${c.req.method} ${new URL(c.req.url).pathname}`;
    if (err instanceof LrmlError || err instanceof HttpError) {
      code = err.code;
      message = err.message;
      if (err instanceof HttpError) for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
      // the client is gone or too slow: one line, no stack (not an internal error)
      if (code === 'ABORTED') log(`info: ${where}: ${message}`);
      if (code === 'BODY_TIMEOUT') log(`warn: ${where}: ${message} (${limits.requestTimeoutMs} ms)`);
    } else {
      code = 'INTERNAL';
      message = 'internal error';
      log(`error: internal error on ${where}: ${err.stack ?? String(err)}`);
    }
    return c.json({ error: { code, message } }, statusOf(code));
  });

  return app;
}
