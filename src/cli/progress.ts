import cliProgress from 'cli-progress';
import type { TrainProgress } from '../models/types.js';

/** Formats a count compactly: 1234567 → "1.23M". */
export function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return `${Math.round(n)}`;
}

/**
 * Seconds left for the whole training (all epochs), from the time spent so far and the share of
 * the work done; null before anything is done. Time between epochs (validation) counts too.
 *
 * @example
 * ```ts
 * overallEta(60, { epoch: 2, epochs: 10, done: 50, total: 100 }); // 340: 1.5 of 10 epochs in 60 s
 * ```
 */
export function overallEta(elapsedSeconds: number, p: Pick<TrainProgress, 'epoch' | 'epochs' | 'done' | 'total'>): number | null {
  if (p.epochs <= 0 || p.total <= 0) return null;
  const fraction = (p.epoch - 1 + Math.min(1, p.done / p.total)) / p.epochs;
  if (!(fraction > 0) || elapsedSeconds <= 0) return null;
  return Math.max(0, (elapsedSeconds * (1 - fraction)) / fraction);
}

/**
 * A duration for people: 42 → "42s", 200 → "3m20s", 7384 → "2h03m".
 *
 * @example
 * ```ts
 * formatDuration(200); // '3m20s'
 * ```
 */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * A training progress bar on stderr (epoch, loss, triplets/s, ETA of the epoch and of the whole
 * training); silent when stderr is not a terminal or when `quiet`, so JSON output on stdout stays
 * clean.
 */
export class TrainProgressBar {
  private bar: cliProgress.SingleBar | null = null;
  private epoch = -1;
  private readonly started = performance.now();
  constructor(private readonly quiet = false, private readonly unit = 'triplets') {}

  update(p: TrainProgress): void {
    if (this.quiet || !process.stderr.isTTY) return;
    const total = formatDuration(overallEta((performance.now() - this.started) / 1000, p));
    if (this.bar === null || this.epoch !== p.epoch) {
      this.bar?.stop();
      this.epoch = p.epoch;
      this.bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: `epoch {epoch}/{epochs} [{bar}] {percentage}% | loss {loss} | {rate} ${this.unit}/s | ETA {eta_formatted} | all epochs {total}`,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(Math.max(1, p.total || 1), 0, { epoch: p.epoch, epochs: p.epochs, loss: '-', rate: '-', total });
    }
    if (p.total > 0) this.bar.setTotal(p.total);
    this.bar.update(p.done, { epoch: p.epoch, epochs: p.epochs, loss: p.loss.toFixed(4), rate: compact(p.perSecond), total });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

/**
 * Prints a simple aligned table (first row = header) to a string: the first column and the columns
 * listed in `leftAligned` (text such as titles) aligned left, the others right.
 *
 * @example
 * ```ts
 * formatTable([['rank', 'item', 'title'], [1, '260', 'Star Wars (1977)']], [2]);
 * ```
 */
export function formatTable(rows: (string | number)[][], leftAligned: readonly number[] = []): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? (Number.isInteger(c) ? String(c) : c.toFixed(4)) : c)));
  const widths = cells[0].map((_, j) => Math.max(...cells.map((r) => (r[j] ?? '').length)));
  const last = widths.length - 1;
  const line = (r: string[]): string => r.map((c, j) => (j === 0 || leftAligned.includes(j) ? (j === last ? c : c.padEnd(widths[j])) : c.padStart(widths[j]))).join('  ');
  const out = [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)];
  return out.join('\n');
}
