// Pieces every page shows the same way: markings, creator and trust, grading, names.
import { h, fill, bidi } from './dom.js';
import { t, typeName } from './i18n.js';
import { tlpOf, otherMarkings, names, gradingOf } from './stix.js';

export function showError(el, err) {
  fill(el, h('div', { class: 'error', role: 'alert' },
    err && err.status === 404 ? t('not_found') : t('error') + (err && err.message ? ': ' + err.message : '')));
}

export function loading() {
  return h('p', { class: 'loading' }, t('loading'));
}

export function tlpBadge(level) {
  if (!level) return h('span', { class: 'tlp tlp-none' }, t('unmarked'));
  return h('span', { class: 'tlp tlp-' + level.replace('+', '-'), 'data-tlp': level }, t('tlp_' + level));
}

/** Every marking, plainly: the TLP badge, then other markings (named when known). */
export function markingBadges(o, markingNames) {
  const out = [tlpBadge(tlpOf(o))];
  for (const id of otherMarkings(o)) {
    const name = markingNames && markingNames.get(id);
    out.push(' ', h('span', { class: 'marking', title: id }, name ? bidi(name) : t('other_marking')));
  }
  return h('span', { class: 'markings' }, out);
}

/** The creator: this service, a registered partner (with its trust), or an unknown source. */
export function creator(o, session) {
  const ref = o.created_by_ref;
  if (!ref) return h('span', { class: 'creator none' }, t('no_creator'));
  if (session.instance && ref === session.instance.identity)
    return h('span', { class: 'creator local' }, t('this_instance'));
  const p = session.partners.get(ref);
  if (!p) return h('span', { class: 'creator unknown', title: ref }, t('unknown_partner'));
  return h('span', { class: 'creator partner' }, bidi(p.name),
    p.trust ? h('span', { class: 'trust', title: t('trust_of', { t: p.trust }) }, t('trust') + ' ' + p.trust) : null);
}

export function grading(o) {
  const g = gradingOf(o);
  if (!g) return null;
  return h('span', { class: 'grading', title: t(g.scale === 'europol' ? 'europol' : 'admiralty') }, g.code);
}

/** Names in Arabic and English side by side (each in its own direction). */
export function nameCell(o) {
  const n = names(o);
  const parts = [];
  if (n.en) parts.push(h('span', { class: 'name-en', lang: 'en', dir: 'ltr' }, n.en));
  if (n.ar) parts.push(h('span', { class: 'name-ar', lang: 'ar', dir: 'rtl' }, n.ar));
  if (!parts.length) parts.push(h('span', { class: 'name-id' }, n.primary));
  return h('span', { class: 'names' }, parts);
}

export function typeLabel(type) {
  return h('span', { class: 'type type-' + type }, typeName(type));
}
