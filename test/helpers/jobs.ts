/**
 * Waiting for jobs in tests: listen before starting (a job may end at once), and read the
 * typed result of a finished job, failing with the job's own error otherwise.
 */
import type { Params } from '../../shared/api';
import type { TrainResult } from '../../shared/api/training';
import type { JobFinishedOf, JobKind, JobResult } from '../../shared/jobs';
import { call } from '../../main/engine/dispatch';
import type { Engine } from '../../main/engine/engine';

/** Starts a job and resolves with how it ended. */
export async function runToEnd<K extends JobKind>(engine: Engine, kind: K, start: () => Promise<{ jobId: string }>): Promise<JobFinishedOf<K>> {
  const ended = new Map<string, JobFinishedOf<K>>();
  let wanted: string | null = null;
  let resolve!: (f: JobFinishedOf<K>) => void;
  const done = new Promise<JobFinishedOf<K>>((r) => (resolve = r));
  const off = engine.on('job.finished', (f) => {
    if (f.kind !== kind) return;
    ended.set(f.jobId, f as JobFinishedOf<K>);
    if (f.jobId === wanted) resolve(f as JobFinishedOf<K>);
  });
  try {
    wanted = (await start()).jobId;
    const early = ended.get(wanted);
    return early ?? (await done);
  } finally {
    off();
  }
}

/** The next job of `kind` (or the one with `jobId`) to end. */
export function nextEnding<K extends JobKind>(engine: Engine, kind: K, jobId?: string): Promise<JobFinishedOf<K>> {
  return new Promise((resolve) => {
    const off = engine.on('job.finished', (f) => {
      if (f.kind !== kind || (jobId && f.jobId !== jobId)) return;
      off();
      resolve(f as JobFinishedOf<K>);
    });
  });
}

/** The result of a finished job; throws with the job's status and error otherwise. */
export function resultOf<K extends JobKind>(f: JobFinishedOf<K>): JobResult<K> {
  if (f.status === 'finished') return f.result;
  throw new Error(`${f.kind} job ${f.status}${f.status === 'failed' ? `: ${f.error.code}: ${f.error.message}` : ''}`);
}

/** A training run through the engine's API, to its end; its result. */
export async function trainToEnd(engine: Engine, options: Params<'train.start'>): Promise<TrainResult> {
  return resultOf(await runToEnd(engine, 'train', () => call(engine, 'train.start', options)));
}
