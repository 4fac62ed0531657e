// A tiny element builder. Text always goes in as text nodes (never innerHTML), so
// nothing a partner wrote can become markup or script.

/** h('div', {class: 'x', onclick: fn, dir: 'auto'}, child, [children], 'text') */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'value') el.value = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.append(c);
    else el.append(document.createTextNode(String(c)));
  }
}

/** Replaces el's children (null, false and nested arrays allowed, as in h()). */
export function fill(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

const ARABIC = /[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]/;
const FIRST_STRONG = /[A-Za-z\u00C0-\u024F\u0370-\u03FF\u0400-\u04FF]|[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/;

/** True when the text's first strong letter is right-to-left (Arabic or Hebrew script). */
export function isRtlText(text) {
  const m = FIRST_STRONG.exec(text || '');
  return !!m && /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/.test(m[0]);
}

/**
 * User text isolated in its own direction (<bdi dir="auto">): its first strong letter decides,
 * as the Unicode bidi algorithm does for a paragraph, so "AQIM (تنظيم القاعدة)" stays
 * left-to-right with its parentheses in place inside an Arabic page, and an Arabic name
 * stays right-to-left inside an English one. Never forced by "contains Arabic".
 */
export function bidi(text, extra) {
  return h('bdi', { dir: 'auto', lang: isRtlText(text) ? 'ar' : null, ...(extra || {}) }, text);
}

/** A block of user text (a question, an answer): isolated, aligned with the page, not with itself. */
export function bidiBlock(tag, text, extra) {
  return h(tag, { class: 'user-text', ...(extra || {}) }, bidi(text));
}

export function isArabic(text) {
  return ARABIC.test(text || '');
}
