// Helpers for the end-to-end tests of the analyst pages: a fresh data directory made
// with the liaison CLI, a real `liaison serve` on a free loopback port serving web/dist,
// seeded through the CLI and TAXII POST, and Debian's headless Chromium driven by
// playwright-core (from web/node_modules; it never downloads a browser).
//
// Environment: LIAISON_BIN (the binary), LIAISON_SOURCE (the repository), LIAISON_TEST_OUT
// (where screenshots go; default build/tests-out/web), CHROMIUM (default /usr/bin/chromium).
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, mkdirSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE = process.env.LIAISON_SOURCE || path.resolve(here, '..', '..');
export const BIN = process.env.LIAISON_BIN || path.join(SOURCE, 'build', 'liaison');
export const OUT = process.env.LIAISON_TEST_OUT || path.join(SOURCE, 'build', 'tests-out', 'web');
export const WEB_ROOT = path.join(SOURCE, 'web', 'dist');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const require = createRequire(path.join(SOURCE, 'web', 'package.json'));
const { chromium } = require('playwright-core');

const TAXII = 'application/taxii+json;version=2.1';
export const TLP = {
  clear: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  green: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  amber: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  red: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
};
const HANDLING = 'extension-definition--b5fc933d-2a12-45ec-bf89-f6e3b754bcd0';
const RELEASABILITY = 'extension-definition--fe6c44b8-02ce-4c78-adda-645fef55531d';
const GRADING = 'extension-definition--79cbf8a2-1d41-4b10-9682-2577872b23b7';
const SANITIZER = ['AddressSanitizer', 'runtime error:', 'LeakSanitizer', 'UndefinedBehaviorSanitizer'];

// ---- a tiny test runner: named steps, a summary, exit code ----
const results = [];
export async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}\n${err && err.stack ? err.stack : err}`);
    throw err;
  }
}
export function summary(file) {
  const failed = results.filter((r) => !r.ok).length;
  console.log(`\n=== ${path.basename(file)}: ${results.length} steps, ${failed} failed: ${failed ? 'FAIL' : 'PASS'} ===`);
  return failed ? 1 : 0;
}
// Closes the browser and stops the server at the end of a test; 1 when the server did not
// stop cleanly (a non-zero exit or a sanitizer report), else 0.
export async function stopAll(b, s) {
  if (b) await b.close();
  try {
    await s.stop();
    return 0;
  } catch (err) {
    console.log('FAIL server: ' + err.message);
    return 1;
  }
}

/**
 * One end-to-end test file: builds the pages, starts a server with the seeded world, opens
 * the browser with a watched page, runs body({s, w, b, page, seen}) (its steps), then closes
 * the browser, stops the server and exits with the summary's code.
 */
export async function run(file, body) {
  buildWeb();
  const s = await new Server().start();
  let b;
  let code = 1;
  try {
    const w = await seed(s);
    b = await browser();
    const { page, seen } = await watchedPage(b.ctx);
    await body({ s, w, b, page, seen });
    code = 0;
  } catch (err) {
    console.log('FAIL outside a step: ' + (err && err.stack ? err.stack : err));
    code = 1;
  } finally {
    code = (await stopAll(b, s)) || code;
  }
  process.exit(summary(file) || code);
}

export function assert(cond, msg) {
  if (!cond) throw new Error('assertion failed: ' + msg);
}

// ---- the server ----
export function cli(...args) {
  return execFileSync(BIN, args.map(String), { encoding: 'utf8', env: sanitizerEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
}
const lastLine = (s) => s.trim().split('\n').pop().trim();

function sanitizerEnv() {
  return { ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1', ...process.env };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export function buildWeb() {
  execFileSync(path.join(SOURCE, 'scripts', 'build-web'), { stdio: 'inherit' });
  assert(existsSync(path.join(WEB_ROOT, 'index.html')), 'web/dist/index.html after scripts/build-web');
}

export class Server {
  constructor() {
    this.tmp = mkdtempSync(path.join(tmpdir(), 'liaison-web-'));
    this.data = path.join(this.tmp, 'data');
    this.admin = lastLine(cli('init', '--data', this.data));
    this.stderr = '';
  }

  /** Starts the server (again on the same port after halt(), when there was one). */
  async start() {
    this.port = this.port || await freePort();
    this.base = `http://127.0.0.1:${this.port}`;
    this.proc = spawn(BIN, ['serve', '--data', this.data, '--listen', `127.0.0.1:${this.port}`,
      '--set', 'rate_limit=0', '--set', `web_root=${WEB_ROOT}`, ...(this.sets || []).flatMap((x) => ['--set', x])], { env: sanitizerEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr.on('data', (d) => { this.stderr += d.toString(); });
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) break;
      try {
        const r = await fetch(this.base + '/healthz');
        if (r.ok) return this;
      } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('liaison serve did not start:\n' + this.stderr.slice(-3000));
  }

  /** Stops the process, keeping the data (start() again serves it on the same port). */
  async halt() {
    if (this.proc && this.proc.exitCode === null) {
      const done = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      await done;
    }
    for (const m of SANITIZER) assert(!this.stderr.includes(m), 'sanitizer report in server stderr:\n' + this.stderr.slice(-5000));
    assert(this.proc.exitCode === 0, `server exited ${this.proc.exitCode}:\n${this.stderr.slice(-3000)}`);
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      const done = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      await done;
    }
    rmSync(this.tmp, { recursive: true, force: true });
    for (const m of SANITIZER) assert(!this.stderr.includes(m), 'sanitizer report in server stderr:\n' + this.stderr.slice(-5000));
    assert(this.proc.exitCode === 0, `server exited ${this.proc.exitCode}:\n${this.stderr.slice(-3000)}`);
  }

  async api(method, p, token, body) {
    const headers = { Accept: p.startsWith('/taxii2/') ? TAXII : 'application/json', Authorization: 'Bearer ' + (token || this.admin) };
    if (body) headers['Content-Type'] = TAXII;
    const r = await fetch(this.base + p, { method, headers, body: body ? JSON.stringify(body) : undefined });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : null };
  }

  /** The liaison JSON API (Content-Type application/json). */
  async json(method, p, token, body) {
    const headers = { Accept: 'application/json', Authorization: 'Bearer ' + (token || this.admin) };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(this.base + p, { method, headers, body: body !== undefined ? JSON.stringify(body) : undefined });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : null };
  }

  async post(coll, objects, token) {
    const r = await this.api('POST', `/taxii2/default/collections/${coll}/objects/`, token, { objects });
    assert(r.status === 202, 'POST status ' + r.status + ' ' + JSON.stringify(r.json));
    assert(r.json.failure_count === 0, 'POST refused objects: ' + JSON.stringify(r.json.failures));
    return r.json;
  }
}

// ---- the seeded world ----
function sdo(type, props) {
  return { type, spec_version: '2.1', id: `${type}--${randomUUID()}`, created: '2026-01-01T00:00:00.000Z', modified: '2026-01-01T00:00:00.000Z', ...props };
}

/**
 * Two collections, three partners with different clearances, objects at every TLP level
 * (TLP:RED ones with names that must never reach a green partner), versions, a REL TO
 * marking, relationships and reports for the graph, grading and a partner's own object.
 */
export async function seed(s) {
  const d = s.data;
  const w = { tokens: { admin: s.admin }, partners: {}, obj: {}, red: [] };
  w.cells = lastLine(cli('collection', 'add', '--data', d, '--title', 'Dismantled recruitment cells', '--alias', 'cells',
    '--description', 'Cells dismantled in 2025 and what is known of their networks'));
  w.sahel = lastLine(cli('collection', 'add', '--data', d, '--title', 'الساحل: الصورة المشتركة', '--alias', 'sahel'));
  for (const [name, country, clearance, trust] of [['US', 'US', 'amber', 'B'], ['Sahel', 'ML', 'green', 'C'], ['Paris', 'FR', 'red', 'A']]) {
    w.partners[name] = lastLine(cli('partner', 'add', '--data', d, '--name', name, '--country', country, '--clearance', clearance, '--trust', trust));
    w.tokens[name] = lastLine(cli('token', 'issue', '--data', d, '--partner', name));
  }
  cli('grant', '--data', d, '--collection', 'cells', '--partner', 'US', '--read', '--write');
  cli('grant', '--data', d, '--collection', 'cells', '--partner', 'Sahel', '--read');
  cli('grant', '--data', d, '--collection', 'sahel', '--partner', 'Sahel', '--read');
  cli('grant', '--data', d, '--collection', 'cells', '--partner', 'Paris', '--read');
  const me = (await s.api('GET', '/liaison/whoami')).json;
  const mine = { created_by_ref: me.identity };
  const green = { object_marking_refs: [TLP.green], ...mine };
  const amber = { object_marking_refs: [TLP.amber], ...mine };
  // STIX 2.1 section 2.12 forbids empty lists: a red object without recipients has no extension.
  const red = (recipients) => ({ object_marking_refs: [TLP.red], ...mine,
    ...(recipients.length ? { extensions: { [HANDLING]: { extension_type: 'property-extension', red_recipients: recipients } } } : {}) });

  const o = w.obj;
  o.aqim = sdo('threat-actor', { name: 'Al-Qaeda in the Islamic Maghreb', aliases: ['AQIM', 'تنظيم القاعدة في بلاد المغرب الإسلامي'], threat_actor_types: ['terrorist'], ...green });
  o.isgs = sdo('threat-actor', { name: 'Islamic State in the Greater Sahara', aliases: ['ISGS', 'تنظيم الدولة الإسلامية في الصحراء الكبرى'], threat_actor_types: ['terrorist'], ...green });
  o.algeria = sdo('location', { name: 'Algeria', country: 'DZ', description: 'الجزائر', ...green });
  o.mali = sdo('location', { name: 'Mali', country: 'ML', description: 'مالي', ...green });
  o.aqimMali = sdo('relationship', { relationship_type: 'located-at', source_ref: o.aqim.id, target_ref: o.mali.id, ...green });
  o.isgsAqim = sdo('relationship', { relationship_type: 'related-to', source_ref: o.isgs.id, target_ref: o.aqim.id, ...green });
  o.isgsMali = sdo('relationship', { relationship_type: 'located-at', source_ref: o.isgs.id, target_ref: o.mali.id, ...green });
  const reportBase = { name: 'Dismantled recruitment cells in the south', report_types: ['threat-report'], published: '2026-01-10T08:00:00.000Z',
    object_refs: [o.aqim.id, o.algeria.id, o.mali.id], ...amber,
    extensions: { [GRADING]: { extension_type: 'property-extension', scale: 'admiralty', source_reliability: 'B', information_credibility: '2' } } };
  o.report1 = sdo('report', { ...reportBase, description: 'أعلنت الجزائر تفكيك خلايا تجنيد مرتبطة بتنظيم القاعدة في بلاد المغرب الإسلامي.', modified: '2026-01-10T08:00:00.000Z' });
  o.report2 = { ...o.report1, modified: '2026-02-01T09:30:00.000Z', description: o.report1.description + ' وأكدت السلطات توقيف عناصر في الجنوب.' };
  o.redCell = sdo('threat-actor', { name: 'Hidden cell Tamanrasset', aliases: ['الخلية السرية في تمنراست'], threat_actor_types: ['terrorist'], ...red([w.partners.Paris]) });
  o.redRel = sdo('relationship', { relationship_type: 'related-to', source_ref: o.redCell.id, target_ref: o.aqim.id, ...red([w.partners.Paris]) });
  o.redReport = sdo('report', { name: 'Source handling notes Tamanrasset', report_types: ['threat-report'], published: '2026-01-12T00:00:00.000Z',
    object_refs: [o.redCell.id, o.aqim.id], description: 'مصدر بشري حساس', ...red([]) });
  const relUS = { type: 'marking-definition', spec_version: '2.1', id: `marking-definition--${randomUUID()}`, created: '2026-01-01T00:00:00.000Z',
    name: 'REL TO US', extensions: { [RELEASABILITY]: { extension_type: 'property-extension', rel_to: [w.partners.US] } } };
  o.relUS = relUS;
  o.usOnly = sdo('indicator', { name: 'Courier phone numbers (REL TO US)', pattern: "[phone-number:value = '+213555000111']", pattern_type: 'stix',
    valid_from: '2026-01-01T00:00:00.000Z', object_marking_refs: [TLP.green, relUS.id], ...mine });
  // One object of every type the object page has a card for, green; names that mix scripts.
  o.katiba = sdo('threat-actor', { name: 'Katiba Macina (كتيبة ماسينا)', aliases: ['جبهة تحرير ماسينا (FLM)', 'FLM'],
    threat_actor_types: ['terrorist'], roles: ['agent'], primary_motivation: 'ideology', first_seen: '2015-01-01T00:00:00.000Z', ...green });
  o.jnim = sdo('intrusion-set', { name: 'JNIM', aliases: ['جماعة نصرة الإسلام والمسلمين'], goals: ['Control of rural central Mali'],
    resource_level: 'organization', primary_motivation: 'ideology', first_seen: '2017-03-02T00:00:00.000Z', ...green });
  o.gendarmerie = sdo('identity', { name: 'Gendarmerie nationale', aliases: ['الدرك الوطني'], identity_class: 'organization', sectors: ['law-enforcement'], ...green });
  o.katibaJnim = sdo('relationship', { relationship_type: 'attributed-to', source_ref: o.katiba.id, target_ref: o.jnim.id, ...green });
  o.note = sdo('note', { abstract: 'Courier routes', content: 'Couriers cross at night. يعبر السعاة ليلاً.', authors: ['Desk analyst'],
    object_refs: [o.aqim.id, o.mali.id], ...green });
  o.opinion = sdo('opinion', { opinion: 'agree', explanation: 'Consistent with our own reporting.', object_refs: [o.aqimMali.id], ...green });
  await s.post('cells', [relUS, o.aqim, o.isgs, o.algeria, o.mali, o.aqimMali, o.isgsAqim, o.isgsMali, o.report1, o.redCell, o.redRel, o.redReport, o.usOnly,
    o.katiba, o.jnim, o.gendarmerie, o.katibaJnim, o.note, o.opinion]);
  await s.post('cells', [o.report2]);
  // The US partner writes its own report (its identity becomes created_by_ref).
  o.usReport = sdo('report', { name: 'Travel of facilitators to Gao', report_types: ['threat-report'], published: '2026-01-20T00:00:00.000Z',
    object_refs: [o.isgs.id, o.mali.id], object_marking_refs: [TLP.amber] });
  await s.post('cells', [o.usReport], w.tokens.US);
  await s.post('sahel', [sdo('threat-actor', { name: 'Islamic State in the Greater Sahara', aliases: ['تنظيم الدولة الإسلامية في الصحراء الكبرى'], threat_actor_types: ['terrorist'], ...green }),
    sdo('location', { name: 'Niger', country: 'NE', description: 'النيجر', ...green })]);
  w.red = [o.redCell, o.redRel, o.redReport];
  w.redStrings = [...w.red.map((x) => x.id), 'Hidden cell Tamanrasset', 'الخلية السرية في تمنراست', 'Source handling notes', 'مصدر بشري حساس'];
  return w;
}

// ---- the browser ----
export async function browser() {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'liaison-chromium-'));
  const ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1360, height: 900 },
    locale: 'en-GB',
  });
  ctx.setDefaultTimeout(20000);
  const close = async () => {
    await ctx.close();
    rmSync(userDataDir, { recursive: true, force: true });
  };
  return { ctx, close };
}

/**
 * A page that records every request URL and response body, and every console message about
 * a Content-Security-Policy violation or an uncaught error.
 */
export async function watchedPage(ctx) {
  const page = await ctx.newPage();
  const seen = { urls: [], bodies: [], problems: [] };
  page.on('request', (r) => seen.urls.push(r.url()));
  page.on('response', async (r) => {
    try {
      seen.bodies.push({ url: r.url(), body: await r.text() });
    } catch { /* redirects and aborted requests have no body */ }
  });
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text()) || m.type() === 'error') seen.problems.push(m.text());
  });
  page.on('pageerror', (e) => seen.problems.push('pageerror: ' + e.message));
  return { page, seen };
}

export async function shot(page, name) {
  mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, name + '.png');
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export async function signIn(page, base, token) {
  await page.goto(base + '/signin');
  await page.fill('#token', token);
  await page.click('#signin-submit');
  await page.waitForSelector('#role');
}

/** Waits until the graph has at least n nodes. */
export async function graphNodes(page, n) {
  await page.waitForFunction((k) => {
    const g = document.getElementById('graph');
    return g && g.cy && g.cy.nodes().length >= k;
  }, n);
  return page.evaluate(() => document.getElementById('graph').cy.nodes().map((x) => x.id()));
}

// ---- pages in both languages, at desktop and phone sizes ----
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 360, height: 780 };
export const PHONE_WIDE = { width: 390, height: 844 };

/** Switches the interface to lang (the header's button) unless it is already. */
export async function setLang(page, lang) {
  if ((await page.evaluate(() => document.documentElement.lang)) === lang) return;
  await page.click('#lang-switch');
  await page.waitForFunction((l) => document.documentElement.lang === l, lang);
}

/** Sets the language for the next page load (localStorage, as the switch does). */
export async function presetLang(page, lang) {
  await page.evaluate((l) => localStorage.setItem('liaison.lang', l), lang);
}

const AXE = readFileSync(createRequire(path.join(SOURCE, 'web', 'package.json')).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core on the page as it is: injected through the DevTools protocol (page.evaluate is not
 * subject to the page's Content-Security-Policy, which forbids inline scripts). Answers the
 * violations, each {id, impact, help, nodes: [selector...]}.
 */
export async function axe(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE + '\n;0');
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'], runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
}

/** How wide the page is against the window: {scroll, inner, over: [elements wider than the window]}. */
export async function widths(page) {
  return page.evaluate(() => {
    const inner = window.innerWidth;
    const scroll = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
    const over = [];
    if (scroll > inner)
      for (const el of document.querySelectorAll('body *')) {
        const r = el.getBoundingClientRect();
        if (r.width && (r.right > inner + 1 || r.left < -1)) over.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '') + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
      }
    return { scroll, inner, over: over.slice(0, 8) };
  });
}

/** Viewport-only screenshot (phones: what is on screen), into OUT. */
export async function shotView(page, name) {
  mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: path.join(OUT, name + '.png'), fullPage: false });
}
