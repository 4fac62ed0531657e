// Who the gate gives an object to, in words: "Visible to: US, Paris (an older version); not
// to: Sahel (cleared for TLP:GREEN)". The answer is the server's (GET or POST
// /liaison/audience: the store's one query, or its predicate on a draft), never worked out
// here.
import { h, bidi } from './dom.js';
import { t } from './i18n.js';

/**
 * Who the gate gives the object to (GET /liaison/audience: the store's one query run with each
 * partner's policy, so this can never disagree with what partners are served), and why not
 * the others. Shown to this instance's own analysts only.
 */
export function audienceWords(aud, id = 'obj-audience') {
  const ps = (aud && aud.partners) || [];
  if (!ps.length) return h('p', { id, class: 'help' }, t('audience_no_partners'));
  const yes = ps.filter((p) => p.visible), no = ps.filter((p) => !p.visible);
  const why = (p) => (p.reason === 'clearance' ? t('why_clearance', { c: t('tlp_' + p.clearance) }) : t('why_' + p.reason));
  return h('div', { id },
    h('p', { class: 'audience-yes' }, t('audience_visible'), ' ', yes.length
      ? yes.map((p, i) => [i ? t('list_sep') : '', h('span', { 'data-partner': p.name, 'data-latest': String(p.latest) }, bidi(p.name), p.latest ? null : [' (', t('audience_older'), ')'])])
      : t('audience_nobody')),
    no.length ? h('p', { class: 'audience-no' }, t('audience_not'), ' ',
      no.map((p, i) => [i ? t('list_sep') : '', h('span', { 'data-partner': p.name, 'data-reason': p.reason }, bidi(p.name), ' (', why(p), ')')])) : null,
    h('p', { class: 'help' }, t('audience_help')));
}

