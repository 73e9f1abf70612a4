package publish

// Decoding: binary files told apart from text, byte-order marks, declared
// charsets, guessed legacy code pages, stray control characters.

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	htmlcharset "golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

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

func isASCII[T string | []byte](data T) bool {
	for i := 0; i < len(data); i++ {
		if data[i] >= 0x80 {
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
