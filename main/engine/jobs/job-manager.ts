import { randomUUID } from 'node:crypto';
import type { JobKind, JobProgress } from '../../../shared/types';
import type { JobFinished } from '../../../shared/events';
import { toErrorPayload } from '../errors';

/** What a running job gets: its cancel signal and a way to report progress. */
export interface JobContext {
  readonly jobId: string;
  readonly signal: AbortSignal;
  progress(stage: string, done: number, total: number, message?: string): void;
}

export interface JobHandle<T> {
  readonly jobId: string;
  readonly kind: JobKind;
  /** Settles when the job ends; never rejects (failures are in the status). */
  readonly done: Promise<JobFinished & { result?: T }>;
  cancel(): void;
}

interface Listeners {
  progress(p: JobProgress): void;
  finished(f: JobFinished): void;
}

/**
 * Runs long work (import, codes, training, export) with an AbortSignal, progress
 * with rate and ETA, and a status result: finished, cancelled or failed. Errors are
 * never lost: they end up in the job's status for whoever listens.
 */
export class JobManager {
  private readonly running = new Map<string, { controller: AbortController; kind: JobKind; done: Promise<unknown> }>();

  constructor(private readonly listeners: Listeners) {}

  start<T>(kind: JobKind, work: (ctx: JobContext) => Promise<T>): JobHandle<T> {
    const jobId = `${kind}-${randomUUID().slice(0, 8)}`;
    const controller = new AbortController();
    const rate = new RateMeter();
    let lastEmit = 0;
    const ctx: JobContext = {
      jobId,
      signal: controller.signal,
      progress: (stage, done, total, message) => {
        const now = Date.now();
        rate.add(stage, done, total, now);
        // At most ~10 events a second, but always the last one of a stage.
        if (now - lastEmit < 100 && done < total) return;
        lastEmit = now;
        const r = rate.rate();
        this.listeners.progress({
          jobId,
          kind,
          stage,
          done,
          total,
          rate: r,
          etaSeconds: r > 0 && total >= done ? (total - done) / r : null,
          message,
        });
      },
    };
    const done = (async () => {
      let finished: JobFinished & { result?: T };
      try {
        const result = await work(ctx);
        finished = controller.signal.aborted
          ? { jobId, kind, status: 'cancelled', result }
          : { jobId, kind, status: 'finished', result };
      } catch (err) {
        const payload = toErrorPayload(err);
        finished =
          controller.signal.aborted || payload.code === 'cancelled'
            ? { jobId, kind, status: 'cancelled' }
            : { jobId, kind, status: 'failed', error: payload };
      } finally {
        this.running.delete(jobId);
      }
      this.listeners.finished(finished);
      return finished;
    })();
    this.running.set(jobId, { controller, kind, done });
    return { jobId, kind, done, cancel: () => controller.abort() };
  }

  cancel(jobId: string): boolean {
    const job = this.running.get(jobId);
    if (!job) return false;
    job.controller.abort();
    return true;
  }

  isRunning(kind?: JobKind): boolean {
    if (!kind) return this.running.size > 0;
    for (const j of this.running.values()) if (j.kind === kind) return true;
    return false;
  }

  /** Cancels everything and waits until every job has ended. */
  async shutdown(): Promise<void> {
    for (const j of this.running.values()) j.controller.abort();
    await this.waitForIdle();
  }

  /** Resolves once no job is running (tests use it). */
  async waitForIdle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running.values()].map((j) => j.done));
  }
}

/**
 * Items per second over the last few seconds of one pass. A stage can count several passes
 * (codes: one per backbone, each from 0 to its own total), so a count that goes back or a
 * new total starts a new pass; measuring across it would give a negative rate.
 */
export class RateMeter {
  private stage = '';
  private total = -1;
  private samples: Array<{ t: number; done: number }> = [];

  add(stage: string, done: number, total: number, t: number): void {
    const last = this.samples[this.samples.length - 1];
    if (stage !== this.stage || total !== this.total || (last && done < last.done)) {
      this.stage = stage;
      this.total = total;
      this.samples = [];
    }
    this.samples.push({ t, done });
    while (this.samples.length > 2 && t - this.samples[0].t > 5000) this.samples.shift();
  }

  rate(): number {
    if (this.samples.length < 2) return 0;
    const a = this.samples[0];
    const b = this.samples[this.samples.length - 1];
    return b.t > a.t ? ((b.done - a.done) * 1000) / (b.t - a.t) : 0;
  }
}
