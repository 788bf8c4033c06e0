/// <reference lib="dom" />
/**
 * The labelling studio end to end: the real renderer in Debian's Chromium, through the
 * loopback web transport, on a real project file. Every change made in the UI is
 * checked in the catalogue itself (the SQLite file, opened separately).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page, WebSocketRoute } from 'playwright-core';
import { DEFAULTS } from '../../shared/defaults';
import { call } from '../../main/engine/dispatch';
import { flowersMiniDir, tempDir } from '../helpers/paths';
import { launchBrowser, type LaunchedBrowser } from './browser';
import { startStudio, type Studio } from './studio';
import { labelOf, liveClasses, waitFor } from './catalogue-checks';
import { snap, waitForThumbnailsOnScreen } from './page-probes';

describe('labelling studio (Chromium, web transport)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let studio: Studio;
  let browser: LaunchedBrowser;
  let page: Page;

  before(async () => {
    tmp = tempDir('graft-e2e-');
    studio = await startStudio(path.join(tmp.dir, 'flowers.graft'));
    browser = await launchBrowser({ colorScheme: 'dark' });
    page = browser.page;
    await page.goto(studio.server.url);
  });

  after(async () => {
    await browser?.close();
    await studio?.close();
    tmp?.cleanup();
  });

  const grid = () => page.locator('[data-testid=thumbnail-grid]');
  const thumb = (index: number) => page.locator(`[data-testid=thumbnail-grid] .thumb[data-index="${index}"]`);
  const classRow = (name: string) => page.locator(`[data-testid=class-row][data-class-name="${name}"]`);
  const idOf = async (index: number) => Number(await thumb(index).getAttribute('data-id'));
  const mod = process.platform === 'darwin' ? 'Meta' : 'Control';

  it('greets a new project with the three steps', async () => {
    await page.getByTestId('first-run').waitFor();
    const text = await page.getByTestId('first-run').innerText();
    for (const step of ['Import your photos', 'Check the labels', 'Train']) assert.match(text, new RegExp(step));
    await snap(page, '01-first-run');
  });

  it('explains a folder that does not exist, in the dialog', async () => {
    await page.getByTestId('first-run-import').click();
    // Typed relative: it starts at the project's folder, and the dialog says where it leads.
    await page.getByTestId('import-folder-input').fill('no-such-folder');
    const resolved = await page.getByTestId('import-resolved').innerText();
    assert.ok(resolved.includes(path.join(tmp.dir, 'no-such-folder')), `the absolute folder is shown before importing, got "${resolved}"`);
    assert.match(resolved, /does not exist/);
    await page.getByTestId('import-start').click();
    const error = await page.getByTestId('import-error').innerText();
    assert.ok(error.length > 10, `an explanation, got "${error}"`);
    assert.equal(studio.readCatalogue((db) => db.prepare('SELECT COUNT(*) FROM images').pluck().get()), 0);
  });

  it('imports flowers-mini through the import dialog, typed relative to the project, summarises it and computes its codes', async () => {
    // Relative to the project's folder, not to the server's working folder (the checkout).
    fs.symlinkSync(flowersMiniDir, path.join(tmp.dir, 'flowers-mini'));
    assert.equal(fs.existsSync(path.resolve('flowers-mini')), false, 'the server\'s working folder holds no such folder');
    await page.getByTestId('import-folder-input').fill('flowers-mini');
    assert.equal(await page.getByTestId('import-error').count(), 0, 'editing the path clears the old refusal');
    await page.getByTestId('import-resolved').filter({ hasText: path.join(tmp.dir, 'flowers-mini') }).waitFor();
    assert.doesNotMatch(await page.getByTestId('import-resolved').innerText(), /does not exist/);
    await snap(page, '02-import-dialog');
    // Every state the progress view shows: its percentage and its bar must say the same.
    await page.evaluate(() => {
      const w = window as unknown as { __importStates: Array<{ percent: string | null; bar: string | null; stage: string }> };
      w.__importStates = [];
      new MutationObserver(() => {
        const view = document.querySelector('[data-testid=import-progress]');
        if (!view) return;
        const state = {
          percent: view.querySelector('[data-testid=import-percent]')?.textContent ?? null,
          bar: view.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow') ?? null,
          stage: view.querySelector('.stage')?.textContent ?? '',
        };
        const last = w.__importStates.at(-1);
        if (!last || last.percent !== state.percent || last.bar !== state.bar || last.stage !== state.stage) w.__importStates.push(state);
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
      // The preparation for training starts the moment the import ends: record it from here on.
      const p = window as unknown as { __prepareTexts: string[] };
      p.__prepareTexts = [];
      new MutationObserver(() => {
        const text = document.querySelector('[data-testid=prepare-status]')?.textContent?.replace(/\s+/g, ' ').trim();
        if (text && p.__prepareTexts.at(-1) !== text) p.__prepareTexts.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-summary').waitFor({ timeout: 120_000 });
    // The import computed the next run's codes from the same decodes as the thumbnails: all of
    // them are there as it ends (the preparation that starts then could not have computed 200 yet).
    const backbones = [...DEFAULTS.training.backbones.value];
    const codesOf = (backbone: string) =>
      studio.readCatalogue((db) => db.prepare("SELECT COUNT(*) FROM codes WHERE backbone = ? AND view = 'center'").pluck().get(backbone) as number);
    assert.deepEqual(backbones.map(codesOf), [100, 100], 'both default networks’ codes for all 100 photos, computed during the import');
    const states = await page.evaluate(() => (window as unknown as { __importStates: Array<{ percent: string | null; bar: string | null; stage: string }> }).__importStates);
    assert.ok(states.some((st) => st.percent !== null), `the import showed a percentage (${JSON.stringify(states)})`);
    for (const st of states) {
      assert.equal(st.percent === null ? null : `${st.bar}%`, st.percent, `bar and figure agree: ${JSON.stringify(st)}`);
      if (st.stage === 'Looking for images') assert.equal(st.percent, null, 'no percentage while files are still being found');
    }
    assert.equal(await page.getByTestId('import-stat-added').locator('.value').innerText(), '100');
    await page.getByTestId('import-stat-added').click();
    await page.getByTestId('import-details').waitFor();
    await snap(page, '03-import-summary');
    await page.getByTestId('import-done').click();
    await page.getByTestId('import-dialog').waitFor({ state: 'detached' });
    assert.equal(studio.readCatalogue((db) => db.prepare('SELECT COUNT(*) FROM images').pluck().get()), 100);

    assert.deepEqual(
      await page.evaluate(() => (window as unknown as { __prepareTexts: string[] }).__prepareTexts),
      [],
      'with every code cached, the preparation had nothing to show',
    );

    // Codes still missing after an import (here: cleared) are prepared in the background,
    // with their progress in the status bar.
    await waitFor(async () => (await call(studio.engine, 'jobs.list', {})).length === 0, 'no job running');
    for (const backbone of backbones) await call(studio.engine, 'codes.clear', { backbone });
    await page.getByTestId('import-button').click();
    await page.getByTestId('import-folder-input').fill('flowers-mini');
    await page.getByTestId('import-resolved').filter({ hasText: path.join(tmp.dir, 'flowers-mini') }).waitFor();
    await page.getByTestId('import-start').click();
    await page.getByTestId('import-summary').waitFor({ timeout: 120_000 });
    await page.getByTestId('import-done').click();
    await page.getByTestId('import-dialog').waitFor({ state: 'detached' });
    await waitFor(() => backbones.every((b) => codesOf(b) === 100), 'both default networks’ codes for all 100 photos', 180_000);
    await page.getByTestId('prepare-status').waitFor({ state: 'detached' });
    const texts = await page.evaluate(() => (window as unknown as { __prepareTexts: string[] }).__prepareTexts);
    assert.ok(
      texts.some((t) => /^Preparing for training: \d+% (· about .+ left )?Stop$/.test(t)),
      `the status bar showed the preparation's progress (${JSON.stringify(texts)})`,
    );
    assert.ok(texts.every((t) => /^Preparing for training\b.*Stop$/.test(t)), `every state offers to stop it (${JSON.stringify(texts)})`);
  });

  it('shows 100 thumbnails and 5 classes with their counts', async () => {
    await page.getByTestId('view-count').filter({ hasText: '100 images' }).waitFor();
    const rows = page.locator('[data-testid=class-row]');
    await waitFor(async () => (await rows.count()) === 5, 'five classes in the sidebar');
    const shown: Record<string, number> = {};
    for (let i = 0; i < 5; i++) {
      const row = rows.nth(i);
      shown[(await row.getAttribute('data-class-name'))!] = Number(await row.getByTestId('class-count').innerText());
    }
    assert.deepEqual(shown, { daisy: 20, dandelion: 20, roses: 20, sunflowers: 20, tulips: 20 });
    assert.deepEqual(
      Object.fromEntries(liveClasses(studio).map((c) => [c.name, c.count])),
      shown,
      'the sidebar shows what the catalogue holds',
    );

    // Scroll through the whole (virtualized) grid: every image's thumbnail must load.
    const seen = await collectLoadedThumbnails(page);
    assert.equal(seen.size, 100, `loaded thumbnails: ${seen.size}`);
    await grid().evaluate((el) => (el.scrollTop = 0));
    await waitForThumbnailsOnScreen(page);
    await snap(page, '04-library');
  });

  it('relabels three images with number keys, and undoes the last', async () => {
    const ids = [await idOf(0), await idOf(1), await idOf(2)];
    const classes = Object.fromEntries(liveClasses(studio).map((c) => [c.name, c.id]));
    // Keys follow the sidebar order: 1 daisy, 2 dandelion, 3 roses, 4 sunflowers, 5 tulips.
    const plan: Array<[number, string, string]> = [
      [0, '2', 'dandelion'],
      [1, '3', 'roses'],
      [2, '4', 'sunflowers'],
    ];
    for (const [index, key, name] of plan) {
      await thumb(index).click();
      await page.keyboard.press(key);
      await waitFor(() => labelOf(studio, ids[index]) === classes[name], `image ${ids[index]} labelled ${name}`);
    }
    await page.getByTestId('toast').filter({ hasText: 'Labelled 1 image as sunflowers' }).waitFor();
    await snap(page, '05-labelled-with-keys');

    await page.keyboard.press(`${mod}+z`);
    await waitFor(() => labelOf(studio, ids[2]) === classes.daisy, 'the last label undone');
    assert.equal(labelOf(studio, ids[0]), classes.dandelion, 'earlier labels stay');
    assert.equal(labelOf(studio, ids[1]), classes.roses);
    await page.getByTestId('toast').filter({ hasText: /Undid/ }).first().waitFor();
    // The grid shows the restored label too.
    await waitFor(async () => (await thumb(2).locator('.label').innerText()) === 'daisy', 'thumbnail badge back to daisy');
  });

  it('selects with a rectangle, Shift and Ctrl, and labels by dragging onto a class', async () => {
    // Rubber band from the empty margin across the first two tiles of two rows.
    const box = (await grid().boundingBox())!;
    const columns = await page.evaluate(() => {
      const tops = Array.from(document.querySelectorAll<HTMLElement>('.thumb')).map((t) => t.getBoundingClientRect().top);
      return tops.filter((top) => top === tops[0]).length;
    });
    const secondRowSecond = (await thumb(columns + 1).boundingBox())!;
    await page.mouse.move(box.x + 4, box.y + 4);
    await page.mouse.down();
    await page.mouse.move(secondRowSecond.x + secondRowSecond.width / 2, secondRowSecond.y + 20, { steps: 6 });
    const banded = await page.evaluate(() => document.querySelectorAll('.thumb[aria-selected="true"]').length);
    await page.mouse.up();
    assert.equal(banded, 4, 'the rectangle covers two tiles in each of two rows');
    await page.getByTestId('selection-bar').filter({ hasText: '4 images selected' }).waitFor();
    await page.keyboard.press('Escape');
    await waitFor(async () => (await page.getByTestId('selection-bar').count()) === 0, 'selection cleared');

    // Click 10, Shift-click 12 (10–12), Ctrl-click 14: four images.
    await thumb(10).click();
    await thumb(12).click({ modifiers: ['Shift'] });
    await thumb(14).click({ modifiers: [mod === 'Meta' ? 'Meta' : 'Control'] });
    await page.getByTestId('selection-bar').filter({ hasText: '4 images selected' }).waitFor();
    const ids = [await idOf(10), await idOf(11), await idOf(12), await idOf(14)];
    await snap(page, '06-multi-select');

    await thumb(12).dragTo(classRow('tulips'));
    const tulips = liveClasses(studio).find((c) => c.name === 'tulips')!.id;
    await waitFor(() => ids.every((id) => labelOf(studio, id) === tulips), 'all four labelled tulips');
    assert.notEqual(labelOf(studio, await idOf(13)), tulips, 'the unselected image in between is untouched');
    await page.getByTestId('toast').filter({ hasText: 'Labelled 4 images as tulips' }).waitFor();
  });

  it('renames a class from its menu', async () => {
    await classRow('roses').click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Rename or recolour…' }).click();
    await page.getByTestId('class-name-input').fill('tulips');
    // A clash is refused before it reaches the engine.
    assert.match(await page.locator('#class-name-error').innerText(), /already a class called/);
    await page.getByTestId('class-name-input').fill('garden roses');
    await snap(page, '07-rename-class');
    await page.getByTestId('class-dialog-save').click();
    await classRow('garden roses').waitFor();
    const names = liveClasses(studio).map((c) => c.name);
    assert.ok(names.includes('garden roses') && !names.includes('roses'), `classes now: ${names.join(', ')}`);
  });

  it('merges a class into another after confirmation', async () => {
    const before = Object.fromEntries(liveClasses(studio).map((c) => [c.name, c]));
    await classRow('dandelion').click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Merge into…' }).click();
    await page.locator('[data-testid=merge-target][data-class-name="sunflowers"]').click();
    await snap(page, '08-merge-class');
    await page.getByTestId('merge-confirm').click();
    await classRow('dandelion').waitFor({ state: 'detached' });
    const after = Object.fromEntries(liveClasses(studio).map((c) => [c.name, c]));
    assert.equal(after.dandelion, undefined, 'dandelion is gone from the live classes');
    assert.equal(after.sunflowers.count, before.sunflowers.count + before.dandelion.count);
    const shown = Number(await classRow('sunflowers').getByTestId('class-count').innerText());
    assert.equal(shown, after.sunflowers.count, 'the sidebar count follows');
  });

  it('opens the large preview and steps through it with the arrow keys', async () => {
    await thumb(0).click();
    await page.keyboard.press('Space');
    await page.getByTestId('preview').waitFor();
    await page.keyboard.press('ArrowRight');
    await page.locator('[data-testid=preview] .position').filter({ hasText: /^2 \// }).waitFor();
    await waitFor(
      () => page.getByTestId('preview-image').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
      'the full image loaded',
    );
    await snap(page, '09-preview');
    await page.keyboard.press('Escape');
    await page.getByTestId('preview').waitFor({ state: 'detached' });
    assert.equal(await thumb(1).getAttribute('aria-selected'), 'true', 'the previewed image stays selected');
  });

  it('lists the keyboard shortcuts on ?', async () => {
    await page.keyboard.press('?');
    await page.getByTestId('shortcut-help').waitFor();
    assert.match(await page.getByTestId('shortcut-help').innerText(), /Select all in view/);
    await snap(page, '10-shortcuts');
    await page.keyboard.press('Escape');
    await page.getByTestId('shortcut-help').waitFor({ state: 'detached' });
  });

  it('labels from the context menu', async () => {
    const id = await idOf(5);
    await thumb(5).click({ button: 'right' });
    await page.getByRole('menu', { name: 'Image actions' }).waitFor();
    await snap(page, '12-context-menu');
    await page.getByRole('menuitem', { name: 'tulips' }).click();
    const tulips = liveClasses(studio).find((c) => c.name === 'tulips')!.id;
    await waitFor(() => labelOf(studio, id) === tulips, 'labelled tulips from the menu');
  });

  it('explains an empty collection instead of showing nothing', async () => {
    await page.getByTestId('collection-unlabelled').click();
    await page.getByTestId('empty-collection').filter({ hasText: 'Every image has a label' }).waitFor();
    await snap(page, '13-empty-collection');
    await page.getByTestId('collection-all').click();
    await page.getByTestId('view-count').filter({ hasText: '100 images' }).waitFor();
  });

  it('switches to the light theme and keeps it', async () => {
    await page.getByRole('button', { name: 'View options' }).click();
    await page.getByRole('menuitemcheckbox', { name: 'Light' }).click();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
    await page.reload();
    await page.getByTestId('view-count').filter({ hasText: '100 images' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light', 'remembered across a reload');
    await waitForThumbnailsOnScreen(page);
    await snap(page, '11-library-light');
  });

  it('says nothing while its event stream opens, says so when contact is lost, and recovers on its own', async () => {
    // Every events socket of the page goes through this route: passed to the server, or,
    // while `refuse` is set, closed as a stopped server would close it. The first one is
    // held unopened until the page has loaded, as on a busy machine.
    let refuse = false;
    let open = () => {};
    const held = new Promise<void>((resolve) => (open = resolve));
    let passed = (_ws: WebSocketRoute) => {};
    const first = new Promise<WebSocketRoute>((resolve) => (passed = resolve));
    await page.routeWebSocket(/\/api\/events/, async (ws) => {
      if (refuse) return void ws.close({ code: 1011, reason: 'stopped' });
      await held;
      ws.connectToServer();
      passed(ws);
    });
    await page.reload();
    await page.getByTestId('view-count').filter({ hasText: '100 images' }).waitFor();
    assert.equal(await page.getByTestId('engine-offline').count(), 0, 'no "lost contact" while the first socket opens');
    open();
    const socket = await first;
    refuse = true;
    await socket.close({ code: 1011, reason: 'stopped' });
    await page.getByTestId('engine-offline').waitFor();
    assert.match(await page.getByTestId('engine-offline').innerText(), /Lost contact/);
    refuse = false;
    await page.getByTestId('engine-offline').waitFor({ state: 'detached', timeout: 30_000 });
    await page.unrouteAll();
  });

  it('ran without page errors or CSP violations', () => {
    assert.deepEqual(browser.problems, []);
  });
});

/** Scrolls the grid top to bottom and returns the ids whose thumbnails decoded. */
async function collectLoadedThumbnails(page: Page): Promise<Set<number>> {
  const seen = new Set<number>();
  const grid = page.locator('[data-testid=thumbnail-grid]');
  try {
    await scrollThroughGrid(page, seen);
  } finally {
    // Back at the top whatever happened, so the tests after this one find the first tiles.
    await grid.evaluate((el) => (el.scrollTop = 0));
  }
  return seen;
}

async function scrollThroughGrid(page: Page, seen: Set<number>): Promise<void> {
  const grid = page.locator('[data-testid=thumbnail-grid]');
  for (let step = 0; step < 50; step++) {
    await waitForThumbnailsOnScreen(page);
    const ids = await page.evaluate(() =>
      Array.from(document.querySelectorAll<HTMLElement>('[data-testid=thumbnail-grid] .thumb'))
        .filter((t) => {
          const img = t.querySelector('img');
          return img && img.complete && img.naturalWidth > 0;
        })
        .map((t) => Number(t.dataset.id)),
    );
    ids.forEach((id) => seen.add(id));
    const atEnd = await grid.evaluate((el) => {
      const end = el.scrollTop + el.clientHeight >= el.scrollHeight - 2;
      el.scrollTop += el.clientHeight * 0.8;
      return end;
    });
    if (atEnd) break;
  }
}
