import { IdMap } from './idmap.js';

/** Strict: invalid UTF-8 is refused (two different byte strings must never become one id). */
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * What {@link ByteInterner.intern} returns for bytes that are not valid UTF-8.
 *
 * @example
 * ```ts
 * new ByteInterner().intern(Uint8Array.of(0xe9), 0, 1) === INVALID_UTF8; // true (Latin-1 "é")
 * ```
 */
export const INVALID_UTF8 = -2;

/** Initial number of hash slots (a power of two). */
const INITIAL_SLOTS = 1 << 12;
/** Canonical decimal ids below this are looked up in a direct table, skipping the hash. */
const DIRECT_LIMIT = 1 << 24;

/**
 * Maps external ids, given as UTF-8 byte ranges, to dense indices without creating a
 * string per lookup: an open-addressing hash table over the raw bytes. Only a new id is
 * decoded to a string. Optionally extends a pre-existing {@link IdMap} (`base`): ids
 * found there keep their index; ids not found get indices `base.size, base.size + 1, …`
 * in order of first appearance. The base map is never modified.
 *
 * Used by the loader; exported for tools that parse their own byte formats.
 *
 * @example
 * ```ts
 * const ids = new ByteInterner();
 * const bytes = new TextEncoder().encode('alice,bob,alice');
 * ids.intern(bytes, 0, 5);   // 0
 * ids.intern(bytes, 6, 9);   // 1
 * ids.intern(bytes, 10, 15); // 0
 * ids.toIdMap().ids();       // ['alice', 'bob']
 * ```
 */
export class ByteInterner {
  /** Hash slot → id index + 1 (0 = empty). */
  private slots: Int32Array;
  private mask: number;
  /** Id index → its hash (to rehash without re-reading bytes). */
  private hashes: Int32Array;
  /** Id index → start of its bytes in `pool` (entry `count` is the end). */
  private starts: Int32Array;
  private pool: Uint8Array;
  private poolUsed = 0;
  private count = 0;
  /** Interned index → index in the result (base index or base.size + k for new ids). */
  private indexOf: Int32Array;
  /** The strings of new ids (not in base), in order of first appearance. */
  private readonly newIds: string[] = [];
  /** Whether a frozen base rejects unknown ids (intern returns -1). */
  private readonly frozen: boolean;
  private unknown = 0;
  /** Direct table for canonical decimal ids ("0", "17", not "017"): value → index + 1 (0 = not cached). */
  private direct = new Int32Array(1024);

  constructor(
    readonly base: IdMap | undefined = undefined,
    options: { frozen?: boolean } = {},
  ) {
    this.frozen = options.frozen === true;
    this.slots = new Int32Array(INITIAL_SLOTS);
    this.mask = INITIAL_SLOTS - 1;
    this.hashes = new Int32Array(1024);
    this.starts = new Int32Array(1025);
    this.indexOf = new Int32Array(1024);
    this.pool = new Uint8Array(16384);
  }

  /** Number of ids known so far (base ids plus new ones). */
  get size(): number {
    return (this.base?.size ?? 0) + this.newIds.length;
  }

  /** Number of ids added that were not in the base map. */
  get newCount(): number {
    return this.newIds.length;
  }

  /** Distinct ids rejected because the interner is frozen. */
  get unknownCount(): number {
    return this.unknown;
  }

  /** Size of the base map (0 without one). */
  get baseSize(): number {
    return this.base?.size ?? 0;
  }

  /**
   * Index of the id whose UTF-8 bytes are `bytes[start, end)`, adding it if new.
   * Returns -1 when the id is unknown and the interner is frozen, and
   * {@link INVALID_UTF8} (-2) when the bytes are not valid UTF-8 (nothing is added).
   */
  intern(bytes: Uint8Array, start: number, end: number): number {
    // Fast path: a small canonical decimal id seen before.
    const len = end - start;
    let v = -1;
    if (len > 0 && len <= 8 && (len === 1 || bytes[start] !== 48)) {
      v = 0;
      for (let p = start; p < end; p++) {
        const d = bytes[p] - 48;
        if (d < 0 || d > 9) {
          v = -1;
          break;
        }
        v = v * 10 + d;
      }
      if (v >= 0 && v < this.direct.length) {
        const e = this.direct[v];
        if (e !== 0) return e - 1;
      }
    }
    const index = this.internHashed(bytes, start, end);
    if (v >= 0 && index >= 0 && v < DIRECT_LIMIT) {
      if (v >= this.direct.length) {
        let cap = this.direct.length * 2;
        while (cap <= v) cap *= 2;
        const d = new Int32Array(cap);
        d.set(this.direct);
        this.direct = d;
      }
      this.direct[v] = index + 1;
    }
    return index;
  }

  private internHashed(bytes: Uint8Array, start: number, end: number): number {
    // FNV-1a over the bytes.
    let h = 0x811c9dc5 | 0;
    for (let p = start; p < end; p++) h = Math.imul(h ^ bytes[p], 0x01000193);
    const len = end - start;
    const mask = this.mask;
    const slots = this.slots;
    const pool = this.pool;
    const starts = this.starts;
    let s = h & mask;
    for (;;) {
      const e = slots[s];
      if (e === 0) break;
      const k = e - 1;
      if (this.hashes[k] === h) {
        const a = starts[k];
        if (starts[k + 1] - a === len) {
          let same = true;
          for (let q = 0; q < len; q++) {
            if (pool[a + q] !== bytes[start + q]) {
              same = false;
              break;
            }
          }
          if (same) return this.indexOf[k];
        }
      }
      s = (s + 1) & mask;
    }
    // Not cached: decode, look up in the base map, then remember.
    let str: string;
    try {
      str = decoder.decode(bytes.subarray(start, end));
    } catch {
      return INVALID_UTF8;
    }
    let index = this.base?.get(str);
    if (index === undefined) {
      if (this.frozen) {
        index = -1;
        this.unknown++;
      } else {
        index = this.baseSize + this.newIds.length;
        this.newIds.push(str);
      }
    }
    this.insert(bytes, start, end, h, s, index);
    return index;
  }

  /** Index of a string id (same rules as {@link ByteInterner.intern}). */
  internString(id: string): number {
    const b = new TextEncoder().encode(id);
    return this.intern(b, 0, b.length);
  }

  private insert(bytes: Uint8Array, start: number, end: number, h: number, slot: number, index: number): void {
    const k = this.count;
    if (k + 1 >= this.hashes.length) {
      const cap = this.hashes.length * 2;
      const hs = new Int32Array(cap);
      hs.set(this.hashes);
      this.hashes = hs;
      const st = new Int32Array(cap + 1);
      st.set(this.starts);
      this.starts = st;
      const io = new Int32Array(cap);
      io.set(this.indexOf);
      this.indexOf = io;
    }
    const len = end - start;
    if (this.poolUsed + len > this.pool.length) {
      let cap = this.pool.length * 2;
      while (this.poolUsed + len > cap) cap *= 2;
      const np = new Uint8Array(cap);
      np.set(this.pool.subarray(0, this.poolUsed));
      this.pool = np;
    }
    this.pool.set(bytes.subarray(start, end), this.poolUsed);
    this.starts[k] = this.poolUsed;
    this.poolUsed += len;
    this.starts[k + 1] = this.poolUsed;
    this.hashes[k] = h;
    this.indexOf[k] = index;
    this.count = k + 1;
    this.slots[slot] = k + 1;
    if (this.count * 2 > this.slots.length) this.rehash();
  }

  private rehash(): void {
    const size = this.slots.length * 2;
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let k = 0; k < this.count; k++) {
      let s = this.hashes[k] & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = k + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }

  /**
   * The resulting map. `keepNew[k]` (optional) says whether the k-th new id survives;
   * dropped new ids are left out and the survivors renumbered densely after the base ids.
   * Returns the base map itself when no new id survives. `remap` (optional, length
   * {@link ByteInterner.size}) receives old index → new index (-1 for dropped ids).
   */
  toIdMap(keepNew?: Uint8Array, remap?: Int32Array): IdMap {
    const baseSize = this.baseSize;
    const kept: string[] = [];
    if (remap !== undefined) for (let i = 0; i < baseSize; i++) remap[i] = i;
    for (let k = 0; k < this.newIds.length; k++) {
      if (keepNew === undefined || keepNew[k] !== 0) {
        if (remap !== undefined) remap[baseSize + k] = baseSize + kept.length;
        kept.push(this.newIds[k]);
      } else if (remap !== undefined) remap[baseSize + k] = -1;
    }
    if (kept.length === 0 && this.base !== undefined) return this.base;
    if (this.base === undefined) return IdMap.fromIds(kept);
    return IdMap.fromIds(this.base.ids().concat(kept));
  }
}
