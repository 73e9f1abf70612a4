// Where an author stands in the follow graph of this node's identities,
// as the API gives it with events ("trust": {"level", "followed_by"}),
// and the mark shown beside their name. docs/trust.md says why.
import { t, plural } from './i18n.js';
import { el } from './ui.js';

const LEVELS = ['contact', 'followed', 'stranger'];

// level is the author's level; anything the page does not know of counts
// as a stranger.
export function level(trust) {
  if (trust?.level === 'own') return 'own';
  return LEVELS.includes(trust?.level) ? trust.level : 'stranger';
}

// trustMark is the badge after a name: "contact", "followed by 3
// contacts" or "stranger". There is none for the user's own identities
// (their name says "you"), none when the standing is not known, and, with
// onlyOthers, none for contacts: lists of conversations mark only the
// people who are not.
export function trustMark(trust, { onlyOthers = false } = {}) {
  if (!trust) return null;
  const l = level(trust);
  if (l === 'own' || (onlyOthers && l === 'contact')) return null;
  const text = l === 'contact' ? t('trust.contact')
    : l === 'followed' ? plural('trust.followedBy', Math.max(1, Number(trust.followed_by) || 1))
      : t('trust.stranger');
  const tone = { contact: ' badge-ok', followed: '', stranger: ' badge-warn' }[l];
  return el('span', { class: 'badge trust-mark trust-' + l + tone, 'data-level': l, title: t('trust.help.' + l) }, text);
}

// isStranger says whether content should be shown as a stranger's.
export function isStranger(trust) { return !!trust && level(trust) === 'stranger'; }
