/**
 * Compressed sparse rows of a 0/1 matrix (users × items): row r holds the sorted,
 * distinct column indices `indices[indptr[r] .. indptr[r+1])`.
 *
 * @example
 * ```ts
 * const csr = Csr.fromPairs(2, 3, Int32Array.of(0, 0, 1), Int32Array.of(2, 0, 1));
 * csr.row(0);      // Int32Array [0, 2]
 * csr.has(1, 1);   // true
 * ```
 */
export class Csr {
  constructor(
    readonly numRows: number,
    readonly numCols: number,
    readonly indptr: Int32Array,
    readonly indices: Int32Array,
  ) {
    if (indptr.length !== numRows + 1) throw new RangeError(`Csr: indptr length ${indptr.length} != numRows + 1 (${numRows + 1})`);
    if (indptr[numRows] !== indices.length) throw new RangeError('Csr: indptr[numRows] != indices.length');
  }

  /**
   * Builds a CSR from (row, col) pairs. Duplicate pairs are kept once.
   * Entries must be within [0, numRows) × [0, numCols).
   */
  static fromPairs(numRows: number, numCols: number, rows: Int32Array, cols: Int32Array): Csr {
    const n = rows.length;
    if (cols.length !== n) throw new RangeError('Csr.fromPairs: rows and cols differ in length');
    const counts = new Int32Array(numRows + 1);
    for (let k = 0; k < n; k++) {
      const r = rows[k];
      const c = cols[k];
      if (r < 0 || r >= numRows || c < 0 || c >= numCols) throw new RangeError(`Csr.fromPairs: pair (${r}, ${c}) out of range`);
      counts[r + 1]++;
    }
    for (let r = 0; r < numRows; r++) counts[r + 1] += counts[r];
    const fill = counts.slice(0, numRows);
    const tmp = new Int32Array(n);
    for (let k = 0; k < n; k++) tmp[fill[rows[k]]++] = cols[k];
    // sort and dedup each row in place
    const indptr = new Int32Array(numRows + 1);
    let w = 0;
    for (let r = 0; r < numRows; r++) {
      const seg = tmp.subarray(counts[r], counts[r + 1]);
      seg.sort();
      indptr[r] = w;
      for (let k = 0; k < seg.length; k++) {
        if (k === 0 || seg[k] !== seg[k - 1]) tmp[w++] = seg[k];
      }
    }
    indptr[numRows] = w;
    // no duplicates (the usual case): the buffer is the result, not copied
    return new Csr(numRows, numCols, indptr, w === n ? tmp : tmp.slice(0, w));
  }

  /** Number of stored entries. */
  get nnz(): number {
    return this.indices.length;
  }

  /** Sorted column indices of row r (a view, not a copy). */
  row(r: number): Int32Array {
    return this.indices.subarray(this.indptr[r], this.indptr[r + 1]);
  }

  /** Number of entries in row r. */
  rowLength(r: number): number {
    return this.indptr[r + 1] - this.indptr[r];
  }

  /**
   * The row of stored entry p (0 ≤ p < nnz): the last row r with indptr[r] ≤ p (so rows with no
   * entries are skipped). Binary search, O(log rows).
   *
   * @example
   * ```ts
   * csr.rowOf(0); // the first row with an entry
   * ```
   */
  rowOf(p: number): number {
    const indptr = this.indptr;
    let lo = 0;
    let hi = this.numRows - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (indptr[mid] <= p) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Whether (r, c) is stored: binary search, O(log row length). */
  has(r: number, c: number): boolean {
    let lo = this.indptr[r];
    let hi = this.indptr[r + 1] - 1;
    const idx = this.indices;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = idx[mid];
      if (v === c) return true;
      if (v < c) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /** The transpose (items × users). */
  transpose(): Csr {
    const rows = new Int32Array(this.nnz);
    for (let r = 0; r < this.numRows; r++) rows.fill(r, this.indptr[r], this.indptr[r + 1]);
    return Csr.fromPairs(this.numCols, this.numRows, this.indices, rows);
  }

  /** Entries per column (e.g. item popularity of a user × item matrix). */
  columnCounts(): Int32Array {
    const out = new Int32Array(this.numCols);
    for (let k = 0; k < this.indices.length; k++) out[this.indices[k]]++;
    return out;
  }
}
