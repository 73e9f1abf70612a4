// Package publish turns writing into reports ready to publish: Import
// reads an existing article (plain text, Markdown or a saved web page, in
// whatever encoding it was saved) into a Draft, and RepairMojibake undoes
// the damage of text decoded with the wrong charset.
//
// Import works in stages, each reported in Draft.Notes when it changed
// something: decoding the bytes (byte-order marks, UTF-8, a charset the
// page declares, or a guess between Windows-1251, KOI8-R and
// Windows-1252), line endings and stray control characters, Unicode NFC,
// the conversion to Markdown (html.go for HTML), mojibake repair, on the
// Markdown so that Repair.Line is a line of the draft, and finally the
// removal of links that would run script (text.go), on what is stored.
package publish

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxImportSize is the largest file Import accepts (2 MiB).
const MaxImportSize = 2 << 20

// maxSummary is the longest Summary and Title, in characters.
const maxSummary = 300

// Draft is an existing article turned into the parts of a report draft.
type Draft struct {
	// Title comes from the page's <h1>, og:title or <title>, or the
	// front matter, a leading "# " heading or a short first line of text
	// or Markdown. It is one line; "" if there is none. A heading that
	// became the title is removed from Markdown.
	Title string
	// Summary is the page's description, or else the first paragraph,
	// cut to at most 300 characters at a word boundary.
	Summary string
	// Lang is the ISO 639-1 code (two lower-case letters) the page or
	// front matter declares; "" if unknown.
	Lang string
	// Tags are the page's keywords or the front matter's tags,
	// lower-case and without duplicates.
	Tags []string
	// Markdown is the body as CommonMark (with GFM tables and
	// strikethrough from HTML), NFC, with mojibake repaired.
	Markdown string
	// Encoding is how the bytes were decoded: "UTF-8", "UTF-16LE",
	// "Windows-1251", ...
	Encoding string
	// Repairs are the mojibake repairs. Line is a line of Markdown, or 0
	// for repairs in Title, Summary or Tags.
	Repairs []Repair
	// Notes are every other change, in words a user understands.
	Notes []string
}

// Errors Import returns, wrapped in an *ImportError.
var (
	ErrTooLarge    = errors.New("file too large")
	ErrBinary      = errors.New("not a text file")
	ErrEmpty       = errors.New("no text to import")
	ErrUnsupported = errors.New("unsupported file type")
)

// ImportError is why a file could not be imported, with a hint for the
// user. It matches its Err with errors.Is.
type ImportError struct {
	File   string // the name given to Import
	Line   int    // 1-based; 0 if the error is not about one line
	Reason string
	Hint   string // what to do about it; may be ""
	Err    error  // ErrTooLarge, ErrBinary, ErrEmpty or ErrUnsupported (or an internal error)
}

func (e *ImportError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("import %s: line %d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("import %s: %s", e.File, e.Reason)
}

func (e *ImportError) Unwrap() error { return e.Err }

const (
	accepted   = ".txt, .md, .markdown, .html and .htm files"
	exportHint = "open it in the program that made it and save or export it as plain text (.txt) or a web page (.html), then import that file"
)

type kind int

const (
	kindUnknown kind = iota
	kindText
	kindMarkdown
	kindHTML
)

var extKinds = map[string]kind{".txt": kindText, ".text": kindText, ".md": kindMarkdown, ".markdown": kindMarkdown, ".html": kindHTML, ".htm": kindHTML, ".xhtml": kindHTML}

// unsupported names the files people are likely to try.
var unsupported = map[string]string{
	".docx": "Word documents", ".doc": "Word documents", ".odt": "OpenDocument texts", ".rtf": "RTF documents",
	".pdf": "PDF documents", ".epub": "EPUB e-books", ".pages": "Pages documents", ".djvu": "DjVu documents",
	".xlsx": "spreadsheets", ".xls": "spreadsheets", ".ods": "spreadsheets", ".pptx": "presentations", ".ppt": "presentations", ".odp": "presentations",
	".png": "images", ".jpg": "images", ".jpeg": "images", ".gif": "images", ".webp": "images", ".heic": "images",
	".zip": "archives", ".rar": "archives", ".7z": "archives", ".gz": "archives", ".tar": "archives",
	".mp3": "audio files", ".ogg": "audio files", ".m4a": "audio files", ".wav": "audio files", ".opus": "audio files",
	".mp4": "videos", ".mov": "videos", ".webm": "videos", ".mkv": "videos",
}

// errPanic marks an *ImportError made from a panic: a bug, which the
// fuzz tests look for, and which must not take the node down.
var errPanic = errors.New("internal error")

// Import reads an article into a Draft. The type comes from the name's
// extension (.txt, .md, .markdown, .html, .htm, in any case); files with
// another extension are read as HTML if they start like HTML and as text
// otherwise. Errors are *ImportError.
func Import(name string, data []byte) (d Draft, err error) {
	defer func() {
		if r := recover(); r != nil {
			d, err = Draft{}, &ImportError{File: name, Err: errPanic, Reason: fmt.Sprintf("internal error: %v", r),
				Hint: "please send this file to Caravan's developers"}
		}
	}()
	if len(data) > MaxImportSize { // before any work
		return Draft{}, &ImportError{File: name, Err: ErrTooLarge,
			Reason: fmt.Sprintf("the file is %s; the limit is %s", byteSize(len(data)), byteSize(MaxImportSize)),
			Hint:   "split it into smaller files and import them one by one"}
	}
	ext := strings.ToLower(filepath.Ext(name))
	k := extKinds[ext]
	if what, ok := unsupported[ext]; ok {
		hint := exportHint
		if what == "images" || what == "archives" || what == "audio files" || what == "videos" {
			hint = "import the article itself, as a .txt, .md or .html file"
		}
		return Draft{}, &ImportError{File: name, Err: ErrUnsupported,
			Reason: fmt.Sprintf("%s (%s) cannot be imported; Caravan imports %s", what, ext, accepted),
			Hint:   hint}
	}
	if what, err := sniffBinary(data); what != "" {
		return Draft{}, &ImportError{File: name, Err: err, Reason: "this is not a text file: it looks like " + what, Hint: exportHint}
	}
	sniffed := k == kindUnknown
	if sniffed && looksHTML(string(data[:min(len(data), 1024)])) {
		k = kindHTML
	}
	text, err := decode(name, data, k == kindHTML || k == kindUnknown, &d)
	if err != nil {
		return Draft{}, err
	}
	if err := checkControls(name, text); err != nil {
		return Draft{}, err
	}
	if sniffed {
		if k == kindUnknown {
			k = kindText
			if looksHTML(text[:min(len(text), 1024)]) {
				k = kindHTML
			}
		}
		d.note("the file name has no known extension; read it as %s", map[kind]string{kindText: "plain text", kindHTML: "HTML"}[k])
	}
	text = normalise(text, &d)

	var description string
	switch k {
	case kindHTML:
		r, err := convertHTML(text)
		if err != nil { // the converter fails only if misconfigured
			return Draft{}, &ImportError{File: name, Err: err, Reason: err.Error()}
		}
		d.Notes = append(d.Notes, r.notes...)
		d.Markdown, d.Title, description, d.Lang, d.Tags = r.markdown, r.title, r.description, r.lang, r.tags
	default:
		fm, body := readFrontMatter(text, &d)
		description, d.Lang, d.Tags = fm.description, fm.lang, fm.tags
		if k == kindMarkdown {
			d.Title, body = markdownTitle(body, fm.title, &d)
			d.Markdown = body
		} else {
			d.Title, body = textTitle(body, fm.title, &d)
			d.Markdown, err = textToMarkdown(body)
			if err != nil {
				return Draft{}, &ImportError{File: name, Err: err, Reason: err.Error()}
			}
		}
	}
	finish(&d, description)
	if d.Markdown == "" {
		reason := "there is no text in it"
		if strings.TrimSpace(text) != "" {
			reason = "no text is left after removing markup, scripts and styles"
		}
		return Draft{}, &ImportError{File: name, Err: ErrEmpty, Reason: reason,
			Hint: "check that this is the right file; if a web page builds its text with JavaScript, save it from the browser once it has loaded, or copy its text into a .txt file"}
	}
	return d, nil
}

func (d *Draft) note(format string, args ...any) {
	d.Notes = append(d.Notes, fmt.Sprintf(format, args...))
}

// finish repairs mojibake and tidies the parts of d.
func finish(d *Draft, description string) {
	// One document: a charset the body proves serves the title and tags.
	parts, reps := repairDocument(append([]string{strings.TrimLeft(d.Markdown, "\n"), d.Title, description}, d.Tags...))
	md := parts[0]
	d.Repairs = reps[0]
	for _, rs := range reps[1:] {
		for _, r := range rs {
			r.Line = 0
			d.Repairs = append(d.Repairs, r)
		}
	}
	md, n := stripControls(md, true)
	if n > 0 {
		d.note("removed %s", count(n, "control character"))
	}
	// Last, so that what is checked is what is stored (whatever the kind
	// of file: the HTML converter's output is checked too).
	md = defangMarkdown(norm.NFC.String(md), d)
	d.Markdown = strings.TrimRightFunc(md, unicode.IsSpace)

	d.Title = oneLine(parts[1])
	if description != "" {
		d.Summary = oneLine(parts[2])
	} else {
		d.Summary = oneLine(markdownSummary(d.Markdown))
	}
	d.Lang = langCode(d.Lang)
	d.Tags = normTags(parts[3:])
}

// oneLine makes s a single NFC line of at most maxSummary characters.
func oneLine(s string) string {
	s, _ = stripControls(s, true)
	return clip(norm.NFC.String(collapseSpace(s)), maxSummary)
}

// clip cuts s to at most n characters, at a word boundary if there is one
// near the end, marking the cut with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	cut := len(r)
	for i := len(r) - 1; i >= len(r)-60 && i > 0; i-- {
		if unicode.IsSpace(r[i]) {
			cut = i
			break
		}
	}
	return strings.TrimRight(string(r[:cut]), " ,;:") + "…"
}

// byteSize says n bytes as people read sizes, rounding up: a file over
// the limit never reads as the limit.
func byteSize(n int) string {
	switch {
	case n%(1<<20) == 0 && n > 0:
		return strconv.Itoa(n>>20) + " MiB"
	case n >= 1<<20:
		return strconv.FormatFloat(math.Ceil(float64(n)/(1<<20)*10)/10, 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.Itoa((n+1<<10-1)>>10) + " KiB"
	}
	return strconv.Itoa(n) + " bytes"
}

// normalise makes line endings \n, removes stray control characters and
// composes the text to NFC.
func normalise(text string, d *Draft) string {
	if crlf := strings.Count(text, "\r\n"); crlf > 0 {
		text = strings.ReplaceAll(text, "\r\n", "\n")
		d.note("converted Windows line endings (CRLF) to \\n")
	}
	if cr := strings.Count(text, "\r"); cr > 0 {
		text = strings.ReplaceAll(text, "\r", "\n")
		d.note("converted old Mac line endings (CR) to \\n")
	}
	text, n := stripControls(text, false)
	if n > 0 {
		d.note("removed %s", count(n, "control character"))
	}
	if norm.NFC.IsNormalString(text) {
		return text
	}
	var it norm.Iter
	it.InitString(norm.NFC, text)
	var b strings.Builder
	b.Grow(len(text))
	changed, prev := 0, 0
	for !it.Done() {
		seg := it.Next()
		if string(seg) != text[prev:it.Pos()] {
			changed++
		}
		b.Write(seg)
		prev = it.Pos()
	}
	d.note("normalised %s to NFC (composed form)", count(changed, "character"))
	return b.String()
}

// splitTags splits a keyword list at commas and semicolons, including the
// Arabic and Chinese ones.
func splitTags(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(",;،，、；", r) })
}

// normTags lower-cases, trims and deduplicates tags, keeping at most 32
// of at most 64 characters.
func normTags(tags []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.TrimLeft(collapseSpace(strings.ToLower(t)), "#")
		if t == "" || seen[t] || utf8.RuneCountInString(t) > 64 {
			continue
		}
		seen[t] = true
		out = append(out, norm.NFC.String(t))
		if len(out) == 32 {
			break
		}
	}
	return out
}

// iso639 lists the ISO 639-1 codes.
const iso639 = "aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu"

// langCode turns a language tag ("ru-RU", "kk_KZ", "EN") into its ISO
// 639-1 code, or "".
func langCode(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	if old, ok := map[string]string{"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}[tag]; ok {
		tag = old
	}
	if len(tag) != 2 || !strings.Contains(iso639, tag) || strings.Contains(tag, " ") {
		return ""
	}
	return tag
}
