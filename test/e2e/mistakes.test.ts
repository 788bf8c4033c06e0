/// <reference lib="dom" />
/**
 * The model-aware library end to end (Chromium, web transport, a trained flowers-mini
 * project): the likely-mistakes filter with one key to accept the model's suggestion,
 * the preview's prediction, and pre-labelling unlabelled images for review. Every
 * change is checked in the catalogue itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { call } from '../../main/engine/dispatch';
import { tempDir } from '../helpers/paths';
import { launchBrowser, type LaunchedBrowser } from './browser';
import { labelOf, waitFor } from './catalogue-checks';
import { snap, waitForThumbnailsOnScreen } from './page-probes';
import type { Studio } from './studio';
import { startTrainedStudio } from './trained-studio';

describe('model-aware library (Chromium, web transport)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let studio: Studio;
  let browser: LaunchedBrowser;
  let page: Page;

  before(async () => {
    tmp = tempDir('graft-e2e-mistakes-');
    studio = await startTrainedStudio(tmp.dir);
    browser = await launchBrowser({ colorScheme: 'dark' });
    page = browser.page;
    await page.goto(studio.server.url);
    await page.getByTestId('view-count').filter({ hasText: '100 images' }).waitFor({ timeout: 30_000 });
  });

  after(async () => {
    await browser?.close();
    await studio?.close();
    tmp?.cleanup();
  });

  const thumb = (index: number) => page.locator(`[data-testid=thumbnail-grid] .thumb[data-index="${index}"]`);

  it('lists likely label mistakes and accepts a suggestion with one key', async () => {
    const item = page.getByTestId('model-list-suspects');
    await item.waitFor({ timeout: 30_000 });
    await item.click(); // runs the analysis for this model, then shows its list
    const lists = await call(studio.engine, 'insights.lists', { analyse: true });
    assert.ok(lists.suspects.length > 0, 'flowers-mini has likely mistakes');
    await item.locator('.count').filter({ hasText: String(lists.suspects.length) }).waitFor({ timeout: 30_000 });
    await page.getByTestId('collection-title').filter({ hasText: 'Likely label mistakes' }).waitFor();
    await page.getByTestId('view-count').filter({ hasText: `${lists.suspects.length} image` }).waitFor();
    await waitForThumbnailsOnScreen(page);
    // Ranked: the grid shows the suspects most-likely-first, as the engine lists them.
    const shown = await page.locator('[data-testid=thumbnail-grid] .thumb').evaluateAll((els) =>
      els.map((e) => ({ index: Number(e.getAttribute('data-index')), id: Number(e.getAttribute('data-id')) })),
    );
    const inOrder = shown.sort((a, b) => a.index - b.index).map((t) => t.id);
    assert.deepEqual(inOrder, lists.suspects.slice(0, inOrder.length).map((s) => s.imageId));
    assert.match(await page.getByRole('button', { name: /Most likely mistake first/ }).innerText(), /Most likely mistake first/, 'the sort button names the list order');

    await thumb(0).click();
    const id = Number(await thumb(0).getAttribute('data-id'));
    const fix = lists.suspects.find((s) => s.imageId === id);
    assert.ok(fix, `image ${id} is one of the suspects`);
    assert.equal(id, lists.suspects[0].imageId, 'the first thumbnail is the likeliest mistake');
    const chip = page.getByTestId('model-suggestion');
    await chip.waitFor();
    assert.match(await chip.innerText(), new RegExp(fix.suggested));
    await snap(page, 'mistakes-01-likely-mistakes');

    assert.notEqual(labelOf(studio, id), fix.suggestedClassId);
    await page.keyboard.press('a');
    await waitFor(() => labelOf(studio, id) === fix.suggestedClassId, `image ${id} relabelled as ${fix.suggested}`);
    const ops = studio.readCatalogue((db) => db.prepare(`SELECT COUNT(*) FROM operations WHERE undone = 0`).pluck().get() as number);
    assert.equal(ops, 1, 'one undoable step');
    await page.getByText(/Accepted the suggestion/).first().waitFor();
  });

  it('shows label, prediction and confidence in the large preview', async () => {
    await thumb(1).click();
    const id = Number(await thumb(1).getAttribute('data-id'));
    await page.keyboard.press('Enter');
    const panel = page.getByTestId('preview-prediction');
    await panel.waitFor();
    const snapshot = await call(studio.engine, 'insights.predictions', {});
    const i = snapshot.imageIds.indexOf(id);
    assert.equal(await panel.getByTestId('preview-predicted').innerText(), snapshot.classes[snapshot.predicted[i]]);
    assert.equal(await panel.getByTestId('preview-confidence').innerText(), `${Math.round(snapshot.confidence[i] * 100)}%`);
    await page.locator('[data-testid=preview] img').first().waitFor();
    await snap(page, 'mistakes-02-preview-prediction');
    await page.keyboard.press('Escape');
    await page.getByTestId('preview').waitFor({ state: 'detached' });
  });

  it('pre-labels unlabelled images above a confidence, as one undoable step, then lists them for review', async () => {
    const snapshot = await call(studio.engine, 'insights.predictions', {});
    const chosen = snapshot.imageIds.slice(40, 60);
    await call(studio.engine, 'labels.set', { imageIds: chosen, classId: null });
    await waitFor(async () => (await call(studio.engine, 'insights.lists', {})).unlabelled.length === 20, '20 unlabelled');

    await page.getByTestId('model-actions').click();
    await page.getByRole('menuitem', { name: /Pre-label unlabelled images/ }).click();
    const dialog = page.getByTestId('prelabel-dialog');
    await dialog.waitFor();
    const at = new Map(snapshot.imageIds.map((id, i) => [id, i]));
    const expected = chosen.filter((id) => snapshot.confidence[at.get(id)!] >= 0.9);
    await waitFor(async () => (await page.getByTestId('prelabel-count').innerText()).includes(`${expected.length} image`), 'count at 90%');
    await snap(page, 'mistakes-03-prelabel-dialog');
    await page.getByTestId('prelabel-apply').click();
    await page.getByTestId('collection-title').filter({ hasText: 'Pre-labelled by the model' }).waitFor();
    await page.getByTestId('view-count').filter({ hasText: `${expected.length} image` }).waitFor();
    for (const id of chosen) {
      const i = at.get(id)!;
      assert.equal(labelOf(studio, id), expected.includes(id) ? snapshot.classIds[snapshot.predicted[i]] : null, `image ${id}`);
    }
    await waitForThumbnailsOnScreen(page);
    await snap(page, 'mistakes-04-prelabelled-review');

    await page.keyboard.press(process.platform === 'darwin' ? 'Meta+z' : 'Control+z');
    await waitFor(() => chosen.every((id) => labelOf(studio, id) === null), 'one undo takes every pre-label back');
    assert.deepEqual(browser.problems, []);
  });
});
