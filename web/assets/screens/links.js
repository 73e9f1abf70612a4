// Links: how this node reaches others. Its own address, the peers and
// relays it keeps in sync with, nodes seen on the local network, the
// proxy, and a "sync now" with live progress.
import { t } from '../i18n.js';
import * as api from '../api.js';
import { el, clear, page, field, showError, clearErrors, busy, toast, when, bytes, confirmDialog } from '../ui.js';
import { section } from './people-common.js';

const PHASES = ['connecting', 'reconciling', 'transferring', 'live', 'done'];

export default {
  nav: 'nav.links',
  async render(root, ctx) {
    const refresh = el('button', { type: 'button', class: 'btn', id: 'links-refresh' }, t('links.refresh'));
    const body = page(root, t('nav.links'), refresh);
    const status = el('div', { id: 'links-status', class: 'status-grid' });
    const peers = el('ul', { class: 'list peer-list', id: 'peers-list' });
    const lan = el('ul', { class: 'list peer-list', id: 'lan-list' });
    const progress = new Map(); // url -> latest carry.Progress while a session runs
    const syncing = new Set(); // urls with a "sync now" under way

    // Add a peer or relay.
    const url = el('input', { type: 'url', id: 'peer-add-url', name: 'url', required: true, placeholder: 'ws://192.168.1.20:7447', autocomplete: 'off', spellcheck: 'false' });
    const relay = el('input', { type: 'checkbox', id: 'peer-add-relay', name: 'relay' });
    const addBtn = el('button', { type: 'submit', class: 'btn btn-primary', id: 'peer-add-submit' }, t('links.add'));
    const addForm = el('form', { id: 'peer-add-form' },
      field(t('links.address'), url, t('links.addressHelp')),
      el('label', { class: 'check' }, relay, el('span', {}, t('links.isRelay'), el('br'), el('span', { class: 'help' }, t('links.isRelayHelp')))),
      el('div', { class: 'actions' }, addBtn));
    url.addEventListener('input', () => { if (/^wss:/i.test(url.value)) relay.checked = true; else if (/^ws:/i.test(url.value)) relay.checked = false; });
    addForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(addForm);
      if (!url.value.trim()) return showError(addForm, new Error(t('links.addressNeeded')), 'url');
      try {
        await busy(addBtn, api.post('/api/v1/peers', { url: url.value.trim(), relay: relay.checked }));
        toast(t('links.added'));
        url.value = '';
        relay.checked = false;
        await load();
      } catch (err) { showError(addForm, err, 'url'); }
    });

    // The proxy (Tor, say), from the node's settings.
    const proxy = el('input', { type: 'text', id: 'proxy-url', name: 'proxy', placeholder: 'socks5://127.0.0.1:9050', autocomplete: 'off', spellcheck: 'false' });
    const proxyBtn = el('button', { type: 'submit', class: 'btn', id: 'proxy-save' }, t('common.save'));
    const proxyForm = el('form', { id: 'proxy-form' },
      field(t('links.proxy'), proxy, t('links.proxyHelp')),
      el('div', { class: 'actions' }, proxyBtn));
    proxyForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(proxyForm);
      try {
        const s = await busy(proxyBtn, api.post('/api/v1/settings', { proxy: proxy.value.trim() }));
        proxy.value = s.proxy || '';
        toast(s.proxy ? t('links.proxySaved') : t('links.proxyOff'));
      } catch (err) { showError(proxyForm, err, 'proxy'); }
    });

    body.append(
      section(t('links.thisNode'), { id: 'links-node' }, status),
      section(t('links.peers'), { id: 'links-peers' }, el('p', { class: 'help' }, t('links.peersHelp')), peers),
      section(t('links.lan'), { id: 'links-lan' }, el('p', { class: 'help' }, t('links.lanHelp')), lan),
      el('div', { class: 'ppl-grid' },
        section(t('links.addTitle'), { id: 'peer-add' }, addForm),
        section(t('links.proxyTitle'), { id: 'links-proxy' }, proxyForm)));

    function drawStatus(st, settings) {
      const yes = (b) => el('span', { class: 'badge ' + (b ? 'badge-ok' : 'badge-warn') }, b ? t('links.on') : t('links.off'));
      clear(status).append(...[
        el('div', {}, el('span', { class: 'muted' }, t('links.serving')), ' ', yes(st.serving)),
        el('div', {}, el('span', { class: 'muted' }, t('links.connections')), ' ', el('strong', { id: 'links-connections' }, String(st.connections || 0))),
        el('div', {}, el('span', { class: 'muted' }, t('links.lanState')), ' ', yes(st.lan), ' ',
          el('a', { href: '#/settings', class: 'small' }, t('links.change'))),
        st.relay ? el('div', { class: 'wide' }, el('span', { class: 'muted' }, t('links.myAddress')), ' ',
          el('code', { class: 'key', id: 'links-relay' }, st.relay),
          el('p', { class: 'help' }, /\/\/(127\.|localhost|\[::1\])/.test(st.relay) ? t('links.onlyHere') : t('links.reachable'))) : null,
        settings && settings.proxy ? el('div', { class: 'wide' }, el('span', { class: 'muted' }, t('links.viaProxy')), ' ', el('code', {}, settings.proxy)) : null,
      ].filter(Boolean));
    }

    function progressBar(p) {
      const total = p.received + p.sent + p.to_receive + p.to_send;
      const bar = el('progress', { class: 'peer-progress', max: 100 });
      if (total > 0 && p.phase === 'transferring') bar.value = Math.round(100 * (p.received + p.sent) / total);
      else if (p.phase === 'live' || p.phase === 'done') bar.value = 100;
      return el('div', { class: 'peer-live', 'data-phase': p.phase },
        el('div', { class: 'row small' },
          el('strong', {}, t('links.phase.' + (PHASES.includes(p.phase) ? p.phase : 'connecting'))),
          el('span', { class: 'muted' }, t('links.counts', { in: p.received, out: p.sent })),
          p.to_receive + p.to_send > 0 ? el('span', { class: 'muted' }, t('links.left', { in: p.to_receive, out: p.to_send })) : null,
          el('span', { class: 'muted' }, '↓ ' + bytes(p.bytes_in || 0) + ' ↑ ' + bytes(p.bytes_out || 0))),
        bar);
    }

    function peerRow(p) {
      const syncBtn = el('button', { type: 'button', class: 'btn peer-sync' }, t('links.syncNow'));
      const removeBtn = p.configured ? el('button', { type: 'button', class: 'btn btn-quiet peer-remove' }, t('links.remove')) : null;
      const live = progress.get(p.url);
      const ok = !p.last_result || p.last_result === 'ok';
      if (syncing.has(p.url)) syncBtn.disabled = true;
      const li = el('li', { class: 'card peer', 'data-url': p.url, 'data-kind': p.kind, 'data-state': p.state || '' },
        el('div', { class: 'peer-head' },
          el('div', { class: 'grow' },
            el('code', { class: 'key peer-url' }, p.url), ' ',
            el('span', { class: 'badge' }, t('links.kind.' + (['peer', 'relay', 'lan', 'stdio'].includes(p.kind) ? p.kind : 'peer'))), ' ',
            p.state ? el('span', { class: 'badge ' + (p.state === 'connected' ? 'badge-ok' : '') }, t('links.state.' + p.state)) : null),
          el('div', { class: 'contact-tools' }, syncBtn, removeBtn)),
        el('div', { class: 'small muted peer-facts' },
          p.last_sync ? el('span', {}, t('links.lastSync', { when: when(Date.parse(p.last_sync) / 1000) })) : el('span', {}, t('links.never')),
          p.received || p.sent ? el('span', {}, t('links.lastCounts', { in: p.received || 0, out: p.sent || 0 })) : null),
        p.last_result && !ok ? el('p', { class: 'warning small peer-result' },
          p.last_result === 'incomplete' ? t('links.incomplete') : t('links.failed', { error: p.last_result })) : null,
        live ? progressBar(live) : null);
      syncBtn.addEventListener('click', async () => {
        progress.set(p.url, { phase: 'connecting', received: 0, sent: 0, to_receive: 0, to_send: 0 });
        syncing.add(p.url);
        li.replaceWith(peerRow(p));
        try {
          // The answer streams progress as JSON lines; the live feed shows
          // them as they come, and the last one says how it ended.
          const { blob } = await api.download('/api/v1/sync', { url: p.url, relay: p.kind === 'relay' });
          const lines = (await blob.text()).trim().split('\n');
          // Only the final line ("done") has the session's counts; a sync
          // that failed says so, with what it stored before it stopped.
          const last = JSON.parse(lines[lines.length - 1] || '{}');
          const counts = { in: last.received || 0, out: last.sent || 0 };
          if (last.phase !== 'done') toast(t('links.syncUnfinished'), 'error');
          else if (last.error) toast(t('links.syncFailed', { error: last.error, ...counts }), 'error');
          else if (last.incomplete) toast(t('links.incomplete'), 'error');
          else toast(t('links.synced', counts));
        } catch (err) { toast(err.message, 'error'); }
        syncing.delete(p.url);
        progress.delete(p.url);
        load().catch(() => {});
      });
      removeBtn?.addEventListener('click', async () => {
        if (!(await confirmDialog(t('links.removeTitle'), t('links.removeText', { url: p.url }), t('links.remove'), true))) return;
        try {
          await busy(removeBtn, api.post('/api/v1/peers/remove', { url: p.url }));
          await load();
        } catch (err) { toast(err.message, 'error'); }
      });
      return li;
    }

    async function load() {
      const [st, list, settings] = await Promise.all([api.get('/api/v1/status'), api.get('/api/v1/peers'), api.get('/api/v1/settings')]);
      if (document.activeElement !== proxy) proxy.value = settings.proxy || '';
      drawStatus(st, settings);
      const mine = (list || []).filter((p) => p.kind !== 'lan');
      const near = (list || []).filter((p) => p.kind === 'lan');
      clear(peers);
      if (!mine.length) peers.append(el('li', { class: 'empty muted', id: 'peers-empty' }, t('links.noPeers')));
      for (const p of mine) peers.append(peerRow(p));
      clear(lan);
      if (!near.length) lan.append(el('li', { class: 'empty muted', id: 'lan-empty' }, st.lan ? t('links.noLan') : t('links.lanOff')));
      for (const p of near) lan.append(peerRow(p));
    }
    refresh.addEventListener('click', () => busy(refresh, load()).catch((err) => toast(err.message, 'error')));
    await load();

    let pending = null;
    const later = () => {
      if (pending) return;
      pending = setTimeout(() => { pending = null; if (peers.isConnected) load().catch(() => {}); }, 300);
    };
    ctx.onLive((a) => {
      if (a.type === 'peers') return later();
      if (a.type !== 'sync' || !a.peer || !a.progress) return;
      progress.set(a.peer, a.progress);
      if (a.progress.phase === 'done') { setTimeout(() => { progress.delete(a.peer); later(); }, 1500); }
      const row = [...root.querySelectorAll('.peer')].find((r) => r.dataset.url === a.peer);
      if (!row) return later();
      const old = row.querySelector('.peer-live');
      const bar = progressBar(a.progress);
      if (old) old.replaceWith(bar); else row.append(bar);
    });
  },
};
