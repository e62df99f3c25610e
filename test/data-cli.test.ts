import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync, symlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { addDataOptions, dataOptionsFrom } from '../src/cli/data-options.js';
import { registerInfo } from '../src/cli/commands/info.js';
import { registerSplit } from '../src/cli/commands/split.js';
import { loadInteractions } from '../src/data/load.js';
import { LrmlError } from '../src/errors.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = existsSync(resolve(here, '../package.json')) ? resolve(here, '..') : resolve(here, '../..');
const ratings = resolve(root, 'data/ml-latest-small/ratings.csv');
const dir = mkdtempSync(join(tmpdir(), 'lrml-data-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Runs `lrml <args>` with info and split registered; returns stdout. */
async function run(...args: string[]): Promise<string> {
  const program = new Command();
  program.name('lrml').exitOverride();
  registerInfo(program);
  registerSplit(program);
  let out = '';
  const write = process.stdout.write;
  // Commands write strings; the test runner's own (binary) messages pass through.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    if (typeof chunk !== 'string') return (write as (c: Uint8Array, ...r: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
    out += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'lrml', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return out;
}

test('dataOptionsFrom: parses and validates every flag', () => {
  assert.deepEqual(dataOptionsFrom({}), {});
  assert.deepEqual(
    dataOptionsFrom({ format: 'tsv', columns: 'userId, movieId,-,3', minRating: '3.5', kcore: '5', skipBadLines: true, delimiter: 'tab', header: 'no' }),
    { format: 'tsv', columns: ['userId', 'movieId', null, 3], minRating: 3.5, kcore: 5, skipBadLines: true, delimiter: '\t', header: false },
  );
  assert.deepEqual(dataOptionsFrom({ delimiter: '\\t', header: 'auto' }), { delimiter: '\t', header: 'auto' });
  const bad: [Record<string, unknown>, string, RegExp][] = [
    [{ format: 'xlsx' }, 'BAD_OPTION', /--format: "xlsx" \(expected one of auto, csv, tsv, dat, ncf-rating, ncf-pairs, parquet\)/],
    [{ minRating: 'four' }, 'BAD_OPTION', /--min-rating/],
    [{ minRating: '' }, 'BAD_OPTION', /--min-rating/],
    [{ kcore: '0' }, 'BAD_OPTION', /--kcore: "0" \(expected a positive integer/],
    [{ kcore: '2.5' }, 'BAD_OPTION', /--kcore/],
    [{ header: 'maybe' }, 'BAD_OPTION', /one of auto, yes, no/],
    [{ columns: 'user' }, 'BAD_COLUMN', /--columns: "user" is not user,item/],
    [{ columns: 'a,b,c,d,e' }, 'BAD_COLUMN', /--columns/],
    [{ columns: ',item' }, 'BAD_COLUMN', /--columns/],
    [{ columns: '0,-1' }, 'BAD_COLUMN', /"-1" is not a 0-based column index/],
  ];
  for (const [opts, code, message] of bad) {
    assert.throws(() => dataOptionsFrom(opts), (e: unknown) => e instanceof LrmlError && e.code === code && message.test(e.message), JSON.stringify(opts));
  }
});

test('addDataOptions adds the flags to a commander command', async () => {
  const cmd = new Command('x').exitOverride();
  addDataOptions(cmd);
  let got: Record<string, unknown> = {};
  cmd.action((opts: Record<string, unknown>) => {
    got = opts;
  });
  await cmd.parseAsync(['--format', 'csv', '--columns', 'u,i', '--min-rating', '4', '--kcore', '3', '--skip-bad-lines', '--delimiter', ';', '--header', 'yes'], { from: 'user' });
  assert.deepEqual(dataOptionsFrom(got), { format: 'csv', columns: ['u', 'i'], minRating: 4, kcore: 3, skipBadLines: true, delimiter: ';', header: true });
});

test('lrml info --json: counts, statistics and the load summary', async () => {
  const out = JSON.parse(await run('info', '--data', ratings, '--json'));
  assert.equal(out.users, 610);
  assert.equal(out.items, 9724);
  assert.equal(out.interactions, 100836);
  assert.ok(Math.abs(out.density - 100836 / (610 * 9724)) < 1e-12);
  assert.equal(out.perUser.min, 20);
  assert.equal(out.perUser.max, 2698);
  assert.equal(out.perItem.min, 1);
  assert.deepEqual(out.rating.min, 0.5);
  assert.equal(out.summary.linesRead, 100836);
  assert.equal(out.summary.format, 'csv');
});

test('lrml info (text) and data flags', async () => {
  const text = await run('info', '--data', ratings, '--min-rating', '4', '--kcore', '5');
  assert.match(text, /csv, with header/);
  assert.match(text, /below minRating/);
  assert.match(text, /per user/);
  assert.match(text, /per item/);
  assert.match(text, /users\s+\d+/);
});

test('lrml info names the columns it used and those it ignored', async () => {
  const p = join(dir, 'ignored.csv');
  writeFileSync(p, 'userId,movieId,stars_given,ts\n1,10,4,100\n2,10,5,101\n');
  const text = await run('info', '--data', p);
  assert.match(text, /columns: user=userId, item=movieId, timestamp=ts; ignored: stars_given \(3\)\n/);
  const json = JSON.parse(await run('info', '--data', p, '--json'));
  assert.deepEqual(json.summary.ignoredColumns, [{ index: 2, name: 'stars_given' }]);
  const all = join(dir, 'all-used.csv');
  writeFileSync(all, 'u,i,r\n1,10,4\n');
  assert.match(await run('info', '--data', all), /columns: user=u, item=i, rating=r\n/);
});

test('lrml info errors are LrmlErrors (main prints them)', async () => {
  await assert.rejects(run('info', '--data', join(dir, 'missing.csv')), { code: 'FILE_NOT_FOUND' });
  await assert.rejects(run('info', '--data', ratings, '--format', 'xls'), { code: 'BAD_OPTION' });
});

test('lrml split writes train/test files lrml reads back; the parts partition the data', async () => {
  for (const method of ['leave-latest-out', 'leave-one-out', 'ratio']) {
    const trainOut = join(dir, `${method}-train.tsv`);
    const testOut = join(dir, `${method}-test.tsv.gz`);
    const out = JSON.parse(await run('split', '--data', ratings, '--method', method, '--seed', '3', '--train-out', trainOut, '--test-out', testOut, '--json'));
    assert.equal(out.method, method);
    const train = await loadInteractions(trainOut);
    const test1 = await loadInteractions(testOut, { users: train.users, items: train.items });
    assert.equal(train.user.length, out.trainInteractions);
    assert.equal(test1.user.length, out.testInteractions);
    assert.equal(out.trainInteractions + out.testInteractions, 100836);
    if (method !== 'ratio') assert.equal(out.testInteractions, 610);
    else assert.ok(Math.abs(out.testInteractions - 0.2 * 100836) < 610);
    // no pair in both
    const trainPairs = new Set(Array.from(train.user, (u, k) => `${u}|${train.item[k]}`));
    for (let k = 0; k < test1.user.length; k++) assert.ok(!trainPairs.has(`${test1.user[k]}|${test1.item[k]}`));
  }
  const text = await run('split', '--data', ratings, '--train-out', join(dir, 'a.tsv'), '--test-out', join(dir, 'b.tsv'));
  assert.match(text, /610 of 610 users have held-out interactions/);
  assert.match(text, /latest = by timestamp/);
});

test('lrml split validates its flags', async () => {
  const outs = ['--train-out', join(dir, 'x.tsv'), '--test-out', join(dir, 'y.tsv')];
  await assert.rejects(run('split', '--data', ratings, '--method', 'kfold', ...outs), { code: 'BAD_OPTION', message: /leave-latest-out, leave-one-out, ratio/ });
  await assert.rejects(run('split', '--data', ratings, '--method', 'ratio', '--ratio', '1.2', ...outs), { code: 'BAD_OPTION', message: /--ratio/ });
  await assert.rejects(run('split', '--data', ratings, '--ratio', '0.5', ...outs), { code: 'BAD_OPTION', message: /--method ratio only/ });
  await assert.rejects(run('split', '--data', ratings, '--seed', 'abc', ...outs), { code: 'BAD_OPTION', message: /--seed/ });
  await assert.rejects(run('split', '--data', ratings, '--train-out', 'same.tsv', '--test-out', 'same.tsv'), { code: 'BAD_OPTION', message: /same file/ });
  assert.ok(!existsSync(join(dir, 'x.tsv')));
});

test('lrml split refuses an output that is its input, or two outputs that are one file, before writing anything', async () => {
  const sub = join(dir, 'inplace');
  mkdirSync(sub);
  const input = join(sub, 'in.csv');
  const text = 'user,item,timestamp\na,1,5\na,2,9\nb,1,3\nb,2,4\n';
  writeFileSync(input, text);
  symlinkSync(input, join(sub, 'link.csv'));
  const other = join(sub, 'other.tsv');
  const cases: [string[], RegExp][] = [
    [['--train-out', input, '--test-out', other], /--train-out .*in\.csv would overwrite the input --data .*in\.csv/],
    [['--train-out', other, '--test-out', input], /--test-out .*in\.csv would overwrite the input --data .*in\.csv/],
    // the same file spelled differently: ./x vs x, dir/../x, a symlink
    [['--train-out', `${sub}/./in.csv`, '--test-out', other], /--train-out .* would overwrite the input --data .*in\.csv \(both are .*in\.csv\)/],
    [['--train-out', other, '--test-out', `${sub}/../inplace/in.csv`], /--test-out .* would overwrite the input --data/],
    [['--train-out', join(sub, 'link.csv'), '--test-out', other], /--train-out .*link\.csv would overwrite the input --data .*in\.csv/],
    [['--train-out', other, '--test-out', `${sub}/./other.tsv`], /--test-out .*other\.tsv is the same file as --train-out .*other\.tsv/],
  ];
  for (const [outs, message] of cases) {
    await assert.rejects(run('split', '--data', input, ...outs), { code: 'BAD_OPTION', message });
    assert.equal(readFileSync(input, 'utf8'), text, outs.join(' '));
    assert.ok(!existsSync(other), outs.join(' '));
  }
  // the input named through the symlink, the output by its real name
  await assert.rejects(run('split', '--data', join(sub, 'link.csv'), '--train-out', input, '--test-out', other), { code: 'BAD_OPTION', message: /would overwrite the input --data .*link\.csv/ });
  assert.equal(readFileSync(input, 'utf8'), text);
  // relative paths: ./in.csv and in.csv
  const cwd = process.cwd();
  process.chdir(sub);
  try {
    await assert.rejects(run('split', '--data', './in.csv', '--train-out', 'in.csv', '--test-out', 'other.tsv'), { code: 'BAD_OPTION', message: /--train-out in\.csv would overwrite the input --data \.\/in\.csv \(both are .*in\.csv\)/ });
  } finally {
    process.chdir(cwd);
  }
  assert.equal(readFileSync(input, 'utf8'), text);
  assert.ok(!existsSync(other));
});

test('lrml split on a tiny file: users with one interaction stay in train', async () => {
  const p = join(dir, 'tiny.csv');
  writeFileSync(p, 'user,item,timestamp\na,1,5\na,2,9\nb,1,3\n');
  const out = JSON.parse(await run('split', '--data', p, '--train-out', join(dir, 't1.tsv'), '--test-out', join(dir, 't2.tsv'), '--json'));
  assert.equal(out.usersTrainOnly, 1);
  assert.equal(out.usersInTest, 1);
  const test1 = await loadInteractions(join(dir, 't2.tsv'));
  assert.deepEqual([test1.users.ids(), test1.items.ids(), Array.from(test1.timestamp!)], [['a'], ['2'], [9]]);
});
