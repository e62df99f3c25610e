// The seen-items CSR of a model file, compressed: each row's sorted, distinct item indices as
// gaps (the first item itself, then item − previous − 1), each gap an unsigned LEB128 varint
// (7 bits a byte, high bit = more). At Netflix shape (≈ 180 items per user over 17,770 items)
// most gaps fit one byte: about a quarter of the 4 bytes an Int32 index takes (issue #18).
// Browser-safe: no Node APIs.

import { Csr } from '../data/csr.js';
import { LrmlError } from '../errors.js';

/**
 * The row-wise gap varints of a CSR's indices (rows must be sorted and distinct, as a `Csr` is).
 *
 * @example
 * ```ts
 * const csr = Csr.fromPairs(2, 300, Int32Array.of(0, 0, 1), Int32Array.of(5, 200, 7));
 * encodeCsrVarint(csr); // Uint8Array [5, 0xc2, 0x01, 7]: 5, gap 194, then row 1: 7
 * ```
 */
export function encodeCsrVarint(csr: Csr): Uint8Array {
  const { indptr, indices } = csr;
  let bytes = 0;
  for (let r = 0; r < csr.numRows; r++) {
    let prev = -1;
    for (let k = indptr[r]; k < indptr[r + 1]; k++) {
      let g = indices[k] - prev - 1;
      prev = indices[k];
      do {
        bytes++;
        g >>>= 7;
      } while (g !== 0);
    }
  }
  const out = new Uint8Array(bytes);
  let p = 0;
  for (let r = 0; r < csr.numRows; r++) {
    let prev = -1;
    for (let k = indptr[r]; k < indptr[r + 1]; k++) {
      let g = indices[k] - prev - 1;
      prev = indices[k];
      while (g >= 0x80) {
        out[p++] = (g & 0x7f) | 0x80;
        g >>>= 7;
      }
      out[p++] = g;
    }
  }
  return out;
}

/**
 * Rebuilds the CSR from its row pointers and {@link encodeCsrVarint} bytes, checking everything
 * (BAD_MODEL_FILE saying what and where): the bytes hold exactly `indptr[numRows]` indices, each
 * row's indices increase, every index is below `numCols`.
 *
 * @example
 * ```ts
 * const back = decodeCsrVarint(2, 300, csr.indptr, encodeCsrVarint(csr)); // same rows as csr
 * ```
 */
export function decodeCsrVarint(numRows: number, numCols: number, indptr: Int32Array, bytes: Uint8Array): Csr {
  const bad = (msg: string): LrmlError => new LrmlError('BAD_MODEL_FILE', `seen.varint: ${msg}`);
  if (indptr.length !== numRows + 1 || indptr[0] !== 0) throw bad('seen.indptr does not fit the model\'s users');
  const nnz = indptr[numRows];
  if (nnz > bytes.length) throw bad(`${bytes.length} bytes cannot hold ${nnz} items`);
  const indices = new Int32Array(nnz);
  let p = 0;
  for (let r = 0; r < numRows; r++) {
    if (indptr[r + 1] < indptr[r]) throw bad(`seen.indptr decreases at user ${r}`);
    let prev = -1;
    for (let k = indptr[r]; k < indptr[r + 1]; k++) {
      let g = 0;
      let shift = 0;
      for (;;) {
        if (p >= bytes.length) throw bad(`ends inside user ${r}'s items (truncated?)`);
        const b = bytes[p++];
        if (shift > 28) throw bad(`a gap longer than 5 bytes at byte ${p - 1}`);
        g += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if (b < 0x80) break;
      }
      const item = prev + 1 + g;
      if (item >= numCols) throw bad(`user ${r}: item index ${item} is not below ${numCols}`);
      indices[k] = item;
      prev = item;
    }
  }
  if (p !== bytes.length) throw bad(`${bytes.length - p} bytes left after the last user's items`);
  return new Csr(numRows, numCols, indptr, indices);
}
