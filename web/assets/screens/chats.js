// Chats: the conversations, newest first, the groups, and ways to start a
// new chat or group. A conversation with someone who is not a contact
// (a request) is marked by where they stand: followed by N contacts, or a
// stranger.
import { t } from '../i18n.js';
import * as api from '../api.js';
import { el, clear, page, field, showError, clearErrors, busy, when, toast } from '../ui.js';
import { nameBook, avatar, preview, needIdentity, section, stateMark } from './people-common.js';
import { trustMark } from '../trust.js';

function chatLink(with_) { return '#/chat/' + encodeURIComponent(with_); }

export default {
  nav: 'nav.chats',
  async render(root, ctx) {
    const newChat = el('button', { type: 'button', class: 'btn btn-primary', id: 'new-chat' }, t('chats.newChat'));
    const newGroup = el('button', { type: 'button', class: 'btn', id: 'new-group' }, t('chats.newGroup'));
    const body = page(root, t('nav.chats'), newChat, newGroup);
    const missing = needIdentity(ctx);
    if (missing) { newChat.hidden = newGroup.hidden = true; body.append(missing); return; }

    let [inbox, groups, people] = await Promise.all([
      api.get('/api/v1/inbox'), api.get('/api/v1/groups'), api.get('/api/v1/people')]);
    const contacts = people.filter((p) => p.private);
    const names = nameBook(people, ctx.me);
    let trusts = {};
    const loadTrust = async () => {
      const single = [...new Set(inbox.filter((c) => c.members.length === 2)
        .map((c) => c.members.find((k) => k !== ctx.me.pubkey)).filter(Boolean))].slice(0, 1000);
      try { trusts = single.length ? await api.post('/api/v1/trust', { pubkeys: single }) : {}; } catch { /* the marks are a help */ }
    };
    await loadTrust();

    // Start a chat: pick a contact.
    const who = el('select', { id: 'new-chat-who', name: 'who' },
      contacts.map((p) => el('option', { value: p.npub }, p.petname || p.npub)));
    const chatForm = el('form', { id: 'new-chat-form', class: 'card', hidden: true },
      el('h2', {}, t('chats.newChat')),
      contacts.length ? [field(t('chats.pickContact'), who),
        el('div', { class: 'actions' },
          el('button', { type: 'button', class: 'btn', on: { click: () => { chatForm.hidden = true; } } }, t('common.cancel')),
          el('button', { type: 'submit', class: 'btn btn-primary', id: 'new-chat-open' }, t('chats.open')))]
        : noContacts());
    chatForm.addEventListener('submit', (e) => { e.preventDefault(); if (who.value) ctx.go('/chat/' + encodeURIComponent(who.value)); });

    // A new group: a name and members chosen from the contacts.
    const gname = el('input', { type: 'text', id: 'group-name', name: 'name', required: true, maxlength: 100, autocomplete: 'off' });
    const boxes = contacts.map((p) => el('label', { class: 'check member' },
      el('input', { type: 'checkbox', name: 'members', value: p.npub }), p.petname || p.npub));
    const groupButton = el('button', { type: 'submit', class: 'btn btn-primary', id: 'group-create' }, t('chats.createGroup'));
    const groupForm = el('form', { id: 'group-form', class: 'card', hidden: true },
      el('h2', {}, t('chats.newGroup')),
      contacts.length ? [
        el('p', { class: 'help' }, t('chats.groupHelp')),
        field(t('chats.groupName'), gname),
        el('fieldset', { class: 'members', 'data-field': 'members' }, el('legend', {}, t('chats.members')), boxes,
          el('p', { class: 'field-error', role: 'alert', hidden: true })),
        el('div', { class: 'actions' },
          el('button', { type: 'button', class: 'btn', on: { click: () => { groupForm.hidden = true; } } }, t('common.cancel')),
          groupButton)]
        : noContacts());
    groupForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(groupForm);
      const members = boxes.map((b) => b.firstChild).filter((c) => c.checked).map((c) => c.value);
      if (!gname.value.trim()) return showError(groupForm, new Error(t('chats.groupNameNeeded')), 'name');
      if (members.length < 2) return showError(groupForm, new Error(t('chats.membersNeeded')), 'members');
      try {
        const g = await busy(groupButton, api.post('/api/v1/groups', { name: gname.value.trim(), members }));
        toast(t('chats.groupMade', { name: g.name }));
        ctx.go('/chat/' + encodeURIComponent(g.name));
      } catch (err) {
        showError(groupForm, err, err.message && /name/i.test(err.message) ? 'name' : 'members');
      }
    });

    newChat.addEventListener('click', () => { groupForm.hidden = true; chatForm.hidden = !chatForm.hidden; if (!chatForm.hidden) who.focus?.(); });
    newGroup.addEventListener('click', () => { chatForm.hidden = true; groupForm.hidden = !groupForm.hidden; if (!groupForm.hidden) gname.focus(); });

    const list = el('ul', { class: 'list conv-list', id: 'chats-list' });
    const glist = el('ul', { class: 'list group-list', id: 'groups-list' });
    body.append(chatForm, groupForm,
      section(t('chats.conversations'), {}, list),
      section(t('chats.groups'), {}, el('p', { class: 'help' }, t('chats.groupsHelp')), glist));

    function draw() {
      clear(list);
      if (!inbox.length) {
        list.append(el('li', { class: 'empty muted', id: 'chats-empty' }, t('chats.empty')));
      }
      for (const c of inbox) {
        const last = c.last || {};
        const group = c.members.length > 2;
        const other = group ? null : c.members.find((k) => k !== ctx.me.pubkey);
        list.append(el('li', {},
          el('a', { class: 'conv' + (c.unread ? ' unread' : ''), href: chatLink(c.room), 'data-room': c.room },
            avatar(c.title),
            el('span', { class: 'conv-main' },
              el('span', { class: 'conv-top' },
                el('span', { class: 'conv-title' }, c.title || t('chats.untitled')),
                group ? el('span', { class: 'badge' }, t('chats.group')) : trustMark(trusts[other], { onlyOthers: true }),
                el('span', { class: 'conv-time muted small' }, when(last.at))),
              el('span', { class: 'conv-bottom' },
                el('span', { class: 'conv-preview muted' },
                  last.outgoing ? t('chats.youSaid') + ' ' : (group && last.from ? names(last.from) + ': ' : ''),
                  preview(last)),
                last.outgoing && last.state ? stateMark(last.state) : null,
                c.unread ? el('span', { class: 'unread-count', title: t('chats.unread', { n: c.unread }) }, String(c.unread)) : null)))));
      }
      clear(glist);
      if (!groups.length) glist.append(el('li', { class: 'empty muted' }, t('chats.noGroups')));
      for (const g of groups) {
        glist.append(el('li', { class: 'group-row' },
          avatar(g.name),
          el('span', { class: 'grow' }, el('strong', {}, g.name), ' ',
            el('span', { class: 'muted small' }, g.members.map(names).join(', '))),
          el('a', { class: 'btn', href: chatLink(g.name) }, t('chats.open'))));
      }
    }
    draw();

    // New or changed messages: the list is cheap to redraw.
    let pending = null;
    ctx.onLive((a) => {
      if (a.type !== 'message' || pending) return;
      pending = setTimeout(async () => {
        pending = null;
        try {
          [inbox, groups] = await Promise.all([api.get('/api/v1/inbox'), api.get('/api/v1/groups')]);
          await loadTrust();
          if (list.isConnected) draw();
        } catch { /* the banner says when the node is gone */ }
      }, 300);
    });
  },
};

function noContacts() {
  return [el('p', {}, t('chats.noContacts')), el('a', { class: 'btn', href: '#/contacts' }, t('chats.addContact'))];
}
