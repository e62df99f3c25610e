/**
 * A two-way map between external string ids and dense integer indices
 * (0..size-1, in order of first appearance).
 *
 * @example
 * ```ts
 * const m = new IdMap();
 * m.add('alice'); // 0
 * m.add('bob');   // 1
 * m.get('bob');   // 1
 * m.id(0);        // 'alice'
 * ```
 */
export class IdMap {
  private readonly index = new Map<string, number>();
  private readonly list: string[] = [];

  /** Builds a map from ids in index order (ids must be distinct). */
  static fromIds(ids: readonly string[]): IdMap {
    const m = new IdMap();
    for (const id of ids) {
      if (m.index.has(id)) throw new Error(`IdMap.fromIds: duplicate id ${JSON.stringify(id)}`);
      m.add(id);
    }
    return m;
  }

  /** Number of ids. */
  get size(): number {
    return this.list.length;
  }

  /** Index of `id`, adding it if new. */
  add(id: string): number {
    let k = this.index.get(id);
    if (k === undefined) {
      k = this.list.length;
      this.index.set(id, k);
      this.list.push(id);
    }
    return k;
  }

  /** Index of `id`, or undefined. */
  get(id: string): number | undefined {
    return this.index.get(id);
  }

  /** Whether `id` is known. */
  has(id: string): boolean {
    return this.index.has(id);
  }

  /** External id of index `k` (throws RangeError when out of range). */
  id(k: number): string {
    const v = this.list[k];
    if (v === undefined) throw new RangeError(`IdMap: index ${k} out of range [0, ${this.list.length})`);
    return v;
  }

  /** All ids in index order (a copy). */
  ids(): string[] {
    return this.list.slice();
  }
}
