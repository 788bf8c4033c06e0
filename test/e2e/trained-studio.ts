/**
 * A studio on a flowers-mini project that already has a trained model: imported and
 * trained through the engine's API (quick settings), then served to Chromium, for
 * the tests of the model-aware library, the embedding map, the layout and the exports.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { ParamsOf } from '../../shared/contract';
import type { trainingMethods } from '../../shared/api/training';
import { Engine } from '../../main/engine/engine';
import { call } from '../../main/engine/dispatch';
import { importFolder } from '../../main/engine/importer';
import { flowersMiniDir, modelsDir, tempDir } from '../helpers/paths';
import { resultOf, runToEnd } from '../helpers/jobs';
import { launchBrowser, type LaunchedBrowser } from './browser';
import { startStudio, type Studio } from './studio';

type TrainParams = ParamsOf<(typeof trainingMethods)['train.start']>;

/** A flowers-mini project in `dir`, imported and trained through the engine's API; returns its file. */
export async function trainFlowersMini(dir: string, train: TrainParams = { members: 1, epochs: 15 }, prepare?: (engine: Engine) => Promise<void>): Promise<string> {
  const projectFile = path.join(dir, 'flowers-mini.graft');
  const setup = new Engine(projectFile, { modelsDir });
  try {
    await importFolder(setup.db, flowersMiniDir);
    await prepare?.(setup);
    resultOf(await runToEnd(setup, 'train', () => call(setup, 'train.start', train)));
  } finally {
    await setup.close();
  }
  return projectFile;
}

/** A trained studio in its own temporary folder, open in Chromium (dark theme) on the library. */
export interface TrainedStudioSession {
  dir: string;
  studio: Studio;
  browser: LaunchedBrowser;
  page: Page;
  /** Closes the browser and the studio and deletes the folder. */
  close(): Promise<void>;
}

/**
 * For a test file's before(); its after() calls close(). `project` makes the project in
 * the session's folder (default: flowers-mini trained with quick settings). A failure part
 * way closes what was opened.
 */
export async function openTrainedStudio(prefix: string, project: (dir: string) => Promise<string> = (dir) => trainFlowersMini(dir)): Promise<TrainedStudioSession> {
  const tmp = tempDir(prefix);
  let studio: Studio | undefined;
  let browser: LaunchedBrowser | undefined;
  const close = async () => {
    await browser?.close();
    await studio?.close();
    tmp.cleanup();
  };
  try {
    studio = await startStudio(await project(tmp.dir));
    browser = await launchBrowser({ colorScheme: 'dark' });
    await browser.page.goto(studio.server.url);
    await browser.page.getByTestId('view-count').filter({ hasText: '100 images' }).waitFor({ timeout: 30_000 });
    return { dir: tmp.dir, studio, browser, page: browser.page, close };
  } catch (err) {
    await close();
    throw err;
  }
}
