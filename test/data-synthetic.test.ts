// The synthetic Netflix-shaped generator (issue #18 item 1): exact counts, distinct pairs,
// skewed activity and popularity, deterministic per seed, and structure a model can learn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerGenerate } from '../src/cli/commands/generate.js';
import { parseInteractions, toCsr } from '../src/data/load.js';
import { leaveLatestOut } from '../src/data/split.js';
import { syntheticChunks, writeSyntheticInteractions, type SyntheticOptions } from '../src/data/synthetic.js';
import { LrmlError } from '../src/errors.js';
import { evaluate } from '../src/eval/evaluate.js';
import { getFamily } from '../src/models/registry.js';
import '../src/train/families.js';
import { captureOutput } from './helpers.js';

function text(o: SyntheticOptions, chunkBytes?: number): string {
  let s = '';
  const g = syntheticChunks(o, chunkBytes);
  for (let r = g.next(); !r.done; r = g.next()) s += r.value;
  return s;
}

test('synthetic: exact interaction count, distinct pairs, every user, increasing times per user; chunking does not matter', () => {
  const o = { numUsers: 300, numItems: 120, interactions: 9000, seed: 3 };
  const s = text(o);
  assert.equal(text(o, 100), s);
  const data = parseInteractions(s, { name: 'syn.tsv' });
  assert.equal(data.summary.header, true);
  assert.equal(data.summary.kept, 9000);
  assert.equal(data.summary.duplicates, 0);
  assert.equal(data.users.size, 300);
  assert.ok(data.items.size <= 120);
  for (let k = 1; k < data.user.length; k++) if (data.user[k] === data.user[k - 1]) assert.ok(data.timestamp![k] > data.timestamp![k - 1]);
  // more interactions than users × items: refused
  assert.throws(() => text({ numUsers: 3, numItems: 4, interactions: 13 }), { code: 'BAD_OPTION', message: /at most numUsers × numItems = 12/ });
  // all pairs
  assert.equal(parseInteractions(text({ numUsers: 3, numItems: 4, interactions: 12 })).summary.kept, 12);
});

test('synthetic: deterministic per seed; skewed user activity and item popularity', () => {
  const o = { numUsers: 1000, numItems: 400, interactions: 30_000, seed: 1 };
  assert.equal(text(o), text(o));
  assert.notEqual(text({ ...o, seed: 2 }), text(o));
  const data = parseInteractions(text(o));
  const perUser = new Int32Array(1000);
  const perItem = new Int32Array(400);
  for (let k = 0; k < data.user.length; k++) {
    perUser[data.user[k]]++;
    perItem[data.item[k]]++;
  }
  const su = Array.from(perUser).sort((a, b) => a - b);
  assert.ok(su[999] > 5 * su[500], `heaviest user ${su[999]} vs median ${su[500]}`);
  const si = Array.from(perItem).sort((a, b) => b - a);
  const top = si.slice(0, 40).reduce((a, b) => a + b, 0);
  assert.ok(top > 0.3 * 30_000, `top 10% items hold ${top} of 30000`);
});

test('synthetic: a model learns the taste structure (EASE beats popularity on held-out items; not without tastes)', async () => {
  const hits = async (taste: number): Promise<[number, number]> => {
    const data = parseInteractions(text({ numUsers: 400, numItems: 200, interactions: 12_000, seed: 1, taste }));
    const { train, test: held } = leaveLatestOut(data);
    const tr = toCsr(train);
    const te = toCsr(held);
    const score = async (kind: string, o: object): Promise<number> => evaluate(await getFamily(kind).fit(tr, o), tr, te, { kind: 'full' }, { bootstrap: 0 }).metrics['hits@10'];
    return [await score('pop', {}), await score('ease', { lambda: 50 })];
  };
  const [pop, ease] = await hits(0.8);
  assert.ok(ease > pop + 0.1, `with tastes: ease ${ease} vs pop ${pop}`);
  const [pop0, ease0] = await hits(0);
  assert.ok(ease0 < pop0 + 0.02, `without tastes: ease ${ease0} vs pop ${pop0}`);
});

test('lrml generate --out: writes the file atomically (same bytes as the library), --json summary; bad flags are BAD_OPTION', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrml-gen-'));
  try {
    const run = (args: string[]) => {
      const program = new Command().exitOverride();
      registerGenerate(program);
      return captureOutput(() => program.parseAsync(['node', 'lrml', 'generate', ...args]));
    };
    const out = join(dir, 'syn.tsv');
    const { stdout } = await run(['--users', '50', '--items', '30', '--interactions', '600', '--seed', '4', '--out', out, '--json']);
    const j = JSON.parse(stdout);
    assert.equal(j.interactions, 600);
    assert.equal(readFileSync(out, 'utf8'), text({ numUsers: 50, numItems: 30, interactions: 600, seed: 4 }));
    const lib = join(dir, 'lib.tsv');
    await writeSyntheticInteractions(lib, { numUsers: 50, numItems: 30, interactions: 600, seed: 4 });
    assert.equal(readFileSync(lib, 'utf8'), readFileSync(out, 'utf8'));
    assert.deepEqual(readdirSync(dir).sort(), ['lib.tsv', 'syn.tsv']);
    for (const [args, msg] of [
      [['--users', '0', '--items', '3', '--interactions', '2'], /^--users: 0 \(expected an integer ≥ 1\)/],
      [['--users', '2', '--items', '3', '--interactions', '7'], /^--interactions: 7 \(at most/],
      [['--users', '2', '--items', '3', '--interactions', '2', '--taste', '1.5'], /^--taste: 1.5 \(expected a share in \[0, 1\]\)/],
    ] as const) {
      const bad = join(dir, 'bad.tsv');
      await assert.rejects(run([...args, '--out', bad]), (e: unknown) => {
        assert.ok(e instanceof LrmlError);
        assert.equal(e.code, 'BAD_OPTION');
        assert.match(e.message, msg);
        return true;
      });
      assert.equal(existsSync(bad), false);
    }
    await assert.rejects(run(['--users', '2', '--items', '3', '--interactions', '2', '--out', join(dir, 'nope', 'x.tsv')]), { code: 'WRITE_FAILED' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
