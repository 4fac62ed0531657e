// Intake review (docs/intake.md): an article pasted or read from a file (UTF-8, in the
// browser) is analysed by POST /liaison/intake into a draft bundle; the text is shown with
// every mention highlighted, each entity can be accepted, rejected or corrected (renamed,
// or given another type among location, identity and threat-actor), and the reviewed
// bundle is published with POST /liaison/intake/publish into a collection the caller may
// write, under the chosen TLP. Article text goes into the page as text nodes only.
import { h, fill, bidi, isArabic } from '../dom.js';
import { t, typeName } from '../i18n.js';
import { liaison, taxii } from '../api.js';
import { TLP_LEVELS } from '../stix.js';
import { loading, typeLabel, nameCell, errorText, foldable } from '../ui.js';
import { mentionsOf, markedText } from '../mentions.js';

const ENTITY_TYPES = ['location', 'identity', 'threat-actor'];

/** A copy of the entity with the analyst's correction: new name and/or type, and a new id. */
function corrected(o, fix) {
  const type = fix.type || o.type;
  const uuid = globalThis.crypto.randomUUID();
  const base = { type, spec_version: o.spec_version || '2.1', id: type + '--' + uuid, created: o.created, modified: o.modified };
  if (o.created_by_ref) base.created_by_ref = o.created_by_ref;
  base.name = fix.name || o.name;
  if (o.description) base.description = o.description;
  if (o.extensions) base.extensions = o.extensions;
  if (type === o.type) {
    const copy = { ...o, ...base };
    if (fix.name && fix.name !== o.name) {
      const aliases = (o.aliases || []).filter((a) => a !== fix.name);
      if (o.name && type !== 'location') aliases.unshift(o.name);
      if (type !== 'location' && type !== 'identity') copy.aliases = aliases;
    }
    if (type === 'location' && fix.country) copy.country = fix.country;
    return copy;
  }
  if (type === 'identity') base.identity_class = 'organization';
  if (type === 'threat-actor') {
    base.threat_actor_types = ['terrorist'];
    base.aliases = [...new Set([o.name, ...(o.aliases || [])].filter((a) => a && a !== base.name))];
  }
  if (type === 'location') {
    if (fix.country) base.country = fix.country;
    for (const k of ['country', 'region', 'administrative_area', 'city', 'latitude', 'longitude'])
      if (o[k] !== undefined && base[k] === undefined) base[k] = o[k];
  }
  return base;
}

/** The bundle to publish: rejected entities, the relationships touching them and their refs dropped; corrections applied. */
export function reviewedBundle(bundle, state) {
  const drop = new Set();
  const rename = new Map();
  const replaced = new Map();
  for (const [id, st] of state) {
    if (st.decision === 'reject') drop.add(id);
    else if (st.fix) {
      const o = bundle.objects.find((x) => x.id === id);
      const c = corrected(o, st.fix);
      rename.set(id, c.id);
      replaced.set(id, c);
    }
  }
  for (const o of bundle.objects)
    if (o.type === 'relationship' && (drop.has(o.source_ref) || drop.has(o.target_ref))) drop.add(o.id);
  const map = (id) => rename.get(id) || id;
  const objects = [];
  for (const o of bundle.objects) {
    if (drop.has(o.id)) continue;
    if (replaced.has(o.id)) {
      objects.push(replaced.get(o.id));
      continue;
    }
    if (o.type === 'relationship') objects.push({ ...o, source_ref: map(o.source_ref), target_ref: map(o.target_ref) });
    else if (o.type === 'report') objects.push({ ...o, object_refs: (o.object_refs || []).filter((r) => !drop.has(r)).map(map) });
    else objects.push(o);
  }
  return { ...bundle, objects };
}

function readFile(file) {
  // File.text() decodes UTF-8 (a BOM is dropped, bad bytes become U+FFFD: the server refuses none of them).
  return file.text();
}

export default {
  match: /^\/intake\/?$/,
  nav: { href: '/intake', prefix: '/intake', label: 'nav_intake' },
  async render(main, _p, ctx) {
    fill(main, loading());
    const cols = ((await taxii.collections()) || {}).collections || [];
    if (!ctx.isCurrent()) return;
    const writable = cols.filter((c) => c.can_write);

    const text = h('textarea', { id: 'intake-text', rows: 10, dir: 'auto', placeholder: t('intake_paste') });
    const file = h('input', { type: 'file', id: 'intake-file', accept: '.txt,text/plain' });
    const lang = h('select', { id: 'intake-lang' }, ['auto', 'ar', 'en'].map((l) => h('option', { value: l }, t('lang_' + l))));
    const msg = h('p', { class: 'form-error', role: 'alert', id: 'intake-error' });
    const review = h('div', { id: 'intake-review' });
    file.addEventListener('change', async () => {
      if (file.files && file.files[0]) text.value = await readFile(file.files[0]);
    });
    const form = h('form', { class: 'action wide', id: 'intake-form' },
      h('label', { for: 'intake-text' }, t('intake_article')), text,
      h('div', { class: 'row' },
        h('label', null, t('intake_file'), file),
        h('label', null, t('intake_lang'), lang)),
      msg, h('button', { type: 'submit', id: 'intake-analyse' }, t('intake_analyse')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      msg.textContent = '';
      if (!text.value.trim()) {
        msg.textContent = t('intake_empty');
        return;
      }
      fill(review, loading());
      try {
        const res = await liaison.intake(text.value, lang.value);
        showReview(review, res.bundle, writable, ctx);
      } catch (err) {
        fill(review);
        msg.textContent = errorText(err);
      }
    });
    fill(main, h('h1', null, t('intake')), h('p', { class: 'help' }, t('intake_help')), form, review);
  },
};

function showReview(el, bundle, writable, ctx) {
  const report = bundle.objects.find((o) => o.type === 'report');
  const entities = bundle.objects.filter((o) => ENTITY_TYPES.includes(o.type) && mentionsOf(o).length)
    .map((o) => ({ id: o.id, orig: o }));
  const state = new Map(entities.map((e) => [e.id, { decision: 'accept', fix: null }]));
  const body = (report && report.description) || '';
  const rtl = report && report.lang ? report.lang === 'ar' : isArabic(body);
  // The article and the entity list scroll on their own: each is a named region that takes
  // the keyboard focus, so it can be scrolled without a mouse.
  const textBlock = h('div', { class: 'article', id: 'intake-article', dir: rtl ? 'rtl' : 'ltr', lang: rtl ? 'ar' : 'en',
    tabindex: 0, role: 'region', 'aria-label': t('intake_article') });
  const side = h('ul', { class: 'entities', id: 'intake-entities' });
  const redraw = () => {
    fill(textBlock, markedText(body, entities.map((e) => e.orig),
      { markClass: (o) => (state.get(o.id).decision === 'reject' ? 'rejected' : '') }).nodes);
    fill(side, entities.map((ent) => entityItem(ent, state.get(ent.id), redraw)));
  };
  redraw();

  const coll = h('select', { id: 'publish-collection' }, writable.map((c) => h('option', { value: c.id }, c.title + (c.alias ? ' (' + c.alias + ')' : ''))));
  const marking = h('select', { id: 'publish-marking' }, TLP_LEVELS.map((l) => h('option', { value: l, selected: l === 'amber' ? true : null }, t('tlp_' + l))));
  const msg = h('p', { class: 'form-error', role: 'alert', id: 'publish-error' });
  const result = h('div', { id: 'publish-result' });
  const button = h('button', { type: 'submit', id: 'publish-submit', disabled: writable.length ? null : true }, t('publish'));
  const form = h('form', { class: 'action wide', id: 'publish-form' },
    h('h2', null, t('publish')),
    writable.length ? null : h('p', { class: 'empty' }, t('no_writable')),
    h('div', { class: 'row' }, h('label', null, t('collection'), coll), h('label', null, t('marking'), marking)),
    msg, button);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.textContent = '';
    button.disabled = true;
    try {
      const reviewed = reviewedBundle(bundle, state);
      const res = await liaison.intakePublish(coll.value, marking.value, reviewed);
      showPublished(result, res, reviewed);
    } catch (err) {
      msg.textContent = errorText(err);
      button.disabled = false;
    }
  });
  fill(el,
    h('h2', null, report ? bidi(report.name) : t('intake_draft')),
    h('p', { class: 'help', id: 'intake-counts' }, t('intake_found', { n: entities.length })),
    h('div', { class: 'review-layout' },
      textBlock,
      h('aside', { class: 'review-side', tabindex: 0, 'aria-labelledby': 'entities-h' }, h('h3', { id: 'entities-h' }, t('entities')), side)),
    form, result);
}

/** The first Arabic name of a gazetteer entity (threat actors carry aliases; places their mention). */
function arabicAlias(o) {
  return (o.aliases || []).find(isArabic) || (mentionsOf(o).find((m) => isArabic(m.text)) || {}).text || null;
}

function entityItem(ent, st, redraw) {
  const o = st.fix ? { ...ent.orig, name: st.fix.name || ent.orig.name, type: st.fix.type || ent.orig.type } : ent.orig;
  const decide = (d) => {
    st.decision = d;
    redraw();
  };
  const aliases = (ent.orig.aliases || []).filter((a) => a !== arabicAlias(ent.orig)).slice(0, 4);
  const fixForm = h('form', { class: 'fix', hidden: true, 'aria-label': t('correct') });
  const name = h('input', { name: 'name', value: o.name || '', dir: 'auto', 'aria-label': t('name') });
  const type = h('select', { name: 'type', 'aria-label': t('type') }, ENTITY_TYPES.map((x) => h('option', { value: x, selected: x === o.type ? true : null }, typeName(x))));
  const country = h('input', { name: 'country', value: (st.fix && st.fix.country) || ent.orig.country || '', dir: 'ltr', maxlength: 2, size: 3, placeholder: 'DZ', 'aria-label': t('country') });
  const countryRow = h('label', { class: 'country-row' }, t('country'), ' ', country);
  const syncCountry = () => { countryRow.hidden = type.value !== 'location'; };
  type.addEventListener('change', syncCountry);
  syncCountry();
  const fixMsg = h('span', { class: 'form-error' });
  fill(fixForm, name, type, countryRow,
    h('button', { type: 'submit', class: 'fix-apply' }, t('apply')),
    h('button', { type: 'button', class: 'fix-undo', onclick: () => { st.fix = null; redraw(); } }, t('undo')), fixMsg);
  fixForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const fix = { name: name.value.trim(), type: type.value, country: country.value.trim().toUpperCase() };
    if (!fix.name) return void (fixMsg.textContent = t('name_needed'));
    if (fix.type === 'location' && !fix.country && !ent.orig.country && !ent.orig.region && ent.orig.latitude === undefined)
      return void (fixMsg.textContent = t('country_needed'));
    if (fix.country && !/^[A-Z]{2}$/.test(fix.country)) return void (fixMsg.textContent = t('country_needed'));
    if (fix.name === ent.orig.name && fix.type === ent.orig.type && (!fix.country || fix.country === ent.orig.country)) st.fix = null;
    else st.fix = fix;
    st.decision = 'accept';
    redraw();
  });
  const n = mentionsOf(ent.orig).length;
  return h('li', { class: 'entity ' + st.decision + (st.fix ? ' corrected' : ''), 'data-id': ent.id, 'data-type': o.type, 'data-decision': st.decision },
    h('div', { class: 'entity-head' },
      h('span', { class: 'type type-' + o.type }, typeName(o.type)), ' ',
      h('strong', { class: 'entity-name' }, bidi(o.name || '')),
      !isArabic(o.name) && arabicAlias(ent.orig) ? [' ', bidi(arabicAlias(ent.orig), { class: 'entity-ar' })] : null,
      ' ', h('span', { class: 'muted' }, t('mentions_n', { n })),
      st.fix ? h('span', { class: 'badge corrected-badge' }, t('corrected')) : null),
    aliases.length ? h('div', { class: 'aliases' }, aliases.map((a) => [bidi(a), ' '])) : null,
    h('div', { class: 'entity-id' }, h('code', { dir: 'ltr' }, ent.id), st.fix ? h('span', { class: 'muted' }, ' → ', t('new_id')) : null),
    h('div', { class: 'entity-actions' },
      h('button', { type: 'button', class: 'accept' + (st.decision === 'accept' ? ' on' : ''), 'aria-pressed': String(st.decision === 'accept'), onclick: () => decide('accept') }, t('accept')),
      h('button', { type: 'button', class: 'reject' + (st.decision === 'reject' ? ' on' : ''), 'aria-pressed': String(st.decision === 'reject'), onclick: () => decide('reject') }, t('reject')),
      h('button', { type: 'button', class: 'correct', onclick: () => { fixForm.hidden = !fixForm.hidden; } }, t('correct'))),
    fixForm);
}

function showPublished(el, res, reviewed) {
  const report = reviewed.objects.find((o) => o.type === 'report');
  const count = (r) => (res.objects || []).filter((x) => x.result === r).length;
  const cid = encodeURIComponent(res.collection);
  const byId = new Map(reviewed.objects.filter((o) => o.type !== 'relationship').map((o) => [o.id, o]));
  fill(el,
    h('section', { class: 'publish-report', id: 'publish-report' },
      h('h2', null, t('published')),
      h('p', { id: 'publish-counts' }, t('publish_counts', { stored: res.stored ?? count('stored'), reused: res.reused ?? count('reused'), refused: res.refused ?? count('refused') })),
      report ? h('p', null,
        h('a', { href: '/collections/' + cid + '/objects/' + encodeURIComponent(report.id), 'data-link': true, id: 'published-report' }, t('open_report')), ' · ',
        h('a', { href: '/collections/' + cid + '/graph/' + encodeURIComponent(report.id), 'data-link': true, id: 'published-graph' }, t('open_graph'))) : null,
      foldable(h('table', { class: 'objects', id: 'publish-objects' },
        h('thead', null, h('tr', null, h('th', null, t('object')), h('th', null, t('result')), h('th', null, t('message')))),
        h('tbody', null, (res.objects || []).map((x) => h('tr', { 'data-id': x.id, 'data-result': x.result },
          h('td', null, byId.get(x.id) ? [typeLabel(byId.get(x.id).type), ' ', nameCell(byId.get(x.id)), ' '] : null, h('code', { class: 'muted' }, x.id)),
          h('td', null, h('span', { class: 'result result-' + x.result }, t('res_' + x.result))),
          h('td', null, x.message ? bidi(x.message) : ''))))))));
}
