/// <reference lib="dom" />
/**
 * Every view at the smallest window Graft supports (1024×700) and at a common one
 * (1280×800), on a trained flowers-mini project: nothing spills out of its box or is
 * clipped, the window never scrolls sideways, and buttons keep their distance from the
 * window's edge. Each view's screenshot at both sizes is kept as a test artifact.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { flowersDir, flowersMiniDir } from '../helpers/paths';
import type { LaunchedBrowser } from './browser';
import { assertLayoutAtSizes } from './layout-probes';
import { snap, waitForThumbnailsOnScreen } from './page-probes';
import { openTrainedStudio, type TrainedStudioSession } from './trained-studio';

describe('layout at 1280×800 and 1024×700 (Chromium, web transport)', () => {
  let session: TrainedStudioSession;
  let browser: LaunchedBrowser;
  let page: Page;

  before(async () => {
    session = await openTrainedStudio('graft-e2e-layout-');
    ({ browser, page } = session);
  });

  after(() => session?.close());

  const tab = (name: string) => page.locator('nav[aria-label=Views] button', { hasText: name });

  const atEverySize = (name: string, settle: () => Promise<void>) => assertLayoutAtSizes(page, name, settle);

  it('library, with every class and “New class” in the sidebar without scrolling', async () => {
    await tab('Library').click();
    await page.getByTestId('collection-all').click();
    await atEverySize('library', async () => {
      await page.getByTestId('view-count').filter({ hasText: '100 images' }).waitFor();
      await waitForThumbnailsOnScreen(page);
      const { context, ...shown } = await page.locator('aside.sidebar button', { hasText: 'New class' }).evaluate((el) => {
        const r = el.getBoundingClientRect();
        const box = el.closest('.classes')!.getBoundingClientRect();
        const height = (selector: string) => Math.round(document.querySelector(selector)?.getBoundingClientRect().height ?? 0);
        // What takes the room when it fails (once, in CI, the cause was not seen): banner, sections, footer.
        const context = {
          slack: Math.round(box.bottom - r.bottom),
          offlineBanner: height('[data-testid=engine-offline]'),
          model: document.querySelector('[data-testid=model-collections]')?.textContent?.replace(/\s+/g, ' ').trim(),
          modelHeight: height('[data-testid=model-collections]'),
          footer: document.querySelector('aside.sidebar footer')?.textContent?.replace(/\s+/g, ' ').trim(),
          sidebarHeight: height('aside.sidebar'),
        };
        return { inside: r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5, scrolled: el.closest('.classes')!.scrollTop, context };
      });
      if (!shown.inside) await snap(page, `layout-library-new-class-hidden-${page.viewportSize()?.width}x${page.viewportSize()?.height}`);
      assert.deepEqual(shown, { inside: true, scrolled: 0 }, `“New class” fully shown at ${page.viewportSize()?.width}×${page.viewportSize()?.height} (${JSON.stringify(context)})`);
    });
  });

  it('library: a model list with the model’s answers on the thumbnails', async () => {
    await tab('Library').click();
    await page.getByTestId('model-list-suspects').click();
    await page.getByTestId('collection-title').filter({ hasText: 'Likely label mistakes' }).waitFor({ timeout: 60_000 });
    await atEverySize('library-likely-mistakes', async () => {
      await waitForThumbnailsOnScreen(page);
      await page.getByTestId('thumb-fix').first().waitFor();
    });
  });

  it('train, with results', async () => {
    await tab('Train').click();
    const toggle = page.getByTestId('train-settings-toggle');
    if ((await toggle.getAttribute('aria-expanded')) === 'true') await toggle.click();
    await atEverySize('train-results', async () => {
      await page.getByTestId('confusion-matrix').waitFor();
    });
  });

  it('train, with the settings drawer open over the results', async () => {
    await tab('Train').click();
    const toggle = page.getByTestId('train-settings-toggle');
    if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
    await page.getByTestId('train-settings').waitFor();
    await atEverySize('train-settings-drawer', async () => {
      await page.getByTestId('confusion-matrix').waitFor();
      // The matrix itself, scrolled into view beside the drawer.
      await page.getByTestId('confusion-matrix').scrollIntoViewIfNeeded();
    });
    await toggle.click();
  });

  it('predict, with a prediction', async () => {
    await tab('Predict').click();
    await page.getByTestId('predict-dropzone').waitFor();
    const inMini = new Set(fs.readdirSync(path.join(flowersMiniDir, 'daisy')));
    const photo = fs.readdirSync(path.join(flowersDir, 'daisy')).find((f) => !inMini.has(f))!;
    await page.getByTestId('predict-file-input').setInputFiles(path.join(flowersDir, 'daisy', photo));
    await page.locator('[data-testid=prediction][data-status=done]').first().waitFor({ timeout: 120_000 });
    await atEverySize('predict', async () => {
      await page.locator('[data-testid=prediction] img').first().waitFor();
    });
  });

  it('map', async () => {
    await tab('Map').click();
    await atEverySize('map', async () => {
      await page.locator('[data-testid=embedding-map] canvas').first().waitFor();
      await page.getByTestId('embedding-map').locator('.view-subtitle').waitFor({ timeout: 30_000 });
    });
  });

  it('import dialog', async () => {
    await tab('Library').click();
    await page.getByTestId('import-button').click();
    await page.getByTestId('import-dialog').waitFor();
    await atEverySize('import-dialog', async () => {
      await page.getByTestId('import-folder-input').waitFor();
    });
    await page.keyboard.press('Escape');
    await page.getByTestId('import-dialog').waitFor({ state: 'detached' });
  });

  it('export dialog', async () => {
    await page.getByTestId('export-button').click();
    await page.getByTestId('export-dialog').waitFor();
    await atEverySize('export-dialog', async () => {
      await page.getByTestId('export-dir').waitFor();
    });
    await page.keyboard.press('Escape');
    await page.getByTestId('export-dialog').waitFor({ state: 'detached' });
  });

  it('ran without page errors', () => {
    assert.deepEqual(browser.problems, []);
  });
});
