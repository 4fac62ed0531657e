// Pieces every page shows the same way: errors (with a way to try again), markings, creator
// and trust, grading, names, and tables that fold into cards on a phone.
import { h, fill, bidi } from './dom.js';
import { t, typeName, fmtNumber } from './i18n.js';
import { tlpOf, otherMarkings, names, gradingOf } from './stix.js';
import { sourceWords, infoWords, trustWords, relationshipVerb, vocab } from './vocab.js';

/** What went wrong, in the interface's language; the server's own words (English) follow. */
export function errorMessage(err) {
  const st = err && typeof err.status === 'number' ? err.status : -1;
  let head;
  if (st === 0) head = t('err_network');
  else if (st === 404) return t('not_found');
  else if (st === 401) head = t('err_401');
  else if (st === 403) head = t('refused');
  else if (st === 422) head = t('invalid');
  else if (st === 400 || st === 415) head = t('err_400');
  else if (st === 409) head = t('err_409');
  else if (st === 413) head = t('err_413');
  else if (st === 429) head = err.retryAfter ? t('err_429_wait', { n: err.retryAfter }) : t('err_429');
  else if (st >= 500) head = t('err_5xx');
  else head = t('error');
  const said = st > 0 && err.body && (err.body.description || err.body.title);
  return said ? [head, ' — ', t('server_said'), ' ', h('bdi', { dir: 'auto', lang: 'en' }, said)] : head;
}

/** The same, as plain text (form messages). */
export function errorText(err) {
  const m = errorMessage(err);
  return Array.isArray(m) ? m.map((x) => (typeof x === 'string' ? x : x.textContent)).join('') : m;
}

/** An error in place of a page: what happened, in words, and a button to try again. */
export function showError(el, err, retry) {
  const again = retry && (!err || err.status !== 404)
    ? h('button', { type: 'button', class: 'retry', id: 'retry', onclick: retry }, t('retry'))
    : null;
  const st = err && typeof err.status === 'number' ? err.status : -1;
  fill(el, h('h1', null, t(st === 404 ? 'title_not_found' : st === 0 ? 'title_offline' : 'error')),
    h('div', { class: 'error', role: 'alert', id: 'page-error', 'data-status': st >= 0 ? String(st) : '' },
      h('p', null, errorMessage(err)), again));
}

export function loading() {
  return h('p', { class: 'loading', role: 'status' }, t('loading'));
}

export function tlpBadge(level) {
  if (!level) return h('span', { class: 'tlp tlp-none' }, t('unmarked'));
  return h('span', { class: 'tlp tlp-' + level.replace('+', '-'), 'data-tlp': level }, t('tlp_' + level));
}

/** Every marking, plainly: the TLP badge, then other markings (named when known). */
export function markingBadges(o, markingNames) {
  // A REL TO or group definition is at CLEAR unless marked, never at the collection's default
  // (docs/markings.md).
  const out = [tlpBadge(tlpOf(o) || (o.type === 'marking-definition' ? 'clear' : null))];
  for (const id of otherMarkings(o)) {
    const name = markingNames && markingNames.get(id);
    out.push(' ', h('span', { class: 'marking', title: id }, name ? bidi(name) : t('other_marking')));
  }
  return h('span', { class: 'markings' }, out);
}

/** Our trust in a partner: "Trust B", with the words as a title and for screen readers. */
export function trustBadge(letter) {
  if (!letter) return null;
  const words = trustWords(letter);
  return h('span', { class: 'trust', title: t('trust_of', { t: letter }) + (words ? ' — ' + words : '') }, t('trust') + ' ' + letter);
}

/** The creator: this service, a registered partner (with its trust), or an unknown source. */
export function creator(o, session) {
  const ref = o.created_by_ref;
  if (!ref) return h('span', { class: 'creator none' }, t('no_creator'));
  if (session.instance && ref === session.instance.identity)
    return h('span', { class: 'creator local' }, t('this_instance'));
  const p = session.partners.get(ref);
  if (!p) return h('span', { class: 'creator unknown', title: ref }, t('unknown_partner'));
  return h('span', { class: 'creator partner' }, bidi(p.name), trustBadge(p.trust));
}

/** The grading code as a badge ("B2"), its meaning as a title. */
export function grading(o) {
  const g = gradingOf(o);
  if (!g) return null;
  return h('span', { class: 'grading', title: gradingWords(g) }, g.code);
}

/** "Admiralty B2: source usually reliable; information probably true". */
export function gradingWords(g) {
  const sw = sourceWords(g.scale, g.source);
  const iw = infoWords(g.scale, g.info);
  return t(g.scale === 'europol' ? 'europol' : 'admiralty') + ' ' + g.code + ': ' +
    t('grading_words', { s: sw || '?', i: iw || '?' });
}

/** Names in Arabic and English side by side (each isolated in its own direction). */
export function nameCell(o) {
  if (o.type === 'relationship' && !o.name) return h('span', { class: 'names' }, h('span', { class: 'rel-verb' }, relationshipVerb(o.relationship_type)));
  const n = names(o);
  const parts = [];
  if (n.en) parts.push(bidi(n.en, { class: 'name-en' }));
  if (n.ar) parts.push(bidi(n.ar, { class: 'name-ar' }));
  if (!parts.length && o.type === 'opinion' && o.opinion) parts.push(h('span', null, t('opinion_is', { o: vocab(o.opinion) })));
  if (!parts.length) parts.push(h('span', { class: 'name-id' }, n.primary));
  return h('span', { class: 'names' }, parts);
}

export function typeLabel(type) {
  return h('span', { class: 'type type-' + type }, typeName(type));
}

/** A number in the interface's digits, "2,000+" when there may be more. */
export function countText(n, more) {
  return fmtNumber(n) + (more ? '+' : '');
}

/**
 * Tables fold into one card per row on a phone: each cell gets its column's heading as
 * data-label, which the style sheet shows before the cell (no horizontal scrolling).
 */
export function foldable(table) {
  const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent.trim());
  table.classList.add('foldable');
  for (const tr of table.querySelectorAll('tbody tr'))
    [...tr.children].forEach((td, i) => {
      if (heads[i]) td.dataset.label = heads[i];
      else td.classList.add('no-label');
    });
  return table;
}
