/// <reference lib="dom" />
/**
 * The embedding map end to end (Chromium, web transport, a trained flowers-mini
 * project): the PCA map of the codes drawn on a canvas, hover shows the thumbnail,
 * click selects the image and shows it, a lasso selects several points and a number
 * key relabels them all in one step, checked in the catalogue.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { ProjectionResult } from '../../shared/api/insights';
import { call } from '../../main/engine/dispatch';
import type { LaunchedBrowser } from './browser';
import { labelOf, liveClasses, waitFor } from './catalogue-checks';
import { snap } from './page-probes';
import type { Studio } from './studio';
import { openTrainedStudio, type TrainedStudioSession } from './trained-studio';

/** Must match EmbeddingMap.svelte's padding around the points. */
const PAD = 36;

describe('embedding map (Chromium, web transport)', () => {
  let session: TrainedStudioSession;
  let studio: Studio;
  let browser: LaunchedBrowser;
  let page: Page;
  let map: ProjectionResult;

  before(async () => {
    session = await openTrainedStudio('graft-e2e-map-');
    ({ studio, browser, page } = session);
    map = await call(studio.engine, 'insights.projection', {});
  });

  after(() => session?.close());

  /**
   * The canvas's box once its layout has settled. The canvas takes its size from the
   * stage through a ResizeObserver, which reports after layout: read too early (the
   * map just reopened, the detail panel just appeared) it can still be 0 px wide, or
   * the width it had before, and every point would be placed wrongly.
   */
  async function settledCanvasBox(): Promise<{ x: number; y: number; width: number; height: number }> {
    const canvas = page.getByTestId('map-canvas');
    let last = '';
    let box: { x: number; y: number; width: number; height: number } | null = null;
    await waitFor(async () => {
      box = await canvas.boundingBox();
      const stage = await canvas.evaluate((c) => {
        const s = c.parentElement!;
        return { width: s.clientWidth, height: s.clientHeight };
      });
      const key = JSON.stringify([box, stage]);
      const settled = key === last && box !== null && box.width === stage.width && box.height === stage.height && box.width > 4 * PAD && box.height > 4 * PAD;
      last = key;
      return settled;
    }, 'the map canvas to fill its stage and keep its size');
    return box!;
  }

  /** Page coordinates of every point, computed the way the map places them. */
  async function pointPositions(): Promise<Array<{ id: number; x: number; y: number }>> {
    const box = await settledCanvasBox();
    const [minX, maxX, minY, maxY] = [Math.min(...map.x), Math.max(...map.x), Math.min(...map.y), Math.max(...map.y)];
    const scale = Math.min((box.width - 2 * PAD) / (maxX - minX), (box.height - 2 * PAD) / (maxY - minY));
    const ox = box.x + box.width / 2 - ((minX + maxX) / 2) * scale;
    const oy = box.y + box.height / 2 + ((minY + maxY) / 2) * scale;
    return map.imageIds.map((id, i) => ({ id, x: ox + map.x[i] * scale, y: oy - map.y[i] * scale }));
  }

  it('opens from the top bar and draws every image with codes', async () => {
    assert.equal(map.imageIds.length, 100);
    await page.getByRole('button', { name: 'Map' }).click();
    await page.getByTestId('embedding-map').waitFor();
    await page.getByText('100 images · PCA of their codes').waitFor({ timeout: 30_000 });
    // The canvas has coloured pixels where the points are.
    const painted = await page.getByTestId('map-canvas').evaluate((c: HTMLCanvasElement) => {
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
      return n;
    });
    assert.ok(painted > 100 * 20, `painted pixels: ${painted}`);
    await snap(page, 'map-01-embedding-map');
  });

  it('shows the thumbnail on hover and selects the image on click', async () => {
    const points = await pointPositions();
    // The most isolated point: no neighbour can steal the click.
    const isolation = (p: { x: number; y: number }) => Math.min(...points.filter((q) => q !== p).map((q) => Math.hypot(q.x - p.x, q.y - p.y)));
    const target = [...points].sort((a, b) => isolation(b) - isolation(a))[0];
    await page.mouse.move(target.x, target.y);
    const hover = page.getByTestId('map-hover');
    await hover.waitFor();
    assert.match((await hover.locator('img').getAttribute('src'))!, new RegExp(`/${target.id}\\b|=${target.id}\\b|${target.id}`));
    await snap(page, 'map-02-hover');
    await page.mouse.click(target.x, target.y);
    const detail = page.getByTestId('map-detail');
    await detail.waitFor();
    assert.equal(Number(await detail.getAttribute('data-image-id')), target.id);
    const file = studio.readCatalogue((db) => db.prepare('SELECT path FROM files WHERE image_id = ? LIMIT 1').pluck().get(target.id) as string);
    await page.getByTestId('map-detail-name').filter({ hasText: path.basename(file) }).waitFor();
    await snap(page, 'map-03-selected-point');

    // From the map to the large preview of that image.
    await detail.locator('.photo').click();
    await page.getByTestId('preview').waitFor();
    await page.locator('[data-testid=preview] header .name').filter({ hasText: path.basename(file) }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('preview').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Map' }).click();
    await page.getByTestId('embedding-map').waitFor();
  });

  it('lassoes a few points and relabels them together with a number key', async () => {
    await page.getByText('100 images · PCA of their codes').waitFor({ timeout: 30_000 });
    const points = await pointPositions();
    // A circle around a point holding 3–8 points, with no point near its edge.
    let chosen: { centre: { x: number; y: number }; r: number; ids: number[] } | null = null;
    for (const centre of points) {
      for (let r = 14; r <= 70 && !chosen; r += 2) {
        const d = points.map((p) => Math.hypot(p.x - centre.x, p.y - centre.y));
        const inside = points.filter((_, i) => d[i] < r - 4).map((p) => p.id);
        const nearEdge = d.some((v) => v >= r - 4 && v <= r + 4);
        if (!nearEdge && inside.length >= 3 && inside.length <= 8) chosen = { centre, r, ids: inside };
      }
      if (chosen) break;
    }
    assert.ok(chosen, `a small cluster to lasso among ${points.length} points on a ${JSON.stringify(await settledCanvasBox())} canvas`);
    const { centre, r, ids } = chosen;
    await page.mouse.move(centre.x + r, centre.y);
    await page.mouse.down();
    for (let a = 0; a <= 2 * Math.PI + 0.01; a += Math.PI / 24) await page.mouse.move(centre.x + r * Math.cos(a), centre.y + r * Math.sin(a));
    await page.mouse.up();
    await page.getByTestId('map-selection-count').filter({ hasText: `${ids.length} images selected` }).waitFor();
    await snap(page, 'map-04-lasso-selection');

    const classes = liveClasses(studio);
    // Relabel to the class most of them do not have yet, with its number key.
    const target = classes.find((c) => ids.filter((id) => labelOf(studio, id) === c.id).length === 0) ?? classes[0];
    const key = String(classes.findIndex((c) => c.id === target.id) + 1);
    const opsBefore = studio.readCatalogue((db) => db.prepare('SELECT COUNT(*) FROM operations').pluck().get() as number);
    await page.keyboard.press(key);
    await waitFor(() => ids.every((id) => labelOf(studio, id) === target.id), `${ids.length} images labelled ${target.name}`);
    const opsAfter = studio.readCatalogue((db) => db.prepare('SELECT COUNT(*) FROM operations').pluck().get() as number);
    assert.equal(opsAfter, opsBefore + 1, 'one undoable step');
    await page.waitForTimeout(300);
    await snap(page, 'map-05-relabelled');
  });

  it('looks finished in the light theme too', async () => {
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Switch to the light theme' }).click();
    // The relabelling's toast would cover the legend: let it time out.
    await page.getByText(/Labelled \d+ images/).waitFor({ state: 'detached', timeout: 15_000 });
    await snap(page, 'map-06-light');
    assert.deepEqual(browser.problems, []);
  });
});
