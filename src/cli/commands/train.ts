import { mkdir, rm } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { toCsr, loadInteractions } from '../../data/load.js';
import { LrmlError, relabelOption } from '../../errors.js';
import { checkOutputFile } from '../../fs-atomic.js';
import { LRML_VERSION } from '../../version.js';
import { requireReportPackages } from '../report-deps.js';
import { loadModel, saveModel } from '../../io/model-file.js';
import { readCheckpoint, writeCheckpoint } from '../../io/checkpoint-file.js';
import { growIdMaps, prepareUpdate, type UpdatePlan } from '../../train/incremental.js';
import type { EpochSummary, FamilyFlag, ModelFamily, TrainCheckpoint, TrainHooks, TrainReport } from '../../models/types.js';
import type { Interactions } from '../../data/types.js';
import { resolveNegativeSharing, type TripletOptions } from '../../models/triplet.js';
import { getFamily, modelKinds } from '../../train/families.js';
import type { WrittenReport } from '../../report/html.js';
import { addDataOptions, dataOptionsFrom } from '../data-options.js';
import { addValidationOptions, prepareValidation, validationSpecFromCli } from '../validation.js';
import type { ValidationSpec } from '../validation.js';
import { checkEpochs, checkTrainingMemory } from '../limits.js';
import { collectSet, parseInteger, parseIntegerOrAuto, parseNumber, parseSize } from '../options.js';
import { TrainProgressBar, formatDuration, formatTable, overallEta } from '../progress.js';
import { summaryText } from './info.js';

/** The model-option flags of every registered family (a flag declared by several is added once), with commander's attribute name. */
function registeredFlags(): { flag: FamilyFlag; attribute: string }[] {
  const seen = new Set<string>();
  const out: { flag: FamilyFlag; attribute: string }[] = [];
  for (const kind of modelKinds()) {
    for (const flag of getFamily(kind).flags ?? []) {
      if (seen.has(flag.flag)) continue;
      seen.add(flag.flag);
      out.push({ flag, attribute: new Option(flag.flag).attributeName() });
    }
  }
  return out;
}

/** Collects the model options the user gave on the command line (only those). */
export function modelOptionsFromCli(kind: string, opts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof opts.preset === 'string') {
    const presets = modelKinds().includes(kind) ? (getFamily(kind).presets ?? {}) : {};
    const p = presets[opts.preset];
    if (p === undefined) {
      const known = Object.keys(presets);
      throw new LrmlError('BAD_OPTION', `--preset: unknown preset "${opts.preset}" for ${kind} (known: ${known.length > 0 ? known.join(', ') : 'none'})`);
    }
    Object.assign(out, p.options);
  }
  for (const { flag, attribute } of registeredFlags()) {
    if (opts[attribute] !== undefined) out[flag.option] = opts[attribute];
  }
  Object.assign(out, (opts.set as Record<string, unknown> | undefined) ?? {});
  return out;
}

/**
 * Resolves the family's options from the command line; a refused option that was given by its
 * flag is named by that flag (`--attention-tau: -1 (…)`, not `invalid attentionTemperature`).
 *
 * @example
 * ```ts
 * const options = resolveCliOptions(getFamily('lrml'), 'lrml', { attentionTemperature: -1 }); // throws naming --attention-tau
 * ```
 */
export function resolveCliOptions(family: ModelFamily, kind: string, opts: Record<string, unknown>): Record<string, unknown> {
  const given = modelOptionsFromCli(kind, opts);
  try {
    return family.resolveOptions(given) as Record<string, unknown>;
  } catch (e) {
    if (!(e instanceof LrmlError) || e.option === undefined) throw e;
    const name = e.option.name;
    const hit = registeredFlags().find(({ flag, attribute }) => flag.option === name && opts[attribute] !== undefined);
    throw hit === undefined ? e : relabelOption(e, hit.flag.flag.split(' ')[0]);
  }
}

/** --preset's help: every family's named recipes. */
function presetHelp(): string {
  const parts: string[] = [];
  for (const kind of modelKinds()) {
    const names = Object.entries(getFamily(kind).presets ?? {}).map(([name, p]) => (p.description === undefined ? name : `${name} (${p.description})`));
    if (names.length > 0) parts.push(`${kind} ${names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : names[0]}`);
  }
  return `a named recipe: ${parts.join('; ')}`;
}

/** Adds the model-option flags shared by `train` and `tune`: those the registered families declare. */
export function addModelOptions(cmd: Command): Command {
  cmd.option('--preset <name>', presetHelp());
  for (const { flag } of registeredFlags()) {
    const name = flag.flag.split(' ')[0];
    if (flag.type === 'integer') cmd.option(flag.flag, flag.description, parseInteger(name));
    else if (flag.type === 'integer-or-auto') cmd.option(flag.flag, flag.description, parseIntegerOrAuto(name));
    else if (flag.type === 'number') cmd.option(flag.flag, flag.description, parseNumber(name));
    else cmd.option(flag.flag, flag.description);
  }
  return cmd.option('--set <key=value>', 'any other model option (repeatable), e.g. --set lambda=500', collectSet);
}

/**
 * The family `lrml train` trains: `--family`, or its older spelling `--model`, default lrml.
 * BAD_OPTION when both are given and disagree.
 *
 * @example
 * ```ts
 * familyFromCli({ model: 'cml' }); // 'cml'
 * ```
 */
export function familyFromCli(opts: Record<string, unknown>): string {
  const family = opts.family as string | undefined;
  const model = opts.model as string | undefined;
  if (family !== undefined && model !== undefined && family !== model) {
    throw new LrmlError('BAD_OPTION', `--family ${family} and --model ${model} disagree: give one (--model is the older spelling of --family)`);
  }
  return family ?? model ?? 'lrml';
}

/** A default for help text: strings as they are, other values as JSON. */
function showDefault(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * Appends each model flag's defaults to its help line, from the families' defaults: one value
 * when all kinds that have the option agree, else the value per kind (`default: 100 (lrml, cml),
 * 64 (bpr, ials)`).
 *
 * @example
 * ```ts
 * addDefaultsToHelp(addModelOptions(program.command('train')));
 * ```
 */
export function addDefaultsToHelp(cmd: Command): Command {
  const optionOf = new Map(registeredFlags().map(({ flag, attribute }) => [attribute, flag.option]));
  for (const opt of cmd.options) {
    const name = optionOf.get(opt.attributeName());
    if (opt.negate || name === undefined || /default/i.test(opt.description)) continue;
    const byValue = new Map<string, string[]>();
    for (const kind of modelKinds()) {
      const d = (getFamily(kind).defaults as Record<string, unknown>)[name];
      if (d === undefined) continue;
      const v = showDefault(d);
      byValue.set(v, [...(byValue.get(v) ?? []), kind]);
    }
    if (byValue.size === 0) continue;
    // one value shared by every kind that has the option: no need to list the kinds
    const parts = [...byValue].map(([v, kinds]) => (byValue.size === 1 ? v : `${v} (${kinds.join(', ')})`));
    opt.description = `${opt.description} (default: ${parts.join(', ')})`;
  }
  return cmd;
}

/** How validation was done, in words, for the training report. */
function describeValidation(spec: ValidationSpec): string {
  const what = spec.negatives !== undefined
    ? `${spec.negatives} (given negatives)`
    : `${spec.test ?? ''} (${(spec.sampled ?? 100) === 0 ? 'full ranking' : `${spec.sampled ?? 100} sampled negatives`})`;
  return `${what}; monitor ${spec.monitor ?? 'ndcg@10'}${spec.every !== undefined ? `, every ${spec.every} epochs` : ''}${spec.patience !== undefined ? `, patience ${spec.patience}` : ''}`;
}

/** The families whose trainings take --init-from. */
const TRIPLET_KINDS = ['lrml', 'cml'];
/** The families whose trainings take checkpoints. */
const CHECKPOINT_KINDS = ['lrml', 'cml', 'ials'];

/**
 * The checkpoint flags of `lrml train`, checked before any data is loaded: --checkpoint-every n
 * (the file: --checkpoint, kept; else `<out>.ckpt`, removed once the model is written) and
 * --resume (read here: a missing or foreign file fails now).
 *
 * @example
 * ```ts
 * const ck = await checkpointSettingsFromCli('cml', { out: 'm.lrml', checkpointEvery: 1 }); // file m.lrml.ckpt
 * ```
 */
export async function checkpointSettingsFromCli(kind: string, opts: Record<string, unknown>): Promise<{ every: number | null; file: string; resume: TrainCheckpoint | null }> {
  const every = opts.checkpointEvery as number | undefined;
  const file = opts.checkpoint === undefined ? `${String(opts.out)}.ckpt` : String(opts.checkpoint);
  if (every === undefined && opts.checkpoint !== undefined) throw new LrmlError('BAD_OPTION', '--checkpoint names the file of --checkpoint-every: give --checkpoint-every n too');
  if (every === undefined && opts.resume === undefined) return { every: null, file, resume: null };
  if (!CHECKPOINT_KINDS.includes(kind)) {
    throw new LrmlError('BAD_OPTION', `${every !== undefined ? '--checkpoint-every' : '--resume'}: checkpoints are supported for ${CHECKPOINT_KINDS.join(', ')}, not ${kind}`);
  }
  if (every !== undefined) {
    if (every < 1) throw new LrmlError('BAD_OPTION', `--checkpoint-every: ${every} is not a positive number of epochs`, undefined, { name: '--checkpoint-every', value: every, expected: 'an integer ≥ 1' });
    await checkOutputFile(file, '--checkpoint');
  }
  const resume = opts.resume === undefined ? null : await readCheckpoint(String(opts.resume));
  return { every: every ?? null, file, resume };
}

/** The model of --init-from (loaded now, so that a missing or bad file fails before the data loads), or null. */
async function initFromCli(kind: string, opts: Record<string, unknown>): Promise<Awaited<ReturnType<typeof loadModel>> | null> {
  if (opts.initFrom === undefined) {
    if (opts.replay !== undefined) throw new LrmlError('BAD_OPTION', '--replay goes with --init-from (the model whose training interactions are replayed)');
    return null;
  }
  if (!TRIPLET_KINDS.includes(kind)) throw new LrmlError('BAD_OPTION', `--init-from: supported for ${TRIPLET_KINDS.join(', ')}, not ${kind}`);
  return loadModel(String(opts.initFrom));
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
    .option('--family <kind>', `model family: ${modelKinds().join(' | ')} (default: lrml)`)
    .addOption(new Option('--model <kind>', 'older spelling of --family').hideHelp())
    .requiredOption('--out <file>', 'model file to write')
    .option('--report <dir>', 'also write a training report to this folder: index.html (self-contained), learning curves as SVG (+ PNG), data.json')
    .option('--json', 'print a JSON summary on stdout')
    .option('--quiet', 'no progress bar')
    .option('--checkpoint-every <n>', 'lrml, cml, ials: save the whole training state every n epochs to --checkpoint (atomic); Ctrl-C saves the last finished epoch', parseInteger('--checkpoint-every'))
    .option('--checkpoint <file>', 'checkpoint file of --checkpoint-every, kept after the training (default: <out>.ckpt, removed once the model is written)')
    .option('--resume <file>', 'continue the training saved in this checkpoint: same options and --data (refused otherwise); with threads 1 the model is the same as without the interruption')
    .option('--init-from <model>', 'lrml, cml: start from this trained model (an incremental update: --data holds the new interactions; users and items the model lacks get fresh rows; a cml model may start an lrml one)')
    .option('--replay <fraction>', 'with --init-from: also train on this seeded fraction of the model\'s stored training interactions (default 0)', parseNumber('--replay'))
    .option('--no-seen', 'do not store the training interactions in the model file (smaller; recommend then cannot leave out seen items unless given --seen-data or --include-seen)')
    .option('--max-memory <size>', 'refuse to start a training estimated to need more memory than this, e.g. 8G (default: 80% of this machine\'s memory)', parseSize('--max-memory'));
  addModelOptions(cmd);
  addDefaultsToHelp(cmd);
  addValidationOptions(cmd);
  addDataOptions(cmd);
  cmd.action(async (opts: Record<string, unknown>) => {
    const kind = familyFromCli(opts);
    const family = getFamily(kind);
    const options = resolveCliOptions(family, kind, opts);
    checkEpochs(options as Record<string, unknown>);
    // fail before loading and training, not after, when the model cannot be written
    await checkOutputFile(String(opts.out), '--out');
    const ck = await checkpointSettingsFromCli(kind, opts);
    const initFrom = await initFromCli(kind, opts);
    let data: Interactions | undefined = await loadInteractions(String(opts.data), dataOptionsFrom(opts));
    if (opts.report !== undefined) {
      // fail before training, not after it, when the report folder cannot be made or the charts cannot be drawn
      await requireReportPackages('--report');
      await mkdir(String(opts.report), { recursive: true }).catch((e: Error) => {
        throw new LrmlError('WRITE_FAILED', `--report: cannot create folder ${String(opts.report)}: ${e.message}`);
      });
    }
    const vspec = validationSpecFromCli(opts);
    // an update: validation ids map through the grown maps, and ranks exclude every seen item
    const maps = initFrom === null ? null : growIdMaps(initFrom, data);
    const makeValidation = vspec === null ? null : await prepareValidation(vspec, maps === null ? data : { ...data, ...maps });
    const plan: UpdatePlan | null = initFrom === null || maps === null ? null : prepareUpdate(initFrom, data, { replay: opts.replay as number | undefined, seed: (options as { seed?: number }).seed ?? 0, maps });
    const csr = plan === null ? toCsr(data) : plan.data;
    const { summary: loadSummary } = data;
    const users = plan === null ? data.users : plan.users;
    const items = plan === null ? data.items : plan.items;
    const newInteractions = data.user.length;
    // the interaction columns (users, items, ratings, timestamps) are not needed past the CSR: let
    // them be freed before training (at 100M interactions they are over 1 GB; issue #18)
    data = undefined;
    checkTrainingMemory(kind, { numUsers: csr.numRows, numItems: csr.numCols, nnz: csr.nnz }, options as Record<string, unknown>, opts.maxMemory as number | undefined);
    // which columns were read and which ignored, where every line went (stderr: stdout is the
    // result; after the checks, so that a refusal is the first line)
    if (opts.quiet !== true) process.stderr.write(`${summaryText(loadSummary)}\n`);
    if (opts.quiet !== true && ck.resume !== null) {
      process.stderr.write(`resuming ${String(opts.resume)}: epoch ${ck.resume.epoch} of ${(options as { epochs?: number }).epochs ?? '?'} done\n`);
    }
    if (opts.quiet !== true && (kind === 'lrml' || kind === 'cml') && (options as Partial<TripletOptions>).negativeSharing === 'auto') {
      const o = options as unknown as TripletOptions;
      const g = resolveNegativeSharing(o, csr.numCols);
      const who = o.shareWithin === 'user' ? `each user's positives in blocks of ${g} share a draw of ${o.negatives}` : `each ${g} positives in a row share their draws`;
      const instead = kind === 'lrml' && o.shareWithin === 'user' ? '--preset per-positive: 20 for each positive' : '1 = each its own';
      if (g > 1) process.stderr.write(`negatives: ${who} (--negative-sharing auto on ${csr.numCols} items; ${instead})\n`);
    }
    if (opts.quiet !== true && plan !== null) {
      process.stderr.write(`update of ${String(opts.initFrom)}: ${plan.newUsers} new users, ${plan.newItems} new items, ${newInteractions} new interactions${plan.replayed > 0 ? ` + ${plan.replayed} replayed` : ''}\n`);
    }
    const validation = makeValidation === null ? undefined : makeValidation(plan === null ? csr : plan.seen);
    const bar = new TrainProgressBar(Boolean(opts.quiet) || Boolean(opts.json));
    const epochs: EpochSummary[] = [...(ck.resume?.epochs ?? [])];
    let report: TrainReport | undefined;
    const t0 = performance.now();
    const controller = new AbortController();
    const onSigint = (): void => controller.abort();
    process.once('SIGINT', onSigint);
    let model;
    let savedEpoch: number | null = null;
    const extra: TrainHooks = {};
    if (ck.resume !== null) extra.resume = ck.resume;
    if (plan !== null) extra.initFrom = plan.initFrom;
    if (ck.every !== null) {
      const every = ck.every;
      extra.checkpoint = {
        every,
        save: async (c) => {
          await writeCheckpoint(ck.file, c);
          savedEpoch = c.epoch;
        },
      };
    }
    try {
      model = await family.fit(csr, options, {
        ...extra,
        onProgress: (p) => bar.update(p),
        // on stderr even with --quiet / --json: the training runs otherwise than asked, or slower
        onWarning: (m) => {
          bar.stop();
          process.stderr.write(`warning: ${m}\n`);
        },
        onEpoch: (s) => {
          epochs.push(s);
          if (!opts.json && !opts.quiet) {
            bar.stop();
            const v = s.validation === undefined ? '' : `, validation ${Object.entries(s.validation).map(([k, x]) => `${k} ${x.toFixed(4)}`).join(' ')}`;
            const planned = (options as { epochs?: number }).epochs ?? 0;
            const left = s.epoch < planned ? `, about ${formatDuration(overallEta((performance.now() - t0) / 1000, { epoch: s.epoch, epochs: planned, done: 1, total: 1 }))} left for ${planned - s.epoch} more epoch${planned - s.epoch === 1 ? '' : 's'}` : '';
            const a = s.attention === undefined ? '' : `, attention entropy ${s.attention.meanNormalizedEntropy.toFixed(5)} logit range ${s.attention.meanLogitRange.toFixed(3)} (max ${s.attention.maxLogitRange.toFixed(3)}) r spread ${(100 * s.attention.relationSpread).toFixed(1)}%${s.attention.slotCosine === undefined ? '' : ` slot |cos| keys ${s.attention.slotCosine.keys.toFixed(3)} values ${s.attention.slotCosine.values.toFixed(3)}`}${s.attention.historyEntropy === undefined ? '' : ` history entropy ${s.attention.historyEntropy.toFixed(4)}`}`;
            process.stderr.write(`epoch ${s.epoch}: loss ${s.loss.toFixed(5)}, ${Math.round(s.perSecond)}/s, ${s.seconds.toFixed(1)} s${v}${a}${left}\n`);
          }
        },
        onDone: (r) => {
          report = r;
        },
        signal: controller.signal,
        ...(validation === undefined ? {} : { validation }),
      });
    } catch (e) {
      if (e instanceof LrmlError && e.code === 'CANCELLED' && savedEpoch !== null) {
        throw new LrmlError('CANCELLED', `${e.message}; the checkpoint of epoch ${savedEpoch} is in ${ck.file}: continue with the same command and --resume ${ck.file}`);
      }
      throw e;
    } finally {
      bar.stop();
      process.off('SIGINT', onSigint);
    }
    const seconds = (performance.now() - t0) / 1000;
    const meta = {
      lrmlVersion: LRML_VERSION,
      data: String(opts.data),
      trainedAt: new Date().toISOString(),
      seconds,
      loadSummary,
      epochs: epochs.map((e) => ({ epoch: e.epoch, loss: e.loss, seconds: e.seconds, validation: e.validation })),
      bestEpoch: report?.bestEpoch,
      ...(plan === null ? {} : { initFrom: String(opts.initFrom), replayed: plan.replayed }),
      ...(ck.resume === null ? {} : { resumedFrom: { file: String(opts.resume), epoch: ck.resume.epoch } }),
      // recommend refuses to pretend it left out seen items it does not have
      ...(opts.seen === false ? { seenOmitted: true } : {}),
    };
    await saveModel(String(opts.out), { model, users, items, meta, seen: opts.seen === false ? null : plan === null ? csr : plan.seen });
    // the training finished and its model is written: the default <out>.ckpt has served (a file
    // named with --checkpoint was asked for, and is kept)
    if (savedEpoch !== null && opts.checkpoint === undefined) {
      await rm(ck.file, { force: true }).catch((e: Error) => process.stderr.write(`warning: could not remove the checkpoint ${ck.file}: ${e.message}\n`));
    }
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
        data: { file: String(opts.data), users: csr.numRows, items: csr.numCols, interactions: csr.nnz, summary: loadSummary as unknown as Record<string, unknown> },
        ...(vspec === null ? {} : { validation: describeValidation(vspec) }),
        modelFile: String(opts.out),
        footer: `Written by lrml ${LRML_VERSION} (lrml train); model saved to ${String(opts.out)}.`,
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
