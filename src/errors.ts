/**
 * Every error lrml raises on purpose is an {@link LrmlError} with a stable `code`.
 * Messages say what was wrong and where (file, line, column, argument) and, where
 * it applies, the allowed values.
 *
 * @example
 * ```ts
 * try { await loadInteractions('x.csv'); }
 * catch (e) { if (e instanceof LrmlError && e.code === 'BAD_VALUE') console.error(e.message); }
 * ```
 */
export type ErrorCode =
  // data loading
  | 'FILE_NOT_FOUND'
  | 'EMPTY_FILE'
  | 'UNKNOWN_FORMAT'
  | 'MISSING_COLUMN'
  | 'BAD_COLUMN'
  | 'BAD_VALUE'
  | 'BAD_GZIP'
  | 'NO_INTERACTIONS'
  | 'WRITE_FAILED'
  // options and arguments
  | 'BAD_OPTION'
  // training
  | 'DIVERGED'
  | 'CANCELLED'
  // model files and product API
  | 'BAD_MODEL_FILE'
  | 'UNKNOWN_USER'
  | 'UNKNOWN_ITEM'
  | 'TOO_LARGE'
  // environment
  | 'MISSING_DEPENDENCY'
  | 'INTERNAL';

/** Where in an input file an error was found (1-based line and column). */
export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number | string;
  value?: string;
}

/** Which option was refused, with the value given and what is allowed (set by {@link badOption}). */
export interface OptionProblem {
  name: string;
  value: unknown;
  expected: string;
}

/** The one error type of lrml: `code` is stable, `message` is for people. */
export class LrmlError extends Error {
  readonly code: ErrorCode;
  readonly location: ErrorLocation | undefined;
  /** For a refused option value: the option, the value and what is allowed; otherwise undefined. */
  readonly option: OptionProblem | undefined;
  constructor(code: ErrorCode, message: string, location?: ErrorLocation, option?: OptionProblem) {
    super(message);
    this.name = 'LrmlError';
    this.code = code;
    this.location = location;
    this.option = option;
  }
}

function optionMessage(label: string, value: unknown, expected: string): string {
  return `${label}: ${JSON.stringify(value)} (expected ${expected})`;
}

/**
 * Shorthand for an option error; `error.option` carries the parts.
 *
 * @example
 * ```ts
 * throw badOption('dim', 0, 'a positive integer'); // invalid dim: 0 (expected a positive integer)
 * ```
 */
export function badOption(name: string, value: unknown, allowed: string): LrmlError {
  return new LrmlError('BAD_OPTION', optionMessage(`invalid ${name}`, value, allowed), undefined, { name, value, expected: allowed });
}

/**
 * The same refusal of an option, named by `label` instead (a command-line flag, a form field);
 * errors that are not option refusals come back unchanged.
 *
 * @example
 * ```ts
 * relabelOption(badOption('maxPairs', 0, 'a positive integer'), '--max-pairs').message;
 * // '--max-pairs: 0 (expected a positive integer)'
 * ```
 */
export function relabelOption(e: LrmlError, label: string): LrmlError {
  if (e.option === undefined) return e;
  return new LrmlError(e.code, optionMessage(label, e.option.value, e.option.expected), e.location, { ...e.option, name: label });
}

/** Validates a positive integer option, returning it. */
export function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw badOption(name, value, 'a positive integer');
  return value;
}

/** Validates a finite number within [min, max] (inclusive), returning it. */
export function numberIn(name: string, value: number, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw badOption(name, value, `a number in [${min}, ${max}]`);
  }
  return value;
}

/** Validates that `value` is one of `allowed`, returning it. */
export function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw badOption(name, value, `one of ${allowed.join(', ')}`);
  return value as T;
}

/**
 * Options over defaults: unknown keys throw BAD_OPTION listing the known ones (for `kind`);
 * undefined values keep the default. Validation of the values is the caller's.
 *
 * @example
 * ```ts
 * const o = withDefaults('bpr', { dim: 32 }, BPR_DEFAULTS);
 * ```
 */
export function withDefaults<T extends object>(kind: string, given: Partial<T>, defaults: Readonly<T>, known: readonly string[] = Object.keys(defaults)): T {
  for (const k of Object.keys(given)) {
    if (!known.includes(k)) throw new LrmlError('BAD_OPTION', `unknown option "${k}" for ${kind} (known: ${known.join(', ')})`);
  }
  const o = { ...defaults } as T;
  for (const [k, v] of Object.entries(given)) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  return o;
}
