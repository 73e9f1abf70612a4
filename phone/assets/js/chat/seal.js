// Private messages on the wire (NIP-17, NIP-59): a rumor (an unsigned
// event from the sender) is sealed (kind 13, NIP-44 to the recipient,
// signed by the sender) and gift-wrapped (kind 1059, NIP-44 again, signed
// by a one-time key) for each recipient, and for the sender's own copy.
// As Caravan's nodes do (package msg), the seal's and the wrap's times are
// moved back at random up to two days, and the wrap carries a NIP-40
// expiration 30 days after its time, so carriers drop it then.
import { generateSecretKey, finalizeEvent, verifyEvent, getEventHash } from 'nostr-tools/pure.js';
import * as nip44 from 'nostr-tools/nip44.js';
import { sign, encryptFor, decryptFrom, pubkey } from '../me.js';

export const KIND_CHAT = 14;
export const KIND_FILE = 15;
export const KIND_SEAL = 13;
export const KIND_WRAP = 1059;
export const KIND_RECEIPT = 1409; // Caravan's delivery receipt: docs/extensions.md

const MAX_JITTER = 2 * 24 * 3600;
const EXPIRE = 30 * 24 * 3600;

function jittered() {
  const r = new Uint32Array(1);
  crypto.getRandomValues(r);
  return Math.floor(Date.now() / 1000) - (r[0] % MAX_JITTER);
}

// rumor is a message from this identity: kind, content and tags.
export function rumor(kind, content, tags) {
  const r = { pubkey: pubkey(), created_at: Math.floor(Date.now() / 1000), kind, tags: tags || [], content };
  r.id = getEventHash(r);
  return r;
}

// wrap seals rumor for recipient (hex) and wraps the seal.
export async function wrap(r, recipient) {
  const seal = await sign({ kind: KIND_SEAL, created_at: jittered(), tags: [], content: encryptFor(recipient, JSON.stringify(r)) });
  const oneTime = generateSecretKey();
  try {
    const at = jittered();
    return finalizeEvent({
      kind: KIND_WRAP, created_at: at, content: nip44.encrypt(JSON.stringify(seal), nip44.getConversationKey(oneTime, recipient)),
      tags: [['p', recipient], ['expiration', String(at + EXPIRE)]],
    }, oneTime);
  } finally {
    oneTime.fill(0);
  }
}

const hex64 = /^[0-9a-f]{64}$/;

// unwrap opens a gift wrap for this identity and returns the rumor, its
// author proven by the seal's signature; it throws saying what is wrong
// with anything else.
export function unwrap(w) {
  if (!w || w.kind !== KIND_WRAP) throw new Error('not a gift wrap');
  if (!verifyEvent(w)) throw new Error('the wrap\'s signature is wrong');
  const me = pubkey();
  if (!w.tags.some((t) => t[0] === 'p' && t[1] === me)) throw new Error('not for me');
  const seal = JSON.parse(decryptFrom(w.pubkey, w.content));
  if (!seal || seal.kind !== KIND_SEAL || !Array.isArray(seal.tags) || seal.tags.length !== 0) throw new Error('not a seal');
  if (!verifyEvent(seal)) throw new Error('the seal\'s signature is wrong');
  const r = JSON.parse(decryptFrom(seal.pubkey, seal.content));
  if (!r || r.pubkey !== seal.pubkey) throw new Error('the seal is signed by someone other than the message\'s author');
  if (!hex64.test(r.pubkey) || !Number.isInteger(r.kind) || typeof r.content !== 'string' || !Number.isInteger(r.created_at) ||
      !Array.isArray(r.tags) || r.tags.some((t) => !Array.isArray(t) || t.length === 0 || t.some((x) => typeof x !== 'string'))) {
    throw new Error('the message\'s fields are invalid');
  }
  const id = getEventHash(r);
  if (r.id && r.id !== id) throw new Error('the message\'s id does not match its content');
  return { id, pubkey: r.pubkey, created_at: r.created_at, kind: r.kind, tags: r.tags, content: r.content };
}

// recipients are a rumor's p tags: who it is for.
export function recipients(r) {
  const out = [];
  for (const t of r.tags) if (t[0] === 'p' && hex64.test(t[1] || '') && !out.includes(t[1])) out.push(t[1]);
  return out;
}
