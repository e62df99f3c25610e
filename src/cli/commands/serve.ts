import type { Command } from 'commander';
import { startServer } from '../../serve/index.js';
import { parseInteger } from '../options.js';

/**
 * Registers `lrml serve --model M [--host 127.0.0.1] [--port 8080]`: the HTTP service. Logs to
 * stderr. SIGTERM / SIGINT: stop accepting, finish requests in flight, exit. SIGHUP: reload the
 * model file (a bad file is logged and the old model keeps serving). Resolves when the server closed.
 *
 * @example
 * ```ts
 * registerServe(program);
 * await program.parseAsync(['node', 'lrml', 'serve', '--model', 'm.lrml', '--port', '8080']);
 * ```
 */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve a model over HTTP (JSON): /recommend, /similar, /explain, /model, /health')
    .requiredOption('--model <file>', 'model file (re-read on SIGHUP or POST /admin/reload)')
    .option('--host <host>', 'interface to bind (0.0.0.0 exposes the service to the network)', '127.0.0.1')
    .option('--port <n>', 'port (0 = any free port)', parseInteger('--port'), 8080)
    .option('--max-k <n>', 'largest k accepted', parseInteger('--max-k'), 1000)
    .option('--max-items <n>', 'most items in a POST /recommend', parseInteger('--max-items'), 1000)
    .option('--max-body <bytes>', 'largest request body', parseInteger('--max-body'), 65536)
    .option('--fold-in-steps <n>', 'optimiser steps of a new user\'s fold-in', parseInteger('--fold-in-steps'), 50)
    .option('--quiet', 'log nothing')
    .action(async (opts: Record<string, unknown>) => {
      const log = opts.quiet === true ? () => undefined : (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      const srv = await startServer({
        modelPath: String(opts.model),
        host: String(opts.host),
        port: opts.port as number,
        limits: {
          maxK: opts.maxK as number,
          maxItems: opts.maxItems as number,
          maxBodyBytes: opts.maxBody as number,
          foldInSteps: opts.foldInSteps as number,
        },
        log,
      });
      const onHup = (): void => {
        srv.reload().catch(() => undefined); // logged by the server; the old model keeps serving
      };
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          log(`${signal}: closing (requests in flight finish first)`);
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
