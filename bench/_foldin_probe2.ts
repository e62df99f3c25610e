import { loadModel } from '../src/io/model-file.js';
import { foldInUser, recommend, scoreFoldIn } from '../src/recommend/index.js';
import type { TripletModel } from '../src/models/triplet.js';
const m = await loadModel(process.argv[2]);
const model = m.model as TripletModel;
const d = model.options.dim;
console.log('options', JSON.stringify({ ...model.options }));
const margin = model.options.margin;
const users = m.users.ids().slice(0, 30);
const obj = (p: Float32Array, u: number) => {
  const s = new Float32Array(model.numItems);
  model.scoreVector(p, s);
  const pos = new Set(m.seen!.row(u));
  let sum = 0, n = 0;
  for (const i of pos) for (let j = 0; j < s.length; j += 3) { if (pos.has(j)) continue; sum += Math.max(0, margin - (s[i] - s[j])); n++; }
  return sum / n;
};
const norm = (p: Float32Array) => Math.hypot(...p);
for (const lr of [0.002, 0.01, 0.05]) {
  for (const steps of [0, 50, 200]) {
    let ov = 0, o1 = 0, o2 = 0, n1 = 0, n2 = 0;
    for (const id of users) {
      const u = m.users.get(id)!;
      const pu = model.params.P.subarray(u * d, (u + 1) * d);
      const hist = Array.from(m.seen!.row(u), (i) => m.items.id(i));
      const f = foldInUser(m, hist, { steps, learningRate: lr });
      o1 += obj(pu, u); o2 += obj(f.vector!, u); n1 += norm(pu); n2 += norm(f.vector!);
      const own = new Set(recommend(m, id, { k: 10 }).items.map((x) => x.item));
      const sc = new Float32Array(model.numItems); scoreFoldIn(m, f, sc);
      const seen = new Set(m.seen!.row(u));
      const top = Array.from(sc.keys()).filter((i) => !seen.has(i)).sort((a, b) => sc[b] - sc[a]).slice(0, 10);
      ov += top.filter((i) => own.has(m.items.id(i))).length / 10;
    }
    const k = users.length;
    console.log(`lr ${lr} steps ${steps}: overlap ${(ov / k).toFixed(3)} obj trained ${(o1 / k).toFixed(4)} fold ${(o2 / k).toFixed(4)} |p| trained ${(n1 / k).toFixed(3)} fold ${(n2 / k).toFixed(3)}`);
    if (steps === 0 && lr !== 0.002) continue;
  }
}
