// The lrml model file: the safetensors layout (8-byte little-endian header length, JSON header,
// raw little-endian tensors), so Python's safetensors can read the tensors. The header's
// __metadata__ (string → string, as safetensors requires) holds the format name and version,
// the model kind, its config, the string id maps and a training summary, each as JSON text, and
// (files written since the checksum was added) `crc32`, a CRC-32 of the metadata, the tensor
// table and the tensor bytes, so flipped or truncated bytes are caught on load.
// This module uses no Node APIs: it runs in browsers.

import { Csr } from '../data/csr.js';
import { IdMap } from '../data/idmap.js';
import { LrmlError } from '../errors.js';
import type { LoadedModel, Recommender, Tensor } from '../models/types.js';
import { modelLoader } from '../models/registry.js';
import { crc32 } from './crc32.js';
import { decodeCsrVarint, encodeCsrVarint } from './csr-varint.js';

/** Format version written by this library; loading refuses other versions. */
export const MODEL_FORMAT_VERSION = 1;

export type { LoadedModel } from '../models/types.js';

/** Tensor names of the stored training interactions (not part of any model's own tensors). */
const SEEN_INDPTR = 'seen.indptr';
const SEEN_INDICES = 'seen.indices';
/** The seen items compressed (row-wise gap varints, io/csr-varint.ts), in place of seen.indices; the one U8 tensor. */
const SEEN_VARINT = 'seen.varint';

const DTYPES = { F32: Float32Array, I32: Int32Array, U8: Uint8Array } as const;
type Dtype = keyof typeof DTYPES;
const DTYPE_BYTES: Record<Dtype, number> = { F32: 4, I32: 4, U8: 1 };

/** A tensor as stored: a model's (F32 / I32) or the compressed seen items (U8). */
interface StoredTensor {
  shape: number[];
  data: Float32Array | Int32Array | Uint8Array;
}

/** Options of {@link encodeModel}. */
export interface EncodeOptions {
  /**
   * How the seen items (`LoadedModel.seen`) are stored: `varint` (default: row-wise gap varints,
   * about a quarter of the size) or `plain` (Int32 indices, as files written before; readable as
   * `seen.indices` by any safetensors reader).
   */
  seenEncoding?: 'varint' | 'plain';
}

function bad(msg: string): LrmlError {
  return new LrmlError('BAD_MODEL_FILE', msg);
}

/**
 * Largest magnitude of a stored float weight: far beyond any trained model's, small enough that
 * distances and dot products over the dimensions stay finite in float32.
 */
const MAX_WEIGHT = 1e15;

/** What is wrong with a float tensor's first weight that is not finite or beyond ±MAX_WEIGHT; null when none is. */
function weightProblem(name: string, shape: readonly number[], t: Float32Array | Int32Array | Uint8Array): string | null {
  if (!(t instanceof Float32Array)) return null;
  for (let k = 0; k < t.length; k++) {
    const x = t[k];
    if (Math.abs(x) <= MAX_WEIGHT) continue;
    const why = Number.isFinite(x) ? `beyond ±${MAX_WEIGHT} (scores would overflow)` : 'weights must be finite';
    return `tensor ${name} [${shape.join(',')}]: element ${k}${flatIndex(shape, k)} is ${x} (${why})`;
  }
  return null;
}

/** Metadata key of the checksum (8 lowercase hex digits); absent in files written before it. */
const CHECKSUM_KEY = 'crc32';

/** One row of the header's tensor table: [begin, end) within the data section. */
export interface TensorEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * The CRC-32 a file carries: over every metadata entry but the checksum itself (sorted by key),
 * the tensor table (sorted by name) and the data section, so it does not depend on how the JSON
 * header is spaced or ordered.
 */
function contentChecksum(md: Record<string, string>, entries: readonly TensorEntry[], data: readonly Uint8Array[]): string {
  const lines: string[] = [];
  for (const key of Object.keys(md).sort()) if (key !== CHECKSUM_KEY) lines.push(`${key}=${md[key]}`);
  for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    lines.push(`${e.name} ${e.dtype} [${e.shape.join(',')}] ${e.begin}-${e.end}`);
  }
  let c = crc32(new TextEncoder().encode(`${lines.join('\n')}\n`));
  for (const chunk of data) c = crc32(chunk, c);
  return c.toString(16).padStart(8, '0');
}

/**
 * Serialises a model, its id maps and metadata into model-file bytes. The seen items, when
 * given, are stored compressed unless `options.seenEncoding` is `plain`.
 *
 * @example
 * ```ts
 * const bytes = encodeModel({ model, users, items, meta: {} });
 * ```
 */
export function encodeModel(m: LoadedModel, options: EncodeOptions = {}): Uint8Array {
  if (m.users.size !== m.model.numUsers || m.items.size !== m.model.numItems) {
    throw new LrmlError('INTERNAL', `id maps (${m.users.size} users, ${m.items.size} items) do not match the model (${m.model.numUsers}, ${m.model.numItems})`);
  }
  const tensors: Record<string, StoredTensor> = { ...m.model.tensors() };
  if (m.seen !== null) {
    if (m.seen.numRows !== m.model.numUsers || m.seen.numCols !== m.model.numItems) {
      throw new LrmlError('INTERNAL', `seen matrix ${m.seen.numRows}×${m.seen.numCols} does not match the model (${m.model.numUsers}×${m.model.numItems})`);
    }
    tensors[SEEN_INDPTR] = { shape: [m.seen.indptr.length], data: m.seen.indptr };
    if (options.seenEncoding === 'plain') {
      tensors[SEEN_INDICES] = { shape: [m.seen.indices.length], data: m.seen.indices };
    } else {
      const v = encodeCsrVarint(m.seen);
      tensors[SEEN_VARINT] = { shape: [v.length], data: v };
    }
  }
  // in name order, the compressed seen items (the one tensor of bytes) last: every 4-byte tensor stays 4-byte aligned
  const names = Object.keys(tensors).sort((x, y) => Number(x === SEEN_VARINT) - Number(y === SEEN_VARINT) || (x < y ? -1 : x > y ? 1 : 0));
  const md: Record<string, string> = {
    format: 'lrml',
    version: String(MODEL_FORMAT_VERSION),
    kind: m.model.kind,
    config: JSON.stringify(m.model.config()),
    users: JSON.stringify(m.users.ids()),
    items: JSON.stringify(m.items.ids()),
    meta: JSON.stringify(m.meta),
  };
  const header: Record<string, unknown> = { __metadata__: md };
  const entries: TensorEntry[] = [];
  let off = 0;
  for (const name of names) {
    const t = tensors[name];
    const dtype: Dtype = t.data instanceof Float32Array ? 'F32' : t.data instanceof Uint8Array ? 'U8' : 'I32';
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new LrmlError('INTERNAL', `tensor ${name}: shape [${t.shape}] does not match length ${t.data.length}`);
    // never write a file that loading would refuse
    const problem = weightProblem(name, t.shape, t.data);
    if (problem !== null) throw new LrmlError('DIVERGED', `not saved: ${problem}`);
    header[name] = { dtype, shape: t.shape, data_offsets: [off, off + t.data.byteLength] };
    entries.push({ name, dtype, shape: t.shape, begin: off, end: off + t.data.byteLength });
    off += t.data.byteLength;
  }
  // the data section is the tensors' bytes in that order: checksummed without a copy
  const chunks = entries.map((e) => {
    const d = tensors[e.name].data;
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  });
  md[CHECKSUM_KEY] = contentChecksum(md, entries, chunks);
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let hb = enc.encode(json);
  const pad = (8 - (hb.length % 8)) % 8;
  if (pad > 0) {
    json += ' '.repeat(pad);
    hb = enc.encode(json);
  }
  const out = new Uint8Array(8 + hb.length + off);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let p = 8 + hb.length;
  for (const chunk of chunks) {
    out.set(chunk, p);
    p += chunk.length;
  }
  return out;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw bad(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function stringArray(v: unknown, what: string): string[] {
  if (!Array.isArray(v)) throw bad(`${what} must be an array of strings, not ${describeJson(v)}`);
  const k = v.findIndex((x) => typeof x !== 'string');
  if (k >= 0) throw bad(`${what}[${k}] must be a string, not ${describeJson(v[k])}`);
  return v as string[];
}

/** A short description of a JSON value for messages: `null`, `an array`, `the number 3`, … */
function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (v === undefined) return 'missing';
  const text = JSON.stringify(v);
  return `the ${typeof v} ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}

/** Reads the tensor table of a parsed header, checking every field's type, shape and span; in file order. */
function tensorEntries(h: Record<string, unknown>, dataLen: number): TensorEntry[] {
  const entries: TensorEntry[] = [];
  for (const [name, v] of Object.entries(h)) {
    if (name === '__metadata__') continue;
    if (name === '__proto__' || name === '') throw bad(`tensor name ${JSON.stringify(name)} is not allowed`);
    if (!isObject(v)) throw bad(`tensor ${name}: entry must be an object, not ${describeJson(v)}`);
    if (name === SEEN_VARINT ? v.dtype !== 'U8' : v.dtype !== 'F32' && v.dtype !== 'I32') {
      throw bad(`tensor ${name}: dtype ${JSON.stringify(v.dtype) ?? 'missing'} not supported (${name === SEEN_VARINT ? 'U8' : 'F32, I32'})`);
    }
    const size = DTYPE_BYTES[v.dtype as Dtype];
    const shape = v.shape;
    if (!Array.isArray(shape) || shape.some((x) => !Number.isSafeInteger(x) || x < 0)) {
      throw bad(`tensor ${name}: shape must be an array of non-negative integers, not ${JSON.stringify(shape) ?? 'missing'}`);
    }
    const offs = v.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((x) => Number.isSafeInteger(x) && x >= 0) || offs[0] > offs[1]) {
      throw bad(`tensor ${name}: data_offsets must be [begin, end] with 0 ≤ begin ≤ end, not ${JSON.stringify(offs) ?? 'missing'}`);
    }
    const [begin, end] = offs as [number, number];
    const count = (shape as number[]).reduce((a, c) => a * c, 1);
    if (end - begin !== count * size) throw bad(`tensor ${name}: ${end - begin} bytes do not hold shape [${shape.join(',')}] of ${v.dtype} (${count * size} bytes)`);
    if (end > dataLen) throw bad(`tensor ${name}: data ends at byte ${end} but the file holds ${dataLen} bytes of data (truncated?)`);
    entries.push({ name, dtype: v.dtype as Dtype, shape: shape as number[], begin, end });
  }
  const spans = [...entries].sort((x, y) => x.begin - y.begin);
  let end = 0;
  for (const e of spans) {
    if (e.begin !== end) throw bad(`tensor ${e.name}: data_offsets leave a gap or overlap at byte ${end}`);
    end = e.end;
  }
  if (end !== dataLen) throw bad(`file has ${dataLen - end} bytes after the last tensor (corrupt?)`);
  return spans;
}

/**
 * The parsed front of a model file: its metadata and tensor table, validated
 * ({@link readModelHeader}); the tensors' bytes follow at `dataStart`.
 */
export interface ModelHeader {
  /** Byte offset of the data section (8 + header length). */
  readonly dataStart: number;
  /** Bytes of the data section. */
  readonly dataLength: number;
  /** The tensor table, in file order. */
  readonly tensors: readonly TensorEntry[];
  /** The metadata (string → string). */
  readonly md: Record<string, string>;
}

/**
 * The header length a model file's first 8 bytes give, checked against the file's size
 * (BAD_MODEL_FILE when it cannot be one).
 *
 * @example
 * ```ts
 * const n = modelHeaderLength(bytes.subarray(0, 8), bytes.length);
 * ```
 */
export function modelHeaderLength(first8: Uint8Array, fileLength: number): number {
  if (fileLength < 8 || first8.length < 8) throw bad(`file is ${fileLength} bytes: too short for a model file (truncated?)`);
  const hlen = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (hlen > BigInt(fileLength - 8) || hlen > 1n << 31n) throw bad(`header length ${hlen} exceeds the file size ${fileLength} (truncated or not a model file)`);
  return Number(hlen);
}

/**
 * Parses and validates a model file's JSON header (the `headerBytes` after the length, of a file
 * of `fileLength` bytes): metadata fields, format version and the tensor table (dtypes, shapes,
 * offsets within the data section). BAD_MODEL_FILE on any problem.
 *
 * @example
 * ```ts
 * const n = modelHeaderLength(bytes.subarray(0, 8), bytes.length);
 * const header = readModelHeader(bytes.subarray(8, 8 + n), bytes.length);
 * ```
 */
export function readModelHeader(headerBytes: Uint8Array, fileLength: number): ModelHeader {
  const n = headerBytes.length;
  let headerText: string;
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw bad('header is not valid UTF-8 (not a model file?)');
  }
  const h = parseJson(headerText, 'header');
  if (!isObject(h)) throw bad(`header must be a JSON object, not ${describeJson(h)}`);
  const md = h.__metadata__;
  if (!isObject(md) || md.format !== 'lrml') {
    const found = isObject(md) ? `its "format" is ${describeJson(md.format)}` : `"__metadata__" is ${describeJson(md)}`;
    throw bad(`header has no lrml metadata: ${found} (expected an object with "format": "lrml"; a safetensors file, but not an lrml model?)`);
  }
  for (const [key, v] of Object.entries(md)) {
    if (typeof v !== 'string') throw bad(`metadata field "${key}" must be a string, not ${describeJson(v)}`);
  }
  const mds = md as Record<string, string>;
  if (mds.version !== String(MODEL_FORMAT_VERSION)) throw bad(`unsupported model format version ${JSON.stringify(md.version) ?? '(missing)'} (this lrml reads version ${MODEL_FORMAT_VERSION})`);
  for (const key of ['kind', 'config', 'users', 'items', 'meta']) {
    if (typeof md[key] !== 'string') throw bad(`metadata field "${key}" missing`);
  }
  const dataStart = 8 + n;
  const dataLength = fileLength - dataStart;
  return { dataStart, dataLength, md: mds, tensors: tensorEntries(h, dataLength) };
}

/**
 * Parses model-file bytes, validating everything: size, header (the type of every field),
 * format version, checksum (when the file has one), tensor dtypes, shapes and offsets, finite
 * weights, id maps. Any problem is a BAD_MODEL_FILE error saying what and where.
 *
 * @example
 * ```ts
 * const { model, users, items } = decodeModel(new Uint8Array(await (await fetch('m.lrml')).arrayBuffer()));
 * ```
 */
export function decodeModel(bytes: Uint8Array): LoadedModel {
  const n = modelHeaderLength(bytes.subarray(0, 8), bytes.length);
  const header = readModelHeader(bytes.subarray(8, 8 + n), bytes.length);
  const data = bytes.subarray(header.dataStart);
  return assembleModel(header, header.tensors.map((e) => {
    // a fresh aligned copy (Node's Buffer.slice would share memory with the whole file)
    const buf = new Uint8Array(e.end - e.begin);
    buf.set(data.subarray(e.begin, e.end));
    return buf;
  }));
}

/**
 * The model of a parsed header and its tensors' bytes (`raw[t]`: a fresh buffer holding exactly
 * the bytes of `header.tensors[t]`, which becomes the tensor's storage): checks the checksum (when
 * the file has one), the weights, shapes and id maps (BAD_MODEL_FILE). How {@link decodeModel} and
 * a reader that reads each tensor from a file straight into its own buffer end alike.
 *
 * @example
 * ```ts
 * const m = assembleModel(header, header.tensors.map((e) => readBytes(header.dataStart + e.begin, e.end - e.begin)));
 * ```
 */
export function assembleModel(header: ModelHeader, raw: readonly Uint8Array[]): LoadedModel {
  const { md: mds, tensors: entries } = header;
  if (raw.length !== entries.length || raw.some((r, t) => r.byteLength !== entries[t].end - entries[t].begin || r.byteOffset !== 0 || r.buffer.byteLength !== r.byteLength)) {
    throw new LrmlError('INTERNAL', 'assembleModel: the tensor buffers do not match the header');
  }
  const sum = mds[CHECKSUM_KEY];
  if (sum !== undefined) {
    if (!/^[0-9a-f]{8}$/.test(sum)) throw bad(`metadata field "${CHECKSUM_KEY}" must be 8 hex digits, not ${JSON.stringify(sum)}`);
    // the tensors tile the data section in file order, so their bytes in turn are the section
    const actual = contentChecksum(mds, entries, raw);
    if (actual !== sum) throw bad(`checksum mismatch: the file says crc32 ${sum}, its content gives ${actual} (corrupted or edited after saving)`);
  }
  const tensors: Record<string, Tensor> = {};
  let varint: Uint8Array | undefined;
  for (let k = 0; k < entries.length; k++) {
    const e = entries[k];
    const count = (e.end - e.begin) / DTYPE_BYTES[e.dtype];
    const t = new DTYPES[e.dtype](raw[k].buffer as ArrayBuffer, 0, count);
    if (t instanceof Uint8Array) {
      varint = t;
      continue;
    }
    const problem = weightProblem(e.name, e.shape, t);
    if (problem !== null) throw bad(problem);
    tensors[e.name] = { shape: e.shape, data: t };
  }
  const kind = mds.kind;
  const config = parseJson(mds.config, 'metadata config');
  if (!isObject(config)) throw bad(`metadata config must be a JSON object, not ${describeJson(config)}`);
  const users = stringArray(parseJson(mds.users, 'metadata users'), 'metadata users');
  const items = stringArray(parseJson(mds.items, 'metadata items'), 'metadata items');
  const meta = parseJson(mds.meta, 'metadata meta') ?? {};
  if (!isObject(meta)) throw bad(`metadata meta must be a JSON object, not ${describeJson(meta)}`);
  const load = modelLoader(kind);
  let seen: Csr | null = null;
  const sp = tensors[SEEN_INDPTR];
  const si = tensors[SEEN_INDICES];
  delete tensors[SEEN_INDPTR];
  delete tensors[SEEN_INDICES];
  if (si !== undefined && varint !== undefined) throw bad(`both ${SEEN_INDICES} and ${SEEN_VARINT} present (one or the other)`);
  if ((sp === undefined) !== (si === undefined && varint === undefined)) throw bad(`only one of ${SEEN_INDPTR} / ${SEEN_INDICES} (or ${SEEN_VARINT}) present`);
  let model: Recommender;
  try {
    model = load(config, tensors);
  } catch (e) {
    if (e instanceof LrmlError && e.code === 'BAD_MODEL_FILE') throw e;
    throw bad(`${kind}: ${(e as Error).message}`);
  }
  // every family checks lengths; the declared shapes must also be exactly what the model expects
  const expected = model.tensors();
  for (const [name, t] of Object.entries(tensors)) {
    const e = expected[name];
    if (e === undefined) throw bad(`${kind}: unexpected tensor ${name}`);
    if (e.shape.length !== t.shape.length || e.shape.some((x, j) => x !== t.shape[j])) {
      throw bad(`${kind}: tensor ${name} has shape [${t.shape}] but the config implies [${e.shape}]`);
    }
  }
  for (const name of Object.keys(expected)) if (tensors[name] === undefined) throw bad(`${kind}: tensor ${name} missing`);
  if (users.length !== model.numUsers || items.length !== model.numItems) {
    throw bad(`id maps (${users.length} users, ${items.length} items) do not match the model (${model.numUsers}, ${model.numItems})`);
  }
  if (sp !== undefined && varint !== undefined) {
    if (!(sp.data instanceof Int32Array)) throw bad('seen interactions must be I32');
    seen = decodeCsrVarint(model.numUsers, model.numItems, sp.data, varint);
  } else if (sp !== undefined && si !== undefined) {
    if (!(sp.data instanceof Int32Array) || !(si.data instanceof Int32Array)) throw bad('seen interactions must be I32');
    const ip = sp.data;
    const ix = si.data;
    if (ip.length !== model.numUsers + 1 || ip[0] !== 0 || ip[model.numUsers] !== ix.length) throw bad('seen.indptr does not fit the model\'s users');
    for (let u = 0; u < model.numUsers; u++) if (ip[u + 1] < ip[u]) throw bad(`seen.indptr decreases at user ${u}`);
    for (let k = 0; k < ix.length; k++) if (ix[k] < 0 || ix[k] >= model.numItems) throw bad(`seen.indices[${k}] = ${ix[k]} is not an item index`);
    seen = new Csr(model.numUsers, model.numItems, ip, ix);
  }
  let userMap: IdMap;
  let itemMap: IdMap;
  try {
    userMap = IdMap.fromIds(users);
    itemMap = IdMap.fromIds(items);
  } catch (e) {
    throw bad((e as Error).message);
  }
  return { model, users: userMap, items: itemMap, meta, seen };
}

/** ` (row r, column c)` for an element of a 2-D tensor; empty otherwise. */
function flatIndex(shape: readonly number[], k: number): string {
  if (shape.length !== 2 || shape[1] === 0) return '';
  return ` (row ${Math.floor(k / shape[1])}, column ${k % shape[1]})`;
}
