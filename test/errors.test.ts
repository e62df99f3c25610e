import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LrmlError, badOption, numberIn, oneOf, relabelOption } from '../src/errors.js';

test('badOption carries the option, the value and what is allowed', () => {
  const e = badOption('maxPairs', 0, 'a positive integer');
  assert.equal(e.code, 'BAD_OPTION');
  assert.equal(e.message, 'invalid maxPairs: 0 (expected a positive integer)');
  assert.deepEqual(e.option, { name: 'maxPairs', value: 0, expected: 'a positive integer' });
  assert.throws(() => numberIn('lambda', -1, 0, 10), (x: unknown) => x instanceof LrmlError && x.option?.name === 'lambda' && x.option.value === -1);
  assert.throws(() => oneOf('mode', 'x', ['a', 'b']), (x: unknown) => x instanceof LrmlError && x.option?.expected === 'one of a, b');
});

test('relabelOption names the flag instead; other errors come back unchanged', () => {
  const e = relabelOption(badOption('maxPairs', 'ten', 'a positive integer'), '--max-pairs');
  assert.equal(e.message, '--max-pairs: "ten" (expected a positive integer)');
  assert.equal(e.code, 'BAD_OPTION');
  assert.equal(e.option?.name, '--max-pairs');
  const other = new LrmlError('BAD_VALUE', 'line 3: not a number', { file: 'x.csv', line: 3 });
  assert.equal(relabelOption(other, '--data'), other);
  assert.equal(other.option, undefined);
});
