// The object page as an analyst reads it, in English and Arabic, at a desktop and a phone
// width: a card per type with its labels and vocabulary translated (no STIX key and no bare id
// left outside the raw JSON); names in both scripts; markings in words (TLP, named TLP:RED
// recipients, REL TO); the creator, our trust in it and the grading in words; the intake's
// mentions as highlighted passages of the source report (and the report's article with every
// mention highlighted, each a link); relationships in and out with the other side's type and
// name; what changed between two versions; the raw JSON behind a toggle. Then the graph: a
// legend, no node filled in a TLP colour, no two labels overlapping. Screenshots: 90-99.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { run, signIn, step, assert, cli, SOURCE, DESKTOP, PHONE_WIDE, presetLang, shot, graphNodes, TLP } from './lib.mjs';

const SHARED = process.env.LIAISON_SHARED || path.resolve(SOURCE, '..', 'shared');
const article = readFileSync(path.join(SHARED, 'samples', 'article-ar-algeria-us-rfi.txt'), 'utf8');
const lastLine = (x) => x.trim().split('\n').pop().trim();
const GRADING = 'extension-definition--79cbf8a2-1d41-4b10-9682-2577872b23b7';

await run(import.meta.url, async ({ s, w, page, seen }) => {
  const O = w.obj;
  const press = lastLine(cli('collection', 'add', '--data', s.data, '--title', 'Press intake', '--alias', 'press'));
  const draft = await s.json('POST', '/liaison/intake', null, { text: article, lang: 'auto' });
  const pub = await s.json('POST', '/liaison/intake/publish', null, { collection: press, marking: 'green', bundle: draft.json.bundle });
  assert(pub.status === 200 && pub.json.refused === 0, 'publish: ' + JSON.stringify(pub.json).slice(0, 300));
  const report = draft.json.bundle.objects.find((o) => o.type === 'report');
  const daesh = draft.json.bundle.objects.find((o) => o.type === 'threat-actor' && (o.aliases || []).includes('داعش'));
  // A report the US partner wrote and graded: our trust in the US (B) beside its grading (A1).
  const usGraded = { type: 'report', spec_version: '2.1', id: 'report--' + randomUUID(), created: '2026-02-02T00:00:00.000Z',
    modified: '2026-02-02T00:00:00.000Z', name: 'Facilitator network in Gao', report_types: ['threat-report'], published: '2026-02-02T00:00:00.000Z',
    object_refs: [O.isgs.id], object_marking_refs: [TLP.amber],
    extensions: { [GRADING]: { extension_type: 'property-extension', scale: 'admiralty', source_reliability: 'A', information_credibility: '1' } } };
  await s.post('cells', [usGraded], w.tokens.US);
  // The flow example of docs/flows.md (issue 19): a flow card.
  const flows = JSON.parse(readFileSync(path.join(SOURCE, 'docs', 'schemas', 'liaison-flow-example.json'), 'utf8')).objects;
  await s.post('cells', flows);
  const flow = flows.find((x) => x.type === 'liaison-flow' && x.commodities.includes('weapons'));

  await signIn(page, s.base, w.tokens.admin);
  const open = async (coll, id, ready, q) => {
    await page.goto(s.base + `/collections/${coll}/objects/${id}${q || ''}`);
    await page.waitForSelector(ready || '#card');
  };
  // The page's words outside the raw JSON, code and ids: no STIX key (snake_case) may be left.
  const plainText = () => page.evaluate(() => {
    const m = document.getElementById('main').cloneNode(true);
    for (const x of m.querySelectorAll('#raw-json, code, pre, select, .id')) x.remove();
    return m.innerText;
  });
  const noKeys = async (what) => {
    const text = await plainText();
    const keys = text.match(/\b[a-z]+(?:_[a-z]+)+\b/g);
    assert(!keys, `${what}: untranslated keys ${keys}`);
    const ids = text.match(/\b[a-z-]+--[0-9a-f]{8}-/g);
    assert(!ids, `${what}: bare ids ${ids}`);
  };

  const L = {
    en: { kind: 'Kind of actor', terrorist: 'Terrorist', ideology: 'Ideology', country: 'Mali', sector: 'Law enforcement', verb: 'attributed to', weapons: 'Weapons', fighters: 'Fighters',
      agree: 'Agree', located: 'located at', related: 'related to', recipients: 'Named recipients:', relto: 'released only to:',
      visible: 'Visible to:', not: 'Not to:', clearance: 'cleared for TLP:GREEN', marking: 'the markings do not name it', trust: 'our trust in this source: B, usually reliable',
      grading: 'source completely reliable; information confirmed by other sources', changed: 'changed', from: 'From this object', raw: 'Raw JSON' },
    ar: { kind: 'نوع الجهة', terrorist: 'إرهابي', ideology: 'العقيدة', country: 'مالي', sector: 'إنفاذ القانون', verb: 'منسوب إلى', weapons: 'أسلحة', fighters: 'مقاتلون',
      agree: 'أوافق', located: 'يتمركز في', related: 'مرتبط بـ', recipients: 'المتلقون المسمَّون:', relto: 'لا تُتاح إلا لـ:',
      visible: 'مرئي لـ:', not: 'غير مرئي لـ:', clearance: 'تصريحه TLP:GREEN', marking: 'العلامات لا تسمّيه', trust: 'ثقتنا بهذا المصدر: B، موثوق عادةً',
      grading: 'المصدر موثوق تماماً؛ المعلومة مؤكدة من مصادر أخرى', changed: 'تغيّر', from: 'من هذا العنصر', raw: 'JSON' },
  };

  let shotNo = 90;
  for (const [lang, size] of [['en', DESKTOP], ['ar', DESKTOP], ['en', PHONE_WIDE], ['ar', PHONE_WIDE]]) {
    const T = L[lang];
    const where = `${lang} at ${size.width} px`;
    await step(`cards per type, in words (${where})`, async () => {
      await page.setViewportSize(size);
      await presetLang(page, lang);
      await open('cells', O.katiba.id);
      let card = await page.textContent('#card');
      for (const x of [T.kind, T.terrorist, T.ideology, 'Katiba Macina (كتيبة ماسينا)', 'جبهة تحرير ماسينا (FLM)', 'FLM']) assert(card.includes(x), `threat actor card lacks "${x}": ${card}`);
      await noKeys('threat actor');
      await open('cells', O.jnim.id);
      card = await page.textContent('#card');
      assert(card.includes('JNIM') && card.includes('جماعة نصرة الإسلام والمسلمين') && card.includes('Control of rural central Mali'), 'intrusion set card: ' + card);
      await noKeys('intrusion set');
      await open('cells', O.mali.id);
      assert((await page.textContent('#card')).includes(T.country), 'the country by name');
      await noKeys('location');
      await open('cells', O.gendarmerie.id);
      assert((await page.textContent('#card')).includes(T.sector), 'identity sectors in words');
      await noKeys('identity');
      await open('cells', O.note.id);
      card = await page.textContent('#card');
      assert(card.includes('يعبر السعاة ليلاً'), 'note content');
      const refs = await page.textContent('#obj-refs');
      assert(refs.includes('Al-Qaeda in the Islamic Maghreb') && refs.includes('Mali'), 'the note names what it refers to: ' + refs);
      await noKeys('note');
      await open('cells', O.opinion.id);
      assert((await page.textContent('#card')).includes(T.agree), 'the opinion in words');
      await noKeys('opinion');
      await open('cells', O.usOnly.id);
      assert((await page.textContent('#card code.pattern')).includes("phone-number:value"), 'the pattern as code');
      assert((await page.textContent('#obj-markings')).includes(T.relto) && (await page.textContent('#obj-markings')).includes('US'), 'REL TO in words');
      await noKeys('indicator');
      await open('cells', O.katibaJnim.id, '#rel-sentence');
      const sentence = await page.textContent('#rel-sentence');
      assert(sentence.includes('Katiba Macina') && sentence.includes(T.verb) && sentence.includes('JNIM'), 'the relationship as a sentence: ' + sentence);
      await noKeys('relationship');
      await open('cells', flow.id, '#flow-sentence');
      const fl = await page.textContent('#flow-sentence');
      assert(fl.includes(T.weapons) && fl.includes(T.fighters) && fl.includes('Libya') && fl.includes('northern Mali'), 'the flow in one line: ' + fl);
      await noKeys('flow');
      await shot(page, `${shotNo++}-relationship-${lang}-${size.width}`);
    });

    await step(`markings, creator, trust and grading in words (${where})`, async () => {
      await open('cells', O.redCell.id);
      const m = await page.textContent('#obj-markings');
      assert(m.includes('TLP:RED') && m.includes(T.recipients) && m.includes('Paris'), 'red recipients named: ' + m);
      // Who can see it, as the gate answers for each partner (GET /liaison/audience).
      const audience = async () => page.$$eval('#obj-audience [data-partner]', (els) => Object.fromEntries(els.map((e) => [e.dataset.partner, e.dataset.reason || 'visible'])));
      const sameAs = (got, want) => JSON.stringify(Object.entries(got).sort()) === JSON.stringify(Object.entries(want).sort());
      let a = await audience();
      assert(sameAs(a, { Paris: 'visible', US: 'marking', Sahel: 'marking' }), 'the red cell reaches Paris only: ' + JSON.stringify(a));
      const words = await page.textContent('#obj-audience');
      assert(words.includes(T.visible) && words.includes(T.not) && words.includes(T.marking), 'the audience in words: ' + words);
      await open('cells', O.report2.id);
      a = await audience();
      assert(sameAs(a, { Paris: 'visible', US: 'visible', Sahel: 'clearance' }), 'the amber report: ' + JSON.stringify(a));
      assert((await page.textContent('#obj-audience')).includes(T.clearance), 'Sahel\'s clearance said');
      await open('cells', O.usOnly.id);
      a = await audience();
      assert(sameAs(a, { Paris: 'marking', US: 'visible', Sahel: 'marking' }), 'REL TO US: ' + JSON.stringify(a));
      await open('cells', usGraded.id);
      const creator = await page.textContent('#obj-creator');
      assert(creator.includes('US') && creator.includes(T.trust), 'the creator and our trust in it: ' + creator);
      const g = await page.textContent('#obj-grading');
      assert(g.includes('A1') && g.includes(T.grading), 'the grading in words: ' + g);
      await noKeys('graded report');
    });

    await step(`mentions: the report's article highlighted, passages on the entity (${where})`, async () => {
      await open(press, report.id, '#report-text mark');
      const marks = await page.$$eval('#report-text a.mention-link mark', (els) => els.map((e) => ({ text: e.textContent, id: e.dataset.entity })));
      assert(marks.some((x) => x.text.includes('داعش') && x.id === daesh.id), 'داعش highlighted in the article');
      assert(await page.evaluate(() => getComputedStyle(document.getElementById('report-text')).direction) === 'rtl', 'the Arabic article right to left');
      assert(!(await page.textContent('#main')).includes('"byte_start"'), 'no mention JSON on the page');
      await shot(page, `${shotNo++}-report-mentions-${lang}-${size.width}`);
      await page.click(`#report-text a.mention-link:has(mark[data-entity="${daesh.id}"])`);
      await page.waitForSelector('#mentions blockquote mark');
      const passages = await page.$$eval('#mentions blockquote', (els) => els.map((e) => ({ text: e.textContent, mark: e.querySelector('mark') && e.querySelector('mark').textContent })));
      const n = daesh.extensions['extension-definition--6f1d3c0a-5b7e-4c2a-9e51-2d7a4b8c9f10'].mentions.length;
      assert(passages.length === n && passages.every((p) => p.mark && p.text.includes(p.mark)), `a passage around each of the ${n} mentions: ` + JSON.stringify(passages).slice(0, 400));
      assert(passages.some((p) => p.mark.includes('داعش')), 'داعش among them');
      assert((await page.textContent('#mentions h3')).includes('Intake draft'), 'the passages name their report');
      await noKeys('entity with mentions');
    });

    await step(`relationships in and out, versions and their changes, raw JSON (${where})`, async () => {
      await open('cells', O.aqim.id, '#relationships');
      const out = await page.textContent('#rels-out');
      const into = await page.textContent('#rels-in');
      const lists = await page.textContent('#listed-in');
      assert(out.includes(T.located) && out.includes('Mali'), 'out: ' + out);
      assert(into.includes(T.related) && into.includes('Islamic State in the Greater Sahara'), 'in: ' + into);
      assert(lists.includes('Dismantled recruitment cells in the south'), 'listed in the report: ' + lists);
      await open('cells', O.report1.id, '#versions li');
      await page.click('#versions a.changes-link');
      await page.waitForSelector('#diff-list');
      const diff = await page.textContent('#diff-list');
      assert(diff.includes(T.changed) && (await page.textContent('#diff-list ins')).includes('وأكدت السلطات'), 'the added sentence: ' + diff);
      await shot(page, `${shotNo++}-diff-${lang}-${size.width}`);
      // the same through the form: the older version against the newer
      await open('cells', O.report1.id, '#compare-form', '?version=' + O.report1.modified);
      await page.selectOption('#diff-from', O.report1.modified);
      await page.selectOption('#diff-to', O.report2.modified);
      await page.click('#compare-go');
      await page.waitForSelector('#diff-list ins');
      assert(!(await page.isVisible('#raw-json pre')), 'the raw JSON is behind a toggle');
      await page.click('#raw-json summary');
      const raw = await page.textContent('#raw-json pre');
      assert(raw.includes('"type": "report"') && raw.includes(O.report1.id), 'the raw JSON once opened');
    });
  }

  await step('the graph: a legend, no fill in a TLP colour, no two labels overlapping', async () => {
    await page.setViewportSize(DESKTOP);
    await presetLang(page, 'en');
    await page.goto(s.base + `/collections/cells/graph/${O.aqim.id}`);
    await graphNodes(page, 4);
    await page.click(`#graph-nodes li[data-id="${O.isgs.id}"] button.expand`);
    await page.waitForSelector(`#graph-nodes li[data-id="${O.usReport.id}"]`);
    await page.click(`#graph-nodes li[data-id="${O.mali.id}"] button.expand`);
    await page.waitForSelector(`#graph-nodes li[data-id="${O.mali.id}"] .muted`);
    const legend = await page.textContent('#graph-legend');
    for (const x of ['Threat actor', 'Location', 'Report', 'TLP:RED', 'TLP:GREEN']) assert(legend.includes(x), 'legend lacks ' + x);
    const g = await page.evaluate(() => {
      const cy = document.getElementById('graph').cy;
      const fills = cy.nodes().map((n) => ({ type: n.data('type'), color: n.style('background-color') }));
      const boxes = cy.nodes().map((n) => ({ id: n.id(), b: n.boundingBox({ includeLabels: true, includeOverlays: false }) }));
      const overlaps = [];
      for (let i = 0; i < boxes.length; i++)
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i].b;
          const c = boxes[j].b;
          if (a.x1 < c.x2 && c.x1 < a.x2 && a.y1 < c.y2 && c.y1 < a.y2) overlaps.push([boxes[i].id, boxes[j].id]);
        }
      return { fills, overlaps, n: boxes.length };
    });
    assert(g.n >= 7, 'nodes: ' + g.n);
    assert(g.overlaps.length === 0, 'labels overlap: ' + JSON.stringify(g.overlaps));
    // hue and saturation of each fill: none red, amber or green (the TLP colours)
    for (const { type, color } of g.fills) {
      const [r, gg, bb] = color.match(/\d+/g).map(Number).map((x) => x / 255);
      const max = Math.max(r, gg, bb);
      const min = Math.min(r, gg, bb);
      const sat = max === 0 ? 0 : (max - min) / max;
      let hue = 0;
      if (max !== min) hue = max === r ? 60 * (((gg - bb) / (max - min)) % 6) : max === gg ? 60 * ((bb - r) / (max - min) + 2) : 60 * ((r - gg) / (max - min) + 4);
      hue = (hue + 360) % 360;
      const tlpLike = sat > 0.3 && (hue < 20 || hue > 340 || (hue >= 20 && hue <= 60) || (hue >= 75 && hue <= 165));
      assert(!tlpLike, `${type} is filled ${color} (hue ${Math.round(hue)}), which reads as a TLP colour`);
    }
    await shot(page, '98-graph-legend');
    await presetLang(page, 'ar');
    await page.reload();
    await graphNodes(page, 4);
    assert((await page.textContent('#graph-legend')).includes('دليل الرموز'), 'the legend in Arabic');
    await shot(page, '99-graph-legend-ar');
    await presetLang(page, 'en');
  });

  await step('no script error, no CSP violation', async () => {
    assert(seen.problems.length === 0, 'console problems:\n' + seen.problems.join('\n'));
  });
});
