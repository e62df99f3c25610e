// Helpers of the EASE / iALS / linear-algebra tests: small random data and naive float64
// references (written the obvious way, to check the fast kernels against).
import assert from 'node:assert/strict';
import { Csr } from '../src/data/csr.js';
import type { ModelFamily, Recommender } from '../src/models/types.js';
import { Rng } from '../src/rng.js';

/** A random 0/1 users × items matrix, each entry present with probability `density`. */
export function randomCsr(numUsers: number, numItems: number, density: number, seed: number): Csr {
  const rng = new Rng(seed);
  const rows: number[] = [];
  const cols: number[] = [];
  for (let u = 0; u < numUsers; u++) {
    for (let i = 0; i < numItems; i++) {
      if (rng.float() < density) {
        rows.push(u);
        cols.push(i);
      }
    }
  }
  return Csr.fromPairs(numUsers, numItems, Int32Array.from(rows), Int32Array.from(cols));
}

/** Gauss–Jordan inverse of a dense n×n matrix with partial pivoting (float64). */
export function naiveInverse(a: Float64Array, n: number): Float64Array {
  const m = a.slice();
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) p = r;
    for (let k = 0; k < n; k++) {
      [m[c * n + k], m[p * n + k]] = [m[p * n + k], m[c * n + k]];
      [inv[c * n + k], inv[p * n + k]] = [inv[p * n + k], inv[c * n + k]];
    }
    const d = m[c * n + c];
    for (let k = 0; k < n; k++) {
      m[c * n + k] /= d;
      inv[c * n + k] /= d;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * n + c];
      if (f === 0) continue;
      for (let k = 0; k < n; k++) {
        m[r * n + k] -= f * m[c * n + k];
        inv[r * n + k] -= f * inv[c * n + k];
      }
    }
  }
  return inv;
}

/**
 * Recreates `model` through a JSON round trip of its config and its tensors, checks every user's
 * scores are identical, and returns the JSON config.
 */
export function assertRoundTrip(family: Pick<ModelFamily, 'fromTensors'>, model: Recommender): Record<string, unknown> {
  const config = JSON.parse(JSON.stringify(model.config())) as Record<string, unknown>;
  const back = family.fromTensors(config, model.tensors());
  const s1 = new Float32Array(model.numItems);
  const s2 = new Float32Array(model.numItems);
  for (let u = 0; u < model.numUsers; u++) {
    model.scoreAll(u, s1);
    back.scoreAll(u, s2);
    assert.deepEqual(s2, s1, `user ${u}: same scores after the round trip`);
  }
  return config;
}
