/// <reference lib="dom" />
/**
 * Debian's Chromium driven by playwright-core, for the end-to-end tests: headless,
 * with a fresh profile each launch so no state (localStorage, cache) leaks between
 * tests, and the flags that keep it from reaching the network on its own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.GRAFT_CHROMIUM ?? '/usr/bin/chromium';

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

/** Why a test cannot run here, or null when Chromium is available. */
export function chromiumMissing(): string | null {
  return fs.existsSync(CHROMIUM_PATH)
    ? null
    : `No Chromium at ${CHROMIUM_PATH}: install Debian's chromium package, or set GRAFT_CHROMIUM to a Chromium binary.`;
}

export async function launchBrowser(options: LaunchOptions = {}): Promise<LaunchedBrowser> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
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
