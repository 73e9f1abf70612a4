// Write: a report (#/write), a new version of one of yours
// (#/write/edit/NADDR), or a short public note (#/write/note). Photos are
// stored as soon as they are chosen, after the node has removed what they
// hide (EXIF, GPS...), and the page says what was removed.
import { t, lang } from '../i18n.js';
import * as api from '../api.js';
import { el, field, page, showError, clearErrors, busy, toast, when, bytes, blobImage, confirmDialog, errorText } from '../ui.js';
import { langPicker, errorField, unlockForm, tabs } from './reportkit.js';

// The fields of node.Attachment a report refers to (not what this node
// reported about the upload).
function ref(a) {
  const { sha256, url, mime, size, name, alt, width, height } = a;
  return { sha256, url, mime, size, name, alt, width, height };
}

function privacyNote(a) {
  if (!a.mime?.startsWith('image/')) return null;
  if (a.kept_metadata) {
    return el('p', { class: 'warning photo-privacy', role: 'status' }, t(a.had_gps ? 'write.keptGps' : 'write.kept'));
  }
  if (a.removed?.length) {
    return el('p', { class: 'notice photo-privacy photo-clean', role: 'status' },
      t('write.removed', { what: a.removed.join(', ') }), a.had_gps ? ' ' + t('write.removedGps') : '');
  }
  return el('p', { class: 'help photo-privacy' }, t('write.nothingRemoved'));
}

export default {
  nav: 'nav.write',
  async render(root, ctx) {
    const [mode, addr] = ctx.params;
    const note = mode === 'note';
    const editing = mode === 'edit' && addr;
    const body = page(root, t(editing ? 'write.editTitle' : 'nav.write'));
    const unlockSlot = el('div', { class: 'unlock-slot' });
    body.append(unlockSlot);
    if (!editing) body.append(tabs([['report', '#/write', t('write.tabReport'), 'write-tab-report'], ['note', '#/write/note', t('write.tabNote'), 'write-tab-note']], note ? 'note' : 'report'));

    // The identity may be locked: then nothing is sent that needs its key
    // (the node would refuse it) until the passphrase is given here.
    let locked = Boolean(ctx.me && !ctx.me.unlocked);
    const whenUnlocked = [];
    const needUnlock = (retry) => {
      unlockSlot.replaceChildren(unlockForm(async () => {
        locked = false;
        await ctx.reloadMe().catch(() => {});
        for (const fn of whenUnlocked) fn();
        if (retry) await retry();
      }));
      unlockSlot.scrollIntoView({ block: 'start' });
    };
    if (locked) needUnlock(null);

    if (note) return renderNote(body, ctx, needUnlock, () => locked);

    // The report form.
    const title = el('input', { type: 'text', name: 'title', id: 'write-title', maxlength: 300, required: true, dir: 'auto' });
    const summary = el('textarea', { name: 'summary', id: 'write-summary', rows: 2, maxlength: 1000, class: 'short', dir: 'auto' });
    const text = el('textarea', { name: 'markdown', id: 'write-body', rows: 14, required: true, dir: 'auto', class: 'write-body' });
    const tagsIn = el('input', { type: 'text', name: 'tags', id: 'write-tags', autocomplete: 'off', spellcheck: 'false' });
    const photoIn = el('input', { type: 'file', name: 'photos', id: 'write-photo', accept: 'image/*', multiple: true, class: 'file-input' });
    const keep = el('input', { type: 'checkbox', id: 'write-keep-metadata' });
    const photos = el('ul', { class: 'list photos', id: 'write-photos' });
    const keepWarning = el('p', { class: 'warning', id: 'write-keep-warning', role: 'status', hidden: true }, t('write.keepWarning'));
    const publish = el('button', { type: 'submit', class: 'btn btn-primary', id: 'write-publish' }, t(editing ? 'write.publishVersion' : 'write.publish'));
    const saveDraft = editing ? null : el('button', { type: 'button', class: 'btn', id: 'write-draft' }, t('write.saveDraft'));
    const draftNote = el('p', { class: 'help', id: 'write-draft-state', hidden: true });
    let picker = langPicker('write-lang', lang());
    const langSlot = el('div', { class: 'lang-slot' }, picker.nodes);

    let attachments = [];
    let editD = '';
    let draftD = '';

    const form = el('form', { class: 'card write-form', id: 'write-form', novalidate: true },
      field(t('write.title'), title),
      field(t('write.summary'), summary, t('write.summaryHelp')),
      langSlot,
      field(t('write.body'), text, t('write.bodyHelp')),
      field(t('write.tags'), tagsIn, t('write.tagsHelp')),
      el('div', { class: 'field', 'data-field': 'photos' },
        el('span', { class: 'label' }, t('write.photos')),
        el('div', { class: 'row' },
          el('label', { for: 'write-photo', class: 'btn file-button' }, t('write.addPhotos')), photoIn,
          el('label', { class: 'check small' }, keep, el('span', {}, t('write.keepMetadata')))),
        el('p', { class: 'help' }, t('write.photosHelp')),
        keepWarning,
        el('p', { class: 'field-error', role: 'alert', hidden: true }),
        photos),
      draftNote,
      el('div', { class: 'actions' }, saveDraft, publish));
    body.append(form);

    keep.addEventListener('change', () => { keepWarning.hidden = !keep.checked; });

    const insertAtCursor = (s) => {
      const at = text.selectionStart ?? text.value.length;
      const before = text.value.slice(0, at), after = text.value.slice(text.selectionEnd ?? at);
      const pre = before && !before.endsWith('\n\n') ? (before.endsWith('\n') ? '\n' : '\n\n') : '';
      text.value = before + pre + s + '\n\n' + after;
      text.focus();
      text.selectionStart = text.selectionEnd = (before + pre + s).length + 2;
    };

    const drawPhoto = (item, a) => {
      const alt = el('input', { type: 'text', class: 'photo-alt', placeholder: t('write.altPlaceholder'), 'aria-label': t('write.alt'), value: a.alt || '' });
      alt.addEventListener('input', () => { a.alt = alt.value; });
      item.replaceChildren(
        a.held !== false ? blobImage(a.sha256, a.alt || a.name, 'photo-thumb') : el('span', { class: 'missing photo-thumb' }, t('file.missing')),
        el('div', { class: 'grow photo-info' },
          el('p', { class: 'photo-name' }, a.name || a.sha256.slice(0, 12), ' ', el('span', { class: 'muted small' }, [a.width && a.height ? `${a.width}×${a.height}` : '', a.size ? bytes(a.size) : ''].filter(Boolean).join(' · '))),
          privacyNote(a),
          alt,
          el('div', { class: 'row' },
            el('button', { type: 'button', class: 'btn photo-place', on: { click: () => insertAtCursor(`![${(a.alt || '').replace(/[[\]]/g, '')}](${a.url})`) } }, t('write.placeInText')),
            el('button', { type: 'button', class: 'btn btn-quiet photo-remove', on: { click: () => { attachments = attachments.filter((x) => x !== a); item.remove(); } } }, t('write.removePhoto')))));
    };

    const addPhoto = async (file) => {
      if (locked) return needUnlock(() => addPhoto(file));
      const item = el('li', { class: 'card photo-item' }, el('p', { class: 'muted' }, t('write.uploading', { name: file.name })));
      photos.append(item);
      try {
        const q = new URLSearchParams({ name: file.name });
        if (keep.checked) q.set('keep_metadata', '1');
        const a = await api.upload('/api/v1/attachments?' + q, file);
        attachments.push(a);
        drawPhoto(item, a);
      } catch (err) {
        item.remove();
        if (err.code === 'locked') return needUnlock(() => addPhoto(file));
        showError(form, { message: file.name + ': ' + errorText(err) }, 'photos');
      }
    };
    photoIn.addEventListener('change', async () => {
      const files = [...photoIn.files];
      photoIn.value = '';
      for (const f of files) await addPhoto(f);
    });

    const fill = (r) => {
      title.value = r.title || '';
      summary.value = r.summary || '';
      text.value = r.markdown || '';
      tagsIn.value = (r.tags || []).join(' ');
      picker = langPicker('write-lang', r.lang || lang());
      langSlot.replaceChildren(...picker.nodes);
      attachments = (r.attachments || []).slice();
      photos.replaceChildren();
      for (const a of attachments) {
        const item = el('li', { class: 'card photo-item' });
        photos.append(item);
        drawPhoto(item, a);
      }
    };

    const input = () => ({
      d: editD || undefined,
      title: title.value.trim(),
      summary: summary.value.trim(),
      markdown: text.value,
      lang: picker.value(),
      tags: tagsIn.value.split(/[\s,]+/).map((s) => s.replace(/^#/, '')).filter(Boolean),
      attachments: attachments.map(ref),
    });

    // check says what the page can tell before asking the node.
    const check = (inp, forDraft) => {
      if (!forDraft && !inp.title) return showError(form, { message: t('write.needTitle') }, 'title'), false;
      if (!forDraft && !inp.lang) return showError(form, { message: t('write.needLang') }, picker.errorName()), false;
      if (!inp.markdown.trim()) return showError(form, { message: t('write.needBody') }, 'markdown'), false;
      return true;
    };

    const doPublish = async () => {
      clearErrors(form);
      const inp = input();
      if (!check(inp)) return;
      if (locked) return needUnlock(doPublish);
      try {
        const r = await busy(publish, api.post('/api/v1/reports', { report: inp }));
        if (draftD) await api.post('/api/v1/drafts/delete', { d: draftD }).catch(() => {});
        toast(t(editing ? 'write.versionPublished' : 'write.published'));
        ctx.go('/report/' + r.naddr);
      } catch (err) {
        if (err.code === 'locked') return needUnlock(doPublish);
        showError(form, err, errorField(err, picker.errorName()));
      }
    };
    form.addEventListener('submit', (e) => { e.preventDefault(); doPublish(); });

    // Drafts stay on this device, encrypted, until published.
    const draftList = el('ul', { class: 'list', id: 'write-drafts' });
    const draftBox = el('section', { class: 'card drafts', hidden: true }, el('h2', {}, t('write.drafts')), el('p', { class: 'help' }, t('write.draftsHelp')), draftList);
    const loadDrafts = async () => {
      let ds;
      try { ds = await api.get('/api/v1/drafts'); } catch { draftBox.hidden = true; return; }
      draftBox.hidden = ds.length === 0;
      draftList.replaceChildren(...ds.sort((a, b) => b.updated_at - a.updated_at).map((d) => el('li', { class: 'row draft-item', 'data-d': d.d },
        el('span', { class: 'grow' }, d.title || t('write.untitled'), ' ', el('span', { class: 'muted small' }, when(d.updated_at))),
        el('button', { type: 'button', class: 'btn draft-open', on: { click: () => {
          fill(d);
          draftD = d.d;
          draftNote.textContent = t('write.draftOpened');
          draftNote.hidden = false;
          title.focus();
        } } }, t('write.openDraft')),
        el('button', { type: 'button', class: 'btn btn-quiet draft-delete', on: { click: async () => {
          if (!(await confirmDialog(t('write.deleteDraftTitle'), d.title || t('write.untitled'), t('write.deleteDraft'), true))) return;
          try {
            await api.post('/api/v1/drafts/delete', { d: d.d });
            if (draftD === d.d) { draftD = ''; draftNote.hidden = true; }
          } catch (err) { toast(errorText(err), 'error'); }
          loadDrafts();
        } } }, t('write.deleteDraft')))));
    };

    if (saveDraft) {
      const doSave = async () => {
        clearErrors(form);
        const inp = input();
        if (!check(inp, true)) return;
        if (locked) return needUnlock(doSave);
        try {
          const d = await busy(saveDraft, api.post('/api/v1/drafts', { draft: { ...inp, d: draftD || undefined } }));
          draftD = d.d;
          draftNote.textContent = t('write.draftSaved', { date: when(d.updated_at) });
          draftNote.hidden = false;
          toast(t('write.draftSavedToast'));
          loadDrafts();
        } catch (err) {
          if (err.code === 'locked') return needUnlock(doSave);
          showError(form, err, errorField(err, picker.errorName()));
        }
      };
      saveDraft.addEventListener('click', doSave);
      body.append(draftBox);
      if (locked) whenUnlocked.push(loadDrafts);
      else loadDrafts();
    }

    if (editing) {
      try {
        const r = await api.get('/api/v1/reports/read?addr=' + encodeURIComponent(addr));
        if (ctx.me && r.author !== ctx.me.pubkey) {
          form.replaceWith(el('p', { class: 'card' }, t('write.notYours')));
          return;
        }
        fill(r);
        editD = r.d;
      } catch (err) {
        form.replaceWith(el('p', { class: 'card form-error', role: 'alert' }, errorText(err)));
        return;
      }
    }
    title.focus();
  },
};

function renderNote(body, ctx, needUnlock, locked) {
  const content = el('textarea', { name: 'content', id: 'note-text', rows: 6, required: true, dir: 'auto', placeholder: t('write.notePlaceholder') });
  const count = el('span', { class: 'muted small', 'aria-live': 'polite' });
  const button = el('button', { type: 'submit', class: 'btn btn-primary', id: 'note-publish' }, t('write.publishNote'));
  const form = el('form', { class: 'card', id: 'note-form', novalidate: true },
    field(t('write.noteLabel'), content, t('write.noteHelp')),
    el('div', { class: 'row' }, el('span', { class: 'grow' }, count), button));
  content.addEventListener('input', () => { count.textContent = content.value.length ? t('write.chars', { n: content.value.length }) : ''; });
  const send = async () => {
    clearErrors(form);
    if (!content.value.trim()) return showError(form, { message: t('write.noteEmpty') }, 'content');
    if (locked()) return needUnlock(send);
    try {
      await busy(button, api.post('/api/v1/post', { kind: 1, content: content.value }));
      content.value = '';
      toast(t('write.notePublished'));
      ctx.go('/feed/notes');
    } catch (err) {
      if (err.code === 'locked') return needUnlock(send);
      showError(form, err, 'content');
    }
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); send(); });
  body.append(form);
  content.focus();
}
