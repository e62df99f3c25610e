// vega and vega-lite are optional dependencies: a report asked for without them is a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LrmlError } from '../src/errors.js';
import { REPORT_PACKAGES, requireReportPackages } from '../src/cli/report-deps.js';
import { repoRoot } from './helpers.js';

function packageJson(): Record<string, Record<string, string> | undefined> {
  return JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
}

test('report packages: optional dependencies, not runtime dependencies of the library', () => {
  const pkg = packageJson();
  for (const name of REPORT_PACKAGES) {
    assert.equal(pkg.dependencies?.[name], undefined, `${name} is not a dependency`);
    assert.ok(pkg.optionalDependencies?.[name], `${name} is an optional dependency`);
  }
});

test('report packages: installed here they load; missing, the error names the flag, the packages and the install command', async () => {
  await requireReportPackages('--report');
  const missing = (name: string): Promise<unknown> => name === 'vega-lite'
    ? Promise.reject(Object.assign(new Error(`Cannot find package '${name}'`), { code: 'ERR_MODULE_NOT_FOUND' }))
    : Promise.resolve({});
  await assert.rejects(requireReportPackages('--out', missing), (e: unknown) =>
    e instanceof LrmlError && e.code === 'MISSING_DEPENDENCY' && /--out needs the optional package vega-lite/.test(e.message) && /npm install vega-lite/.test(e.message));
  const broken = (): Promise<unknown> => Promise.reject(new TypeError('boom'));
  await assert.rejects(requireReportPackages('--report', broken), /boom/, 'other import failures are not hidden');
});
