import type { Command } from 'commander';
import { writeSyntheticInteractions, type SyntheticOptions } from '../../data/synthetic.js';
import { LrmlError } from '../../errors.js';
import { checkOutputFile } from '../../fs-atomic.js';
import { parseInteger, parseNumber } from '../options.js';

/**
 * Registers `lrml generate`: writes a seeded, Netflix-shaped synthetic interaction log (TSV with
 * header `user\titem\ttimestamp`), streamed to disk with bounded memory and written atomically.
 *
 * @example
 * ```ts
 * registerGenerate(program);
 * await program.parseAsync(['node', 'lrml', 'generate', '--users', '1000', '--items', '500', '--interactions', '50000', '--seed', '1', '--out', 'syn.tsv']);
 * ```
 */
export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('write a seeded synthetic interaction log: log-normal user activity, Zipf item popularity, taste clusters (TSV: user, item, timestamp)')
    .requiredOption('--users <n>', 'number of users', parseInteger('--users'))
    .requiredOption('--items <n>', 'number of items', parseInteger('--items'))
    .requiredOption('--interactions <n>', 'distinct user–item pairs in all (at most users × items)', parseInteger('--interactions'))
    .requiredOption('--out <file>', 'the TSV file to write (atomically)')
    .option('--seed <n>', 'seed (default 0)', parseInteger('--seed'))
    .option('--clusters <n>', 'taste clusters of items (default round(√items / 2), 2 .. 200)', parseInteger('--clusters'))
    .option('--tastes <n>', 'each user likes 1 .. n clusters (default 3)', parseInteger('--tastes'))
    .option('--taste <share>', 'share of interactions from the liked clusters, the rest by popularity (default 0.8; 0 = no structure)', parseNumber('--taste'))
    .option('--zipf <s>', 'Zipf exponent of item popularity (default 1)', parseNumber('--zipf'))
    .option('--activity-sigma <s>', 'σ of the log-normal user activity (default 1)', parseNumber('--activity-sigma'))
    .option('--json', 'print the summary as one JSON object')
    .option('--quiet', 'no progress on stderr')
    .action(async (opts: Record<string, unknown>) => {
      const options: SyntheticOptions = {
        numUsers: opts.users as number,
        numItems: opts.items as number,
        interactions: opts.interactions as number,
        seed: opts.seed as number | undefined,
        clusters: opts.clusters as number | undefined,
        tastesPerUser: opts.tastes as number | undefined,
        taste: opts.taste as number | undefined,
        zipf: opts.zipf as number | undefined,
        activitySigma: opts.activitySigma as number | undefined,
      };
      const flags: [keyof SyntheticOptions, string][] = [['numUsers', '--users'], ['numItems', '--items'], ['interactions', '--interactions'], ['clusters', '--clusters'], ['tastesPerUser', '--tastes'], ['taste', '--taste'], ['zipf', '--zipf'], ['activitySigma', '--activity-sigma'], ['seed', '--seed']];
      const out = String(opts.out);
      await checkOutputFile(out, '--out');
      const progress = opts.quiet !== true && opts.json !== true && process.stderr.isTTY === true;
      const t0 = performance.now();
      let summary;
      try {
        summary = await writeSyntheticInteractions(out, options, progress ? (bytes) => process.stderr.write(`\rgenerating: ${(bytes / 1048576).toFixed(0)} MiB written`) : undefined);
      } catch (e) {
        // name the flag, not the option
        if (e instanceof LrmlError && e.code === 'BAD_OPTION') {
          const hit = flags.find(([name]) => e.message.startsWith(`invalid ${name}:`));
          if (hit !== undefined) throw new LrmlError('BAD_OPTION', e.message.replace(`invalid ${hit[0]}:`, `${hit[1]}:`));
        }
        throw e;
      }
      if (progress) process.stderr.write('\r\x1b[K');
      const seconds = (performance.now() - t0) / 1000;
      if (opts.json === true) process.stdout.write(`${JSON.stringify({ out, ...summary, seconds })}\n`);
      else {
        process.stdout.write(`${out}: ${summary.interactions} interactions, ${summary.numUsers} users × ${summary.numItems} items ` +
          `(most per user ${summary.maxPerUser}; ${summary.fromTastes} from taste clusters), ${seconds.toFixed(1)} s\n`);
      }
    });
}
