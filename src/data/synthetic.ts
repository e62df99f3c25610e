// A seeded, Netflix-shaped synthetic interaction log (issue #18 item 1): log-normal user activity,
// Zipf-like item popularity, a few taste clusters per user (structure a model can learn), streamed
// to disk in chunks so that memory is bounded by users + items, never by interactions.
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { LrmlError } from '../errors.js';
import { removeStaleTemps, tempPathFor } from '../fs-atomic.js';
import { Rng } from '../rng.js';

/** Options of {@link syntheticChunks} / {@link writeSyntheticInteractions}. */
export interface SyntheticOptions {
  numUsers: number;
  numItems: number;
  /** Interactions in all (distinct user–item pairs); at most numUsers × numItems. */
  interactions: number;
  /** Seed of everything drawn (default 0). */
  seed?: number;
  /** Taste clusters items belong to (default: round(√numItems / 2), at least 2, at most 200). */
  clusters?: number;
  /** Each user likes 1 .. tastesPerUser clusters (default 3). */
  tastesPerUser?: number;
  /** Share of a user's interactions drawn from their liked clusters, the rest by popularity (default 0.8). */
  taste?: number;
  /** Zipf exponent of item popularity: the item of popularity rank r weighs 1/r^s (default 1). */
  zipf?: number;
  /** σ of the log-normal user activity (default 1). */
  activitySigma?: number;
}

/** What was generated. */
export interface SyntheticSummary {
  numUsers: number;
  numItems: number;
  interactions: number;
  /** Most interactions of one user. */
  maxPerUser: number;
  /** Interactions drawn from the user's taste clusters (the rest: by global popularity). */
  fromTastes: number;
}

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new LrmlError('BAD_OPTION', `invalid ${name}: ${JSON.stringify(v)} (expected an integer ≥ 1)`);
  return v;
}

function inRange(name: string, v: number, lo: number, hi: number, what: string): number {
  if (!(Number.isFinite(v) && v >= lo && v <= hi)) throw new LrmlError('BAD_OPTION', `invalid ${name}: ${JSON.stringify(v)} (expected ${what})`);
  return v;
}

/**
 * The options with defaults, validated (BAD_OPTION naming the option and the allowed values).
 *
 * @example
 * ```ts
 * resolveSyntheticOptions({ numUsers: 10, numItems: 400, interactions: 100 }).clusters; // 10
 * ```
 */
export function resolveSyntheticOptions(o: SyntheticOptions): Required<SyntheticOptions> {
  const numUsers = positiveInt('numUsers', o.numUsers);
  const numItems = positiveInt('numItems', o.numItems);
  const interactions = positiveInt('interactions', o.interactions);
  if (interactions > numUsers * numItems) {
    throw new LrmlError('BAD_OPTION', `invalid interactions: ${interactions} (at most numUsers × numItems = ${numUsers * numItems}: the pairs are distinct)`);
  }
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed)) throw new LrmlError('BAD_OPTION', `invalid seed: ${JSON.stringify(seed)} (expected an integer)`);
  const clusters = positiveInt('clusters', o.clusters ?? Math.min(200, Math.max(2, Math.round(Math.sqrt(numItems) / 2))));
  const tastesPerUser = positiveInt('tastesPerUser', o.tastesPerUser ?? 3);
  return {
    numUsers, numItems, interactions, seed, clusters, tastesPerUser,
    taste: inRange('taste', o.taste ?? 0.8, 0, 1, 'a share in [0, 1]'),
    zipf: inRange('zipf', o.zipf ?? 1, 0, 4, 'an exponent in [0, 4]'),
    activitySigma: inRange('activitySigma', o.activitySigma ?? 1, 0, 4, 'a σ in [0, 4]'),
  };
}

/** Index of the first cumulative weight above x (binary search). */
function pick(cdf: Float64Array, from: number, to: number, x: number): number {
  let lo = from;
  let hi = to - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The synthetic log as TSV text in chunks of about `chunkBytes` (header `user\titem\ttimestamp`,
 * ids 1-based numbers, users in order, each user's timestamps increasing), and at the end its
 * summary. Memory: a few arrays over users and items plus one user's items.
 *
 * @example
 * ```ts
 * const gen = syntheticChunks({ numUsers: 100, numItems: 50, interactions: 2000, seed: 1 });
 * let text = '';
 * for (let r = gen.next(); !r.done; r = gen.next()) text += r.value;
 * ```
 */
export function* syntheticChunks(options: SyntheticOptions, chunkBytes = 1 << 20): Generator<string, SyntheticSummary> {
  const o = resolveSyntheticOptions(options);
  const U = o.numUsers;
  const I = o.numItems;
  const C = o.clusters;
  const rng = new Rng(o.seed);
  // Items: popularity rank (random), Zipf weight, cluster; one CDF over all items and one per cluster.
  const rank = rng.shuffle(Int32Array.from({ length: I }, (_, i) => i));
  const weight = new Float64Array(I);
  for (let r = 0; r < I; r++) weight[rank[r]] = 1 / Math.pow(r + 1, o.zipf);
  const cluster = Int32Array.from({ length: I }, () => rng.int(C));
  const globalCdf = new Float64Array(I);
  let acc = 0;
  for (let i = 0; i < I; i++) globalCdf[i] = acc += weight[i];
  const start = new Int32Array(C + 1);
  for (let i = 0; i < I; i++) start[cluster[i] + 1]++;
  for (let c = 0; c < C; c++) start[c + 1] += start[c];
  const members = new Int32Array(I);
  const fill = start.slice(0, C);
  for (let i = 0; i < I; i++) members[fill[cluster[i]]++] = i;
  const clusterCdf = new Float64Array(I);
  for (let c = 0; c < C; c++) {
    let a = 0;
    for (let t = start[c]; t < start[c + 1]; t++) clusterCdf[t] = a += weight[members[t]];
  }
  // Users: log-normal activity; one interaction each first (when there are enough), the rest in proportion, at most I each.
  const activity = Float64Array.from({ length: U }, () => Math.exp(o.activitySigma * rng.normal()));
  const total = activity.reduce((a, b) => a + b, 0);
  const counts = new Int32Array(U);
  const base = o.interactions >= U ? 1 : 0;
  const rest = o.interactions - base * U;
  let assigned = 0;
  for (let u = 0; u < U; u++) assigned += counts[u] = Math.min(I, base + Math.floor((rest * activity[u]) / total));
  for (let u = rng.int(U); assigned < o.interactions; u = (u + 1) % U) {
    if (counts[u] < I) {
      counts[u]++;
      assigned++;
    }
  }
  const summary: SyntheticSummary = { numUsers: U, numItems: I, interactions: o.interactions, maxPerUser: 0, fromTastes: 0 };
  const seen = new Uint8Array(I);
  const mine = new Int32Array(I);
  const tastes = new Int32Array(o.tastesPerUser);
  const t0 = 1_000_000_000;
  let out = 'user\titem\ttimestamp\n';
  for (let u = 0; u < U; u++) {
    const n = counts[u];
    if (n === 0) continue;
    summary.maxPerUser = Math.max(summary.maxPerUser, n);
    const k = 1 + rng.int(o.tastesPerUser);
    for (let q = 0; q < k; q++) tastes[q] = rng.int(C);
    let t = t0 + Math.floor(rng.float() * 3 * 365 * 86400);
    for (let m = 0; m < n; m++) {
      let item = -1;
      for (let attempt = 0; attempt < 64 && item < 0; attempt++) {
        const c = tastes[rng.int(k)];
        const fromTaste = attempt < 32 && start[c + 1] > start[c] && rng.float() < o.taste;
        const j = fromTaste
          ? members[pick(clusterCdf, start[c], start[c + 1], rng.float() * clusterCdf[start[c + 1] - 1])]
          : pick(globalCdf, 0, I, rng.float() * globalCdf[I - 1]);
        if (seen[j] === 0) {
          item = j;
          if (fromTaste) summary.fromTastes++;
        }
      }
      if (item < 0) {
        // A user with most of the catalogue: the next unseen item from a random place.
        let j = rng.int(I);
        while (seen[j] !== 0) j = (j + 1) % I;
        item = j;
      }
      seen[item] = 1;
      mine[m] = item;
      t += 1 + Math.floor(-Math.log(1 - rng.float()) * 86400);
      out += `${u + 1}\t${item + 1}\t${t}\n`;
      if (out.length >= chunkBytes) {
        yield out;
        out = '';
      }
    }
    for (let m = 0; m < n; m++) seen[mine[m]] = 0;
  }
  if (out.length > 0) yield out;
  return summary;
}

/**
 * Writes the synthetic log of {@link syntheticChunks} to `path` as TSV, streamed (bounded memory)
 * and atomically (a temp file renamed at the end: an interrupted run leaves no partial file).
 * `onProgress` gets the bytes written so far. WRITE_FAILED names the file when it cannot be written.
 *
 * @example
 * ```ts
 * const s = await writeSyntheticInteractions('synthetic.tsv', { numUsers: 1000, numItems: 500, interactions: 50_000, seed: 1 });
 * s.interactions; // 50000
 * ```
 */
export async function writeSyntheticInteractions(path: string, options: SyntheticOptions, onProgress?: (bytes: number) => void): Promise<SyntheticSummary> {
  resolveSyntheticOptions(options); // bad options before any file is touched
  const gen = syntheticChunks(options);
  await removeStaleTemps(path);
  const tmp = tempPathFor(path);
  const stream = createWriteStream(tmp);
  const failed = new Promise<never>((_, reject) => stream.once('error', reject));
  failed.catch(() => undefined);
  try {
    let bytes = 0;
    let r = gen.next();
    while (r.done !== true) {
      const chunk = r.value;
      bytes += Buffer.byteLength(chunk);
      if (!stream.write(chunk)) await Promise.race([new Promise<void>((resolve) => stream.once('drain', () => resolve())), failed]);
      onProgress?.(bytes);
      r = gen.next();
    }
    await Promise.race([new Promise<void>((resolve) => stream.end(resolve)), failed]);
    await rename(tmp, path);
    return r.value;
  } catch (e) {
    stream.destroy();
    await unlink(tmp).catch(() => undefined);
    throw new LrmlError('WRITE_FAILED', `cannot write ${path}: ${(e as Error).message}`, { file: path });
  }
}
