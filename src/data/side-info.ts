// Side information about items and users (titles, genres, demographics) and the id maps that join
// a model's ids to the side files' ids. Node-only (files, gzip); the analysis imports only the types.

import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { LrmlError } from '../errors.js';
import { firstLine, lineError, parseItemsText, plainRecords, type ItemInfo, type ItemsFormat } from './side-text.js';

export { parseItemsText, sniffItemsFormat, ML100K_GENRES, ITEMS_FORMATS, type ItemInfo, type ItemsFormat } from './side-text.js';

/** What a users file says about one user. */
export interface UserInfo {
  /** As written in the file (MovieLens: `F` or `M`). */
  gender: string;
  /** Age (MovieLens 1M: the lower bound of the age group: 1, 18, 25, 35, 45, 50, 56). */
  age: number;
  /** Occupation as written (MovieLens 1M: a code 0–20; 100K: a word). */
  occupation: string;
}

function fsError(path: string, e: unknown): LrmlError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new LrmlError('FILE_NOT_FOUND', `${path}: no such file`, { file: path });
  if (code === 'EISDIR') return new LrmlError('FILE_NOT_FOUND', `${path}: is a directory, not a file`, { file: path });
  return new LrmlError('FILE_NOT_FOUND', `${path}: cannot read (${(e as Error).message})`, { file: path });
}

/**
 * A side file's text: gzip detected by its magic bytes (1f 8b); UTF-8 when the bytes are valid
 * UTF-8 (a BOM is dropped), else Latin-1 (ISO-8859-1, as MovieLens 1M's `movies.dat`).
 *
 * @example
 * ```ts
 * const text = await readSideText('movies.dat');
 * ```
 */
export async function readSideText(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw fsError(path, e);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new LrmlError('BAD_GZIP', `${path}: corrupt or truncated gzip data (${(e as Error).message})`, { file: path });
    }
  }
  if (bytes.length === 0) throw new LrmlError('EMPTY_FILE', `${path}: the file is empty`, { file: path });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = bytes.toString('latin1');
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Reads an items file into a map from item id to title and genres ({@link parseItemsText} gives the
 * formats; `format` forces one, default `auto`). Gzip is detected by magic bytes. BAD_VALUE with
 * file:line for malformed lines or a repeated id.
 *
 * @example
 * ```ts
 * const items = await loadItemsFile('data/ml-latest-small/movies.csv');
 * items.get('1'); // { title: 'Toy Story (1995)', genres: ['Adventure', 'Animation', …] }
 * ```
 */
export async function loadItemsFile(path: string, format: ItemsFormat = 'auto'): Promise<Map<string, ItemInfo>> {
  return parseItemsText(await readSideText(path), path, format);
}

/**
 * Reads a users file into a map from user id to gender, age and occupation: MovieLens 1M
 * `users.dat` (`UserID::Gender::Age::Occupation::Zip`) or MovieLens 100K `u.user`
 * (`user id|age|gender|occupation|zip`). Gzip is detected by magic bytes. BAD_VALUE with
 * file:line for malformed lines (wrong field count, non-numeric age, empty gender) or a repeated id.
 *
 * @example
 * ```ts
 * const users = await loadUsersFile('../shared/data/ml-1m/users.dat');
 * users.get('1'); // { gender: 'F', age: 1, occupation: '10' }
 * ```
 */
export async function loadUsersFile(path: string): Promise<Map<string, UserInfo>> {
  const text = await readSideText(path);
  const dat = firstLine(text).includes('::');
  if (!dat && !firstLine(text).includes('|')) {
    throw new LrmlError('UNKNOWN_FORMAT', `${path}: not a MovieLens users file (expected UserID::Gender::Age::Occupation::Zip or user id|age|gender|occupation|zip)`, { file: path });
  }
  const out = new Map<string, UserInfo>();
  for (const r of plainRecords(text, dat ? '::' : '|')) {
    const f = r.fields.map((x) => x.trim());
    if (f.length !== 5) {
      throw lineError(path, r.line, `expected ${dat ? 'UserID::Gender::Age::Occupation::Zip' : 'user id|age|gender|occupation|zip'} (5 fields), found ${f.length}`, r.fields.join(dat ? '::' : '|'));
    }
    const [id, gender, ageText, occupation] = dat ? [f[0], f[1], f[2], f[3]] : [f[0], f[2], f[1], f[3]];
    if (id === '') throw lineError(path, r.line, 'empty user id');
    if (gender === '') throw lineError(path, r.line, 'empty gender');
    const age = /^\d+(\.\d+)?$/.test(ageText) ? Number(ageText) : Number.NaN;
    if (!Number.isFinite(age)) throw lineError(path, r.line, `age ${JSON.stringify(ageText)} is not a number`, ageText);
    if (out.has(id)) throw lineError(path, r.line, `user id ${JSON.stringify(id)} appears twice`, id);
    out.set(id, { gender, age, occupation });
  }
  return out;
}

/**
 * Reads an id map file: tab-separated, a header line, two columns — the model's id, then the side
 * files' id (e.g. `item_map.tsv` of the NCF MovieLens 1M files: `ncf_item\tmovie_id`); a first
 * line of two numbers is read as data (no header). Returns
 * model id → side id. BAD_VALUE with file:line for a line without exactly two non-empty fields
 * or a repeated model id.
 *
 * @example
 * ```ts
 * const itemMap = await loadIdMapFile('../shared/data/ml-1m/item_map.tsv');
 * itemMap.get('0'); // '1193'
 * ```
 */
export async function loadIdMapFile(path: string): Promise<Map<string, string>> {
  const text = await readSideText(path);
  const records = plainRecords(text, '\t');
  if (records.length === 0) throw new LrmlError('EMPTY_FILE', `${path}: no lines`, { file: path });
  const out = new Map<string, string>();
  const numeric = (x: string | undefined): boolean => x !== undefined && /^\s*-?\d+\s*$/.test(x);
  const headerless = records[0].fields.length === 2 && numeric(records[0].fields[0]) && numeric(records[0].fields[1]);
  for (let k = headerless ? 0 : 1; k < records.length; k++) {
    const r = records[k];
    const f = r.fields.map((x) => x.trim());
    if (f.length !== 2 || f[0] === '' || f[1] === '') {
      throw lineError(path, r.line, `expected two tab-separated ids (model id, side id), found ${JSON.stringify(r.fields.join('\t'))}`, r.fields.join('\t'));
    }
    if (out.has(f[0])) throw lineError(path, r.line, `model id ${JSON.stringify(f[0])} appears twice`, f[0]);
    out.set(f[0], f[1]);
  }
  return out;
}
