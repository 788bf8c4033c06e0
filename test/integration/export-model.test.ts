/**
 * Model export end to end on flowers-mini: train with the default backbones (two
 * backbones' codes concatenated) plus the mirrored view and an ensemble, export through the CLI,
 * load the export with plain TF.js in a separate process (no Graft code), and check
 * that it predicts what the project predicts. Then the same for a graph-model
 * backbone, and the report in a real Chromium with no network.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ExportResult } from '../../shared/api/export';
import type { Params } from '../../shared/api';
import type { TrainResult } from '../../shared/api/training';
import { Engine } from '../../main/engine/engine';
import { exportProject } from '../../main/engine/export/export-project';
import { loadExportedModel } from '../../main/engine/export/exported-model';
import { importFolder } from '../../main/engine/importer';
import { getTf } from '../../main/engine/tf/runtime';
import { expandInputs, loadPredictor } from '../../main/engine/training/predict';
import { artifactsDir, flowersMiniDir, modelsDir, tempDir } from '../helpers/paths';
import { runGraft, runPlainScript } from '../helpers/graft-cli';
import { PLAIN_TFJS_PREDICT_SCRIPT } from '../helpers/plain-tfjs-predict';
import { launchPlainBrowser, uiTestsSkipped } from '../e2e/browser';
import { trainToEnd } from '../helpers/jobs';
import { assertTestRuntime } from '../helpers/runtime';

const tmp = tempDir('graft-export-model-');
const projectFile = path.join(tmp.dir, 'flowers-mini.graft');
const modelDir = path.join(tmp.dir, 'exports', 'flowers-model');
const scriptFile = path.join(tmp.dir, 'plain-predict.js');
let engine: Engine;
let defaultRun: TrainResult;

const train = (options: Params<'train.start'>): Promise<TrainResult> => trainToEnd(engine, options);

const graft = runGraft;

/** Runs the stand-alone script: only @tensorflow/tfjs, its wasm backend and sharp. */
function plainTfjs(dir: string, images: string): { files: string[]; labels: string[]; probabilities: number[][] } {
  return runPlainScript(scriptFile, [dir, images]);
}

before(async () => {
  fs.writeFileSync(scriptFile, PLAIN_TFJS_PREDICT_SCRIPT);
  engine = new Engine(projectFile, { modelsDir });
  await importFolder(engine.db, flowersMiniDir);
  // Mirrored view, a hidden layer, a 2-member ensemble and (by default) the neighbour vote:
  // the export must carry them all.
  defaultRun = await train({ flip: true, members: 2, hidden: 32 });
});
after(async () => {
  await engine?.close();
  tmp.cleanup();
});

describe('TF.js layers model export (two backbones concatenated, mirrored view, ensemble, vote)', () => {
  it('runs on the TF.js runtime GRAFT_RUNTIME forces, or on a fast one', assertTestRuntime);

  let result: ExportResult;

  it('graft export writes model.json, weights.bin, metadata.json and report.html, and reports them', () => {
    const r = graft(['export', modelDir, '--project', projectFile, '--json']);
    assert.equal(r.status, 0, r.stderr);
    result = JSON.parse(r.stdout) as ExportResult;
    assert.deepEqual([...result.files].sort(), ['metadata.json', 'model.json', 'report.html', 'weights.bin']);
    assert.equal(result.bytes, result.files.reduce((a, f) => a + fs.statSync(path.join(modelDir, f)).size, 0));
    assert.equal(result.runId, defaultRun.runId);
    assert.equal(result.modelFormat, 'layers-model');
    assert.deepEqual(fs.readdirSync(path.dirname(modelDir)), ['flowers-model'], 'no staging folder is left behind');

    const meta = JSON.parse(fs.readFileSync(path.join(modelDir, 'metadata.json'), 'utf8'));
    for (const field of ['labels', 'imageSize', 'modelName', 'timeStamp', 'tfjsVersion', 'tmVersion', 'packageVersion', 'packageName']) {
      assert.ok(meta[field] !== undefined, `metadata.json has ${field}`);
    }
    assert.deepEqual(meta.labels, defaultRun.classes);
    assert.equal(meta.imageSize, 320, 'the default networks see 320-pixel images');
    assert.equal(meta.graft.runId, defaultRun.runId);
    assert.equal(meta.graft.modelFormat, 'layers-model');
    assert.deepEqual(meta.graft.backbones.map((b: { id: string }) => b.id), ['mobilenet_v1_0.75_224_at320', 'mobilenet_v2_0.35_224_notop_at320']);
    assert.deepEqual(meta.graft.views, ['center', 'flip']);
    assert.equal(meta.graft.ensembleMembers, 3, 'two trained heads and the neighbour vote');
    const { train, validation } = meta.graft.metrics.counts;
    assert.equal(meta.graft.neighbourVote.voters, train + validation, 'every training and validation image votes (its centre view once)');
    assert.deepEqual(meta.graft.preprocessing.range, [-1, 1]);
    assert.equal(meta.graft.metrics.accuracy.test, defaultRun.accuracy.test);
    assert.equal(typeof meta.graft.seed, 'number');

    const modelJson = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
    assert.equal(modelJson.format, 'layers-model');
    assert.deepEqual(modelJson.weightsManifest.map((g: { paths: string[] }) => g.paths), [['weights.bin']]);
  });

  it('plain @tensorflow/tfjs, fed as metadata.json describes, gives the same top-1 labels as graft predict', () => {
    const plain = plainTfjs(modelDir, flowersMiniDir);
    assert.equal(plain.files.length, 100);
    const r = graft(['predict', flowersMiniDir, '--project', projectFile, '--top', '1', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const project = JSON.parse(r.stdout) as { predictions: Array<{ path: string; top: Array<{ label: string }> }> };
    const byPath = new Map(project.predictions.map((p) => [p.path, p.top[0].label]));
    const disagreements = plain.files.filter((f, i) => byPath.get(f) !== plain.labels[i]);
    assert.deepEqual(disagreements, []);
    for (const row of plain.probabilities) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-4, 'outputs are probabilities');
  });

  it('graft predict --model gives the project\'s probabilities within 1e-4, with no project', () => {
    const images = flowersMiniDir;
    const a = graft(['predict', images, '--model', modelDir, '--top', '5', '--json']);
    assert.equal(a.status, 0, a.stderr);
    const b = graft(['predict', images, '--project', projectFile, '--top', '5', '--json']);
    assert.equal(b.status, 0, b.stderr);
    const exported = JSON.parse(a.stdout) as { runId: string; predictions: Array<{ path: string; top: Array<{ label: string; probability: number }> }> };
    const project = JSON.parse(b.stdout) as typeof exported;
    assert.equal(exported.runId, defaultRun.runId);
    let maxDiff = 0;
    project.predictions.forEach((p, i) => {
      assert.equal(exported.predictions[i].path, p.path);
      const other = new Map(exported.predictions[i].top.map((t) => [t.label, t.probability]));
      for (const t of p.top) maxDiff = Math.max(maxDiff, Math.abs(t.probability - other.get(t.label)!));
    });
    // The CLI rounds to 4 decimals, so two values within 1e-4 can print one unit apart.
    assert.ok(maxDiff <= 1e-4 + 1e-9, `max difference ${maxDiff}`);
  });

  it('the exported model and the project predictor agree to 1e-4 before rounding, and leave no tensors behind', async () => {
    const { tf } = await getTf();
    const files = expandInputs([flowersMiniDir]).filter((_, i) => i % 5 === 0);
    const predictor = await loadPredictor(engine.db, { pool: engine.compute });
    const fromProject = await predictor.probabilities(files);
    predictor.dispose();
    const before = tf.memory().numTensors;
    const model = await loadExportedModel(modelDir, engine.compute);
    const fromExport = await model.probabilities(files);
    const top = await model.predict(files.slice(0, 2), 2);
    model.dispose();
    assert.equal(tf.memory().numTensors, before, 'every tensor of the loaded export is released');
    let maxDiff = 0;
    fromProject.forEach((p, i) => p.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - fromExport[i][j])))));
    assert.ok(maxDiff <= 1e-4, `max difference ${maxDiff}`);
    assert.equal(top[0].length, 2);
  });

  it('refuses to overwrite the non-empty folder without --force, and replaces it with --force', () => {
    const r = graft(['export', modelDir, '--project', projectFile, '--format', 'report', '--no-mistakes']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /is not empty.*--force/);
    assert.ok(fs.existsSync(path.join(modelDir, 'model.json')), 'the existing export is untouched');
    const forced = graft(['export', modelDir, '--project', projectFile, '--format', 'report', '--no-mistakes', '--force', '--json']);
    assert.equal(forced.status, 0, forced.stderr);
    assert.deepEqual(fs.readdirSync(modelDir), ['report.html']);
    assert.deepEqual(fs.readdirSync(path.dirname(modelDir)), ['flowers-model']);
  });
});

describe('graph-model backbone export (TF Hub MobileNet, input [0, 1])', () => {
  const graphDir = path.join(tmp.dir, 'exports', 'graph-model');
  let run: TrainResult;

  it('exports as a TF.js graph model with the head appended, in the [-1, 1] convention', async () => {
    run = await train({ backbones: ['tfhub_mobilenet_v1_025_224_classification'], flip: true, members: 2, epochs: 20 });
    const { tf } = await getTf();
    const before = tf.memory().numTensors;
    const result = await exportProject(engine.db, { dir: graphDir, runId: run.runId, formats: ['tfjs'], projectPath: projectFile, workers: engine.compute, modelsDir });
    assert.equal(tf.memory().numTensors, before);
    assert.equal(result.modelFormat, 'graph-model');
    const meta = JSON.parse(fs.readFileSync(path.join(graphDir, 'metadata.json'), 'utf8'));
    assert.equal(meta.graft.modelFormat, 'graph-model');
    assert.deepEqual(meta.graft.preprocessing.range, [-1, 1]);
    assert.deepEqual(meta.graft.backbones[0].inputRange, [0, 1]);
    const modelJson = JSON.parse(fs.readFileSync(path.join(graphDir, 'model.json'), 'utf8'));
    assert.equal(modelJson.format, 'graph-model');
    const ops = new Set(modelJson.modelTopology.node.map((n: { op: string }) => n.op));
    assert.ok(ops.has('MatMul') && ops.has('Softmax') && ops.has('ReverseV2'), 'head and mirrored view are in the graph');
    assert.ok(!modelJson.modelTopology.node.some((n: { name: string }) => n.name.includes('Conv2d_1c_1x1')), 'the ImageNet logits were cut off');
  });

  it('plain tf.loadGraphModel gives the project\'s top-1 labels, and probabilities within 1e-4', async () => {
    const plain = plainTfjs(graphDir, flowersMiniDir);
    const predictor = await loadPredictor(engine.db, { runId: run.runId, pool: engine.compute });
    const fromProject = await predictor.probabilities(plain.files);
    predictor.dispose();
    let maxDiff = 0;
    const disagreements: string[] = [];
    fromProject.forEach((p, i) => {
      p.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - plain.probabilities[i][j]))));
      const best = run.classes[p.indexOf(Math.max(...p))];
      if (best !== plain.labels[i]) disagreements.push(plain.files[i]);
    });
    assert.deepEqual(disagreements, []);
    assert.ok(maxDiff <= 1e-4, `max difference ${maxDiff}`);
  });
});

describe('report.html', () => {
  const reportDir = path.join(tmp.dir, 'exports', 'report');

  it('renders in Chromium with no network: charts, matrix and thumbnails all embedded', async (t) => {
    if (uiTestsSkipped()) return t.skip('GRAFT_SKIP_UI_TESTS=1: the report was not rendered in a browser');
    const result = await exportProject(engine.db, { dir: reportDir, runId: defaultRun.runId, formats: ['report'], projectPath: projectFile, workers: engine.compute, modelsDir });
    assert.deepEqual(result.files, ['report.html']);
    const html = fs.readFileSync(path.join(reportDir, 'report.html'), 'utf8');
    assert.doesNotMatch(html, /(src|href)="https?:/, 'nothing is fetched from the network');
    assert.doesNotMatch(html, /<script/i);
    for (const c of defaultRun.classes) assert.ok(html.includes(c));

    const browser = await launchPlainBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const external: string[] = [];
      page.on('request', (r) => {
        if (!/^(file|data):/.test(r.url())) external.push(r.url());
      });
      await page.goto(`file://${path.join(reportDir, 'report.html')}`);
      const facts = await page.evaluate(() => ({
        charts: document.querySelectorAll('svg.chart').length,
        matrixCells: document.querySelectorAll('table.confusion td.cell').length,
        thumbnails: Array.from(document.querySelectorAll('.mistake img') as unknown as ArrayLike<{ naturalWidth: number }>, (i) => i.naturalWidth),
        title: document.querySelector('h1')?.textContent,
      }));
      fs.mkdirSync(artifactsDir, { recursive: true });
      await page.screenshot({ path: path.join(artifactsDir, 'export-report.png'), fullPage: true });
      assert.deepEqual(external, []);
      assert.equal(facts.title, 'flowers-mini');
      assert.ok(facts.charts >= 3, `class, loss and accuracy charts (${facts.charts})`);
      assert.equal(facts.matrixCells, defaultRun.classes.length ** 2);
      assert.ok(facts.thumbnails.length > 0, 'likely mistakes are listed');
      assert.ok(facts.thumbnails.every((w) => w > 0), 'every thumbnail decodes');
    } finally {
      await browser.close();
    }
  });
});
