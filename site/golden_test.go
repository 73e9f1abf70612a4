package site

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// goldenSite is one small report with one translation and one image.
func goldenSite() Site {
	return Site{
		Title:     "Caravan reports",
		Generated: time.Date(2022, 1, 10, 12, 0, 0, 0, time.UTC),
		Reports: []Report{{
			Addr: addrES, ID: "5c83da77af1dec6d7289834998ad7aafbd9e2191396d75ec3cc27f5a77226f36",
			Author: "Ana", AuthorKey: npubA, Lang: "es",
			Title: "Huelga en Zhanaozen", Summary: "Los trabajadores del petróleo protestan.",
			Markdown:  "Los trabajadores **protestan** desde el 2 de enero.\n\n![La plaza](https://blossom.example/" + pngHash + ".png)\n\nMás en <https://example.org/zhanaozen>.",
			Tags:      []string{"huelga", "kazajistán"},
			Published: time.Date(2022, 1, 4, 8, 0, 0, 0, time.UTC),
			Translations: []Translation{{
				Lang: "kk", Title: "Жаңаөзендегі ереуіл", Summary: "Мұнайшылар наразылық білдіруде.",
				Markdown:   "Мұнайшылар 2 қаңтардан бері **наразылық** білдіруде.",
				Translator: "Әлия", TranslatorKey: npubB,
				ID: "0f2b1b7c9e3b5e0ab8fd61a1e3c2a8e4f7b9d0c1e2f3a4b5c6d7e8f9a0b1c2d3",
				Of: "1d4f0e3c5b7a99e2c1f0a3b5d7e9f1a2c4b6d8e0f2a4c6e8b0d2f4a6c8e0b2d4", Outdated: true,
				Published: time.Date(2022, 1, 5, 9, 30, 0, 0, time.UTC),
			}},
			Attachments: []Attachment{{SHA256: pngHash, MIME: "image/png", Name: "plaza.png", Alt: "La plaza", Open: opener(pngBytes)}},
		}},
	}
}

func TestGolden(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "site")
	build(t, dir, goldenSite())
	for golden, page := range map[string]string{
		"report.html":      "reports/" + slugES + "/index.html",
		"translation.html": "reports/" + slugES + "/kk.html",
	} {
		got, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join("testdata", "golden", golden)
		if *update {
			if err := os.WriteFile(file, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v; hint: go test ./site -run Golden -update", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s; if the change is intended, run go test ./site -run Golden -update and review the diff\ngot:\n%s", page, file, got)
		}
	}
}
