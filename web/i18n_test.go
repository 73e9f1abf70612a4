package web

import (
	"encoding/json"
	"github.com/caravan-mesh/caravan/localapi"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var langs = []string{"en", "es", "ru", "kk"}

// pluralForms are the forms of a count each catalogue gives (CLDR plural
// categories for whole numbers; plural() in i18n.js falls back to
// "other" for the rest, such as Spanish "many" for millions).
var pluralForms = map[string][]string{
	"en": {"one", "other"},
	"es": {"one", "other"},
	"ru": {"one", "few", "many", "other"},
	"kk": {"one", "other"},
}

// pluralBase returns the family a key of a count belongs to: "x.few" is
// of "x" when English has "x.one" and "x.other" (as it does for every
// count, and not for a choice named "other").
func pluralBase(key string, en map[string]string) (string, bool) {
	i := strings.LastIndexByte(key, '.')
	if i < 0 {
		return "", false
	}
	switch key[i+1:] {
	case "zero", "one", "two", "few", "many", "other":
		_, one := en[key[:i]+".one"]
		_, other := en[key[:i]+".other"]
		return key[:i], one && other
	}
	return "", false
}

// catalogue reads every part of one language's catalogue.
func catalogue(t *testing.T, lang string) map[string]string {
	t.Helper()
	out := map[string]string{}
	parts, err := fs.Glob(assets, "assets/i18n/"+lang+"/*.json")
	if err != nil || len(parts) == 0 {
		t.Fatalf("no catalogue for %s: %v", lang, err)
	}
	for _, p := range parts {
		b, _ := assets.ReadFile(p)
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for k, v := range m {
			if _, dup := out[k]; dup {
				t.Errorf("%s: key %q is also in another part", p, k)
			}
			out[k] = v
		}
	}
	return out
}

// Every string the scripts ask for is in the English catalogue, and every
// English string is translated into the other languages, with the same
// placeholders; a count's text has every plural form of each language.
func TestCataloguesComplete(t *testing.T) {
	en := catalogue(t, "en")
	used, prefixes, plurals := map[string]string{}, map[string]string{}, map[string]string{}
	// t('key') or t('key', vars); t('prefix.' + x) names a family of keys;
	// plural('key', n) the forms of key.
	call := regexp.MustCompile(`\bt\(\s*'([a-zA-Z0-9_.-]+)'\s*([,)+])`)
	pluralCall := regexp.MustCompile(`\bplural\(\s*'([a-zA-Z0-9_.-]+)'\s*,`)
	fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		b, _ := assets.ReadFile(p)
		for _, m := range call.FindAllStringSubmatch(string(b), -1) {
			if m[2] == "+" {
				prefixes[m[1]] = p
			} else {
				used[m[1]] = p
			}
		}
		for _, m := range pluralCall.FindAllStringSubmatch(string(b), -1) {
			plurals[m[1]] = p
		}
		return nil
	})
	if len(used) < 10 {
		t.Fatalf("found only %d t('...') calls: is the pattern still right?", len(used))
	}
	for k, p := range used {
		if _, ok := en[k]; !ok {
			t.Errorf("%s uses %q, which is not in the English catalogue", p, k)
		}
	}
	for base, p := range plurals {
		for _, f := range pluralForms["en"] {
			if _, ok := en[base+"."+f]; !ok {
				t.Errorf("%s counts with %q, and the English catalogue lacks %q", p, base, base+"."+f)
			}
		}
	}
	for pre, p := range prefixes {
		found := false
		for k := range en {
			found = found || strings.HasPrefix(k, pre)
		}
		if !found {
			t.Errorf("%s uses keys starting %q, and the English catalogue has none", p, pre)
		}
	}
	ph := regexp.MustCompile(`\{\w+\}`)
	for _, l := range langs[1:] {
		other := catalogue(t, l)
		var missing []string
		for k, v := range en {
			tv, ok := other[k]
			if !ok || strings.TrimSpace(tv) == "" {
				missing = append(missing, k)
				continue
			}
			a, b := ph.FindAllString(v, -1), ph.FindAllString(tv, -1)
			sort.Strings(a)
			sort.Strings(b)
			if strings.Join(a, ",") != strings.Join(b, ",") {
				t.Errorf("%s %q: placeholders %v, English has %v", l, k, b, a)
			}
		}
		for k, v := range other {
			if _, ok := en[k]; ok {
				continue
			}
			base, ok := pluralBase(k, en)
			if !ok {
				t.Errorf("%s has %q, which English does not", l, k)
				continue
			}
			a, b := ph.FindAllString(en[base+".other"], -1), ph.FindAllString(v, -1)
			sort.Strings(a)
			sort.Strings(b)
			if strings.Join(a, ",") != strings.Join(b, ",") {
				t.Errorf("%s %q: placeholders %v, English has %v", l, k, b, a)
			}
		}
		for k := range en {
			if base, ok := pluralBase(k, en); ok && strings.HasSuffix(k, ".other") {
				for _, f := range pluralForms[l] {
					if _, ok := other[base+"."+f]; !ok {
						missing = append(missing, base+"."+f)
					}
				}
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s lacks %d strings: %v", l, len(missing), missing)
		}
	}
}

// Every error code of the local API has words in every language, which
// errorText (ui.js) shows instead of the node's English.
func TestCodesInCatalogues(t *testing.T) {
	for _, l := range langs {
		c := catalogue(t, l)
		for _, code := range localapi.Codes() {
			if strings.TrimSpace(c["error.code."+code]) == "" {
				t.Errorf("%s: no words for the API's code %q (error.code.%s)", l, code, code)
			}
		}
	}
}
