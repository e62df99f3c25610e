import type { IdMap } from './idmap.js';

/** Input formats the loader understands (`auto` sniffs the file; `parquet`: Apache Parquet, read by `loadInteractions` only). */
export type DataFormat = 'auto' | 'csv' | 'tsv' | 'dat' | 'ncf-rating' | 'ncf-pairs' | 'parquet';

/** What a load did with every line of the file: nothing is dropped silently. */
export interface LoadSummary {
  /** File path as given. */
  file: string;
  /** The format used (after auto-detection). */
  format: Exclude<DataFormat, 'auto'>;
  /** Whether the file was gzip-compressed. */
  gzip: boolean;
  /** Whether a header line was found (and skipped). */
  header: boolean;
  /** Data lines read (excluding the header and blank lines); Parquet: rows read. */
  linesRead: number;
  /** Blank lines (ignored). */
  blankLines: number;
  /** Interactions kept. */
  kept: number;
  /** Lines that repeated an earlier (user, item) pair; the latest is kept. */
  duplicates: number;
  /** Lines dropped by `minRating`. */
  belowMinRating: number;
  /** Interactions removed by k-core filtering. */
  kcoreRemoved: number;
  /** Bad lines skipped (only with `skipBadLines`; otherwise the first bad line throws). */
  badLines: number;
  /** Field separator used (after auto-detection), e.g. `","`, `"\t"`, `"::"`. */
  delimiter?: string;
  /** Which columns were read (after auto-detection). */
  columns?: ColumnChoice;
  /**
   * Columns of the file that no role reads: header names not recognised (nor chosen by
   * `columns`), or without a header, the first data line's extra fields (named `column N`).
   */
  ignoredColumns?: ColumnRef[];
  /** Up to 5 messages describing skipped bad lines (with `skipBadLines`). */
  badLineExamples?: string[];
  /** Lines dropped because their user or item is not in a frozen id map (`frozen: true`). */
  unknownLines?: number;
  /** Distinct user ids not in the frozen user map. */
  unknownUsers?: number;
  /** Distinct item ids not in the frozen item map. */
  unknownItems?: number;
  /** Users left with no interaction by k-core filtering (and removed from the map). */
  kcoreUsersRemoved?: number;
  /** Items left with no interaction by k-core filtering (and removed from the map). */
  kcoreItemsRemoved?: number;
  /** Users / items whose every line was dropped (duplicates aside: by minRating or k-core), removed from the maps. */
  droppedUsers?: number;
  droppedItems?: number;
}

/**
 * One column the loader reads: its 0-based index and its name (header name, else the role).
 *
 * @example
 * ```ts
 * data.summary.columns?.rating; // { index: 2, name: 'rating' }
 * ```
 */
export interface ColumnRef {
  index: number;
  name: string;
}

/**
 * The columns a load used (in `LoadSummary.columns`).
 *
 * @example
 * ```ts
 * const c = data.summary.columns!;
 * console.log(c.user.name, c.item.name, c.rating?.name ?? 'no rating');
 * ```
 */
export interface ColumnChoice {
  user: ColumnRef;
  item: ColumnRef;
  rating: ColumnRef | null;
  timestamp: ColumnRef | null;
}

/**
 * A column given to the loader: a header name, a 0-based index, or `null` / `'-'` for
 * "not present" (e.g. `['user_id', 'movie_id', null, 'pos']` reads no rating and uses
 * `pos` as the timestamp).
 */
export type ColumnSpec = string | number | null;

/**
 * Options of `loadInteractions` / `parseInteractions`. Every field is optional.
 *
 * @example
 * ```ts
 * const opts: LoadOptions = { columns: ['userId', 'movieId', 'rating'], minRating: 4, kcore: 5 };
 * ```
 */
export interface LoadOptions {
  /** File format; `auto` (default) sniffs the first lines. */
  format?: DataFormat;
  /**
   * Columns `[user, item, rating?, timestamp?]` by header name or 0-based index. Default:
   * by header names (u/user/userId/user_id…, i/item/itemId/movieId…, r/rating/score…,
   * t/ts/time/timestamp…), else
   * positions 0, 1 (2 = rating, 3 = timestamp when present and there is no header).
   */
  columns?: readonly ColumnSpec[];
  /** Drop interactions whose rating is below this (implicit feedback from ratings). */
  minRating?: number;
  /** Iteratively drop users and items with fewer than `kcore` interactions. */
  kcore?: number;
  /** Skip (and count) malformed lines instead of stopping at the first one. */
  skipBadLines?: boolean;
  /** Field separator (overrides the format's), e.g. `';'`, `'|'`, `' '`. */
  delimiter?: string;
  /** Whether the first non-blank line is a header (default `'auto'`). */
  header?: 'auto' | boolean;
  /** Existing user map to extend (e.g. the train file's), never modified: indices of its ids are kept. */
  users?: IdMap;
  /** Existing item map to extend, never modified. */
  items?: IdMap;
  /** With `users` / `items`: drop (and count) lines whose ids are not in the given maps instead of adding them. */
  frozen?: boolean;
}

/**
 * A loaded interaction log: one entry per kept (user, item) pair, in file order,
 * with dense user/item indices and the maps back to external string ids.
 */
export interface Interactions {
  readonly users: IdMap;
  readonly items: IdMap;
  /** Dense user index per interaction. */
  readonly user: Int32Array;
  /** Dense item index per interaction. */
  readonly item: Int32Array;
  /** Rating per interaction, when the file has one. */
  readonly rating: Float32Array | null;
  /** Timestamp per interaction, when the file has one. */
  readonly timestamp: Float64Array | null;
  /** How the load went. */
  readonly summary: LoadSummary;
}
