package phone_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/internal/cataloguetest"
	"github.com/caravan-mesh/caravan/phone"
)

var langs = cataloguetest.Langs

// catalogue reads every part of one language's catalogue.
func catalogue(t *testing.T, lang string) map[string]string {
	t.Helper()
	return cataloguetest.Read(t, phone.Assets, "i18n", lang)
}

// TestCataloguesComplete: every key the page's scripts ask for (t('key'),
// a family t('prefix.' + x), plural('key', n), and the tab bar's keys,
// which TABS in app.js names in an array) is in the English catalogue;
// every English key is in es, ru and kk with the same placeholders, and
// counts have each language's plural forms.
func TestCataloguesComplete(t *testing.T) {
	cataloguetest.Complete(t, phone.Assets, "js", func(l string) map[string]string { return catalogue(t, l) }, 50,
		regexp.MustCompile(`'(tab\.[a-z]+)'`))
}

// visibleWords lists the page's own words now on screen: every visible
// text, and the placeholders, labels and titles people see or hear,
// except what comes from people and events (marked data-user) and the
// names of the languages in the language menu.
const visibleWords = `(() => {
	const out = [];
	const shown = (e) => e.checkVisibility ? e.checkVisibility({ visibilityProperty: true }) : e.offsetParent !== null;
	const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n = walk.nextNode(); n; n = walk.nextNode()) {
		const p = n.parentElement;
		const s = n.textContent.trim();
		if (!s || !p || p.closest('[data-user], option, script, noscript') || !shown(p)) continue;
		out.push(s);
	}
	for (const e of document.querySelectorAll('[placeholder], [aria-label], [title]')) {
		if (e.closest('[data-user]') || !shown(e)) continue;
		for (const a of ['placeholder', 'aria-label', 'title']) {
			const v = (e.getAttribute(a) || '').trim();
			if (v) out.push(v);
		}
	}
	return out;
})()`

// checkWords fails the test for each word on screen that is not from
// lang's catalogue (a catalogue text, its placeholders filled with
// anything), naming English that leaked.
func checkWords(t *testing.T, p *phoneBrowser, lang, screen string, cat, en map[string]string) {
	t.Helper()
	var words []string
	p.evalInto(visibleWords, &words)
	if len(words) < 3 {
		t.Errorf("%s %s: only %d words on screen: %q", lang, screen, len(words), words)
	}
	match := func(c map[string]string, s string) bool {
		for _, v := range c {
			if v == s {
				return true
			}
			if strings.Contains(v, "{") {
				re := "^" + regexp.MustCompile(`\\\{\w+\\\}`).ReplaceAllString(regexp.QuoteMeta(v), `.+`) + "$"
				if regexp.MustCompile(re).MatchString(s) {
					return true
				}
			}
		}
		return false
	}
	for _, w := range words {
		if match(cat, w) {
			continue
		}
		if match(en, w) {
			t.Errorf("%s %s: English on screen: %q", lang, screen, w)
		} else {
			t.Errorf("%s %s: words on screen from no catalogue: %q", lang, screen, w)
		}
	}
}

// layoutProblems lists what does not fit a phone on the screen now:
// anything wider than the screen (a horizontal scroll), and touch
// targets smaller than 44 CSS pixels.
const layoutProblems = `(() => {
	const out = [];
	const w = document.documentElement.clientWidth;
	if (document.documentElement.scrollWidth > w) out.push('the page is ' + document.documentElement.scrollWidth + 'px wide on a ' + w + 'px screen');
	for (const e of document.querySelectorAll('body *')) {
		const r = e.getBoundingClientRect();
		if (r.width > 0 && r.right > w + 1 && getComputedStyle(e).position !== 'fixed' && !e.closest('.visually-hidden')) out.push('<' + e.tagName.toLowerCase() + ' class=' + e.className + '> reaches ' + Math.round(r.right) + 'px');
	}
	const targets = 'button, a.button, a.tab, a.item, a.back, select, textarea, input:not([type=checkbox]):not([type=file]), label.check';
	for (const e of document.querySelectorAll(targets)) {
		const r = e.getBoundingClientRect();
		if (r.width === 0 && r.height === 0) continue;
		if (!e.checkVisibility({ visibilityProperty: true })) continue;
		if (r.height < 43.5 || r.width < 43.5) out.push('<' + e.tagName.toLowerCase() + (e.id ? ' id=' + e.id : '') + '> is ' + Math.round(r.width) + '×' + Math.round(r.height) + 'px: ' + e.textContent.slice(0, 30));
	}
	return out.slice(0, 10);
})()`

func checkLayout(t *testing.T, p *phoneBrowser, what string) {
	t.Helper()
	var problems []string
	p.evalInto(layoutProblems, &problems)
	for _, pr := range problems {
		t.Errorf("%s: %s", what, pr)
	}
}

// TestBrowserLanguages: in each language, as the browser says it, every
// main screen shows only that language's words; the language can be
// switched and the choice is remembered across a reload.
func TestBrowserLanguages(t *testing.T) {
	t.Parallel()
	tn := startNode(t)
	en := catalogue(t, "en")
	browserLang := map[string]string{"en": "en-US", "es": "es-ES", "ru": "ru-RU", "kk": "kk-KZ"}
	for _, lang := range langs {
		cat := catalogue(t, lang)
		p := newPhone(t, lang, browserLang[lang])
		p.open(tn.Base + "/")
		p.waitScreen("welcome")
		p.waitJS(`document.documentElement.lang === ` + jsString(lang))
		checkWords(t, p, lang, "welcome", cat, en)
		checkLayout(t, p, lang+" welcome")
		p.shot(lang + "-welcome")
		p.click("#start-create")
		p.waitScreen("create")
		p.typeInto("#pass1", "short")
		checkWords(t, p, lang, "create", cat, en)
		p.setField("#pass1", "")
		pk := p.createIdentity(tn, passA)
		_ = pk
		other := newPlainIdentity()
		npub := must(nipNpub(other.pk))
		p.addContact(npub, "Dana")
		checkWords(t, p, lang, "person", cat, en)
		p.shot(lang + "-person")
		p.openChat(other.pk)
		p.send("Hello")
		checkWords(t, p, lang, "chat", cat, en)
		checkLayout(t, p, lang+" chat")
		p.shot(lang + "-chat")
		for _, s := range [][2]string{{"#/chats", "chats"}, {"#/people", "people"}, {"#/add", "add"}, {"#/new", "new"}, {"#/newgroup", "newgroup"}, {"#/me", "me"}, {"#/backup", "backup"}, {"#/public", "public"}} {
			p.show(s[0], s[1])
			checkWords(t, p, lang, s[1], cat, en)
			checkLayout(t, p, lang+" "+s[1])
		}
		if lang == "kk" || lang == "ru" {
			// Large text, as a phone set for it shows pages.
			p.fontSize(28)
			for _, s := range [][2]string{{"#/chats", "chats"}, {"#/person/" + other.pk, "person"}, {"#/me", "me"}} {
				p.show(s[0], s[1])
				checkLayout(t, p, lang+" "+s[1]+" with large text")
			}
			p.shot(lang + "-me-large-text")
			p.fontSize(16)
		}
		p.show("#/me", "me")
		p.shot(lang + "-me")
		p.reload()
		p.waitScreen("unlock")
		checkWords(t, p, lang, "unlock", cat, en)
		p.shot(lang + "-unlock")
	}

	// Switched on the page, and remembered.
	p := newPhone(t, "switch", "en-US")
	p.open(tn.Base + "/")
	p.waitScreen("welcome")
	p.evalInto(`(() => { const s = document.getElementById('lang'); s.value = 'kk'; s.dispatchEvent(new Event('change')); })()`, nil)
	p.waitJS(`document.documentElement.lang === 'kk' && document.getElementById('start-create').textContent === ` + jsString(catalogue(t, "kk")["welcome.create"]))
	p.reload()
	p.waitScreen("welcome")
	p.waitJS(`document.documentElement.lang === 'kk'`)
	checkWords(t, p, "kk", "welcome after a reload", catalogue(t, "kk"), en)
}
