// The People tab: contacts, adding one from a card, an npub or a picture
// of a QR code, and a person's page with the safety number.
import { t } from '../i18n.js';
import { el, user, field, fieldError, button, confirm, toast } from '../ui.js';
import { nameOf, profileName, onNames, cleanName } from '../names.js';
import { pubkey } from '../me.js';
import { pictureInputs } from '../qr.js';
import * as nip19 from 'nostr-tools/nip19.js';
import * as chat from './service.js';
import { safetyNumber } from './safety.js';

const hex64 = /^[0-9a-f]{64}$/;

// parseContact reads what someone gave: a contact card (nostr:nprofile…),
// an npub or nprofile, or a hex key. It returns {pubkey, relays} or
// throws an Error whose message is the catalogue's error code.
export function parseContact(text) {
  const s = String(text || '').trim().replace(/^nostr:/i, '');
  if (!s) throw new Error('empty');
  if (hex64.test(s.toLowerCase())) return { pubkey: s.toLowerCase(), relays: [] };
  const low = s.toLowerCase();
  if (/^(nsec|ncryptsec)1/.test(low)) throw new Error('secret');
  if (/^(note|nevent|naddr)1/.test(low)) throw new Error('pointer');
  let d;
  try { d = nip19.decode(low); } catch { throw new Error('unknown'); }
  if (d.type === 'npub') return { pubkey: d.data, relays: [] };
  if (d.type === 'nprofile') return { pubkey: d.data.pubkey, relays: (d.data.relays || []).filter((r) => typeof r === 'string').slice(0, 4) };
  throw new Error('unknown');
}

function verifiedBadge(c) {
  return c && c.verified
    ? el('span', { class: 'badge badge-ok', 'data-verified': 'true' }, t('people.verified'))
    : el('span', { class: 'badge', 'data-verified': 'false' }, t('people.notVerified'));
}

export function peopleScreen(root) {
  const list = el('ul', { class: 'list', id: 'contacts' });
  const draw = () => {
    list.replaceChildren();
    const cs = chat.contacts();
    if (!cs.length) list.append(el('li', { class: 'empty' }, t('people.none')));
    for (const c of cs) {
      list.append(el('li', {},
        el('a', { class: 'item', href: '#/person/' + c.pubkey, 'data-pubkey': c.pubkey },
          user(c.petname, 'span', { class: 'name' }), verifiedBadge(c))));
    }
  };
  draw();
  root.append(el('div', { class: 'page' },
    el('h1', {}, t('people.title')),
    el('div', { class: 'actions' },
      el('a', { class: 'button primary', href: '#/add', id: 'add-contact' }, t('people.add')),
      el('a', { class: 'button secondary', href: '#/me', id: 'my-card-link' }, t('people.myCard'))),
    list));
  const offs = [chat.onChange(draw), onNames(draw)];
  return () => offs.forEach((f) => f());
}

export function addContactScreen(root, prefill) {
  const text = el('textarea', { id: 'contact-text', rows: 3, autocapitalize: 'off', spellcheck: 'false', autocomplete: 'off' });
  if (prefill) text.value = prefill;
  const name = el('input', { id: 'contact-name', type: 'text', autocomplete: 'off', maxlength: 64 });
  const save = el('button', { id: 'contact-save', type: 'submit', class: 'primary' }, t('people.save'));
  const pics = pictureInputs((s) => { text.value = s.trim(); fieldError(text, ''); suggest(); name.focus(); },
    (why) => fieldError(text, t('qr.error.' + why)));
  // A name the key's owner chose is offered, never taken silently.
  const suggest = () => {
    try {
      const { pubkey: pk } = parseContact(text.value);
      if (!name.value) name.placeholder = profileName(pk) || '';
    } catch { /* not yet a card */ }
  };
  text.addEventListener('change', suggest);
  const form = el('form', { novalidate: true },
    field(t('people.cardText'), text, t('people.cardHelp')), pics,
    field(t('people.petname'), name, t('people.petnameHelp')), save);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    fieldError(text, ''); fieldError(name, '');
    let c;
    try { c = parseContact(text.value); } catch (err) {
      if (err.message === 'secret') text.value = ''; // never kept, never shown again
      return fieldError(text, t('people.error.' + err.message));
    }
    if (c.pubkey === pubkey()) return fieldError(text, t('people.error.self'));
    const petname = cleanName(name.value) || cleanName(name.placeholder);
    if (!petname) return fieldError(name, t('people.error.noName'));
    const had = chat.contact(c.pubkey);
    chat.saveContact({ ...(had || {}), pubkey: c.pubkey, petname, relays: c.relays, verified: had?.verified });
    toast(t('people.added', { name: petname }));
    location.hash = '#/person/' + c.pubkey;
  });
  root.append(el('div', { class: 'page' },
    el('a', { class: 'back', href: '#/people' }, t('common.back')),
    el('h1', {}, t('people.addTitle')),
    el('p', {}, t('people.addIntro')),
    form));
}

export function personScreen(root, pk) {
  if (!hex64.test(pk)) { location.hash = '#/people'; return; }
  const body = el('div', { class: 'page' });
  root.append(body);
  // Made once: names and contacts redraw the screen as they arrive, and a
  // tap that began on a button replaced since would be lost.
  const actions = el('div', { class: 'actions' },
    button(t('people.write'), () => { location.hash = '#/chat/' + chat.roomKey(chat.openRoom([pk])); }, { class: 'primary', id: 'write' }));
  const draw = () => {
    const c = chat.contact(pk);
    const claimed = profileName(pk);
    const number = el('p', { class: 'safety', id: 'safety-number' }, user(safetyNumber(pubkey(), pk)));
    const parts = [
      el('a', { class: 'back', href: '#/people' }, t('common.back')),
      el('h1', {}, user(c ? c.petname : nameOf(pk), 'span', { id: 'person-name' })),
      c ? verifiedBadge(c) : el('p', { class: 'notice', id: 'not-contact' }, t('people.notContact')),
      claimed && (!c || claimed !== c.petname) ? el('p', { class: 'muted small' }, t('people.claims'), ' ', user(claimed, 'q')) : null,
      el('p', { class: 'key small' }, user(nip19.npubEncode(pk))),
      actions,
    ];
    if (c) {
      const pet = el('input', { id: 'petname', type: 'text', value: c.petname, maxlength: 64, autocomplete: 'off' });
      const rename = el('form', { novalidate: true, class: 'inline' }, field(t('people.petname'), pet), el('button', { type: 'submit', class: 'secondary' }, t('common.save')));
      rename.addEventListener('submit', (e) => {
        e.preventDefault();
        const v = cleanName(pet.value);
        if (!v) return fieldError(pet, t('people.error.noName'));
        chat.saveContact({ ...c, petname: v });
        toast(t('common.saved'));
      });
      parts.push(
        el('section', {},
          el('h2', {}, t('people.safety')),
          el('p', {}, t('people.safetyHelp')),
          number,
          c.verified
            ? button(t('people.unverify'), () => chat.saveContact({ ...c, verified: false }), { class: 'quiet', id: 'unverify' })
            : button(t('people.verify'), () => chat.saveContact({ ...c, verified: true }), { class: 'primary', id: 'verify' })),
        rename,
        button(t('people.remove'), async () => {
          if (await confirm(t('people.removeTitle'), t('people.removeText'), t('people.remove'), true)) {
            chat.removeContact(pk);
            location.hash = '#/people';
          }
        }, { class: 'danger', id: 'remove-contact' }));
    } else {
      parts.push(el('a', { class: 'button secondary', href: '#/add/' + nip19.npubEncode(pk), id: 'add-this' }, t('people.addThis')));
    }
    body.replaceChildren(...parts.filter(Boolean));
  };
  draw();
  const offs = [chat.onChange((what) => { if (what === 'contact') draw(); }), onNames(draw)];
  return () => offs.forEach((f) => f());
}

