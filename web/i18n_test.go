package web

import (
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/internal/cataloguetest"
	"github.com/caravan-mesh/caravan/localapi"
)

var langs = cataloguetest.Langs

// catalogue reads every part of one language's catalogue.
func catalogue(t *testing.T, lang string) map[string]string {
	t.Helper()
	return cataloguetest.Read(t, assets, "assets/i18n", lang)
}

// Every string the scripts ask for is in the English catalogue, and every
// English string is translated into the other languages, with the same
// placeholders; a count's text has every plural form of each language.
func TestCataloguesComplete(t *testing.T) {
	cataloguetest.Complete(t, assets, "assets", func(l string) map[string]string { return catalogue(t, l) }, 10)
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
