/**
 * Filters over columnar interaction logs (`user[k]`, `item[k]` for k < n), working on an
 * `alive` mask (1 = kept) so several filters compose without copying. O(n) each.
 * {@link filterLog} applies the loader's filters in order: duplicates, minRating, k-core.
 */

/**
 * Marks every (user, item) pair that occurs again later in the log as not alive, so
 * only the LATEST occurrence (by position) of each pair survives. Only entries alive on
 * entry are considered. Returns the number of entries it marked.
 *
 * @example
 * ```ts
 * const alive = new Uint8Array(3).fill(1);
 * markDuplicates(Int32Array.of(0, 0, 0), Int32Array.of(5, 6, 5), 3, 1, 7, alive); // 1
 * alive; // Uint8Array [0, 1, 1]
 * ```
 */
export function markDuplicates(
  user: Int32Array,
  item: Int32Array,
  n: number,
  numUsers: number,
  numItems: number,
  alive: Uint8Array,
): number {
  // Bucket entries by user, stable (file order within a user).
  const start = new Int32Array(numUsers + 1);
  for (let k = 0; k < n; k++) if (alive[k] !== 0) start[user[k] + 1]++;
  for (let u = 0; u < numUsers; u++) start[u + 1] += start[u];
  const fill = start.slice(0, numUsers);
  const order = new Int32Array(start[numUsers]);
  for (let k = 0; k < n; k++) if (alive[k] !== 0) order[fill[user[k]]++] = k;
  // Per item: the user that last touched it and where.
  const lastUser = new Int32Array(numItems).fill(-1);
  const lastPos = new Int32Array(numItems);
  let marked = 0;
  for (let u = 0; u < numUsers; u++) {
    for (let t = start[u]; t < start[u + 1]; t++) {
      const k = order[t];
      const i = item[k];
      if (lastUser[i] === u) {
        alive[lastPos[i]] = 0;
        marked++;
      } else lastUser[i] = u;
      lastPos[i] = k;
    }
  }
  return marked;
}

/**
 * What {@link kcoreFilter} removed.
 *
 * @example
 * ```ts
 * const { removed, usersRemoved } = kcoreFilter(user, item, n, numUsers, numItems, 5, alive);
 * ```
 */
export interface KcoreResult {
  /** Interactions removed. */
  removed: number;
  /** Users that had interactions and have none left. */
  usersRemoved: number;
  /** Items that had interactions and have none left. */
  itemsRemoved: number;
}

/**
 * k-core filtering: repeatedly removes users and items with fewer than `k` alive
 * interactions until every remaining user and item has at least `k` (the result is
 * the unique maximal such subset). Updates `alive` in place. O(n) with a work queue.
 *
 * @example
 * ```ts
 * const alive = new Uint8Array(3).fill(1);
 * kcoreFilter(Int32Array.of(0, 0, 1), Int32Array.of(0, 1, 0), 3, 2, 2, 2, alive);
 * // user 1 and item 1 have one interaction each → removed; then everything cascades away
 * ```
 */
export function kcoreFilter(
  user: Int32Array,
  item: Int32Array,
  n: number,
  numUsers: number,
  numItems: number,
  k: number,
  alive: Uint8Array,
): KcoreResult {
  const userDegree = new Int32Array(numUsers);
  const itemDegree = new Int32Array(numItems);
  for (let t = 0; t < n; t++) {
    if (alive[t] !== 0) {
      userDegree[user[t]]++;
      itemDegree[item[t]]++;
    }
  }
  // Adjacency: interaction indices per user and per item.
  const userStart = new Int32Array(numUsers + 1);
  const itemStart = new Int32Array(numItems + 1);
  for (let u = 0; u < numUsers; u++) userStart[u + 1] = userStart[u] + userDegree[u];
  for (let i = 0; i < numItems; i++) itemStart[i + 1] = itemStart[i] + itemDegree[i];
  const userEdges = new Int32Array(userStart[numUsers]);
  const itemEdges = new Int32Array(itemStart[numItems]);
  const userFill = userStart.slice(0, numUsers);
  const itemFill = itemStart.slice(0, numItems);
  for (let t = 0; t < n; t++) {
    if (alive[t] !== 0) {
      userEdges[userFill[user[t]]++] = t;
      itemEdges[itemFill[item[t]]++] = t;
    }
  }
  let usersWith = 0;
  let itemsWith = 0;
  for (let u = 0; u < numUsers; u++) if (userDegree[u] > 0) usersWith++;
  for (let i = 0; i < numItems; i++) if (itemDegree[i] > 0) itemsWith++;
  // Queue of nodes to remove: users as u, items as numUsers + i.
  const queue = new Int32Array(numUsers + numItems);
  const queued = new Uint8Array(numUsers + numItems);
  let queueHead = 0;
  let queueTail = 0;
  for (let u = 0; u < numUsers; u++) if (userDegree[u] > 0 && userDegree[u] < k) { queue[queueTail++] = u; queued[u] = 1; }
  for (let i = 0; i < numItems; i++) if (itemDegree[i] > 0 && itemDegree[i] < k) { queue[queueTail++] = numUsers + i; queued[numUsers + i] = 1; }
  let removed = 0;
  while (queueHead < queueTail) {
    const node = queue[queueHead++];
    if (node < numUsers) {
      const u = node;
      for (let p = userStart[u]; p < userStart[u + 1]; p++) {
        const t = userEdges[p];
        if (alive[t] === 0) continue;
        alive[t] = 0;
        removed++;
        userDegree[u]--;
        const i = item[t];
        itemDegree[i]--;
        if (itemDegree[i] < k && queued[numUsers + i] === 0) { queued[numUsers + i] = 1; queue[queueTail++] = numUsers + i; }
      }
    } else {
      const i = node - numUsers;
      for (let p = itemStart[i]; p < itemStart[i + 1]; p++) {
        const t = itemEdges[p];
        if (alive[t] === 0) continue;
        alive[t] = 0;
        removed++;
        itemDegree[i]--;
        const u = user[t];
        userDegree[u]--;
        if (userDegree[u] < k && queued[u] === 0) { queued[u] = 1; queue[queueTail++] = u; }
      }
    }
  }
  let usersLeft = 0;
  let itemsLeft = 0;
  for (let u = 0; u < numUsers; u++) if (userDegree[u] > 0) usersLeft++;
  for (let i = 0; i < numItems; i++) if (itemDegree[i] > 0) itemsLeft++;
  return { removed, usersRemoved: usersWith - usersLeft, itemsRemoved: itemsWith - itemsLeft };
}

/**
 * What {@link filterLog} removed.
 *
 * @example
 * ```ts
 * const { duplicates, belowMinRating, kcore } = filterLog(user, item, rating, n, numUsers, numItems, 4, 5, alive);
 * ```
 */
export interface LogFilterResult {
  /** Earlier lines of a repeated (user, item) pair. */
  duplicates: number;
  /** Interactions whose (latest) rating is below `minRating`. */
  belowMinRating: number;
  /** What k-core filtering removed (zeros without `kcore`). */
  kcore: KcoreResult;
}

/**
 * The loader's filters, in order, on the `alive` mask: duplicates (the latest line of a pair
 * wins), then `minRating` (ratings are float32, so the threshold is rounded to float32 too; needs
 * `rating`), then k-core. `null` skips a filter.
 *
 * @example
 * ```ts
 * const alive = new Uint8Array(3).fill(1);
 * filterLog(Int32Array.of(0, 0, 1), Int32Array.of(0, 0, 0), Float32Array.of(5, 2, 4), 3, 2, 1, 4, null, alive);
 * // { duplicates: 1, belowMinRating: 1, kcore: { removed: 0, … } }; alive = [0, 0, 1]
 * ```
 */
export function filterLog(
  user: Int32Array,
  item: Int32Array,
  rating: Float32Array | null,
  n: number,
  numUsers: number,
  numItems: number,
  minRating: number | null,
  kcore: number | null,
  alive: Uint8Array,
): LogFilterResult {
  const duplicates = markDuplicates(user, item, n, numUsers, numItems, alive);
  let belowMinRating = 0;
  if (minRating !== null) {
    const r = rating!;
    const threshold = Math.fround(minRating); // ratings are stored as float32
    for (let k = 0; k < n; k++) {
      if (alive[k] !== 0 && !(r[k] >= threshold)) {
        alive[k] = 0;
        belowMinRating++;
      }
    }
  }
  let kc: KcoreResult = { removed: 0, usersRemoved: 0, itemsRemoved: 0 };
  if (kcore !== null) kc = kcoreFilter(user, item, n, numUsers, numItems, kcore, alive);
  return { duplicates, belowMinRating, kcore: kc };
}
