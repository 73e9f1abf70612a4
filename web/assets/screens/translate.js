// Translate: the original beside a form prefilled with its text, to write
// over in another language (#/translate/NADDR). The translation points at
// the exact version it translates, so it shows as outdated once the
// original changes.
import { t, lang as uiLang } from '../i18n.js';
import * as api from '../api.js';
import { el, field, page, showError, clearErrors, busy, toast, errorText } from '../ui.js';
import { langPicker, langName, errorField, unlockForm, reportBody, author } from './reportkit.js';

// A second language for the translation: the reader's, unless the report
// is already in it.
function suggest(origLang, reader) { return reader !== origLang ? reader : ''; }

export default {
  async render(root, ctx) {
    const [addr] = ctx.params;
    const body = page(root, t('translate.title'));
    if (!addr) {
      body.append(el('p', { class: 'card' }, t('report.noAddress')));
      return;
    }
    let orig;
    try {
      orig = await api.get('/api/v1/reports/view?addr=' + encodeURIComponent(addr));
    } catch (err) {
      body.append(el('p', { class: 'card form-error', role: 'alert' }, errorText(err)));
      return;
    }
    if (orig.translation_of) {
      // Translations are made from originals: go there.
      return ctx.go('/translate/' + orig.translation_of.naddr);
    }
    const unlockSlot = el('div', { class: 'unlock-slot' });
    // The identity may be locked: then nothing is sent that needs its key
    // (the node would refuse it) until the passphrase is given here.
    let locked = Boolean(ctx.me && !ctx.me.unlocked);
    const needUnlock = (retry) => {
      unlockSlot.replaceChildren(unlockForm(async () => {
        locked = false;
        await ctx.reloadMe().catch(() => {});
        if (retry) await retry();
      }));
      unlockSlot.scrollIntoView({ block: 'start' });
    };
    if (locked) needUnlock(null);

    const picker = langPicker('translate-lang', suggest(orig.lang, uiLang()), orig.lang);
    const title = el('input', { type: 'text', name: 'title', id: 'translate-title', maxlength: 300, value: orig.title, dir: 'auto' });
    const summary = el('textarea', { name: 'summary', id: 'translate-summary', rows: 2, maxlength: 1000, class: 'short', dir: 'auto' });
    summary.value = orig.summary || '';
    const text = el('textarea', { name: 'markdown', id: 'translate-body', rows: 18, dir: 'auto', class: 'write-body' });
    text.value = orig.markdown || '';
    const submit = el('button', { type: 'submit', class: 'btn btn-primary', id: 'translate-publish' }, t('translate.publish'));
    const form = el('form', { class: 'card translate-form', id: 'translate-form', novalidate: true },
      el('h2', {}, t('translate.yours')),
      el('p', { class: 'help' }, t('translate.intro')),
      picker.nodes,
      field(t('write.title'), title),
      field(t('write.summary'), summary),
      field(t('write.body'), text, t('translate.bodyHelp')),
      el('div', { class: 'actions' }, el('a', { href: '#/report/' + orig.naddr, class: 'btn', id: 'translate-cancel' }, t('common.cancel')), submit));

    const send = async () => {
      clearErrors(form);
      const lang = picker.value();
      if (!lang) return showError(form, { message: t('write.needLang') }, picker.errorName());
      if (!text.value.trim()) return showError(form, { message: t('write.needBody') }, 'markdown');
      if (locked) return needUnlock(send);
      // The original's photos, so those placed in its text show in the
      // translation too (only those this node holds can be referred to).
      const atts = (orig.attachments || []).filter((a) => a.held)
        .map(({ sha256, url, mime, size, name, alt, width, height }) => ({ sha256, url, mime, size, name, alt, width, height }));
      const input = { title: title.value.trim(), summary: summary.value.trim(), markdown: text.value, lang, attachments: atts };
      try {
        const r = await busy(submit, api.post('/api/v1/reports/translate', { addr: orig.naddr, translation: input }));
        toast(t('translate.published', { lang: langName(r.lang) }));
        ctx.go('/report/' + orig.naddr + '/' + r.lang);
      } catch (err) {
        if (err.code === 'locked') return needUnlock(send);
        showError(form, err, errorField(err, picker.errorName()));
      }
    };
    form.addEventListener('submit', (e) => { e.preventDefault(); send(); });

    const original = el('article', { class: 'card translate-original', id: 'translate-original', lang: orig.lang || null },
      el('p', { class: 'muted small' }, t('translate.original', { lang: langName(orig.lang), name: author(orig.author, orig.author_name, ctx.me) })),
      el('h2', { dir: 'auto' }, orig.title),
      orig.summary ? el('p', { class: 'report-summary', dir: 'auto' }, orig.summary) : null,
      reportBody(orig.html));
    original.querySelector('#report-body').id = 'translate-original-body';

    body.append(unlockSlot, el('div', { class: 'translate-grid' }, original, form));
  },
};
