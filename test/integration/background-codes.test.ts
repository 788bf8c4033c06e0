/**
 * Codes prepared in the background (the studio starts them after an import) give way to a
 * training run: pressing Train cancels them, keeps what they computed, and the run
 * computes only the rest. Closing the project cancels them at once. Real engine, real
 * SQLite, real networks on flowers-mini.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULTS } from '../../shared/defaults';
import type { JobProgress } from '../../shared/jobs';
import { call } from '../../main/engine/dispatch';
import { Engine } from '../../main/engine/engine';
import { importFolder } from '../../main/engine/importer';
import { flowersMiniDir, modelsDir, tempDir } from '../helpers/paths';
import { nextEnding, resultOf, runToEnd } from '../helpers/jobs';

const tmp = tempDir('graft-background-codes-');
after(() => tmp.cleanup());
const backbones = [...DEFAULTS.training.backbones.value];

async function importedEngine(name: string): Promise<Engine> {
  const engine = new Engine(path.join(tmp.dir, name), { modelsDir });
  await importFolder(engine.db, flowersMiniDir);
  return engine;
}

/** Resolves at the first codes progress of `jobId` with at least `done` codes computed. */
function codesReach(engine: Engine, jobId: () => string | null, done: number): Promise<void> {
  return new Promise((resolve) => {
    const off = engine.on('job.progress', (p) => {
      if (p.kind === 'codes' && p.jobId === jobId() && p.stage === 'codes' && p.done >= done) {
        off();
        resolve();
      }
    });
  });
}

const cached = async (engine: Engine) => (await call(engine, 'codes.status', {})).codes.reduce((a, c) => a + c.count, 0);

describe('background codes', () => {
  it('give way to a training run, which computes only what they had not', async () => {
    const engine = await importedEngine('train.graft');
    try {
      let backgroundId: string | null = null;
      const reached = codesReach(engine, () => backgroundId, 8);
      const backgroundEnded = nextEnding(engine, 'codes');
      backgroundId = (await call(engine, 'codes.start', { backbones, background: true })).jobId;
      await reached;

      const trainProgress: JobProgress[] = [];
      engine.on('job.progress', (p) => {
        if (p.kind === 'train') trainProgress.push(p);
      });
      const run = await runToEnd(engine, 'train', () => call(engine, 'train.start', {}));
      const result = resultOf(run);
      assert.ok(result.accuracy.train > 0.5, 'the run trained');

      const background = await backgroundEnded;
      assert.equal(background.status, 'cancelled', 'the background job gave way');
      const kept = background.status === 'cancelled' ? (background.result?.computed ?? 0) : 0;
      assert.ok(kept >= 8 && kept < 200, `the background job kept the codes it had computed (${kept})`);

      const codesTotals = trainProgress.filter((p) => p.stage === 'codes' && p.total > 0).map((p) => p.total);
      assert.ok(codesTotals.length > 0, 'the run reported its codes stage');
      assert.equal(Math.max(...codesTotals), 200 - kept, 'the run computed only the codes the background job had not');
      assert.equal(await cached(engine), 200, 'every image has both networks’ codes');
    } finally {
      await engine.close();
    }
  });

  it('refuse to start beside a training run, which does not give way to them', async () => {
    const engine = await importedEngine('busy.graft');
    try {
      const trainEnded = nextEnding(engine, 'train');
      await call(engine, 'train.start', { epochs: 5 });
      await assert.rejects(call(engine, 'codes.start', { backbones, background: true }), (err: Error & { code?: string }) => err.code === 'busy');
      resultOf(await trainEnded);
    } finally {
      await engine.close();
    }
  });

  it('are cancelled when the project closes, keeping what they computed', async () => {
    const engine = await importedEngine('close.graft');
    let jobId: string | null = null;
    const reached = codesReach(engine, () => jobId, 4);
    const ended = nextEnding(engine, 'codes');
    jobId = (await call(engine, 'codes.start', { backbones, background: true })).jobId;
    await reached;
    await engine.close();
    const f = await ended;
    // A foreground job would have had five seconds to finish, enough for these 200 codes.
    assert.equal(f.status, 'cancelled');
    const kept = f.status === 'cancelled' ? (f.result?.computed ?? 0) : 0;
    const reopened = new Engine(path.join(tmp.dir, 'close.graft'), { modelsDir });
    try {
      assert.equal(await cached(reopened), kept, 'what was computed before the close is in the project');
    } finally {
      await reopened.close();
    }
  });
});
