package site

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchSite is n reports of about 3 kB of markdown, each translated into
// two languages, one in ten with an image.
func benchSite(n int) Site {
	para := strings.Repeat("Workers gathered in the square and **refused** to leave; [more](https://example.org/x). ", 6)
	body := "# Report\n\n" + strings.Repeat(para+"\n\n", 5) + "- one\n- two\n\n> quoted\n"
	s := Site{Title: "Bench", Generated: time.Date(2022, 1, 10, 0, 0, 0, 0, time.UTC)}
	langs := []string{"kk", "ru", "es", "en", "ar"}
	for i := range n {
		r := Report{
			ID: fmt.Sprintf("%064x", i+1), Author: "Author", AuthorKey: npubA, Lang: langs[i%len(langs)],
			Title: fmt.Sprintf("Report %d", i), Summary: "Summary of the report.", Markdown: body,
			Tags:      []string{"strike", "aid"},
			Published: s.Generated.Add(-time.Duration(i) * time.Minute),
		}
		for j := 1; j <= 2; j++ {
			r.Translations = append(r.Translations, Translation{
				Lang: langs[(i+j)%len(langs)], Title: fmt.Sprintf("Report %d (%d)", i, j), Markdown: body,
				Translator: "Translator", TranslatorKey: npubB, ID: fmt.Sprintf("%063x%d", i+1, j), Outdated: j == 2,
				Published: r.Published.Add(time.Hour),
			})
		}
		if i%10 == 0 {
			r.Markdown += "\n\n![photo](https://b.example/" + pngHash + ")"
			r.Attachments = []Attachment{{SHA256: pngHash, MIME: "image/png", Name: "photo.png", Open: opener(pngBytes)}}
		}
		s.Reports = append(s.Reports, r)
	}
	return s
}

func BenchmarkBuild1000(b *testing.B) {
	s := benchSite(1000)
	dir := filepath.Join(b.TempDir(), "site")
	b.ReportAllocs()
	for b.Loop() {
		st, err := Build(dir, s)
		if err != nil {
			b.Fatal(err)
		}
		if st.Pages != 1+5+3000 {
			b.Fatalf("stats %+v", st)
		}
	}
}
