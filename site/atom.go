package site

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/url"
	"os"
	"time"
)

// Atom feeds (RFC 4287). Entry ids are tag: URIs built from the report's
// address (and the language, for a translation), not page URLs: the same
// report on two mirrors of the site, or after the site moves, is the same
// entry, and an edit updates the entry instead of adding one. Links are
// absolute when Site.BaseURL is set, otherwise relative to the feed, and
// each entry's content carries an xml:base so its relative links (to
// attachments) resolve.

const tagPrefix = "tag:caravan,2026:"

type atomFeed struct {
	XMLName   xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang      string      `xml:"http://www.w3.org/XML/1998/namespace lang,attr,omitempty"`
	ID        string      `xml:"id"`
	Title     string      `xml:"title"`
	Updated   string      `xml:"updated"`
	Links     []atomLink  `xml:"link"`
	Generator string      `xml:"generator"`
	Entries   []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel      string `xml:"rel,attr,omitempty"`
	Type     string `xml:"type,attr,omitempty"`
	Hreflang string `xml:"hreflang,attr,omitempty"`
	Href     string `xml:"href,attr"`
}

type atomEntry struct {
	Lang         string         `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	ID           string         `xml:"id"`
	Title        string         `xml:"title"`
	Updated      string         `xml:"updated"`
	Published    string         `xml:"published,omitempty"`
	Authors      []atomPerson   `xml:"author"`
	Contributors []atomPerson   `xml:"contributor"`
	Links        []atomLink     `xml:"link"`
	Categories   []atomCategory `xml:"category"`
	Summary      *atomText      `xml:"summary"`
	Content      atomText       `xml:"content"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Base string `xml:"http://www.w3.org/XML/1998/namespace base,attr,omitempty"`
	Body string `xml:",chardata"`
}

// feed is the Atom feed of vs at <lang>/atom.xml, or at atom.xml if lang
// is "".
func (m *model) feed(lang string, vs []*version) atomFeed {
	dir, root, title := "", "", m.title // root leads from the feed to the site root
	if lang != "" {
		dir, root = lang+"/", "../"
		title += " (" + langName(lang) + ")"
	}
	id := tagPrefix + "site:" + url.PathEscape(m.title)
	if lang != "" {
		id += ":" + lang
	}
	self, alt := "atom.xml", "index.html"
	if m.base != "" {
		root = m.base
		id = m.base + dir + "atom.xml"
		self, alt = id, m.base+dir+"index.html"
	}
	f := atomFeed{
		Lang: lang, ID: id, Title: title, Updated: atomTime(m.generated),
		Generator: "Caravan",
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: self},
			{Rel: "alternate", Type: "text/html", Href: alt},
		},
	}
	for _, v := range vs {
		f.Entries = append(f.Entries, m.entry(v, root))
	}
	return f
}

// entry is v in a feed; root leads from the feed to the site root.
func (m *model) entry(v *version, root string) atomEntry {
	r, o := v.r, v.original()
	page := root + v.path()
	e := atomEntry{
		Lang:    v.lang,
		ID:      tagPrefix + "report:" + r.key(),
		Title:   title(v),
		Updated: atomTime(v.date()),
		Authors: []atomPerson{atomAuthor(v)},
		Links:   []atomLink{{Rel: "alternate", Type: "text/html", Hreflang: v.lang, Href: page}},
		Content: atomText{Type: "html", Base: page, Body: string(v.body)},
	}
	if v.date().IsZero() {
		e.Updated = atomTime(m.generated)
	}
	pub := r.published
	if v.translation() {
		e.ID += ":" + v.lang
		pub = v.published
		e.Contributors = []atomPerson{atomAuthor(o)}
		e.Links = append(e.Links, atomLink{Rel: "related", Type: "text/html", Hreflang: o.lang, Href: root + o.path()})
	}
	if !pub.IsZero() {
		e.Published = atomTime(pub)
	}
	for _, t := range r.tags {
		e.Categories = append(e.Categories, atomCategory{Term: t})
	}
	if v.summary != "" {
		e.Summary = &atomText{Type: "text", Body: v.summary}
	}
	return e
}

func atomAuthor(v *version) atomPerson {
	p := newPerson(v.by, v.byKey)
	return atomPerson{Name: p.Name, URI: string(p.Link)}
}

func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func writeFeed(root *os.Root, file string, f atomFeed) error {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	b.WriteByte('\n')
	return root.WriteFile(file, b.Bytes(), 0o644)
}
