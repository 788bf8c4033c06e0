/// <reference lib="dom" />
/**
 * Measurements and waits run inside the page: what a person would see, judged from
 * the DOM and the frame clock rather than from timers in the test process.
 */
import type { Page } from 'playwright-core';
import { screenshotPath } from './studio';

/** Whether every tile intersecting the grid's viewport shows a decoded thumbnail (runs in the page). */
function firstScreenReady(): number | false {
  const grid = document.querySelector('[data-testid=thumbnail-grid]');
  if (!grid) return false;
  const view = grid.getBoundingClientRect();
  const tiles = Array.from(grid.querySelectorAll<HTMLElement>('.thumb')).filter((t) => {
    const r = t.getBoundingClientRect();
    return r.bottom > view.top && r.top < view.bottom;
  });
  const ready =
    tiles.length > 0 &&
    tiles.every((t) => {
      const img = t.querySelector('img');
      return !!img && img.complete && img.naturalWidth > 0;
    });
  // performance.now() counts from the start of the navigation.
  return ready ? performance.now() : false;
}

/** Waits until every thumbnail on screen has decoded; returns ms since navigation start. */
export async function waitForThumbnailsOnScreen(page: Page, timeout = 15_000): Promise<number> {
  // A scroll just made is only rendered once its scroll event has run (at the next frame):
  // judged before that, the old tiles would pass for the new screen, and the rows the
  // scroll revealed would never be waited for.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  const handle = await page.waitForFunction(firstScreenReady, undefined, { timeout, polling: 'raf' });
  return (await handle.jsonValue()) as number;
}

export interface FrameStats {
  frames: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Frames that took longer than two 60 Hz frames (a visible stutter). */
  over33Ms: number;
  fps: number;
  pixelsScrolled: number;
}

/**
 * Scrolls the grid by `pxPerFrame` on every animation frame, as a steady wheel or a
 * fling would, and records the time between frames.
 */
export async function measureScroll(page: Page, frames: number, pxPerFrame: number): Promise<FrameStats> {
  const deltas = await page.evaluate(
    ({ frames, pxPerFrame }) =>
      new Promise<number[]>((resolve) => {
        const grid = document.querySelector<HTMLElement>('[data-testid=thumbnail-grid]')!;
        const out: number[] = [];
        let last = 0;
        const step = (t: number) => {
          if (last) out.push(t - last);
          last = t;
          grid.scrollTop += pxPerFrame;
          if (out.length < frames) requestAnimationFrame(step);
          else resolve(out);
        };
        requestAnimationFrame(step);
      }),
    { frames, pxPerFrame },
  );
  const sorted = [...deltas].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const total = deltas.reduce((s, d) => s + d, 0);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    frames: deltas.length,
    meanMs: round(total / deltas.length),
    p50Ms: round(at(0.5)),
    p95Ms: round(at(0.95)),
    p99Ms: round(at(0.99)),
    maxMs: round(sorted[sorted.length - 1]),
    over33Ms: deltas.filter((d) => d > 33.4).length,
    fps: round((deltas.length * 1000) / total),
    pixelsScrolled: deltas.length * pxPerFrame,
  };
}

/** A screenshot once the page has settled (two frames after the last change). */
export async function snap(page: Page, name: string): Promise<void> {
  await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
  await page.waitForTimeout(150);
  await page.screenshot({ path: screenshotPath(name) });
}
