// One object as an analyst reads it: its names in both scripts; its markings in words (TLP,
// the named TLP:RED recipients, REL TO and statements); its creator and our trust in that
// source; its grading in words; the card of its type, ids replaced by the other object's type
// and name; where it was mentioned (passages of the source report, highlighted) or, for a
// report, the article with every mention highlighted; the relationships in and out and the
// reports that list it; every version, and what changed between two of them; the raw JSON
// behind a toggle. Everything is read with the caller's token (TAXII), so nothing the caller
// may not see can appear.
import { h, fill, bidi } from '../dom.js';
import { t, fmtDate, fmtNumber, typeName } from '../i18n.js';
import { taxii, liaison } from '../api.js';
import { otherMarkings, tlpOf, gradingOf, refsOf, redRecipients, relTo, isStixId } from '../stix.js';
import { loading, tlpBadge, creator, gradingWords, nameCell, typeLabel, trustBadge } from '../ui.js';
import { trustWords, relationshipVerb } from '../vocab.js';
import { card, refLink } from '../cards.js';
import { mentionsOf, markedText, passages } from '../mentions.js';
import { Neighbourhood } from '../neighbours.js';
import { diffView } from '../diff.js';
import { FORMS } from './edit.js';
import { audienceWords } from '../audience.js';

const ENTITY_TYPES = new Set(['location', 'identity', 'threat-actor', 'intrusion-set', 'campaign', 'malware']);

function objHref(cid, id, params) {
  const q = new URLSearchParams(params || {}).toString();
  return '/collections/' + encodeURIComponent(cid) + '/objects/' + encodeURIComponent(id) + (q ? '?' + q : '');
}

/** Reads the objects with these ids that the caller may see in the collection, 50 ids a request. */
async function readable(cid, ids) {
  const out = new Map();
  const want = [...new Set(ids)].filter(isStixId);
  for (let i = 0; i < want.length; i += 50) {
    const page = await taxii.objects(cid, { 'match[id]': want.slice(i, i + 50).join(','), limit: 1000 }).catch(() => null);
    for (const o of (page && page.objects) || []) out.set(o.id, o);
  }
  return out;
}

/** A partner's, or this service's, name for an identity id; null when unknown. */
function partyName(id, session) {
  if (session.instance && id === session.instance.identity) return t('this_instance');
  const p = session.partners.get(id);
  return p ? p.name : null;
}

/** The markings in words: what TLP allows, who TLP:RED names, what REL TO releases to. */
function markingWords(o, defs, session) {
  const items = [];
  const level = tlpOf(o);
  items.push(h('li', { 'data-marking': level || 'none' }, tlpBadge(level), ' ', level ? t('tlp_words_' + level) : t('unmarked_words')));
  if (level === 'red') {
    const ids = redRecipients(o);
    const named = ids.map((id) => partyName(id, session) || t('unregistered_identity'));
    items.push(h('li', { class: 'red-recipients' }, ids.length
      ? [t('red_recipients'), ' ', named.map((n, i) => [i ? t('list_sep') : '', bidi(n)])]
      : t('red_no_recipients')));
  }
  for (const id of otherMarkings(o)) {
    const d = defs.get(id);
    if (!d) {
      items.push(h('li', { class: 'marking-unknown' }, h('span', { class: 'marking' }, t('other_marking')), ' ', t('marking_not_visible')));
      continue;
    }
    const rel = relTo(d);
    const stmt = d.definition_type === 'statement' && d.definition && d.definition.statement;
    items.push(h('li', { class: 'marking-def', 'data-id': id }, h('span', { class: 'marking' }, bidi(d.name || t('other_marking'))), ' ',
      rel ? [t('rel_to_words'), ' ', rel.map((r, i) => [i ? t('list_sep') : '', bidi(partyName(r, session) || t('unregistered_identity'))])]
        : stmt ? [t('statement_words'), ' ', bidi(stmt)] : t('marking_other_words')));
  }
  return h('ul', { class: 'plain marking-words', id: 'obj-markings' }, items);
}

/** The creator and how far we trust it, in words. */
function creatorWords(o, session) {
  const p = o.created_by_ref && session.partners.get(o.created_by_ref);
  return h('span', { id: 'obj-creator' }, creator(o, session),
    p && p.trust ? [' — ', h('span', { class: 'trust-words' }, t('our_trust', { t: p.trust, w: trustWords(p.trust) || '' }))] : null,
    p && !p.trust ? [' — ', h('span', { class: 'trust-words' }, t('no_trust_set'))] : null);
}

/** Where an entity was named: passages of the reports here whose text its mentions cut. */
function mentionsSection(o, nb, ctx) {
  const ms = mentionsOf(o);
  if (!ms.length) return null;
  const found = [];
  for (const r of nb.containersOf(o.id)) {
    if (r.type !== 'report' || typeof r.description !== 'string') continue;
    const ps = passages(r.description, o);
    if (ps.length) found.push({ r, ps });
  }
  const rtl = (r) => r.lang === 'ar' || (!r.lang && /[\u0600-\u06FF]/.test(r.description));
  return h('section', { class: 'mentions', id: 'mentions', 'aria-labelledby': 'mentions-h' },
    h('h2', { id: 'mentions-h' }, t('mentions_title'), ' ', h('span', { class: 'count' }, t('mentions_n', { n: ms.length }))),
    found.length ? found.map(({ r, ps }) => h('div', { class: 'mention-source', 'data-report': r.id },
      h('h3', null, t('mentioned_in'), ' ', h('a', { href: objHref(ctx.cid, r.id), 'data-link': true }, bidi(r.name || r.id))),
      h('ol', { class: 'passages' }, ps.map((p) => h('li', null,
        h('blockquote', { class: 'passage', dir: rtl(r) ? 'rtl' : 'ltr', lang: rtl(r) ? 'ar' : null }, p.nodes))))))
      : [h('p', { class: 'help', id: 'mentions-elsewhere' }, t('mentions_elsewhere')),
        h('ul', { class: 'plain surface-forms' }, [...new Set(ms.map((m) => m.text))].map((x) => h('li', null, bidi(x))))]);
}

/** The report's article with every mention of the entities it refers to highlighted. */
function articleBlock(o, refs, cid) {
  return (key, text) => {
    if (o.type !== 'report' || key !== 'description') return null;
    const entities = [...refs.values()].filter((x) => mentionsOf(x).length);
    const { nodes, count } = markedText(text, entities, { link: (e) => objHref(cid, e.id) });
    const rtl = o.lang === 'ar' || (!o.lang && /[\u0600-\u06FF]/.test(text));
    const types = [...new Set(entities.map((e) => e.type))];
    return [
      count ? h('p', { class: 'help', id: 'article-legend' }, t('article_marks', { n: count }), ' ',
        types.map((ty) => [h('mark', { class: 'mention m-' + ty }, typeName(ty)), ' '])) : null,
      h('div', { class: 'article in-page', id: 'report-text', dir: rtl ? 'rtl' : 'ltr', lang: rtl ? 'ar' : null }, nodes)];
  };
}

function relationshipsSection(o, nb, ctx) {
  if (o.type === 'relationship' || o.type === 'marking-definition') return null;
  const { out, into } = nb.relationshipsOf(o.id);
  const lists = nb.containersOf(o.id);
  const other = (x) => (x.other ? refLink(x.otherId, { ...ctx, refs: new Map([[x.otherId, x.other]]) }) : refLink(x.otherId, ctx));
  const relLink = (r) => h('a', { href: objHref(ctx.cid, r.id), 'data-link': true, class: 'rel-link', title: t('relationship') },
    relationshipVerb(r.relationship_type));
  return h('section', { class: 'relationships', id: 'relationships', 'aria-labelledby': 'rels-h' },
    h('h2', { id: 'rels-h' }, t('relationships')),
    nb.complete ? null : h('p', { class: 'help' }, t('rels_incomplete')),
    h('h3', null, t('rels_out'), ' ', h('span', { class: 'count' }, fmtNumber(out.length))),
    out.length ? h('ul', { class: 'plain rels', id: 'rels-out' }, out.map((x) => h('li', { 'data-id': x.rel.id },
      h('span', { class: 'rel-self' }, t('this_object')), ' ', relLink(x.rel), ' ', other(x)))) : h('p', { class: 'empty' }, t('none')),
    h('h3', null, t('rels_in'), ' ', h('span', { class: 'count' }, fmtNumber(into.length))),
    into.length ? h('ul', { class: 'plain rels', id: 'rels-in' }, into.map((x) => h('li', { 'data-id': x.rel.id },
      other(x), ' ', relLink(x.rel), ' ', h('span', { class: 'rel-self' }, t('this_object'))))) : h('p', { class: 'empty' }, t('none')),
    h('h3', null, t('listed_in'), ' ', h('span', { class: 'count' }, fmtNumber(lists.length))),
    lists.length ? h('ul', { class: 'plain rels', id: 'listed-in' }, lists.map((r) => h('li', { 'data-id': r.id },
      h('a', { href: objHref(ctx.cid, r.id), 'data-link': true }, typeLabel(r.type), ' ', nameCell(r))))) : h('p', { class: 'empty' }, t('none')));
}

function refsSection(o, ctx) {
  const ids = o.type === 'relationship' ? [] : (o.object_refs || []);
  if (!ids.length) return null;
  return h('section', { class: 'refs', id: 'obj-refs', 'aria-labelledby': 'refs-h' },
    h('h2', { id: 'refs-h' }, t('refers_to_title'), ' ', h('span', { class: 'count' }, fmtNumber(ids.length))),
    h('ul', { class: 'plain rels' }, ids.map((id) => h('li', { 'data-id': id }, refLink(id, ctx)))));
}

function versionsSection(o, versions, shown, cid, ctx) {
  const latest = versions[versions.length - 1];
  const q = new URLSearchParams(location.search);
  const from = h('select', { id: 'diff-from', name: 'diff' }, versions.map((v) => h('option', { value: v, selected: v === q.get('diff') ? true : null }, fmtDate(v))));
  const to = h('select', { id: 'diff-to', name: 'version' }, versions.map((v) => h('option', { value: v, selected: v === shown ? true : null }, fmtDate(v))));
  const form = h('form', { class: 'compare', id: 'compare-form' },
    h('label', null, t('compare_from'), ' ', from), h('label', null, t('compare_to'), ' ', to),
    h('button', { type: 'submit', id: 'compare-go' }, t('compare')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    let [a, b] = [from.value, to.value];
    if (a > b) [a, b] = [b, a];
    ctx.navigate(objHref(cid, o.id, b === latest ? { diff: a } : { version: b, diff: a }));
  });
  return h('section', { class: 'versions', 'aria-labelledby': 'versions-h' },
    h('h2', { id: 'versions-h' }, t('versions'), ' ', h('span', { class: 'count' }, t('total_versions', { n: versions.length }))),
    h('ol', { id: 'versions' }, versions.map((v, i) =>
      h('li', { class: v === shown ? 'current' : null, 'data-version': v },
        v === shown
          ? h('strong', null, fmtDate(v), ' (', t('version_shown'), ')')
          : h('a', { href: objHref(cid, o.id, v === latest ? null : { version: v }), 'data-link': true }, fmtDate(v)),
        v === latest ? [' · ', t('latest')] : null,
        i > 0 ? [' · ', h('a', { href: objHref(cid, o.id, v === latest ? { diff: versions[i - 1] } : { version: v, diff: versions[i - 1] }), 'data-link': true, class: 'changes-link' }, t('changes'))] : null))),
    versions.length > 1 ? form : null);
}

export default {
  match: /^\/collections\/(?<cid>[^/]+)\/objects\/(?<oid>[^/]+)\/?$/,
  async render(main, { cid, oid }, ctx) {
    const q = new URLSearchParams(location.search);
    const version = q.get('version') || 'last';
    const diffWith = q.get('diff');
    fill(main, loading());
    const [vers, env, coll] = await Promise.all([taxii.versions(cid, oid), taxii.object(cid, oid, version),
      taxii.collection(cid).catch(() => null)]);
    if (!ctx.isCurrent()) return;
    const o = env && env.objects && env.objects[0];
    if (!o) throw Object.assign(new Error('not found'), { status: 404 });
    const versions = (vers && vers.versions) || [];
    const shown = o.modified || o.created || versions[versions.length - 1];

    // Everything the page names, read with the caller's rights: marking definitions, the
    // objects this one refers to, its neighbourhood, and the older version to compare with.
    const nb = new Neighbourhood(cid);
    const refIds = refsOf(o).map((r) => r.id);
    const local = ctx.session.me && ctx.session.me.kind !== 'partner';
    const [defs, refs, older, aud] = await Promise.all([
      readable(cid, otherMarkings(o)),
      readable(cid, refIds),
      diffWith ? taxii.object(cid, oid, diffWith).then((e) => e && e.objects && e.objects[0]).catch(() => null) : null,
      local ? liaison.audience(cid, oid).catch(() => null) : null,
      nb.load(oid).catch(() => {
        nb.complete = false;
      }),
    ]);
    const { out, into } = nb.relationshipsOf(o.id);
    await nb.fetch([...out, ...into].map((x) => x.otherId)).catch(() => {});
    if (!ctx.isCurrent()) return;
    for (const x of [...out, ...into]) x.other = nb.objects.get(x.otherId) || null;
    const rctx = { refs, session: ctx.session, cid, objHref: (id) => objHref(cid, id) };
    const g = gradingOf(o);
    const p = o.created_by_ref && ctx.session.partners.get(o.created_by_ref);

    fill(main,
      h('p', { class: 'crumbs' }, h('a', { href: '/collections/' + encodeURIComponent(cid), 'data-link': true, id: 'back-to-list' },
        t('back_to_list'), coll ? [' (', bidi(coll.title), ')'] : null)),
      h('h1', { class: 'obj-title', id: 'obj-title' }, typeLabel(o.type), ' ', nameCell(o)),
      h('dl', { class: 'summary', id: 'summary' },
        h('dt', null, t('marking')), h('dd', null, markingWords(o, defs, ctx.session)),
        local && aud ? [h('dt', null, t('audience_title')), h('dd', null, audienceWords(aud))] : null,
        h('dt', null, t('created_by')), h('dd', null, creatorWords(o, ctx.session)),
        g ? [h('dt', null, t('grading')), h('dd', { id: 'obj-grading' }, h('span', { class: 'grading' }, g.code), ' ', h('span', { class: 'grading-words' }, gradingWords(g)),
          p && p.trust ? [' · ', t('our_trust_short'), ' ', trustBadge(p.trust)] : null)] : null,
        h('dt', null, t('created')), h('dd', null, h('time', { datetime: o.created }, fmtDate(o.created))),
        o.modified ? [h('dt', null, t('modified')), h('dd', null, h('time', { datetime: o.modified }, fmtDate(o.modified)))] : null,
        o.revoked ? [h('dt', null, t('revoked_title')), h('dd', { class: 'revoked' }, t('revoked_words'))] : null,
        version !== 'last' ? [h('dt', null, t('version_shown')), h('dd', null, fmtDate(shown))] : null),
      h('p', { class: 'obj-actions' },
        o.type === 'marking-definition' ? null :
          h('a', { href: '/collections/' + encodeURIComponent(cid) + '/graph/' + encodeURIComponent(o.id), 'data-link': true, class: 'button', id: 'open-graph' }, t('open_graph')),
        o.type === 'liaison-rfi' ? [' ', h('a', { href: '/inbox/' + encodeURIComponent(o.id), 'data-link': true, class: 'button', id: 'open-rfi' }, t('open_in_inbox'))] : null,
        FORMS[o.type] && version === 'last' && !ctx.session.me.read_only
          ? [' ', h('a', { href: objHref(cid, o.id) + '/edit', 'data-link': true, class: 'button', id: 'edit-object' }, t('edit'))] : null),
      diffWith && older ? diffView(older, o) : null,
      diffWith && !older ? h('p', { class: 'error', role: 'alert' }, t('diff_missing')) : null,
      card(o, rctx, articleBlock(o, refs, cid)),
      ENTITY_TYPES.has(o.type) ? mentionsSection(o, nb, rctx) : null,
      refsSection(o, rctx),
      relationshipsSection(o, nb, rctx),
      versionsSection(o, versions, shown, cid, ctx),
      h('details', { class: 'raw', id: 'raw-json' },
        h('summary', null, t('raw_json')),
        h('pre', { class: 'json', dir: 'ltr', lang: 'en', tabindex: 0 }, JSON.stringify(o, null, 2))));
  },
};
