import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../main/engine/engine';
import { call, dispatch } from '../../main/engine/dispatch';
import type { CatalogueArea, JobFinished } from '../../shared/events';
import type { JobFinishedOf } from '../../shared/jobs';
import type { JobProgress } from '../../shared/types';
import { flowersDir, flowersMiniDir, tempDir } from '../helpers/paths';

/** The import and image methods as the renderer calls them: a job with progress, events, and queries. */
describe('import and images API', () => {
  const tmp = tempDir('graft-import-api-');
  let engine: Engine;
  const progress: JobProgress[] = [];
  const finished: JobFinished[] = [];
  const changes: CatalogueArea[][] = [];

  before(() => {
    engine = new Engine(path.join(tmp.dir, 'api.graft'));
    engine.on('job.progress', (p) => progress.push(p));
    engine.on('job.finished', (f) => finished.push(f));
    engine.on('catalogue.changed', (c) => changes.push(c.areas));
  });
  after(async () => {
    await engine.close();
    tmp.cleanup();
  });

  function finishedJob(jobId: string): Promise<JobFinishedOf<'import'>> {
    return new Promise((resolve) => {
      const found = finished.find((f) => f.jobId === jobId);
      if (found?.kind === 'import') return resolve(found);
      const off = engine.on('job.finished', (f) => {
        if (f.jobId === jobId && f.kind === 'import') {
          off();
          resolve(f);
        }
      });
    });
  }

  it('refuses a folder that does not exist, in the envelope, before starting a job', async () => {
    const env = await dispatch(engine, 'import.start', { folder: path.join(tmp.dir, 'no-such-folder') });
    assert.deepEqual(env.ok, false);
    assert.equal(!env.ok && env.error.code, 'not_found');
    assert.match(!env.ok ? env.error.message : '', /does not exist/);
    const bad = await dispatch(engine, 'import.start', { folder: '' });
    assert.equal(!bad.ok && bad.error.code, 'invalid_params');
    assert.equal(engine.jobs.isRunning(), false);
  });

  it('says where a typed folder leads before importing: a relative one starts at the project\'s folder, ~ at home', async () => {
    // A folder beside the project that the engine's working folder does not hold.
    fs.symlinkSync(flowersMiniDir, path.join(tmp.dir, 'flowers-here'));
    assert.equal(fs.existsSync(path.resolve('flowers-here')), false);
    assert.deepEqual(await call(engine, 'import.check', { folder: 'flowers-here' }), { folder: path.join(tmp.dir, 'flowers-here'), base: tmp.dir, problem: null });
    const missing = await call(engine, 'import.check', { folder: 'photos' });
    assert.equal(missing.folder, path.join(tmp.dir, 'photos'));
    assert.match(missing.problem ?? '', /does not exist/);
    assert.equal((await call(engine, 'import.check', { folder: '~/Pictures' })).folder, path.join(os.homedir(), 'Pictures'));
    assert.equal(fs.existsSync(engine.projectPath!), false, 'checking a folder creates no project file');
  });

  it('imports as a job: progress, catalogue changes as batches land, the summary at the end', async () => {
    // Typed relative to the project's folder, as in the studio's dialog; the result names the folder read.
    const started = await call(engine, 'import.start', { folder: 'flowers-here' });
    const { jobId } = started;
    assert.equal(started.folder, flowersMiniDir);
    assert.match(jobId, /^import-/);
    const busy = await dispatch(engine, 'import.start', { folder: flowersMiniDir });
    assert.equal(!busy.ok && busy.error.code, 'busy', 'one import at a time');
    const end = await finishedJob(jobId);
    assert.equal(end.status, 'finished');
    const summary = end.result;
    assert.deepEqual([summary.files, summary.added, summary.newImages], [100, 100, 100]);
    const mine = progress.filter((p) => p.jobId === jobId && p.stage === 'import');
    assert.ok(mine.length >= 2, 'progress reported');
    assert.deepEqual([mine.at(-1)!.done, mine.at(-1)!.total, mine.at(-1)!.kind], [100, 100, 'import']);
    assert.ok(changes.length >= 1 && changes.every((a) => a.includes('images')));
  });

  it('answers project.status and the image queries', async () => {
    const status = await call(engine, 'project.status', {});
    assert.equal(status.path, engine.projectPath);
    assert.deepEqual([status.images, status.unlabelled, status.conflicts, status.missing], [100, 0, 0, 0]);
    assert.deepEqual(Object.values(status.classes), [20, 20, 20, 20, 20]);

    assert.deepEqual(await call(engine, 'images.count', {}), { count: 100 });
    assert.deepEqual(await call(engine, 'images.count', { filter: { classId: 'unlabelled' } }), { count: 0 });
    const page = await call(engine, 'images.list', { sort: 'name', limit: 10, offset: 5 });
    assert.equal(page.total, 100);
    assert.equal(page.images.length, 10);
    const { ids } = await call(engine, 'images.ids', { sort: 'name' });
    assert.deepEqual(page.images.map((i) => i.id), ids.slice(5, 15));
    const one = await call(engine, 'images.get', { id: ids[0] });
    assert.equal(one.format, 'jpeg');
    assert.ok(one.width > 0 && one.height > 0 && one.bytes > 0);
    assert.ok(one.path.startsWith(flowersMiniDir));
    const missing = await dispatch(engine, 'images.get', { id: 987654 });
    assert.equal(!missing.ok && missing.error.code, 'not_found');
    const invalid = await dispatch(engine, 'images.list', { limit: 0 });
    assert.equal(!invalid.ok && invalid.error.code, 'invalid_params');
  });

  it('cancels an import: what finished stays, the job ends cancelled with its summary', async () => {
    const { jobId } = await call(engine, 'import.start', { folder: flowersDir });
    await new Promise<void>((resolve) => {
      const off = engine.on('job.progress', (p) => {
        if (p.jobId === jobId && p.stage === 'import' && p.done >= 50) {
          off();
          resolve();
        }
      });
    });
    assert.deepEqual(await call(engine, 'jobs.cancel', { jobId }), { cancelled: true });
    const end = await finishedJob(jobId);
    assert.equal(end.status, 'cancelled');
    const summary = end.status === 'cancelled' ? end.result : undefined;
    assert.ok(summary, 'a cancelled import still returns what it recorded');
    assert.equal(summary.cancelled, true);
    assert.ok(summary.added >= 50 && summary.added < 1806, `added ${summary.added}`);
    assert.deepEqual(await call(engine, 'jobs.cancel', { jobId }), { cancelled: false }, 'nothing left to cancel');
    const status = await call(engine, 'project.status', {});
    assert.equal(status.images, 100 + summary.newImages);
  });
});
