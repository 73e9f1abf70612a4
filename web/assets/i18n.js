// Message catalogues: i18n/<lang>/<part>.json, flat {"key": "text"}.
// A string missing in a language falls back to English, then to the key.
// Placeholders are {name}. A count's text is a family of keys, one per
// plural form of the language (key.one, key.few, key.many, key.other):
// see plural().

export const LANGS = [
  ['en', 'English'],
  ['es', 'Español'],
  ['ru', 'Русский'],
  ['kk', 'Қазақша'],
];
const PARTS = ['core', 'reports', 'people'];

let current = 'en';
let strings = {};
let english = {};

async function loadLang(code) {
  const out = {};
  await Promise.all(PARTS.map(async (p) => {
    const r = await fetch(`/i18n/${code}/${p}.json`, { cache: 'no-cache' });
    if (r.ok) Object.assign(out, await r.json());
  }));
  return out;
}

// pick chooses the language: the one saved in this browser, else the
// browser's own preferences, else English.
export function pick() {
  const saved = localStorage.getItem('caravan.lang');
  if (saved && LANGS.some(([c]) => c === saved)) return saved;
  for (const l of navigator.languages || [navigator.language || 'en']) {
    const base = String(l).toLowerCase().split('-')[0];
    if (LANGS.some(([c]) => c === base)) return base;
  }
  return 'en';
}

export async function setLang(code, save) {
  if (!LANGS.some(([c]) => c === code)) code = 'en';
  if (Object.keys(english).length === 0) english = await loadLang('en');
  strings = code === 'en' ? english : await loadLang(code);
  current = code;
  if (save) localStorage.setItem('caravan.lang', code);
  document.documentElement.lang = code;
}

export function lang() { return current; }

// t returns the text for key in the current language.
export function t(key, vars) {
  let s = strings[key] ?? english[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

// has reports whether the catalogue has key (in this language or English).
export function has(key) { return key in strings || key in english; }

// plural returns the text for a count n: the form the language's plural
// rules choose for n (key.one, key.few, key.many...; Intl.PluralRules), or
// key.other when the catalogue has no such form, with {n} and vars filled
// in.
export function plural(key, n, vars) {
  let form = 'other';
  try { form = new Intl.PluralRules(current).select(n); } catch { /* no rules for the language */ }
  return t(`${key}.${form}` in strings ? `${key}.${form}` : `${key}.other`, { ...vars, n });
}
