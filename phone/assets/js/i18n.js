// Message catalogues. The node serves each language's parts
// (i18n/<lang>/core.json, chat.json, feed.json: flat {"key": "text"})
// merged into one file, /phone/i18n/<lang>.json, so a slow link fetches
// one file per language. A string missing in a language falls back to
// English, then to the key. Placeholders are {name}. A count's text is a
// family of keys, one per plural form of the language (key.one, key.few,
// key.many, key.other): see plural().

export const LANGS = [
  ['en', 'English'],
  ['es', 'Español'],
  ['ru', 'Русский'],
  ['kk', 'Қазақша'],
];
export const PARTS = ['core', 'chat', 'feed'];

const SAVED = 'caravan.phone.lang';
let current = 'en';
let strings = {};
let english = {};
const listeners = new Set();

async function loadLang(code) {
  try {
    const r = await fetch(`/phone/i18n/${code}.json`, { cache: 'no-cache' });
    return r.ok ? await r.json() : {};
  } catch {
    return {}; // the node is unreachable: English, or keys, until it is back
  }
}

// pick chooses the language: the one saved on this phone, else the
// browser's own preferences, else English.
export function pick() {
  const saved = localStorage.getItem(SAVED);
  if (saved && LANGS.some(([c]) => c === saved)) return saved;
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const base = String(l).toLowerCase().split('-')[0];
    if (LANGS.some(([c]) => c === base)) return base;
  }
  return 'en';
}

// setLang loads a language (and English, for what it lacks); with save, the
// choice is remembered on this phone. Listeners (onLang) redraw.
export async function setLang(code, save) {
  if (!LANGS.some(([c]) => c === code)) code = 'en';
  if (Object.keys(english).length === 0) english = await loadLang('en');
  strings = code === 'en' ? english : await loadLang(code);
  current = code;
  if (save) localStorage.setItem(SAVED, code);
  document.documentElement.lang = code;
  for (const fn of listeners) fn(code);
}

// onLang calls fn after each change of language, until the returned
// function is called.
export function onLang(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function lang() { return current; }

// t returns the text for key in the current language, with {name}
// placeholders filled from vars.
export function t(key, vars) {
  let s = strings[key] ?? english[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

// has reports whether the catalogue has key (in this language or English).
export function has(key) { return key in strings || key in english; }

// plural returns the text for a count n: the form the language's plural
// rules choose for n (Intl.PluralRules), or key.other when the catalogue
// has no such form, with {n} and vars filled in.
export function plural(key, n, vars) {
  let form = 'other';
  try { form = new Intl.PluralRules(current).select(n); } catch { /* no rules for the language */ }
  const k = `${key}.${form}` in strings || `${key}.${form}` in english ? `${key}.${form}` : `${key}.other`;
  return t(k, { ...vars, n });
}
