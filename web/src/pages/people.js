// The people's desk (docs/people.md): versions held for a second person's approval, and the
// review queue. Every decision is the signed-in person's (their session token); the server
// refuses what the person may not do (their own version, an analyst approving) and the page
// says so in the interface's language with the server's words after it.
import { h, fill, bidi } from '../dom.js';
import { t, fmtDate } from '../i18n.js';
import { liaison } from '../api.js';
import { loading, typeLabel, foldable, tlpBadge, errorMessage } from '../ui.js';

const objLink = (coll, id, version) =>
  h('a', { href: '/collections/' + encodeURIComponent(coll) + '/objects/' + encodeURIComponent(id) +
    (version ? '?version=' + encodeURIComponent(version) : ''), 'data-link': true, class: 'obj-link id' }, id);
const when = (d) => (d ? h('time', { datetime: d }, fmtDate(d)) : '—');
const th = (cols) => h('thead', null, h('tr', null, cols.map((x) => h('th', { scope: 'col' }, x))));

/** A row's form: labelled fields, a button, and where its outcome is said. */
function say(el, ok, what) {
  el.className = ok ? 'notice' : 'form-error';
  fill(el, ok ? what : errorMessage(what));
}

const releases = {
  match: /^\/releases\/?$/,
  nav: { href: '/releases', prefix: '/releases', label: 'nav_releases' },
  async render(main, params, ctx) {
    fill(main, loading());
    const out = h('div', { id: 'release-msg', role: 'status' });
    const area = h('div', { id: 'releases-area' });
    const show = async () => {
      const list = (await liaison.releases({ state: 'pending' })).releases || [];
      if (!ctx.isCurrent()) return;
      fill(area, list.length === 0 ? h('p', { class: 'empty', id: 'no-releases' }, t('releases_none')) :
        foldable(h('table', { class: 'objects', id: 'releases' },
          th([t('type'), t('people_object'), 'TLP', t('release_held_from'), t('release_author'), t('version'), t('release_decide')]),
          h('tbody', null, list.map((r, i) => {
            const reason = h('input', { type: 'text', id: 'reason-' + i, class: 'release-reason', dir: 'auto', maxlength: 1000 });
            const act = async (verb) => {
              if (verb === 'reject' && !reason.value.trim()) {
                fill(out, t('release_reason_needed'));
                out.className = 'form-error';
                reason.focus();
                return;
              }
              try {
                await liaison.releaseDecide(r.key, verb, reason.value.trim() || undefined);
                say(out, true, t(verb === 'approve' ? 'release_approved' : 'release_rejected', { id: r.id }));
                await show();
              } catch (err) {
                say(out, false, err);
              }
            };
            return h('tr', { 'data-key': String(r.key), 'data-id': r.id },
              h('td', null, typeLabel(r.type)),
              h('td', null, objLink(r.collection, r.id, r.version)),
              h('td', null, tlpBadge(r.tlp)),
              h('td', null, r.held_from === 'four-eyes' ? t('release_four_eyes') : t('release_policy')),
              h('td', null, bidi(r.author || '—')),
              h('td', { class: 'date' }, when(r.version)),
              h('td', { class: 'actions' },
                h('button', { type: 'button', class: 'approve', onclick: () => act('approve') }, t('release_approve')), ' ',
                h('label', { for: 'reason-' + i }, t('reason')), ' ', reason, ' ',
                h('button', { type: 'button', class: 'reject', onclick: () => act('reject') }, t('release_reject'))));
          })))));
    };
    fill(main, h('h1', null, t('nav_releases')), h('p', { class: 'help' }, t('releases_help')), out, area);
    await show();
  },
};

const review = {
  match: /^\/review\/?$/,
  nav: { href: '/review', prefix: '/review', label: 'nav_review' },
  async render(main, params, ctx) {
    fill(main, loading());
    const out = h('div', { id: 'review-msg', role: 'status' });
    const area = h('div', { id: 'review-area' });
    const show = async () => {
      const list = (await liaison.review({})).objects || [];
      if (!ctx.isCurrent()) return;
      fill(area, list.length === 0 ? h('p', { class: 'empty', id: 'no-review' }, t('review_none')) :
        foldable(h('table', { class: 'objects', id: 'review' },
          th([t('type'), t('people_object'), t('review_due'), t('review_limit'), t('review_state'), t('review_act')]),
          h('tbody', null, list.map((o, i) => {
            const days = h('input', { type: 'number', id: 'days-' + i, class: 'review-days', min: 1, max: 36500, value: 90 });
            const reason = h('input', { type: 'text', id: 'why-' + i, class: 'review-reason', dir: 'auto', maxlength: 1000 });
            const sure = h('input', { type: 'checkbox', id: 'sure-' + i, class: 'review-sure' });
            const act = async (verb) => {
              if (!reason.value.trim()) {
                fill(out, t('review_reason_needed'));
                out.className = 'form-error';
                reason.focus();
                return;
              }
              if (verb === 'delete' && !sure.checked) {
                fill(out, t('review_confirm_needed'));
                out.className = 'form-error';
                sure.focus();
                return;
              }
              const body = { reason: reason.value.trim() };
              if (verb === 'extend') body.days = parseInt(days.value, 10);
              try {
                await liaison.reviewAct(o.collection, o.id, verb, body);
                say(out, true, t(verb === 'extend' ? 'review_extended' : 'review_deleted', { id: o.id }));
                await show();
              } catch (err) {
                say(out, false, err);
              }
            };
            return h('tr', { 'data-id': o.id, 'data-state': o.state },
              h('td', null, typeLabel(o.type)),
              h('td', null, objLink(o.collection, o.id)),
              h('td', { class: 'date' }, when(o.review_due)),
              h('td', { class: 'date' }, when(o.retention_limit)),
              h('td', null, t('review_state_' + o.state.replace('-', '_')), o.extended_by ? [' · ', t('review_extended_by'), ' ', bidi(o.extended_by)] : null),
              h('td', { class: 'actions' },
                h('label', { for: 'why-' + i }, t('reason')), ' ', reason, ' ',
                h('label', { for: 'days-' + i }, t('review_days')), ' ', days, ' ',
                h('button', { type: 'button', class: 'extend', onclick: () => act('extend') }, t('review_extend')), ' ',
                sure, ' ', h('label', { for: 'sure-' + i }, t('review_sure')), ' ',
                h('button', { type: 'button', class: 'delete', onclick: () => act('delete') }, t('review_delete'))));
          })))));
    };
    fill(main, h('h1', null, t('nav_review')), h('p', { class: 'help' }, t('review_help')), out, area);
    await show();
  },
};

export default [releases, review];
