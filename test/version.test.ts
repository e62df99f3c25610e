// The version is written once (src/version.ts) and agrees with package.json everywhere it shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LRML_VERSION } from '../src/version.js';
import { buildProgram } from '../src/cli/main.js';
import { createApp, ModelHolder } from '../src/serve/index.js';
import { syntheticTriplet, wrap } from './recommend-fixtures.js';
import { repoRoot } from './helpers.js';

/** package.json of the repository (this file runs from test/ or from dist/test/). */
function packageJson(): { version: string } {
  return JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string };
}

test('version: src/version.ts agrees with package.json; lrml --version and GET /health report it', async () => {
  assert.equal(LRML_VERSION, packageJson().version);
  assert.equal(buildProgram().version(), LRML_VERSION);
  const app = createApp({ holder: new ModelHolder(wrap(syntheticTriplet('lrml'), null, {}), null) });
  const body = await (await app.request('/health')).json() as { version: string };
  assert.equal(body.version, LRML_VERSION);
});
