// Requests for information (docs/rfi.md): the inbox (incoming and outgoing, by status),
// one request with its questions, the objects it is about and every response, the moves
// the caller's side may make, and the form for a new request. Everything goes through
// /liaison/rfi; the server decides (403/422 are shown as they come).
import { h, fill, bidi } from '../dom.js';
import { t, fmtDate, typeName } from '../i18n.js';
import { liaison, taxii } from '../api.js';
import { TLP_LEVELS, tlpRank, redRecipients } from '../stix.js';
import { loading, tlpBadge, trustBadge, errorText, foldable } from '../ui.js';
import { objectPicker } from '../picker.js';

/** Free text isolated in the direction of its first strong letter (mixed Arabic and English reads right). */
const auto = (text) => bidi(text);

/**
 * Why a request will not reach its addressee, or null. The gate releases nothing above a
 * partner's clearance, and TLP:RED only to the partners named on the object as its
 * recipients; a request the gate will not release is still accepted and stored, and would
 * stay "Open" forever. The clearance is in the partner directory the caller may read (an
 * administrator's or local analyst's). obj is the stored request when there is one (its
 * named recipients are then read from it); before sending there is none, and a TLP:RED request
 * made here names both its parties as recipients (src/rfi/rfi.c, issue 27.6): only one stored
 * before that names none.
 */
export function undeliverable(partner, tlp, obj) {
  if (!partner || !tlp || !partner.clearance) return null;
  if (tlpRank(tlp) > tlpRank(partner.clearance)) return { why: 'clearance', name: partner.name, clearance: partner.clearance, tlp };
  if (tlp === 'red' && obj && !redRecipients(obj).includes(partner.identity))
    return { why: 'red', name: partner.name, clearance: partner.clearance, tlp, sent: !!obj };
  return null;
}

function undeliverableText(u) {
  if (u.why === 'red') return t(u.sent ? 'undeliverable_red_sent' : 'undeliverable_red', { p: u.name });
  return t('undeliverable', { p: u.name, c: t('tlp_' + u.clearance), m: t('tlp_' + u.tlp) });
}

function undeliverableFix(u) {
  return u.why === 'red' ? t('undeliverable_fix_red') : t('undeliverable_fix', { c: t('tlp_' + u.clearance) });
}

const STATUSES = ['open', 'acknowledged', 'answered', 'declined', 'withdrawn', 'closed', 'overdue'];
const PRIORITIES = ['routine', 'priority', 'immediate'];
const FINAL = new Set(['withdrawn', 'closed']);

export function statusBadge(v) {
  return h('span', { class: 'status status-' + v.status, 'data-status': v.status }, t('st_' + v.status));
}

function overdueFlag(v) {
  return v.overdue ? h('span', { class: 'overdue', 'data-overdue': '' }, t('overdue')) : null;
}

/** A party of a request: its name (or this service) and our trust in it. */
function party(p) {
  if (!p) return null;
  if (p.self) return h('span', { class: 'party self' }, t('this_instance'));
  return h('span', { class: 'party' }, bidi(p.name || p.identity), trustBadge(p.trust));
}

function gradingText(g) {
  if (!g) return null;
  return (g.source_reliability || '?') + (g.information_credibility || '?');
}

const rfiHref = (id) => '/inbox/' + encodeURIComponent(id);
const objHref = (id) => '/object/' + encodeURIComponent(id);

function objectLine(o, sender) {
  const g = gradingText(o.grading);
  return h('li', { 'data-id': o.id },
    h('span', { class: 'type type-' + o.type }, typeName(o.type)), ' ',
    h('a', { href: objHref(o.id), 'data-link': true, class: 'obj-link' }, o.name ? bidi(o.name) : h('code', null, o.id)),
    g ? [' ', h('span', { class: 'grading', title: t(o.grading.scale === 'europol' ? 'europol' : 'admiralty') },
      sender ? t('graded_by', { g, who: sender }) : g)] : null);
}


// ---- the list ----
const list = {
  match: /^\/inbox\/?$/,
  nav: { href: '/inbox', prefix: '/inbox', label: 'nav_inbox' },
  async render(main, _p, ctx) {
    const q = new URLSearchParams(location.search);
    const box = q.get('box') === 'outgoing' ? 'outgoing' : 'incoming';
    const status = STATUSES.includes(q.get('status')) ? q.get('status') : '';
    fill(main, loading());
    const res = await liaison.rfis({ box, status });
    if (!ctx.isCurrent()) return;
    const rfis = (res && res.rfis) || [];
    rfis.sort((a, b) => (b.modified || '').localeCompare(a.modified || ''));
    const href = (b, s) => '/inbox?box=' + b + (s ? '&status=' + s : '');
    // The two boxes are links (a reload or a new tab keeps them); the status filter is a
    // separate control beside them, never inside a tab list.
    const statusSel = h('select', { id: 'rfi-status', onchange: (e) => ctx.navigate(href(box, e.target.value)) },
      h('option', { value: '' }, t('any')),
      STATUSES.map((s) => h('option', { value: s, selected: s === status ? true : null }, t('st_' + s))));
    const addressee = (v) => (v.addressee && !v.addressee.self ? ctx.session.partners.get(v.addressee.identity) : null);
    fill(main,
      h('div', { class: 'title-row' }, h('h1', null, t('inbox')),
        ctx.session.me.read_only ? null : h('a', { href: '/inbox/new', 'data-link': true, class: 'button', id: 'rfi-new' }, t('new_request'))),
      h('div', { class: 'tabs' },
        h('nav', { class: 'boxes', 'aria-label': t('boxes') },
          ['incoming', 'outgoing'].map((b) => h('a', {
            href: href(b, status), 'data-link': true, id: 'box-' + b, class: b === box ? 'tab active' : 'tab',
            'aria-current': b === box ? 'page' : null,
          }, t('box_' + b)))),
        h('label', { class: 'inline', for: 'rfi-status' }, t('status')), statusSel),
      rfis.length === 0 ? h('p', { class: 'empty', id: 'rfi-empty' }, t('no_requests')) :
        foldable(h('table', { class: 'objects', id: 'rfis' },
          h('thead', null, h('tr', null, [t('subject'), t('status'), t('priority'), t(box === 'incoming' ? 'from' : 'to'), t('due'), t('marking'), t('modified')].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', null, rfis.map((v) => {
            // red: the list does not read each stored request; the request's page checks its recipients
            const u = box === 'outgoing' && !FINAL.has(v.status) && v.tlp !== 'red' ? undeliverable(addressee(v), v.tlp) : null;
            return h('tr', { 'data-id': v.id, 'data-status': v.status, class: v.overdue ? 'is-overdue' : null },
              h('td', null, h('a', { href: rfiHref(v.id), 'data-link': true, class: 'rfi-link' }, auto(v.subject || v.id))),
              h('td', null, statusBadge(v), ' ', overdueFlag(v),
                u ? [' ', h('span', { class: 'undeliverable-flag', 'data-undeliverable': '', title: undeliverableText(u) }, t('will_not_arrive'))] : null),
              h('td', null, h('span', { class: 'priority priority-' + v.priority }, t('pr_' + v.priority))),
              h('td', null, party(box === 'incoming' ? v.requester : v.addressee)),
              h('td', { class: 'date' }, v.due ? h('time', { datetime: v.due }, fmtDate(v.due)) : t('no_due')),
              h('td', null, tlpBadge(v.tlp)),
              h('td', { class: 'date' }, h('time', { datetime: v.modified }, fmtDate(v.modified))));
          })))));
  },
};

// ---- one request ----
function actionForm(id, legend, fields, submitLabel, submit) {
  const msg = h('p', { class: 'form-error', role: 'alert' });
  const button = h('button', { type: 'submit', id: id + '-submit' }, submitLabel);
  const form = h('form', { class: 'action', id }, h('h3', null, legend), fields, msg, button);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    button.disabled = true;
    msg.textContent = '';
    try {
      await submit();
    } catch (err) {
      msg.textContent = errorText(err);
      button.disabled = false;
    }
  });
  return form;
}

const detail = {
  match: /^\/inbox\/(?<id>liaison-rfi--[^/]+)\/?$/,
  async render(main, { id }, ctx) {
    fill(main, loading());
    const v = await liaison.rfi(id);
    if (!ctx.isCurrent()) return;
    const incoming = v.direction === 'incoming';
    const senderName = v.addressee && (v.addressee.self ? t('this_instance') : v.addressee.name);
    const reload = () => ctx.navigate(rfiHref(id), true);
    const act = async (verb, body) => {
      await liaison.rfiAct(id, verb, body);
      reload();
    };
    const actions = [];
    const ro = ctx.session.me.read_only;
    if (!ro && !FINAL.has(v.status)) {
      if (incoming) {
        if (v.status === 'open' || v.status === 'overdue')
          actions.push(actionForm('rfi-ack', t('act_ack'), h('p', { class: 'help' }, t('act_ack_help')), t('act_ack'), () => act('ack')));
        const text = h('textarea', { id: 'answer-text', rows: 5, dir: 'auto', required: true });
        const picker = objectPicker('answer-pick');
        actions.push(actionForm('rfi-answer', t('act_answer'),
          [h('label', { for: 'answer-text' }, t('answer_text')), text, h('p', { class: 'help' }, t('answer_refs')), picker.el],
          t('act_answer'), () => act('answer', { text: text.value, refs: picker.ids() })));
        const reason = h('textarea', { id: 'decline-reason', rows: 2, dir: 'auto', required: true });
        actions.push(actionForm('rfi-decline', t('act_decline'), [h('label', { for: 'decline-reason' }, t('reason')), reason],
          t('act_decline'), () => act('decline', { reason: reason.value })));
      } else {
        const subj = h('input', { id: 'amend-subject', value: v.subject || '', dir: 'auto' });
        const qs = h('textarea', { id: 'amend-questions', rows: 4, dir: 'auto' }, (v.questions || []).join('\n'));
        const due = h('input', { type: 'date', id: 'amend-due', value: v.due ? v.due.slice(0, 10) : '' });
        actions.push(actionForm('rfi-amend', t('act_amend'),
          [h('label', { for: 'amend-subject' }, t('subject')), subj,
            h('label', { for: 'amend-questions' }, t('questions_one_per_line')), qs,
            h('label', { for: 'amend-due' }, t('due')), due],
          t('act_amend'), () => {
            const body = {};
            if (subj.value.trim() && subj.value.trim() !== v.subject) body.subject = subj.value.trim();
            const ql = qs.value.split('\n').map((x) => x.trim()).filter(Boolean);
            if (ql.join('\n') !== (v.questions || []).join('\n')) body.questions = ql;
            if (due.value && (!v.due || due.value !== v.due.slice(0, 10))) body.due = due.value + 'T23:59:59.000Z';
            return act('amend', body);
          }));
        actions.push(actionForm('rfi-withdraw', t('act_withdraw'), h('p', { class: 'help' }, t('act_withdraw_help')), t('act_withdraw'), () => act('withdraw')));
        actions.push(actionForm('rfi-close', t('act_close'), h('p', { class: 'help' }, t('act_close_help')), t('act_close'), () => act('close')));
      }
    }
    const addressee = !incoming && v.addressee && !v.addressee.self && !FINAL.has(v.status) ? ctx.session.partners.get(v.addressee.identity) : null;
    // the stored request (its named TLP:RED recipients), when the caller may read its collection
    const stored = addressee && v.tlp === 'red' && v.collection
      ? await taxii.object(v.collection, v.id).then((e) => e && e.objects && e.objects[0]).catch(() => null) : null;
    if (!ctx.isCurrent()) return;
    const u = addressee ? undeliverable(addressee, v.tlp, stored || { extensions: {} }) : null;
    fill(main,
      h('p', { class: 'crumbs' }, h('a', { href: '/inbox?box=' + (incoming ? 'incoming' : 'outgoing'), 'data-link': true }, t('back_to_inbox'))),
      h('h1', { class: 'obj-title', id: 'rfi-subject' }, h('span', { class: 'type' }, typeName('liaison-rfi')), ' ', auto(v.subject || v.id)),
      u ? h('div', { class: 'warning', id: 'rfi-undeliverable', role: 'alert', 'data-why': u.why }, h('strong', null, t('not_delivered')), ' ', undeliverableText(u), ' ', t(u.why === 'red' ? 'undeliverable_after_red' : 'undeliverable_after')) : null,
      h('dl', { class: 'summary', id: 'rfi-summary' },
        h('dt', null, t('status')), h('dd', { id: 'rfi-status-value' }, statusBadge(v), ' ', overdueFlag(v)),
        h('dt', null, t('direction')), h('dd', null, t('box_' + v.direction)),
        h('dt', null, t('from')), h('dd', { id: 'rfi-from' }, party(v.requester)),
        h('dt', null, t('to')), h('dd', { id: 'rfi-to' }, party(v.addressee)),
        h('dt', null, t('priority')), h('dd', null, h('span', { class: 'priority priority-' + v.priority }, t('pr_' + v.priority))),
        h('dt', null, t('due')), h('dd', null, v.due ? h('time', { datetime: v.due }, fmtDate(v.due)) : t('no_due')),
        h('dt', null, t('marking')), h('dd', null, tlpBadge(v.tlp)),
        h('dt', null, t('created')), h('dd', null, h('time', { datetime: v.created }, fmtDate(v.created))),
        h('dt', null, t('modified')), h('dd', null, h('time', { datetime: v.modified }, fmtDate(v.modified)))),
      h('section', null, h('h2', null, t('questions')),
        (v.questions || []).length ? h('ol', { id: 'rfi-questions', class: 'questions' }, v.questions.map((x) => h('li', { class: 'user-text' }, auto(x)))) : h('p', { class: 'empty' }, t('no_questions'))),
      h('section', null, h('h2', null, t('about')),
        (v.about || []).length ? h('ul', { id: 'rfi-about', class: 'plain objs' }, v.about.map((o) => objectLine(o))) : h('p', { class: 'empty' }, t('about_none'))),
      h('section', null, h('h2', null, t('responses')),
        (v.responses || []).length === 0 ? h('p', { class: 'empty' }, t('no_responses')) :
          h('ol', { id: 'rfi-responses', class: 'responses' }, v.responses.map((r) => h('li', { class: 'response response-' + r.action, 'data-action': r.action },
            h('div', { class: 'response-head' },
              h('strong', null, t('ra_' + r.action)), ' · ', party(r.by), ' · ', h('time', { datetime: r.created }, fmtDate(r.created))),
            r.text ? h('p', { class: 'response-text user-text' }, auto(r.text)) : null,
            r.reason ? h('p', { class: 'response-text' }, t('reason'), ': ', auto(r.reason)) : null,
            (r.refs || []).length ? h('ul', { class: 'plain objs' }, r.refs.map((o) => objectLine(o, r.by && r.by.name ? r.by.name : senderName))) : null)))),
      actions.length ? h('section', { class: 'actions', id: 'rfi-actions' }, h('h2', null, t('actions')), actions) : null);
  },
};

// ---- a new request ----
const create = {
  match: /^\/inbox\/new\/?$/,
  async render(main, _p, ctx) {
    const me = ctx.session.me;
    // A partner may ask this instance only; a local principal asks a registered partner.
    const targets = me.kind === 'partner'
      ? (ctx.session.instance ? [[ctx.session.instance.identity, ctx.session.instance.name || t('this_instance')]] : [])
      : [...ctx.session.partners.values()].filter((p) => !p.disabled).map((p) => [p.identity,
        p.name + (p.trust ? ' · ' + t('trust') + ' ' + p.trust : '') + (p.clearance ? ' · ' + t('cleared_for', { c: t('tlp_' + p.clearance) }) : '')]);
    const to = h('select', { id: 'new-to', required: true }, targets.map(([v, l]) => h('option', { value: v }, l)));
    const subject = h('input', { id: 'new-subject', required: true, dir: 'auto' });
    const questions = h('textarea', { id: 'new-questions', rows: 5, dir: 'auto', required: true });
    const priority = h('select', { id: 'new-priority' }, PRIORITIES.map((p) => h('option', { value: p }, t('pr_' + p))));
    const due = h('input', { type: 'date', id: 'new-due' });
    const marking = h('select', { id: 'new-marking' }, TLP_LEVELS.map((l) => h('option', { value: l, selected: l === 'amber' ? true : null }, t('tlp_' + l))));
    const picker = objectPicker('about-pick');
    const msg = h('p', { class: 'form-error', role: 'alert', id: 'new-error' });
    // Warned before sending: a request above the addressee's clearance is accepted and stored,
    // but the gate never releases it to them. Sending it anyway needs a tick.
    const anyway = h('input', { type: 'checkbox', id: 'new-anyway' });
    const warnText = h('span', { id: 'new-warning-text' });
    const warning = h('div', { class: 'warning', id: 'new-warning', role: 'status', hidden: true },
      h('strong', null, t('will_not_arrive_title')), ' ', warnText,
      h('label', { class: 'confirm', for: 'new-anyway' }, anyway, ' ', t('send_anyway')));
    const check = () => {
      const u = undeliverable(ctx.session.partners.get(to.value), marking.value);
      warning.hidden = !u;
      warnText.textContent = u ? undeliverableText(u) + ' ' + undeliverableFix(u) : '';
      if (!u) anyway.checked = false;
      return u;
    };
    to.addEventListener('change', check);
    marking.addEventListener('change', check);
    check();
    const form = h('form', { class: 'action wide', id: 'rfi-new-form' },
      h('label', { for: 'new-to' }, t('to')), to,
      h('label', { for: 'new-subject' }, t('subject')), subject,
      h('label', { for: 'new-questions' }, t('questions_one_per_line')), questions,
      h('div', { class: 'row' },
        h('label', null, t('priority'), priority),
        h('label', null, t('due'), due),
        h('label', null, t('marking'), marking)),
      warning,
      h('p', { class: 'help' }, t('about_help')), picker.el,
      msg, h('button', { type: 'submit', id: 'new-submit' }, t('send_request')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      msg.textContent = '';
      if (check() && !anyway.checked) {
        msg.textContent = t('confirm_needed');
        anyway.focus();
        return;
      }
      const body = {
        to: to.value, subject: subject.value.trim(),
        questions: questions.value.split('\n').map((x) => x.trim()).filter(Boolean),
        about: picker.ids(), priority: priority.value, marking: marking.value,
      };
      if (due.value) body.due = due.value + 'T23:59:59.000Z';
      try {
        const res = await liaison.rfiNew(body);
        ctx.navigate(rfiHref(res.id));
      } catch (err) {
        msg.textContent = errorText(err);
      }
    });
    fill(main,
      h('p', { class: 'crumbs' }, h('a', { href: '/inbox?box=outgoing', 'data-link': true }, t('back_to_inbox'))),
      h('h1', null, t('new_request')),
      targets.length ? form : h('p', { class: 'empty' }, t('no_partners')));
  },
};

export default [list, create, detail];
