// The growing typed-array columns the parser appends interactions to (browser-safe).

/**
 * The columns of one interaction log, as it is read.
 *
 * @example
 * ```ts
 * const c: LogColumns = { user: Int32Array.of(0), item: Int32Array.of(3), rating: null, timestamp: null };
 * ```
 */
export interface LogColumns {
  user: Int32Array;
  item: Int32Array;
  rating: Float32Array | null;
  timestamp: Float64Array | null;
}

/**
 * Growable typed-array columns: `n` interactions in `user[0, n)`, `item[0, n)` and, when the file
 * has them, `rating` and `timestamp`; {@link grow} makes room (×1.5).
 *
 * @example
 * ```ts
 * const cols = new ColumnBuffer(true, false, 1024);
 * if (cols.n === cols.user.length) cols.grow();
 * cols.user[cols.n] = 0; cols.item[cols.n] = 7; cols.rating![cols.n] = 4; cols.n++;
 * ```
 */
export class ColumnBuffer implements LogColumns {
  n = 0;
  user: Int32Array;
  item: Int32Array;
  rating: Float32Array | null;
  timestamp: Float64Array | null;

  constructor(hasRating: boolean, hasTimestamp: boolean, capacity: number) {
    this.user = new Int32Array(capacity);
    this.item = new Int32Array(capacity);
    this.rating = hasRating ? new Float32Array(capacity) : null;
    this.timestamp = hasTimestamp ? new Float64Array(capacity) : null;
  }

  grow(): void {
    const cap = Math.ceil(this.user.length * 1.5) + 1024;
    const u = new Int32Array(cap);
    u.set(this.user);
    this.user = u;
    const i = new Int32Array(cap);
    i.set(this.item);
    this.item = i;
    if (this.rating !== null) {
      const r = new Float32Array(cap);
      r.set(this.rating);
      this.rating = r;
    }
    if (this.timestamp !== null) {
      const t = new Float64Array(cap);
      t.set(this.timestamp);
      this.timestamp = t;
    }
  }

  /** The `n` interactions when nothing was dropped and no index changed: views, unless over 25% of the capacity is spare (then copies). */
  trimmed(): LogColumns {
    const n = this.n;
    const view = this.user.length - n <= (n >> 2);
    const cut = <T extends Int32Array | Float32Array | Float64Array>(a: T): T => (view ? a.subarray(0, n) : a.slice(0, n)) as T;
    return {
      user: cut(this.user),
      item: cut(this.item),
      rating: this.rating === null ? null : cut(this.rating),
      timestamp: this.timestamp === null ? null : cut(this.timestamp),
    };
  }

  /** The `kept` interactions marked in `alive`, in order, with user and item indices renumbered through the remaps. */
  compacted(alive: Uint8Array, kept: number, userRemap: Int32Array, itemRemap: Int32Array): LogColumns {
    const user = new Int32Array(kept);
    const item = new Int32Array(kept);
    const rating = this.rating === null ? null : new Float32Array(kept);
    const timestamp = this.timestamp === null ? null : new Float64Array(kept);
    let w = 0;
    for (let k = 0; k < this.n; k++) {
      if (alive[k] === 0) continue;
      user[w] = userRemap[this.user[k]];
      item[w] = itemRemap[this.item[k]];
      if (rating !== null) rating[w] = this.rating![k];
      if (timestamp !== null) timestamp[w] = this.timestamp![k];
      w++;
    }
    return { user, item, rating, timestamp };
  }
}
