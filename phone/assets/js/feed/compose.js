// Writing for everyone: a note (kind 1), or a report (NIP-23, kind
// 30023) with a title, a summary, its language and a photo. The photo is
// cleaned on the phone (photo.js), hashed, uploaded to this node
// (Blossom), then named in the report as Caravan's own reports name
// attachments: a NIP-92 imeta tag (url, x, m, size, dim, alt) and the
// picture in the text. The url's host is a name that never resolves
// unless the node has a public media address: readers go by the hash
// (BUD-01), and the report does not carry this node's LAN address.

import { KIND_NOTE, KIND_REPORT, LANG_NAMESPACE } from './events.js';
import { cleanPhoto, PhotoError } from './photo.js';
import { refusalKey, uploadErrorKey } from './util.js';

export const MAX_TITLE = 300;
export const MAX_SUMMARY = 1000;
const LANGS = ['en', 'es', 'ru', 'kk', 'uk', 'ar', 'fa', 'fr', 'de', 'pt', 'tr', 'zh', 'uz', 'ky', 'tg', 'be', 'hy', 'ka', 'az', 'ur', 'hi'];
const SLOW = 4000; // ms before saying the node has not answered yet (words only)

function randomD() {
  const b = new Uint8Array(9);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

// blobURL is the url an imeta tag gives: the node's own answer when it
// names a public media address, else https://blossom.invalid/<sha256>.jpg
// as the node's reports do (reports.BlobURL).
export function blobURL(answer, sum) {
  try {
    const u = new URL(answer || '', location.href);
    if (u.host !== location.host && (u.protocol === 'https:' || u.protocol === 'http:')) return u.href;
  } catch { /* no usable url */ }
  return `https://blossom.invalid/${sum}.jpg`;
}

// showCompose draws the form into view; done(ev) is called with the
// published event, cancel() to go back.
export function showCompose(ctx, view, kind, done) {
  const { h, t, api, loc } = ctx;
  const lang = api.lang();
  let photo = null; // the cleaned photo
  let photoJob = 0;
  let preparing = false; // a photo is being cleaned
  let busy = false;

  const status = h('p', { class: 'feed-status', id: 'feed-compose-status', role: 'status', 'aria-live': 'polite' });
  const say = (text, cls, detail) => {
    status.className = 'feed-status' + (cls ? ' ' + cls : '');
    status.replaceChildren(text || '');
    if (detail) status.append(h('span', { class: 'feed-node-said' }, loc.fill('feed.nodeSaid', { text: h('span', { dir: 'auto', 'data-user': true }, detail) })));
  };

  const note = h('textarea', { id: 'feed-note-text', name: 'note', rows: 6, dir: 'auto', placeholder: t('feed.notePlaceholder') });
  const title = h('input', { id: 'feed-title', name: 'title', type: 'text', maxlength: MAX_TITLE, dir: 'auto', autocomplete: 'off' });
  const summary = h('textarea', { id: 'feed-summary', name: 'summary', rows: 2, maxlength: MAX_SUMMARY, dir: 'auto' });
  const body = h('textarea', { id: 'feed-body', name: 'body', rows: 10, dir: 'auto', placeholder: t('feed.bodyPlaceholder') });
  const langSel = h('select', { id: 'feed-lang', name: 'lang' },
    [lang, ...LANGS.filter((l) => l !== lang)].map((l) => h('option', { value: l }, loc.langText(l))));
  const photoIn = h('input', { id: 'feed-photo', name: 'photo', type: 'file', accept: 'image/*', class: 'feed-file' });
  const alt = h('input', { id: 'feed-photo-alt', name: 'alt', type: 'text', maxlength: 300, dir: 'auto', autocomplete: 'off' });
  const preview = h('div', { class: 'feed-photo-preview', id: 'feed-photo-preview', hidden: true });
  const removePhoto = h('button', { type: 'button', class: 'feed-btn feed-quiet', id: 'feed-photo-remove', hidden: true }, t('feed.photoRemove'));
  const altField = field(h, t('feed.photoAlt'), alt);
  altField.hidden = true;

  const setPhoto = (p) => {
    photo = p;
    preview.replaceChildren();
    preview.hidden = removePhoto.hidden = altField.hidden = !p;
    if (p) {
      p.canvas.classList.add('feed-photo-canvas');
      preview.append(p.canvas, h('p', { class: 'feed-photo-clean', id: 'feed-photo-clean' },
        t('feed.photoCleaned', { w: p.width, h: p.height, size: loc.kb(p.bytes.length) })));
    }
  };
  photoIn.addEventListener('change', async () => {
    const file = photoIn.files && photoIn.files[0];
    photoIn.value = '';
    if (!file) return;
    const job = ++photoJob;
    setPhoto(null);
    preparing = true;
    say(t('feed.photoPreparing'), 'feed-busy');
    try {
      const p = await cleanPhoto(file);
      if (job !== photoJob) return;
      setPhoto(p);
      say('');
    } catch (err) {
      if (job !== photoJob) return;
      say(t(err instanceof PhotoError ? err.key : 'feed.photo.unreadable'), 'feed-error');
    } finally {
      if (job === photoJob) preparing = false;
    }
  });
  removePhoto.addEventListener('click', () => { photoJob++; preparing = false; setPhoto(null); say(''); });

  const noteFields = h('div', { class: 'feed-fields', id: 'feed-note-fields' }, field(h, t('feed.noteLabel'), note));
  const reportFields = h('div', { class: 'feed-fields', id: 'feed-report-fields' },
    field(h, t('feed.title'), title),
    field(h, t('feed.summary'), summary),
    field(h, t('feed.lang'), langSel),
    field(h, t('feed.body'), body, t('feed.bodyHelp')),
    h('div', { class: 'feed-field' },
      h('span', { class: 'feed-label' }, t('feed.photoLabel')),
      h('label', { for: 'feed-photo', class: 'feed-btn feed-file-btn' }, t('feed.photoAdd')), photoIn,
      h('p', { class: 'feed-help' }, t('feed.photoPrivacy')),
      preview, altField, removePhoto));

  const tabs = [['note', t('feed.kindNote')], ['report', t('feed.kindReport')]].map(([k, label]) =>
    h('button', { type: 'button', role: 'tab', class: 'feed-seg-btn', id: 'feed-kind-' + k, 'data-kind': k, on: { click: () => choose(k) } }, label));
  const choose = (k) => {
    kind = k;
    noteFields.hidden = k !== 'note';
    reportFields.hidden = k !== 'report';
    for (const b of tabs) b.setAttribute('aria-selected', String(b.dataset.kind === k));
    say('');
  };

  const submit = h('button', { type: 'submit', class: 'feed-btn feed-primary', id: 'feed-publish' }, t('feed.publish'));
  const form = h('form', { class: 'feed-compose', id: 'feed-compose', novalidate: true },
    h('div', { class: 'feed-seg', role: 'tablist' }, tabs),
    noteFields, reportFields, status,
    h('div', { class: 'feed-actions' },
      h('button', { type: 'button', class: 'feed-btn feed-quiet', id: 'feed-cancel', on: { click: () => ctx.back() } }, t('feed.cancel')),
      submit));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (busy) return;
    const problem = kind === 'report' && preparing ? 'feed.photoWait' : check();
    if (problem) { say(t(problem), 'feed-error'); return; }
    busy = true;
    submit.disabled = true;
    try {
      const ev = await publish();
      if (ev) done(ev);
    } finally {
      busy = false;
      submit.disabled = false;
    }
  });

  function check() {
    if (kind === 'note') return note.value.trim() === '' ? 'feed.err.noteEmpty' : '';
    const tt = title.value.trim();
    if (tt === '') return 'feed.err.noTitle';
    if ([...tt].length > MAX_TITLE) return 'feed.err.titleLong';
    if ([...summary.value.trim()].length > MAX_SUMMARY) return 'feed.err.summaryLong';
    if (body.value.trim() === '') return 'feed.err.noBody';
    if (!/^[a-z]{2}$/.test(langSel.value)) return 'feed.err.lang';
    return '';
  }

  // publish signs and sends; it returns the event the node took, or null
  // after saying why not.
  async function publish() {
    const now = Math.floor(Date.now() / 1000);
    let template;
    if (kind === 'note') {
      template = { kind: KIND_NOTE, created_at: now, tags: [], content: note.value.trim() };
    } else {
      let content = body.value.trim();
      const tags = [['d', randomD()], ['title', title.value.trim().replace(/\s+/g, ' ')]];
      if (summary.value.trim()) tags.push(['summary', summary.value.trim()]);
      tags.push(['L', LANG_NAMESPACE], ['l', langSel.value, LANG_NAMESPACE]);
      if (photo) {
        say(t('feed.photoSending'), 'feed-busy');
        let up;
        try {
          up = await api.uploadBlob(photo.bytes, photo.type);
        } catch (err) {
          say(t(uploadErrorKey(err)), 'feed-error', err?.reason || err?.message);
          return null;
        }
        if (!up || String(up.sha256).toLowerCase() !== photo.sha256) {
          say(t('feed.upload.mismatch'), 'feed-error');
          return null;
        }
        const url = blobURL(up.url, photo.sha256);
        const a = alt.value.trim().replace(/\s+/g, ' ');
        content += `\n\n![${a.replace(/[[\]\\]/g, '')}](${url})`;
        const im = ['imeta', 'url ' + url, 'x ' + photo.sha256, 'm ' + photo.type, 'size ' + photo.bytes.length, `dim ${photo.width}x${photo.height}`];
        if (a) im.push('alt ' + a);
        tags.push(im);
      }
      tags.push(['published_at', String(now)]);
      template = { kind: KIND_REPORT, created_at: now, tags, content };
    }
    let ev;
    try {
      ev = await api.sign(template);
    } catch {
      say(t('feed.err.sign'), 'feed-error');
      return null;
    }
    say(t('feed.sending'), 'feed-busy');
    const slow = setTimeout(() => say(t('feed.waitingNode'), 'feed-busy'), SLOW);
    let res;
    try {
      res = await api.publish(ev);
    } catch (err) {
      say(t('feed.err.send'), 'feed-error', err?.message);
      return null;
    } finally {
      clearTimeout(slow);
    }
    if (!res || !res.ok) {
      say(t(refusalKey(res?.message)), 'feed-error', res?.message);
      return null;
    }
    say(t('feed.published'), 'feed-ok');
    return ev;
  }

  view.replaceChildren(h('div', { class: 'feed-bar' },
    h('button', { type: 'button', class: 'feed-btn feed-back', id: 'feed-back', on: { click: () => ctx.back() } }, '← ' + t('feed.back')),
    h('h2', { class: 'feed-bar-title' }, t('feed.write'))), form);
  choose(kind);
  (kind === 'note' ? note : title).focus();
}

function field(h, label, control, help) {
  return h('div', { class: 'feed-field' },
    h('label', { for: control.id, class: 'feed-label' }, label), control,
    help ? h('p', { class: 'feed-help' }, help) : null);
}
