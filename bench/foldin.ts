// Fold-in quality and cost: `node dist/bench/foldin.js --model M [--users 300] [--negatives FILE]`.
// For the first `users` users of an NCF-style test file ("(user,item)\tneg1\t…\tneg99", e.g.
// ../shared/data/ml-1m/ml-1m.test.negative.gz) it ranks each user's held-out item against its 99
// negatives twice: with the user's trained vector, and with a vector folded in from the user's
// training items (everything else frozen). Prints HR@10 / nDCG@10 of both and ms per fold-in.
// The model must have been trained on the matching train file (ids as in the NCF files).

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { loadModel } from '../src/io/model-file.js';
import { foldInUser, scoreFoldIn, type FoldInOptions } from '../src/recommend/index.js';

const argv = process.argv.slice(2);
const arg = (name: string, def: string): string => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : def;
};
const modelPath = arg('--model', '');
if (modelPath === '') {
  process.stderr.write('usage: node dist/bench/foldin.js --model M [--users 300] [--negatives ../shared/data/ml-1m/ml-1m.test.negative.gz] [--settings JSON]\n');
  process.exit(1);
}
const users = Number(arg('--users', '300'));
const negFile = arg('--negatives', '../shared/data/ml-1m/ml-1m.test.negative.gz');
const settings = JSON.parse(arg('--settings', '[{"steps":0},{},{"steps":100,"negatives":4,"batchSize":64}]')) as FoldInOptions[];

const m = await loadModel(modelPath);
if (m.seen === null) throw new Error('the model file holds no training interactions to fold in from');
const raw = readFileSync(negFile);
const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
const cases = text.trim().split('\n').slice(0, users).map((line) => {
  const [head, ...negs] = line.split('\t');
  const [u, i] = head.replace(/[()]/g, '').split(',');
  return { u, i, negs };
}).filter((c) => m.users.has(c.u) && m.items.has(c.i));

/** Rank of the held-out item among itself and its negatives (0 = first; ties count against it). */
function rankOf(scores: Float32Array, c: { i: string; negs: string[] }): number {
  const s = scores[m.items.get(c.i) as number];
  let above = 0;
  for (const n of c.negs) {
    const j = m.items.get(n);
    if (j !== undefined && scores[j] >= s) above++;
  }
  return above;
}

function report(label: string, ranks: number[], ms: number | null): void {
  const hr = ranks.filter((r) => r < 10).length / ranks.length;
  const ndcg = ranks.reduce((acc, r) => acc + (r < 10 ? 1 / Math.log2(r + 2) : 0), 0) / ranks.length;
  process.stdout.write(`${label.padEnd(52)} hits@10 ${hr.toFixed(3)}  ndcg@10 ${ndcg.toFixed(3)}${ms === null ? '' : `  ${ms.toFixed(1)} ms/fold-in`}\n`);
}

process.stdout.write(`fold-in bench: ${m.model.kind} model ${modelPath}, ${cases.length} users of ${negFile} (1 held-out item vs 99 negatives)\n`);
const scores = new Float32Array(m.model.numItems);
report('trained user vectors', cases.map((c) => {
  m.model.scoreAll(m.users.get(c.u) as number, scores);
  return rankOf(scores, c);
}), null);
for (const s of settings) {
  const t0 = performance.now();
  const ranks = cases.map((c) => {
    const history = Array.from(m.seen!.row(m.users.get(c.u) as number), (i) => m.items.id(i));
    scoreFoldIn(m, foldInUser(m, history, s), scores);
    return rankOf(scores, c);
  });
  report(`fold-in ${JSON.stringify(s)}`, ranks, (performance.now() - t0) / cases.length);
}
