// The identity: the person's key, made, kept and used only in this page.
//
// The secret key lives in this module's memory while unlocked, and on the
// phone only as a NIP-49 ncryptsec (scrypt + XChaCha20-Poly1305 under the
// passphrase) in localStorage. Nothing here sends anything anywhere:
// other modules get signatures and NIP-44 ciphertexts, never the key, and
// the passphrase is dropped as soon as it has opened or sealed the key.
import { generateSecretKey, getPublicKey, finalizeEvent } from 'nostr-tools/pure.js';
import * as nip19 from 'nostr-tools/nip19.js';
import * as nip44 from 'nostr-tools/nip44.js';
import * as nip49 from 'nostr-tools/nip49.js';
import { bech32 } from '@scure/base';

const KEY = 'caravan.phone.key'; // the ncryptsec
const PUB = 'caravan.phone.pub'; // the public key, hex: shown before unlocking

// LOGN is NIP-49's scrypt cost for keys made or brought here: 2^16, about
// a second or two on a phone, each time the key is unlocked.
const LOGN = 16;

// MIN_PASSPHRASE is the shortest passphrase accepted, in characters.
export const MIN_PASSPHRASE = 10;

let sk = null; // Uint8Array while unlocked
const convKeys = new Map();
const lockListeners = new Set();

// hasIdentity says whether this phone keeps a key.
export function hasIdentity() { return !!localStorage.getItem(KEY) && !!localStorage.getItem(PUB); }

// pubkey is the identity's public key (hex), locked or not; null without one.
export function pubkey() { return hasIdentity() ? localStorage.getItem(PUB) : null; }

// npub is the identity's public key as NIP-19 npub.
export function npub() { const p = pubkey(); return p ? nip19.npubEncode(p) : null; }

// locked says whether the key is closed (or there is none).
export function locked() { return sk === null; }

// ncryptsec is the stored, encrypted key: the backup.
export function ncryptsec() { return localStorage.getItem(KEY); }

function need() {
  if (!sk) throw new Error('locked');
  return sk;
}

// sign signs an event template ({kind, content, tags, created_at}) as
// this identity, and returns the signed event. The template is not
// changed.
export async function sign(template) {
  const ev = {
    kind: template.kind,
    created_at: template.created_at ?? Math.floor(Date.now() / 1000),
    tags: template.tags ?? [],
    content: template.content ?? '',
  };
  return finalizeEvent(ev, need());
}

function conversationKey(peer) {
  let k = convKeys.get(peer);
  if (!k) {
    k = nip44.getConversationKey(need(), peer);
    convKeys.set(peer, k);
  }
  return k;
}

// encryptFor seals text for peer (hex public key) with NIP-44 v2.
export function encryptFor(peer, text) { return nip44.encrypt(text, conversationKey(peer)); }

// decryptFrom opens a NIP-44 v2 payload from peer; it throws on anything
// damaged or not for us.
export function decryptFrom(peer, payload) { return nip44.decrypt(payload, conversationKey(peer)); }

// encryptSelf and decryptSelf seal what this phone stores for its owner
// (contacts, messages) with NIP-44 to the identity itself, as the node's
// vault does.
export function encryptSelf(text) { return encryptFor(pubkey(), text); }
export function decryptSelf(payload) { return decryptFrom(pubkey(), payload); }

// Errors of create, bring and unlock, by code: the screens say them in
// the person's language.
export class KeyError extends Error {
  constructor(code) { super(code); this.code = code; }
}

// strength rates a passphrase for the person choosing it: 'short' (refused),
// 'fair' or 'strong'. A long passphrase of several words is strong.
export function strength(p) {
  const chars = [...p].length;
  if (chars < MIN_PASSPHRASE) return 'short';
  const words = p.trim().split(/\s+/).filter(Boolean).length;
  if (chars >= 20 || (words >= 4 && chars >= 16)) return 'strong';
  return 'fair';
}

function keep(enc, sec) {
  localStorage.setItem(KEY, enc);
  localStorage.setItem(PUB, getPublicKey(sec));
  sk = sec;
  convKeys.clear();
}

// create makes a new key, seals it under passphrase and unlocks it.
export function create(passphrase) {
  if (strength(passphrase) === 'short') throw new KeyError('short');
  const sec = generateSecretKey();
  // ksb 1: the key has not been handled insecurely.
  keep(nip49.encrypt(sec, passphrase, LOGN, 0x01), sec);
}

// classify says what a text holds: 'ncryptsec', 'nsec', 'public' (an npub,
// nprofile or card: not a key), or null.
export function classify(text) {
  const s = String(text || '').trim().replace(/^nostr:/i, '').toLowerCase();
  if (/^ncryptsec1[02-9ac-hj-np-z]+$/.test(s)) return 'ncryptsec';
  if (/^nsec1[02-9ac-hj-np-z]{58}$/.test(s)) return 'nsec';
  if (/^(npub|nprofile)1[02-9ac-hj-np-z]+$/.test(s)) return 'public';
  return null;
}

// bring takes a key someone already has: an ncryptsec (opened with the
// passphrase it was sealed with, and kept as it is) or an nsec (sealed
// here under the new passphrase).
export function bring(text, passphrase) {
  const s = String(text || '').trim().replace(/^nostr:/i, '').toLowerCase();
  switch (classify(s)) {
    case 'ncryptsec': {
      if (!passphrase) throw new KeyError('empty');
      try { bech32.decode(s, 5000); } catch { throw new KeyError('damaged'); }
      let sec;
      try { sec = nip49.decrypt(s, passphrase); } catch { throw new KeyError('wrong'); }
      if (!(sec instanceof Uint8Array) || sec.length !== 32) throw new KeyError('damaged');
      keep(s, sec);
      return;
    }
    case 'nsec': {
      if (strength(passphrase) === 'short') throw new KeyError('short');
      let sec;
      try { sec = nip19.decode(s).data; } catch { throw new KeyError('damaged'); }
      // ksb 0: it was in plain text before.
      keep(nip49.encrypt(sec, passphrase, LOGN, 0x00), sec);
      return;
    }
    case 'public':
      throw new KeyError('public');
    default:
      throw new KeyError('unknown');
  }
}

// unlock opens the stored key with passphrase; a wrong passphrase throws
// KeyError('wrong').
export function unlock(passphrase) {
  if (!passphrase) throw new KeyError('empty');
  let sec;
  try { sec = nip49.decrypt(ncryptsec(), passphrase); } catch { throw new KeyError('wrong'); }
  if (getPublicKey(sec) !== localStorage.getItem(PUB)) throw new KeyError('wrong');
  sk = sec;
  convKeys.clear();
}

// checkPassphrase says whether passphrase opens the stored key, without
// changing anything (for showing the backup).
export function checkPassphrase(passphrase) {
  try { nip49.decrypt(ncryptsec(), passphrase); return true; } catch { return false; }
}

// lock forgets the key in memory. The page reloads after, so nothing it
// decrypted stays in memory either.
export function lock() {
  if (sk) sk.fill(0);
  sk = null;
  convKeys.clear();
  for (const fn of lockListeners) fn();
}

export function onLock(fn) { lockListeners.add(fn); return () => lockListeners.delete(fn); }

// forget removes the key and everything kept with it from this phone.
export function forget() {
  lock();
  for (const k of Object.keys(localStorage)) {
    if (k.startsWith('caravan.phone.') && k !== 'caravan.phone.lang') localStorage.removeItem(k);
  }
}

// shortNpub is an npub cut to its start and end, for places too narrow
// for all of it.
export function shortNpub(hex) {
  try {
    const n = nip19.npubEncode(hex);
    return n.slice(0, 12) + '…' + n.slice(-6);
  } catch { return String(hex).slice(0, 12) + '…'; }
}
