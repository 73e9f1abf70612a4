// Contacts: my card as a QR code, adding someone from their npub or a
// picture of their code, and the address book with safety numbers.
// #/contacts/<npub> opens that contact's safety number.
import { t } from '../i18n.js';
import * as api from '../api.js';
import { el, clear, page, field, showError, clearErrors, busy, toast, confirmDialog, short } from '../ui.js';
import { avatar, needIdentity, section } from './people-common.js';

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    toast(t('contacts.copied'));
  } catch {
    // No clipboard (an insecure context, a refusal): select it instead.
    const sel = window.getSelection();
    const r = document.createRange();
    r.selectNodeContents(button.previousElementSibling || button);
    sel.removeAllRanges();
    sel.addRange(r);
    toast(t('contacts.copySelect'));
  }
}

export default {
  nav: 'nav.contacts',
  async render(root, ctx) {
    const body = page(root, t('nav.contacts'));
    const missing = needIdentity(ctx);
    if (missing) { body.append(missing); return; }
    const me = ctx.me;
    const openFor = ctx.params[0] || '';

    // My card.
    const qr = el('img', { id: 'my-qr', class: 'qr', alt: t('contacts.qrAlt'), width: 220, height: 220 });
    api.objectURL('/api/v1/qr?text=' + encodeURIComponent('nostr:' + me.nprofile))
      .then((u) => { qr.src = u; }, () => { qr.replaceWith(el('p', { class: 'missing' }, t('contacts.qrFailed'))); });
    const npubText = el('code', { id: 'my-npub', class: 'key' }, me.npub);
    const copyBtn = el('button', { type: 'button', class: 'btn', id: 'my-npub-copy' }, t('contacts.copy'));
    copyBtn.addEventListener('click', () => copy(me.npub, copyBtn));
    const card = section(t('contacts.myCard'), { id: 'my-card' },
      el('div', { class: 'my-card' },
        el('div', { class: 'qr-box' }, qr),
        el('div', { class: 'grow my-card-text' },
          el('p', {}, t('contacts.myCardHelp')),
          el('p', { class: 'help' }, t('contacts.myCardSafe')))),
      el('p', { class: 'muted small my-key-label' }, t('contacts.myKey')),
      el('div', { class: 'npub-row' }, npubText, copyBtn));

    // Add someone.
    const whoIn = el('input', { type: 'text', id: 'contact-add-who', name: 'who', required: true, autocomplete: 'off', spellcheck: 'false', placeholder: 'npub1… / nprofile1…' });
    const nameIn = el('input', { type: 'text', id: 'contact-add-name', name: 'name', required: true, autocomplete: 'off', maxlength: 100 });
    const fileIn = el('input', { type: 'file', id: 'contact-add-qr', name: 'qr', accept: 'image/png,image/jpeg' });
    const follow = el('input', { type: 'checkbox', id: 'contact-add-follow', name: 'follow' });
    // Publishing the name is a choice of its own, offered only with a
    // follow (the follow list is where it would go) and never ticked for
    // the user.
    const publish = el('input', { type: 'checkbox', id: 'contact-add-public', name: 'public_name', disabled: true });
    const publishRow = el('label', { class: 'check', id: 'contact-add-public-row', hidden: true }, publish,
      el('span', {}, t('contacts.publishName'), el('br'), el('span', { class: 'warning small', id: 'contact-add-public-help' }, t('contacts.publishNameHelp'))));
    const showPublish = () => {
      publishRow.hidden = publish.disabled = !follow.checked;
      if (!follow.checked) publish.checked = false;
    };
    follow.addEventListener('change', showPublish);
    const addBtn = el('button', { type: 'submit', class: 'btn btn-primary', id: 'contact-add-submit' }, t('contacts.add'));
    const qrStatus = el('p', { class: 'help', id: 'contact-add-qr-status', 'aria-live': 'polite', hidden: true });
    const addForm = el('form', { id: 'contact-add-form', novalidate: true },
      field(t('contacts.theirKey'), whoIn, t('contacts.theirKeyHelp')),
      field(t('contacts.orPicture'), fileIn, t('contacts.pictureHelp')),
      qrStatus,
      field(t('contacts.name'), nameIn, t('contacts.nameHelp')),
      el('label', { class: 'check' }, follow, el('span', {}, t('contacts.follow'), el('br'), el('span', { class: 'help' }, t('contacts.followHelp')))),
      publishRow,
      el('div', { class: 'actions' }, addBtn));
    fileIn.addEventListener('change', async () => {
      const f = fileIn.files[0];
      if (!f) return;
      clearErrors(addForm);
      qrStatus.textContent = t('contacts.reading');
      qrStatus.hidden = false;
      try {
        const r = await api.upload('/api/v1/qr/read', f);
        if (r.kind !== 'contact') throw new Error(t('contacts.notACard'));
        whoIn.value = r.text.replace(/^nostr:/i, '');
        qrStatus.textContent = t('contacts.readOK', { npub: short(r.npub) });
        nameIn.focus();
      } catch (err) {
        qrStatus.hidden = true;
        showError(addForm, err, 'qr');
      }
      fileIn.value = '';
    });
    addForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(addForm);
      if (!whoIn.value.trim()) return showError(addForm, new Error(t('contacts.keyNeeded')), 'who');
      if (!nameIn.value.trim()) return showError(addForm, new Error(t('contacts.nameNeeded')), 'name');
      try {
        const name = nameIn.value.trim();
        const req = { who: whoIn.value.trim(), name, follow: follow.checked };
        if (follow.checked && publish.checked) req.public_name = name;
        const c = await busy(addBtn, api.post('/api/v1/people', req));
        toast(c.public_name ? t('contacts.addedPublic', { name: c.public_name }) : t('contacts.added', { name: c.petname || short(c.npub) }));
        whoIn.value = nameIn.value = '';
        follow.checked = false;
        showPublish();
        qrStatus.hidden = true;
        await load(c.npub);
      } catch (err) {
        showError(addForm, err, /name/i.test(err.message) && !/key|npub|bech32/i.test(err.message) ? 'name' : 'who');
      }
    });
    const add = section(t('contacts.addTitle'), { id: 'contact-add' }, addForm);

    const list = el('ul', { class: 'list contact-list', id: 'contacts-list' });
    const follows = el('ul', { class: 'list contact-list', id: 'follows-list' });
    const followsBox = section(t('contacts.follows'), { id: 'follows', hidden: true }, el('p', { class: 'help' }, t('contacts.followsHelp')), follows);
    body.append(el('div', { class: 'ppl-grid' }, card, add), section(t('contacts.list'), { id: 'contacts' }, list), followsBox);

    async function load(open) {
      const people = await api.get('/api/v1/people');
      clear(list);
      clear(follows);
      const mine = people.filter((p) => p.private);
      const pub = people.filter((p) => !p.private);
      if (!mine.length) list.append(el('li', { class: 'empty muted', id: 'contacts-empty' }, t('contacts.empty')));
      for (const p of mine) list.append(contactRow(p, p.npub === open));
      followsBox.hidden = !pub.length;
      for (const p of pub) {
        follows.append(el('li', { class: 'contact', 'data-npub': p.npub },
          el('div', { class: 'contact-head' }, avatar(p.petname || p.npub),
            el('div', { class: 'grow' }, el('strong', {}, p.petname || short(p.npub)), ' ', publicBadge(p), el('div', { class: 'key muted' }, short(p.npub))),
            el('button', { type: 'button', class: 'btn', on: { click: () => { whoIn.value = p.npub; nameIn.value = p.petname || ''; nameIn.focus(); add.scrollIntoView(); } } }, t('contacts.makeContact')))));
      }
    }

    // publicBadge says that a name is in the follow list, for anyone to
    // read, and which name: it may differ from the one shown.
    function publicBadge(p) {
      if (!p.public_name) return null;
      return el('span', { class: 'badge badge-warn contact-public-name', title: t('contacts.publicNameTitle') },
        t('contacts.publicName', { name: p.public_name }));
    }

    function contactRow(p, open) {
      const name = p.petname || short(p.npub);
      const panel = el('div', { class: 'safety', hidden: true });
      const safetyBtn = el('button', { type: 'button', class: 'btn contact-safety', 'aria-expanded': 'false' }, t('contacts.safety'));
      const removeBtn = el('button', { type: 'button', class: 'btn btn-quiet contact-remove' }, t('contacts.remove'));
      const li = el('li', { class: 'card contact', 'data-npub': p.npub, 'data-verified': p.verified ? 'true' : 'false' },
        el('div', { class: 'contact-head' },
          avatar(name),
          el('div', { class: 'grow' },
            el('strong', { class: 'contact-name' }, name), ' ',
            p.verified ? el('span', { class: 'badge badge-ok contact-badge' }, '✓ ' + t('people.verified'))
              : el('span', { class: 'badge badge-warn contact-badge' }, t('people.notVerified')),
            p.followed ? el('span', { class: 'badge' }, t('contacts.followed')) : null,
            publicBadge(p),
            el('div', { class: 'key muted' }, p.npub)),
          el('div', { class: 'contact-tools' },
            el('a', { class: 'btn btn-primary contact-chat', href: '#/chat/' + p.npub }, t('contacts.chat')),
            safetyBtn, removeBtn)),
        panel);
      async function toggle() {
        const show = panel.hidden;
        panel.hidden = !show;
        safetyBtn.setAttribute('aria-expanded', String(show));
        if (!show || panel.childElementCount) return;
        try {
          const s = await api.get('/api/v1/people/safety?who=' + encodeURIComponent(p.npub));
          drawSafety(panel, p, s, name);
        } catch (err) {
          panel.append(el('p', { class: 'form-error' }, err.message));
        }
      }
      safetyBtn.addEventListener('click', toggle);
      removeBtn.addEventListener('click', async () => {
        if (!(await confirmDialog(t('contacts.removeTitle', { name }), t('contacts.removeText'), t('contacts.remove'), true))) return;
        try {
          await busy(removeBtn, api.post('/api/v1/people/remove', { who: p.npub }));
          toast(t('contacts.removed', { name }));
          await load();
        } catch (err) { toast(err.message, 'error'); }
      });
      if (open) { toggle(); requestAnimationFrame(() => li.scrollIntoView({ block: 'center' })); }
      return li;
    }

    function drawSafety(panel, p, s, name) {
      const groups = s.number.split(/\s+/);
      const verify = el('button', { type: 'button', class: 'btn btn-primary contact-verify' }, t('contacts.verify'));
      verify.addEventListener('click', async () => {
        try {
          await busy(verify, api.post('/api/v1/people/verify', { who: p.npub }));
          toast(t('contacts.verifiedNow', { name }));
          await load(p.npub);
        } catch (err) { toast(err.message, 'error'); }
      });
      clear(panel).append(
        el('h3', {}, t('contacts.safetyWith', { name })),
        el('div', { class: 'safety-number', 'aria-label': t('contacts.safety') }, groups.map((g) => el('span', {}, g))),
        el('p', {}, t('contacts.safetyHelp1', { name })),
        el('p', {}, t('contacts.safetyHelp2')),
        el('p', { class: 'warning small' }, t('contacts.safetyHelp3')),
        s.verified ? el('p', { class: 'badge badge-ok' }, '✓ ' + t('contacts.alreadyVerified')) : el('div', { class: 'actions' }, verify));
    }

    await load(openFor);
  },
};
