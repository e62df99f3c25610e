// The fold-in queue: CPU-heavy synchronous jobs run one at a time, each in its own event-loop turn
// (setImmediate), so the cheap requests (GET) that arrive meanwhile are answered between two jobs.

import { HttpError } from './http-error.js';

/** When a queued job must start by, and whether its client has gone. */
export interface JobOptions {
  /** performance.now() time by which the job must have started (else 503 TIMEOUT). */
  deadline: number;
  /** The request's abort signal: a job whose client has gone is dropped (ABORTED) instead of run. */
  signal?: AbortSignal;
}

interface Job {
  run: () => void;
  fail: (e: Error) => void;
  opts: JobOptions;
}

/**
 * Runs synchronous jobs one at a time, each in a new event-loop turn, with at most `maxWaiting`
 * waiting behind the next one: a job beyond that is refused at once with 503 `BUSY` and a Retry-After header (seconds,
 * estimated from the mean job time); a job that cannot start before its deadline is refused with
 * 503 `TIMEOUT`; a job whose client disconnected is dropped with `ABORTED`.
 *
 * @example
 * ```ts
 * const q = new JobQueue(32);
 * const r = await q.run(() => recommendForItems(m, items), { deadline: performance.now() + 10000 });
 * ```
 */
export class JobQueue {
  private readonly waiting: Job[] = [];
  private busy = false;
  /** Exponential moving mean of a job's duration in ms (for Retry-After). */
  private meanMs = 100;

  /**
   * @param maxWaiting most jobs waiting behind the next one
   * @param turnsBetween empty event-loop turns between two jobs (default 8): Node accepts one new
   *   connection per turn, so these let connections that arrived during a job in (cheap when idle)
   * @param hold while it returns true no job starts (the server holds them while it accepts the
   *   connections of its backlog on close)
   */
  constructor(
    readonly maxWaiting: number,
    readonly turnsBetween = 8,
    private readonly hold: () => boolean = () => false,
  ) {}

  /** Jobs waiting (not counting the one running). */
  get length(): number {
    return this.waiting.length;
  }

  /** Seconds a client should wait before retrying: the time to work through the queue, at least 1. */
  retryAfter(): number {
    return Math.max(1, Math.ceil(((this.waiting.length + 1) * this.meanMs) / 1000));
  }

  /** Throws 503 BUSY (with Retry-After) when the queue is full: lets a caller refuse before reading a request body. */
  refuseIfFull(): void {
    // jobs run inside one event-loop turn, so none is running now: one is about to, the rest wait
    if (this.waiting.length >= this.maxWaiting + 1) {
      const s = this.retryAfter();
      throw new HttpError('BUSY', `the server is busy: ${this.maxWaiting} fold-ins are waiting (the limit) behind the one about to run; retry in ${s} s`, { 'Retry-After': String(s) });
    }
  }

  /** Queues `fn`; resolves with its result, or rejects with BUSY / TIMEOUT / ABORTED or fn's error. */
  run<T>(fn: () => T, opts: JobOptions): Promise<T> {
    try {
      this.refuseIfFull();
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({
        run: () => {
          const t0 = performance.now();
          try {
            resolve(fn());
          } catch (e) {
            reject(e);
          } finally {
            this.meanMs = 0.8 * this.meanMs + 0.2 * (performance.now() - t0);
          }
        },
        fail: reject,
        opts,
      });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.busy || this.waiting.length === 0) return;
    this.busy = true;
    // new turns: I/O that arrived meanwhile (GET requests, new connections) is handled before the next job
    let turns = this.turnsBetween;
    const next = (): void => {
      if (turns-- > 0 || this.hold()) {
        setImmediate(next);
        return;
      }
      const job = this.waiting.shift();
      if (job !== undefined) {
        if (job.opts.signal?.aborted === true) {
          job.fail(new HttpError('ABORTED', 'the client closed the connection while its fold-in was waiting'));
        } else if (performance.now() > job.opts.deadline) {
          const s = this.retryAfter();
          job.fail(new HttpError('TIMEOUT', `the request could not be answered within the time limit (the fold-in queue was too long); retry in ${s} s`, { 'Retry-After': String(s) }));
        } else {
          job.run();
        }
      }
      this.busy = false;
      this.schedule();
    };
    setImmediate(next);
  }
}
