/**
 * ONNX and TensorFlow Lite exports on flowers-mini, each file run by its own runtime
 * (ONNX Runtime; LiteRT.js, Google's TFLite interpreter) and held to Graft's predictor:
 * the default model (two networks) in float32, float16 and int8 weights through
 * `graft export --verify`, all 100 photos compared, and two programs with no Graft code
 * on the photos the model never saw; a fine-tuned model; a one-network model; a user
 * network with an op neither format has (refused, naming it, while TF.js is written);
 * and an export cancelled half-way (nothing left behind).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type * as tfjs from '@tensorflow/tfjs';
import type { DeployableFile, ExportResult } from '../../shared/api/export';
import type { Params } from '../../shared/api';
import type { TrainResult } from '../../shared/api/training';
import { Engine } from '../../main/engine/engine';
import { runWeights } from '../../main/engine/catalogue/runs';
import { labelledImages } from '../../main/engine/catalogue/splits';
import { decodeModel } from '../../main/engine/model/stored-model';
import { argmax, compareProbabilities } from '../../main/engine/export/deployable-check';
import { exportProject } from '../../main/engine/export/export-project';
import { importFolder } from '../../main/engine/importer';
import { addUserBackbone } from '../../main/engine/tf/backbone';
import { getTf } from '../../main/engine/tf/runtime';
import { loadPredictor } from '../../main/engine/training/predict';
import { listImageFiles } from '../helpers/catalogue-fixtures';
import { trainToEnd } from '../helpers/jobs';
import { flowersMiniDir, modelsDir, tempDir } from '../helpers/paths';
import { runGraft, runPlainScript } from '../helpers/graft-cli';
import { PLAIN_DEPLOYABLE_PREDICT_SCRIPT } from '../helpers/plain-deployable-predict';
import { assertTestRuntime } from '../helpers/runtime';

const tmp = tempDir('graft-export-deployable-');
// The refusal test adds a network of its own: into this folder, not the user's configuration.
process.env.GRAFT_CONFIG_DIR = path.join(tmp.dir, 'config');
const projectFile = path.join(tmp.dir, 'flowers-mini.graft');
const scriptFile = path.join(tmp.dir, 'plain-predict.js');
const photos = listImageFiles(flowersMiniDir);
let engine: Engine;
let defaultRun: TrainResult;

const train = (options: Params<'train.start'>): Promise<TrainResult> => trainToEnd(engine, options);

const graft = runGraft;

function exportCli(dir: string, args: string[]): ExportResult {
  const r = graft(['export', dir, '--project', projectFile, '--json', ...args]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  return JSON.parse(r.stdout) as ExportResult;
}

/** What Graft's own predictor gives (the reference of `graft predict`). */
async function graftProbabilities(runId: string, files: string[]): Promise<Float32Array[]> {
  const predictor = await loadPredictor(engine.db, { runId, modelsDir, pool: engine.compute });
  try {
    return await predictor.probabilities(files);
  } finally {
    predictor.dispose();
  }
}

/** A written file run by its own runtime, in an engine worker as the export's check does. */
async function runFile(dir: string, file: DeployableFile, files: string[]): Promise<Float32Array[]> {
  const inputs = file.inputs.map((i) => ({ name: i.name, size: i.shape[1] as number }));
  const out = await engine.compute.run('run-deployable', { file: path.join(dir, file.file), format: file.format, photos: files, inputs });
  return files.map((_, i) => out.probabilities.slice(i * out.classes, (i + 1) * out.classes));
}

/** Runs the stand-alone script: onnxruntime-node or LiteRT.js, and sharp; no Graft code. */
function plainPredict(modelFile: string, files: string[]): { labels: string[]; probabilities: number[][] } {
  const list = path.join(tmp.dir, 'plain-list.json');
  fs.writeFileSync(list, JSON.stringify(files));
  return runPlainScript(scriptFile, [modelFile, list]);
}

function checksOf(result: ExportResult): DeployableFile[] {
  assert.ok(result.deployable, 'the result lists the deployable files');
  for (const f of result.deployable.files) {
    assert.ok(f.check, `${f.file} was checked`);
    assert.equal(f.check.ok, true, `${f.file}: ${f.check.runtime}: ${f.check.detail}`);
    assert.match(f.check.runtime, f.format === 'onnx' ? /^onnxruntime-node / : /^LiteRT\.js /);
  }
  return result.deployable.files;
}

before(async () => {
  fs.writeFileSync(scriptFile, PLAIN_DEPLOYABLE_PREDICT_SCRIPT);
  engine = new Engine(projectFile, { modelsDir });
  await importFolder(engine.db, flowersMiniDir);
  defaultRun = await train({});
});
after(async () => {
  await engine?.close();
  tmp.cleanup();
});

describe('ONNX and TFLite export of the default model (two networks)', () => {
  it('runs on the TF.js runtime GRAFT_RUNTIME forces, or on a fast one', assertTestRuntime);

  // The files the reading tests run, written through the engine without --verify: each is only
  // loaded and run on a few photos by its runtime there (the tests below are the real checks).
  const dir = path.join(tmp.dir, 'default');
  let written: DeployableFile[];
  before(async () => {
    const result = await exportProject(engine.db, { dir, runId: defaultRun.runId, formats: ['onnx', 'tflite'], quantize: ['float16', 'int8'], projectPath: projectFile, workers: engine.compute, modelsDir });
    written = result.deployable!.files;
  });

  it('graft export --format tfjs,onnx,tflite --quantize float16,int8 --verify writes every file, each passing its runtime\'s check', (t) => {
    const dir = path.join(tmp.dir, 'cli');
    const result = exportCli(dir, ['--run', defaultRun.runId, '--format', 'tfjs,onnx,tflite', '--quantize', 'float16,int8', '--verify']);
    assert.deepEqual([...result.files].sort(), ['deployable.json', 'labels.txt', 'metadata.json', 'model.json', 'model.onnx', 'model.tflite', 'model_float16.tflite', 'model_int8.tflite', 'weights.bin']);
    for (const f of result.files) assert.ok(fs.existsSync(path.join(dir, f)), f);
    const files = checksOf(result);
    assert.deepEqual(files.map((f) => [f.file, f.weights]), [['model.onnx', 'float32'], ['model.tflite', 'float32'], ['model_float16.tflite', 'float16'], ['model_int8.tflite', 'int8']]);
    assert.deepEqual(result.deployable!.refused, []);
    const bytes = Object.fromEntries(files.map((f) => [f.file, f.bytes]));
    for (const f of files) assert.equal(f.bytes, fs.statSync(path.join(dir, f.file)).size);
    assert.ok(bytes['model_int8.tflite'] <= 0.3 * bytes['model.tflite'], `int8 ${bytes['model_int8.tflite']} bytes vs float32 ${bytes['model.tflite']}`);
    assert.ok(bytes['model_float16.tflite'] <= 0.55 * bytes['model.tflite'], `float16 ${bytes['model_float16.tflite']} bytes vs float32 ${bytes['model.tflite']}`);
    assert.equal(files[0].opset, 13);
    // One input (both networks read 320-px images), both outputs named.
    for (const f of files) {
      assert.deepEqual(f.inputs, [{ name: 'image', shape: [f.format === 'onnx' ? null : 1, 320, 320, 3] }]);
      assert.deepEqual(f.outputs, ['probabilities', 'features']);
    }
    assert.deepEqual(fs.readFileSync(path.join(dir, 'labels.txt'), 'utf8').split('\n').filter(Boolean), defaultRun.classes);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'deployable.json'), 'utf8')).files, files);
    // The labels packed into each .tflite file as TFLite's metadata tools expect (a zip at its
    // end), read back by Python's own zipfile, which checks every CRC.
    const py = spawnSync('python3', ['-c', 'import sys, zipfile\nfor f in sys.argv[1:]:\n  z = zipfile.ZipFile(f); assert z.testzip() is None; sys.stdout.write(z.read("labels.txt").decode())', ...files.filter((f) => f.format === 'tflite').map((f) => path.join(dir, f.file))], { encoding: 'utf8' });
    if (py.error) t.diagnostic(`python3 not found: the labels packed into the .tflite files were not read back (${py.error.message})`);
    else assert.equal(py.stdout, (defaultRun.classes.join('\n') + '\n').repeat(3), py.stderr);
    const titles = result.snippets.map((s) => `${s.file}: ${s.title}`);
    assert.ok(result.snippets.some((s) => s.file === 'model.onnx' && s.language === 'python'), titles.join('; '));
    assert.ok(result.snippets.some((s) => s.file === 'model.tflite' && s.language === 'kotlin'), titles.join('; '));
    t.diagnostic(`sizes: ${files.map((f) => `${f.file} ${f.bytes}`).join(', ')}`);
    t.diagnostic(files.map((f) => `${f.file}: ${f.check!.detail}`).join(' | '));
  });

  it('on all 100 photos: float32 files give graft predict\'s top-1 and probabilities within 1e-4, float16 within 1e-2, int8 the same top-1 on 98 or more', async (t) => {
    // Every file at once: the engine's two computing workers share the runs.
    const [expected, ...outputs] = await Promise.all([graftProbabilities(defaultRun.runId, photos), ...written.map((f) => runFile(dir, f, photos))]);
    // Not a degenerate model: the photos get different answers.
    assert.ok(new Set(expected.map(argmax)).size > 2);
    assert.deepEqual(written.map((f) => f.file), ['model.onnx', 'model.tflite', 'model_float16.tflite', 'model_int8.tflite']);
    for (const [k, file] of written.entries()) {
      assert.equal(file.check?.ok, true, `${file.file}: ${JSON.stringify(file.check)}`);
      assert.match(file.check.detail, /^ran 8 of the project's photos; probabilities sum to 1 within /);
      const c = compareProbabilities(expected, outputs[k]);
      t.diagnostic(`${file.file}: top-1 ${c.agree}/${c.rows}, max probability difference ${c.maxDiff.toExponential(2)}`);
      assert.equal(c.rows, photos.length);
      if (file.weights === 'float32') {
        assert.equal(c.agree, photos.length, file.file);
        assert.ok(c.maxDiff <= 1e-4, `${file.file}: ${c.maxDiff}`);
      } else if (file.weights === 'float16') {
        assert.ok(c.maxDiff <= 1e-2, `${file.file}: ${c.maxDiff}`);
      } else {
        assert.ok(c.agree >= 98, `${file.file}: ${c.agree}/100`);
      }
    }
  });

  it('plain onnxruntime and plain LiteRT.js (no Graft code) reach graft predict\'s accuracy on the photos the model never saw', (t) => {
    const test = labelledImages(engine.db).filter((i) => i.split === 'test');
    assert.ok(test.length >= 10, `${test.length} test photos`);
    const files = test.map((i) => i.path);
    const r = graft(['predict', ...files, '--project', projectFile, '--run', defaultRun.runId, '--top', '1', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const predicted = (JSON.parse(r.stdout) as { predictions: Array<{ top: Array<{ label: string }> }> }).predictions.map((p) => p.top[0].label);
    const accuracy = (labels: string[]) => (100 * labels.filter((l, i) => l === test[i].className).length) / test.length;
    const graftAccuracy = accuracy(predicted);
    for (const file of ['model.onnx', 'model.tflite', 'model_int8.tflite']) {
      const plain = plainPredict(path.join(dir, file), files);
      const labels = plain.probabilities.map((p) => plain.labels[argmax(p)]);
      t.diagnostic(`${file}: ${accuracy(labels).toFixed(1)}% on ${test.length} test photos; graft predict ${graftAccuracy.toFixed(1)}%`);
      assert.ok(Math.abs(accuracy(labels) - graftAccuracy) <= (file.includes('int8') ? 1 : 0.5), `${file}: ${accuracy(labels)}% vs ${graftAccuracy}%`);
    }
  });
});

describe('ONNX and TFLite export of other models', () => {
  it('a fine-tuned model: the tuned layer is in both files, which pass --verify', async () => {
    // One head epoch leaves room for one fine-tune epoch to raise validation accuracy (kept).
    const tuned = await train({ epochs: 1, fineTune: true, fineTuneEpochs: 1, fineTuneLearningRate: 0.001 });
    assert.equal(tuned.fineTune?.kept, true, JSON.stringify(tuned.fineTune));
    const files = checksOf(exportCli(path.join(tmp.dir, 'tuned'), ['--run', tuned.runId, '--format', 'onnx,tflite', '--verify']));
    // --verify held both to the predictor, which runs the tuned layer: 1e-4 leaves no room to miss it.
    assert.deepEqual(files.map((f) => f.file), ['model.onnx', 'model.tflite']);
    assert.equal(decodeModel(runWeights(engine.db, tuned.runId)).fineTuned?.backbone, 'mobilenet_v1_0.75_224_at320');
  });

  it('a model with one network (224 px): every file passes --verify', async () => {
    const one = await train({ backbones: ['mobilenet_v1_0.25_224'] });
    const files = checksOf(exportCli(path.join(tmp.dir, 'one'), ['--run', one.runId, '--format', 'onnx,tflite', '--quantize', 'int8', '--verify']));
    assert.deepEqual(files.map((f) => f.file), ['model.onnx', 'model.tflite', 'model_int8.tflite']);
    for (const f of files) assert.deepEqual(f.inputs[0].shape.slice(1), [224, 224, 3]);
  });

  it('a user network with an op neither format has: ONNX and TFLite refused naming it, TF.js still written', async () => {
    const { tf } = await getTf();
    const l = tf.layers;
    const input = tf.input({ shape: [32, 32, 3] });
    let x = l.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same' }).apply(input) as tfjs.SymbolicTensor;
    x = l.leakyReLU({ alpha: 0.1, name: 'odd_activation' }).apply(x) as tfjs.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: x });
    const folder = path.join(tmp.dir, 'leaky-network');
    fs.mkdirSync(folder);
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        fs.writeFileSync(path.join(folder, 'weights.bin'), Buffer.from(artifacts.weightData as ArrayBuffer));
        fs.writeFileSync(path.join(folder, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] }));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    model.dispose();
    await addUserBackbone({ folder, id: 'leaky_test', inputSize: 32, inputRange: [-1, 1] });
    const run = await train({ backbones: ['leaky_test'] });
    const dir = path.join(tmp.dir, 'leaky');
    const result = exportCli(dir, ['--run', run.runId, '--format', 'tfjs,onnx,tflite', '--verify']);
    assert.deepEqual(result.deployable!.files, []);
    assert.deepEqual(result.deployable!.refused.map((r) => [r.format, r.file]), [['onnx', 'model.onnx'], ['tflite', 'model.tflite']]);
    for (const r of result.deployable!.refused) {
      assert.match(r.reason, /odd_activation/, r.reason);
      assert.match(r.reason, /LeakyReLU/, r.reason);
    }
    assert.ok(result.files.includes('model.json') && result.files.includes('weights.bin'), result.files.join(', '));
    assert.ok(!fs.existsSync(path.join(dir, 'model.onnx')) && !fs.existsSync(path.join(dir, 'model.tflite')));
    assert.equal(result.modelFormat, 'layers-model');
  });

  it('an export cancelled while it writes the TFLite file leaves nothing behind, and an earlier export in place', async () => {
    const parent = path.join(tmp.dir, 'cancelled');
    const dir = path.join(parent, 'out');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'keep.txt'), 'an earlier export');
    const controller = new AbortController();
    let stages: string[] = [];
    await assert.rejects(
      exportProject(engine.db, {
        dir,
        runId: defaultRun.runId,
        formats: ['onnx', 'tflite'],
        force: true,
        projectPath: projectFile,
        workers: engine.compute,
        modelsDir,
        signal: controller.signal,
        progress: (stage, _done, _total, message) => {
          stages = [...stages, `${stage}: ${message ?? ''}`];
          if (message === 'compiling model.tflite') controller.abort();
        },
      }),
      (err: Error & { code?: string }) => err.code === 'cancelled',
    );
    assert.ok(stages.some((s) => s.includes('compiling model.tflite')), stages.join('\n'));
    assert.deepEqual(fs.readdirSync(parent), ['out'], 'no staging folder is left');
    assert.deepEqual(fs.readdirSync(dir), ['keep.txt'], 'the earlier export is untouched');
  });
});
