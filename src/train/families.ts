import { LrmlError } from '../errors.js';
import { easeFamily } from '../models/ease.js';
import { popularityFamily } from '../models/popularity.js';
import type { ModelFamily, ModelKind } from '../models/types.js';
import { bprFamily } from './bpr.js';
import { ialsFamily } from './ials.js';
import { cmlFamily, lrmlFamily } from './triplet.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFamily = ModelFamily<any>;

const FAMILIES = new Map<string, AnyFamily>([
  ['lrml', lrmlFamily],
  ['cml', cmlFamily],
  ['bpr', bprFamily],
  ['pop', popularityFamily],
  ['ease', easeFamily],
  ['ials', ialsFamily],
]);

/** Names of the model families available here. */
export function modelKinds(): string[] {
  return [...FAMILIES.keys()];
}

/**
 * The family for `kind`, or an UNKNOWN/BAD_OPTION error listing the known kinds.
 *
 * @example
 * ```ts
 * const fam = getFamily('lrml');
 * const model = await fam.fit(csr, { epochs: 5 });
 * ```
 */
export function getFamily(kind: string): AnyFamily {
  const f = FAMILIES.get(kind);
  if (f === undefined) throw new LrmlError('BAD_OPTION', `unknown model "${kind}" (known: ${modelKinds().join(', ')})`);
  return f;
}

/** Adds a family (e.g. from a plugin); replaces one of the same kind. */
export function registerFamily(family: AnyFamily): void {
  FAMILIES.set(family.kind as ModelKind, family);
}
