// Paired comparison of two models evaluated on the same data and protocol, also when their id
// maps differ (users matched by external id). Browser-safe.

import type { IdMap } from '../data/idmap.js';
import { LrmlError } from '../errors.js';
import { compareModels, type CompareOptions } from './bootstrap.js';
import type { Comparison, EvalResult } from './types.js';

/** An evaluation (with `perUser: true`) and the id maps of the model it evaluated. */
export interface EvaluatedModel {
  result: EvalResult;
  users: IdMap;
  items: IdMap;
}

/** What {@link compareEvaluated} returns. */
export interface ModelComparison {
  /** reference − other, per metric: both means, the mean paired difference, its bootstrap 95% interval, p-value. */
  comparison: Comparison;
  /** Whether both models have the same user and item ids in the same order. */
  sameIdMaps: boolean;
  /** The other model's result with its per-user rows re-indexed to the reference's user indices (the same result when the maps are the same). */
  other: EvalResult;
}

/**
 * Whether two id maps hold the same ids in the same order.
 *
 * @example
 * ```ts
 * sameIdMap(IdMap.fromIds(['a', 'b']), IdMap.fromIds(['a', 'b'])); // true
 * ```
 */
export function sameIdMap(a: IdMap, b: IdMap): boolean {
  if (a.size !== b.size) return false;
  for (let k = 0; k < a.size; k++) if (a.id(k) !== b.id(k)) return false;
  return true;
}

/**
 * A result with only the per-user rows `rows` (in that order) of r; `users` (indexed by r's row)
 * replaces the user indices when given.
 */
function pickRows(r: EvalResult, rows: number[], users?: Int32Array): EvalResult {
  const p = r.perUser!;
  const u = users ?? p.users;
  const metrics: Record<string, Float64Array> = {};
  for (const [k, col] of Object.entries(p.metrics)) metrics[k] = Float64Array.from(rows, (t) => col[t]);
  return { ...r, perUser: { users: Int32Array.from(rows, (t) => u[t]), positives: Int32Array.from(rows, (t) => p.positives[t]), metrics } };
}

/**
 * A result whose per-user rows are re-indexed from the `from` user map to the `to` map (by
 * external id) and sorted, so that it can be paired with a result computed with `to`. Users
 * unknown to `to` get index −1 (they are then left out of the pairing).
 *
 * @example
 * ```ts
 * const aligned = alignUsers(resultOfB, modelB.users, modelA.users);
 * ```
 */
export function alignUsers(r: EvalResult, from: IdMap, to: IdMap): EvalResult {
  const pu = r.perUser;
  if (pu === null) return r;
  const idx = Int32Array.from(pu.users, (u) => to.get(from.id(u)) ?? -1);
  const order = Array.from(pu.users.keys()).sort((x, y) => idx[x] - idx[y]);
  return pickRows(r, order, idx);
}

/** Both results cut down to the users both have per-user rows for (rows sorted by user index). */
function sharedUsers(a: EvalResult, b: EvalResult): [EvalResult, EvalResult] {
  const pa = a.perUser;
  const pb = b.perUser;
  if (pa === null || pb === null) return [a, b];
  const inA = new Set(pa.users);
  const inB = new Set(Array.from(pb.users).filter((u) => u >= 0));
  const cut = (r: EvalResult, keep: Set<number>): EvalResult => {
    const users = r.perUser!.users;
    return pickRows(r, Array.from(users.keys()).filter((t) => keep.has(users[t])));
  };
  const shared = new Set(Array.from(inA).filter((u) => inB.has(u)));
  if (shared.size === 0) throw new LrmlError('BAD_VALUE', 'the two models share no evaluated user');
  return [cut(a, shared), cut(b, shared)];
}

/**
 * Paired comparison of two models evaluated on the same data and protocol (both with
 * `perUser: true`): the differences reference − other per user, with bootstrap 95% intervals
 * over users ({@link compareModels}). When the models' id maps differ (e.g. trained on the same
 * interactions in another order), each must have been evaluated on data loaded with its own maps;
 * users are then matched by external id and only the users both evaluated are paired. Sampled
 * negatives cannot be paired across different item maps (the draws differ): BAD_OPTION.
 *
 * @example
 * ```ts
 * const ra = evaluate(a.model, trainA, testA, { kind: 'full' }, { perUser: true });
 * const rb = evaluate(b.model, trainB, testB, { kind: 'full' }, { perUser: true });
 * const { comparison } = compareEvaluated({ result: ra, users: a.users, items: a.items }, { result: rb, users: b.users, items: b.items });
 * comparison.metrics['ndcg@10']; // { a, b, diff, interval: [lo, hi], pValue }
 * ```
 */
export function compareEvaluated(reference: EvaluatedModel, other: EvaluatedModel, options: CompareOptions = {}): ModelComparison {
  const same = sameIdMap(reference.users, other.users) && sameIdMap(reference.items, other.items);
  if (same) return { comparison: compareModels(reference.result, other.result, options), sameIdMaps: true, other: other.result };
  if (reference.result.protocol === 'sampled' || other.result.protocol === 'sampled') {
    throw new LrmlError('BAD_OPTION', 'the two models have different user/item ids, so sampled negatives differ between them: compare them with the full or given protocol');
  }
  const aligned = alignUsers(other.result, other.users, reference.users);
  const [ra, rb] = sharedUsers(reference.result, aligned);
  return { comparison: compareModels(ra, rb, options), sameIdMaps: false, other: aligned };
}
