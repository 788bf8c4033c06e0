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
import type { JobFinished } from '../../shared/events';
import { call } from '../../main/engine/dispatch';
import type { LaunchedBrowser } from './browser';
import { labelOf, waitFor } from './catalogue-checks';
import { snap, waitForThumbnailsOnScreen } from './page-probes';
import type { Studio } from './studio';
import { openTrainedStudio, type TrainedStudioSession } from './trained-studio';

describe('model-aware library (Chromium, web transport)', () => {
  let session: TrainedStudioSession;
  let studio: Studio;
  let browser: LaunchedBrowser;
  let page: Page;

  before(async () => {
    session = await openTrainedStudio('graft-e2e-mistakes-');
    ({ studio, browser, page } = session);
  });

  after(() => session?.close());

  const thumb = (index: number) => page.locator(`[data-testid=thumbnail-grid] .thumb[data-index="${index}"]`);
  const pct = (x: number) => `${Math.round(x * 100)}%`;

  /** Opens a model list from the sidebar and waits for its thumbnails. */
  async function openList(list: 'suspects' | 'misclassified', title: string, count: number): Promise<void> {
    await page.getByTestId('collection-all').click();
    await page.getByTestId(`model-list-${list}`).click();
    await page.getByTestId('collection-title').filter({ hasText: title }).waitFor({ timeout: 60_000 });
    await page.getByTestId('view-count').filter({ hasText: `${count} image` }).waitFor({ timeout: 30_000 });
    await waitForThumbnailsOnScreen(page);
  }
  const className = async (classId: number) => (await call(studio.engine, 'classes.list', {})).find((c) => c.id === classId)!.name;

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

  it('shows each likely mistake’s suggestion on its thumbnail and accepts it with one click', async () => {
    const lists = await call(studio.engine, 'insights.lists', { analyse: true });
    assert.ok(lists.suspects.length >= 2, 'flowers-mini has likely mistakes left');
    await openList('suspects', 'Likely label mistakes', lists.suspects.length);
    // Every thumbnail on screen says what the held-out check suggests, and how sure it is.
    const shown = await page.locator('[data-testid=thumbnail-grid] .thumb').evaluateAll((els) =>
      els.map((e) => {
        const fix = e.querySelector('[data-testid=thumb-fix]');
        return { id: Number(e.getAttribute('data-id')), fix: fix?.textContent?.replace(/\s+/g, ' ').trim() ?? null, title: fix?.getAttribute('title') ?? '' };
      }),
    );
    for (const t of shown) {
      const s = lists.suspects.find((x) => x.imageId === t.id)!;
      assert.ok(t.fix, `image ${t.id} shows a suggestion`);
      assert.ok(t.fix.includes(s.suggested) && t.fix.endsWith(pct(s.confidence)), `image ${t.id}: "${t.fix}" names ${s.suggested} at ${pct(s.confidence)}`);
      assert.ok(t.title.startsWith(`Labelled ${s.label}. Trained without this image`), `image ${t.id}: "${t.title}" names its label and the held-out source`);
    }
    await snap(page, 'mistakes-05-suggestions-on-thumbnails');

    const second = lists.suspects[1];
    const tile = page.locator(`[data-testid=thumbnail-grid] .thumb[data-id="${second.imageId}"]`);
    await tile.getByTestId('thumb-fix').click();
    await waitFor(() => labelOf(studio, second.imageId) === second.suggestedClassId, `image ${second.imageId} relabelled ${second.suggested} in one click`);
    assert.equal(await tile.getAttribute('aria-selected'), 'false', 'the click accepted without selecting');
    await tile.getByTestId('thumb-fix').waitFor({ state: 'detached' });
    await page.getByText(/Accepted the suggestion/).first().waitFor();
  });

  it('shows the current model’s prediction on Misclassified thumbnails and accepts it with A', async () => {
    // Make a sure mistake: relabel an image the model is confident about to another class.
    const snapshot = await call(studio.engine, 'insights.predictions', {});
    const live = await call(studio.engine, 'classes.list', {});
    const i = snapshot.confidence.findIndex((c, k) => c > 0.9 && labelOf(studio, snapshot.imageIds[k]) === snapshot.classIds[snapshot.predicted[k]]);
    assert.ok(i >= 0, 'an image the model is sure of and agrees with');
    const id = snapshot.imageIds[i];
    const predicted = snapshot.classIds[snapshot.predicted[i]]!;
    const wrong = live.find((c) => c.id !== predicted)!;
    await call(studio.engine, 'labels.set', { imageIds: [id], classId: wrong.id });
    const lists = await call(studio.engine, 'insights.lists', {});
    assert.ok(lists.misclassified.includes(id), 'the relabelled image is misclassified now');
    // The relabel reached the studio as an event: its sidebar count follows before the list is opened.
    await page
      .getByTestId('model-list-misclassified')
      .locator('.count')
      .filter({ hasText: new RegExp(`^${lists.misclassified.length}$`) })
      .waitFor({ timeout: 30_000 });

    await openList('misclassified', 'Misclassified by the model', lists.misclassified.length);
    const tile = page.locator(`[data-testid=thumbnail-grid] .thumb[data-id="${id}"]`);
    const fix = tile.getByTestId('thumb-fix');
    const text = (await fix.innerText()).replace(/\s+/g, ' ').trim();
    assert.ok(text.includes(await className(predicted)) && text.endsWith(pct(snapshot.confidence[i])), `"${text}"`);
    assert.ok(((await fix.getAttribute('title')) ?? '').startsWith(`Labelled ${wrong.name}. The current model says`), 'named as the current model’s answer');
    await snap(page, 'mistakes-06-misclassified-predictions');

    await tile.click();
    await page.getByTestId('model-suggestion').filter({ hasText: await className(predicted) }).waitFor();
    await page.keyboard.press('a');
    await waitFor(() => labelOf(studio, id) === predicted, `image ${id} back to the predicted class`);
    await fix.waitFor({ state: 'detached' });
    await page.getByText(/Accepted the model’s prediction|Accepted the model's prediction/).first().waitFor();
  });

  it('names the current model and the held-out check apart in the preview, and updates both after an accept', async () => {
    const lists = await call(studio.engine, 'insights.lists', { analyse: true });
    const model = (await call(studio.engine, 'insights.predictions', {})).runId!;
    const { dataset } = (await call(studio.engine, 'runs.get', { id: model })).config;
    // One the current model trained on: the case where it can agree with a doubtful label.
    const fix = lists.suspects.find((s) => dataset.splits[dataset.imageIds.indexOf(s.imageId)] === 't');
    assert.ok(fix, 'a likely mistake from the training split left to look at');
    await openList('suspects', 'Likely label mistakes', lists.suspects.length);
    const index = Number(await page.locator(`[data-testid=thumbnail-grid] .thumb[data-id="${fix.imageId}"]`).getAttribute('data-index'));
    await thumb(index).click();
    await page.keyboard.press('Space');
    const current = page.getByTestId('preview-prediction');
    const heldOut = page.getByTestId('preview-held-out');
    await heldOut.waitFor();
    const snapshot = await call(studio.engine, 'insights.predictions', {});
    const k = snapshot.imageIds.indexOf(fix.imageId);
    assert.match(await current.locator('h3').innerText(), /current model/i);
    assert.equal(await current.getByTestId('preview-predicted').innerText(), snapshot.classes[snapshot.predicted[k]]);
    assert.match(await heldOut.innerText(), new RegExp(`Trained without this image, the model says ${fix.suggested} \\(${pct(fix.confidence)}\\), not ${fix.label}`));
    // One panel per source: the current model's line never carries the held-out figure.
    assert.ok(!(await current.innerText()).includes('Trained without'), 'the two answers are not mixed');
    await snap(page, 'mistakes-07-preview-two-sources');

    await page.keyboard.press('a');
    await waitFor(() => labelOf(studio, fix.imageId) === fix.suggestedClassId, 'accepted from the preview');
    await heldOut.waitFor({ state: 'detached' });
    await page.locator('[data-testid=preview] .chip.current').filter({ hasText: fix.suggested }).waitFor();
    const verdict = await current.getByTestId('preview-verdict').innerText();
    const agreesNow = snapshot.classIds[snapshot.predicted[k]] === fix.suggestedClassId;
    assert.equal(verdict, agreesNow ? 'agrees with the label' : 'differs from the label');
    assert.equal(
      await current.getByTestId('preview-relabelled').innerText(),
      `It was trained when this image was labelled ${fix.label}: train again to teach it ${fix.suggested}.`,
    );
    await snap(page, 'mistakes-08-preview-after-accept');
    await page.keyboard.press('Escape');
    await page.getByTestId('preview').waitFor({ state: 'detached' });
  });

  it('says which list is empty, not "import a folder"', async () => {
    const lists = await call(studio.engine, 'insights.lists', { analyse: true });
    await page.getByTestId('collection-all').click();
    await page.getByTestId('model-list-nearDuplicates').click();
    await page.getByTestId('collection-title').filter({ hasText: 'Near-duplicates' }).waitFor();
    assert.equal(lists.nearDuplicates.length, 0, 'flowers-mini has no near-duplicates under different labels');
    const empty = page.getByTestId('empty-collection');
    await empty.filter({ hasText: 'No near-duplicates found' }).waitFor();
    assert.doesNotMatch(await empty.innerText(), /Import a folder/);
    await snap(page, 'mistakes-10-no-near-duplicates');
    assert.match(await page.getByTestId('status-counts').innerText(), /in view/);
    await page.locator('nav[aria-label=Views] button', { hasText: 'Map' }).click();
    await page.getByTestId('embedding-map').waitFor();
    assert.equal((await page.getByTestId('status-counts').innerText()).trim(), '', 'no "images in view" outside the library');
    await page.locator('nav[aria-label=Views] button', { hasText: 'Library' }).click();
  });

  it('keeps likely mistakes and near-duplicates found after the model is retrained', async () => {
    await call(studio.engine, 'insights.lists', { analyse: true });
    await page.getByTestId('collection-all').click();
    // Looked at once for this model (the analysis then follows every new model).
    await page.getByTestId('model-list-suspects').click();
    await page.getByTestId('collection-title').filter({ hasText: 'Likely label mistakes' }).waitFor({ timeout: 60_000 });
    const before = (await call(studio.engine, 'runs.list', {})).find((r) => r.current)!.id;
    const finished = new Promise<JobFinished>((resolve) => studio.engine.on('job.finished', resolve));
    await call(studio.engine, 'train.start', { members: 1, epochs: 15, seed: 3 });
    assert.equal((await finished).status, 'finished');
    const after = (await call(studio.engine, 'runs.list', {})).find((r) => r.current)!.id;
    assert.notEqual(after, before);
    const lists = await call(studio.engine, 'insights.lists', { analyse: true });
    assert.equal(lists.runId, after);
    // The sidebar counts them for the new model without being asked again: never "Find".
    for (const [row, n] of [
      ['suspects', lists.suspects.length],
      ['nearDuplicates', lists.nearDuplicates.length ? new Set(lists.nearDuplicates.flatMap((p) => [p.a, p.b])).size : 0],
    ] as const) {
      await page.getByTestId(`model-list-${row}`).locator('.count').filter({ hasText: new RegExp(`^${n}$`) }).waitFor({ timeout: 60_000 });
    }
    await page.getByTestId('view-count').filter({ hasText: `${lists.suspects.length} image` }).waitFor();
    await snap(page, 'mistakes-09-after-retraining');
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
