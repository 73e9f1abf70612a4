// What the Public tab reads in events: notes (kind 1) and reports
// (NIP-23, kind 30023) with their language label and translation links,
// as Caravan writes them (docs/reports.md):
//
//   ["l", "es", "ISO-639-1"]                          the language
//   ["a", "30023:<author>:<d>", "", "translation-of"] a translation of...
//   ["e", "<id of the version translated>", "", "translation-of"]
//   ["imeta", "url ...", "x <sha256>", "m image/jpeg", ...]  an attachment

export const KIND_NOTE = 1;
export const KIND_REPORT = 30023;
export const LANG_NAMESPACE = 'ISO-639-1';
export const TRANSLATION_MARKER = 'translation-of';

const HEX64 = /^[0-9a-f]{64}$/;

// wellFormed says whether ev has the shape this tab reads. The node
// checked the signature; this guards the page against what it did not
// check, so that one odd event cannot break the feed.
export function wellFormed(ev) {
  return ev && typeof ev === 'object' &&
    typeof ev.id === 'string' && HEX64.test(ev.id) &&
    typeof ev.pubkey === 'string' && HEX64.test(ev.pubkey) &&
    Number.isSafeInteger(ev.created_at) &&
    typeof ev.content === 'string' &&
    Array.isArray(ev.tags) && ev.tags.every((t) => Array.isArray(t) && t.every((s) => typeof s === 'string')) &&
    (ev.kind === KIND_NOTE || ev.kind === KIND_REPORT);
}

export function tagValue(ev, name) {
  const t = ev.tags.find((x) => x[0] === name && x.length >= 2);
  return t ? t[1] : '';
}

// reportLang is a report's ISO 639-1 language, or ''.
export function reportLang(ev) {
  const t = ev.tags.find((x) => x[0] === 'l' && x[2] === LANG_NAMESPACE);
  const l = t ? t[1].trim().toLowerCase() : '';
  return /^[a-z]{2}$/.test(l) ? l : '';
}

// address is a report's NIP-33 address: 30023:<author>:<d>.
export function address(ev) {
  return `${KIND_REPORT}:${ev.pubkey}:${tagValue(ev, 'd')}`;
}

// translationOf returns {address, version} for a translation, or null for
// an original.
export function translationOf(ev) {
  if (ev.kind !== KIND_REPORT) return null;
  let addr = '';
  let version = '';
  for (const t of ev.tags) {
    if (t.length >= 4 && t[3] === TRANSLATION_MARKER) {
      if (t[0] === 'a') addr = t[1];
      else if (t[0] === 'e') version = t[1].toLowerCase();
    }
  }
  return addr ? { address: addr, version } : null;
}

// parseAddress splits 30023:<author>:<d>, or returns null.
export function parseAddress(addr) {
  const m = /^(\d+):([0-9a-f]{64}):(.*)$/s.exec(addr || '');
  return m && Number(m[1]) === KIND_REPORT ? { pubkey: m[2], d: m[3] } : null;
}

// publishedAt is when a report was first published (its published_at),
// else when this version was signed.
export function publishedAt(ev) {
  const p = Number(tagValue(ev, 'published_at'));
  return Number.isSafeInteger(p) && p > 0 ? p : ev.created_at;
}

// attachments reads the NIP-92 imeta tags that name a blob by its hash.
export function attachments(ev) {
  const out = [];
  for (const t of ev.tags) {
    if (t[0] !== 'imeta') continue;
    const a = {};
    for (const kv of t.slice(1)) {
      const i = kv.indexOf(' ');
      if (i < 0) continue;
      const k = kv.slice(0, i);
      const v = kv.slice(i + 1);
      if (k === 'x') a.sha256 = v.toLowerCase();
      else if (k === 'url' || k === 'm' || k === 'alt' || k === 'name' || k === 'dim') a[k] = v;
    }
    if (HEX64.test(a.sha256 || '') && !out.some((b) => b.sha256 === a.sha256)) out.push(a);
  }
  return out;
}

// blobSum is the sha256 a URL names as its last path segment
// (".../<sha256>[.ext]", as BUD-01 and Caravan's imeta URLs do), or ''.
export function blobSum(url) {
  const path = String(url || '').split(/[?#]/)[0];
  const last = path.slice(path.lastIndexOf('/') + 1);
  const m = /^([0-9a-fA-F]{64})(\.[A-Za-z0-9]{1,8})?$/.exec(last);
  return m ? m[1].toLowerCase() : '';
}

// pickTranslation chooses which translation of original to show to a
// reader of lang, as `caravan read --lang` does: one in that language,
// up to date before outdated, then the newest. Only translations that
// point at original's address count. It returns null when there is none.
export function pickTranslation(original, translations, lang) {
  const addr = address(original);
  let best = null;
  for (const tr of translations) {
    const of = translationOf(tr);
    if (!of || of.address !== addr || reportLang(tr) !== lang) continue;
    const outdated = of.version !== original.id;
    if (!best || (best.outdated && !outdated) || (best.outdated === outdated && tr.created_at > best.ev.created_at)) {
      best = { ev: tr, outdated };
    }
  }
  return best;
}

// newest keeps, of the versions of each addressable event, the newest,
// and of everything else one copy per id.
export function newest(events) {
  const byKey = new Map();
  for (const ev of events) {
    const key = ev.kind === KIND_REPORT ? address(ev) : ev.id;
    const had = byKey.get(key);
    if (!had || ev.created_at > had.created_at || (ev.created_at === had.created_at && ev.id < had.id)) byKey.set(key, ev);
  }
  return [...byKey.values()];
}
