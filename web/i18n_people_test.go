package web

import (
	"encoding/json"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The screens of the people part: chats, contacts, links, bundles,
// settings, and what they share.
var peopleScreens = []string{
	"assets/screens/chats.js",
	"assets/screens/chat.js",
	"assets/screens/contacts.js",
	"assets/screens/links.js",
	"assets/screens/bundles.js",
	"assets/screens/settings.js",
	"assets/screens/people-common.js",
}

func catalogue(t *testing.T, lang, part string) map[string]string {
	t.Helper()
	b, err := fs.ReadFile(assets, "assets/i18n/"+lang+"/"+part+".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s/%s.json: %v", lang, part, err)
	}
	return m
}

var (
	// t('key') and t('key', {...}): a whole key.
	staticKey = regexp.MustCompile(`\bt\('([^']+)'\s*[,)]`)
	// t('prefix.' + x): keys made at run time; some key must start so.
	dynamicKey = regexp.MustCompile(`\bt\('([^']+)'\s*\+`)
	// {name} placeholders.
	placeholder = regexp.MustCompile(`\{\w+\}`)
)

// TestPeopleStrings checks that every key the people screens use is in
// the English catalogue (people or core), and that every English string of
// the people part has a translation with the same placeholders.
func TestPeopleStrings(t *testing.T) {
	en := catalogue(t, "en", "people")
	core := catalogue(t, "en", "core")
	has := func(k string) bool { _, a := en[k]; _, b := core[k]; return a || b }
	for _, f := range peopleScreens {
		src, err := fs.ReadFile(assets, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range staticKey.FindAllStringSubmatch(string(src), -1) {
			if !has(m[1]) {
				t.Errorf("%s uses t(%q), which is in neither en/people.json nor en/core.json", f, m[1])
			}
		}
		for _, m := range dynamicKey.FindAllStringSubmatch(string(src), -1) {
			found := false
			for k := range en {
				found = found || strings.HasPrefix(k, m[1])
			}
			if !found {
				t.Errorf("%s makes keys starting %q, and en/people.json has none", f, m[1])
			}
		}
	}
	keys := make([]string, 0, len(en))
	for k := range en {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, lang := range []string{"es", "ru", "kk"} {
		tr := catalogue(t, lang, "people")
		for _, k := range keys {
			s, ok := tr[k]
			if !ok || strings.TrimSpace(s) == "" {
				t.Errorf("%s/people.json lacks %q", lang, k)
				continue
			}
			if a, b := placeholders(en[k]), placeholders(s); a != b {
				t.Errorf("%s/people.json %q has placeholders %s, English %s", lang, k, b, a)
			}
		}
		for k := range tr {
			if _, ok := en[k]; !ok {
				t.Errorf("%s/people.json has %q, which English does not", lang, k)
			}
		}
	}
}

func placeholders(s string) string {
	p := placeholder.FindAllString(s, -1)
	sort.Strings(p)
	return strings.Join(p, " ")
}

// TestPeopleStateKeys checks the keys the screens build from values the
// API sends: message states, peer kinds and states, sync phases.
func TestPeopleStateKeys(t *testing.T) {
	en := catalogue(t, "en", "people")
	var want []string
	for _, s := range []string{"queued", "carried", "delivered"} {
		want = append(want, "people.state."+s, "people.state."+s+".help")
	}
	for _, s := range []string{"peer", "relay", "lan", "stdio"} {
		want = append(want, "links.kind."+s)
	}
	for _, s := range []string{"connecting", "connected", "idle"} {
		want = append(want, "links.state."+s)
	}
	for _, s := range []string{"connecting", "reconciling", "transferring", "live", "done"} {
		want = append(want, "links.phase."+s)
	}
	for _, s := range []string{"keys", "messages", "contacts", "drafts"} {
		want = append(want, "settings.panicErase."+s)
	}
	for _, s := range []string{"reports", "carried"} {
		want = append(want, "settings.panicKeep."+s)
	}
	for _, k := range want {
		if _, ok := en[k]; !ok {
			t.Errorf("en/people.json lacks %q", k)
		}
	}
}
