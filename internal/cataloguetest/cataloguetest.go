// Package cataloguetest checks the message catalogues of the project's
// web pages (the web UI's and the phone page's): i18n/<lang>/<part>.json,
// flat {"key": "text"} with {placeholders}, read by scripts that ask for
// t('key'), t('prefix.' + x) and plural('key', n).
package cataloguetest

import (
	"encoding/json"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Langs are the catalogues' languages, English first.
var Langs = []string{"en", "es", "ru", "kk"}

// PluralForms are the forms of a count each catalogue gives (CLDR plural
// categories for whole numbers; plural() falls back to "other" for the
// rest, such as Spanish "many" for millions).
var PluralForms = map[string][]string{
	"en": {"one", "other"},
	"es": {"one", "other"},
	"ru": {"one", "few", "many", "other"},
	"kk": {"one", "other"},
}

// Read reads every part of one language's catalogue, dir/<lang>/*.json
// in fsys; a key in two parts is an error.
func Read(t testing.TB, fsys fs.FS, dir, lang string) map[string]string {
	t.Helper()
	out := map[string]string{}
	parts, err := fs.Glob(fsys, path.Join(dir, lang, "*.json"))
	if err != nil || len(parts) == 0 {
		t.Fatalf("no catalogue for %s: %v", lang, err)
	}
	for _, p := range parts {
		b, _ := fs.ReadFile(fsys, p)
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

// PluralBase returns the family a key of a count belongs to: "x.few" is
// of "x" when English has "x.one" and "x.other" (as it does for every
// count, and not for a choice named "other").
func PluralBase(key string, en map[string]string) (string, bool) {
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

// Complete checks that every key the scripts under dir in fsys ask for
// (t('key') or t('key', vars); t('prefix.' + x), a family of keys;
// plural('key', n), the forms of key; and the first group of each of
// extra) is in the English catalogue, and that every English string is
// in the other languages with the same placeholders, a count's text with
// every plural form of each language. Fewer than minCalls t('...') calls
// found means the patterns no longer fit the scripts.
func Complete(t *testing.T, fsys fs.FS, dir string, read func(lang string) map[string]string, minCalls int, extra ...*regexp.Regexp) {
	t.Helper()
	en := read("en")
	used, prefixes, plurals := map[string]string{}, map[string]string{}, map[string]string{}
	call := regexp.MustCompile(`\bt\(\s*'([a-zA-Z0-9_.-]+)'\s*([,)+])`)
	pluralCall := regexp.MustCompile(`\bplural\(\s*'([a-zA-Z0-9_.-]+)'\s*,`)
	fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".js" {
			return err
		}
		b, _ := fs.ReadFile(fsys, p)
		for _, m := range call.FindAllStringSubmatch(string(b), -1) {
			if m[2] == "+" {
				prefixes[m[1]] = p
			} else {
				used[m[1]] = p
			}
		}
		for _, re := range extra {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				used[m[1]] = p
			}
		}
		for _, m := range pluralCall.FindAllStringSubmatch(string(b), -1) {
			plurals[m[1]] = p
		}
		return nil
	})
	if len(used) < minCalls {
		t.Fatalf("found only %d t('...') calls: is the pattern still right?", len(used))
	}
	for k, p := range used {
		if _, ok := en[k]; !ok {
			t.Errorf("%s uses %q, which is not in the English catalogue", p, k)
		}
	}
	for base, p := range plurals {
		for _, f := range PluralForms["en"] {
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
	samePlaceholders := func(l, k, want, got string) {
		a, b := ph.FindAllString(want, -1), ph.FindAllString(got, -1)
		sort.Strings(a)
		sort.Strings(b)
		if strings.Join(a, ",") != strings.Join(b, ",") {
			t.Errorf("%s %q: placeholders %v, English has %v", l, k, b, a)
		}
	}
	for _, l := range Langs[1:] {
		other := read(l)
		var missing []string
		for k, v := range en {
			tv, ok := other[k]
			if !ok || strings.TrimSpace(tv) == "" {
				missing = append(missing, k)
				continue
			}
			samePlaceholders(l, k, v, tv)
		}
		for k, v := range other {
			if _, ok := en[k]; ok {
				continue
			}
			base, ok := PluralBase(k, en)
			if !ok {
				t.Errorf("%s has %q, which English does not", l, k)
				continue
			}
			samePlaceholders(l, k, en[base+".other"], v)
		}
		for k := range en {
			if base, ok := PluralBase(k, en); ok && strings.HasSuffix(k, ".other") {
				for _, f := range PluralForms[l] {
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
