// NIP-44 v2 as the NIP and Caravan's nodes (go-nostr) define it: nostr-tools
// underneath, with the plaintext held to 1..65535 bytes. (nostr-tools 2.x
// also takes longer plaintexts, with a 6-byte length prefix that v2 as
// published does not have and Caravan's nodes cannot open.)
import * as nip44 from 'nostr-tools/nip44.js';

export const MAX_PLAINTEXT = 65535;

const utf8 = new TextEncoder();

export const getConversationKey = nip44.getConversationKey;

export function encrypt(plaintext, conversationKey, nonce) {
  const n = utf8.encode(plaintext).length;
  if (n < 1 || n > MAX_PLAINTEXT) throw new Error(`invalid plaintext size: must be between 1 and ${MAX_PLAINTEXT} bytes`);
  return nonce ? nip44.encrypt(plaintext, conversationKey, nonce) : nip44.encrypt(plaintext, conversationKey);
}

export function decrypt(payload, conversationKey) {
  const text = nip44.decrypt(payload, conversationKey);
  if (utf8.encode(text).length > MAX_PLAINTEXT) throw new Error('invalid padding');
  return text;
}
