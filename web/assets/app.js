// Caravan's web UI: one page, plain ES modules, no dependencies, nothing
// loaded from anywhere but the node. Screens live in screens/*.js; each
// exports { nav?: 'catalogue key', render(root, ctx) }.
import { t, setLang, pick, lang, LANGS } from './i18n.js';
import * as api from './api.js';
import { el, clear, confirmDialog, errorText } from './ui.js';

import welcome from './screens/welcome.js';
import signin from './screens/signin.js';
import feed from './screens/feed.js';
import report from './screens/report.js';
import write from './screens/write.js';
import translate from './screens/translate.js';
import chats from './screens/chats.js';
import chat from './screens/chat.js';
import contacts from './screens/contacts.js';
import links from './screens/links.js';
import bundles from './screens/bundles.js';
import settings from './screens/settings.js';

// Routes: #/name/param. The order is the order of the main navigation.
const routes = { feed, write, chats, contacts, links, bundles, settings, report, translate, chat, welcome, signin };

const main = document.getElementById('main');
const banner = document.getElementById('banner');
let me = null; // the default identity (GET identity)
let liveStop = null;
let screenLive = new Set();
let wasDown = false;

function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/');
  const name = parts[0] || 'feed';
  return { name: routes[name] ? name : 'feed', params: parts.slice(1).map(decodeURIComponent) };
}

export function go(path) {
  if (location.hash === '#' + path) show();
  else location.hash = path;
}

// show renders the current route's screen.
async function show() {
  const { name, params } = route();
  const open = name === 'signin' || name === 'welcome';
  if (!api.token() && name !== 'signin') return go('/signin');
  document.getElementById('top').hidden = open;
  screenLive = new Set();
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.route === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const ctx = {
    params,
    me,
    go,
    refresh: show,
    onLive: (fn) => screenLive.add(fn),
    reloadMe: loadMe,
  };
  // data-screen names the screen once it is drawn (the browser tests
  // wait on it); it is absent while one is being drawn.
  delete main.dataset.screen;
  try {
    await routes[name].render(main, ctx);
  } catch (e) {
    clear(main).append(el('div', { class: 'page-body' }, el('p', { class: 'form-error', role: 'alert' }, errorText(e))));
  }
  if (route().name === name) main.dataset.screen = name;
  main.focus({ preventScroll: true });
}

async function loadMe() {
  // The list first: asking for the default identity when there is none
  // would be an error answer, and a first run is not an error.
  const ids = await api.get('/api/v1/identities');
  me = ids.length ? await api.get('/api/v1/identity') : null;
  drawTop();
  return me;
}

function drawTop() {
  const nav = clear(document.getElementById('nav'));
  for (const [name, s] of Object.entries(routes)) {
    if (s.nav) nav.append(el('a', { href: '#/' + name, 'data-route': name }, t(s.nav)));
  }
  const sel = clear(document.getElementById('lang'));
  for (const [code, label] of LANGS) sel.append(el('option', { value: code, selected: code === lang() }, label));
  document.getElementById('lock').textContent = t('top.lock');
}

async function lock() {
  const unprotected = me && !me.encrypted;
  if (unprotected && !(await confirmDialog(t('lock.title'), t('lock.unprotected'), t('top.lock')))) return;
  try { await api.post('/api/v1/lock'); } catch { /* signing out is what matters */ }
  api.setToken('');
  go('/signin');
}

function setBanner(text) {
  banner.textContent = text || '';
  banner.hidden = !text;
}

api.onState((s) => {
  if (s === 'down') {
    wasDown = true;
    setBanner(t('banner.down'));
  } else if (s === 'up' && wasDown) {
    wasDown = false;
    setBanner('');
    show();
  } else if (s === 'unauthorized' && route().name !== 'signin') {
    api.setToken('');
    stopLive();
    sessionStorage.setItem('caravan.signedOut', '1');
    go('/signin');
  }
});

function startLive() {
  stopLive();
  liveStop = api.live((a) => {
    if (a.type === 'keys') loadMe().catch(() => {});
    if (a.type === 'reload') show();
    for (const fn of screenLive) {
      try { fn(a); } catch { /* a screen's handler must not stop the others */ }
    }
  });
}
function stopLive() { liveStop?.(); liveStop = null; }

// start: sign in from a one-time code, then decide where to begin.
export async function start() {
  await setLang(pick());
  const m = location.hash.match(/code=([0-9a-f]+)/);
  if (m) {
    history.replaceState(null, '', '/#/feed');
    try {
      const r = await fetch('/ui/exchange', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: m[1] }) });
      const b = await r.json();
      if (r.ok) api.setToken(b.token);
      else sessionStorage.setItem('caravan.signinError', b.error + (b.hint ? '. ' + b.hint : ''));
    } catch { /* the sign-in page says what to do */ }
  }
  if (!api.token()) { drawTop(); return show(); }
  try {
    await loadMe();
  } catch (e) {
    drawTop();
    if (e.status === 401) { api.setToken(''); return go('/signin'); }
  }
  startLive();
  const first = !me || (!me.encrypted && !localStorage.getItem('caravan.welcomed'));
  if (first && route().name !== 'welcome') return go('/welcome');
  show();
}

// signedIn is called by the sign-in and welcome screens.
export async function signedIn(tok) {
  if (tok) api.setToken(tok);
  await loadMe();
  startLive();
  go('/feed');
}

export function currentMe() { return me; }

window.addEventListener('hashchange', show);
document.getElementById('lang').addEventListener('change', async (e) => {
  await setLang(e.target.value, true);
  drawTop();
  show();
});
document.getElementById('lock').addEventListener('click', lock);
start();
