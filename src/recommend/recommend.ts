// Recommendations for known users: the top k of a user's scores, as external ids.

import { csvField } from '../data/csv-field.js';
import { LrmlError, badOption, oneOf, positiveInt } from '../errors.js';
import { topK } from '../kernels/topk-impl.js';
import type { LoadedModel } from '../models/types.js';
import { titledRecommendations, type ItemTitles } from './titles.js';

/** Options of {@link recommend}. */
export interface RecommendOptions {
  /** How many items (default 10). */
  k?: number;
  /** Exclude the user's training items (default true). */
  excludeSeen?: boolean;
  /** Only these item ids are candidates (seen and excluded items still removed). Unknown ids throw UNKNOWN_ITEM unless `skipUnknown`. */
  include?: readonly string[];
  /** Further item ids never to return. Unknown ids throw UNKNOWN_ITEM unless `skipUnknown`. */
  exclude?: readonly string[];
  /** Ignore item ids of `include` / `exclude` the model does not know instead of throwing UNKNOWN_ITEM (default false). */
  skipUnknown?: boolean;
  /** The former name of `include` (kept for compatibility; giving both is BAD_OPTION). */
  candidates?: readonly string[];
  /**
   * How the items to score are found: `exact` scores every item; `ann` takes the
   * `candidateCount` items nearest to the user's query in the model's attached index
   * (`m.index`, see `openCandidateIndex`) and scores those exactly; `auto` (default) is `ann` when
   * an index is attached and the model has at least {@link ANN_AUTO_ITEMS} items, else `exact`.
   * `ann` without an index, or for a family without `candidateQuery` (only LRML and CML have
   * one), is BAD_OPTION. With `include`, the `ann` path scores just the included items.
   */
  search?: SearchMode;
  /** Candidates taken from the index on the `ann` path (default {@link DEFAULT_CANDIDATE_COUNT}); at least numItems = every item, the exact result. */
  candidateCount?: number;
}

/** How {@link recommend} finds the items it scores (see `RecommendOptions.search`). */
export type SearchMode = 'exact' | 'ann' | 'auto';

/** Search modes accepted by `RecommendOptions.search`, `--candidates` and serve. */
export const SEARCH_MODES: readonly SearchMode[] = ['exact', 'ann', 'auto'];

/**
 * Catalogue size from which `search: 'auto'` uses an attached index: exact scoring of this many
 * items costs about 10 ms per request (LRML, d = 100, N = 20, one core).
 *
 * @example
 * ```ts
 * const useIndex = model.numItems >= ANN_AUTO_ITEMS;
 * ```
 */
export const ANN_AUTO_ITEMS = 50_000;

/**
 * Default number of index candidates scored exactly (recall@10 against exact scoring measured in
 * BENCHMARKS.md).
 *
 * @example
 * ```ts
 * recommend(m, '42', { search: 'ann', candidateCount: DEFAULT_CANDIDATE_COUNT });
 * ```
 */
export const DEFAULT_CANDIDATE_COUNT = 500;

/** One recommended item. */
export interface ScoredItem {
  item: string;
  /** Model score (higher = better; for LRML/CML, −distance). */
  score: number;
}

/** What {@link recommend} returns: always this shape. */
export interface Recommendations {
  user: string;
  /** Best first. */
  items: ScoredItem[];
  /** The k asked for. */
  k: number;
  /** False when fewer than k candidates remained after exclusions. */
  complete: boolean;
}

/** Maximum k accepted. */
export const MAX_K = 10000;

/** Item indices of a filter list (`include` / `exclude`); unknown ids throw UNKNOWN_ITEM naming the option unless `skipUnknown`. */
function filterIndices(m: LoadedModel, name: string, ids: readonly string[], skipUnknown: boolean): number[] {
  if (!Array.isArray(ids)) throw badOption(name, ids, 'an array of item ids');
  const out: number[] = [];
  for (const id of ids) {
    if (typeof id !== 'string') throw badOption(name, id, 'item ids as strings');
    const i = m.items.get(id);
    if (i === undefined) {
      if (skipUnknown) continue;
      throw new LrmlError('UNKNOWN_ITEM', `unknown item ${JSON.stringify(id)} in ${name} (not in the model; skipUnknown ignores such ids)`);
    }
    out.push(i);
  }
  return out;
}

/** The candidate list of the options (`include`, or its former name `candidates`); BAD_OPTION when both are given. */
function includeOf(o: RecommendOptions): readonly string[] | undefined {
  if (o.include !== undefined && o.candidates !== undefined) throw new LrmlError('BAD_OPTION', 'give include or candidates (its former name), not both');
  return o.include ?? o.candidates;
}

/**
 * Checks the item filters of options (`include` / `candidates`, `exclude`, `skipUnknown`) against
 * a model up front: UNKNOWN_ITEM for an unknown id (unless `skipUnknown`), BAD_OPTION for a
 * malformed list. {@link recommend} checks them too; this lets a caller fail before writing anything.
 *
 * @example
 * ```ts
 * checkFilters(m, { include: ['1', '2'], exclude: ['3'] }); // throws UNKNOWN_ITEM for an unknown id
 * ```
 */
export function checkFilters(m: LoadedModel, o: RecommendOptions): void {
  const skipUnknown = o.skipUnknown === true;
  const inc = includeOf(o);
  if (inc !== undefined) filterIndices(m, o.include !== undefined ? 'include' : 'candidates', inc, skipUnknown);
  if (o.exclude !== undefined) filterIndices(m, 'exclude', o.exclude, skipUnknown);
}

/** Why a known user's seen items cannot be left out of a model saved without them (`meta.seenOmitted`, written by `lrml train --no-seen`). */
const NO_SEEN_MESSAGE = 'this model file holds no training interactions (saved with lrml train --no-seen), so a user\'s seen items cannot be left out: '
  + 'give the training data (lrml recommend --seen-data FILE; in code, attachSeen(model, FILE)) or keep seen items (--include-seen, excludeSeen: false, includeSeen=true)';

/**
 * Builds the skip mask (1 = never recommend) for a user index (or null for a new user) and options:
 * everything outside `include` (when given), the user's training items (and `extraSeen`) unless
 * `excludeSeen` is false, and `exclude`. Exposed for the fold-in and HTTP paths.
 *
 * @example
 * ```ts
 * const skip = buildSkipMask(m, m.users.get('42') ?? null, { include: ['1', '2'] });
 * ```
 */
export function buildSkipMask(m: LoadedModel, u: number | null, o: RecommendOptions, extraSeen: Int32Array | null = null): Uint8Array {
  const n = m.model.numItems;
  const skip = new Uint8Array(n);
  const skipUnknown = o.skipUnknown === true;
  const inc = includeOf(o);
  if (inc !== undefined) {
    skip.fill(1);
    for (const i of filterIndices(m, o.include !== undefined ? 'include' : 'candidates', inc, skipUnknown)) skip[i] = 0;
  }
  if (o.excludeSeen !== false) {
    if (u !== null && m.seen === null && m.meta.seenOmitted === true) throw new LrmlError('BAD_OPTION', NO_SEEN_MESSAGE);
    if (u !== null && m.seen !== null) for (const i of m.seen.row(u)) skip[i] = 1;
    if (extraSeen !== null) for (const i of extraSeen) skip[i] = 1;
  }
  if (o.exclude !== undefined) for (const i of filterIndices(m, 'exclude', o.exclude, skipUnknown)) skip[i] = 1;
  return skip;
}

/** Top-k of a score vector under a skip mask, as external ids. */
export function pickTop(m: LoadedModel, user: string, scores: Float32Array, skip: Uint8Array, k: number): Recommendations {
  const idx = new Int32Array(k);
  const sc = new Float32Array(k);
  const got = topK(scores, k, skip, idx, sc);
  const items: ScoredItem[] = [];
  for (let r = 0; r < got; r++) items.push({ item: m.items.id(idx[r]), score: sc[r] });
  return { user, items, k, complete: got === k };
}

/**
 * Validates k (a positive integer, at most {@link MAX_K}) and returns it.
 *
 * @example
 * ```ts
 * const k = checkK(options.k ?? 10);
 * ```
 */
export function checkK(k: number): number {
  positiveInt('k', k);
  if (k > MAX_K) throw new LrmlError('BAD_OPTION', `invalid k: ${k} (expected at most ${MAX_K})`);
  return k;
}

/**
 * The k best items for a known user (by external id), excluding the user's training items
 * by default. Returns exactly k items unless fewer candidates remain (then `complete` is false).
 * `include` restricts the candidates, `exclude` removes items (unknown ids: UNKNOWN_ITEM unless
 * `skipUnknown`). Throws UNKNOWN_USER for an id the model was not trained on.
 *
 * @example
 * ```ts
 * const m = await loadModel('movies.lrml');
 * const r = recommend(m, '42', { k: 5 });
 * for (const { item, score } of r.items) console.log(item, score);
 * recommend(m, '42', { k: 3, include: ['1', '2', '3', '4'], exclude: ['2'] }); // among 1, 3, 4 (unseen)
 * ```
 */
export function recommend(m: LoadedModel, userId: string, options: RecommendOptions = {}): Recommendations {
  return recommendUserIndex(m, userIndexOf(m, userId), userId, options);
}

function userIndexOf(m: LoadedModel, userId: string): number {
  const u = m.users.get(userId);
  if (u === undefined) throw new LrmlError('UNKNOWN_USER', `unknown user ${JSON.stringify(userId)}`);
  return u;
}

/**
 * {@link recommend} for the user of index u (whose id is userId), without the id lookup: for
 * callers that hold indices (the worker threads of `recommend --all`).
 *
 * @example
 * ```ts
 * recommendUserIndex(m, 0, m.users.id(0), { k: 10 }); // = recommend(m, m.users.id(0), { k: 10 })
 * ```
 */
export function recommendUserIndex(m: LoadedModel, u: number, userId: string, options: RecommendOptions = {}): Recommendations {
  const k = checkK(options.k ?? 10);
  if (searchMode(m, options) === 'ann') {
    const r = recommendFromCandidates(m, u, userId, options, k);
    if (r !== null) return r;
  }
  return exactTop(m, u, userId, buildSkipMask(m, u, options), k);
}

/**
 * Catalogue size from which the exact path asks the model for score bounds (`scoreBounds`) and
 * scores only the items that can still reach the top k; below it every item is scored.
 *
 * @example
 * ```ts
 * const pruned = model.numItems >= BOUNDED_MIN_ITEMS && model.scoreBounds !== undefined;
 * ```
 */
export const BOUNDED_MIN_ITEMS = 8192;

/** Share of the catalogue above which the bounded path gives up and scores every item. */
const BOUNDED_MAX_SHARE = 0.25;

/** Scratch arrays of the bounded path, one set per model (reused user after user). */
const scratch = new WeakMap<object, { lower: Float32Array; upper: Float32Array; pool: Int32Array; idx: Int32Array; sc: Float32Array }>();

/**
 * The exact top k of user u under a skip mask: every item scored, or, on large catalogues of a
 * model with `scoreBounds`, only the unskipped items whose upper bound reaches the k-th largest
 * lower bound (the others cannot be among the k best), ranked as scoring every item ranks them
 * (ties by the lower index). Exposed for the batch path; the result is the same either way.
 *
 * @example
 * ```ts
 * const r = exactTop(m, m.users.get('42')!, '42', buildSkipMask(m, m.users.get('42')!, {}), 10);
 * ```
 */
export function exactTop(m: LoadedModel, u: number, userId: string, skip: Uint8Array, k: number): Recommendations {
  const model = m.model;
  const n = model.numItems;
  if (n >= BOUNDED_MIN_ITEMS && model.scoreBounds !== undefined) {
    let buf = scratch.get(model);
    if (buf === undefined || buf.idx.length < k) {
      buf = { lower: new Float32Array(n), upper: new Float32Array(n), pool: new Int32Array(n), idx: new Int32Array(k), sc: new Float32Array(k) };
      scratch.set(model, buf);
    }
    const { lower, upper, idx, sc } = buf;
    if (model.scoreBounds(u, lower, upper) && topK(lower, k, skip, idx, sc) === k) {
      const threshold = sc[k - 1];
      if (Number.isFinite(threshold)) {
        const pool = buf.pool;
        let count = 0;
        for (let i = 0; i < n; i++) if (skip[i] === 0 && !(upper[i] < threshold)) pool[count++] = i;
        if (count <= n * BOUNDED_MAX_SHARE) {
          const items = pool.subarray(0, count);
          const scores = new Float32Array(count);
          model.scoreItems(u, items, scores);
          const got = topK(scores, k, null, idx, sc);
          const out: ScoredItem[] = [];
          for (let r = 0; r < got; r++) out.push({ item: m.items.id(items[idx[r]]), score: sc[r] });
          return { user: userId, items: out, k, complete: got === k };
        }
      }
    }
  }
  const scores = new Float32Array(n);
  model.scoreAll(u, scores);
  return pickTop(m, userId, scores, skip, k);
}

/**
 * The search a recommendation with these options takes on this model (`exact` or `ann`; see
 * `RecommendOptions.search`). Throws BAD_OPTION for a bad `search` or `candidateCount`, and for
 * `ann` without an attached index or for a family without `candidateQuery`.
 *
 * @example
 * ```ts
 * searchMode(m, { search: 'auto' }); // 'ann' for a 1M-item LRML model with an index, else 'exact'
 * ```
 */
export function searchMode(m: LoadedModel, o: RecommendOptions): 'exact' | 'ann' {
  const mode = o.search === undefined ? 'auto' : oneOf('search', o.search, SEARCH_MODES);
  if (o.candidateCount !== undefined) positiveInt('candidateCount', o.candidateCount);
  const capable = m.model.candidateQuery !== undefined;
  if (mode === 'auto') return capable && m.index !== undefined && m.model.numItems >= ANN_AUTO_ITEMS ? 'ann' : 'exact';
  if (mode === 'exact') return 'exact';
  if (!capable) throw new LrmlError('BAD_OPTION', `search 'ann': ${m.model.kind} models have no candidate query (lrml and cml do); use 'exact'`);
  if (m.index === undefined) throw new LrmlError('BAD_OPTION', "search 'ann': no candidate index is attached to the model (openCandidateIndex builds or loads one)");
  if (m.index.numItems !== m.model.numItems) throw new LrmlError('BAD_OPTION', `search 'ann': the attached index has ${m.index.numItems} items, the model ${m.model.numItems}`);
  return 'ann';
}

/** The `ann` path's work for one request up to the index search (see {@link recommendFromCandidates}). */
interface CandidatePlan {
  /** Seen and excluded items (never returned). */
  skip: Set<number>;
  /** The items to score when no search is needed (the included ones, or every item). */
  pool: ArrayLike<number> | null;
  /** Otherwise: the index query and how many neighbours to ask it for. */
  query: Float32Array | null;
  want: number;
}

function planCandidates(m: LoadedModel, u: number, o: RecommendOptions): CandidatePlan {
  const n = m.model.numItems;
  const skipUnknown = o.skipUnknown === true;
  const seen = m.seen !== null ? m.seen.row(u) : new Int32Array(0);
  const skip = new Set<number>(o.excludeSeen !== false ? seen : []);
  if (o.exclude !== undefined) for (const i of filterIndices(m, 'exclude', o.exclude, skipUnknown)) skip.add(i);
  const inc = includeOf(o);
  if (inc !== undefined) return { skip, pool: filterIndices(m, o.include !== undefined ? 'include' : 'candidates', inc, skipUnknown), query: null, want: 0 };
  const count = o.candidateCount ?? DEFAULT_CANDIDATE_COUNT;
  const want = count + Math.min(skip.size, count); // room for seen and excluded neighbours
  if (want >= n) return { skip, pool: Int32Array.from({ length: n }, (_, i) => i), query: null, want: n };
  const query = new Float32Array(m.index!.dim);
  m.model.candidateQuery!(u, seen, query);
  return { skip, pool: null, query, want };
}

/**
 * Scores a plan's pool (the index's answer when `partial`) exactly, minus its skipped items; null
 * when the index left fewer than k candidates while more items exist (the caller then scores
 * exactly).
 */
function rankCandidates(m: LoadedModel, u: number, userId: string, skip: Set<number>, pool: ArrayLike<number>, partial: boolean, k: number): Recommendations | null {
  const kept = new Set<number>();
  for (let t = 0; t < pool.length; t++) if (!skip.has(pool[t])) kept.add(pool[t]);
  const items = Int32Array.from(kept).sort();
  if (partial && items.length < k) return null;
  const scores = new Float32Array(items.length);
  m.model.scoreItems(u, items, scores);
  const idx = new Int32Array(k);
  const sc = new Float32Array(k);
  const got = topK(scores, k, null, idx, sc);
  const out: ScoredItem[] = [];
  for (let r = 0; r < got; r++) out.push({ item: m.items.id(items[idx[r]]), score: sc[r] });
  return { user: userId, items: out, k, complete: got === k };
}

/**
 * The `ann` path of {@link recommend}: the included items, or the index's nearest candidates
 * (candidateCount, plus as many as the seen and excluded items up to candidateCount more; every
 * item when that reaches numItems), minus seen and excluded
 * items, scored exactly; ranked as the exact path ranks (ties by the lower index). Null when the
 * index left fewer than k candidates while more items exist (the caller then scores exactly).
 */
function recommendFromCandidates(m: LoadedModel, u: number, userId: string, o: RecommendOptions, k: number): Recommendations | null {
  const plan = planCandidates(m, u, o);
  const pool = plan.pool ?? m.index!.search(plan.query!, plan.want);
  return rankCandidates(m, u, userId, plan.skip, pool, plan.pool === null, k);
}

/**
 * {@link recommend} that lets the candidate index search off the calling thread: on the `ann`
 * path the index's `searchAsync` (when it has one, e.g. an index opened with `searchThreads`) is
 * awaited, so a server keeps answering while searches run on other cores. Same result as
 * {@link recommend}; the exact path runs synchronously as there.
 *
 * @example
 * ```ts
 * const r = await recommendAsync(m, '42', { k: 10, search: 'ann' });
 * ```
 */
export async function recommendAsync(m: LoadedModel, userId: string, options: RecommendOptions = {}): Promise<Recommendations> {
  const u = userIndexOf(m, userId);
  const k = checkK(options.k ?? 10);
  if (searchMode(m, options) === 'ann') {
    const plan = planCandidates(m, u, options);
    const index = m.index!;
    const pool = plan.pool ?? (await (index.searchAsync?.(plan.query!, plan.want) ?? index.search(plan.query!, plan.want)));
    const r = rankCandidates(m, u, userId, plan.skip, pool, plan.pool === null, k);
    if (r !== null) return r;
  }
  return exactTop(m, u, userId, buildSkipMask(m, u, options), k);
}

/**
 * {@link recommend} for many users at once; one result per user id, in order.
 * Throws UNKNOWN_USER naming the first unknown id (nothing is returned partially).
 *
 * @example
 * ```ts
 * const all = recommendMany(m, ['1', '2', '3'], { k: 10 });
 * ```
 */
export function recommendMany(m: LoadedModel, userIds: readonly string[], options: RecommendOptions = {}): Recommendations[] {
  for (const id of userIds) if (!m.users.has(id)) throw new LrmlError('UNKNOWN_USER', `unknown user ${JSON.stringify(id)}`);
  checkFilters(m, options);
  searchMode(m, options);
  return userIds.map((id) => recommend(m, id, options));
}

/** Text formats of {@link recommendationLines}. */
export type RecommendationsFormat = 'jsonl' | 'csv';

/**
 * {@link recommend} for each user id in turn (every user of the model, in index order, when
 * `userIds` is null), lazily: one user scored per step, so a caller can stream the results.
 * Throws BAD_OPTION for a bad k and UNKNOWN_ITEM for an unknown filter id at once, UNKNOWN_USER
 * when it reaches an unknown id (check ids first with `m.users.has`).
 *
 * @example
 * ```ts
 * for (const r of recommendEach(m, null, { k: 10 })) console.log(r.user, r.items[0]?.item);
 * ```
 */
export function recommendEach(m: LoadedModel, userIds: Iterable<string> | null, options: RecommendOptions = {}): Generator<Recommendations> {
  checkK(options.k ?? 10); // at the call, not at the first step
  checkFilters(m, options);
  searchMode(m, options);
  function* each(): Generator<Recommendations> {
    if (userIds === null) {
      for (let u = 0; u < m.users.size; u++) yield recommendUserIndex(m, u, m.users.id(u), options);
      return;
    }
    for (const id of userIds) yield recommend(m, id, options);
  }
  return each();
}

/**
 * Recommendations as text lines (each ending in a newline), lazily:
 * - `jsonl`: one `{"user", "items": [{"item", "score"}, …], "k", "complete"}` object per user;
 * - `csv`: a header `user,rank,item,score`, then one row per recommended item (rank from 1).
 * With `titles` (an items file's id → title and genres), JSON items gain `title` and `genres` and the
 * CSV a `title` column (empty for items without one).
 *
 * @example
 * ```ts
 * const lines = recommendationLines(recommendEach(m, null), 'csv'); // 'user,rank,item,score\n', '42,1,260,-0.31\n', …
 * ```
 */
export function* recommendationLines(recs: Iterable<Recommendations>, format: RecommendationsFormat, titles?: ItemTitles): Generator<string> {
  if (format !== 'jsonl' && format !== 'csv') throw new LrmlError('BAD_OPTION', `invalid recommendations format: ${JSON.stringify(format)} (expected jsonl or csv)`);
  if (format === 'csv') yield titles === undefined ? 'user,rank,item,score\n' : 'user,rank,item,score,title\n';
  for (const r of recs) {
    if (format === 'jsonl') {
      yield `${JSON.stringify(titles === undefined ? r : titledRecommendations(r, titles))}\n`;
      continue;
    }
    const user = csvField(r.user);
    let text = '';
    for (let t = 0; t < r.items.length; t++) {
      const x = r.items[t];
      text += `${user},${t + 1},${csvField(x.item)},${x.score}`;
      text += titles === undefined ? '\n' : `,${csvField(titles.get(x.item)?.title ?? '')}\n`;
    }
    yield text;
  }
}
