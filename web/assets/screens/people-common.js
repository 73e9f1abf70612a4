// What the chats, contacts, links, bundles and settings screens share:
// names for keys, message states, small pieces of layout.
import { t } from '../i18n.js';
import { el, short } from '../ui.js';

export { npub } from '../npub.js';
import { npub } from '../npub.js';

// nameBook returns how to call a hex key: a contact's name, "you", or a
// short npub.
export function nameBook(people, me) {
  const names = new Map();
  for (const p of people || []) if (p.petname) names.set(p.pubkey, p.petname);
  return (hex) => {
    if (me && hex === me.pubkey) return t('people.you');
    return names.get(hex) || short(npub(hex));
  };
}

// avatar is a round initial, its colour chosen from the name.
export function avatar(name) {
  const s = String(name || '?');
  let h = 0;
  for (const c of s) h = (h * 31 + c.codePointAt(0)) >>> 0;
  const first = [...s.replace(/^[^\p{L}\p{N}]+/u, '')][0] || '?';
  return el('span', { class: 'avatar av-' + (h % 6), 'aria-hidden': 'true' }, first.toUpperCase());
}

// Delivery states of outgoing messages, with what each means.
export const STATES = ['queued', 'carried', 'delivered'];
export function stateLabel(state) { return t('people.state.' + state); }
export function stateHelp(state) { return t('people.state.' + state + '.help'); }
export function stateMark(state) {
  return el('span', { class: 'msg-state st-' + state, title: stateHelp(state) },
    el('span', { class: 'ticks', 'aria-hidden': 'true' }, { queued: '◷', carried: '✓', delivered: '✓✓' }[state] || ''),
    ' ', stateLabel(state));
}

// needIdentity returns a notice when there is no unlocked identity to
// speak as, or null.
export function needIdentity(ctx) {
  if (!ctx.me) {
    return el('div', { class: 'card notice', id: 'no-identity' }, el('p', {}, t('people.noIdentity')),
      el('a', { class: 'btn btn-primary', href: '#/welcome' }, t('people.makeIdentity')));
  }
  if (!ctx.me.unlocked) return el('p', { class: 'notice', id: 'identity-locked' }, t('people.locked'));
  return null;
}

// section is a titled card.
export function section(title, attrs, ...children) {
  return el('section', { class: 'card ppl-section', ...attrs }, el('h2', {}, title), children);
}

// mb and fromMB convert bytes to megabytes and back, for forms.
export function mb(n) { return Math.round((n / 1048576) * 10) / 10; }
export function fromMB(v) { return Math.round(Number(v) * 1048576); }

// preview is a message's text in one line.
export function preview(m) {
  if (!m) return '';
  if (m.file) return t('chat.fileLabel') + ' ' + (m.file.name || t('people.file'));
  return String(m.text || '').replace(/\s+/g, ' ').trim();
}
