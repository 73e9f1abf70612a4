// A note's text (kind 1 is plain text, not markdown): paragraphs at blank
// lines, line breaks kept, http and https addresses as links showing
// where they go. Everything else is text, whatever it looks like.

import { safeHref } from './markdown.js';
import { short } from './util.js';

const URL_RE = /https?:\/\/[^\s<>"]+/g;

// linkTo draws a link that opens apart and tells the other site nothing,
// with its address beside the words when they differ.
export function linkTo(h, href, children) {
  const a = h('a', { href, class: 'feed-link', target: '_blank', rel: 'noopener noreferrer nofollow ugc', referrerpolicy: 'no-referrer' }, children);
  const words = a.textContent.trim();
  if (words === href || words === href.replace(/\/$/, '')) return a;
  let shown = href;
  try {
    const u = new URL(href);
    shown = u.host + (u.pathname === '/' ? '' : u.pathname);
  } catch { /* href came from URL already */ }
  return h('span', { class: 'feed-linked' }, a, h('span', { class: 'feed-href' }, ' (' + short(shown, 60) + ')'));
}

function withLinks(h, s) {
  const out = [];
  let last = 0;
  for (const m of s.matchAll(URL_RE)) {
    let u = m[0];
    while (/[.,:;!?'")\]]$/.test(u) && !(u.endsWith(')') && (u.match(/\(/g) || []).length >= (u.match(/\)/g) || []).length)) u = u.slice(0, -1);
    const href = safeHref(u);
    if (!href) continue;
    out.push(s.slice(last, m.index));
    out.push(linkTo(h, href, [u]));
    last = m.index + u.length;
  }
  out.push(s.slice(last));
  return out;
}

// noteText draws text, at most max characters of it.
export function noteText(h, text, max) {
  const s = max && text.length > max ? text.slice(0, max) + '…' : text;
  return s.replace(/\r\n?/g, '\n').split(/\n[ \t]*\n+/).filter((p) => p.trim() !== '')
    .map((p) => h('p', { dir: 'auto' }, withLinks(h, p.replace(/^\n+|\n+$/g, ''))));
}
