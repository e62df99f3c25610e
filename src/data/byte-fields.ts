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
