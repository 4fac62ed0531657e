// Search: one box across names, aliases and report text (GET /liaison/search). The
// server matches after the intake's Arabic normalisation (الاسلامية finds الإسلامية), and
// answers only what a listing would show the caller. Pages follow the server's "next". One
// row per entity, with every collection holding it; facets (type, TLP, source, collection),
// counted by the server through the same gate, narrow the search.
import { h, fill, bidi } from '../dom.js';
import { t, fmtNumber, typeName } from '../i18n.js';
import { liaison, taxii } from '../api.js';
import { loading, markingBadges, creator, nameCell, typeLabel, foldable, errorText } from '../ui.js';

const PAGE = 25;

export function searchBox(ctx, id, value) {
  const input = h('input', { type: 'search', id, name: 'q', value: value || '', dir: 'auto', 'aria-label': t('search_placeholder'), placeholder: id === 'header-search' ? t('search') + '…' : t('search_placeholder'), minlength: 3 });
  const form = h('form', { class: 'search-box', role: 'search', id: id + '-form', 'aria-label': id === 'header-search' ? t('search') : t('search_page') }, input,
    h('button', { type: 'submit', id: id + '-go' }, t('search')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = input.value.trim();
    if (q) ctx.navigate('/search?q=' + encodeURIComponent(q));
  });
  return form;
}

export default {
  match: /^\/search\/?$/,
  nav: { href: '/search', prefix: '/search', label: 'nav_search' },
  async render(main, _p, ctx) {
    const params = new URLSearchParams(location.search);
    const q = (params.get('q') || '').trim();
    const only = params.get('collection') || '';
    const narrow = { type: params.get('type') || '', tlp: params.get('tlp') || '', creator: params.get('creator') || '' };
    const limit = Math.min(Math.max(parseInt(params.get('limit'), 10) || PAGE, 1), 200);
    const area = h('div', { id: 'search-area' });
    const pager = h('div', { class: 'pager' });
    const facetArea = h('nav', { class: 'facets', id: 'facets', 'aria-label': t('facets') });
    fill(main, h('h1', null, t('search')), h('p', { class: 'help' }, t('search_help')), searchBox(ctx, 'search-q', q), facetArea, area, pager);
    if (!q) return;
    if ([...q].length < 3) return void fill(area, h('p', { class: 'error', role: 'alert' }, t('search_short')));
    fill(area, loading());
    const cols = new Map((((await taxii.collections()) || {}).collections || []).map((c) => [c.id, c]));
    if (!ctx.isCurrent()) return;
    const show = async (next, pageNo) => {
      fill(area, loading());
      fill(pager);
      let res;
      try {
        res = await liaison.search({ q, collection: only, limit, next, ...narrow });
      } catch (err) {
        if (!ctx.isCurrent()) return;
        return void fill(area, h('p', { class: 'error', role: 'alert' }, err.status === 400 ? t('search_short') : errorText(err)));
      }
      if (!ctx.isCurrent()) return;
      const rows = (res && res.results) || [];
      if (res && res.facets) {
        fill(facetArea, facets(res.facets));
        // Counted over the first search_facet_rows matches only (docs/api.md): said, not hidden.
        if (res.facets_partial) facetArea.append(h('p', { class: 'help', id: 'facets-partial' }, t('facets_partial')));
      }
      fill(area,
        h('p', { class: 'count', id: 'search-count' }, t('search_count', { n: rows.length, page: pageNo })),
        rows.length === 0 ? h('p', { class: 'empty', id: 'search-empty' }, t('no_results')) :
          foldable(h('table', { class: 'objects', id: 'search-results' },
            h('thead', null, h('tr', null, [t('type'), t('name'), t('marking'), t('created_by'), t('collection')].map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', null, rows.map(({ collection, collections, object: o }) => {
              const cid = encodeURIComponent(collection);
              const colLink = (x, i) => [i ? t('list_sep') : '', h('a', { href: '/collections/' + encodeURIComponent(x), 'data-link': true },
                cols.get(x) ? bidi(cols.get(x).title) : x)];
              return h('tr', { 'data-id': o.id, 'data-collection': collection, 'data-collections': (collections || [collection]).join(' ') },
                h('td', null, typeLabel(o.type)),
                h('td', null, h('a', { href: '/collections/' + cid + '/objects/' + encodeURIComponent(o.id), 'data-link': true, class: 'obj-link' }, nameCell(o))),
                h('td', null, markingBadges(o)),
                h('td', null, creator(o, ctx.session)),
                h('td', null, (collections || [collection]).map(colLink)));
            })))));
      if (next) pager.append(h('button', { type: 'button', id: 'search-first', onclick: () => show(undefined, 1) }, t('first_page')));
      if (res && res.more && res.next) pager.append(h('button', { type: 'button', id: 'search-next', onclick: () => show(res.next, pageNo + 1) }, t('next_page')));
    };
    // A facet's value is a link that narrows the search to it (or, when chosen, widens it again).
    const facetLink = (key, value, label, count) => {
      const p = new URLSearchParams(location.search);
      const on = p.get(key) === value;
      if (on) p.delete(key);
      else p.set(key, value);
      return h('li', null, h('a', { href: '/search?' + p.toString(), 'data-link': true, class: on ? 'facet on' : 'facet',
        'data-facet': key, 'data-value': value, 'aria-current': on ? 'true' : null }, label, ' ', h('span', { class: 'count' }, fmtNumber(count))));
    };
    const sourceName = (id) => (ctx.session.instance && id === ctx.session.instance.identity ? t('this_instance')
      : ctx.session.partners.get(id) ? ctx.session.partners.get(id).name : t('source_other'));
    const facets = (f) => [
      ['type', f.type, (v) => typeName(v), 'type'],
      ['tlp', f.tlp, (v) => (v === 'none' ? t('unmarked') : t('tlp_' + v)), 'tlp'],
      ['source', f.source.filter((x) => x.value), (v) => bidi(sourceName(v)), 'creator'],
      ['collection', f.collection, (v) => (cols.get(v) ? bidi(cols.get(v).title) : v), 'collection'],
    ].filter(([, list]) => list && list.length).map(([name, list, label, key]) =>
      h('div', { class: 'facet-group', id: 'facet-' + name },
        h('h2', null, t('facet_' + name)),
        h('ul', { class: 'plain' }, list.map((x) => facetLink(key, x.value, label(x.value), x.count)))));
    await show(undefined, 1);
  },
};
