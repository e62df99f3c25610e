// One conformance suite every registered model family passes: it learns the planted structure
// (beats popularity clearly on held-out items), is deterministic per seed, has the documented
// score shape and ordering, and survives a save → load round trip exactly. A plug-in family
// joins by registering (test/cooc-family.ts: one file, one registerFamily call).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { getFamily, modelKinds, registerFamily } from '../src/train/families.js';
import { decodeModel, encodeModel } from '../src/io/format.js';
import { IdMap } from '../src/data/idmap.js';
import { hitsAtK, plantedDataset } from './helpers.js';
import { coocFamily } from './cooc-family.js';

registerFamily(coocFamily);

/** Small, fast recipes per family for the planted data (not the documented defaults). */
const RECIPES: Record<string, Record<string, unknown>> = {
  lrml: { dim: 16, numMemories: 4, epochs: 30, learningRate: 0.01, batchSize: 128 },
  cml: { dim: 16, epochs: 30, learningRate: 0.01, batchSize: 128 },
  bpr: { dim: 16, epochs: 30, learningRate: 0.01, batchSize: 128, l2: 1e-4, initScale: 0.1 },
  pop: {},
  ease: { lambda: 10 },
  ials: { dim: 16, epochs: 8 },
  hlr: { dim: 16, numMemories: 4, epochs: 20, learningRate: 0.01, batchSize: 128, historyLength: 8, negatives: 10 },
};

const data = plantedDataset(7);
const popHits = hitsAtK((u, out) => {
  const c = data.train.columnCounts();
  for (let i = 0; i < c.length; i++) out[i] = c[i];
}, data, 10);

for (const kind of modelKinds()) {
  describe(`model conformance: ${kind}`, () => {
    const recipe = { ...(RECIPES[kind] ?? {}), ...('seed' in getFamily(kind).defaults ? { seed: 3 } : {}) };
    test('learns the planted structure (beats popularity on held-out items)', async () => {
      const model = await getFamily(kind).fit(data.train, recipe);
      const h = hitsAtK((u, out) => model.scoreAll(u, out), data, 10);
      if (kind === 'pop') {
        assert.ok(Math.abs(h - popHits) < 1e-12, 'popularity model matches item counts');
      } else {
        assert.ok(h > popHits + 0.2, `${kind} hits@10 ${h.toFixed(3)} should beat popularity ${popHits.toFixed(3)} by > 0.2`);
      }
    });

    test('deterministic per seed; scores have the documented shape', async () => {
      const a = await getFamily(kind).fit(data.train, recipe);
      const b = await getFamily(kind).fit(data.train, recipe);
      assert.equal(a.numUsers, data.numUsers);
      assert.equal(a.numItems, data.numItems);
      const sa = new Float32Array(data.numItems);
      const sb = new Float32Array(data.numItems);
      for (const u of [0, 5, data.numUsers - 1]) {
        a.scoreAll(u, sa);
        b.scoreAll(u, sb);
        assert.deepEqual(sa, sb, `user ${u}: same seed, same scores`);
        assert.ok(sa.every(Number.isFinite), 'scores are finite');
        // scoreItems agrees with scoreAll on any subset, in the given order
        const items = Int32Array.from([3, 0, data.numItems - 1, 3]);
        const sub = new Float32Array(items.length);
        a.scoreItems(u, items, sub);
        for (let k = 0; k < items.length; k++) assert.equal(sub[k], sa[items[k]], `scoreItems[${k}] == scoreAll[${items[k]}]`);
      }
    });

    test('its --flags name options it accepts', () => {
      const family = getFamily(kind);
      for (const f of family.flags ?? []) assert.ok(f.option in family.defaults, `${f.flag} sets ${f.option}, an option of ${kind}`);
    });

    test('save → load round trip reproduces every score exactly', async () => {
      const model = await getFamily(kind).fit(data.train, recipe);
      const users = IdMap.fromIds(Array.from({ length: data.numUsers }, (_, u) => `u${u}`));
      const items = IdMap.fromIds(Array.from({ length: data.numItems }, (_, i) => `i${i}`));
      const back = decodeModel(encodeModel({ model, users, items, meta: { note: 'test' }, seen: data.train }));
      assert.equal(back.model.kind, kind);
      assert.deepEqual(back.users.ids(), users.ids());
      assert.deepEqual(back.meta, { note: 'test' });
      assert.deepEqual(back.seen?.indices, data.train.indices);
      const s1 = new Float32Array(data.numItems);
      const s2 = new Float32Array(data.numItems);
      for (let u = 0; u < data.numUsers; u++) {
        model.scoreAll(u, s1);
        back.model.scoreAll(u, s2);
        assert.deepEqual(s2, s1);
      }
    });
  });
}
