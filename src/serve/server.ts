// A real HTTP server around the app: binds to 127.0.0.1 unless told otherwise, drains on close.

import { serve } from '@hono/node-server';
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { LrmlError } from '../errors.js';
import type { LoadedModel } from '../io/format.js';
import { loadModel } from '../io/model-file.js';
import { createApp, LOOPBACK_HOSTS, reloadedLine, type ServeLimits } from './app.js';
import { loadItemsFile } from '../data/side-info.js';
import type { ItemsFormat } from '../data/side-text.js';
import { ModelHolder } from './state.js';
import { attachCandidateIndex, indexSettings, type IndexMetric, type IndexQuantization } from '../io/ann-index.js';
import { searchMode, type ItemTitles, type SearchMode } from '../recommend/index.js';

/** Options of {@link startServer}: a model file (reloadable) or a model in memory. */
export interface StartOptions {
  /** Model file to serve (and re-read on reload). */
  modelPath?: string;
  /** A model already in memory (no reload from file then). */
  model?: LoadedModel;
  /** Interface to bind (default 127.0.0.1: loopback only). */
  host?: string;
  /** Port (default 8080; 0 = any free port). */
  port?: number;
  limits?: Partial<ServeLimits>;
  /** Token of POST /admin/reload (`Authorization: Bearer <token>`); without one the endpoint is disabled. */
  adminToken?: string;
  /**
   * More Host names (without port) to answer to. A server bound to a loopback address answers only
   * to the loopback names (localhost, 127.0.0.1, [::1]) and these (403 BAD_HOST otherwise: DNS
   * rebinding); one bound elsewhere answers to any Host unless names are given here.
   */
  allowedHosts?: readonly string[];
  /**
   * Candidates of GET /recommend (see `RecommendOptions.search`): `search` `exact`, `ann` or `auto`
   * (default: an index from 50,000 items of an lrml / cml model, when usearch is installed),
   * `candidateCount`, `rebuildIndex`, and the index's build settings `connectivity` (HNSW M),
   * `expansionAdd` (efConstruction), `metric` (lifted | l2sq) and `quantization` (i8 | f16 | f32). The index is loaded from `<model>.index` or built and saved
   * next to the model file (in memory for a model given in memory), at start and on every reload.
   * `searchThreads`: worker threads that search the saved index, so the main thread keeps
   * answering while searches run on the other cores (default 0: on the main thread, which costs
   * a lifted i8 index well under a millisecond a search, less than the round trip to a thread,
   * and holds one copy of the index instead of one a thread; none for a model given in memory).
   */
  candidates?: { search?: SearchMode; candidateCount?: number; rebuildIndex?: boolean; connectivity?: number; expansionAdd?: number; metric?: IndexMetric; quantization?: IndexQuantization; searchThreads?: number };
  /** On close, connections still busy after this many ms are cut (default 10000). */
  graceMs?: number;
  /** One line per notable event (start, reload, errors, shutdown). Default: silent. */
  log?: (line: string) => void;
  /** Item titles attached to the answers (see `ServeState.titles`), e.g. `await loadItemsFile('movies.csv')`; kept across reloads. */
  titles?: ItemTitles;
  /**
   * An items file whose titles are attached to the answers (`format` as `loadItemsFile`'s, default
   * auto): read at start, before the model, and again with the model on every reload (a bad file
   * fails the reload; the old model and titles keep serving). Not with `titles`.
   */
  titlesFile?: { path: string; format?: ItemsFormat };
}

/** A started server. */
export interface RunningServer {
  /** e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly holder: ModelHolder;
  readonly server: Server;
  /** Re-reads the model file (and the titles file) and swaps them in (throws, keeping the old model and titles, on a bad file). */
  reload(): Promise<void>;
  /**
   * Drains and stops: closes idle keep-alive connections, answers the requests in flight with
   * `Connection: close`, accepts the connections waiting in the backlog, then stops listening
   * (connections accepted without a request yet get up to 2 s to send one, answered the same way);
   * resolves when every connection is closed; connections still busy after graceMs are cut.
   */
  close(): Promise<void>;
}

/**
 * Starts the HTTP service on host:port (default 127.0.0.1:8080) with a model file or a model in
 * memory. Prints nothing (pass `log`), installs no signal handlers (the CLI does), never exits.
 *
 * @example
 * ```ts
 * const srv = await startServer({ modelPath: 'm.lrml', port: 0 });
 * const r = await (await fetch(`${srv.url}/recommend?user=42`)).json();
 * await srv.close();
 * ```
 */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new LrmlError('BAD_OPTION', `invalid port: ${port} (expected an integer in [0, 65535])`);
  if (options.titles !== undefined && options.titlesFile !== undefined) throw new LrmlError('BAD_OPTION', 'give titles or titlesFile, not both');
  const tf = options.titlesFile;
  const loadTitles = tf === undefined ? undefined : () => loadItemsFile(tf.path, tf.format ?? 'auto');
  // the titles first: a bad items file fails before the (larger) model is read
  const titles = loadTitles === undefined ? undefined : await loadTitles();
  let model: LoadedModel;
  let path: string | null = null;
  if (options.model !== undefined) {
    model = options.model;
  } else if (options.modelPath !== undefined) {
    path = options.modelPath;
    model = await loadModel(path);
  } else {
    throw new LrmlError('BAD_OPTION', 'startServer needs modelPath or model');
  }
  const log = options.log ?? (() => undefined);
  const cands = options.candidates ?? {};
  const search = { search: cands.search ?? 'auto', ...(cands.candidateCount === undefined ? {} : { candidateCount: cands.candidateCount }) };
  const prepare = async (m: LoadedModel, p: string | null): Promise<void> => {
    await attachCandidateIndex(m, p, {
      search: search.search, rebuild: cands.rebuildIndex === true, log: (line) => log(`info: ${line}`),
      ...indexSettings(cands),
      // searches on worker threads (none by default) need the saved index file
      ...(p === null ? {} : { searchThreads: cands.searchThreads ?? 0, onWarning: (line: string) => log(`warn: ${line}`) }),
    });
    searchMode(m, search); // a bad candidateCount fails here, before serving
  };
  await prepare(model, path);
  const holder = new ModelHolder(model, path, prepare, { ...(titles === undefined ? {} : { titles }), ...(loadTitles === undefined ? {} : { load: loadTitles }) });
  const extra = options.allowedHosts ?? [];
  // a loopback bind (any 127.x address, ::1) answers the loopback names and its own address
  const allowedHosts = isLoopbackHost(host) || extra.length > 0 ? [...new Set([...LOOPBACK_HOSTS, ...(isLoopbackHost(host) ? [host.includes(':') && !host.startsWith('[') ? `[${host}]` : host] : []), ...extra])] : null;
  // fold-ins wait while close accepts the backlog of connections (see Drainer.drain)
  const hold = { foldIns: false };
  const app = createApp({
    holder, limits: options.limits, log, allowedHosts, search, holdFoldIns: () => hold.foldIns,
    ...(options.adminToken === undefined ? {} : { adminToken: options.adminToken }),
    ...(options.titles === undefined ? {} : { titles: options.titles }),
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s as Server)) as Server;
    s.once('error', (e: NodeJS.ErrnoException) => {
      reject(new LrmlError('BAD_OPTION', `cannot listen on ${host}:${port}: ${e.code ?? ''} ${e.message}`.trim()));
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${shownHost}:${addr.port}`;
  const graceMs = options.graceMs ?? 10000;
  const drainer = new Drainer(server, hold);
  let closing: Promise<void> | null = null;
  log(`info: serving ${model.model.kind} model${path === null ? '' : ` ${path}`} (${model.model.numUsers} users, ${model.model.numItems} items, ${searchMode(model, search) === 'ann' ? 'index candidates' : 'exact scoring'}) on ${url}`);
  return {
    url,
    host: addr.address,
    port: addr.port,
    holder,
    server,
    async reload() {
      try {
        log(`info: ${reloadedLine(await holder.reload())}`);
      } catch (e) {
        log(`warn: reload failed, still serving generation ${holder.current.generation}: ${(e as Error).message}`);
        throw e;
      }
    },
    close() {
      if (closing !== null) return closing;
      closing = new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          log(`warn: closing: connections still busy after ${graceMs} ms are cut`);
          drainer.cut();
        }, graceMs);
        timer.unref();
        drainer.drain(Math.min(FRESH_GRACE_MS, graceMs), graceMs / 2, () => {
          clearTimeout(timer);
          void Promise.resolve(holder.current.model.index?.close?.()).finally(() => {
            log('info: server closed');
            resolve();
          });
        });
      });
      return closing;
    },
  };
}

/** How long a connection accepted before close but without a request yet may take to send one. */
const FRESH_GRACE_MS = 2000;

function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** Per connection: requests being answered, and requests answered so far. */
interface ConnectionState {
  active: number;
  served: number;
}

/**
 * Tracks connections and responses so that close can drain: stop listening, close idle keep-alive
 * connections at once, answer every request in flight with `Connection: close`, give connections
 * accepted just before (no request yet) a short grace to send theirs, and close each connection as
 * its last response is finished.
 */
class Drainer {
  private readonly conns = new Map<Socket, ConnectionState>();
  private readonly responses = new Set<ServerResponse>();
  private draining = false;
  private freshGraceMs = FRESH_GRACE_MS;
  /** Connections accepted since the last look (draining: is the backlog empty yet?). */
  private accepted = 0;

  constructor(
    private readonly server: Server,
    /** foldIns: true while close accepts the connections of the backlog (a fold-in would take a turn's time) */
    private readonly hold: { foldIns: boolean },
  ) {
    server.on('connection', (sock: Socket) => {
      this.conns.set(sock, { active: 0, served: 0 });
      this.accepted++;
      sock.once('close', () => this.conns.delete(sock));
      if (this.draining) this.fresh(sock, this.freshGraceMs);
    });
    // first in line, before the app's listener answers (a GET may be answered synchronously)
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      const st = this.conns.get(req.socket);
      if (st !== undefined) st.active++;
      this.responses.add(res);
      if (this.draining) res.shouldKeepAlive = false;
      res.once('close', () => {
        this.responses.delete(res);
        if (st === undefined) return;
        st.active--;
        st.served++;
        // a response that went out with keep-alive before the drain began: close its connection now
        if (this.draining && st.active === 0 && !req.socket.destroyed) req.socket.destroySoon();
      });
    });
  }

  /** A connection without a request yet: closed unless a request arrives within `ms`. */
  private fresh(sock: Socket, ms: number): void {
    const t = setTimeout(() => {
      const st = this.conns.get(sock);
      if (st !== undefined && st.active === 0 && st.served === 0) sock.destroy();
    }, ms);
    t.unref();
    sock.once('close', () => clearTimeout(t));
  }

  /**
   * Starts draining; `done` is called once the listener and every connection are closed. The
   * listener stays open while connections wait in the backlog, at most `backlogMs`.
   */
  drain(freshGraceMs: number, backlogMs: number, done: () => void): void {
    this.draining = true;
    this.freshGraceMs = freshGraceMs;
    // Stop listening once the connections waiting in the kernel's backlog are accepted (closing the
    // listener resets them, and Node accepts one per event-loop turn: a busy loop leaves many):
    // turn after turn, fold-ins held, until two turns accept nothing or backlogMs have passed
    // (clients may keep connecting). net.Server's close, not http.Server's: the latter also destroys
    // connections accepted a moment ago whose request has not arrived yet (they count as idle), and
    // their clients would see a reset.
    let quiet = 0;
    const until = performance.now() + backlogMs;
    this.accepted = 0;
    this.hold.foldIns = true;
    const step = (): void => {
      quiet = this.accepted === 0 ? quiet + 1 : 0;
      this.accepted = 0;
      if (quiet >= 2 || performance.now() > until) {
        this.hold.foldIns = false;
        NetServer.prototype.close.call(this.server, () => done());
      } else {
        setImmediate(step);
      }
    };
    setImmediate(step);
    for (const res of this.responses) if (!res.headersSent) res.shouldKeepAlive = false;
    for (const [sock, st] of this.conns) {
      if (st.active > 0) continue; // answered with Connection: close, then closed
      if (st.served > 0) sock.destroy(); // idle keep-alive
      else this.fresh(sock, this.freshGraceMs);
    }
  }

  /** Cuts every connection still open. */
  cut(): void {
    this.server.closeAllConnections();
    for (const sock of this.conns.keys()) sock.destroy();
  }
}
