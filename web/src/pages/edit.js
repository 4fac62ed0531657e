// Writing objects: a form per type to create one, or a new version of one (edit, revoke),
// sent through TAXII POST with the caller's token like any client's write (the server's one
// write path validates it, applies the creator rule and the markings). The server's refusal
// is shown at the field it names ("from_ref: ..."), else above the form, in its own words
// after the interface's sentence; nothing is stored when it refuses.
import { h, fill, bidi } from '../dom.js';
import { t, typeName } from '../i18n.js';
import { taxii, liaison, serverNow } from '../api.js';
import { audienceWords } from '../audience.js';
import { TLP_LEVELS, tlpOf, tlpMarkingId, withoutTlp } from '../stix.js';
import { loading, errorText } from '../ui.js';
import { propLabel, vocab } from '../vocab.js';
import { objectPicker } from '../picker.js';

// What each form asks: key, kind (text, lines, area, select, date, refs, ref), required, options.
const F = (key, kind, required, options) => ({ key, kind, required: !!required, options });
const COMMODITIES = ['weapons', 'ammunition', 'explosives', 'money', 'fighters', 'fuel', 'drugs', 'people', 'other'];
const FLOW_EXT = 'extension-definition--b708057e-3178-4c8c-a463-32ad8e683cd7'; // src/stix/stix.h
export const FORMS = {
  'threat-actor': [F('name', 'text', 1), F('aliases', 'lines'), F('threat_actor_types', 'select', 0,
    ['terrorist', 'crime-syndicate', 'criminal', 'nation-state', 'activist', 'unknown']), F('description', 'area')],
  'intrusion-set': [F('name', 'text', 1), F('aliases', 'lines'), F('description', 'area')],
  location: [F('name', 'text'), F('country', 'text'), F('region', 'text'), F('description', 'area')],
  identity: [F('name', 'text', 1), F('identity_class', 'select', 1, ['organization', 'individual', 'group', 'system', 'class', 'unknown']),
    F('description', 'area')],
  report: [F('name', 'text', 1), F('published', 'date', 1), F('report_types', 'select', 0, ['threat-report', 'threat-actor', 'campaign', 'indicator']),
    F('object_refs', 'refs', 1), F('description', 'area')],
  note: [F('abstract', 'text'), F('content', 'area', 1), F('object_refs', 'refs', 1)],
  indicator: [F('name', 'text'), F('pattern', 'text', 1), F('pattern_type', 'select', 1, ['stix']), F('valid_from', 'date', 1),
    F('description', 'area')],
  relationship: [F('relationship_type', 'select', 1, ['related-to', 'located-at', 'attributed-to', 'uses', 'targets', 'indicates']),
    F('source_ref', 'ref', 1), F('target_ref', 'ref', 1), F('description', 'area')],
  opinion: [F('opinion', 'select', 1, ['strongly-agree', 'agree', 'neutral', 'disagree', 'strongly-disagree']), F('explanation', 'area'),
    F('object_refs', 'refs', 1)],
  // A flow (docs/flows.md): what moves, from where to where, through where, carried by whom.
  'liaison-flow': [F('name', 'text'), F('commodities', 'multi', 1, COMMODITIES), F('other_commodities', 'lines'),
    F('from_ref', 'ref', 1), F('to_ref', 'ref', 1), F('via_refs', 'refs'), F('carrier_refs', 'refs'),
    F('first_seen', 'date'), F('last_seen', 'date'), F('estimate', 'estimate'), F('description', 'area')],
};
// A new object of a type STIX does not define names its extension-definition (STIX 2.1 §7.3).
const NEW_SDO_EXT = { 'liaison-flow': FLOW_EXT };
const LIST_SELECTS = new Set(['threat_actor_types', 'report_types']);

export function uuid4() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** A timestamp after `after` (a version must be newer than the one it replaces). */
function nowAfter(after) {
  let now = serverNow();
  if (after && now <= after) now = new Date(Date.parse(after) + 1).toISOString();
  return now;
}

function field(f, value) {
  const id = 'fld-' + f.key;
  const label = h('label', { for: id }, propLabel(f.key) || f.key, f.required ? [' ', h('span', { class: 'required' }, t('required_mark'))] : null);
  const err = h('p', { class: 'form-error field-error', id: id + '-error', role: 'alert' });
  let input, get;
  if (f.kind === 'area') {
    input = h('textarea', { id, name: f.key, rows: 4, dir: 'auto', 'aria-describedby': id + '-error' }, value || '');
    get = () => input.value.trim() || undefined;
  } else if (f.kind === 'lines') {
    input = h('textarea', { id, name: f.key, rows: 2, dir: 'auto', 'aria-describedby': id + '-error' }, (value || []).join('\n'));
    get = () => { const v = input.value.split('\n').map((x) => x.trim()).filter(Boolean); return v.length ? v : undefined; };
  } else if (f.kind === 'select') {
    const cur = Array.isArray(value) ? value[0] : value;
    input = h('select', { id, name: f.key, 'aria-describedby': id + '-error' },
      f.required ? null : h('option', { value: '' }, t('none')),
      f.options.map((o) => h('option', { value: o, selected: o === cur ? true : null }, vocab(o))));
    get = () => (input.value ? (LIST_SELECTS.has(f.key) ? [input.value] : input.value) : undefined);
  } else if (f.kind === 'multi') {
    const cur = new Set([].concat(value || []));
    input = h('select', { id, name: f.key, multiple: true, size: Math.min(f.options.length, 9), 'aria-describedby': id + '-error' },
      f.options.map((o) => h('option', { value: o, selected: cur.has(o) ? true : null }, vocab(o))));
    get = () => { const v = [...input.selectedOptions].map((o) => o.value); return v.length ? v : undefined; };
  } else if (f.kind === 'estimate') {
    // {"quantity": number >= 0, "unit": text}: both or neither (the server says which is wrong).
    const qty = h('input', { type: 'number', id, name: f.key + '-quantity', min: '0', step: 'any', inputmode: 'decimal',
      value: value && value.quantity !== undefined ? String(value.quantity) : '', 'aria-describedby': id + '-error' });
    const unit = h('input', { type: 'text', id: id + '-unit', name: f.key + '-unit', dir: 'auto', value: (value && value.unit) || '',
      'aria-label': t('estimate_unit'), placeholder: t('estimate_unit') });
    input = h('span', { class: 'estimate' }, qty, ' ', unit);
    get = () => {
      const q = qty.value.trim(), u = unit.value.trim();
      if (!q && !u) return undefined;
      return { quantity: q === '' ? undefined : Number(q), unit: u || undefined };
    };
  } else if (f.kind === 'date') {
    input = h('input', { type: 'date', id, name: f.key, value: value ? value.slice(0, 10) : '', 'aria-describedby': id + '-error' });
    get = () => (input.value ? input.value + 'T00:00:00.000Z' : undefined);
  } else if (f.kind === 'refs' || f.kind === 'ref') {
    const picker = objectPicker(id);
    for (const ref of [].concat(value || [])) picker.add(ref, null);
    input = picker.el;
    get = () => { const v = picker.ids(); return f.kind === 'ref' ? (v.length === 1 ? v[0] : v.length ? v : undefined) : (v.length ? v : undefined); };
  } else {
    input = h('input', { type: 'text', id, name: f.key, value: value || '', dir: 'auto', 'aria-describedby': id + '-error' });
    get = () => input.value.trim() || undefined;
  }
  return { f, el: h('div', { class: 'field', 'data-key': f.key }, label, input, err), get, err };
}

export default {
  match: /^\/collections\/(?<cid>[^/]+)\/(?<what>new|objects\/[^/]+\/edit)\/?$/,
  async render(main, { cid, what }, ctx) {
    const oid = what === 'new' ? null : what.split('/')[1];
    fill(main, loading());
    const old = oid ? (((await taxii.object(cid, oid)) || {}).objects || [])[0] : null;
    if (!ctx.isCurrent()) return;
    if (oid && !old) throw Object.assign(new Error('not found'), { status: 404 });
    const q = new URLSearchParams(location.search);
    const type = old ? old.type : (FORMS[q.get('type')] ? q.get('type') : 'threat-actor');
    if (!FORMS[type]) throw Object.assign(new Error('no form'), { status: 404 });
    const fields = FORMS[type].map((f) => field(f, old && old[f.key]));
    const tlp = h('select', { id: 'fld-tlp', name: 'tlp' }, TLP_LEVELS.map((l) =>
      h('option', { value: l, selected: l === ((old && tlpOf(old)) || 'amber') ? true : null }, t('tlp_' + l))));
    const top = h('div', { id: 'form-error', class: 'form-error', role: 'alert' });
    const typeSel = old ? null : h('select', { id: 'fld-type', name: 'type' }, Object.keys(FORMS).map((x) =>
      h('option', { value: x, selected: x === type ? true : null }, typeName(x))));
    if (typeSel) typeSel.addEventListener('change', () => ctx.navigate('/collections/' + encodeURIComponent(cid) + '/new?type=' + typeSel.value, true));

    const send = async (obj) => {
      fill(top);
      for (const x of fields) x.err.textContent = '';
      let st;
      try {
        st = await taxii.post(cid, [obj]);
      } catch (err) {
        return void fill(top, errorText(err));
      }
      if (!ctx.isCurrent()) return;
      if (st && st.success_count === 1)
        return ctx.navigate('/collections/' + encodeURIComponent(cid) + '/objects/' + encodeURIComponent(obj.id));
      const msg = ((st && st.failures) || []).map((x) => x.message).join(' ') || t('write_refused');
      const at = fields.find((x) => msg.startsWith(x.f.key + ':') || msg.startsWith(x.f.key + '['));
      const words = [t('write_refused'), ' ', h('span', { class: 'server-words', dir: 'ltr', lang: 'en' }, h('bdi', null, msg))];
      if (at) {
        fill(at.err, words);
        at.el.querySelector('input, textarea, select').focus();
      } else fill(top, words);
    };
    const preview = h('div', { class: 'audience-preview', id: 'audience-preview-area', 'aria-live': 'polite' });
    const form = h('form', { id: 'object-form', class: 'object-form', novalidate: true },
      top,
      typeSel ? h('div', { class: 'field' }, h('label', { for: 'fld-type' }, t('type')), typeSel) : null,
      fields.map((x) => x.el),
      h('div', { class: 'field' }, h('label', { for: 'fld-tlp' }, t('marking')), tlp),
      preview,
      h('p', { class: 'form-actions' },
        h('button', { type: 'submit', id: 'form-save' }, old ? t('save_version') : t('create')),
        old && !old.revoked ? [' ', h('button', { type: 'button', id: 'form-revoke', class: 'danger', onclick: () => {
          if (confirm(t('revoke_confirm'))) send({ ...old, revoked: true, modified: nowAfter(old.modified) });
        } }, t('revoke'))] : null));
    const newId = type + '--' + uuid4();
    // The object as the form now says it; mark: say what is missing at each field.
    const build = (mark) => {
      let missing = false;
      const obj = old ? { ...old } : { type, spec_version: '2.1', id: newId };
      if (!old && NEW_SDO_EXT[type]) obj.extensions = { [NEW_SDO_EXT[type]]: { extension_type: 'new-sdo' } };
      for (const x of fields) {
        const v = x.get();
        if (mark) x.err.textContent = '';
        if (v === undefined) {
          delete obj[x.f.key];
          if (x.f.required && mark) x.err.textContent = t('field_required');
          missing = missing || x.f.required;
        } else obj[x.f.key] = v;
      }
      const now = nowAfter(old && old.modified);
      if (!old) {
        obj.created = now;
        if (ctx.session.me.kind !== 'partner' && ctx.session.instance) obj.created_by_ref = ctx.session.instance.identity;
      }
      obj.modified = now;
      obj.object_marking_refs = [tlpMarkingId(tlp.value), ...withoutTlp(old && old.object_marking_refs)];
      return { obj, missing };
    };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const { obj, missing } = build(true);
      if (missing) return void fill(top, t('fix_fields'));
      send(obj);
    });
    // Who it will reach, asked of the gate for the object as the form now says it (this
    // instance's analysts only: a partner is not told who else receives what).
    let asked = 0;
    const showPreview = async () => {
      if (ctx.session.me.kind === 'partner') return;
      const n = ++asked;
      let res;
      try {
        res = await liaison.audiencePreview(cid, build(false).obj);
      } catch (err) {
        if (n === asked && ctx.isCurrent()) fill(preview, h('p', { class: 'help' }, errorText(err)));
        return;
      }
      if (n === asked && ctx.isCurrent()) fill(preview, h('h2', null, t('audience_preview')), audienceWords(res, 'audience-preview'));
    };
    tlp.addEventListener('change', showPreview);
    fill(main,
      h('h1', { id: 'form-title' }, old ? [t('edit'), ' ', typeName(type), ': ', bidi(old.name || '')] : [t('new_object')]),
      h('p', { class: 'help' }, t('write_help')), form);
    await showPreview();
  },
};
