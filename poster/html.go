package poster

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"strings"

	"github.com/caravan-mesh/caravan/qr"
)

// HTML is the poster as a printable page: one A4 sheet, the QR code as
// inline SVG (sharp at any printer's resolution), the fonts inside, no
// script and nothing fetched, so the file prints the same from any
// browser, on or off a network.
func (p Poster) HTML() ([]byte, error) {
	bm, err := qr.Bitmap(p.URL)
	if err != nil {
		return nil, err
	}
	type block struct {
		Lang  string
		Join  string
		Lines []string
	}
	data := struct {
		URL    string
		Fonts  template.CSS
		QR     template.HTML
		Blocks []block
	}{URL: p.URL, Fonts: fontFaces(), QR: svg(bm, p.URL)}
	for _, lang := range Langs {
		lines := p.Lines(lang)
		data.Blocks = append(data.Blocks, block{Lang: lang, Join: lines[0], Lines: lines[1:]})
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fontFaces are the @font-face rules of the embedded fonts, as data:
// URLs.
func fontFaces() template.CSS {
	var b strings.Builder
	for _, f := range []struct {
		ttf    []byte
		weight int
	}{{regularTTF, 400}, {boldTTF, 700}} {
		fmt.Fprintf(&b, "@font-face { font-family: \"Poster Sans\"; font-weight: %d; src: url(data:font/ttf;base64,%s) format(\"truetype\"); }\n",
			f.weight, base64.StdEncoding.EncodeToString(f.ttf))
	}
	return template.CSS(b.String())
}

// svg draws a QR code's modules as one path, a run of dark modules in a
// row at a time. The label is escaped: it is the address, which a person
// may have typed.
func svg(bm [][]bool, label string) template.HTML {
	var d strings.Builder
	for y, row := range bm {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			fmt.Fprintf(&d, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
		}
	}
	n := len(bm)
	return template.HTML(fmt.Sprintf(`<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s" shape-rendering="crispEdges"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		n, n, template.HTMLEscapeString(label), n, n, d.String()))
}

var page = template.Must(template.New("poster").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; font-src data:">
<title>Caravan: {{.URL}}</title>
<style>
{{.Fonts}}
@page { size: A4; margin: 12mm; }
html { background: #ddd; }
body { margin: 0; font-family: "Poster Sans", sans-serif; color: #000; }
.sheet { box-sizing: border-box; width: 210mm; min-height: 297mm; margin: 8mm auto; padding: 12mm 14mm; background: #fff; box-shadow: 0 1mm 4mm rgba(0,0,0,.3); }
.qr { display: block; width: 115mm; height: 115mm; margin: 0 auto; }
.url { margin: 2mm 0 8mm; text-align: center; font-weight: 700; font-size: 19pt; overflow-wrap: anywhere; }
.langs { display: grid; grid-template-columns: 1fr 1fr; gap: 7mm 9mm; }
.lang h2 { margin: 0 0 2mm; font-size: 13.5pt; line-height: 1.25; }
.lang p { margin: 0 0 1.5mm; font-size: 11.5pt; line-height: 1.3; overflow-wrap: anywhere; }
@media print {
  html { background: none; }
  .sheet { width: auto; min-height: 0; margin: 0; padding: 0; box-shadow: none; }
}
</style>
</head>
<body>
<main class="sheet">
{{.QR}}
<p class="url">{{.URL}}</p>
<div class="langs">
{{- range .Blocks}}
<section class="lang" lang="{{.Lang}}">
<h2>{{.Join}}</h2>
{{- range .Lines}}
<p>{{.}}</p>
{{- end}}
</section>
{{- end}}
</div>
</main>
</body>
</html>
`))
