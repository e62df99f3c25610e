import { LrmlError } from '../errors.js';
import type { CheckpointIdentity, EpochAttention, EpochSummary, Recommender, TrainCheckpoint, TrainHooks, TrainProgress, TrainReport } from '../models/types.js';
import { checkResumable } from './checkpoint.js';

/** One model's training, seen epoch by epoch by {@link trainEpochs}. */
export interface EpochRunner<Snapshot> {
  /** Examples per epoch (triplets, or rows for ALS), for progress totals. */
  readonly epochSize: number;
  /** Trains one epoch; resolves to the summed loss and the number of examples it covered. */
  runEpoch(epoch: number, onProgress: (done: number, loss: number) => void, signal?: AbortSignal): Promise<{ loss: number; count: number }>;
  /** The model as trained so far (parameters synced). */
  model(): Recommender;
  /** A copy of the current weights (for keeping the best). */
  snapshot(): Snapshot;
  /** Puts a snapshot back. */
  restore(s: Snapshot): void;
  /** The attention statistics of the model as it is after an epoch (LRML), recorded in the epoch's summary. */
  attention?(): EpochAttention;
  /** Checkpoints: how a runner saves and restores its whole state (absent: checkpoints refused). */
  checkpoint?: RunnerCheckpoint<Snapshot>;
}

/**
 * The checkpoint side of an {@link EpochRunner}: what identifies the training, the runner's
 * state after an epoch (copies), and the way back.
 *
 * @example
 * ```ts
 * const ck: RunnerCheckpoint<Params> = { identity, save: () => ({ state: {}, tensors: { P: P.slice() } }), load: (s) => P.set(s.tensors.P), ... };
 * ```
 */
export interface RunnerCheckpoint<Snapshot> {
  /** Kind, options, data fingerprint (computed when first asked). */
  identity(): CheckpointIdentity;
  /** The state after the epoch just finished (copies, not views). */
  save(): { state: Record<string, unknown>; tensors: Record<string, Float32Array | Int32Array> };
  /** Puts a saved state back (before the next epoch runs). */
  load(s: { state: Record<string, unknown>; tensors: Record<string, Float32Array | Int32Array> }): void | Promise<void>;
  /** A best-weights snapshot as tensors, and back. */
  snapshotTensors(s: Snapshot): Record<string, Float32Array | Int32Array>;
  snapshotFromTensors(t: Record<string, Float32Array | Int32Array>): Snapshot;
}

/** Prefix of the best-weights tensors in a checkpoint. */
const BEST = 'best.';


/** A monotonic clock in seconds that works in Node and browsers. */
export function nowSeconds(): number {
  return performance.now() / 1000;
}

/**
 * Runs `epochs` epochs of `runner` with progress, NaN/Inf detection (DIVERGED naming the epoch),
 * cancellation (CANCELLED), validation every E epochs with best-weight keeping and early stopping.
 *
 * @example
 * ```ts
 * const report = await trainEpochs(runner, 20, { onEpoch: (s) => console.log(s.epoch, s.loss) });
 * ```
 */
export async function trainEpochs<S>(runner: EpochRunner<S>, epochs: number, hooks: TrainHooks = {}): Promise<TrainReport> {
  const t0 = nowSeconds();
  const summaries: EpochSummary[] = [];
  const val = hooks.validation;
  const every = val?.every ?? 1;
  const monitor = val?.monitor ?? 'ndcg@10';
  const patience = val?.patience ?? Infinity;
  if (val !== undefined && (!Number.isInteger(every) || every <= 0)) {
    throw new LrmlError('BAD_OPTION', `invalid validation every: ${every} (expected a positive integer)`);
  }
  const ckc = hooks.checkpoint;
  const rc = runner.checkpoint;
  if ((ckc !== undefined || hooks.resume !== undefined) && rc === undefined) {
    throw new LrmlError('BAD_OPTION', 'checkpoints and resume are not supported by this training (lrml, cml and ials support them)');
  }
  if (ckc !== undefined && (!Number.isInteger(ckc.every) || ckc.every <= 0)) {
    throw new LrmlError('BAD_OPTION', `invalid checkpoint every: ${ckc.every} (expected a positive integer number of epochs)`);
  }
  const valSettings = val === undefined ? null : { every, monitor, patience: Number.isFinite(patience) ? patience : null };
  let best: { score: number; epoch: number; snap: S; metrics: Record<string, number> } | null = null;
  let sinceBest = 0;
  let stoppedEarly = false;
  let lastEpoch = 0;
  let first = 1;
  if (hooks.resume !== undefined && rc !== undefined) {
    const c = hooks.resume;
    checkResumable(c, rc.identity(), valSettings, epochs);
    await rc.load(c);
    summaries.push(...c.epochs);
    if (c.best !== null) {
      const bestTensors: Record<string, Float32Array | Int32Array> = {};
      for (const [name, t] of Object.entries(c.tensors)) if (name.startsWith(BEST)) bestTensors[name.slice(BEST.length)] = t;
      const snap = c.best.epoch === c.epoch ? runner.snapshot() : rc.snapshotFromTensors(bestTensors);
      best = { score: c.best.score, epoch: c.best.epoch, snap, metrics: c.best.metrics };
    }
    sinceBest = c.sinceBest;
    lastEpoch = c.epoch;
    first = c.epoch + 1;
    if (best !== null && sinceBest >= patience) {
      stoppedEarly = c.epoch < epochs;
      first = epochs + 1;
    }
  }
  // the last finished epoch's state when it is not saved yet (Ctrl-C saves it)
  let pending: { c: TrainCheckpoint } | null = null;
  const capture = (epoch: number): TrainCheckpoint => {
    const r = (rc as RunnerCheckpoint<S>).save();
    const tensors = { ...r.tensors };
    if (best !== null && best.epoch !== epoch) {
      for (const [name, t] of Object.entries(rc!.snapshotTensors(best.snap))) tensors[BEST + name] = t.slice();
    }
    return {
      identity: rc!.identity(), validation: valSettings, epoch, epochs: summaries.slice(),
      best: best === null ? null : { score: best.score, epoch: best.epoch, metrics: best.metrics },
      sinceBest, state: r.state, tensors,
    };
  };
  for (let epoch = first; epoch <= epochs; epoch++) {
    let loss: number;
    let count: number;
    const te = nowSeconds();
    try {
      if (hooks.signal?.aborted) throw new LrmlError('CANCELLED', `training cancelled before epoch ${epoch}`);
      const report = (done: number, l: number, total: number): void => {
        if (hooks.onProgress === undefined) return;
        const el = nowSeconds() - te;
        const p: TrainProgress = { epoch, epochs, done, total, loss: done > 0 ? l / done : 0, perSecond: el > 0 ? done / el : 0 };
        hooks.onProgress(p);
      };
      ({ loss, count } = await runner.runEpoch(epoch, (done, l) => report(done, l, runner.epochSize), hooks.signal));
      report(count, loss, count);
    } catch (e) {
      if (e instanceof LrmlError && e.code === 'CANCELLED' && ckc !== undefined && pending !== null) {
        await ckc.save(pending.c);
        pending = null;
      }
      throw e;
    }
    const seconds = nowSeconds() - te;
    const mean = count > 0 ? loss / count : 0;
    if (!Number.isFinite(mean)) {
      throw new LrmlError('DIVERGED', `training diverged in epoch ${epoch}: loss is ${mean} (try a lower learningRate or clipping)`);
    }
    lastEpoch = epoch;
    const summary: EpochSummary = { epoch, loss: mean, seconds, perSecond: seconds > 0 ? count / seconds : 0 };
    const attention = runner.attention?.();
    if (attention !== undefined) summary.attention = attention;
    if (val !== undefined && (epoch % every === 0 || epoch === epochs)) {
      const metrics = await val.evaluate(runner.model(), epoch);
      summary.validation = metrics;
      const score = metrics[monitor];
      if (score === undefined || Number.isNaN(score)) {
        throw new LrmlError('BAD_OPTION', `validation metric "${monitor}" not found (have: ${Object.keys(metrics).join(', ')})`);
      }
      if (best === null || score > best.score) {
        best = { score, epoch, snap: runner.snapshot(), metrics };
        sinceBest = 0;
      } else {
        sinceBest++;
      }
    }
    summaries.push(summary);
    if (ckc !== undefined) {
      pending = { c: capture(epoch) };
      if (epoch % ckc.every === 0) {
        await ckc.save(pending.c);
        pending = null; // saved: its copies are not kept
      }
    }
    await hooks.onEpoch?.(summary);
    if (best !== null && sinceBest >= patience) {
      stoppedEarly = epoch < epochs;
      break;
    }
  }
  let bestEpoch = lastEpoch;
  if (best !== null && best.epoch !== lastEpoch) {
    runner.restore(best.snap);
    bestEpoch = best.epoch;
  }
  const out: TrainReport = { epochs: summaries, bestEpoch, stoppedEarly, seconds: nowSeconds() - t0 };
  if (best !== null) out.bestValidation = best.metrics;
  hooks.onDone?.(out);
  return out;
}
