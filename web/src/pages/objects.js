// Objects of one collection, a page at a time (TAXII "next"), with filters: type and
// date added are TAXII filters (match[type], added_after); TLP and creator narrow the
// page the server returned (which already holds only what the principal may see).
import { h, fill, bidi } from '../dom.js';
import { t, fmtDate, typeName } from '../i18n.js';
import { taxii } from '../api.js';
import { tlpOf, TLP_LEVELS } from '../stix.js';
import { loading, markingBadges, creator, grading, nameCell, typeLabel, foldable } from '../ui.js';

const PAGE = 50;
const TYPES = ['threat-actor', 'intrusion-set', 'location', 'identity', 'report', 'relationship',
  'indicator', 'malware', 'campaign', 'grouping', 'note', 'marking-definition'];

function select(id, value, options) {
  return h('select', { id, name: id },
    options.map(([v, label]) => h('option', { value: v, selected: v === value ? true : null }, label)));
}

export default {
  match: /^\/collections\/(?<cid>[^/]+)\/?$/,
  async render(main, { cid }, ctx) {
    const q = new URLSearchParams(location.search);
    const f = { type: q.get('type') || '', tlp: q.get('tlp') || '', partner: q.get('partner') || '', after: q.get('after') || '' };
    fill(main, loading());
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
      h('label', null, t('f_added_after'), h('input', { type: 'date', id: 'f-after', value: f.after.slice(0, 10) })),
      h('button', { type: 'submit', id: 'f-apply' }, t('apply')),
      h('button', { type: 'button', id: 'f-reset', onclick: () => ctx.navigate('/collections/' + encodeURIComponent(cid)) }, t('reset')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const n = new URLSearchParams();
      const v = (id) => form.querySelector('#' + id).value;
      if (v('f-type')) n.set('type', v('f-type'));
      if (v('f-tlp')) n.set('tlp', v('f-tlp'));
      if (v('f-partner')) n.set('partner', v('f-partner'));
      if (v('f-after')) n.set('after', v('f-after') === f.after.slice(0, 10) ? f.after : v('f-after'));
      const s = n.toString();
      ctx.navigate('/collections/' + encodeURIComponent(cid) + (s ? '?' + s : ''));
    });

    const table = h('div', { id: 'objects-area' });
    const pager = h('div', { class: 'pager' });
    fill(main, 
      h('h1', null, bidi(coll.title)),
      coll.description ? h('p', { class: 'desc' }, bidi(coll.description)) : null,
      form, table, pager);

    const params = { limit: PAGE };
    if (f.type) params['match[type]'] = f.type;
    // a day from the form, or an exact time (the dashboard's "new since my last visit")
    if (f.after) params.added_after = /^\d{4}-\d{2}-\d{2}$/.test(f.after) ? f.after + 'T00:00:00.000Z' : f.after;

    const showPage = async (next) => {
      fill(table, loading());
      fill(pager);
      const page = await taxii.objects(cid, { ...params, next });
      if (!ctx.isCurrent()) return;
      const all = (page && page.objects) || [];
      const rows = all.filter((o) =>
        (!f.tlp || (f.tlp === 'none' ? tlpOf(o) === null : tlpOf(o) === f.tlp)) &&
        (!f.partner || o.created_by_ref === f.partner));
      fill(table, 
        h('p', { class: 'count', id: 'count' }, t('page_count', { shown: rows.length, total: all.length })),
        rows.length === 0 ? h('p', { class: 'empty' }, t('no_objects')) :
          foldable(h('table', { class: 'objects', id: 'objects' },
            h('thead', null, h('tr', null, [t('type'), t('name'), t('marking'), t('created_by'), t('grading'), t('modified'), t('graph')].map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', null, rows.map((o) => {
              const href = '/collections/' + encodeURIComponent(cid) + '/objects/' + encodeURIComponent(o.id);
              return h('tr', { 'data-id': o.id, 'data-tlp': tlpOf(o) || 'none' },
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
      if (next) pager.append(h('button', { type: 'button', id: 'first-page', onclick: () => showPage(undefined) }, t('first_page')));
      if (page && page.more) pager.append(h('button', { type: 'button', id: 'next-page', onclick: () => showPage(page.next) }, t('next_page')));
    };
    await showPage(undefined);
  },
};
