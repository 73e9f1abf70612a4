// Private messages and contacts: what the Chats and People tabs show,
// kept sealed on the phone (store.js), sent and received as NIP-17 gift
// wraps through the node (seal.js, ../node.js).
//
// An outgoing message goes through these states, as the node's own
// messages do (docs/extensions.md), plus one that only a phone has:
//   phone     its wraps wait in this page's outbox: the node has not taken them
//   node      the node took every wrap (OK true)
//   carried   the node handed a wrap to another node (POST /phone/v1/carried)
//   delivered a recipient sent back a receipt (kind 1409)
//   refused   the node refused a wrap; reason says why
// Receipts for messages that arrive are sent back, as the node's chat
// does, unless the person turned them off.
import * as store from './store.js';
import { subscribe, publish, onPublished } from '../node.js';
import { pubkey } from '../me.js';
import { setPetnames } from '../names.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { rumor, wrap, unwrap, recipients, KIND_CHAT, KIND_FILE, KIND_WRAP, KIND_RECEIPT } from './seal.js';

const SEEN = 'caravan.phone.seen'; // ids of wraps opened already (public ids)
const MAX_SEEN = 5000;
const CARRIED_EVERY = 20000; // ms between questions about carried wraps
export const MAX_GROUP = 100;

const listeners = new Set();
const wrapOwner = new Map(); // wrap id -> message id
let seen = new Set();
let started = false;
let carriedSupported = true;
let carriedTimer = null;

function changed(what) { for (const fn of listeners) fn(what); }

// onChange calls fn(what) after messages or contacts change; it returns
// the function that stops it.
export function onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

// start reads what the phone keeps and begins receiving (the identity
// must be unlocked and the node connection started).
export function start() {
  if (started) return;
  started = true;
  store.load();
  try { seen = new Set(JSON.parse(localStorage.getItem(SEEN) || '[]')); } catch { seen = new Set(); }
  for (const m of store.all('msg')) for (const w of m.wraps || []) wrapOwner.set(w, m.id);
  refreshNames();
  onPublished(published);
  subscribe([{ kinds: [KIND_WRAP], '#p': [pubkey()] }], { onevent: incoming });
  scheduleCarried(1000);
}

function remember(id) {
  seen.add(id);
  if (seen.size > MAX_SEEN) seen = new Set([...seen].slice(-MAX_SEEN));
  try { localStorage.setItem(SEEN, JSON.stringify([...seen])); } catch { /* full: opened again next time */ }
}

// roomOf is the conversation of a set of keys: all members, us included,
// sorted, joined by ",", as the node's chat names rooms.
export function roomOf(keys) {
  const set = new Set(keys);
  set.add(pubkey());
  return [...set].sort().join(',');
}

// roomKey is a short name of a room, for addresses.
export function roomKey(room) { return bytesToHex(sha256(new TextEncoder().encode(room))).slice(0, 16); }

const drafts = new Set(); // rooms opened on this page, with no message yet

// openRoom is the conversation with these others (hex keys), ready to
// write in even before its first message.
export function openRoom(others) {
  const room = roomOf(others);
  drafts.add(room);
  return room;
}

export function roomByKey(key) {
  for (const r of rooms()) if (roomKey(r.room) === key) return r.room;
  for (const r of drafts) if (roomKey(r) === key) return r;
  for (const g of store.all('group')) if (roomKey(g.room) === key) return g.room;
  return null;
}

// rooms lists the conversations, the latest first: {room, members, last,
// unread, name}.
export function rooms() {
  const by = new Map();
  for (const m of store.all('msg')) {
    let r = by.get(m.room);
    if (!r) { r = { room: m.room, members: m.members, last: null, unread: 0 }; by.set(m.room, r); }
    if (!r.last || m.at > r.last.at || (m.at === r.last.at && m.id > r.last.id)) r.last = m;
    if (!m.outgoing && !m.read) r.unread++;
  }
  for (const g of store.all('group')) {
    if (!by.has(g.room)) by.set(g.room, { room: g.room, members: g.room.split(','), last: null, unread: 0 });
  }
  return [...by.values()].sort((a, b) => (b.last?.at || 0) - (a.last?.at || 0));
}

// groupName is the name given to a group (its subject), if any.
export function groupName(room) { return store.get('group', room)?.name || ''; }

// messages of a room, oldest first.
export function messages(room) {
  return store.all('msg').filter((m) => m.room === room).sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
}

// markRead marks a room's incoming messages read.
export function markRead(room) {
  let any = false;
  for (const m of store.all('msg')) {
    if (m.room === room && !m.outgoing && !m.read) { m.read = true; store.put('msg', m.id, m); any = true; }
  }
  if (any) changed('msg');
}

// send writes text to the others of a room (hex keys), with an optional
// subject (a group's name): one wrap for each, and one for our own copy.
export async function send(others, text, subject) {
  const me = pubkey();
  const to = [...new Set(others)].filter((k) => k !== me);
  if (!to.length) throw new Error('no-recipient');
  if (to.length > MAX_GROUP) throw new Error('too-many');
  if (!text.trim()) throw new Error('empty');
  const tags = to.map((k) => ['p', k]);
  if (subject) tags.push(['subject', subject]);
  const r = rumor(KIND_CHAT, text, tags);
  const wraps = [];
  for (const k of [...to, me]) wraps.push(await wrap(r, k));
  const m = {
    id: r.id, room: roomOf(to), members: roomOf(to).split(','), from: me, kind: KIND_CHAT, text, subject: subject || '',
    at: r.created_at, outgoing: true, read: true, state: 'phone', wraps: wraps.map((w) => w.id), okWraps: [], deliveredTo: [],
  };
  store.put('msg', m.id, m);
  for (const w of m.wraps) wrapOwner.set(w, m.id);
  changed('msg');
  for (const w of wraps) publish(w);
  return m;
}

function update(id, fn) {
  const m = store.get('msg', id);
  if (m && fn(m)) { store.put('msg', id, m); changed('msg'); }
}

function published(ev, res) {
  const id = wrapOwner.get(ev.id);
  if (!id) return;
  update(id, (m) => {
    if (!res.ok) {
      if (m.state === 'delivered') return false;
      m.state = 'refused';
      m.reason = res.message;
      return true;
    }
    if (!m.okWraps.includes(ev.id)) m.okWraps.push(ev.id);
    if (m.state === 'phone' && m.wraps.every((w) => m.okWraps.includes(w))) {
      m.state = 'node';
      scheduleCarried(500);
    }
    return true;
  });
}

function scheduleCarried(ms) {
  if (!carriedSupported) return;
  clearTimeout(carriedTimer);
  carriedTimer = setTimeout(askCarried, ms);
}

// askCarried asks the node which of the wraps it holds for messages
// in state "node" it has handed to another node.
async function askCarried() {
  const me = pubkey();
  const waiting = store.all('msg').filter((m) => m.outgoing && m.state === 'node');
  // Our own copy's wrap is not the one that matters.
  const ids = waiting.flatMap((m) => m.wraps.slice(0, -1)).slice(0, 500);
  if (ids.length && me) {
    try {
      const r = await fetch('/phone/v1/carried', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ids }), cache: 'no-store' });
      if (r.status === 404 || r.status === 405) { carriedSupported = false; return; } // a node without it
      if (r.ok) {
        const got = new Set(((await r.json()) || {}).carried || []);
        for (const m of waiting) {
          if (m.wraps.some((w) => got.has(w))) update(m.id, (x) => (x.state === 'node' ? ((x.state = 'carried'), true) : false));
        }
      }
    } catch { /* unreachable: asked again later */ }
  }
  scheduleCarried(CARRIED_EVERY);
}

function incoming(w) {
  if (!w || typeof w.id !== 'string' || seen.has(w.id)) return;
  let r;
  try { r = unwrap(w); } catch { remember(w.id); return; }
  remember(w.id);
  const me = pubkey();
  if (r.kind === KIND_RECEIPT) {
    for (const t of r.tags) {
      if (t[0] !== 'e') continue;
      update(t[1], (m) => {
        // Receipts count only from the message's own recipients.
        if (!m.outgoing || r.pubkey === me || !m.members.includes(r.pubkey) || m.deliveredTo.includes(r.pubkey)) return false;
        m.deliveredTo.push(r.pubkey);
        m.state = 'delivered';
        return true;
      });
    }
    return;
  }
  if (r.kind !== KIND_CHAT && r.kind !== KIND_FILE) return;
  if (store.get('msg', r.id)) return; // our own copy, or a replay
  const room = roomOf([r.pubkey, ...recipients(r)]);
  const subject = (r.tags.find((t) => t[0] === 'subject') || [])[1] || '';
  const outgoing = r.pubkey === me;
  const m = {
    id: r.id, room, members: room.split(','), from: r.pubkey, kind: r.kind, text: r.kind === KIND_FILE ? '' : r.content,
    subject, at: r.created_at, outgoing, read: outgoing, state: outgoing ? 'node' : 'received', wraps: [], okWraps: [], deliveredTo: [],
  };
  store.put('msg', m.id, m);
  if (subject && m.members.length > 2 && !store.get('group', room)) store.put('group', room, { room, name: subject });
  changed('msg');
  if (!outgoing && receiptsOn()) sendReceipt(r);
}

async function sendReceipt(r) {
  const rc = rumor(KIND_RECEIPT, '', [['e', r.id], ['p', r.pubkey]]);
  publish(await wrap(rc, r.pubkey));
}

// Settings.
export function receiptsOn() { return !store.get('settings', 'settings')?.noReceipts; }
export function setReceipts(on) {
  store.put('settings', 'settings', { ...(store.get('settings', 'settings') || {}), noReceipts: !on });
  changed('settings');
}

// Groups: a name for a set of members, kept on this phone; the name
// travels as each message's subject.
export function makeGroup(others, name) {
  const room = roomOf(others);
  store.put('group', room, { room, name });
  changed('group');
  return room;
}

// Contacts: {pubkey, petname, verified, added}.
export function contacts() {
  return store.all('contact').sort((a, b) => a.petname.localeCompare(b.petname));
}

export function contact(pk) { return store.get('contact', pk); }

export function saveContact(c) {
  store.put('contact', c.pubkey, { pubkey: c.pubkey, petname: c.petname, verified: !!c.verified, added: c.added || Math.floor(Date.now() / 1000), relays: c.relays || [] });
  refreshNames();
  changed('contact');
}

export function removeContact(pk) {
  store.del('contact', pk);
  refreshNames();
  changed('contact');
}

function refreshNames() {
  setPetnames(new Map(store.all('contact').map((c) => [c.pubkey, c.petname])));
}
