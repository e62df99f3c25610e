// The pure parts of bench/scale.ts: its flags (sizes, stages, the Netflix shape scaled to the
// size asked for), the table it prints and the extrapolation of `recommend --all`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_STAGES, SCALE_STAGES, extrapolate, formatBytes, parseCount, parseScaleArgs, parseStages, scaleTable } from '../bench/scale-args.js';

test('bench:scale flags: defaults are Netflix at 100M; sizes scale the users; counts accept 100M / 20k', () => {
  const d = parseScaleArgs([]);
  assert.equal(d.interactions, 100_000_000);
  assert.equal(d.users, 480_189);
  assert.equal(d.items, 17_770);
  assert.deepEqual(d.stages, [...DEFAULT_STAGES]);
  assert.ok(!d.stages.includes('default-x1') && !d.stages.includes('default-x2'), 'the default recipe runs only when asked for');
  const small = parseScaleArgs(['--interactions', '10M', '--eval-users', '2k', '--recommend-users', '0']);
  assert.equal(small.interactions, 10_000_000);
  assert.equal(small.users, 48_019);
  assert.equal(small.evalUsers, 2000);
  assert.equal(small.recommendUsers, 0);
  assert.equal(parseCount('--x', '1e8'), 100_000_000);
  assert.equal(parseCount('--x', '1_000'), 1000);
  assert.equal(parseCount('--x', '1.5M'), 1_500_000);
  for (const bad of ['0', '-3', 'ten', '1.5', '']) assert.throws(() => parseCount('--interactions', bad), /--interactions: ".*" is not a positive integer/);
  assert.throws(() => parseScaleArgs(['--interactions', '100', '--users', '2', '--items', '10']), /more than --users × --items = 20/);
  assert.throws(() => parseScaleArgs(['--nope']), /unknown argument --nope/);
  assert.throws(() => parseScaleArgs(['--stages']), /--stages needs a value/);
  // with --data nothing is generated
  assert.ok(!parseScaleArgs(['--data', 'x.tsv', '--stages', 'all']).stages.includes('generate'));
});

test('bench:scale --stages: names in the bench\'s order, all, or an error naming the stage and the known ones', () => {
  assert.deepEqual(parseStages('hinge-x2,load'), ['load', 'hinge-x2']);
  assert.deepEqual(parseStages('all'), [...SCALE_STAGES]);
  assert.throws(() => parseStages('load,train'), /unknown stage "train" \(known: generate, split, load, .*recommend-all, or all\)/);
  assert.throws(() => parseStages(','), /\(none given\)/);
});

test('bench:scale table: one aligned row per stage with time, peak RSS and notes; failures say so', () => {
  const text = scaleTable([
    { stage: 'load', command: 'lrml info', seconds: 38.04, peakRss: 1.6 * 2 ** 30, note: '100 interactions', ok: true },
    { stage: 'hinge-x1', command: 'lrml train', seconds: 750, peakRss: 300 * 2 ** 20, note: 'exit 2', ok: false },
    { stage: 'serve', command: '-', seconds: 0, peakRss: null, note: 'no model', ok: false },
  ]);
  const lines = text.split('\n');
  assert.equal(lines.length, 5);
  assert.match(lines[0], /^stage\s+time\s+peak RSS\s+notes$/);
  assert.match(lines[2], /^load\s+38\.0 s\s+1\.60 GiB\s+100 interactions$/);
  assert.match(lines[3], /^hinge-x1\s+12 min 30 s\s+300 MiB\s+FAILED: exit 2$/);
  assert.match(lines[4], /^serve\s+0\.0 s\s+-\s+FAILED: no model$/);
  // the numbers are right-aligned, the notes start in one column
  assert.equal(lines[2].indexOf('GiB'), lines[3].indexOf('MiB'));
  assert.equal(lines[2].indexOf('100 interactions'), lines[3].indexOf('FAILED'));
  assert.equal(formatBytes(5 * 2 ** 20), '5 MiB');
});

test('bench:scale extrapolation: users per second and the time for every user', () => {
  assert.deepEqual(extrapolate(20_000, 40, 480_000), { perSecond: 500, allSeconds: 960 });
  assert.equal(extrapolate(10, 0, 100).allSeconds, Infinity);
});
