// Package reports is the reports feature of a node: NIP-23 reports and
// their translations, drafts, attachments, search and the static site.
//
// Reports are NIP-23 long-form events (kind 30023): markdown content and
// the tags d, title, summary, published_at and t, with the language as a
// NIP-32 label (["L", "ISO-639-1"], ["l", "es", "ISO-639-1"]).
//
// A translation is a report of its own, by any identity, that points at
// the exact version it translates (docs/reports.md):
//
//	["a", "30023:<author>:<d>", "", "translation-of"]
//	["e", "<id of the translated version>", "", "translation-of"]
//	["p", "<author>"]
//
// It is outdated when the original's current version is no longer the one
// its "e" tag names. Drafts (kind 30024) are kept only in the author's
// vault, encrypted, and never leave the node until published.
package reports

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/nip19safe"
	"github.com/caravan-mesh/caravan/internal/nodehost"
	"github.com/caravan-mesh/caravan/node"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip19"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// Service is the reports feature of one node. It keeps no state of its
// own (everything is in the node's store and vaults) and registers no
// hooks, so any number of them may be made for a node.
type Service struct {
	n *node.Node
	p *nodehost.Parts
}

// New returns the reports feature of node n.
func New(n *node.Node) *Service { return &Service{n: n, p: nodehost.Of(n)} }

// TranslationMarker marks the "a" and "e" tags of a translation.
const TranslationMarker = "translation-of"

// LangNamespace is the NIP-32 label namespace of report languages.
const LangNamespace = "ISO-639-1"

// Limits on what a report holds.
const (
	MaxTitle   = 300
	MaxSummary = 1000
	MaxTags    = 30
)

// ErrNoReport means a report (or the version a translation names) is not
// held here. It is an ErrNotFound.
var ErrNoReport = fmt.Errorf("report %w", node.ErrNotFound)

// ErrNoDraft means an identity has no draft of that name. It is an
// ErrNoReport, and reads as one.
var ErrNoDraft = fmt.Errorf("%w", ErrNoReport)

// Input is what the author writes.
type Input struct {
	// D identifies the report among its author's; empty for a new report.
	D           string       `json:"d,omitempty"`
	Title       string       `json:"title"`
	Summary     string       `json:"summary,omitempty"`
	Markdown    string       `json:"markdown"`
	Lang        string       `json:"lang"` // ISO 639-1
	Tags        []string     `json:"tags,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Attachment is a blob a report references (an imeta tag).
type Attachment struct {
	SHA256 string `json:"sha256"`
	URL    string `json:"url"`
	MIME   string `json:"mime"`
	Size   int64  `json:"size"`
	Name   string `json:"name,omitempty"`
	Alt    string `json:"alt,omitempty"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
	Held   bool   `json:"held"` // this node has the bytes
	// What was removed from a photo before it was stored (EXIF, GPS...).
	Removed []string `json:"removed,omitempty"`
	HadGPS  bool     `json:"had_gps,omitempty"`
	// KeptMetadata: the photo was stored with its metadata, as asked.
	KeptMetadata bool `json:"kept_metadata,omitempty"`
}

// Report is a report or translation as readers see it.
type Report struct {
	Naddr      string       `json:"naddr"`
	Address    string       `json:"address"` // 30023:pubkey:d
	ID         string       `json:"id"`
	Author     string       `json:"author"` // hex public key
	AuthorName string       `json:"author_name,omitempty"`
	D          string       `json:"d"`
	Title      string       `json:"title"`
	Summary    string       `json:"summary,omitempty"`
	Markdown   string       `json:"markdown,omitempty"`
	Lang       string       `json:"lang,omitempty"`
	Tags       []string     `json:"tags,omitempty"`
	Published  int64        `json:"published_at"`
	Updated    int64        `json:"updated_at"`
	Attach     []Attachment `json:"attachments,omitempty"`
	Versions   int          `json:"versions"` // held versions, this one included
	Trust      node.Trust   `json:"trust"`    // where the author (or translator) stands
	// For a translation: what it translates and whether that changed.
	Of       *TranslationRef `json:"translation_of,omitempty"`
	Outdated bool            `json:"outdated,omitempty"`
	// For an original: its translations, one per language and translator.
	Translations []Report `json:"translations,omitempty"`
}

// TranslationRef is the version a translation translates.
type TranslationRef struct {
	Address string `json:"address"`
	Naddr   string `json:"naddr"`
	Version string `json:"version"` // event id
}

// CheckLang returns the ISO 639-1 code for lang ("es", "ES" -> "es").
func CheckLang(lang string) (string, error) {
	l := strings.ToLower(strings.TrimSpace(lang))
	if len(l) != 2 {
		return "", fmt.Errorf("language %q: give a two-letter ISO 639-1 code such as es, ru, kk, en", lang)
	}
	if _, err := language.ParseBase(l); err != nil {
		return "", fmt.Errorf("language %q is not an ISO 639-1 code (such as es, ru, kk, en)", lang)
	}
	return l, nil
}

// LangName is a language's name in English and in itself: "Spanish
// (español)".
func LangName(code string) string {
	t, err := language.Parse(code)
	if err != nil {
		return code
	}
	en, self := display.English.Tags().Name(t), display.Self.Name(t)
	switch {
	case en == "":
		return code
	case self == "" || self == en:
		return en
	}
	return en + " (" + self + ")"
}

func checkInput(in *Input) error {
	in.Title = strings.TrimSpace(in.Title)
	in.Summary = strings.TrimSpace(in.Summary)
	switch {
	case in.Title == "":
		return event.Reject(event.Invalid, "a report needs a title (--title)")
	case strings.ContainsAny(in.Title, "\r\n"):
		return event.Reject(event.Invalid, "the title is one line")
	case utf8.RuneCountInString(in.Title) > MaxTitle:
		return event.Reject(event.Invalid, "the title has %d characters; at most %d", utf8.RuneCountInString(in.Title), MaxTitle)
	case utf8.RuneCountInString(in.Summary) > MaxSummary:
		return event.Reject(event.Invalid, "the summary has %d characters; at most %d", utf8.RuneCountInString(in.Summary), MaxSummary)
	case strings.TrimSpace(in.Markdown) == "":
		return event.Reject(event.Invalid, "the report has no text")
	case len(in.Tags) > MaxTags:
		return event.Reject(event.Invalid, "%d topics; at most %d", len(in.Tags), MaxTags)
	case len(in.D) > 200:
		return event.Reject(event.Invalid, "the identifier (d) is longer than 200 bytes")
	}
	lang, err := CheckLang(in.Lang)
	if err != nil {
		return event.Reject(event.Invalid, "%v", err)
	}
	in.Lang = lang
	var tags []string
	seen := map[string]bool{}
	for _, t := range in.Tags {
		t = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(t, "#")))
		if t == "" || seen[t] {
			continue
		}
		if len(t) > 100 || strings.ContainsAny(t, " \t\r\n") {
			return event.Reject(event.Invalid, "topic %q: one word of at most 100 bytes", t)
		}
		seen[t] = true
		tags = append(tags, t)
	}
	in.Tags = tags
	// One imeta tag per blob (NIP-92: one per URL), whoever listed it twice.
	var atts []Attachment
	seenBlob := map[string]bool{}
	for i, a := range in.Attachments {
		if !event.IsHexID(a.SHA256) {
			return event.Reject(event.Invalid, "attachment %d: %q is not a sha256", i+1, a.SHA256)
		}
		if !seenBlob[a.SHA256] {
			seenBlob[a.SHA256] = true
			atts = append(atts, a)
		}
	}
	in.Attachments = atts
	return nil
}

// reportTags builds a report's tags (without d and published_at).
func reportTags(in Input, blobBase string) nostr.Tags {
	tags := nostr.Tags{{"title", in.Title}}
	if in.Summary != "" {
		tags = append(tags, nostr.Tag{"summary", in.Summary})
	}
	for _, t := range in.Tags {
		tags = append(tags, nostr.Tag{"t", t})
	}
	tags = append(tags, nostr.Tag{"L", LangNamespace}, nostr.Tag{"l", in.Lang, LangNamespace})
	for _, a := range in.Attachments {
		tags = append(tags, imeta(a, blobBase))
	}
	return tags
}

// BlobURL is where a blob is named in events: the node's configured
// public media address, or a placeholder host that never resolves, so
// that clients fall back on the hash (NIP-B7, BUD-01) as Caravan nodes do.
func BlobURL(base, sum, mime string) string {
	if base == "" {
		base = "https://blossom.invalid"
	}
	return strings.TrimSuffix(base, "/") + "/" + sum + extFor(mime)
}

func extFor(mime string) string {
	switch mime {
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "image/webp":
		return ".webp"
	case "image/gif":
		return ".gif"
	case "application/pdf":
		return ".pdf"
	case "video/mp4":
		return ".mp4"
	case "audio/mpeg":
		return ".mp3"
	case "text/plain", "text/plain; charset=utf-8":
		return ".txt"
	}
	return ""
}

func imeta(a Attachment, base string) nostr.Tag {
	url := a.URL
	if url == "" {
		url = BlobURL(base, a.SHA256, a.MIME)
	}
	t := nostr.Tag{"imeta", "url " + url, "x " + a.SHA256}
	if a.MIME != "" {
		t = append(t, "m "+a.MIME)
	}
	if a.Size > 0 {
		t = append(t, "size "+strconv.FormatInt(a.Size, 10))
	}
	if a.Width > 0 && a.Height > 0 {
		t = append(t, fmt.Sprintf("dim %dx%d", a.Width, a.Height))
	}
	if a.Alt != "" {
		t = append(t, "alt "+oneLine(a.Alt))
	}
	if a.Name != "" {
		t = append(t, "name "+oneLine(a.Name))
	}
	return t
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// newD is a fresh d tag: a report's (or draft's) name among its author's.
func (s *Service) newD() string {
	b := make([]byte, 9)
	if _, err := io.ReadFull(s.p.Rand, b); err != nil {
		// As the core's own ids: a random source that fails is a broken
		// simulation or test, and names must not silently repeat.
		panic(fmt.Sprintf("reports: the random source failed: %v", err))
	}
	return hex.EncodeToString(b)
}

// Publish signs and stores a report as identity as. With in.D naming
// one of the author's reports, it is an edit: a new version replaces the
// old, which stays readable here by its id, and published_at is kept.
func (s *Service) Publish(ctx context.Context, as string, in Input) (*Report, error) {
	if err := checkInput(&in); err != nil {
		return nil, err
	}
	sg, err := s.p.Keys.Signer(as)
	if err != nil {
		return nil, err
	}
	published := s.p.Now().Unix()
	if in.D == "" {
		in.D = s.newD()
	} else if cur, err := s.currentReport(ctx, sg.PubKey(), in.D); err != nil {
		return nil, err
	} else if cur != nil {
		if of := translationOf(cur); of != nil {
			return nil, event.Reject(event.Invalid, "%s is a translation; change it with 'report translate' so it keeps pointing at its original", in.D)
		}
		if p := cur.Tags.GetFirst([]string{"published_at", ""}); p != nil {
			if v, err := strconv.ParseInt((*p)[1], 10, 64); err == nil {
				published = v
			}
		}
	}
	return s.publishReport(ctx, as, in, published, nil)
}

func (s *Service) publishReport(ctx context.Context, as string, in Input, published int64, extra nostr.Tags) (*Report, error) {
	for _, a := range in.Attachments {
		if _, ok, err := s.p.Store.BlobInfo(ctx, a.SHA256); err != nil {
			return nil, err
		} else if !ok {
			return nil, event.Reject(event.Invalid, "attachment %s is not stored on this node; attach the file to this node first", a.SHA256)
		}
	}
	tags := nostr.Tags{{"d", in.D}}
	tags = append(tags, reportTags(in, s.n.Config.MediaURL)...)
	tags = append(tags, nostr.Tag{"published_at", strconv.FormatInt(published, 10)})
	tags = append(tags, extra...)
	// Publish makes a new version sort after the one it replaces.
	ev := &nostr.Event{Kind: event.KindReport, Content: in.Markdown, Tags: tags}
	ev, err := s.n.Publish(ctx, as, ev)
	if err != nil {
		return nil, err
	}
	return s.reportView(ctx, ev, true)
}

func (s *Service) currentReport(ctx context.Context, pk, d string) (*nostr.Event, error) {
	evs, err := s.p.Store.QueryEvents(ctx, nostr.Filter{Kinds: []int{event.KindReport}, Authors: []string{pk}, Tags: nostr.TagMap{"d": {d}}}, 1)
	if err != nil || len(evs) == 0 {
		return nil, err
	}
	return evs[0], nil
}

// ParseAddress reads a report's address: an naddr (with or without
// "nostr:"), or "30023:<pubkey hex>:<d>".
func ParseAddress(s string) (pk, d string, err error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, strconv.Itoa(event.KindReport)+":") {
		parts := strings.SplitN(s, ":", 3)
		if len(parts) == 3 && event.IsHexID(parts[1]) {
			return parts[1], parts[2], nil
		}
		return "", "", fmt.Errorf("%q is not an address kind:pubkey:d", s)
	}
	prefix, v, err := nip19safe.Decode(s)
	if err != nil {
		return "", "", fmt.Errorf("%q is not a report address (naddr1...): %v", clipStr(s), err)
	}
	ep, ok := v.(nostr.EntityPointer)
	if prefix != "naddr" || !ok {
		return "", "", fmt.Errorf("%q is a %s, not a report address (naddr1...)", clipStr(s), prefix)
	}
	if ep.Kind != event.KindReport {
		return "", "", fmt.Errorf("%q names an event of kind %d, not a report (30023)", clipStr(s), ep.Kind)
	}
	return ep.PublicKey, ep.Identifier, nil
}

func clipStr(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// Naddr is the NIP-19 address of a report.
func Naddr(pk, d string) string {
	s, _ := nip19.EncodeEntity(pk, event.KindReport, d, nil)
	return s
}

// findReport returns the current version of the report at addr.
func (s *Service) findReport(ctx context.Context, addr string) (*nostr.Event, error) {
	pk, d, err := ParseAddress(addr)
	if err != nil {
		return nil, event.Reject(event.Invalid, "%v", err)
	}
	ev, err := s.currentReport(ctx, pk, d)
	if err != nil {
		return nil, err
	}
	if ev == nil {
		return nil, fmt.Errorf("%w: this node holds no report %s; sync with a peer that has it", ErrNoReport, clipStr(addr))
	}
	return ev, nil
}

// Translate publishes, as identity as, a translation of the current
// version of the report at addr. Translating the same report into the
// same language again replaces the translator's earlier translation.
func (s *Service) Translate(ctx context.Context, as, addr string, in Input) (*Report, error) {
	orig, err := s.findReport(ctx, addr)
	if err != nil {
		return nil, err
	}
	if translationOf(orig) != nil {
		return nil, event.Reject(event.Invalid, "%s is itself a translation; translate its original", clipStr(addr))
	}
	if in.Title == "" {
		in.Title = tagValue(orig, "title")
	}
	if err := checkInput(&in); err != nil {
		return nil, err
	}
	if lang := reportLang(orig); lang == in.Lang {
		return nil, event.Reject(event.Invalid, "the report is already in %s; give the language of the translation", LangName(lang))
	}
	origD := tagValue(orig, "d")
	if in.D == "" {
		// One translation per translator, report and language: a new one
		// replaces the old.
		in.D = "tr-" + in.Lang + "-" + shortHash(orig.PubKey+":"+origD)
	}
	address := fmt.Sprintf("%d:%s:%s", event.KindReport, orig.PubKey, origD)
	extra := nostr.Tags{
		{"a", address, "", TranslationMarker},
		{"e", orig.ID, "", TranslationMarker},
		{"p", orig.PubKey},
	}
	published := s.p.Now().Unix()
	return s.publishReport(ctx, as, in, published, extra)
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

func tagValue(ev *nostr.Event, name string) string {
	if t := ev.Tags.GetFirst([]string{name, ""}); t != nil {
		return (*t)[1]
	}
	return ""
}

func reportLang(ev *nostr.Event) string {
	for _, t := range ev.Tags {
		if len(t) >= 3 && t[0] == "l" && t[2] == LangNamespace {
			return t[1]
		}
	}
	return ""
}

// translationOf reads a translation's reference, or nil for an original.
func translationOf(ev *nostr.Event) *TranslationRef {
	var ref TranslationRef
	for _, t := range ev.Tags {
		if len(t) >= 4 && t[3] == TranslationMarker {
			switch t[0] {
			case "a":
				ref.Address = t[1]
			case "e":
				ref.Version = t[1]
			}
		}
	}
	if ref.Address == "" {
		return nil
	}
	if pk, d, err := ParseAddress(ref.Address); err == nil {
		ref.Naddr = Naddr(pk, d)
	}
	return &ref
}

func attachments(ev *nostr.Event) []Attachment {
	var out []Attachment
	for _, t := range ev.Tags {
		if len(t) < 2 || t[0] != "imeta" {
			continue
		}
		var a Attachment
		for _, kv := range t[1:] {
			k, v, _ := strings.Cut(kv, " ")
			switch k {
			case "url":
				a.URL = v
			case "x":
				a.SHA256 = strings.ToLower(v)
			case "m":
				a.MIME = v
			case "size":
				a.Size, _ = strconv.ParseInt(v, 10, 64)
			case "dim":
				w, h, _ := strings.Cut(v, "x")
				a.Width, _ = strconv.Atoi(w)
				a.Height, _ = strconv.Atoi(h)
			case "alt":
				a.Alt = v
			case "name":
				a.Name = v
			}
		}
		if event.IsHexID(a.SHA256) {
			out = append(out, a)
		}
	}
	return out
}

// reportView turns a stored report event into what readers see; with
// full, the text and the translations too.
func (s *Service) reportView(ctx context.Context, ev *nostr.Event, full bool) (*Report, error) {
	d := tagValue(ev, "d")
	r := &Report{
		Naddr:   Naddr(ev.PubKey, d),
		Address: fmt.Sprintf("%d:%s:%s", event.KindReport, ev.PubKey, d),
		ID:      ev.ID,
		Author:  ev.PubKey,
		D:       d,
		Title:   tagValue(ev, "title"),
		Summary: tagValue(ev, "summary"),
		Lang:    reportLang(ev),
		Updated: int64(ev.CreatedAt),
		Of:      translationOf(ev),
	}
	r.AuthorName = s.n.ProfileName(ctx, ev.PubKey)
	r.Trust = s.n.Trust(ctx, ev.PubKey)
	r.Published, _ = strconv.ParseInt(tagValue(ev, "published_at"), 10, 64)
	if r.Published == 0 {
		r.Published = r.Updated
	}
	for _, t := range ev.Tags {
		if len(t) >= 2 && t[0] == "t" {
			r.Tags = append(r.Tags, t[1])
		}
	}
	for _, a := range attachments(ev) {
		_, a.Held, _ = s.p.Store.BlobInfo(ctx, a.SHA256)
		r.Attach = append(r.Attach, a)
	}
	if r.Of != nil {
		if pk, d, err := ParseAddress(r.Of.Address); err == nil {
			cur, err := s.currentReport(ctx, pk, d)
			if err != nil {
				return nil, err
			}
			r.Outdated = cur != nil && cur.ID != r.Of.Version
		}
	}
	if !full {
		return r, nil
	}
	r.Markdown = ev.Content
	if vs, err := s.p.Store.Versions(ctx, r.Address); err == nil {
		r.Versions = len(vs)
	}
	if r.Of == nil {
		trs, err := s.translations(ctx, []string{r.Address})
		if err != nil {
			return nil, err
		}
		for _, t := range trs[r.Address] {
			r.Translations = append(r.Translations, *t)
		}
	}
	return r, nil
}

// translations finds the translations of the reports at these addresses.
func (s *Service) translations(ctx context.Context, addresses []string) (map[string][]*Report, error) {
	out := map[string][]*Report{}
	for len(addresses) > 0 {
		batch := addresses[:min(len(addresses), 200)]
		addresses = addresses[len(batch):]
		evs, err := s.p.Store.QueryEvents(ctx, nostr.Filter{Kinds: []int{event.KindReport}, Tags: nostr.TagMap{"a": batch}}, 100000)
		if err != nil {
			return nil, err
		}
		for _, ev := range evs {
			of := translationOf(ev)
			if of == nil {
				continue // a report that only mentions another
			}
			v, err := s.reportView(ctx, ev, false)
			if err != nil {
				return nil, err
			}
			out[of.Address] = append(out[of.Address], v)
		}
	}
	for _, l := range out {
		sort.Slice(l, func(i, j int) bool {
			if l[i].Lang != l[j].Lang {
				return l[i].Lang < l[j].Lang
			}
			if c := node.CompareTrust(l[i].Trust, l[j].Trust); c != 0 {
				return c < 0
			}
			return l[i].Updated > l[j].Updated
		})
	}
	return out, nil
}

// Filter narrows List.
type Filter struct {
	Lang   string     // only reports readable in this language (original or translation)
	Author string     // hex public key
	Limit  int        // if zero, 100
	Order  node.Order // node.ByTime (the default) or node.ByTrust, as the feed
}

// List lists the original reports held here, newest first or by
// trust (as the node's Feed), each with its translations (without texts).
func (s *Service) List(ctx context.Context, f Filter) ([]Report, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var only []string
	if f.Author != "" {
		only = []string{f.Author}
	}
	out, err := s.reports(ctx, f, only)
	if err != nil || f.Order != node.ByTrust {
		return out, err
	}
	seen := map[string]bool{}
	for _, r := range out {
		seen[r.Address] = true
	}
	for _, authors := range s.n.RankedAuthors(ctx, only) {
		more, err := s.reports(ctx, f, authors)
		if err != nil {
			return nil, err
		}
		for _, r := range more {
			if !seen[r.Address] {
				seen[r.Address] = true
				out = append(out, r)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Report) int {
		if c := node.CompareTrust(a.Trust, b.Trust); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Updated, a.Updated); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out[:min(len(out), f.Limit)], nil
}

// reports lists the newest original reports by authors (by anyone if
// empty).
func (s *Service) reports(ctx context.Context, f Filter, authors []string) ([]Report, error) {
	filter := nostr.Filter{Kinds: []int{event.KindReport}, Authors: authors}
	var out []Report
	until := nostr.Timestamp(0)
	for len(out) < f.Limit {
		q := filter
		if until != 0 {
			q.Until = &until
		}
		evs, err := s.p.Store.QueryEvents(ctx, q, 500)
		if err != nil {
			return nil, err
		}
		var page []*Report
		var addrs []string
		for _, ev := range evs {
			if translationOf(ev) != nil {
				continue
			}
			v, err := s.reportView(ctx, ev, false)
			if err != nil {
				return nil, err
			}
			page = append(page, v)
			addrs = append(addrs, v.Address)
		}
		trs, err := s.translations(ctx, addrs)
		if err != nil {
			return nil, err
		}
		for _, v := range page {
			for _, t := range trs[v.Address] {
				v.Translations = append(v.Translations, *t)
			}
			if f.Lang != "" && !v.readableIn(f.Lang) {
				continue
			}
			out = append(out, *v)
			if len(out) == f.Limit {
				break
			}
		}
		if len(evs) < 500 {
			break
		}
		until = evs[len(evs)-1].CreatedAt - 1
	}
	return out, nil
}

func (r *Report) readableIn(lang string) bool {
	if r.Lang == lang {
		return true
	}
	for _, t := range r.Translations {
		if t.Lang == lang {
			return true
		}
	}
	return false
}

// Read returns a report with its text, in lang if a translation
// into it exists (one that is up to date if any, then the one by the most
// trusted translator, then the newest), else
// the original. addr may also name a translation, or with version an
// earlier version by its event id.
func (s *Service) Read(ctx context.Context, addr, lang, version string) (*Report, error) {
	ev, err := s.findReport(ctx, addr)
	if err != nil {
		return nil, err
	}
	if version != "" {
		old, err := s.p.Store.Get(ctx, version)
		if err != nil {
			return nil, event.Reject(event.Invalid, "%v", err)
		}
		if old == nil || old.Kind != event.KindReport || old.PubKey != ev.PubKey || tagValue(old, "d") != tagValue(ev, "d") {
			return nil, fmt.Errorf("%w: no version %s of this report is held here", ErrNoReport, clipStr(version))
		}
		ev = old
	}
	r, err := s.reportView(ctx, ev, true)
	if err != nil {
		return nil, err
	}
	if lang == "" || lang == r.Lang || r.Of != nil {
		return r, nil
	}
	if lang, err = CheckLang(lang); err != nil {
		return nil, event.Reject(event.Invalid, "%v", err)
	}
	var best *Report
	for i, t := range r.Translations {
		if t.Lang == lang && (best == nil || best.Outdated && !t.Outdated) {
			best = &r.Translations[i]
		}
	}
	if best == nil {
		var have []string
		for _, t := range r.Translations {
			have = append(have, t.Lang)
		}
		return nil, fmt.Errorf("%w: no %s translation of this report is held here (it is in %s%s)", ErrNoReport, LangName(lang), r.Lang, prefixed(", translations: ", strings.Join(have, ", ")))
	}
	tev, err := s.findReport(ctx, best.Naddr)
	if err != nil {
		return nil, err
	}
	t, err := s.reportView(ctx, tev, true)
	if err != nil {
		return nil, err
	}
	t.Translations = r.Translations
	return t, nil
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

// Status is where a report is known to be held.
type Status struct {
	Report  Report   `json:"report"`
	Holders []Holder `json:"holders"`
}

// Holder is one peer or relay that holds a version of the report.
type Holder struct {
	Peer    string `json:"peer"`
	Kind    string `json:"kind,omitempty"` // peer, relay, lan, stdio
	At      int64  `json:"at"`
	Current bool   `json:"current"` // holds the current version (else an earlier one)
}

// Status lists the peers and relays known to hold the report: those
// that accepted it from this node or sent it here.
func (s *Service) Status(ctx context.Context, addr string) (*Status, error) {
	ev, err := s.findReport(ctx, addr)
	if err != nil {
		return nil, err
	}
	r, err := s.reportView(ctx, ev, false)
	if err != nil {
		return nil, err
	}
	st := &Status{Report: *r, Holders: []Holder{}}
	vs, err := s.p.Store.Versions(ctx, r.Address)
	if err != nil {
		return nil, err
	}
	kinds := map[string]string{}
	for _, p := range s.n.KnownPeers() {
		kinds[p.URL] = p.Kind
	}
	seen := map[string]int{}
	for _, v := range vs {
		hs, err := s.p.Store.Holders(ctx, v.ID)
		if err != nil {
			return nil, err
		}
		for _, h := range hs {
			if i, ok := seen[h.Peer]; ok {
				if v.ID == ev.ID {
					st.Holders[i].Current = true
				}
				continue
			}
			seen[h.Peer] = len(st.Holders)
			st.Holders = append(st.Holders, Holder{Peer: h.Peer, Kind: kinds[h.Peer], At: h.At, Current: v.ID == ev.ID})
		}
	}
	return st, nil
}
