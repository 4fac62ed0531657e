// The analyst's desk, end to end in headless Chromium against a real `liaison serve`:
// sign in (a wrong token refused, the token never in a URL or localStorage), the role
// shown, collections, the objects browser and its filters, an object with its versions,
// the graph opened and expanded by a click, Arabic (right-to-left, Arabic-Indic digits,
// remembered across a reload), a partner's view with its clearance and trust, sign out.
// Screenshots of each page go to LIAISON_TEST_OUT.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { run, shot, signIn, graphNodes, step, assert, cli, TLP, presetLang, PHONE_WIDE, DESKTOP } from './lib.mjs';

await run(import.meta.url, async ({ s, w, b, page, seen }) => {
  const allTokens = Object.values(w.tokens);

  await step('a visitor is sent to sign in; a wrong token is refused', async () => {
    await page.goto(s.base + '/collections/cells');
    await page.waitForSelector('#token');
    assert(new URL(page.url()).pathname === '/signin', 'redirected to /signin, got ' + page.url());
    await shot(page, '01-signin');
    await page.fill('#token', 'AAAAAAAAAAAAAAAA.' + 'x'.repeat(43));
    await page.click('#signin-submit');
    await page.waitForFunction(() => document.getElementById('signin-error').textContent.includes('not accepted'));
    assert(!(await page.$('#role')), 'no role shown after a refused token');
  });

  await step('the admin signs in and sees the role', async () => {
    await signIn(page, s.base, w.tokens.admin);
    const role = await page.textContent('#role');
    assert(role.includes('Local administrator') && role.includes('TLP:RED'), 'role line: ' + role);
    assert(await page.evaluate(() => sessionStorage.getItem('liaison.token')) === w.tokens.admin, 'token in sessionStorage');
    const secret = w.tokens.admin.split('.')[1];
    assert(await page.evaluate((x) => !JSON.stringify({ ...localStorage }).includes(x) && !document.cookie.includes(x), secret), 'no token in localStorage or cookies');
    assert(!page.url().includes(secret), 'no token in the address');
  });

  await step('the dashboard: what is new since the last visit, requests due, the latest from each partner, watches', async () => {
    // first visit: the last 7 days; every object of each collection is new
    await page.waitForSelector('#dash-watches');
    assert((await page.textContent('#since')).includes('first visit'), 'a first visit');
    const n = (await s.api('GET', `/taxii2/default/collections/${w.cells}/objects/?limit=1000`)).json.objects.length;
    const card = `#collections li[data-id="${w.cells}"]`;
    assert(await page.$eval(card + ' .new-count', (e) => e.dataset.count) === String(n), `all ${n} objects of the cells are new`);
    const titles = await page.$$eval('#collections .card-title', (els) => els.map((e) => e.textContent));
    assert(titles.includes('Dismantled recruitment cells') && titles.includes('الساحل: الصورة المشتركة'), 'titles: ' + titles);
    const us = await page.textContent(`#latest tr[data-source="${w.partners.US}"]`);
    assert(us.includes('Travel of facilitators to Gao') && us.includes('Trust B'), 'the latest from the US: ' + us);
    assert(await page.$('#no-watches') && await page.$('#nothing-due'), 'no watch, nothing due yet');
    // a request due in two days, a watch, then "mark all as seen"
    const due = new Date(Date.now() + 2 * 86400e3).toISOString().slice(0, 10);
    const rid = cli('rfi', 'new', '--data', s.data, '--to', 'US', '--subject', 'Gao convoy timetable', '--question', 'When?',
      '--priority', 'immediate', '--due', due, '--marking', 'amber').trim().split('\n').pop();
    const watch = await s.json('POST', '/liaison/watches', null, { name: 'Gao', name_like: 'Gao' });
    assert(watch.status === 201, 'a watch: ' + JSON.stringify(watch.json));
    await page.click('#mark-seen');
    await page.waitForSelector(`#due tr[data-id="${rid}"]`);
    assert(await page.$eval(card + ' .new-count', (e) => e.dataset.count) === '0', 'nothing new once marked as seen');
    // the US partner reports, graded B2: new in the cells, the latest from the US, and the watch fires
    const convoy = { type: 'report', spec_version: '2.1', id: 'report--' + randomUUID(), created: '2026-03-01T00:00:00.000Z', modified: '2026-03-01T00:00:00.000Z',
      name: 'Convoy seen near Gao', report_types: ['threat-report'], published: '2026-03-01T00:00:00.000Z', object_refs: [w.obj.mali.id], object_marking_refs: [TLP.amber],
      extensions: { 'extension-definition--79cbf8a2-1d41-4b10-9682-2577872b23b7': { extension_type: 'property-extension', scale: 'admiralty', source_reliability: 'B', information_credibility: '2' } } };
    await s.post('cells', [convoy], w.tokens.US);
    for (let i = 0; i < 100; i++) {
      const l = (await s.json('GET', '/liaison/watches')).json.watches;
      if (l[0].events >= 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await page.reload();
    await page.waitForSelector('#watches tbody tr');
    assert(await page.$eval(card + ' .new-count', (e) => e.dataset.count) === '1', 'one new object in the cells');
    assert((await page.textContent(card + ' .new-list')).includes('Convoy seen near Gao'), 'the new report listed');
    const latest = await page.textContent(`#latest tr[data-source="${w.partners.US}"]`);
    assert(latest.includes('Convoy seen near Gao') && latest.includes('B2') && latest.includes('usually reliable'), 'the latest from the US, graded: ' + latest);
    assert(await page.$eval('#watches tbody tr', (e) => e.dataset.new) === '1', 'the watch fired once since the last visit');
    await shot(page, '02-dashboard');
    // the same in Arabic, and both on a phone: words, digits, no horizontal scrolling
    for (const [lang, size] of [['ar', DESKTOP], ['en', PHONE_WIDE], ['ar', PHONE_WIDE]]) {
      await page.setViewportSize(size);
      await presetLang(page, lang);
      await page.reload();
      await page.waitForSelector('#watches tbody tr');
      assert(await page.$eval(card + ' .new-count', (e) => e.dataset.count) === '1', `${lang} ${size.width}: one new object`);
      const heading = await page.textContent('#dash-new-h');
      const count = await page.textContent(card + ' .new-count');
      if (lang === 'ar') assert(heading.includes('الجديد') && /[٠-٩]/.test(count), 'Arabic, Arabic-Indic digits: ' + count);
      else assert(heading.includes('New') && /1/.test(count), 'English: ' + count);
      assert((await page.textContent(`#latest tr[data-source="${w.partners.US}"]`)).includes('B2'), `${lang} ${size.width}: the grading`);
      assert(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${lang} ${size.width}: no horizontal scrolling`);
      await shot(page, `02-dashboard-${lang}-${size.width}`);
    }
    await presetLang(page, 'en');
    await page.setViewportSize(DESKTOP);
    await page.reload();
    await page.waitForSelector('#watches tbody tr');
    // the watch opens on the objects it fired for, each a link to its page
    await page.click('#watches a.watch-link');
    await page.waitForSelector(`#fired tr[data-id="${convoy.id}"]`);
    assert((await page.textContent('#watch-title')).includes('Gao'), 'the watch named');
    await page.click(`#fired tr[data-id="${convoy.id}"] a.obj-link`);
    await page.waitForFunction((id) => location.pathname.endsWith(id), convoy.id);
    await page.waitForSelector('#card');
    // another tab later: the visit was remembered (this browser), the report is no longer new
    const tab = await b.ctx.newPage();
    await signIn(tab, s.base, w.tokens.admin);
    await tab.waitForSelector('#dash-watches');
    assert((await tab.textContent('#since')).includes('since your last visit'), 'the last visit remembered: ' + await tab.textContent('#since'));
    assert(await tab.$eval(card + ' .new-count', (e) => e.dataset.count) === '0', 'seen on the last visit');
    assert(await tab.$eval('#watches tbody tr', (e) => e.dataset.new) === '0', 'the watch event seen on the last visit');
    await tab.close();
  });

  await step('collections are listed', async () => {
    await page.click('nav a[href="/collections"]');
    await page.waitForSelector('#collections li');
    const titles = await page.$$eval('#collections h2', (els) => els.map((e) => e.textContent));
    assert(titles.includes('Dismantled recruitment cells') && titles.includes('الساحل: الصورة المشتركة'), 'titles: ' + titles);
    await shot(page, '02-collections');
  });

  await step('the objects browser shows markings, creators, grading and filters', async () => {
    await page.click('text=Dismantled recruitment cells');
    await page.waitForSelector('#objects tbody tr');
    const text = await page.textContent('#objects');
    for (const want of ['Al-Qaeda in the Islamic Maghreb', 'تنظيم القاعدة في بلاد المغرب الإسلامي', 'TLP:GREEN', 'TLP:AMBER', 'TLP:RED', 'B2', 'This service', 'REL TO US', 'US'])
      assert(text.includes(want), 'objects table lacks ' + want);
    const usRow = await page.textContent(`tr[data-id="${w.obj.usReport.id}"]`);
    assert(usRow.includes('US') && usRow.includes('Trust B'), 'the US report shows its partner and trust: ' + usRow);
    await shot(page, '03-objects');
    await page.selectOption('#f-type', 'threat-actor');
    await page.selectOption('#f-tlp', 'red');
    await page.click('#f-apply');
    await page.waitForFunction(() => location.search.includes('tlp=red'));
    await page.waitForSelector('#count');
    const rows = await page.$$eval('#objects tbody tr', (els) => els.map((e) => e.dataset.id));
    assert(rows.length === 1 && rows[0] === w.obj.redCell.id, 'filtered to the one red threat actor: ' + rows);
    assert((await page.textContent('#count')) === '1–1 of 1 objects', 'the server\'s total: ' + (await page.textContent('#count')));
    // Filtered, sorted and paged by the server (GET /liaison/browse): ten a page, both ways.
    await page.click('#f-reset');
    await page.waitForFunction(() => !location.search);
    const all = (await s.api('GET', '/liaison/browse/cells?limit=1000')).json;
    await page.selectOption('#f-per', '10');
    await page.selectOption('#f-sort', 'modified_desc');
    await page.click('#f-apply');
    await page.waitForFunction(() => location.search.includes('per=10'));
    await page.waitForSelector('#next-page');
    const pos = async () => page.$eval('#count', (e) => [Number(e.dataset.position), Number(e.dataset.total)]);
    assert(JSON.stringify(await pos()) === JSON.stringify([1, all.total]), 'first page of ' + all.total + ': ' + (await pos()));
    const dates = async () => page.$$eval('#objects tbody time', (els) => els.map((e) => e.getAttribute('datetime')));
    const first = await dates();
    assert(first.length === 10 && first.every((d, i) => i === 0 || first[i - 1] >= d), 'newest modified first: ' + first);
    await page.click('#next-page');
    await page.waitForFunction(() => document.getElementById('count') && document.getElementById('count').dataset.position === '11');
    assert((await dates())[0] <= first[9], 'the second page continues the order');
    await page.click('#prev-page');
    await page.waitForFunction(() => document.getElementById('count') && document.getElementById('count').dataset.position === '1');
    assert(JSON.stringify(await dates()) === JSON.stringify(first), 'back to the same first page');
    // bulk selection across pages, exported as a STIX bundle the browser saves
    const picked = await page.$$eval('#objects tbody tr', (els) => els.slice(0, 2).map((e) => e.dataset.id));
    for (const id of picked) await page.check(`tr[data-id="${id}"] input.pick`);
    await page.click('#next-page');
    await page.waitForFunction(() => document.getElementById('count') && document.getElementById('count').dataset.position === '11');
    const third = await page.$eval('#objects tbody tr', (e) => e.dataset.id);
    await page.check(`tr[data-id="${third}"] input.pick`);
    assert((await page.textContent('#export-selected')).includes('3'), 'three chosen');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-selected')]);
    const bundle = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert(bundle.type === 'bundle' && /^bundle--/.test(bundle.id) &&
      JSON.stringify(bundle.objects.map((o) => o.id).sort()) === JSON.stringify([...picked, third].sort()), 'the bundle holds the three: ' + JSON.stringify(bundle).slice(0, 200));
    await page.click('#clear-selected');
    assert(await page.$eval('#export-selected', (e) => e.disabled), 'cleared');
    await page.fill('#f-text', 'كتيبة ماسينا');
    await page.click('#f-apply');
    await page.waitForFunction(() => location.search.includes('text='));
    await page.waitForSelector(`tr[data-id="${w.obj.katiba.id}"]`);
    assert((await page.$$('#objects tbody tr')).length === 1, 'the Arabic name finds Katiba Macina only');
    await page.click('#f-reset');
    await page.waitForFunction(() => !location.search);
    await page.fill('#f-after', '2099-01-01');
    await page.click('#f-apply');
    await page.waitForSelector('.empty');
  });

  await step('create, edit and revoke through the forms; the server\'s refusal at its field (en, then ar)', async () => {
    await page.goto(s.base + '/collections/cells');
    await page.click('#new-object');
    await page.waitForSelector('#object-form');
    await page.click('#form-save');
    assert((await page.textContent('#fld-name-error')).includes('required'), 'the name is required, said at the field');
    await page.fill('#fld-name', 'Katiba Serma (كتيبة سرما)');
    await page.fill('#fld-aliases', 'كتيبة سرما\nSerma');
    // the live preview: asked of the gate for the object as the form says it, before sending
    const reason = (name) => page.$eval(`#audience-preview [data-partner="${name}"]`, (e) => e.dataset.reason || 'visible').catch(() => null);
    await page.waitForSelector('#audience-preview [data-partner="Sahel"]');
    assert(await reason('Sahel') === 'clearance', 'amber by default: not Sahel');
    await page.selectOption('#fld-tlp', 'green');
    await page.waitForFunction(() => { const e = document.querySelector('#audience-preview [data-partner="Sahel"]'); return e && !e.dataset.reason; });
    await page.selectOption('#fld-tlp', 'red');
    await page.waitForFunction(() => { const e = document.querySelector('#audience-preview [data-partner="Paris"]'); return e && e.dataset.reason === 'marking'; });
    await page.selectOption('#fld-tlp', 'green');
    await page.waitForFunction(() => { const e = document.querySelector('#audience-preview [data-partner="Sahel"]'); return e && !e.dataset.reason; });
    await page.click('#form-save');
    await page.waitForSelector('#obj-audience');
    const made = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
    assert((await page.textContent('#obj-title')).includes('Katiba Serma'), 'created and shown');
    assert(await page.$('#obj-audience [data-partner="Sahel"]:not([data-reason])'), 'a green object reaches Sahel');
    await page.click('#edit-object');
    await page.waitForSelector('#fld-description');
    await page.fill('#fld-description', 'Active around Serma since 2024.');
    await page.selectOption('#fld-tlp', 'amber');
    await page.click('#form-save');
    await page.waitForSelector('#versions li:nth-child(2)');
    // amber now: the gate still gives Sahel the green version it had, and says so
    const sahel = await page.$eval('#obj-audience [data-partner="Sahel"]', (e) => [e.dataset.reason || 'visible', e.dataset.latest, e.textContent]);
    assert(sahel[0] === 'visible' && sahel[1] === 'false' && sahel[2].includes('an older version'), 'Sahel keeps the older version: ' + sahel);
    assert((await page.$eval('#obj-audience [data-partner="US"]', (e) => e.dataset.latest)) === 'true', 'the US gets the new one');
    // an indicator whose pattern the server refuses: its words at the field, nothing stored
    const before = (await s.api('GET', '/liaison/browse/cells?type=indicator')).json.total;
    await page.goto(s.base + '/collections/cells/new?type=indicator');
    await page.waitForSelector('#fld-pattern');
    await page.fill('#fld-pattern', "[ipv4-addr:value = '10.0.0.1'");
    await page.fill('#fld-valid_from', '2026-01-01');
    await page.click('#form-save');
    await page.waitForSelector('#fld-pattern-error .server-words');
    assert((await s.api('GET', '/liaison/browse/cells?type=indicator')).json.total === before, 'nothing stored');
    // revoke: a new version that says so
    page.once('dialog', (d) => d.accept());
    await page.goto(s.base + `/collections/cells/objects/${made}/edit`);
    await page.click('#form-revoke');
    await page.waitForSelector('.revoked');
    await presetLang(page, 'ar');
    await page.goto(s.base + '/collections/cells/new?type=relationship');
    await page.waitForSelector('#fld-source_ref');
    assert((await page.textContent('#form-title')).includes('عنصر جديد') && (await page.textContent('#object-form')).includes('(مطلوب)'), 'the form in Arabic');
    await presetLang(page, 'en');
  });

  await step('a flow through its form: what moves, from where to where; a non-location end refused at its field', async () => {
    const flows = async () => (await s.api('GET', '/liaison/browse/cells?type=liaison-flow')).json.total;
    const before = await flows();
    await page.goto(s.base + '/collections/cells/new?type=liaison-flow');
    await page.waitForSelector('#fld-commodities');
    await page.click('#form-save');
    assert((await page.textContent('#fld-commodities-error')).includes('required'), 'what moves is required, said at the field');
    assert((await page.textContent('#fld-from_ref-error')).includes('required'), 'where from is required');
    await page.fill('#fld-name', 'Weapons and fighters, Algeria to Mali');
    await page.selectOption('#fld-commodities', ['weapons', 'fighters']);
    const pick = async (key, id) => {
      await page.fill(`#fld-${key}-q`, id);
      await page.press(`#fld-${key}-q`, 'Enter');
      await page.waitForSelector(`#fld-${key}-chosen li[data-id="${id}"]`);
    };
    await pick('from_ref', w.obj.aqim.id); // a threat actor is not a place
    await pick('to_ref', w.obj.mali.id);
    await page.fill('#fld-estimate', '40');
    await page.fill('#fld-estimate-unit', 'rifles');
    await page.selectOption('#fld-tlp', 'green');
    await page.click('#form-save');
    await page.waitForSelector('#fld-from_ref-error .server-words');
    assert(await flows() === before, 'nothing stored');
    await page.click(`#fld-from_ref-chosen li[data-id="${w.obj.aqim.id}"] button.remove`);
    await pick('from_ref', w.obj.algeria.id);
    await page.click('#form-save');
    await page.waitForSelector('#obj-audience');
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
    const o = (await s.api('GET', `/taxii2/default/collections/cells/objects/${id}/`)).json.objects[0];
    assert(o.type === 'liaison-flow' && o.from_ref === w.obj.algeria.id && o.to_ref === w.obj.mali.id, 'the flow as the form said: ' + JSON.stringify(o));
    assert(JSON.stringify(o.commodities) === JSON.stringify(['weapons', 'fighters']), 'what moves: ' + o.commodities);
    assert(o.estimate && o.estimate.quantity === 40 && o.estimate.unit === 'rifles', 'the estimate: ' + JSON.stringify(o.estimate));
    assert(Object.values(o.extensions || {}).some((e) => e.extension_type === 'new-sdo'), 'it names its definition');
    const edges = (await s.api('GET', '/liaison/flows?into=ML')).json.edges || [];
    assert(edges.some((e) => e.from === 'country-dz' && e.what === 'weapons'), 'the flows query counts it: ' + JSON.stringify(edges.slice(0, 3)));
    await shot(page, '19-flow-created');
  });

  await step('an object shows its properties and every version', async () => {
    await page.goto(s.base + `/collections/cells/objects/${w.obj.report1.id}`);
    await page.waitForSelector('#versions li');
    const versions = await page.$$eval('#versions li', (els) => els.map((e) => e.dataset.version));
    assert(versions.length === 2, 'two versions: ' + versions);
    assert((await page.textContent('#obj-grading')).includes('B2'), 'grading shown');
    assert((await page.textContent('#obj-markings')).includes('TLP:AMBER'), 'marking shown');
    assert((await page.textContent('#card')).includes('وأكدت السلطات'), 'the latest description');
    await shot(page, '04-object');
    await page.click('#versions li:not(.current) a');
    await page.waitForFunction(() => location.search.includes('version='));
    await page.waitForSelector('#versions li.current');
    const props = await page.textContent('#card');
    assert(!props.includes('وأكدت السلطات') && props.includes('أعلنت الجزائر'), 'the older version is shown');
  });

  await step('the graph opens on an actor and expands on a click', async () => {
    await page.goto(s.base + `/collections/cells/graph/${w.obj.aqim.id}`);
    const first = await graphNodes(page, 3);
    for (const id of [w.obj.aqim.id, w.obj.mali.id, w.obj.isgs.id, w.obj.report1.id, w.obj.redCell.id])
      assert(first.includes(id), 'first ring holds ' + id + ': ' + first);
    assert(!first.includes(w.obj.usReport.id), 'the US report is two steps away');
    // Click ISGS where Cytoscape drew it: its neighbourhood (the US report) appears.
    const pos = await page.evaluate((id) => {
      const g = document.getElementById('graph');
      const p = g.cy.getElementById(id).renderedPosition();
      const r = g.getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y };
    }, w.obj.isgs.id);
    await page.mouse.click(pos.x, pos.y);
    await page.waitForFunction((id) => document.getElementById('graph').cy.getElementById(id).nonempty(), w.obj.usReport.id);
    await page.waitForSelector(`#graph-detail`);
    assert((await page.textContent('#graph-detail')).includes('Islamic State in the Greater Sahara'), 'the clicked node is detailed');
    // and from the list beside the graph
    await page.click(`#graph-nodes li[data-id="${w.obj.report1.id}"] button.expand`);
    await page.waitForSelector(`#graph-nodes li[data-id="${w.obj.report1.id}"] .muted`);
    await page.waitForSelector(`#graph-nodes li[data-id="${w.obj.algeria.id}"]`);
    await page.waitForTimeout(300);
    await shot(page, '05-graph');
  });

  await step('Arabic: right-to-left, Arabic-Indic digits, remembered', async () => {
    await page.goto(s.base + '/collections/cells');
    await page.waitForSelector('#objects');
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.documentElement.lang === 'ar');
    await page.waitForSelector('#objects tbody tr');
    const dir = await page.evaluate(() => ({ doc: document.dir, main: getComputedStyle(document.getElementById('main')).direction, table: getComputedStyle(document.getElementById('objects')).direction }));
    assert(dir.doc === 'rtl' && dir.main === 'rtl' && dir.table === 'rtl', 'rtl: ' + JSON.stringify(dir));
    const dates = await page.$$eval('td.date time', (els) => els.map((e) => e.textContent));
    assert(dates.length > 0 && dates.every((d) => /[٠-٩]/.test(d) && !/[0-9]/.test(d)), 'Arabic-Indic digits in dates: ' + dates.slice(0, 3));
    const count = await page.textContent('#count');
    assert(/[٠-٩]/.test(count) && !/[0-9]/.test(count), 'Arabic-Indic digits in counts: ' + count);
    assert((await page.textContent('header')).includes('مسؤول محلي'), 'the role in Arabic');
    // The table's first column is on the right in RTL.
    const [th1, th2] = await page.$$eval('#objects thead th', (els) => els.slice(0, 2).map((e) => e.getBoundingClientRect().left));
    assert(th1 > th2, 'columns run right to left');
    await shot(page, '06-objects-ar');
    await page.reload();
    await page.waitForSelector('#objects tbody tr');
    assert(await page.evaluate(() => document.dir) === 'rtl', 'Arabic remembered after a reload');
    await page.goto(s.base + `/collections/cells/objects/${w.obj.report1.id}`);
    await page.waitForSelector('#versions li');
    await shot(page, '07-object-ar');
    await page.goto(s.base + `/collections/cells/graph/${w.obj.aqim.id}`);
    await graphNodes(page, 3);
    await page.waitForTimeout(300);
    await shot(page, '08-graph-ar');
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.dir === 'ltr');
  });

  await step('sign out forgets the token', async () => {
    await page.click('#sign-out');
    await page.waitForSelector('#token');
    assert(await page.evaluate(() => sessionStorage.getItem('liaison.token')) === null, 'token dropped');
  });

  await step('a partner sees its role, clearance and trust, and only its collections', async () => {
    await signIn(page, s.base, w.tokens.US);
    const role = await page.textContent('#role');
    assert(role.includes('Partner') && role.includes('US') && role.includes('TLP:AMBER') && role.includes('B'), 'role: ' + role);
    await page.waitForSelector('#collections li');
    const titles = await page.$$eval('#collections .card-title', (els) => els.map((e) => e.textContent));
    // the cells, and the requests collection `rfi new` shared with it; not the Sahel picture
    assert(titles.length === 2 && titles.includes('Dismantled recruitment cells') && titles.includes('Requests for information'), 'US sees its collections: ' + titles);
    await page.click('text=Dismantled recruitment cells');
    await page.waitForSelector('#objects tbody tr');
    const text = await page.textContent('#objects');
    assert(text.includes('REL TO US') && !text.includes('TLP:RED'), 'US sees its REL TO object and nothing red');
    await shot(page, '09-partner-objects');
    await page.click('#sign-out');
  });

  await step('no token in any URL, no CSP violation, no script error', async () => {
    for (const u of seen.urls) for (const tok of allTokens) assert(!u.includes(tok) && !u.includes(tok.split('.')[1]), 'token in a URL: ' + u);
    assert(seen.problems.filter((p) => !/401|Unauthorized/.test(p)).length === 0, 'console problems:\n' + seen.problems.join('\n'));
  });
});
