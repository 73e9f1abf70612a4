// The feed's events as the node serves them: pages of notes and reports,
// newest first (REQ with limit and until), the translations of the
// reports on screen (REQ #a), and what arrives live afterwards.

import { KIND_NOTE, KIND_REPORT, wellFormed, translationOf, address } from './events.js';

export const PAGE = 30;
const A_BATCH = 100; // addresses per #a filter

// query sends filters and resolves with the events stored so far, at
// EOSE (or when the node closes the subscription). It is closed then.
export function query(api, filters) {
  return new Promise((resolve) => {
    const got = [];
    let close = null;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      if (close) close();
      resolve(got);
    };
    close = api.subscribe(filters, {
      onevent: (ev) => { if (wellFormed(ev)) got.push(ev); },
      oneose: finish,
      onclosed: finish, // the node ended it: what came is all there is
    });
    if (done && close) close();
  });
}

// Feed holds what the tab has loaded: the items (notes and original
// reports, the newest version of each) and the translations, by the
// address of the report they translate.
export class Feed {
  constructor(api) {
    this.api = api;
    this.items = new Map(); // note id, or report address -> event
    this.translations = new Map(); // original's address -> Map(translation's address -> event)
    this.oldest = Infinity;
    this.exhausted = false;
    this.listeners = new Set();
    this.stopLive = null;
  }

  onChange(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(what) { for (const fn of this.listeners) fn(what); }

  // sorted is the items, newest first.
  sorted() {
    return [...this.items.values()].sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? -1 : 1));
  }

  translationsOf(ev) {
    return [...(this.translations.get(address(ev))?.values() || [])];
  }

  // add takes events from the node; it returns the originals and notes
  // that were new or newer than what was held, and the addresses whose
  // translations changed.
  add(events) {
    const fresh = [];
    const retranslated = new Set();
    for (const ev of events) {
      const of = translationOf(ev);
      if (of) {
        let m = this.translations.get(of.address);
        if (!m) this.translations.set(of.address, (m = new Map()));
        const key = address(ev);
        const had = m.get(key);
        if (!had || ev.created_at > had.created_at) {
          m.set(key, ev);
          retranslated.add(of.address);
        }
        continue;
      }
      const key = ev.kind === KIND_REPORT ? address(ev) : ev.id;
      const had = this.items.get(key);
      if (!had || ev.created_at > had.created_at) {
        this.items.set(key, ev);
        fresh.push(ev);
      }
    }
    return { fresh, retranslated };
  }

  // more loads the next page (the first when nothing is loaded), with the
  // translations of its reports, and returns what it added.
  async more() {
    // Events at a page's oldest second may go on in the next page: until
    // includes that second, and what is already held is skipped. Should a
    // whole page be that one second, the next starts a second earlier.
    for (let tries = 0; tries < 3 && !this.exhausted; tries++) {
      const f = { kinds: [KIND_NOTE, KIND_REPORT], limit: PAGE };
      if (this.oldest !== Infinity) f.until = this.oldest;
      const page = await query(this.api, [f]);
      let older = this.oldest;
      for (const ev of page) older = Math.min(older, ev.created_at);
      const { fresh } = this.add(page);
      if (page.length < PAGE) this.exhausted = true;
      this.oldest = fresh.length === 0 && older === this.oldest ? older - 1 : older;
      if (fresh.length) {
        await this.loadTranslations(fresh);
        this.emit('page');
        return fresh;
      }
    }
    this.emit('page');
    return [];
  }

  async loadTranslations(events) {
    const addrs = events.filter((ev) => ev.kind === KIND_REPORT).map(address);
    if (addrs.length === 0) return;
    const filters = [];
    for (let i = 0; i < addrs.length; i += A_BATCH) filters.push({ kinds: [KIND_REPORT], '#a': addrs.slice(i, i + A_BATCH) });
    this.add(await query(this.api, filters));
  }

  // live keeps a subscription open for what the node stores from now on.
  live() {
    if (this.stopLive) return;
    const since = Math.floor(Date.now() / 1000) - 60;
    this.stopLive = this.api.subscribe([{ kinds: [KIND_NOTE, KIND_REPORT], since }], {
      onevent: (ev) => {
        if (!wellFormed(ev)) return;
        const { fresh, retranslated } = this.add([ev]);
        if (fresh.length || retranslated.size) this.emit({ fresh, retranslated });
      },
      oneose: () => {},
    });
  }

  // reset forgets what was loaded (a refresh); the live subscription stays.
  reset() {
    this.items.clear();
    this.translations.clear();
    this.oldest = Infinity;
    this.exhausted = false;
  }

  stop() {
    if (this.stopLive) this.stopLive();
    this.stopLive = null;
    this.listeners.clear();
  }
}
