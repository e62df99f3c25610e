// Load options: validation and defaults (browser-safe).
import { LrmlError, badOption, oneOf } from '../errors.js';
import { ROLES } from './column-names.js';
import type { IdMap } from './idmap.js';
import type { ColumnSpec, DataFormat, LoadOptions } from './types.js';

/**
 * The formats `format` accepts.
 *
 * @example
 * ```ts
 * DATA_FORMATS.includes('csv'); // true
 * ```
 */
export const DATA_FORMATS: readonly DataFormat[] = ['auto', 'csv', 'tsv', 'dat', 'ncf-rating', 'ncf-pairs', 'parquet'];

/** Load options after validation, defaults filled (see {@link resolveLoadOptions}). */
export interface ResolvedLoadOptions {
  format: DataFormat;
  columns: ColumnSpec[] | null;
  minRating: number | null;
  kcore: number | null;
  skipBadLines: boolean;
  delimiter: string | null;
  header: 'auto' | boolean;
  users: IdMap | undefined;
  items: IdMap | undefined;
  frozen: boolean;
}

/**
 * Validates load options (throws BAD_OPTION, or BAD_COLUMN for `columns`) and fills defaults.
 *
 * @example
 * ```ts
 * resolveLoadOptions({ kcore: 0 }); // throws LrmlError BAD_OPTION: invalid kcore: 0 (expected a positive integer)
 * ```
 */
export function resolveLoadOptions(options: LoadOptions = {}): ResolvedLoadOptions {
  const format = oneOf('format', options.format ?? 'auto', DATA_FORMATS);
  let columns: ColumnSpec[] | null = null;
  if (options.columns !== undefined) columns = checkColumns(options.columns);
  const minRating = options.minRating ?? null;
  if (minRating !== null && (typeof minRating !== 'number' || !Number.isFinite(minRating))) {
    throw badOption('minRating', minRating, 'a finite number');
  }
  const kcore = options.kcore ?? null;
  if (kcore !== null && (!Number.isInteger(kcore) || kcore <= 0)) throw badOption('kcore', kcore, 'a positive integer');
  const delimiter = options.delimiter ?? null;
  if (delimiter !== null && (typeof delimiter !== 'string' || delimiter.length === 0 || /[\r\n"]/.test(delimiter))) {
    throw badOption('delimiter', delimiter, 'a non-empty string without quotes or line breaks, e.g. "," "\\t" "::" ";"');
  }
  const header = options.header ?? 'auto';
  if (header !== 'auto' && header !== true && header !== false) throw badOption('header', header, "'auto', true or false");
  const frozen = options.frozen ?? false;
  if (typeof frozen !== 'boolean') throw badOption('frozen', frozen, 'true or false');
  if (frozen && options.users === undefined && options.items === undefined) {
    throw badOption('frozen', frozen, 'true only together with users and/or items maps');
  }
  const skip = options.skipBadLines ?? false;
  if (typeof skip !== 'boolean') throw badOption('skipBadLines', skip, 'true or false');
  return { format, columns, minRating, kcore, skipBadLines: skip, delimiter, header, users: options.users, items: options.items, frozen };
}

function checkColumns(spec: readonly ColumnSpec[]): ColumnSpec[] {
  const bad = (why: string): LrmlError =>
    new LrmlError('BAD_COLUMN', `invalid columns ${JSON.stringify(spec)}: ${why} (expected [user, item, rating?, timestamp?] as header names or 0-based indices, e.g. ["userId","movieId","rating"] or [0,1,2,3]; null or "-" skips one)`);
  if (!Array.isArray(spec) || spec.length < 2 || spec.length > 4) throw bad('need 2 to 4 entries');
  const out: ColumnSpec[] = [];
  for (let r = 0; r < spec.length; r++) {
    const c = spec[r];
    if (c === null || c === '-' || (c === '' && r >= 2)) out.push(null);
    else if (typeof c === 'number') {
      if (!Number.isInteger(c) || c < 0) throw bad(`${ROLES[r]} column ${c} is not a 0-based index`);
      out.push(c);
    } else if (typeof c === 'string' && c.trim() !== '') out.push(c.trim());
    else throw bad(`${ROLES[r]} column ${JSON.stringify(c)} is neither a name nor an index`);
  }
  if (out[0] === null || out[1] === null) throw bad('user and item columns are required');
  const seen = new Set<string>();
  for (const c of out) {
    if (c === null) continue;
    const key = `${typeof c}:${c}`;
    if (seen.has(key)) throw bad(`column ${JSON.stringify(c)} is used twice`);
    seen.add(key);
  }
  return out;
}
