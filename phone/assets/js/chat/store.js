// What the phone keeps for its owner (contacts, messages, groups), in
// localStorage, each record sealed with NIP-44 to the identity itself, as
// the node's vault does: a copy of the phone's storage, or another page
// served at the same address, sees how many records of each kind there
// are, and nothing of what they say. Records are read into memory when
// the identity is unlocked.
import { encryptSelf, decryptSelf } from '../me.js';

const PREFIX = 'caravan.phone.v.';

const records = new Map(); // kind -> Map(id -> {key, value})

function table(kind) {
  let m = records.get(kind);
  if (!m) { m = new Map(); records.set(kind, m); }
  return m;
}

function randomName() {
  const b = new Uint8Array(8);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

// load reads every record (the identity must be unlocked). Records that
// do not open (from another identity, or damaged) are left alone.
export function load() {
  records.clear();
  for (const key of Object.keys(localStorage)) {
    if (!key.startsWith(PREFIX)) continue;
    const kind = key.slice(PREFIX.length).split('.')[0];
    try {
      const { id, value } = JSON.parse(decryptSelf(localStorage.getItem(key)));
      table(kind).set(id, { key, value });
    } catch { /* not ours */ }
  }
}

// put keeps value under (kind, id), sealed.
export function put(kind, id, value) {
  const t = table(kind);
  const key = t.get(id)?.key || `${PREFIX}${kind}.${randomName()}`;
  localStorage.setItem(key, encryptSelf(JSON.stringify({ id, value })));
  t.set(id, { key, value });
}

export function get(kind, id) { return table(kind).get(id)?.value; }

export function all(kind) { return [...table(kind).values()].map((r) => r.value); }

export function del(kind, id) {
  const r = table(kind).get(id);
  if (!r) return;
  localStorage.removeItem(r.key);
  table(kind).delete(id);
}

// forgetAll drops what was read (when the identity is locked).
export function forgetAll() { records.clear(); }
