// A stand-in for the phone page's shell, for the Public tab's browser
// tests (phone/feed_browser_test.go): it mounts assets/js/feed with the
// api the shell gives it (t, plural, lang, el, subscribe, publish,
// uploadBlob, pubkey, sign, nameOf, isContact), built as simply as
// possible on the same relay and Blossom endpoints. The secret key comes
// from the test in the address's fragment: #sk=HEX&lang=es&contacts=HEX,HEX
import { finalizeEvent, getPublicKey } from 'nostr-tools/pure.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

const params = new URLSearchParams(location.hash.slice(1));
const sk = hexToBytes(params.get('sk'));
const me = getPublicKey(sk);
const current = params.get('lang') || 'en';
const contacts = new Set((params.get('contacts') || '').split(',').filter(Boolean));

async function catalogue(code) {
  const r = await fetch(`/phone/i18n/${code}/feed.json`);
  return r.ok ? r.json() : {};
}
const english = await catalogue('en');
const strings = current === 'en' ? english : await catalogue(current);
document.documentElement.lang = current;

function t(key, vars) {
  let s = strings[key] ?? english[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}
function plural(key, n, vars) {
  const form = new Intl.PluralRules(current).select(n);
  return t(`${key}.${form}` in strings ? `${key}.${form}` : `${key}.other`, { ...vars, n });
}

// el as the shell's: attributes only, never innerHTML or on* handlers.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (/^on/i.test(k) || k === 'innerHTML' || k === 'srcdoc' || k === 'style') throw new Error('el: refusing attribute ' + k);
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// One websocket to the node; subscriptions are sent again after a
// reconnection, as the shell's node.js does.
const subs = new Map();
const waiting = new Map();
let ws = null;
let seq = 0;
let opened;
function connect() {
  ws = new WebSocket(`ws://${location.host}/`);
  opened = new Promise((resolve) => {
    ws.onopen = () => {
      for (const [id, s] of subs) ws.send(JSON.stringify(['REQ', id, ...s.filters]));
      resolve();
    };
  });
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg[0] === 'EVENT') subs.get(msg[1])?.onevent(msg[2]);
    else if (msg[0] === 'EOSE') subs.get(msg[1])?.oneose?.();
    else if (msg[0] === 'CLOSED') subs.get(msg[1])?.onclosed?.(msg[2]);
    else if (msg[0] === 'OK') { waiting.get(msg[1])?.({ ok: msg[2] === true, message: String(msg[3] || '') }); waiting.delete(msg[1]); }
    else if (msg[0] === 'AUTH') {
      const ev = finalizeEvent({ kind: 22242, created_at: Math.floor(Date.now() / 1000), content: '', tags: [['relay', `ws://${location.host}/`], ['challenge', msg[1]]] }, sk);
      ws.send(JSON.stringify(['AUTH', ev]));
    }
  };
}
connect();
function send(msg) { if (ws.readyState === 1) ws.send(JSON.stringify(msg)); }

function subscribe(filters, { onevent, oneose, onclosed } = {}) {
  const id = 'h' + (++seq);
  subs.set(id, { filters, onevent: onevent || (() => {}), oneose, onclosed });
  send(['REQ', id, ...filters]);
  return () => { if (subs.delete(id)) send(['CLOSE', id]); };
}

async function publish(ev) {
  await opened;
  window.published = (window.published || 0) + 1;
  return new Promise((resolve) => {
    waiting.set(ev.id, resolve);
    send(['EVENT', ev]);
  });
}

async function sign(template) {
  return finalizeEvent({ ...template, created_at: template.created_at ?? Math.floor(Date.now() / 1000) }, sk);
}

async function uploadBlob(bytes, type) {
  const hash = bytesToHex(sha256(bytes));
  const now = Math.floor(Date.now() / 1000);
  const auth = finalizeEvent({ kind: 24242, created_at: now, content: 'Upload', tags: [['t', 'upload'], ['x', hash], ['expiration', String(now + 300)]] }, sk);
  const header = 'Nostr ' + btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(auth))));
  const r = await fetch('/upload', { method: 'PUT', body: bytes, headers: { Authorization: header, 'Content-Type': type } });
  if (!r.ok) {
    const err = new Error(r.headers.get('X-Reason') || `HTTP ${r.status}`);
    err.status = r.status;
    throw err;
  }
  const d = await r.json();
  window.uploaded = { sha256: hash, url: d.url };
  return { sha256: hash, url: d.url };
}

// Names from the profiles (kind 0) the node holds when the page opens.
const names = new Map();
await new Promise((resolve) => {
  const close = subscribe([{ kinds: [0] }], {
    onevent: (ev) => { try { names.set(ev.pubkey, String(JSON.parse(ev.content).name || '')); } catch { /* not a profile */ } },
    oneose: () => { close(); resolve(); },
  });
});
const nameOf = (pk) => names.get(pk) || pk.slice(0, 8) + '…';

const { mount } = await import('/phone/js/feed/index.js');
window.unmount = mount(document.getElementById('main'), {
  t, plural, lang: () => current, el, subscribe, publish, uploadBlob,
  pubkey: () => me, sign, nameOf, isContact: (pk) => contacts.has(pk),
});
window.harnessReady = true;
