// Shared test helpers: small generated datasets with known structure.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { Csr } from '../src/data/csr.js';
import { LRML_DEFAULTS, TripletModel } from '../src/models/triplet.js';
import { Rng } from '../src/rng.js';
import type { TripletParams } from '../src/kernels/types.js';

/** A planted-structure dataset: users in clusters, each cluster preferring its own block of items. */
export interface Planted {
  train: Csr;
  /** One held-out item per user (−1 when none). */
  heldOut: Int32Array;
  numUsers: number;
  numItems: number;
}

/**
 * `numClusters` user clusters, each with its own block of items; each user interacts with
 * `perUser` items, 90% from its cluster's block, 10% anywhere (popular items are shared noise).
 * One interaction per user is held out (always a cluster item).
 */
export function plantedDataset(seed = 1, numUsers = 240, numItems = 120, numClusters = 6, perUser = 12): Planted {
  const rng = new Rng(seed);
  const block = numItems / numClusters;
  const rows: number[] = [];
  const cols: number[] = [];
  const heldOut = new Int32Array(numUsers).fill(-1);
  for (let u = 0; u < numUsers; u++) {
    const c = u % numClusters;
    const seen = new Set<number>();
    while (seen.size < perUser) {
      const i = rng.float() < 0.9 ? c * block + rng.int(block) : rng.int(Math.min(10, numItems));
      seen.add(i);
    }
    const own = [...seen].filter((i) => Math.floor(i / block) === c);
    heldOut[u] = own[rng.int(own.length)];
    for (const i of seen) {
      if (i === heldOut[u]) continue;
      rows.push(u);
      cols.push(i);
    }
  }
  return { train: Csr.fromPairs(numUsers, numItems, Int32Array.from(rows), Int32Array.from(cols)), heldOut, numUsers, numItems };
}

/** Full-ranking hits@k of the held-out items (training items excluded, pessimistic ties): an obvious reference. */
export function hitsAtK(scoreAll: (u: number, out: Float32Array) => void, data: Planted, k: number): number {
  const scores = new Float32Array(data.numItems);
  let hits = 0;
  let users = 0;
  for (let u = 0; u < data.numUsers; u++) {
    const target = data.heldOut[u];
    if (target < 0) continue;
    users++;
    scoreAll(u, scores);
    const s = scores[target];
    let above = 0;
    for (let i = 0; i < data.numItems; i++) {
      if (i === target || data.train.has(u, i)) continue;
      if (scores[i] >= s) above++;
    }
    if (above < k) hits++;
  }
  return hits / users;
}

/**
 * Runs `fn` capturing what it writes as strings to stdout and stderr. Binary chunks (the test
 * runner's own messages to its parent) pass through untouched.
 */
export async function captureOutput(fn: () => Promise<unknown>): Promise<{ stdout: string; stderr: string }> {
  const got = { stdout: '', stderr: '' };
  const streams = [['stdout', process.stdout], ['stderr', process.stderr]] as const;
  const saved = streams.map(([, s]) => s.write);
  streams.forEach(([name, s], k) => {
    const orig = saved[k];
    s.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      if (typeof chunk !== 'string') return (orig as (c: Uint8Array, ...r: unknown[]) => boolean).call(s, chunk, ...rest);
      got[name] += chunk;
      return true;
    }) as typeof s.write;
  });
  try {
    await fn();
  } finally {
    streams.forEach(([, s], k) => {
      s.write = saved[k];
    });
  }
  return got;
}

/** The JSON header of model-file bytes, parsed. */
export function modelHeader(bytes: Uint8Array): Record<string, any> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
}

/**
 * Model-file bytes with the JSON header replaced by `edit` of the parsed header (or by what
 * `edit` returns, when not undefined), padded to 8 bytes; the tensor bytes are kept.
 */
export function editModelHeader(bytes: Uint8Array, edit: (h: Record<string, any>) => unknown): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const h = modelHeader(bytes);
  const edited = edit(h);
  let json = JSON.stringify(edited === undefined ? h : edited);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  out.set(bytes.subarray(8 + n), 8 + hb.length);
  return out;
}

/** The repository root (works from test/ under tsx and from dist/test/). */
export function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) throw new Error('package.json not found above the test file');
    d = up;
  }
  return d;
}

/** A users × items 0/1 matrix from (user, item) pairs. */
export function csr(numUsers: number, numItems: number, pairs: [number, number][]): Csr {
  return Csr.fromPairs(numUsers, numItems, Int32Array.from(pairs.map((p) => p[0])), Int32Array.from(pairs.map((p) => p[1])));
}

/** Asserts |actual − expected| < 1e-12. */
export function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: ${actual} vs ${expected}`);
}

/** Runs the CLI in-process; returns its exit code and output (and resets process.exitCode). */
export async function runCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await import('../src/cli/main.js');
  process.exitCode = 0;
  const out = await captureOutput(() => main(['node', 'lrml', ...args]));
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, ...out };
}

/** A small LRML model with random weights (normal × `scale` for P and Q), for product-API tests. */
export function randomLrml(numUsers: number, numItems: number, dim: number, seed: number, clip: 'rows' | 'lookup', scale: number): TripletModel {
  const rng = new Rng(seed);
  const f = (len: number, s: number): Float32Array => Float32Array.from({ length: len }, () => rng.normal() * s);
  return TripletModel.fromTensors(
    'lrml',
    { numUsers, numItems, dim, numMemories: 2, distance: 'l2', clip },
    { P: { shape: [numUsers, dim], data: f(numUsers * dim, scale) }, Q: { shape: [numItems, dim], data: f(numItems * dim, scale) }, K: { shape: [2, dim], data: f(2 * dim, 1) }, M: { shape: [2, dim], data: f(2 * dim, 0.3) } },
    LRML_DEFAULTS,
  );
}

/**
 * Asserts that one SGD step of learning rate 1 moved each listed parameter (rows of P, Q, K, M
 * of width `dim`) by minus the central difference (h = 1e-3) of the kernel's own loss `lossAt`:
 * within 2e-3 + 1% of it. Returns how many were checked.
 *
 * @example
 * ```ts
 * const n = await assertStepIsMinusGradient(init, after, { P: [0], Q: [1, 2], K: [0], M: [0] }, 4, lossAt, 'softmax');
 * ```
 */
export async function assertStepIsMinusGradient(
  init: TripletParams, after: TripletParams, rows: Record<'P' | 'Q' | 'K' | 'M', number[]>, dim: number,
  lossAt: (params: TripletParams) => Promise<number>, what: string,
): Promise<number> {
  const h = 1e-3;
  let checked = 0;
  for (const name of ['P', 'Q', 'K', 'M'] as const) {
    for (const r of rows[name]) {
      for (let c = 0; c < dim; c++) {
        const at = r * dim + c;
        const plus = { ...init, [name]: init[name].slice() };
        const minus = { ...init, [name]: init[name].slice() };
        plus[name][at] += h;
        minus[name][at] -= h;
        const fd = ((await lossAt(plus)) - (await lossAt(minus))) / (plus[name][at] - minus[name][at]);
        const g = init[name][at] - after[name][at];
        assert.ok(Math.abs(fd - g) <= 2e-3 + 1e-2 * Math.abs(fd), `${what} ${name}[${r}][${c}]: kernel gradient ${g}, central difference ${fd}`);
        checked++;
      }
    }
  }
  return checked;
}
