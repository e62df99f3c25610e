import type { Command } from 'commander';
import { startServer } from '../../serve/index.js';
import { LrmlError } from '../../errors.js';
import { parseInteger } from '../options.js';
import { addTitleOptions, noteTitleCoverage, titlesFormatFrom } from '../titles.js';
import { indexSettings } from '../../io/ann-index.js';
import { addCandidateOptions, candidateFlags, checkCandidateFlags, parseAtLeast } from '../candidates.js';

/** An integer flag of at least `min`. */
function atLeast(flag: string, min: number): (v: string) => number {
  const int = parseInteger(flag);
  return (v: string) => {
    const x = int(v);
    if (x < min) throw new LrmlError('BAD_OPTION', `${flag}: "${v}" is below ${min}`);
    return x;
  };
}

/**
 * Registers `lrml serve --model M [--host 127.0.0.1] [--port 8080]`: the HTTP service. Logs to
 * stderr. SIGTERM / SIGINT: drain (stop accepting, close idle connections, answer requests in
 * flight with `Connection: close`; cut after --grace ms), exit. SIGHUP: reload the model file and
 * the --titles file (a bad file is logged and the old model and titles keep serving). POST /admin/reload needs --admin-token or
 * LRML_ADMIN_TOKEN. Resolves when the server closed.
 *
 * @example
 * ```ts
 * registerServe(program);
 * await program.parseAsync(['node', 'lrml', 'serve', '--model', 'm.lrml', '--port', '8080']);
 * ```
 */
export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .description('serve a model over HTTP (JSON): /recommend, /similar, /explain, /model, /health')
    .requiredOption('--model <file>', 'model file (re-read, with the --titles file, on SIGHUP or POST /admin/reload)')
    .option('--host <host>', 'interface to bind (0.0.0.0 exposes the service to the network)', '127.0.0.1')
    .option('--port <n>', 'port (0 = any free port)', parseInteger('--port'), 8080)
    .option('--max-k <n>', 'largest k accepted', parseInteger('--max-k'), 1000)
    .option('--max-items <n>', 'most items in a POST /recommend', parseInteger('--max-items'), 1000)
    .option('--max-body <bytes>', 'largest request body', parseInteger('--max-body'), 65536)
    .option('--fold-in-steps <n>', 'optimiser steps of a new user\'s fold-in', parseInteger('--fold-in-steps'), 50)
    .option('--fold-in-queue <n>', 'most fold-ins (POST /recommend) waiting while one runs; more get 503 BUSY with Retry-After', atLeast('--fold-in-queue', 0), 32)
    .option('--request-timeout <ms>', 'time limit of a request: body received and fold-in started (408 / 503 after)', atLeast('--request-timeout', 1), 10000)
    .option('--admin-token <token>', 'enables POST /admin/reload with "Authorization: Bearer <token>" (better: env LRML_ADMIN_TOKEN, not visible in ps)')
    .option('--allow-host <names>', 'more Host names to answer to, comma-separated (loopback names always)', (v: string) => v.split(',').map((x) => x.trim()).filter((x) => x !== ''))
    .option('--grace <ms>', 'on SIGTERM, connections still busy after this long are cut', atLeast('--grace', 0), 10000)
    .option('--search-threads <n>', 'with --candidates ann or auto: worker threads that search <model>.index, so the main thread keeps answering (default 0: search on the main thread, the fastest with a lifted i8 index; each thread holds its own copy of the index)', parseAtLeast('--search-threads', 0, 64))
    .option('--quiet', 'log nothing');
  addCandidateOptions(addTitleOptions(cmd))
    .action(async (opts: Record<string, unknown>) => {
      const cands = candidateFlags(opts);
      if (opts.searchThreads !== undefined && cands.search === 'exact') throw new LrmlError('BAD_OPTION', '--search-threads needs --candidates ann or auto (the default is exact)');
      await checkCandidateFlags(cands);
      const titlesFormat = titlesFormatFrom(opts);
      const log = opts.quiet === true ? () => undefined : (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      const fromEnv = process.env.LRML_ADMIN_TOKEN;
      const adminToken = opts.adminToken !== undefined ? String(opts.adminToken) : fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined;
      const srv = await startServer({
        modelPath: String(opts.model),
        host: String(opts.host),
        port: opts.port as number,
        limits: {
          maxK: opts.maxK as number,
          maxItems: opts.maxItems as number,
          maxBodyBytes: opts.maxBody as number,
          foldInSteps: opts.foldInSteps as number,
          foldInQueue: opts.foldInQueue as number,
          requestTimeoutMs: opts.requestTimeout as number,
        },
        ...(adminToken === undefined ? {} : { adminToken }),
        ...(opts.allowHost === undefined ? {} : { allowedHosts: opts.allowHost as string[] }),
        graceMs: opts.grace as number,
        candidates: { search: cands.search, rebuildIndex: cands.rebuildIndex, ...(cands.candidateCount === undefined ? {} : { candidateCount: cands.candidateCount }), ...indexSettings(cands), ...(opts.searchThreads === undefined ? {} : { searchThreads: opts.searchThreads as number }) },
        log,
        ...(opts.titles === undefined ? {} : { titlesFile: { path: String(opts.titles), format: titlesFormat } }),
      });
      const titles = srv.holder.current.titles;
      if (titles !== undefined && opts.quiet !== true) noteTitleCoverage(opts, srv.holder.current.model, titles, (s) => process.stderr.write(s));
      const onHup = (): void => {
        srv.reload().catch(() => undefined); // logged by the server; the old model keeps serving
      };
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          log(`info: ${signal}: draining (requests in flight are answered first)`);
          process.off('SIGTERM', onTerm);
          process.off('SIGINT', onInt);
          process.off('SIGHUP', onHup);
          srv.close().then(resolve, resolve);
        };
        const onTerm = (): void => stop('SIGTERM');
        const onInt = (): void => stop('SIGINT');
        process.on('SIGTERM', onTerm);
        process.on('SIGINT', onInt);
        process.on('SIGHUP', onHup);
      });
    });
}
