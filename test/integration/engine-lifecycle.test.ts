/**
 * An engine owns what it keeps warm for its project (the loaded model, the insights, the
 * recent previews, its worker threads) and frees all of it when the project closes: the
 * desktop app opens and closes projects for hours in one process. Also: its main thread
 * never runs TensorFlow (workers do), so no tensor is ever allocated here.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
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

/** Bytes of JavaScript heap and array buffers in use after a full collection (the flag is set for this process only). */
async function heapAfterGc(): Promise<number> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  // Array buffers are swept after the collection returns, and weak callbacks run on later ticks.
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/** Threads of this process (Linux); 0 where /proc does not say. */
function threadCount(): number {
  try {
    return fs.readdirSync('/proc/self/task').length;
  } catch {
    return 0;
  }
}

/** The thread count once it is at most `target`, or after five seconds whatever it is then. */
async function settledThreadCount(target: number): Promise<number> {
  for (let i = 0; i < 50 && threadCount() > target; i++) await new Promise((r) => setTimeout(r, 100));
  return threadCount();
}

describe('opening and closing a project', () => {
  it('frees its state each time: sessions leave no tensors, no threads and no growing memory behind', async () => {
    const { tf } = await getTf();
    // Warm-up: code and TF.js load once per process, and the allocator's per-thread arenas
    // fill over the first few sessions (RSS rises by ~150 MB, then holds: measured over 25).
    for (let i = 0; i < 4; i++) await session();
    const tensors = tf.memory().numTensors;
    const threads = threadCount();
    const heap = await heapAfterGc();
    const rss = process.memoryUsage().rss;
    for (let i = 0; i < 6; i++) await session();
    assert.equal(tf.memory().numTensors, tensors, 'the main thread holds no tensors of the sessions');
    // An ended worker's OS thread is joined a moment after its 'exit' event, so the count is
    // read once it has settled; more threads than before would be workers left running.
    if (threads > 0) assert.ok((await settledThreadCount(threads)) <= threads, 'every worker thread of a closed project has ended');
    // Each session loads a head with 1,600 voters' codes, insights and previews on this thread:
    // megabytes that a leak would pile up six times over, plain in the collected heap.
    const heapGrown = ((await heapAfterGc()) - heap) / 2 ** 20;
    assert.ok(heapGrown < 8, `the JavaScript heap and buffers grew by ${heapGrown.toFixed(1)} MB over six sessions`);
    // Its workers load two networks each (tens of MB of native and wasm memory). RSS swings by
    // ±150 MB between sessions as allocator arenas are reused (measured), so only a leak of a
    // session's workers, six times over, stands out of it.
    const grown = (process.memoryUsage().rss - rss) / 2 ** 20;
    assert.ok(grown < 300, `RSS grew by ${grown.toFixed(0)} MB over six sessions`);
  });

  it('refuses calls once closed, with a reason', async () => {
    const engine = new Engine(projectFile, { modelsDir });
    await engine.call('project.status', {});
    await engine.close();
    await assert.rejects(engine.call('project.status', {}), (e: Error & { code?: string }) => e.code === 'no_project');
  });
});
