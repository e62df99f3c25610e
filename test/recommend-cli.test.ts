// The product CLI commands (recommend, similar, explain), run in-process with stdout captured.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerRecommend } from '../src/cli/commands/recommend.js';
import { registerSimilar } from '../src/cli/commands/similar.js';
import { registerExplain } from '../src/cli/commands/explain.js';
import { saveModel } from '../src/io/model-file.js';
import { LrmlError } from '../src/errors.js';
import { explain, recommend, recommendForItems, recommendForSession, similarItems } from '../src/recommend/index.js';
import { Csr } from '../src/data/csr.js';
import type { LoadedModel } from '../src/io/format.js';
import { syntheticTriplet, wrap } from './recommend-fixtures.js';

let dir = '';
let path = '';
let cmlPath = '';
let m: LoadedModel;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lrml-cli-'));
  const model = syntheticTriplet('lrml');
  m = { ...wrap(model, null), seen: Csr.fromPairs(model.numUsers, model.numItems, Int32Array.of(0, 0, 2), Int32Array.of(1, 2, 3)) };
  path = join(dir, 'm.lrml');
  cmlPath = join(dir, 'c.lrml');
  await saveModel(path, m);
  await saveModel(cmlPath, wrap(syntheticTriplet('cml'), null));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `lrml <args>` with the product commands; returns what they printed. */
async function run(...args: string[]): Promise<string> {
  const program = new Command();
  program.exitOverride();
  let out = '';
  const sink = (text: string): void => {
    out += text;
  };
  registerRecommend(program, sink);
  registerSimilar(program, sink);
  registerExplain(program, sink);
  await program.parseAsync(['node', 'lrml', ...args]);
  return out;
}

const code = (c: string, re?: RegExp) => (e: unknown) => e instanceof LrmlError && e.code === c && (re === undefined || re.test(e.message));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const roundTrip = (x: unknown): any => JSON.parse(JSON.stringify(x));

test('recommend --user: table and --json (seen items excluded)', async () => {
  const json = JSON.parse(await run('recommend', '--model', path, '--user', 'u0', '--k', '4', '--json'));
  assert.deepEqual(json, roundTrip(recommend(m, 'u0', { k: 4 })));
  for (const x of json.items) assert.ok(!['i1', 'i2'].includes(x.item));
  const text = await run('recommend', '--model', path, '--user', 'u0', '--k', '3');
  assert.match(text, /top 3 for user u0 \(lrml\)/);
  assert.match(text, /rank\s+item\s+score/);
  assert.equal(text.trim().split('\n').length, 6, 'title, header, rule, 3 rows');
  const inc = JSON.parse(await run('recommend', '--model', path, '--user', 'u0', '--k', '48', '--include-seen', '--exclude', 'i5,i6', '--json'));
  assert.equal(inc.items.length, 46);
});

test('recommend --items: fold-in for a new user', async () => {
  const json = JSON.parse(await run('recommend', '--model', path, '--items', 'i12,i13,i14', '--k', '5', '--steps', '30', '--seed', '2', '--json'));
  assert.deepEqual(json, roundTrip(recommendForItems(m, ['i12', 'i13', 'i14'], { k: 5, foldIn: { steps: 30, seed: 2 } })));
  const text = await run('recommend', '--model', path, '--items', 'i12,zzz', '--ignore-unknown');
  assert.match(text, /a new user with 2 items/);
});

test('recommend: argument errors', async () => {
  await assert.rejects(run('recommend', '--model', path), code('BAD_OPTION', /one of --user/));
  await assert.rejects(run('recommend', '--model', path, '--user', 'u0', '--steps', '5'), code('BAD_OPTION', /fold-in/));
  await assert.rejects(run('recommend', '--model', path, '--user', 'nobody'), code('UNKNOWN_USER'));
  await assert.rejects(run('recommend', '--model', path, '--items', 'i1,zzz'), code('UNKNOWN_ITEM'));
  await assert.rejects(run('recommend', '--model', path, '--items', ','), code('BAD_OPTION'));
  await assert.rejects(run('recommend', '--model', path, '--user', 'u0', '--k', 'ten'), code('BAD_OPTION', /--k/));
  await assert.rejects(run('recommend', '--model', path, '--user', 'u0', '--k', '0'), code('BAD_OPTION'));
  await assert.rejects(run('recommend', '--model', join(dir, 'none.lrml'), '--user', 'u0'), code('FILE_NOT_FOUND'));
});

test('recommend --include / --exclude (and their -file forms), --skip-unknown', async () => {
  const json = JSON.parse(await run('recommend', '--model', path, '--user', 'u0', '--k', '10', '--include', 'i1,i5,i6,i7', '--exclude', 'i6', '--json'));
  assert.deepEqual(json, roundTrip(recommend(m, 'u0', { k: 10, include: ['i1', 'i5', 'i6', 'i7'], exclude: ['i6'] })));
  assert.deepEqual(json.items.map((x: { item: string }) => x.item).sort(), ['i5', 'i7'], 'seen i1 and excluded i6 removed');
  const inc = join(dir, 'inc.txt');
  const exc = join(dir, 'exc.txt');
  writeFileSync(inc, 'i1\ni5\r\n\ni6\ni7\n');
  writeFileSync(exc, 'i6\nzzz\n');
  const fromFiles = JSON.parse(await run('recommend', '--model', path, '--user', 'u0', '--k', '10', '--include-file', inc, '--exclude-file', exc, '--skip-unknown', '--json'));
  assert.deepEqual(fromFiles, json);
  const items = JSON.parse(await run('recommend', '--model', path, '--items', 'i12,i13', '--include', 'i20,i21,i12', '--steps', '5', '--json'));
  assert.deepEqual(items.items.map((x: { item: string }) => x.item).sort(), ['i20', 'i21']);
});

test('recommend --user with --items: the known user with recent items (session fold-in)', async () => {
  const json = JSON.parse(await run('recommend', '--model', path, '--user', 'u0', '--items', 'i12,i13', '--k', '5', '--steps', '10', '--json'));
  assert.deepEqual(json, roundTrip(recommendForSession(m, 'u0', ['i12', 'i13'], { k: 5, foldIn: { steps: 10, ignoreUnknown: false } })));
  assert.equal(json.user, 'u0');
  for (const x of json.items) assert.ok(!['i1', 'i2', 'i12', 'i13'].includes(x.item), 'history and recent items excluded');
  assert.match(await run('recommend', '--model', path, '--user', 'u0', '--items', 'i12', '--steps', '5'), /user u0 with 1 recent items/);
});

test('recommend filters: malformed input is refused (UNKNOWN_ITEM, BAD_OPTION, FILE_NOT_FOUND)', async () => {
  await assert.rejects(run('recommend', '--model', path, '--user', 'u0', '--include', 'i1,zzz'), code('UNKNOWN_ITEM', /zzz.*include/));
  await assert.rejects(run('recommend', '--model', path, '--user', 'u0', '--exclude', 'zzz'), code('UNKNOWN_ITEM', /exclude/));
  await assert.rejects(run('recommend', '--model', path, '--user', 'u0', '--include', ','), code('BAD_OPTION', /--include/));
  await assert.rejects(run('recommend', '--model', path, '--user', 'u0', '--include', 'i1', '--include-file', join(dir, 'inc.txt')), code('BAD_OPTION', /not both/));
  await assert.rejects(run('recommend', '--model', path, '--user', 'u0', '--include-file', join(dir, 'missing.txt')), code('FILE_NOT_FOUND', /--include-file/));
  const empty = join(dir, 'empty.txt');
  writeFileSync(empty, '\n\n');
  await assert.rejects(run('recommend', '--model', path, '--user', 'u0', '--exclude-file', empty), code('BAD_OPTION', /holds no ids/));
  await assert.rejects(run('recommend', '--model', path, '--user', 'nobody', '--items', 'i1'), code('UNKNOWN_USER'));
  await assert.rejects(run('recommend', '--model', path, '--user', 'u0', '--items', 'zzz'), code('UNKNOWN_ITEM'));
});

test('similar: table and --json', async () => {
  const json = JSON.parse(await run('similar', '--model', path, '--item', 'i7', '--k', '3', '--json'));
  assert.deepEqual(json, roundTrip(similarItems(m, 'i7', { k: 3 })));
  assert.match(await run('similar', '--model', path, '--item', 'i7'), /items similar to i7 \(lrml, euclidean\)/);
  await assert.rejects(run('similar', '--model', path, '--item', 'nope'), code('UNKNOWN_ITEM'));
});

test('explain: text, --json, --profile; CML refused', async () => {
  const json = JSON.parse(await run('explain', '--model', path, '--user', 'u3', '--item', 'i9', '--json'));
  assert.deepEqual(json, roundTrip(explain(m, 'u3', 'i9')));
  const text = await run('explain', '--model', path, '--user', 'u3', '--item', 'i9', '--slots', '2', '--profile');
  assert.match(text, /user u3, item i9 \(lrml, 5 memory slots\)/);
  assert.match(text, /distance \d/);
  assert.match(text, /slot \d over 3 training pairs/);
  const withProfile = JSON.parse(await run('explain', '--model', path, '--user', 'u3', '--item', 'i9', '--profile', '--json'));
  assert.equal(withProfile.profile.slot, json.slots[0].slot);
  await assert.rejects(run('explain', '--model', cmlPath, '--user', 'u0', '--item', 'i0'), code('BAD_OPTION', /this model is cml/));
});
