/// <reference lib="dom" />
/**
 * Chromium driven by playwright-core, for the end-to-end tests: the browser that
 * `test/find-browser.js` resolves (GRAFT_CHROMIUM, a system Chrome or Chromium, or the
 * packaged one), headless, with a fresh profile each launch so no state (localStorage,
 * cache) leaks between tests, and the flags that keep it from reaching the network on its own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot } from '../helpers/paths';

export interface FoundBrowser {
  executablePath: string;
  /** What the browser says of itself, e.g. "Chromium 153.0.8010.0". */
  version: string;
  source: 'GRAFT_CHROMIUM' | 'system' | 'packaged';
  /** Extra environment for the browser process (the packaged one's fonts). */
  env: Record<string, string>;
  description: string;
}

/** The one resolver (plain JavaScript, so test/run.js can use it before anything is built). */
const resolver = require(path.join(repoRoot, 'test', 'find-browser.js')) as { findBrowser(): Promise<FoundBrowser>; uiTestsSkipped(): boolean };

/** The browser every test that drives one uses; rejects with how to get one. */
export const findBrowser = (): Promise<FoundBrowser> => resolver.findBrowser();

/** GRAFT_SKIP_UI_TESTS=1, the documented opt-out (test/run.js then leaves test/e2e out and says so). */
export const uiTestsSkipped = (): boolean => resolver.uiTestsSkipped();

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-gpu',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface LaunchedBrowser {
  context: BrowserContext;
  page: Page;
  /** Console errors and CSP violations the page reported, for tests to assert on. */
  problems: string[];
  close(): Promise<void>;
}

export interface LaunchOptions {
  width?: number;
  height?: number;
  colorScheme?: 'light' | 'dark';
}

/** A plain browser (no profile) for pages that are not the studio, such as the exported report. */
export async function launchPlainBrowser(): Promise<Browser> {
  const found = await findBrowser();
  return chromium.launch({ executablePath: found.executablePath, headless: true, args: CHROMIUM_ARGS, env: { ...process.env, ...found.env } });
}

export async function launchBrowser(options: LaunchOptions = {}): Promise<LaunchedBrowser> {
  const found = await findBrowser();
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: found.executablePath,
    env: { ...process.env, ...found.env },
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    deviceScaleFactor: 1,
    colorScheme: options.colorScheme ?? 'dark',
    reducedMotion: 'reduce',
  });
  // Chromium reports CSP refusals to the console too, but name the directive here.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline content'}`),
    );
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('console', (message) => {
    // Failed loads are reported below with their address, which the console message lacks.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      problems.push(`console: ${message.text()}`);
    }
  });
  page.on('response', (response) => {
    // API calls answer refusals with 4xx on purpose (the UI shows their message); other
    // resources (scripts, styles, thumbnails) must all load.
    if (response.status() >= 400 && !new URL(response.url()).pathname.startsWith('/api/')) problems.push(`HTTP ${response.status()} for ${response.url().replace(/token=[^&]+/, 'token=…')}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  return {
    context,
    page,
    problems,
    async close() {
      await context.close().catch(() => undefined);
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
