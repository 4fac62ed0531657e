// The collections the principal has a right on (TAXII GET collections/).
import { h, fill, bidi } from '../dom.js';
import { t } from '../i18n.js';
import { taxii } from '../api.js';
import { loading } from '../ui.js';

/** One collection as a card: its title, description, alias and the caller's rights; extra after. */
export function collectionCard(c, level, extra) {
  return h('li', { class: 'card', 'data-id': c.id },
    h(level || 'h2', { class: 'card-title' }, h('a', { href: '/collections/' + encodeURIComponent(c.id), 'data-link': true }, bidi(c.title))),
    c.description ? h('p', { class: 'desc' }, bidi(c.description)) : null,
    h('p', { class: 'meta' },
      c.alias ? [t('alias'), ': ', h('code', null, c.alias), ' · '] : null,
      c.can_read ? h('span', { class: 'right' }, t('can_read')) : null, ' ',
      c.can_write ? h('span', { class: 'right' }, t('can_write')) : null),
    extra || null);
}

export default {
  match: /^\/collections\/?$/,
  nav: { href: '/collections', prefix: '/collections', label: 'nav_collections' },
  async render(main, _params, ctx) {
    fill(main, loading());
    const res = await taxii.collections();
    if (!ctx.isCurrent()) return;
    const list = (res && res.collections) || [];
    fill(main,
      h('h1', null, t('collections')),
      list.length === 0
        ? h('p', { class: 'empty' }, t('no_collections'))
        : h('ul', { class: 'cards', id: 'collections' }, list.map((c) => collectionCard(c))));
  },
};
