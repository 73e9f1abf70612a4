// DOM helpers. Content is always set as text: el() has no way to set
// innerHTML, and refuses event-handler attributes.
import { t, lang, has } from './i18n.js';
import { ApiError, objectURL } from './api.js';

// el(tag, attrs, ...children): attrs are attributes, except "on" (an
// object of event listeners) and "class". Children are nodes or strings
// (as text); null and false are skipped; arrays are flattened.
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'on') {
      for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    } else if (/^on/i.test(k) || k === 'innerHTML' || k === 'srcdoc') {
      throw new Error('el: refusing attribute ' + k);
    } else if (k === 'class') {
      e.className = v;
    } else if (v === true) {
      e.setAttribute(k, '');
    } else {
      e.setAttribute(k, String(v));
    }
  }
  append(e, children);
  return e;
}

function append(e, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(e, c);
    else e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// clear empties a node and returns it.
export function clear(node) { node.replaceChildren(); return node; }

// field is a labelled form control with a slot for the API's message.
// name identifies it to showError.
export function field(label, control, help) {
  const id = control.id || (control.id = 'f-' + Math.random().toString(36).slice(2, 9));
  const err = el('p', { class: 'field-error', id: id + '-err', role: 'alert', hidden: true });
  control.setAttribute('aria-describedby', id + '-err');
  return el('div', { class: 'field', 'data-field': control.name || '' },
    el('label', { for: id }, label), control, help ? el('p', { class: 'help' }, help) : null, err);
}

// showError puts an API error next to the form's field named name (or at
// the top of the form when there is none), with the API's own words.
export function showError(form, err, name) {
  clearErrors(form);
  const f = name && form.querySelector(`[data-field="${CSS.escape(name)}"] .field-error`);
  const slot = f || form.querySelector(':scope > .form-error') || form.prepend(el('p', { class: 'form-error', role: 'alert' })) || form.querySelector(':scope > .form-error');
  slot.textContent = errorText(err);
  slot.hidden = false;
  const input = f && f.parentElement.querySelector('input,textarea,select');
  if (input) { input.setAttribute('aria-invalid', 'true'); input.focus(); }
}

export function clearErrors(form) {
  for (const e of form.querySelectorAll('.field-error, .form-error')) { e.textContent = ''; e.hidden = true; }
  for (const e of form.querySelectorAll('[aria-invalid]')) e.removeAttribute('aria-invalid');
}

// detailCodes are the API's codes whose meaning depends on the node's
// message: the catalogue's sentence introduces it.
const detailCodes = new Set(['invalid', 'refused', 'internal']);

// errorText is what a person reads for an error: the catalogue's words
// for the API's code (docs/api.md), with the node's message where the
// code alone does not say enough; the API's message and hint for a code
// the catalogue does not know; a plain sentence when the node is not
// answering.
export function errorText(err) {
  if (err instanceof ApiError) {
    if (err.code === 'down') return t('error.down');
    if (err.code && has('error.code.' + err.code)) {
      const s = t('error.code.' + err.code);
      return detailCodes.has(err.code) ? `${s} ${err.message}` : s;
    }
    return err.hint ? `${err.message}. ${err.hint}` : err.message;
  }
  return String(err?.message || err);
}

// busy disables a button while promise runs.
export async function busy(button, promise) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try { return await promise; } finally { button.disabled = false; button.removeAttribute('aria-busy'); }
}

// toast shows a short message at the bottom of the screen.
export function toast(text, kind = 'ok') {
  let box = document.getElementById('toasts');
  if (!box) { box = el('div', { id: 'toasts', class: 'toasts', 'aria-live': 'polite' }); document.body.append(box); }
  const n = el('div', { class: 'toast toast-' + kind }, text);
  box.append(n);
  setTimeout(() => n.remove(), 5000);
}

// when formats unix seconds for people.
export function when(sec) {
  if (!sec) return '';
  const d = new Date(sec * 1000);
  const now = Date.now();
  const opts = Math.abs(now - d) < 86400000 ? { hour: '2-digit', minute: '2-digit' } : { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
  try { return d.toLocaleString(lang(), opts); } catch { return d.toISOString(); }
}

// bytes formats a size.
export function bytes(n) {
  if (n < 1024) return n + ' B';
  const u = ['KB', 'MB', 'GB', 'TB'];
  let i = -1;
  do { n /= 1024; i++; } while (n >= 1024 && i < u.length - 1);
  return n.toFixed(n < 10 ? 1 : 0) + ' ' + u[i];
}

// short abbreviates a key or id: npub1abcd…wxyz.
export function short(s) { s = String(s || ''); return s.length > 20 ? s.slice(0, 10) + '…' + s.slice(-6) : s; }

// blobImage returns an <img> that loads a held blob with the API token.
export function blobImage(sha256, alt, cls) {
  const img = el('img', { alt: alt || '', class: cls || '' });
  objectURL('/api/v1/blob?sha256=' + encodeURIComponent(sha256)).then((u) => { img.src = u; }, () => { img.replaceWith(el('span', { class: 'missing' }, t('file.missing'))); });
  return img;
}

// confirmDialog asks a yes/no question in a modal <dialog>; it resolves
// true only for the confirm button.
export function confirmDialog(title, text, confirmLabel, danger) {
  return new Promise((resolve) => {
    const d = el('dialog', { class: 'dialog' },
      el('h2', {}, title), el('p', {}, text),
      el('div', { class: 'actions' },
        el('button', { type: 'button', class: 'btn', on: { click: () => { d.close(); resolve(false); } } }, t('common.cancel')),
        el('button', { type: 'button', class: danger ? 'btn btn-danger' : 'btn btn-primary', on: { click: () => { d.close(); resolve(true); } } }, confirmLabel)));
    d.addEventListener('close', () => { d.remove(); resolve(false); });
    document.body.append(d);
    d.showModal();
  });
}

// page sets the screen's title and returns its body element.
export function page(root, title, ...tools) {
  document.title = title + ' · Caravan';
  clear(root);
  const body = el('div', { class: 'page-body' });
  root.append(el('div', { class: 'page-head' }, el('h1', {}, title), el('div', { class: 'page-tools' }, tools)), body);
  return body;
}
