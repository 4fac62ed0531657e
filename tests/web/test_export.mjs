// The signed export of the collection page (issue 21.3): the administrator ticks rows on two
// pages, picks the green partner Sahel, sees the preview say how many it will receive and
// that the others are withheld and why (above its clearance, markings that do not name it),
// downloads the signed file (a browser download), and a second instance that knows this
// one's key imports it: exactly the versions Sahel's gate releases. The panel in Arabic on a
// phone: words, no horizontal scrolling, no critical or serious axe finding. A partner and a
// read-only administrator do not see the control.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run, shot, signIn, step, assert, cli, presetLang, axe, widths, PHONE, DESKTOP } from './lib.mjs';

const lastLine = (x) => x.trim().split('\n').pop().trim();

await run(import.meta.url, async ({ s, w, page, seen }) => {
  const o = w.obj;
  // What may be chosen, and what Sahel (clearance green, reads the cells) is given of it.
  const sendable = new Set([o.aqim.id, o.algeria.id, o.mali.id, o.katiba.id, o.jnim.id]);
  const why = { [o.redCell.id]: 'marking', [o.redRel.id]: 'marking', [o.usOnly.id]: 'marking', [o.report2.id]: 'clearance' };
  const picked = [];

  const pickHere = async () => {
    const ids = await page.$$eval('#objects tbody tr', (els) => els.map((e) => e.dataset.id));
    const mine = ids.filter((id) => sendable.has(id) || why[id]).slice(0, 4);
    for (const id of mine) await page.check(`tr[data-id="${id}"] input.pick`);
    picked.push(...mine);
    return mine.length;
  };

  await step('the administrator selects rows on two pages', async () => {
    await signIn(page, s.base, w.tokens.admin);
    // newest first: the amber report's second version (above Sahel's clearance) leads page 1
    await page.goto(s.base + '/collections/cells?per=10&sort=modified_desc');
    await page.waitForSelector('#objects tbody tr');
    assert(await page.$('#signed-export'), 'the signed export is offered to an administrator');
    assert(await page.$eval('#export-signed', (e) => e.disabled), 'nothing chosen yet: disabled');
    const first = await pickHere();
    await page.click('#next-page');
    await page.waitForFunction(() => document.getElementById('count') && document.getElementById('count').dataset.position === '11');
    const second = await pickHere();
    assert(first > 0 && second > 0, `rows chosen on both pages: ${first} + ${second}`);
    assert(picked.some((id) => sendable.has(id)) && picked.some((id) => why[id] === 'clearance') &&
      picked.some((id) => why[id] === 'marking'), 'some releasable, some above the clearance, some not named: ' + picked);
  });

  const expectSent = () => picked.filter((id) => sendable.has(id));
  let file;
  await step('the preview says what Sahel receives and what is withheld, and why; then the file', async () => {
    await page.selectOption('#export-for', 'Sahel');
    await page.click('#export-signed');
    const li = await page.waitForSelector('#export-preview li[data-partner="Sahel"]');
    const [n, held] = await li.evaluate((e) => [Number(e.dataset.objects), Number(e.dataset.withheld)]);
    assert(n === expectSent().length && held === picked.length - n, `preview ${n} sent, ${held} withheld; picked ${picked.length}`);
    const text = await li.textContent();
    const clearance = picked.filter((id) => why[id] === 'clearance').length;
    const marking = picked.filter((id) => why[id] === 'marking').length;
    assert(text.includes(`${n} of ${picked.length} selected will be sent to`) && text.includes(`${held} withheld`), 'summary: ' + text);
    assert(text.includes(`${clearance} above its clearance`), 'clearance said: ' + text);
    assert(text.includes(`${marking} whose markings do not name it`), 'markings said: ' + text);
    await shot(page, '60-signed-export-preview');
    const [download] = await Promise.all([page.waitForEvent('download'),
      page.click('#export-preview .export-download[data-partner="Sahel"]')]);
    assert(/^Sahel-\d{4}-\d{2}-\d{2}\.bundle$/.test(download.suggestedFilename()), 'file name: ' + download.suggestedFilename());
    file = readFileSync(await download.path());
    await page.waitForSelector('.export-done');
    const head = JSON.parse(file.subarray(0, file.indexOf(10)).toString());
    const bundle = JSON.parse(file.subarray(file.indexOf(10) + 1, file.indexOf(10) + 1 + head.bytes).toString());
    const ids = bundle.objects.map((x) => x.id).sort();
    assert(JSON.stringify(ids) === JSON.stringify(expectSent().sort()), 'the file holds what Sahel may receive: ' + ids);
    assert(head.recipient === w.partners.Sahel, 'for Sahel');
    for (const x of w.redStrings) assert(!file.toString().includes(x), 'nothing red in the file: ' + x);
  });

  await step('another instance that knows our key imports exactly those', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'liaison-web-peer-'));
    try {
      const data = path.join(tmp, 'data');
      cli('init', '--data', data);
      cli('partner', 'add', '--data', data, '--name', 'Algiers', '--clearance', 'red');
      cli('partner', 'key', '--data', data, '--partner', 'Algiers', '--set', lastLine(cli('key', 'show', '--data', s.data)));
      const into = lastLine(cli('collection', 'add', '--data', data, '--title', 'From Algiers'));
      const bundlePath = path.join(tmp, 'sahel.bundle');
      writeFileSync(bundlePath, file);
      const out = cli('import', '--data', data, '--into', into, bundlePath);
      assert(out.includes(`${expectSent().length} new`), 'import: ' + out);
      const again = cli('import', '--data', data, '--into', into, bundlePath);
      assert(again.includes('0 new'), 'twice: nothing new: ' + again);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  await step('a sharing group: one line and one file per member', async () => {
    cli('group', 'add', '--data', s.data, '--name', 'Sahel circle');
    for (const p of ['Sahel', 'Paris']) cli('group', 'member', 'add', '--data', s.data, '--group', 'Sahel circle', '--partner', p);
    await page.reload();
    await page.waitForSelector('#objects tbody tr');
    await pickHere();
    await page.waitForSelector('#export-for optgroup option[value="Sahel circle"]', { state: 'attached' });
    await page.selectOption('#export-for', 'Sahel circle');
    await page.click('#export-signed');
    await page.waitForSelector('#export-preview li[data-partner="Paris"]');
    const lines = await page.$$eval('#export-preview li', (els) => els.map((e) => [e.dataset.partner, Number(e.dataset.objects)]));
    assert(lines.length === 2 && lines[0][0] === 'Sahel' && lines[1][1] > lines[0][1], 'Paris (red) gets more than Sahel: ' + JSON.stringify(lines));
    const [download] = await Promise.all([page.waitForEvent('download'),
      page.click('#export-preview .export-download[data-partner="Paris"]')]);
    assert(download.suggestedFilename().startsWith('Paris-'), 'Paris gets its own file: ' + download.suggestedFilename());
    await page.click('#clear-selected');
  });

  await step('the panel in Arabic on a phone: words, 360 px, axe', async () => {
    await presetLang(page, 'ar');
    await page.setViewportSize(PHONE);
    await page.goto(s.base + '/collections/cells?per=10');
    await page.waitForSelector('#objects tbody tr');
    await page.check(`tr[data-id="${o.aqim.id}"] input.pick`);
    await page.selectOption('#export-for', 'Sahel');
    await page.click('#export-signed');
    const li = await page.waitForSelector('#export-preview li[data-partner="Sahel"]');
    const text = await li.textContent();
    assert(text.includes('سيُرسَل') && text.includes('لم يُحجب شيء'), 'Arabic summary: ' + text);
    const wd = await widths(page);
    assert(wd.scroll <= wd.inner, `${wd.scroll} px wide at ${wd.inner}: ${wd.over}`);
    const bad = (await axe(page)).filter((v) => v.impact === 'critical' || v.impact === 'serious');
    assert(!bad.length, 'axe: ' + JSON.stringify(bad));
    await shot(page, '61-signed-export-ar-phone');
    await presetLang(page, 'en');
    await page.setViewportSize(DESKTOP);
  });

  await step('a REL TO definition is at TLP:CLEAR in the list, and chosen alone it is sent as it is', async () => {
    await page.goto(s.base + '/collections/cells?type=marking-definition');
    await page.waitForSelector('#objects tbody tr');
    const defs = await page.$$eval('#objects tbody tr', (els) => els.map((e) => [e.dataset.id, (e.querySelector('.tlp') || {}).dataset]));
    assert(defs.length > 0 && defs.every(([id, d]) => id.startsWith('marking-definition--') && d && d.tlp === 'clear'),
      'definitions at CLEAR, never the collection default: ' + JSON.stringify(defs));
    const def = defs[0][0];
    await page.check(`tr[data-id="${def}"] input.pick`);
    await page.selectOption('#export-for', 'Paris');
    await page.click('#export-signed');
    const li = await page.waitForSelector('#export-preview li[data-partner="Paris"]');
    const text = await li.textContent();
    assert(!/not in this collection/.test(text), 'a definition (no modified) is found: ' + text);
    await page.click('#clear-selected');
  });

  await step('the ticks survive a filter and a language switch, not another sign-in', async () => {
    await page.goto(s.base + '/collections/cells?per=10');
    await page.waitForSelector('#objects tbody tr');
    await page.check(`tr[data-id="${o.aqim.id}"] input.pick`);
    await page.selectOption('#f-per', '50');
    await page.click('#f-apply');
    await page.waitForSelector(`tr[data-id="${o.aqim.id}"] input.pick:checked`);
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.documentElement.lang === 'ar');
    assert(await page.isChecked(`tr[data-id="${o.aqim.id}"] input.pick`), 'still ticked in Arabic');
    assert(!(await page.$eval('#export-selected', (e) => e.disabled)), 'the export still has it');
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert((await page.textContent('#export-selected')).includes('1'), 'one chosen: ' + await page.textContent('#export-selected'));
  });

  await step('a partner and a read-only administrator do not see the control', async () => {
    const ro = lastLine(cli('token', 'issue', '--data', s.data, '--admin', '--read-only'));
    for (const tok of [w.tokens.Sahel, ro]) {
      await page.evaluate(() => sessionStorage.clear());
      await signIn(page, s.base, tok);
      await page.goto(s.base + '/collections/cells');
      await page.waitForSelector('#objects tbody tr');
      assert(await page.$('#export-selected'), 'the plain export stays');
      assert(await page.$eval('#export-selected', (e) => e.disabled), 'another sign-in inherits no ticks');
      assert(!(await page.$('#signed-export')), 'no signed export for this token');
    }
    assert(!seen.problems.length, 'no script errors or CSP violations: ' + seen.problems);
  });
});
