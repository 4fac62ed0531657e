// Intake review and search in the pages, end to end: the admin pastes the sample article
// (../shared/samples/article-ar-algeria-us-rfi.txt, read from LIAISON_SHARED at test time),
// sees every mention highlighted in a right-to-left block (داعش and الجزائر among them),
// rejects one entity and corrects another, publishes to a collection as TLP:GREEN, and the
// store holds the reviewed bundle (the rejected entity, its relationships and its report
// ref gone; the correction applied); search finds the published threat actor by
// "الاسلامية" (no hamza) and by "داعش", pages with next, and opens it; the report's graph
// opens; the pages in Arabic are right-to-left. Screenshots: 30-36.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { run, shot, signIn, graphNodes, step, assert, cli, SOURCE } from './lib.mjs';

const SHARED = process.env.LIAISON_SHARED || path.resolve(SOURCE, '..', 'shared');
const article = readFileSync(path.join(SHARED, 'samples', 'article-ar-algeria-us-rfi.txt'), 'utf8');

await run(import.meta.url, async ({ s, w, page, seen }) => {
  const lastLine = (x) => x.trim().split('\n').pop().trim();
  const drafts = lastLine(cli('collection', 'add', '--data', s.data, '--title', 'Press intake', '--alias', 'press'));
  let rejected, correctedFrom, reportId;

  await step('the admin pastes the article and sees the mentions highlighted right to left', async () => {
    await signIn(page, s.base, w.tokens.admin);
    await page.click('nav a[href="/intake"]');
    await page.waitForSelector('#intake-text');
    await page.fill('#intake-text', article);
    await page.click('#intake-analyse');
    await page.waitForSelector('#intake-article mark');
    const marks = await page.$$eval('#intake-article mark', (els) => els.map((e) => ({ text: e.textContent, id: e.dataset.entity })));
    assert(marks.some((m) => m.text.includes('داعش') && m.id.startsWith('threat-actor--')), 'داعش highlighted as a threat actor');
    assert(marks.some((m) => m.text === 'الجزائر' && m.id.startsWith('location--')), 'الجزائر highlighted as a location');
    // The article text in the page is the article (nothing lost around the marks).
    const shown = await page.textContent('#intake-article');
    assert(shown.replace(/\s+/g, ' ').trim() === article.replace(/\s+/g, ' ').trim(), 'the article text is intact around the highlights');
    const dir = await page.evaluate(() => {
      const el = document.getElementById('intake-article');
      return { attr: el.getAttribute('dir'), css: getComputedStyle(el).direction };
    });
    assert(dir.attr === 'rtl' && dir.css === 'rtl', 'the article block is rtl: ' + JSON.stringify(dir));
    const n = await page.$$eval('#intake-entities li.entity', (els) => els.length);
    assert(n >= 8, 'entities listed: ' + n);
    await shot(page, '30-intake-review');
  });

  await step('one entity rejected, one corrected', async () => {
    const li = (name) => page.locator('#intake-entities li.entity', { has: page.locator('.entity-name', { hasText: new RegExp('^' + name + '$') }) });
    rejected = await li('Washington').getAttribute('data-id');
    await li('Washington').locator('button.reject').click();
    await page.waitForSelector(`#intake-entities li[data-id="${rejected}"][data-decision="reject"]`);
    assert(await page.$(`#intake-article mark.rejected[data-entity="${rejected}"]`), 'its mentions are struck out');
    correctedFrom = await li('northern Mali').getAttribute('data-id');
    const item = li('northern Mali');
    await item.locator('button.correct').click();
    await item.locator('input[name="name"]').fill('Northern Mali (Azawad)');
    await item.locator('button.fix-apply').click();
    await page.waitForSelector(`#intake-entities li.corrected[data-id="${correctedFrom}"]`);
    await shot(page, '31-intake-rejected-corrected');
  });

  await step('published to a collection as TLP:GREEN; the store holds the reviewed bundle', async () => {
    await page.selectOption('#publish-collection', drafts);
    await page.selectOption('#publish-marking', 'green');
    await page.click('#publish-submit');
    await page.waitForSelector('#publish-report');
    const counts = await page.textContent('#publish-counts');
    assert(/\d+ stored, 0 reused, 0 refused/.test(counts), 'publish counts: ' + counts);
    const ids = await page.$$eval('#publish-objects tbody tr', (els) => els.map((e) => e.dataset.id));
    assert(!ids.includes(rejected) && !ids.includes(correctedFrom), 'the rejected and the replaced entity are not published');
    reportId = ids.find((x) => x.startsWith('report--'));
    const env = (await s.api('GET', `/taxii2/default/collections/${drafts}/objects/${reportId}/`)).json;
    const rep = env.objects[0];
    assert(rep.object_marking_refs.length === 1 && rep.object_marking_refs[0] === 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb', 'the report is green');
    assert(!rep.object_refs.includes(rejected), 'the report no longer refers to the rejected entity');
    const all = (await s.api('GET', `/taxii2/default/collections/${drafts}/objects/?limit=1000`)).json.objects;
    assert(!all.some((o) => o.id === rejected || o.source_ref === rejected || o.target_ref === rejected), 'nothing about the rejected entity is stored');
    const fixed = all.find((o) => o.name === 'Northern Mali (Azawad)');
    assert(fixed && fixed.type === 'location' && fixed.id !== correctedFrom && rep.object_refs.includes(fixed.id), 'the correction is stored under a new id the report names');
    await shot(page, '32-intake-published');
  });

  let actor;
  await step('search finds the published actor by "الاسلامية" (no hamza) and by "داعش"', async () => {
    actor = (await s.api('GET', `/taxii2/default/collections/${drafts}/objects/?match[type]=threat-actor`)).json.objects.find((o) => o.name === 'Islamic State');
    assert(actor, 'the actor is stored');
    for (const q of ['الاسلامية', 'داعش']) {
      await page.fill('#header-search', q);
      await page.click('#header-search-go');
      await page.waitForSelector('#search-count');
      assert(await page.$(`#search-results tr[data-id="${actor.id}"][data-collection="${drafts}"]`), 'the actor is found by ' + q);
      if (q === 'الاسلامية') await shot(page, '33-search');
    }
    // Paging: one result a page, then the next.
    // facets: counted by the server; a type narrows the search, and the same link widens it again
    await page.goto(s.base + '/search?q=' + encodeURIComponent('الاسلامية'));
    await page.waitForSelector('#facet-type a.facet');
    const types = await page.$$eval('#facet-type a.facet', (els) => els.map((e) => [e.dataset.value, Number(e.querySelector('.count').textContent)]));
    const ta = types.find(([v]) => v === 'threat-actor');
    assert(ta && types.length > 1, 'type facets: ' + JSON.stringify(types));
    await page.click('#facet-type a.facet[data-value="threat-actor"]');
    await page.waitForFunction(() => location.search.includes('type=threat-actor'));
    await page.waitForSelector('#facet-type a.facet.on');
    const rows = await page.$$eval('#search-results tbody tr', (els) => els.map((e) => e.dataset.id));
    assert(rows.length === ta[1] && rows.includes(actor.id), `the threat-actor facet said ${ta[1]}, the narrowed search lists ${rows}`);
    assert((await page.textContent('#facet-tlp')).includes('TLP:GREEN'), 'the TLP facet in words');
    assert(!(await page.$('#facets-partial')), 'every match counted: no partial note');
    // With facets counted over one match only (search_facet_rows=1), the page says so, and
    // the results still list every match.
    await s.halt();
    s.sets = ['search_facet_rows=1'];
    await s.start();
    await page.goto(s.base + '/search?q=' + encodeURIComponent('الاسلامية'));
    await page.waitForSelector('#facets-partial');
    const counted = await page.$$eval('#facet-type a.facet .count', (els) => els.reduce((n, e) => n + Number(e.textContent), 0));
    const listed = await page.$$eval('#search-results tbody tr', (els) => els.length);
    assert(counted === 1 && listed > 1, `partial facets count ${counted}, the results list ${listed}`);
    await s.halt();
    s.sets = [];
    await s.start();
    await page.goto(s.base + '/search?q=' + encodeURIComponent('الجزائر') + '&limit=1');
    await page.waitForSelector('#search-results tr');
    const first = await page.$eval('#search-results tr[data-id]', (e) => e.dataset.id);
    await page.click('#search-next');
    await page.waitForFunction((f) => { const r = document.querySelector('#search-results tr[data-id]'); return r && r.dataset.id !== f; }, first);
    await page.goto(s.base + '/search?q=' + encodeURIComponent('داعش'));
    await page.click(`#search-results tr[data-id="${actor.id}"] a.obj-link`);
    await page.waitForSelector('#card');
    assert((await page.textContent('#card')).includes('الدولة الإسلامية'), 'the actor page opens');
    await page.goto(s.base + '/search?q=ab');
    await page.waitForSelector('.error');
  });

  await step('the graph of the published report', async () => {
    await page.goto(s.base + `/collections/${drafts}/objects/${reportId}`);
    await page.click('#open-graph');
    const nodes = await graphNodes(page, 5);
    assert(nodes.includes(actor.id) && !nodes.includes(rejected), 'the report links the actor, not the rejected entity');
    await page.waitForTimeout(400);
    await shot(page, '34-intake-graph');
  });

  await step('intake and search in Arabic are right-to-left', async () => {
    await page.goto(s.base + '/search?q=' + encodeURIComponent('الاسلامية'));
    await page.waitForSelector('#search-results');
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.documentElement.dir === 'rtl');
    await page.waitForSelector('#search-results');
    assert(await page.evaluate(() => getComputedStyle(document.getElementById('search-results')).direction) === 'rtl', 'results rtl');
    const xs = await page.$$eval('#search-results thead th', (els) => els.map((e) => e.getBoundingClientRect().x));
    assert(xs[0] > xs[xs.length - 1], 'columns run right to left');
    await shot(page, '35-search-ar');
    await page.goto(s.base + '/intake');
    await page.fill('#intake-text', article);
    await page.click('#intake-analyse');
    await page.waitForSelector('#intake-article mark');
    assert(await page.evaluate(() => document.documentElement.dir) === 'rtl', 'page rtl');
    const side = await page.evaluate(() => {
      const a = document.getElementById('intake-article').getBoundingClientRect();
      const s = document.querySelector('.review-side').getBoundingClientRect();
      return s.x < a.x;
    });
    assert(side, 'the entity list sits on the left in Arabic (the end side)');
    await shot(page, '36-intake-ar');
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.documentElement.dir === 'ltr');
  });

  await step('no script error, no CSP violation, no token in a URL', async () => {
    assert(!seen.urls.some((u) => u.includes(w.tokens.admin.split('.')[1])), 'a token in a URL');
    assert(seen.problems.filter((p) => !/status of 400/.test(p)).length === 0, 'console problems:\n' + seen.problems.join('\n'));
  });
});
