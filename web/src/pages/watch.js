// One watch: the objects it fired for, newest first (GET /liaison/watches/{id}/events: each
// event checked through the gate again as it is listed, so an object the caller may no longer
// see is left out), each a link to the object's page, a page at a time.
import { h, fill, bidi } from '../dom.js';
import { t, fmtDate } from '../i18n.js';
import { liaison } from '../api.js';
import { loading, typeLabel, foldable } from '../ui.js';

const PAGE = 50;

export default {
  match: /^\/watches\/(?<wid>watch--[^/]+)\/?$/,
  async render(main, { wid }, ctx) {
    fill(main, loading());
    const list = h('div', { id: 'fired-area' });
    const pager = h('div', { class: 'pager' });
    let title = null;
    const show = async (before) => {
      fill(list, loading());
      fill(pager);
      const page = await liaison.watchEvents(wid, { limit: PAGE, before });
      if (!ctx.isCurrent()) return;
      if (!title) {
        title = h('h1', { id: 'watch-title' }, t('watch'), ': ', bidi(page.watch.name));
        main.prepend(title);
      }
      const evs = page.events || [];
      fill(list, evs.length === 0 ? h('p', { class: 'empty', id: 'no-fired' }, t('watch_fired_none')) :
        foldable(h('table', { class: 'objects', id: 'fired' },
          h('thead', null, h('tr', null, [t('type'), t('name'), t('version'), t('watch_fired_at')].map((x) => h('th', { scope: 'col' }, x)))),
          h('tbody', null, evs.map((e) => h('tr', { 'data-id': e.id, 'data-seq': String(e.seq) },
            h('td', null, typeLabel(e.type)),
            h('td', null, h('a', { href: '/collections/' + encodeURIComponent(e.collection) + '/objects/' + encodeURIComponent(e.id) +
              (e.version ? '?version=' + encodeURIComponent(e.version) : ''), 'data-link': true, class: 'obj-link' }, bidi(e.name || t('unnamed')))),
            h('td', { class: 'date' }, e.version ? h('time', { datetime: e.version }, fmtDate(e.version)) : null),
            h('td', { class: 'date' }, h('time', { datetime: e.fired }, fmtDate(e.fired)))))))));
      if (before) pager.append(h('button', { type: 'button', id: 'fired-newest', onclick: () => show(undefined) }, t('first_page')), ' ');
      if (page.before) pager.append(h('button', { type: 'button', id: 'fired-older', onclick: () => show(page.before) }, t('watch_fired_older')));
    };
    fill(main, h('p', { class: 'help' }, t('watch_fired_help')), list, pager);
    await show(undefined);
  },
};
