// Training checkpoint files (`lrml train --checkpoint-every N`, `--resume FILE`): the safetensors
// layout of the model files (8-byte little-endian header length, JSON header, raw little-endian
// tensors), with `__metadata__` {format: "lrml-checkpoint", version, checkpoint: the JSON fields
// of the TrainCheckpoint, crc32: CRC-32 of that JSON, the tensor table and the tensor bytes}.
// Written atomically; a damaged or foreign file is BAD_OPTION naming the file.

import { readFile } from 'node:fs/promises';
import { LrmlError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import type { TrainCheckpoint } from '../models/types.js';
import { crc32 } from './crc32.js';

/** Version of the checkpoint layout written here; reading refuses others. */
export const CHECKPOINT_FORMAT_VERSION = 1;

const FORMAT = 'lrml-checkpoint';

interface Entry {
  dtype: 'F32' | 'I32';
  shape: [number];
  data_offsets: [number, number];
}

/** The CRC-32 of the checkpoint JSON, the tensor table (in name order) and the data. */
function checksum(json: string, names: readonly string[], entries: Record<string, Entry>, data: Uint8Array): string {
  const lines = [json, ...names.map((n) => `${n} ${entries[n].dtype} ${entries[n].data_offsets.join('-')}`)];
  return crc32(data, crc32(new TextEncoder().encode(`${lines.join('\n')}\n`))).toString(16).padStart(8, '0');
}

/**
 * A checkpoint as file bytes.
 *
 * @example
 * ```ts
 * const bytes = encodeCheckpoint(checkpoint);
 * ```
 */
export function encodeCheckpoint(c: TrainCheckpoint): Uint8Array {
  const { tensors, ...fields } = c;
  const json = JSON.stringify(fields);
  const names = Object.keys(tensors).sort();
  const entries: Record<string, Entry> = {};
  let off = 0;
  for (const name of names) {
    const t = tensors[name];
    entries[name] = { dtype: t instanceof Float32Array ? 'F32' : 'I32', shape: [t.length], data_offsets: [off, off + t.byteLength] };
    off += t.byteLength;
  }
  const data = new Uint8Array(off);
  for (const name of names) {
    const t = tensors[name];
    data.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), entries[name].data_offsets[0]);
  }
  const md = { format: FORMAT, version: String(CHECKPOINT_FORMAT_VERSION), checkpoint: json, crc32: checksum(json, names, entries, data) };
  let header = JSON.stringify({ __metadata__: md, ...entries });
  header += ' '.repeat((8 - (new TextEncoder().encode(header).length % 8)) % 8);
  const hb = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + hb.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  out.set(data, 8 + hb.length);
  return out;
}

/**
 * Parses checkpoint bytes; `file` names the source in errors (BAD_OPTION: not a checkpoint,
 * another version, damaged).
 *
 * @example
 * ```ts
 * const c = decodeCheckpoint(bytes, 'run.ckpt');
 * ```
 */
export function decodeCheckpoint(bytes: Uint8Array, file = '<bytes>'): TrainCheckpoint {
  const bad = (why: string): LrmlError => new LrmlError('BAD_OPTION', `--resume: ${file} is not a usable lrml checkpoint: ${why}`, { file });
  if (bytes.length < 8) throw bad('too short');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = Number(dv.getBigUint64(0, true));
  if (hlen > bytes.length - 8) throw bad(`header length ${hlen} exceeds the file (truncated?)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + hlen))) as Record<string, unknown>;
  } catch {
    throw bad('the header is not JSON');
  }
  const md = header.__metadata__ as Record<string, string> | undefined;
  if (md === undefined || md.format !== FORMAT) {
    throw bad(md?.format === 'lrml' ? 'it is a model file (resume takes the checkpoint written by --checkpoint-every; --init-from takes a model)' : 'no lrml-checkpoint metadata');
  }
  if (md.version !== String(CHECKPOINT_FORMAT_VERSION)) throw bad(`version ${md.version} (this lrml reads ${CHECKPOINT_FORMAT_VERSION})`);
  const data = bytes.subarray(8 + hlen);
  const entries: Record<string, Entry> = {};
  for (const [name, v] of Object.entries(header)) if (name !== '__metadata__') entries[name] = v as Entry;
  const names = Object.keys(entries).sort();
  if (checksum(md.checkpoint, names, entries, data) !== md.crc32) throw bad('checksum mismatch (damaged or edited)');
  const tensors: Record<string, Float32Array | Int32Array> = {};
  for (const name of names) {
    const [b, e] = entries[name].data_offsets;
    if (!(b >= 0 && e >= b && e <= data.length && (e - b) % 4 === 0)) throw bad(`tensor ${name} lies outside the data`);
    const copy = new Uint8Array(data.subarray(b, e));
    tensors[name] = entries[name].dtype === 'I32' ? new Int32Array(copy.buffer) : new Float32Array(copy.buffer);
  }
  const fields = JSON.parse(md.checkpoint) as Omit<TrainCheckpoint, 'tensors'>;
  return { ...fields, tensors };
}

/**
 * Writes a checkpoint atomically (temp file + rename: a crash leaves the previous one whole).
 *
 * @example
 * ```ts
 * await lrmlFamily.fit(csr, { epochs: 20 }, { checkpoint: { every: 1, save: (c) => writeCheckpoint('run.ckpt', c) } });
 * ```
 */
export async function writeCheckpoint(path: string, c: TrainCheckpoint): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(c));
}

/**
 * Reads a checkpoint file (FILE_NOT_FOUND when absent, BAD_OPTION when it is not one).
 *
 * @example
 * ```ts
 * const model = await lrmlFamily.fit(csr, { epochs: 20 }, { resume: await readCheckpoint('run.ckpt') });
 * ```
 */
export async function readCheckpoint(path: string): Promise<TrainCheckpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new LrmlError('FILE_NOT_FOUND', `--resume: checkpoint file not found: ${path}`, { file: path });
    throw new LrmlError('BAD_OPTION', `--resume: cannot read ${path}: ${(e as Error).message}`, { file: path });
  }
  return decodeCheckpoint(bytes, path);
}
