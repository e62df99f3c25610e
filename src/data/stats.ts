import { interactionCounts } from './interactions.js';
import type { Interactions } from './types.js';

/**
 * Min / median / mean / max of a list of counts.
 *
 * @example
 * ```ts
 * const c: CountStats = countStats(Int32Array.of(1, 2, 3)); // { min: 1, median: 2, mean: 2, max: 3 }
 * ```
 */
export interface CountStats {
  min: number;
  median: number;
  mean: number;
  max: number;
}

/**
 * What `lrml info` reports about an interaction log.
 *
 * @example
 * ```ts
 * const s: DataStats = describeInteractions(data);
 * console.log(s.users, s.items, s.interactions, s.perUser.median);
 * ```
 */
export interface DataStats {
  users: number;
  items: number;
  interactions: number;
  /** interactions / (users × items). */
  density: number;
  /** Interactions per user (over every user in the map). */
  perUser: CountStats;
  /** Interactions per item (over every item in the map). */
  perItem: CountStats;
  /** Rating range and mean, when the log has ratings. */
  rating: { min: number; max: number; mean: number } | null;
  /** Timestamp range, when the log has timestamps. */
  timestamp: { min: number; max: number } | null;
}

/**
 * Min, median (mean of the two middle values for an even count), mean and max;
 * all 0 for an empty list.
 *
 * @example
 * ```ts
 * countStats(Int32Array.of(1, 5, 2, 4)); // { min: 1, median: 3, mean: 3, max: 5 }
 * ```
 */
export function countStats(counts: Int32Array): CountStats {
  const n = counts.length;
  if (n === 0) return { min: 0, median: 0, mean: 0, max: 0 };
  const s = counts.slice().sort();
  let sum = 0;
  for (let k = 0; k < n; k++) sum += s[k];
  const median = n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { min: s[0], median, mean: sum / n, max: s[n - 1] };
}

/**
 * Counts, density and per-user / per-item statistics of an interaction log.
 *
 * @example
 * ```ts
 * const s = describeInteractions(await loadInteractions('data/ml-latest-small/ratings.csv'));
 * s.users; // 610
 * s.perUser.median; // 70.5
 * ```
 */
export function describeInteractions(data: Interactions): DataStats {
  const { perUser, perItem } = interactionCounts(data);
  const n = data.user.length;
  let rating: DataStats['rating'] = null;
  if (data.rating !== null && n > 0) {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const r = data.rating[k];
      if (r < min) min = r;
      if (r > max) max = r;
      sum += r;
    }
    rating = { min, max, mean: sum / n };
  }
  let timestamp: DataStats['timestamp'] = null;
  if (data.timestamp !== null && n > 0) {
    let min = Infinity;
    let max = -Infinity;
    for (let k = 0; k < n; k++) {
      const t = data.timestamp[k];
      if (t < min) min = t;
      if (t > max) max = t;
    }
    timestamp = { min, max };
  }
  const cells = data.users.size * data.items.size;
  return {
    users: data.users.size,
    items: data.items.size,
    interactions: n,
    density: cells > 0 ? n / cells : 0,
    perUser: countStats(perUser),
    perItem: countStats(perItem),
    rating,
    timestamp,
  };
}
