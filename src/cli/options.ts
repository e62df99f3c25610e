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

/**
 * Parses `auto` or a CLI integer (e.g. `--negative-sharing auto`), naming the flag in the error.
 *
 * @example
 * ```ts
 * parseIntegerOrAuto('--negative-sharing')('auto'); // 'auto'
 * ```
 */
export function parseIntegerOrAuto(flag: string): (v: string) => number | 'auto' {
  return (v: string) => {
    if (v === 'auto') return 'auto';
    const x = Number(v);
    if (!Number.isInteger(x)) throw new LrmlError('BAD_OPTION', `${flag}: "${v}" is neither auto nor an integer`);
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

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, kb: 2 ** 10, kib: 2 ** 10, m: 2 ** 20, mb: 2 ** 20, mib: 2 ** 20, g: 2 ** 30, gb: 2 ** 30, gib: 2 ** 30, t: 2 ** 40, tb: 2 ** 40, tib: 2 ** 40 };

/** Parses a byte size: `8G`, `512M`, `1.5GiB`, `1000000` (K/M/G/T are powers of 1024), naming the flag in the error. */
export function parseSize(flag: string): (v: string) => number {
  return (v: string) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
    const unit = m === null ? undefined : SIZE_UNITS[m[2].toLowerCase()];
    const bytes = m === null || unit === undefined ? Number.NaN : Math.floor(Number(m[1]) * unit);
    if (!(bytes > 0)) throw new LrmlError('BAD_OPTION', `${flag}: "${v}" is not a size (expected e.g. 8G, 512M or a number of bytes)`);
    return bytes;
  };
}
