import { randomUUID } from 'node:crypto';
import type { JobFinished, JobFinishedOf, JobKind, JobProgress, JobProgressOf, JobResult, JobStage, RunningJob } from '../../../shared/jobs';
import { JOB_CONFLICTS } from '../../../shared/jobs';
import { GraftError, toErrorPayload } from '../errors';
import { ProgressMeter } from './progress-meter';

/** What a running job gets: its cancel signal and a way to report progress. */
export interface JobContext<K extends JobKind = JobKind> {
  readonly jobId: string;
  readonly signal: AbortSignal;
  /** Progress within a stage; the manager measures rate and ETA (one meter for every job). */
  progress(stage: JobStage<K>, done: number, total: number, message?: string): void;
  /**
   * The job's plan, for one overall ETA across stages: each stage's share of the whole
   * (any positive numbers, e.g. expected seconds). Stages not listed count for nothing.
   */
  plan(shares: Partial<Record<JobStage<K>, number>>): void;
}

export interface JobHandle<K extends JobKind> {
  readonly jobId: string;
  readonly kind: K;
  /** Settles when the job ends; never rejects (failures are in the status). */
  readonly done: Promise<JobFinishedOf<K>>;
  cancel(): void;
}

interface Listeners {
  progress(p: JobProgress): void;
  finished(f: JobFinished): void;
}

/** How a job stands among others. */
export interface JobOptions {
  /**
   * Background work that gives way: when a job of one of these kinds is asked for through
   * `startWhenFree`, this one is cancelled (it keeps what it finished) instead of refusing
   * it, and at shutdown it is cancelled at once instead of being given time to finish.
   */
  yieldsTo?: readonly JobKind[];
}

interface Running {
  kind: JobKind;
  yieldsTo: readonly JobKind[];
  controller: AbortController;
  startedAt: number;
  latest: JobProgress | null;
  done: Promise<unknown>;
}

/** How long `shutdown` lets running jobs finish by themselves before cancelling them. */
export const SHUTDOWN_GRACE_MS = 5000;

const RUNNING_NAMES: Record<JobKind, string> = {
  import: 'An import',
  codes: 'Computing codes',
  train: 'A training run',
  export: 'An export',
  mistakes: 'The likely-mistakes analysis',
  predict: 'A prediction',
};

/**
 * Runs long work (import, codes, training, export, mistakes, prediction) with an
 * AbortSignal, progress with rate and ETA, and a typed status result: finished, cancelled
 * or failed. Which kinds may run together is declared once (shared/jobs.ts), not checked
 * by each caller. Errors are never lost: they end up in the job's status.
 */
export class JobManager {
  private readonly running = new Map<string, Running>();

  constructor(private readonly listeners: Listeners) {}

  /** Starts a job, or throws GraftError('busy') when a conflicting one is running. */
  start<K extends JobKind>(kind: K, work: (ctx: JobContext<K>) => Promise<JobResult<K>>, options: JobOptions = {}): JobHandle<K> {
    this.assertCanStart(kind);
    const jobId = `${kind}-${randomUUID().slice(0, 8)}`;
    const controller = new AbortController();
    const meter = new ProgressMeter<JobStage<K>>();
    const entry: Running = { kind, yieldsTo: options.yieldsTo ?? [], controller, startedAt: Date.now(), latest: null, done: Promise.resolve() };
    let lastEmit = 0;
    const ctx: JobContext<K> = {
      jobId,
      signal: controller.signal,
      plan: (shares) => meter.plan(shares),
      progress: (stage, done, total, message) => {
        const now = Date.now();
        const measured = meter.add(stage, done, total, now);
        const progress: JobProgressOf<K> = { jobId, kind, stage, done, total, ...measured, message };
        entry.latest = progress as unknown as JobProgress;
        // At most ~10 events a second, but always the last one of a stage.
        if (now - lastEmit < 100 && done < total) return;
        lastEmit = now;
        this.listeners.progress(entry.latest);
      },
    };
    const done = (async (): Promise<JobFinishedOf<K>> => {
      let finished: JobFinishedOf<K>;
      try {
        const result = await work(ctx);
        finished = controller.signal.aborted ? { jobId, kind, status: 'cancelled', result } : { jobId, kind, status: 'finished', result };
      } catch (err) {
        const error = toErrorPayload(err);
        finished = controller.signal.aborted || error.code === 'cancelled' ? { jobId, kind, status: 'cancelled' } : { jobId, kind, status: 'failed', error };
      } finally {
        this.running.delete(jobId);
      }
      this.listeners.finished(finished as JobFinished);
      return finished;
    })();
    entry.done = done;
    this.running.set(jobId, entry);
    return { jobId, kind, done, cancel: () => controller.abort() };
  }

  /**
   * Starts a job once the running jobs that yield to `kind` have been cancelled and have
   * ended; any other conflict refuses it as `start` does, before anything is cancelled.
   * Checked again after each wait, since another request may have started work meanwhile.
   */
  async startWhenFree<K extends JobKind>(kind: K, work: (ctx: JobContext<K>) => Promise<JobResult<K>>, options: JobOptions = {}): Promise<JobHandle<K>> {
    for (;;) {
      const yielding = [...this.running.values()].filter((j) => j.yieldsTo.includes(kind));
      this.#assertNoConflict(kind, yielding);
      if (!yielding.length) return this.start(kind, work, options);
      for (const j of yielding) j.controller.abort();
      await Promise.allSettled(yielding.map((j) => j.done));
    }
  }

  /** Throws GraftError('busy') naming the running job that `kind` may not run beside. */
  assertCanStart(kind: JobKind): void {
    this.#assertNoConflict(kind, []);
  }

  #assertNoConflict(kind: JobKind, ignoring: readonly Running[]): void {
    for (const j of this.running.values()) {
      if (ignoring.includes(j)) continue;
      if (JOB_CONFLICTS[kind].includes(j.kind) || JOB_CONFLICTS[j.kind].includes(kind)) {
        throw new GraftError('busy', `${RUNNING_NAMES[j.kind]} is running. Wait for it to finish, or cancel it first.`);
      }
    }
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

  list(): RunningJob[] {
    return [...this.running.entries()].map(([jobId, j]) => ({ jobId, kind: j.kind, startedAt: j.startedAt, progress: j.latest }));
  }

  /**
   * Lets running jobs finish for up to `graceMs` (a training run about to store its model,
   * an export about to rename its folder), then cancels what is left and waits for it to end.
   */
  async shutdown(graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
    // Background work has nothing to finish that the next session cannot pick up.
    for (const j of this.running.values()) if (j.yieldsTo.length) j.controller.abort();
    if (this.running.size && graceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.waitForIdle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
    }
    for (const j of this.running.values()) j.controller.abort();
    await this.waitForIdle();
  }

  /** Resolves once no job is running (tests use it). */
  async waitForIdle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running.values()].map((j) => j.done));
  }
}
