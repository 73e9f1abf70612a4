// Sign in: with the passphrase of the node's identity, or with the link
// `caravan open` opens.
import { t } from '../i18n.js';
import { el, clear, field, showError, busy } from '../ui.js';
import { signedIn } from '../app.js';

export default {
  async render(root) {
    document.title = t('signin.title') + ' · Caravan';
    const why = sessionStorage.getItem('caravan.signinError') || (sessionStorage.getItem('caravan.signedOut') ? t('signin.expired') : '');
    sessionStorage.removeItem('caravan.signinError');
    sessionStorage.removeItem('caravan.signedOut');
    const pass = el('input', { type: 'password', name: 'passphrase', autocomplete: 'current-password', required: true });
    const button = el('button', { type: 'submit', class: 'btn btn-primary' }, t('signin.submit'));
    const form = el('form', { class: 'card narrow', id: 'signin-form' },
      el('h1', {}, t('signin.title')),
      why ? el('p', { class: 'notice', role: 'status' }, why) : null,
      el('p', {}, t('signin.intro')),
      field(t('signin.passphrase'), pass),
      el('div', { class: 'actions' }, button),
      el('p', { class: 'help' }, t('signin.open'), ' ', el('code', {}, 'caravan open')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        const r = await busy(button, fetch('/ui/signin', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ passphrase: pass.value }) }));
        const b = await r.json();
        if (!r.ok) return showError(form, { message: b.error + (b.hint ? '. ' + b.hint : '') }, 'passphrase');
        pass.value = '';
        await signedIn(b.token);
      } catch (err) {
        showError(form, { message: t('error.down') }, 'passphrase');
      }
    });
    clear(root).append(el('div', { class: 'center' }, form));
    pass.focus();
  },
};
