/**
 * An engine owns what it keeps warm for its project (the loaded model, the insights, the
 * recent previews, its worker threads) and frees all of it when the project closes: the
 * desktop app opens and closes projects for hours in one process. Also: its main thread
 * never runs TensorFlow (workers do), so no tensor is ever allocated here.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../main/engine/engine';
import { importFolder } from '../../main/engine/importer';
import { getTf } from '../../main/engine/tf/runtime';
import { flowersMiniDir, modelsDir, tempDir } from '../helpers/paths';
import { resultOf, runToEnd } from '../helpers/jobs';

const tmp = tempDir('graft-lifecycle-');
const projectFile = path.join(tmp.dir, 'flowers-mini.graft');
const roses = path.join(flowersMiniDir, 'roses');
const photo = path.join(roses, fs.readdirSync(roses).sort()[0]);

before(async () => {
  const setup = new Engine(projectFile, { modelsDir });
  try {
    await importFolder(setup.db, flowersMiniDir);
    resultOf(await runToEnd(setup, 'train', () => setup.call('train.start', { members: 1, epochs: 10 })));
  } finally {
    await setup.close();
  }
});
after(() => tmp.cleanup());

/** One session as the studio has it: a prediction from the drop pane, the model's insights, a preview, the map. */
async function session(): Promise<void> {
  const engine = new Engine(projectFile, { modelsDir });
  try {
    const top = await engine.call('predict.image', { path: photo, top: 3 });
    assert.equal(top.top.length, 3);
    const predictions = await engine.call('insights.predictions', {});
    assert.equal(predictions.imageIds.length, 100);
    const { images } = await engine.call('images.list', { limit: 1 });
    const preview = await engine.image('image', images[0].id);
    assert.ok(preview.data.length > 1000);
    const map = await engine.call('insights.projection', {});
    assert.equal(map.imageIds.length, 100);
  } finally {
    await engine.close();
  }
}

describe('opening and closing a project', () => {
  it('frees its state each time: five sessions leave no tensors and no worker memory behind', async () => {
    const { tf } = await getTf();
    await session(); // warm-up: code and TF.js loaded once per process
    const tensors = tf.memory().numTensors;
    const rss = process.memoryUsage().rss;
    for (let i = 0; i < 5; i++) await session();
    assert.equal(tf.memory().numTensors, tensors, 'the main thread holds no tensors of the sessions');
    // Each session loads two networks, a head with 1,600 voters' codes and previews: tens of
    // megabytes that a leak would pile up five times over. What remains is allocator noise.
    const grown = (process.memoryUsage().rss - rss) / 2 ** 20;
    assert.ok(grown < 150, `RSS grew by ${grown.toFixed(0)} MB over five sessions`);
  });

  it('refuses calls once closed, with a reason', async () => {
    const engine = new Engine(projectFile, { modelsDir });
    await engine.call('project.status', {});
    await engine.close();
    await assert.rejects(engine.call('project.status', {}), (e: Error & { code?: string }) => e.code === 'no_project');
  });
});
