import { LrmlError } from '../errors.js';

/** Parses a CLI number, naming the flag in the error. */
export function parseNumber(flag: string): (v: string) => number {
  return (v: string) => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x)) throw new LrmlError('BAD_OPTION', `${flag}: "${v}" is not a number`);
    return x;
  };
}

/** Parses a CLI integer, naming the flag in the error. */
export function parseInteger(flag: string): (v: string) => number {
  return (v: string) => {
    const x = Number(v);
    if (!Number.isInteger(x)) throw new LrmlError('BAD_OPTION', `${flag}: "${v}" is not an integer`);
    return x;
  };
}

/** Parses a comma-separated list of positive integers (e.g. `--k 1,5,10`). */
export function parseIntList(flag: string): (v: string) => number[] {
  return (v: string) => {
    const xs = v.split(',').map((s) => Number(s.trim()));
    if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x <= 0)) {
      throw new LrmlError('BAD_OPTION', `${flag}: "${v}" is not a comma-separated list of positive integers`);
    }
    return xs;
  };
}

/**
 * Parses repeated `--set key=value` pairs into an options object: values are JSON when they
 * parse as JSON (numbers, booleans), strings otherwise.
 */
export function collectSet(v: string, prev: Record<string, unknown> = {}): Record<string, unknown> {
  const eq = v.indexOf('=');
  if (eq <= 0) throw new LrmlError('BAD_OPTION', `--set: "${v}" is not key=value`);
  const key = v.slice(0, eq);
  const raw = v.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  return { ...prev, [key]: value };
}
