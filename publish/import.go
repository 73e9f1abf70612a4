// Package publish turns writing into reports ready to publish: Import
// reads an existing article (plain text, Markdown or a saved web page, in
// whatever encoding it was saved) into a Draft, and RepairMojibake undoes
// the damage of text decoded with the wrong charset.
//
// Import works in stages, each reported in Draft.Notes when it changed
// something: decoding the bytes (byte-order marks, UTF-8, a charset the
// page declares, or a guess between Windows-1251, KOI8-R and
// Windows-1252), line endings and stray control characters, Unicode NFC,
// the conversion to Markdown (html.go for HTML), and finally mojibake
// repair, on the Markdown so that Repair.Line is a line of the draft.
package publish

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	htmlcharset "golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
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
			d.Markdown = defangMarkdown(body, &d)
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
	md, reps := RepairMojibake(strings.TrimLeft(d.Markdown, "\n"))
	d.Repairs = reps
	repair := func(s string) string {
		s, reps := RepairMojibake(s)
		for _, r := range reps {
			r.Line = 0
			d.Repairs = append(d.Repairs, r)
		}
		return s
	}
	md, n := stripControls(md, true)
	if n > 0 {
		d.note("removed %s", count(n, "control character"))
	}
	d.Markdown = norm.NFC.String(strings.TrimRightFunc(md, unicode.IsSpace))

	d.Title = oneLine(repair(d.Title))
	if description != "" {
		d.Summary = oneLine(repair(description))
	} else {
		d.Summary = oneLine(markdownSummary(d.Markdown))
	}
	d.Lang = langCode(d.Lang)
	var tags []string
	for _, t := range d.Tags {
		tags = append(tags, repair(t))
	}
	d.Tags = normTags(tags)
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

// sniffBinary names the kind of file data is, if a known signature says
// it is not text; err is ErrBinary or ErrUnsupported.
func sniffBinary(data []byte) (string, error) {
	has := func(p string) bool { return bytes.HasPrefix(data, []byte(p)) }
	zip := func() string {
		switch {
		case bytes.Contains(data, []byte("word/")):
			return "a Word document (.docx)"
		case bytes.Contains(data, []byte("xl/")):
			return "an Excel spreadsheet (.xlsx)"
		case bytes.Contains(data, []byte("ppt/")):
			return "a PowerPoint presentation (.pptx)"
		case bytes.Contains(data, []byte("opendocument")):
			return "an OpenDocument file (.odt, .ods or .odp)"
		case bytes.Contains(data, []byte("epub+zip")):
			return "an EPUB e-book"
		}
		return "a ZIP archive"
	}
	switch {
	case has("%PDF-"):
		return "a PDF document", ErrBinary
	case has("PK\x03\x04"), has("PK\x05\x06"):
		return zip(), ErrBinary
	case has("\x89PNG\r\n\x1a\n"):
		return "a PNG image", ErrBinary
	case has("\xFF\xD8\xFF"):
		return "a JPEG image", ErrBinary
	case has("GIF87a"), has("GIF89a"):
		return "a GIF image", ErrBinary
	case has("RIFF") && len(data) >= 12 && string(data[8:12]) == "WEBP":
		return "a WebP image", ErrBinary
	case has("\x7FELF"):
		return "a program (ELF executable)", ErrBinary
	case has("MZ") && bytes.IndexByte(data[:min(len(data), 128)], 0) >= 0:
		return "a Windows program", ErrBinary
	case has("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"):
		return "an old Microsoft Office document (.doc, .xls or .ppt)", ErrBinary
	case has("\x1F\x8B"):
		return "a gzip archive", ErrBinary
	case has("Rar!\x1A\x07"):
		return "a RAR archive", ErrBinary
	case has("7z\xBC\xAF\x27\x1C"):
		return "a 7-Zip archive", ErrBinary
	case has("SQLite format 3\x00"):
		return "an SQLite database", ErrBinary
	case has("OggS"), has("ID3"), has("fLaC"):
		return "an audio file", ErrBinary
	case len(data) >= 12 && string(data[4:8]) == "ftyp":
		return "a video or audio file (MP4)", ErrBinary
	case has("{\\rtf"):
		return "an RTF document", ErrUnsupported
	case has("%!PS"):
		return "a PostScript document", ErrUnsupported
	}
	return "", nil
}

func binaryError(name string, line int, reason string) error {
	return &ImportError{File: name, Line: line, Err: ErrBinary, Reason: reason, Hint: exportHint}
}

// looksHTML reports whether s starts like an HTML document.
func looksHTML(s string) bool {
	s = strings.ToLower(strings.TrimLeft(s, " \t\r\n\f\uFEFF"))
	for _, p := range []string{"<!doctype html", "<html", "<head", "<body"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return (strings.HasPrefix(s, "<?xml") || strings.HasPrefix(s, "<!--")) && strings.Contains(s, "<html")
}

// decode turns data into text and sets d.Encoding.
func decode(name string, data []byte, prescan bool, d *Draft) (string, error) {
	withBOM := func(e encoding.Encoding, enc string) (string, error) {
		d.Encoding = enc
		d.note("decoded as %s (the file starts with its byte-order mark)", enc)
		return decodeWith(e, data), nil
	}
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE, 0, 0}):
		return withBOM(utf32.UTF32(utf32.LittleEndian, utf32.ExpectBOM), "UTF-32LE")
	case bytes.HasPrefix(data, []byte{0, 0, 0xFE, 0xFF}):
		return withBOM(utf32.UTF32(utf32.BigEndian, utf32.ExpectBOM), "UTF-32BE")
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return withBOM(xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM), "UTF-16LE")
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return withBOM(xunicode.UTF16(xunicode.BigEndian, xunicode.ExpectBOM), "UTF-16BE")
	}
	if order, enc := guessUTF16(data); enc != "" {
		d.Encoding = enc
		d.note("decoded as %s (no byte-order mark, but a zero in every other byte)", enc)
		return decodeWith(xunicode.UTF16(order, xunicode.IgnoreBOM), data), nil
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return "", binaryError(name, lineAt(data, i), "this is not a text file: it contains NUL bytes, which text never has")
	}
	bom := bytes.HasPrefix(data, []byte("\xEF\xBB\xBF"))
	if bom {
		data = data[3:]
		d.note("removed a UTF-8 byte-order mark")
	}
	declared, label := "", ""
	if prescan {
		label = declaredCharset(data)
		if _, n := htmlcharset.Lookup(label); n != "" && !strings.HasPrefix(n, "utf-16") && n != "x-user-defined" && n != "replacement" {
			declared = n
		}
	}
	if utf8.Valid(data) {
		d.Encoding = "UTF-8"
		if declared != "" && declared != "utf-8" && !isASCII(data) {
			d.note("the page says it is %s, but it is valid UTF-8; read it as UTF-8", displayCharset(declared))
		}
		return string(data), nil
	}
	if declared != "" && declared != "utf-8" {
		e, _ := htmlcharset.Lookup(label)
		d.Encoding = displayCharset(declared)
		d.note("decoded as %s, as the page declares (it is not valid UTF-8)", d.Encoding)
		return decodeWith(e, data), nil
	}
	valid, runs, bad, first := utf8Stats(data)
	if bom || valid > 0 && valid >= runs {
		d.Encoding = "UTF-8"
		var b strings.Builder
		b.Grow(len(data) + 2*bad)
		for i := 0; i < len(data); {
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				b.WriteRune(utf8.RuneError)
			} else {
				b.Write(data[i : i+size])
			}
			i += size
		}
		d.note("replaced %s with U+FFFD (�), the first on line %d", count(bad, "invalid UTF-8 byte"), lineAt(data, first))
		return b.String(), nil
	}
	text, enc := guessLegacy(data)
	d.Encoding = enc
	if declared == "utf-8" {
		d.note("decoded as %s: the page says it is UTF-8, but it is not, and its letters read best as %s", enc, enc)
	} else {
		d.note("decoded as %s: the file is not valid UTF-8, and its letters read best as %s", enc, enc)
	}
	return text, nil
}

func decodeWith(e encoding.Encoding, data []byte) string {
	out, err := e.NewDecoder().Bytes(data)
	if err != nil { // x/text decoders replace bad input; be safe
		return strings.ToValidUTF8(string(data), "\uFFFD")
	}
	return string(out)
}

// guessUTF16 recognises UTF-16 without a byte-order mark by its zero
// bytes: text mostly in Latin letters has one in every other byte and
// nowhere else. (Other scripts' UTF-16 has too few zeros to tell.)
func guessUTF16(data []byte) (xunicode.Endianness, string) {
	n := min(len(data), 4096) &^ 1
	if n < 4 {
		return xunicode.LittleEndian, ""
	}
	var even, odd int
	for i := 0; i < n; i += 2 {
		if data[i] == 0 {
			even++
		}
		if data[i+1] == 0 {
			odd++
		}
	}
	pairs := n / 2
	switch {
	case odd*10 >= pairs*4 && even*20 <= pairs:
		return xunicode.LittleEndian, "UTF-16LE"
	case even*10 >= pairs*4 && odd*20 <= pairs:
		return xunicode.BigEndian, "UTF-16BE"
	}
	return xunicode.LittleEndian, ""
}

func lineAt(data []byte, i int) int { return bytes.Count(data[:i], []byte("\n")) + 1 }

func isASCII(data []byte) bool {
	for _, c := range data {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// utf8Stats counts valid multi-byte sequences, runs of invalid bytes,
// invalid bytes, and finds the first invalid byte.
func utf8Stats(data []byte) (valid, runs, bad, first int) {
	first = -1
	inBad := false
	for i := 0; i < len(data); {
		if data[i] < 0x80 {
			i++
			inBad = false
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			bad++
			if !inBad {
				runs++
			}
			if first < 0 {
				first = i
			}
			inBad = true
			i++
			continue
		}
		valid++
		inBad = false
		i += size
	}
	return valid, runs, bad, first
}

// declaredCharset finds the charset an HTML page declares in a <meta>
// or an XML declaration near its start.
func declaredCharset(data []byte) string {
	head := data[:min(len(data), 8192)]
	if t := bytes.TrimLeft(head, " \t\r\n"); bytes.HasPrefix(t, []byte("<?xml")) {
		if end := bytes.Index(t, []byte("?>")); end > 0 {
			if v := attrIn(string(t[:end]), "encoding"); v != "" {
				return v
			}
		}
	}
	z := html.NewTokenizer(bytes.NewReader(head))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if tok.Data == "body" {
				return ""
			}
			if tok.Data != "meta" {
				continue
			}
			var equiv, content string
			for _, a := range tok.Attr {
				switch a.Key {
				case "charset":
					return strings.TrimSpace(a.Val)
				case "http-equiv":
					equiv = strings.ToLower(strings.TrimSpace(a.Val))
				case "content":
					content = a.Val
				}
			}
			if equiv == "content-type" {
				if v := attrIn(content, "charset"); v != "" {
					return v
				}
			}
		}
	}
}

// attrIn finds key=value (or key="value") in s, case-insensitively.
func attrIn(s, key string) string {
	i := strings.Index(strings.ToLower(s), key)
	if i < 0 {
		return ""
	}
	v := strings.TrimLeft(s[i+len(key):], " ")
	if !strings.HasPrefix(v, "=") {
		return ""
	}
	v = strings.TrimLeft(v[1:], " ")
	if v != "" && (v[0] == '"' || v[0] == '\'') {
		q := v[0]
		v = v[1:]
		if j := strings.IndexByte(v, q); j >= 0 {
			return v[:j]
		}
	}
	if j := strings.IndexAny(v, " ;\"'>"); j >= 0 {
		v = v[:j]
	}
	return v
}

// displayCharset spells a WHATWG encoding name the way people know it.
func displayCharset(name string) string {
	switch name {
	case "utf-8":
		return "UTF-8"
	case "koi8-r", "koi8-u", "gbk", "gb18030", "euc-jp", "euc-kr", "iso-2022-jp", "ibm866":
		return strings.ToUpper(name)
	case "big5":
		return "Big5"
	case "shift_jis":
		return "Shift_JIS"
	case "macintosh":
		return "Mac Roman"
	case "x-mac-cyrillic":
		return "Mac Cyrillic"
	}
	if s, ok := strings.CutPrefix(name, "windows-"); ok {
		return "Windows-" + s
	}
	return strings.ToUpper(name)
}

// guessLegacy decodes text that is not UTF-8 with whichever of
// Windows-1252, Windows-1251 and KOI8-R makes the most plausible words.
// Ties go to Windows-1252, the most common.
func guessLegacy(data []byte) (string, string) {
	sample := data[:min(len(data), 256<<10)]
	best, bestScore := 0, math.Inf(-1)
	cands := []struct {
		name     string
		cm       *charmap.Charmap
		cyrillic bool
	}{{"Windows-1252", charmap.Windows1252, false}, {"Windows-1251", charmap.Windows1251, true}, {"KOI8-R", charmap.KOI8R, true}}
	for i, c := range cands {
		s, _ := c.cm.NewDecoder().Bytes(sample)
		if score := legacyScore(string(s), c.cyrillic); score > bestScore {
			best, bestScore = i, score
		}
	}
	out, _ := cands[best].cm.NewDecoder().Bytes(data)
	return string(out), cands[best].name
}

// Russian letter frequencies, in percent; other Cyrillic letters count
// less, the Ukrainian and Belarusian ones more than the Serbian ones.
var cyrillicFreq = map[rune]float64{
	'о': 11, 'е': 8.5, 'а': 8, 'и': 7.4, 'н': 6.7, 'т': 6.3, 'с': 5.5, 'р': 4.7, 'в': 4.5, 'л': 4.4,
	'к': 3.5, 'м': 3.2, 'д': 3, 'п': 2.8, 'у': 2.6, 'я': 2, 'ы': 1.9, 'ь': 1.7, 'г': 1.7, 'з': 1.7,
	'б': 1.6, 'ч': 1.4, 'й': 1.2, 'х': 1, 'ж': 0.9, 'ш': 0.7, 'ю': 0.6, 'ц': 0.5, 'щ': 0.4, 'э': 0.3,
	'ф': 0.3, 'ъ': 0.1, 'ё': 0.1, 'і': 2, 'ї': 0.6, 'є': 0.4, 'ґ': 0.1, 'ў': 0.5,
}

// legacyScore rates how plausible the words of s are: in the Cyrillic
// reading, all-Cyrillic words with common letters and no capitals inside;
// in the Latin one, accented letters within otherwise ASCII words.
// Box-drawing characters and replacement characters (what KOI8-R and
// undefined bytes give) count against.
func legacyScore(s string, cyrillic bool) float64 {
	score := 0.0
	var word []rune
	flush := func() {
		defer func() { word = word[:0] }()
		var ascii, cyr, latin, other, upperInside int
		for i, r := range word {
			switch {
			case r < 0x80:
				ascii++
			case unicode.Is(unicode.Cyrillic, r):
				cyr++
			case unicode.Is(unicode.Latin, r):
				latin++
			default:
				other++
			}
			if i > 0 && unicode.IsUpper(r) && unicode.IsLower(word[i-1]) {
				upperInside++
			}
		}
		high := cyr + latin + other
		switch {
		case high == 0:
		case cyrillic && cyr == high && ascii == 0:
			for _, r := range word {
				score += 0.5 + cyrillicFreq[unicode.ToLower(r)]/4
			}
			score -= 2 * float64(upperInside)
		case !cyrillic && latin == high && ascii > 0:
			score += 2*float64(latin) - float64(upperInside)
		case !cyrillic && latin == high && len(word) <= 2:
			score += 0.5 * float64(latin)
		default:
			score -= float64(high)
		}
	}
	for _, r := range s {
		if unicode.IsLetter(r) {
			word = append(word, r)
			continue
		}
		flush()
		if r == utf8.RuneError || r >= 0x80 && r < 0xA0 || r >= 0x2500 && r < 0x25A0 {
			score--
		}
	}
	flush()
	return score
}

// checkControls refuses text with NUL characters or many control
// characters: a binary file that happened to decode.
func checkControls(name, text string) error {
	total, ctl, first, line := 0, 0, 0, 1
	for _, r := range text {
		total++
		switch {
		case r == '\n':
			line++
		case r == 0:
			return binaryError(name, line, "this is not a text file: it contains NUL characters, which text never has")
		case isStrayControl(r):
			ctl++
			if first == 0 {
				first = line
			}
		}
	}
	if ctl > 0 && ctl*20 >= total {
		return binaryError(name, first, fmt.Sprintf("this is not a text file: %d%% of its characters are control characters", ctl*100/total))
	}
	return nil
}

func isStrayControl(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' && r != '\r' && r != '\f' || r == 0x7F
}

// stripControls removes stray control characters and U+FEFF, and with c1
// the C1 controls (U+0080-U+009F), which only mojibake produces and
// RepairMojibake needs until it has run.
func stripControls(s string, c1 bool) (string, int) {
	n := 0
	out := strings.Map(func(r rune) rune {
		if isStrayControl(r) || r == '\uFEFF' || c1 && r >= 0x80 && r < 0xA0 {
			n++
			return -1
		}
		return r
	}, s)
	return out, n
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

// frontMatter is what a YAML (---) or TOML (+++) header at the top of a
// text or Markdown file says.
type frontMatter struct {
	title, description, lang string
	tags                     []string
}

// frontMatterKeys are keys static site generators use; a header needs
// one of them.
var frontMatterKeys = setOf("title", "description", "summary", "excerpt", "lang", "language", "locale", "tags", "keywords",
	"date", "author", "authors", "draft", "slug", "categories", "category", "layout", "published", "image", "subtitle")

var (
	fmKey  = regexp.MustCompile(`^([A-Za-z_][\w.-]*)\s*[:=]\s*(.*)$`)
	fmItem = regexp.MustCompile(`^\s*-\s+(.*)$`)
)

// readFrontMatter reads and removes the header, if text starts with one
// whose lines all look like "key: value", list items or comments.
func readFrontMatter(text string, d *Draft) (frontMatter, string) {
	var fm frontMatter
	lines := strings.SplitN(text, "\n", 202)
	delim := strings.TrimRight(lines[0], " \t")
	if delim != "---" && delim != "+++" {
		return fm, text
	}
	end := -1
	for i := 1; i < len(lines) && i <= 200; i++ {
		if l := strings.TrimRight(lines[i], " \t"); l == delim || delim == "---" && l == "..." {
			end = i
			break
		}
	}
	if end < 2 {
		return fm, text
	}
	key, known := "", false
	for _, l := range lines[1:end] {
		t := strings.TrimSpace(l)
		if m := fmKey.FindStringSubmatch(l); m != nil {
			key = strings.ToLower(m[1])
			known = known || frontMatterKeys[key]
			v := unquote(m[2])
			switch key {
			case "title":
				fm.title = v
			case "description", "summary", "excerpt":
				fm.description = v
			case "lang", "language", "locale":
				fm.lang = v
			case "tags", "keywords":
				for _, t := range splitTags(strings.Trim(strings.TrimSpace(m[2]), "[]")) {
					fm.tags = append(fm.tags, unquote(t))
				}
			}
		} else if m := fmItem.FindStringSubmatch(l); m != nil {
			if key == "tags" || key == "keywords" {
				fm.tags = append(fm.tags, unquote(m[1]))
			}
		} else if t != "" && !strings.HasPrefix(t, "#") && !strings.HasPrefix(l, " ") && !strings.HasPrefix(l, "\t") {
			return frontMatter{}, text // not a header: a thematic break and text
		}
	}
	if !known { // "---\nNote: ...\n---" is text between two rules
		return frontMatter{}, text
	}
	d.note("read the front matter at the top of the file and removed it from the text")
	rest := ""
	if len(lines) > end+1 {
		rest = strings.Join(lines[end+1:], "\n")
	}
	return fm, rest
}

func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
		return s[1 : len(s)-1]
	}
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'")
	}
	return s
}

var (
	atxH1   = regexp.MustCompile(`^ {0,3}#(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	setext1 = regexp.MustCompile(`^ {0,3}=+[ \t]*$`)
	// Lines that start a Markdown block other than a paragraph.
	blockStart = regexp.MustCompile(`^(?: {4}|\t| {0,3}(?:[#>|<*+-]|` + "```|~~~" + `|\d{1,9}[.)](?:\s|$)|!\[))`)
	underline  = regexp.MustCompile(`^ {0,3}(?:=+|-{3,})[ \t]*$`)
)

// markdownTitle takes the title from a leading "# " heading, a setext
// heading or a short first line, removing it from the body; a front
// matter title wins, and a heading that repeats it is removed.
func markdownTitle(body, fmTitle string, d *Draft) (string, string) {
	lines := strings.Split(body, "\n")
	i := firstText(lines)
	if i < 0 {
		return fmTitle, body
	}
	heading, n := "", 0
	if m := atxH1.FindStringSubmatch(lines[i]); m != nil && strings.TrimSpace(m[1]) != "" {
		heading, n = m[1], 1
	} else if i+1 < len(lines) && setext1.MatchString(lines[i+1]) {
		heading, n = lines[i], 2
	} else if fmTitle == "" && isTitleLine(lines, i) {
		heading, n = lines[i], 1
	}
	heading = plainInline(heading)
	switch {
	case heading == "":
		return fmTitle, body
	case fmTitle != "" && !sameTitle(heading, fmTitle):
		return fmTitle, body
	}
	return firstNonEmpty(fmTitle, heading), removeTitle(lines, i, n, body, d)
}

// textTitle takes the title from a short first line standing alone or
// underlined with "===" or "---".
func textTitle(body, fmTitle string, d *Draft) (string, string) {
	lines := strings.Split(body, "\n")
	i := firstText(lines)
	if i < 0 || fmTitle != "" {
		return fmTitle, body
	}
	if i+1 < len(lines) && underline.MatchString(lines[i+1]) && utf8.RuneCountInString(lines[i]) <= 120 {
		return collapseSpace(lines[i]), removeTitle(lines, i, 2, body, d)
	}
	if isTitleLine(lines, i) {
		return collapseSpace(lines[i]), removeTitle(lines, i, 1, body, d)
	}
	return "", body
}

// removeTitle removes n lines from i, unless nothing would be left.
func removeTitle(lines []string, i, n int, body string, d *Draft) string {
	rest := strings.Join(lines[i+n:], "\n")
	if strings.TrimSpace(rest) == "" {
		return body
	}
	d.note("used the first heading or line as the title and removed it from the text")
	return rest
}

func firstText(lines []string) int {
	for i, l := range lines {
		if strings.TrimSpace(l) != "" {
			return i
		}
	}
	return -1
}

// isTitleLine reports whether line i is short, stands alone (a blank line
// or the end follows) and does not end like a sentence part.
func isTitleLine(lines []string, i int) bool {
	l := strings.TrimSpace(lines[i])
	if i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != "" || utf8.RuneCountInString(l) > 100 {
		return false
	}
	if blockStart.MatchString(lines[i]) || strings.IndexFunc(l, unicode.IsLetter) < 0 {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(l)
	return !strings.ContainsRune(".,;:。，；：、", last)
}

// textToMarkdown turns plain text into Markdown that shows the same
// characters and breaks. Plain text is not Markdown: "1986. A year..."
// must not become a list, "# " a heading, "*word*" emphasis, or an
// indented line a code block. So the text becomes HTML paragraphs for
// the converter, which escapes whatever Markdown would read as syntax
// (FuzzTextToMarkdown checks that the result shows the same text). That
// escapes the plain-text habits Markdown borrowed too ("- item",
// "> quote"); they still look the same, because line breaks are kept.
// Within a paragraph (lines between blank lines):
//   - lines wrapped at a fixed width (each one ending where the next
//     word would not have fitted) are joined into one paragraph;
//   - long lines (over 100 characters) are a paragraph each, as word
//     processors save them;
//   - other lines (verse, addresses, lists) keep their line breaks.
func textToMarkdown(text string) (string, error) {
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	add := func(parent *html.Node, a atom.Atom, text string) *html.Node {
		n := &html.Node{Type: html.ElementNode, Data: a.String(), DataAtom: a}
		if text != "" {
			n.AppendChild(&html.Node{Type: html.TextNode, Data: text})
		}
		parent.AppendChild(n)
		return n
	}
	var block []string
	flush := func() {
		if len(block) == 0 {
			return
		}
		widest := 0
		for _, l := range block {
			widest = max(widest, utf8.RuneCountInString(l))
		}
		switch {
		case widest >= 50 && wrapped(block, widest):
			add(body, atom.P, strings.Join(block, " "))
		case widest > 100:
			for _, l := range block {
				add(body, atom.P, l)
			}
		default:
			p := add(body, atom.P, "")
			for i, l := range block {
				if i > 0 {
					add(p, atom.Br, "")
				}
				p.AppendChild(&html.Node{Type: html.TextNode, Data: l})
			}
		}
		block = block[:0]
	}
	for l := range strings.SplitSeq(cleanControls(text), "\n") {
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		if strings.TrimSpace(l) == "" {
			flush()
			continue
		}
		block = append(block, l)
	}
	flush()
	return renderMarkdown(body, "")
}

func wrapped(block []string, width int) bool {
	if len(block) < 2 {
		return false
	}
	for i := 0; i+1 < len(block); i++ {
		next, _, _ := strings.Cut(strings.TrimSpace(block[i+1]), " ")
		if utf8.RuneCountInString(block[i])+1+utf8.RuneCountInString(next) <= width {
			return false
		}
	}
	return true
}

var (
	fence = regexp.MustCompile("^ {0,3}(```+|~~~+)")
	// A reference definition, also inside quotes and list items (whose
	// markers the prefix skips), with its destination maybe on the next
	// line.
	refDef  = regexp.MustCompile(`(?m)^[ \t>*+\-0-9.)]*\[(?:[^\]\\]|\\.)+\]:[ \t]*(?:\n[ \t>]*)?(?:<([^>\n]*)>|(\S+))[^\n]*\n?`)
	escaped = regexp.MustCompile(`\\([!-/:-@\[-` + "`" + `{-~])`)
)

// defangMarkdown drops links and images with dangerous schemes from
// Markdown, keeping their text: inline links, autolinks and reference
// definitions. It works on paragraphs (runs of non-blank lines), as link
// text may span lines, and does not try to tell code from text: a parser
// that disagreed with the renderer about where code ends would let links
// through, while rewriting "](javascript:" in a code sample is harmless
// (and noted). Raw HTML in the Markdown is left as written; whatever
// renders the report must sanitise HTML anyway.
func defangMarkdown(md string, d *Draft) string {
	if !strings.Contains(md, ":") {
		return md
	}
	links, images := map[string]int{}, map[string]int{}
	var out strings.Builder
	for i, block := range strings.Split(md, "\n\n") {
		if i > 0 {
			out.WriteString("\n\n")
		}
		block = refDef.ReplaceAllStringFunc(block, func(def string) string {
			m := refDef.FindStringSubmatch(def)
			if s := blockedScheme(markdownURL(m[1]+m[2]), false); s != "" {
				links[s]++
				return ""
			}
			return def
		})
		out.WriteString(defangBlock(block, links, images))
	}
	st := htmlStats{badLinks: links, badImages: images}
	d.Notes = append(d.Notes, st.notes()...)
	return out.String()
}

// markdownURL is a link destination as a renderer reads it.
func markdownURL(s string) string {
	return html.UnescapeString(escaped.ReplaceAllString(s, "$1"))
}

// defangBlock rewrites [text](javascript:...) as text and
// <javascript:...> as the bare address.
func defangBlock(b string, links, images map[string]int) string {
	if !strings.Contains(b, ":") {
		return b
	}
	out := make([]byte, 0, len(b))
	var opens []int // positions in out of unmatched "["
	var cut []int   // positions in out of brackets to remove at the end
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '\\' && i+1 < len(b):
			out = append(out, b[i:i+2]...)
			i += 2
			continue
		case c == '[':
			opens = append(opens, len(out))
		case c == '<':
			if j := strings.IndexByte(b[i:], '>'); j > 0 && !strings.ContainsAny(b[i+1:i+j], " \t\n<") {
				if s := blockedScheme(b[i+1:i+j], false); s != "" {
					links[s]++
					out = append(out, b[i+1:i+j]...)
					i += j + 1
					continue
				}
			}
		case c == ']':
			end, dest := linkDest(b, i+1)
			s := ""
			if end > 0 {
				s = blockedScheme(markdownURL(dest), false)
			}
			open := -1
			if len(opens) > 0 {
				open, opens = opens[len(opens)-1], opens[:len(opens)-1]
			}
			switch {
			case s == "":
			case open < 0: // "[" not found (in code, escaped...): drop the destination
				links[s]++
				out = append(out, ']')
				i = end
				continue
			case open > 0 && out[open-1] == '!':
				images[s]++
				cut = append(cut, open-1, open)
				i = end
				continue
			default:
				links[s]++
				cut = append(cut, open)
				i = end
				continue
			}
		}
		out = append(out, c)
		i++
	}
	if len(cut) == 0 {
		return string(out)
	}
	slices.Sort(cut)
	var r strings.Builder
	r.Grow(len(out))
	prev := 0
	for _, k := range cut {
		r.Write(out[prev:k])
		prev = k + 1
	}
	r.Write(out[prev:])
	return r.String()
}

// linkDest parses "(dest "title")" at l[i:], returning the index after
// it and the destination, or 0.
func linkDest(l string, i int) (int, string) {
	if i >= len(l) || l[i] != '(' {
		return 0, ""
	}
	j := i + 1
	for j < len(l) && (l[j] == ' ' || l[j] == '\t') {
		j++
	}
	if j < len(l) && l[j] == '\n' { // the destination may follow on the next line, in a quote too
		j++
		for j < len(l) && (l[j] == ' ' || l[j] == '\t' || l[j] == '>') {
			j++
		}
	}
	start := j
	var dest string
	if j < len(l) && l[j] == '<' {
		k := strings.IndexByte(l[j:], '>')
		if k < 0 {
			return 0, ""
		}
		dest, j = l[j+1:j+k], j+k+1
	} else {
		depth := 0
		for ; j < len(l) && l[j] > ' '; j++ {
			if l[j] == '\\' {
				j++
				continue
			}
			if l[j] == '(' {
				depth++
			} else if l[j] == ')' {
				if depth == 0 {
					break
				}
				depth--
			}
		}
		dest = l[start:min(j, len(l))]
	}
	var quote byte
	for ; j < len(l); j++ {
		switch {
		case quote != 0:
			if l[j] == quote {
				quote = 0
			}
		case l[j] == '"' || l[j] == '\'':
			quote = l[j]
		case l[j] == ')':
			return j + 1, dest
		}
	}
	return 0, ""
}

var (
	mdImage    = regexp.MustCompile(`!\[[^\]]*\]\([^)]*\)`)
	mdLink     = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	mdAutolink = regexp.MustCompile(`<([a-zA-Z][\w+.-]*:[^\s<>]*)>`)
	mdTag      = regexp.MustCompile(`</?[a-zA-Z][^<>]*>`)
	mdMarks    = regexp.MustCompile("\\*\\*|__|~~|`|\\*|(^|\\W)_|_(\\W|$)")
	thematic   = regexp.MustCompile(`^ {0,3}(?:(?:\* *){3,}|(?:- *){3,}|(?:_ *){3,})$`)
)

// plainInline turns one line of Markdown into the text it shows.
func plainInline(s string) string {
	// Escaped characters are text: hide them from the patterns below in
	// a private-use plane (unless the text uses it itself).
	const hide = 0xF0000
	hidden := !strings.ContainsFunc(s, func(r rune) bool { return r >= hide && r < hide+0x80 })
	if hidden {
		s = escaped.ReplaceAllStringFunc(s, func(m string) string { return string(rune(hide + int(m[1]))) })
	}
	s = mdImage.ReplaceAllString(s, "")
	s = mdLink.ReplaceAllString(s, "$1")
	s = mdAutolink.ReplaceAllString(s, "$1")
	s = mdTag.ReplaceAllString(s, "")
	s = mdMarks.ReplaceAllString(s, "$1$2")
	if hidden {
		s = strings.Map(func(r rune) rune {
			if r >= hide && r < hide+0x80 {
				return r - hide
			}
			return r
		}, s)
	} else {
		s = escaped.ReplaceAllString(s, "$1")
	}
	return collapseSpace(html.UnescapeString(s))
}

// markdownSummary is the text of the first paragraph of md with at least
// 40 characters (a byline or date is not a summary), or of the first one.
func markdownSummary(md string) string {
	fallback, blocks := "", 0
	var para []string
	try := func() string {
		defer func() { para = para[:0] }()
		if len(para) == 0 {
			return ""
		}
		blocks++
		first := para[0]
		if strings.HasPrefix(first, "    ") || thematic.MatchString(first) || fence.MatchString(first) ||
			strings.HasPrefix(strings.TrimSpace(first), "#") || strings.HasPrefix(strings.TrimSpace(first), "|") {
			return ""
		}
		var parts []string
		for _, l := range para {
			l = strings.TrimSpace(l)
			for _, p := range []string{"> ", ">", "- ", "* ", "+ "} {
				l = strings.TrimPrefix(l, p)
			}
			parts = append(parts, strings.TrimSuffix(l, "\\"))
		}
		t := plainInline(strings.Join(parts, " "))
		if utf8.RuneCountInString(t) >= 40 {
			return t
		}
		if fallback == "" {
			fallback = t
		}
		return ""
	}
	size := 0 // of para; what is past 4 KB does not reach a summary
	for l := range strings.SplitSeq(md, "\n") {
		if strings.TrimSpace(l) != "" {
			if size < 4096 {
				para = append(para, l[:min(len(l), 4096)])
				size += len(l)
			}
			continue
		}
		size = 0
		if t := try(); t != "" {
			return t
		}
		if blocks >= 30 {
			return fallback
		}
	}
	if t := try(); t != "" {
		return t
	}
	return fallback
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
