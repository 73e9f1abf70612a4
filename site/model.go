package site

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
)

// model is a Site cleaned, sorted and cross-referenced, ready to write.
type model struct {
	title     string
	base      string // BaseURL ending in "/", or ""
	generated time.Time
	reports   []*report    // newest first
	langs     []*langIndex // by code
	blobs     []*blob      // by hash
	byHash    map[string]*blob
	invalid   int // attachments whose SHA256 is not a SHA-256
}

type report struct {
	slug      string
	addr, id  string
	tags      []string
	latest    time.Time  // when it last changed, for sorting and feeds
	versions  []*version // the original, then translations by language
	attached  []attachment
	published time.Time
	updated   time.Time
}

// version is a report in one language: the original or a translation.
type version struct {
	r         *report
	lang      string
	title     string
	summary   string
	markdown  string
	by, byKey string // author or translator
	id, of    string
	outdated  bool
	published time.Time
	file      string        // "index.html" or "<lang>.html" in reports/<slug>/
	body      template.HTML // rendered before pages are written
}

func (v *version) original() *version { return v.r.versions[0] }
func (v *version) translation() bool  { return v != v.original() }
func (v *version) path() string       { return "reports/" + v.r.slug + "/" + v.file }

// langIndex is a language and the versions readable in it, in site order.
type langIndex struct {
	code     string
	versions []*version
}

// attachment is one reference from a report to a blob. b is nil when
// the reference's hash is not a SHA-256.
type attachment struct {
	b    *blob
	hash string
	name string
	mime string
	size int64
	alt  string
	open func() (io.ReadCloser, error)
}

func newModel(s Site) (*model, error) {
	m := &model{title: cleanLine(s.Title), generated: s.Generated, byHash: map[string]*blob{}}
	if m.title == "" {
		m.title = "Reports"
	}
	if s.BaseURL != "" {
		u, err := url.Parse(s.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("site: base URL %q is not an absolute http or https URL (for example https://example.org/reports/)", s.BaseURL)
		}
		m.base = strings.TrimSuffix(u.String(), "/") + "/"
	}

	byKey := map[string]*report{}
	for i := range s.Reports {
		r, err := newReport(&s.Reports[i])
		if err != nil {
			return nil, err
		}
		if old, ok := byKey[r.slug]; ok {
			if old.key() != r.key() {
				return nil, fmt.Errorf("site: reports %q and %q have the same slug %s", old.key(), r.key(), r.slug)
			}
			if !newer(r, old) {
				continue
			}
		}
		byKey[r.slug] = r
	}
	for _, r := range byKey {
		m.reports = append(m.reports, r)
	}
	slices.SortFunc(m.reports, func(a, b *report) int {
		if c := b.latest.Compare(a.latest); c != 0 {
			return c
		}
		return strings.Compare(a.slug, b.slug)
	})
	if m.generated.IsZero() && len(m.reports) > 0 {
		m.generated = m.reports[0].latest
	}

	langs := map[string]*langIndex{}
	for _, r := range m.reports {
		for _, v := range r.versions {
			li := langs[v.lang]
			if li == nil {
				li = &langIndex{code: v.lang}
				langs[v.lang] = li
				m.langs = append(m.langs, li)
			}
			li.versions = append(li.versions, v)
		}
		for i := range r.attached {
			m.addBlob(&r.attached[i])
		}
	}
	slices.SortFunc(m.langs, func(a, b *langIndex) int { return strings.Compare(a.code, b.code) })
	slices.SortFunc(m.blobs, func(a, b *blob) int { return strings.Compare(a.hash, b.hash) })
	return m, nil
}

func (r *report) key() string {
	if r.addr != "" {
		return r.addr
	}
	return r.id
}

// newer reports whether a should be shown instead of b, which has the
// same address.
func newer(a, b *report) bool {
	if c := a.latest.Compare(b.latest); c != 0 {
		return c > 0
	}
	return a.id > b.id
}

func newReport(in *Report) (*report, error) {
	r := &report{
		addr:      cleanLine(in.Addr),
		id:        cleanLine(in.ID),
		published: in.Published,
		updated:   in.Updated,
	}
	if r.key() == "" {
		return nil, fmt.Errorf("site: report %q has neither an address nor an event id", clip(in.Title))
	}
	sum := sha256.Sum256([]byte(r.key()))
	r.slug = hex.EncodeToString(sum[:8])
	r.latest = later(in.Published, in.Updated)
	for _, t := range in.Tags {
		if t = cleanLine(t); t != "" && !slices.Contains(r.tags, t) {
			r.tags = append(r.tags, t)
		}
	}
	orig := &version{
		r: r, lang: normLang(in.Lang), file: "index.html",
		title: cleanLine(in.Title), summary: cleanText(in.Summary), markdown: strings.ToValidUTF8(in.Markdown, "\uFFFD"),
		by: cleanLine(in.Author), byKey: cleanLine(in.AuthorKey), id: r.id,
		published: in.Published, // updated is on r
	}
	r.versions = append(r.versions, orig)

	best := map[string]*Translation{}
	for i := range in.Translations {
		t := &in.Translations[i]
		lang := normLang(t.Lang)
		if lang == orig.lang {
			continue
		}
		if b, ok := best[lang]; !ok || betterTranslation(t, b) {
			best[lang] = t
		}
	}
	for lang, t := range best {
		r.versions = append(r.versions, &version{
			r: r, lang: lang, file: lang + ".html",
			title: cleanLine(t.Title), summary: cleanText(t.Summary), markdown: strings.ToValidUTF8(t.Markdown, "\uFFFD"),
			by: cleanLine(t.Translator), byKey: cleanLine(t.TranslatorKey),
			id: cleanLine(t.ID), of: cleanLine(t.Of), outdated: t.Outdated, published: t.Published,
		})
	}
	slices.SortFunc(r.versions[1:], func(a, b *version) int { return strings.Compare(a.lang, b.lang) })

	for _, a := range in.Attachments {
		r.attached = append(r.attached, attachment{
			hash: strings.ToLower(strings.TrimSpace(a.SHA256)),
			name: cleanLine(a.Name), mime: cleanLine(a.MIME), size: a.Size, alt: cleanLine(a.Alt), open: a.Open,
		})
	}
	return r, nil
}

// betterTranslation reports whether a should be shown rather than b,
// another translation into the same language.
func betterTranslation(a, b *Translation) bool {
	if a.Outdated != b.Outdated {
		return !a.Outdated
	}
	if c := a.Published.Compare(b.Published); c != 0 {
		return c > 0
	}
	return a.ID > b.ID
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// cleanLine makes user text safe to show on one line: valid UTF-8, no
// control characters, runs of white space as one space.
func cleanLine(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToValidUTF8(s, "\uFFFD"), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
}

// cleanText is cleanLine for text that keeps its line breaks.
func cleanText(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = cleanLine(l)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func clip(s string) string {
	s = cleanLine(s)
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

func isHex(s string) bool {
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// isBech32 reports whether s looks like a NIP-19 identifier with the
// given prefix, so that it can be offered as a nostr: link.
func isBech32(s, hrp string) bool {
	rest, ok := strings.CutPrefix(s, hrp+"1")
	if !ok || len(rest) < 6 {
		return false
	}
	for _, c := range []byte(rest) {
		if !strings.ContainsRune("qpzry9x8gf2tvdw0s3jn54khce6mua7l", rune(c)) {
			return false
		}
	}
	return true
}
