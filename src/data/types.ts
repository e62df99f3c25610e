import type { IdMap } from './idmap.js';

/** Input formats the loader understands (`auto` sniffs the file). */
export type DataFormat = 'auto' | 'csv' | 'tsv' | 'dat' | 'ncf-rating' | 'ncf-pairs';

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
  /** Data lines read (excluding the header and blank lines). */
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
