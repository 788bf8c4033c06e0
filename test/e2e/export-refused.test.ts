/// <reference lib="dom" />
/**
 * A model that ONNX and TensorFlow Lite cannot express, exported from the dialog
 * (Chromium, web transport): a flowers-mini project trained on a network of the user's
 * own with a LeakyReLU layer. Both formats are refused with the layer and its op named on
 * the result page, as deployable.json on disk says, and the TF.js model is still written.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { DeployableRefusal } from '../../shared/api/export';
import { call } from '../../main/engine/dispatch';
import { getTf } from '../../main/engine/tf/runtime';
import { saveLeakyNetwork } from '../helpers/layers-model-folder';
import type { LaunchedBrowser } from './browser';
import { assertLayoutAtSizes } from './layout-probes';
import { snap } from './page-probes';
import { openTrainedStudio, trainFlowersMini, type TrainedStudioSession } from './trained-studio';

describe('export refused for a model the format cannot express (Chromium, web transport)', () => {
  let session: TrainedStudioSession;
  let browser: LaunchedBrowser;
  let page: Page;
  let target: string;

  before(async () => {
    session = await openTrainedStudio('graft-e2e-export-refused-', async (dir) => {
      // The user's networks are listed in the config folder: this test's own, not the machine's.
      process.env.GRAFT_CONFIG_DIR = path.join(dir, 'config');
      const network = path.join(dir, 'leaky-network');
      await saveLeakyNetwork((await getTf()).tf, network, 16);
      return trainFlowersMini(dir, { backbones: ['leaky_net'], members: 1, epochs: 5 }, async (engine) => {
        await call(engine, 'backbones.add', { folder: network, id: 'leaky_net', inputSize: 16, pooling: 'none' });
      });
    });
    ({ browser, page } = session);
    target = path.join(session.dir, 'refused export');
  });

  after(() => session?.close());

  it('names the layer and op for each refused format, and still writes the TF.js model', async () => {
    await page.getByTestId('export-button').click();
    await page.getByTestId('export-dialog').waitFor();
    for (const [format, on] of [['tfjs', true], ['onnx', true], ['tflite', true], ['report', false]] as const) {
      const box = page.getByTestId(`export-format-${format}`);
      if ((await box.isChecked()) !== on) await box.click();
    }
    await page.getByTestId('export-dir').fill(target);
    await page.getByTestId('export-start').click();
    await page.getByTestId('export-result').waitFor({ timeout: 300_000 });

    assert.ok(fs.existsSync(path.join(target, 'model.json')), 'the TF.js model is written');
    for (const f of ['model.onnx', 'model.tflite']) assert.equal(fs.existsSync(path.join(target, f)), false, `no ${f}`);
    const { refused } = JSON.parse(fs.readFileSync(path.join(target, 'deployable.json'), 'utf8')) as { refused: DeployableRefusal[] };
    assert.deepEqual(refused.map((r) => r.format).sort(), ['onnx', 'tflite']);

    for (const r of refused) {
      assert.match(r.reason, /odd_activation/, `${r.format}: the engine names the layer`);
      const shown = await page.locator(`[data-testid=export-refused][data-format=${r.format}]`).innerText();
      assert.ok(shown.includes(r.reason), `${r.format}: the result page gives the reason (${shown})`);
      assert.match(shown, /LeakyReLU/, `${r.format}: and the op`);
    }
    assert.equal(await page.getByTestId('export-model-files').count(), 0, 'no model file rows when none was written');
    assert.equal(await page.locator('.headline.warn').count(), 1, 'the headline does not claim a clean export');
    await assertLayoutAtSizes(page, 'export-result-refused', async () => {
      await page.getByTestId('export-refused').first().waitFor();
    });
    await page.setViewportSize({ width: 1280, height: 800 });
    await snap(page, 'export-refused-result');
    await page.getByTestId('export-done').click();
    assert.deepEqual(browser.problems, [], 'no console errors, CSP violations or failed loads');
  });
});
