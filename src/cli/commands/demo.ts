import type { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { loadInteractions } from '../../data/load.js';
import { loadItemsFile } from '../../data/side-info.js';
import { leaveLatestOut } from '../../data/split.js';
import { toCsr } from '../../data/interactions.js';
import { evaluate } from '../../eval/evaluate.js';
import type { EvalResult } from '../../eval/types.js';
import type { Recommender } from '../../models/types.js';
import { recommend } from '../../recommend/index.js';
import { getFamily } from '../../train/families.js';
import { LRML_FAST } from '../../models/triplet.js';
import { TrainProgressBar, formatTable } from '../progress.js';
import { parseInteger } from '../options.js';

/** The embedded dataset (MovieLens latest-small), relative to this module (src/ or dist/src/). */
function embedded(file: string): string {
  const here = fileURLToPath(import.meta.url);
  const root = here.includes('/dist/src/') ? here.slice(0, here.indexOf('/dist/src/')) : here.slice(0, here.indexOf('/src/'));
  return `${root}/data/ml-latest-small/${file}`;
}

/** Reads MovieLens movies.csv (the one items-file reader, data/side-info.ts) into id → "Title  [genres]". */
async function movieTitles(path: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [id, t] of await loadItemsFile(path)) out.set(id, t.genres.length === 0 ? t.title : `${t.title}  [${t.genres.join(', ')}]`);
  return out;
}

/** Registers `lrml demo` (what `npm start` runs). */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('train LRML on the embedded MovieLens data, evaluate it against baselines, and recommend')
    .option('--user <id>', 'user to recommend for', '1')
    .option('--epochs <n>', 'training epochs of CML and LRML (default: each recipe\'s own)', parseInteger('--epochs'))
    .option('--full-recipe', 'train LRML with its full default recipe (40 negatives shared within users\' blocks of 8, 40 epochs: about 40 s) instead of the fast preset')
    .option('--seed <n>', 'random seed', parseInteger('--seed'), 0)
    .action(async (opts: { user: string; epochs?: number; seed: number; fullRecipe?: boolean }) => {
      const say = (s: string): void => void process.stdout.write(`${s}\n`);
      const t0 = performance.now();
      const data = await loadInteractions(embedded('ratings.csv'));
      const split = leaveLatestOut(data);
      const train = toCsr(split.train);
      const test = toCsr(split.test);
      say(`MovieLens latest-small: ${data.users.size} users, ${data.items.size} movies, ${data.user.length} ratings`);
      say(`split leave-latest-out: ${split.info.trainInteractions} train, ${split.info.testInteractions} test interactions (${split.info.usersInTest} users)\n`);

      const rows: (string | number)[][] = [['model', 'sampled hits@10', 'sampled ndcg@10', 'full hits@10', 'full ndcg@10', 'train s']];
      const evalBoth = (name: string, model: Recommender, seconds: number): void => {
        const s: EvalResult = evaluate(model, train, test, { kind: 'sampled', negatives: 100, seed: opts.seed }, { bootstrap: 0 });
        const f: EvalResult = evaluate(model, train, test, { kind: 'full' }, { bootstrap: 0 });
        rows.push([name, s.metrics['hits@10'], s.metrics['ndcg@10'], f.metrics['hits@10'], f.metrics['ndcg@10'], seconds.toFixed(1)]);
      };

      const timed = async (kind: string, options: Record<string, unknown>): Promise<[Recommender, number]> => {
        const bar = new TrainProgressBar(false);
        const t = performance.now();
        const fam = getFamily(kind);
        const model = await fam.fit(train, options, {
          onProgress: (p) => bar.update(p),
          onEpoch: (e) => {
            if (e.epoch % 5 === 0) {
              bar.stop();
              process.stderr.write(`  ${kind} epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, ${Math.round(e.perSecond)} triplets/s\n`);
            }
          },
        });
        bar.stop();
        return [model, (performance.now() - t) / 1000];
      };

      say('training popularity, CML and LRML (seeded; progress on stderr)…');
      const [pop, popS] = await timed('pop', {});
      evalBoth('popularity', pop, popS);
      // CML's default recipe and LRML's fast preset (its full default takes about 40 s; --full-recipe), unless --epochs is given
      const epochs = opts.epochs === undefined ? {} : { epochs: opts.epochs };
      const [cml, cmlS] = await timed('cml', { seed: opts.seed, ...epochs });
      evalBoth('CML', cml, cmlS);
      const lrmlRecipe = opts.fullRecipe === true ? {} : LRML_FAST;
      const [lrml, lrmlS] = await timed('lrml', { ...lrmlRecipe, seed: opts.seed, ...epochs });
      evalBoth(opts.fullRecipe === true ? 'LRML' : 'LRML (fast preset)', lrml, lrmlS);
      say('');
      say(formatTable(rows));
      say('(sampled: the held-out movie against 100 unseen movies; full: against every unseen movie; ties count against the model)\n');

      const titles = await movieTitles(embedded('movies.csv'));
      const loaded = { model: lrml, users: data.users, items: data.items, meta: {}, seen: train };
      const u = data.users.get(opts.user);
      if (u !== undefined) {
        // the user's five latest training interactions (by timestamp, else file order)
        const mine: [number, number][] = [];
        const tr = split.train;
        for (let k = 0; k < tr.user.length; k++) if (tr.user[k] === u) mine.push([tr.timestamp?.[k] ?? k, tr.item[k]]);
        mine.sort((a, b) => b[0] - a[0]);
        const liked = mine.slice(0, 5).map(([, i]) => titles.get(data.items.id(i)) ?? data.items.id(i));
        say(`user ${opts.user} rated ${train.rowLength(u)} movies in train; the latest:`);
        for (const t of liked) say(`  · ${t}`);
      }
      const recs = recommend(loaded, opts.user, { k: 10 });
      say(`\nLRML's top 10 for user ${opts.user} (seen movies excluded):`);
      recs.items.forEach((r, n) => say(`  ${String(n + 1).padStart(2)}. ${titles.get(r.item) ?? r.item}`));
      say(`\ndone in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    });
}
