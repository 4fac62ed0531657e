// Requests for information in the pages, end to end: the US partner sends this instance a
// request (POST /liaison/rfi with its own token); the admin sees it in the incoming inbox
// with its status, due date, priority and the partner's trust, opens it, answers with text
// and a referenced object the requester may see, and the status becomes answered; a new
// request with a past due date is refused plainly, a good one is sent; the US partner signs
// in, sees the answer (and the referenced object opens for it), and closes the request; the
// inbox in Arabic is right-to-left with Arabic-Indic digits. A request the addressee will
// never receive (TLP:AMBER to a partner cleared for green; TLP:RED, which names no recipient)
// is warned about before sending, needs a tick to be sent anyway, and stays flagged on the
// list and on its page, in English at a desktop width and in Arabic on a phone.
// Screenshots: 20-29.
import { run, shot, signIn, step, assert, cli, presetLang, DESKTOP, PHONE_WIDE } from './lib.mjs';

await run(import.meta.url, async ({ s, w, page, seen }) => {
  cli('collection', 'add', '--data', s.data, '--title', 'Requests for information', '--alias', 'rfi');
  cli('grant', '--data', s.data, '--collection', 'rfi', '--partner', 'US', '--read', '--write');
  const me = (await s.json('GET', '/liaison/whoami')).json;
  const subject = 'Recruitment cells dismantled in 2025 — طلب معلومات';
  const due = new Date(Date.now() + 20 * 86400e3).toISOString().slice(0, 10) + 'T23:59:59.000Z';
  const sent = await s.json('POST', '/liaison/rfi', w.tokens.US, {
    to: me.identity, subject, collection: 'rfi', priority: 'priority', due, marking: 'amber',
    questions: ['Names and aliases of the cell leaders?', 'ما هي صلات الخلايا بتنظيم القاعدة في بلاد المغرب الإسلامي؟'],
    about: [w.obj.aqim.id],
  });
  assert(sent.status === 201, 'the US partner sends a request: ' + JSON.stringify(sent));
  const rid = sent.json.id;


  await step('the admin sees the incoming request in the inbox', async () => {
    await signIn(page, s.base, w.tokens.admin);
    await page.click('nav a[href="/inbox"]');
    await page.waitForSelector(`#rfis tr[data-id="${rid}"]`);
    const row = await page.textContent(`#rfis tr[data-id="${rid}"]`);
    for (const want of ['Recruitment cells dismantled', 'Open', 'Priority', 'US', 'Trust B', 'TLP:AMBER', due.slice(0, 4)])
      assert(row.includes(want), `inbox row lacks "${want}": ${row}`);
    await shot(page, '20-inbox');
  });

  await step('the request shows its questions, the object it is about and the actions', async () => {
    await page.click(`#rfis tr[data-id="${rid}"] a.rfi-link`);
    await page.waitForSelector('#rfi-questions li');
    const qs = await page.$$eval('#rfi-questions li', (els) => els.map((e) => e.textContent));
    assert(qs.length === 2 && qs[1].includes('صلات الخلايا'), 'questions: ' + qs);
    assert((await page.textContent('#rfi-about')).includes('Al-Qaeda in the Islamic Maghreb'), 'about lists AQIM');
    assert((await page.textContent('#rfi-from')).includes('Trust B'), 'our trust in the requester');
    for (const f of ['#rfi-ack', '#rfi-answer', '#rfi-decline']) assert(await page.$(f), 'action ' + f);
    assert(!(await page.$('#rfi-close')), 'the addressee cannot close');
    await shot(page, '21-rfi-incoming');
  });

  await step('the admin answers with text and a referenced object: answered', async () => {
    await page.fill('#answer-text', 'Three cells were dismantled; their leaders and links are in the referenced actor. تم تفكيك ثلاث خلايا.');
    await page.fill('#answer-pick-q', 'AQIM');
    await page.click('#answer-pick-find');
    await page.click(`#answer-pick-results li[data-id="${w.obj.aqim.id}"] button.add`);
    await page.waitForSelector(`#answer-pick-chosen li[data-id="${w.obj.aqim.id}"]`);
    await page.click('#rfi-answer-submit');
    await page.waitForSelector('#rfi-status-value [data-status="answered"]');
    const resp = await page.textContent('#rfi-responses');
    assert(resp.includes('Three cells were dismantled') && resp.includes('Al-Qaeda in the Islamic Maghreb'), 'the response: ' + resp);
    await shot(page, '22-rfi-answered');
  });

  await step('a refused move is shown plainly; a new request is sent', async () => {
    await page.goto(s.base + '/inbox/new');
    await page.waitForSelector('#rfi-new-form');
    await page.selectOption('#new-to', w.partners.US);
    await page.fill('#new-subject', 'Travel of facilitators to Gao');
    await page.fill('#new-questions', 'Dates of travel?\nWho paid?');
    await page.selectOption('#new-priority', 'immediate');
    await page.fill('#new-due', '2020-01-01');
    await page.click('#new-submit');
    await page.waitForFunction(() => /Not accepted.*past/.test(document.getElementById('new-error').textContent));
    await shot(page, '23-rfi-new-refused');
    await page.fill('#new-due', new Date(Date.now() + 5 * 86400e3).toISOString().slice(0, 10));
    await page.click('#new-submit');
    await page.waitForSelector('#rfi-close');
    assert((await page.textContent('#rfi-to')).includes('US'), 'sent to US');
    assert(await page.$('#rfi-amend') && await page.$('#rfi-withdraw') && !(await page.$('#rfi-answer')), 'requester moves only');
    await page.goto(s.base + '/inbox?box=outgoing');
    await page.waitForSelector('#rfis tbody tr');
    assert((await page.textContent('#rfis')).includes('Immediate'), 'the outgoing list');
    await page.click('#sign-out');
    await page.waitForSelector('#token');
  });

  await step('the US partner sees the answer, opens the referenced object, closes the request', async () => {
    await signIn(page, s.base, w.tokens.US);
    await page.goto(s.base + '/inbox?box=outgoing');
    await page.waitForSelector(`#rfis tr[data-id="${rid}"][data-status="answered"]`);
    await page.click(`#rfis tr[data-id="${rid}"] a.rfi-link`);
    await page.waitForSelector('#rfi-responses');
    assert((await page.textContent('#rfi-responses')).includes('Three cells were dismantled'), 'the partner reads the answer');
    await shot(page, '24-rfi-partner-answered');
    await page.click('#rfi-close-submit');
    await page.waitForSelector('#rfi-status-value [data-status="closed"]');
    assert(!(await page.$('#rfi-actions')), 'no moves left on a closed request');
    await page.click(`#rfi-responses a.obj-link`);
    await page.waitForSelector('#card');
    assert(page.url().includes(w.obj.aqim.id) && page.url().includes('/collections/'), 'the ref opens in its collection: ' + page.url());
  });

  await step('a request the addressee will not receive: warned before, flagged after (both languages, 1280 and 390 px)', async () => {
    await page.click('#sign-out');
    await signIn(page, s.base, w.tokens.admin);
    const before = (await s.json('GET', '/liaison/rfi?box=outgoing')).json.rfis.length;
    const sent = [];
    for (const [lang, size, n] of [['en', DESKTOP, 27], ['ar', DESKTOP, 27], ['en', PHONE_WIDE, 28], ['ar', PHONE_WIDE, 28]]) {
      await page.setViewportSize(size);
      await presetLang(page, lang);
      await page.goto(s.base + '/inbox/new');
      await page.waitForSelector('#rfi-new-form');
      // US is cleared for amber: an amber request reaches it, no warning
      await page.selectOption('#new-to', w.partners.US);
      await page.selectOption('#new-marking', 'amber');
      assert(await page.$eval('#new-warning', (e) => e.hidden), 'no warning for a partner cleared for the marking');
      // Sahel is cleared for green: amber is warned about, in words naming both levels
      await page.selectOption('#new-to', w.partners.Sahel);
      await page.waitForSelector('#new-warning:not([hidden])');
      const warn = await page.textContent('#new-warning');
      assert(warn.includes('Sahel') && warn.includes('TLP:GREEN') && warn.includes('TLP:AMBER') && warn.includes(lang === 'ar' ? 'لن يصل' : 'will not reach'), 'the warning: ' + warn);
      await page.fill('#new-subject', `Convoys near Menaka ${lang} ${size.width}`);
      await page.fill('#new-questions', 'Routes?');
      await page.click('#new-submit');
      await page.waitForFunction(() => document.getElementById('new-error').textContent.length > 0);
      assert((await s.json('GET', '/liaison/rfi?box=outgoing')).json.rfis.length === before + sent.length, 'nothing sent without the tick');
      await shot(page, `${n}-rfi-warning-${lang}-${size.width}`);
      // green: no warning; red to a partner cleared for red: none either, a RED request names
      // its two parties as recipients (issue 27.6; before, it reached nobody)
      await page.selectOption('#new-marking', 'green');
      assert(await page.$eval('#new-warning', (e) => e.hidden), 'no warning at green');
      await page.selectOption('#new-to', w.partners.Paris);
      await page.selectOption('#new-marking', 'red');
      assert(await page.$eval('#new-warning', (e) => e.hidden), 'no warning for red to Paris, cleared red');
      // sent anyway: the request's page says it is not delivered, the list flags it
      await page.selectOption('#new-to', w.partners.Sahel);
      await page.selectOption('#new-marking', 'amber');
      await page.check('#new-anyway');
      await page.click('#new-submit');
      await page.waitForSelector('#rfi-undeliverable');
      const after = await page.textContent('#rfi-undeliverable');
      assert(after.includes('Sahel') && after.includes('TLP:GREEN'), 'flagged on its page: ' + after);
      const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
      const sahel = (await s.json('GET', '/liaison/rfi?box=incoming', w.tokens.Sahel)).json.rfis;
      assert(!sahel.some((x) => x.id === id), 'and indeed Sahel never receives it');
      await page.goto(s.base + '/inbox?box=outgoing');
      await page.waitForSelector(`#rfis tr[data-id="${id}"] [data-undeliverable]`);
      sent.push(id);
      const flagged = await page.$$eval('#rfis tr:has([data-undeliverable])', (els) => els.map((e) => e.dataset.id));
      assert(flagged.length === sent.length && sent.every((x) => flagged.includes(x)), 'only the requests Sahel cannot receive are flagged: ' + flagged);
      await shot(page, `${n}-rfi-undeliverable-list-${lang}-${size.width}`);
    }
    // a red request to a partner cleared red names it as recipient: not flagged, and received
    const red = await s.json('POST', '/liaison/rfi', null, { to: 'Paris', subject: 'Red to Paris', questions: ['q'], priority: 'routine', marking: 'red' });
    assert(red.status === 201, 'red request: ' + JSON.stringify(red.json));
    await page.goto(s.base + '/inbox/' + red.json.id);
    await page.waitForSelector('#rfi-questions, .rfi-questions, h1');
    assert(!(await page.$('#rfi-undeliverable')), 'a RED request naming Paris is not flagged');
    assert((await s.json('GET', '/liaison/rfi?box=incoming', w.tokens.Paris)).json.rfis.some((x) => x.id === red.json.id), 'Paris receives it');
    await shot(page, '29-rfi-red-delivered');
    await presetLang(page, 'en');
    await page.setViewportSize(DESKTOP);
    await page.click('#sign-out');
    await signIn(page, s.base, w.tokens.US);
  });

  await step('the inbox in Arabic is right-to-left with Arabic-Indic digits', async () => {
    await page.goto(s.base + '/inbox?box=outgoing');
    await page.waitForSelector('#rfis tbody tr');
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.documentElement.dir === 'rtl');
    await page.waitForSelector('#rfis tbody tr');
    const dir = await page.evaluate(() => getComputedStyle(document.getElementById('rfis')).direction);
    assert(dir === 'rtl', 'table direction ' + dir);
    const text = await page.textContent(`#rfis tr[data-id="${rid}"]`);
    assert(text.includes('مغلق') && /[\u0660-\u0669]/.test(text), 'Arabic status and digits: ' + text);
    const xs = await page.$$eval('#rfis thead th', (els) => els.map((e) => e.getBoundingClientRect().x));
    assert(xs[0] > xs[xs.length - 1], 'columns run right to left');
    await shot(page, '25-inbox-ar');
    await page.click(`#rfis tr[data-id="${rid}"] a.rfi-link`);
    await page.waitForSelector('#rfi-responses');
    await shot(page, '26-rfi-ar');
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.documentElement.dir === 'ltr');
  });

  await step('no script error, no CSP violation, no token in a URL', async () => {
    for (const tok of [w.tokens.admin, w.tokens.US]) assert(!seen.urls.some((u) => u.includes(tok.split('.')[1])), 'a token in a URL');
    assert(seen.problems.filter((p) => !/status of (403|404|422)/.test(p)).length === 0, 'console problems:\n' + seen.problems.join('\n'));
  });
});
