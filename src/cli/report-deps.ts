// Reports (train --report, evaluate --report, analyze --out) draw their charts with vega and
// vega-lite, which are optional dependencies: everything else works without them.
import { LrmlError } from '../errors.js';

/** The plotting packages the reports need (optionalDependencies in package.json). */
export const REPORT_PACKAGES = ['vega', 'vega-lite'] as const;

/**
 * Checks, before any long work, that the optional plotting packages are installed; throws a
 * `MISSING_DEPENDENCY` {@link LrmlError} naming the flag and the install command if not.
 * `importer` is for tests.
 *
 * @example
 * ```ts
 * if (opts.report !== undefined) await requireReportPackages('--report');
 * ```
 */
export async function requireReportPackages(flag: string, importer: (name: string) => Promise<unknown> = (name) => import(name)): Promise<void> {
  const missing: string[] = [];
  for (const name of REPORT_PACKAGES) {
    try {
      await importer(name);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw e;
      missing.push(name);
    }
  }
  if (missing.length > 0) {
    throw new LrmlError('MISSING_DEPENDENCY',
      `${flag} needs the optional package${missing.length > 1 ? 's' : ''} ${missing.join(' and ')} (charts), which ${missing.length > 1 ? 'are' : 'is'} not installed ` +
      `(npm installs optional dependencies unless told --omit=optional): run \`npm install ${missing.join(' ')}\`, or leave out ${flag}`);
  }
}
