// One conversation: #/chat/<who>, where who is a contact's name, an npub,
// a group's name, or a room (members' keys joined by ","). Outgoing
// messages show how far they got: queued, carried, delivered; the marks
// change in place as the node learns more.
import { t } from '../i18n.js';
import * as api from '../api.js';
import { el, page, showError, clearErrors, busy, when, bytes, toast } from '../ui.js';
import { nameBook, avatar, needIdentity, stateMark, STATES, stateHelp } from './people-common.js';
import { trustMark } from '../trust.js';

function sameSet(a, b) {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

function fileName(f) { return f.name || t('people.file'); }

// openFile fetches an attachment's sealed blob and opens it here: the
// key is in the message, so the node never sees the file in the clear.
async function openFile(f, box, button) {
  const r = await fetch('/api/v1/blob?sha256=' + encodeURIComponent(f.sha256), { headers: { Authorization: 'Bearer ' + api.token() }, cache: 'no-store' });
  if (!r.ok) throw new Error(r.status === 404 ? t('file.missing') : t('chat.fileFailed'));
  const hex = (h) => new Uint8Array(h.match(/../g).map((x) => parseInt(x, 16)));
  const key = await crypto.subtle.importKey('raw', hex(f.key), 'AES-GCM', false, ['decrypt']);
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: hex(f.nonce) }, key, await r.arrayBuffer());
  const type = /^image\/(png|jpeg|gif|webp)$/.test(f.type) ? f.type : 'application/octet-stream';
  const u = URL.createObjectURL(new Blob([plain], { type }));
  if (type.startsWith('image/')) {
    button.replaceWith(el('img', { class: 'msg-image', src: u, alt: fileName(f) }));
    return;
  }
  const a = el('a', { href: u, download: fileName(f), hidden: true });
  box.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(u), 60000);
}

function day(sec) {
  const d = new Date(sec * 1000);
  return d.getFullYear() + '-' + d.getMonth() + '-' + d.getDate();
}

export default {
  async render(root, ctx) {
    const who = ctx.params.join('/');
    const back = el('a', { class: 'btn btn-quiet', href: '#/chats', id: 'chat-back' }, '← ' + t('nav.chats'));
    const missing = needIdentity(ctx);
    if (missing) { page(root, t('nav.chat'), back).append(missing); return; }
    if (!who) return ctx.go('/chats');

    const q = '/api/v1/chat?with=' + encodeURIComponent(who);
    const [chat, people, groups] = await Promise.all([api.get(q), api.get('/api/v1/people'), api.get('/api/v1/groups')]);
    const room = chat.room;
    const me = ctx.me.pubkey;
    const others = room.split(',').filter((k) => k !== me);
    const names = nameBook(people, ctx.me);
    const group = others.length > 1 ? groups.find((g) => sameSet(g.members, others)) : null;
    const subject = [...chat.messages].reverse().find((m) => m.subject)?.subject || '';
    const isGroup = others.length > 1;
    const title = group?.name || (isGroup ? subject || others.map(names).join(', ') : names(others[0]));
    const contact = !isGroup && people.find((p) => p.pubkey === others[0] && p.private);
    // Where each of the others stands: someone who is not a contact may
    // still be followed by several of them.
    let trusts = {};
    try { trusts = await api.post('/api/v1/trust', { pubkeys: others }); } catch { /* the marks are a help, not a need */ }

    const body = page(root, title, back);
    root.querySelector('.page-head h1')?.prepend(avatar(title));
    const info = el('div', { class: 'chat-info muted small', id: 'chat-info' },
      isGroup ? t('chat.members', { names: others.map(names).join(', ') }) : trustMark(trusts[others[0]]), ' ',
      isGroup ? null
        : contact ? (contact.verified
          ? el('span', { class: 'badge badge-ok' }, t('people.verified'))
          : el('span', {}, el('span', { class: 'badge badge-warn' }, t('people.notVerified')), ' ',
            el('a', { href: '#/contacts/' + contact.npub, id: 'chat-check-safety' }, t('chat.checkSafety'))))
          : el('span', { class: 'badge badge-warn' }, t('chat.notContact')));

    const legend = el('details', { class: 'chat-legend small', id: 'chat-legend' },
      el('summary', {}, t('chat.legend')),
      el('ul', {}, STATES.map((s) => el('li', {}, stateMark(s), ' — ', stateHelp(s)))));

    const list = el('div', { class: 'chat-log', id: 'chat-messages', role: 'log', 'aria-live': 'polite' });
    const input = el('textarea', { id: 'chat-input', name: 'text', rows: 2, placeholder: t('chat.placeholder'), 'aria-label': t('chat.placeholder') });
    const send = el('button', { type: 'submit', class: 'btn btn-primary', id: 'chat-send' }, t('chat.send'));
    const attach = el('input', { type: 'file', id: 'chat-file', name: 'file', class: 'visually-hidden' });
    const attachLabel = el('label', { for: 'chat-file', class: 'btn chat-attach', title: t('chat.attach') }, t('chat.attachShort'));
    const chosen = el('p', { class: 'help chat-chosen', id: 'chat-chosen', hidden: true });
    attach.addEventListener('change', () => {
      const f = attach.files[0];
      chosen.hidden = !f;
      chosen.textContent = f ? t('chat.attached', { name: f.name, size: bytes(f.size) }) : '';
    });
    const form = el('form', { class: 'chat-send', id: 'chat-form' },
      chosen,
      el('div', { class: 'chat-send-row', 'data-field': 'text' }, attach, attachLabel, input, send),
      el('p', { class: 'help' }, t('chat.sendHelp')));
    body.append(info, list, legend, form);

    const bubbles = new Map(); // message id -> element
    let lastDay = '';

    function bubble(m) {
      const out = m.outgoing;
      return el('div', {
        class: 'msg ' + (out ? 'msg-out' : 'msg-in') + (m.warning ? ' msg-warn' : ''),
        'data-id': m.id, 'data-state': m.state || '', 'data-from': m.from,
      },
      isGroup && !out ? el('div', { class: 'msg-from' }, names(m.from), ' ', trustMark(trusts[m.from], { onlyOthers: true })) : null,
      m.warning ? el('p', { class: 'warning msg-warning', role: 'alert' }, '⚠ ', t('chat.warning'), ' ', m.warning) : null,
      m.text ? el('div', { class: 'msg-text' }, m.text) : null,
      m.file ? fileBox(m.file) : null,
      el('div', { class: 'msg-meta small' },
        el('time', { datetime: new Date(m.at * 1000).toISOString() }, when(m.at)),
        out && m.state ? stateMark(m.state) : null,
        out && isGroup && m.delivered_to?.length ? el('span', { class: 'muted', title: m.delivered_to.map(names).join(', ') },
          t('chat.deliveredTo', { n: m.delivered_to.length, of: others.length })) : null));
    }

    function fileBox(f) {
      const open = el('button', { type: 'button', class: 'btn msg-file-open' }, t('chat.openFile'));
      const box = el('div', { class: 'msg-file' }, el('span', {}, el('strong', {}, t('chat.fileLabel')), ' ', fileName(f), ' ', el('span', { class: 'muted small' }, bytes(f.size || 0))), open);
      open.addEventListener('click', () => busy(open, openFile(f, box, open)).catch((err) => toast(err.message, 'error')));
      return box;
    }

    // upsert adds a message or replaces its bubble (a state changed).
    function upsert(m) {
      const old = bubbles.get(m.id);
      const b = bubble(m);
      bubbles.set(m.id, b);
      if (old) { old.replaceWith(b); return false; }
      const empty = list.querySelector('.chat-empty');
      if (empty) empty.remove();
      const d = day(m.at);
      if (d !== lastDay) {
        lastDay = d;
        list.append(el('div', { class: 'day-sep muted small' },
          new Date(m.at * 1000).toLocaleDateString(document.documentElement.lang || undefined, { year: 'numeric', month: 'long', day: 'numeric' })));
      }
      list.append(b);
      return true;
    }

    function scrollDown() { window.scrollTo({ top: document.body.scrollHeight }); }

    if (!chat.messages.length) list.append(el('p', { class: 'chat-empty muted' }, t('chat.empty')));
    for (const m of chat.messages) upsert(m);
    requestAnimationFrame(scrollDown);

    // Where a message goes: the group by name if we know it, else the
    // people in the room (a group someone else made keeps its subject).
    function target() {
      if (group) return { group: group.name };
      if (isGroup) return { to: others, subject };
      return { to: [others[0]] };
    }

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      const text = input.value.trim();
      const f = attach.files[0];
      if (!text && !f) return input.focus();
      try {
        const m = await busy(send, (async () => {
          let file;
          if (f) {
            // Header values must be Latin-1: the API takes the name percent-encoded.
            file = await api.upload('/api/v1/files', f, { 'X-File-Name': encodeURIComponent(f.name) });
          }
          return api.post('/api/v1/dm', { ...target(), text, file });
        })());
        input.value = '';
        attach.value = '';
        chosen.hidden = true;
        upsert(m);
        scrollDown();
      } catch (err) {
        showError(form, err, 'text');
      }
      input.focus();
    });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
    });

    // Live: new and changed messages of this room. Incoming ones are
    // marked read by asking for the conversation again.
    let reread = null;
    ctx.onLive((a) => {
      if (a.type !== 'message' || !a.message || a.message.room !== room) return;
      if (a.identity && a.identity !== ctx.me.name) return;
      const near = window.innerHeight + window.scrollY >= document.body.scrollHeight - 120;
      if (upsert(a.message) && near) scrollDown();
      if (!a.message.outgoing && !reread) {
        reread = setTimeout(() => { reread = null; api.get(q).catch(() => {}); }, 500);
      }
    });
    input.focus({ preventScroll: true });
  },
};
