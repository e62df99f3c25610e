// Given-negatives cases (the NCF `*.negative` files): parsing from text, and the test set they imply.
// Browser-safe; reading files (and gzip) is in src/io/negatives-file.ts.

import { Csr } from '../data/csr.js';
import type { IdMap } from '../data/idmap.js';
import { LrmlError } from '../errors.js';
import type { GivenNegatives } from './types.js';

/** Options of {@link parseGivenNegatives} and `loadGivenNegatives`. */
export interface GivenNegativesOptions {
  /**
   * Ids the model does not know: `error` (default) stops at the first with UNKNOWN_USER /
   * UNKNOWN_ITEM naming file, line and id; `skip` drops the line (unknown user or positive) or
   * the negative (unknown negative item) and counts it in the summary; `add-items` adds unknown
   * ITEMS to the given item map (counted in `summary.addedItems`; build the training matrix
   * after this so the catalogue includes them, as NCF does) and errors on unknown users.
   */
  unknown?: 'error' | 'skip' | 'add-items';
  /** File name for messages and the summary (default `<memory>`). */
  file?: string;
}

/**
 * Parses given-negatives lines `(user,item)\tneg1\tneg2…` (tabs or spaces), mapping external ids
 * through the model's maps. Negatives equal to the line's positive (the NCF ML-1M quirk) and
 * repeated negatives are kept here and counted (`selfNegatives`, `repeatedNegatives`);
 * `evaluate` drops them and reports them as `droppedCandidates`.
 *
 * @example
 * ```ts
 * const cases = parseGivenNegatives('(0,25)\t1064\t174\n', users, items);
 * cases.users[0]; // users.get('0')
 * ```
 */
export function parseGivenNegatives(text: string, users: IdMap, items: IdMap, options: GivenNegativesOptions = {}): GivenNegatives {
  const unknown = options.unknown ?? 'error';
  if (unknown !== 'error' && unknown !== 'skip' && unknown !== 'add-items') {
    throw new LrmlError('BAD_OPTION', `invalid unknown: ${JSON.stringify(unknown)} (expected error, skip or add-items)`);
  }
  const itemsBefore = items.size;
  const itemIndex = unknown === 'add-items' ? (id: string): number => items.add(id) : (id: string): number | undefined => items.get(id);
  const file = options.file ?? '<memory>';
  const cu: number[] = [];
  const cp: number[] = [];
  const cl: number[] = [];
  const offsets: number[] = [0];
  const negs: number[] = [];
  let lines = 0;
  let skippedLines = 0;
  let unknownNegatives = 0;
  let selfNegatives = 0;
  let repeatedNegatives = 0;
  const seen = new Set<number>();
  let lineNo = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '') continue;
    lines++;
    const fields = line.split(/[\t ]+/);
    const head = /^\(\s*([^,]+?)\s*,\s*([^)]+?)\s*\)$/.exec(fields[0]);
    const where = { file, line: lineNo, column: 1, value: fields[0].slice(0, 100) };
    if (head === null) {
      throw new LrmlError('BAD_VALUE', `${file}:${lineNo}: expected "(user,item)" then negative items separated by tabs, found ${JSON.stringify(fields[0].slice(0, 100))}`, where);
    }
    const u = users.get(head[1]);
    const p = itemIndex(head[2]);
    if (u === undefined || p === undefined) {
      if (unknown === 'skip') {
        skippedLines++;
        continue;
      }
      if (u === undefined) throw new LrmlError('UNKNOWN_USER', `${file}:${lineNo}: user "${head[1]}" is not in the model (use unknown: 'skip' / --skip-unknown to skip such lines)`, where);
      throw new LrmlError('UNKNOWN_ITEM', `${file}:${lineNo}: item "${head[2]}" is not in the model (use unknown: 'skip' / --skip-unknown to skip such lines, or --add-unknown-items to rank unknown items as never-trained ones)`, where);
    }
    seen.clear();
    for (let f = 1; f < fields.length; f++) {
      const j = itemIndex(fields[f]);
      if (j === undefined) {
        if (unknown === 'skip') {
          unknownNegatives++;
          continue;
        }
        throw new LrmlError('UNKNOWN_ITEM', `${file}:${lineNo}: negative item "${fields[f]}" (field ${f + 1}) is not in the model (use unknown: 'skip' / --skip-unknown to skip it, or --add-unknown-items to rank unknown items as never-trained ones)`, { file, line: lineNo, column: f + 1, value: fields[f] });
      }
      if (j === p) selfNegatives++;
      else if (seen.has(j)) repeatedNegatives++;
      seen.add(j);
      negs.push(j);
    }
    cu.push(u);
    cp.push(p);
    cl.push(lineNo);
    offsets.push(negs.length);
  }
  return {
    users: Int32Array.from(cu),
    positives: Int32Array.from(cp),
    offsets: Int32Array.from(offsets),
    negatives: Int32Array.from(negs),
    lines: Int32Array.from(cl),
    summary: {
      file, lines, cases: cu.length, skippedLines, unknownNegatives, selfNegatives, repeatedNegatives,
      addedItems: items.size - itemsBefore,
    },
  };
}

/**
 * The test set a list of given cases implies: each case's (user, positive), as a users × items CSR
 * (for `evaluate` when no separate test file is at hand, e.g. validation during training).
 *
 * @example
 * ```ts
 * const test = givenTestSet(cases, model.numUsers, model.numItems);
 * evaluate(model, train, test, { kind: 'given', cases });
 * ```
 */
export function givenTestSet(cases: GivenNegatives, numUsers: number, numItems: number): Csr {
  return Csr.fromPairs(numUsers, numItems, cases.users, cases.positives);
}
