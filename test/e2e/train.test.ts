/// <reference lib="dom" />
/**
 * Train, predict and export end to end: the real renderer in Debian's Chromium, through
 * the loopback web transport, on a project made from flowers-mini. One project for the
 * whole file, because its image codes are the slow part (two networks × 100 photos). Its
 * before() trains a model through the engine's API, so every test has a current model to work
 * with whatever the others did or failed to do; each test reads the runs it relies on itself.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { RunDetail } from '../../shared/api/training';
import { DEFAULTS } from '../../shared/defaults';
import { call } from '../../main/engine/dispatch';
import { flowersDir, flowersMiniDir, graftBin, modelsDir, tempDir, testdataDir } from '../helpers/paths';
import { nextEnding, resultOf, runToEnd, trainToEnd } from '../helpers/jobs';
import { stripesPng } from '../helpers/image-fixtures';
import { launchBrowser, type LaunchedBrowser } from './browser';
import { startStudio, type Studio } from './studio';
import { waitFor } from './catalogue-checks';
import { snap, waitForThumbnailsOnScreen } from './page-probes';

describe('train, predict and export (Chromium, web transport)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let studio: Studio;
  let browser: LaunchedBrowser;
  let page: Page;

  before(async () => {
    tmp = tempDir('graft-e2e-train-');
    studio = await startStudio(path.join(tmp.dir, 'flowers.graft'));
    await call(studio.engine, 'import.start', { folder: flowersMiniDir });
    await studio.engine.jobs.waitForIdle();
    // The defaults, as the Train button uses them: a current model for the tests that need one.
    await trainToEnd(studio.engine, {});
    browser = await launchBrowser({ colorScheme: 'dark' });
    page = browser.page;
    await page.goto(studio.server.url);
    await page.getByTestId('view-count').filter({ hasText: '100 images' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await studio?.close();
    tmp?.cleanup();
  });

  const tab = (name: string) => page.locator('nav[aria-label=Views] button', { hasText: name });
  /** Opens or closes the settings drawer whatever state an earlier step left it in. */
  async function settingsDrawer(open: boolean): Promise<void> {
    const toggle = page.getByTestId('train-settings-toggle');
    if ((await toggle.getAttribute('aria-expanded')) !== String(open)) await toggle.click();
    await page.getByTestId('train-settings').waitFor({ state: open ? 'visible' : 'detached' });
  }
  /** The open drawer shows the shared defaults: the values the engine and `graft train --help` use. */
  async function assertDrawerShowsDefaults(): Promise<void> {
    const drawer = page.getByTestId('train-settings');
    const { training: t, head } = DEFAULTS;
    const percent = (x: number) => String(Math.round(x * 100));
    assert.equal(await drawer.locator('#train-epochs').inputValue(), String(head.maxEpochs.value), 'max epochs');
    assert.equal(Number(await drawer.locator('#train-lr').inputValue()), head.learningRate.value, 'learning rate');
    assert.equal(await drawer.locator('#train-seed').inputValue(), String(t.seed.value), 'seed');
    assert.equal(await drawer.locator('#train-val').inputValue(), percent(t.fractions.value.validation), 'validation share');
    assert.equal(await drawer.locator('#train-test').inputValue(), percent(t.fractions.value.test), 'test share');
    assert.equal(await drawer.getByTestId('train-reshuffle').isChecked(), t.reshuffle.value, 'reshuffle');
    assert.equal(await drawer.getByTestId('train-vote').isChecked(), t.vote.value, 'vote');
    assert.equal(await drawer.getByTestId('train-flip').isChecked(), t.flip.value, 'mirrored copies');
    assert.equal(await drawer.getByTestId('train-fine-tune').isChecked(), t.fineTune.value, 'fine-tuning');
    await drawer.locator('input[data-backbone]').first().waitFor();
    const ticked = await drawer.locator('input[data-backbone]:checked').evaluateAll((els) => els.map((e) => e.getAttribute('data-backbone')));
    assert.deepEqual(ticked.sort(), [...t.backbones.value].sort(), 'networks');
  }
  /** The project's current model, as the engine has it now. */
  async function currentRun(): Promise<RunDetail> {
    const current = (await call(studio.engine, 'runs.list', {})).find((r) => r.current);
    assert.ok(current, 'a current model');
    return call(studio.engine, 'runs.get', { id: current.id });
  }
  const curvePoints = async () => Number(await page.getByTestId('curve-loss').getAttribute('data-points'));

  /**
   * Milliseconds from a real click on a view tab (the input event's own timestamp) to
   * the first animation frame after the new view is in the DOM. Everything is armed in
   * the page before the click, so the test's own round trips are not counted.
   */
  async function clickLatency(name: string, shows: string): Promise<number> {
    await page.evaluate((selector) => {
      const w = window as unknown as { __latency?: Promise<number> };
      w.__latency = new Promise<number>((resolve) => {
        document.querySelector('nav[aria-label=Views]')!.addEventListener(
          'click',
          (e) => {
            const clickedAt = e.timeStamp;
            // Shown, not merely present: views that stay mounted are hidden with display: none.
            const shown = () => Array.from(document.querySelectorAll(selector)).some((el) => el.getClientRects().length > 0);
            const check = () => (shown() ? resolve(performance.now() - clickedAt) : requestAnimationFrame(check));
            requestAnimationFrame(check);
          },
          { capture: true, once: true },
        );
      });
    }, shows);
    await tab(name).click();
    return page.evaluate(() => (window as unknown as { __latency: Promise<number> }).__latency);
  }

  /** Records every text the progress card shows, whether its bar was ever without a fraction, and its estimates. */
  async function recordProgressTexts(): Promise<void> {
    await page.evaluate(() => {
      const w = window as unknown as { __progress: { texts: string[]; indeterminate: number; etas: string[] } };
      w.__progress = { texts: [], indeterminate: 0, etas: [] };
      const note = () => {
        const card = document.querySelector('[data-testid=train-progress]');
        if (!card) return;
        const text = (card as HTMLElement).innerText;
        if (w.__progress.texts.at(-1) !== text) w.__progress.texts.push(text);
        if (card.querySelector('.indeterminate')) w.__progress.indeterminate++;
        const eta = card.querySelector('[data-testid=train-eta]')?.textContent?.trim();
        if (eta && w.__progress.etas.at(-1) !== eta) w.__progress.etas.push(eta);
      };
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
  }

  /** Records every value the loss chart's point count takes, in the page, as it changes. */
  async function recordCurveGrowth(): Promise<void> {
    await page.evaluate(() => {
      const w = window as unknown as { __curveCounts: number[] };
      w.__curveCounts = [];
      const note = () => {
        const n = Number(document.querySelector('[data-testid=curve-loss]')?.getAttribute('data-points') ?? NaN);
        if (Number.isFinite(n) && w.__curveCounts.at(-1) !== n) w.__curveCounts.push(n);
      };
      // From the click on: the curves of the model already shown are not this run's.
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-points'] });
    });
  }

  it('trains from the Train view: curves grow epoch by epoch, then a confusion matrix', async () => {
    // Predict once first: like Train, it stays mounted after its first visit.
    await tab('Predict').click();
    await page.getByTestId('predict-pane').waitFor();
    await tab('Train').click();
    await page.getByTestId('train-button').waitFor();
    // A fresh window: the drawer shows the shared defaults, which are what this run uses.
    await settingsDrawer(true);
    await assertDrawerShowsDefaults();
    await settingsDrawer(false);
    await snap(page, '10-train-before');
    // The codes are computed by this run (the model before() made left them cached).
    for (const backbone of DEFAULTS.training.backbones.value) await call(studio.engine, 'codes.clear', { backbone });
    const runsBefore = (await call(studio.engine, 'runs.list', {})).map((r) => r.id);

    await recordCurveGrowth();
    await recordProgressTexts();
    let over = false;
    const ended = nextEnding(studio.engine, 'train').then((f) => {
      over = true;
      return f;
    });
    await page.getByTestId('train-button').click();
    await page.getByTestId('train-progress').waitFor();
    // From the first second: every stage listed, networks by name, and a time left for the whole run.
    const stages = await page.locator('[data-testid=train-progress] li').evaluateAll((els) => els.map((e) => e.getAttribute('data-stage')));
    // One codes step for both networks: the engine runs them together on each decoded photo.
    assert.deepEqual(stages, ['codes', 'head', 'score'], 'the codes, the head, then scoring');
    const networks = await page.locator('[data-testid=train-progress] li[data-stage=codes] .name').allInnerTexts();
    assert.deepEqual(networks, ['Codes · MobileNet v1 0.75 + v2 0.35 at 320 px']);
    assert.match(await page.getByTestId('train-eta').innerText(), /^About .+ left$/, 'an overall estimate at once');

    // While the run is in progress: switch views, each click waiting until its view is shown,
    // and time how fast the UI answers (figures for the log: the bench is where speed is judged).
    const latencies = { library: [] as number[], predict: [] as number[], train: [] as number[] };
    const switchViews = async () => {
      latencies.library.push(await clickLatency('Library', 'section.library'));
      latencies.predict.push(await clickLatency('Predict', '[data-testid=predict-pane]'));
      latencies.train.push(await clickLatency('Train', '[data-testid=train-progress], [data-testid=confusion-matrix]'));
    };
    // Once at least, whatever the machine's speed: the run has just started.
    await switchViews();
    let snappedRunning = false;
    while (!over) {
      const points = await curvePoints().catch(() => 0);
      const running = await page.getByTestId('train-progress').count();
      if (running && latencies.train.length < 5) await switchViews();
      if (running && !snappedRunning && points >= 3) {
        await snap(page, '11-train-running');
        snappedRunning = true;
      }
      await page.waitForTimeout(40);
    }
    resultOf(await ended);
    await page.getByTestId('confusion-matrix').waitFor();
    const seenCounts = await page.evaluate(() => (window as unknown as { __curveCounts: number[] }).__curveCounts);
    const progressSeen = await page.evaluate(() => (window as unknown as { __progress: { texts: string[]; indeterminate: number; etas: string[] } }).__progress);
    assert.ok(!progressSeen.texts.some((t) => /mobilenet_/.test(t)), `no raw network id in the progress card (seen: ${progressSeen.texts.filter((t) => /mobilenet_/.test(t)).join(' | ')})`);
    assert.equal(progressSeen.indeterminate, 0, 'the overall bar always has a fraction');
    assert.ok(progressSeen.etas.every((t) => /^(About .+ left|Almost done)$/.test(t)), `an estimate all along (${[...new Set(progressSeen.etas)].join(', ')})`);
    // 100 photos through two networks: 200 codes, counted as such (not as "of 200 images").
    assert.ok(progressSeen.texts.some((t) => /Loading the networks|of 200 codes/.test(t)), 'the codes stage said what it was doing');
    assert.ok(!progressSeen.texts.some((t) => /of \d+ images/.test(t)), `codes were not counted as images (${progressSeen.texts.join(' | ')})`);
    const stats = (xs: number[]) => {
      const sorted = [...xs].sort((a, b) => a - b);
      return { median: sorted[sorted.length >> 1] ?? NaN, max: sorted.at(-1) ?? NaN, all: xs.map((x) => x.toFixed(0)).join(', ') };
    };
    const figures = Object.fromEntries(Object.entries(latencies).map(([view, xs]) => [view, stats(xs)]));
    console.log(
      `[e2e figures] training through the UI: curve point counts seen: ${seenCounts.join(', ')}; ` +
        `click on a view tab → next frame with that view shown, during training (ms): ` +
        Object.entries(figures)
          .map(([view, f]) => `→${view} median ${f.median.toFixed(1)} max ${f.max.toFixed(1)} [${f.all}]`)
          .join('; '),
    );
    const firstRun = await currentRun();
    assert.ok(!runsBefore.includes(firstRun.id), 'the new run became the current model');

    const headEpochs = firstRun.history.filter((h) => h.stage === 'head').length;
    assert.equal(await curvePoints(), firstRun.history.length, 'one curve point per stored epoch');
    const growing = new Set(seenCounts.filter((n) => n > 0 && n < headEpochs));
    assert.ok(growing.size >= 3, `the curves were seen growing between epochs (counts seen: ${seenCounts.join(', ')})`);
    assert.equal(Math.max(...seenCounts), firstRun.history.length);

    const cells = page.getByTestId('confusion-cell');
    assert.equal(await cells.count(), firstRun.classes.length ** 2);
    const shown = await page.getByTestId('test-accuracy').innerText();
    assert.equal(shown, `${(firstRun.metrics!.accuracy.test! * 100).toFixed(1)}%`, 'the summary shows the stored test accuracy');
    assert.equal(await page.locator('[data-testid=per-class-table] tbody tr').count(), firstRun.classes.length);
    assert.equal(await page.getByTestId('run-row').count(), runsBefore.length + 1);

    // One validation figure per meaning, each named: the curve's at the best epoch (head
    // alone), the card's with the vote, which also quotes the curve's.
    const best = firstRun.history.find((h) => h.stage === 'head' && h.epoch === firstRun.metrics!.bestEpoch)!;
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    assert.equal(await page.getByTestId('curve-accuracy-at').innerText(), `best epoch ${best.epoch}`);
    assert.equal(await page.getByTestId('curve-accuracy-validation').innerText(), pct(best.valAccuracy));
    assert.equal(await page.getByTestId('validation-accuracy').innerText(), pct(firstRun.metrics!.accuracy.validation!));
    assert.equal(
      await page.getByTestId('validation-how').innerText(),
      `${firstRun.metrics!.counts.validation} images · best epoch ${best.epoch} with the vote; ${pct(best.valAccuracy)} without`,
    );

    // Runs and networks by name; the id stays on hover.
    const subtitle = page.getByTestId('current-model');
    // The date in the reader's locale ("4 Dec, 17:35", "Dec 4, 5:35 PM"): its day and minutes show.
    const made = new Date(firstRun.createdAt);
    const named = /^Current model: (.+) · MobileNet v1 0\.75 \+ v2 0\.35 at 320 px$/.exec(await subtitle.innerText());
    assert.ok(named, `the subtitle names the run by date and networks: ${await subtitle.innerText()}`);
    assert.match(named[1], new RegExp(`\\b${made.getDate()}\\b.*:${String(made.getMinutes()).padStart(2, '0')}`));
    assert.equal(await subtitle.getAttribute('title'), `Run ${firstRun.id}`);
    const row = page.locator(`[data-testid=run-row][data-run-id="${firstRun.id}"]`);
    assert.match(await row.innerText(), /MobileNet v1 0\.75 \+ v2 0\.35 at 320 px/);
    assert.doesNotMatch(await page.getByTestId('runs-history').innerText(), /mobilenet_|\d{8}-\d{6}/, 'no raw ids in the runs history');
    await snap(page, '12-train-results');
  });

  it('opens exactly the images of a confusion-matrix cell in the library', async () => {
    const firstRun = await currentRun();
    await tab('Train').click();
    if (await page.getByTestId('other-run-banner').count()) await page.getByRole('button', { name: 'Show the current model' }).click();
    await page.getByTestId('confusion-matrix').waitFor();
    const test = firstRun.metrics!.test!;
    assert.ok(test.cellImageIds, 'the run keeps the image ids of each cell');
    // An off-diagonal cell (a mistake) when there is one: the interesting case.
    const k = firstRun.classes.length;
    let pick: [number, number] | null = null;
    for (let t = 0; t < k && !pick; t++) for (let p = 0; p < k; p++) if (t !== p && test.confusion[t][p] > 0) pick = [t, p];
    pick ??= [0, 0];
    const [t, p] = pick;
    const ids = test.cellImageIds![t][p];
    assert.equal(ids.length, test.confusion[t][p]);

    await page.locator(`[data-testid=confusion-cell][data-true="${firstRun.classes[t]}"][data-predicted="${firstRun.classes[p]}"]`).click();
    await page.getByTestId('view-count').filter({ hasText: `${ids.length} image` }).waitFor();
    await waitForThumbnailsOnScreen(page);
    const shownIds = await page.locator('[data-testid=thumbnail-grid] .thumb').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-id'))));
    assert.deepEqual([...shownIds].sort((a, b) => a - b), [...ids].sort((a, b) => a - b), 'the grid shows exactly the cell’s images');
    const title = await page.getByTestId('collection-title').innerText();
    assert.match(title, new RegExp(firstRun.classes[t]));
    // A mistake's thumbnails offer the current model's answer, to accept in one click or with A.
    assert.notEqual(t, p, 'a default run on flowers-mini (seed 42) has a mistake in its test split');
    const snapshot = await call(studio.engine, 'insights.predictions', {});
    for (const id of ids) {
      const k = snapshot.imageIds.indexOf(id);
      const fix = page.locator(`[data-testid=thumbnail-grid] .thumb[data-id="${id}"] [data-testid=thumb-fix]`);
      const text = (await fix.innerText()).replace(/\s+/g, ' ').trim();
      assert.ok(text.includes(snapshot.classes[snapshot.predicted[k]]) && text.endsWith(`${Math.round(snapshot.confidence[k] * 100)}%`), `image ${id}: "${text}"`);
      assert.match((await fix.getAttribute('title')) ?? '', /The current model says/);
    }
    await snap(page, '13-library-confusion-cell');
  });

  it('cancels a training run from the UI, keeping the previous model', async () => {
    const previous = await currentRun();
    const cancelledBefore = (await call(studio.engine, 'runs.list', {})).filter((r) => r.status === 'cancelled').length;
    await tab('Train').click();
    await page.getByTestId('train-button').waitFor({ timeout: 60_000 });
    await settingsDrawer(true);
    await page.getByTestId('train-settings').getByRole('button', { name: 'Defaults' }).click();
    await assertDrawerShowsDefaults();
    // Fine-tuning for the most epochs makes the run long enough to cancel in the middle of it,
    // however fast the machine.
    await page.getByTestId('train-settings').getByText('Fine-tune the network').click();
    await page.locator('#train-ft-epochs').fill(String(DEFAULTS.fineTune.epochs.max));
    await page.locator('#train-ft-epochs').press('Tab');
    await snap(page, '14-train-settings-drawer');

    await page.getByTestId('train-button').click();
    await page.getByTestId('train-progress').waitFor();
    // Cancel in the fine-tuning stage: it runs the backbone itself, so it is the stage whose
    // steps are longest and the hardest one to stop quickly.
    await page.locator('[data-testid=train-progress] li.now[data-stage=fine-tune]').waitFor({ timeout: 120_000 });
    await page.getByTestId('train-stage-detail').filter({ hasText: /preparing|fine-tuning/ }).waitFor({ timeout: 120_000 });
    // The first run on 100 photos is over before a screenshot lands; this one is still going.
    await snap(page, '14-train-fine-tuning');
    const ended = nextEnding(studio.engine, 'train');
    await page.getByTestId('train-cancel').click();
    assert.equal((await ended).status, 'cancelled', 'the run ended as cancelled');
    await page.getByTestId('train-button').waitFor();

    const runs = await call(studio.engine, 'runs.list', {});
    assert.equal(runs.find((r) => r.current)?.id, previous.id, 'the previous model is still current');
    assert.equal(runs.filter((r) => r.status === 'cancelled').length, cancelledBefore + 1);
    const cancelled = runs.filter((r) => r.status === 'cancelled').sort((a, b) => b.createdAt - a.createdAt)[0];
    assert.equal((await call(studio.engine, 'runs.get', { id: cancelled.id })).config.fineTune?.epochs, DEFAULTS.fineTune.epochs.max, 'the drawer’s fine-tune epochs reached the run');
    await page.locator(`[data-testid=run-row][data-current=true][data-run-id="${previous.id}"]`).waitFor();
  });

  it('compares runs in the history, chooses the current model and deletes a run', async () => {
    const firstRun = await currentRun();
    await tab('Train').click();
    await page.getByTestId('train-button').waitFor({ timeout: 60_000 });
    await settingsDrawer(true);
    // Back to the defaults (no fine-tuning) whatever the step before left, then seed 7.
    await page.getByTestId('train-settings').getByRole('button', { name: 'Defaults' }).click();
    await assertDrawerShowsDefaults();
    await page.locator('#train-seed').fill('7');
    await page.locator('#train-seed').press('Tab');
    await page.getByTestId('train-settings').getByText('Vote of similar images').click();
    await settingsDrawer(false);
    await page.getByTestId('train-button').click();
    await page.getByTestId('train-progress').waitFor();
    await page.getByTestId('confusion-matrix').waitFor({ timeout: 300_000 });
    const second = (await call(studio.engine, 'runs.list', {})).find((r) => r.current)!;
    assert.notEqual(second.id, firstRun.id, 'the new run became current');
    const secondConfig = (await call(studio.engine, 'runs.get', { id: second.id })).config;
    assert.equal(secondConfig.seed, 7, 'the drawer’s seed reached the run');
    assert.equal(secondConfig.head.vote, 0, 'unticking the vote reached the run');
    assert.ok((await call(studio.engine, 'runs.get', { id: firstRun.id })).config.head.vote! > 0, 'the default run has the vote');

    // Look at the first run again, then make it current from its row.
    await page.locator(`[data-testid=run-row][data-run-id="${firstRun.id}"]`).click();
    await page.getByTestId('other-run-banner').waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.scrollTop), 0, 'the window itself never scrolls');
    await snap(page, '15-train-runs-compare');
    await page.locator(`[data-testid=run-row][data-run-id="${firstRun.id}"]`).getByTestId('run-make-current').click();
    await waitFor(async () => (await call(studio.engine, 'runs.list', {})).find((r) => r.current)?.id === firstRun.id, 'the first run is current again');
    await page.locator(`[data-testid=run-row][data-current=true][data-run-id="${firstRun.id}"]`).waitFor();

    const row = page.locator(`[data-testid=run-row][data-run-id="${second.id}"]`);
    await row.getByTestId('run-delete').click();
    await row.getByTestId('run-delete-confirm').click();
    await row.waitFor({ state: 'detached' });
    assert.ok(!(await call(studio.engine, 'runs.list', {})).some((r) => r.id === second.id), 'the run is gone from the catalogue');
    await settingsDrawer(true);
    await page.getByTestId('train-settings').getByRole('button', { name: 'Defaults' }).click();
    await settingsDrawer(false);
  });

  it('predicts a dropped and a chosen flower photo with the probabilities `graft predict` gives', async () => {
    // Photos from the full flower set that are not in flowers-mini: new to the model.
    const inMini = new Set(fs.readdirSync(path.join(flowersMiniDir, 'roses')));
    const roses = fs.readdirSync(path.join(flowersDir, 'roses')).filter((f) => !inMini.has(f));
    const sunflowers = fs.readdirSync(path.join(flowersDir, 'sunflowers'));
    const chosen = path.join(flowersDir, 'roses', roses[0]);
    const dropped = path.join(flowersDir, 'sunflowers', sunflowers[sunflowers.length - 1]);

    await tab('Predict').click();
    await page.getByTestId('predict-dropzone').waitFor();
    await snap(page, '16-predict-empty');

    await page.getByTestId('predict-file-input').setInputFiles(chosen);
    // A drop from the file manager: a DataTransfer holding the photo's bytes.
    const bytes = fs.readFileSync(dropped).toString('base64');
    await page.getByTestId('predict-dropzone').evaluate(
      (zone, { bytes, name }) => {
        const data = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([data], name, { type: 'image/jpeg' }));
        for (const type of ['dragenter', 'dragover', 'drop']) {
          zone.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
        }
      },
      { bytes, name: path.basename(dropped) },
    );
    const card = (file: string) => page.locator(`[data-testid=prediction][data-name="${path.basename(file)}"]`);
    await card(chosen).and(page.locator('[data-status=done]')).waitFor({ timeout: 120_000 });
    await card(dropped).and(page.locator('[data-status=done]')).waitFor({ timeout: 120_000 });

    const shownTop = async (file: string) =>
      card(file)
        .locator('[data-testid=probabilities] li')
        .evaluateAll((els) => els.map((e) => ({ label: e.getAttribute('data-label')!, probability: Number(e.getAttribute('data-probability')) })));
    const ui = { chosen: await shownTop(chosen), dropped: await shownTop(dropped) };
    assert.equal(ui.chosen.length, 5, 'top-5 bars');

    // The same photos through the CLI, in its own process, on the same project file.
    const { stdout } = await promisify(execFile)(process.execPath, [graftBin, 'predict', chosen, dropped, '--project', studio.projectFile, '--top', '5', '--json'], {
      env: { ...process.env, GRAFT_MODELS_DIR: modelsDir },
      timeout: 240_000,
    });
    const cli = JSON.parse(stdout) as { runId: string; predictions: Array<{ path: string; top: Array<{ label: string; probability: number }> }> };
    assert.equal(cli.runId, (await currentRun()).id, 'the pane and the CLI used the current model');
    for (const [file, shown] of [
      [chosen, ui.chosen],
      [dropped, ui.dropped],
    ] as const) {
      const expected = cli.predictions.find((p) => path.basename(p.path) === path.basename(file))!.top;
      assert.deepEqual(shown.map((t) => t.label), expected.map((t) => t.label), `${path.basename(file)}: same ranking as graft predict`);
      shown.forEach((t, i) => assert.ok(Math.abs(t.probability - expected[i].probability) < 1e-4, `${t.label}: ${t.probability} vs ${expected[i].probability}`));
    }
    console.log(`[e2e figures] predict pane vs graft predict: ${path.basename(chosen)} → ${ui.chosen[0].label} ${(ui.chosen[0].probability * 100).toFixed(1)}%, ${path.basename(dropped)} → ${ui.dropped[0].label} ${(ui.dropped[0].probability * 100).toFixed(1)}%`);
    await snap(page, '17-predict-results');

    // The batch table sorts, and its CSV holds what it shows.
    await page.getByTestId('predict-layout-table').click();
    await page.getByTestId('predict-sort-probability').click();
    const rows = await page.getByTestId('predict-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-name')));
    const byConfidence = [
      { name: path.basename(chosen), p: ui.chosen[0].probability },
      { name: path.basename(dropped), p: ui.dropped[0].probability },
    ].sort((a, b) => b.p - a.p);
    assert.deepEqual(rows, byConfidence.map((r) => r.name), 'sorted by confidence, highest first');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('predict-csv').click()]);
    const csv = fs.readFileSync((await download.path())!, 'utf8').trim().split('\n');
    assert.match(csv[0], /^image,label,probability,top1,p1/);
    assert.equal(csv.length, 3);
    assert.ok(csv[1].startsWith(`${byConfidence[0].name},`));

    // A folder path typed in the browser is read by the engine (a predict job).
    const daisyDir = path.join(flowersMiniDir, 'daisy');
    await page.getByTestId('predict-folder-input').fill(daisyDir);
    await page.getByTestId('predict-folder-start').click();
    await page.getByTestId('predict-count').filter({ hasText: '22 images' }).waitFor({ timeout: 120_000 });
    const folderRows = await page
      .getByTestId('predict-row')
      .evaluateAll((els) => els.map((e) => ({ name: e.getAttribute('data-name')!, label: e.querySelector('[data-testid=predict-row-label]')?.textContent?.trim() })));
    const daisies = folderRows.filter((r) => r.name.startsWith(daisyDir));
    assert.equal(daisies.length, fs.readdirSync(daisyDir).length, 'one row per image in the folder');
    const expected = resultOf(await runToEnd(studio.engine, 'predict', () => call(studio.engine, 'predict.start', { paths: [daisyDir], top: 5 })));
    for (const p of expected.predictions) assert.equal(daisies.find((r) => r.name === p.path)?.label, p.top[0].label, `${p.path}: same top label as the predict job`);
    await snap(page, '18-predict-table');

    // Photos that fit none of the classes: a cat and a generated pattern, in a folder.
    const oddities = path.join(tmp.dir, 'not-flowers');
    fs.mkdirSync(oddities);
    fs.copyFileSync(path.join(testdataDir, 'chelsea.png'), path.join(oddities, 'cat.png'));
    fs.writeFileSync(path.join(oddities, 'stripes.png'), await stripesPng());
    await page.getByTestId('predict-folder-input').fill(oddities);
    await page.getByTestId('predict-folder-start').click();
    await page.getByTestId('predict-count').filter({ hasText: '24 images' }).waitFor({ timeout: 120_000 });
    const flagged = await page.getByTestId('predict-row').filter({ has: page.getByTestId('predict-row-unfamiliar') }).evaluateAll((els) => els.map((e) => e.getAttribute('data-name')));
    for (const name of ['cat.png', 'stripes.png']) assert.ok(flagged.includes(path.join(oddities, name)), `${name} marked unlike the training photos (flagged: ${flagged.join(', ')})`);
    assert.ok(flagged.filter((n) => n!.startsWith(daisyDir)).length <= 2, 'the daisies are flowers it knows');
    await snap(page, '18b-predict-table-unfamiliar');
    // The cards show the folder's photos themselves, and say which fit none of the classes.
    await page.locator('[aria-label=Layout] button').first().click();
    const cat = page.locator(`[data-testid=prediction][data-name="${path.join(oddities, 'cat.png')}"]`);
    await cat.getByTestId('prediction-unfamiliar').waitFor();
    assert.match((await cat.locator('img').getAttribute('src')) ?? '', /^data:image\/jpeg;base64,/, 'a thumbnail, not a placeholder');
    const daisyCard = page.locator(`[data-testid=prediction][data-name^="${daisyDir}"]`).first();
    assert.match((await daisyCard.locator('img').getAttribute('src')) ?? '', /^data:image\/jpeg;base64,/);
    await snap(page, '18c-predict-cards-unfamiliar');
  });

  it('exports the model and its report, lists the files and shows a snippet that loads it', async () => {
    const target = path.join(tmp.dir, 'exported model');
    await page.getByTestId('export-button').click();
    await page.getByTestId('export-dialog').waitFor();
    await page.getByTestId('export-dir').fill(target);
    await snap(page, '19-export-dialog');
    await page.getByTestId('export-start').click();
    await page.getByTestId('export-result').waitFor({ timeout: 300_000 });

    const listed = await page.locator('[data-testid=export-files] li').allInnerTexts();
    const onDisk = (function walk(dir: string, prefix = ''): string[] {
      return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
    })(target);
    assert.deepEqual([...listed].sort(), [...onDisk].sort(), 'the result page lists exactly the files on disk');
    for (const f of ['model.json', 'metadata.json', 'report.html']) assert.ok(onDisk.some((x) => x.endsWith(f)), `${f} written`);
    const metadata = JSON.parse(fs.readFileSync(path.join(target, onDisk.find((x) => x.endsWith('metadata.json'))!), 'utf8'));
    assert.deepEqual(metadata.labels, (await currentRun()).classes);
    assert.equal(await page.getByTestId('export-report-path').innerText(), path.join(target, onDisk.find((x) => x.endsWith('report.html'))!));
    const snippet = await page.getByTestId('export-snippet').innerText();
    assert.match(snippet, /tf\.load(Layers|Graph)Model\('\.\/(.*\/)?model\.json'\)/);
    assert.match(snippet, /div\(127\.5\)\.sub\(1\)/, 'the metadata’s preprocessing: 0…255 → -1…1');
    await snap(page, '20-export-result');
    await page.getByTestId('export-done').click();
  });

  it('looks finished in the light theme too', async () => {
    await page.getByRole('button', { name: 'Switch to the light theme' }).click();
    await tab('Train').click();
    await page.getByTestId('confusion-matrix').waitFor();
    await snap(page, '21-train-results-light');
    await tab('Predict').click();
    await snap(page, '22-predict-light');
    assert.deepEqual(browser.problems, [], 'no console errors, CSP violations or failed loads');
  });
});
