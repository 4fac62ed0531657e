// Sign in with a token. The token is checked with GET /liaison/whoami, then kept in
// sessionStorage for this tab. The form never submits anywhere: no URL ever holds it.
import { h, fill } from '../dom.js';
import { t } from '../i18n.js';
import { liaison, setToken, setPerson } from '../api.js';
import { errorText } from '../ui.js';

// Sign in as a person (docs/people.md): name, password and, once enrolled, a TOTP code (the
// first time: the one-time code and a new password), sent to POST /liaison/signin; the session token it answers is then used as a pasted token is.
function personForm(ctx) {
  const field = (id, label, attrs) => [h('label', { for: id }, label),
    h('input', { id, name: id, dir: 'ltr', spellcheck: 'false', ...attrs })];
  const [nl, name] = field('person-name', t('person_name'), { type: 'text', autocomplete: 'username', required: true });
  const [pl, pass] = field('person-password', t('person_password'), { type: 'password', autocomplete: 'current-password', required: true });
  const [tl, totp] = field('person-totp', t('person_totp'), {
    type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', 'aria-describedby': 'person-totp-help' });
  // The first sign-in: the one-time code `liaison user add` printed, and a new password twice.
  const first = h('input', { type: 'checkbox', id: 'person-first', name: 'person-first' });
  const [cl, code] = field('person-code', t('person_code'), { type: 'text', autocomplete: 'off' });
  const [n1l, new1] = field('person-new', t('person_new_password'), { type: 'password', autocomplete: 'new-password', minlength: 12 });
  const [n2l, new2] = field('person-new2', t('person_new_password2'), { type: 'password', autocomplete: 'new-password', minlength: 12 });
  const firstPart = h('div', { id: 'person-first-fields', hidden: true }, cl, code, n1l, new1, n2l, new2);
  const passPart = h('div', { id: 'person-password-fields' }, pl, pass);
  const showFirst = () => {
    firstPart.hidden = !first.checked;
    passPart.hidden = first.checked;
    pass.required = !first.checked;
    code.required = new1.required = new2.required = first.checked;
  };
  first.addEventListener('change', showFirst);
  const msg = h('p', { class: 'form-error', id: 'person-error', role: 'alert' });
  const button = h('button', { type: 'submit', id: 'person-submit' }, t('sign_in'));
  const form = h('form', { class: 'signin', id: 'person-signin', method: 'post', action: '#' },
    h('h2', null, t('person_sign_in')), nl, name,
    h('p', { class: 'check' }, first, ' ', h('label', { for: 'person-first' }, t('person_first'))),
    passPart, firstPart, tl, totp,
    h('p', { class: 'help', id: 'person-totp-help' }, t('person_totp_help')), msg, button);
  const clear = () => {
    for (const f of [pass, totp, code, new1, new2]) f.value = '';
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!name.value.trim() || (first.checked ? !code.value.trim() || !new1.value : !pass.value)) {
      msg.textContent = t(first.checked ? 'person_first_empty' : 'person_empty');
      return;
    }
    if (first.checked && new1.value !== new2.value) {
      msg.textContent = t('person_mismatch');
      return;
    }
    button.disabled = true;
    msg.textContent = t('signing_in');
    const body = first.checked
      ? { name: name.value.trim(), code: code.value.trim(), new_password: new1.value }
      : { name: name.value.trim(), password: pass.value };
    if (totp.value.trim()) body.totp = totp.value.trim();
    try {
      const s = await liaison.signin(body);
      clear();
      await liaison.whoami(s.token);
      setToken(s.token);
      setPerson({ name: s.name, role: s.role });
      await ctx.signedIn();
    } catch (err) {
      clear();
      msg.textContent = err.status === 401 ? t(first.checked ? 'person_first_bad' : 'person_bad')
        : err.status === 429 ? t('person_locked', { n: err.retryAfter || '?' }) : errorText(err);
      button.disabled = false;
    }
  });
  return form;
}

export default {
  async render(main, params, ctx) {
    const input = h('input', {
      type: 'password', id: 'token', name: 'token', autocomplete: 'off', spellcheck: 'false',
      required: true, dir: 'ltr', 'aria-describedby': 'token-help',
    });
    const msg = h('p', { class: 'form-error', id: 'signin-error', role: 'alert' }, params.notice || '');
    const button = h('button', { type: 'submit', id: 'signin-submit' }, t('sign_in'));
    const form = h('form', { class: 'signin', method: 'post', action: '#', autocomplete: 'off' },
      h('h1', null, t('sign_in')),
      h('label', { for: 'token' }, t('token')),
      input,
      h('p', { class: 'help', id: 'token-help' }, t('token_help')),
      msg,
      button);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const tok = input.value.trim();
      if (!tok) {
        msg.textContent = t('token_empty');
        return;
      }
      button.disabled = true;
      msg.textContent = t('signing_in');
      try {
        await liaison.whoami(tok);
        setToken(tok);
        input.value = '';
        await ctx.signedIn();
      } catch (err) {
        msg.textContent = err.status === 401 ? t('token_bad') : errorText(err);
        button.disabled = false;
      }
    });
    fill(main, form, personForm(ctx));
    input.focus();
  },
};
