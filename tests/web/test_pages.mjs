// Every page, in both languages, at a desktop (1280 px) and a phone (360 px) width: axe-core
// finds nothing critical or serious; the page fits 360 px without horizontal scrolling; the
// header stays one line on a phone (390 px); a screenshot of each is kept. Then: the keyboard
// (a skip link first; every link, button and field of the busiest pages reachable with Tab);
// names mixing Arabic and Latin isolated in their own direction, RFI questions in two
// languages aligned alike; and the error states: the server down (the Arabic page says so in
// Arabic and offers to try again, which works once the server is back), and an expired
// token said to be expired, in both languages. Screenshots: 40-79.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { run, signIn, step, assert, cli, SOURCE, DESKTOP, PHONE, PHONE_WIDE, presetLang, axe, widths, shotView, shot } from './lib.mjs';

const SHARED = process.env.LIAISON_SHARED || path.resolve(SOURCE, '..', 'shared');
const article = readFileSync(path.join(SHARED, 'samples', 'article-ar-algeria-us-rfi.txt'), 'utf8');
const lastLine = (x) => x.trim().split('\n').pop().trim();

await run(import.meta.url, async ({ s, w, page, seen }) => {
  // A request with questions in two languages, and a published intake draft (mentions).
  const due = new Date(Date.now() + 3 * 86400e3).toISOString().slice(0, 10);
  const rfi = lastLine(cli('rfi', 'new', '--data', s.data, '--to', 'US', '--subject', 'Cells around Gao — خلايا حول غاو',
    '--question', 'Names and aliases of the leaders?', '--question', 'ما هي صلات الخلايا بتنظيم القاعدة؟',
    '--question', 'Routes used since October?', '--priority', 'priority', '--due', due, '--marking', 'amber', '--about', w.obj.aqim.id));
  const press = lastLine(cli('collection', 'add', '--data', s.data, '--title', 'Press intake', '--alias', 'press'));
  // A watch that fires for the published draft (its page lists the objects it fired for).
  const watch = await s.json('POST', '/liaison/watches', null, { name: 'داعش — Daesh', name_like: 'داعش' });
  assert(watch.status === 201, 'a watch: ' + JSON.stringify(watch.json));
  const draft = await s.json('POST', '/liaison/intake', null, { text: article, lang: 'auto' });
  assert(draft.status === 200, 'intake: ' + JSON.stringify(draft.json).slice(0, 300));
  const pub = await s.json('POST', '/liaison/intake/publish', null, { collection: press, marking: 'green', bundle: draft.json.bundle });
  assert(pub.status === 200 && pub.json.refused === 0, 'publish: ' + JSON.stringify(pub.json).slice(0, 300));
  const published = draft.json.bundle.objects;
  const report = published.find((o) => o.type === 'report');
  const daesh = published.find((o) => o.type === 'threat-actor' && (o.aliases || []).includes('داعش'));
  assert(report && daesh, 'the draft has a report and داعش');

  // A version held for four eyes (a person's AMBER+STRICT write) and objects past review.
  const code = lastLine(cli('user', 'add', '--data', s.data, '--name', 'amina', '--role', 'analyst'));
  const amina = await s.json('POST', '/liaison/signin', '', { name: 'amina', code, new_password: 'a long passphrase for the desk' });
  assert(amina.status === 200, 'sign-in: ' + amina.status);
  await s.post('cells', [{ type: 'threat-actor', spec_version: '2.1', id: 'threat-actor--6b1f0c39-3f8e-4e7a-9d43-0c1d2e3f4a5b',
    created: '2026-03-01T00:00:00.000Z', modified: '2026-03-01T00:00:00.000Z', name: 'Logistics cell Menaka (خلية ميناكا)', threat_actor_types: ['terrorist'],
    object_marking_refs: ['marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003'] }], amina.json.token);
  cli('review', 'policy', '--data', s.data, '--collection', 'sahel', '--every', '1s', '--retain', '1825d');

  for (let i = 0; i < 100 && !((await s.json('GET', '/liaison/watches')).json.watches[0].events >= 1); i++)
    await new Promise((r) => setTimeout(r, 100));

  const O = w.obj;
  const obj = (c, o, q) => `/collections/${c}/objects/${o.id}${q || ''}`;
  // [name, path, selector the page is ready with, optional step after load]
  const PAGES = [
    ['dashboard', '/', '#dash-watches'],
    ['collections', '/collections', '#collections li'],
    ['objects', '/collections/cells', '#objects tbody tr'],
    ['threat-actor', obj('cells', O.katiba), '#relationships'],
    ['intrusion-set', obj('cells', O.jnim), '#relationships'],
    ['location', obj('cells', O.mali), '#relationships'],
    ['identity', obj('cells', O.gendarmerie), '#relationships'],
    ['report', obj('press', report), '#report-text mark'],
    ['report-versions-diff', obj('cells', O.report2, '?diff=' + O.report1.modified), '#diff-list'],
    ['mentions', obj('press', daesh), '#mentions blockquote mark'],
    ['note', obj('cells', O.note), '#card'],
    ['opinion', obj('cells', O.opinion), '#card'],
    ['indicator', obj('cells', O.usOnly), '#card'],
    ['relationship', obj('cells', O.katibaJnim), '#rel-sentence'],
    ['rfi-object', `/collections/rfi/objects/${rfi}`, '#card'],
    ['graph', `/collections/cells/graph/${O.aqim.id}`, '#graph-legend'],
    ['inbox', '/inbox?box=outgoing', '#rfis tbody tr'],
    ['rfi', `/inbox/${rfi}`, '#rfi-questions'],
    ['rfi-new', '/inbox/new', '#rfi-new-form'],
    ['intake', '/intake', '#intake-form'],
    ['intake-review', '/intake', '#intake-article mark', async () => {
      await page.fill('#intake-text', article);
      await page.click('#intake-analyse');
    }],
    ['search', '/search?q=' + encodeURIComponent('الاسلامية'), '#search-results tbody tr'],
    ['object-form', '/collections/cells/new?type=report', '#fld-object_refs'],
    ['watch', `/watches/${watch.json.id}`, `#fired tr[data-id="${daesh.id}"]`],
    ['releases', '/releases', '#releases tbody tr'],
    ['review', '/review', '#review tbody tr'],
    ['not-found', '/collections/cells/objects/threat-actor--00000000-0000-4000-8000-000000000000', '#page-error'],
  ];
  const report_ = { pages: 0, moderate: 0, minor: 0, widest: 0, header: 0 };
  const failures = [];

  const check = async (name, lang, shotNo) => {
    const v = await axe(page);
    for (const x of v) {
      if (x.impact === 'critical' || x.impact === 'serious') failures.push(`${name} (${lang}): ${x.impact} ${x.id}: ${x.help} ${x.nodes.join(' | ')}`);
      else report_[x.impact] = (report_[x.impact] || 0) + 1;
      if (x.impact === 'moderate' && process.env.LIAISON_AXE_VERBOSE) console.log(`  moderate ${name} (${lang}) ${x.id}: ${x.nodes.join(' | ')}`);
    }
    await shotView(page, `${shotNo}-${name}-${lang}`);
    await page.setViewportSize(PHONE);
    await page.waitForTimeout(30);
    const wd = await widths(page);
    report_.widest = Math.max(report_.widest, wd.scroll);
    if (wd.scroll > wd.inner) failures.push(`${name} (${lang}): ${wd.scroll} px wide at ${wd.inner}: ${wd.over.join(', ')}`);
    await shotView(page, `${shotNo}-${name}-${lang}-phone`);
    await page.setViewportSize(PHONE_WIDE);
    await page.waitForTimeout(30);
    const hh = await page.evaluate(() => document.querySelector('header').getBoundingClientRect().height);
    report_.header = Math.max(report_.header, hh);
    const wd2 = await widths(page);
    if (wd2.scroll > wd2.inner) failures.push(`${name} (${lang}): ${wd2.scroll} px wide at ${wd2.inner}`);
    await page.setViewportSize(DESKTOP);
    report_.pages++;
  };

  await step('the sign-in page, both languages: axe, 360 px', async () => {
    await page.setViewportSize(DESKTOP);
    for (const lang of ['en', 'ar']) {
      await page.goto(s.base + '/signin');
      await presetLang(page, lang);
      await page.reload();
      await page.waitForSelector('#token');
      await check('signin', lang, 40);
    }
    await presetLang(page, 'en');
  });

  for (const lang of ['en', 'ar']) {
    await step(`every page in ${lang === 'en' ? 'English' : 'Arabic'}: 0 critical, 0 serious; fits 360 px`, async () => {
      if (lang === 'en') await signIn(page, s.base, w.tokens.admin);
      await presetLang(page, lang);
      let n = 41;
      for (const [name, p, ready, then] of PAGES) {
        await page.goto(s.base + p);
        if (then) {
          await page.waitForSelector('#intake-text');
          await then();
        }
        await page.waitForSelector(ready);
        assert(await page.evaluate((l) => document.documentElement.lang === l, lang), 'the page is in ' + lang);
        await check(name, lang, n++);
      }
      await presetLang(page, 'en');
    });
  }

  await step('no critical or serious axe finding, no page wider than the phone', async () => {
    console.log(`     ${report_.pages} page views; axe moderate ${report_.moderate}, minor ${report_.minor}; widest ${report_.widest} px at 360; header at most ${Math.round(report_.header)} px high at 390`);
    assert(failures.length === 0, failures.join('\n'));
    assert(report_.header <= 64, 'the phone header is one line: ' + report_.header);
  });

  await step('keyboard: a skip link first, and every control of the busiest pages reachable with Tab', async () => {
    await page.goto(s.base + '/');
    await page.waitForSelector('#dash-new');
    await page.keyboard.press('Tab');
    assert(await page.evaluate(() => document.activeElement.id) === 'skip-link', 'the skip link comes first');
    assert(await page.evaluate(() => { const r = document.activeElement.getBoundingClientRect(); return r.top >= 0 && r.height > 0; }), 'the skip link shows when focused');
    await page.keyboard.press('Enter');
    assert(await page.evaluate(() => document.activeElement.id) === 'main', 'Enter moves to the content');
    for (const p of [obj('press', report), `/inbox/${rfi}`, '/inbox/new', `/collections/cells/graph/${O.aqim.id}`]) {
      await page.goto(s.base + p);
      await page.waitForSelector('#main h1');
      await page.waitForTimeout(200);
      const want = await page.evaluate(() => {
        const sel = 'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])';
        const shown = (e) => !e.disabled && e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden' &&
          !(e.closest('details:not([open])') && e.tagName !== 'SUMMARY');
        return [...document.querySelectorAll(sel)].filter(shown)
          .map((e, i) => { e.dataset.kb = String(i); return String(i); });
      });
      const got = new Set();
      await page.evaluate(() => document.activeElement && document.activeElement.blur());
      for (let i = 0; i < want.length + 5; i++) {
        await page.keyboard.press('Tab');
        const k = await page.evaluate(() => document.activeElement && document.activeElement.dataset.kb);
        if (k) got.add(k);
      }
      const missed = want.filter((k) => !got.has(k));
      const names = await page.evaluate((ks) => ks.map((k) => { const e = document.querySelector(`[data-kb="${k}"]`); return e.outerHTML.slice(0, 100); }), missed.slice(0, 5));
      assert(missed.length === 0, `${p}: ${missed.length} of ${want.length} controls not reached by Tab: ${names.join(' | ')}`);
    }
  });

  await step('names mixing scripts keep their own direction; questions in two languages align alike', async () => {
    for (const [lang, size] of [['en', DESKTOP], ['ar', DESKTOP], ['en', PHONE], ['ar', PHONE]]) {
      await page.setViewportSize(size);
      await presetLang(page, lang);
      await page.goto(s.base + obj('cells', O.katiba));
      await page.waitForSelector('#all-names');
      const dirs = await page.$$eval('#all-names bdi', (els) => els.map((e) => ({ text: e.textContent, dir: getComputedStyle(e).direction })));
      const latin = dirs.find((d) => d.text === 'Katiba Macina (كتيبة ماسينا)');
      const arabic = dirs.find((d) => d.text === 'جبهة تحرير ماسينا (FLM)');
      assert(latin && latin.dir === 'ltr', `${lang}: a name that starts in Latin reads left to right: ` + JSON.stringify(dirs));
      assert(arabic && arabic.dir === 'rtl', `${lang}: a name that starts in Arabic reads right to left: ` + JSON.stringify(dirs));
      // In the Latin-first name "Katiba" is drawn left of the opening parenthesis, whatever the page.
      const order = await page.evaluate(() => {
        const e = [...document.querySelectorAll('#all-names bdi')].find((x) => x.textContent.startsWith('Katiba'));
        const r = document.createRange();
        const t = e.firstChild;
        r.setStart(t, 0); r.setEnd(t, 6);
        const k = r.getBoundingClientRect().left;
        const i = t.textContent.indexOf('(');
        r.setStart(t, i); r.setEnd(t, i + 1);
        return { katiba: k, paren: r.getBoundingClientRect().left };
      });
      assert(order.katiba < order.paren, `${lang}: "Katiba" before "(" left to right: ` + JSON.stringify(order));
      await page.goto(s.base + `/inbox/${rfi}`);
      await page.waitForSelector('#rfi-questions li');
      const edges = await page.$$eval('#rfi-questions li bdi', (els) => els.map((e) => {
        const r = e.getBoundingClientRect();
        return { left: Math.round(r.left), right: Math.round(r.right), dir: getComputedStyle(e).direction };
      }));
      const key = lang === 'ar' ? 'right' : 'left';
      assert(edges.length === 3 && edges.every((e) => Math.abs(e[key] - edges[0][key]) <= 1), `${lang}: questions start on the same side: ` + JSON.stringify(edges));
      assert(edges[0].dir === 'ltr' && edges[1].dir === 'rtl', `${lang}: each question in its own direction: ` + JSON.stringify(edges));
      await shot(page, `${lang === 'en' ? 80 : 81}-rfi-questions-${lang}-${size.width}`);
    }
    await page.setViewportSize(DESKTOP);
    await presetLang(page, 'en');
  });

  await step('the server down: said in Arabic with a retry, which works once it is back', async () => {
    for (const lang of ['ar', 'en']) {
      await presetLang(page, lang);
      await page.goto(s.base + '/collections');
      await page.waitForSelector('#collections li');
      await s.halt();
      await page.click(`#main a[href="/collections/${w.cells}"]`);
      await page.waitForSelector('#page-error #retry');
      const text = await page.textContent('#page-error');
      if (lang === 'ar') assert(text.includes('تعذّر الوصول إلى الخادم') && !/Failed to fetch|network/i.test(text), 'Arabic: ' + text);
      else assert(text.includes('could not be reached'), 'English: ' + text);
      await shot(page, `8${lang === 'ar' ? 2 : 3}-server-down-${lang}`);
      // a reload while down (the pages are not served either) is the browser's business; retry in place
      await s.start();
      await page.click('#retry');
      await page.waitForSelector('#objects tbody tr');
      assert(await page.evaluate(() => sessionStorage.getItem('liaison.token')) !== null, 'still signed in after the outage');
    }
    await presetLang(page, 'en');
  });

  await step('an expired token is said to be expired, in both languages', async () => {
    const short = lastLine(cli('token', 'issue', '--data', s.data, '--admin', '--expires', '3s'));
    await page.click('#sign-out');
    await signIn(page, s.base, short);
    await presetLang(page, 'ar');
    const exp = await page.evaluate(() => fetch('/liaison/whoami', { headers: { Authorization: 'Bearer ' + sessionStorage.getItem('liaison.token') } }).then((r) => r.json()).then((j) => j.expires));
    assert(exp, 'whoami says when the token expires');
    await page.waitForTimeout(Math.max(0, Date.parse(exp) - Date.now()) + 300);
    await page.goto(s.base + '/collections');
    await page.waitForSelector('#signin-error');
    await page.waitForFunction(() => document.getElementById('signin-error').textContent.length > 0);
    const ar = await page.textContent('#signin-error');
    assert(ar.includes('انتهت صلاحية رمزك'), 'Arabic: ' + ar);
    await shot(page, '84-token-expired-ar');
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.getElementById('signin-error').textContent.includes('expired'));
    assert(!(await page.textContent('#signin-error')).includes('not accepted'), 'expired, not "not accepted"');
  });

  await step('no script error, no CSP violation', async () => {
    assert(seen.problems.filter((p) => !/status of (401|404)|ERR_CONNECTION_REFUSED|Failed to load resource/.test(p)).length === 0, 'console problems:\n' + seen.problems.join('\n'));
  });
});
