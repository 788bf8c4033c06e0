/// <reference lib="dom" />
/**
 * Layout checks run inside the page: what a person would see as clipped, spilling out of
 * its box, scrolling sideways or pressed against the window's edge.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { snap } from './page-probes';

/** The smallest window Graft supports, and a common one. */
export const LAYOUT_SIZES = [
  { width: 1280, height: 800 },
  { width: 1024, height: 700 },
] as const;

export interface LayoutProblem {
  what: string;
  element: string;
}

/** Smallest gap between a button and the window's left or right edge, in CSS pixels. */
export const EDGE_PADDING = 8;

/** Everything on screen that overflows, scrolls sideways or touches the window's edge (runs in the page). */
function findLayoutProblems(edge: number): LayoutProblem[] {
  const problems: LayoutProblem[] = [];
  const describe = (el: Element) => {
    const id = el.getAttribute('data-testid');
    const text = (el as HTMLElement).innerText?.trim().replace(/\s+/g, ' ').slice(0, 40);
    const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
    return `${el.tagName.toLowerCase()}${id ? `[data-testid=${id}]` : ''}${cls}${text ? ` “${text}”` : ''}`;
  };
  const shown = (el: Element) => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return false;
    const style = getComputedStyle(el);
    return style.visibility !== 'hidden' && style.display !== 'none' && !el.closest('.visually-hidden, [hidden]');
  };

  const root = document.scrollingElement ?? document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1) problems.push({ what: `the window scrolls sideways (${root.scrollWidth} > ${root.clientWidth})`, element: 'html' });

  for (const el of Array.from(document.body.querySelectorAll('*'))) {
    if (!shown(el)) continue;
    const style = getComputedStyle(el);
    const html = el as HTMLElement;
    // A box that scrolls sideways, or clips its content sideways without saying so with an ellipsis.
    const wider = html.scrollWidth > html.clientWidth + 1 && html.clientWidth > 0;
    if (wider && el.tagName !== 'CANVAS' && !['TEXTAREA', 'INPUT', 'SELECT'].includes(el.tagName)) {
      if (style.overflowX === 'auto' || style.overflowX === 'scroll') {
        problems.push({ what: `scrolls sideways (${html.scrollWidth} > ${html.clientWidth})`, element: describe(el) });
      } else if (style.overflowX === 'hidden' || style.overflowX === 'clip') {
        if (style.textOverflow !== 'ellipsis') problems.push({ what: `clips its content (${html.scrollWidth} > ${html.clientWidth})`, element: describe(el) });
      }
    }
  }

  // Controls and headings inside the box that clips them, and buttons off the window's edge.
  const controls = document.body.querySelectorAll('button, input, select, a[href], h1, h2, h3, [role=tab], [role=menuitem], th, td, label, kbd, .value');
  for (const el of Array.from(controls)) {
    if (!shown(el)) continue;
    const r = el.getBoundingClientRect();
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX === 'visible') continue;
      const box = a.getBoundingClientRect();
      if (r.right > box.right + 1 || r.left < box.left - 1) problems.push({ what: `sticks out of ${describe(a).slice(0, 60)} by ${Math.round(Math.max(r.right - box.right, box.left - r.left))} px`, element: describe(el) });
      break;
    }
    if (r.right > innerWidth + 0.5 || r.left < -0.5) problems.push({ what: 'outside the window', element: describe(el) });
    else if ((el.tagName === 'BUTTON' || el.tagName === 'SELECT') && (innerWidth - r.right < edge - 0.5 || r.left < edge - 0.5) && r.width < innerWidth / 2) {
      problems.push({ what: `${Math.round(Math.min(r.left, innerWidth - r.right))} px from the window's edge`, element: describe(el) });
    }
  }
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.what}|${p.element}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export async function layoutProblems(page: Page): Promise<LayoutProblem[]> {
  return page.evaluate(findLayoutProblems, EDGE_PADDING);
}

/** A readable list for an assertion message. */
export function formatProblems(problems: LayoutProblem[]): string {
  return problems.map((p) => `  ${p.element}: ${p.what}`).join('\n');
}

/** At each of LAYOUT_SIZES: let the view settle, check it, keep its picture (layout-NAME-WxH.png). */
export async function assertLayoutAtSizes(page: Page, name: string, settle: () => Promise<void>): Promise<void> {
  const failures: string[] = [];
  for (const size of LAYOUT_SIZES) {
    await page.setViewportSize(size);
    await settle();
    await snap(page, `layout-${name}-${size.width}x${size.height}`);
    const problems = await layoutProblems(page);
    if (problems.length) failures.push(`${name} at ${size.width}×${size.height}:\n${formatProblems(problems)}`);
  }
  assert.equal(failures.length, 0, failures.join('\n'));
}
