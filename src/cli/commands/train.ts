import { mkdir } from 'node:fs/promises';
import type { Command } from 'commander';
import { toCsr, loadInteractions } from '../../data/load.js';
import { LrmlError } from '../../errors.js';
import { saveModel } from '../../io/model-file.js';
import type { EpochSummary, TrainReport } from '../../models/types.js';
import { getFamily, modelKinds } from '../../train/families.js';
import { CML_SOFTMAX, LRML_FAST, LRML_HINGE, LRML_PAPER_CODE } from '../../models/triplet.js';
import type { WrittenReport } from '../../report/html.js';
import { addDataOptions, dataOptionsFrom } from '../data-options.js';
import { addValidationOptions, prepareValidation, validationSpecFromCli } from '../validation.js';
import type { ValidationSpec } from '../validation.js';
import { collectSet, parseInteger, parseNumber } from '../options.js';
import { TrainProgressBar, formatTable } from '../progress.js';

/** CLI flag (camelCase as commander stores it) → model option name, where they differ. */
const FLAG_TO_OPTION: Record<string, string> = {
  memories: 'numMemories',
  lrSchedule: 'learningRateSchedule',
};

/** Model options that have their own flag. */
const MODEL_FLAGS = [
  'dim', 'memories', 'margin', 'learningRate', 'lrSchedule', 'batchSize', 'epochs', 'negatives', 'threads', 'seed',
  'negativeRelation', 'distance', 'clip', 'clipMemory', 'maxKeyNorm', 'negativeMode', 'loss', 'temperature', 'rankWeighting',
  'samplerAlpha', 'optimizer', 'l2',
  'initScale', 'memoryInitScale', 'backend',
];

/** Presets by model kind. */
const PRESETS: Record<string, Record<string, Record<string, unknown>>> = {
  lrml: { 'paper-code': LRML_PAPER_CODE as Record<string, unknown>, hinge: LRML_HINGE as Record<string, unknown>, fast: LRML_FAST as Record<string, unknown> },
  cml: { softmax: CML_SOFTMAX as Record<string, unknown> },
};

/** Collects the model options the user gave on the command line (only those). */
export function modelOptionsFromCli(kind: string, opts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof opts.preset === 'string') {
    const p = PRESETS[kind]?.[opts.preset];
    if (p === undefined) {
      const known = Object.keys(PRESETS[kind] ?? {});
      throw new LrmlError('BAD_OPTION', `--preset: unknown preset "${opts.preset}" for ${kind} (known: ${known.length > 0 ? known.join(', ') : 'none'})`);
    }
    Object.assign(out, p);
  }
  for (const f of MODEL_FLAGS) {
    if (opts[f] !== undefined) out[FLAG_TO_OPTION[f] ?? f] = opts[f];
  }
  Object.assign(out, (opts.set as Record<string, unknown> | undefined) ?? {});
  return out;
}

/** Adds the model-option flags shared by `train` and `tune`. */
export function addModelOptions(cmd: Command): Command {
  return cmd
    .option('--preset <name>', 'a named recipe: lrml paper-code (the authors\' released configuration), hinge (the paper\'s loss) or fast (10 negatives, 10 epochs: 4× cheaper); cml softmax')
    .option('--dim <n>', 'embedding dimension d', parseInteger('--dim'))
    .option('--memories <n>', 'LRML memory slots N', parseInteger('--memories'))
    .option('--margin <x>', 'hinge margin', parseNumber('--margin'))
    .option('--learning-rate <x>', 'learning rate', parseNumber('--learning-rate'))
    .option('--lr-schedule <s>', 'learning rate over the epochs: constant | linear | cosine (decays to ~0 by the last epoch)')
    .option('--batch-size <n>', 'positives per optimiser step', parseInteger('--batch-size'))
    .option('--epochs <n>', 'training epochs', parseInteger('--epochs'))
    .option('--negatives <n>', 'negatives per positive', parseInteger('--negatives'))
    .option('--negative-mode <m>', 'with several negatives: sum | hardest')
    .option('--loss <l>', 'hinge | softplus (smooth hinge) | softmax (sampled softmax over the negatives; see docs/lrml-losses.md)')
    .option('--temperature <x>', 'temperature τ of softplus / softmax (lrml default 0.25; cml 1, 0.2 with --preset softmax; 0.05-0.5 typical)', parseNumber('--temperature'))
    .option('--rank-weighting', 'hinge: weight by log(1 + numItems·violators/negatives), as CML (WARP-style)')
    .option('--negative-relation <m>', 'LRML negative pair relation: own | copy (authors\' code)')
    .option('--distance <d>', 'l2 | l2sq | l1')
    .option('--clip <m>', 'unit-ball constraint: rows | lookup (authors\' code) | none')
    .option('--clip-memory', 'also clip memory keys and values to norm ≤ 1 (LRML default)')
    .option('--no-clip-memory', 'do not clip memory keys and values')
    .option('--max-key-norm <x>', 'with memory clipping: largest norm of a memory key (default 1; larger = sharper attention)', parseNumber('--max-key-norm'))
    .option('--sampler-alpha <x>', 'negative sampling ∝ popularity^alpha (0 = uniform)', parseNumber('--sampler-alpha'))
    .option('--optimizer <o>', 'adam | adagrad | sgd')
    .option('--l2 <x>', 'L2 regularisation weight', parseNumber('--l2'))
    .option('--init-scale <x>', 'std of the embedding initialisation', parseNumber('--init-scale'))
    .option('--memory-init-scale <x>', 'std of the memory initialisation', parseNumber('--memory-init-scale'))
    .option('--threads <n>', 'worker threads (> 1: Hogwild, not deterministic)', parseInteger('--threads'))
    .option('--backend <b>', 'training kernel: auto | wasm | ts')
    .option('--seed <n>', 'random seed', parseInteger('--seed'))
    .option('--set <key=value>', 'any other model option (repeatable), e.g. --set lambda=500', collectSet);
}

/** How validation was done, in words, for the training report. */
function describeValidation(spec: ValidationSpec): string {
  const what = spec.negatives !== undefined
    ? `${spec.negatives} (given negatives)`
    : `${spec.test ?? ''} (${(spec.sampled ?? 100) === 0 ? 'full ranking' : `${spec.sampled ?? 100} sampled negatives`})`;
  return `${what}; monitor ${spec.monitor ?? 'ndcg@10'}${spec.every !== undefined ? `, every ${spec.every} epochs` : ''}${spec.patience !== undefined ? `, patience ${spec.patience}` : ''}`;
}

/**
 * Registers `lrml train`: trains a model on an interaction file and saves it; with
 * `--report DIR` also writes a training report (learning curves as SVG/PNG, index.html, data.json).
 *
 * @example
 * ```ts
 * registerTrain(program);
 * await program.parseAsync(['node', 'lrml', 'train', '--data', 'ratings.csv', '--out', 'm.lrml', '--report', 'runs/m']);
 * ```
 */
export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('train a model on an interaction file and save it')
    .requiredOption('--data <file>', 'interaction file (csv, tsv, dat, NCF; gzip ok)')
    .option('--model <kind>', `model family: ${modelKinds().join(' | ')}`, 'lrml')
    .requiredOption('--out <file>', 'model file to write')
    .option('--report <dir>', 'also write a training report to this folder: index.html (self-contained), learning curves as SVG (+ PNG), data.json')
    .option('--json', 'print a JSON summary on stdout')
    .option('--quiet', 'no progress bar');
  addModelOptions(cmd);
  addValidationOptions(cmd);
  addDataOptions(cmd);
  cmd.action(async (opts: Record<string, unknown>) => {
    const kind = String(opts.model);
    const family = getFamily(kind);
    const options = family.resolveOptions(modelOptionsFromCli(kind, opts));
    const data = await loadInteractions(String(opts.data), dataOptionsFrom(opts));
    if (opts.report !== undefined) {
      // fail before training, not after it, when the report folder cannot be made
      await mkdir(String(opts.report), { recursive: true }).catch((e: Error) => {
        throw new LrmlError('WRITE_FAILED', `--report: cannot create folder ${String(opts.report)}: ${e.message}`);
      });
    }
    const vspec = validationSpecFromCli(opts);
    const makeValidation = vspec === null ? null : await prepareValidation(vspec, data);
    const csr = toCsr(data);
    const validation = makeValidation === null ? undefined : makeValidation(csr);
    const bar = new TrainProgressBar(Boolean(opts.quiet) || Boolean(opts.json));
    const epochs: EpochSummary[] = [];
    let report: TrainReport | undefined;
    const t0 = performance.now();
    const controller = new AbortController();
    const onSigint = (): void => controller.abort();
    process.once('SIGINT', onSigint);
    let model;
    try {
      model = await family.fit(csr, options, {
        onProgress: (p) => bar.update(p),
        onEpoch: (s) => {
          epochs.push(s);
          if (!opts.json && !opts.quiet) {
            bar.stop();
            const v = s.validation === undefined ? '' : `, validation ${Object.entries(s.validation).map(([k, x]) => `${k} ${x.toFixed(4)}`).join(' ')}`;
            process.stderr.write(`epoch ${s.epoch}: loss ${s.loss.toFixed(5)}, ${Math.round(s.perSecond)}/s, ${s.seconds.toFixed(1)} s${v}\n`);
          }
        },
        onDone: (r) => {
          report = r;
        },
        signal: controller.signal,
        ...(validation === undefined ? {} : { validation }),
      });
    } finally {
      bar.stop();
      process.off('SIGINT', onSigint);
    }
    const seconds = (performance.now() - t0) / 1000;
    const meta = {
      lrmlVersion: '0.1.0',
      data: String(opts.data),
      trainedAt: new Date().toISOString(),
      seconds,
      loadSummary: data.summary,
      epochs: epochs.map((e) => ({ epoch: e.epoch, loss: e.loss, seconds: e.seconds, validation: e.validation })),
      bestEpoch: report?.bestEpoch,
    };
    await saveModel(String(opts.out), { model, users: data.users, items: data.items, meta, seen: csr });
    let written: WrittenReport | null = null;
    if (opts.report !== undefined) {
      // loaded on demand: the plotting stack (vega) takes a few hundred ms to import
      const { trainingReport } = await import('../../report/training.js');
      const { writeReport } = await import('../../report/html.js');
      const trainReport: TrainReport = report ?? { epochs, bestEpoch: epochs.at(-1)?.epoch ?? 0, stoppedEarly: false, seconds };
      const r = await trainingReport({
        kind,
        options: options as Record<string, unknown>,
        report: trainReport,
        data: { file: String(opts.data), users: csr.numRows, items: csr.numCols, interactions: csr.nnz, summary: data.summary as unknown as Record<string, unknown> },
        ...(vspec === null ? {} : { validation: describeValidation(vspec) }),
        modelFile: String(opts.out),
        footer: `Written by lrml 0.1.0 (lrml train); model saved to ${String(opts.out)}.`,
      });
      written = await writeReport(String(opts.report), r);
    }
    const summary = {
      model: kind, out: String(opts.out), users: csr.numRows, items: csr.numCols, interactions: csr.nnz,
      epochs: epochs.length, bestEpoch: report?.bestEpoch, validation: report?.bestValidation ?? null, seconds, options,
      report: written === null ? null : written.index,
    };
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } else {
      const v = report?.bestValidation;
      const head = ['model', 'users', 'items', 'interactions', 'epochs', 'best epoch', ...(v ? Object.keys(v) : []), 'seconds'];
      const row = [kind, csr.numRows, csr.numCols, csr.nnz, epochs.length, report?.bestEpoch ?? epochs.length, ...(v ? Object.values(v) : []), seconds];
      process.stdout.write(`${formatTable([head, row])}\nsaved ${String(opts.out)}\n`);
      if (written !== null) process.stdout.write(`report written to ${written.index}\n`);
    }
    if (written !== null && written.png.unavailable !== null && opts.quiet !== true) process.stderr.write(`report: no PNG copies (${written.png.unavailable}); SVG figures written\n`);
  });
}
