/**
 * The browser half of `npm run bench` (needs /usr/bin/chromium): prints one JSON line.
 *  - throughput: a 256 MB capture through the page's worker (file chosen → data-state="ready"),
 *    against the same browser reading the same File with Blob.slice + arrayBuffer and nothing else;
 *  - the ladder: one connection of 1,000 PDUs and one of 1,000,000, each expanded in full; the time to
 *    lay out and paint the first screen, and frame times while scrolling. The big one must cost no
 *    more than twice the small one.
 */
import { closeSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Page } from 'playwright-core';
import { oneConnectionCapture, writeBulkCapture } from '../src/synth/bulk.ts';
import { buildSite, CHROMIUM, CHROMIUM_ARGS, removeDir, serve, tempDir } from '../test/e2e/support.ts';

const log = (s: string): void => { console.error(s); };

/** One connection of about `pdus` PDUs (SCSI Command / Response pairs and the login). */
function oneConnection(file: string, pdus: number): void {
  writeFileSync(file, oneConnectionCapture(Math.max(1, Math.floor((pdus - 2) / 2)), { fin: false }));
}

async function load(page: Page, url: string, file: string): Promise<{ readyMs: number; workerMs: number }> {
  await page.goto(url);
  const t0 = Date.now();
  await page.setInputFiles('input[type="file"]', file);
  await page.waitForSelector('body[data-state="ready"]', { timeout: 600_000 });
  const ms = Date.now() - t0;
  const parts = await page.evaluate(() => ({ analyze: document.body.dataset.analyzeMs, index: document.body.dataset.indexMs }));
  log(`  ${file.split('/').pop()}: ready in ${ms} ms (worker: analyze ${parts.analyze} ms, index ${parts.index} ms)`);
  return { readyMs: ms, workerMs: Number(parts.analyze) };
}

/** Read the chosen file as the page would, Blob.slice by Blob.slice, doing nothing with the bytes. */
async function blobReadMs(page: Page, file: string): Promise<number> {
  await page.evaluate(() => {
    const input = document.createElement('input');
    input.type = 'file';
    input.id = 'bench-blob';
    input.style.display = 'none';
    document.body.append(input);
  });
  await page.setInputFiles('#bench-blob', file);
  return page.evaluate(async () => {
    const f = (document.getElementById('bench-blob') as HTMLInputElement).files![0];
    const t0 = performance.now();
    let n = 0;
    for (let o = 0; o < f.size; o += 4 << 20) n += (await f.slice(o, o + (4 << 20)).arrayBuffer()).byteLength;
    if (n !== f.size) throw new Error('short read');
    return performance.now() - t0;
  });
}

interface LadderCost { firstScreenMs: number; scrollMedianMs: number; scrollP95Ms: number; arrowsInDom: number }

async function ladderCost(page: Page): Promise<LadderCost> {
  await page.waitForSelector('.ladder');
  const expand = page.locator('button:has-text("Expand all")');
  if (await expand.count()) await expand.first().click();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  // The first screen: switch the time mode, which lays out and paints the ladder afresh.
  const firstScreen: number[] = [];
  for (const mode of ['Compact', 'True time', 'Compact', 'True time']) {
    const t0 = await page.evaluate(() => performance.now());
    await page.click(`button:has-text("${mode}")`);
    const t1 = await page.evaluate(() => new Promise<number>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now())))));
    firstScreen.push(t1 - t0);
  }
  firstScreen.sort((a, b) => a - b);
  const scroll = await page.$eval('.ladder .scroller', async (el) => {
    const frame = (): Promise<number> => new Promise((r) => requestAnimationFrame(r));
    const d: number[] = [];
    let last = await frame();
    for (let i = 0; i < 200; i++) {
      el.scrollTop += 120;
      const now = await frame();
      d.push(now - last);
      last = now;
    }
    d.sort((a, b) => a - b);
    return { median: d[100], p95: d[190], inDom: document.querySelectorAll('[data-opcode]').length };
  });
  return { firstScreenMs: firstScreen[1], scrollMedianMs: scroll.median, scrollP95Ms: scroll.p95, arrowsInDom: scroll.inDom };
}

const round = (n: number, d = 1): number => Math.round(n * 10 ** d) / 10 ** d;

async function main(): Promise<void> {
  const work = tempDir('iscsi-bench-browser-');
  const site = tempDir('iscsi-bench-site-');
  const result: Record<string, number> = {};
  try {
    const big = join(work, 'bulk-256mb.pcap');
    const fd = openSync(big, 'w');
    writeBulkCapture({ targetBytes: 256e6, onChunk: (c) => writeSync(fd, c) });
    closeSync(fd);
    const small = join(work, 'ladder-1k.pcap');
    const huge = join(work, 'ladder-1m.pcap');
    oneConnection(small, 1_000);
    oneConnection(huge, 1_000_000);
    await buildSite(site);
    const served = await serve(site, '/bench/');
    const ctx = await chromium.launchPersistentContext(tempDir('iscsi-bench-chrome-'), {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1440, height: 900 },
    });
    try {
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      await page.addInitScript('window.__name = (f) => f');
      const size = statSync(big).size;
      const runs: Array<{ readyMs: number; workerMs: number }> = [];
      const reads: number[] = [];
      for (let r = 0; r < 3; r++) {
        runs.push(await load(page, served.url, big));
        reads.push(await blobReadMs(page, big));
      }
      const worker = Math.min(...runs.map((r) => r.workerMs));
      const ready = Math.min(...runs.map((r) => r.readyMs));
      result.browserCaptureBytes = size;
      // The worker's throughput: reading the File in slices and the whole analysis, in the worker.
      result.browserMBps = round(size / 1e3 / worker);
      // What a person waits for: file chosen to the overview drawn (worker start-up and page included).
      result.browserPageMBps = round(size / 1e3 / ready);
      result.browserBlobMBps = round(size / 1e3 / Math.min(...reads));
      result.browserToBlob = round(result.browserMBps / result.browserBlobMBps, 3);
      log(`browser: 256 MB analysed by the worker in ${worker.toFixed(0)} ms, page ready in ${ready} ms; Blob read alone ${Math.min(...reads).toFixed(0)} ms`);
      await load(page, served.url, small);
      const s = await ladderCost(page);
      await load(page, served.url, huge);
      const h = await ladderCost(page);
      log(`ladder 1k PDUs: first screen ${s.firstScreenMs.toFixed(1)} ms, scroll median ${s.scrollMedianMs.toFixed(1)} ms (p95 ${s.scrollP95Ms.toFixed(1)}), ${s.arrowsInDom} arrows in the DOM`);
      log(`ladder 1M PDUs: first screen ${h.firstScreenMs.toFixed(1)} ms, scroll median ${h.scrollMedianMs.toFixed(1)} ms (p95 ${h.scrollP95Ms.toFixed(1)}), ${h.arrowsInDom} arrows in the DOM`);
      result.ladder1kFirstScreenMs = round(s.firstScreenMs);
      result.ladder1mFirstScreenMs = round(h.firstScreenMs);
      result.ladderFirstScreenRatio = round(h.firstScreenMs / s.firstScreenMs, 2);
      result.ladder1kScrollMs = round(s.scrollMedianMs);
      result.ladder1mScrollMs = round(h.scrollMedianMs);
      result.ladderScrollRatio = round(h.scrollMedianMs / s.scrollMedianMs, 2);
      result.ladderScrollP95Ratio = round(h.scrollP95Ms / s.scrollP95Ms, 2);
    } finally {
      await ctx.close();
      await served.close();
    }
  } finally {
    removeDir(work);
    removeDir(site);
  }
  console.log(JSON.stringify(result));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
