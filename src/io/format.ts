// The lrml model file: the safetensors layout (8-byte little-endian header length, JSON header,
// raw little-endian tensors), so Python's safetensors can read the tensors. The header's
// __metadata__ (string → string, as safetensors requires) holds the format name and version,
// the model kind, its config, the string id maps and a training summary, each as JSON text.
// This module uses no Node APIs: it runs in browsers.

import { Csr } from '../data/csr.js';
import { IdMap } from '../data/idmap.js';
import { LrmlError } from '../errors.js';
import type { LoadedModel, Recommender, Tensor } from '../models/types.js';
import { modelLoader } from '../models/registry.js';

/** Format version written by this library; loading refuses other versions. */
export const MODEL_FORMAT_VERSION = 1;

export type { LoadedModel } from '../models/types.js';

/** Tensor names of the stored training interactions (not part of any model's own tensors). */
const SEEN_INDPTR = 'seen.indptr';
const SEEN_INDICES = 'seen.indices';

const DTYPES = { F32: Float32Array, I32: Int32Array } as const;
type Dtype = keyof typeof DTYPES;

function bad(msg: string): LrmlError {
  return new LrmlError('BAD_MODEL_FILE', msg);
}

/**
 * Serialises a model, its id maps and metadata into model-file bytes.
 *
 * @example
 * ```ts
 * const bytes = encodeModel({ model, users, items, meta: {} });
 * ```
 */
export function encodeModel(m: LoadedModel): Uint8Array {
  if (m.users.size !== m.model.numUsers || m.items.size !== m.model.numItems) {
    throw new LrmlError('INTERNAL', `id maps (${m.users.size} users, ${m.items.size} items) do not match the model (${m.model.numUsers}, ${m.model.numItems})`);
  }
  const tensors: Record<string, Tensor> = { ...m.model.tensors() };
  if (m.seen !== null) {
    if (m.seen.numRows !== m.model.numUsers || m.seen.numCols !== m.model.numItems) {
      throw new LrmlError('INTERNAL', `seen matrix ${m.seen.numRows}×${m.seen.numCols} does not match the model (${m.model.numUsers}×${m.model.numItems})`);
    }
    tensors[SEEN_INDPTR] = { shape: [m.seen.indptr.length], data: m.seen.indptr };
    tensors[SEEN_INDICES] = { shape: [m.seen.indices.length], data: m.seen.indices };
  }
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {
    __metadata__: {
      format: 'lrml',
      version: String(MODEL_FORMAT_VERSION),
      kind: m.model.kind,
      config: JSON.stringify(m.model.config()),
      users: JSON.stringify(m.users.ids()),
      items: JSON.stringify(m.items.ids()),
      meta: JSON.stringify(m.meta),
    },
  };
  let off = 0;
  for (const name of names) {
    const t = tensors[name];
    const dtype: Dtype = t.data instanceof Float32Array ? 'F32' : 'I32';
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new LrmlError('INTERNAL', `tensor ${name}: shape [${t.shape}] does not match length ${t.data.length}`);
    header[name] = { dtype, shape: t.shape, data_offsets: [off, off + t.data.byteLength] };
    off += t.data.byteLength;
  }
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
  for (const name of names) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), p);
    p += d.byteLength;
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

function stringArray(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw bad(`${what} must be an array of strings`);
  return v as string[];
}

/**
 * Parses model-file bytes, validating everything: size, header, format version, tensor
 * dtypes, shapes and offsets, id maps. Any problem is a BAD_MODEL_FILE error saying what.
 *
 * @example
 * ```ts
 * const { model, users, items } = decodeModel(new Uint8Array(await (await fetch('m.lrml')).arrayBuffer()));
 * ```
 */
export function decodeModel(bytes: Uint8Array): LoadedModel {
  if (bytes.length < 8) throw bad(`file is ${bytes.length} bytes: too short for a model file (truncated?)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = dv.getBigUint64(0, true);
  if (hlen > BigInt(bytes.length - 8) || hlen > 1n << 31n) throw bad(`header length ${hlen} exceeds the file size ${bytes.length} (truncated or not a model file)`);
  const n = Number(hlen);
  let headerText: string;
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw bad('header is not valid UTF-8 (not a model file?)');
  }
  const header = parseJson(headerText, 'header');
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw bad('header is not a JSON object');
  const h = header as Record<string, unknown>;
  const md = h.__metadata__ as Record<string, unknown> | undefined;
  if (md === undefined || typeof md !== 'object' || md.format !== 'lrml') throw bad('header has no lrml metadata (a safetensors file, but not an lrml model?)');
  if (md.version !== String(MODEL_FORMAT_VERSION)) throw bad(`unsupported model format version ${JSON.stringify(md.version)} (this lrml reads version ${MODEL_FORMAT_VERSION})`);
  for (const key of ['kind', 'config', 'users', 'items', 'meta']) {
    if (typeof md[key] !== 'string') throw bad(`metadata field "${key}" missing or not a string`);
  }
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const tensors: Record<string, Tensor> = {};
  const spans: [number, number, string][] = [];
  for (const [name, v] of Object.entries(h)) {
    if (name === '__metadata__') continue;
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t !== 'object' || t === null) throw bad(`tensor ${name}: entry is not an object`);
    if (t.dtype !== 'F32' && t.dtype !== 'I32') throw bad(`tensor ${name}: dtype ${JSON.stringify(t.dtype)} not supported (F32, I32)`);
    const shape = t.shape;
    if (!Array.isArray(shape) || shape.some((x) => !Number.isInteger(x) || x < 0)) throw bad(`tensor ${name}: bad shape ${JSON.stringify(shape)}`);
    const offs = t.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((x) => Number.isInteger(x) && x >= 0) || offs[0] > offs[1]) {
      throw bad(`tensor ${name}: bad data_offsets ${JSON.stringify(offs)}`);
    }
    const [b, e] = offs as [number, number];
    const count = (shape as number[]).reduce((a, c) => a * c, 1);
    if (e - b !== count * 4) throw bad(`tensor ${name}: ${e - b} bytes do not hold shape [${shape}] of ${t.dtype}`);
    if (e > dataLen) throw bad(`tensor ${name}: data ends at ${e} but the file holds ${dataLen} bytes of data (truncated?)`);
    const Ctor = DTYPES[t.dtype];
    // a fresh aligned copy (Node's Buffer.slice would share memory with the whole file)
    const buf = new Uint8Array(e - b);
    buf.set(bytes.subarray(dataStart + b, dataStart + e));
    tensors[name] = { shape: shape as number[], data: new Ctor(buf.buffer, 0, count) };
    spans.push([b, e, name]);
  }
  spans.sort((x, y) => x[0] - y[0]);
  let end = 0;
  for (const [b, e, name] of spans) {
    if (b !== end) throw bad(`tensor ${name}: data_offsets leave a gap or overlap at byte ${end}`);
    end = e;
  }
  if (end !== dataLen) throw bad(`file has ${dataLen - end} bytes after the last tensor (corrupt?)`);
  const kind = md.kind as string;
  const config = parseJson(md.config as string, 'metadata config') as Record<string, unknown>;
  if (config === null || typeof config !== 'object') throw bad('metadata config is not an object');
  const users = stringArray(parseJson(md.users as string, 'metadata users'), 'metadata users');
  const items = stringArray(parseJson(md.items as string, 'metadata items'), 'metadata items');
  const meta = parseJson(md.meta as string, 'metadata meta') as Record<string, unknown>;
  const load = modelLoader(kind);
  let seen: Csr | null = null;
  const sp = tensors[SEEN_INDPTR];
  const si = tensors[SEEN_INDICES];
  delete tensors[SEEN_INDPTR];
  delete tensors[SEEN_INDICES];
  if ((sp === undefined) !== (si === undefined)) throw bad(`only one of ${SEEN_INDPTR} / ${SEEN_INDICES} present`);
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
  if (sp !== undefined && si !== undefined) {
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
  return { model, users: userMap, items: itemMap, meta: meta ?? {}, seen };
}
