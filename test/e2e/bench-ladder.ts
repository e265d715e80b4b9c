/**
 * Ladder benchmark (not a vitest test): npx tsx test/e2e/bench-ladder.ts [commands=500000]
 * Writes a capture with ONE connection of 2 × commands PDUs (SCSI Command / SCSI Response pairs,
 * 64 PDUs per TCP segment), loads it into the built page in Chromium, expands every band and
 * scrolls the ladder, printing time to ready and frame times.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { oneConnectionCapture } from '../../src/synth/bulk.ts';
import { buildSite, CHROMIUM, CHROMIUM_ARGS, removeDir, serve, tempDir } from './support.ts';

const commands = Number(process.argv[2] ?? 500_000);
const work = tempDir('iscsi-bench-');
const file = join(work, 'one-big-connection.pcap');
{
  const t0 = performance.now();
  writeFileSync(file, oneConnectionCapture(commands));
  console.log(`capture: ${(2 * commands + 2).toLocaleString('en-US')} PDUs in one connection, written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

const site = tempDir('iscsi-bench-site-');
await buildSite(site);
const served = await serve(site, '/bench/');
const ctx = await chromium.launchPersistentContext(tempDir('iscsi-bench-chrome-'), {
  executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, '--enable-precise-memory-info'], viewport: { width: 1440, height: 900 },
});
try {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  // tsx keeps function names with a helper the page does not have
  await page.addInitScript('window.__name = (f) => f');
  await page.goto(served.url);
  let t0 = Date.now();
  await page.setInputFiles('input[type="file"]', file);
  await page.waitForSelector('body[data-state="ready"]', { timeout: 300_000 });
  console.log(`time to ready: ${Date.now() - t0} ms`);
  await page.waitForSelector('.ladder');
  const collapsed = await page.$$eval('[data-collapsed]', (els) => els.map((e) => Number((e as HTMLElement).dataset.collapsed)));
  console.log(`collapsed by default: ${collapsed.length} band(s) of ${collapsed.join(', ')} PDUs; arrows in the DOM: ${await page.locator('[data-opcode]').count()}`);
  t0 = Date.now();
  await page.click('button:has-text("Expand all")');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  console.log(`expand all (layout of every PDU): ${Date.now() - t0} ms; arrows in the DOM: ${await page.locator('[data-opcode]').count()}`);
  const stats = await page.$eval('.ladder .scroller', async (el) => {
    const frame = () => new Promise<number>((r) => requestAnimationFrame(r));
    const measure = async (step: (i: number) => void, n: number) => {
      const d: number[] = [];
      let last = await frame();
      for (let i = 0; i < n; i++) {
        step(i);
        const now = await frame();
        d.push(now - last);
        last = now;
      }
      d.sort((a, b) => a - b);
      return { median: d[Math.floor(n / 2)], p95: d[Math.floor(n * 0.95)], max: d[n - 1] };
    };
    const smooth = await measure(() => { el.scrollTop += 120; }, 240);
    const jumps = await measure((i) => { el.scrollTop = ((i * 7919) % 1000) / 1000 * el.scrollHeight; }, 120);
    const mem = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize;
    return { smooth, jumps, scrollHeight: el.scrollHeight, heapMB: mem ? mem / 1e6 : undefined, inDom: document.querySelectorAll('[data-opcode]').length };
  });
  console.log(`scrolling (120 px per frame): median ${stats.smooth.median.toFixed(1)} ms, p95 ${stats.smooth.p95.toFixed(1)} ms, max ${stats.smooth.max.toFixed(1)} ms`);
  console.log(`random jumps across the whole connection: median ${stats.jumps.median.toFixed(1)} ms, p95 ${stats.jumps.p95.toFixed(1)} ms, max ${stats.jumps.max.toFixed(1)} ms`);
  console.log(`scroll height ${stats.scrollHeight.toLocaleString('en-US')} px (scaled), arrows in the DOM ${stats.inDom}, JS heap ${stats.heapMB?.toFixed(0) ?? '?'} MB`);
} finally {
  await ctx.close();
  await served.close();
  removeDir(work);
  removeDir(site);
}
