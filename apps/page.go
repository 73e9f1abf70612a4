package apps

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"golang.org/x/text/language"
)

// The download page. It must work on any phone browser and reveal nothing
// to anyone else: no script, no outside resources, no forms.

type pageFile struct {
	File
	Platform string
	Size     string
}

type pageData struct {
	T       *texts
	Langs   []*texts
	Files   []pageFile
	Set     *Set
	Problem string
	// File names for the commands of the install note.
	Linux, Windows, Mac string
}

func (h *Handler) servePage(w http.ResponseWriter, r *http.Request) {
	t := pickLang(r)
	d := pageData{T: t, Langs: allTexts,
		Linux: NameFor("linux", "amd64"), Windows: NameFor("windows", "amd64"), Mac: NameFor("darwin", "arm64")}
	if l := h.load(); l != nil {
		if l.err != nil {
			d.Problem = l.err.Error()
		} else {
			d.Set = l.set
			for _, f := range l.set.Files {
				d.Files = append(d.Files, pageFile{File: f, Platform: platformWords(t.Code, f), Size: t.size(f.Size)})
				switch f.OS {
				case "linux":
					if f.Arch == "amd64" || d.Linux == "" {
						d.Linux = f.Name
					}
				case "windows":
					d.Windows = f.Name
				case "darwin":
					d.Mac = f.Name
				}
			}
		}
	}
	var b bytes.Buffer
	if err := pageTmpl.Execute(&b, d); err != nil {
		http.Error(w, "page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Language", t.Code)
	hd.Set("Vary", "Accept-Language")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("Content-Length", fmt.Sprint(b.Len()))
	w.Write(b.Bytes())
}

var langTags = []language.Tag{language.English, language.Spanish, language.Russian, language.Kazakh}

var langMatcher = language.NewMatcher(langTags)

// pickLang chooses the page's language: ?lang= if it is one we have, else
// the best match of Accept-Language, else English.
func pickLang(r *http.Request) *texts {
	if q := r.URL.Query().Get("lang"); q != "" {
		for _, t := range allTexts {
			if strings.EqualFold(q, t.Code) {
				return t
			}
		}
	}
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return allTexts[0]
	}
	_, i, conf := langMatcher.Match(tags...)
	if conf == language.No {
		return allTexts[0]
	}
	return allTexts[i]
}

// size is a file size in megabytes, as people read them.
func (t *texts) size(n int64) string {
	s := fmt.Sprintf("%.1f", float64(n)/1e6)
	if n < 100_000 {
		s = fmt.Sprintf("%.2f", float64(n)/1e6)
	}
	return strings.Replace(s, ".", t.decimal, 1) + " " + t.mb
}

// platformWords says where f runs, in language lang.
func platformWords(lang string, f File) string {
	t := allTexts[0]
	for _, x := range allTexts {
		if x.Code == lang {
			t = x
		}
	}
	if w, ok := t.platforms[f.OS+"/"+f.Arch]; ok {
		return w
	}
	if f.OS != "" {
		return f.OS + " (" + f.Arch + ")"
	}
	return f.Name
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.T.Code}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.T.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;line-height:1.45;max-width:42em;margin:0 auto;padding:.5em 1em 2em;color:#111;background:#fff}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
nav{font-size:.95em}nav a,nav strong{margin-right:.8em}
ul.files{list-style:none;padding:0}
ul.files li{border:1px solid #ccc;border-radius:6px;padding:.6em .8em;margin:.6em 0}
ul.files a{font-size:1.1em;font-weight:bold}
code,pre{font-family:ui-monospace,monospace;font-size:.9em;overflow-wrap:anywhere;word-break:break-all}
pre{background:#f3f3f3;padding:.5em .7em;white-space:pre-wrap;border-radius:4px}
.sum{color:#333}.small{font-size:.9em;color:#333}.warn{background:#fff3cd;padding:.6em .8em;border-radius:6px}
</style>
</head>
<body>
<nav>{{range .Langs}}{{if eq .Code $.T.Code}}<strong>{{.Name}}</strong>{{else}}<a href="?lang={{.Code}}" hreflang="{{.Code}}" lang="{{.Code}}">{{.Name}}</a>{{end}} {{end}}</nav>
<h1>{{.T.Title}}</h1>
<p>{{.T.Intro}}</p>
{{- if .Problem}}
<p class="warn">{{.T.Problem}}<br><code>{{.Problem}}</code></p>
{{- else if not .Set}}
<p class="warn">{{.T.Nothing}}</p>
<p>{{.T.NothingHow}}</p>
<pre>scripts/release DIR &amp;&amp; caravan apps publish DIR</pre>
{{- else}}
<p>{{.T.Pick}}{{with .Set.Version}} {{$.T.Version}}: <strong>{{.}}</strong>.{{end}}</p>
<ul class="files">
{{- range .Files}}
<li><a href="{{.Name}}" download="{{.Name}}">{{.Platform}}</a><br>
<span class="small">{{.Name}}, {{.Size}}</span><br>
<span class="small">SHA-256:</span> <code class="sum">{{.SHA256}}</code></li>
{{- end}}
</ul>
<p>{{.T.SignedBy}} <code>{{.Set.NPub}}</code> ({{.Set.Signed.Format "2006-01-02"}}). {{.T.AskKey}}</p>
<p class="small">{{.T.CheckFiles}} <a href="SHA256SUMS" download="SHA256SUMS">SHA256SUMS</a> ({{.T.SumsDesc}}), <a href="SHA256SUMS.json" download="SHA256SUMS.json">SHA256SUMS.json</a> ({{.T.SigDesc}}).</p>

<h2>{{.T.CheckTitle}}</h2>
<pre>Linux:   sha256sum {{.Linux}}
Windows: certutil -hashfile {{.Windows}} SHA256
Mac:     shasum -a 256 {{.Mac}}</pre>
<p>{{.T.CheckHow}}</p>

<h2>{{.T.HowTitle}}</h2>
<p>{{.T.LinuxHow}}</p>
<pre>chmod +x {{.Linux}}
./{{.Linux}} serve</pre>
<p class="small">{{.T.WhichLinux}}</p>
<p>{{.T.WindowsHow}}</p>
<pre>.\{{.Windows}} serve</pre>
<p>{{.T.MacHow}}</p>
<pre>xattr -d com.apple.quarantine {{.Mac}}
chmod +x {{.Mac}}
./{{.Mac}} serve</pre>
<p>{{.T.After}}</p>
{{- end}}
</body>
</html>
`))
