// The tuning studies in tune/: one folder per study of docs/lrml-study.md, each config listed with
// its figures in the folder's README.md, every path the docs cite existing, and every config
// reading the ML-1M validation files only (never the test files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { repoRoot } from './helpers.js';

const root = repoRoot();
const read = (p: string): string => readFileSync(join(root, p), 'utf8');

test('tune/: every config sits in a study folder, is listed in its README.md, and trains on the validation split', () => {
  assert.deepEqual(readdirSync(join(root, 'tune')).filter((f) => f.endsWith('.json')), [], 'no flat configs in tune/');
  const study = read('docs/lrml-study.md');
  const folders = readdirSync(join(root, 'tune'), { withFileTypes: true }).filter((d) => d.isDirectory() && /^\d\d-/.test(d.name)).map((d) => d.name);
  assert.ok(folders.length >= 14);
  const shared = resolve(root, '..', 'shared', 'data', 'ml-1m');
  for (const folder of folders) {
    assert.ok(study.includes(`tune/${folder}/`), `docs/lrml-study.md cites tune/${folder}/`);
    const readme = read(`tune/${folder}/README.md`);
    const configs = readdirSync(join(root, 'tune', folder)).filter((f) => f.endsWith('.json'));
    assert.ok(configs.length > 0 || existsSync(join(root, 'tune', folder, 'small')), `${folder}: configs, or a small/ study`);
    for (const file of configs) {
      assert.ok(readme.includes(`| \`${file}\` |`), `tune/${folder}/README.md lists ${file} with its figures`);
      const c = JSON.parse(read(`tune/${folder}/${file}`)) as { data: string; validation: { negatives: string } };
      const here = join(root, 'tune', folder);
      assert.equal(relative(shared, resolve(here, c.data)), 'ml-1m.valid-train.pairs.gz', `${folder}/${file}: data`);
      assert.equal(relative(shared, resolve(here, c.validation.negatives)), 'ml-1m.valid.negative.gz', `${folder}/${file}: validation`);
    }
    // configs on the small sets (ml-100k, ml-latest-small) sit in small/, train on a
    // make-splits.sh validation split and validate on its held-out items, never the test files
    const small = join(root, 'tune', folder, 'small');
    if (!existsSync(small)) continue;
    assert.ok(existsSync(join(small, 'make-splits.sh')), `${folder}/small/make-splits.sh`);
    for (const file of readdirSync(small).filter((f) => f.endsWith('.json'))) {
      assert.ok(readme.includes(`| \`small/${file}\` |`), `tune/${folder}/README.md lists small/${file} with its figures`);
      const c = JSON.parse(read(`tune/${folder}/small/${file}`)) as { data: string; validation: { test: string } };
      assert.match(c.data, /^splits\/[\w-]+\.valid-train\.tsv$/, `${folder}/small/${file}: data`);
      assert.match(c.validation.test, /^splits\/[\w-]+\.valid\.tsv$/, `${folder}/small/${file}: validation`);
      assert.equal(c.data.replace('.valid-train.tsv', ''), c.validation.test.replace('.valid.tsv', ''), `${folder}/small/${file}: one data set`);
    }
  }
});

test('docs: every tune/ path they cite exists', () => {
  const docs = ['README.md', 'BENCHMARKS.md', 'DEVELOPERS.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  let cited = 0;
  for (const doc of docs) {
    for (const m of read(doc).matchAll(/tune\/[\w.-]+(?:\/[\w.-]+\.json)?\/?/g)) {
      const path = m[0];
      if (!path.endsWith('/') && !path.endsWith('.json')) continue; // prose like "tune/": only folders and files
      cited += 1;
      assert.ok(existsSync(join(root, path)), `${doc} cites ${path}, which does not exist`);
    }
  }
  assert.ok(cited >= 14);
});
