/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BrowserContext, Page } from 'playwright-core';

// What the console and portal benchmarks read out of the page (and the JavaScript it loaded): long tasks (for time-to-interactive),
// paint timings, and the moment a DOM condition first holds (for live-update latency), all on
// the page's own clock so the browser's scheduling is part of the figure.

/** Installed before any page script: collects long tasks so TTI can be computed afterwards. */
export const LONG_TASK_OBSERVER = `
  window.__longTasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, end: e.startTime + e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {}
`;

export interface LoadTimings {
  /** Navigation start → first contentful paint. */
  fcpMs: number | null;
  domContentLoadedMs: number;
  /** Navigation start → the first ticket row is in the DOM. */
  firstRowMs: number;
  /**
   * Time to interactive in the Lighthouse sense: the end of the last long task (> 50 ms) before
   * a 500 ms window without one, but never earlier than the first row.
   */
  ttiMs: number;
  longTasks: number;
  longTaskTotalMs: number;
  /** Every fetched resource (scripts, styles, API calls) on the page's clock: the waterfall. */
  requests: { name: string; startMs: number; endMs: number }[];
}

/** Give a fresh context the signed-in session the console keeps in localStorage. */
export async function signedInContext(context: BrowserContext, token: string, locale: 'en' | 'fa' = 'en'): Promise<void> {
  await context.addInitScript(
    ([t, l, observer]) => {
      localStorage.setItem('mehrdesk.token', t!);
      localStorage.setItem('mehrdesk.locale', l!);
      new Function(observer!)();
    },
    [token, locale, LONG_TASK_OBSERVER],
  );
}

/** Wait for `rowSelector`, then for a quiet window, and read the timings. */
export async function measureLoad(page: Page, rowSelector: string, quietMs = 500, timeoutMs = 30_000): Promise<LoadTimings> {
  const handle = await page.waitForFunction(
    ({ sel, quiet }) => {
      const w = window as unknown as { __firstRow?: number; __longTasks: { start: number; end: number }[] };
      if (w.__firstRow === undefined) {
        if (!document.querySelector(sel)) return false;
        w.__firstRow = performance.now();
      }
      const lastEnd = Math.max(w.__firstRow, ...w.__longTasks.map((t) => t.end));
      if (performance.now() - lastEnd < quiet) return false;
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      return {
        fcpMs: fcp ? fcp.startTime : null,
        domContentLoadedMs: nav ? nav.domContentLoadedEventEnd : 0,
        firstRowMs: w.__firstRow,
        ttiMs: lastEnd,
        longTasks: w.__longTasks.length,
        longTaskTotalMs: w.__longTasks.reduce((s, t) => s + (t.end - t.start), 0),
        requests: (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map((r) => ({
          name: new URL(r.name).pathname,
          startMs: r.startTime,
          endMs: r.responseEnd,
        })),
      };
    },
    { sel: rowSelector, quiet: quietMs },
    { timeout: timeoutMs, polling: 50 },
  );
  return (await handle.jsonValue()) as LoadTimings;
}

/**
 * Start watching for `selector` to match an element whose text includes `text` (or just exist,
 * when text is empty); resolves with Date.now() in the page when it first does.
 */
export async function armDomWatch(page: Page, key: string, selector: string, text: string): Promise<void> {
  await page.evaluate(
    ({ key: k, selector: s, text: x }) => {
      const w = window as unknown as { __seen: Record<string, Promise<number>> };
      w.__seen ??= {};
      // No named helper functions in here: tsx would wrap them in a `__name` call the page lacks.
      w.__seen[k] = new Promise<number>((resolve) => {
        if (Array.from(document.querySelectorAll(s)).some((el) => x === '' || (el.textContent ?? '').includes(x))) return resolve(Date.now());
        const obs = new MutationObserver(() => {
          if (Array.from(document.querySelectorAll(s)).some((el) => x === '' || (el.textContent ?? '').includes(x))) {
            obs.disconnect();
            resolve(Date.now());
          }
        });
        obs.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
      });
    },
    { key, selector, text },
  );
}

export async function seenAt(page: Page, key: string, timeoutMs: number): Promise<number | null> {
  return page.evaluate(({ k, t }) => Promise.race([(window as unknown as { __seen: Record<string, Promise<number>> }).__seen[k]!, new Promise<null>((r) => setTimeout(() => r(null), t))]), {
    k: key,
    t: timeoutMs,
  });
}

/** The JavaScript a page fetched from `origin`, with raw and gzip (level 9) sizes read from the built files in `dist`. */
export function jsTracker(page: Page, origin: string, dist: string) {
  const seen = new Set<string>();
  page.on('response', (r) => {
    const url = new URL(r.url());
    if (url.origin === origin && url.pathname.endsWith('.js')) seen.add(url.pathname);
  });
  return {
    files: () => [...seen],
    sizes: (files = [...seen]) =>
      files.reduce(
        (acc, p) => {
          const bytes = fs.readFileSync(path.join(dist, p));
          return { raw: acc.raw + bytes.length, gzip: acc.gzip + gzipSync(bytes, { level: 9 }).length };
        },
        { raw: 0, gzip: 0 },
      ),
  };
}
