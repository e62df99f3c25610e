import type { Command } from 'commander';
import type { Csr } from '../data/csr.js';
import type { Interactions } from '../data/types.js';
import { loadInteractions } from '../data/load.js';
import { toCsr } from '../data/interactions.js';
import { LrmlError } from '../errors.js';
import { evaluate } from '../eval/evaluate.js';
import { givenTestSet } from '../eval/negatives.js';
import { loadGivenNegatives } from '../io/negatives-file.js';
import type { Protocol } from '../eval/types.js';
import type { ValidationControl } from '../models/types.js';
import { parseInteger } from './options.js';

/** Where validation data comes from (CLI flags or a tune config). */
export interface ValidationSpec {
  /** NCF-style negatives file (`(user,item)\tneg…`): its positives are the validation items. */
  negatives?: string;
  /** A file of held-out interactions (ranked with the sampled protocol, or full with `sampled: 0`). */
  test?: string;
  /** Sampled negatives per positive with `test` (default 100; 0 = full ranking). */
  sampled?: number;
  /** Evaluate every E epochs (default 1). */
  every?: number;
  /** Stop after this many evaluations without gain. */
  patience?: number;
  /** Metric to maximise (default ndcg@10). */
  monitor?: string;
  /** Cut-offs (default [10]). */
  k?: number[];
  seed?: number;
}

/** Adds the validation flags of `lrml train`. */
export function addValidationOptions(cmd: Command): Command {
  return cmd
    .option('--valid-negatives <file>', 'validate on an NCF negatives file (its positives are the validation items)')
    .option('--valid <file>', 'validate on held-out interactions (sampled protocol; see --valid-sampled)')
    .option('--valid-sampled <n>', 'with --valid: sampled negatives per positive (0 = full ranking)', parseInteger('--valid-sampled'))
    .option('--eval-every <n>', 'validate every n epochs', parseInteger('--eval-every'))
    .option('--patience <n>', 'stop after n validations without improvement (keeps the best weights)', parseInteger('--patience'))
    .option('--monitor <metric>', 'validation metric to maximise (default ndcg@10)');
}

/** The validation spec given by `lrml train` flags, or null when none. */
export function validationSpecFromCli(opts: Record<string, unknown>): ValidationSpec | null {
  const spec: ValidationSpec = {};
  if (opts.validNegatives !== undefined) spec.negatives = String(opts.validNegatives);
  if (opts.valid !== undefined) spec.test = String(opts.valid);
  if (spec.negatives === undefined && spec.test === undefined) {
    for (const f of ['validSampled', 'evalEvery', 'patience', 'monitor']) {
      if (opts[f] !== undefined) throw new LrmlError('BAD_OPTION', `--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --valid or --valid-negatives`);
    }
    return null;
  }
  if (spec.negatives !== undefined && spec.test !== undefined) throw new LrmlError('BAD_OPTION', 'give either --valid or --valid-negatives, not both');
  if (opts.validSampled !== undefined) spec.sampled = Number(opts.validSampled);
  if (opts.evalEvery !== undefined) spec.every = Number(opts.evalEvery);
  if (opts.patience !== undefined) spec.patience = Number(opts.patience);
  if (opts.monitor !== undefined) spec.monitor = String(opts.monitor);
  return spec;
}

/**
 * Loads validation data for a training log, BEFORE its matrix is built: items that appear only
 * in a negatives file are added to the log's item map (the catalogue, as NCF counts it), users
 * and items of a held-out interactions file are mapped through the log's maps (unknown ones are
 * dropped and counted by the loader). Returns a function that, given the training matrix, makes
 * the {@link ValidationControl} the trainer calls every E epochs.
 *
 * @example
 * ```ts
 * const makeValidation = await prepareValidation({ negatives: 'ml-1m.valid.negative.gz' }, data);
 * const train = toCsr(data);
 * await family.fit(train, options, { validation: makeValidation(train) });
 * ```
 */
export async function prepareValidation(spec: ValidationSpec, data: Interactions): Promise<(train: Csr) => ValidationControl> {
  const k = spec.k ?? [10];
  // the id maps only: the closures below must not keep the interaction columns alive
  const { users, items } = data;
  let make: (train: Csr) => { protocol: Protocol; test: Csr };
  if (spec.negatives !== undefined) {
    if (spec.test !== undefined) throw new LrmlError('BAD_OPTION', 'validation: give a negatives file or a held-out interactions file, not both');
    const cases = await loadGivenNegatives(spec.negatives, users, items, { unknown: 'add-items' });
    make = (train) => ({ protocol: { kind: 'given', cases }, test: givenTestSet(cases, train.numRows, train.numCols) });
  } else if (spec.test !== undefined) {
    const held = await loadInteractions(spec.test, { users, items, frozen: true });
    const n = spec.sampled ?? 100;
    if (!Number.isInteger(n) || n < 0) throw new LrmlError('BAD_OPTION', `invalid sampled negatives: ${n} (expected an integer ≥ 0)`);
    const protocol: Protocol = n === 0 ? { kind: 'full' } : { kind: 'sampled', negatives: n, seed: spec.seed ?? 0 };
    make = () => ({ protocol, test: toCsr({ ...held, users, items }) });
  } else {
    throw new LrmlError('BAD_OPTION', 'validation needs a negatives file or a held-out interactions file');
  }
  return (train) => {
    const { protocol, test } = make(train);
    const control: ValidationControl = {
      evaluate: (model) => evaluate(model, train, test, protocol, { k, bootstrap: 0 }).metrics,
      monitor: spec.monitor ?? 'ndcg@10',
    };
    if (spec.every !== undefined) control.every = spec.every;
    if (spec.patience !== undefined) control.patience = spec.patience;
    return control;
  };
}
