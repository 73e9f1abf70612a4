// Bundles: what the node holds, in one encrypted file to carry on a USB
// stick or SD card, and reading such a file from someone else.
import { t } from '../i18n.js';
import * as api from '../api.js';
import { el, clear, page, field, showError, clearErrors, busy, toast, bytes, when, short } from '../ui.js';
import { section, fromMB, nameBook } from './people-common.js';

function filename(headers) {
  const m = /filename="([^"]+)"/.exec(headers.get('Content-Disposition') || '');
  return m ? m[1] : 'caravan.bundle';
}

function save(blob, name) {
  const u = URL.createObjectURL(blob);
  const a = el('a', { href: u, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(u), 60000);
}

// facts is a list of plain sentences, skipping empty ones.
function facts(id, items) {
  return el('ul', { class: 'facts', id }, items.filter(Boolean).map((x) => el('li', {}, x)));
}

export default {
  nav: 'nav.bundles',
  async render(root, ctx) {
    const body = page(root, t('nav.bundles'));
    body.append(el('p', { class: 'muted intro' }, t('bundles.intro')));
    const [people, peers] = await Promise.all([
      ctx.me ? api.get('/api/v1/people').catch(() => []) : [],
      api.get('/api/v1/peers').catch(() => [])]);
    const contacts = people.filter((p) => p.private);
    const names = nameBook(people, ctx.me);

    // Export.
    const forSel = el('select', { id: 'bundle-for', name: 'for' },
      el('option', { value: '' }, t('bundles.forAnyone')),
      contacts.length ? el('optgroup', { label: t('bundles.forContacts') }, contacts.map((p) => el('option', { value: p.npub }, p.petname || short(p.npub)))) : null,
      peers.filter((p) => p.configured).length ? el('optgroup', { label: t('bundles.forPeers') },
        peers.filter((p) => p.configured).map((p) => el('option', { value: p.url }, p.url))) : null);
    const pass = el('input', { type: 'password', id: 'bundle-pass', name: 'passphrase', autocomplete: 'new-password' });
    const toBoxes = contacts.map((p) => el('label', { class: 'check member' },
      el('input', { type: 'checkbox', name: 'to', value: p.npub }), p.petname || short(p.npub)));
    const since = el('input', { type: 'date', id: 'bundle-since', name: 'since' });
    const max = el('input', { type: 'number', id: 'bundle-max', name: 'max', min: 0, step: 'any', inputmode: 'decimal', placeholder: t('bundles.noLimit') });
    const exportBtn = el('button', { type: 'submit', class: 'btn btn-primary', id: 'bundle-export' }, t('bundles.export'));
    const made = el('div', { id: 'bundle-made', 'aria-live': 'polite' });
    const exportForm = el('form', { id: 'bundle-export-form' },
      field(t('bundles.for'), forSel, t('bundles.forHelp')),
      field(t('bundles.passphrase'), pass, t('bundles.passphraseHelp')),
      contacts.length ? el('fieldset', { class: 'members', 'data-field': 'to', id: 'bundle-to' },
        el('legend', {}, t('bundles.to')), el('p', { class: 'help' }, t('bundles.toHelp')), toBoxes,
        el('p', { class: 'field-error', role: 'alert', hidden: true })) : null,
      el('div', { class: 'two' },
        field(t('bundles.since'), since, t('bundles.sinceHelp')),
        field(t('bundles.max'), max, t('bundles.maxHelp'))),
      el('div', { class: 'actions' }, exportBtn),
      made);
    exportForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(exportForm);
      clear(made);
      const to = toBoxes.map((b) => b.firstChild).filter((c) => c.checked).map((c) => c.value);
      if (!pass.value && !to.length) return showError(exportForm, new Error(t('bundles.lockNeeded')), 'passphrase');
      const req = { for: forSel.value || undefined, passphrase: pass.value || undefined, to: to.length ? to : undefined };
      if (since.value) req.since = Math.floor(new Date(since.value + 'T00:00:00').getTime() / 1000);
      if (max.value) {
        if (!(Number(max.value) > 0)) return showError(exportForm, new Error(t('bundles.maxBad')), 'max');
        req.max = fromMB(max.value);
      }
      try {
        const { blob, headers } = await busy(exportBtn, api.download('/api/v1/bundle/download', req));
        let m = {};
        try { m = JSON.parse(headers.get('X-Bundle-Made') || '{}'); } catch { /* described below without it */ }
        const name = filename(headers);
        save(blob, name);
        made.append(el('div', { class: 'result ok' },
          el('h3', {}, t('bundles.made', { name })),
          facts('bundle-made-facts', [
            t('bundles.madeEvents', { n: m.events ?? 0 }),
            m.blobs ? t('bundles.madeBlobs', { n: m.blobs, size: bytes(m.blob_bytes || 0) }) : '',
            t('bundles.madeSize', { size: bytes(m.bytes ?? blob.size) }),
            m.left_events || m.left_blobs ? t('bundles.madeLeft', { events: m.left_events || 0, blobs: m.left_blobs || 0 }) : '',
            m.unconfirmed ? t('bundles.madeKnown', { n: m.unconfirmed }) : '',
            m.signed ? t('bundles.madeSigned') : t('bundles.madeUnsigned'),
            (m.opens || []).length ? t('bundles.madeOpens', { ways: m.opens.map((o) => opener(o, names)).join('; ') }) : '']),
          el('p', { class: 'help' }, t('bundles.madeHelp'))));
        pass.value = '';
      } catch (err) {
        const where = /passphrase|recipient/i.test(err.message) ? (to.length && /recipient/i.test(err.message) ? 'to' : 'passphrase')
          : /max|size/i.test(err.message) ? 'max' : /for|peer|contact/i.test(err.message) ? 'for' : null;
        showError(exportForm, err, where);
      }
    });

    // Import.
    const file = el('input', { type: 'file', id: 'bundle-file', name: 'file', required: true });
    const ipass = el('input', { type: 'password', id: 'bundle-import-pass', name: 'passphrase', autocomplete: 'off' });
    const importBtn = el('button', { type: 'submit', class: 'btn btn-primary', id: 'bundle-import' }, t('bundles.import'));
    const read = el('div', { id: 'bundle-read', 'aria-live': 'polite' });
    const importForm = el('form', { id: 'bundle-import-form' },
      field(t('bundles.file'), file, t('bundles.fileHelp')),
      field(t('bundles.importPass'), ipass, t('bundles.importPassHelp')),
      el('div', { class: 'actions' }, importBtn),
      read);
    importForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(importForm);
      clear(read);
      const f = file.files[0];
      if (!f) return showError(importForm, new Error(t('bundles.fileNeeded')), 'file');
      try {
        const r = await busy(importBtn, api.upload('/api/v1/bundle/upload', f, { 'X-Bundle-Passphrase': encodeURIComponent(ipass.value) }));
        read.append(describeRead(r, names));
        ipass.value = '';
      } catch (err) {
        showError(importForm, err, /open|passphrase|key/i.test(err.message) ? 'passphrase' : 'file');
      }
    });

    body.append(el('div', { class: 'ppl-grid' },
      section(t('bundles.exportTitle'), { id: 'bundle-export-section' }, el('p', { class: 'help' }, t('bundles.exportHelp')), exportForm),
      section(t('bundles.importTitle'), { id: 'bundle-import-section' }, el('p', { class: 'help' }, t('bundles.importHelp')), importForm)));
  },
};

// opener names one way a bundle opens: the passphrase, or a person by the
// name the user gave them (else their key, with the name they give
// themselves, if known).
function opener(o, names) {
  if (o.passphrase) return t('bundles.opensPassphrase');
  const key = short(o.npub), name = names(o.pubkey);
  if (name !== key) return `${name} (${key})`;
  return o.profile ? t('bundles.opensProfile', { npub: key, name: o.profile }) : key;
}

// describeRead says in plain words what a bundle gave, and what it could
// not give.
function describeRead(r, names) {
  const lost = r.lost || {};
  const kinds = Object.entries(lost.by_kind || {}).map(([k, n]) => `${k}: ${n}`).join(', ');
  const why = Object.entries(r.why || {}).map(([k, n]) => `${k}: ${n}`).join(', ');
  const anyLost = (lost.missing_parts || []).length || lost.frames || lost.events || lost.unlisted || lost.unlisted_blobs || (lost.blobs || []).length || lost.bad_records;
  return el('div', { class: 'result ' + (anyLost ? 'warn' : 'ok') },
    el('h3', {}, anyLost ? t('bundles.readDamaged') : t('bundles.readOK')),
    facts('bundle-read-facts', [
      t('bundles.readEvents', { n: r.events || 0, stored: r.stored || 0, held: r.held || 0 }),
      r.refused ? t('bundles.readRefused', { n: r.refused }) + (why ? ` (${why})` : '') : '',
      r.blobs ? t('bundles.readBlobs', { n: r.blobs, size: bytes(r.blob_bytes || 0) }) : '',
      Object.keys(r.blobs_refused || {}).length ? t('bundles.readBlobsRefused', { n: Object.keys(r.blobs_refused).length }) : '',
      r.from ? t('bundles.readFrom', { who: names(r.from) }) : '',
      r.proof_error ? t('bundles.readProof', { error: r.proof_error }) : '',
      r.created_at ? t('bundles.readMade', { when: when(r.created_at) }) : '',
      r.read_before ? t('bundles.readBefore', { when: when(r.read_before) }) : '',
      r.confirmed ? t('bundles.readConfirmed', { n: r.confirmed }) : '']),
    anyLost ? el('div', { class: 'lost', id: 'bundle-lost' },
      el('h4', {}, t('bundles.lostTitle')),
      facts('bundle-lost-facts', [
        (lost.missing_parts || []).length ? t('bundles.lostParts', { parts: lost.missing_parts.join(', ') }) : '',
        lost.frames ? t('bundles.lostFrames', { n: lost.frames, size: bytes(lost.bytes || 0) }) : '',
        lost.events ? t('bundles.lostEvents', { n: lost.events, held: lost.held_anyway || 0 }) + (kinds ? ` (${kinds})` : '') : '',
        lost.unlisted ? t('bundles.lostUnlisted', { n: lost.unlisted }) : '',
        lost.unlisted_blobs || (lost.blobs || []).length ? t('bundles.lostBlobs', { n: (lost.unlisted_blobs || 0) + (lost.blobs || []).length }) : '',
        lost.bad_records ? t('bundles.lostRecords', { n: lost.bad_records }) : '']),
      el('p', { class: 'help' }, t('bundles.lostHelp'))) : null);
}
