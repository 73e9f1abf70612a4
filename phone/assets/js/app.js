// The phone page: boot, the tab bar (Chats, People, Public, Me) and the
// router. Routes are in the address's fragment (#/chats, #/chat/ROOM,
// #/people, #/person/HEX, #/add, #/public, #/me, ...), so the node serves
// one page; #invite=CODE, from the community poster's QR code, is kept for
// signing in to the node and taken out of the address.
import { t, setLang, pick, onLang, lang, plural } from './i18n.js';
import { el, clear } from './ui.js';
import * as me from './me.js';
import * as node from './node.js';
import { nameOf, onNames } from './names.js';
import * as chat from './chat/service.js';
import { welcomeScreen, createScreen, bringScreen, unlockScreen, backupScreen, meScreen } from './identity.js';
import { chatsScreen, conversationScreen, newChatScreen, newGroupScreen } from './chat/chats.js';
import { peopleScreen, personScreen, addContactScreen } from './chat/people.js';

const app = document.getElementById('app');
let cleanup = null;

const TABS = [
  ['chats', 'tab.chats', ['chats', 'chat', 'new', 'newgroup']],
  ['people', 'tab.people', ['people', 'person', 'add']],
  ['public', 'tab.public', ['public']],
  ['me', 'tab.me', ['me', 'backup']],
];

function takeInvite() {
  const m = /(?:^#|&)invite=([^&]+)/.exec(location.hash);
  if (!m) return;
  node.setInvite(decodeURIComponent(m[1]));
  history.replaceState(null, '', location.pathname + location.search);
}

// started: the node connection and the messages, once unlocked.
let started = false;
function startServices() {
  if (started) return;
  started = true;
  node.start();
  chat.start();
}

function parse() {
  const parts = location.hash.replace(/^#\/?/, '').split('/');
  return { name: parts[0] || '', arg: parts.slice(1).join('/') };
}

function show(name, draw, shell) {
  if (cleanup) { try { cleanup(); } catch { /* a screen's own trouble */ } cleanup = null; }
  clear(app);
  app.dataset.screen = name;
  let content = app;
  if (shell) {
    content = el('main', { id: 'main', class: 'main', tabindex: '-1' });
    app.append(statusBar(), content, tabBar(name));
  }
  const r = draw(content);
  if (r && typeof r.then === 'function') r.then((c) => { if (typeof c === 'function') cleanup = c; });
  else if (typeof r === 'function') cleanup = r;
  window.scrollTo(0, 0);
}

let statusOff = null;
function statusBar() {
  const bar = el('header', { class: 'bar' },
    el('span', { class: 'bar-title' }, t('app.name')),
    el('span', { id: 'status', class: 'status', role: 'status' }));
  if (statusOff) statusOff();
  statusOff = node.onStatus((s) => {
    const st = bar.querySelector('#status');
    st.dataset.status = s;
    st.textContent = t('status.' + s);
  });
  return bar;
}

function tabBar(current) {
  return el('nav', { class: 'tabs', 'aria-label': t('tab.label') },
    TABS.map(([route, key, screens]) => el('a', {
      href: '#/' + route, id: 'tab-' + route, class: 'tab',
      'aria-current': screens.includes(current) ? 'page' : null,
    }, t(key))));
}

// publicScreen draws the Public tab from assets/js/feed/, loaded only
// when opened. The node lists the page's modules in the import map, so a
// build without the feed is known without asking for it.
async function publicScreen(root) {
  let spec = './feed/index.js';
  let present = true;
  try { spec = import.meta.resolve(spec); present = spec.includes('?v='); } catch { /* an older browser: try */ }
  if (present) {
    try {
      const feed = await import(spec);
      const api = {
        t, plural, lang, el, nameOf, onNames,
        isContact: (pk) => !!chat.contact(pk),
        subscribe: node.subscribe, publish: node.publish, uploadBlob: node.uploadBlob,
        pubkey: me.pubkey, sign: me.sign,
      };
      return feed.mount(root, api);
    } catch (e) {
      console.warn('the Public tab did not load:', e);
    }
  }
  root.append(el('div', { class: 'page' }, el('h1', {}, t('tab.public')), el('p', { class: 'notice', id: 'public-unavailable' }, t('public.unavailable'))));
}

function route() {
  const { name, arg } = parse();
  if (!me.hasIdentity()) {
    if (name === 'create') return show('create', createScreen);
    if (name === 'bring') return show('bring', bringScreen);
    return show('welcome', welcomeScreen);
  }
  if (me.locked()) {
    return show('unlock', (root) => unlockScreen(root, () => { startServices(); if (!parse().name || parse().name === 'unlock') location.hash = '#/chats'; else route(); }));
  }
  startServices();
  switch (name) {
    case 'backup': return show('backup', (root) => backupScreen(root, arg === 'first'), arg !== 'first');
    case 'chat': return show('chat', (root) => conversationScreen(root, arg), true);
    case 'new': return show('new', newChatScreen, true);
    case 'newgroup': return show('newgroup', newGroupScreen, true);
    case 'people': return show('people', peopleScreen, true);
    case 'person': return show('person', (root) => personScreen(root, arg), true);
    case 'add': return show('add', (root) => addContactScreen(root, arg ? decodeURIComponent(arg) : ''), true);
    case 'public': return show('public', publicScreen, true);
    case 'me': return show('me', meScreen, true);
    case 'chats': return show('chats', chatsScreen, true);
    default:
      location.replace('#/chats');
      return undefined;
  }
}

async function boot() {
  takeInvite();
  await setLang(pick());
  addEventListener('hashchange', route);
  onLang(() => route());
  route();
}

boot();

