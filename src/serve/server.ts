// A real HTTP server around the app: binds to 127.0.0.1 unless told otherwise, closes gracefully.

import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { LrmlError } from '../errors.js';
import type { LoadedModel } from '../io/format.js';
import { loadModel } from '../io/model-file.js';
import { createApp, type ServeLimits } from './app.js';
import { ModelHolder } from './state.js';

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
  /** On close, connections still busy after this many ms are cut (default 10000). */
  graceMs?: number;
  /** One line per notable event (start, reload, errors, shutdown). Default: silent. */
  log?: (line: string) => void;
}

/** A started server. */
export interface RunningServer {
  /** e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly holder: ModelHolder;
  readonly server: Server;
  /** Re-reads the model file and swaps it in (throws, keeping the old model, on a bad file). */
  reload(): Promise<void>;
  /** Stops accepting connections, lets requests in flight finish (up to graceMs), resolves when closed. */
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
  const holder = new ModelHolder(model, path);
  const app = createApp({ holder, limits: options.limits, log });
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
  let closing: Promise<void> | null = null;
  log(`serving ${model.model.kind} model${path === null ? '' : ` ${path}`} (${model.model.numUsers} users, ${model.model.numItems} items) on ${url}`);
  return {
    url,
    host: addr.address,
    port: addr.port,
    holder,
    server,
    async reload() {
      try {
        const s = await holder.reload();
        log(`reloaded ${s.path} (generation ${s.generation})`);
      } catch (e) {
        log(`reload failed, still serving generation ${holder.current.generation}: ${(e as Error).message}`);
        throw e;
      }
    },
    close() {
      if (closing !== null) return closing;
      closing = new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          log(`closing: connections still busy after ${graceMs} ms are cut`);
          server.closeAllConnections();
        }, graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          log('server closed');
          resolve();
        });
        // idle keep-alive connections would hold close() open
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
