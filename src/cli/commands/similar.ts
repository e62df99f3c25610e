import type { Command } from 'commander';
import { loadModel } from '../../io/model-file.js';
import { similarItems, titledSimilar } from '../../recommend/index.js';
import { parseInteger } from '../options.js';
import { addTitleOptions, noteTitleCoverage, titlesFrom } from '../titles.js';
import { formatRanked, parseIdList, writeStderr, writeStdout } from './recommend.js';

/**
 * Registers `lrml similar --model M --item ID [--k 10] [--json]`: the items most similar to an
 * item (the measure depends on the model kind; see docs/api.md).
 *
 * @example
 * ```ts
 * registerSimilar(program);
 * await program.parseAsync(['node', 'lrml', 'similar', '--model', 'm.lrml', '--item', '260']);
 * ```
 */
export function registerSimilar(program: Command, out: (text: string) => void = writeStdout): void {
  const cmd = program
    .command('similar')
    .description('items most similar to an item (LRML/CML: Euclidean; BPR/iALS: cosine; EASE: B weights; pop: popularity)')
    .requiredOption('--model <file>', 'model file')
    .requiredOption('--item <id>', 'an item id')
    .option('--k <n>', 'how many items', parseInteger('--k'), 10)
    .option('--exclude <ids>', 'comma-separated item ids never to return', parseIdList('--exclude'))
    .option('--json', 'print JSON (with --titles: the item and each listed item gain title and genres)');
  addTitleOptions(cmd)
    .action(async (opts: Record<string, unknown>) => {
      const titles = await titlesFrom(opts);
      const m = await loadModel(String(opts.model));
      if (titles !== null) noteTitleCoverage(opts, m, titles, writeStderr);
      const s = similarItems(m, String(opts.item), { k: opts.k as number, ...(opts.exclude === undefined ? {} : { exclude: opts.exclude as string[] }) });
      if (opts.json === true) {
        out(`${JSON.stringify(titles === null ? s : titledSimilar(s, titles))}\n`);
        return;
      }
      const name = titles?.get(s.item) === undefined ? s.item : `${s.item} (${titles.get(s.item)!.title})`;
      out(formatRanked(`items similar to ${name} (${m.model.kind}, ${s.measure})`, s.items, titles));
    });
}
