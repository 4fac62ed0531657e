// The analyst's desk: shell, session and router. Each page is a module under
// pages/ listed in pages/index.js; adding a page is adding a module there.
import './style.css';
import { h, fill } from './dom.js';
import { t, setLang, applyLang, currentLang } from './i18n.js';
import { getToken, dropToken, liaison, whenUnauthorized } from './api.js';
import { pages, signinPage } from './pages/index.js';
import { showError } from './ui.js';
import { searchBox } from './pages/search.js';

const app = document.getElementById('app');
const session = { me: null, partners: new Map(), instance: null, notice: null };

/** Loads who the token belongs to and the partner directory; false when refused. */
async function loadSession() {
  if (!getToken()) return false;
  try {
    session.me = await liaison.whoami();
    const dir = await liaison.partners();
    session.instance = dir.instance;
    session.partners = new Map(dir.partners.map((p) => [p.identity, p]));
    return true;
  } catch {
    session.me = null;
    return false;
  }
}

function signOut(notice) {
  dropToken();
  session.me = null;
  session.notice = notice || null;
  navigate('/signin');
}
whenUnauthorized(() => signOut(t('session_expired')));

export function navigate(path, replace) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
}

// Links marked data-link stay in the app (no reload, the token stays in this tab).
document.addEventListener('click', (e) => {
  const a = e.target.closest && e.target.closest('a[data-link]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', () => render());

function roleLine(me) {
  const parts = [];
  if (me.kind === 'partner') {
    parts.push(h('span', { class: 'role-kind' }, t('role_partner')), ' ', h('bdi', { class: 'role-name' }, me.name));
    if (me.country) parts.push(' (', me.country, ')');
  } else {
    parts.push(h('span', { class: 'role-kind' }, t(me.kind === 'admin' ? 'role_admin' : 'role_local')));
    if (me.name) parts.push(' · ', h('bdi', { class: 'role-name' }, me.name));
  }
  parts.push(' · ', t('clearance'), ' ', h('span', { class: 'tlp tlp-' + me.clearance.replace('+', '-') }, 'TLP:' + me.clearance.toUpperCase()));
  if (me.trust) parts.push(' · ', t('trust'), ' ', h('span', { class: 'trust' }, me.trust));
  if (me.read_only) parts.push(' · ', t('read_only'));
  return h('div', { class: 'role', id: 'role', 'data-kind': me.kind }, t('acting_as'), ': ', parts);
}

function header() {
  const langBtn = h('button', {
    type: 'button', class: 'lang', id: 'lang-switch', title: t('lang_switch_title'),
    lang: currentLang() === 'ar' ? 'en' : 'ar',
    onclick: () => {
      setLang(currentLang() === 'ar' ? 'en' : 'ar');
      render();
    },
  }, t('lang_switch'));
  const nav = session.me
    ? h('nav', { class: 'nav' }, pages.filter((p) => p.nav).map((p) =>
        h('a', { href: p.nav.href, 'data-link': true, class: location.pathname === p.nav.href || location.pathname.startsWith(p.nav.prefix) ? 'active' : null }, t(p.nav.label))))
    : null;
  return h('header', { class: 'top' },
    h('a', { href: '/', 'data-link': true, class: 'brand' }, t('app_name')),
    nav,
    h('div', { class: 'spacer' }),
    session.me ? searchBox({ navigate }, 'header-search', location.pathname === '/search' ? new URLSearchParams(location.search).get('q') : '') : null,
    session.me ? roleLine(session.me) : null,
    langBtn,
    session.me ? h('button', { type: 'button', id: 'sign-out', onclick: () => signOut() }, t('sign_out')) : null);
}

let renderSeq = 0;
export async function render() {
  const seq = ++renderSeq;
  applyLang();
  const path = location.pathname;
  if (!session.me && getToken()) await loadSession();
  if (seq !== renderSeq) return;
  if (!session.me && path !== '/signin') return navigate('/signin', true);
  if (session.me && path === '/signin') return navigate('/', true);
  const main = h('main', { id: 'main', class: 'main' });
  fill(app, header(), main);
  const ctx = {
    session,
    navigate,
    signedIn: async () => {
      session.notice = null;
      await loadSession();
      navigate('/', true);
    },
    isCurrent: () => seq === renderSeq,
  };
  if (path === '/signin') return signinPage.render(main, {}, ctx);
  for (const p of pages) {
    const m = p.match.exec(path);
    if (m) {
      const params = m.groups || {};
      for (const k of Object.keys(params)) params[k] = decodeURIComponent(params[k]);
      try {
        await p.render(main, params, ctx);
      } catch (err) {
        if (ctx.isCurrent()) showError(main, err);
      }
      return;
    }
  }
  showError(main, { status: 404 });
}

render();
