// Sign in with a token. The token is checked with GET /liaison/whoami, then kept in
// sessionStorage for this tab. The form never submits anywhere: no URL ever holds it.
import { h, fill } from '../dom.js';
import { t } from '../i18n.js';
import { liaison, setToken } from '../api.js';
import { errorText } from '../ui.js';

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
    fill(main, form);
    input.focus();
  },
};
