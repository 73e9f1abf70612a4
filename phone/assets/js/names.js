// Names for keys: the petname the person gave a contact, else the name
// the key's owner chose in their public profile (kind 0, which anyone can
// claim: it is shown as theirs, never as a contact's), else a short npub.
import { subscribe } from './node.js';
import { shortNpub } from './me.js';
import { verifyEvent } from 'nostr-tools/pure.js';

const PROFILES = 'caravan.phone.profiles'; // public names, kept to show them offline
const MAX_PROFILES = 500;
const PROFILE_KIND = 0;

const petnames = new Map();
let profiles = {};
try { profiles = JSON.parse(localStorage.getItem(PROFILES) || '{}') || {}; } catch { profiles = {}; }
const listeners = new Set();
const asked = new Set();
let pending = new Set();
let timer = null;

// nameOf is what to call a key (hex) on screen.
export function nameOf(pubkey) {
  if (petnames.has(pubkey)) return petnames.get(pubkey);
  const p = profiles[pubkey];
  if (p && p.name) return p.name;
  want(pubkey);
  return shortNpub(pubkey);
}

// profileName is the name a key's owner chose for themselves, if known.
export function profileName(pubkey) {
  want(pubkey);
  return profiles[pubkey]?.name || '';
}

// onNames calls fn whenever a name may have changed; it returns the
// function that stops it.
export function onNames(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function changed() { for (const fn of listeners) fn(); }

// setPetnames replaces the contacts' petnames (package chat's contacts).
export function setPetnames(map) {
  petnames.clear();
  for (const [k, v] of map) if (v) petnames.set(k, v);
  changed();
}

// want asks the node, in one subscription for the keys asked about in the
// same moment, for profiles not asked for yet on this page.
function want(pubkey) {
  if (asked.has(pubkey) || !/^[0-9a-f]{64}$/.test(pubkey)) return;
  asked.add(pubkey);
  pending.add(pubkey);
  if (!timer) timer = setTimeout(askNow, 50);
}

function askNow() {
  timer = null;
  const authors = [...pending];
  pending = new Set();
  if (!authors.length) return;
  // Closed once the stored profiles came: a node keeps few subscriptions
  // open for one connection.
  const close = subscribe([{ kinds: [PROFILE_KIND], authors }], { onevent: learn, oneose: () => close() });
}

// cleanName is a profile's name as it may be shown: control and
// direction-changing characters out, whitespace collapsed, at most 64
// characters.
export function cleanName(s) {
  return [...String(s || '').replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, '').replace(/\s+/g, ' ').trim()].slice(0, 64).join('');
}

function learn(ev) {
  if (!ev || ev.kind !== PROFILE_KIND || typeof ev.pubkey !== 'string' || typeof ev.content !== 'string') return;
  const had = profiles[ev.pubkey];
  if (had && had.at >= ev.created_at) return;
  if (!verifyEvent(ev)) return;
  let meta;
  try { meta = JSON.parse(ev.content); } catch { return; }
  if (!meta || typeof meta !== 'object') return;
  const name = cleanName(meta.display_name || meta.name || '');
  profiles[ev.pubkey] = { name, at: ev.created_at };
  const keys = Object.keys(profiles);
  if (keys.length > MAX_PROFILES) {
    keys.sort((a, b) => profiles[a].at - profiles[b].at);
    for (const k of keys.slice(0, keys.length - MAX_PROFILES)) delete profiles[k];
  }
  try { localStorage.setItem(PROFILES, JSON.stringify(profiles)); } catch { /* full: kept in memory */ }
  changed();
}
