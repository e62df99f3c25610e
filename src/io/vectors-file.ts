// User and item vectors of a model to files (`lrml export`): NumPy .npy (format 1.0) with id
// sidecars, or CSV. See docs/api.md ("Exporting vectors").

import { csvField } from '../data/csv-field.js';
import { LrmlError } from '../errors.js';
import { checkOutputFile, writeFileAtomic } from '../fs-atomic.js';
import type { LoadedModel, ModelVectors } from '../models/types.js';

/** File formats of {@link exportVectors}. */
export type VectorFormat = 'npy' | 'csv';

/** One file {@link exportVectors} writes: its path and what it holds. */
export interface VectorFile {
  path: string;
  contents: string | Uint8Array;
}

/**
 * A float32 little-endian, C-order array in the NumPy `.npy` format, version 1.0: the magic
 * `\x93NUMPY`, version 1.0, a little-endian uint16 header length, the header dict
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (…), }` padded with spaces and a newline so
 * that the data starts at a multiple of 64 bytes, then the data.
 *
 * @example
 * ```ts
 * const bytes = encodeNpy(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]); // np.load → shape (2, 3)
 * ```
 */
export function encodeNpy(data: Float32Array, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (shape.length === 0 || shape.some((n) => !Number.isInteger(n) || n < 0) || count !== data.length) {
    throw new LrmlError('BAD_VALUE', `encodeNpy: shape (${shape.join(', ')}) does not hold ${data.length} values`);
  }
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  const pad = (64 - ((10 + header.length + 1) % 64)) % 64;
  header = `${header}${' '.repeat(pad)}\n`;
  const out = new Uint8Array(10 + header.length + 4 * data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0); // \x93NUMPY, version 1.0
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let k = 0; k < header.length; k++) out[10 + k] = header.charCodeAt(k);
  const o = 10 + header.length;
  for (let k = 0; k < data.length; k++) view.setFloat32(o + 4 * k, data[k], true);
  return out;
}

/** The model's vectors, or BAD_OPTION naming the family when it offers none. */
function vectorsOf(m: LoadedModel): ModelVectors {
  const v = m.model.vectors?.();
  if (v === undefined) {
    throw new LrmlError('BAD_OPTION', `export: models of the ${m.model.kind} family have no user/item vectors to export (built-in families with vectors: lrml, cml, bpr, ials; ease scores from an item–item matrix, pop from counts)`);
  }
  return v;
}

/**
 * The paths {@link exportVectors} writes for `prefix` (bias file: only for models with item biases).
 *
 * @example
 * ```ts
 * vectorPaths('out/m', 'npy'); // ['out/m.users.npy', 'out/m.users.ids.txt', 'out/m.items.npy', 'out/m.items.ids.txt', 'out/m.items.bias.npy']
 * ```
 */
export function vectorPaths(prefix: string, format: VectorFormat): string[] {
  return format === 'npy'
    ? [`${prefix}.users.npy`, `${prefix}.users.ids.txt`, `${prefix}.items.npy`, `${prefix}.items.ids.txt`, `${prefix}.items.bias.npy`]
    : [`${prefix}.users.csv`, `${prefix}.items.csv`];
}

function checkFormat(format: string): VectorFormat {
  if (format !== 'npy' && format !== 'csv') throw new LrmlError('BAD_OPTION', `invalid export format: ${JSON.stringify(format)} (expected npy or csv)`);
  return format;
}

/**
 * The files holding a model's user and item vectors with their string ids (nothing written):
 * - `npy`: `PREFIX.users.npy` (numUsers × dim) and `PREFIX.items.npy` (numItems × dim), float32
 *   little-endian C order; row r's id is line r + 1 of `PREFIX.users.ids.txt` / `PREFIX.items.ids.txt`;
 *   `PREFIX.items.bias.npy` (numItems) when the model adds item biases (BPR-MF);
 * - `csv`: `PREFIX.users.csv`, `PREFIX.items.csv`: a header `id,v0,…,v{dim−1}` (`,bias` for
 *   items with biases), then one row per user / item; each value is the float32 weight written as a
 *   decimal number that reads back to the same float32 exactly.
 * Throws BAD_OPTION when the model's family has no vectors or the format is unknown.
 *
 * @example
 * ```ts
 * const files = vectorFiles(await loadModel('m.lrml'), 'out/m', 'npy');
 * ```
 */
export function vectorFiles(m: LoadedModel, prefix: string, format: VectorFormat): VectorFile[] {
  checkFormat(format);
  const v = vectorsOf(m);
  const d = v.dim;
  const ids = (map: LoadedModel['users']): string[] => map.ids();
  const users = ids(m.users);
  const items = ids(m.items);
  if (users.length * d !== v.users.length || items.length * d !== v.items.length) {
    throw new LrmlError('BAD_MODEL_FILE', `export: the id maps (${users.length} users, ${items.length} items) do not match the vectors (dim ${d})`);
  }
  for (const [what, list] of [['user', users], ['item', items]] as const) {
    if (format === 'npy') {
      const bad = list.findIndex((id) => /[\r\n]/.test(id));
      if (bad >= 0) throw new LrmlError('BAD_VALUE', `export: ${what} id ${JSON.stringify(list[bad])} holds a line break and cannot go in an ids.txt file (use --format csv)`);
    }
  }
  if (format === 'npy') {
    const files: VectorFile[] = [
      { path: `${prefix}.users.npy`, contents: encodeNpy(v.users, [users.length, d]) },
      { path: `${prefix}.users.ids.txt`, contents: users.length === 0 ? '' : `${users.join('\n')}\n` },
      { path: `${prefix}.items.npy`, contents: encodeNpy(v.items, [items.length, d]) },
      { path: `${prefix}.items.ids.txt`, contents: items.length === 0 ? '' : `${items.join('\n')}\n` },
    ];
    if (v.itemBias !== null) files.push({ path: `${prefix}.items.bias.npy`, contents: encodeNpy(v.itemBias, [items.length]) });
    return files;
  }
  const table = (list: string[], X: Float32Array, bias: Float32Array | null): string => {
    const head = ['id', ...Array.from({ length: d }, (_, c) => `v${c}`), ...(bias === null ? [] : ['bias'])].join(',');
    const lines = [head];
    for (let r = 0; r < list.length; r++) {
      const row = [csvField(list[r])];
      for (let c = 0; c < d; c++) row.push(String(X[r * d + c]));
      if (bias !== null) row.push(String(bias[r]));
      lines.push(row.join(','));
    }
    return `${lines.join('\n')}\n`;
  };
  return [
    { path: `${prefix}.users.csv`, contents: table(users, v.users, null) },
    { path: `${prefix}.items.csv`, contents: table(items, v.items, v.itemBias) },
  ];
}

/**
 * Writes a model's user and item vectors with their ids (see {@link vectorFiles} for the files):
 * every output path is checked first, then each file is written atomically (temp + rename).
 * Returns the paths written.
 *
 * @example
 * ```ts
 * await exportVectors(await loadModel('m.lrml'), 'out/m', { format: 'npy' });
 * // python: np.load('out/m.items.npy'), open('out/m.items.ids.txt').read().split('\n')
 * ```
 */
export async function exportVectors(m: LoadedModel, prefix: string, options: { format?: VectorFormat } = {}): Promise<string[]> {
  const format = checkFormat(options.format ?? 'npy');
  for (const p of vectorPaths(prefix, format)) await checkOutputFile(p, 'export');
  const files = vectorFiles(m, prefix, format);
  for (const f of files) await writeFileAtomic(f.path, f.contents);
  return files.map((f) => f.path);
}
