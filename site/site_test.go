package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func opener(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

var (
	pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR fake image for tests")
	pdfBytes = []byte("%PDF-1.4 fake document for tests")
	badBytes = []byte("these bytes are not the ones the hash names")

	pngHash     = sum(pngBytes)
	pdfHash     = sum(pdfBytes)
	badHash     = sum([]byte("the bytes the report really attached"))
	missingHash = sum([]byte("a file this node never received"))
)

const (
	addrES = "naddr1qqxnzd3cxqmrzv3exgmr2wfeqgsxu35yyt0mwjjh8pcz4zprhxegz69t4wr9t74vk6zne58wzh0waycrqsqqqa28pccpzu"
	addrAR = "naddr1qqxnzd3cxyerxd3h8qerwwfcqgsgydql3q4ka27d9wnlrmus4tvkrnc8ftc4h8h5fgyln54gl0a7dgsrqsqqqa28qqp3zq"
	npubA  = "npub1sg6plzptd64u62a878hep2kev8s8kexy9ghsm8kpyl4hk5qfm2jqz9kymc"
	npubB  = "npub1xtscya34g58tk0z605fvr788k263gsu6cy9x0mhnm87echrgufzsevkk5s"
	npubC  = "npub14f8usejl26twx0dhuxjh9cas7keav9vr0v8nvtwtrjqx3vycc76qqh9nsy"
)

// hostileMD is markdown that tries everything a report should not be able
// to do to a reader.
var hostileMD = strings.Join([]string{
	"# Что случилось",
	"<script>alert('raw')</script>",
	`<img src=x onerror="alert('img')">`,
	"[js](javascript:alert(1)) [JS](JaVaScRiPt:alert(1)) [nl](java&#x0A;script:alert(1)) <javascript:alert(2)>",
	"[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) ![svg](data:image/svg+xml;base64,PHN2Zz4=) ![png](data:image/png;base64,iVBORw0K)",
	"[vb](vbscript:msgbox) [up](../../../../etc/passwd) [proto](//evil.example/x) [ok](https://example.org/ok)",
	"![tracker](https://tracker.example/pixel.png)",
	"![photo of the square](https://blossom.example/" + pngHash + ".png)",
	"![damaged](https://blossom.example/" + badHash + ".jpg) [the document](https://blossom.example/" + pdfHash + ")",
	"[ref]: javascript:alert(3)\n\nA [reference][ref] link.",
}, "\n\n")

func fixture() Site {
	return Site{
		Title:     "Zhanaozen <reports>",
		Generated: time.Date(2022, 1, 10, 12, 0, 0, 0, time.UTC),
		Reports: []Report{
			{
				Addr: "", ID: strings.Repeat("c", 64), Author: "", AuthorKey: npubC,
				Title: "Notes with no language", Markdown: "Plain *text*.",
				Published: time.Date(2022, 1, 3, 9, 0, 0, 0, time.UTC),
				Attachments: []Attachment{
					{SHA256: strings.ToUpper(pdfHash), MIME: "application/pdf", Name: "../../../evil.pdf", Size: 3, Open: opener(pdfBytes)},
				},
			},
			{
				Addr: addrES, ID: strings.Repeat("a", 64), Author: "Ana <b>Bold</b>", AuthorKey: npubA, Lang: "es",
				Title:     `Huelga en Zhanaozen </title><script>alert("title")</script>`,
				Summary:   "Los trabajadores del petróleo\nprotestan.",
				Markdown:  hostileMD,
				Tags:      []string{"huelga", `<script>alert("tag")</script>`, "huelga"},
				Published: time.Date(2022, 1, 4, 8, 0, 0, 0, time.UTC),
				Updated:   time.Date(2022, 1, 6, 8, 0, 0, 0, time.UTC),
				Translations: []Translation{
					{Lang: "en", Title: "Strike in Zhanaozen", Markdown: "Oil workers *strike*. ![photo](" + pngHash + ")",
						Translator: "Bob", TranslatorKey: npubB, ID: strings.Repeat("e", 64), Of: strings.Repeat("9", 64), Outdated: true,
						Published: time.Date(2022, 1, 5, 8, 0, 0, 0, time.UTC)},
					{Lang: "RU", Title: "Забастовка в Жанаозене", Markdown: hostileMD,
						Translator: "Вера", TranslatorKey: npubB, ID: strings.Repeat("f", 64), Of: strings.Repeat("a", 64),
						Published: time.Date(2022, 1, 7, 8, 0, 0, 0, time.UTC)},
					{Lang: "es", Title: "Same language as the original: not shown"},
				},
				Attachments: []Attachment{
					{SHA256: pngHash, MIME: "image/png", Name: "square.png", Alt: "The square at night", Size: int64(len(pngBytes)), Open: opener(pngBytes)},
					{SHA256: badHash, MIME: "image/jpeg", Name: "damaged.jpg", Open: opener(badBytes)},
					{SHA256: missingHash, MIME: "video/mp4", Name: "march.mp4", Size: 1 << 20},
				},
			},
			{
				Addr: addrAR, ID: strings.Repeat("b", 64), Author: "سارة", AuthorKey: npubB, Lang: "ar",
				Title: "إضراب في جاناوزين", Summary: "ملخص", Markdown: "نص **التقرير**.",
				Published: time.Date(2022, 1, 5, 8, 0, 0, 0, time.UTC),
			},
		},
	}
}

func slugOf(key string) string {
	s := sha256.Sum256([]byte(key))
	return hex.EncodeToString(s[:8])
}

var (
	slugES = slugOf(addrES)
	slugAR = slugOf(addrAR)
	slugC  = slugOf(strings.Repeat("c", 64))
)

func build(t *testing.T, dir string, s Site) Stats {
	t.Helper()
	st, err := Build(dir, s)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestBuild(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "site")
	st := build(t, dir, fixture())

	want := Stats{Pages: 1 + 5 + 5, Reports: 3, Languages: 5, Attachments: 2, MissingAttachments: 2}
	if st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
	files := readTree(t, dir)
	for _, f := range []string{
		".caravan-site", "index.html", "style.css", "atom.xml",
		"es/index.html", "es/atom.xml", "ru/index.html", "en/index.html", "ar/index.html", "und/index.html", "und/atom.xml",
		"reports/" + slugES + "/index.html", "reports/" + slugES + "/ru.html", "reports/" + slugES + "/en.html",
		"reports/" + slugAR + "/index.html", "reports/" + slugC + "/index.html",
		"blobs/" + pngHash + ".png", "blobs/" + pdfHash + ".pdf",
	} {
		if _, ok := files[f]; !ok {
			t.Errorf("missing %s", f)
		}
	}
	if !bytes.Equal(files["blobs/"+pngHash+".png"], pngBytes) {
		t.Error("the PNG was not copied byte for byte")
	}
	for f := range files {
		if strings.Contains(f, badHash) || strings.Contains(f, missingHash) {
			t.Errorf("%s was published", f)
		}
		if strings.Contains(f, "evil") || strings.Contains(f, "..") {
			t.Errorf("user text in a path: %s", f)
		}
	}

	for name, b := range files {
		if strings.HasSuffix(name, ".html") {
			checkPage(t, files, name, b)
		}
	}

	page := func(name string) string { return string(files[name]) }
	es := page("reports/" + slugES + "/index.html")
	for _, s := range []string{
		`<img src="../../blobs/` + pngHash + `.png" alt="photo of the square"`,
		`<a class="image-link" href="https://tracker.example/pixel.png">tracker</a>`,
		`<a class="image-link" href="https://blossom.example/` + badHash + `.jpg">damaged</a>`,
		`<a href="../../blobs/` + pdfHash + `.pdf">the document</a>`,
		`<a href="https://example.org/ok">ok</a>`,
		"damaged.jpg</bdi> (image/jpeg): missing: the copy held by the node that built this site was damaged",
		"march.mp4</bdi> (video/mp4, 1.0 MB): missing: the node that built this site does not hold this file",
		`<img src="../../blobs/` + pngHash + `.png" alt="The square at night"`,
		"<code>" + addrES + "</code>", "<code>" + strings.Repeat("a", 64) + "</code>", npubA,
		"Huelga en Zhanaozen &lt;/title&gt;&lt;script&gt;",
		"Ana &lt;b&gt;Bold&lt;/b&gt;",
		"Published 2022-01-04 08:00 UTC · updated 2022-01-06 08:00 UTC",
	} {
		if !strings.Contains(es, s) {
			t.Errorf("the Spanish page lacks %s", s)
		}
	}
	if strings.Contains(es, "Outdated translation") || strings.Contains(es, "Same language") {
		t.Error("the original shows a translation's notice or a same-language translation")
	}

	en := page("reports/" + slugES + "/en.html")
	for _, s := range []string{`class="notice outdated"`, "Outdated translation", `<a href="index.html">Read the current original in <bdi lang="es">Español</bdi> (es)</a>`,
		`<img src="../../blobs/` + pngHash + `.png" alt="photo"`, strings.Repeat("e", 64), strings.Repeat("9", 64), "Bob"} {
		if !strings.Contains(en, s) {
			t.Errorf("the outdated English translation lacks %s", s)
		}
	}
	ru := page("reports/" + slugES + "/ru.html")
	if strings.Contains(ru, "Outdated translation") || !strings.Contains(ru, "This is a translation.") {
		t.Error("the current Russian translation has the wrong notice")
	}
	if !strings.Contains(ru, `<article lang="ru" dir="ltr">`) {
		t.Error("the Russian page is not marked as Russian")
	}
	if !strings.Contains(page("reports/"+slugAR+"/index.html"), `<article lang="ar" dir="rtl">`) {
		t.Error("the Arabic report is not right to left")
	}
	if !strings.Contains(page("ar/index.html"), `lang="ar" dir="rtl">إضراب في جاناوزين</a>`) {
		t.Error("the Arabic index does not list the Arabic title right to left")
	}
	if !strings.Contains(page("reports/"+slugC+"/index.html"), `<article lang="und" dir="auto">`) {
		t.Error("a report of unknown language should let the browser pick its direction")
	}
	if !strings.Contains(page("reports/"+slugC+"/index.html"), `download="../../../evil.pdf"`) {
		t.Error("the PDF is not offered with its name")
	}

	// Each language index lists what can be read in that language, with
	// titles in that language.
	lists := map[string][]string{
		"es":  {"reports/" + slugES + "/index.html"},
		"ru":  {"reports/" + slugES + "/ru.html"},
		"en":  {"reports/" + slugES + "/en.html"},
		"ar":  {"reports/" + slugAR + "/index.html"},
		"und": {"reports/" + slugC + "/index.html"},
		"":    {"reports/" + slugES + "/index.html", "reports/" + slugAR + "/index.html", "reports/" + slugC + "/index.html"},
	}
	for lang, want := range lists {
		name := path.Join(lang, "index.html")
		got, titles := listed(t, files[name])
		for i := range got {
			got[i] = path.Join(path.Dir(name), got[i])
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s lists %q, want %q", name, got, want)
		}
		if lang == "ru" && titles[0] != "Забастовка в Жанаозене" {
			t.Errorf("ru/index.html shows the title %q", titles[0])
		}
	}

	// Feeds: originals in atom.xml; originals and translations in the
	// language feeds.
	for file, n := range map[string]int{"atom.xml": 3, "es/atom.xml": 1, "ru/atom.xml": 1, "en/atom.xml": 1, "ar/atom.xml": 1, "und/atom.xml": 1} {
		f := parseFeed(t, files[file])
		if len(f.Entries) != n {
			t.Errorf("%s has %d entries, want %d", file, len(f.Entries), n)
		}
		if f.Updated != "2022-01-10T12:00:00Z" {
			t.Errorf("%s updated %q", file, f.Updated)
		}
	}
	ruFeed := parseFeed(t, files["ru/atom.xml"])
	e := ruFeed.Entries[0]
	if e.Lang != "ru" || e.Title != "Забастовка в Жанаозене" || e.ID != tagPrefix+"report:"+addrES+":ru" ||
		e.Author.Name != "Вера" || e.Content.Type != "html" || !strings.Contains(e.Content.Body, "<h1>Что случилось</h1>") ||
		strings.Contains(e.Content.Body, "<script") || e.Link[0].Href != "../reports/"+slugES+"/ru.html" {
		t.Errorf("ru/atom.xml entry: %+v", e)
	}
	// The entry's relative links resolve against its xml:base, relative
	// to the feed.
	base, _ := url.Parse("http://h/s/ru/atom.xml")
	img, _ := base.Parse(e.Content.Base)
	img, _ = img.Parse("../../blobs/" + pngHash + ".png")
	if img.Path != "/s/blobs/"+pngHash+".png" {
		t.Errorf("entry images resolve to %s", img.Path)
	}
}

// checkPage parses an HTML page and checks that it has no script, no
// event handler attribute, no link with a dangerous scheme, no resource
// from elsewhere, and that its relative links lead to files of the site.
func checkPage(t *testing.T, files map[string][]byte, name string, b []byte) {
	t.Helper()
	if bytes.Contains(bytes.ToLower(b), []byte("<script")) {
		t.Errorf("%s contains <script", name)
	}
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.Data {
		case "script", "iframe", "object", "embed", "form", "base", "style":
			t.Errorf("%s has a <%s> element", name, n.Data)
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("%s: <%s %s=%q>", name, n.Data, a.Key, a.Val)
			}
			if a.Key != "href" && a.Key != "src" {
				continue
			}
			u, err := url.Parse(a.Val)
			if err != nil {
				t.Errorf("%s: <%s %s=%q>: %v", name, n.Data, a.Key, a.Val, err)
				continue
			}
			switch {
			case u.Scheme == "" && u.Host == "" && u.Path == "":
				// #fragment
			case u.Scheme == "" && u.Host == "":
				target := path.Join(path.Dir(name), u.Path)
				if _, ok := files[target]; !ok || strings.HasPrefix(target, "../") {
					t.Errorf("%s links to %s (%s), which the site does not have", name, a.Val, target)
				}
			case n.Data != "a" || a.Key != "href":
				t.Errorf("%s loads %s from elsewhere", name, a.Val)
			case !slices.Contains([]string{"http", "https", "mailto", "nostr"}, u.Scheme):
				t.Errorf("%s links to %s", name, a.Val)
			}
		}
	}
}

// listed returns the targets and texts of the report titles on a list page.
func listed(t *testing.T, b []byte) (hrefs, titles []string) {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.Data == "a" && attr(n, "class") == "title" {
			hrefs = append(hrefs, attr(n, "href"))
			titles = append(titles, n.FirstChild.Data)
		}
	}
	return hrefs, titles
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

type feed struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Updated string   `xml:"updated"`
	Entries []struct {
		Lang    string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Updated string `xml:"updated"`
		Author  struct {
			Name string `xml:"name"`
		} `xml:"author"`
		Link []struct {
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Content struct {
			Type string `xml:"type,attr"`
			Base string `xml:"http://www.w3.org/XML/1998/namespace base,attr"`
			Body string `xml:",chardata"`
		} `xml:"content"`
	} `xml:"entry"`
}

func parseFeed(t *testing.T, b []byte) feed {
	t.Helper()
	var f feed
	if err := xml.Unmarshal(b, &f); err != nil {
		t.Fatalf("feed does not parse: %v\n%s", err, b)
	}
	for _, e := range f.Entries {
		if e.ID == "" || e.Title == "" || e.Updated == "" || e.Author.Name == "" {
			t.Errorf("entry lacks a required element: %+v", e)
		}
		if _, err := time.Parse(time.RFC3339, e.Updated); err != nil {
			t.Errorf("entry updated: %v", err)
		}
	}
	return f
}

func TestFeedBaseURL(t *testing.T) {
	s := fixture()
	s.BaseURL = "https://example.org/kz"
	dir := filepath.Join(t.TempDir(), "site")
	build(t, dir, s)
	b, err := os.ReadFile(filepath.Join(dir, "es", "atom.xml"))
	if err != nil {
		t.Fatal(err)
	}
	f := parseFeed(t, b)
	e := f.Entries[0]
	if f.ID != "https://example.org/kz/es/atom.xml" || e.Link[0].Href != "https://example.org/kz/reports/"+slugES+"/index.html" ||
		e.Content.Base != e.Link[0].Href || e.ID != tagPrefix+"report:"+addrES {
		t.Errorf("feed %s, entry %s, link %s, base %s", f.ID, e.ID, e.Link[0].Href, e.Content.Base)
	}

	s.BaseURL = "example.org"
	if _, err := Build(filepath.Join(t.TempDir(), "x"), s); err == nil {
		t.Error("a relative base URL was accepted")
	}
}

func TestDeterministic(t *testing.T) {
	tmp := t.TempDir()
	a, b := filepath.Join(tmp, "a"), filepath.Join(tmp, "b")
	build(t, a, fixture())
	s := fixture()
	slices.Reverse(s.Reports)
	slices.Reverse(s.Reports[1].Translations)
	build(t, b, s)
	first := readTree(t, a)
	if second := readTree(t, b); !sameTree(t, first, second) {
		t.Error("the same reports in another order give another site")
	}
	build(t, a, fixture()) // over the previous build
	if !sameTree(t, first, readTree(t, a)) {
		t.Error("rebuilding gives another site")
	}
	entries, _ := os.ReadDir(tmp)
	if len(entries) != 2 {
		t.Errorf("left behind next to the site: %v", entries)
	}
}

func sameTree(t *testing.T, a, b map[string][]byte) bool {
	t.Helper()
	same := len(a) == len(b)
	for name, x := range a {
		if y, ok := b[name]; !ok || !bytes.Equal(x, y) {
			t.Errorf("%s differs", name)
			same = false
		}
	}
	return same
}

func TestReplacePrevious(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "site")
	build(t, dir, fixture())
	if err := os.WriteFile(filepath.Join(dir, "stale.html"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := fixture()
	s.Reports = s.Reports[:1]
	st := build(t, dir, s)
	files := readTree(t, dir)
	if _, ok := files["stale.html"]; ok {
		t.Error("a file of the previous build survived")
	}
	if _, ok := files["reports/"+slugES+"/index.html"]; ok {
		t.Error("a report of the previous build survived")
	}
	if st.Reports != 1 || len(files) != 8 {
		t.Errorf("stats %+v, files %d", st, len(files))
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("left behind next to the site: %v", entries)
	}
}

func TestRefuseForeignDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "photos")
	if err := os.MkdirAll(filepath.Join(dir, "2022"), 0o755); err != nil {
		t.Fatal(err)
	}
	mine := filepath.Join(dir, "2022", "family.jpg")
	if err := os.WriteFile(mine, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Build(dir, fixture())
	if !errors.Is(err, ErrNotSite) {
		t.Fatalf("err = %v, want ErrNotSite", err)
	}
	for _, s := range []string{dir, `"2022"`, "hint:"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("the error %q does not mention %s", err, s)
		}
	}
	if b, err := os.ReadFile(mine); err != nil || string(b) != "precious" {
		t.Error("the user's file was touched")
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("left behind next to the directory: %v", entries)
	}

	file := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(file, []byte("notes"), 0o644)
	if _, err := Build(file, fixture()); !errors.Is(err, ErrNotSite) {
		t.Errorf("building over a file: %v", err)
	}

	empty := filepath.Join(t.TempDir(), "empty")
	os.Mkdir(empty, 0o755)
	build(t, empty, fixture())
}

// A build that fails leaves the previous site as it was.
func TestFailedBuildKeepsPrevious(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "site")
	build(t, dir, fixture())
	before := readTree(t, dir)
	s := fixture()
	s.Reports = append(s.Reports, Report{Title: "no identity"})
	if _, err := Build(dir, s); err == nil {
		t.Fatal("a report with no address or id was accepted")
	}
	sameTree(t, before, readTree(t, dir))
}

func TestBlobSources(t *testing.T) {
	failing := func() (io.ReadCloser, error) { return nil, errors.New("disk gone") }
	cut := func() (io.ReadCloser, error) {
		return io.NopCloser(io.MultiReader(bytes.NewReader(pngBytes[:4]), iotestErr{})), nil
	}
	tests := []struct {
		name    string
		opens   []func() (io.ReadCloser, error)
		written bool
		missing string
	}{
		{"good", []func() (io.ReadCloser, error){opener(pngBytes)}, true, ""},
		{"not held", nil, false, "does not hold"},
		{"cannot open", []func() (io.ReadCloser, error){failing}, false, "could not read"},
		{"read error", []func() (io.ReadCloser, error){cut}, false, "could not read"},
		{"wrong bytes", []func() (io.ReadCloser, error){opener(badBytes)}, false, "damaged"},
		{"second source good", []func() (io.ReadCloser, error){opener(badBytes), opener(pngBytes)}, true, ""},
		{"damaged beats unreadable", []func() (io.ReadCloser, error){failing, opener(badBytes)}, false, "damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reports []Report
			for i, o := range append(tt.opens, nil) {
				reports = append(reports, Report{ID: strings.Repeat("0", 63) + string(rune('1'+i)), Title: "r",
					Attachments: []Attachment{{SHA256: pngHash, MIME: "image/png", Open: o}}})
			}
			dir := filepath.Join(t.TempDir(), "site")
			st := build(t, dir, Site{Reports: reports})
			_, err := os.Stat(filepath.Join(dir, "blobs", pngHash+".png"))
			if written := err == nil; written != tt.written || st.Attachments+st.MissingAttachments != 1 || (st.Attachments == 1) != tt.written {
				t.Errorf("written %v, stats %+v", written, st)
			}
			b, _ := os.ReadFile(filepath.Join(dir, "reports", slugOf(reports[0].ID), "index.html"))
			if tt.missing != "" && !strings.Contains(string(b), tt.missing) {
				t.Errorf("the page does not say %q", tt.missing)
			}
			if tt.written && !strings.Contains(string(b), `<img src="../../blobs/`+pngHash+`.png"`) {
				t.Error("the image is not shown")
			}
		})
	}
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errors.New("read error") }

func TestEmptySite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "site")
	st := build(t, dir, Site{})
	if st != (Stats{Pages: 1}) {
		t.Errorf("stats %+v", st)
	}
	files := readTree(t, dir)
	if !strings.Contains(string(files["index.html"]), "There are no reports yet.") {
		t.Error("the empty index says nothing")
	}
	parseFeed(t, files["atom.xml"])
}

func TestNormLang(t *testing.T) {
	for in, want := range map[string]string{
		"es": "es", "EN": "en", "pt_BR": "pt-br", "zh-Hant-TW": "zh-hant-tw", "kk": "kk", "fil": "fil",
		"": "und", "../../etc": "und", "e": "und", "english": "und", "es/..": "und", "es-": "und", "con": "und",
		"a1": "und", "es-toolongsubtag": "und", " ar ": "ar",
	} {
		if got := normLang(in); got != want {
			t.Errorf("normLang(%q) = %q, want %q", in, got, want)
		}
	}
	for lang, want := range map[string]string{"ar": "rtl", "fa-ir": "rtl", "he": "rtl", "ur": "rtl", "en": "ltr", "und": "auto"} {
		if got := dir(lang); got != want {
			t.Errorf("dir(%q) = %q, want %q", lang, got, want)
		}
	}
}

// readTree returns every file under dir by its slash-separated path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return files
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// A build that fails after it started writing leaves the previous site as
// it was, and nothing next to it.
func TestInterruptedBuild(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "site")
	build(t, dir, fixture())
	before := readTree(t, dir)

	s := fixture()
	s.Reports[0].Attachments[0].Open = func() (io.ReadCloser, error) {
		// Pull the temporary directory away in the middle of the build.
		tmps, _ := filepath.Glob(filepath.Join(parent, ".site.caravan-build-*"))
		if len(tmps) != 1 {
			t.Errorf("temporary directories: %q", tmps)
		}
		for _, d := range tmps {
			os.RemoveAll(d)
		}
		return opener(pdfBytes)()
	}
	if _, err := Build(dir, s); err == nil {
		t.Fatal("the build did not notice")
	}
	sameTree(t, before, readTree(t, dir))
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		t.Errorf("left behind next to the site: %v", entries)
	}
}

// What a crashed build left next to the site is removed if it is ours.
func TestStaleBuildsRemoved(t *testing.T) {
	parent := t.TempDir()
	ours := filepath.Join(parent, ".site.caravan-build-123")
	aside := filepath.Join(parent, ".site.caravan-old-456", "site")
	theirs := filepath.Join(parent, ".site.caravan-build-789")
	for _, d := range []string{ours, aside, theirs} {
		os.MkdirAll(d, 0o755)
	}
	os.WriteFile(filepath.Join(ours, marker), nil, 0o644)
	os.WriteFile(filepath.Join(aside, marker), nil, 0o644)
	os.WriteFile(filepath.Join(theirs, "notes.txt"), nil, 0o644)
	build(t, filepath.Join(parent, "site"), fixture())
	var names []string
	entries, _ := os.ReadDir(parent)
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{".site.caravan-build-789", "site"}; !slices.Equal(names, want) {
		t.Errorf("next to the site: %q, want %q", names, want)
	}
}

// TestBlobsNamedByTheirBytes: a blob's file extension is the one for the
// media type its bytes confirm, whatever the report declared; a page, an
// SVG or anything unconfirmed is written as .bin (which a web host serves
// as a download), never shown with <img>, and linked for download.
func TestBlobsNamedByTheirBytes(t *testing.T) {
	page := []byte("<!doctype html><script>localStorage.x=1</script>")
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	notes := []byte("plain notes\n")
	cases := []struct {
		name, mime string
		data       []byte
		ext        string
		image      bool
	}{
		{"page declared PNG", "image/png", page, "bin", false},
		{"page declared HTML", "text/html", append([]byte("<p>"), page...), "bin", false},
		{"SVG", "image/svg+xml", svg, "bin", false},
		{"text", "text/plain", notes, "bin", false},
		{"PNG declared text", "text/plain", pngBytes, "png", true},
		{"PDF declared nothing", "", pdfBytes, "pdf", false},
	}
	var atts []Attachment
	var refs []string
	for _, c := range cases {
		atts = append(atts, Attachment{SHA256: sum(c.data), MIME: c.mime, Name: c.name, Open: opener(c.data)})
		refs = append(refs, "![x](https://blossom.example/"+sum(c.data)+".png)")
	}
	r := Report{ID: strings.Repeat("0", 63) + "1", Title: "r", Markdown: strings.Join(refs, "\n\n"), Attachments: atts}
	dir := filepath.Join(t.TempDir(), "site")
	if st := build(t, dir, Site{Reports: []Report{r}}); st.Attachments != len(cases) {
		t.Fatalf("stats %+v", st)
	}
	files := readTree(t, dir)
	b := string(files["reports/"+slugOf(r.ID)+"/index.html"])
	for _, c := range cases {
		file := "blobs/" + sum(c.data) + "." + c.ext
		if !bytes.Equal(files[file], c.data) {
			t.Errorf("%s: %s not written", c.name, file)
		}
		for f := range files {
			if strings.HasPrefix(f, "blobs/"+sum(c.data)) && f != file {
				t.Errorf("%s: written as %s", c.name, f)
			}
		}
		img := `<img src="../../blobs/` + sum(c.data) + "." + c.ext + `"`
		if strings.Contains(b, img) != c.image {
			t.Errorf("%s: shown as an image: %v, want %v", c.name, !c.image, c.image)
		}
		if !c.image && !strings.Contains(b, `<a href="../../blobs/`+sum(c.data)+"."+c.ext+`" download="`+c.name+`"`) {
			t.Errorf("%s: not linked for download", c.name)
		}
	}
}
