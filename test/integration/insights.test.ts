/**
 * The insights API on a real flowers-mini project (real SQLite, real TF.js): the
 * current model's predictions on cached codes, the model-aware lists, pre-labelling
 * as one undoable step, and the PCA map of the codes.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../main/engine/engine';
import { call } from '../../main/engine/dispatch';
import { importFolder } from '../../main/engine/importer';
import { computePredictions } from '../../main/engine/insights/predictions';
import { computeProjection } from '../../main/engine/insights/projection';
import { principalComponents } from '../../main/engine/model/pca';
import { getTf } from '../../main/engine/tf/runtime';
import { loadPredictor } from '../../main/engine/training/predict';
import { currentRunId } from '../../main/engine/catalogue/runs';
import { flowersMiniDir, modelsDir, tempDir } from '../helpers/paths';
import { resultOf, runToEnd } from '../helpers/jobs';
import { assertTestRuntime } from '../helpers/runtime';

const tmp = tempDir('graft-insights-');
const projectFile = path.join(tmp.dir, 'flowers-mini.graft');
let engine: Engine;

function labelOf(id: number): number | null {
  return (engine.db.prepare('SELECT class_id FROM images WHERE id = ?').pluck().get(id) as number | null) ?? null;
}

before(async () => {
  engine = new Engine(projectFile, { modelsDir });
  await importFolder(engine.db, flowersMiniDir);
  resultOf(await runToEnd(engine, 'train', () => call(engine, 'train.start', { members: 1, epochs: 15 })));
});
after(async () => {
  await engine?.close();
  tmp.cleanup();
});

describe('insights.predictions', () => {
  it('runs on the TF.js runtime GRAFT_RUNTIME forces, or on a fast one', assertTestRuntime);

  it('predicts every image with codes, and agrees with predicting from the image files', async () => {
    const snap = await call(engine, 'insights.predictions', {});
    assert.equal(snap.runId, currentRunId(engine.db));
    assert.deepEqual(snap.classes, ['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips']);
    assert.ok(snap.classIds.every((id) => typeof id === 'number'));
    assert.equal(snap.imageIds.length, 100);
    assert.equal(snap.predicted.length, 100);
    assert.ok(snap.confidence.every((c) => c >= 1 / 5 - 1e-6 && c <= 1));
    assert.equal(snap.approximate, false);

    const predictor = await loadPredictor(engine.db, { modelsDir, pool: engine.compute });
    try {
      const ids = snap.imageIds.slice(0, 6);
      const paths = ids.map((id) => engine.db.prepare('SELECT path FROM files WHERE image_id = ? LIMIT 1').pluck().get(id) as string);
      const probs = await predictor.probabilities(paths);
      probs.forEach((p, i) => {
        const best = p.indexOf(Math.max(...p));
        assert.equal(best, snap.predicted[i], `image ${ids[i]}`);
        assert.ok(Math.abs(p[best] - snap.confidence[i]) < 2e-3, `confidence ${p[best]} vs ${snap.confidence[i]}`);
      });
    } finally {
      predictor.dispose();
    }
  });

  it('leaves no tensors behind, and is cached until the run or the codes change', async () => {
    const { tf } = await getTf();
    const before = tf.memory().numTensors;
    const fresh = await computePredictions(engine.db, projectFile, engine.compute);
    assert.equal(tf.memory().numTensors, before);
    assert.equal(fresh.imageIds.length, 100);

    const a = await call(engine, 'insights.predictions', {});
    const b = await call(engine, 'insights.predictions', {});
    assert.equal(a, b, 'the second call is served from the cache');
    engine.emit('catalogue.changed', { areas: ['runs'] });
    assert.equal(await call(engine, 'insights.predictions', {}), a, 'the current run did not change');
    engine.emit('catalogue.changed', { areas: ['codes'] });
    const c = await call(engine, 'insights.predictions', {});
    assert.notEqual(c, a, 'new codes recompute');
    assert.deepEqual(c.predicted, a.predicted);
  });
});

describe('insights.lists', () => {
  it('lists misclassified and low-confidence images consistently with the predictions', async () => {
    const snap = await call(engine, 'insights.predictions', {});
    const at = new Map(snap.imageIds.map((id, i) => [id, i]));
    const quick = await call(engine, 'insights.lists', { lowConfidence: 0.9 });
    assert.equal(quick.analysed, false, 'the mistakes analysis runs only when asked for');
    assert.deepEqual(quick.suspects, []);
    const lists = await call(engine, 'insights.lists', { lowConfidence: 0.9, analyse: true });
    assert.equal(lists.analysed, true);
    assert.deepEqual(lists.misclassified, quick.misclassified);
    assert.equal(lists.runId, snap.runId);
    for (const id of lists.misclassified) {
      const i = at.get(id)!;
      assert.notEqual(snap.classIds[snap.predicted[i]], labelOf(id));
    }
    const expectedMisclassified = snap.imageIds.filter((id, i) => labelOf(id) !== null && snap.classIds[snap.predicted[i]] !== labelOf(id));
    assert.deepEqual([...lists.misclassified].sort((x, y) => x - y), [...expectedMisclassified].sort((x, y) => x - y));
    const conf = lists.lowConfidence.map((id) => snap.confidence[at.get(id)!]);
    assert.ok(conf.every((c) => c < 0.9));
    assert.deepEqual(conf, [...conf].sort((x, y) => x - y), 'least confident first');
    assert.equal(lists.lowConfidence.length, snap.confidence.filter((c) => c < 0.9).length);
    assert.ok(lists.outOfFoldAccuracy !== null && lists.outOfFoldAccuracy > 0.5);
  });

  it('offers suggested labels; accepting one drops it from the list', async () => {
    const lists = await call(engine, 'insights.lists', {});
    assert.equal(lists.analysed, true, 'the analysis is kept for the model');
    assert.ok(lists.suspects.length > 0, 'flowers-mini has suspects (the roses/tulips conflict at least)');
    const s = lists.suspects[0];
    assert.notEqual(s.suggested, s.label);
    const classes = await call(engine, 'classes.list', {});
    assert.equal(classes.find((c) => c.id === s.suggestedClassId)?.name, s.suggested);

    const result = await call(engine, 'labels.set', { imageIds: [s.imageId], classId: s.suggestedClassId });
    assert.equal(result.changed, 1);
    const after = await call(engine, 'insights.lists', {});
    assert.ok(!after.suspects.some((x) => x.imageId === s.imageId));
    await call(engine, 'labels.undo', {});
    const undone = await call(engine, 'insights.lists', {});
    assert.ok(undone.suspects.some((x) => x.imageId === s.imageId), 'undo brings the suggestion back');
  });
});

describe('insights.prelabel', () => {
  it('labels unlabelled images above the confidence asked for, as one undoable step, listed for review', async () => {
    const snap = await call(engine, 'insights.predictions', {});
    const chosen = snap.imageIds.slice(10, 30);
    await call(engine, 'labels.set', { imageIds: chosen, classId: null });
    const lists = await call(engine, 'insights.lists', {});
    assert.deepEqual([...lists.unlabelled].sort((a, b) => a - b), [...chosen].sort((a, b) => a - b));

    const threshold = 0.7;
    const at = new Map(snap.imageIds.map((id, i) => [id, i]));
    const confident = chosen.filter((id) => snap.confidence[at.get(id)!] >= threshold);
    assert.ok(confident.length > 0 && confident.length < chosen.length + 1);
    const result = await call(engine, 'insights.prelabel', { minConfidence: threshold });
    assert.equal(result.changed, confident.length);
    assert.equal(result.skipped, chosen.length - confident.length);
    for (const id of chosen) {
      const i = at.get(id)!;
      assert.equal(labelOf(id), confident.includes(id) ? snap.classIds[snap.predicted[i]] : null, `image ${id}`);
    }
    const review = await call(engine, 'insights.lists', {});
    assert.deepEqual(review.prelabelled, [...confident].sort((a, b) => a - b));

    const undo = await call(engine, 'labels.undo', {});
    assert.equal(undo.changed, confident.length);
    assert.ok(chosen.every((id) => labelOf(id) === null));
    assert.deepEqual((await call(engine, 'insights.lists', {})).prelabelled, []);
    await call(engine, 'labels.undo', {}); // the unlabelling itself
  });

  it('refuses without a trained model', async () => {
    const other = tempDir('graft-insights-empty-');
    const e = new Engine(path.join(other.dir, 'empty.graft'), { modelsDir });
    try {
      await assert.rejects(call(e, 'insights.prelabel', { minConfidence: 0.5 }), /needs a trained model/);
      const lists = await call(e, 'insights.lists', {});
      assert.equal(lists.runId, null);
      assert.deepEqual(lists.misclassified, []);
    } finally {
      await e.close();
      other.cleanup();
    }
  });
});

describe('insights.projection', () => {
  it('maps every image with codes to 2-D, deterministically, with the classes apart', async () => {
    const map = await call(engine, 'insights.projection', {});
    assert.equal(map.method, 'pca');
    assert.deepEqual(map.backbones, ['mobilenet_v1_0.75_224_at320', 'mobilenet_v2_0.35_224_notop_at320']);
    assert.equal(map.imageIds.length, 100);
    assert.ok(map.x.every((v) => v >= -1 && v <= 1) && map.y.every((v) => v >= -1 && v <= 1));
    assert.ok(map.explained[0] >= map.explained[1] && map.explained[1] > 0 && map.explained[0] + map.explained[1] < 1);
    const again = await computeProjection(engine.db, projectFile, engine.compute);
    assert.deepEqual(again.x, map.x);

    // Points of one class sit closer together than points of different classes.
    const label = map.imageIds.map((id) => labelOf(id));
    let within = 0, nWithin = 0, between = 0, nBetween = 0;
    for (let i = 0; i < map.x.length; i++) {
      for (let j = i + 1; j < map.x.length; j++) {
        const d = Math.hypot(map.x[i] - map.x[j], map.y[i] - map.y[j]);
        if (label[i] === label[j]) (within += d), nWithin++;
        else (between += d), nBetween++;
      }
    }
    assert.ok(within / nWithin < 0.85 * (between / nBetween), `within ${within / nWithin} between ${between / nBetween}`);
  });

  it('finds the principal axes of data with a known structure', async () => {
    // 3-D points stretched 10× along (1,1,0)/√2 and 3× along z, plus small noise.
    const n = 500;
    const x = new Float32Array(n * 3);
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    for (let r = 0; r < n; r++) {
      const a = rand() * 10;
      const b = rand() * 3;
      x.set([a / Math.SQRT2 + rand() * 0.1, a / Math.SQRT2 + rand() * 0.1, b + rand() * 0.1], r * 3);
    }
    const pca = principalComponents(x, n, 3);
    // The first component's scores are the stretch along (1,1,0): they correlate with x0 + x1.
    const corr = (u: ArrayLike<number>, v: ArrayLike<number>) => {
      const mu = Array.from(u).reduce((s, t) => s + t, 0) / n;
      const mv = Array.from(v).reduce((s, t) => s + t, 0) / n;
      let suv = 0, suu = 0, svv = 0;
      for (let i = 0; i < n; i++) (suv += (u[i] - mu) * (v[i] - mv)), (suu += (u[i] - mu) ** 2), (svv += (v[i] - mv) ** 2);
      return suv / Math.sqrt(suu * svv);
    };
    const sum01 = Array.from({ length: n }, (_, r) => x[r * 3] + x[r * 3 + 1]);
    const z = Array.from({ length: n }, (_, r) => x[r * 3 + 2]);
    assert.ok(Math.abs(corr(pca.a, sum01)) > 0.999, `first axis ${corr(pca.a, sum01)}`);
    assert.ok(Math.abs(corr(pca.b, z)) > 0.99, `second axis ${corr(pca.b, z)}`);
    assert.ok(pca.explained[0] > 0.85 && pca.explained[1] > 0.05);
  });

  it('leaves no tensors behind', async () => {
    const { tf } = await getTf();
    const before = tf.memory().numTensors;
    await computeProjection(engine.db, projectFile, engine.compute);
    await computePredictions(engine.db, projectFile, engine.compute);
    assert.equal(tf.memory().numTensors, before);
  });
});
