// User and item vectors of a model to files (`lrml export`): NumPy .npy (format 1.0) with id
// sidecars, CSV, or Parquet (optional hyparquet-writer). See docs/api.md ("Exporting vectors").

import { csvField } from '../data/csv-field.js';
import { LrmlError } from '../errors.js';
import { checkOutputFile, writeFileAtomic } from '../fs-atomic.js';
import type { LoadedModel, ModelVectors } from '../models/types.js';

/** File formats of {@link exportVectors}. */
export type VectorFormat = 'npy' | 'csv' | 'parquet';

/** The formats of {@link VectorFormat}, in the order error messages list them. */
export const VECTOR_FORMATS: readonly VectorFormat[] = ['npy', 'csv', 'parquet'];

type ParquetWriter = typeof import('hyparquet-writer');

/**
 * Imports the optional hyparquet-writer (for `parquet` exports), or MISSING_DEPENDENCY saying how
 * to install it.
 */
async function parquetWriter(): Promise<ParquetWriter> {
  try {
    return await import('hyparquet-writer');
  } catch (e) {
    throw new LrmlError('MISSING_DEPENDENCY', `export --format parquet needs the optional package hyparquet-writer, which is not installed (${(e as Error).message}): run \`npm install hyparquet-writer\` or use --format npy / csv`);
  }
}

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
    : [`${prefix}.users.${format}`, `${prefix}.items.${format}`];
}

/**
 * `format` as a {@link VectorFormat}, or BAD_OPTION naming `where` (e.g. `--format`) and the
 * formats there are.
 *
 * @example
 * ```ts
 * checkVectorFormat('csv', '--format'); // 'csv'
 * ```
 */
export function checkVectorFormat(format: string, where = 'export format'): VectorFormat {
  if (!(VECTOR_FORMATS as readonly string[]).includes(format)) {
    throw new LrmlError('BAD_OPTION', `${where}: ${JSON.stringify(format)} is not a format (expected ${VECTOR_FORMATS.join(', ')})`);
  }
  return format as VectorFormat;
}

/**
 * The files holding a model's user and item vectors with their string ids (nothing written):
 * - `npy`: `PREFIX.users.npy` (numUsers × dim) and `PREFIX.items.npy` (numItems × dim), float32
 *   little-endian C order; row r's id is line r + 1 of `PREFIX.users.ids.txt` / `PREFIX.items.ids.txt`;
 *   `PREFIX.items.bias.npy` (numItems) when the model adds item biases (BPR-MF);
 * - `csv`: `PREFIX.users.csv`, `PREFIX.items.csv`: a header `id,v0,…,v{dim−1}` (`,bias` for
 *   items with biases), then one row per user / item; each value is the float32 weight written as a
 *   decimal number that reads back to the same float32 exactly;
 * - `parquet` (needs the optional hyparquet-writer, given as `writer`): `PREFIX.users.parquet`,
 *   `PREFIX.items.parquet`, the CSV's columns as Parquet columns (`id` a UTF-8 string, `v0`…, `bias`
 *   FLOAT, i.e. float32: the weights exactly), snappy-compressed.
 * Throws BAD_OPTION when the model's family has no vectors or the format is unknown.
 *
 * @example
 * ```ts
 * const files = vectorFiles(await loadModel('m.lrml'), 'out/m', 'npy');
 * ```
 */
export function vectorFiles(m: LoadedModel, prefix: string, format: VectorFormat, writer?: ParquetWriter): VectorFile[] {
  checkVectorFormat(format);
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
  if (format === 'parquet') {
    if (writer === undefined) throw new LrmlError('MISSING_DEPENDENCY', 'export --format parquet needs the optional package hyparquet-writer: pass it to vectorFiles, or call exportVectors, which imports it');
    const parquet = (list: string[], X: Float32Array, bias: Float32Array | null): Uint8Array => {
      const columnData: { name: string; data: string[] | Float32Array; type: 'STRING' | 'FLOAT'; nullable: false }[] = [{ name: 'id', data: list, type: 'STRING', nullable: false }];
      for (let c = 0; c < d; c++) {
        const col = new Float32Array(list.length);
        for (let r = 0; r < list.length; r++) col[r] = X[r * d + c];
        columnData.push({ name: `v${c}`, data: col, type: 'FLOAT', nullable: false });
      }
      if (bias !== null) columnData.push({ name: 'bias', data: bias, type: 'FLOAT', nullable: false });
      return new Uint8Array(writer.parquetWriteBuffer({ columnData }));
    };
    return [
      { path: `${prefix}.users.parquet`, contents: parquet(users, v.users, null) },
      { path: `${prefix}.items.parquet`, contents: parquet(items, v.items, v.itemBias) },
    ];
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
 * await exportVectors(await loadModel('m.lrml'), 'out/m', { format: 'parquet' }); // pandas.read_parquet('out/m.items.parquet')
 * ```
 */
export async function exportVectors(m: LoadedModel, prefix: string, options: { format?: VectorFormat } = {}): Promise<string[]> {
  const format = checkVectorFormat(options.format ?? 'npy');
  for (const p of vectorPaths(prefix, format)) await checkOutputFile(p, 'export');
  const files = vectorFiles(m, prefix, format, format === 'parquet' ? await parquetWriter() : undefined);
  for (const f of files) await writeFileAtomic(f.path, f.contents);
  return files.map((f) => f.path);
}
