// The collection page in the browser, for bench/browse_bench.py (issue 21: "the collection
// page with 100,000 objects stays under 300 ms per page in the browser").
//
//   node bench/browse_page.mjs BASE TOKEN COLLECTION CASES_JSON
//
// CASES_JSON: [[name, query], ...], query being the page's own URL query (type=report,
// sort=modified_desc, partner=identity--..., from=2023-01-02...). Signs in once with TOKEN in
// Debian's headless Chromium (playwright-core from web/node_modules; it never downloads a
// browser), then times, each the median of REPEAT (BROWSE_REPEAT, default 5) after one
// warm-up, until the page's table is drawn with its count (#count):
//   browser.load_ms            the first page as a new load of the page (the address typed or
//                              reloaded: the app starts, signs in from its stored token,
//                              reads the collection and the page)
//   browser.<name>_ms          the case as the filter form's Apply shows it (the app moves to
//                              the new address without reloading: the collection and the page)
//   browser.<name>.next_ms, .prev_ms   then its "Next page" and "Previous page" (back to
//                              the first page), REPEAT times each
// The JS and CSS come from the browser's cache, as they would for an analyst; every answer of
// the API is made by the server each time.
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'web', 'package.json'));
const { chromium } = require('playwright-core');

const [base, token, coll, casesJson] = process.argv.slice(2);
const cases = JSON.parse(casesJson);
const repeat = Number(process.env.BROWSE_REPEAT || 5);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// The page is drawn when #count names the position of the page asked for.
async function drawn(page, position) {
  await page.waitForFunction((p) => {
    const c = document.getElementById('count');
    return c && (p === null || c.dataset.position === String(p));
  }, position, { polling: 'raf', timeout: 60000 });
}

const userDataDir = mkdtempSync(path.join(tmpdir(), 'liaison-browse-chromium-'));
const ctx = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1360, height: 900 },
  locale: 'en-GB',
});
try {
  const page = await ctx.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(base + '/signin');
  await page.fill('#token', token);
  await page.click('#signin-submit');
  await page.waitForSelector('#role');
  const at = (query) => '/collections/' + encodeURIComponent(coll) + (query ? '?' + query : '');
  const times = async (fn) => {
    const ts = [];
    for (let i = 0; i <= repeat; i++) {
      const t0 = performance.now();
      await fn();
      await drawn(page, null);
      if (i) ts.push(performance.now() - t0);
    }
    return median(ts);
  };
  const load = await times(() => page.goto(base + at(''), { waitUntil: 'commit' }));
  console.log(`browser.load_ms=${load.toFixed(1)}`);
  for (const [name, query] of cases) {
    // What the form's Apply does (ctx.navigate): a new address, drawn without a reload.
    const ms = await times(() => page.evaluate((u) => {
      history.pushState(null, '', u);
      dispatchEvent(new PopStateEvent('popstate'));
    }, at(query)));
    const total = await page.$eval('#count', (c) => c.dataset.total);
    console.log(`browser.${name}_ms=${ms.toFixed(1)} total=${total}`);
    if (await page.$('#next-page')) {
      // "Next page", then "Previous page" back to the first: REPEAT times each.
      const first = await page.$eval('#count', (c) => c.dataset.position);
      const next = [];
      const prev = [];
      for (let i = 0; i < repeat; i++) {
        let t0 = performance.now();
        await page.click('#next-page');
        await page.waitForFunction((p) => {
          const c = document.getElementById('count');
          return c && c.dataset.position !== p;
        }, first, { polling: 'raf', timeout: 60000 });
        next.push(performance.now() - t0);
        t0 = performance.now();
        await page.click('#prev-page');
        await drawn(page, first);
        prev.push(performance.now() - t0);
      }
      console.log(`browser.${name}.next_ms=${median(next).toFixed(1)}`);
      console.log(`browser.${name}.prev_ms=${median(prev).toFixed(1)}`);
    }
  }
  if (problems.length) console.log('browser_errors=' + JSON.stringify(problems.slice(0, 5)));
} finally {
  await ctx.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
