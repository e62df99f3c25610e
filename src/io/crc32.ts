// CRC-32 (IEEE 802.3, the zlib/PNG polynomial), pure TypeScript so model files can be checked in
// browsers too. Slicing-by-8: eight table lookups per 8 bytes.

let tables: Uint32Array[] | null = null;

function crcTables(): Uint32Array[] {
  if (tables !== null) return tables;
  const t = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[0][n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) t[k][n] = (t[k - 1][n] >>> 8) ^ t[0][t[k - 1][n] & 0xff];
  }
  tables = t;
  return t;
}

/**
 * Continues a CRC-32 over `bytes` (start with 0); the result is an unsigned 32-bit integer, the
 * same as zlib's `crc32`.
 *
 * @example
 * ```ts
 * crc32(new TextEncoder().encode('123456789')).toString(16); // 'cbf43926'
 * const both = crc32(b, crc32(a)); // crc32 of a then b
 * ```
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = crcTables();
  let c = ~previous >>> 0;
  const n = bytes.length;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const a = (c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24))) >>> 0;
    c = t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^ t4[a >>> 24]
      ^ t3[bytes[i + 4]] ^ t2[bytes[i + 5]] ^ t1[bytes[i + 6]] ^ t0[bytes[i + 7]];
  }
  for (; i < n; i++) c = t0[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
