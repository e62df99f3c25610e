// Incremental updates (issue #18 item 5): a trained model + new interactions → the data, id maps
// and row mapping of a training that starts from the model (`lrml train --init-from MODEL`).
// Browser-safe: the model and the new interactions come in loaded.

import { Csr } from '../data/csr.js';
import { IdMap } from '../data/idmap.js';
import type { Interactions } from '../data/types.js';
import { LrmlError } from '../errors.js';
import type { LoadedModel, ModelInit } from '../models/types.js';
import { Rng } from '../rng.js';
import { csrPairs } from './triplet.js';

/**
 * Options of {@link prepareUpdate}.
 *
 * @example
 * ```ts
 * const o: UpdateOptions = { replay: 0.1, seed: 1 };
 * ```
 */
export interface UpdateOptions {
  /**
   * Fraction in [0, 1] of the model's stored training interactions (its seen items) replayed
   * with the new ones, a seeded uniform sample (default 0: the new interactions only). Needs a
   * model file that holds its seen items.
   */
  replay?: number;
  /** Seed of the replay sample (default 0). */
  seed?: number;
  /**
   * Id maps already grown by {@link growIdMaps} (and perhaps grown further, e.g. by the items of
   * a validation file): used instead of growing new ones.
   */
  maps?: { users: IdMap; items: IdMap };
}

/**
 * The id maps of an update: the model's ids in its order, then the ids of the new interactions
 * it does not know, in order of appearance.
 *
 * @example
 * ```ts
 * const { users, items } = growIdMaps(loaded, fresh);
 * ```
 */
export function growIdMaps(loaded: LoadedModel, fresh: Interactions): { users: IdMap; items: IdMap } {
  const users = IdMap.fromIds(loaded.users.ids());
  const items = IdMap.fromIds(loaded.items.ids());
  for (let u = 0; u < fresh.users.size; u++) users.add(fresh.users.id(u));
  for (let i = 0; i < fresh.items.size; i++) items.add(fresh.items.id(i));
  return { users, items };
}

/** INTERNAL unless `grown` starts with the ids of `base`, in order. */
function checkGrown(base: IdMap, grown: IdMap, what: string): void {
  const n = base.size;
  if (grown.size < n || (n > 0 && (grown.id(0) !== base.id(0) || grown.id(n - 1) !== base.id(n - 1)))) {
    throw new LrmlError('INTERNAL', `prepareUpdate: the given ${what} map does not start with the model's ${what}s (use growIdMaps)`);
  }
}

/**
 * What {@link prepareUpdate} gives: the training data (new interactions, plus the replayed
 * ones) over the grown id maps, the seen items to save with the updated model (the model's
 * and the new ones), and the {@link ModelInit} to pass as `initFrom`.
 *
 * @example
 * ```ts
 * const up: UpdatePlan = prepareUpdate(loaded, fresh);
 * ```
 */
export interface UpdatePlan {
  /** Users: the model's, in its order, then the new ones in order of appearance. */
  users: IdMap;
  /** Items: the model's, then the new ones. */
  items: IdMap;
  /** The training interactions (users × items of the grown maps). */
  data: Csr;
  /** Seen items of the updated model: the model's stored ones and the new interactions. */
  seen: Csr;
  initFrom: ModelInit;
  /** Users and items that the model did not know. */
  newUsers: number;
  newItems: number;
  /** Old interactions replayed. */
  replayed: number;
}

/**
 * Prepares an incremental update of a trained model with new interactions: grows the id maps
 * with the new users and items (the model's rows keep their indices, new ones are appended),
 * maps the new interactions into them, adds a seeded sample of the old ones (`replay`), and says
 * which rows start from the model (`initFrom`: learned rows kept by string id; new rows fresh
 * and seeded, as a new model's). Train with `family.fit(plan.data, options, { initFrom:
 * plan.initFrom })` and save with `plan.users`, `plan.items`, `plan.seen`.
 *
 * @example
 * ```ts
 * const loaded = await loadModel('movies.lrml');
 * const plan = prepareUpdate(loaded, await loadInteractions('this-week.csv'), { replay: 0.1 });
 * const model = await cmlFamily.fit(plan.data, { ...options, epochs: 5 }, { initFrom: plan.initFrom });
 * await saveModel('movies-2.lrml', { model, users: plan.users, items: plan.items, meta: {}, seen: plan.seen });
 * ```
 */
export function prepareUpdate(loaded: LoadedModel, fresh: Interactions, options: UpdateOptions = {}): UpdatePlan {
  const replay = options.replay ?? 0;
  if (!(replay >= 0 && replay <= 1)) throw new LrmlError('BAD_OPTION', `--replay: ${replay} is not a fraction in [0, 1]`, undefined, { name: 'replay', value: replay, expected: 'a number in [0, 1]' });
  const seed = options.seed ?? 0;
  const oldUsers = loaded.users.size;
  const oldItems = loaded.items.size;
  const { users, items } = options.maps ?? growIdMaps(loaded, fresh);
  checkGrown(loaded.users, users, 'user');
  checkGrown(loaded.items, items, 'item');
  const userOf = new Int32Array(fresh.users.size);
  for (let u = 0; u < userOf.length; u++) userOf[u] = users.add(fresh.users.id(u));
  const itemOf = new Int32Array(fresh.items.size);
  for (let i = 0; i < itemOf.length; i++) itemOf[i] = items.add(fresh.items.id(i));
  const n = fresh.user.length;
  const seen = loaded.seen;
  let replayed = 0;
  let old: Int32Array | null = null;
  if (replay > 0) {
    if (seen === null) throw new LrmlError('BAD_OPTION', '--replay: the model file holds no seen interactions to replay (it was saved without them)');
    replayed = Math.round(replay * seen.nnz);
    old = new Rng(seed).sampleIndices(seen.nnz, replayed);
  }
  const rowOf = seen === null ? null : csrPairs(seen).users;
  const rows = new Int32Array(n + replayed);
  const cols = new Int32Array(n + replayed);
  for (let t = 0; t < n; t++) {
    rows[t] = userOf[fresh.user[t]];
    cols[t] = itemOf[fresh.item[t]];
  }
  if (old !== null && seen !== null && rowOf !== null) {
    for (let t = 0; t < replayed; t++) {
      rows[n + t] = rowOf[old[t]];
      cols[n + t] = seen.indices[old[t]];
    }
  }
  const data = Csr.fromPairs(users.size, items.size, rows, cols);
  let seenAll: Csr;
  if (seen === null || rowOf === null) {
    seenAll = Csr.fromPairs(users.size, items.size, rows.subarray(0, n), cols.subarray(0, n));
  } else {
    const r = new Int32Array(seen.nnz + n);
    const c = new Int32Array(seen.nnz + n);
    r.set(rowOf);
    c.set(seen.indices);
    r.set(rows.subarray(0, n), seen.nnz);
    c.set(cols.subarray(0, n), seen.nnz);
    seenAll = Csr.fromPairs(users.size, items.size, r, c);
  }
  const map = (size: number, known: number): Int32Array => {
    const m = new Int32Array(size);
    for (let k = 0; k < size; k++) m[k] = k < known ? k : -1;
    return m;
  };
  return {
    users, items, data, seen: seenAll,
    initFrom: { model: loaded.model, userRows: map(users.size, oldUsers), itemRows: map(items.size, oldItems) },
    newUsers: users.size - oldUsers, newItems: items.size - oldItems, replayed,
  };
}
