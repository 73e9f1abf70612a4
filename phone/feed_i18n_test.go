package phone_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/node"
)

var feedLangs = []string{"en", "es", "ru", "kk"}

// pluralForm matches the suffix of a key that is one plural form of a
// text (plural(key, n) picks key.one, key.few... by the language's rules).
var pluralForm = regexp.MustCompile(`\.(zero|one|two|few|many|other)$`)

// Every key the tab's code names is in the English catalogue, and every
// language has English's keys, none empty; a text by count has the forms
// its language needs, "other" at least.
func TestFeedCatalogues(t *testing.T) {
	en := feedCatalogue(t, "en")
	used := map[string]bool{}
	var prefixes []string
	files, _ := filepath.Glob(filepath.Join("assets", "js", "feed", "*.js"))
	keyRE := regexp.MustCompile(`'(feed\.[A-Za-z0-9.-]+)'`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			if strings.HasSuffix(m[1], ".") {
				prefixes = append(prefixes, m[1])
			} else {
				used[m[1]] = true
			}
		}
		// Keys made from the node's refusal prefixes: feed.refused.<prefix>.
		if m := regexp.MustCompile(`const PREFIXES = \[([^\]]*)\]`).FindStringSubmatch(string(b)); m != nil {
			for _, p := range regexp.MustCompile(`'([a-z-]+)'`).FindAllStringSubmatch(m[1], -1) {
				used["feed.refused."+p[1]] = true
			}
		}
	}
	if len(used) < 50 {
		t.Fatalf("found only %d keys in %v: is the scan broken?", len(used), files)
	}
	for k := range used {
		if _, ok := en[k]; !ok {
			if _, ok := en[k+".other"]; !ok {
				t.Errorf("the code uses %s, which en/feed.json lacks", k)
			}
		}
	}
	for _, p := range prefixes {
		found := false
		for k := range en {
			found = found || strings.HasPrefix(k, p)
		}
		if !found {
			t.Errorf("no key starts with %s", p)
		}
	}
	for k := range en {
		if !used[k] && !used[pluralForm.ReplaceAllString(k, "")] && !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(k, p) }) {
			t.Errorf("en/feed.json has %s, which no code uses", k)
		}
	}
	for _, lang := range feedLangs[1:] {
		c := feedCatalogue(t, lang)
		for k := range en {
			if pluralForm.MatchString(k) {
				k = pluralForm.ReplaceAllString(k, ".other")
			}
			if strings.TrimSpace(c[k]) == "" {
				t.Errorf("%s/feed.json lacks %s", lang, k)
			}
		}
		for k, v := range c {
			base := pluralForm.ReplaceAllString(k, "")
			if _, ok := en[k]; !ok && (base == k || en[base+".other"] == "") {
				t.Errorf("%s/feed.json has %s, which English lacks", lang, k)
			}
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s/feed.json has an empty %s", lang, k)
			}
		}
		placeholders := regexp.MustCompile(`\{\w+\}`)
		for k, v := range c {
			ek := k
			if _, ok := en[k]; !ok {
				ek = pluralForm.ReplaceAllString(k, ".other")
			}
			want, got := placeholders.FindAllString(en[ek], -1), placeholders.FindAllString(v, -1)
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(want, got) {
				t.Errorf("%s %s has placeholders %v; English %s has %v", lang, k, got, ek, want)
			}
		}
	}
}

// feedVisibleText is the tab's own words on screen: text and the
// placeholder, aria-label and title attributes of what is shown, leaving
// out what people wrote (inside [data-user]), words marked as in another
// language (a language's own name, lang="es"), and the options of a
// select but the chosen one.
const feedVisibleText = `(() => {
	const out = [];
	const tab = document.getElementById('feed-tab');
	const reader = document.documentElement.lang;
	const foreign = (e) => { const l = e.closest('[lang]'); return l && tab.contains(l) && l.lang !== reader; };
	const shown = (e) => e.checkVisibility() && !e.closest('[data-user]') && !foreign(e);
	const walk = document.createTreeWalker(tab, NodeFilter.SHOW_TEXT);
	for (let n = walk.nextNode(); n; n = walk.nextNode()) {
		const e = n.parentElement;
		const opt = e.closest('option');
		if (!n.nodeValue.trim() || (opt ? !opt.selected || !shown(opt.parentElement) : !shown(e))) continue;
		out.push(n.nodeValue.trim());
	}
	for (const e of tab.querySelectorAll('[placeholder], [aria-label], [title]')) {
		if (!shown(e)) continue;
		for (const a of ['placeholder', 'aria-label', 'title']) if (e.getAttribute(a)) out.push(e.getAttribute(a));
	}
	return out;
})()`

// The tab in each of its four languages: the feed, a report, and writing
// a note and a report show only the language's words. No English from
// the catalogue shows in another language (where the two differ), no
// catalogue key shows in place of a text, and in Russian and Kazakh no
// Latin word shows but the names Markdown and https.
func TestFeedLanguagesDoNotLeakEnglish(t *testing.T) {
	fn := startFeedNode(t, node.Config{})
	alice, beatriz, reader := newFeedKey(t), newFeedKey(t), newFeedKey(t)
	fn.profile(alice, "Alice")
	fn.profile(beatriz, "Beatriz")
	orig := fn.report(alice, 2*time.Hour, "road", "en", "The north road is open", "Since this morning",
		"Trucks passed at **eight**.\n\n- water\n- bread\n\n> Seen by three people.", 0)
	fn.translation(beatriz, time.Hour, orig, "es", "La carretera norte está abierta", "Desde esta mañana",
		"Los camiones pasaron a las **ocho**.")
	fn.publish(alice, event.KindTextNote, 3*time.Minute, nil, "Bread at the bakery on Abay street.")
	en := feedCatalogue(t, "en")
	keyRE := regexp.MustCompile(`\bfeed\.[A-Za-z]`)
	latinRE := regexp.MustCompile(`[A-Za-z]{3,}`)

	b := newFeedBrowser(t, fn)
	for _, lang := range feedLangs {
		cat := feedCatalogue(t, lang)
		var english []*regexp.Regexp // English texts that differ in lang
		for k, v := range en {
			if cat[k] == v {
				continue
			}
			for _, seg := range regexp.MustCompile(`\{\w+\}`).Split(v, -1) {
				seg = strings.Trim(seg, " .,:;()«»“”\"'…—-")
				if len([]rune(seg)) >= 4 {
					english = append(english, regexp.MustCompile(`\b`+regexp.QuoteMeta(seg)+`\b`))
				}
			}
		}
		check := func(stage string) {
			t.Helper()
			var texts []string
			b.evalInto(feedVisibleText, &texts)
			if len(texts) < 3 {
				t.Errorf("%s %s: only %q on screen", lang, stage, texts)
			}
			for _, s := range texts {
				if keyRE.MatchString(s) {
					t.Errorf("%s %s: a catalogue key shows: %q", lang, stage, s)
				}
				if lang == "en" {
					continue
				}
				for _, re := range english {
					if re.MatchString(s) {
						t.Errorf("%s %s: English %q shows in %q", lang, stage, re.String(), s)
					}
				}
				if lang == "ru" || lang == "kk" {
					for _, w := range latinRE.FindAllString(s, -1) {
						if w != "Markdown" && w != "https" {
							t.Errorf("%s %s: the Latin word %q shows in %q", lang, stage, w, s)
						}
					}
				}
			}
		}
		b.open(reader, lang)
		b.waitJS(`document.querySelectorAll('.feed-item').length === 2 && !document.querySelector('#feed-refresh').disabled`)
		check("feed")
		b.shot(lang + "-feed")
		b.tap(".feed-report .feed-open")
		b.waitJS(`!!document.querySelector('#feed-report-body') && document.querySelectorAll('#feed-langs li').length === 2`)
		check("report")
		b.shot(lang + "-report")
		b.tap("#feed-back")
		b.tap("#feed-write")
		b.waitJS(`!!document.querySelector('#feed-compose')`)
		check("write a note")
		b.tap("#feed-publish") // empty: the form says what is missing
		b.waitJS(`document.querySelector('#feed-compose-status')?.innerText !== ''`)
		check("an empty note")
		b.tap("#feed-kind-report")
		check("write a report")
		b.shot(lang + "-write-report")
	}
}
