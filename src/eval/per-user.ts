// Per-user metrics as text (TSV or JSON lines). Browser-safe; writing files is in src/io/per-user-file.ts.

import type { IdMap } from '../data/idmap.js';
import { LrmlError } from '../errors.js';
import type { EvalResult } from './types.js';

/** Text formats of per-user metrics. */
export type PerUserFormat = 'tsv' | 'jsonl';

/**
 * Formats a result's per-user metrics: one line per user with its external id (through `users`,
 * or the dense index when null), positives ranked and every metric. TSV has a header line.
 * Throws BAD_OPTION when the result was computed without `perUser: true`.
 *
 * @example
 * ```ts
 * const r = evaluate(model, train, test, { kind: 'full' }, { perUser: true });
 * formatPerUser(r, users, 'tsv'); // "user\tpositives\thits@10\t…\n42\t1\t1\t…\n"
 * ```
 */
export function formatPerUser(result: EvalResult, users: IdMap | null, format: PerUserFormat): string {
  const pu = result.perUser;
  if (pu === null) throw new LrmlError('BAD_OPTION', 'no per-user metrics in this result: evaluate with { perUser: true }');
  if (format !== 'tsv' && format !== 'jsonl') throw new LrmlError('BAD_OPTION', `invalid per-user format: ${JSON.stringify(format)} (expected tsv or jsonl)`);
  const keys = Object.keys(pu.metrics);
  const cols = keys.map((k) => pu.metrics[k]);
  const id = (r: number): string => (users === null ? String(pu.users[r]) : users.id(pu.users[r]));
  const out: string[] = [];
  if (format === 'tsv') out.push(['user', 'positives', ...keys].join('\t'));
  for (let r = 0; r < pu.users.length; r++) {
    if (format === 'tsv') {
      out.push([id(r), String(pu.positives[r]), ...cols.map((c) => String(c[r]))].join('\t'));
    } else {
      const o: Record<string, string | number> = { user: id(r), positives: pu.positives[r] };
      for (let q = 0; q < keys.length; q++) o[keys[q]] = cols[q][r];
      out.push(JSON.stringify(o));
    }
  }
  return `${out.join('\n')}\n`;
}
