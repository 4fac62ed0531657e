// The card of an object as an analyst reads it: per type, the properties that matter, with
// labels and vocabulary in the interface's language, ids replaced by the other object's type
// and name (when the caller can read it), text isolated in its own direction. Properties no
// card knows are listed after the card under their own names; everything is in the raw JSON.
import { h, bidi } from './dom.js';
import { t, fmtDate, fmtNumber, typeName, currentLang } from './i18n.js';
import { isStixId, names } from './stix.js';
import { nameCell, typeLabel } from './ui.js';
import { propLabel, vocab, regionName, countryName, languageName, relationshipVerb } from './vocab.js';

export const CARD_FIELDS = {
  'threat-actor': ['threat_actor_types', 'roles', 'goals', 'sophistication', 'resource_level', 'primary_motivation',
    'secondary_motivations', 'personal_motivations', 'first_seen', 'last_seen'],
  'intrusion-set': ['goals', 'resource_level', 'primary_motivation', 'secondary_motivations', 'first_seen', 'last_seen'],
  location: ['country', 'region', 'administrative_area', 'city', 'street_address', 'postal_code', 'latitude', 'longitude', 'precision'],
  identity: ['identity_class', 'sectors', 'roles', 'contact_information'],
  report: ['published', 'report_types'],
  note: ['abstract', 'authors'],
  opinion: ['opinion', 'authors'],
  indicator: ['indicator_types', 'pattern', 'pattern_type', 'pattern_version', 'valid_from', 'valid_until', 'kill_chain_phases'],
  relationship: ['start_time', 'stop_time'],
  'liaison-rfi': ['subject', 'addressee_ref', 'priority', 'due', 'state', 'questions', 'about_refs'],
  'liaison-rfi-response': ['action', 'rfi_ref', 'requester_ref', 'reason'],
  campaign: ['objective', 'first_seen', 'last_seen'],
  malware: ['malware_types', 'is_family', 'first_seen', 'last_seen'],
  grouping: ['context'],
  sighting: ['sighting_of_ref', 'where_sighted_refs', 'first_seen', 'last_seen', 'count'],
  'liaison-flow': ['commodities', 'other_commodities', 'from_ref', 'to_ref', 'via_refs', 'carrier_refs', 'estimate',
    'first_seen', 'last_seen'],
};
// Long text, shown as a block under the card (isolated, aligned with the page).
export const TEXT_FIELDS = ['description', 'content', 'explanation', 'text'];
// Shown elsewhere on the page (title, summary, markings, mentions, refs list, versions).
const SHOWN_ELSEWHERE = new Set(['type', 'spec_version', 'id', 'created', 'modified', 'created_by_ref', 'object_marking_refs',
  'granular_markings', 'extensions', 'name', 'aliases', 'x_aliases', 'x_mitre_aliases', 'object_refs', 'source_ref',
  'target_ref', 'relationship_type']);
const COMMON = ['labels', 'confidence', 'lang', 'external_references', 'revoked'];
const VOCAB = new Set(['threat_actor_types', 'roles', 'sophistication', 'resource_level', 'primary_motivation', 'secondary_motivations',
  'personal_motivations', 'identity_class', 'sectors', 'report_types', 'indicator_types', 'opinion', 'malware_types', 'context',
  'priority', 'state', 'action', 'commodities']);

/**
 * What a ref shows: the other object's type and names, linked to its page, when the caller can
 * read it here; a registered partner or this service by name; otherwise "not visible here"
 * with the id (which the caller already holds in this object).
 */
export function refLink(id, ctx) {
  const o = ctx.refs.get(id);
  if (o) return h('a', { href: ctx.objHref(id), 'data-link': true, class: 'ref', 'data-id': id }, typeLabel(o.type), ' ', nameCell(o));
  const s = ctx.session;
  if (s.instance && id === s.instance.identity) return h('span', { class: 'ref party', 'data-id': id }, t('this_instance'));
  const p = s.partners.get(id);
  if (p) return h('span', { class: 'ref party', 'data-id': id }, typeLabel('identity'), ' ', bidi(p.name), ' (', t('role_partner'), ')');
  const type = id.split('--')[0];
  return h('span', { class: 'ref ref-unknown', 'data-id': id },
    typeLabel(type), ' ', h('span', { class: 'muted' }, t('ref_not_visible')), ' ', h('code', { class: 'id' }, id));
}

function list(items, ordered) {
  return h(ordered ? 'ol' : 'ul', { class: 'plain' }, items.map((x) => h('li', null, x)));
}

/** One property's value, in words. */
export function valueOf(key, v, ctx) {
  if (v === null || v === undefined) return null;
  if (key.endsWith('_ref') && isStixId(v)) return refLink(v, ctx);
  if (key.endsWith('_refs') && Array.isArray(v)) return list(v.map((id) => (isStixId(id) ? refLink(id, ctx) : bidi(String(id)))));
  if (key === 'country') return [bidi(countryName(v)), ' ', h('span', { class: 'muted code' }, '(', v, ')')];
  if (key === 'region') return bidi(regionName(v));
  if (key === 'lang') return languageName(v);
  if (key === 'pattern') return h('code', { class: 'pattern', dir: 'ltr' }, v);
  if (key === 'confidence' && typeof v === 'number') return t('out_of_100', { n: v });
  if (key === 'kill_chain_phases' && Array.isArray(v))
    return list(v.map((p) => h('span', { dir: 'ltr' }, h('bdi', null, p.kill_chain_name), ': ', h('bdi', null, p.phase_name))));
  if (key === 'external_references' && Array.isArray(v))
    return list(v.map((r) => [bidi(r.source_name || ''), r.external_id ? [' ', h('code', null, r.external_id)] : null,
      r.description ? [' — ', bidi(r.description)] : null,
      r.url ? [' ', h('a', { href: r.url, rel: 'noopener noreferrer', dir: 'ltr' }, r.url)] : null]));
  if (key === 'questions' && Array.isArray(v)) return list(v.map((q) => bidi(q)), true);
  if (key === 'estimate' && v && typeof v.quantity === 'number')
    return [fmtNumber(v.quantity), ' ', bidi(String(v.unit || ''))];
  if (VOCAB.has(key)) return Array.isArray(v) ? list(v.map((x) => bidi(vocab(x)))) : bidi(vocab(v));
  if (typeof v === 'boolean') return v ? t('yes') : t('no');
  if (typeof v === 'number') return fmtNumber(v);
  if (typeof v === 'string') {
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(v)) return h('time', { datetime: v }, fmtDate(v));
    return bidi(v);
  }
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number'))
    return list(v.map((x) => (typeof x === 'number' ? fmtNumber(x) : bidi(x))));
  return h('pre', { class: 'json', dir: 'ltr' }, JSON.stringify(v, null, 2));
}

function row(key, label, value) {
  return [h('dt', { 'data-key': key }, label), h('dd', { 'data-key': key }, value)];
}

/** "AQIM  located at  Mali": a relationship as a sentence, each side named. */
export function relationshipSentence(o, ctx) {
  return h('p', { class: 'rel-sentence', id: 'rel-sentence' },
    h('span', { class: 'rel-end' }, refLink(o.source_ref, ctx)), ' ',
    h('strong', { class: 'rel-verb', 'data-type': o.relationship_type }, relationshipVerb(o.relationship_type)), ' ',
    h('span', { class: 'rel-end' }, refLink(o.target_ref, ctx)));
}

/** "Weapons, fighters: Libya → through Niger → Mali, carried by AQIM": a flow in one line. */
export function flowSentence(o, ctx) {
  const sep = (i) => (i ? t('list_sep') : '');
  return h('p', { class: 'rel-sentence flow-sentence', id: 'flow-sentence' },
    h('strong', null, (o.commodities || []).map((c, i) => [sep(i), bidi(vocab(c))])), ': ',
    h('span', { class: 'rel-end' }, refLink(o.from_ref, ctx)),
    (o.via_refs || []).length ? [' ', h('span', { 'aria-hidden': 'true' }, currentLang() === 'ar' ? '←' : '→'), ' ', t('flow_via'), ' ',
      o.via_refs.map((id, i) => [sep(i), refLink(id, ctx)])] : null,
    ' ', h('span', { 'aria-hidden': 'true' }, currentLang() === 'ar' ? '←' : '→'), ' ', h('span', { class: 'rel-end' }, refLink(o.to_ref, ctx)),
    (o.carrier_refs || []).length ? [' — ', t('flow_by'), ' ', o.carrier_refs.map((id, i) => [sep(i), refLink(id, ctx)])] : null);
}

/**
 * The card: every name of the object (both scripts), the type's own properties, the common
 * ones, and the text blocks. textBlock(key, text) may replace a text (the report's article
 * with its mentions highlighted).
 */
export function card(o, ctx, textBlock) {
  const fields = CARD_FIELDS[o.type] || [];
  const rows = [];
  const n = names(o);
  const all = [o.name, ...(o.aliases || []), ...(o.x_aliases || []), ...(o.x_mitre_aliases || [])].filter((x) => typeof x === 'string' && x);
  if (all.length)
    rows.push(row('names', t('names'), h('ul', { class: 'name-list', id: 'all-names' },
      [...new Set(all)].map((x) => h('li', { class: x === n.ar ? 'is-ar' : null }, bidi(x))))));
  for (const k of [...fields, ...COMMON]) {
    if (o[k] === undefined || (Array.isArray(o[k]) && !o[k].length)) continue;
    rows.push(row(k, propLabel(k) || k, valueOf(k, o[k], ctx)));
  }
  const known = new Set([...fields, ...COMMON, ...TEXT_FIELDS, ...SHOWN_ELSEWHERE]);
  const others = Object.keys(o).filter((k) => !known.has(k));
  const texts = TEXT_FIELDS.filter((k) => typeof o[k] === 'string' && o[k]);
  return h('section', { class: 'card type-card', id: 'card', 'data-type': o.type, 'aria-labelledby': 'card-h' },
    h('h2', { id: 'card-h' }, typeName(o.type)),
    o.type === 'relationship' ? relationshipSentence(o, ctx) : null,
    o.type === 'liaison-flow' ? flowSentence(o, ctx) : null,
    rows.length ? h('dl', { class: 'summary fields' }, rows) : null,
    texts.map((k) => h('div', { class: 'text-field', 'data-key': k },
      h('h3', null, propLabel(k)),
      (textBlock && textBlock(k, o[k])) || h('p', { class: 'user-text long' }, bidi(o[k])))),
    others.length ? h('div', { class: 'other-props' },
      h('h3', null, t('other_properties')),
      h('dl', { class: 'summary fields' }, others.map((k) => row(k, propLabel(k) || h('code', { dir: 'ltr' }, k), valueOf(k, o[k], ctx))))) : null);
}
