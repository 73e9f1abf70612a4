// The connection to this node's relay: the same origin that served the
// page (ws://<host>/), NIP-01 and NIP-42.
//
// The node may ask the page to authenticate (["AUTH", challenge] when the
// websocket opens): the page answers with a kind-22242 event signed by
// the identity (NIP-42), with the invitation code from the poster's
// address (#invite=CODE) when there is one, and then sends its
// subscriptions again, since the node may serve more to an authenticated
// key (its gift wraps). A node that asks nothing is used as it is.
//
// publish keeps each event in an outbox in localStorage until the node
// answers OK: written while the node is unreachable, it waits on the phone
// (across reloads) and goes when the node is back.
import { sign, locked } from './me.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

const OUTBOX = 'caravan.phone.outbox';
const INVITE = 'caravan.phone.invite';
const AUTH_KIND = 22242; // NIP-42
const BLOSSOM_AUTH_KIND = 24242;
const MAX_OUTBOX = 2000;
const BACKOFF_MAX = 15000;

let ws = null;
let status = 'offline';
let started = false;
let backoff = 1000;
let retryTimer = null;
let subSeq = 0;
let authState = 'none'; // none | sent | ok: this connection's AUTH
let authId = null;
let gotFirst = false; // the connection's first message came
let flushed = false; // the outbox went out on this connection

const subs = new Map(); // id -> {filters, onevent, oneose}
const waiting = new Map(); // event id -> [resolve]
const statusFns = new Set();
const publishedFns = new Set();

// relayURL is the node's relay endpoint: where this page came from.
export function relayURL() { return `ws://${location.host}/`; }

// setInvite keeps the poster's invitation code for AUTH.
export function setInvite(code) {
  if (code) localStorage.setItem(INVITE, code);
}

function readOutbox() {
  try { return JSON.parse(localStorage.getItem(OUTBOX) || '[]'); } catch { return []; }
}

function writeOutbox(list) {
  if (list.length) localStorage.setItem(OUTBOX, JSON.stringify(list));
  else localStorage.removeItem(OUTBOX);
}

// outbox is the events waiting on this phone for the node's OK.
export function outbox() { return readOutbox(); }

// start connects (the identity must be unlocked, to answer AUTH) and
// keeps reconnecting, with backoff, until stop.
export function start() {
  if (started) return;
  started = true;
  addEventListener('online', reconnectNow);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) reconnectNow(); });
  connect();
}

// stop closes the connection for good (the identity was locked).
export function stop() {
  started = false;
  clearTimeout(retryTimer);
  if (ws) { const w = ws; ws = null; w.close(); }
  setStatus('offline');
}

function reconnectNow() {
  if (!started || (ws && ws.readyState <= 1)) return;
  clearTimeout(retryTimer);
  backoff = 1000;
  connect();
}

function setStatus(s) {
  if (s === status) return;
  status = s;
  for (const fn of statusFns) fn(s);
}

// onStatus calls fn with 'online' or 'offline' at each change, and once
// now; it returns the function that stops it.
export function onStatus(fn) {
  statusFns.add(fn);
  fn(status);
  return () => statusFns.delete(fn);
}

export function currentStatus() { return status; }

// onPublished calls fn(event, {ok, message}) for every answer of the node
// to an event from the outbox, including events published before a reload.
export function onPublished(fn) {
  publishedFns.add(fn);
  return () => publishedFns.delete(fn);
}

function connect() {
  if (!started) return;
  let sock;
  try { sock = new WebSocket(relayURL()); } catch { scheduleRetry(); return; }
  ws = sock;
  authState = 'none';
  gotFirst = false;
  flushed = false;
  sock.onopen = () => {
    if (ws !== sock) return;
    backoff = 1000;
    setStatus('online');
    for (const [id, s] of subs) send(['REQ', id, ...s.filters]);
    // With no subscription, no first message would come to show whether
    // the node asks for AUTH: send what waits now.
    if (subs.size === 0) flush();
  };
  sock.onmessage = (m) => { if (ws === sock) receive(m.data); };
  sock.onclose = () => {
    if (ws !== sock) return;
    ws = null;
    setStatus('offline');
    scheduleRetry();
  };
  sock.onerror = () => { /* onclose follows */ };
}

function scheduleRetry() {
  if (!started) return;
  clearTimeout(retryTimer);
  const wait = Math.min(backoff, BACKOFF_MAX) * (0.75 + Math.random() / 2);
  backoff = Math.min(backoff * 2, BACKOFF_MAX);
  retryTimer = setTimeout(connect, wait);
}

function send(msg) {
  if (ws && ws.readyState === 1) { ws.send(JSON.stringify(msg)); return true; }
  return false;
}

// flush sends every event of the outbox on this connection.
function flush() {
  flushed = true;
  for (const ev of readOutbox()) send(['EVENT', ev]);
}

async function answerAuth(challenge) {
  if (locked() || typeof challenge !== 'string') { flush(); return; }
  const tags = [['relay', relayURL()], ['challenge', challenge]];
  const invite = localStorage.getItem(INVITE);
  if (invite) tags.push(['invite', invite]);
  const ev = await sign({ kind: AUTH_KIND, tags, content: '' });
  authId = ev.id;
  authState = 'sent';
  send(['AUTH', ev]);
}

function receive(data) {
  let msg;
  try { msg = JSON.parse(data); } catch { return; }
  if (!Array.isArray(msg) || typeof msg[0] !== 'string') return;
  const first = !gotFirst;
  gotFirst = true;
  switch (msg[0]) {
    case 'AUTH':
      answerAuth(msg[1]);
      return;
    case 'EVENT': {
      const s = subs.get(msg[1]);
      if (s && msg[2] && typeof msg[2] === 'object') s.onevent(msg[2]);
      break;
    }
    case 'EOSE': {
      const s = subs.get(msg[1]);
      if (s && s.oneose) s.oneose();
      break;
    }
    case 'CLOSED': {
      // Closed for want of AUTH: sent again once authenticated.
      const s = subs.get(msg[1]);
      if (s && !String(msg[2] || '').startsWith('auth-required:') && s.onclosed) s.onclosed(String(msg[2] || ''));
      break;
    }
    case 'OK':
      ok(msg[1], msg[2] === true, String(msg[3] || ''));
      break;
  }
  if (first && !flushed && authState === 'none') flush();
}

function ok(id, accepted, message) {
  if (id === authId && authState === 'sent') {
    authState = accepted ? 'ok' : 'none';
    authId = null;
    if (accepted) for (const [sid, s] of subs) send(['REQ', sid, ...s.filters]);
    flush();
    return;
  }
  if (!accepted && message.startsWith('auth-required:')) return; // sent again after AUTH
  const list = readOutbox();
  const ev = list.find((e) => e.id === id);
  if (!ev) return;
  writeOutbox(list.filter((e) => e.id !== id));
  const res = { ok: accepted, message };
  for (const fn of publishedFns) fn(ev, res);
  for (const resolve of waiting.get(id) || []) resolve(res);
  waiting.delete(id);
}

// publish sends a signed event to the node; the promise resolves with the
// node's answer ({ok, message}), which may come much later: the event
// waits in the outbox, on this phone, while the node is unreachable.
export function publish(event) {
  const list = readOutbox();
  if (!list.some((e) => e.id === event.id)) {
    if (list.length >= MAX_OUTBOX) return Promise.resolve({ ok: false, message: 'outbox-full' });
    list.push(event);
    writeOutbox(list);
  }
  const p = new Promise((resolve) => {
    if (!waiting.has(event.id)) waiting.set(event.id, []);
    waiting.get(event.id).push(resolve);
  });
  if (flushed) send(['EVENT', event]);
  return p;
}

// subscribe opens a subscription with filters; onevent gets each event,
// oneose the end of stored events. It lasts across reconnections, until
// the returned close() is called.
export function subscribe(filters, { onevent, oneose, onclosed } = {}) {
  const id = 's' + (++subSeq);
  filters = Array.isArray(filters) ? filters : [filters];
  subs.set(id, { filters, onevent: onevent || (() => {}), oneose, onclosed });
  send(['REQ', id, ...filters]);
  return () => {
    if (subs.delete(id)) send(['CLOSE', id]);
  };
}

// uploadBlob stores bytes on the node with Blossom (PUT /upload), with a
// kind-24242 authorization signed by the identity. It resolves to the
// blob's {sha256, url}.
export async function uploadBlob(bytes, type) {
  const hash = bytesToHex(sha256(bytes));
  const now = Math.floor(Date.now() / 1000);
  const auth = await sign({
    kind: BLOSSOM_AUTH_KIND, created_at: now, content: 'Upload',
    tags: [['t', 'upload'], ['x', hash], ['expiration', String(now + 300)]],
  });
  const header = 'Nostr ' + btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(auth))));
  const r = await fetch('/upload', { method: 'PUT', body: bytes, headers: { Authorization: header, 'Content-Type': type || 'application/octet-stream' } });
  if (!r.ok) {
    const reason = r.headers.get('X-Reason') || `HTTP ${r.status}`;
    const err = new Error(reason);
    err.status = r.status;
    throw err;
  }
  let url = `${location.origin}/${hash}`;
  try { const d = await r.json(); if (d && typeof d.url === 'string') url = d.url; } catch { /* the descriptor is optional */ }
  return { sha256: hash, url };
}
