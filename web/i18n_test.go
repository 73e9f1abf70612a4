package web

import (
	"encoding/json"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var langs = []string{"en", "es", "ru", "kk"}

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
// placeholders.
func TestCataloguesComplete(t *testing.T) {
	en := catalogue(t, "en")
	used, prefixes := map[string]string{}, map[string]string{}
	// t('key') or t('key', vars); t('prefix.' + x) names a family of keys.
	call := regexp.MustCompile(`\bt\(\s*'([a-zA-Z0-9_.-]+)'\s*([,)+])`)
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
		for k := range other {
			if _, ok := en[k]; !ok {
				t.Errorf("%s has %q, which English does not", l, k)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s lacks %d strings: %v", l, len(missing), missing)
		}
	}
}
