// Helpers of the Public tab: DOM through the shell's el(), the reader's
// locale for times and language names, and the node's refusals in the
// catalogue's words.

// makeH wraps the shell's el(tag, attrs) into h(tag, attrs, ...children):
// attributes with no value are left out, `on` adds listeners, children
// may be nested arrays, strings (always text nodes) or nodes. Only
// string attributes reach el(), so the module asks nothing of it but
// that it makes an element with those attributes.
export function makeH(el) {
  return function h(tag, attrs, ...children) {
    const plain = {};
    const flags = [];
    let on = null;
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'on') on = v;
      else if (v === true) flags.push(k);
      else if (v !== null && v !== undefined && v !== false) plain[k] = String(v);
    }
    const e = el(tag, plain);
    for (const k of flags) e.setAttribute(k, '');
    if (on) for (const [ev, fn] of Object.entries(on)) e.addEventListener(ev, fn);
    append(e, children);
    return e;
  };
}

function append(e, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(e, c);
    else e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// ENDONYMS are languages' names for themselves, for the languages the
// tab offers when writing (compose.js) and others readers meet often;
// Intl.DisplayNames is asked for the rest.
const ENDONYMS = {
  en: 'English', es: 'español', ru: 'русский', kk: 'қазақ тілі', uk: 'українська', ar: 'العربية', fa: 'فارسی',
  fr: 'français', de: 'Deutsch', pt: 'português', tr: 'Türkçe', zh: '中文', uz: 'oʻzbek', ky: 'кыргызча',
  tg: 'тоҷикӣ', be: 'беларуская', hy: 'հայերեն', ka: 'ქართული', az: 'azərbaycan', ur: 'اردو', hi: 'हिन्दी',
};

// intlKnows says whether this browser's Intl speaks lang. Without its
// data a formatter falls back on another locale (en-US), or on the root
// locale, English-like ("1970 M01 1, Thu", "-3 min", a language named by
// its code), and that must not reach a reader. Chromium as Debian builds
// it says it supports Kazakh and formats in the root locale: so each
// formatter is asked about its locale and tried on a known value.
function intlKnows(lang) {
  const base = (l) => String(l).toLowerCase().split('-')[0];
  const ok = (f, probe) => {
    try { return base(f().resolvedOptions().locale) === base(lang) && probe(f()); } catch { return false; }
  };
  return {
    dates: ok(() => new Intl.DateTimeFormat(lang, { weekday: 'long', timeZone: 'UTC' }), (f) => f.format(new Date(0)) !== 'Thu'),
    relative: ok(() => new Intl.RelativeTimeFormat(lang), (f) => !/^-/.test(f.format(-3, 'minute'))),
    names: ok(() => new Intl.DisplayNames([lang], { type: 'language' }), (f) => f.of('fr') !== 'fr'),
    numbers: ok(() => new Intl.NumberFormat(lang), () => true),
  };
}

// locale gathers what depends on the reader's language: times, language
// names, sizes, and catalogue texts with nodes in their placeholders.
// Where Intl lacks the language, the catalogue's own words (feed.ago.*,
// feed.langName.*) and numbers-only dates stand in.
export function locale(api, h) {
  const { t } = api;
  const lang = api.lang();
  const { dates, relative, names, numbers } = intlKnows(lang);
  const pad = (n) => String(n).padStart(2, '0');
  const numeric = (d) => `${pad(d.getDate())}.${pad(d.getMonth() + 1)}.${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const has = (key) => t(key) !== key;

  // when: "5 minutes ago" within a day, else the date and time.
  function when(sec, now = Date.now()) {
    const d = new Date(sec * 1000);
    const ago = (now - d.getTime()) / 1000;
    if (ago >= -300 && ago < 86400) {
      const [n, unit] = ago < 60 ? [0, 'second'] : ago < 3600 ? [Math.floor(ago / 60), 'minute'] : [Math.floor(ago / 3600), 'hour'];
      if (relative) return new Intl.RelativeTimeFormat(lang, { numeric: 'auto' }).format(-n, unit);
      return n === 0 ? t('feed.ago.now') : api.plural(unit === 'minute' ? 'feed.ago.minutes' : 'feed.ago.hours', n);
    }
    return dates ? new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(d) : numeric(d);
  }

  // fullTime: the date and time in full, for a title attribute.
  function fullTime(sec) {
    const d = new Date(sec * 1000);
    return dates ? new Intl.DateTimeFormat(lang, { dateStyle: 'full', timeStyle: 'short' }).format(d) : numeric(d);
  }

  // langName: a language in the reader's words ("Spanish"); an unknown
  // code is itself.
  function langName(code) {
    if (!code) return '';
    if (has('feed.langName.' + code)) return t('feed.langName.' + code);
    if (names) {
      try { return new Intl.DisplayNames([lang], { type: 'language' }).of(code) || code; } catch { /* not a language code */ }
    }
    return code;
  }

  function endonym(code) {
    if (ENDONYMS[code]) return ENDONYMS[code];
    try { return new Intl.DisplayNames([code], { type: 'language', fallback: 'none' }).of(code) || ''; } catch { return ''; }
  }

  // langText: "Spanish (español)", as text (a select's option).
  function langText(code) {
    const here = langName(code);
    const self = endonym(code);
    return self && self.toLowerCase() !== here.toLowerCase() ? `${here} (${self})` : here;
  }

  // langLabel: the same as nodes, the language's own name marked as
  // being in that language.
  function langLabel(code) {
    const here = langName(code);
    const self = endonym(code);
    if (!self || self.toLowerCase() === here.toLowerCase()) return [here];
    return [here, ' (', h('span', { lang: code, dir: 'auto' }, self), ')'];
  }

  function kb(bytes) {
    const n = Math.max(1, Math.round(bytes / 1024));
    return t('feed.kb', { n: numbers ? new Intl.NumberFormat(lang).format(n) : String(n) });
  }

  // fill: the catalogue's text for key with vars in its placeholders;
  // a var that is a node goes in as that node (a person's name in a
  // [data-user] span, say), the rest as text.
  function fill(key, vars) {
    const parts = [];
    const re = /\{(\w+)\}/g;
    const s = t(key);
    let last = 0;
    for (let m = re.exec(s); m; m = re.exec(s)) {
      parts.push(s.slice(last, m.index));
      parts.push(m[1] in vars ? vars[m[1]] : m[0]);
      last = m.index + m[0].length;
    }
    parts.push(s.slice(last));
    return parts.filter((x) => x !== '');
  }

  // who: a person's name, marked as what a person chose, not the page.
  const who = (pubkey) => h('span', { class: 'feed-who', dir: 'auto', 'data-user': true }, api.nameOf(pubkey));

  return { lang, when, fullTime, langName, langText, langLabel, kb, fill, who };
}

// The machine-readable prefixes of NIP-01 OK messages that the page has
// its own words for.
const PREFIXES = ['rate-limited', 'restricted', 'auth-required', 'blocked', 'invalid', 'pow', 'duplicate', 'error'];

// refusalKey is the catalogue key for a node's OK-false message, by its
// prefix ("rate-limited: ..." -> feed.refused.rate-limited).
export function refusalKey(message) {
  if (message === 'outbox-full') return 'feed.outboxFull'; // the shell's own answer
  const m = /^([a-z-]+):/.exec(String(message || ''));
  return m && PREFIXES.includes(m[1]) ? 'feed.refused.' + m[1] : 'feed.refused.other';
}

// uploadErrorKey is the catalogue key for a failed blob upload. The
// shell's uploadBlob rejects with an Error whose fields are its own: the
// HTTP status (status), the node's X-Reason (reason) or the message; any
// of them may be missing, so each is looked at.
export function uploadErrorKey(err) {
  const text = [err?.reason, err?.message].filter(Boolean).join(' ');
  const m = /(?:^|\s)(rate-limited|restricted|auth-required|blocked):/.exec(text);
  if (m) return 'feed.refused.' + m[1];
  const status = Number(err?.status) || Number((/\b(4\d\d|5\d\d)\b/.exec(text) || [])[1]) || 0;
  if (status === 413 || /at most \d+|larger than/.test(text)) return 'feed.upload.tooLarge';
  if (status === 401 || status === 403 || /stores uploads only/.test(text)) return 'feed.upload.notAllowed';
  if (status === 507) return 'feed.upload.full';
  if (err instanceof TypeError || /failed to fetch|network/i.test(text)) return 'feed.upload.offline';
  return 'feed.upload.failed';
}

// short clips text to n characters, with an ellipsis.
export function short(s, n) {
  s = String(s || '');
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
