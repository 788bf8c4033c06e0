/**
 * "Unlike anything it was trained on" (issue 17, item 8) end to end: a model trained on
 * flowers-mini, through the real CLI. Photos that are not flowers (a cat, a coffee cup, a
 * generated pattern) are marked unfamiliar; flower photos the project never saw mostly are
 * not; `graft predict --json` gains the fields and keeps the old ones; the export's
 * metadata.json carries the threshold.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../main/engine/engine';
import { call } from '../../main/engine/dispatch';
import { importFolder } from '../../main/engine/importer';
import { resultOf, runToEnd } from '../helpers/jobs';
import { stripesPng } from '../helpers/image-fixtures';
import { flowersDir, flowersMiniDir, graftBin, modelsDir, tempDir, testdataDir } from '../helpers/paths';

const tmp = tempDir('graft-novelty-');
const project = path.join(tmp.dir, 'flowers.graft');
const pattern = path.join(tmp.dir, 'not-a-flower', 'stripes.png');
const notFlowers = [path.join(testdataDir, 'chelsea.png'), path.join(testdataDir, 'coffee.png'), pattern];
/** Ten photos per class from the whole set that flowers-mini does not hold. */
const unseenFlowers: string[] = [];

function graft(args: string[]) {
  const r = spawnSync(process.execPath, [graftBin, ...args], { encoding: 'utf8', env: { ...process.env, GRAFT_MODELS_DIR: modelsDir }, timeout: 600_000, maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

before(async () => {
  for (const cls of fs.readdirSync(flowersMiniDir).filter((f) => fs.statSync(path.join(flowersMiniDir, f)).isDirectory())) {
    const mini = new Set(fs.readdirSync(path.join(flowersMiniDir, cls)));
    unseenFlowers.push(...fs.readdirSync(path.join(flowersDir, cls)).filter((f) => !mini.has(f)).sort().slice(0, 10).map((f) => path.join(flowersDir, cls, f)));
  }
  fs.mkdirSync(path.dirname(pattern));
  fs.writeFileSync(pattern, await stripesPng());
  const engine = new Engine(project, { modelsDir });
  try {
    await importFolder(engine.db, flowersMiniDir);
    resultOf(await runToEnd(engine, 'train', () => call(engine, 'train.start', {})));
  } finally {
    await engine.close();
  }
});
after(tmp.cleanup);

describe('photos unlike anything the model was trained on', () => {
  let predictions: Array<{ path: string; top: Array<{ label: string; probability: number }>; similarity?: number; unfamiliar?: boolean }>;

  before(() => {
    predictions = JSON.parse(graft(['predict', ...notFlowers, ...unseenFlowers, '--project', project, '--json'])).predictions;
  });

  it('graft predict --json keeps its fields and adds the similarity and the verdict', () => {
    assert.equal(predictions.length, notFlowers.length + unseenFlowers.length);
    for (const p of predictions) {
      assert.deepEqual(Object.keys(p), ['path', 'top', 'similarity', 'unfamiliar']);
      assert.equal(p.top.length, 3);
      assert.ok(p.similarity! > -1 && p.similarity! <= 1.0001, `a cosine: ${p.similarity}`);
    }
  });

  it('marks a cat, a coffee cup and a generated pattern as unfamiliar, though each still gets a top class', () => {
    for (const file of notFlowers) {
      const p = predictions.find((q) => q.path === file)!;
      assert.equal(p.unfamiliar, true, `${path.basename(file)}: similarity ${p.similarity}`);
      assert.ok(p.top[0].probability > 0);
    }
  });

  it('leaves flower photos it never saw familiar, nearly all of them, and more similar than the others', () => {
    const flowers = predictions.filter((p) => unseenFlowers.includes(p.path));
    const unfamiliar = flowers.filter((p) => p.unfamiliar).length;
    assert.ok(unfamiliar <= flowers.length * 0.1, `${unfamiliar} of ${flowers.length} flower photos marked unfamiliar`);
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const flowerSimilarity = median(flowers.map((p) => p.similarity!));
    for (const file of notFlowers) assert.ok(predictions.find((q) => q.path === file)!.similarity! < flowerSimilarity);
  });

  it('says so in the text output', () => {
    const text = graft(['predict', path.join(testdataDir, 'chelsea.png'), '--project', project]);
    assert.match(text, /chelsea\.png .*unlike anything it was trained on/);
    assert.match(text.trim().split('\n').at(-1)!, /1 unlike anything it was trained on/);
  });

  it('the export\'s metadata.json carries the threshold; the exported model predicts without the new fields', () => {
    const out = path.join(tmp.dir, 'export');
    graft(['export', out, '--project', project, '--format', 'tfjs,report']);
    const novelty = JSON.parse(fs.readFileSync(path.join(out, 'metadata.json'), 'utf8')).graft.novelty;
    assert.ok(novelty.threshold > 0 && novelty.threshold < 1, JSON.stringify(novelty));
    assert.ok(novelty.photos >= 10, 'calibrated on the held-out photos');
    const exported = JSON.parse(graft(['predict', pattern, '--model', out, '--json'])).predictions[0];
    assert.deepEqual(Object.keys(exported), ['path', 'top']);
  });
});
