// One object: every property, its markings plainly, its creator and that partner's
// trust, its grading, and all its versions (TAXII versions endpoint); any version can be
// shown. Ids it refers to link to their own page in the same collection.
import { h, fill, bidi } from '../dom.js';
import { t, fmtDate, fmtNumber } from '../i18n.js';
import { taxii } from '../api.js';
import { otherMarkings, isStixId } from '../stix.js';
import { loading, markingBadges, creator, grading, nameCell, typeLabel } from '../ui.js';

function objHref(cid, id, version) {
  return '/collections/' + encodeURIComponent(cid) + '/objects/' + encodeURIComponent(id) +
    (version ? '?version=' + encodeURIComponent(version) : '');
}

function value(cid, v, key) {
  if (isStixId(v) && key !== 'id')
    return h('a', { href: objHref(cid, v), 'data-link': true, class: 'ref' }, h('code', null, v));
  if (typeof v === 'string') {
    if (/^\d{4}-\d{2}-\d{2}T/.test(v)) return h('time', { datetime: v, title: v }, fmtDate(v));
    return h('span', { class: 'text' }, bidi(v));
  }
  if (typeof v === 'number') return fmtNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string'))
    return h('ul', { class: 'plain' }, v.map((x) => h('li', null, value(cid, x, ''))));
  return h('pre', { class: 'json', dir: 'ltr' }, JSON.stringify(v, null, 2));
}

export default {
  match: /^\/collections\/(?<cid>[^/]+)\/objects\/(?<oid>[^/]+)\/?$/,
  async render(main, { cid, oid }, ctx) {
    const version = new URLSearchParams(location.search).get('version') || 'last';
    fill(main, loading());
    const [vers, env] = await Promise.all([taxii.versions(cid, oid), taxii.object(cid, oid, version)]);
    if (!ctx.isCurrent()) return;
    const o = env && env.objects && env.objects[0];
    if (!o) throw Object.assign(new Error('not found'), { status: 404 });
    const versions = (vers && vers.versions) || [];

    // Name the non-TLP markings (REL TO, statements) when their definitions are visible here.
    const markingNames = new Map();
    const others = otherMarkings(o);
    if (others.length) {
      try {
        const defs = await taxii.objects(cid, { 'match[id]': others.join(','), 'match[type]': 'marking-definition' });
        for (const d of (defs && defs.objects) || []) markingNames.set(d.id, d.name || d.id);
      } catch {
        /* shown as "other marking" with the id as a tooltip */
      }
    }
    if (!ctx.isCurrent()) return;

    const shown = o.modified || o.created || versions[versions.length - 1];
    const latest = versions[versions.length - 1];
    const props = Object.keys(o).filter((k) => k !== 'extensions' || Object.keys(o.extensions).length);
    fill(main, 
      h('p', { class: 'crumbs' }, h('a', { href: '/collections/' + encodeURIComponent(cid), 'data-link': true }, t('back_to_list'))),
      h('h1', { class: 'obj-title' }, typeLabel(o.type), ' ', nameCell(o)),
      h('dl', { class: 'summary', id: 'summary' },
        h('dt', null, t('marking')), h('dd', { id: 'obj-markings' }, markingBadges(o, markingNames)),
        h('dt', null, t('created_by')), h('dd', { id: 'obj-creator' }, creator(o, ctx.session)),
        grading(o) ? [h('dt', null, t('grading')), h('dd', { id: 'obj-grading' }, grading(o))] : null,
        h('dt', null, t('created')), h('dd', null, value(cid, o.created, '')),
        o.modified ? [h('dt', null, t('modified')), h('dd', null, value(cid, o.modified, ''))] : null),
      o.type === 'marking-definition' ? null :
        h('p', null, h('a', { href: '/collections/' + encodeURIComponent(cid) + '/graph/' + encodeURIComponent(o.id), 'data-link': true, class: 'button', id: 'open-graph' }, t('open_graph'))),
      h('section', { class: 'versions' },
        h('h2', null, t('versions'), ' ', h('span', { class: 'count' }, t('total_versions', { n: versions.length }))),
        h('ol', { id: 'versions' }, versions.map((v) =>
          h('li', { class: v === shown ? 'current' : null, 'data-version': v },
            v === shown
              ? h('strong', null, fmtDate(v), ' (', t('version_shown'), ')')
              : h('a', { href: objHref(cid, o.id, v === latest ? null : v), 'data-link': true }, fmtDate(v)),
            v === latest ? [' · ', t('latest')] : null)))),
      h('section', { class: 'props' },
        h('h2', null, t('properties')),
        h('table', { class: 'props', id: 'props' }, h('tbody', null, props.map((k) =>
          h('tr', null, h('th', { dir: 'ltr' }, k), h('td', null, value(cid, o[k], k))))))));
  },
};
