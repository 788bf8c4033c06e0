/**
 * Background work gives way: a job started with `yieldsTo` is cancelled, not in the way,
 * when one of those kinds is asked for through `startWhenFree`, and a shutdown cancels it
 * at once instead of granting it the grace period that a training run gets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobFinished } from '../../shared/jobs';
import type { CodesSummary } from '../../shared/api/codes';
import { JobManager, type JobContext } from '../../main/engine/jobs/job-manager';

function manager(): { jobs: JobManager; finished: JobFinished[] } {
  const finished: JobFinished[] = [];
  return { jobs: new JobManager({ progress: () => {}, finished: (f) => finished.push(f) }), finished };
}

const summary = (computed: number) => ({ computed }) as unknown as CodesSummary;

/** Codes work that runs until it is cancelled, then returns what it "computed". */
function untilCancelled(ctx: JobContext<'codes'>): Promise<CodesSummary> {
  return new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve(summary(7))));
}

describe('jobs that give way', () => {
  it('cancels background codes for a training run, which starts once they have ended', async () => {
    const { jobs, finished } = manager();
    const background = jobs.start('codes', untilCancelled, { yieldsTo: ['train'] });
    let trainStartedAfter: string[] = [];
    const train = await jobs.startWhenFree('train', async () => {
      trainStartedAfter = finished.map((f) => `${f.kind}:${f.status}`);
      return {} as never;
    });
    const ended = await background.done;
    assert.equal(ended.status, 'cancelled');
    assert.equal(ended.status === 'cancelled' && ended.result?.computed, 7, 'the cancelled job keeps what it finished');
    await train.done;
    assert.deepEqual(trainStartedAfter, ['codes:cancelled'], 'the run started after the background job ended, not beside it');
  });

  it('still refuses a conflicting job that does not give way', async () => {
    const { jobs } = manager();
    const foreground = jobs.start('codes', untilCancelled);
    await assert.rejects(
      jobs.startWhenFree('train', async () => ({}) as never),
      (err: Error & { code?: string }) => err.code === 'busy' && /Computing codes is running/.test(err.message),
    );
    foreground.cancel();
    await foreground.done;
  });

  it('cancels nothing when the job asked for is refused anyway', async () => {
    const { jobs } = manager();
    const background = jobs.start('codes', untilCancelled, { yieldsTo: ['export'] });
    let finishImport!: () => void;
    const importing = jobs.start('import', () => new Promise((resolve) => (finishImport = () => resolve({} as never))));
    // An export may not run beside an import: refused, and the background codes go on.
    await assert.rejects(jobs.startWhenFree('export', async () => ({}) as never), (err: Error & { code?: string }) => err.code === 'busy');
    assert.ok(jobs.isRunning('codes'), 'the background codes were not cancelled for nothing');
    finishImport();
    await importing.done;
    background.cancel();
    await background.done;
  });

  it('cancels only what yields to the kind asked for', async () => {
    const { jobs } = manager();
    const background = jobs.start('codes', untilCancelled, { yieldsTo: ['train'] });
    // An import may run beside codes, and the background job does not yield to it.
    const imported = await jobs.startWhenFree('import', async () => ({}) as never);
    await imported.done;
    assert.ok(jobs.isRunning('codes'), 'the background codes go on beside the import');
    background.cancel();
    await background.done;
  });

  it('cancels background work at shutdown without waiting out the grace period', async () => {
    const { jobs } = manager();
    let signal!: AbortSignal;
    jobs.start(
      'codes',
      (ctx) => {
        signal = ctx.signal;
        return untilCancelled(ctx);
      },
      { yieldsTo: ['train'] },
    );
    let finishRun!: () => void;
    const run = jobs.start('export', () => new Promise((resolve) => (finishRun = () => resolve({} as never))));
    const shutdown = jobs.shutdown(60_000);
    assert.equal(signal.aborted, true, 'the background job was cancelled as the shutdown began');
    assert.equal(jobs.isRunning('export'), true, 'the export is given its grace period');
    finishRun();
    await shutdown;
    assert.equal((await run.done).status, 'finished');
  });
});
