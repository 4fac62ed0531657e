// Need-to-know in the pages: a partner with clearance green signs in and walks every
// listing, every object page and the graph of every object it can open; none of the
// TLP:RED objects (nor the AMBER ones above its clearance, nor another partner's REL TO
// object) appears anywhere, neither in the page text nor in any response the browser
// received. A TLP:RED object's address answers "not found" like an absent one. The same
// holds for search (names and text of red objects find nothing) and for the request inbox
// (a red request to another partner never shows; the partner's own green one does). The
// dashboard counts only what the partner may see, and names no other partner; every object
// page (both languages), a comparison of versions, the request and intake forms too.
import { run, shot, signIn, graphNodes, step, assert, cli, presetLang } from './lib.mjs';

await run(import.meta.url, async ({ s, w, page, seen }) => {
  // Requests: one to Sahel (green), one to Paris (red, about a source: Sahel must never see it).
  const due = new Date(Date.now() + 30 * 86400e3).toISOString().slice(0, 10);
  cli('rfi', 'new', '--data', s.data, '--to', 'Sahel', '--subject', 'Movements of the ISGS convoys near Menaka',
    '--question', 'Routes used since October?', '--priority', 'routine', '--due', due, '--marking', 'green', '--about', w.obj.isgs.id);
  cli('rfi', 'new', '--data', s.data, '--to', 'Paris', '--subject', 'Tamanrasset source meeting schedule',
    '--question', 'موعد لقاء المصدر البشري الحساس؟', '--priority', 'immediate', '--due', due, '--marking', 'red');
  w.redStrings.push('Tamanrasset source meeting', 'موعد لقاء المصدر');
  // a second version of a green object, for the page that compares versions
  const algeria2 = { ...w.obj.algeria, modified: '2026-02-01T00:00:00.000Z', description: 'الجزائر: بلد في شمال أفريقيا' };
  await s.post('cells', [algeria2]);
  const forbidden = [...w.redStrings, w.obj.report1.id, w.obj.usReport.id, w.obj.usOnly.id, 'Courier phone numbers',
    'Dismantled recruitment cells in the south', 'Travel of facilitators to Gao'];
  const pageTexts = [];
  const record = async (what) => pageTexts.push({ what, text: await page.evaluate(() => document.body.innerText) });
  const visible = new Set();

  await step('the green partner signs in and sees its clearance', async () => {
    await signIn(page, s.base, w.tokens.Sahel);
    const role = await page.textContent('#role');
    assert(role.includes('Sahel') && role.includes('TLP:GREEN') && role.includes('C'), 'role: ' + role);
    await page.waitForSelector('#collections li');
    await record('collections');
    await shot(page, '10-green-partner-collections');
  });

  await step('every listing of both collections, in both languages', async () => {
    for (const coll of ['cells', 'sahel']) {
      for (const lang of ['en', 'ar']) {
        await page.goto(s.base + '/collections/' + coll);
        await page.waitForSelector('#count');
        if ((await page.evaluate(() => document.documentElement.lang)) !== lang) {
          await page.click('#lang-switch');
          await page.waitForFunction((l) => document.documentElement.lang === l, lang);
          await page.waitForSelector('#count');
        }
        for (;;) {
          await record(`${coll} list ${lang}`);
          for (const id of await page.$$eval('#objects tbody tr', (els) => els.map((e) => e.dataset.id))) visible.add(coll + '|' + id);
          if (!(await page.$('#next-page'))) break;
          await page.click('#next-page');
          await page.waitForSelector('#count');
        }
        for (const lvl of ['red', 'amber']) {
          await page.goto(s.base + `/collections/${coll}?tlp=${lvl}`);
          await page.waitForSelector('.empty');
        }
      }
    }
    await page.goto(s.base + '/collections/cells');
    await page.waitForSelector('#objects tbody tr');
    await shot(page, '11-green-partner-objects');
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert(visible.size >= 5, 'the partner sees its green objects: ' + visible.size);
  });

  await step('the dashboard, both languages: every count is what the partner may see', async () => {
    const listed = async (cid) => (await s.api('GET', `/taxii2/default/collections/${cid}/objects/?limit=1000&added_after=2000-01-01T00:00:00Z`, w.tokens.Sahel)).json.objects.length;
    const want = { [w.cells]: await listed(w.cells), [w.sahel]: await listed(w.sahel) };
    assert(want[w.cells] === [...visible].filter((k) => k.startsWith('cells|')).length, 'TAXII and the listing agree');
    for (const lang of ['en', 'ar']) {
      await presetLang(page, lang);
      await page.goto(s.base + '/');
      await page.waitForSelector('#dash-watches');
      for (const cid of [w.cells, w.sahel])
        assert(await page.$eval(`#collections li[data-id="${cid}"] .new-count`, (e) => e.dataset.count) === String(want[cid]), `the count of ${cid} is the partner's`);
      const sources = await page.$$eval('#latest tbody tr', (els) => els.map((e) => e.dataset.source));
      assert(sources.length === 2 && sources.includes(w.partners.Sahel), 'this service and the partner itself, no other partner: ' + sources);
      await record('dashboard ' + lang);
      await shot(page, '15-green-partner-dashboard-' + lang);
    }
    await presetLang(page, 'en');
  });

  await step('every visible object page and its graph', async () => {
    for (const key of visible) {
      const [coll, id] = key.split('|');
      await page.goto(s.base + `/collections/${coll}/objects/${id}`);
      await page.waitForSelector('#versions li');
      await record('object ' + id);
      if (id.startsWith('marking-definition--')) continue;
      await page.goto(s.base + `/collections/${coll}/graph/${id}`);
      const nodes = await graphNodes(page, 1);
      // expand everything reachable
      for (let i = 0; i < 10 && (await page.$('#graph-nodes button.expand')); i++) {
        const n = await page.$$eval('#graph-nodes li', (els) => els.length);
        await page.click('#graph-nodes button.expand');
        await page.waitForFunction((k) => document.querySelectorAll('#graph-nodes li').length >= k, n);
        await page.waitForTimeout(50);
      }
      const all = await page.evaluate(() => document.getElementById('graph').cy.nodes().map((x) => x.id()));
      for (const r of w.red) assert(!all.includes(r.id) && !nodes.includes(r.id), 'a red node in the graph of ' + id);
      await record('graph ' + id);
    }
    await page.goto(s.base + `/collections/cells/graph/${w.obj.aqim.id}`);
    await graphNodes(page, 2);
    await page.waitForTimeout(300);
    await shot(page, '12-green-partner-graph');
  });

  await step('every visible object page in Arabic, a comparison of versions, the forms', async () => {
    await presetLang(page, 'ar');
    for (const key of visible) {
      const [coll, id] = key.split('|');
      await page.goto(s.base + `/collections/${coll}/objects/${id}`);
      await page.waitForSelector('#versions li');
      await record('object ar ' + id);
    }
    for (const lang of ['ar', 'en']) {
      await presetLang(page, lang);
      await page.goto(s.base + `/collections/cells/objects/${w.obj.algeria.id}?diff=${w.obj.algeria.modified}`);
      await page.waitForSelector('#diff-list');
      await record('diff ' + lang);
      for (const p of ['/inbox/new', '/intake', '/collections']) {
        await page.goto(s.base + p);
        await page.waitForSelector('#main h1');
        await page.waitForSelector('.loading', { state: 'detached' });
        await record(p + ' ' + lang);
      }
    }
  });

  await step('search finds nothing red, in either language', async () => {
    for (const q of ['Tamanrasset', 'تمنراست', 'Hidden cell', 'مصدر بشري', 'Source handling']) {
      await page.goto(s.base + '/search?q=' + encodeURIComponent(q));
      await page.waitForSelector('#search-count');
      assert(await page.$('#search-empty'), 'no result for ' + q);
      assert(!(await page.$('#facets .facet')), 'no facet counts anything for ' + q);
      await record('search ' + q);
    }
    for (const q of ['Islamic', 'الاسلامية']) {
      await page.goto(s.base + '/search?q=' + encodeURIComponent(q));
      await page.waitForSelector('#search-results tbody tr');
      const tlps = await page.$$eval('#search-results .tlp', (els) => els.map((e) => e.textContent));
      assert(tlps.length > 0 && tlps.every((x) => x === 'TLP:GREEN'), q + ': only green results: ' + tlps);
      // the facets count what the partner may see: green only, as many as the rows
      const tlpFacet = await page.$$eval('#facet-tlp a.facet', (els) => els.map((e) => e.dataset.value));
      assert(tlpFacet.every((x) => x === 'green'), q + ': TLP facets ' + tlpFacet);
      const typeCounts = await page.$$eval('#facet-type .count', (els) => els.map((e) => e.textContent));
      assert(typeCounts.length > 0, q + ': type facets shown');
      await record('search ' + q);
    }
    await shot(page, '13-green-partner-search');
  });

  await step("the inbox shows the partner's own request and nothing red", async () => {
    for (const lang of ['en', 'ar']) {
      for (const box of ['incoming', 'outgoing']) {
        await page.goto(s.base + '/inbox?box=' + box);
        await page.waitForSelector('#rfis, #rfi-empty');
        if ((await page.evaluate(() => document.documentElement.lang)) !== lang) {
          await page.click('#lang-switch');
          await page.waitForFunction((l) => document.documentElement.lang === l, lang);
          await page.waitForSelector('#rfis, #rfi-empty');
        }
        await record(`inbox ${box} ${lang}`);
      }
    }
    await page.goto(s.base + '/inbox?box=incoming');
    await page.waitForSelector('#rfis tbody tr');
    const rows = await page.$$eval('#rfis tbody tr', (els) => els.map((e) => e.textContent));
    assert(rows.length === 1 && rows[0].includes('Menaka'), 'one incoming request: ' + rows);
    await shot(page, '14-green-partner-inbox');
    await page.click('#rfis a.rfi-link');
    await page.waitForSelector('#rfi-questions');
    await record('rfi');
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
  });

  await step('a TLP:RED object, its versions and its graph answer "not found"', async () => {
    for (const r of w.red) {
      for (const p of [`/collections/cells/objects/${r.id}`, `/collections/cells/graph/${r.id}`]) {
        await page.goto(s.base + p);
        await page.waitForSelector('.error');
        assert((await page.textContent('.error')).includes('Not found'), 'not found for ' + p);
        await record(p);
      }
    }
  });

  await step('nothing red in any page text or any response', async () => {
    for (const { what, text } of pageTexts)
      for (const f of forbidden) assert(!text.includes(f), `"${f}" shown on ${what}`);
    assert(seen.bodies.length > 20, 'responses recorded: ' + seen.bodies.length);
    for (const { url, body } of seen.bodies)
      for (const f of forbidden) assert(!body.includes(f), `"${f}" in the response of ${url}`);
    assert(!seen.urls.some((u) => u.includes(w.tokens.Sahel.split('.')[1])), 'the token in a URL');
    assert(seen.problems.filter((p) => !/404|Not Found/i.test(p)).length === 0, 'console problems:\n' + seen.problems.join('\n'));
  });
});
