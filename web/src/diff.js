// What changed between two versions of an object: a row per property added, removed or
// changed; text changed word by word (jsdiff), other values line by line over their JSON.
// Removed text is <del>, added text <ins>, each also said in words for screen readers.
import { diffWordsWithSpace, diffLines } from 'diff';
import { h, bidi } from './dom.js';
import { t, fmtDate } from './i18n.js';
import { propLabel } from './vocab.js';

const IGNORED = new Set(['modified']);

/** [{key, kind: added|removed|changed, before, after}] between two versions (older, newer). */
export function changes(older, newer) {
  const keys = [...new Set([...Object.keys(older), ...Object.keys(newer)])].filter((k) => !IGNORED.has(k));
  const out = [];
  for (const k of keys) {
    const a = older[k];
    const b = newer[k];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    out.push({ key: k, kind: a === undefined ? 'added' : b === undefined ? 'removed' : 'changed', before: a, after: b });
  }
  return out;
}

function parts(chunks) {
  return chunks.map((c) => {
    if (c.added) return h('ins', null, h('span', { class: 'sr-only' }, t('diff_added_sr')), c.value);
    if (c.removed) return h('del', null, h('span', { class: 'sr-only' }, t('diff_removed_sr')), c.value);
    return c.value;
  });
}

function asText(v) {
  return typeof v === 'string' ? v : JSON.stringify(v, null, 2);
}

function changeView(c) {
  if (c.kind !== 'changed') {
    const v = c.kind === 'added' ? c.after : c.before;
    const tag = c.kind === 'added' ? 'ins' : 'del';
    return h('div', { class: 'diff-text' }, h(tag, null, h('span', { class: 'sr-only' }, t(c.kind === 'added' ? 'diff_added_sr' : 'diff_removed_sr')),
      typeof v === 'string' ? bidi(v) : h('code', { dir: 'ltr' }, asText(v))));
  }
  if (typeof c.before === 'string' && typeof c.after === 'string')
    return h('div', { class: 'diff-text user-text' }, h('bdi', { dir: 'auto' }, parts(diffWordsWithSpace(c.before, c.after))));
  return h('pre', { class: 'json diff-json', dir: 'ltr' }, parts(diffLines(asText(c.before), asText(c.after))));
}

/** The comparison of two versions: their dates and a row per change. */
export function diffView(older, newer) {
  const list = changes(older, newer);
  return h('section', { class: 'diff', id: 'diff', 'aria-labelledby': 'diff-h' },
    h('h2', { id: 'diff-h' }, t('diff_title')),
    h('p', { class: 'help' }, t('diff_between', { a: fmtDate(older.modified || older.created), b: fmtDate(newer.modified || newer.created) })),
    list.length === 0 ? h('p', { class: 'empty', id: 'diff-none' }, t('diff_none')) :
      h('dl', { class: 'diff-list', id: 'diff-list' }, list.map((c) => [
        h('dt', { 'data-key': c.key, 'data-kind': c.kind },
          propLabel(c.key) || h('code', { dir: 'ltr' }, c.key), ' ', h('span', { class: 'diff-kind diff-' + c.kind }, t('diff_' + c.kind))),
        h('dd', { 'data-key': c.key }, changeView(c))])));
}
