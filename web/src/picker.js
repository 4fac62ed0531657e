// Picking objects by id: a search box (GET /liaison/search) whose results can be added,
// or a STIX id pasted as is. Used to reference objects in an RFI answer and in a new
// request's "about". Only what the caller may see can be found.
import { h, fill } from './dom.js';
import { t } from './i18n.js';
import { liaison } from './api.js';
import { isStixId } from './stix.js';
import { nameCell, typeLabel, markingBadges, errorText } from './ui.js';

/** {el, ids()}: prefix names the element ids (answer-pick, about-pick ...). */
export function objectPicker(prefix) {
  const chosen = new Map(); // id -> object or null (pasted id)
  const input = h('input', { type: 'search', id: prefix + '-q', 'aria-label': t('pick_search'), placeholder: t('pick_placeholder'), dir: 'auto' });
  const results = h('ul', { class: 'pick-results', id: prefix + '-results' });
  const list = h('ul', { class: 'pick-chosen', id: prefix + '-chosen' });
  const msg = h('p', { class: 'form-error', role: 'alert' });

  const showChosen = () => fill(list, [...chosen].map(([id, o]) =>
    h('li', { 'data-id': id }, o ? [typeLabel(o.type), ' ', nameCell(o), ' '] : null, h('code', { class: 'id' }, id), ' ',
      h('button', { type: 'button', class: 'remove', onclick: () => { chosen.delete(id); showChosen(); } }, t('remove')))));
  const add = (id, o) => {
    chosen.set(id, o || null);
    showChosen();
  };

  const find = async () => {
    const q = input.value.trim();
    msg.textContent = '';
    if (isStixId(q)) {
      add(q, null);
      input.value = '';
      fill(results);
      return;
    }
    if ([...q].length < 3) {
      msg.textContent = t('search_short');
      return;
    }
    try {
      const res = await liaison.search({ q, limit: 20 });
      const seen = new Set();
      const rows = (res.results || []).filter((r) => !seen.has(r.object.id) && seen.add(r.object.id));
      fill(results, rows.length === 0 ? h('li', { class: 'empty' }, t('no_results')) : rows.map((r) =>
        h('li', { 'data-id': r.object.id },
          h('button', { type: 'button', class: 'add', onclick: () => add(r.object.id, r.object) }, t('add')), ' ',
          typeLabel(r.object.type), ' ', nameCell(r.object), ' ', markingBadges(r.object))));
    } catch (err) {
      msg.textContent = errorText(err);
    }
  };
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      find();
    }
  });
  const el = h('div', { class: 'picker', id: prefix },
    h('div', { class: 'pick-row' }, input, h('button', { type: 'button', id: prefix + '-find', onclick: find }, t('find'))),
    msg, results,
    h('p', { class: 'help' }, t('pick_chosen')), list);
  return { el, ids: () => [...chosen.keys()], add };
}
