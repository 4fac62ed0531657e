// Objects of one collection, a page at a time, filtered, sorted and counted by the server
// (GET /liaison/browse: the store's one query with the caller's rights, so a 100,000-object
// collection pages as fast as a small one): type, name or text, TLP, creator, date added,
// modified range; the total and the page's position; pages both ways.
import { h, fill, bidi } from '../dom.js';
import { t, fmtDate, fmtNumber, typeName } from '../i18n.js';
import { taxii, liaison, getToken } from '../api.js';
import { tlpOf, TLP_LEVELS } from '../stix.js';
import { loading, markingBadges, creator, grading, nameCell, typeLabel, foldable } from '../ui.js';
import { uuid4 } from './edit.js';
import { signedExportPanel } from '../signedexport.js';

const PER_PAGE = ['10', '50', '200'];
const SORTS = ['added_asc', 'added_desc', 'modified_desc', 'modified_asc'];
const TYPES = ['threat-actor', 'intrusion-set', 'location', 'identity', 'report', 'relationship',
  'indicator', 'malware', 'campaign', 'grouping', 'note', 'marking-definition'];

// The rows chosen in each collection, kept while this tab keeps the same sign-in: across
// pages, filters, sorts and a language switch. Another sign-in (another token) starts empty,
// so nobody inherits what the person before chose.
const selections = { token: null, byColl: new Map() };
function selectionOf(cid) {
  const tok = getToken();
  if (selections.token !== tok) {
    selections.token = tok;
    selections.byColl = new Map();
  }
  if (!selections.byColl.has(cid)) selections.byColl.set(cid, new Map());
  return selections.byColl.get(cid);
}

function select(id, value, options) {
  return h('select', { id, name: id },
    options.map(([v, label]) => h('option', { value: v, selected: v === value ? true : null }, label)));
}

export default {
  match: /^\/collections\/(?<cid>[^/]+)\/?$/,
  async render(main, { cid }, ctx) {
    const q = new URLSearchParams(location.search);
    const f = { type: q.get('type') || '', tlp: q.get('tlp') || '', partner: q.get('partner') || '', after: q.get('after') || '',
      text: q.get('text') || '', from: q.get('from') || '', to: q.get('to') || '', sort: q.get('sort') || 'added_asc',
      per: PER_PAGE.includes(q.get('per')) ? q.get('per') : '50' };
    const [sortBy, order] = (SORTS.includes(f.sort) ? f.sort : 'added_asc').split('_');
    const params = { limit: f.per, type: f.type, tlp: f.tlp, creator: f.partner, text: f.text,
      modified_from: f.from, modified_to: f.to, sort: sortBy, order };
    // a day from the form, or an exact time (the dashboard's "new since my last visit")
    if (f.after) params.added_after = /^\d{4}-\d{2}-\d{2}$/.test(f.after) ? f.after + 'T00:00:00.000Z' : f.after;
    fill(main, loading());
    // The first page is asked for with the collection, not after it: one round trip less.
    const firstPage = liaison.browse(cid, params);
    firstPage.catch(() => {}); // its error is shown when it is awaited, below
    const [coll, defs] = await Promise.all([taxii.collection(cid),
      taxii.objects(cid, { 'match[type]': 'marking-definition', limit: 200 }).catch(() => null)]);
    if (!ctx.isCurrent()) return;
    // Names of the REL TO and statement markings defined in this collection.
    const markingNames = new Map(((defs && defs.objects) || []).map((d) => [d.id, d.name || d.id]));

    const partnerOpts = [['', t('any')]];
    if (ctx.session.instance) partnerOpts.push([ctx.session.instance.identity, t('this_instance')]);
    for (const p of ctx.session.partners.values()) partnerOpts.push([p.identity, p.name]);
    const form = h('form', { class: 'filters', id: 'filters', role: 'search' },
      h('label', null, t('f_type'), select('f-type', f.type, [['', t('any')], ...TYPES.map((x) => [x, typeName(x)])])),
      h('label', null, t('f_tlp'), select('f-tlp', f.tlp, [['', t('any')], ...TLP_LEVELS.map((x) => [x, t('tlp_' + x)]), ['none', t('unmarked')]])),
      h('label', null, t('f_partner'), select('f-partner', f.partner, partnerOpts)),
      h('label', null, t('f_text'), h('input', { type: 'search', id: 'f-text', value: f.text, dir: 'auto', minlength: 3 })),
      h('label', null, t('f_added_after'), h('input', { type: 'date', id: 'f-after', value: f.after.slice(0, 10) })),
      h('label', null, t('f_modified_from'), h('input', { type: 'date', id: 'f-from', value: f.from })),
      h('label', null, t('f_modified_to'), h('input', { type: 'date', id: 'f-to', value: f.to })),
      h('label', null, t('f_sort'), select('f-sort', f.sort, SORTS.map((x) => [x, t('sort_' + x)]))),
      h('label', null, t('f_per_page'), select('f-per', f.per, PER_PAGE.map((x) => [x, fmtNumber(Number(x))]))),
      h('button', { type: 'submit', id: 'f-apply' }, t('apply')),
      h('button', { type: 'button', id: 'f-reset', onclick: () => ctx.navigate('/collections/' + encodeURIComponent(cid)) }, t('reset')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const n = new URLSearchParams();
      const v = (id) => form.querySelector('#' + id).value;
      if (v('f-type')) n.set('type', v('f-type'));
      if (v('f-tlp')) n.set('tlp', v('f-tlp'));
      if (v('f-partner')) n.set('partner', v('f-partner'));
      if (v('f-text').trim()) n.set('text', v('f-text').trim());
      if (v('f-from')) n.set('from', v('f-from'));
      if (v('f-to')) n.set('to', v('f-to'));
      if (v('f-sort') !== 'added_asc') n.set('sort', v('f-sort'));
      if (v('f-per') !== '50') n.set('per', v('f-per'));
      if (v('f-after')) n.set('after', v('f-after') === f.after.slice(0, 10) ? f.after : v('f-after'));
      const s = n.toString();
      ctx.navigate('/collections/' + encodeURIComponent(cid) + (s ? '?' + s : ''));
    });

    const table = h('div', { id: 'objects-area' });
    // Objects chosen for export, kept across pages and filters: id -> the version shown.
    const chosen = selectionOf(cid);
    const exportBtn = h('button', { type: 'button', id: 'export-selected', disabled: true }, t('export_selected', { n: 0 }));
    const clearBtn = h('button', { type: 'button', id: 'clear-selected', disabled: true }, t('clear_selected'));
    // An administrator may also make the signed file for a partner (signedexport.js).
    const me = ctx.session.me;
    const signed = me.kind === 'admin' && !me.read_only ? signedExportPanel(cid, chosen, ctx) : null;
    const showChosen = () => {
      exportBtn.textContent = t('export_selected', { n: chosen.size });
      exportBtn.disabled = clearBtn.disabled = chosen.size === 0;
      if (signed) signed.update();
    };
    // A STIX 2.1 bundle of the chosen versions, saved by the browser (nothing leaves it).
    exportBtn.addEventListener('click', () => {
      const bundle = { type: 'bundle', id: 'bundle--' + uuid4(), objects: [...chosen.values()] };
      const url = URL.createObjectURL(new Blob([JSON.stringify(bundle, null, 2)], { type: 'application/json' }));
      const a = h('a', { href: url, download: `${coll.alias || cid}-${chosen.size}.json`, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    });
    clearBtn.addEventListener('click', () => {
      chosen.clear();
      for (const box of table.querySelectorAll('input.pick')) box.checked = false;
      showChosen();
    });
    showChosen();
    const pager = h('div', { class: 'pager' });
    fill(main,
      h('h1', null, bidi(coll.title)),
      coll.can_write && !ctx.session.me.read_only
        ? h('p', { class: 'obj-actions' }, h('a', { href: '/collections/' + encodeURIComponent(cid) + '/new', 'data-link': true, class: 'button', id: 'new-object' }, t('new_object'))) : null,
      coll.description ? h('p', { class: 'desc' }, bidi(coll.description)) : null,
      form, h('p', { class: 'bulk', id: 'bulk' }, exportBtn, ' ', clearBtn), signed ? signed.element : null, table, pager);


    const showPage = async (cursor) => {
      fill(table, loading());
      fill(pager);
      const page = await (cursor ? liaison.browse(cid, { ...params, ...cursor }) : firstPage);
      if (!ctx.isCurrent()) return;
      const rows = page.objects || [];
      fill(table,
        h('p', { class: 'count', id: 'count', 'aria-live': 'polite', 'data-total': page.total, 'data-position': page.position },
          t('range_count', { from: page.position || 0, to: rows.length ? page.position + rows.length - 1 : 0, total: page.total })),
        rows.length === 0 ? h('p', { class: 'empty' }, t('no_objects')) :
          foldable(h('table', { class: 'objects', id: 'objects' },
            h('thead', null, h('tr', null, [t('select'), t('type'), t('name'), t('marking'), t('created_by'), t('grading'), t('modified'), t('graph')].map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', null, rows.map((o) => {
              const href = '/collections/' + encodeURIComponent(cid) + '/objects/' + encodeURIComponent(o.id);
              const box = h('input', { type: 'checkbox', class: 'pick', checked: chosen.has(o.id) ? true : null,
                'aria-label': t('select_object', { name: o.name || typeName(o.type) }) });
              box.addEventListener('change', () => {
                if (box.checked) chosen.set(o.id, o);
                else chosen.delete(o.id);
                showChosen();
              });
              return h('tr', { 'data-id': o.id, 'data-tlp': tlpOf(o) || 'none' },
                h('td', null, box),
                h('td', null, typeLabel(o.type)),
                h('td', null, h('a', { href, 'data-link': true, class: 'obj-link' }, nameCell(o))),
                h('td', null, markingBadges(o, markingNames)),
                h('td', null, creator(o, ctx.session)),
                h('td', null, grading(o)),
                h('td', { class: 'date' }, h('time', { datetime: o.modified || o.created || '' }, fmtDate(o.modified || o.created))),
                h('td', null, o.type === 'marking-definition' ? null :
                  h('a', { href: '/collections/' + encodeURIComponent(cid) + '/graph/' + encodeURIComponent(o.id), 'data-link': true, class: 'graph-link',
                    'aria-label': t('graph_of', { name: o.name || typeName(o.type) }) }, t('graph'))));
            })))));
      if (page.prev) {
        pager.append(h('button', { type: 'button', id: 'first-page', onclick: () => showPage({}) }, t('first_page')), ' ');
        pager.append(h('button', { type: 'button', id: 'prev-page', onclick: () => showPage({ prev: page.prev }) }, t('prev_page')), ' ');
      }
      if (page.next) pager.append(h('button', { type: 'button', id: 'next-page', onclick: () => showPage({ next: page.next }) }, t('next_page')));
    };
    await showPage(null);
  },
};
