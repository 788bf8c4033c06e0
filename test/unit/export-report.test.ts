import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { summariseConfusion } from '../../main/engine/export/report/metrics';
import { renderReport } from '../../main/engine/export/report/report-html';
import { openStagingFolder } from '../../main/engine/export/staging-folder';
import { tempDir } from '../helpers/paths';
import { api } from '../../shared/api';
import { isAbsolutePath } from '../../shared/paths';

test('per-class precision, recall and F1 from a confusion matrix; empty classes score 0, not NaN', () => {
  const m = summariseConfusion(['a', 'b', 'c'], [
    [8, 2, 0],
    [1, 9, 0],
    [0, 0, 0],
  ]);
  assert.equal(m.examples, 20);
  assert.equal(m.accuracy, 17 / 20);
  assert.equal(m.perClass[0].precision, 8 / 9);
  assert.equal(m.perClass[0].recall, 0.8);
  assert.ok(Math.abs(m.perClass[1].f1 - (2 * (9 / 11) * 0.9) / (9 / 11 + 0.9)) < 1e-12);
  assert.deepEqual([m.perClass[2].precision, m.perClass[2].recall, m.perClass[2].f1], [0, 0, 0]);
});

test('the report escapes names, embeds everything, and says what is missing', () => {
  const html = renderReport({
    projectName: '<script>alert(1)</script>',
    generatedAt: '2026-01-02T03:04:05.000Z',
    appVersion: '9.9.9',
    run: null,
    classes: [{ name: 'a & "b"', color: '#123456', count: 3 }],
    unlabelled: 2,
    splits: { train: 0, validation: 0, test: 0 },
    validation: null,
    test: null,
    history: [],
    mistakes: [],
  });
  assert.ok(!html.includes('<script>alert'));
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(html.includes('a &amp; &quot;b&quot;'));
  assert.match(html, /No evaluation yet/);
  assert.match(html, /not been split yet/);
  assert.match(html, /2 unlabelled images/);
  assert.doesNotMatch(html, /(src|href)="https?:/);
});

test('staging folder: refuses a non-empty target, replaces it with force, discards cleanly', () => {
  const { dir, cleanup } = tempDir();
  try {
    const target = path.join(dir, 'out');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'keep.txt'), 'mine');
    assert.throws(() => openStagingFolder(target), (e: Error & { code?: string }) => e.code === 'not_empty' && /is not empty/.test(e.message));

    const discarded = openStagingFolder(target, { force: true });
    fs.writeFileSync(path.join(discarded.dir, 'half.txt'), 'x');
    discarded.discard();
    assert.deepEqual(fs.readdirSync(target), ['keep.txt']);
    assert.deepEqual(fs.readdirSync(dir), ['out']);

    const staged = openStagingFolder(target, { force: true });
    fs.writeFileSync(path.join(staged.dir, 'new.txt'), 'y');
    assert.deepEqual(fs.readdirSync(target), ['keep.txt'], 'the target is untouched until commit');
    staged.commit();
    assert.deepEqual(fs.readdirSync(target), ['new.txt']);
    assert.deepEqual(fs.readdirSync(dir), ['out']);

    // A process killed between the two renames left the old content aside: it comes back.
    fs.renameSync(target, path.join(dir, '.graft-replaced-out-deadbeef'));
    fs.mkdirSync(path.join(dir, '.graft-partial-out-cafebabe'));
    openStagingFolder(path.join(dir, 'other')).discard();
    assert.throws(() => openStagingFolder(target), /not empty/, 'the restored content is protected without --force');
    assert.deepEqual(fs.readdirSync(target), ['new.txt']);
    const again = openStagingFolder(target, { force: true });
    assert.ok(!fs.existsSync(path.join(dir, '.graft-partial-out-cafebabe')));
    again.discard();

    // Leftovers of an export to `out-2` are not `out`'s: a prefix test would take them.
    fs.mkdirSync(path.join(dir, '.graft-partial-out-2-0badf00d'));
    fs.mkdirSync(path.join(dir, '.graft-replaced-out-2-feedface'));
    fs.writeFileSync(path.join(dir, '.graft-replaced-out-2-feedface', 'theirs.txt'), 'z');
    fs.rmSync(target, { recursive: true });
    openStagingFolder(target).discard();
    assert.ok(!fs.existsSync(target), "out-2's replaced folder is not restored as out");
    assert.ok(fs.existsSync(path.join(dir, '.graft-partial-out-2-0badf00d')), "out-2's staging folder is left alone");
    assert.ok(fs.existsSync(path.join(dir, '.graft-replaced-out-2-feedface', 'theirs.txt')));

    fs.writeFileSync(path.join(dir, 'file'), '');
    assert.throws(() => openStagingFolder(path.join(dir, 'file')), /is a file/);
  } finally {
    cleanup();
  }
});

test('export.start takes only an absolute folder: a relative one would land wherever the engine started', () => {
  const params = api['export.start'].params;
  for (const dir of ['/tmp/out', 'C:\\Users\\me\\out', 'D:/out', '\\\\server\\share\\out']) {
    assert.equal(params.safeParse({ dir }).success, true, dir);
  }
  for (const dir of ['out', './out', '../out', 'out/model', '~/out', 'C:out']) {
    const parsed = params.safeParse({ dir });
    assert.equal(parsed.success, false, dir);
    assert.match(parsed.error!.issues[0].message, /absolute path/);
  }
  assert.equal(isAbsolutePath(path.resolve('out')), true, 'what the CLI sends after path.resolve passes');
});

test('the report lists each ONNX and TFLite file with its check, the refusals, and a snippet per file', () => {
  const check = (runtime: string, ok: boolean) => ({ runtime, ok, detail: ok ? 'ran 8 of the project\'s photos' : 'probabilities differ by 0.3' });
  const file = (name: string, format: 'onnx' | 'tflite', ok: boolean) => ({ format, file: name, bytes: 9_600_000, weights: 'float32' as const, inputs: [{ name: 'image', shape: [1, 320, 320, 3] }], outputs: ['probabilities', 'features'], opset: format === 'onnx' ? 13 : null, check: check(format === 'onnx' ? 'onnxruntime-node 1.31.1' : 'LiteRT.js 2.5.3', ok) });
  const html = renderReport({
    projectName: 'flowers',
    generatedAt: '2026-01-02T03:04:05.000Z',
    appVersion: '9.9.9',
    run: null,
    classes: [],
    unlabelled: 0,
    splits: { train: 0, validation: 0, test: 0 },
    validation: null,
    test: null,
    history: [],
    mistakes: [],
    deployable: { files: [file('model.onnx', 'onnx', true), file('model.tflite', 'tflite', false)], refused: [{ format: 'tflite', file: 'model_int8.tflite', reason: 'layer odd (LeakyReLU) <b>' }] },
    snippets: [{ file: 'model.onnx', title: 'Python (onnxruntime)', language: 'python', code: 'print("a < b")' }],
  });
  assert.match(html, /Run the model/);
  assert.match(html, /<code>model\.onnx<\/code><\/td><td>ONNX, opset 13<\/td>.*passed: onnxruntime-node 1\.31\.1, ran 8 of the project&#39;s photos/s);
  assert.match(html, /<code>model\.tflite<\/code><\/td><td>TensorFlow Lite<\/td>.*FAILED: LiteRT\.js 2\.5\.3, probabilities differ by 0\.3/s);
  assert.match(html, /<code>model_int8\.tflite<\/code> not written: layer odd \(LeakyReLU\) &lt;b&gt;/);
  assert.match(html, /Python \(onnxruntime\).*print\(&quot;a &lt; b&quot;\)/s);
});
