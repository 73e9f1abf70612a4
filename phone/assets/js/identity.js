// The identity's screens: the welcome (what this is, what it protects, and
// how far to trust it), making or bringing a key, unlocking it, backing it
// up, and the Me tab.
import { t, LANGS, lang, setLang } from './i18n.js';
import { el, user, field, fieldError, button, busy, nextFrame, confirm, selectable, copyButton } from './ui.js';
import * as me from './me.js';
import { relayURL, stop } from './node.js';
import { qrCanvas, pictureInputs } from './qr.js';
import * as nip19 from 'nostr-tools/nip19.js';
import * as chat from './chat/service.js';

// langSelect switches the page's language, and remembers the choice.
export function langSelect() {
  const s = el('select', { id: 'lang', 'aria-label': t('lang.label') },
    LANGS.map(([code, name]) => el('option', { value: code, lang: code, selected: code === lang() }, name)));
  s.addEventListener('change', () => setLang(s.value, true));
  return s;
}

// about is the two sentences on what this page is and what it protects.
function about() {
  return el('div', { class: 'about' }, el('p', {}, t('about.what')), el('p', {}, t('about.protects')));
}

// trustNotice says plainly how far this page can be trusted.
export function trustNotice() {
  return el('section', { class: 'notice trust', 'aria-labelledby': 'trust-title' },
    el('h2', { id: 'trust-title' }, t('trust.title')),
    el('p', {}, t('trust.comes')),
    el('p', {}, location.protocol === 'http:' ? t('trust.plain') : t('trust.hostile')),
    el('p', {}, t('trust.safer')));
}

export function welcomeScreen(root) {
  root.append(
    el('div', { class: 'page welcome' },
      el('div', { class: 'row end' }, langSelect()),
      el('h1', {}, t('app.name')),
      about(),
      el('div', { class: 'actions' },
        el('a', { id: 'start-create', class: 'button primary', href: '#/create' }, t('welcome.create')),
        el('a', { id: 'start-bring', class: 'button secondary', href: '#/bring' }, t('welcome.bring'))),
      trustNotice()));
}

function passField(id, label, help, autocomplete) {
  const input = el('input', { id, type: 'password', autocomplete, autocapitalize: 'off', spellcheck: 'false', required: true });
  return [input, field(label, input, help)];
}

// strengthLine shows how strong a passphrase is, as it is typed.
function strengthLine(input) {
  const out = el('p', { class: 'strength', 'aria-live': 'polite', id: input.id + '-strength' });
  const show = () => {
    const s = input.value ? me.strength(input.value) : '';
    out.dataset.strength = s;
    out.textContent = s ? t('pass.strength.' + s, { min: me.MIN_PASSPHRASE }) : '';
  };
  input.addEventListener('input', show);
  return out;
}

export function createScreen(root) {
  const [p1, f1] = passField('pass1', t('pass.new'), t('pass.help', { min: me.MIN_PASSPHRASE }), 'new-password');
  const [p2, f2] = passField('pass2', t('pass.repeat'), null, 'new-password');
  const go = el('button', { id: 'create-go', type: 'submit', class: 'primary' }, t('create.go'));
  const form = el('form', { novalidate: true }, f1, strengthLine(p1), f2, el('p', { class: 'muted small' }, t('pass.never')), go);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    fieldError(p1, ''); fieldError(p2, '');
    if (me.strength(p1.value) === 'short') return fieldError(p1, t('key.error.short', { min: me.MIN_PASSPHRASE }));
    if (p1.value !== p2.value) return fieldError(p2, t('pass.mismatch'));
    await busy(go, (async () => {
      await nextFrame();
      me.create(p1.value);
    })(), t('create.working'));
    p1.value = p2.value = '';
    location.hash = '#/backup/first';
  });
  root.append(el('div', { class: 'page' },
    el('a', { class: 'back', href: '#/' }, t('common.back')),
    el('h1', {}, t('create.title')),
    el('p', {}, t('create.intro')),
    form));
}

export function bringScreen(root) {
  const text = el('textarea', { id: 'key-text', rows: 4, autocapitalize: 'off', spellcheck: 'false', autocomplete: 'off' });
  const [pass, fp] = passField('bring-pass', t('pass.label'), t('bring.passHelp'), 'current-password');
  const go = el('button', { id: 'bring-go', type: 'submit', class: 'primary' }, t('bring.go'));
  const pics = pictureInputs((s) => {
    fieldError(text, '');
    if (me.classify(s) === 'ncryptsec' || me.classify(s) === 'nsec') { text.value = s.trim(); pass.focus(); } else fieldError(text, t(me.classify(s) === 'public' ? 'key.error.public' : 'key.error.unknown'));
  }, (why) => fieldError(text, t('qr.error.' + why)));
  const form = el('form', { novalidate: true }, field(t('bring.text'), text, t('bring.textHelp')), pics, fp, go);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    fieldError(text, ''); fieldError(pass, '');
    try {
      await busy(go, (async () => { await nextFrame(); me.bring(text.value, pass.value); })(), t('unlock.working'));
    } catch (err) {
      const code = err instanceof me.KeyError ? err.code : 'unknown';
      const target = code === 'wrong' || code === 'short' || code === 'empty' ? pass : text;
      return fieldError(target, t('key.error.' + code, { min: me.MIN_PASSPHRASE }));
    }
    pass.value = ''; text.value = '';
    location.hash = '#/chats';
  });
  root.append(el('div', { class: 'page' },
    el('a', { class: 'back', href: '#/' }, t('common.back')),
    el('h1', {}, t('bring.title')),
    el('p', {}, t('bring.intro')),
    form));
}

export function unlockScreen(root, unlocked) {
  const [pass, fp] = passField('unlock-pass', t('pass.label'), null, 'current-password');
  const go = el('button', { id: 'unlock-go', type: 'submit', class: 'primary' }, t('unlock.go'));
  const form = el('form', { novalidate: true }, fp, go);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    fieldError(pass, '');
    try {
      await busy(go, (async () => { await nextFrame(); me.unlock(pass.value); })(), t('unlock.working'));
    } catch (err) {
      pass.value = '';
      return fieldError(pass, t('key.error.' + (err instanceof me.KeyError ? err.code : 'wrong'), { min: me.MIN_PASSPHRASE }));
    }
    pass.value = '';
    unlocked();
  });
  const other = button(t('unlock.other'), async () => {
    if (await confirm(t('forget.title'), t('forget.text'), t('forget.go'), true)) { me.forget(); location.hash = '#/'; location.reload(); }
  }, { class: 'quiet', id: 'unlock-other' });
  root.append(el('div', { class: 'page' },
    el('div', { class: 'row end' }, langSelect()),
    el('h1', {}, t('unlock.title')),
    el('p', {}, t('unlock.intro')),
    el('p', { class: 'key' }, user(me.shortNpub(me.pubkey()))),
    form,
    other));
  pass.focus();
}

// card is this identity's contact card, as package qr makes them
// (docs/qr.md): a nostr: nprofile with this node's relay as a hint when
// it is reachable beyond this machine.
export function card() {
  const host = location.hostname;
  const loopback = host === 'localhost' || host.startsWith('127.') || host === '[::1]';
  return 'nostr:' + nip19.nprofileEncode({ pubkey: me.pubkey(), relays: loopback ? [] : [relayURL()] });
}

export function backupScreen(root, first) {
  const sec = me.ncryptsec();
  const box = selectable(sec, 4, { id: 'backup-text', 'aria-label': t('backup.textLabel') });
  root.append(el('div', { class: 'page' },
    first ? null : el('a', { class: 'back', href: '#/me' }, t('common.back')),
    el('h1', {}, t('backup.title')),
    el('p', {}, t('backup.intro')),
    el('p', { class: 'notice' }, t('backup.passphrase')),
    el('div', { class: 'qr-box' }, qrCanvas(sec, t('backup.qrLabel'))),
    box,
    copyButton(box),
    first ? el('a', { id: 'backup-done', class: 'button primary', href: '#/chats' }, t('backup.done')) : null));
}

export function meScreen(root) {
  const c = card();
  const box = selectable(me.npub(), 2, { id: 'my-npub', 'aria-label': t('me.npubLabel') });
  const receipts = el('input', { type: 'checkbox', id: 'receipts', checked: chat.receiptsOn() });
  receipts.addEventListener('change', () => chat.setReceipts(receipts.checked));
  const lockBtn = button(t('me.lock'), () => { me.lock(); stop(); location.hash = '#/'; location.reload(); }, { id: 'lock', class: 'secondary' });
  const forgetBtn = button(t('me.forget'), async () => {
    if (await confirm(t('forget.title'), t('forget.text'), t('forget.go'), true)) { stop(); me.forget(); location.hash = '#/'; location.reload(); }
  }, { id: 'forget', class: 'danger' });
  root.append(el('div', { class: 'page' },
    el('h1', {}, t('me.title')),
    el('section', {},
      el('h2', {}, t('me.card')),
      el('p', {}, t('me.cardHelp')),
      el('div', { class: 'qr-box', id: 'my-card', 'data-card': c }, qrCanvas(c, t('me.cardLabel'))),
      box),
    el('section', {},
      el('h2', {}, t('me.key')),
      el('p', {}, t('me.keyHelp')),
      el('a', { class: 'button secondary', href: '#/backup', id: 'show-backup' }, t('me.backup'))),
    el('section', {},
      el('h2', {}, t('me.settings')),
      el('label', { class: 'check' }, receipts, el('span', {}, t('me.receipts'))),
      field(t('lang.label'), langSelect())),
    el('section', {},
      el('h2', {}, t('me.about')),
      about(),
      el('p', {}, t('me.stored'))),
    trustNotice(),
    el('div', { class: 'actions' }, lockBtn, forgetBtn)));
}
