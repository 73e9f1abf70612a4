package reports

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/nodetest"
)

// article30KB is a news article of about 30 KB as HTML, with scripts,
// navigation, and a few words damaged by mojibake, as found on the web.
func article30KB() []byte {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>Protestas en Almaty: lo que sabemos</title>
<meta name="description" content="Miles de personas en la plaza"><script>track()</script><style>p{}</style></head><body><nav><a href="/">Inicio</a></nav><article><h1>Protestas en Almaty: lo que sabemos</h1>`)
	for i := 0; b.Len() < 30_000; i++ {
		fmt.Fprintf(&b, `<h2>Parte %d</h2><p>La policía cerró las calles del centro el %d de enero; los testigos dicen que la conexión a internet se cortó a las 17:00 y que los teléfonos dejaron de funcionar. <a href="https://example.org/%d">Fuente</a>. La situación empezÃ³ a cambiar â€” segÃºn los vecinos.</p><ul><li>Primero</li><li>Segundo</li></ul>`, i, i%31+1, i)
	}
	b.WriteString(`</article><footer>© 2022</footer></body></html>`)
	return []byte(b.String())
}

// BenchmarkImportPublish30KB imports a 30 KB HTML article (decode, HTML
// to markdown, NFC, mojibake repair), saves it as a draft and publishes
// it, against publishing the same amount of ready markdown directly in
// the same run.
//
//	go test ./reports -run '^$' -bench ImportPublish30KB -benchtime 50x
func BenchmarkImportPublish30KB(b *testing.B) {
	ctx := context.Background()
	n := New(nodetest.Person(b, "alice", ""))
	html := article30KB()
	md := strings.Repeat("La policía cerró las calles del centro. ", 750)
	var imp, direct time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		d, err := n.ImportDraft(ctx, "", fmt.Sprintf("article%d.html", i), html)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := n.PublishDraft(ctx, "", d.D, Input{Lang: "es"}); err != nil {
			b.Fatal(err)
		}
		imp += time.Since(start)
		start = time.Now()
		if _, err := n.Publish(ctx, "", Input{Title: "Direct", Lang: "es", Markdown: md}); err != nil {
			b.Fatal(err)
		}
		direct += time.Since(start)
	}
	b.ReportMetric(float64(imp.Microseconds())/float64(b.N)/1000, "import+publish-ms")
	b.ReportMetric(float64(direct.Microseconds())/float64(b.N)/1000, "publish-only-ms")
	b.ReportMetric(float64(imp)/float64(direct), "import/publish")
}
