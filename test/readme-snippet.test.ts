// The README's library snippet runs as written (against this build, on a tiny data file, 1 epoch)
// and reports training progress through its hooks (#17 item 15).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { captureOutput, repoRoot } from './helpers.js';


test('README: the library snippet runs and shows training progress', async () => {
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
  const m = /## Using the library\s+```ts\n([\s\S]*?)```/.exec(readme);
  assert.ok(m, 'README has a ts snippet under "Using the library"');
  const snippet = m[1];
  const dir = mkdtempSync(join(tmpdir(), 'lrml-readme-'));
  try {
    // users 1..60 (so '42' exists), each with 8 items of 40
    const lines = ['userId,movieId,rating'];
    for (let u = 1; u <= 60; u++) for (let k = 0; k < 8; k++) lines.push(`${u},${(u * 7 + k * 5) % 40},4`);
    writeFileSync(join(dir, 'ratings.csv'), `${lines.join('\n')}\n`);
    const lib = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'index.js')).href;
    const code = snippet
      .replace(/from 'lrml'/, `from ${JSON.stringify(lib)}`)
      .replace(/'ratings\.csv'/, JSON.stringify(join(dir, 'ratings.csv')))
      .replace(/'movies\.lrml'/, JSON.stringify(join(dir, 'movies.lrml')))
      .replace(/epochs: 20/, 'epochs: 2, dim: 8, numMemories: 4, negatives: 2, batchSize: 64');
    assert.notEqual(code, snippet);
    const file = join(dir, 'snippet.mjs');
    writeFileSync(file, code);
    const out = await captureOutput(() => import(pathToFileURL(file).href));
    assert.match(out.stderr, /epoch 1\/2 \d+% loss \d/, 'onProgress reports the running epoch');
    assert.match(out.stderr, /epoch 2: loss \d+\.\d{4}, \d+\.\d s\n/, 'onEpoch reports each finished epoch');
    assert.match(out.stdout, /'\d+'|\[/, 'recommendations printed');
    assert.ok(existsSync(join(dir, 'movies.lrml')), 'model saved');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
