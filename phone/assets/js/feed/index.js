// The Public tab: what people publish for everyone through this node.
// Notes (kind 1) and reports (NIP-23), newest first, a page at a time;
// reports in the reader's language when someone translated them; one
// report at a time with where its translation comes from; and writing a
// note or a report with a photo cleaned on the phone.
//
// mount(root, api) draws the tab in root and returns a function that
// stops it. api is the shell's (app.js): t, plural, lang, el,
// subscribe, publish, uploadBlob, pubkey, sign, nameOf, and optionally
// isContact(pubkey) to mark the people one knows and onNames(fn) to hear
// of names learnt later. Every word shown comes
// from the catalogue (i18n/<lang>/feed.json); everything from the node is
// drawn as text.

import { makeH, locale } from './util.js';
import { Feed } from './data.js';
import { KIND_REPORT, tagValue, reportLang, pickTranslation } from './events.js';
import { noteText } from './text.js';
import { showReport } from './report.js';
import { showCompose } from './compose.js';

const NOTE_PREVIEW = 1200; // characters of a note shown before "show all"
const PULL = 70; // px a pull must travel to refresh

export function mount(root, api) {
  const h = makeH(api.el);
  const t = api.t;
  const feed = new Feed(api);
  const loc = locale(api, h);
  const ctx = { api, h, t, feed, loc };

  const list = h('div', { class: 'feed-list', id: 'feed-list', 'aria-live': 'polite' });
  const state = h('p', { class: 'feed-state', id: 'feed-state', role: 'status' });
  const moreBtn = h('button', { type: 'button', class: 'feed-btn feed-more', id: 'feed-more', hidden: true }, t('feed.more'));
  const pullHint = h('div', { class: 'feed-pull', id: 'feed-pull', 'aria-hidden': 'true' }, t('feed.pull'));
  const refreshBtn = h('button', { type: 'button', class: 'feed-btn', id: 'feed-refresh', 'aria-label': t('feed.refresh') }, '↻ ' + t('feed.refresh'));
  const writeBtn = h('button', { type: 'button', class: 'feed-btn feed-primary', id: 'feed-write' }, t('feed.write'));
  const home = h('section', { class: 'feed-home', id: 'feed-home' },
    h('div', { class: 'feed-bar' }, h('h2', { class: 'feed-bar-title' }, t('feed.heading')), refreshBtn, writeBtn),
    pullHint, list, state, moreBtn);
  const view = h('section', { class: 'feed-view', id: 'feed-view', hidden: true });
  const tab = h('div', { class: 'feed-tab', id: 'feed-tab' }, home, view);
  root.replaceChildren(tab);

  let scrollBack = 0;
  let loading = false;

  function scroller() {
    for (let e = root; e; e = e.parentElement) {
      if (e.scrollHeight > e.clientHeight && /(auto|scroll)/.test(getComputedStyle(e).overflowY)) return e;
    }
    return document.scrollingElement || document.documentElement;
  }

  function openView() {
    const s = scroller();
    scrollBack = s.scrollTop;
    home.hidden = true;
    view.hidden = false;
    s.scrollTop = 0;
  }

  ctx.back = () => {
    view.replaceChildren();
    view.hidden = true;
    home.hidden = false;
    draw(); // what came live while the view was open
    scroller().scrollTop = scrollBack;
  };

  ctx.openReport = (original, shown) => {
    if (view.hidden) openView();
    else scroller().scrollTop = 0;
    showReport(ctx, view, original, shown);
  };

  writeBtn.addEventListener('click', () => {
    openView();
    showCompose(ctx, view, 'note', (ev) => {
      feed.add([ev]);
      ctx.back();
      draw();
    });
  });

  function meta(ev, extra) {
    const mine = ev.pubkey === api.pubkey();
    const contact = !mine && typeof api.isContact === 'function' && api.isContact(ev.pubkey);
    return h('p', { class: 'feed-meta' },
      h('span', { class: 'feed-author', dir: 'auto', 'data-user': true }, api.nameOf(ev.pubkey)),
      mine ? h('span', { class: 'feed-badge feed-you' }, t('feed.you')) : null,
      contact ? h('span', { class: 'feed-badge feed-contact' }, t('feed.contact')) : null,
      h('time', { datetime: new Date(ev.created_at * 1000).toISOString(), title: loc.fullTime(ev.created_at) }, loc.when(ev.created_at)),
      extra);
  }

  function noteItem(ev) {
    const long = ev.content.length > NOTE_PREVIEW;
    const text = h('div', { class: 'feed-text', 'data-user': true }, noteText(h, ev.content, long ? NOTE_PREVIEW : 0));
    const all = long ? h('button', { type: 'button', class: 'feed-linkbtn', on: { click: () => { text.replaceChildren(...noteText(h, ev.content, 0)); all.remove(); } } }, t('feed.showAll')) : null;
    return h('article', { class: 'feed-item feed-note', 'data-id': ev.id }, meta(ev), text, all);
  }

  function reportItem(ev) {
    const lang = api.lang();
    const own = reportLang(ev);
    const tr = own !== lang ? pickTranslation(ev, feed.translationsOf(ev), lang) : null;
    const shown = tr ? tr.ev : ev;
    let about = null;
    if (tr) about = loc.fill('feed.translatedFrom', { lang: loc.langName(own) || t('feed.langUnknown'), name: loc.who(tr.ev.pubkey) });
    else if (own && own !== lang) about = loc.fill('feed.inLang', { lang: loc.langName(own) });
    const summary = tagValue(shown, 'summary');
    const open = () => ctx.openReport(ev);
    const shownLang = reportLang(shown) || null;
    return h('article', { class: 'feed-item feed-report' + (tr ? ' feed-translated' : ''), 'data-id': ev.id, 'data-shown': shown.id },
      meta(ev, h('span', { class: 'feed-badge feed-kind' }, t('feed.report'))),
      h('h3', { class: 'feed-title' }, h('button', { type: 'button', class: 'feed-open', dir: 'auto', on: { click: open } }, tagValue(shown, 'title') ? h('span', { 'data-user': true, lang: shownLang }, tagValue(shown, 'title')) : t('feed.untitled'))),
      summary ? h('p', { class: 'feed-summary', dir: 'auto', 'data-user': true, lang: shownLang }, summary) : null,
      about ? h('p', { class: 'feed-about' }, about, tr?.outdated ? h('span', { class: 'feed-badge feed-badge-warn' }, t('feed.outdatedBadge')) : null) : null);
  }

  function item(ev) { return ev.kind === KIND_REPORT ? reportItem(ev) : noteItem(ev); }

  function draw() {
    const items = feed.sorted();
    list.replaceChildren(...items.map(item));
    moreBtn.hidden = feed.exhausted || items.length === 0;
    if (loading && items.length === 0) state.textContent = t('feed.loading');
    else if (items.length === 0) state.textContent = t('feed.empty');
    else if (feed.exhausted) state.textContent = t('feed.end');
    else state.textContent = '';
  }

  async function load(fresh) {
    if (loading) return;
    loading = true;
    moreBtn.disabled = refreshBtn.disabled = true;
    if (fresh) feed.reset();
    draw();
    const slow = setTimeout(() => { if (loading) state.textContent = t('feed.slow'); }, 8000);
    try {
      await feed.more();
    } finally {
      clearTimeout(slow);
      loading = false;
      moreBtn.disabled = refreshBtn.disabled = false;
      draw();
    }
  }

  refreshBtn.addEventListener('click', () => load(true));
  moreBtn.addEventListener('click', () => load(false));

  // Pull to refresh: a downward swipe that starts at the top of the tab.
  let pullFrom = null;
  let pullAt = null;
  home.addEventListener('touchstart', (e) => {
    pullFrom = scroller().scrollTop <= 0 && e.touches.length === 1 ? e.touches[0].clientY : null;
    pullAt = pullFrom;
  }, { passive: true });
  home.addEventListener('touchmove', (e) => {
    if (pullFrom === null) return;
    pullAt = e.touches[0].clientY;
    const dy = pullAt - pullFrom;
    pullHint.classList.toggle('feed-pull-on', dy > 10);
    pullHint.textContent = t(dy > PULL ? 'feed.pullRelease' : 'feed.pull');
  }, { passive: true });
  const pullEnd = () => {
    const dy = pullFrom === null ? 0 : pullAt - pullFrom;
    pullFrom = pullAt = null;
    pullHint.classList.remove('feed-pull-on');
    pullHint.textContent = t('feed.pull');
    if (dy > PULL) load(true);
  };
  home.addEventListener('touchend', pullEnd);
  home.addEventListener('touchcancel', () => { pullFrom = pullAt = null; pullHint.classList.remove('feed-pull-on'); });

  feed.onChange((what) => {
    if (what !== 'page' && !home.hidden) draw();
  });
  // Names learnt after the list was drawn (the shell asks the node for
  // profiles as names are wanted) redraw it, once a frame at most.
  let namesFrame = 0;
  const offNames = typeof api.onNames === 'function' ? api.onNames(() => {
    if (namesFrame) return;
    namesFrame = requestAnimationFrame(() => { namesFrame = 0; if (!home.hidden) draw(); });
  }) : null;

  feed.live();
  load(false);

  return () => {
    feed.stop();
    if (offNames) offNames();
  };
}
