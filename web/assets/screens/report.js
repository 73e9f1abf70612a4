// Report: one report (#/report/NADDR) or its translation into a language
// (#/report/NADDR/LANG): the text as the node rendered it, its photos and
// files, and the list of its translations with those that are outdated.
import { t } from '../i18n.js';
import * as api from '../api.js';
import { el, clear, when, bytes, blobImage, errorText } from '../ui.js';
import { author, langName, reportBody, downloadBlob } from './reportkit.js';
import { trustMark, isStranger } from '../trust.js';

function attachmentList(r, inBody) {
  const rest = (r.attachments || []).filter((a) => !inBody.has(a.sha256));
  if (rest.length === 0) return null;
  const images = rest.filter((a) => a.held && a.mime?.startsWith('image/'));
  const files = rest.filter((a) => !(a.held && a.mime?.startsWith('image/')));
  return el('section', { class: 'report-attachments', id: 'report-attachments' },
    el('h2', {}, t('report.attachments')),
    images.length ? el('div', { class: 'gallery' }, images.map((a) =>
      el('figure', { class: 'gallery-item' }, blobImage(a.sha256, a.alt || a.name, 'gallery-img'), a.alt ? el('figcaption', {}, a.alt) : null))) : null,
    files.length ? el('ul', { class: 'list files' }, files.map((a) => el('li', { class: 'row file-row' },
      el('span', { class: 'grow file-name' }, a.name || a.alt || t('report.file'), ' ', el('span', { class: 'muted small' }, [a.mime, a.size ? bytes(a.size) : ''].filter(Boolean).join(' · '))),
      a.held
        ? el('button', { type: 'button', class: 'btn file-download', on: { click: () => downloadBlob(a.sha256, a.name || a.sha256) } }, t('report.download'))
        : el('span', { class: 'badge', title: t('file.missing') }, t('report.notHeld'))))) : null);
}

// translationList lists the original and its translations; current is
// the id of the version on screen.
function translationList(orig, current, me) {
  const trs = orig.translations || [];
  const perLang = {};
  for (const x of trs) perLang[x.lang] = (perLang[x.lang] || 0) + 1;
  return el('section', { class: 'report-translations' },
    el('h2', {}, t('report.languages')),
    el('ul', { class: 'list', id: 'report-translations' },
      el('li', { class: 'row tr-row tr-original' + (orig.id === current ? ' tr-current' : '') },
        el('a', { href: '#/report/' + orig.naddr, class: 'grow' }, langName(orig.lang)),
        el('span', { class: 'badge' }, t('report.original'))),
      trs.map((x) => el('li', { class: 'row tr-row translation' + (x.id === current ? ' tr-current' : ''), 'data-lang': x.lang, 'data-naddr': x.naddr },
        // With one translator for the language, its address is the
        // original's and the language; with several, each its own.
        el('a', { href: perLang[x.lang] > 1 ? '#/report/' + x.naddr : '#/report/' + orig.naddr + '/' + x.lang, class: 'grow' }, langName(x.lang)),
        el('span', { class: 'muted small' }, t('report.translatedBy', { name: author(x.author, x.author_name, me), date: when(x.updated_at) })),
        trustMark(x.trust),
        x.outdated ? el('span', { class: 'badge badge-warn translation-outdated', title: t('report.outdatedHelp') }, t('report.outdated')) : null)),
      trs.length === 0 ? el('li', { class: 'muted small' }, t('report.noTranslations')) : null));
}

export default {
  async render(root, ctx) {
    const [addr, want] = ctx.params;
    document.title = t('nav.report') + ' · Caravan';
    const body = el('div', { class: 'page-body' });
    const headTools = el('div', { class: 'page-tools' });
    clear(root).append(el('div', { class: 'page-head report-nav' },
      el('a', { href: '#/feed', class: 'btn btn-quiet', id: 'report-back' }, '← ' + t('report.backToFeed')), headTools), body);
    if (!addr) {
      body.append(el('p', { class: 'card' }, t('report.noAddress')));
      return;
    }
    body.append(el('p', { class: 'loading' }, t('common.loading')));
    let r;
    try {
      r = await api.get('/api/v1/reports/view?addr=' + encodeURIComponent(addr) + (want ? '&lang=' + encodeURIComponent(want) : ''));
    } catch (err) {
      body.replaceChildren(el('div', { class: 'card' },
        el('p', { class: 'form-error', role: 'alert', id: 'report-error' }, errorText(err)),
        el('div', { class: 'row' },
          want ? el('a', { class: 'btn', href: '#/report/' + addr }, t('report.readOriginal')) : null,
          el('a', { class: 'btn', href: '#/feed' }, t('report.backToFeed')))));
      return;
    }
    const of = r.translation_of;
    const origNaddr = of ? of.naddr : r.naddr;
    const me = ctx.me;
    document.title = r.title + ' · Caravan';

    const head = el('header', { class: 'report-head' },
      el('h1', { id: 'report-title', dir: 'auto' }, r.title),
      r.summary ? el('p', { class: 'report-summary', id: 'report-summary', dir: 'auto' }, r.summary) : null,
      el('div', { class: 'feed-meta report-meta', id: 'report-meta' },
        el('span', { class: 'feed-author', id: 'report-author' }, of ? t('report.translator', { name: author(r.author, r.author_name, me) }) : author(r.author, r.author_name, me)),
        trustMark(r.trust),
        el('span', {}, t('report.published', { date: when(r.published_at) })),
        r.updated_at > r.published_at + 60 ? el('span', {}, t('report.updated', { date: when(r.updated_at) })) : null,
        el('span', { class: 'badge lang-badge', title: langName(r.lang) }, (r.lang || '').toUpperCase()),
        r.versions > 1 ? el('span', { class: 'muted' }, t('report.versions', { n: r.versions })) : null,
        (r.tags || []).map((tag) => el('span', { class: 'badge tag' }, '#' + tag))));

    const notes = [];
    if (isStranger(r.trust)) {
      notes.push(el('p', { class: 'warning', id: 'report-stranger-note', role: 'note' }, t(of ? 'report.strangerTranslation' : 'report.stranger')));
    }
    if (of) {
      notes.push(el('p', { class: 'notice', id: 'report-translation-note' },
        t('report.isTranslation', { lang: langName(r.lang) }), ' ',
        el('a', { href: '#/report/' + of.naddr, id: 'report-original-link' }, t('report.readOriginal'))));
      if (r.outdated) {
        notes.push(el('p', { class: 'warning', id: 'report-outdated-note', role: 'status' },
          el('span', { class: 'badge badge-warn', id: 'report-outdated' }, t('report.outdated')), ' ', t('report.outdatedNotice')));
      }
    } else if (want && want !== r.lang) {
      notes.push(el('p', { class: 'notice' }, t('report.noTranslation', { lang: langName(want) })));
    }

    const text = reportBody(r.html);
    const inBody = new Set([...text.querySelectorAll("img[data-blob]")].map((i) => i.dataset.blob));
    for (const a of text.querySelectorAll('a[href^="#blob/"]')) inBody.add(a.getAttribute('href').slice(6));

    if (!of && me && r.author === me.pubkey) headTools.append(el('a', { class: 'btn', href: '#/write/edit/' + r.naddr, id: 'report-edit' }, t('report.edit')));
    headTools.append(el('a', { class: 'btn btn-primary', href: '#/translate/' + origNaddr, id: 'report-translate' }, t('report.translate')));

    // The languages list is the original's: fetched apart when a
    // translation is on screen (it may not be held; then there is none).
    let orig = of ? null : r;
    if (of) {
      try { orig = await api.get('/api/v1/reports/read?addr=' + encodeURIComponent(of.naddr)); } catch { /* not held here */ }
    }

    body.replaceChildren(el('article', { class: 'report' + (isStranger(r.trust) ? ' from-stranger' : ''), 'data-naddr': r.naddr, lang: r.lang || null },
      head, notes, text, attachmentList(r, inBody)));
    if (orig) body.append(translationList(orig, r.id, me));
  },
};
