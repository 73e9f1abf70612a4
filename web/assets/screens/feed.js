// Feed: the reports and short notes this node holds, newest first or
// trusted first, in two tabs (#/feed and #/feed/notes). Each author is
// marked contact, followed by N contacts, or stranger, and strangers'
// posts look apart. It follows the live stream, so what arrives by a sync
// or a USB stick appears without a reload.
import { t } from '../i18n.js';
import * as api from '../api.js';
import { el, clear, page, when, errorText } from '../ui.js';
import { author, langName, debounce, tabs } from './reportkit.js';
import { trustMark, isStranger } from '../trust.js';

const LANG_KEY = 'caravan.feedLang';
const ORDER_KEY = 'caravan.feedOrder';
const URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;

// linkify returns text with its http(s) addresses as links that open
// apart; nothing else in a note becomes markup.
function linkify(text) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    const url = m[0].replace(/[.,;:!?)\]]+$/, '');
    out.push(text.slice(last, m.index), el('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, url));
    last = m.index + url.length;
  }
  out.push(text.slice(last));
  return out;
}

function langBadges(r) {
  const langs = [r.lang, ...(r.translations || []).map((x) => x.lang)].filter((l, i, a) => l && a.indexOf(l) === i);
  return el('span', { class: 'feed-langs', title: t('feed.languages') },
    langs.map((l, i) => el('span', { class: i === 0 ? 'badge lang-badge lang-original' : 'badge lang-badge', title: langName(l) + (i === 0 ? ' · ' + t('feed.original') : '') }, l.toUpperCase())));
}

// shown picks what to show of a report for a reader of lang: the
// translation into it (an up-to-date one first), or the original.
function shown(r, lang) {
  if (!lang || r.lang === lang) return { title: r.title, summary: r.summary, href: '#/report/' + r.naddr, tr: null };
  const trs = (r.translations || []).filter((x) => x.lang === lang);
  const tr = trs.find((x) => !x.outdated) || trs[0];
  if (!tr) return { title: r.title, summary: r.summary, href: '#/report/' + r.naddr, tr: null };
  return { title: tr.title || r.title, summary: tr.summary, href: '#/report/' + r.naddr + '/' + lang, tr };
}

function reportItem(r, lang, me) {
  const s = shown(r, lang);
  const n = (r.attachments || []).length;
  return el('li', {},
    el('a', { class: 'card feed-item feed-report' + (isStranger(r.trust) ? ' from-stranger' : ''), href: s.href, 'data-naddr': r.naddr },
      el('h2', { class: 'feed-title' }, s.title),
      s.summary ? el('p', { class: 'feed-summary' }, s.summary) : null,
      el('div', { class: 'feed-meta' },
        el('span', { class: 'feed-author' }, author(r.author, r.author_name, me)),
        trustMark(r.trust),
        el('time', { datetime: new Date(r.published_at * 1000).toISOString() }, when(r.published_at)),
        langBadges(r),
        s.tr ? el('span', { class: 'muted small' }, t('feed.translatedFrom', { lang: langName(r.lang) })) : null,
        s.tr?.outdated ? el('span', { class: 'badge badge-warn' }, t('report.outdated')) : null,
        n ? el('span', { class: 'feed-attach' }, t('feed.attachments', { n })) : null)));
}

function noteItem({ event: ev, trust }, names, me) {
  return el('li', {},
    el('article', { class: 'card feed-item feed-note' + (isStranger(trust) ? ' from-stranger' : ''), 'data-id': ev.id },
      el('div', { class: 'feed-meta' },
        el('span', { class: 'feed-author' }, author(ev.pubkey, names.get(ev.pubkey), me)),
        trustMark(trust),
        el('time', { datetime: new Date(ev.created_at * 1000).toISOString() }, when(ev.created_at))),
      el('p', { class: 'note-text' }, linkify(ev.content || ''))));
}

// names finds what people call themselves (kind 0) and what you call
// them (your contacts' petnames, which win).
async function names(pubkeys, me) {
  const out = new Map();
  if (pubkeys.length === 0) return out;
  try {
    const r = await api.post('/api/v1/query', { filters: [{ kinds: [0], authors: pubkeys }] });
    const evs = r.events.sort((a, b) => a.created_at - b.created_at);
    for (const ev of evs) {
      try {
        const p = JSON.parse(ev.content);
        const n = String(p.display_name || p.name || '').trim();
        if (n) out.set(ev.pubkey, n.slice(0, 80));
      } catch { /* a profile that is not JSON names nobody */ }
    }
  } catch { /* names are a nicety */ }
  if (me && !me.unlocked) return out; // the address book is sealed with the key
  try {
    for (const c of await api.get('/api/v1/contacts')) if (c.petname) out.set(c.pubkey, c.petname);
  } catch { /* locked or none: keep the profile names */ }
  return out;
}

function empty(text, ...actions) {
  return el('div', { class: 'card empty', id: 'feed-empty' }, el('p', {}, text), actions.length ? el('div', { class: 'row' }, actions) : null);
}

export default {
  nav: 'nav.feed',
  async render(root, ctx) {
    const view = ctx.params[0] === 'notes' ? 'notes' : 'reports';
    const body = page(root, t('nav.feed'),
      el('a', { href: view === 'notes' ? '#/write/note' : '#/write', class: 'btn btn-primary', id: 'feed-write' }, t(view === 'notes' ? 'feed.writeNote' : 'feed.writeReport')));
    const list = el('ul', { class: 'list feed-list', id: 'feed-list', 'aria-live': 'polite' }, el('li', { class: 'loading' }, t('common.loading')));
    const bar = el('div', { class: 'feed-bar' },
      tabs([['reports', '#/feed', t('feed.reports'), 'feed-tab-reports'], ['notes', '#/feed/notes', t('feed.notes'), 'feed-tab-notes']], view));
    const orderSel = el('select', { id: 'feed-order', 'aria-label': t('feed.order') },
      el('option', { value: 'time' }, t('feed.order.time')),
      el('option', { value: 'trust' }, t('feed.order.trust')));
    orderSel.value = localStorage.getItem(ORDER_KEY) === 'trust' ? 'trust' : 'time';
    orderSel.addEventListener('change', () => {
      localStorage.setItem(ORDER_KEY, orderSel.value);
      load();
    });
    const tools = el('div', { class: 'feed-tools' },
      el('label', { class: 'feed-lang' }, el('span', { class: 'muted small' }, t('feed.order')), orderSel));
    bar.append(tools);
    body.append(bar, list);

    let langSel = null;
    let known = new Set();
    if (view === 'reports') {
      langSel = el('select', { id: 'feed-lang', 'aria-label': t('feed.langLabel') });
      tools.prepend(el('label', { class: 'feed-lang' }, el('span', { class: 'muted small' }, t('feed.langLabel')), langSel));
      langSel.addEventListener('change', () => {
        localStorage.setItem(LANG_KEY, langSel.value);
        load();
      });
    }

    const fillLangs = (chosen) => {
      clear(langSel).append(el('option', { value: '' }, t('feed.allLangs')),
        ...[...known].sort().map((l) => el('option', { value: l }, langName(l))));
      langSel.value = known.has(chosen) ? chosen : '';
    };

    const loadReports = async () => {
      const chosen = localStorage.getItem(LANG_KEY) || '';
      const order = '&order=' + orderSel.value;
      const all = await api.get('/api/v1/reports?limit=200' + order);
      known = new Set();
      for (const r of all) {
        if (r.lang) known.add(r.lang);
        for (const x of r.translations || []) if (x.lang) known.add(x.lang);
      }
      if (chosen) known.add(chosen);
      fillLangs(chosen);
      const lang = langSel.value;
      const rs = lang ? await api.get('/api/v1/reports?limit=200&lang=' + encodeURIComponent(lang) + order) : all;
      if (!list.isConnected) return;
      if (rs.length === 0) {
        return clear(list).append(el('li', {}, lang
          ? empty(t('feed.noneInLang', { lang: langName(lang) }), el('button', { type: 'button', class: 'btn', on: { click: () => { langSel.value = ''; langSel.dispatchEvent(new Event('change')); } } }, t('feed.allLangs')))
          : empty(t('feed.emptyReports'), el('a', { class: 'btn btn-primary', href: '#/write' }, t('feed.writeReport')), el('a', { class: 'btn', href: '#/links' }, t('nav.links')))));
      }
      clear(list).append(...rs.map((r) => reportItem(r, lang, ctx.me)));
    };

    const loadNotes = async () => {
      // The node orders them: newest first, or trusted first.
      const items = await api.post('/api/v1/feed', { filter: { kinds: [1], limit: 50 }, order: orderSel.value });
      const who = await names([...new Set(items.map((it) => it.event.pubkey))], ctx.me);
      if (!list.isConnected) return;
      if (items.length === 0) {
        return clear(list).append(el('li', {}, empty(t('feed.emptyNotes'),
          el('a', { class: 'btn btn-primary', href: '#/write/note' }, t('feed.writeNote')), el('a', { class: 'btn', href: '#/links' }, t('nav.links')))));
      }
      clear(list).append(...items.map((it) => noteItem(it, who, ctx.me)));
    };

    async function load() {
      try {
        await (view === 'notes' ? loadNotes() : loadReports());
      } catch (err) {
        if (!list.isConnected) return;
        clear(list).append(el('li', { class: 'card' },
          el('p', { class: 'form-error', role: 'alert' }, errorText(err)),
          el('button', { type: 'button', class: 'btn', on: { click: load } }, t('common.retry'))));
      }
    }

    const again = debounce(() => { if (list.isConnected) load(); }, 700);
    const kind = view === 'notes' ? 1 : 30023;
    ctx.onLive((a) => { if (a.type === 'event' && a.event?.kind === kind) again(); });
    await load();
  },
};
