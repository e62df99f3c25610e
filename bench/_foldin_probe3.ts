import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { loadModel } from '../src/io/model-file.js';
import { foldInUser, scoreFoldIn } from '../src/recommend/index.js';
const m = await loadModel(process.argv[2]);
const nUsers = Number(process.argv[3] ?? 300);
const lines = gunzipSync(readFileSync('../shared/data/ml-1m/ml-1m.test.negative.gz')).toString().trim().split('\n').slice(0, nUsers);
const cases = lines.map((l) => { const [head, ...negs] = l.split('\t'); const [u, i] = head.slice(1, -1).split(','); return { u, i, negs }; });
const settings: Record<string, unknown>[] = JSON.parse(process.argv[4] ?? '[{"steps":0},{"steps":50},{"steps":100,"learningRate":0.01}]');
const hr = (scores: Float32Array, c: { i: string; negs: string[] }) => {
  const pi = m.items.get(c.i); if (pi === undefined) return 0;
  const s = scores[pi]; let above = 0;
  for (const n of c.negs) { const j = m.items.get(n); if (j !== undefined && scores[j] >= s) above++; }
  return above < 10 ? 1 : 0;
};
const sc = new Float32Array(m.model.numItems);
let h = 0;
for (const c of cases) { m.model.scoreAll(m.users.get(c.u)!, sc); h += hr(sc, c); }
console.log('trained users: HR@10', (h / cases.length).toFixed(3));
for (const s of settings) {
  let h2 = 0; const t0 = performance.now();
  for (const c of cases) {
    const hist = Array.from(m.seen!.row(m.users.get(c.u)!), (i) => m.items.id(i));
    scoreFoldIn(m, foldInUser(m, hist, s), sc); h2 += hr(sc, c);
  }
  console.log(JSON.stringify(s), 'fold-in HR@10', (h2 / cases.length).toFixed(3), 'ms/user', ((performance.now() - t0) / cases.length).toFixed(1));
}
