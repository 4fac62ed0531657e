// The flows map (docs/flows.md) in the real browser: the story posted into the seeded
// world (this service: weapons and fighters Libya -> northern Mali graded B2, TLP:GREEN;
// money through Niger graded C3, TLP:AMBER; the US partner: fighters Libya -> Mali graded A2).
// The administrator's map "into the Sahel" draws exactly the edges of GET /liaison/flows, the
// fighters arrow with two sources; a click lists the reports and sources behind it; the
// filters narrow it; the Arabic interface labels places in Arabic; axe-core finds nothing
// critical or serious in either language; nothing is wider than a phone. The Sahel partner
// (clearance green) sees only the edges it may see: no money edge, and the money flow's id is
// in no response its browser received.
import { createHash } from 'node:crypto';
import { run, signIn, step, assert, presetLang, axe, widths, shot, PHONE, DESKTOP, TLP } from './lib.mjs';

const FLOW_EXT = 'extension-definition--b708057e-3178-4c8c-a463-32ad8e683cd7';
const GRADING = 'extension-definition--79cbf8a2-1d41-4b10-9682-2577872b23b7';
const T = '2026-03-02T09:30:00.000Z';

// intake's ids: UUIDv5 (namespace 8e4b2f61-0c3d-4a97-b51e-6a70d239c45f) of the gazetteer key
function uuid5(name) {
  const ns = Buffer.from('8e4b2f610c3d4a97b51e6a70d239c45f', 'hex');
  const b = createHash('sha1').update(Buffer.concat([ns, Buffer.from(name)])).digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = b.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
const rid = () => crypto.randomUUID();
const place = (key, name, country, extra) => ({ type: 'location', spec_version: '2.1', id: 'location--' + uuid5(key), created: T, modified: T, name, country, ...extra });
function flow(what, from, to, grade, extra) {
  return { type: 'liaison-flow', spec_version: '2.1', id: 'liaison-flow--' + rid(), created: T, modified: T, commodities: what,
    from_ref: from.id, to_ref: to.id, first_seen: '2026-02-01T00:00:00Z', last_seen: '2026-03-01T00:00:00Z',
    extensions: { [FLOW_EXT]: { extension_type: 'new-sdo' },
      [GRADING]: { extension_type: 'property-extension', scale: 'admiralty', source_reliability: grade[0], information_credibility: grade[1] } },
    ...extra };
}

const arrows = (page) => page.$$eval('#map-svg .map-edge', (els) => els.map((e) => ({ what: e.dataset.what, from: e.dataset.from, to: e.dataset.to, reports: +e.dataset.reports, sources: +e.dataset.sources })));
const key = (e) => `${e.from}|${e.to}|${e.what}`;

await run(import.meta.url, async ({ s, w, page, seen }) => {
  const me = (await s.api('GET', '/liaison/whoami')).json.identity;
  const green = { object_marking_refs: [TLP.green] };
  const libya = place('country-ly', 'Libya', 'LY', green);
  const nmali = place('region-northern-mali', 'northern Mali', 'ML', green);
  const niger = place('country-ne', 'Niger', 'NE', green);
  const wf = flow(['weapons', 'fighters'], libya, nmali, 'B2', { created_by_ref: me, ...green });
  const money = flow(['money'], libya, nmali, 'C3', { created_by_ref: me, via_refs: [niger.id], object_marking_refs: [TLP.amber] });
  await s.post('cells', [libya, nmali, niger, wf, money]);
  const usLibya = { type: 'location', spec_version: '2.1', id: 'location--' + rid(), created: T, modified: T, name: 'Libya', country: 'LY', ...green };
  const usFighters = flow(['fighters'], usLibya, w.obj.mali, 'A2', green);
  await s.post('cells', [usLibya, usFighters], w.tokens.US);

  const check = async (name, lang) => {
    const bad = (await axe(page)).filter((v) => v.impact === 'critical' || v.impact === 'serious');
    assert(bad.length === 0, `${name} (${lang}): ` + JSON.stringify(bad));
  };

  await step('the administrator\'s map into the Sahel draws the edges of the flows query', async () => {
    await signIn(page, s.base, w.tokens.admin);
    await presetLang(page, 'en');
    await page.setViewportSize(DESKTOP);
    await page.goto(s.base + '/map?into=region-sahel');
    await page.waitForSelector('#map-svg .map-edge');
    const api = (await s.json('GET', '/liaison/flows?into=region-sahel')).json;
    const drawn = await arrows(page);
    assert(drawn.map(key).sort().join() === api.edges.map(key).sort().join(), 'drawn: ' + JSON.stringify(drawn));
    assert(drawn.length === 3, 'weapons, fighters, money: ' + drawn.length);
    const fighters = drawn.find((e) => e.what === 'fighters');
    assert(fighters.from === 'country-ly' && fighters.to === 'country-ml' && fighters.sources === 2 && fighters.reports === 2, JSON.stringify(fighters));
    assert(drawn.find((e) => e.what === 'weapons').sources === 1, 'weapons: one source');
    const wide = await page.$eval('.map-edge[data-what="fighters"] path', (p) => +p.getAttribute('stroke-width'));
    const thin = await page.$eval('.map-edge[data-what="weapons"] path', (p) => +p.getAttribute('stroke-width'));
    assert(wide > thin, 'width follows the number of reports');
    const colours = await page.$$eval('#map-svg .map-edge path', (ps) => new Set(ps.map((p) => p.getAttribute('stroke'))).size);
    assert(colours === 3, 'colour follows what moves');
    const labels = await page.$$eval('.map-place text', (ts) => ts.map((x) => x.textContent));
    assert(labels.includes('Libya') && labels.includes('Mali'), 'labels: ' + labels);
    await check('map', 'en');
    await shot(page, '60-map-admin-en');
  });

  await step('a click on an arrow lists the reports and sources behind it', async () => {
    // a click on the arrow itself: the middle of its curve
    const at = await page.$eval('.map-edge[data-what="fighters"] path', (p) => {
      const pt = p.getPointAtLength(p.getTotalLength() / 2).matrixTransform(p.getScreenCTM());
      return { x: pt.x, y: pt.y };
    });
    await page.mouse.click(at.x, at.y);
    await page.waitForSelector('#map-details:not([hidden]) #map-reports li');
    const ids = await page.$$eval('#map-reports a', (as) => as.map((a) => a.dataset.id));
    assert(ids.sort().join() === [wf.id, usFighters.id].sort().join(), 'reports: ' + ids);
    const sources = await page.$$eval('#map-sources li', (ls) => ls.map((l) => l.dataset.source));
    assert(sources.sort().join() === [me, w.partners.US].sort().join(), 'sources: ' + sources);
    assert((await page.textContent('#map-sources')).includes('US'), 'the partner is named for the administrator');
    await check('map details', 'en');
    // the keyboard opens it too, from the table's button
    await page.goto(s.base + '/map?into=region-sahel');
    await page.waitForSelector('#map-edges tr[data-what="weapons"] .map-open');
    await page.focus('#map-edges tr[data-what="weapons"] .map-open');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#map-details:not([hidden]) #map-reports li');
    assert((await page.$$eval('#map-reports a', (as) => as.map((a) => a.dataset.id))).join() === wf.id, 'the weapons report');
    // and its link opens the object's page
    await page.click(`#map-reports a[data-id="${wf.id}"]`);
    await page.waitForFunction((id) => location.pathname.endsWith(encodeURIComponent(id)), wf.id);
  });

  await step('filters: what, grading, since and source narrow the map', async () => {
    await page.goto(s.base + '/map?into=region-sahel');
    await page.waitForSelector('#map-filters select#map-what');
    await page.selectOption('#map-what', 'weapons');
    await page.click('#map-apply');
    await page.waitForFunction(() => location.search.includes('what=weapons'));
    await page.waitForSelector('#map-count');
    assert((await arrows(page)).map((e) => e.what).join() === 'weapons', 'only weapons');
    await page.goto(s.base + '/map?min_grade=A2');
    await page.waitForSelector('#map-count');
    assert((await arrows(page)).map((e) => `${e.what}:${e.reports}`).join() === 'fighters:1', 'graded A2 at least');
    await page.goto(s.base + '/map?since=2026-03-02T00:00:00Z');
    await page.waitForSelector('#map-empty');
    await page.goto(s.base + '/map');
    await page.waitForSelector('#map-source');
    await page.selectOption('#map-source', w.partners.US);
    await page.click('#map-apply');
    await page.waitForFunction(() => location.search.includes('source='));
    await page.waitForSelector('#map-count');
    assert((await arrows(page)).map((e) => e.what).join() === 'fighters', 'the US reported fighters only');
  });

  await step('the Arabic interface labels places in Arabic; axe clean; fits a phone', async () => {
    await presetLang(page, 'ar');
    await page.goto(s.base + '/map?into=region-sahel');
    await page.waitForSelector('#map-svg .map-edge');
    const labels = await page.$$eval('.map-place text', (ts) => ts.map((x) => x.textContent));
    assert(labels.includes('ليبيا') && labels.includes('مالي'), 'Arabic labels: ' + labels);
    assert((await page.textContent('#map-edges')).includes('مقاتلون'), 'commodities in Arabic');
    await check('map', 'ar');
    await shot(page, '61-map-admin-ar');
    for (const lang of ['ar', 'en']) {
      await presetLang(page, lang);
      await page.setViewportSize(PHONE);
      await page.goto(s.base + '/map?into=region-sahel');
      await page.waitForSelector('#map-svg .map-edge');
      const wd = await widths(page);
      assert(wd.scroll <= wd.inner, `${lang}: ${wd.scroll} px wide at ${wd.inner}: ${wd.over.join(', ')}`);
      await check('map phone', lang);
    }
    await page.setViewportSize(DESKTOP);
  });

  await step('the Sahel partner (green) sees only the edges it may see', async () => {
    seen.bodies.length = 0;
    await page.evaluate(() => sessionStorage.clear()); // signed out: the token lives in the tab
    await signIn(page, s.base, w.tokens.Sahel);
    await page.goto(s.base + '/map?into=region-sahel');
    await page.waitForSelector('#map-svg .map-edge');
    const api = (await s.json('GET', '/liaison/flows?into=region-sahel', w.tokens.Sahel)).json;
    const drawn = await arrows(page);
    assert(drawn.map(key).sort().join() === api.edges.map(key).sort().join(), 'the partner\'s own edges');
    assert(drawn.map((e) => e.what).sort().join() === 'fighters,weapons', 'no money edge: ' + JSON.stringify(drawn));
    await page.goto(s.base + '/map?what=money');
    await page.waitForSelector('#map-empty');
    for (const b of seen.bodies) assert(!b.body.includes(money.id), 'the money flow reached the partner: ' + b.url);
    await check('map partner', 'en');
    await shot(page, '62-map-partner');
  });
});
