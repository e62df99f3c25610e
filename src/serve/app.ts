// The HTTP API (hono): JSON in and out, errors as {"error": {"code", "message"}}.

import { Hono, type Context } from 'hono';
import { LrmlError, type ErrorCode } from '../errors.js';
import { explain, recommend, recommendForItems, similarItems, slotProfile, MAX_K } from '../recommend/index.js';
import type { ModelHolder, ModelSnapshot } from './state.js';

/** Bounds on what one request may ask for. */
export interface ServeLimits {
  /** Largest k accepted (default 1000; at most MAX_K). */
  maxK: number;
  /** Most items in a POST /recommend body (default 1000). */
  maxItems: number;
  /** Largest request body in bytes (default 65536). */
  maxBodyBytes: number;
  /** Fold-in steps for POST /recommend (default 50). */
  foldInSteps: number;
}

/** The default {@link ServeLimits}. */
export const DEFAULT_LIMITS: Readonly<ServeLimits> = Object.freeze({ maxK: 1000, maxItems: 1000, maxBodyBytes: 65536, foldInSteps: 50 });

/** Error codes of the HTTP API: the library's, plus the HTTP-only ones. */
export type HttpErrorCode = ErrorCode | 'NOT_FOUND' | 'FORBIDDEN' | 'BAD_JSON';

/** What the app needs: the model holder, limits, and an optional log sink (one line per event). */
export interface ServeState {
  holder: ModelHolder;
  limits?: Partial<ServeLimits>;
  /** Receives one line per notable event (reloads, internal errors); nothing is printed otherwise. */
  log?: (line: string) => void;
}

/** HTTP status of an error code. */
export function statusOf(code: HttpErrorCode): 400 | 403 | 404 | 413 | 500 {
  switch (code) {
    case 'UNKNOWN_USER':
    case 'UNKNOWN_ITEM':
    case 'NOT_FOUND':
      return 404;
    case 'TOO_LARGE':
      return 413;
    case 'FORBIDDEN':
      return 403;
    case 'BAD_OPTION':
    case 'BAD_VALUE':
    case 'BAD_JSON':
      return 400;
    default:
      return 500;
  }
}

class HttpError extends Error {
  constructor(readonly code: HttpErrorCode, message: string) {
    super(message);
  }
}

/** Bindings @hono/node-server passes: the Node request (for the peer address). */
type Env = {
  Bindings: { incoming?: { socket?: { remoteAddress?: string } } };
  Variables: { snapshot: ModelSnapshot };
};

function isLoopback(addr: string | undefined): boolean {
  if (addr === undefined) return false;
  return addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.');
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

/** Reads the body as text, at most `max` bytes (TOO_LARGE otherwise, checked before and while reading). */
async function readBody(c: Context<Env>, max: number): Promise<string> {
  const len = c.req.header('content-length');
  if (len !== undefined && Number(len) > max) throw new LrmlError('TOO_LARGE', `request body of ${len} bytes exceeds the limit of ${max} bytes`);
  const body = c.req.raw.body;
  if (body === null) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
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

async function readJson(c: Context<Env>, max: number): Promise<Record<string, unknown>> {
  const text = await readBody(c, max);
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

/** What GET /model reports. */
function describe(s: ModelSnapshot): Record<string, unknown> {
  const m = s.model;
  const config = { ...m.model.config() };
  return {
    kind: m.model.kind,
    config,
    numUsers: m.model.numUsers,
    numItems: m.model.numItems,
    interactions: m.seen === null ? null : m.seen.nnz,
    meta: m.meta,
    file: s.path === null ? null : s.path.split(/[\\/]/).pop(),
    loadedAt: s.loadedAt,
    generation: s.generation,
  };
}

/**
 * The HTTP API as a hono app (no socket: tests call `app.request(...)`; {@link startServer} serves
 * it). Every response carries `x-lrml-model-generation`, the generation of the model that answered.
 *
 * Routes: `GET /health`, `GET /model`, `GET /recommend?user=ID&k=10[&exclude=a,b][&includeSeen=true]`,
 * `POST /recommend` with `{"items": [...], "k": 10}` (new user via fold-in), `GET /similar?item=ID&k=10`,
 * `GET /explain?user=ID&item=ID[&profile=true]`, `POST /admin/reload` (loopback peers only).
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
  const log = state.log ?? (() => undefined);
  const app = new Hono<Env>();

  // every request works on the snapshot current at its start
  const snap = (c: Context<Env>): ModelSnapshot => c.get('snapshot');
  app.use('*', async (c, next) => {
    const s = state.holder.current;
    c.set('snapshot', s);
    await next();
    c.header('x-lrml-model-generation', String(s.generation));
  });

  app.get('/health', (c) => {
    const s = snap(c);
    return c.json({ status: 'ok', generation: s.generation, loadedAt: s.loadedAt });
  });

  app.get('/model', (c) => c.json({ ...describe(snap(c)), limits }));

  app.get('/recommend', (c) => {
    const m = snap(c).model;
    const user = requiredQuery(c, 'user');
    const k = queryInt(c, 'k', 10, limits.maxK);
    const exclude = queryList(c, 'exclude', limits.maxItems);
    return c.json(recommend(m, user, { k, excludeSeen: !queryBool(c, 'includeSeen'), ...(exclude ? { exclude } : {}) }));
  });

  app.post('/recommend', async (c) => {
    const m = snap(c).model;
    const body = await readJson(c, limits.maxBodyBytes);
    for (const key of Object.keys(body)) {
      if (!['items', 'k', 'exclude', 'seed', 'ignoreUnknown'].includes(key)) {
        throw new LrmlError('BAD_OPTION', `unknown field "${key}" (known: items, k, exclude, seed, ignoreUnknown)`);
      }
    }
    if (body.items === undefined) throw new LrmlError('BAD_OPTION', 'missing field "items" (an array of item ids)');
    const items = stringList(body.items, 'items', limits.maxItems);
    const exclude = body.exclude === undefined ? undefined : stringList(body.exclude, 'exclude', limits.maxItems);
    const k = bodyInt(body.k, 'k', 10, 1, limits.maxK);
    const seed = bodyInt(body.seed, 'seed', 0, 0, 2 ** 31 - 1);
    if (body.ignoreUnknown !== undefined && typeof body.ignoreUnknown !== 'boolean') throw new LrmlError('BAD_OPTION', '"ignoreUnknown" must be true or false');
    const r = recommendForItems(m, items, {
      k,
      ...(exclude ? { exclude } : {}),
      foldIn: { seed, steps: limits.foldInSteps, ignoreUnknown: body.ignoreUnknown === true },
    });
    return c.json(r);
  });

  app.get('/similar', (c) => {
    const m = snap(c).model;
    const item = requiredQuery(c, 'item');
    const k = queryInt(c, 'k', 10, limits.maxK);
    return c.json(similarItems(m, item, { k }));
  });

  app.get('/explain', (c) => {
    const m = snap(c).model;
    const e = explain(m, requiredQuery(c, 'user'), requiredQuery(c, 'item'));
    if (!queryBool(c, 'profile')) return c.json(e);
    const profile = slotProfile(m, e.slots[0].slot, { k: 5, sample: 2000 });
    return c.json({ ...e, profile });
  });

  app.post('/admin/reload', async (c) => {
    if (!isLoopback(c.env?.incoming?.socket?.remoteAddress)) throw new HttpError('FORBIDDEN', 'admin endpoints answer loopback clients only');
    const before = state.holder.current;
    try {
      const s = await state.holder.reload();
      log(`reloaded ${s.path} (generation ${s.generation}, ${s.model.model.kind}, ${s.model.model.numUsers} users, ${s.model.model.numItems} items)`);
      return c.json({ reloaded: true, previousGeneration: before.generation, ...describe(s) });
    } catch (e) {
      log(`reload failed, still serving generation ${state.holder.current.generation}: ${(e as Error).message}`);
      throw e;
    }
  });

  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404));

  app.onError((err, c) => {
    let code: HttpErrorCode;
    let message: string;
    if (err instanceof LrmlError || err instanceof HttpError) {
      code = err.code;
      message = err.message;
    } else {
      code = 'INTERNAL';
      message = 'internal error';
      log(`internal error on ${c.req.method} ${c.req.url}: ${err.stack ?? String(err)}`);
    }
    return c.json({ error: { code, message } }, statusOf(code));
  });

  return app;
}
