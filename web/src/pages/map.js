// The flows map (docs/flows.md): what is reported moving where, drawn over the country and
// first-level boundaries shipped with liaison (data/map, Natural Earth; no tile server, no
// network). Each edge of GET /liaison/flows is an arrow whose width follows its number of
// reports and whose colour follows what moves; a click (or Enter) on an arrow, or on its row
// of the table below, lists the reports and sources behind it. The server answers only from
// the flows the caller may see, so a partner's map is drawn from its own edges.
import { h, fill, bidi } from '../dom.js';
import { t, currentLang, fmtDate, fmtNumber } from '../i18n.js';
import { liaison } from '../api.js';
import { loading, errorText, trustBadge, foldable } from '../ui.js';
import countriesUrl from '../../../data/map/countries.geojson?url';
import admin1Url from '../../../data/map/admin1.geojson?url';

const SVG = 'http://www.w3.org/2000/svg';
const COMMODITIES = ['weapons', 'ammunition', 'explosives', 'money', 'fighters', 'fuel', 'drugs', 'people', 'other'];
// Colours told apart by people with the commoner colour-vision deficiencies (Okabe-Ito).
const COLOURS = {
  weapons: '#d55e00', ammunition: '#e69f00', explosives: '#cc79a7', money: '#009e73', fighters: '#0072b2',
  fuel: '#56b4e9', drugs: '#7f3c8d', people: '#000000', other: '#6b6b6b',
};
// The view: northern and western Africa and the Middle East (lon, lat).
const VIEW = { w: -20, e: 50, s: -5, n: 42 };
const K = Math.cos((20 * Math.PI) / 180);
// Curated regions have no boundary of their own here: where their label and arrows go.
const REGION_AT = {
  'region-sahel': [2, 15], 'region-northern-mali': [-0.5, 19.5], 'region-maghreb': [3, 32],
  'region-lake-chad-basin': [14, 13], 'region-sahara': [10, 23],
};
const GRADES = ['A', 'B', 'C', 'D', 'E', 'F'];

let geo = null;
async function loadGeo() {
  if (!geo) {
    const [c, a] = await Promise.all([countriesUrl, admin1Url].map(async (u) => (await fetch(u)).json()));
    geo = { countries: c.features, admin1: a.features, byKey: new Map() };
    for (const f of [...c.features, ...a.features]) if (f.properties.key) geo.byKey.set(f.properties.key, f);
  }
  return geo;
}

const x = (lon) => (lon - VIEW.w) * K * 10;
const y = (lat) => (VIEW.n - lat) * 10;

function rings(g) {
  if (!g) return [];
  return g.type === 'Polygon' ? g.coordinates : g.type === 'MultiPolygon' ? g.coordinates.flat() : [];
}

function inView(f) {
  return rings(f.geometry).some((r) => r.some(([lon, lat]) => lon >= VIEW.w && lon <= VIEW.e && lat >= VIEW.s && lat <= VIEW.n));
}

function pathOf(f) {
  return rings(f.geometry).map((r) => 'M' + r.map(([lon, lat]) => x(lon).toFixed(1) + ',' + y(lat).toFixed(1)).join('L') + 'Z').join('');
}

/** Where a place is drawn: the middle of its largest ring's box; null when unknown. */
function anchor(key) {
  if (REGION_AT[key]) return REGION_AT[key];
  const f = geo.byKey.get(key);
  if (!f) return null;
  let best = null, area = -1;
  for (const r of rings(f.geometry)) {
    const lons = r.map((p) => p[0]), lats = r.map((p) => p[1]);
    const box = [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
    const a = (box[2] - box[0]) * (box[3] - box[1]);
    if (a > area) (area = a), (best = box);
  }
  return best && [(best[0] + best[2]) / 2, (best[1] + best[3]) / 2];
}

export function placeName(key) {
  const f = geo && geo.byKey.get(key);
  if (f) return (currentLang() === 'ar' && f.properties.name_ar) || f.properties.name;
  const region = 'place_' + key.replace(/-/g, '_');
  const name = t(region);
  return name !== region ? name : key;
}

function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function edgeLabel(e) {
  return t('map_edge', { what: t('commodity_' + e.what), from: placeName(e.from), to: placeName(e.to), n: e.reports, sources: e.n_sources });
}

function details(panel, e, ctx, collections) {
  const me = ctx.session.me;
  fill(panel,
    h('h2', { id: 'map-details-title' }, edgeLabel(e)),
    h('p', null, t('map_seen', { first: fmtDate(e.first_seen) || '—', last: fmtDate(e.last_seen) || '—' }),
      ' · ', t('map_grades', { best: e.best_grade || '—', typical: e.typical_grade || '—' })),
    h('h3', null, t('map_sources')),
    h('ul', { id: 'map-sources' }, e.sources.map((src) => {
      const p = ctx.session.partners.get(src.source);
      const name = src.name === 'us' ? t('map_us') : src.name || (p && p.name) ||
        (me && me.identity === src.source ? t('map_us') : src.source);
      return h('li', { 'data-source': src.source }, bidi(name), ' · ', t('map_reports', { n: src.reports }),
        src.best_grade ? [' · ', t('grading'), ' ', src.best_grade] : null,
        src.trust ? [' · ', t('trust'), ' ', trustBadge(src.trust)] : null,
        src.corroborated_later ? [' · ', t('map_corroborated')] : null);
    })),
    h('h3', null, t('map_reports_title')),
    h('ul', { id: 'map-reports' }, e.ids.map((id, i) => h('li', null,
      h('a', { href: '/collections/' + encodeURIComponent(collections[e.in[i]]) + '/objects/' + encodeURIComponent(id), 'data-link': true, 'data-id': id }, id)))));
  panel.hidden = false;
  panel.focus();
}

function drawMap(svgBox, edges, onPick) {
  const svg = s('svg', { viewBox: `0 0 ${x(VIEW.e).toFixed(0)} ${y(VIEW.s).toFixed(0)}`, id: 'map-svg', role: 'group', 'aria-label': t('map_title') });
  const defs = s('defs', null, COMMODITIES.map((c) => s('marker', { id: 'arrow-' + c, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 4, markerHeight: 4, orient: 'auto-start-reverse' },
    s('path', { d: 'M0,0L10,5L0,10z', fill: COLOURS[c] }))));
  const land = s('g', { class: 'map-land', 'aria-hidden': 'true' },
    geo.countries.filter(inView).map((f) => s('path', { d: pathOf(f), 'data-key': f.properties.key })));
  const areas = s('g', { class: 'map-admin1', 'aria-hidden': 'true' }, geo.admin1.filter(inView).map((f) => s('path', { d: pathOf(f) })));
  const arrows = s('g', { class: 'map-edges' });
  const points = new Map();
  // Parallel edges between the same places are bent apart.
  const seen = new Map();
  for (const e of edges) {
    const a = e.from_placed && anchor(e.from), b = e.to_placed && anchor(e.to);
    if (!a || !b) continue;
    const pair = e.from + '>' + e.to;
    const k = seen.get(pair) || 0;
    seen.set(pair, k + 1);
    const [x1, y1, x2, y2] = [x(a[0]), y(a[1]), x(b[0]), y(b[1])];
    const bend = 30 + 25 * k, len = Math.hypot(x2 - x1, y2 - y1) || 1;
    const cx = (x1 + x2) / 2 - ((y2 - y1) / len) * bend, cy = (y1 + y2) / 2 + ((x2 - x1) / len) * bend;
    const width = 2 + 2.5 * Math.log2(1 + e.reports);
    const g = s('g', { class: 'map-edge', tabindex: 0, role: 'button', 'aria-label': edgeLabel(e), 'data-what': e.what, 'data-from': e.from, 'data-to': e.to, 'data-reports': e.reports, 'data-sources': e.n_sources },
      s('title', null, edgeLabel(e)),
      s('path', { d: `M${x1.toFixed(1)},${y1.toFixed(1)}Q${cx.toFixed(1)},${cy.toFixed(1)} ${x2.toFixed(1)},${y2.toFixed(1)}`, stroke: COLOURS[e.what] || COLOURS.other, 'stroke-width': width.toFixed(1), fill: 'none', 'marker-end': `url(#arrow-${e.what})` }));
    g.addEventListener('click', () => onPick(e));
    g.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') (ev.preventDefault(), onPick(e));
    });
    arrows.append(g);
    points.set(e.from, a);
    points.set(e.to, b);
  }
  const dots = s('g', { class: 'map-places', 'aria-hidden': 'true' }, [...points].map(([key, [lon, lat]]) =>
    s('g', { class: 'map-place', 'data-key': key }, s('circle', { cx: x(lon).toFixed(1), cy: y(lat).toFixed(1), r: 5 }),
      s('text', { x: (x(lon) + 8).toFixed(1), y: (y(lat) - 8).toFixed(1) }, placeName(key)))));
  svg.append(defs, land, areas, arrows, dots);
  fill(svgBox, svg);
}

function legend() {
  return h('ul', { class: 'map-legend', id: 'map-legend', 'aria-label': t('map_legend') }, COMMODITIES.map((c) =>
    h('li', { 'data-what': c }, s('svg', { class: 'swatch', viewBox: '0 0 24 8', width: 24, height: 8, 'aria-hidden': 'true' },
      s('rect', { width: 24, height: 8, rx: 2, fill: COLOURS[c] })), t('commodity_' + c))));
}

function select(id, label, value, options) {
  return h('label', { for: id }, label, ' ',
    h('select', { id, name: id.replace('map-', '') }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
}

export default {
  match: /^\/map\/?$/,
  nav: { href: '/map', prefix: '/map', label: 'nav_map' },
  async render(main, _p, ctx) {
    const params = new URLSearchParams(location.search);
    const q = {
      into: params.get('into') || '', what: params.get('what') || '', since: params.get('since') || '',
      source: params.get('source') || '', min_grade: params.get('min_grade') || '',
    };
    const area = h('div', { id: 'map-area' });
    const panel = h('section', { id: 'map-details', class: 'map-details', hidden: true, tabindex: -1, 'aria-labelledby': 'map-details-title' });
    const form = h('form', { id: 'map-filters', class: 'map-filters', 'aria-label': t('map_filters') });
    fill(main, h('h1', null, t('map_title')), h('p', { class: 'help' }, t('map_help')), form, area, panel);
    fill(area, loading());
    let all;
    try {
      await loadGeo();
      // Sources for the filter: those of the edges the caller may see.
      all = await liaison.flows({ into: q.into || undefined });
    } catch (err) {
      if (!ctx.isCurrent()) return;
      return void fill(area, h('p', { class: 'error', role: 'alert' }, errorText(err)));
    }
    if (!ctx.isCurrent()) return;
    const sources = all.corroboration.map((c) => [c.source, c.name === 'us' ? t('map_us') : c.name || (ctx.session.partners.get(c.source) || {}).name || c.source]);
    fill(form,
      h('label', { for: 'map-into' }, t('map_into'), ' ', h('input', { id: 'map-into', name: 'into', value: q.into, dir: 'ltr', placeholder: 'region-sahel, ML, country-ly' })),
      select('map-what', t('map_what'), q.what, [['', t('map_any')], ...COMMODITIES.map((c) => [c, t('commodity_' + c)])]),
      h('label', { for: 'map-since' }, t('map_since'), ' ', h('input', { id: 'map-since', name: 'since', type: 'date', value: q.since.slice(0, 10) })),
      select('map-source', t('map_source'), q.source, [['', t('map_any')], ...sources]),
      select('map-grade', t('map_min_grade'), q.min_grade, [['', t('map_any')], ...GRADES.slice(0, 5).flatMap((r) => ['1', '2', '3'].map((c) => [r + c, r + c]))]),
      h('button', { type: 'submit', id: 'map-apply' }, t('map_apply')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const next = new URLSearchParams();
      const v = (id) => form.querySelector('#' + id).value.trim();
      if (v('map-into')) next.set('into', v('map-into'));
      if (v('map-what')) next.set('what', v('map-what'));
      if (v('map-since')) next.set('since', v('map-since') + 'T00:00:00Z');
      if (v('map-source')) next.set('source', v('map-source'));
      if (v('map-grade')) next.set('min_grade', v('map-grade'));
      ctx.navigate('/map' + (next.toString() ? '?' + next : ''));
    });
    let res = all;
    if (q.what || q.since || q.source || q.min_grade) {
      try {
        res = await liaison.flows({ into: q.into || undefined, what: q.what || undefined, since: q.since || undefined,
          source: q.source || undefined, min_grade: q.min_grade || undefined });
      } catch (err) {
        if (!ctx.isCurrent()) return;
        return void fill(area, h('p', { class: 'error', role: 'alert' }, errorText(err)));
      }
      if (!ctx.isCurrent()) return;
    }
    const edges = res.edges;
    const svgBox = h('div', { class: 'map-svg' });
    const pick = (e) => details(panel, e, ctx, res.collections);
    fill(area,
      h('p', { class: 'count', id: 'map-count' }, t('map_count', { n: edges.length })),
      svgBox, legend(),
      edges.length === 0 ? h('p', { class: 'empty', id: 'map-empty' }, t('map_none')) :
        foldable(h('table', { class: 'objects', id: 'map-edges' },
          h('caption', null, t('map_table')),
          h('thead', null, h('tr', null, [t('map_from'), t('map_to'), t('map_what'), t('map_reports_col'), t('map_sources'), t('map_best'), t('map_last_seen'), ''].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', null, edges.map((e) => h('tr', { 'data-what': e.what, 'data-from': e.from, 'data-to': e.to },
            h('td', null, bidi(placeName(e.from)), e.from_placed ? null : [' ', t('map_unplaced')]),
            h('td', null, bidi(placeName(e.to)), e.to_placed ? null : [' ', t('map_unplaced')]),
            h('td', null, t('commodity_' + e.what)),
            h('td', null, fmtNumber(e.reports)),
            h('td', null, fmtNumber(e.n_sources)),
            h('td', null, e.best_grade || '—'),
            h('td', null, fmtDate(e.last_seen)),
            h('td', null, h('button', { type: 'button', class: 'map-open', onclick: () => pick(e) }, t('map_open')))))))));
    drawMap(svgBox, edges, pick);
  },
};
