// The layering DEVELOPERS.md documents is checked, not just written down: every import in src/
// points down a layer (or within its folder), Node-only modules stay in the Node-side folders, and
// no file imports its own folder's index.ts. The checker is tested on synthetic sources first, so
// a clean result on src/ means something.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { repoRoot } from './helpers.js';
import { checkLayering, importsOf, stripSource } from './layering-check.js';

function sources(files: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(files));
}

test('layering checker: finds imports in statements only, not in comments, strings, templates or regexes', () => {
  const src = [
    "import { a } from './a.js';",
    "import type { B } from '../models/types.js';",
    "import { type C, type D } from './c.js';",
    "import { type E, f } from './e.js';",
    "export { g } from './g.js';",
    "export type { H } from './h.js';",
    "import './side.js';",
    '// import { no } from "../train/no.js";',
    "/* import { no2 } from '../train/no2.js'; */",
    "const s = \"import { no3 } from '../train/no3.js'\";",
    'const t = `import(${JSON.stringify(url)}) and import(\'../train/no4.js\')`;',
    "const re = /from\\s*[\"']node:/; const x = 1 / 2; const y = `${x}`;",
    "const lazy = await import('./lazy.js');",
  ].join('\n');
  const got = importsOf('recommend/x.ts', src, () => false).map((e) => `${e.specifier}${e.typeOnly ? ' type' : ''}${e.dynamic ? ' dynamic' : ''}`);
  assert.deepEqual(got.sort(), ['./a.js', '../models/types.js type', './c.js type', './e.js', './g.js', './h.js type', './side.js', './lazy.js dynamic'].sort());
  assert.ok(!stripSource("const a = 'x'; // import y from 'z'").code.includes('import'));
});

test('layering checker: a back edge, a forbidden node: import, Node-only code reached indirectly, a peer import and an own index.ts each fail, naming file and import', () => {
  const ok = {
    'errors.ts': 'export class LrmlError extends Error {}',
    'models/types.ts': 'export interface Recommender { kind: string }',
    'data/load.ts': "import { readFile } from 'node:fs/promises'; export const load = readFile;",
    'data/csr.ts': 'export class Csr {}',
    'train/fit.ts': "import type { Recommender } from '../models/types.js'; import { Csr } from '../data/csr.js';",
    'recommend/index.ts': "export { recommend } from './recommend.js';",
    'recommend/recommend.ts': "import { LrmlError } from '../errors.js'; export function recommend() {}",
    'io/file.ts': "import { readFile } from 'node:fs/promises'; import { recommend } from '../recommend/index.js';",
  };
  assert.deepEqual(checkLayering(sources(ok)), []);
  const bad = (extra: Record<string, string>): string[] => checkLayering(sources({ ...ok, ...extra }));
  const back = bad({ 'models/bad.ts': "import { x } from '../train/fit.js';" });
  assert.equal(back.length, 1);
  assert.match(back[0], /^models\/bad\.ts imports \.\.\/train\/fit\.js: models may not import train/);
  const typeBack = bad({ 'recommend/bad.ts': "import type { X } from '../io/file.js';" });
  assert.match(typeBack.join('\n'), /recommend\/bad\.ts imports \.\.\/io\/file\.js: recommend may not import io/, 'type-only imports count for the layering too');
  const node = bad({ 'eval/bad.ts': "import { Worker } from 'node:worker_threads';" });
  assert.match(node.join('\n'), /^eval\/bad\.ts imports node:worker_threads: Node-only modules are for/);
  assert.match(bad({ 'models/bad.ts': "import os from 'os';" }).join('\n'), /models\/bad\.ts imports os: Node-only/, 'bare built-in names too');
  const indirect = bad({ 'analyze/bad.ts': "import { load } from '../data/load.js';" });
  assert.match(indirect.join('\n'), /^analyze\/bad\.ts imports \.\.\/data\/load\.js: Node-only through data\/load\.ts → node:fs\/promises/);
  assert.deepEqual(bad({ 'analyze/ok.ts': "import type { X } from '../data/load.js'; import { Csr } from '../data/csr.js';" }), [], 'types and pure data modules are fine');
  assert.match(bad({ 'eval/bad.ts': "import { recommend } from '../recommend/recommend.js';" }).join('\n'), /eval and recommend are peers/);
  assert.match(bad({ 'recommend/foldin.ts': "import { recommend } from './index.js';" }).join('\n'), /recommend\/foldin\.ts imports \.\/index\.js: its own folder's index\.ts/);
  assert.match(bad({ 'kernels/k.ts': "import { LrmlError } from '../errors.js';" }).join('\n'), /kernels import nothing from the project/);
  assert.match(bad({ 'newdir/x.ts': 'export const x = 1;' }).join('\n'), /newdir is in no layer/);
});

test('src/ follows the documented layering (DEVELOPERS.md "Layout")', () => {
  const root = join(repoRoot(), 'src');
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((f) => {
      const p = join(d, f);
      if (statSync(p).isDirectory()) return f === 'assembly' ? [] : walk(p); // AssemblyScript, compiled separately
      return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
    });
  const files = new Map(walk(root).map((p) => [relative(root, p).split(sep).join('/'), readFileSync(p, 'utf8')]));
  assert.ok(files.size > 50, `read ${files.size} files`);
  const problems = checkLayering(files);
  assert.deepEqual(problems, [], `layering violations:\n${problems.join('\n')}`);
});
