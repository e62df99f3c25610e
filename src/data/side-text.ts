// The text formats of side files (items files: MovieLens movies.dat / u.item / movies.csv; the
// records of delimited files). Browser-safe: no Node imports (src/data/side-info.ts reads the files).

import { LrmlError, badOption } from '../errors.js';

/** What an items file says about one item. */
export interface ItemInfo {
  title: string;
  /** Genres in file order; empty for "(no genres listed)" or an empty field. */
  genres: string[];
}

const NO_GENRES = '(no genres listed)';

/**
 * BAD_VALUE naming file:line (and the offending value).
 *
 * @example
 * ```ts
 * throw lineError('movies.csv', 7, 'empty item id');
 * ```
 */
export function lineError(file: string, line: number, message: string, value?: string): LrmlError {
  return new LrmlError('BAD_VALUE', `${file}:${line}: ${message}`, { file, line, value });
}

/**
 * One record of a delimited text: its fields and the (1-based) line it starts on.
 *
 * @example
 * ```ts
 * const r: SideRecord = { fields: ['1', 'Heat (1995)'], line: 2 };
 * ```
 */
export interface SideRecord {
  fields: string[];
  line: number;
}

/**
 * Records of a CSV text (RFC 4180: `"` quotes fields, `""` is a quote inside one, quoted fields may
 * hold commas and line breaks). Blank lines are skipped. BAD_VALUE with file:line for an
 * unterminated quote or text after a closing quote.
 *
 * @example
 * ```ts
 * csvRecords('id,title\n1,"Heat, 1995"\n', 'movies.csv')[1].fields; // ['1', 'Heat, 1995']
 * ```
 */
export function csvRecords(text: string, file: string): SideRecord[] {
  const out: SideRecord[] = [];
  const n = text.length;
  let p = 0;
  let line = 1;
  while (p < n) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let blank = true;
    for (;;) {
      if (p < n && text.charCodeAt(p) === 34) {
        // quoted field
        blank = false;
        p++;
        for (;;) {
          if (p >= n) throw lineError(file, start, 'unterminated quote');
          const c = text[p];
          if (c === '"') {
            if (text[p + 1] === '"') {
              field += '"';
              p += 2;
              continue;
            }
            p++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          p++;
        }
        const c = text[p];
        if (p < n && c !== ',' && c !== '\n' && !(c === '\r' && (p + 1 >= n || text[p + 1] === '\n'))) {
          throw lineError(file, line, `text after a closing quote in field ${fields.length + 1}`, field);
        }
      } else {
        let e = p;
        while (e < n) {
          const c = text.charCodeAt(e);
          if (c === 44 || c === 10) break;
          e++;
        }
        let f = text.slice(p, e);
        if (f.endsWith('\r') && (e >= n || text.charCodeAt(e) === 10)) f = f.slice(0, -1);
        if (f.includes('"')) throw lineError(file, line, `a quote inside unquoted field ${fields.length + 1}`, f);
        if (f !== '') blank = false;
        field = f;
        p = e;
      }
      fields.push(field);
      field = '';
      if (p < n && text.charCodeAt(p) === 44) {
        blank = false;
        p++;
        continue;
      }
      if (p < n && text[p] === '\r') p++;
      if (p < n && text.charCodeAt(p) === 10) {
        p++;
        line++;
      }
      break;
    }
    if (!blank) out.push({ fields, line: start });
  }
  return out;
}

/**
 * Records of a text whose fields are separated by `delim` (no quoting), blank lines skipped.
 *
 * @example
 * ```ts
 * plainRecords('1::Toy Story (1995)::Animation\n', '::')[0].fields; // ['1', 'Toy Story (1995)', 'Animation']
 * ```
 */
export function plainRecords(text: string, delim: string): SideRecord[] {
  const out: SideRecord[] = [];
  const lines = text.split('\n');
  for (let k = 0; k < lines.length; k++) {
    let s = lines[k];
    if (s.endsWith('\r')) s = s.slice(0, -1);
    if (s.trim() === '') continue;
    out.push({ fields: s.split(delim), line: k + 1 });
  }
  return out;
}

/**
 * The text up to its first line break.
 *
 * @example
 * ```ts
 * firstLine('a::b\nc'); // 'a::b'
 * ```
 */
export function firstLine(text: string): string {
  const e = text.indexOf('\n');
  return e < 0 ? text : text.slice(0, e);
}

function genresOf(field: string): string[] {
  const g = field.trim();
  if (g === '' || g === NO_GENRES) return [];
  return g.split('|').map((x) => x.trim()).filter((x) => x !== '' && x !== NO_GENRES);
}

/**
 * The 19 genres of MovieLens 100K's `u.item` flags, in column order (as `u.genre` lists them:
 * `unknown|0`, `Action|1`, …, `Western|18`).
 *
 * @example
 * ```ts
 * ML100K_GENRES[1]; // 'Action'
 * ```
 */
export const ML100K_GENRES: readonly string[] = [
  'unknown', 'Action', 'Adventure', 'Animation', "Children's", 'Comedy', 'Crime', 'Documentary', 'Drama', 'Fantasy',
  'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western',
];

/** Fields of a `u.item` line: id, title, release date, video release date, IMDb URL, then one 0/1 flag per genre. */
const UITEM_FIELDS = 5 + ML100K_GENRES.length;

/** Whether a line looks like MovieLens 100K `u.item`: 24 `|`-separated fields ending in 19 0/1 flags. */
function isUItemLine(line: string): boolean {
  const f = line.replace(/\r$/, '').split('|');
  return f.length === UITEM_FIELDS && f.slice(5).every((x) => x === '0' || x === '1');
}

/** Reads MovieLens 100K `u.item` records (`movie id|title|release date|video release date|IMDb URL|19 genre flags`). */
function uItemRecords(text: string, path: string, add: (id: string, title: string, genres: string[], line: number) => void): void {
  for (const r of plainRecords(text, '|')) {
    const f = r.fields;
    if (f.length !== UITEM_FIELDS) {
      throw lineError(path, r.line, `expected movie id|title|release date|video release date|IMDb URL|${ML100K_GENRES.length} genre flags (${UITEM_FIELDS} fields), found ${f.length}`, f.join('|'));
    }
    const genres: string[] = [];
    for (let g = 0; g < ML100K_GENRES.length; g++) {
      const flag = f[5 + g].trim();
      if (flag !== '0' && flag !== '1') {
        throw lineError(path, r.line, `genre flag ${g + 1} (${ML100K_GENRES[g]}, field ${6 + g}) is ${JSON.stringify(flag)}, expected 0 or 1`, flag);
      }
      // "unknown" is MovieLens 100K's "(no genres listed)"
      if (flag === '1' && g > 0) genres.push(ML100K_GENRES[g]);
    }
    add(f[0].trim(), f[1].trim(), genres, r.line);
  }
}

function norm(s: string): string {
  return s.toLowerCase().replace(/[\s_\-.]/g, '');
}

/**
 * Layouts of an items file: `csv` (MovieLens `movies.csv`, a header naming id and title columns,
 * or headerless id,title[,genres]), `dat` (MovieLens 1M `movies.dat`: `MovieID::Title::Genres`),
 * `uitem` (MovieLens 100K `u.item`: `|`-separated); `auto` tells them apart by the first line.
 *
 * @example
 * ```ts
 * ITEMS_FORMATS.includes('uitem'); // true
 * ```
 */
export const ITEMS_FORMATS = ['auto', 'csv', 'dat', 'uitem'] as const;

/** One of {@link ITEMS_FORMATS}. */
export type ItemsFormat = (typeof ITEMS_FORMATS)[number];

/**
 * The layout `auto` chooses for an items text: `dat` when the first line holds `::`, `uitem` when it
 * has the 24 `|`-separated fields of `u.item` ending in 19 0/1 flags, else `csv`.
 *
 * @example
 * ```ts
 * sniffItemsFormat('1::Toy Story (1995)::Animation\n'); // 'dat'
 * ```
 */
export function sniffItemsFormat(text: string): Exclude<ItemsFormat, 'auto'> {
  const first = firstLine(text);
  if (first.includes('::')) return 'dat';
  if (isUItemLine(first)) return 'uitem';
  return 'csv';
}

/**
 * Parses the text of an items file into a map from item id to title and genres. Formats
 * ({@link ITEMS_FORMATS}; `format` `auto`, the default, sniffs the first line): MovieLens `movies.dat` (`MovieID::Title::Genres`, Latin-1), MovieLens 100K `u.item`
 * (`movie id|title|release date|video release date|IMDb URL|` and 19 0/1 genre flags in the order of
 * {@link ML100K_GENRES}, Latin-1; the flag "unknown" counts as no genre) and CSV with a header
 * (`movies.csv` of ml-latest / ml-latest-small: `movieId,title,genres`, quoted titles with commas;
 * columns found by name: movieId / itemId / item / id, title / name, genres / genre), or a headerless
 * CSV read as id, title, genres. Genres are `|`-separated; "(no genres listed)" means none.
 * BAD_VALUE with `path`:line for malformed lines or a repeated id (with a `format` given, a line not of
 * that layout is one), BAD_OPTION for an unknown `format`. Browser-safe (the web page
 * reads titles with it); {@link loadItemsFile} reads a file (gzip, Latin-1) and calls it.
 *
 * @example
 * ```ts
 * parseItemsText('movieId,title,genres\n1,Toy Story (1995),Animation|Comedy\n').get('1');
 * // { title: 'Toy Story (1995)', genres: ['Animation', 'Comedy'] }
 * ```
 */
export function parseItemsText(text: string, path = 'items', format: ItemsFormat = 'auto'): Map<string, ItemInfo> {
  if (!(ITEMS_FORMATS as readonly string[]).includes(format)) throw badOption('items format', format, ITEMS_FORMATS.join(', '));
  const layout = format === 'auto' ? sniffItemsFormat(text) : format;
  const out = new Map<string, ItemInfo>();
  const add = (id: string, title: string, genres: string[], line: number): void => {
    if (id === '') throw lineError(path, line, 'empty item id');
    if (out.has(id)) throw lineError(path, line, `item id ${JSON.stringify(id)} appears twice`, id);
    out.set(id, { title, genres });
  };
  if (layout === 'dat') {
    for (const r of plainRecords(text, '::')) {
      if (r.fields.length !== 3) {
        throw lineError(path, r.line, `expected MovieID::Title::Genres (3 fields), found ${r.fields.length}`, r.fields.join('::'));
      }
      add(r.fields[0].trim(), r.fields[1].trim(), genresOf(r.fields[2]), r.line);
    }
    return out;
  }
  if (layout === 'uitem') {
    uItemRecords(text, path, add);
    return out;
  }
  const records = csvRecords(text, path);
  if (records.length === 0) throw new LrmlError('EMPTY_FILE', `${path}: no records`, { file: path });
  const head = records[0].fields.map(norm);
  const find = (names: string[]): number => head.findIndex((h) => names.includes(h));
  let cols = [find(['movieid', 'itemid', 'item', 'id', 'movie']), find(['title', 'name']), find(['genres', 'genre'])];
  let first = 1;
  if (cols[0] < 0 || cols[1] < 0) {
    if (/^\s*\d+\s*$/.test(records[0].fields[0] ?? '')) {
      cols = [0, 1, 2]; // no header: id, title, genres
      first = 0;
    } else {
      throw new LrmlError('MISSING_COLUMN', `${path}:1: header ${JSON.stringify(records[0].fields)} names no item id and title columns (expected e.g. movieId,title,genres, or a MovieLens movies.dat or u.item)`, { file: path, line: 1 });
    }
  }
  const need = Math.max(cols[0], cols[1], first === 0 ? 1 : cols[2]) + 1; // headerless: genres optional
  for (let k = first; k < records.length; k++) {
    const r = records[k];
    if (r.fields.length < need) {
      throw lineError(path, r.line, `expected at least ${need} fields (id, title${cols[2] >= 0 ? ', genres' : ''}), found ${r.fields.length}`, r.fields.join(','));
    }
    const genres = cols[2] >= 0 && cols[2] < r.fields.length ? genresOf(r.fields[cols[2]]) : [];
    add(r.fields[cols[0]].trim(), r.fields[cols[1]].trim(), genres, r.line);
  }
  return out;
}
