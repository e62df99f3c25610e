// The rows a lazy optimiser step touches (LRML / CML / HLR in lrml-impl.ts and hlr-impl.ts,
// BPR-MF in bpr-impl.ts): each row listed once per step, in the order first seen, without
// clearing anything between steps (a row is stamped with the step number).

/**
 * The distinct rows touched in the current step, in the order first seen.
 *
 * @example
 * ```ts
 * const items = new TouchedRows(numItems);
 * items.begin(step);
 * items.touch(7); items.touch(3); items.touch(7);
 * items.count; // 2: items.rows[0] = 7, items.rows[1] = 3
 * ```
 */
export class TouchedRows {
  /** The rows touched this step: the first `count` entries. */
  readonly rows: Int32Array;
  /** How many rows are touched this step. */
  count = 0;
  private readonly stamp: Int32Array;
  private step = -1;

  constructor(numRows: number) {
    this.rows = new Int32Array(numRows);
    this.stamp = new Int32Array(numRows).fill(-1);
  }

  /** Starts step `step` (a number not used before, e.g. the optimiser's step count): no row touched yet. */
  begin(step: number): void {
    this.step = step;
    this.count = 0;
  }

  /** Lists row r unless this step has listed it already. */
  touch(r: number): void {
    if (this.stamp[r] !== this.step) {
      this.stamp[r] = this.step;
      this.rows[this.count++] = r;
    }
  }
}
