/**
 * The CLI's one way to run long work: start a job through the API, print its progress on
 * stderr, cancel it on Ctrl+C, and hand back its typed ending. Events are listened to from
 * before the start, so a job that ends at once is not missed.
 */
import type { JobFinishedOf, JobKind, JobResult } from '../../../shared/jobs';
import { GraftError, type GraftEngine } from '../../engine';
import type { CommandContext } from './command';
import { progressPrinter } from './progress';

export async function runJob<K extends JobKind>(
  ctx: CommandContext,
  engine: GraftEngine,
  kind: K,
  start: () => Promise<{ jobId: string }>,
): Promise<JobFinishedOf<K>> {
  const ended = new Map<string, JobFinishedOf<K>>();
  const waiters = new Map<string, (f: JobFinishedOf<K>) => void>();
  const print = progressPrinter(!ctx.values.quiet);
  let jobId: string | null = null;
  const offProgress = engine.on('job.progress', (p) => {
    if (p.jobId === jobId) print(p);
  });
  const offFinished = engine.on('job.finished', (f) => {
    if (f.kind !== kind) return;
    const typed = f as JobFinishedOf<K>;
    ended.set(f.jobId, typed);
    waiters.get(f.jobId)?.(typed);
  });
  const cancel = () => {
    if (jobId) void engine.call('jobs.cancel', { jobId }).catch(() => undefined);
  };
  ctx.signal.addEventListener('abort', cancel);
  try {
    jobId = (await start()).jobId;
    const id = jobId;
    if (ctx.signal.aborted) cancel();
    return ended.get(id) ?? (await new Promise<JobFinishedOf<K>>((resolve) => waiters.set(id, resolve)));
  } finally {
    ctx.signal.removeEventListener('abort', cancel);
    offProgress();
    offFinished();
  }
}

/** The result of a finished job; a GraftError with the job's own code otherwise. */
export function resultOf<K extends JobKind>(finished: JobFinishedOf<K>, cancelled: string): JobResult<K> {
  if (finished.status === 'finished') return finished.result;
  if (finished.status === 'cancelled') throw new GraftError('cancelled', cancelled);
  throw new GraftError(finished.error.code, finished.error.message);
}
