package web

import (
	"encoding/json"
	"io/fs"
	"regexp"
	"slices"
	"testing"
)

// The report screens and the helpers they share.
var reportScreens = []string{"welcome", "feed", "report", "write", "translate", "reportkit"}

var (
	// t('key', ...)
	repTCall = regexp.MustCompile(`\bt\(\s*'([^']+)'`)
	// t(cond ? 'a' : 'b')
	repTChoice = regexp.MustCompile(`\bt\([^()]*?\?\s*'([^']+)'\s*:\s*'([^']+)'`)
	// keys handed around before reaching t(), e.g. points('welcome.doesTitle', [...])
	repOwnKey = regexp.MustCompile(`'((?:welcome|feed|report|write|translate|rep)\.[A-Za-z0-9_.]+)'`)
	// {repPlaceholder}
	repPlaceholder = regexp.MustCompile(`\{(\w+)\}`)
)

func reportsCatalogue(t *testing.T, lang, part string) map[string]string {
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

// TestReportScreensKeys: every key the report screens use is in the
// English catalogue (their own part, or core).
func TestReportScreensKeys(t *testing.T) {
	reports, core := reportsCatalogue(t, "en", "reports"), reportsCatalogue(t, "en", "core")
	for _, name := range reportScreens {
		src, err := fs.ReadFile(assets, "assets/screens/"+name+".js")
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, m := range repTCall.FindAllStringSubmatch(string(src), -1) {
			keys = append(keys, m[1])
		}
		for _, m := range repTChoice.FindAllStringSubmatch(string(src), -1) {
			keys = append(keys, m[1], m[2])
		}
		for _, m := range repOwnKey.FindAllStringSubmatch(string(src), -1) {
			keys = append(keys, m[1])
		}
		if len(keys) == 0 {
			t.Errorf("%s.js: no catalogue keys found; is the pattern still right?", name)
		}
		for _, k := range keys {
			if _, ok := reports[k]; ok {
				continue
			}
			if _, ok := core[k]; ok {
				continue
			}
			t.Errorf("%s.js uses %q, which is in neither en/reports.json nor en/core.json", name, k)
		}
	}
}

// TestReportsCatalogueComplete: every English string of the reports part
// has a translation in every language, with the same placeholders.
func TestReportsCatalogueComplete(t *testing.T) {
	en := reportsCatalogue(t, "en", "reports")
	for _, lang := range []string{"es", "ru", "kk"} {
		other := reportsCatalogue(t, lang, "reports")
		for k, s := range en {
			tr, ok := other[k]
			if !ok || tr == "" {
				t.Errorf("%s/reports.json lacks %q", lang, k)
				continue
			}
			if want, got := reportPlaceholders(s), reportPlaceholders(tr); !slices.Equal(want, got) {
				t.Errorf("%s/reports.json %q has placeholders %v; English has %v", lang, k, got, want)
			}
		}
		for k := range other {
			if _, ok := en[k]; !ok {
				t.Errorf("%s/reports.json has %q, which English does not", lang, k)
			}
		}
	}
}

func reportPlaceholders(s string) []string {
	var out []string
	for _, m := range repPlaceholder.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}
