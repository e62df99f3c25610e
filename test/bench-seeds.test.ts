import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMeanSd, meanSd, parseSeeds } from '../bench/seeds.js';

test('meanSd: mean and sample standard deviation, worked by hand', () => {
  // mean 0.46; deviations −0.01, 0, +0.01 → Σ² = 2e-4, / (n − 1) = 1e-4, sd 0.01
  const s = meanSd([0.45, 0.46, 0.47]);
  assert.equal(s.n, 3);
  assert.ok(Math.abs(s.mean - 0.46) < 1e-12);
  assert.ok(Math.abs(s.sd - 0.01) < 1e-12);
  // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, Σ² = 32, sample variance 32/7
  const t = meanSd([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.equal(t.mean, 5);
  assert.ok(Math.abs(t.sd - Math.sqrt(32 / 7)) < 1e-12);
  assert.deepEqual(meanSd([0.3]), { mean: 0.3, sd: 0, n: 1 });
  assert.throws(() => meanSd([]), /no values/);
});

test('formatMeanSd: mean ± sd for several seeds, the value alone for one', () => {
  assert.equal(formatMeanSd(meanSd([0.45, 0.46, 0.47]), 4), '0.4600 ± 0.0100');
  assert.equal(formatMeanSd(meanSd([812.4]), 0), '812');
});

test('parseSeeds: lists and ranges; malformed values name the flag', () => {
  assert.deepEqual(parseSeeds('1,2,3'), [1, 2, 3]);
  assert.deepEqual(parseSeeds('1-3'), [1, 2, 3]);
  assert.deepEqual(parseSeeds('7'), [7]);
  assert.throws(() => parseSeeds('3-1'), /--seeds: range 3-1 is empty/);
  assert.throws(() => parseSeeds('1,x'), /--seeds: "x" is not a non-negative integer/);
  assert.throws(() => parseSeeds('-1'), /--seeds/);
  assert.throws(() => parseSeeds('1,1'), /repeats a seed/);
});
