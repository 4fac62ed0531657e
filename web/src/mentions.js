// The intake's mentions (docs/intake.md, docs/schemas/intake-mentions.json): where in the text
// of the report that carried an entity the entity was named. Offsets count Unicode code
// points; JavaScript strings count UTF-16 units, so they are mapped before cutting. The text
// is built from text nodes and <mark> elements only, never from markup.
import { h } from './dom.js';
import { typeName } from './i18n.js';

export const MENTIONS_EXT = 'extension-definition--6f1d3c0a-5b7e-4c2a-9e51-2d7a4b8c9f10';

/** Code point offsets (as the server counts) to UTF-16 indices (as JS strings count). */
export function codePointIndex(text) {
  const idx = [0];
  let u = 0;
  for (const ch of text) {
    u += ch.length;
    idx.push(u);
  }
  return (cp) => idx[Math.max(0, Math.min(cp, idx.length - 1))];
}

export function mentionsOf(o) {
  const e = o && o.extensions && o.extensions[MENTIONS_EXT];
  return (e && Array.isArray(e.mentions)) ? e.mentions : [];
}

/**
 * The mentions of entity that fall in text: each one whose offsets cut exactly its surface
 * form out of text (an entity reused from another article carries that article's offsets,
 * which do not match this one). [{s, e}] in UTF-16 indices.
 */
export function spansIn(text, entity, at = codePointIndex(text)) {
  const out = [];
  for (const m of mentionsOf(entity)) {
    if (!Number.isInteger(m.start) || !Number.isInteger(m.end) || m.end <= m.start) continue;
    const s = at(m.start);
    const e = at(m.end);
    if (typeof m.text === 'string' && text.slice(s, e) === m.text) out.push({ s, e, m });
  }
  return out;
}

/**
 * The text with a <mark> per mention of the entities, built node by node. Overlapping
 * mentions: the first, longest one is drawn. opts.markClass(entity) adds classes;
 * opts.link(entity) wraps the mark in a link (keyboard reachable) when it gives an href.
 */
export function markedText(text, entities, opts = {}) {
  const at = codePointIndex(text);
  const spans = [];
  for (const ent of entities) for (const sp of spansIn(text, ent, at)) spans.push({ ...sp, ent });
  spans.sort((a, b) => a.s - b.s || b.e - a.e);
  const out = [];
  let pos = 0;
  for (const sp of spans) {
    if (sp.s < pos) continue;
    if (sp.s > pos) out.push(document.createTextNode(text.slice(pos, sp.s)));
    const mark = h('mark', {
      class: 'mention m-' + sp.ent.type + (opts.markClass ? ' ' + opts.markClass(sp.ent) : ''),
      'data-entity': sp.ent.id, title: typeName(sp.ent.type) + ': ' + (sp.ent.name || ''),
    }, text.slice(sp.s, sp.e));
    const href = opts.link && opts.link(sp.ent);
    out.push(href ? h('a', { href, 'data-link': true, class: 'mention-link' }, mark) : mark);
    pos = sp.e;
  }
  if (pos < text.length) out.push(document.createTextNode(text.slice(pos)));
  return { nodes: out, count: spans.length };
}

/**
 * Short passages around each mention of entity in text: about `context` code points either
 * side, cut at a space, with the mention marked. [{nodes, m}]
 */
export function passages(text, entity, context = 90) {
  const out = [];
  for (const sp of spansIn(text, entity)) {
    let a = Math.max(0, sp.s - context);
    let b = Math.min(text.length, sp.e + context);
    if (a > 0) {
      const sp1 = text.indexOf(' ', a);
      if (sp1 >= 0 && sp1 < sp.s) a = sp1 + 1;
    }
    if (b < text.length) {
      const sp2 = text.lastIndexOf(' ', b);
      if (sp2 > sp.e) b = sp2;
    }
    const nodes = [];
    if (a > 0) nodes.push('… ');
    nodes.push(text.slice(a, sp.s).replace(/\s+/g, ' '));
    nodes.push(h('mark', { class: 'mention m-' + entity.type }, text.slice(sp.s, sp.e)));
    nodes.push(text.slice(sp.e, b).replace(/\s+/g, ' '));
    if (b < text.length) nodes.push(' …');
    out.push({ nodes, m: sp.m });
  }
  return out;
}
