import cliProgress from 'cli-progress';
import type { TrainProgress } from '../models/types.js';

/** Formats a count compactly: 1234567 → "1.23M". */
export function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return `${Math.round(n)}`;
}

/**
 * A training progress bar on stderr (epoch, loss, triplets/s, ETA); silent when stderr is
 * not a terminal or when `quiet`, so JSON output on stdout stays clean.
 */
export class TrainProgressBar {
  private bar: cliProgress.SingleBar | null = null;
  private epoch = -1;
  constructor(private readonly quiet = false, private readonly unit = 'triplets') {}

  update(p: TrainProgress): void {
    if (this.quiet || !process.stderr.isTTY) return;
    if (this.bar === null || this.epoch !== p.epoch) {
      this.bar?.stop();
      this.epoch = p.epoch;
      this.bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: `epoch {epoch}/{epochs} [{bar}] {percentage}% | loss {loss} | {rate} ${this.unit}/s | ETA {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(Math.max(1, p.total || 1), 0, { epoch: p.epoch, epochs: p.epochs, loss: '-', rate: '-' });
    }
    if (p.total > 0) this.bar.setTotal(p.total);
    this.bar.update(p.done, { epoch: p.epoch, epochs: p.epochs, loss: p.loss.toFixed(4), rate: compact(p.perSecond) });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

/** Prints a simple aligned table (first row = header) to a string. */
export function formatTable(rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? (Number.isInteger(c) ? String(c) : c.toFixed(4)) : c)));
  const widths = cells[0].map((_, j) => Math.max(...cells.map((r) => (r[j] ?? '').length)));
  const line = (r: string[]): string => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ');
  const out = [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)];
  return out.join('\n');
}
