// Byte-level pieces of the interaction parser: character codes, field splitting, number parsing.
// Browser-safe; pure functions over Uint8Array (no strings on the fast paths).

/** `\n` */
export const NL = 10;
/** `\r` */
export const CR = 13;
/** `"` */
export const QUOTE = 34;
/** ` ` */
export const SPACE = 32;
/** `\t` */
export const TAB = 9;

const decoder = new TextDecoder('utf-8');

/**
 * Parses a number from bytes `b[start, end)`; NaN when it is not a finite number. A fast path
 * handles plain decimals (`-12`, `3.5`); anything else goes through `Number()`.
 *
 * @example
 * ```ts
 * const b = new TextEncoder().encode('4.5,x');
 * parseNumber(b, 0, 3); // 4.5
 * parseNumber(b, 4, 5); // NaN
 * ```
 */
export function parseNumber(b: Uint8Array, start: number, end: number): number {
  let p = start;
  let neg = false;
  if (p < end && (b[p] === 45 || b[p] === 43)) {
    neg = b[p] === 45;
    p++;
  }
  let v = 0;
  let digits = 0;
  let c = 0;
  while (p < end && (c = b[p] - 48) >= 0 && c <= 9) {
    v = v * 10 + c;
    digits++;
    p++;
  }
  let scale = 1;
  if (p < end && b[p] === 46) {
    p++;
    while (p < end && (c = b[p] - 48) >= 0 && c <= 9) {
      v = v * 10 + c;
      scale *= 10;
      digits++;
      p++;
    }
  }
  if (p === end && digits > 0 && digits <= 15) {
    const x = scale === 1 ? v : v / scale;
    return neg ? -x : x;
  }
  // A '-' right after digits never makes a number ("2024-03-01"): no slow path for dates.
  if (digits > 0 && p < end && b[p] === 45) return NaN;
  // Slow path: exponents, long numbers, oddities.
  const str = decoder.decode(b.subarray(start, end)).trim();
  if (str === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(str)) return NaN;
  const x = Number(str);
  return Number.isFinite(x) ? x : NaN;
}

/**
 * Whether `b[start, end)` holds only spaces, tabs and carriage returns (or nothing).
 *
 * @example
 * ```ts
 * isBlank(new TextEncoder().encode(' \t\r'), 0, 3); // true
 * ```
 */
export function isBlank(b: Uint8Array, start: number, end: number): boolean {
  for (let p = start; p < end; p++) {
    const c = b[p];
    if (c !== SPACE && c !== TAB && c !== CR) return false;
  }
  return true;
}

/**
 * Splits `b[start, end)` into at most `limit` fields on `delim`, writing their bounds to
 * `fieldStart` / `fieldEnd` (trimmed of spaces, and of tabs unless tab is the delimiter; with a
 * single-space delimiter, runs of spaces count as one). With `quotes`, a field may be "quoted"
 * with "" escapes (unescaped in place, so `b` may change). Returns the number of fields found
 * (stops at `limit`), or -1 for a malformed quote.
 *
 * @example
 * ```ts
 * const b = new TextEncoder().encode('a, "b""c" ,d');
 * const fieldStart = new Int32Array(3);
 * const fieldEnd = new Int32Array(3);
 * splitFields(b, 0, b.length, new TextEncoder().encode(','), true, fieldStart, fieldEnd, 3); // 3
 * // fields: "a", "b\"c", "d"
 * ```
 */
export function splitFields(
  b: Uint8Array,
  start: number,
  end: number,
  delim: Uint8Array,
  quotes: boolean,
  fieldStart: Int32Array,
  fieldEnd: Int32Array,
  limit: number,
): number {
  const d0 = delim[0];
  const delimLength = delim.length;
  const trimTab = d0 !== TAB;
  const trimSpace = d0 !== SPACE;
  const collapse = d0 === SPACE && delimLength === 1; // runs of spaces count as one separator
  let n = 0;
  let p = start;
  for (;;) {
    if (trimSpace) while (p < end && (b[p] === SPACE || (trimTab && b[p] === TAB))) p++;
    else if (collapse) {
      while (p < end && b[p] === SPACE) p++;
      if (p >= end && n > 0) return n;
    }
    let q: number;
    let fieldStop: number;
    if (quotes && p < end && b[p] === QUOTE) {
      let w = p;
      q = p + 1;
      for (;;) {
        if (q >= end) return -1;
        const c = b[q];
        if (c === QUOTE) {
          if (q + 1 < end && b[q + 1] === QUOTE) {
            b[w++] = QUOTE;
            q += 2;
          } else {
            q++;
            break;
          }
        } else {
          b[w++] = c;
          q++;
        }
      }
      fieldStop = w;
      while (q < end && (b[q] === SPACE || b[q] === TAB) && b[q] !== d0) q++;
      if (q < end && !delimiterAt(b, q, end, delim)) return -1;
    } else {
      q = p;
      if (delimLength === 1) {
        while (q < end && b[q] !== d0) q++;
      } else {
        while (q < end && !(b[q] === d0 && delimiterAt(b, q, end, delim))) q++;
      }
      fieldStop = q;
      if (trimSpace) while (fieldStop > p && (b[fieldStop - 1] === SPACE || (trimTab && b[fieldStop - 1] === TAB))) fieldStop--;
    }
    fieldStart[n] = p;
    fieldEnd[n] = fieldStop;
    n++;
    if (q >= end || n >= limit) return n;
    p = q + delimLength;
  }
}

/** Whether the delimiter's bytes start at `b[q]` (before `end`). */
function delimiterAt(b: Uint8Array, q: number, end: number, delim: Uint8Array): boolean {
  if (q + delim.length > end) return false;
  for (let k = 0; k < delim.length; k++) if (b[q + k] !== delim[k]) return false;
  return true;
}

/** Reads exactly `n` decimal digits at `b[p]` (before `end`); -1 when they are not all digits. */
function digitsAt(b: Uint8Array, p: number, end: number, n: number): number {
  if (p + n > end) return -1;
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = b[p + k] - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Days from 1970-01-01 to the proleptic Gregorian date (month 1–12). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * The ISO-8601 forms {@link parseIsoTimestamp} accepts, for messages.
 *
 * @example
 * ```ts
 * `"${value}" is not an ISO-8601 date/time (${ISO_FORMS})`;
 * ```
 */
export const ISO_FORMS = 'YYYY-MM-DD, optionally THH:MM[:SS[.fff]] and Z or ±HH:MM';

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Parses an ISO-8601 (RFC 3339) date or date-time from bytes `b[start, end)` into seconds since
 * 1970-01-01T00:00:00Z; NaN when it is not one. Accepted: `YYYY-MM-DD` (midnight UTC), then
 * optionally `T` (or `t`, or one space) `HH:MM`, `:SS`, a fraction `.f…` (or `,f…`) of seconds,
 * and a zone `Z` / `z` / `±HH:MM` / `±HHMM` / `±HH`; a time without a zone is read as UTC.
 * Fields out of range (month 13, 30 February, hour 24, second 60) are NaN.
 *
 * @example
 * ```ts
 * const b = new TextEncoder().encode('2024-03-01T12:00:00+02:00');
 * parseIsoTimestamp(b, 0, b.length); // 1709287200 (= 10:00 UTC)
 * parseIsoTimestamp(b, 0, 10); // 1709251200 (2024-03-01, midnight UTC)
 * ```
 */
export function parseIsoTimestamp(b: Uint8Array, start: number, end: number): number {
  const year = digitsAt(b, start, end, 4);
  if (year < 0 || b[start + 4] !== 45 || b[start + 7] !== 45) return NaN;
  const month = digitsAt(b, start + 5, end, 2);
  const day = digitsAt(b, start + 8, end, 2);
  if (month < 1 || month > 12 || day < 1) return NaN;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1])) return NaN;
  let seconds = daysFromCivil(year, month, day) * 86400;
  let p = start + 10;
  if (p === end) return seconds;
  const sep = b[p];
  if (sep !== 84 && sep !== 116 && sep !== SPACE) return NaN; // T, t, space
  const hour = digitsAt(b, p + 1, end, 2);
  if (hour < 0 || hour > 23 || b[p + 3] !== 58) return NaN;
  const minute = digitsAt(b, p + 4, end, 2);
  if (minute < 0 || minute > 59) return NaN;
  seconds += hour * 3600 + minute * 60;
  p += 6;
  if (p < end && b[p] === 58) {
    const second = digitsAt(b, p + 1, end, 2);
    if (second < 0 || second > 59) return NaN;
    seconds += second;
    p += 3;
    if (p < end && (b[p] === 46 || b[p] === 44)) {
      p++;
      let frac = 0;
      let scale = 1;
      let c = 0;
      const from = p;
      while (p < end && (c = b[p] - 48) >= 0 && c <= 9) {
        if (scale < 1e15) {
          frac = frac * 10 + c;
          scale *= 10;
        }
        p++;
      }
      if (p === from) return NaN;
      seconds += frac / scale;
    }
  }
  if (p === end) return seconds;
  const z = b[p];
  if (z === 90 || z === 122) return p + 1 === end ? seconds : NaN; // Z, z
  if (z !== 43 && z !== 45) return NaN; // + -
  const oh = digitsAt(b, p + 1, end, 2);
  if (oh < 0 || oh > 23) return NaN;
  p += 3;
  let om = 0;
  if (p < end) {
    if (b[p] === 58) p++;
    om = digitsAt(b, p, end, 2);
    if (om < 0 || om > 59) return NaN;
    p += 2;
  }
  if (p !== end) return NaN;
  const offset = oh * 3600 + om * 60;
  return z === 43 ? seconds - offset : seconds + offset;
}
