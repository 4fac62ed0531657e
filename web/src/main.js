// The analyst's desk: shell, session and router. Each page is a module under
// pages/ listed in pages/index.js; adding a page is adding a module there.
import './style.css';
import { h, fill, bidi } from './dom.js';
import { t, setLang, applyLang, currentLang, fmtDate } from './i18n.js';
import { getToken, dropToken, getPerson, liaison, whenUnauthorized, serverNow } from './api.js';
import { pages, signinPage } from './pages/index.js';
import { showError } from './ui.js';
import { searchBox } from './pages/search.js';

const app = document.getElementById('app');
const session = { me: null, partners: new Map(), instance: null, notice: null, down: null };
const EXPIRES_KEY = 'liaison.expires';

/**
 * Loads who the token belongs to and the partner directory. true when signed in; false when
 * the token was refused (it is dropped); an error is kept in session.down when the server
 * could not answer, and the token is kept: the page offers to try again.
 */
async function loadSession() {
  session.down = null;
  if (!getToken()) return false;
  try {
    session.me = await liaison.whoami();
    // when the token stops working, kept for this tab so a later refusal can say "expired"
    sessionStorage.setItem(EXPIRES_KEY, session.me.expires || '');
    const dir = await liaison.partners();
    session.instance = dir.instance;
    session.partners = new Map(dir.partners.map((p) => [p.identity, p]));
    return true;
  } catch (err) {
    session.me = null;
    if (err && err.status === 401) dropToken();
    else session.down = err;
    return false;
  }
}

function signOut(notice) {
  dropToken();
  sessionStorage.removeItem(EXPIRES_KEY);
  session.me = null;
  session.notice = notice || null;
  navigate('/signin');
}

// A refused token: "expired" when whoami said it would expire by now (the server's 401 never
// says why, by design), else the session ended (revoked, or the partner disabled).
whenUnauthorized(() => {
  const exp = (session.me && session.me.expires) || sessionStorage.getItem(EXPIRES_KEY);
  if (exp && Date.parse(exp) <= Date.parse(serverNow()) + 1000) signOut({ key: 'token_expired', d: exp });
  else signOut({ key: 'session_expired' });
});

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
    parts.push(h('span', { class: 'role-kind' }, t('role_partner')), ' ', bidi(me.name, { class: 'role-name' }));
    if (me.country) parts.push(' (', me.country, ')');
  } else {
    const person = getPerson();
    if (person) parts.push(h('span', { class: 'role-kind', id: 'role-person' }, t('role_person_' + person.role)), ' ', bidi(person.name, { class: 'role-name' }));
    else parts.push(h('span', { class: 'role-kind' }, t(me.kind === 'admin' ? 'role_admin' : 'role_local')));
    if (me.name && !person) parts.push(' · ', bidi(me.name, { class: 'role-name' }));
  }
  parts.push(' · ', t('clearance'), ' ', h('span', { class: 'tlp tlp-' + me.clearance.replace('+', '-') }, 'TLP:' + me.clearance.toUpperCase()));
  if (me.trust) parts.push(' · ', t('trust'), ' ', h('span', { class: 'trust' }, me.trust));
  if (me.read_only) parts.push(' · ', t('read_only'));
  return h('div', { class: 'role', id: 'role', 'data-kind': me.kind }, t('acting_as'), ': ', parts);
}

function langButton() {
  return h('button', {
    type: 'button', class: 'lang', id: 'lang-switch', title: t('lang_switch_title'),
    lang: currentLang() === 'ar' ? 'en' : 'ar',
    onclick: () => {
      setLang(currentLang() === 'ar' ? 'en' : 'ar');
      render();
    },
  }, t('lang_switch'));
}

let menuOpen = false;
/**
 * The header. On a phone it is one line (name, clearance, menu, language); the menu button
 * opens the rest (pages, search, who, sign out). On a wide screen everything is on show.
 */
function header() {
  const me = session.me;
  const active = (p) => (p.nav.href === '/' ? location.pathname === '/' || location.pathname.startsWith('/dashboard')
    : location.pathname === p.nav.href || location.pathname.startsWith(p.nav.prefix));
  const nav = me
    ? h('nav', { class: 'nav', 'aria-label': t('nav_main') }, pages.filter((p) => p.nav).map((p) =>
        h('a', { href: p.nav.href, 'data-link': true, class: active(p) ? 'active' : null, 'aria-current': active(p) ? 'page' : null }, t(p.nav.label))))
    : null;
  const menu = h('div', { class: 'menu', id: 'header-menu' },
    nav,
    h('div', { class: 'spacer' }),
    me ? searchBox({ navigate }, 'header-search', location.pathname === '/search' ? new URLSearchParams(location.search).get('q') : '') : null,
    me ? roleLine(me) : null,
    me ? h('button', { type: 'button', id: 'sign-out', onclick: () => signOut() }, t('sign_out')) : null);
  const toggle = me ? h('button', {
    type: 'button', class: 'menu-toggle', id: 'menu-toggle', 'aria-controls': 'header-menu', 'aria-expanded': menuOpen ? 'true' : 'false',
    onclick: (e) => {
      menuOpen = !menuOpen;
      e.currentTarget.setAttribute('aria-expanded', String(menuOpen));
      e.currentTarget.closest('header').classList.toggle('open', menuOpen);
    },
  }, t('menu')) : null;
  return h('header', { class: 'top' + (menuOpen ? ' open' : '') },
    h('a', { href: '/', 'data-link': true, class: 'brand' }, t('app_name')),
    me ? h('span', { class: 'tlp tlp-' + me.clearance.replace('+', '-') + ' compact-clearance', title: t('clearance') }, 'TLP:' + me.clearance.toUpperCase()) : null,
    toggle,
    langButton(),
    menu);
}

function skipLink() {
  return h('a', { href: '#main', class: 'skip-link', id: 'skip-link', onclick: (e) => {
    e.preventDefault();
    const m = document.getElementById('main');
    if (m) m.focus();
  } }, t('skip_to_content'));
}

let renderSeq = 0;
export async function render() {
  const seq = ++renderSeq;
  applyLang();
  menuOpen = false;
  const path = location.pathname;
  if (!session.me && getToken()) await loadSession();
  if (seq !== renderSeq) return;
  const hadFocus = document.activeElement && document.activeElement !== document.body && app.contains(document.activeElement);
  const main = h('main', { id: 'main', class: 'main', tabindex: -1 });
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
  if (!session.me && session.down) {
    // The server did not answer: say so, in the interface's language, and offer to try again.
    fill(app, skipLink(), header(), main);
    showError(main, session.down, () => render());
    return;
  }
  if (!session.me && path !== '/signin') return navigate('/signin', true);
  if (session.me && path === '/signin') return navigate('/', true);
  fill(app, skipLink(), header(), main);
  // After moving to another page with the keyboard, start from the page's content.
  if (hadFocus) main.focus({ preventScroll: true });
  if (path === '/signin') {
    const n = session.notice;
    return signinPage.render(main, { notice: n ? t(n.key, n.d ? { d: fmtDate(n.d) } : undefined) : '' }, ctx);
  }
  for (const p of pages) {
    const m = p.match.exec(path);
    if (m) {
      const params = m.groups || {};
      for (const k of Object.keys(params)) params[k] = decodeURIComponent(params[k]);
      try {
        await p.render(main, params, ctx);
      } catch (err) {
        if (ctx.isCurrent()) showError(main, err, () => render());
      }
      return;
    }
  }
  showError(main, { status: 404 });
}

render();
