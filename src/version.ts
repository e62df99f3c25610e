/**
 * The version of lrml, the one place it is written besides package.json (a test checks the two
 * agree). Used by `lrml --version`, the model files' metadata (`lrmlVersion`), report footers and
 * the HTTP service's `/health`. Browser-safe.
 *
 * @example
 * ```ts
 * import { LRML_VERSION } from 'lrml';
 * console.log(`lrml ${LRML_VERSION}`);
 * ```
 */
export const LRML_VERSION = '0.1.0';
