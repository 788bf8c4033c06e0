/// <reference lib="dom" />
/**
 * ONNX and TensorFlow Lite from the Export dialog (Chromium, web transport, a trained
 * flowers-mini project): the formats are offered with TFLite's smaller files, the files
 * land on disk, and the result page shows each model file as the engine measured it
 * (deployable.json on disk is the reference), with snippets whose Copy puts the code on
 * the clipboard. Both pages are checked for layout at 1280×800 and 1024×700.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { DeployableFile } from '../../shared/api/export';
import type { LaunchedBrowser } from './browser';
import { assertLayoutAtSizes } from './layout-probes';
import { snap } from './page-probes';
import { openTrainedStudio, type TrainedStudioSession } from './trained-studio';

describe('export ONNX and TensorFlow Lite from the dialog (Chromium, web transport)', () => {
  let session: TrainedStudioSession;
  let browser: LaunchedBrowser;
  let page: Page;
  let target: string;

  before(async () => {
    session = await openTrainedStudio('graft-e2e-export-deployable-');
    ({ browser, page } = session);
    target = path.join(session.dir, 'deployable export');
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: session.studio.server.url });
  });

  after(() => session?.close());

  /** Ticks or unticks a checkbox whatever state an earlier step (or the remembered defaults) left it in. */
  async function setChecked(testid: string, on: boolean): Promise<void> {
    const box = page.getByTestId(testid);
    if ((await box.isChecked()) !== on) await box.click();
    assert.equal(await box.isChecked(), on, testid);
  }

  it('offers ONNX and TensorFlow Lite beside TF.js, and the smaller TFLite files only with TFLite', async () => {
    await page.getByTestId('export-button').click();
    await page.getByTestId('export-dialog').waitFor();
    for (const [format, name, runsOn] of [
      ['tfjs', 'TensorFlow.js', /web page/],
      ['onnx', 'ONNX', /ONNX Runtime/],
      ['tflite', 'TensorFlow Lite', /Android/],
    ] as const) {
      const row = page.locator('label.format', { has: page.getByTestId(`export-format-${format}`) });
      assert.equal(await row.locator('strong').innerText(), name);
      assert.match(await row.locator('small').innerText(), runsOn, `${name}: says where it runs`);
      assert.equal(await page.getByTestId(`export-format-${format}`).isEnabled(), true, `${name}: offered once a model is trained`);
    }

    await setChecked('export-format-tflite', false);
    assert.equal(await page.getByTestId('export-quantize-int8').count(), 0, 'no quantized files to offer without TFLite');
    await setChecked('export-format-tflite', true);
    await setChecked('export-format-onnx', true);
    await setChecked('export-format-tfjs', true);
    // The report's label-mistakes search is the slow part of an export and is not under test here.
    await setChecked('export-format-report', false);
    await setChecked('export-quantize-float16', true);
    await setChecked('export-quantize-int8', true);
    await page.getByTestId('export-dir').fill(target);
    await assertLayoutAtSizes(page, 'export-dialog-deployable', async () => {
      await page.getByTestId('export-quantize-int8').waitFor();
    });
    await page.setViewportSize({ width: 1280, height: 800 });
    await snap(page, 'export-deployable-1-chooser');
  });

  it('writes the files, and the result page shows each with its size, weights and check as measured', async () => {
    await page.getByTestId('export-start').click();
    await page.getByTestId('export-result').waitFor({ timeout: 300_000 });

    for (const f of ['model.onnx', 'model.tflite', 'model_float16.tflite', 'model_int8.tflite', 'labels.txt', 'deployable.json', 'model.json']) {
      assert.ok(fs.existsSync(path.join(target, f)), `${f} written`);
    }
    const measured = JSON.parse(fs.readFileSync(path.join(target, 'deployable.json'), 'utf8')) as { files: DeployableFile[] };
    assert.deepEqual(
      measured.files.map((f) => f.file),
      ['model.onnx', 'model.tflite', 'model_float16.tflite', 'model_int8.tflite'],
    );

    const rows = page.getByTestId('export-model-file');
    assert.equal(await rows.count(), measured.files.length, 'one row per model file');
    for (const file of measured.files) {
      const row = page.locator(`[data-testid=export-model-file][data-file="${file.file}"]`);
      assert.equal(await row.getAttribute('data-format'), file.format);
      const onDisk = fs.statSync(path.join(target, file.file)).size;
      assert.equal(onDisk, file.bytes, `${file.file}: deployable.json gives its size on disk`);
      const shown = (await row.getByTestId('export-model-file-size').innerText()).match(/^([\d.]+) MB$/);
      assert.ok(shown, `${file.file}: size shown in MB`);
      assert.ok(Math.abs(Number(shown[1]) - onDisk / 2 ** 20) <= 0.05, `${file.file}: ${shown[0]} for ${onDisk} bytes`);
      assert.equal(await row.getByTestId('export-model-file-weights').innerText(), file.weights);
      const check = await row.getByTestId('export-model-file-check').innerText();
      if (file.check) {
        assert.equal(await row.getAttribute('data-check'), file.check.ok ? 'ok' : 'failed');
        assert.ok(check.includes(file.check.runtime), `${file.file}: names the runtime (${check})`);
        assert.ok(check.includes(file.check.detail), `${file.file}: gives the check's detail (${check})`);
      } else {
        assert.equal(await row.getAttribute('data-check'), 'none');
        assert.match(check, /Not checked/);
      }
    }
    const onnx = measured.files.find((f) => f.format === 'onnx')!;
    assert.equal(onnx.check?.ok, true, `the ONNX file passed ONNX Runtime's check: ${onnx.check?.detail}`);
    assert.match(await page.locator('[data-file="model_int8.tflite"]').innerText(), /\d+% of float32/, 'a quantized file is set against the float32 one');
    assert.equal(await page.getByTestId('export-refused').count(), 0, 'nothing refused for this model');

    await assertLayoutAtSizes(page, 'export-result-deployable', async () => {
      await page.getByTestId('export-model-files').waitFor();
    });
    await page.setViewportSize({ width: 1280, height: 800 });
    await snap(page, 'export-deployable-2-result');
  });

  it('gives a snippet per written format, and Copy puts the shown code on the clipboard', async () => {
    const tabs = page.getByTestId('export-snippet-tab');
    const titles = await tabs.allInnerTexts();
    for (const expected of ['Web page (TensorFlow.js)', 'Python (onnxruntime)', 'Node (onnxruntime-node)', 'Android / Kotlin (TFLite Interpreter)']) {
      assert.ok(titles.includes(expected), `a “${expected}” snippet (tabs: ${titles.join(', ')})`);
    }

    await tabs.filter({ hasText: 'Python (onnxruntime)' }).click();
    const code = page.getByTestId('export-snippet');
    assert.equal(await code.getAttribute('data-language'), 'python');
    const python = await code.evaluate((el) => el.textContent ?? '');
    assert.match(python, /ort\.InferenceSession\("model\.onnx"\)/, 'loads the ONNX file written');
    await page.getByTestId('export-copy-snippet').click();
    await page.getByTestId('export-copy-snippet').filter({ hasText: 'Copied' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), python, 'the clipboard holds the code shown');

    // The tab strip moves with the arrow keys, like any other.
    await tabs.filter({ hasText: 'Python (onnxruntime)' }).focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.locator('[data-testid=export-snippet-tab][aria-selected=true]').innerText(), titles[titles.indexOf('Python (onnxruntime)') + 1]);
    await tabs.filter({ hasText: 'Android / Kotlin' }).click();
    assert.match(await code.innerText(), /openFd\("model\.tflite"\)/, 'the Kotlin snippet loads the float32 TFLite file');
    await snap(page, 'export-deployable-3-snippet');

    await page.getByTestId('export-done').click();
    await page.getByTestId('export-dialog').waitFor({ state: 'detached' });
    assert.deepEqual(browser.problems, [], 'no console errors, CSP violations or failed loads');
  });
});
