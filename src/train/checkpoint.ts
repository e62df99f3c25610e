// What makes a checkpoint resumable: the same family, options, data and validation settings.
// Browser-safe (the file itself is written and read in src/io/checkpoint-file.ts).

import type { Csr } from '../data/csr.js';
import { LrmlError } from '../errors.js';
import type { CheckpointIdentity, TrainCheckpoint } from '../models/types.js';
import { LRML_PER_POSITIVE } from '../models/triplet.js';

/**
 * A fingerprint of a training's data: its shape and an FNV-1a hash (8 hex digits) of the CSR's
 * row pointers and column indices, so that a resume on other interactions is refused.
 *
 * @example
 * ```ts
 * dataFingerprint(csr); // { numUsers: 6040, numItems: 3706, nnz: 994169, hash: '5e1f0c2a' }
 * ```
 */
export function dataFingerprint(data: Csr): CheckpointIdentity['data'] {
  let h = 0x811c9dc5;
  const mix = (a: Int32Array): void => {
    for (let k = 0; k < a.length; k++) {
      h = Math.imul(h ^ (a[k] & 0xffff), 0x01000193);
      h = Math.imul(h ^ (a[k] >>> 16), 0x01000193);
    }
  };
  mix(data.indptr);
  mix(data.indices);
  return { numUsers: data.numRows, numItems: data.numCols, nnz: data.nnz, hash: (h >>> 0).toString(16).padStart(8, '0') };
}

/**
 * The identity of a training, computed once when first asked (the data hash reads every
 * interaction): for a runner's `checkpoint.identity`.
 *
 * @example
 * ```ts
 * const identity = lazyIdentity('ials', o, csr);
 * identity().data.hash;
 * ```
 */
export function lazyIdentity(kind: string, options: object, data: Csr): () => CheckpointIdentity {
  let id: CheckpointIdentity | undefined;
  return () => {
    id ??= { kind, options: { ...options } as Record<string, unknown>, data: dataFingerprint(data) };
    return id;
  };
}

/**
 * Options added after checkpoints existed, with the value every training before them had: a
 * checkpoint without the key resumes a training that has that value.
 */
const ADDED_OPTIONS: Readonly<Record<string, unknown>> = { slotDiversity: 0, negativeSharing: 1, shareWithin: 'consecutive' };

/** A value as it compares after a JSON round trip (Infinity → null, undefined → absent). */
function canon(v: unknown): string {
  return JSON.stringify(v) ?? 'undefined';
}

/**
 * Throws BAD_OPTION naming every difference between a checkpoint and the training about to
 * resume it: family, options (each one that differs, with both values), data (shape and
 * hash), validation settings, or a checkpoint past the last epoch.
 *
 * @example
 * ```ts
 * checkResumable(checkpoint, runner.checkpoint.identity(), { every: 1, monitor: 'ndcg@10', patience: null }, 20);
 * ```
 */
export function checkResumable(
  c: TrainCheckpoint, now: CheckpointIdentity,
  validation: TrainCheckpoint['validation'], epochs: number,
): void {
  const was = c.identity;
  if (was.kind !== now.kind) {
    throw new LrmlError('BAD_OPTION', `resume: the checkpoint is of a ${was.kind} training, this training is ${now.kind} (use --family ${was.kind})`);
  }
  // the checkpoint's value of an option (options added since: the value every training before them had)
  const optionOf = (key: string): unknown => (key in was.options ? was.options[key] : ADDED_OPTIONS[key]);
  const diffs: string[] = [];
  const keys = new Set([...Object.keys(was.options), ...Object.keys(now.options)]);
  for (const key of [...keys].sort()) {
    const a = canon(optionOf(key));
    const b = canon(now.options[key]);
    if (a !== b) diffs.push(`${key} ${b} (checkpoint: ${a})`);
  }
  if (diffs.length > 0) {
    // a checkpoint of LRML's default recipe before users' blocks: the preset that trains it
    const perPositive = was.kind === 'lrml' && Object.entries(LRML_PER_POSITIVE).every(([key, v]) => canon(optionOf(key)) === canon(v)) &&
      Object.entries(LRML_PER_POSITIVE).some(([key, v]) => canon(now.options[key]) !== canon(v));
    const hint = perPositive ? ' (a checkpoint of LRML\'s previous default recipe, 20 negatives for each positive: --preset per-positive)' : '';
    throw new LrmlError('BAD_OPTION', `resume: options differ from the checkpoint's: ${diffs.join('; ')} — resume with the options it was written with${hint}`);
  }
  const d0 = was.data;
  const d1 = now.data;
  if (d0.numUsers !== d1.numUsers || d0.numItems !== d1.numItems || d0.nnz !== d1.nnz || d0.hash !== d1.hash) {
    throw new LrmlError('BAD_OPTION', `resume: the data differ from the checkpoint's: ${d1.numUsers} users, ${d1.numItems} items, ${d1.nnz} interactions, hash ${d1.hash} (checkpoint: ${d0.numUsers}, ${d0.numItems}, ${d0.nnz}, hash ${d0.hash}) — resume on the same --data and data options`);
  }
  if (canon(c.validation) !== canon(validation)) {
    throw new LrmlError('BAD_OPTION', `resume: validation settings ${canon(validation)} differ from the checkpoint's ${canon(c.validation)}`);
  }
  if (!Number.isInteger(c.epoch) || c.epoch < 1 || c.epoch > epochs) {
    throw new LrmlError('BAD_OPTION', `resume: the checkpoint's epoch ${c.epoch} is not within 1..${epochs}`);
  }
}
