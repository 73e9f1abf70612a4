// The Chats tab: conversations, a conversation, and starting a chat or a
// group.
import { t, plural } from '../i18n.js';
import { el, user, field, fieldError, when, toast } from '../ui.js';
import { nameOf, onNames } from '../names.js';
import { pubkey } from '../me.js';
import * as chat from './service.js';

// roomTitle names a conversation: a group's name, else the other
// person's (or the others') names.
function roomTitle(room) {
  const g = chat.groupName(room);
  if (g) return g;
  const me = pubkey();
  const others = room.split(',').filter((k) => k !== me);
  return others.map(nameOf).join(', ') || nameOf(me);
}

export function chatsScreen(root) {
  const list = el('ul', { class: 'list', id: 'rooms' });
  const draw = () => {
    list.replaceChildren();
    const rs = chat.rooms();
    if (!rs.length) list.append(el('li', { class: 'empty' }, t('chats.none')));
    for (const r of rs) {
      const last = r.last;
      list.append(el('li', {},
        el('a', { class: 'item room', href: '#/chat/' + chat.roomKey(r.room), 'data-room': chat.roomKey(r.room) },
          el('span', { class: 'room-top' },
            user(roomTitle(r.room), 'span', { class: 'name' }),
            last ? user(when(last.at), 'span', { class: 'time' }) : null),
          el('span', { class: 'room-bottom' },
            last ? preview(last) : el('span', { class: 'muted' }, t('chats.noMessages')),
            r.unread ? el('span', { class: 'badge badge-new', 'aria-label': plural('chats.unread', r.unread) }, user(String(r.unread))) : null))));
    }
  };
  draw();
  root.append(el('div', { class: 'page' },
    el('h1', {}, t('chats.title')),
    el('div', { class: 'actions' },
      el('a', { class: 'button primary', href: '#/new', id: 'new-chat' }, t('chats.new')),
      el('a', { class: 'button secondary', href: '#/newgroup', id: 'new-group' }, t('chats.newGroup'))),
    list));
  const offs = [chat.onChange(draw), onNames(draw)];
  return () => offs.forEach((f) => f());
}

function preview(m) {
  if (m.kind !== 14) return el('span', { class: 'preview muted' }, t('chat.file'));
  return user(m.text.length > 80 ? m.text.slice(0, 80) + '…' : m.text, 'span', { class: 'preview' });
}

export function newChatScreen(root) {
  const cs = chat.contacts();
  root.append(el('div', { class: 'page' },
    el('a', { class: 'back', href: '#/chats' }, t('common.back')),
    el('h1', {}, t('chats.new')),
    cs.length ? el('p', {}, t('chats.pick')) : el('p', { class: 'empty' }, t('chats.noContacts')),
    el('ul', { class: 'list', id: 'pick-contact' }, cs.map((c) => el('li', {},
      el('a', { class: 'item', href: '#/chat/' + chat.roomKey(chat.openRoom([c.pubkey])), 'data-pubkey': c.pubkey }, user(c.petname, 'span', { class: 'name' }))))),
    el('a', { class: 'button secondary', href: '#/add' }, t('people.add'))));
}

export function newGroupScreen(root) {
  const cs = chat.contacts();
  const name = el('input', { id: 'group-name', type: 'text', maxlength: 80, autocomplete: 'off' });
  const boxes = cs.map((c) => el('input', { type: 'checkbox', value: c.pubkey, 'data-pubkey': c.pubkey }));
  const membersSlot = el('p', { class: 'field-error', role: 'alert', hidden: true, id: 'group-members-err' });
  const form = el('form', { novalidate: true },
    field(t('chats.groupName'), name),
    el('fieldset', {}, el('legend', {}, t('chats.members')),
      cs.length ? cs.map((c, i) => el('label', { class: 'check' }, boxes[i], user(c.petname))) : el('p', { class: 'empty' }, t('chats.noContacts')),
      membersSlot),
    el('p', { class: 'muted small' }, t('chats.groupHelp', { max: chat.MAX_GROUP })),
    el('button', { type: 'submit', class: 'primary', id: 'group-create' }, t('chats.groupCreate')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    fieldError(name, '');
    membersSlot.hidden = true;
    const members = boxes.filter((b) => b.checked).map((b) => b.value);
    if (!name.value.trim()) return fieldError(name, t('chats.groupNameNeeded'));
    if (members.length < 2 || members.length > chat.MAX_GROUP - 1) {
      membersSlot.textContent = t('chats.membersNeeded', { max: chat.MAX_GROUP });
      membersSlot.hidden = false;
      return;
    }
    const room = chat.makeGroup(members, name.value.trim());
    location.hash = '#/chat/' + chat.roomKey(room);
  });
  root.append(el('div', { class: 'page' },
    el('a', { class: 'back', href: '#/chats' }, t('common.back')),
    el('h1', {}, t('chats.newGroup')),
    form));
}

// stateLine says where an outgoing message is.
function stateLine(m) {
  const total = m.members.length - 1;
  let text = t('state.' + m.state);
  if (m.state === 'delivered' && total > 1) text = t('state.deliveredTo', { n: m.deliveredTo.length, total });
  return el('span', { class: 'state state-' + m.state, title: t('state.' + m.state + '.help') }, text,
    m.state === 'refused' && m.reason ? [' ', user(m.reason, 'span', { class: 'reason' })] : null);
}

export function conversationScreen(root, key) {
  const room = chat.roomByKey(key);
  if (!room) { location.hash = '#/chats'; return; }
  const me = pubkey();
  const others = room.split(',').filter((k) => k !== me);
  const group = others.length > 1;
  const title = el('h1', { id: 'room-title' });
  const strangers = el('div', { id: 'strangers' });
  const list = el('ol', { class: 'messages', id: 'messages' });
  const draw = () => {
    title.replaceChildren(user(roomTitle(room)));
    strangers.replaceChildren(...others.filter((k) => !chat.contact(k)).map((k) =>
      el('p', { class: 'notice small' }, t('chat.stranger', { name: nameOf(k) }), ' ',
        el('a', { href: '#/person/' + k }, t('chat.strangerSee')))));
    list.replaceChildren(...chat.messages(room).map((m) => el('li', {
      class: 'msg ' + (m.outgoing ? 'out' : 'in'), 'data-id': m.id, 'data-state': m.state,
    },
    group && !m.outgoing ? user(nameOf(m.from), 'span', { class: 'from' }) : null,
    m.kind === 14 ? user(m.text, 'p', { class: 'text' }) : el('p', { class: 'text muted' }, t('chat.file')),
    el('span', { class: 'meta' }, user(when(m.at), 'time'), m.outgoing ? stateLine(m) : null))));
    chat.markRead(room);
  };
  const text = el('textarea', { id: 'compose', rows: 2, 'aria-label': t('chat.write'), placeholder: t('chat.write') });
  const sendBtn = el('button', { type: 'submit', class: 'primary', id: 'send' }, t('chat.send'));
  const form = el('form', { class: 'composer', novalidate: true }, text, sendBtn);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = text.value;
    if (!v.trim()) return;
    sendBtn.disabled = true;
    try {
      await chat.send(others, v, group ? chat.groupName(room) : '');
      text.value = '';
    } catch (err) {
      toast(t('chat.error.' + (['empty', 'too-many', 'no-recipient'].includes(err.message) ? err.message : 'other')), 'error');
    } finally {
      sendBtn.disabled = false;
      text.focus();
    }
  });
  draw();
  root.append(el('div', { class: 'page conversation' },
    el('a', { class: 'back', href: '#/chats' }, t('common.back')),
    title,
    group ? el('p', { class: 'muted small' }, t('chat.members'), ' ', user(others.map(nameOf).join(', '))) : null,
    strangers,
    list,
    form));
  list.lastElementChild?.scrollIntoView({ block: 'end' });
  const offs = [chat.onChange((what) => { if (what !== 'settings') draw(); }), onNames(draw)];
  return () => offs.forEach((f) => f());
}
