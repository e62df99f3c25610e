// Candidate index for large catalogues (issue #20 item 1): an HNSW index over a model's item
// vectors, built with the usearch package (an optional dependency, prebuilt binaries inside the
// npm package), saved next to the model file as `<model>.index` with a `<model>.index.json`
// sidecar holding the model's fingerprint, so a stale index is detected and rebuilt.
// recommend() takes the index's nearest items to the user's query as candidates and scores them
// exactly (src/recommend/recommend.ts). Node-only.

import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { readFile, rename, stat, unlink } from 'node:fs/promises';
import { LrmlError, positiveInt } from '../errors.js';
import { removeStaleTemps, tempPathFor, writeFileAtomic } from '../fs-atomic.js';
import type { Worker } from 'node:worker_threads';
import { startIoWorker } from './start-worker.js';
import type { CandidateIndex, LoadedModel } from '../models/types.js';
import { ANN_AUTO_ITEMS, type SearchMode } from '../recommend/index.js';

/** The npm package that builds and searches the index (in optionalDependencies). */
export const INDEX_PACKAGE = 'usearch';

/**
 * Default HNSW graph degree M of a new index. 64: on a 1M-item LRML model with near-random 100-d
 * item vectors, M 16 (efConstruction 128) found 0.62–0.77 of the exact top 10 at 500–5,000
 * candidates, M 64 (efConstruction 256) 0.97 at 200 and 0.99 at 500 (BENCHMARKS.md). On a
 * 15-epoch model the lifted i8 index with M 16 finds 0.95–0.96 at 150–200 candidates in 40% of
 * the memory and build time: the lean choice where memory is tight.
 *
 * @example
 * ```ts
 * DEFAULT_CONNECTIVITY; // 64
 * ```
 */
export const DEFAULT_CONNECTIVITY = 64;

/**
 * Default build beam width (efConstruction) of a new index; see {@link DEFAULT_CONNECTIVITY}.
 *
 * @example
 * ```ts
 * DEFAULT_EXPANSION_ADD; // 256
 * ```
 */
export const DEFAULT_EXPANSION_ADD = 256;

/**
 * How a candidate index compares vectors. `l2sq`: squared L2 between the item vectors as they are.
 * `lifted`: the vectors are first divided by the catalogue's largest norm m (squared-L2 order is
 * kept), then each item vector x is lifted onto a sphere, x ↦ [x, ‖x‖², √(R² − ‖x‖² − ‖x‖⁴)]
 * (R² the largest ‖x‖² + ‖x‖⁴), a query q to [2q, −1, 0], and the index searches by cosine:
 * x'·q' = ‖q‖² − ‖x − q‖² with every ‖x'‖ = R, so the nearest items are the squared-L2 ones. The
 * graph over the lifted vectors is easier to search, and since all of them have one length it is
 * the metric that takes `i8` (usearch scales each i8 vector to unit length). On the 1M-item model
 * of BENCHMARKS.md, lifted i8 found 0.966 of the exact top 10 at 150 candidates (l2sq f16: 0.961)
 * at 4–6× less time a request.
 */
export type IndexMetric = 'l2sq' | 'lifted';

/**
 * The metrics a candidate index takes.
 *
 * @example
 * ```ts
 * INDEX_METRICS.includes('lifted'); // true
 * ```
 */
export const INDEX_METRICS: readonly IndexMetric[] = ['l2sq', 'lifted'];

/** How a candidate index stores its vectors (usearch's scalar kinds that keep recall here; i8 only with the lifted metric). */
export type IndexQuantization = 'f32' | 'f16' | 'i8';

/**
 * The quantizations a candidate index takes.
 *
 * @example
 * ```ts
 * INDEX_QUANTIZATIONS.includes('f16'); // true
 * ```
 */
export const INDEX_QUANTIZATIONS: readonly IndexQuantization[] = ['f32', 'f16', 'i8'];

/**
 * Metric of a new index (a saved index keeps its own unless another is asked for): lifted, with
 * i8 the fastest and most accurate of those measured (BENCHMARKS.md).
 *
 * @example
 * ```ts
 * DEFAULT_INDEX_METRIC; // 'lifted'
 * ```
 */
export const DEFAULT_INDEX_METRIC: IndexMetric = 'lifted';

/**
 * Quantization of a new lifted index (a new l2sq index: f32); see {@link DEFAULT_INDEX_METRIC}.
 *
 * @example
 * ```ts
 * DEFAULT_INDEX_QUANTIZATION; // 'i8'
 * ```
 */
export const DEFAULT_INDEX_QUANTIZATION: IndexQuantization = 'i8';

/**
 * The scale of the lift of a catalogue ({@link IndexMetric}): 1 / the largest norm of its item
 * vectors (1 when all are zero), so that the scaled vectors reach the unit sphere and i8 keeps
 * their precision whatever their norms.
 *
 * @example
 * ```ts
 * liftScale(new Float32Array([3, 4, 0, 1]), 2); // 0.2
 * ```
 */
export function liftScale(items: Float32Array, dim: number): number {
  let max = 0;
  for (let i = 0; i * dim < items.length; i++) max = Math.max(max, scaledNorm2(items, dim, i, 1));
  return max > 0 && Number.isFinite(max) ? 1 / Math.sqrt(max) : 1;
}

/** ‖scale · xᵢ‖² of item row i, each component rounded to float32 as the lifted vectors hold it. */
function scaledNorm2(items: Float32Array, dim: number, i: number, scale: number): number {
  let s = 0;
  for (let c = 0; c < dim; c++) {
    const x = Math.fround(items[i * dim + c] * scale);
    s += x * x;
  }
  return s;
}

/**
 * The lifted item vectors ({@link IndexMetric}) of items [from, to): `(to − from) × (dim + 2)`
 * floats, the vectors times `scale` ({@link liftScale}), for the radius² `r2` ({@link liftRadius2}
 * of the same scale: at least every scaled item's ‖x‖² + ‖x‖⁴).
 *
 * @example
 * ```ts
 * const scale = liftScale(items, dim);
 * const rows = liftItems(items, dim, 0, 1000, scale, liftRadius2(items, dim, scale));
 * ```
 */
export function liftItems(items: Float32Array, dim: number, from: number, to: number, scale: number, r2: number): Float32Array {
  const w = dim + 2;
  const out = new Float32Array((to - from) * w);
  for (let i = from; i < to; i++) {
    for (let c = 0; c < dim; c++) out[(i - from) * w + c] = items[i * dim + c] * scale;
    const s = scaledNorm2(items, dim, i, scale);
    out[(i - from) * w + dim] = s;
    out[(i - from) * w + dim + 1] = Math.sqrt(Math.max(0, r2 - s - s * s));
  }
  return out;
}

/**
 * The radius² of the lift of a catalogue: the largest ‖x‖² + ‖x‖⁴ over its item vectors times
 * `scale` (default 1).
 *
 * @example
 * ```ts
 * liftRadius2(new Float32Array([1, 0, 0, 0.5]), 2); // 2
 * ```
 */
export function liftRadius2(items: Float32Array, dim: number, scale = 1): number {
  let r2 = 0;
  for (let i = 0; i * dim < items.length; i++) {
    const s = scaledNorm2(items, dim, i, scale);
    r2 = Math.max(r2, s + s * s);
  }
  return r2;
}

/**
 * The lifted query of `q` ({@link IndexMetric}) for a catalogue lifted with `scale`
 * ({@link liftScale}; default 1): [2·scale·q, −1, 0].
 *
 * @example
 * ```ts
 * liftQuery(new Float32Array([0.5, 1])); // Float32Array [1, 2, -1, 0]
 * ```
 */
export function liftQuery(q: Float32Array, scale = 1): Float32Array {
  const out = new Float32Array(q.length + 2);
  for (let c = 0; c < q.length; c++) out[c] = 2 * scale * q[c];
  out[q.length] = -1;
  return out;
}

/**
 * The build settings given among some options (`connectivity`, `expansionAdd`, `metric`, `quantization`),
 * without the ones left undefined, as {@link openCandidateIndex} takes them.
 *
 * @example
 * ```ts
 * indexSettings({ search: 'ann', connectivity: 32 }); // { connectivity: 32 }
 * ```
 */
export function indexSettings(o: Pick<CandidateIndexOptions, 'connectivity' | 'expansionAdd' | 'metric' | 'quantization'>): Pick<CandidateIndexOptions, 'connectivity' | 'expansionAdd' | 'metric' | 'quantization'> {
  return {
    ...(o.connectivity === undefined ? {} : { connectivity: o.connectivity }),
    ...(o.expansionAdd === undefined ? {} : { expansionAdd: o.expansionAdd }),
    ...(o.metric === undefined ? {} : { metric: o.metric }),
    ...(o.quantization === undefined ? {} : { quantization: o.quantization }),
  };
}

/** Version of the sidecar's layout (`<model>.index.json`). */
const SIDECAR_VERSION = 1;

/** Build settings of {@link openCandidateIndex} / {@link buildCandidateIndex}. */
export interface CandidateIndexOptions {
  /**
   * HNSW graph degree M (default: the saved index's, else {@link DEFAULT_CONNECTIVITY}). Recorded in the sidecar: a saved
   * index built with another value is rebuilt when this is given; without it the saved index's
   * value is kept, also when a retrained model's index is rebuilt.
   */
  connectivity?: number;
  /** Beam width while building, efConstruction (default: the saved index's, else {@link DEFAULT_EXPANSION_ADD}); as `connectivity`. */
  expansionAdd?: number;
  /**
   * How the index compares vectors ({@link IndexMetric}): `lifted` (default for a new index,
   * {@link DEFAULT_INDEX_METRIC}) or `l2sq`; default: the saved index's (an index saved before the
   * metric existed is `l2sq`); as `connectivity`.
   */
  metric?: IndexMetric;
  /**
   * How the index stores the item vectors: `i8` (default for a new index: a byte a component; only
   * with the `lifted` metric), `f16` or `f32`; default: the saved index's (before the metric
   * existed, f32). Candidates are re-scored exactly either way; as `connectivity`.
   */
  quantization?: IndexQuantization;
  /** Beam width while searching, ef (default 64; a search for C candidates uses max(ef, C)). */
  expansionSearch?: number;
  /** Threads that build the index (default: every core of the machine). */
  threads?: number;
  /**
   * Worker threads that answer `searchAsync` (default 0: searches run on the calling thread), each
   * with its own copy of the saved index file (the calling thread then keeps the file
   * memory-mapped, for `search`); for servers, where the main thread then keeps
   * answering requests while searches run on the other cores. Needs the index file
   * ({@link openCandidateIndex}, {@link attachCandidateIndex} with a model path).
   */
  searchThreads?: number;
  /** Warnings of the search threads (one that stopped); default: silent. */
  onWarning?: (line: string) => void;
  /** Rebuild even when the saved index is current (default false). */
  rebuild?: boolean;
  /** Called while building with the items indexed so far. */
  onProgress?: (done: number, total: number) => void;
  /** How the package is imported (tests). */
  importer?: (name: string) => Promise<unknown>;
}

/** What {@link openCandidateIndex} did. */
export interface OpenedIndex {
  index: CandidateIndex;
  /** The index file (`<model>.index`). */
  file: string;
  /** True when the index was (re)built: missing, stale (another model) or other settings; false when loaded. */
  built: boolean;
  /** Why it was built (`missing`, `stale`, `settings`, `rebuild`), or null when loaded. */
  reason: 'missing' | 'stale' | 'settings' | 'rebuild' | null;
  /** Seconds to build or load. */
  seconds: number;
  /** The graph degree M, build beam width efConstruction, metric and vector storage of the index. */
  connectivity: number;
  expansionAdd: number;
  metric: IndexMetric;
  quantization: IndexQuantization;
  /** Search threads started (each with the index file open), 0 without `searchThreads`. */
  searchThreads: number;
}

/** The sidecar `<model>.index.json`. */
interface Sidecar {
  format: 'lrml-candidate-index';
  version: number;
  engine: string;
  engineVersion: string;
  /** SHA-256 of the item vectors the index holds (with dim and numItems). */
  fingerprint: string;
  numItems: number;
  dim: number;
  /** `l2sq` in sidecars written before the lifted metric existed. */
  metric: IndexMetric;
  /** The lift's scale and radius² (lifted metric only; a lifted sidecar without the scale is rebuilt). */
  liftScale?: number;
  radius2?: number;
  connectivity: number;
  expansionAdd: number;
  /** Absent in sidecars written before it existed: f32. */
  quantization?: IndexQuantization;
  /** Size of the index file, bytes. */
  bytes: number;
}

/** The parts of usearch's `Index` used here. */
export interface UsearchIndex {
  add(keys: BigUint64Array, vectors: Float32Array, threads?: number): void;
  search(vector: Float32Array, k: number, threads: number): { keys: BigUint64Array; distances: Float32Array };
  size(): number;
  dimensions(): number;
  save(path: string): void;
  load(path: string): void;
  view(path: string): void;
}

/** The parts of the usearch module used here (also by the search worker). */
export interface UsearchModule {
  Index: new (config: { dimensions: number; metric: string; quantization: string; connectivity: number; expansion_add: number; expansion_search: number; multi: boolean }) => UsearchIndex;
}

/**
 * The index file of a model file: `<model>.index` (its sidecar: `<model>.index.json`).
 *
 * @example
 * ```ts
 * candidateIndexPath('big.lrml'); // 'big.lrml.index'
 * ```
 */
export function candidateIndexPath(modelPath: string): string {
  return `${modelPath}.index`;
}

const isNotFound = (e: unknown): boolean => {
  const code = (e as { code?: unknown }).code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
};

/**
 * Imports the index package; MISSING_DEPENDENCY naming `flag` and the install command when it is
 * not installed (npm installs optional dependencies unless told `--omit=optional`).
 *
 * @example
 * ```ts
 * await requireIndexPackage('--candidates ann'); // throws MISSING_DEPENDENCY without usearch
 * ```
 */
export async function requireIndexPackage(flag: string, importer: (name: string) => Promise<unknown> = (name) => import(name)): Promise<void> {
  await usearch(flag, importer);
}

async function usearch(flag: string, importer: (name: string) => Promise<unknown>): Promise<UsearchModule> {
  try {
    return (await importer(INDEX_PACKAGE)) as UsearchModule;
  } catch (e) {
    if (!isNotFound(e)) throw e;
    throw new LrmlError('MISSING_DEPENDENCY',
      `${flag} needs the optional package ${INDEX_PACKAGE} (nearest-neighbour index), which is not installed ` +
      `(npm installs optional dependencies unless told --omit=optional): run \`npm install ${INDEX_PACKAGE}\`, or use exact scoring (--candidates exact)`);
  }
}

/** The installed usearch version (part of the sidecar: another version rebuilds the index). */
async function usearchVersion(): Promise<string> {
  try {
    const { createRequire } = await import('node:module');
    const req = createRequire(import.meta.url);
    const pkg = JSON.parse(await readFile(req.resolve(`${INDEX_PACKAGE}/package.json`), 'utf8')) as { version?: string };
    return String(pkg.version);
  } catch {
    return 'unknown';
  }
}

/** The item vectors of a model an index is built over; BAD_OPTION for a family without a candidate query. */
function indexedVectors(m: LoadedModel): { items: Float32Array; dim: number } {
  const model = m.model;
  if (model.candidateQuery === undefined || model.vectors === undefined) {
    throw new LrmlError('BAD_OPTION', `a candidate index needs a model with a candidate query (lrml, cml); ${model.kind} models are scored exactly (--candidates exact)`);
  }
  const v = model.vectors();
  if (v.geometry !== 'euclidean') throw new LrmlError('BAD_OPTION', `a candidate index needs euclidean item vectors; ${model.kind} has ${v.geometry}`);
  return { items: v.items, dim: v.dim };
}

/**
 * The fingerprint of a model's indexed vectors: SHA-256 of dim, numItems and the item vectors'
 * bytes. Another model (or the same model retrained) gives another fingerprint.
 *
 * @example
 * ```ts
 * const f = indexFingerprint(m); // '3f5c…' (64 hex digits)
 * ```
 */
export function indexFingerprint(m: LoadedModel): string {
  const { items, dim } = indexedVectors(m);
  const h = createHash('sha256');
  h.update(`lrml-candidate-index ${dim} ${m.model.numItems}\n`);
  h.update(new Uint8Array(items.buffer, items.byteOffset, items.byteLength));
  return h.digest('hex');
}

interface Settings {
  connectivity: number;
  expansionAdd: number;
  metric: IndexMetric;
  quantization: IndexQuantization;
  expansionSearch: number;
  threads: number;
  searchThreads: number;
}

function settingsOf(o: CandidateIndexOptions): Settings {
  const s = {
    connectivity: o.connectivity ?? DEFAULT_CONNECTIVITY,
    expansionAdd: o.expansionAdd ?? DEFAULT_EXPANSION_ADD,
    metric: o.metric ?? DEFAULT_INDEX_METRIC,
    quantization: o.quantization ?? defaultQuantization(o.metric ?? DEFAULT_INDEX_METRIC),
    expansionSearch: o.expansionSearch ?? 64,
    threads: o.threads ?? availableParallelism(),
    searchThreads: o.searchThreads ?? 0,
  };
  if (!Number.isInteger(s.searchThreads) || s.searchThreads < 0 || s.searchThreads > 64) {
    throw new LrmlError('BAD_OPTION', `searchThreads: ${s.searchThreads} is not an integer in [0, 64]`);
  }
  positiveInt('connectivity', s.connectivity);
  positiveInt('expansionAdd', s.expansionAdd);
  positiveInt('expansionSearch', s.expansionSearch);
  positiveInt('threads', s.threads);
  if (!INDEX_METRICS.includes(s.metric)) {
    throw new LrmlError('BAD_OPTION', `metric: ${JSON.stringify(s.metric)} is not one of ${INDEX_METRICS.join(', ')}`);
  }
  if (!INDEX_QUANTIZATIONS.includes(s.quantization)) {
    throw new LrmlError('BAD_OPTION', `quantization: ${JSON.stringify(s.quantization)} is not one of ${INDEX_QUANTIZATIONS.join(', ')}`);
  }
  checkMetricQuantization(s.metric, s.quantization);
  return s;
}

/** The quantization of a new index of a metric: i8 for lifted, f32 for l2sq (as before the lifted metric). */
function defaultQuantization(metric: IndexMetric): IndexQuantization {
  return metric === 'lifted' ? DEFAULT_INDEX_QUANTIZATION : 'f32';
}

/** Whether a metric and a quantization go together: i8 only with lifted (usearch scales each i8 vector to unit length, which changes squared-L2 distances). */
function pairs(metric: IndexMetric, quantization: IndexQuantization): boolean {
  return quantization !== 'i8' || metric === 'lifted';
}

/** BAD_OPTION for a metric and quantization that do not go together ({@link pairs}). */
function checkMetricQuantization(metric: IndexMetric, quantization: IndexQuantization): void {
  if (!pairs(metric, quantization)) {
    throw new LrmlError('BAD_OPTION', `quantization i8 needs the lifted metric (usearch scales each i8 vector to unit length, which only lifted vectors, all of one length, keep in order); metric is ${metric}`);
  }
}

/**
 * The item indices of a usearch answer, nearest first: its keys without the padding it adds when
 * it found fewer than asked (keys past numItems, infinite distances). Shared with the search
 * worker; not part of the public API.
 *
 * @example
 * ```ts
 * const r = raw.search(query, 500, 1);
 * const items = matchedItems(r.keys, r.distances, numItems);
 * ```
 */
export function matchedItems(keys: BigUint64Array, distances: Float32Array, numItems: number): Int32Array {
  const out = new Int32Array(keys.length);
  let n = 0;
  for (let t = 0; t < keys.length; t++) {
    const key = Number(keys[t]);
    if (key < numItems && Number.isFinite(distances[t])) out[n++] = key;
  }
  return out.subarray(0, n);
}

/** What a search worker is started with (./ann-search-worker.ts). */
export interface SearchWorkerInput {
  packageName: string;
  file: string;
  numItems: number;
  dim: number;
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
  metric: IndexMetric;
  quantization: IndexQuantization;
}

/** One search for a worker (the query lifted already for a lifted index). */
export interface SearchWorkerTask {
  id: number;
  query: Float32Array;
  count: number;
}

/** A worker's messages: ready once, then one result or error per task (id -1: it failed to start). */
export type SearchWorkerMessage =
  | { type: 'ready' }
  | { type: 'result'; id: number; items: Int32Array }
  | { type: 'error'; id: number; message: string };

/** One search thread: its worker and the searches it has not answered yet. */
interface SearchThread {
  worker: Worker;
  pending: Map<number, { resolve: (items: Int32Array) => void; reject: (e: Error) => void }>;
  /** Called when the last pending search is answered (set by close). */
  onIdle?: () => void;
}

/**
 * A usearch index as a {@link CandidateIndex}: item index = key. `search` runs on the calling
 * thread; with search threads (opened with `searchThreads`), `searchAsync` hands the search to
 * the least busy of them, each with its own copy of the index file. A search thread that fails
 * leaves the pool, and searches fall back to the calling thread (`onWarning` says so once).
 */
class UsearchCandidateIndex implements CandidateIndex {
  private threads: SearchThread[] = [];
  private nextId = 0;
  private closed = false;
  private onWarning: (line: string) => void = () => undefined;
  private warnedFallback = false;
  /** `scale`: the lift's ({@link liftScale}; lifted metric only). */
  constructor(readonly raw: UsearchIndex, readonly numItems: number, readonly dim: number, readonly metric: IndexMetric, readonly scale = 1) {}

  search(query: Float32Array, count: number): Int32Array {
    return this.searchRaw(this.engineQuery(query), count);
  }

  private searchRaw(query: Float32Array, count: number): Int32Array {
    const r = this.raw.search(query, Math.min(count, this.numItems), 1);
    return matchedItems(r.keys, r.distances, this.numItems);
  }

  searchAsync(query: Float32Array, count: number): Promise<Int32Array> {
    const q = this.engineQuery(query);
    if (this.closed || this.threads.length === 0) return Promise.resolve(this.searchRaw(q, count));
    let pick = this.threads[0];
    for (const t of this.threads) if (t.pending.size < pick.pending.size) pick = t;
    const id = this.nextId++;
    return new Promise<Int32Array>((resolve, reject) => {
      pick.pending.set(id, { resolve, reject });
      pick.worker.ref(); // a search in flight keeps the process alive; an idle thread does not
      pick.worker.postMessage({ id, query: q, count: Math.min(count, this.numItems) } satisfies SearchWorkerTask);
    }).catch((e: Error) => {
      // a failed thread or search: the search runs here (said once)
      if (!this.warnedFallback) {
        this.warnedFallback = true;
        this.onWarning(`a candidate search thread failed a search (${e.message}); it ran on the main thread`);
      }
      return this.searchRaw(q, count);
    });
  }

  /** Starts `count` search threads on the saved index `file`; resolves when each has it open. */
  async startThreads(count: number, input: Omit<SearchWorkerInput, 'numItems' | 'dim'>, onWarning?: (line: string) => void): Promise<void> {
    if (onWarning !== undefined) this.onWarning = onWarning;
    const started = await Promise.allSettled(Array.from({ length: count }, () => this.startThread({ ...input, numItems: this.numItems, dim: this.dim })));
    const threads = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      await Promise.all(threads.map((t) => t.worker.terminate()));
      throw failed.reason;
    }
    this.threads.push(...threads);
  }

  private startThread(input: SearchWorkerInput): Promise<SearchThread> {
    const worker = startIoWorker('ann-search-worker', input);
    const thread: SearchThread = { worker, pending: new Map() };
    const leave = (why: string): void => {
      const at = this.threads.indexOf(thread);
      if (at >= 0) {
        this.threads.splice(at, 1);
        if (!this.closed) this.onWarning(`a candidate search thread stopped (${why}); ${this.threads.length > 0 ? `${this.threads.length} left` : 'searches run on the main thread'}`);
      }
      for (const p of thread.pending.values()) p.reject(new Error(why));
      thread.pending.clear();
      thread.onIdle?.();
    };
    return new Promise<SearchThread>((resolve, reject) => {
      worker.on('message', (msg: SearchWorkerMessage) => {
        if (msg.type === 'ready') {
          worker.unref();
          resolve(thread);
        } else if (msg.id < 0) {
          reject(new LrmlError('BAD_OPTION', `a candidate search thread could not open ${input.file}: ${msg.type === 'error' ? msg.message : ''}`, { file: input.file }));
          void worker.terminate();
        } else {
          const p = thread.pending.get(msg.id);
          thread.pending.delete(msg.id);
          if (thread.pending.size === 0) {
            worker.unref();
            thread.onIdle?.();
          }
          if (msg.type === 'result') p?.resolve(msg.items);
          else p?.reject(new Error(msg.message));
        }
      });
      worker.on('error', (e) => {
        leave(e.message);
        reject(e);
      });
      worker.on('exit', (code) => leave(`exit code ${code}`));
    });
  }

  /** Stops the search threads once their searches are answered; later searches run on the calling thread. */
  async close(): Promise<void> {
    this.closed = true;
    const threads = this.threads;
    this.threads = [];
    await Promise.all(threads.map(async (t) => {
      if (t.pending.size > 0) await new Promise<void>((idle) => (t.onIdle = idle));
      await t.worker.terminate();
    }));
  }

  /** The query as the engine takes it (lifted for the lifted metric); BAD_OPTION for a wrong length. */
  private engineQuery(query: Float32Array): Float32Array {
    if (query.length !== this.dim) throw new LrmlError('BAD_OPTION', `candidate index query: length ${query.length}, expected ${this.dim}`);
    return this.metric === 'lifted' ? liftQuery(query, this.scale) : query;
  }
}

/**
 * An empty usearch index with the given settings, for item vectors of `dim` components (squared
 * L2; the lifted metric: cosine over dim + 2); the search worker builds its own with this too.
 * Not part of the public API.
 *
 * @example
 * ```ts
 * const raw = newIndex(mod, 100, { connectivity: 64, expansionAdd: 256, expansionSearch: 64, metric: 'lifted', quantization: 'i8' });
 * raw.load('big.lrml.index');
 * ```
 */
export function newIndex(mod: UsearchModule, dim: number, s: Pick<Settings, 'connectivity' | 'expansionAdd' | 'expansionSearch' | 'metric' | 'quantization'>): UsearchIndex {
  const lifted = s.metric === 'lifted';
  return new mod.Index({ dimensions: lifted ? dim + 2 : dim, metric: lifted ? 'cos' : 'l2sq', quantization: s.quantization, connectivity: s.connectivity, expansion_add: s.expansionAdd, expansion_search: s.expansionSearch, multi: false });
}

/**
 * Builds a candidate index over a model's item vectors in memory (HNSW, squared L2, usearch) and
 * returns it; attach it as `m.index`. {@link openCandidateIndex} also saves and reuses it.
 * BAD_OPTION for a family without a candidate query, MISSING_DEPENDENCY without usearch.
 *
 * @example
 * ```ts
 * const m = await loadModel('big.lrml');
 * m.index = await buildCandidateIndex(m, { threads: 2 });
 * recommend(m, '42', { search: 'ann', candidateCount: 500 });
 * ```
 */
export async function buildCandidateIndex(m: LoadedModel, options: CandidateIndexOptions = {}): Promise<CandidateIndex> {
  const s = settingsOf(options);
  if (s.searchThreads > 0) throw new LrmlError('BAD_OPTION', 'searchThreads: search threads open the saved index file; an index built in memory has none (use openCandidateIndex with the model file)');
  const { items, dim } = indexedVectors(m);
  const mod = await usearch('a candidate index', options.importer ?? ((name) => import(name)));
  return (await build(mod, items, dim, m.model.numItems, s, options.onProgress)).index;
}

/** Builds the index of items [0, n); `scale`, `radius2`: the lift's (1 and 0 for l2sq). */
async function build(mod: UsearchModule, items: Float32Array, dim: number, n: number, s: Settings, onProgress?: (done: number, total: number) => void): Promise<{ index: UsearchCandidateIndex; scale: number; radius2: number }> {
  const raw = newIndex(mod, dim, s);
  const batch = 50_000;
  const lifted = s.metric === 'lifted';
  const scale = lifted ? liftScale(items.subarray(0, n * dim), dim) : 1;
  const r2 = lifted ? liftRadius2(items.subarray(0, n * dim), dim, scale) : 0;
  for (let a = 0; a < n; a += batch) {
    const b = Math.min(n, a + batch);
    const keys = new BigUint64Array(b - a);
    for (let i = a; i < b; i++) keys[i - a] = BigInt(i);
    raw.add(keys, lifted ? liftItems(items, dim, a, b, scale, r2) : items.subarray(a * dim, b * dim), s.threads);
    onProgress?.(b, n);
    await new Promise((resolve) => setImmediate(resolve)); // let a server answer meanwhile
  }
  return { index: new UsearchCandidateIndex(raw, n, dim, s.metric, scale), scale, radius2: r2 };
}

async function readSidecar(path: string): Promise<Sidecar | null> {
  try {
    const j = JSON.parse(await readFile(path, 'utf8')) as Sidecar;
    return j !== null && typeof j === 'object' && j.format === 'lrml-candidate-index' ? j : null;
  } catch {
    return null;
  }
}

/**
 * The candidate index of a model file: loads `<model>.index` when its sidecar
 * (`<model>.index.json`) matches the model's fingerprint, the build settings and the installed
 * usearch version; otherwise builds it (every core by default) and saves both files atomically
 * (temp + rename; a failed save leaves the old files). Attach the result as `m.index`.
 * BAD_OPTION for a family without a candidate query, MISSING_DEPENDENCY without usearch,
 * WRITE_FAILED when the folder is not writable.
 *
 * @example
 * ```ts
 * const m = await loadModel('big.lrml');
 * const { index, built } = await openCandidateIndex(m, 'big.lrml'); // built: false when current
 * m.index = index;
 * recommend(m, '42'); // search 'auto': candidates from the index for ≥ 50,000 items
 * ```
 */
export async function openCandidateIndex(m: LoadedModel, modelPath: string, options: CandidateIndexOptions = {}): Promise<OpenedIndex> {
  const t0 = performance.now();
  const s = settingsOf(options);
  const { items, dim } = indexedVectors(m);
  const mod = await usearch('a candidate index', options.importer ?? ((name) => import(name)));
  const file = candidateIndexPath(modelPath);
  const sideFile = `${file}.json`;
  const fingerprint = indexFingerprint(m);
  const engineVersion = await usearchVersion();
  const n = m.model.numItems;
  const side = await readSidecar(sideFile);
  const size = await stat(file).then((st) => st.size, () => -1);
  // build settings not asked for are the saved index's own: an index built with
  // --index-connectivity 64 is reused, or rebuilt for a retrained model, with M 64 by a later
  // command without the flag
  if (side !== null) {
    if (options.connectivity === undefined && Number.isInteger(side.connectivity) && side.connectivity > 0) s.connectivity = side.connectivity;
    if (options.expansionAdd === undefined && Number.isInteger(side.expansionAdd) && side.expansionAdd > 0) s.expansionAdd = side.expansionAdd;
    // an index saved before the lifted metric existed is l2sq f32; one saved with an unknown or
    // mismatched pair keeps the defaults and is rebuilt. Neither asked for: the saved pair;
    // another metric alone: that metric's default quantization; i8 alone over an l2sq index:
    // lifted, the only metric i8 works with.
    const sideMetric = side.metric ?? 'l2sq';
    const sideQuantization = side.quantization ?? 'f32';
    if (INDEX_METRICS.includes(sideMetric) && INDEX_QUANTIZATIONS.includes(sideQuantization) && pairs(sideMetric, sideQuantization)) {
      if (options.metric === undefined && options.quantization === undefined) {
        s.metric = sideMetric;
        s.quantization = sideQuantization;
      } else if (options.metric === undefined) {
        s.metric = options.quantization === 'i8' ? 'lifted' : sideMetric;
      } else if (options.quantization === undefined) {
        s.quantization = options.metric === sideMetric ? sideQuantization : defaultQuantization(options.metric);
      }
    }
  }
  let reason: OpenedIndex['reason'] = null;
  if (options.rebuild === true) reason = 'rebuild';
  else if (side === null || size < 0) reason = 'missing';
  else if (side.fingerprint !== fingerprint || side.numItems !== n || side.dim !== dim) reason = 'stale';
  else if (side.version !== SIDECAR_VERSION || side.engineVersion !== engineVersion || side.bytes !== size ||
    side.connectivity !== s.connectivity || side.expansionAdd !== s.expansionAdd || (side.metric ?? 'l2sq') !== s.metric || (side.quantization ?? 'f32') !== s.quantization ||
    (s.metric === 'lifted' && !(typeof side.liftScale === 'number' && side.liftScale > 0 && Number.isFinite(side.liftScale)))) reason = 'settings';
  if (reason === null) {
    const raw = newIndex(mod, dim, s);
    try {
      // with search threads, each loads its own copy; the calling thread's (for `search` and the
      // fallback) is the file memory-mapped, which costs little memory
      if (s.searchThreads > 0) raw.view(file);
      else raw.load(file);
    } catch {
      reason = 'stale';
    }
    if (reason === null && raw.size() === n && raw.dimensions() === (s.metric === 'lifted' ? dim + 2 : dim)) return opened(mod, new UsearchCandidateIndex(raw, n, dim, s.metric, side?.liftScale ?? 1), file, null, s, t0, options.onWarning);
    reason = 'stale';
  }
  const { index, scale, radius2 } = await build(mod, items, dim, n, s, options.onProgress);
  await removeStaleTemps(file);
  const tmp = tempPathFor(file);
  let bytes: number;
  try {
    index.raw.save(tmp);
    bytes = (await stat(tmp)).size;
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new LrmlError('WRITE_FAILED', `cannot write ${file}: ${(e as Error).message}`, { file });
  }
  const sidecar: Sidecar = {
    format: 'lrml-candidate-index', version: SIDECAR_VERSION, engine: INDEX_PACKAGE, engineVersion, fingerprint,
    numItems: n, dim, metric: s.metric, ...(s.metric === 'lifted' ? { liftScale: scale, radius2 } : {}), connectivity: s.connectivity, expansionAdd: s.expansionAdd, quantization: s.quantization, bytes,
  };
  await writeFileAtomic(sideFile, `${JSON.stringify(sidecar, null, 2)}\n`);
  return opened(mod, index, file, reason, s, t0, options.onWarning);
}

/** {@link openCandidateIndex}'s answer, once the search threads asked for have the saved index open. */
async function opened(mod: UsearchModule, index: UsearchCandidateIndex, file: string, reason: OpenedIndex['reason'], s: Settings, t0: number, onWarning?: (line: string) => void): Promise<OpenedIndex> {
  if (s.searchThreads > 0) {
    if (reason !== null) {
      // just built: the calling thread maps the saved file, as when loaded, and frees its build
      const mapped = newIndex(mod, index.dim, s);
      mapped.view(file);
      index = new UsearchCandidateIndex(mapped, index.numItems, index.dim, s.metric, index.scale);
    }
    await index.startThreads(s.searchThreads, {
      packageName: INDEX_PACKAGE, file, connectivity: s.connectivity, expansionAdd: s.expansionAdd, expansionSearch: s.expansionSearch, metric: s.metric, quantization: s.quantization,
    }, onWarning);
  }
  return { index, file, built: reason !== null, reason, seconds: (performance.now() - t0) / 1000, connectivity: s.connectivity, expansionAdd: s.expansionAdd, metric: s.metric, quantization: s.quantization, searchThreads: s.searchThreads };
}

/** Settings of {@link attachCandidateIndex}. */
export interface AttachIndexOptions extends CandidateIndexOptions {
  /** `exact`: attach nothing; `ann`: always; `auto` (default): from {@link ANN_AUTO_ITEMS} items, when usearch is installed. */
  search?: SearchMode;
  /** Names the setting in MISSING_DEPENDENCY messages (default `search 'ann'`). */
  flag?: string;
  /** One line per step (building, built, loaded, or why scoring stays exact). */
  log?: (line: string) => void;
}

/**
 * Attaches to `m` the candidate index its search mode needs: `ann` always (BAD_OPTION for a
 * family without a candidate query, MISSING_DEPENDENCY without usearch); `auto` for lrml / cml
 * models of at least {@link ANN_AUTO_ITEMS} items when usearch is installed (else the model stays
 * exact, said on `log`); `exact` never. With a model file path the index is loaded from
 * `<model>.index`, or built and saved when missing or stale ({@link openCandidateIndex}); with
 * null it is built in memory. Returns whether an index is attached.
 *
 * @example
 * ```ts
 * const m = await loadModel('big.lrml');
 * await attachCandidateIndex(m, 'big.lrml', { search: 'auto', log: console.error });
 * recommend(m, '42', { k: 10 }); // candidates from m.index when attached
 * ```
 */
export async function attachCandidateIndex(m: LoadedModel, modelPath: string | null, options: AttachIndexOptions = {}): Promise<boolean> {
  const search = options.search ?? 'auto';
  const log = options.log ?? (() => undefined);
  const importer = options.importer ?? ((name: string) => import(name));
  if (search === 'exact') return false;
  if (search === 'auto') {
    if (m.model.candidateQuery === undefined || m.model.numItems < ANN_AUTO_ITEMS) return false;
    try {
      await usearch(options.flag ?? "search 'auto'", importer);
    } catch (e) {
      if (!(e instanceof LrmlError && e.code === 'MISSING_DEPENDENCY')) throw e;
      log(`note: ${m.model.numItems} items scored exactly on every request: ${e.message}`);
      return false;
    }
  } else {
    await usearch(options.flag ?? "search 'ann'", importer);
  }
  let last = 0;
  const onProgress = (done: number, total: number): void => {
    options.onProgress?.(done, total);
    const now = performance.now();
    if (now - last > 2000 || done === total) {
      last = now;
      log(`candidate index: ${done}/${total} items indexed`);
    }
  };
  if (modelPath === null) {
    const t0 = performance.now();
    m.index = await buildCandidateIndex(m, { ...options, onProgress });
    log(`candidate index: built in memory in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return true;
  }
  const opened = await openCandidateIndex(m, modelPath, { ...options, onProgress });
  m.index = opened.index;
  const threads = opened.searchThreads === 0 ? '' : `, searched on ${opened.searchThreads} worker thread${opened.searchThreads === 1 ? '' : 's'}`;
  log(`candidate index ${opened.file}: ${opened.built ? `built (${opened.reason})` : 'loaded'} in ${opened.seconds.toFixed(1)} s${threads}`);
  return true;
}
