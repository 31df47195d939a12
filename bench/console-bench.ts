import { existsSync } from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { BENCH_TENANT, BENCH_TOKEN, startFakeApi } from './console/fake-api';
import { percentile } from './proc-usage';

/**
 * npm run bench:console: the operator console's update cost at 2,000 live calls. A fake
 * API (bench/console/fake-api.ts) serves the built console (dist/console), 2,000 calls
 * and 200 call events a second; Debian's chromium (CHROMIUM_BIN names another) loads
 * the page through puppeteer-core, once with the windowed list and once with every row
 * in the DOM (`?rows=all`), for SECONDS (default 10) each. Prints per mode: redraw time
 * p50/p95 (from the start of a frame's callbacks, where the event batch is applied and
 * preact renders, to the end of that frame's style, layout and paint), frames dropped
 * (of 60 a second), JS heap in use, and the call rows in the DOM. Loopback only; bounded
 * by SECONDS and a 60 s budget per mode.
 */
const CALLS = 2000;
const RATE = 200;
const SECONDS = Number(process.env.SECONDS ?? 10);
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

/** Installed before the page's own script: times each frame that runs animation-frame callbacks, and counts frames. */
const PROBE = `(() => {
  const raf = window.requestAnimationFrame.bind(window);
  const b = window.__bench = { redraws: [], gaps: [], measuring: false };
  let pending = 0;
  window.requestAnimationFrame = (cb) => raf((t) => {
    const start = performance.now();
    cb(t);
    if (!b.measuring || pending++ > 0) return;
    // a message posted now is handled after this frame's style, layout and paint
    const ch = new MessageChannel();
    ch.port1.onmessage = () => { b.redraws.push(performance.now() - start); pending = 0; };
    ch.port2.postMessage(0);
  });
  let last = 0;
  const loop = (t) => { if (b.measuring && last) b.gaps.push(t - last); last = t; raf(loop); };
  raf(loop);
})();`;

interface Result {
  mode: string;
  redraws: number;
  p50: number;
  p95: number;
  frames: number;
  dropped: number;
  heapMiB: number;
  rows: number;
  events: number;
}

async function measure(browser: Browser, port: number, mode: 'windowed' | 'all rows', sent: () => number): Promise<Result> {
  const page = await browser.newPage();
  try {
    await page.setViewport({ width: 1200, height: 900 });
    await page.evaluateOnNewDocument(PROBE);
    await page.goto(`http://127.0.0.1:${port}/console${mode === 'all rows' ? '?rows=all' : ''}`);
    await page.type('#token', BENCH_TOKEN);
    await page.type('#tenant', BENCH_TENANT);
    await page.click('#login');
    await page.waitForFunction((n: number) => Number(document.querySelector('#calls-title .count')?.textContent ?? 0) >= n * 0.9, { timeout: 30000 }, CALLS);
    const before = sent();
    await page.evaluate(() => { (window as unknown as { __bench: { measuring: boolean } }).__bench.measuring = true; });
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const out = await page.evaluate(() => {
      const b = (window as unknown as { __bench: { measuring: boolean; redraws: number[]; gaps: number[] } }).__bench;
      b.measuring = false;
      return { redraws: b.redraws, gaps: b.gaps, rows: document.querySelectorAll('tr[data-call]').length };
    });
    const metrics = await page.metrics();
    const redraws = [...out.redraws].sort((a, b) => a - b);
    const frame = 1000 / 60;
    const dropped = out.gaps.reduce((n, g) => n + Math.max(0, Math.round(g / frame) - 1), 0);
    return {
      mode, redraws: redraws.length, p50: percentile(redraws, 50), p95: percentile(redraws, 95),
      frames: out.gaps.length, dropped, heapMiB: (metrics.JSHeapUsedSize ?? 0) / 2 ** 20, rows: out.rows, events: sent() - before,
    };
  } finally {
    await page.close();
  }
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM} (scripts/ensure-deps.sh installs it)`);
  if (!(SECONDS > 0 && SECONDS <= 300)) throw new Error('SECONDS must be 1..300');
  const consoleDir = path.join(__dirname, '..', 'console');
  const api = await startFakeApi(consoleDir, CALLS, RATE);
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const budget = setTimeout(() => {
    console.error('bench:console: over its time budget');
    process.exit(1);
  }, (SECONDS + 60) * 2 * 1000);
  try {
    console.log(`console bench: ${CALLS} calls, ${RATE} call events/s, ${SECONDS} s per mode, chromium headless`);
    const results: Result[] = [];
    for (const mode of ['windowed', 'all rows'] as const) results.push(await measure(browser, api.port, mode, api.sent));
    console.log('mode       rows in DOM  events  redraws  redraw p50  redraw p95  frames  dropped  JS heap');
    for (const r of results) {
      console.log(`${r.mode.padEnd(10)} ${String(r.rows).padStart(11)}  ${String(r.events).padStart(6)}  ${String(r.redraws).padStart(7)}  ${r.p50.toFixed(1).padStart(7)} ms  ${r.p95.toFixed(1).padStart(7)} ms  ${String(r.frames).padStart(6)}  ${String(r.dropped).padStart(7)}  ${r.heapMiB.toFixed(1)} MiB`);
    }
  } finally {
    clearTimeout(budget);
    await browser.close();
    await api.close();
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
