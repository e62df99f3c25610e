/**
 * Filters over columnar interaction logs (`user[k]`, `item[k]` for k < n), working on an
 * `alive` mask (1 = kept) so several filters compose without copying. O(n) each.
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
  const uc = new Int32Array(numUsers);
  const ic = new Int32Array(numItems);
  for (let t = 0; t < n; t++) {
    if (alive[t] !== 0) {
      uc[user[t]]++;
      ic[item[t]]++;
    }
  }
  // Adjacency: interaction indices per user and per item.
  const ustart = new Int32Array(numUsers + 1);
  const istart = new Int32Array(numItems + 1);
  for (let u = 0; u < numUsers; u++) ustart[u + 1] = ustart[u] + uc[u];
  for (let i = 0; i < numItems; i++) istart[i + 1] = istart[i] + ic[i];
  const uadj = new Int32Array(ustart[numUsers]);
  const iadj = new Int32Array(istart[numItems]);
  const uf = ustart.slice(0, numUsers);
  const ifl = istart.slice(0, numItems);
  for (let t = 0; t < n; t++) {
    if (alive[t] !== 0) {
      uadj[uf[user[t]]++] = t;
      iadj[ifl[item[t]]++] = t;
    }
  }
  let usersWith = 0;
  let itemsWith = 0;
  for (let u = 0; u < numUsers; u++) if (uc[u] > 0) usersWith++;
  for (let i = 0; i < numItems; i++) if (ic[i] > 0) itemsWith++;
  // Queue of nodes to remove: users as u, items as numUsers + i.
  const queue = new Int32Array(numUsers + numItems);
  const queued = new Uint8Array(numUsers + numItems);
  let qh = 0;
  let qt = 0;
  for (let u = 0; u < numUsers; u++) if (uc[u] > 0 && uc[u] < k) { queue[qt++] = u; queued[u] = 1; }
  for (let i = 0; i < numItems; i++) if (ic[i] > 0 && ic[i] < k) { queue[qt++] = numUsers + i; queued[numUsers + i] = 1; }
  let removed = 0;
  while (qh < qt) {
    const node = queue[qh++];
    if (node < numUsers) {
      const u = node;
      for (let p = ustart[u]; p < ustart[u + 1]; p++) {
        const t = uadj[p];
        if (alive[t] === 0) continue;
        alive[t] = 0;
        removed++;
        uc[u]--;
        const i = item[t];
        ic[i]--;
        if (ic[i] < k && queued[numUsers + i] === 0) { queued[numUsers + i] = 1; queue[qt++] = numUsers + i; }
      }
    } else {
      const i = node - numUsers;
      for (let p = istart[i]; p < istart[i + 1]; p++) {
        const t = iadj[p];
        if (alive[t] === 0) continue;
        alive[t] = 0;
        removed++;
        ic[i]--;
        const u = user[t];
        uc[u]--;
        if (uc[u] < k && queued[u] === 0) { queued[u] = 1; queue[qt++] = u; }
      }
    }
  }
  let usersLeft = 0;
  let itemsLeft = 0;
  for (let u = 0; u < numUsers; u++) if (uc[u] > 0) usersLeft++;
  for (let i = 0; i < numItems; i++) if (ic[i] > 0) itemsLeft++;
  return { removed, usersRemoved: usersWith - usersLeft, itemsRemoved: itemsWith - itemsLeft };
}
