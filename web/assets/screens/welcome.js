// Welcome: the first screen. Says plainly what Caravan does, what it
// protects and what it cannot, then creates the identity (or gives the
// existing one a passphrase).
import { t, lang, setLang, LANGS } from '../i18n.js';
import * as api from '../api.js';
import { el, clear, field, showError, clearErrors, busy } from '../ui.js';
import { signedIn } from '../app.js';

const MIN_PASSPHRASE = 8;

function points(title, keys, cls) {
  return el('section', { class: 'welcome-points ' + cls },
    el('h2', {}, t(title)),
    el('ul', {}, keys.map((k) => el('li', {}, t(k)))));
}

// aboutName: the API refused the identity's name (taken or malformed).
const aboutName = (err) => err.code === 'exists' || /name/i.test(err.message);

async function finish() {
  localStorage.setItem('caravan.welcomed', '1');
  await signedIn();
}

export default {
  async render(root, ctx) {
    document.title = t('welcome.title') + ' · Caravan';
    const me = ctx.me;
    const creating = !me;

    const name = el('input', { type: 'text', name: 'name', id: 'welcome-name', autocomplete: 'username', required: true, maxlength: 32, value: 'me', spellcheck: 'false', autocapitalize: 'off' });
    const pass = el('input', { type: 'password', name: 'passphrase', id: 'welcome-passphrase', autocomplete: 'new-password', required: true });
    const repeat = el('input', { type: 'password', name: 'repeat', id: 'welcome-repeat', autocomplete: 'new-password', required: true });
    const submit = el('button', { type: 'submit', class: 'btn btn-primary', id: 'welcome-submit' }, t(creating ? 'welcome.create' : 'welcome.setPassphrase'));
    const form = el('form', { class: 'card', id: 'welcome-form', novalidate: true },
      el('h2', {}, t(creating ? 'welcome.createTitle' : 'welcome.protectTitle')),
      el('p', {}, t(creating ? 'welcome.createIntro' : 'welcome.protectIntro', { name: me?.name || '' })),
      creating ? field(t('welcome.name'), name, t('welcome.nameHelp')) : null,
      field(t('welcome.passphrase'), pass, t('welcome.passphraseHelp')),
      field(t('welcome.repeat'), repeat),
      el('p', { class: 'warning' }, t('welcome.forgotten')),
      el('div', { class: 'actions' }, submit));

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      if (creating && !name.value.trim()) return showError(form, { message: t('welcome.nameMissing') }, 'name');
      if (pass.value.length < MIN_PASSPHRASE) return showError(form, { message: t('welcome.tooShort', { n: MIN_PASSPHRASE }) }, 'passphrase');
      if (pass.value !== repeat.value) return showError(form, { message: t('welcome.mismatch') }, 'repeat');
      try {
        if (creating) await busy(submit, api.post('/api/v1/identities', { name: name.value.trim(), passphrase: pass.value }));
        else await busy(submit, api.post('/api/v1/identity/passphrase', { name: me.name, new: pass.value }));
        pass.value = repeat.value = '';
        await finish();
      } catch (err) {
        showError(form, err, creating && aboutName(err) ? 'name' : 'passphrase');
      }
    });

    const skip = el('button', { type: 'button', class: 'btn', id: 'welcome-skip' }, t('welcome.skip'));
    const skipBox = el('section', { class: 'card welcome-skip' },
      el('h2', {}, t('welcome.skipTitle')),
      el('p', { class: 'warning' }, t('welcome.skipWarning')),
      el('p', { class: 'form-error', role: 'alert', hidden: true, id: 'welcome-skip-error' }),
      el('div', { class: 'actions' }, skip));
    skip.addEventListener('click', async () => {
      const errBox = skipBox.querySelector('.form-error');
      errBox.hidden = true;
      try {
        if (creating) {
          if (!name.value.trim()) return showError(form, { message: t('welcome.nameMissing') }, 'name');
          await busy(skip, api.post('/api/v1/identities', { name: name.value.trim(), no_passphrase: true }));
        }
        await finish();
      } catch (err) {
        if (creating && aboutName(err)) return showError(form, err, 'name');
        errBox.textContent = err.message + (err.hint ? '. ' + err.hint : '');
        errBox.hidden = false;
      }
    });

    // The top bar, with its language menu, is hidden here.
    const langSel = el('select', { id: 'welcome-lang', 'aria-label': 'Language' },
      LANGS.map(([code, label]) => el('option', { value: code, selected: code === lang() }, label)));
    langSel.addEventListener('change', async () => {
      await setLang(langSel.value, true);
      ctx.refresh();
    });

    clear(root).append(el('div', { class: 'welcome' },
      el('header', { class: 'welcome-head' },
        el('img', { src: '/icon.svg', alt: '', width: 48, height: 48 }),
        el('h1', { class: 'grow' }, t('welcome.title')),
        langSel),
      el('p', { class: 'welcome-lead' }, t('welcome.lead')),
      points('welcome.doesTitle', ['welcome.does1', 'welcome.does2', 'welcome.does3'], 'does'),
      points('welcome.protectsTitle', ['welcome.protects1', 'welcome.protects2'], 'protects'),
      points('welcome.cannotTitle', ['welcome.cannot1', 'welcome.cannot2', 'welcome.cannot3', 'welcome.cannot4'], 'cannot'),
      form,
      skipBox));
    (creating ? name : pass).focus();
  },
};
