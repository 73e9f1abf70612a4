package site

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"os"
	"time"
)

//go:embed page.tmpl
var pageTemplates string

//go:embed style.css
var styleCSS []byte

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"date": date,
}).Parse(pageTemplates))

// date formats t the same way in every language; "" if t is zero.
func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// common is what every page shows.
type common struct {
	Site      string
	Root      string // from the page to the site root: "", "../" or "../../"
	PageTitle string
	Feed      string
	FeedTitle string
	Generated time.Time
}

type langRef struct{ Code, Name string }

func ref(code string) langRef { return langRef{Code: code, Name: langName(code)} }

type person struct {
	Name string
	Key  string
	Link template.URL // nostr:npub..., or "" if Key does not look like an npub
}

func newPerson(name, key string) person {
	p := person{Name: name, Key: key}
	if isBech32(key, "npub") {
		p.Link = template.URL("nostr:" + key)
	}
	if p.Name == "" {
		p.Name = shortKey(key)
	}
	return p
}

// shortKey names someone who gave no name.
func shortKey(key string) string {
	if key == "" {
		return "unknown"
	}
	if r := []rune(key); len(r) > 16 {
		return string(r[:16]) + "…"
	}
	return key
}

type item struct {
	Href     string
	Title    string
	Lang     langRef
	Dir      string
	By       string
	Date     time.Time
	Summary  string
	Versions []versionLink // the other languages

	Translation, Outdated bool
}

type versionLink struct {
	Href string
	Lang langRef
	By   string

	Translation, Outdated, Current bool
}

type indexPage struct {
	common
	Langs []langLink
	Items []item
}

type langLink struct {
	Href  string
	Lang  langRef
	Count int
}

type languagePage struct {
	common
	Lang  langRef
	Items []item
}

type reportPage struct {
	common
	Lang          langRef
	Dir           string
	Title         string
	Summary       string
	Body          template.HTML
	Author        person
	Translator    person
	Published     time.Time
	Updated       time.Time
	Translated    time.Time
	Tags          []string
	Original      langRef
	Addr          string
	AddrLink      template.URL
	ID            string
	TranslationID string
	Of            string
	Versions      []versionLink
	Attachments   []attachmentView

	Translation, Outdated bool
}

type attachmentView struct {
	Label   string
	Name    string
	MIME    string
	Alt     string
	SHA256  string
	Href    string
	Size    string
	Image   bool
	Missing string // why it is not here; "" if it is
}

func title(v *version) string {
	if v.title == "" {
		return "Untitled"
	}
	return v.title
}

func by(v *version) string { return newPerson(v.by, v.byKey).Name }

// date of a version, for lists: when it last changed.
func (v *version) date() time.Time {
	if v.translation() {
		return v.published
	}
	return v.r.latest
}

// item is v as listed on a page; root leads from that page to the site root.
func (v *version) item(root string) item {
	it := item{
		Href: root + v.path(), Title: title(v), Lang: ref(v.lang), Dir: dir(v.lang),
		By: by(v), Date: v.date(), Summary: v.summary,
		Translation: v.translation(), Outdated: v.outdated,
	}
	for _, o := range v.r.versions {
		if o != v {
			it.Versions = append(it.Versions, versionLink{Href: root + o.path(), Lang: ref(o.lang), Outdated: o.outdated})
		}
	}
	return it
}

func (m *model) common(root, pageTitle, feed, feedTitle string) common {
	return common{Site: m.title, Root: root, PageTitle: pageTitle, Feed: feed, FeedTitle: feedTitle, Generated: m.generated}
}

func (m *model) indexPage() indexPage {
	p := indexPage{common: m.common("", "All reports", "atom.xml", m.title)}
	for _, l := range m.langs {
		p.Langs = append(p.Langs, langLink{Href: l.code + "/index.html", Lang: ref(l.code), Count: len(l.versions)})
	}
	for _, r := range m.reports {
		p.Items = append(p.Items, r.versions[0].item(""))
	}
	return p
}

func (m *model) languagePage(l *langIndex) languagePage {
	name := langName(l.code)
	p := languagePage{common: m.common("../", "Reports in "+name, "atom.xml", m.title+" ("+name+")"), Lang: ref(l.code)}
	for _, v := range l.versions {
		p.Items = append(p.Items, v.item("../"))
	}
	return p
}

func (m *model) reportPage(v *version) reportPage {
	o := v.original()
	r := v.r
	p := reportPage{
		common: m.common("../../", title(v), "../../"+v.lang+"/atom.xml", m.title+" ("+langName(v.lang)+")"),
		Lang:   ref(v.lang), Dir: dir(v.lang), Title: title(v), Summary: v.summary, Body: v.body,
		Author:    newPerson(o.by, o.byKey),
		Published: r.published, Tags: r.tags, Original: ref(o.lang),
		Addr: r.addr, ID: r.id, Translation: v.translation(), Outdated: v.outdated,
	}
	if r.updated.After(r.published) {
		p.Updated = r.updated
	}
	if isBech32(r.addr, "naddr") {
		p.AddrLink = template.URL("nostr:" + r.addr)
	}
	if v.translation() {
		p.Translator = newPerson(v.by, v.byKey)
		p.Translated = v.published
		p.TranslationID = v.id
		p.Of = v.of
	}
	for _, o := range r.versions {
		p.Versions = append(p.Versions, versionLink{
			Href: o.file, Lang: ref(o.lang), By: by(o),
			Translation: o.translation(), Outdated: o.outdated, Current: o == v,
		})
	}
	for _, a := range r.attached {
		p.Attachments = append(p.Attachments, a.view("../../"))
	}
	return p
}

func (a *attachment) view(root string) attachmentView {
	v := attachmentView{Label: a.name, Name: a.name, MIME: a.mime, Alt: a.alt, SHA256: a.hash}
	if v.Label == "" {
		v.Label = "File " + shortKey(a.hash)
	}
	if v.Alt == "" {
		v.Alt = a.name
	}
	if a.size > 0 {
		v.Size = size(a.size) // as announced, for a missing file
	}
	switch {
	case a.b == nil:
		v.Missing = "missing: the report gives no valid SHA-256 for this file."
		v.SHA256 = "(invalid) " + a.hash
	case a.b.state == blobOK:
		v.Href = root + a.b.file
		v.Size = size(a.b.size) // as read
		v.Image = a.b.image
	case a.b.state == blobDamaged:
		v.Missing = "missing: the copy held by the node that built this site was damaged (its SHA-256 did not match), so it was left out."
	case a.b.state == blobUnreadable:
		v.Missing = "missing: the node that built this site could not read its copy of this file."
	default:
		v.Missing = "missing: the node that built this site does not hold this file."
	}
	return v
}

// size is n bytes for people.
func size(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d bytes", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1000)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/1e9)
}

// writePage renders the named template into file.
func writePage(root *os.Root, file, name string, data any) error {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		return fmt.Errorf("rendering %s: %w", file, err)
	}
	return root.WriteFile(file, b.Bytes(), 0o644)
}
