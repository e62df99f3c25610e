/**
 * Indices of the k largest scores, best first; ties broken by the lower index. Entries whose
 * `skip` mask is 1 (if given) and NaN scores are never returned. Returns how many were written
 * to `outIdx`/`outScore` (fewer than k when fewer candidates remain). O(n log k), no allocation.
 *
 * @example
 * ```ts
 * const idx = new Int32Array(3), sc = new Float32Array(3);
 * const n = topK(Float32Array.of(0.1, 0.9, 0.5, 0.7), 3, null, idx, sc); // n = 3, idx = [1, 3, 2]
 * ```
 */
export function topK(scores: Float32Array, k: number, skip: Uint8Array | null, outIdx: Int32Array, outScore: Float32Array): number {
  // min-heap of size ≤ k over (score, index): the root is the worst kept candidate
  let size = 0;
  const worse = (a: number, b: number): boolean => {
    // is heap entry a worse than entry b? lower score, or equal score and higher index
    const sa = outScore[a];
    const sb = outScore[b];
    return sa < sb || (sa === sb && outIdx[a] > outIdx[b]);
  };
  const swap = (a: number, b: number): void => {
    const ti = outIdx[a];
    outIdx[a] = outIdx[b];
    outIdx[b] = ti;
    const ts = outScore[a];
    outScore[a] = outScore[b];
    outScore[b] = ts;
  };
  const siftDown = (start: number): void => {
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && worse(l, m)) m = l;
      if (r < size && worse(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  if (k <= 0) return 0;
  for (let i = 0; i < scores.length; i++) {
    if (skip !== null && skip[i] === 1) continue;
    const s = scores[i];
    if (s !== s) continue; // NaN
    if (size < k) {
      outIdx[size] = i;
      outScore[size] = s;
      let c = size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!worse(c, p)) break;
        swap(c, p);
        c = p;
      }
    } else if (s > outScore[0]) {
      // equal score: the kept entry has a lower index, so it stays
      outIdx[0] = i;
      outScore[0] = s;
      siftDown(0);
    }
  }
  // heap-sort: repeatedly move the worst to the end → best first
  const n = size;
  while (size > 1) {
    swap(0, size - 1);
    size--;
    siftDown(0);
  }
  return n;
}
