/// <reference lib="dom" />
/**
 * The studio with 10,000 images: how long until the first screen of thumbnails is
 * there, and how smooth scrolling is (time between frames while the grid scrolls
 * steadily and in fast flings). The figures are printed and saved beside the
 * screenshots (test-artifacts/e2e/large-library.json) and never asserted (the machines are
 * shared and busy); what is asserted is what a clock does not decide: the grid virtualizes,
 * the screen fills, the grid scrolls, and one step labels everything.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { flowersMiniDir, tempDir, artifactsDir } from '../helpers/paths';
import { launchBrowser, type LaunchedBrowser } from './browser';
import { measureScroll, snap, waitForThumbnailsOnScreen, type FrameStats } from './page-probes';
import { startStudio, type Studio } from './studio';
import { makeSyntheticProject, type SyntheticProject } from './synthetic-project';

const IMAGES = 10_000;

describe(`library of ${IMAGES.toLocaleString()} images (Chromium, web transport)`, () => {
  let tmp: ReturnType<typeof tempDir>;
  let made: SyntheticProject;
  let studio: Studio;
  let browser: LaunchedBrowser;
  const figures: Record<string, unknown> = {};

  before(async () => {
    tmp = tempDir('graft-e2e-large-');
    const projectFile = path.join(tmp.dir, 'large.graft');
    made = await makeSyntheticProject(projectFile, flowersMiniDir, IMAGES);
    figures.project = made;
    studio = await startStudio(projectFile);
    browser = await launchBrowser({ colorScheme: 'dark' });
  });

  after(async () => {
    await browser?.close();
    await studio?.close();
    tmp?.cleanup();
    fs.mkdirSync(path.join(artifactsDir, 'e2e'), { recursive: true });
    fs.writeFileSync(path.join(artifactsDir, 'e2e', 'large-library.json'), `${JSON.stringify(figures, null, 2)}\n`);
    console.log(`large library figures: ${JSON.stringify(figures)}`);
  });

  it('opens with the first screen of thumbnails, rendering only the rows on screen', async () => {
    const { page } = browser;
    await page.goto(studio.server.url);
    const firstScreenMs = await waitForThumbnailsOnScreen(page, 30_000);
    const nav = await page.evaluate(() => {
      const entry = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      return { domContentLoadedMs: Math.round(entry.domContentLoadedEventEnd), loadMs: Math.round(entry.loadEventEnd) };
    });
    const tiles = await page.locator('[data-testid=thumbnail-grid] .thumb').count();
    // Again with the browser warm (scripts cached), as when the window is reopened.
    await page.reload();
    const warmMs = await waitForThumbnailsOnScreen(page, 30_000);
    figures.open = {
      firstScreenOfThumbnailsMs: Math.round(firstScreenMs),
      ...nav,
      warmReloadFirstScreenMs: Math.round(warmMs),
      tilesInDom: tiles,
    };
    assert.match(await page.getByTestId('view-count').innerText(), /10,000 images/);
    // Virtualized: only the rows on screen (plus a little overscan) exist.
    assert.ok(tiles < 200, `${tiles} tiles in the DOM for ${IMAGES} images`);
    await snap(page, '20-large-library');
  });

  it('scrolls steadily and in flings, and fills the screen after a fling', async () => {
    const { page } = browser;
    await openStudio(page, studio.server.url);
    const steady: FrameStats = await measureScroll(page, 240, 24);
    const fling: FrameStats = await measureScroll(page, 120, 160);
    // After a fling the new screen must fill in quickly.
    const started = await page.evaluate(() => performance.now());
    const filledAt = await waitForThumbnailsOnScreen(page, 15_000);
    figures.scroll = { steady, fling, fillAfterFlingMs: Math.round(filledAt - started) };
    for (const [name, stats] of Object.entries({ steady, fling })) {
      assert.ok(stats.pixelsScrolled > 0 && stats.frames > 0, `${name}: the grid scrolled`);
    }
    assert.ok(await grid(page).evaluate((el) => el.scrollTop > 0), 'the grid is scrolled down');
    await snap(page, '21-large-library-scrolled');
  });

  it('selects all 10,000 in view and labels them in one step', async () => {
    const { page } = browser;
    await openStudio(page, studio.server.url);
    const mod = process.platform === 'darwin' ? 'Meta' : 'Control';
    const t0 = Date.now();
    await page.keyboard.press(`${mod}+a`);
    await page.getByTestId('selection-bar').filter({ hasText: '10,000 images selected' }).waitFor();
    const selectMs = Date.now() - t0;
    const t1 = Date.now();
    await page.keyboard.press('1');
    await page.getByTestId('toast').filter({ hasText: /Labelled [\d,]+ images as daisy/ }).waitFor({ timeout: 30_000 });
    const labelMs = Date.now() - t1;
    const daisy = studio.readCatalogue(
      (db) =>
        db
          .prepare(`SELECT COUNT(*) FROM images WHERE class_id = (SELECT id FROM classes WHERE name = 'daisy' AND deleted_at IS NULL)`)
          .pluck()
          .get() as number,
    );
    assert.equal(daisy, IMAGES);
    figures.bulk = { selectAllMs: selectMs, labelAllMs: labelMs };
  });
});

/** Each test opens the studio itself rather than relying on the page an earlier one left. */
async function openStudio(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await waitForThumbnailsOnScreen(page, 30_000);
}

function grid(page: Page) {
  return page.locator('[data-testid=thumbnail-grid]');
}
