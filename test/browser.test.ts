// The browser build: bundle src/browser.ts with esbuild for the browser, check that nothing
// Node-only is inside, and run it in a bare node:vm context (no require, no process) on a model
// encoded here, comparing with the results of the library run under Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import vm from 'node:vm';
import { build } from 'esbuild';
import { encodeModel, decodeModel } from '../src/io/format.js';
import { explain, recommend, recommendForItems, similarItems } from '../src/recommend/index.js';
import { Csr } from '../src/data/csr.js';
import { repoRoot } from './helpers.js';
import { syntheticTriplet, wrap } from './recommend-fixtures.js';

test('the browser bundle builds without Node imports and recommends in a bare JS context', async (t) => {
  const root = repoRoot();
  const result = await build({
    entryPoints: [join(root, 'src/browser.ts')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'lrml',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  assert.equal(result.errors.length, 0);
  const code = result.outputFiles[0].text;
  t.diagnostic(`bundle: ${(code.length / 1024).toFixed(0)} KiB, ${Object.keys(result.metafile.inputs).length} modules`);
  for (const [file, input] of Object.entries(result.metafile.inputs)) {
    assert.ok(!file.startsWith('node:') && !file.includes('node_modules'), `bundled input ${file}`);
    for (const imp of input.imports) assert.ok(!imp.path.startsWith('node:') && !imp.external, `${file} imports ${imp.path}`);
    // the inference path loads models through the registry without any training code
    assert.ok(!file.startsWith('src/train/'), `training code in the browser bundle: ${file}`);
  }
  assert.ok(!/\brequire\(|from\s*["']node:/.test(code), 'no require() or node: import in the bundle');

  // a small LRML model with training interactions, encoded here
  const model = syntheticTriplet('lrml', { clip: 'lookup' });
  const m = { ...wrap(model, null, { note: 'browser test' }), seen: Csr.fromPairs(model.numUsers, model.numItems, Int32Array.of(0, 0, 1), Int32Array.of(4, 7, 9)) };
  const bytes = encodeModel(m);
  // only what browsers have: no require, no process, no Buffer
  const context = vm.createContext({ atob, TextEncoder, TextDecoder, outerBytes: bytes });
  vm.runInContext(code, context, { filename: 'lrml.js' });
  const out = vm.runInContext(`
    const bytes = new Uint8Array(outerBytes); // a copy made in this realm
    const m = lrml.decodeModel(bytes);
    JSON.stringify({
      env: [typeof require, typeof process, typeof Buffer],
      kind: m.model.kind,
      rec: lrml.recommend(m, 'u0', { k: 5 }),
      fold: lrml.recommendForItems(m, ['i12', 'i13'], { k: 5 }),
      sim: lrml.similarItems(m, 'i3', { k: 4 }),
      why: lrml.explain(m, 'u1', 'i20'),
      err: (() => { try { lrml.recommend(m, 'nobody'); } catch (e) { return [e instanceof lrml.LrmlError, e.code]; } })(),
      kinds: lrml.modelKinds(),
    });

  `, context) as string;
  const got = JSON.parse(out);
  assert.deepEqual(got.env, ['undefined', 'undefined', 'undefined']);
  assert.equal(got.kind, 'lrml');
  const ref = decodeModel(bytes);
  const rt = (x: unknown): unknown => JSON.parse(JSON.stringify(x));
  assert.deepEqual(got.rec, rt(recommend(ref, 'u0', { k: 5 })));
  for (const x of got.rec.items) assert.ok(x.item !== 'i4' && x.item !== 'i7', 'seen items excluded');
  assert.deepEqual(got.fold, rt(recommendForItems(ref, ['i12', 'i13'], { k: 5 })));
  assert.deepEqual(got.sim, rt(similarItems(ref, 'i3', { k: 4 })));
  assert.deepEqual(got.why, rt(explain(ref, 'u1', 'i20')));
  assert.deepEqual(got.err, [true, 'UNKNOWN_USER']);
  assert.deepEqual(got.kinds, ['lrml', 'cml', 'bpr', 'pop', 'ease', 'ials', 'hlr']);
  // popularity's fit is in its model file; the others' training code is absent and says so
  const lrmlFit = vm.runInContext(`lrml.getFamily('lrml').fit({ numRows: 1, numCols: 1 }, {}).then(() => 'trained', (e) => e.code + ': ' + e.message)`, context) as Promise<string>;
  assert.match(await lrmlFit, /^BAD_OPTION: training lrml needs lrml's training code, which is not loaded here/);
});
