import { loadModel } from '../src/io/model-file.js';
import { recommend, recommendForItems } from '../src/recommend/index.js';
const m = await loadModel(process.argv[2]);
const users = m.users.ids().slice(0, 60);
const settings = [
  { steps: 0 }, { steps: 20 }, { steps: 50 }, { steps: 100 },
  { steps: 50, negatives: 2, batchSize: 32 }, { steps: 50, negatives: 8 }, { steps: 200 },
];
for (const s of settings) {
  let ov = 0;
  const t0 = performance.now();
  for (const u of users) {
    const own = new Set(recommend(m, u, { k: 10 }).items.map((x) => x.item));
    const hist = Array.from(m.seen!.row(m.users.get(u)!), (i) => m.items.id(i));
    const f = recommendForItems(m, hist, { k: 10, foldIn: s });
    ov += f.items.filter((x) => own.has(x.item)).length / 10;
  }
  console.log(JSON.stringify(s), 'overlap', (ov / users.length).toFixed(3), 'ms/user', ((performance.now() - t0) / users.length).toFixed(1));
}
