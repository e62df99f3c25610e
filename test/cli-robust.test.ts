// Issue #17, the command line: usage errors exit 2, output paths are checked before long work,
// oversized models are refused before allocation, --epochs 0 is refused, killed writers' temp
// files are cleaned up, help shows defaults, progress shows the time left for all epochs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram } from '../src/cli/main.js';
import { checkOutputFile, removeStaleTemps, tempPathFor, writeFileAtomic } from '../src/fs-atomic.js';
import { writeInteractions, loadInteractions } from '../src/data/load.js';
import { LrmlError } from '../src/errors.js';
import { estimateTrainingMemory, formatBytes } from '../src/train/memory.js';
import { checkTrainingMemory } from '../src/cli/limits.js';
import { parseSize } from '../src/cli/options.js';
import { formatDuration, overallEta } from '../src/cli/progress.js';
import { runCli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lrml-robust-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// a small interaction file: 30 users × 20 items
const data = join(dir, 'small.csv');
writeFileSync(data, `user,item\n${Array.from({ length: 240 }, (_, k) => `u${k % 30},i${(k * 7 + Math.floor(k / 30)) % 20}`).join('\n')}\n`);

const cli = runCli;

test('issue 17.6: parser errors are error [USAGE] with exit 2; --help and --version exit 0', async () => {
  for (const [args, pattern] of [
    [['train', '--data', data, '--out', join(dir, 'm.lrml'), '--bogus'], /^error \[USAGE\]: unknown option '--bogus'/],
    [['train', '--data', data], /^error \[USAGE\]: required option '--out <file>' not specified/],
    [['nope'], /^error \[USAGE\]: unknown command 'nope'/],
    [['recommend', '--model'], /^error \[USAGE\]: option '--model <file>' argument missing/],
  ] as const) {
    const r = await cli(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
  assert.equal((await cli('--version')).code, 0);
  const help = await cli('train', '--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: lrml train/);
  // LrmlErrors keep their own code
  const bad = await cli('train', '--data', data, '--out', join(dir, 'm.lrml'), '--dim', 'x');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^error \[BAD_OPTION\]: --dim: "x" is not an integer/);
});

test('train: a refused model option is named by the flag typed (--attention-tau, --embed-lr-scale), --set keeps the option name', async () => {
  const out = join(dir, 'refused.lrml');
  for (const [args, pattern] of [
    [['--attention', 'fit', '--attention-tau', '-1'], /^error \[BAD_OPTION\]: --attention-tau: -1 \(expected/],
    [['--family', 'cml', '--attention', 'cosine'], /^error \[BAD_OPTION\]: --attention: "cosine" \(expected "dot" with numMemories 0/],
    [['--family', 'cml', '--embed-lr-scale', '0'], /^error \[BAD_OPTION\]: --embed-lr-scale: 0 \(expected .*never moves/],
    [['--attention-scale', '30'], /^error \[BAD_OPTION\]: --attention-scale: 30 \(expected no value with attention "dot"/],
    [['--margin', '-1'], /^error \[BAD_OPTION\]: --margin: -1 \(expected/],
    [['--set', 'attentionTemperature=-1', '--attention', 'fit'], /^error \[BAD_OPTION\]: invalid attentionTemperature: -1/],
  ] as const) {
    const r = await cli('train', '--data', data, '--out', out, '--quiet', ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
    assert.equal(existsSync(out), false);
  }
});

test('issue 17.3: train --out into a missing folder or onto a folder fails before loading and training', async () => {
  const missingData = join(dir, 'does-not-exist.csv');
  // the data file is missing too: the --out error comes first, so nothing was loaded
  let r = await cli('train', '--data', missingData, '--out', join(dir, 'no', 'such', 'm.lrml'));
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^error \[WRITE_FAILED\]: --out: cannot write .*m\.lrml: the folder .*such does not exist \(create it first\)/);
  r = await cli('train', '--data', missingData, '--out', dir);
  assert.match(r.stderr, /^error \[WRITE_FAILED\]: --out: cannot write .*: it is a folder \(give a file name inside it\)/);
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  r = await cli('train', '--data', missingData, '--out', join(file, 'm.lrml'));
  assert.match(r.stderr, /^error \[WRITE_FAILED\]: --out: cannot write .*: .*a-file is not a folder/);
  assert.doesNotMatch(r.stderr, /internal error|at .*:\d+:\d+/);
  await assert.rejects(checkOutputFile('', '--out'), (e: unknown) => e instanceof LrmlError && e.code === 'WRITE_FAILED');
  await checkOutputFile(join(dir, 'fine.lrml'), '--out');
});

test('issue 17.3: split and evaluate check their output files before the work, too', async () => {
  const missingData = join(dir, 'does-not-exist.csv');
  let r = await cli('split', '--data', missingData, '--train-out', join(dir, 'nope', 't.tsv'), '--test-out', join(dir, 'v.tsv'));
  assert.match(r.stderr, /^error \[WRITE_FAILED\]: --train-out: cannot write .*t\.tsv: the folder .*nope does not exist/);
  r = await cli('split', '--data', missingData, '--train-out', join(dir, 't.tsv'), '--test-out', dir);
  assert.match(r.stderr, /^error \[WRITE_FAILED\]: --test-out: cannot write .*: it is a folder/);
  r = await cli('evaluate', '--model', join(dir, 'none.lrml'), '--train', data, '--test', data, '--per-user', join(dir, 'nope', 'pu.tsv'));
  assert.match(r.stderr, /^error \[WRITE_FAILED\]: --per-user: cannot write .*pu\.tsv: the folder .*nope does not exist/);
});

test('issue 17.17: --epochs 0 is refused (it would save an untrained model); nothing is written', async () => {
  const out = join(dir, 'zero.lrml');
  for (const model of ['lrml', 'bpr', 'ials']) {
    const r = await cli('train', '--data', data, '--out', out, '--model', model, '--epochs', '0');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error \[BAD_OPTION\]: --epochs: 0 \(expected an integer ≥ 1; 0 would save an untrained model\)/);
  }
  assert.equal(existsSync(out), false);
});

test('issue 17.4: a model too large for memory is refused before allocation, naming the option and the estimate', { timeout: 30_000 }, async () => {
  const out = join(dir, 'huge.lrml');
  let r = await cli('train', '--data', data, '--out', out, '--dim', '1000000000');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^error \[BAD_OPTION\]: --dim 1000000000: training lrml on 30 users × 20 items needs about [\d.]+ TiB of memory, more than the limit of [\d.]+ GiB \(80% of this machine's [\d.]+ GiB; --max-memory to change\)/);
  r = await cli('train', '--data', data, '--out', out, '--memories', '100000000', '--dim', '100');
  assert.match(r.stderr, /^error \[BAD_OPTION\]: --memories 100000000: training lrml .* needs about [\d.]+ [GT]iB/);
  r = await cli('train', '--data', data, '--out', out, '--negatives', '1000000000');
  assert.match(r.stderr, /^error \[BAD_OPTION\]: --negatives 1000000000: training lrml .* needs about [\d.]+ [GT]iB/);
  r = await cli('train', '--data', data, '--out', out, '--model', 'ease', '--max-memory', '1K');
  assert.match(r.stderr, /^error \[BAD_OPTION\]: the data: training ease on 30 users × 20 items needs about 4\.7 KiB of memory, more than the limit of 1\.0 KiB \(--max-memory\)/);
  r = await cli('train', '--data', data, '--out', out, '--max-memory', 'lots');
  assert.match(r.stderr, /^error \[BAD_OPTION\]: --max-memory: "lots" is not a size/);
  assert.equal(existsSync(out), false);
  // the estimate itself: tables × 4 bytes × (weights, kernel copy, gradients, snapshot, Adam's two
  // moments) + the CSR and the epoch's order + one chunk of the epoch (≤ 2^20 positives: users,
  // items and negatives, in JS and in the kernel)
  const e = estimateTrainingMemory('lrml', { numUsers: 6040, numItems: 3706, nnz: 1_000_000 }, { dim: 100, numMemories: 20, optimizer: 'adam', negatives: 20 });
  // (ML-1M: the 20 negatives per positive are the largest part); the WASM kernel's deferred path
  // adds two N-vectors (N + 4 floats each) per item and worker
  const dq = (items: number, threads: number): number => 2 * 4 * 24 * items * threads;
  assert.deepEqual(e, { bytes: 4 * ((6040 + 3706) * 100 + 2 * 20 * 100) * 6 + dq(3706, 1) + 4 * 1_000_000 * 2 + 8 * 1_000_000 * 22, option: 'negatives' });
  // … per worker thread, and not on the paths without it (the TS backend, fit attention, l1)
  const e2 = estimateTrainingMemory('lrml', { numUsers: 6040, numItems: 3706, nnz: 1_000_000 }, { dim: 100, numMemories: 20, optimizer: 'adam', negatives: 20, threads: 2 });
  assert.equal(e2?.bytes, (e?.bytes ?? 0) + dq(3706, 1));
  for (const off of [{ backend: 'ts' }, { attention: 'fit' }, { distance: 'l1' }, { negativeRelation: 'copy' }]) {
    const e3 = estimateTrainingMemory('lrml', { numUsers: 6040, numItems: 3706, nnz: 1_000_000 }, { dim: 100, numMemories: 20, optimizer: 'adam', negatives: 20, threads: 2, ...off });
    assert.equal(e3?.bytes, (e?.bytes ?? 0) - dq(3706, 1), JSON.stringify(off));
  }
  // at 100M interactions the chunk stays one chunk: the data part grows, the negatives part does not
  const big = estimateTrainingMemory('lrml', { numUsers: 480_189, numItems: 17_770, nnz: 100_000_000 }, { dim: 100, numMemories: 20, optimizer: 'adam', negatives: 20 });
  assert.deepEqual(big, { bytes: 4 * ((480_189 + 17_770) * 100 + 2 * 20 * 100) * 6 + dq(17_770, 1) + 4 * 100_000_000 * 2 + 8 * 2 ** 20 * 22, option: 'dim' });
  assert.equal(estimateTrainingMemory('plugin-kind', { numUsers: 1, numItems: 1, nnz: 1 }, {}), null);
  // every built-in family carries its own estimate in its descriptor
  for (const kind of ['lrml', 'cml', 'bpr', 'pop', 'ease', 'ials']) {
    assert.ok((estimateTrainingMemory(kind, { numUsers: 10, numItems: 10, nnz: 50 }, { dim: 8 })?.bytes ?? 0) > 0, kind);
  }
  assert.throws(() => checkTrainingMemory('bpr', { numUsers: 100, numItems: 100, nnz: 1000 }, { dim: 1000, optimizer: 'adam' }, 1 << 20), /--dim 1000: training bpr/);
  checkTrainingMemory('bpr', { numUsers: 100, numItems: 100, nnz: 1000 }, { dim: 8, optimizer: 'adam' }, 1 << 20);
  assert.equal(parseSize('--max-memory')('8G'), 8 * 2 ** 30);
  assert.equal(parseSize('--max-memory')('1.5MiB'), 1.5 * 2 ** 20);
  assert.equal(parseSize('--max-memory')('4096'), 4096);
  assert.equal(formatBytes(3 * 2 ** 30), '3.0 GiB');
});

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

test('issue 17.12: temp files of killed writers (dead pid) are removed on the next write to the same file', async () => {
  const d = join(dir, 'tmp-clean');
  mkdirSync(d);
  const target = join(d, 'm.lrml');
  const dead = deadPid();
  const stale = `m.lrml.${dead}.1733450000000.tmp`;
  const mine = `m.lrml.${process.pid}.1733450000001.tmp`; // this process: may be a write in flight
  const init = 'm.lrml.1.1733450000002.tmp'; // pid 1 is alive
  const other = `other.lrml.${dead}.1733450000003.tmp`; // another target
  const lookalike = `m.lrml.${dead}.tmp`; // not our pattern
  for (const n of [stale, mine, init, other, lookalike]) writeFileSync(join(d, n), 'half a model');
  await writeFileAtomic(target, 'new');
  assert.deepEqual(readdirSync(d).sort(), [init, lookalike, 'm.lrml', mine, other].sort());
  assert.deepEqual(await removeStaleTemps(join(d, 'other.lrml')), [other]);
  // writeInteractions (split's writer) cleans up the same way
  const tsv = join(d, 'train.tsv');
  writeFileSync(join(d, `train.tsv.${dead}.5.tmp`), 'x');
  await writeInteractions(tsv, await loadInteractions(data));
  assert.ok(!readdirSync(d).some((n) => n.startsWith('train.tsv.')), readdirSync(d).join(' '));
  assert.match(tempPathFor(target), new RegExp(`m\\.lrml\\.${process.pid}\\.\\d+\\.tmp$`));
});

test('issue 17.12: a failed write is WRITE_FAILED naming the file, not a raw system error', async () => {
  await assert.rejects(writeFileAtomic(join(dir, 'no', 'x.json'), '{}'), (e: unknown) => e instanceof LrmlError && e.code === 'WRITE_FAILED' && /cannot write .*x\.json/.test(e.message));
});

test('issue 17.16: train --help shows the defaults of the model options', () => {
  const train = buildProgram().commands.find((c) => c.name() === 'train')!;
  const help = train.helpInformation();
  assert.match(help, /--dim <n>\s+embedding dimension d \(default: 100 \(lrml, cml,\s+hlr\), 64 \(bpr, ials\)\)/);
  assert.match(help, /--batch-size <n>\s+positives per optimiser step \(default: 1024\)/);
  assert.match(help, /--epochs <n>\s+training epochs \(default: 40 \(lrml, hlr\), 50 \(cml\),\s+30 \(bpr\), 16 \(ials\)\)/);
  assert.match(help, /--optimizer <o>\s+adam \| adagrad \| sgd \(default: adam\)/);
  assert.match(help, /--max-memory <size>/);
});

test('issue 17.16: the overall ETA spans all epochs; the epoch lines say how long is left', async () => {
  assert.equal(overallEta(60, { epoch: 2, epochs: 10, done: 50, total: 100 }), 340);
  assert.equal(overallEta(30, { epoch: 1, epochs: 4, done: 100, total: 100 }), 90);
  assert.equal(overallEta(0, { epoch: 1, epochs: 4, done: 0, total: 100 }), null);
  assert.equal(formatDuration(42), '42s');
  assert.equal(formatDuration(200), '3m20s');
  assert.equal(formatDuration(7384), '2h03m');
  const r = await cli('train', '--data', data, '--out', join(dir, 'eta.lrml'), '--model', 'bpr', '--epochs', '3', '--dim', '4');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /epoch 1: .*, about \d+s left for 2 more epochs\n/);
  assert.match(r.stderr, /epoch 2: .*, about \d+s left for 1 more epoch\n/);
  assert.match(r.stderr, /epoch 3: [^\n]*s\n/);
  assert.doesNotMatch(r.stderr, /epoch 3: .*left/);
});
