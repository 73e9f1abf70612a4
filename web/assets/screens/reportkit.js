// Helpers shared by the report screens (feed, report, write, translate,
// welcome): names of people and languages, the rendered report body, the
// unlock form, and where an API error belongs in a form.
import { t, lang } from '../i18n.js';
import * as api from '../api.js';
import { el, field, showError, clearErrors, busy, blobImage, short, toast, errorText } from '../ui.js';

export { npub } from '../npub.js';
import { npub } from '../npub.js';

// author is how a person is named: their chosen name, "you", or a short npub.
export function author(pubkey, name, me) {
  if (me && pubkey === me.pubkey) return name ? t('rep.you.named', { name }) : t('rep.you');
  return name || short(npub(pubkey));
}

// Languages offered first when writing or translating; any other
// two-letter code can be typed.
export const COMMON_LANGS = ['en', 'es', 'ru', 'kk', 'uk', 'ar', 'fa', 'fr', 'de', 'pt', 'tr', 'zh', 'uz', 'ky', 'tg', 'be', 'hy', 'ka', 'az', 'my', 'ur', 'hi'];

// langName names a language in the UI's language, with its own name when
// that differs: "Spanish (español)".
export function langName(code) {
  if (!code) return '';
  let here = code, self = '';
  try { here = new Intl.DisplayNames([lang()], { type: 'language' }).of(code) || code; } catch { /* unknown code */ }
  try { self = new Intl.DisplayNames([code], { type: 'language' }).of(code) || ''; } catch { /* unknown code */ }
  return self && self.toLowerCase() !== here.toLowerCase() ? `${here} (${self})` : here;
}

// langPicker is a select of common languages with "Other" revealing a
// free field for any two-letter code. Errors about the language go next to
// whichever of the two is in use: errorName() says which.
export function langPicker(idPrefix, initial, exclude) {
  const codes = COMMON_LANGS.filter((c) => c !== exclude);
  const other = el('input', { type: 'text', name: 'lang-other', id: idPrefix + '-other', maxlength: 2, autocomplete: 'off', placeholder: t('rep.lang.otherPlaceholder'), class: 'lang-other' });
  const sel = el('select', { name: 'lang', id: idPrefix },
    initial ? null : el('option', { value: '' }, t('rep.lang.choose')),
    codes.map((c) => el('option', { value: c }, langName(c))),
    el('option', { value: '*' }, t('rep.lang.other')));
  if (initial && codes.includes(initial)) sel.value = initial;
  else if (initial) { sel.value = '*'; other.value = initial; }
  const otherField = field(t('rep.lang.code'), other, t('rep.lang.codeHelp'));
  const sync = () => { otherField.hidden = sel.value !== '*'; };
  sel.addEventListener('change', () => { sync(); if (sel.value === '*') other.focus(); });
  sync();
  return {
    nodes: [field(t('rep.lang'), sel), otherField],
    value: () => (sel.value === '*' ? other.value.trim().toLowerCase() : sel.value),
    errorName: () => (sel.value === '*' ? 'lang-other' : 'lang'),
  };
}

// errorField guesses which form field an API error is about from its
// words (the API names the thing it refuses: "a report needs a title").
export function errorField(err, langField = 'lang') {
  const m = String(err?.message || '').toLowerCase();
  if (/language|iso 639/.test(m)) return langField;
  if (/summary/.test(m)) return 'summary';
  if (/title/.test(m)) return 'title';
  if (/topic/.test(m)) return 'tags';
  if (/attachment/.test(m)) return 'photos';
  if (/no text|has no text/.test(m)) return 'markdown';
  return '';
}

// unlockForm asks for the passphrase of the locked identity, inline, and
// calls done once it is unlocked (for example to retry what was refused).
export function unlockForm(done) {
  const pass = el('input', { type: 'password', name: 'passphrase', id: 'unlock-passphrase', autocomplete: 'current-password', required: true });
  const button = el('button', { type: 'submit', class: 'btn btn-primary', id: 'unlock-submit' }, t('rep.unlock.submit'));
  const form = el('form', { class: 'card unlock-card', id: 'unlock-form' },
    el('h2', {}, t('rep.unlock.title')),
    el('p', {}, t('rep.unlock.text')),
    field(t('rep.unlock.passphrase'), pass),
    el('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    try {
      await busy(button, api.post('/api/v1/identity/unlock', { passphrase: pass.value }));
      pass.value = '';
      form.remove();
      toast(t('rep.unlock.done'));
      await done?.();
    } catch (err) {
      showError(form, err, 'passphrase');
    }
  });
  return form;
}

// downloadBlob saves a held blob under name, through a blob: URL.
export async function downloadBlob(sha256, name) {
  try {
    const u = await api.objectURL('/api/v1/blob?sha256=' + encodeURIComponent(sha256));
    const a = el('a', { href: u, download: name || sha256, class: 'hidden-link' });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (err) {
    toast(errorText(err), 'error');
  }
}

const NADDR = /^nostr:(naddr1[02-9ac-hj-np-z]+)$/i;

// reportBody inserts a report's html, which the node rendered from
// markdown with the static site's rules (no raw HTML, safe link schemes
// only): this is the one place the UI uses innerHTML. Held images are
// loaded with the API token; links to other sites open apart, telling
// them nothing about where they were found.
export function reportBody(html) {
  const div = el('div', { class: 'prose report-body', id: 'report-body' });
  div.innerHTML = html || ''; // sanitised by the server: see localapi.ReportView
  for (const img of div.querySelectorAll('img[data-blob]')) {
    const sum = img.getAttribute('data-blob');
    const mine = blobImage(sum, img.getAttribute('alt'), 'report-img');
    mine.dataset.blob = sum;
    img.replaceWith(mine);
  }
  for (const img of div.querySelectorAll('img:not(.report-img)')) img.remove();
  for (const a of div.querySelectorAll('a[href]')) {
    const href = a.getAttribute('href');
    const m = href.match(NADDR);
    if (href.startsWith('#blob/')) {
      const sum = href.slice(6);
      a.addEventListener('click', (e) => { e.preventDefault(); downloadBlob(sum, a.textContent.trim()); });
    } else if (m) {
      a.setAttribute('href', '#/report/' + m[1]);
    } else if (/^https?:/i.test(href)) {
      a.setAttribute('target', '_blank');
      a.setAttribute('rel', 'noopener noreferrer');
    } else if (!/^mailto:/i.test(href)) {
      a.removeAttribute('href');
    }
  }
  return div;
}

// debounce runs fn once calls stop coming for ms.
export function debounce(fn, ms) {
  let timer;
  return (...a) => { clearTimeout(timer); timer = setTimeout(() => fn(...a), ms); };
}

// tabs is a row of links that switch views (each has its own route).
export function tabs(items, current) {
  return el('nav', { class: 'tabs', 'aria-label': t('rep.tabs') },
    items.map(([key, href, label, id]) => el('a', { href, id, class: 'tab', 'aria-current': key === current ? 'page' : null }, label)));
}
