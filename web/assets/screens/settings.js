// Settings: what this node carries for others, local network discovery,
// delivery receipts, the passphrase, and the emergency erase.
import { t, lang } from '../i18n.js';
import * as api from '../api.js';
import { el, clear, page, field, showError, clearErrors, busy, toast, bytes, errorText } from '../ui.js';
import { section, mb, fromMB } from './people-common.js';

function num(n) {
  try { return new Intl.NumberFormat(lang()).format(n); } catch { return String(n); }
}

// days reads a Go duration ("168h0m0s") as days.
function days(d) {
  if (typeof d === 'number') return d / 86400e9;
  const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?$/.exec(String(d || ''));
  if (!m) return 7;
  const h = Number(m[1] || 0) + Number(m[2] || 0) / 60 + Number(m[3] || 0) / 3600;
  return Math.round((h / 24) * 10) / 10;
}

function input(id, name, value, attrs = {}) {
  return el('input', { type: 'number', id, name, value: String(value), min: 0, step: 'any', inputmode: 'decimal', ...attrs });
}

export default {
  nav: 'nav.settings',
  async render(root, ctx) {
    const body = page(root, t('nav.settings'));
    const [settings, usage, receipts] = await Promise.all([
      api.get('/api/v1/settings'), api.get('/api/v1/policy'),
      ctx.me ? api.get('/api/v1/receipts').catch(() => null) : null]);
    const p = settings.policy;

    // What this node carries for others.
    const hops = el('select', { id: 'policy-hops', name: 'follow_hops' },
      el('option', { value: '1', selected: p.follow_hops === 1 }, t('settings.hops1')),
      el('option', { value: '2', selected: p.follow_hops !== 1 }, t('settings.hops2')));
    const wrapsN = input('policy-wraps-events', 'wraps_events', p.wraps?.events ?? 20000, { step: 1 });
    const wrapsMB = input('policy-wraps-mb', 'wraps_bytes', mb(p.wraps?.bytes ?? 64 << 20));
    const strN = input('policy-strangers-events', 'strangers_events', p.strangers?.events ?? 20000, { step: 1 });
    const strMB = input('policy-strangers-mb', 'strangers_bytes', mb(p.strangers?.bytes ?? 32 << 20));
    const window_ = input('policy-window-days', 'stranger_window', days(p.stranger_window));
    const noReports = el('input', { type: 'checkbox', id: 'policy-no-reports', name: 'no_reports', checked: !!p.no_reports });
    const maxBlob = input('policy-max-blob-mb', 'max_blob', mb(p.max_blob ?? 16 << 20));
    const blobs = input('policy-blobs-mb', 'blobs', mb(p.blobs ?? 1 << 30));
    const saveBtn = el('button', { type: 'submit', class: 'btn btn-primary', id: 'policy-save' }, t('common.save'));
    const policyForm = el('form', { id: 'policy-form' },
      el('p', { class: 'help' }, t('settings.carryIntro')),
      field(t('settings.hops'), hops, t('settings.hopsHelp')),
      el('fieldset', { class: 'group' }, el('legend', {}, t('settings.wraps')), el('p', { class: 'help' }, t('settings.wrapsHelp')),
        el('div', { class: 'two' }, field(t('settings.messages'), wrapsN), field(t('settings.mb'), wrapsMB))),
      el('fieldset', { class: 'group' }, el('legend', {}, t('settings.strangers')), el('p', { class: 'help' }, t('settings.strangersHelp')),
        el('div', { class: 'two' }, field(t('settings.events'), strN), field(t('settings.mb'), strMB)),
        field(t('settings.window'), window_, t('settings.windowHelp')),
        el('label', { class: 'check' }, noReports, el('span', {}, t('settings.noReports'), el('br'), el('span', { class: 'help' }, t('settings.noReportsHelp'))))),
      el('fieldset', { class: 'group' }, el('legend', {}, t('settings.files')), el('p', { class: 'help' }, t('settings.filesHelp')),
        el('div', { class: 'two' }, field(t('settings.maxBlob'), maxBlob), field(t('settings.blobs'), blobs))),
      el('div', { class: 'actions' }, saveBtn));
    policyForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(policyForm);
      for (const i of [wrapsN, wrapsMB, strN, strMB, window_, maxBlob, blobs]) {
        if (i.value === '' || !(Number(i.value) >= 0)) return showError(policyForm, new Error(t('settings.numberNeeded')), i.name);
      }
      // Fields this form does not show (set in config.json) are kept.
      const policy = {
        ...p,
        follow_hops: Number(hops.value),
        wraps: { events: Math.round(Number(wrapsN.value)), bytes: fromMB(wrapsMB.value) },
        strangers: { events: Math.round(Number(strN.value)), bytes: fromMB(strMB.value) },
        stranger_window: Math.round(Number(window_.value) * 24 * 60) + 'm',
        no_reports: noReports.checked,
        max_blob: fromMB(maxBlob.value),
        blobs: fromMB(blobs.value),
      };
      try {
        await busy(saveBtn, api.post('/api/v1/settings', { policy }));
        toast(t('settings.saved'));
        drawUsage(await api.get('/api/v1/policy'));
      } catch (err) {
        const m = err.message || '';
        showError(policyForm, err, /follow_hops/.test(m) ? 'follow_hops' : /private messages/.test(m) ? 'wraps_events'
          : /strangers'/.test(m) ? 'strangers_events' : /stranger_window/.test(m) ? 'stranger_window' : /attachment/.test(m) ? 'max_blob' : null);
      }
    });

    // How full it is.
    const usageBox = el('div', { id: 'policy-usage', class: 'usage' });
    function meter(label, used, cap, id) {
      const ev = el('progress', { max: cap.events || 1, value: Math.min(used.events, cap.events || 1) });
      const by = el('progress', { max: cap.bytes || 1, value: Math.min(used.bytes, cap.bytes || 1) });
      return el('div', { class: 'meter', id },
        el('strong', {}, label),
        el('div', { class: 'meter-row small' }, el('span', {}, t('settings.usageEvents', { used: num(used.events), cap: num(cap.events) })), ev),
        el('div', { class: 'meter-row small' }, el('span', {}, t('settings.usageBytes', { used: bytes(used.bytes), cap: bytes(cap.bytes) })), by));
    }
    function drawUsage(u) {
      const c = u.config;
      clear(usageBox).append(
        el('p', { class: 'small', id: 'policy-people' }, t('settings.usagePeople', { own: num(u.own), contacts: num(u.contacts), network: num(u.network) })),
        meter(t('settings.wraps'), u.usage.wraps, c.wraps, 'usage-wraps'),
        meter(t('settings.strangers'), u.usage.strangers, c.strangers, 'usage-strangers'),
        meter(t('settings.reportsUsage'), u.usage.reports, c.reports, 'usage-reports'),
        el('p', { class: 'small', id: 'usage-store' }, t('settings.store', { used: bytes(u.store_used), cap: bytes(u.store_quota) })));
    }
    drawUsage(usage);

    // Local network and receipts: applied as soon as they are ticked.
    const lan = el('input', { type: 'checkbox', id: 'settings-lan', name: 'lan', checked: settings.lan });
    lan.addEventListener('change', async () => {
      try {
        const s = await api.post('/api/v1/settings', { lan: lan.checked });
        lan.checked = s.lan;
        toast(s.lan ? t('settings.lanOn') : t('settings.lanOff'));
      } catch (err) { lan.checked = !lan.checked; toast(err.message, 'error'); }
    });
    const rcpt = el('input', { type: 'checkbox', id: 'settings-receipts', name: 'receipts', checked: receipts ? receipts.on : true, disabled: !ctx.me || !ctx.me.unlocked });
    rcpt.addEventListener('change', async () => {
      try {
        await api.post('/api/v1/receipts', { on: rcpt.checked });
        toast(rcpt.checked ? t('settings.receiptsOn') : t('settings.receiptsOff'));
      } catch (err) { rcpt.checked = !rcpt.checked; toast(err.message, 'error'); }
    });
    const switches = section(t('settings.privacy'), { id: 'settings-switches' },
      el('label', { class: 'check' }, lan, el('span', {}, t('settings.lan'), el('br'), el('span', { class: 'help' }, t('settings.lanHelp')))),
      !settings.lan_reachable ? el('p', { class: 'notice small', id: 'settings-lan-unreachable' }, t('settings.lanUnreachable')) : null,
      el('label', { class: 'check' }, rcpt, el('span', {}, t('settings.receipts'), el('br'), el('span', { class: 'help' }, t('settings.receiptsHelp')))));

    body.append(
      el('div', { class: 'ppl-grid' }, switches, ctx.me ? passphraseSection(ctx) : null),
      posterSection(),
      section(t('settings.carry'), { id: 'settings-carry' }, policyForm),
      section(t('settings.usage'), { id: 'settings-usage' }, el('p', { class: 'help' }, t('settings.usageHelp')), usageBox),
      panicSection(ctx));
  },
};

// posterSection shows the community poster (GET /api/v1/poster) and
// saves it as a picture or as a page to print. It asks GET community
// first: a node phones cannot reach says why, in the catalogue's words
// for the code, without a failed request.
function posterSection() {
  const box = el('div', { id: 'poster-box', class: 'poster-box', 'aria-live': 'polite' });
  const save = (format, name) => {
    const b = el('button', { type: 'button', class: 'btn', id: 'poster-save-' + format }, t('settings.poster.' + format));
    b.addEventListener('click', async () => {
      try {
        const u = URL.createObjectURL(await busy(b, api.blob('/api/v1/poster?format=' + format)));
        const a = el('a', { href: u, download: name, class: 'hidden-link' });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(u), 60000);
      } catch (err) { toast(errorText(err), 'error'); }
    });
    return b;
  };
  const unavailable = (text) => clear(box).append(el('p', { class: 'notice small', id: 'poster-unavailable' }, text));
  (async () => {
    try {
      const info = await api.get('/api/v1/community');
      if (!info.url) {
        unavailable(info.code ? t('error.code.' + info.code) : info.error);
        return;
      }
      const u = URL.createObjectURL(await api.blob('/api/v1/poster?format=png'));
      const img = el('img', { src: u, alt: t('settings.poster.alt'), id: 'poster-preview', class: 'poster-preview' });
      img.addEventListener('load', () => { img.dataset.loaded = '1'; URL.revokeObjectURL(u); }, { once: true });
      clear(box).append(
        el('p', {}, t('settings.poster.address'), ' ', el('code', { id: 'poster-url' }, info.url)),
        img,
        el('div', { class: 'actions' }, save('html', 'caravan-poster.html'), save('png', 'caravan-poster.png')));
    } catch (err) {
      unavailable(errorText(err));
    }
  })();
  return section(t('settings.poster.title'), { id: 'settings-poster' }, el('p', { class: 'help' }, t('settings.poster.help')), box);
}

function passphraseSection(ctx) {
  const enc = ctx.me.encrypted;
  const old = el('input', { type: 'password', id: 'pass-old', name: 'old', autocomplete: 'current-password' });
  const nw = el('input', { type: 'password', id: 'pass-new', name: 'new', autocomplete: 'new-password', required: true });
  const again = el('input', { type: 'password', id: 'pass-repeat', name: 'repeat', autocomplete: 'new-password', required: true });
  const btn = el('button', { type: 'submit', class: 'btn btn-primary', id: 'pass-save' }, enc ? t('settings.passChange') : t('settings.passSet'));
  const form = el('form', { id: 'passphrase-form' },
    el('p', { class: enc ? 'help' : 'notice small' }, enc ? t('settings.passHelp') : t('settings.passNone')),
    enc ? field(t('settings.passOld'), old) : null,
    field(t('settings.passNew'), nw, t('settings.passNewHelp')),
    field(t('settings.passRepeat'), again),
    el('div', { class: 'actions' }, btn));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    if (enc && !old.value) return showError(form, new Error(t('settings.passOldNeeded')), 'old');
    if (!nw.value) return showError(form, new Error(t('settings.passNewNeeded')), 'new');
    if (nw.value !== again.value) return showError(form, new Error(t('settings.passMismatch')), 'repeat');
    try {
      await busy(btn, api.post('/api/v1/identity/passphrase', { name: ctx.me.name, old: old.value, new: nw.value }));
      old.value = nw.value = again.value = '';
      toast(t('settings.passSaved'));
      await ctx.reloadMe();
      ctx.refresh();
    } catch (err) {
      showError(form, err, /old|wrong|incorrect|decrypt/i.test(err.message) && enc ? 'old' : 'new');
    }
  });
  return section(t('settings.passTitle'), { id: 'settings-passphrase' }, form);
}

// panicSection is the emergency erase, guarded by a dialog that needs a
// tick before its button works.
function panicSection(ctx) {
  const result = el('div', { id: 'panic-result', 'aria-live': 'assertive' });
  const open = el('button', { type: 'button', class: 'btn btn-danger', id: 'panic-open' }, t('settings.panicButton'));
  open.addEventListener('click', () => {
    const tick = el('input', { type: 'checkbox', id: 'panic-understand' });
    const go = el('button', { type: 'button', class: 'btn btn-danger', id: 'panic-confirm', disabled: true }, t('settings.panicConfirm'));
    const cancel = el('button', { type: 'button', class: 'btn', id: 'panic-cancel' }, t('common.cancel'));
    const err = el('p', { class: 'form-error', role: 'alert', hidden: true });
    const d = el('dialog', { class: 'dialog panic-dialog', id: 'panic-dialog' },
      el('h2', {}, t('settings.panicDialogTitle')),
      el('p', {}, t('settings.panicDialogText')),
      el('label', { class: 'check' }, tick, el('span', {}, t('settings.panicUnderstand'))),
      err,
      el('div', { class: 'actions' }, cancel, go));
    tick.addEventListener('change', () => { go.disabled = !tick.checked; });
    cancel.addEventListener('click', () => d.close());
    d.addEventListener('close', () => d.remove());
    go.addEventListener('click', async () => {
      if (!tick.checked) return;
      try {
        const r = await busy(go, api.post('/api/v1/panic', { confirm: 'erase' }));
        d.close();
        localStorage.removeItem('caravan.welcomed');
        const again = el('button', { type: 'button', class: 'btn btn-primary', id: 'panic-new-identity' }, t('settings.panicNew'));
        again.addEventListener('click', () => ctx.go('/welcome'));
        clear(result).append(el('div', { class: 'card panic-done', role: 'status' },
          el('h3', {}, t('settings.panicDone')),
          el('p', {}, t('settings.panicErased', { ids: r.identities, rows: r.private, ms: r.millis })),
          el('p', {}, t('settings.panicAfter')),
          el('div', { class: 'actions' }, again)));
        open.disabled = true;
        result.scrollIntoView({ block: 'center' });
      } catch (e) {
        err.textContent = e.message;
        err.hidden = false;
      }
    });
    document.body.append(d);
    d.showModal();
  });
  return el('section', { class: 'card danger-zone', id: 'panic' },
    el('h2', {}, t('settings.panicTitle')),
    el('p', {}, t('settings.panicIntro')),
    el('div', { class: 'two' },
      el('div', {}, el('h3', {}, t('settings.panicErases')),
        el('ul', {}, ['keys', 'messages', 'contacts', 'drafts'].map((k) => el('li', {}, t('settings.panicErase.' + k))))),
      el('div', {}, el('h3', {}, t('settings.panicKeeps')),
        el('ul', {}, ['reports', 'carried'].map((k) => el('li', {}, t('settings.panicKeep.' + k)))))),
    el('p', { class: 'help' }, t('settings.panicHelp')),
    el('div', { class: 'actions' }, open),
    result);
}
