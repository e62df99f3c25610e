// #17 item 19: when the attention carries no signal (near-uniform), `explain` and the analysis
// report say so plainly, with the figures; with sharp keys they do not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NEAR_UNIFORM_ENTROPY, attentionSignal, attentionSignalText, pairAttentionStats, relationSpread } from '../src/analyze/signal.js';
import { analyzeRelations, labelledPairs } from '../src/analyze/index.js';
import { registerExplain } from '../src/cli/commands/explain.js';
import { saveModel } from '../src/io/model-file.js';
import { TripletModel } from '../src/models/triplet.js';
import { explain } from '../src/recommend/index.js';
import { analysisReport } from '../src/report/analysis.js';
import { Csr } from '../src/data/csr.js';
import type { LoadedModel } from '../src/io/format.js';
import type { Interactions, LoadSummary } from '../src/data/types.js';
import { syntheticTriplet, wrap } from './recommend-fixtures.js';

/** The synthetic LRML model with its keys scaled: tiny keys attend uniformly, large ones sharply. */
function withKeyScale(scale: number): LoadedModel {
  const base = syntheticTriplet('lrml');
  const K = Float32Array.from(base.params.K, (x) => x * scale);
  const model = new TripletModel('lrml', base.numUsers, base.numItems, base.options, { ...base.params, K });
  const users = Int32Array.from({ length: 120 }, (_, t) => t % base.numUsers);
  const items = Int32Array.from({ length: 120 }, (_, t) => (t * 7) % base.numItems);
  return { ...wrap(model, null), seen: Csr.fromPairs(base.numUsers, base.numItems, users, items) };
}

test('pairAttentionStats / attentionSignal / relationSpread: uniform, sharp, one slot, hand-computed values', () => {
  const u = pairAttentionStats([0.25, 0.25, 0.25, 0.25]);
  assert.equal(u.normalizedEntropy, 1);
  assert.equal(u.logitRange, 0);
  assert.equal(u.nearUniform, true);
  const s = pairAttentionStats([0.7, 0.1, 0.1, 0.1]);
  const h = -(0.7 * Math.log(0.7) + 3 * 0.1 * Math.log(0.1)) / Math.log(4);
  assert.ok(Math.abs(s.normalizedEntropy - h) < 1e-12);
  assert.ok(Math.abs(s.logitRange - Math.log(7)) < 1e-12);
  assert.equal(s.nearUniform, false);
  assert.equal(pairAttentionStats([1]).nearUniform, true, 'one slot: always the same relation');
  assert.equal(pairAttentionStats(Float64Array.of(9, 0.5, 0.5, 9), 1, 2).normalizedEntropy, 1, 'offset and length');
  const sig = attentionSignal({ numMemories: 4, normalizedEntropy: [0.99, 0.97], maxWeight: [0.3, 0.32], logitRange: [0.1, 0.3] });
  assert.ok(Math.abs(sig.meanNormalizedEntropy - 0.98) < 1e-12);
  assert.equal(sig.nearUniform, sig.meanNormalizedEntropy >= NEAR_UNIFORM_ENTROPY);
  assert.ok(Math.abs(sig.meanLogitRange - 0.2) < 1e-12);
  assert.equal(relationSpread(Float64Array.of(1, 0, 1, 0), 2, 2), 0);
  assert.ok(Math.abs(relationSpread(Float64Array.of(1, 1, 1, -1), 2, 2) - 1) < 1e-12); // mean (1, 0), deviations of norm 1
  assert.equal(attentionSignalText(attentionSignal({ numMemories: 4, normalizedEntropy: [0.5], maxWeight: [0.7] })), null);
});

test('explain: a near-uniform attention is said plainly with its figures; sharp keys are not flagged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrml-signal-'));
  try {
    const run = async (m: LoadedModel, file: string): Promise<string> => {
      await saveModel(join(dir, file), m);
      const program = new Command().exitOverride();
      let out = '';
      registerExplain(program, (text) => { out += text; });
      await program.parseAsync(['node', 'lrml', 'explain', '--model', join(dir, file), '--user', 'u3', '--item', 'i9']);
      return out;
    };
    const flat = withKeyScale(1e-3);
    const e = explain(flat, 'u3', 'i9');
    assert.ok(e.attentionSignal.normalizedEntropy > 0.999 && e.attentionSignal.nearUniform);
    const text = await run(flat, 'flat.lrml');
    assert.match(text, /attention: normalised entropy 1\.000 \(1 = uniform\)/);
    assert.match(text, /note: The attention carries almost no signal for this pair: it is near-uniform over the 5 slots/);
    assert.match(text, /constant offset/);

    const sharp = withKeyScale(200);
    const es = explain(sharp, 'u3', 'i9');
    assert.ok(es.attentionSignal.normalizedEntropy < NEAR_UNIFORM_ENTROPY && !es.attentionSignal.nearUniform, `entropy ${es.attentionSignal.normalizedEntropy}`);
    const sharpText = await run(sharp, 'sharp.lrml');
    assert.match(sharpText, /attention: normalised entropy 0\.\d{3}/);
    assert.doesNotMatch(sharpText, /carries almost no signal/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('analysis report: near-uniform attention leads the summary and the attention section; sharp attention does not', async () => {
  const texts = async (m: LoadedModel): Promise<{ summary: string; attention: string; spread: number }> => {
    const seen = m.seen as Csr;
    const user: number[] = [];
    const item: number[] = [];
    for (let u = 0; u < seen.numRows; u++) for (let k = seen.indptr[u]; k < seen.indptr[u + 1]; k++) { user.push(u); item.push(seen.indices[k]); }
    const data: Interactions = { users: m.users, items: m.items, user: Int32Array.from(user), item: Int32Array.from(item), rating: null, timestamp: null, summary: {} as LoadSummary };
    const a = analyzeRelations(m, labelledPairs(m, data), { seed: 1 });
    const report = await analysisReport(a);
    const get = (h: string): string => ([] as string[]).concat(report.sections.find((s) => s.heading === h)?.text ?? []).join('\n');
    return { summary: get('Summary'), attention: get('Attention'), spread: a.attention.relationSpread ?? NaN };
  };
  const flat = await texts(withKeyScale(1e-3));
  assert.match(flat.summary, /^The attention carries almost no signal: it is near-uniform over the 5 slots \(mean normalised entropy 1\.000/);
  assert.match(flat.summary, /attention logits of a pair span 0\.00 on average/);
  assert.match(flat.attention, /carries almost no signal/);
  assert.ok(flat.spread < 0.01, `relation spread ${flat.spread}`);
  const sharp = await texts(withKeyScale(200));
  assert.doesNotMatch(sharp.summary, /carries almost no signal/);
  assert.doesNotMatch(sharp.attention, /carries almost no signal/);
});
