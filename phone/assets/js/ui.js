// DOM helpers. Content is always set as text: el() has no way to set
// innerHTML, and refuses event-handler attributes, so a name or a message
// from anyone shows as the characters it is.
import { t, lang } from './i18n.js';

// el(tag, attrs, ...children): attrs are attributes, except "on" (an
// object of event listeners), "class", and "value"/"checked" (set as
// properties). Children are nodes or strings (as text); null, undefined
// and false are skipped; arrays are flattened.
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'on') {
      for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    } else if (/^on/i.test(k) || k === 'innerHTML' || k === 'outerHTML' || k === 'srcdoc' || k === 'style') {
      throw new Error('el: refusing attribute ' + k);
    } else if (k === 'class') {
      e.className = v;
    } else if (k === 'value' || k === 'checked') {
      e[k] = v;
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

// user is text that comes from people or events, not from the catalogue
// (a name, a message, a key, a number, a time): it is marked so the
// language tests know it is not the page's own words.
export function user(text, tag = 'span', attrs = {}) {
  return el(tag, { ...attrs, 'data-user': '' }, text);
}

// clear empties a node and returns it.
export function clear(node) { node.replaceChildren(); return node; }

let fieldSeq = 0;

// field is a labelled form control, with a help text and a slot for an
// error (fieldError fills it).
export function field(label, control, help) {
  const id = control.id || (control.id = 'f' + (++fieldSeq));
  const err = el('p', { class: 'field-error', id: id + '-err', role: 'alert', hidden: true });
  const helpEl = help ? el('p', { class: 'help', id: id + '-help' }, help) : null;
  control.setAttribute('aria-describedby', [helpEl && helpEl.id, err.id].filter(Boolean).join(' '));
  return el('div', { class: 'field' }, el('label', { for: id }, label), control, helpEl, err);
}

// fieldError shows text under control (or hides the slot when text is
// empty).
export function fieldError(control, text) {
  const slot = document.getElementById(control.id + '-err');
  if (!slot) return;
  slot.textContent = text || '';
  slot.hidden = !text;
  if (text) { control.setAttribute('aria-invalid', 'true'); control.focus(); } else control.removeAttribute('aria-invalid');
}

// button is a button with a label and a click handler.
export function button(label, onclick, attrs = {}) {
  return el('button', { type: 'button', ...attrs, on: { click: onclick } }, label);
}

// busy disables a button while promise runs, and shows text on it if
// given (scrypt and QR decoding take seconds on a phone).
export async function busy(btn, promise, text) {
  const label = btn.textContent;
  btn.disabled = true;
  btn.setAttribute('aria-busy', 'true');
  if (text) btn.textContent = text;
  try { return await promise; } finally {
    btn.disabled = false; btn.removeAttribute('aria-busy');
    if (text) btn.textContent = label;
  }
}

// nextFrame resolves once the browser has painted what is on screen now:
// before a long computation, so the person sees that it started.
export function nextFrame() {
  return new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
}

// toast shows a short message at the bottom of the screen.
export function toast(text, kind = 'ok') {
  let box = document.getElementById('toasts');
  if (!box) { box = el('div', { id: 'toasts', class: 'toasts', 'aria-live': 'polite' }); document.body.append(box); }
  const n = el('div', { class: 'toast toast-' + kind, role: kind === 'error' ? 'alert' : 'status' }, text);
  box.append(n);
  setTimeout(() => n.remove(), 5000);
}

// sheet shows a panel over the screen with a title, content and buttons;
// it resolves to the value of the button chosen (or null when dismissed).
// buttons: [[label, value, className], ...].
export function sheet(title, content, buttons) {
  return new Promise((resolve) => {
    const back = el('div', { class: 'sheet-back' });
    const done = (v) => { back.remove(); document.removeEventListener('keydown', onKey); resolve(v); };
    const onKey = (e) => { if (e.key === 'Escape') done(null); };
    const panel = el('div', { class: 'sheet', role: 'dialog', 'aria-modal': 'true', 'aria-label': title },
      el('h2', {}, title),
      content,
      el('div', { class: 'sheet-buttons' }, buttons.map(([label, value, cls]) => button(label, () => done(value), { class: cls || '' }))));
    back.append(panel);
    back.addEventListener('click', (e) => { if (e.target === back) done(null); });
    document.addEventListener('keydown', onKey);
    document.body.append(back);
    panel.querySelector('button')?.focus();
  });
}

// confirm asks a yes/no question in a sheet.
export async function confirm(title, text, yes, danger) {
  const v = await sheet(title, el('p', {}, text), [[yes, true, danger ? 'danger' : 'primary'], [t('common.cancel'), false, 'quiet']]);
  return v === true;
}

// when formats unix seconds for people, in the page's language.
export function when(sec) {
  if (!sec) return '';
  const d = new Date(sec * 1000);
  const near = Math.abs(Date.now() - d) < 20 * 3600 * 1000;
  const opts = near ? { hour: '2-digit', minute: '2-digit' } : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' };
  try { return d.toLocaleString(lang(), opts); } catch { return d.toISOString(); }
}

// selectable is a read-only text box whose text is chosen at a touch, for
// copying by hand: navigator.clipboard needs a secure context, which a
// page over plain http:// on a LAN is not.
export function selectable(text, rows = 3, attrs = {}) {
  const ta = el('textarea', { ...attrs, readonly: true, rows, class: 'selectable', spellcheck: 'false', autocapitalize: 'off', 'data-user': '' });
  ta.value = text;
  ta.addEventListener('focus', () => ta.select());
  return ta;
}

// copyButton copies the text of a selectable box (document.execCommand
// works where navigator.clipboard does not: over plain http://).
export function copyButton(box) {
  return button(t('common.copy'), () => {
    box.focus();
    box.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    toast(ok ? t('common.copied') : t('common.copyByHand'), ok ? 'ok' : 'warn');
  }, { class: 'quiet' });
}
