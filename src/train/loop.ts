import { LrmlError } from '../errors.js';
import type { EpochAttention, EpochSummary, Recommender, TrainHooks, TrainProgress, TrainReport } from '../models/types.js';

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
}


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
  let best: { score: number; epoch: number; snap: S; metrics: Record<string, number> } | null = null;
  let sinceBest = 0;
  let stoppedEarly = false;
  let lastEpoch = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    if (hooks.signal?.aborted) throw new LrmlError('CANCELLED', `training cancelled before epoch ${epoch}`);
    const te = nowSeconds();
    const report = (done: number, loss: number, total: number): void => {
      if (hooks.onProgress === undefined) return;
      const el = nowSeconds() - te;
      const p: TrainProgress = { epoch, epochs, done, total, loss: done > 0 ? loss / done : 0, perSecond: el > 0 ? done / el : 0 };
      hooks.onProgress(p);
    };
    const { loss, count } = await runner.runEpoch(epoch, (done, l) => report(done, l, runner.epochSize), hooks.signal);
    const seconds = nowSeconds() - te;
    const mean = count > 0 ? loss / count : 0;
    if (!Number.isFinite(mean)) {
      throw new LrmlError('DIVERGED', `training diverged in epoch ${epoch}: loss is ${mean} (try a lower learningRate or clipping)`);
    }
    report(count, loss, count);
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
