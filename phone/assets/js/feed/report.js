// One report, in the reader's language when someone translated it: the
// translation with where it comes from (its language, its translator, the
// original's author, whether the original changed since), a way to the
// original, the other languages, and the text drawn from its markdown.

import { tagValue, reportLang, publishedAt, attachments, pickTranslation, translationOf, address } from './events.js';
import { render } from './markdown.js';
import { imageSlot } from './blobs.js';
import { linkTo } from './text.js';
import { query } from './data.js';
import { KIND_REPORT } from './events.js';

// showReport draws original (a report event) into view. shown is the
// event to show (the original or one of its translations); when
// undefined, the translation into the reader's language if there is one.
export async function showReport(ctx, view, original, shown) {
  const { h, t, api } = ctx;
  const lang = api.lang();
  const draw = (translations) => {
    let pick = null;
    if (shown === undefined && reportLang(original) !== lang) pick = pickTranslation(original, translations, lang);
    const ev = shown || pick?.ev || original;
    view.replaceChildren(h('div', { class: 'feed-bar' },
      h('button', { type: 'button', class: 'feed-btn feed-back', id: 'feed-back', on: { click: ctx.back } }, '← ' + t('feed.back'))),
    article(ctx, original, ev, translations));
  };
  draw(ctx.feed.translationsOf(original));
  // The translations held now, in case some came since the feed loaded.
  const trs = await query(api, [{ kinds: [KIND_REPORT], '#a': [address(original)] }]);
  ctx.feed.add(trs);
  if (view.isConnected) draw(ctx.feed.translationsOf(original));
}

function article(ctx, original, ev, translations) {
  const { h, t, api, loc } = ctx;
  const lang = api.lang();
  const isTr = ev !== original;
  const evLang = reportLang(ev);
  const origLang = reportLang(original);
  const outdated = isTr && translationOf(ev)?.version !== original.id;
  const notes = [];

  if (isTr) {
    notes.push(h('div', { class: 'feed-provenance', id: 'feed-provenance', role: 'note' },
      h('p', { class: 'feed-tr-by' }, loc.fill('feed.translatedBy', { from: loc.langName(origLang) || t('feed.langUnknown'), to: loc.langName(evLang) || t('feed.langUnknown'), name: loc.who(ev.pubkey), date: loc.when(ev.created_at) })),
      h('p', { class: 'feed-tr-orig' }, loc.fill('feed.originalBy', { name: loc.who(original.pubkey) })),
      outdated ? h('p', { class: 'feed-warn', id: 'feed-outdated' }, t('feed.outdated')) : null,
      h('p', {}, h('button', { type: 'button', class: 'feed-linkbtn', id: 'feed-read-original', on: { click: () => ctx.openReport(original, original) } },
        t('feed.readOriginal', { lang: loc.langName(origLang) || t('feed.langUnknown') })))));
  } else if (origLang && origLang !== lang) {
    const tr = pickTranslation(original, translations, lang);
    notes.push(h('div', { class: 'feed-provenance', id: 'feed-provenance', role: 'note' },
      h('p', { id: 'feed-written-in' }, t('feed.writtenIn', { lang: loc.langName(origLang) })),
      tr
        ? h('p', {}, h('button', { type: 'button', class: 'feed-linkbtn', id: 'feed-read-translation', on: { click: () => ctx.openReport(original, tr.ev) } },
          t('feed.readTranslation', { lang: loc.langName(lang) })))
        : h('p', { class: 'feed-muted', id: 'feed-no-translation' }, t('feed.noTranslation', { lang: loc.langName(lang) }))));
  }

  const body = render(ev.content, {
    h,
    image: (sum, alt) => imageSlot(h, t, sum, alt, 'feed-img-inline'),
    link: (href, children) => linkTo(h, href, children),
  });
  body.classList.add('feed-report-body');
  body.setAttribute('data-user', '');
  if (evLang) body.lang = evLang;
  body.id = 'feed-report-body';
  const inBody = new Set([...body.querySelectorAll('[data-blob]')].map((e) => e.getAttribute('data-blob')));
  const extra = [...attachments(ev), ...(isTr ? attachments(original) : [])]
    .filter((a, i, all) => !inBody.has(a.sha256) && all.findIndex((b) => b.sha256 === a.sha256) === i)
    .filter((a) => !a.m || a.m.startsWith('image/'));

  const contact = typeof api.isContact === 'function' && api.isContact(ev.pubkey);
  const summary = tagValue(ev, 'summary');
  return h('article', { class: 'feed-report-full', id: 'feed-report', 'data-id': ev.id },
    h('h2', { class: 'feed-report-title', id: 'feed-report-title', dir: 'auto' }, tagValue(ev, 'title') ? h('span', { 'data-user': true, lang: evLang || null }, tagValue(ev, 'title')) : t('feed.untitled')),
    summary ? h('p', { class: 'feed-report-summary', id: 'feed-report-summary', dir: 'auto', 'data-user': true, lang: evLang || null }, summary) : null,
    h('p', { class: 'feed-meta' },
      h('span', { class: 'feed-author', id: 'feed-report-author', dir: 'auto', 'data-user': true }, isTr ? api.nameOf(original.pubkey) : api.nameOf(ev.pubkey)),
      contact ? h('span', { class: 'feed-badge feed-contact' }, t('feed.contact')) : null,
      h('time', { datetime: new Date(publishedAt(original) * 1000).toISOString(), title: loc.fullTime(publishedAt(original)) }, loc.when(publishedAt(original))),
      evLang ? h('span', { class: 'feed-badge', title: loc.langName(evLang) }, evLang.toUpperCase()) : null),
    notes,
    body,
    extra.length ? h('div', { class: 'feed-gallery', id: 'feed-gallery' }, extra.map((a) => imageSlot(h, t, a.sha256, a.alt, 'feed-img-gallery'))) : null,
    languages(ctx, original, ev, translations));
}

function languages(ctx, original, shown, translations) {
  const { h, t, loc } = ctx;
  const addr = address(original);
  const mine = translations.filter((tr) => translationOf(tr)?.address === addr)
    .sort((a, b) => reportLang(a).localeCompare(reportLang(b)) || b.created_at - a.created_at);
  if (mine.length === 0) return null;
  const row = (ev, label) => h('li', { class: 'feed-lang-row' + (ev === shown ? ' feed-current' : ''), 'data-lang': reportLang(ev) },
    h('button', { type: 'button', class: 'feed-linkbtn', on: { click: () => ctx.openReport(original, ev) } }, reportLang(ev) ? loc.langLabel(reportLang(ev)) : t('feed.langUnknown')),
    ' ', h('span', { class: 'feed-muted' }, label),
    ev !== original && translationOf(ev)?.version !== original.id ? h('span', { class: 'feed-badge feed-badge-warn' }, t('feed.outdatedBadge')) : null);
  return h('section', { class: 'feed-langs', id: 'feed-langs' },
    h('h3', {}, t('feed.languages')),
    h('ul', {}, row(original, t('feed.original')),
      mine.map((tr) => row(tr, loc.fill('feed.translator', { name: loc.who(tr.pubkey), date: loc.when(tr.created_at) })))));
}
