// The dashboard (/): what is new since my last visit in each collection I can read (TAXII
// added_after), requests for information due or overdue (both boxes), the latest object from
// each partner with its grading and our trust in that partner, and how often my watches fired
// since my last visit (GET /liaison/watches counts them; each opens the objects it fired for).
//
// The last visit is remembered in this browser (localStorage, per principal: kind, identity
// and name; never the token): the dashboard reads it when this tab first shows it, keeps that
// "since" for the tab (sessionStorage) and records the new visit, so a reload does not empty
// the list. "Mark all as seen" moves the tab's "since" to now. Times are the server's clock.
import { h, fill, bidi } from '../dom.js';
import { t, fmtDate, fmtNumber } from '../i18n.js';
import { taxii, liaison, serverNow } from '../api.js';
import { gradingOf } from '../stix.js';
import { loading, markingBadges, grading, gradingWords, nameCell, typeLabel, trustBadge, foldable, errorMessage, countText } from '../ui.js';
import { collectionCard } from './collections.js';
import { statusBadge } from './inbox.js';

const NEW_PAGES = 2; // at most 2,000 new objects read per collection; more shows as "2,000+"
const NEW_SHOWN = 5;
const FIRST_VISIT_DAYS = 7;
const PARTNER_DAYS = 30;
const DUE_SOON_DAYS = 7;
const DAY = 86400e3;

function visitKey(me) {
  return [me.kind, me.identity || '', me.name || ''].join('|');
}

function readJson(store, key) {
  try {
    return JSON.parse(store.getItem(key) || 'null');
  } catch {
    return null;
  }
}

function writeJson(store, key, v) {
  try {
    store.setItem(key, JSON.stringify(v));
  } catch {
    /* not remembered: every visit is a first one */
  }
}

/** {at, watches} of the previous visit as this tab first saw it (at null: never visited). */
function sinceOf(me) {
  const key = visitKey(me);
  let since = readJson(sessionStorage, 'liaison.since:' + key);
  if (!since) {
    since = readJson(localStorage, 'liaison.lastVisit:' + key) || { at: null, watches: {} };
    writeJson(sessionStorage, 'liaison.since:' + key, since);
  }
  return since;
}

const objHref = (cid, id) => '/collections/' + encodeURIComponent(cid) + '/objects/' + encodeURIComponent(id);
const SKIP_LATEST = new Set(['relationship', 'marking-definition']);

function section(id, title, ...body) {
  return h('section', { class: 'dash-section', id, 'aria-labelledby': id + '-h' }, h('h2', { id: id + '-h' }, title), body);
}

function failed(err) {
  return h('p', { class: 'error', role: 'alert' }, errorMessage(err));
}

export default {
  match: /^\/(?:dashboard\/?)?$/,
  nav: { href: '/', prefix: '/dashboard', label: 'nav_dashboard' },
  async render(main, _p, ctx) {
    const me = ctx.session.me;
    const since = sinceOf(me);
    const now = serverNow();
    const sinceAt = since.at || new Date(Date.parse(now) - FIRST_VISIT_DAYS * DAY).toISOString();
    const partnerFrom = new Date(Date.parse(now) - PARTNER_DAYS * DAY).toISOString();
    fill(main, loading());

    const cols = (((await taxii.collections()) || {}).collections || []).filter((c) => c.can_read);
    if (!ctx.isCurrent()) return;
    const [news, recent, boxes, watches] = await Promise.all([
      Promise.allSettled(cols.map((c) => taxii.objectsAll(c.id, { added_after: sinceAt }, NEW_PAGES))),
      Promise.allSettled(cols.map((c) => (sinceAt <= partnerFrom ? null : taxii.objectsAll(c.id, { added_after: partnerFrom }, NEW_PAGES)))),
      Promise.allSettled(['incoming', 'outgoing'].map((box) => liaison.rfis({ box }))),
      liaison.watches().then((w) => ({ ok: w }), (err) => ({ err })),
    ]);
    if (!ctx.isCurrent()) return;

    // -- new since the last visit, per collection
    const newCards = cols.map((c, i) => {
      const r = news[i];
      if (r.status === 'rejected') return collectionCard(c, 'h3', failed(r.reason));
      const objs = r.value;
      const newest = objs.slice(-NEW_SHOWN).reverse();
      return collectionCard(c, 'h3', [
        h('p', { class: 'new-count', 'data-count': String(objs.length), 'data-more': objs.complete ? null : '' },
          objs.length ? t('new_count', { n: countText(objs.length, !objs.complete) }) : t('nothing_new')),
        newest.length ? h('ul', { class: 'plain new-list' }, newest.map((o) => h('li', { 'data-id': o.id },
          typeLabel(o.type), ' ', h('a', { href: objHref(c.id, o.id), 'data-link': true }, nameCell(o)), ' ', markingBadges(o)))) : null,
        objs.length > NEW_SHOWN ? h('p', null, h('a', {
          href: '/collections/' + encodeURIComponent(c.id) + '?after=' + encodeURIComponent(sinceAt), 'data-link': true, class: 'all-new',
        }, t('show_all_new'))) : null]);
    });

    // -- requests due soon or overdue, both boxes, soonest first
    const nowMs = Date.parse(now);
    const due = [];
    const rfiErrors = [];
    boxes.forEach((r) => {
      if (r.status === 'rejected') return void rfiErrors.push(r.reason);
      for (const v of (r.value && r.value.rfis) || [])
        if (v.overdue || (['open', 'acknowledged'].includes(v.status) && v.due && Date.parse(v.due) - nowMs < DUE_SOON_DAYS * DAY)) due.push(v);
    });
    due.sort((a, b) => (a.due || '').localeCompare(b.due || ''));
    const other = (v) => (v.direction === 'incoming' ? v.requester : v.addressee);
    const partyName = (p) => (!p ? '' : p.self ? t('this_instance') : p.name || p.identity);

    // -- the latest from each source (partners, and this service for a partner's view)
    const latest = new Map(); // creator id -> {o, cid}
    cols.forEach((c, i) => {
      const r = recent[i].status === 'fulfilled' && recent[i].value ? recent[i] : news[i];
      if (r.status !== 'fulfilled') return;
      for (const o of r.value) {
        if (!o.created_by_ref || SKIP_LATEST.has(o.type)) continue;
        const cur = latest.get(o.created_by_ref);
        if (!cur || (o.modified || o.created || '') >= (cur.o.modified || cur.o.created || '')) latest.set(o.created_by_ref, { o, cid: c.id });
      }
    });
    const sources = [...ctx.session.partners.values()].map((p) => ({ id: p.identity, name: p.name, trust: p.trust }));
    if (me.kind === 'partner' && ctx.session.instance) sources.unshift({ id: ctx.session.instance.identity, name: ctx.session.instance.name || t('this_instance'), trust: null, self: true });

    // -- watches: fired in all, and since the last visit (counts remembered per watch)
    const counts = {};
    let watchBody;
    if (watches.err) {
      watchBody = h('p', { class: 'help', id: 'watches-unavailable' }, t('watches_unavailable'));
    } else {
      const list = (watches.ok && watches.ok.watches) || [];
      for (const w of list) counts[w.id] = w.events || 0;
      watchBody = list.length === 0 ? h('p', { class: 'empty', id: 'no-watches' }, t('no_watches')) :
        foldable(h('table', { class: 'objects', id: 'watches' },
          h('thead', null, h('tr', null, [t('watch'), t('fired_total'), t('fired_since')].map((x) => h('th', { scope: 'col' }, x)))),
          h('tbody', null, list.map((w) => {
            const fresh = since.at ? Math.max(0, (w.events || 0) - ((since.watches || {})[w.id] || 0)) : w.events || 0;
            return h('tr', { 'data-id': w.id, 'data-new': String(fresh) },
              h('td', null, h('a', { href: '/watches/' + encodeURIComponent(w.id), 'data-link': true, class: 'watch-link' }, bidi(w.name))),
              h('td', null, fmtNumber(w.events || 0)),
              h('td', null, fresh ? h('strong', { class: 'fired' }, fmtNumber(fresh)) : fmtNumber(0)));
          }))));
    }

    // The visit is recorded once the page has what it shows.
    writeJson(localStorage, 'liaison.lastVisit:' + visitKey(me), { at: now, watches: counts });

    const markSeen = h('button', { type: 'button', id: 'mark-seen', onclick: () => {
      writeJson(sessionStorage, 'liaison.since:' + visitKey(me), { at: serverNow(), watches: counts });
      ctx.navigate('/', true);
    } }, t('mark_seen'));

    fill(main,
      h('div', { class: 'title-row' }, h('h1', null, t('dashboard')), markSeen),
      h('p', { class: 'help', id: 'since' }, since.at ? t('since_last_visit', { d: fmtDate(since.at) }) : t('first_visit', { n: FIRST_VISIT_DAYS })),
      section('dash-new', t('new_title'),
        cols.length ? h('ul', { class: 'cards', id: 'collections' }, newCards) : h('p', { class: 'empty' }, t('no_collections'))),
      section('dash-due', t('due_title'),
        rfiErrors.length ? failed(rfiErrors[0]) : null,
        due.length === 0 ? h('p', { class: 'empty', id: 'nothing-due' }, t('nothing_due', { n: DUE_SOON_DAYS })) :
          foldable(h('table', { class: 'objects', id: 'due' },
            h('thead', null, h('tr', null, [t('subject'), t('status'), t('due'), t('direction'), t('other_party')].map((x) => h('th', { scope: 'col' }, x)))),
            h('tbody', null, due.map((v) => h('tr', { 'data-id': v.id, class: v.overdue ? 'is-overdue' : null },
              h('td', null, h('a', { href: '/inbox/' + encodeURIComponent(v.id), 'data-link': true }, bidi(v.subject || v.id))),
              h('td', null, statusBadge(v), v.overdue ? [' ', h('span', { class: 'overdue' }, t('overdue'))] : null),
              h('td', { class: 'date' }, h('time', { datetime: v.due }, fmtDate(v.due))),
              h('td', null, t('box_' + v.direction)),
              h('td', null, bidi(partyName(other(v)))))))))),
      section('dash-partners', t('partners_title'),
        h('p', { class: 'help' }, t('partners_help', { n: PARTNER_DAYS })),
        sources.length === 0 ? h('p', { class: 'empty' }, t('no_partner_sources')) :
          foldable(h('table', { class: 'objects', id: 'latest' },
            h('thead', null, h('tr', null, [t('source'), t('latest_object'), t('grading'), t('modified')].map((x) => h('th', { scope: 'col' }, x)))),
            h('tbody', null, sources.map((s) => {
              const l = latest.get(s.id);
              const g = l && gradingOf(l.o);
              return h('tr', { 'data-source': s.id },
                h('td', null, s.self ? t('this_instance') : bidi(s.name), trustBadge(s.trust)),
                h('td', null, l ? h('a', { href: objHref(l.cid, l.o.id), 'data-link': true, 'data-id': l.o.id }, typeLabel(l.o.type), ' ', nameCell(l.o))
                  : h('span', { class: 'empty' }, t('nothing_recent'))),
                h('td', null, l && g ? [grading(l.o), ' ', h('span', { class: 'grading-words' }, gradingWords(g))] : l ? t('not_graded') : null),
                h('td', { class: 'date' }, l ? h('time', { datetime: l.o.modified || l.o.created }, fmtDate(l.o.modified || l.o.created)) : null));
            }))))),
      section('dash-watches', t('watches_title'), watchBody));
  },
};

