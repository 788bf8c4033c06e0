/**
 * Fine-tuning on flowers-mini, through the CLI as a user runs it: the top block of the
 * first backbone is trained with the head, kept only when validation accuracy improves,
 * and a kept fine-tune reaches every place the model is used — evaluation, `graft
 * predict`, and the exported TF.js model loaded with no Graft code.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TrainResult } from '../../shared/api/training';
import { Engine } from '../../main/engine/engine';
import { importFolder } from '../../main/engine/importer';
import { expandInputs, loadPredictor } from '../../main/engine/training/predict';
import { getRun, runWeights } from '../../main/engine/catalogue/runs';
import { labelledImages } from '../../main/engine/catalogue/splits';
import { decodeModel } from '../../main/engine/model/stored-model';
import { loadExportedModel } from '../../main/engine/export/exported-model';
import { flowersMiniDir, modelsDir, tempDir } from '../helpers/paths';
import { runGraft } from '../helpers/graft-cli';
import { assertTestRuntime } from '../helpers/runtime';

const tmp = tempDir('graft-fine-tune-');
const projectFile = path.join(tmp.dir, 'flowers-mini.graft');
let engine: Engine;

const graft = runGraft;

function trainCli(args: string[]): TrainResult {
  const r = graft(['train', '--project', projectFile, '--json', ...args]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as TrainResult;
}

before(async () => {
  engine = new Engine(projectFile, { modelsDir });
  await importFolder(engine.db, flowersMiniDir);
});
after(async () => {
  await engine?.close();
  tmp.cleanup();
});

describe('fine-tuning (flowers-mini, through graft train)', () => {
  it('runs on the TF.js runtime GRAFT_RUNTIME forces, or on a fast one', assertTestRuntime);

  let tuned: TrainResult;

  it('keeps a fine-tune that raises validation accuracy, and stores the tuned layer', () => {
    // One head epoch leaves the head far from done, so end-to-end training has room to help;
    // a learning rate of 1e-3 lets six epochs on 80 photos show it.
    tuned = trainCli(['--epochs', '1', '--fine-tune-epochs', '6', '--fine-tune-learning-rate', '0.001']);
    const ft = tuned.fineTune;
    assert.ok(ft, 'the result reports the fine-tune');
    assert.equal(ft.epochs, 6);
    assert.equal(ft.kept, true, JSON.stringify(ft));
    assert.ok(ft.validationAfter > ft.validationBefore, JSON.stringify(ft));
    assert.equal(tuned.accuracy.validation, ft.validationAfter, 'the run is evaluated with the tuned network');

    const run = getRun(engine.db, tuned.runId);
    assert.equal(run.config.fineTune?.learningRate, 0.001);
    assert.equal(run.history.filter((h) => h.stage === 'fine-tune').length, 6, 'one curve point per fine-tuning epoch');
    const model = decodeModel(runWeights(engine.db, tuned.runId));
    assert.equal(model.fineTuned?.backbone, 'mobilenet_v1_0.75_224_at320');
    assert.ok(model.fineTuned.layers.length >= 1);
  });

  it('graft predict uses the tuned network: its labels for the test photos are the evaluation\'s', async () => {
    const test = getRun(engine.db, tuned.runId).metrics!.test!;
    const byId = new Map<number, string>();
    test.cellImageIds!.forEach((row) => row.forEach((ids, p) => ids.forEach((id) => byId.set(id, tuned.classes[p]))));
    const paths = new Map(labelledImages(engine.db).map((img) => [img.imageId, img.path]));
    const files = [...byId.keys()].map((id) => paths.get(id)!);
    const r = graft(['predict', ...files, '--project', projectFile, '--top', '1', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { predictions: Array<{ path: string; top: Array<{ label: string }> }> };
    const expected = new Map([...byId].map(([id, label]) => [paths.get(id)!, label]));
    for (const p of out.predictions) assert.equal(p.top[0].label, expected.get(p.path), p.path);
    assert.equal(out.predictions.length, 10);
  });

  it('the exported model carries the tuned layer: plain TF.js agrees with the project to 1e-4', async () => {
    const dir = path.join(tmp.dir, 'export');
    const r = graft(['export', dir, '--project', projectFile, '--format', 'tfjs', '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'metadata.json'), 'utf8')).graft.fineTuned, true);
    const files = expandInputs([flowersMiniDir]).filter((_, i) => i % 10 === 0);
    const predictor = await loadPredictor(engine.db, { modelsDir, pool: engine.compute });
    const fromProject = await predictor.probabilities(files);
    predictor.dispose();
    const exported = await loadExportedModel(dir, engine.compute);
    const fromExport = await exported.probabilities(files);
    exported.dispose();
    let maxDiff = 0;
    fromProject.forEach((p, i) => p.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - fromExport[i][j])))));
    assert.ok(maxDiff <= 1e-4, `max difference ${maxDiff}`);
  });

  it('a fine-tune that does not raise validation accuracy is dropped, and the head alone is the model', () => {
    // The default head trains to convergence and one epoch at the default 1e-4 cannot raise
    // the accuracy on 10 validation photos (measured: 90% before and after), so the network
    // must keep its ImageNet weights.
    const result = trainCli(['--fine-tune-epochs', '1']);
    const ft = result.fineTune!;
    assert.ok(ft, 'the result reports the fine-tune');
    assert.equal(ft.kept, false, JSON.stringify(ft));
    assert.equal(ft.validationAfter, ft.validationBefore);
    assert.equal(result.accuracy.validation, ft.validationBefore);
    assert.equal(decodeModel(runWeights(engine.db, result.runId)).fineTuned, undefined, 'no tuned layer is stored');
  });
});
