/**
 * Training end to end on real photos (flowers-mini), real SQLite and real TF.js:
 * train through the API, predict through the CLI, mistakes, cancel, kill mid-run.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { TrainResult } from '../../shared/api/training';
import { Engine } from '../../main/engine/engine';
import { call } from '../../main/engine/dispatch';
import { importFolder } from '../../main/engine/importer';
import { getTf } from '../../main/engine/tf/runtime';
import { codeReaderOf } from '../../main/engine/catalogue/codes';
import { buildFeatureTable, examplesOf } from '../../main/engine/model/features';
import { argMax, evaluate } from '../../main/engine/model/metrics';
import { expandInputs, loadPredictor, predictFiles } from '../../main/engine/training/predict';
import { currentRunId, getRun, runWeights } from '../../main/engine/catalogue/runs';
import { scoreModel } from '../../main/engine/model/score';
import { labelledImages } from '../../main/engine/catalogue/splits';
import { withVote } from '../../main/engine/model/vote';
import { decodeModel } from '../../main/engine/model/stored-model';
import { flowersDir, flowersMiniDir, graftBin, modelsDir, tempDir } from '../helpers/paths';
import { resultOf, runToEnd } from '../helpers/jobs';
import { assertTestRuntime, graftStderrLines } from '../helpers/runtime';

const tmp = tempDir('graft-training-');
const projectFile = path.join(tmp.dir, 'flowers-mini.graft');
let engine: Engine;
let first: TrainResult;

function graft(args: string[]) {
  return spawnSync(process.execPath, [graftBin, ...args], { encoding: 'utf8', env: { ...process.env, GRAFT_MODELS_DIR: modelsDir }, timeout: 300_000 });
}

before(async () => {
  engine = new Engine(projectFile, { modelsDir });
  await importFolder(engine.db, flowersMiniDir);
  // Few epochs and one member keep the suite quick; defaults are measured on the full set.
  first = resultOf(await runToEnd(engine, 'train', () => call(engine, 'train.start', { members: 1, epochs: 15 })));
});
after(async () => {
  await engine?.close();
  tmp.cleanup();
});

describe('training on flowers-mini', () => {
  it('runs on the TF.js runtime GRAFT_RUNTIME forces, or on a fast one', assertTestRuntime);

  it('stores a finished run with config, history, metrics and weights, and makes it current', () => {
    assert.deepEqual(first.classes, ['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips']);
    assert.ok(first.accuracy.train > 0.9, `train accuracy ${first.accuracy.train}`);
    assert.ok(first.accuracy.test !== null && first.accuracy.test >= 0.6, `test accuracy ${first.accuracy.test}`);
    assert.deepEqual(Object.keys(first.perClass), first.classes);
    assert.equal(first.perClass.daisy.support, 2);
    assert.equal(first.confusion.flat().reduce((a, b) => a + b, 0), 10);
    assert.equal(currentRunId(engine.db), first.runId);
    const run = getRun(engine.db, first.runId);
    assert.equal(run.status, 'finished');
    assert.equal(run.config.seed, 42);
    assert.deepEqual(run.config.backbones, ['mobilenet_v1_0.75_224_at320', 'mobilenet_v2_0.35_224_notop_at320']);
    assert.equal(run.config.dataset.imageIds.length, 100);
    assert.equal(run.config.dataset.splits.replace(/[^t]/g, '').length, 80);
    assert.ok(run.history.length >= 1 && run.history.every((h) => h.stage === 'head'));
    assert.equal(run.metrics?.counts.test, 10);
    assert.equal(run.metrics?.test?.confusion.length, 5);
    const model = decodeModel(runWeights(engine.db, first.runId));
    assert.equal(model.head.inputDim, 768 + 1280);
    assert.deepEqual(model.views, ['center']);
  });

  it('measures validation with only the training images voting, and stores a model where validation images vote too', async () => {
    const { tf } = await getTf();
    const run = getRun(engine.db, first.runId);
    const { imageIds, classIndex, splits } = run.config.dataset;
    const model = decodeModel(runWeights(engine.db, first.runId));
    const vote = model.head.members[model.head.members.length - 1];
    assert.equal(vote.layers[vote.layers.length - 1].activation, 'linear', 'the vote is the last member');
    assert.equal(vote.layers[0].outDim, run.metrics!.counts.train + run.metrics!.counts.validation);

    // Rebuild the vote of the training images alone and score validation with it.
    const table = buildFeatureTable(codeReaderOf(engine.db), model.backbones.map((b) => b.id), model.views, imageIds);
    assert.deepEqual(table.imageIds, imageIds);
    const labels = Int32Array.from(classIndex);
    const rowsOf = (code: string) => [...splits].flatMap((c, r) => (c === code ? [r] : []));
    const trained = { ...model.head, members: model.head.members.slice(0, -1) };
    const head = withVote(trained, examplesOf(table, rowsOf('t'), labels, ['center']), {
      temperature: run.config.head.vote!,
      blocks: table.dims,
      shares: run.config.head.voteShares,
      seed: run.config.seed,
    });
    const validation = rowsOf('v');
    const probabilities = scoreModel(tf, head, table, validation, model.views);
    const accuracy = evaluate(model.classes, validation.map((r) => labels[r]), probabilities).accuracy;
    assert.equal(accuracy, run.metrics!.accuracy.validation);
  });

  it('is reproducible: the same config and seed give the same weights', async () => {
    const again = resultOf(await runToEnd(engine, 'train', () => call(engine, 'train.start', { members: 1, epochs: 15 })));
    assert.deepEqual(again.accuracy, first.accuracy);
    assert.deepEqual(runWeights(engine.db, again.runId), runWeights(engine.db, first.runId));
    await call(engine, 'runs.delete', { id: again.runId });
    assert.equal(currentRunId(engine.db), first.runId, 'deleting the newest run falls back to the previous one');
  });

  it('predicts the same labels as the in-project evaluation, leaving no tensors behind', async () => {
    const { tf } = await getTf();
    const model = decodeModel(runWeights(engine.db, first.runId));
    const images = labelledImages(engine.db);
    const table = buildFeatureTable(codeReaderOf(engine.db), model.backbones.map((b) => b.id), model.views, images.map((i) => i.imageId));
    const probs = scoreModel(tf, model.head, table, images.map((_, i) => i), model.views);
    const expected = new Map(images.map((img, i) => [img.path, model.classes[argMax(probs, i * 5, 5)]]));

    const tensorsBefore = tf.memory().numTensors;
    const predictor = await loadPredictor(engine.db, { modelsDir, pool: engine.compute });
    const items = await predictFiles(predictor, expandInputs([flowersMiniDir]), { top: 2 });
    predictor.dispose();
    assert.equal(tf.memory().numTensors, tensorsBefore, 'prediction leaves no tensors');
    assert.equal(items.length, 100);
    for (const item of items) assert.equal(item.top[0].label, expected.get(item.path), item.path);

    // And through the CLI, as a user would run it.
    const csv = path.join(tmp.dir, 'out', 'predictions.csv');
    const r = graft(['predict', flowersMiniDir, '--project', projectFile, '--top', '3', '--csv', csv, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { predictions: Array<{ path: string; top: Array<{ label: string; probability: number }> }> };
    assert.equal(out.predictions.length, 100);
    for (const p of out.predictions) {
      assert.equal(p.top.length, 3);
      assert.equal(p.top[0].label, expected.get(p.path), p.path);
    }
    const lines = fs.readFileSync(csv, 'utf8').trim().split('\n');
    assert.equal(lines[0], 'path,label_1,probability_1,label_2,probability_2,label_3,probability_3');
    assert.equal(lines.length, 101);
  });

  it('fails with a one-line reason on a missing file, a non-image, an empty folder and an untrained project', () => {
    const notImage = path.join(tmp.dir, 'notes.jpg');
    fs.writeFileSync(notImage, 'this is text, not a JPEG');
    const empty = path.join(tmp.dir, 'empty');
    fs.mkdirSync(empty, { recursive: true });
    const untrained = path.join(tmp.dir, 'untrained.graft');
    new Database(untrained).close();
    const photo = path.join(flowersMiniDir, 'daisy', fs.readdirSync(path.join(flowersMiniDir, 'daisy'))[0]);
    const cases: Array<[string[], RegExp]> = [
      [['predict', path.join(tmp.dir, 'nope.jpg'), '--project', projectFile], /does not exist/],
      [['predict', notImage, '--project', projectFile], /not an image|could not be decoded|damaged/],
      [['predict', empty, '--project', projectFile], /holds no images/],
      [['predict', photo, '--project', untrained], /no trained model/],
    ];
    for (const [args, reason] of cases) {
      const r = graft(args);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stdout}`);
      assert.equal(r.stdout, '');
      const lines = graftStderrLines(r.stderr);
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], reason);
    }
  });

  it('cancels at the first epoch and keeps the current model', async () => {
    let cancelled = false;
    const off = engine.on('training.epoch', (e) => {
      if (!cancelled) {
        cancelled = true;
        void call(engine, 'jobs.cancel', { jobId: e.jobId });
      }
    });
    // 500 epochs would take minutes: ending as cancelled shows the cancel took effect.
    const finished = await runToEnd(engine, 'train', () => call(engine, 'train.start', { members: 3, epochs: 500, seed: 7 }));
    off();
    assert.equal(finished.status, 'cancelled');
    assert.ok(cancelled);
    assert.equal(currentRunId(engine.db), first.runId);
    const runs = await call(engine, 'runs.list', {});
    assert.equal(runs.find((r) => r.status === 'cancelled')?.current, false);
  });

  it('survives being killed mid-training: the project stays consistent and the previous model stays current', async () => {
    const child = spawn(process.execPath, [graftBin, 'train', '--project', projectFile, '--epochs', '500', '--seed', '9', '--hidden', '1024', '--members', '8'], {
      env: { ...process.env, GRAFT_MODELS_DIR: modelsDir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (d) => {
        err += String(d);
        if (/head epoch 2/.test(err)) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`graft train exited before it could be killed: ${err}`)));
    });
    await new Promise((r) => child.on('exit', r));
    const check = new Database(projectFile, { readonly: true });
    assert.equal((check.pragma('integrity_check') as Array<{ integrity_check: string }>)[0].integrity_check, 'ok');
    check.close();
    const runs = await call(engine, 'runs.list', {});
    const killed = runs.find((r) => r.seed === 9)!;
    assert.equal(killed.status, 'failed');
    assert.match(killed.error ?? '', /Interrupted/);
    assert.equal(runs.find((r) => r.current)?.id, first.runId);
    assert.equal(currentRunId(engine.db), first.runId);
  });

  it('names which validation figure is which in its text: the head alone at its best epoch, and the model with the vote', async () => {
    // On a copy: the run it makes must not become the current model of the tests above.
    const copy = path.join(tmp.dir, 'cli-text.graft');
    engine.db.exec(`VACUUM INTO '${copy.replace(/'/g, "''")}'`);
    const r = graft(['train', '--project', copy, '--members', '1', '--epochs', '15']);
    assert.equal(r.status, 0, r.stderr);
    const other = new Engine(copy, { modelsDir });
    let run: ReturnType<typeof getRun>;
    try {
      run = getRun(other.db, currentRunId(other.db)!);
    } finally {
      await other.close();
    }
    const best = run.history.find((h) => h.stage === 'head' && h.epoch === run.metrics!.bestEpoch)!;
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    // The epoch line of the best epoch and the summary's best-epoch line give the same figure.
    const epochLine = r.stderr.split('\n').find((l) => l.startsWith(`head epoch ${best.epoch}:`));
    assert.ok(epochLine?.endsWith(`accuracy ${pct(best.valAccuracy)}`), `epoch line: ${epochLine}`);
    assert.match(r.stdout, new RegExp(`Best epoch ${best.epoch} \\(lowest validation loss\\): validation ${pct(best.valAccuracy).replace('.', '\\.')} for the head alone`));
    // The summary names what its validation figure is.
    const summary = r.stdout.split('\n').find((l) => l.startsWith('Accuracy of the model'));
    assert.equal(
      summary,
      `Accuracy of the model (best epoch ${best.epoch}, with the vote of similar images): train ${pct(run.metrics!.accuracy.train)}, validation ${pct(run.metrics!.accuracy.validation!)}, test ${pct(run.metrics!.accuracy.test!)}`,
    );
  });
});

describe('likely label mistakes', () => {
  it('reports the roses/tulips file that is in both folders, and ranks suspects', async () => {
    const { dir, cleanup } = tempDir('graft-mistakes-');
    try {
      // flowers-mini plus the original set's conflicting pair (copied into a temp folder).
      fs.cpSync(flowersMiniDir, path.join(dir, 'photos'), { recursive: true });
      for (const cls of ['roses', 'tulips']) {
        fs.copyFileSync(path.join(flowersDir, cls, '15922772266_1167a06620.jpg'), path.join(dir, 'photos', cls, '15922772266_1167a06620.jpg'));
      }
      const project = path.join(dir, 'p.graft');
      assert.equal(graft(['import', path.join(dir, 'photos'), '--project', project, '--json']).status, 0);
      const r = graft(['mistakes', '--project', project, '--json']);
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as {
        suspects: Array<{ path: string; label: string; predicted: string; confidence: number }>;
        nearDuplicates: Array<{ a: string; b: string; similarity: number }>;
      };
      const pair = out.nearDuplicates.find((d) => d.a.endsWith('15922772266_1167a06620.jpg') && d.b.endsWith('15922772266_1167a06620.jpg'));
      assert.ok(pair, JSON.stringify(out.nearDuplicates.slice(0, 3)));
      assert.deepEqual([path.basename(path.dirname(pair.a)), path.basename(path.dirname(pair.b))].sort(), ['roses', 'tulips']);
      assert.equal(pair.similarity, 1);
      for (const s of out.suspects) {
        assert.notEqual(s.label, s.predicted);
        assert.ok(s.confidence > 0 && s.confidence <= 1);
      }
    } finally {
      cleanup();
    }
  });
});
