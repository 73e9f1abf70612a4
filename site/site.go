// Package site writes signed reports and their translations as a static
// website: plain HTML files, one small local stylesheet, Atom feeds and the
// reports' attachments, in one directory that can be copied to a USB stick,
// opened from file://, or uploaded under any path of any web host.
//
// The site is meant to get reports out of a shutdown and to be read by
// people who may be watched, so it has no JavaScript, loads nothing from
// anywhere else (no fonts, no CDN, no remote images: a remote image in a
// report becomes a link) and uses only relative links. It is not the
// authority on what a report says: every page shows the report's Nostr
// address (naddr) and event id, and the author's npub, so a reader can
// fetch the signed event with any Nostr app and check it.
//
// Layout of the directory Build writes:
//
//	index.html                 all reports, newest first, with their languages
//	style.css                  the only stylesheet
//	atom.xml                   Atom feed of all reports (originals)
//	<lang>/index.html          reports readable in <lang>, titles in <lang>
//	<lang>/atom.xml            Atom feed of originals and translations in <lang>
//	reports/<slug>/index.html  a report in its original language
//	reports/<slug>/<lang>.html one of its translations
//	blobs/<sha256>.<ext>       attachments, checked against their hash
//	.caravan-site              marks the directory as ours, so Build may replace it
//
// <lang> is a lower-case BCP 47 tag such as "es" or "pt-br"; reports with
// no (or an unreadable) language are listed under "und". <slug> is the
// first 16 hex digits of the SHA-256 of the report's naddr (or of its
// event id if it has none), so it is stable across edits and never
// contains text from the report. <ext> is the extension for the media
// type the blob's first bytes confirm (media.Servable: images, common
// audio and video, PDF), whatever type the report declared, and "bin"
// for anything else (HTML and SVG included, so an attachment can never
// become a page of the site).
//
// Output depends only on the input: building the same Site twice gives
// the same bytes.
package site

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Site is what Build writes.
type Site struct {
	Title string // site title; if empty, "Reports"

	// BaseURL is the absolute URL the site will be served from, such as
	// "https://example.org/kz/". If set, the Atom feeds link to it;
	// otherwise their links are relative to the feed, which works for
	// readers that fetch the feed from the site itself.
	BaseURL string

	// Generated is shown in the footer and is the Atom feeds' <updated>.
	// If zero, the newest report's time is used, so output stays
	// deterministic.
	Generated time.Time

	Reports []Report // in any order; the site sorts them
}

// Report is one report (NIP-23, kind 30023) in its original language.
// If two reports have the same Addr, the one updated last is shown.
type Report struct {
	Addr      string // NIP-19 naddr: the report's identity across edits; if empty, ID is used
	ID        string // hex id of the event shown
	Author    string // display name; may be empty
	AuthorKey string // npub
	Lang      string // ISO 639-1 (or BCP 47) code of the original; "" if unknown

	Title, Summary, Markdown string

	Tags               []string
	Published, Updated time.Time // Updated zero means never edited

	// Of the translations, at most one per language is shown: a current
	// one rather than an outdated one, then the newest. A translation
	// into the original's own language is not shown.
	Translations []Translation
	Attachments  []Attachment
}

// Translation is a report translated into another language by someone
// whose key is shown next to it.
type Translation struct {
	Lang, Title, Summary, Markdown string

	Translator, TranslatorKey string // display name and npub
	ID                        string // hex event id of the translation
	Of                        string // hex event id of the version of the original it translates
	Outdated                  bool   // the original changed after this translation
	Published                 time.Time
}

// Attachment is a file referenced by a report (a Blossom blob).
type Attachment struct {
	SHA256 string // hex; the file is published only if its bytes hash to this
	MIME   string
	Name   string // file name offered on download; optional
	Size   int64  // as announced; the size of the bytes actually read is shown
	Alt    string // description of an image

	// Open returns the file's bytes. If nil, this node does not hold the
	// file and the page says it is missing. Build calls it at most once,
	// from one goroutine at a time, and may not call it at all if another
	// attachment with the same hash was copied already.
	Open func() (io.ReadCloser, error)
}

// Stats says what Build wrote.
type Stats struct {
	Pages              int // HTML files
	Reports            int // reports, not counting translations
	Languages          int // language indexes
	Attachments        int // distinct files written to blobs/
	MissingAttachments int // distinct files referenced but not written (not held, unreadable, or not matching their hash), plus references with an invalid hash
}

// ErrNotSite is returned (wrapped) when the target directory holds files
// that Build did not write: Build never deletes them.
var ErrNotSite = errors.New("not a Caravan site")

// Build writes the site for s into dir, replacing a site written there
// before. It works in a hidden temporary directory next to dir and
// renames it to dir at the end, so an interrupted build leaves the
// previous site or the new one, never a mix. (If it stops between moving
// the previous site aside and renaming the new one, dir is missing and
// the previous site is in a hidden directory next to it, which the next
// Build removes.) Build refuses (ErrNotSite) to replace a non-empty
// directory it did not write. Two Builds must not run at the same time for
// the same dir.
func Build(dir string, s Site) (Stats, error) {
	m, err := newModel(s)
	if err != nil {
		return Stats{}, err
	}
	t, err := prepare(dir)
	if err != nil {
		return Stats{}, err
	}
	st, err := m.write(t.root)
	if err != nil {
		t.abort()
		return Stats{}, fmt.Errorf("site: building %s: %w", t.dir, err)
	}
	if err := t.commit(); err != nil {
		t.abort()
		return Stats{}, err
	}
	return st, nil
}
