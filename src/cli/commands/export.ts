import type { Command } from 'commander';
import { checkOutputFile } from '../../fs-atomic.js';
import { loadModel } from '../../io/model-file.js';
import { checkVectorFormat, exportVectors, vectorPaths } from '../../io/vectors-file.js';

/**
 * Registers `lrml export --model M --out PREFIX [--format npy|csv|parquet]`: the model's user and item
 * vectors with their string ids (NumPy .npy + ids.txt sidecars, or CSV), for families with
 * vectors (lrml, cml, bpr, ials). Output paths are checked before the model is read; files are
 * written atomically.
 *
 * @example
 * ```ts
 * registerExport(program);
 * await program.parseAsync(['node', 'lrml', 'export', '--model', 'm.lrml', '--out', 'vectors/m']);
 * ```
 */
export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write the user and item vectors with their ids: NumPy .npy + ids.txt (default), CSV or Parquet (lrml, cml, bpr, ials)')
    .requiredOption('--model <file>', 'model file')
    .requiredOption('--out <prefix>', 'output prefix: writes PREFIX.users.npy, PREFIX.users.ids.txt, PREFIX.items.npy, PREFIX.items.ids.txt (or PREFIX.users.csv, PREFIX.items.csv; .parquet)')
    .option('--format <format>', 'npy, csv or parquet (needs the optional hyparquet-writer)', 'npy')
    .option('--json', 'print the written paths as JSON')
    .action(async (opts: Record<string, unknown>) => {
      const format = checkVectorFormat(String(opts.format), '--format');
      const prefix = String(opts.out);
      for (const p of vectorPaths(prefix, format)) await checkOutputFile(p, '--out');
      const m = await loadModel(String(opts.model));
      const written = await exportVectors(m, prefix, { format });
      const v = m.model.vectors?.();
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify({ kind: m.model.kind, users: m.users.size, items: m.items.size, dim: v?.dim ?? 0, geometry: v?.geometry ?? null, files: written })}\n`);
      } else {
        process.stdout.write(`${m.model.kind}: ${m.users.size} users and ${m.items.size} items, dim ${v?.dim ?? 0} (${v?.geometry ?? ''}); written:\n${written.map((p) => `  ${p}\n`).join('')}`);
      }
    });
}
