import type { Command } from 'commander';
import { loadModel } from '../../io/model-file.js';
import { attentionSignalText } from '../../analyze/signal.js';
import { explain, slotProfile, titledExplanation } from '../../recommend/index.js';
import { addTitleOptions, noteTitleCoverage, titlesFrom } from '../titles.js';
import { parseInteger } from '../options.js';
import { formatTable } from '../progress.js';
import { writeStderr, writeStdout } from './recommend.js';

/**
 * Registers `lrml explain --model M --user ID --item ID [--json] [--slots 5] [--profile]`: why an
 * LRML model scores the pair as it does (attention over memory slots, relation vector, distance);
 * with --profile, what the dominant slot is about (the pairs, items and users attending to it most).
 *
 * @example
 * ```ts
 * registerExplain(program);
 * await program.parseAsync(['node', 'lrml', 'explain', '--model', 'm.lrml', '--user', '42', '--item', '260']);
 * ```
 */
export function registerExplain(program: Command, out: (text: string) => void = writeStdout): void {
  const cmd = program
    .command('explain')
    .description('explain an LRML score: memory attention, relation vector, distance; --profile shows what the top slot is about')
    .requiredOption('--model <file>', 'LRML model file')
    .requiredOption('--user <id>', 'a user id')
    .requiredOption('--item <id>', 'an item id')
    .option('--slots <n>', 'how many dominant slots to list', parseInteger('--slots'), 5)
    .option('--profile', 'also profile the dominant slot over a sample of training pairs')
    .option('--sample <n>', 'pairs sampled for --profile', parseInteger('--sample'), 5000)
    .option('--json', 'print JSON (with --titles: the item, and the profile\'s items, gain title and genres)');
  addTitleOptions(cmd)
    .action(async (opts: Record<string, unknown>) => {
      const titles = await titlesFrom(opts);
      const m = await loadModel(String(opts.model));
      if (titles !== null) noteTitleCoverage(opts, m, titles, writeStderr);
      const e = explain(m, String(opts.user), String(opts.item));
      const profile = opts.profile === true ? slotProfile(m, e.slots[0].slot, { k: 5, sample: opts.sample as number }) : undefined;
      if (opts.json === true) {
        out(`${JSON.stringify(titles !== null ? titledExplanation(e, titles, profile) : profile === undefined ? e : { ...e, profile })}\n`);
        return;
      }
      const title = (id: string): string => {
        const t = titles?.get(id);
        return t === undefined ? '' : t.title;
      };
      const itemName = title(e.item) === '' ? e.item : `${e.item} (${title(e.item)})`;
      const lines = [
        `user ${e.user}, item ${itemName} (lrml, ${e.attention.length} memory slots)`,
        `score ${e.score.toFixed(4)}  distance ${e.distance.toFixed(4)}  without relation ${e.distanceWithoutRelation.toFixed(4)}`,
        `rank ${e.rank ?? '-'}${e.seen === true ? ' (a training interaction)' : ''}  |r| ${Math.hypot(...e.relation).toFixed(4)}`,
        formatTable([['slot', 'attention'], ...e.slots.slice(0, Math.max(1, opts.slots as number)).map((s) => [s.slot, s.weight.toFixed(4)])]),
        `attention: normalised entropy ${e.attentionSignal.normalizedEntropy.toFixed(3)} (1 = uniform), weights ${e.attentionSignal.minWeight.toFixed(4)}–${e.attentionSignal.maxWeight.toFixed(4)} (uniform ${(1 / e.attention.length).toFixed(4)}), logit range ${e.attentionSignal.logitRange.toFixed(2)}`,
      ];
      const signal = attentionSignalText({ ...e.attentionSignal, numMemories: e.attention.length }, 'pair');
      if (signal !== null) lines.push(`note: ${signal}`);
      if (profile !== undefined) {
        lines.push(
          `slot ${profile.slot} over ${profile.sampled} ${profile.source} pairs (mean attention ${profile.meanWeight.toFixed(4)}):`,
          formatTable([['item', 'mean attention', 'pairs', ...(titles === null ? [] : ['title'])], ...profile.items.map((x) => [x.id, x.weight.toFixed(4), x.pairs, ...(titles === null ? [] : [title(x.id)])])], [3]),
          formatTable([['user', 'mean attention', 'pairs'], ...profile.users.map((x) => [x.id, x.weight.toFixed(4), x.pairs])]),
        );
      }
      out(`${lines.join('\n')}\n`);
    });
}
