package publish

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/unicode/norm"
)

const (
	russian = "Связь отключили во вторник утром.\n\nЖители говорят, что мобильный интернет не работает уже третьи сутки, а в магазинах не принимают карты."
	french  = "Les médecins soignent les blessés à l’hôpital.\n\nÇa a commencé très tôt — « restez chez vous », disaient-ils, même à Noël."
)

func encode(t testing.TB, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustImport(t *testing.T, name string, data []byte) Draft {
	t.Helper()
	d, err := Import(name, data)
	if err != nil {
		t.Fatalf("Import(%q): %v", name, err)
	}
	return d
}

func hasNote(d Draft, part string) bool {
	for _, n := range d.Notes {
		if strings.Contains(n, part) {
			return true
		}
	}
	return false
}

func TestImportEncodings(t *testing.T) {
	utf16le := xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM)
	utf16be := xunicode.UTF16(xunicode.BigEndian, xunicode.UseBOM)
	noBOM := xunicode.UTF16(xunicode.LittleEndian, xunicode.IgnoreBOM)
	for _, c := range []struct {
		name     string
		file     string
		data     []byte
		encoding string
		want     string // in Markdown
		note     string
	}{
		{"Windows-1251 Russian", "news.txt", encode(t, charmap.Windows1251, russian), "Windows-1251", russian, "decoded as Windows-1251"},
		{"KOI8-R Russian", "news.txt", encode(t, charmap.KOI8R, russian), "KOI8-R", russian, "decoded as KOI8-R"},
		{"cp1252 French", "article.TXT", encode(t, charmap.Windows1252, french), "Windows-1252", "Les médecins soignent les blessés à l’hôpital.", "decoded as Windows-1252"},
		{"short Latin word", "a.txt", []byte("caf\xe9 au lait"), "Windows-1252", "café au lait", ""},
		{"UTF-16LE with BOM", "notes.md", encode(t, utf16le, "# Заголовок\n\nТекст, «кавычки».\n"), "UTF-16LE", "Текст, «кавычки».", "byte-order mark"},
		{"UTF-16BE with BOM", "notes.md", encode(t, utf16be, "Łódź — tekst.\n"), "UTF-16BE", "Łódź — tekst.", "byte-order mark"},
		{"UTF-16LE without BOM", "notes.txt", encode(t, noBOM, "Plain words, nothing else.\nAnd a second line.\n"), "UTF-16LE", "Plain words, nothing else.", "a zero in every other byte"},
		{"UTF-8 with BOM", "a.md", append([]byte("\xEF\xBB\xBF"), "Ærø og Åbenrå.\n"...), "UTF-8", "Ærø og Åbenrå.", "removed a UTF-8 byte-order mark"},
		{"declared charset", "page.html", append([]byte(`<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251"></head><body><p>`), append(encode(t, charmap.Windows1251, "Привет, мир"), "</p></body></html>"...)...), "Windows-1251", "Привет, мир", "as the page declares"},
		{"declared but valid UTF-8", "page.htm", []byte(`<meta charset="koi8-r"><p>Привет, мир</p>`), "UTF-8", "Привет, мир", "but it is valid UTF-8"},
		{"XML declaration", "page.html", append([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><html><body><p>`), append(encode(t, charmap.Windows1252, "Ça va très bien"), "</p></body></html>"...)...), "Windows-1252", "Ça va très bien", "as the page declares"},
		{"declared UTF-8 but KOI8-R", "page.html", append([]byte(`<meta charset="utf-8"><p>`), encode(t, charmap.KOI8R, russian)...), "KOI8-R", "Связь отключили", "says it is UTF-8, but it is not"},
		{"mostly valid UTF-8", "a.txt", []byte("Первая строка текста.\nВторая \xff\xfe строка, и ещё немного текста.\n"), "UTF-8", "Вторая \uFFFD\uFFFD строка", "replaced 2 invalid UTF-8 bytes with U+FFFD (�), the first on line 2"},
		{"truncated at the end", "a.md", []byte("Текст обрывается на \xd0"), "UTF-8", "Текст обрывается на \uFFFD", "replaced 1 invalid UTF-8 byte"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := mustImport(t, c.file, c.data)
			if d.Encoding != c.encoding {
				t.Errorf("Encoding = %q, want %q (notes %q)", d.Encoding, c.encoding, d.Notes)
			}
			if !strings.Contains(d.Markdown+"\n"+d.Title, c.want) {
				t.Errorf("Markdown lacks %q:\n%s", c.want, d.Markdown)
			}
			if c.note != "" && !hasNote(d, c.note) {
				t.Errorf("no note %q in %q", c.note, d.Notes)
			}
			if len(d.Repairs) > 0 {
				t.Errorf("repairs on clean text: %+v", d.Repairs)
			}
		})
	}
}

func TestImportMojibakeHTML(t *testing.T) {
	page := "<html><head><title>Ð¡Ð¾Ð¾Ð±Ñ‰ÐµÐ½Ð¸Ðµ</title></head><body>\n" +
		"<p>Clean words, then Ð¡Ð¾Ð¾Ð±Ñ‰ÐµÐ½Ð¸Ðµ and: la huelga empezÃ³ â€” â€œquotesâ€\u009d, and clean ones again.</p>\n" +
		"<p>Ølberg &amp; Ærø: Å‚ is rare but legal.</p>\n" +
		"<p>Entities too: empez&Atilde;&sup3; &acirc;&euro;&rdquo; done.</p></body></html>"
	d := mustImport(t, "report.html", []byte(page))
	want := "Clean words, then Сообщение and: la huelga empezó — “quotes”, and clean ones again.\n\n" +
		"Ølberg & Ærø: Å‚ is rare but legal.\n\n" +
		"Entities too: empezó — done."
	if d.Markdown != want {
		t.Errorf("Markdown:\n%q\nwant\n%q", d.Markdown, want)
	}
	if d.Title != "Сообщение" {
		t.Errorf("Title = %q", d.Title)
	}
	var lines []int
	for _, r := range d.Repairs {
		lines = append(lines, r.Line)
	}
	// Five on line 1, two on line 5, one in the title.
	if fmt.Sprint(lines) != "[1 1 1 1 1 5 5 0]" {
		t.Errorf("repairs on lines %v: %+v", lines, d.Repairs)
	}
}

// The title, summary and tags are part of the document: a charset the
// body proves repairs a lone short run in them too.
func TestImportRepairsTitleAndTagsWithBody(t *testing.T) {
	macRoman := charsets[2]
	file := "---\ntitle: " + garble("Días sin red", macRoman) +
		"\ndescription: " + garble("Kazajstán, marzo", macRoman) +
		"\ntags: [" + garble("Kazajstán", macRoman) + ", Ølberg, " + garble("apagón", macRoman) + "]\n---\n\n" +
		garble("Según los médicos, el hospital funcionó tres días con un generador.", macRoman) + "\n"
	d := mustImport(t, "a.md", []byte(file))
	if d.Title != "Días sin red" || d.Summary != "Kazajstán, marzo" || fmt.Sprint(d.Tags) != "[kazajstán ølberg apagón]" {
		t.Errorf("title %q, summary %q, tags %q", d.Title, d.Summary, d.Tags)
	}
	if d.Markdown != "Según los médicos, el hospital funcionó tres días con un generador." {
		t.Errorf("Markdown = %q", d.Markdown)
	}
}

// Clean text in any language comes out exactly as it went in.
func TestImportCleanTextUnchanged(t *testing.T) {
	texts := append([]string{
		"Алматыда интернет өшірілді, бірақ қоңырау шалуға болатын еді.",
		"Это обычный текст без ошибок, «кавычки» и — тире.",
		"العربية: بدأ الإضراب في الثاني من يناير",
		"中文：罢工于一月二日开始。日本語のテキスト。",
		"Łódź, Gdańsk i Kraków: ludzie wyszli na ulice — „nie ma internetu”.",
		"Dansk: Ærø, Ålborg og søen — “vi er i sikkerhed”.",
	}, corpus...)
	texts = append(texts, cleanTexts...)
	for _, s := range texts {
		for _, name := range []string{"a.txt", "a.md", "a.html"} {
			in := s
			if name == "a.html" {
				in = "<p>" + strings.ReplaceAll(s, "&", "&amp;") + "</p>"
			}
			d := mustImport(t, name, []byte("Title line\n\n"+in+"\n"))
			if d.Markdown != s && !(name == "a.html" && d.Markdown == "Title line\n\n"+s) {
				t.Errorf("%s: %q\n  became %q", name, s, d.Markdown)
			}
			if len(d.Repairs) > 0 || len(d.Notes) > 1 {
				t.Errorf("%s: %q: repairs %+v notes %q", name, s, d.Repairs, d.Notes)
			}
		}
	}
}

func TestImportNFC(t *testing.T) {
	nfd := norm.NFD.String("Łódź, café, Ærø, Йошкар-Ола, Tiếng Việt")
	d := mustImport(t, "a.md", []byte(nfd))
	if d.Markdown != "Łódź, café, Ærø, Йошкар-Ола, Tiếng Việt" {
		t.Errorf("Markdown = %q", d.Markdown)
	}
	if !hasNote(d, "normalised 6 characters to NFC") {
		t.Errorf("notes %q", d.Notes)
	}
}

func TestImportText(t *testing.T) {
	in := "HEADLINE OF THE DAY\n\n" +
		"1986. The year it began. # not a heading, *not emphasis*, <b>not bold</b>, &amp; not an entity.\n" +
		"- not a list\n" +
		"    not code\n\n" +
		"This paragraph was wrapped at a fixed width by a mail program, so its\n" +
		"lines have to be joined back into a single paragraph of running text\n" +
		"again.\n\n" +
		"Roses are red,\nviolets are blue.\n\n" +
		strings.Repeat("A word processor saves each paragraph as one long line. ", 3) + "\n" +
		strings.Repeat("The next paragraph follows on the very next line like this. ", 3) + "\n"
	d := mustImport(t, "letter.txt", []byte(in))
	if d.Title != "HEADLINE OF THE DAY" {
		t.Errorf("Title = %q", d.Title)
	}
	want := "1986\\. The year it began. # not a heading, \\*not emphasis\\*, &lt;b&gt;not bold&lt;/b&gt;, &amp;amp; not an entity.  \n" +
		"\\- not a list  \nnot code\n\n" +
		"This paragraph was wrapped at a fixed width by a mail program, so its lines have to be joined back into a single paragraph of running text again.\n\n" +
		"Roses are red,  \nviolets are blue.\n\n" +
		strings.TrimSpace(strings.Repeat("A word processor saves each paragraph as one long line. ", 3)) + "\n\n" +
		strings.TrimSpace(strings.Repeat("The next paragraph follows on the very next line like this. ", 3))
	if d.Markdown != want {
		t.Errorf("Markdown:\n%s\nwant\n%s", d.Markdown, want)
	}
	if d.Summary != "1986. The year it began. # not a heading, *not emphasis*, <b>not bold</b>, &amp; not an entity. - not a list not code" {
		t.Errorf("Summary = %q", d.Summary)
	}
	_, raw := rendered(d.Markdown)
	if len(raw) > 0 {
		t.Errorf("plain text became HTML: %q", raw)
	}
}

func TestImportFrontMatter(t *testing.T) {
	for _, c := range []struct {
		name, in, title, lang, tags, body string
	}{
		{"yaml", "---\ntitle: \"Шатдаун: день третий\"\nlang: ru-RU\ntags: [Связь, Протест, связь]\ndescription: Кратко.\n---\n# Шатдаун: день третий\n\nТекст.\n", "Шатдаун: день третий", "ru", "[связь протест]", "Текст."},
		{"yaml list", "---\ntitle: 'It''s over'\nlanguage: kk\ntags:\n  - One\n  - Two\n...\nBody text here.\n", "It's over", "kk", "[one two]", "Body text here."},
		{"toml", "+++\ntitle = \"Toml title\"\ntags = [\"a\", \"b\"]\n+++\n\n# Different heading\n\nBody.\n", "Toml title", "", "[a b]", "# Different heading\n\nBody."},
		{"not front matter", "---\nJust a rule and text.\n---\nMore.\n", "", "", "[]", "---\nJust a rule and text.\n---\nMore."},
		{"not known keys", "---\nNote: this is an update\n---\nMore.\n", "", "", "[]", "---\nNote: this is an update\n---\nMore."},
		{"unknown language", "---\nlang: xx\ntitle: T\n---\nBody.\n", "T", "", "[]", "Body."},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := mustImport(t, "post.md", []byte(c.in))
			if d.Title != c.title || d.Lang != c.lang || fmt.Sprint(d.Tags) != c.tags || d.Markdown != c.body {
				t.Errorf("got title %q lang %q tags %v body %q", d.Title, d.Lang, d.Tags, d.Markdown)
			}
		})
	}
}

func TestImportTitles(t *testing.T) {
	for _, c := range []struct{ name, file, in, title, body string }{
		{"atx", "a.md", "# The **title**\n\nBody.", "The title", "Body."},
		{"setext", "a.md", "The title\n=====\n\nBody.", "The title", "Body."},
		{"short first line", "a.md", "Short title\n\nBody text.", "Short title", "Body text."},
		{"a sentence is not a title", "a.md", "This is a sentence.\n\nBody.", "", "This is a sentence.\n\nBody."},
		{"a list is not a title", "a.md", "- item\n\nBody.", "", "- item\n\nBody."},
		{"title only stays in the body", "a.md", "# Alone\n", "Alone", "# Alone"},
		{"underlined text", "a.txt", "The title\n---------\nBody.", "The title", "Body."},
		{"html h1 matching title", "a.html", "<title>Story — Site</title><h1>Logo</h1><h1>Story</h1><p>Body.</p>", "Story", "# Logo\n\nBody."},
		{"html og:title", "a.html", `<meta property="og:title" content="From OG"><title>T</title><h1>One</h1><h1>Two</h1><p>Body.</p>`, "From OG", "# One\n\n# Two\n\nBody."},
		{"html only h1", "a.html", "<h1>Only <em>one</em></h1><p>Body.</p>", "Only one", "Body."},
		{"html title text", "a.html", "<title>\n  Page\n  title </title><p>Body.</p>", "Page title", "Body."},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := mustImport(t, c.file, []byte(c.in))
			if d.Title != c.title || d.Markdown != c.body {
				t.Errorf("title %q body %q", d.Title, d.Markdown)
			}
		})
	}
}

func TestImportHTMLMeta(t *testing.T) {
	page := `<!DOCTYPE html><html lang="KK-kz"><head>
<meta name="description" content="  Қысқаша   мазмұны. ">
<meta name="keywords" content="Интернет, Шатдаун; интернет , #Almaty">
<meta property="article:tag" content="Protest">
</head><body><nav><a href="/">Home</a> <a href="/about">About</a></nav>
<article><h1>Тақырып</h1><p>Мақаланың мәтіні осында, ол бірнеше сөйлемнен тұрады.</p></article>
<footer>© Site</footer></body></html>`
	d := mustImport(t, "a.html", []byte(page))
	if d.Lang != "kk" || d.Summary != "Қысқаша мазмұны." || fmt.Sprint(d.Tags) != "[интернет шатдаун almaty protest]" || d.Title != "Тақырып" {
		t.Errorf("lang %q summary %q tags %q title %q", d.Lang, d.Summary, d.Tags, d.Title)
	}
	if d.Markdown != "Мақаланың мәтіні осында, ол бірнеше сөйлемнен тұрады." {
		t.Errorf("Markdown = %q", d.Markdown)
	}
	if !hasNote(d, "kept only the page's <article>") {
		t.Errorf("notes %q", d.Notes)
	}
}

func TestImportSummary(t *testing.T) {
	long := strings.Repeat("слово ", 80)
	d := mustImport(t, "a.md", []byte("# T\n\nBy Anna\n\n"+long+"\n\nMore."))
	if n := utf8.RuneCountInString(d.Summary); n > 300 || !strings.HasSuffix(d.Summary, "слово…") {
		t.Errorf("Summary (%d) = %q", n, d.Summary)
	}
	cjk := strings.Repeat("罢工于一月二日开始", 50)
	d = mustImport(t, "a.txt", []byte(cjk))
	if n := utf8.RuneCountInString(d.Summary); n != 300 {
		t.Errorf("CJK summary has %d characters", n)
	}
	d = mustImport(t, "a.md", []byte("Intro with a [link](https://x.org) and **bold** and `code` and snake_case_words, long enough."))
	if d.Summary != "Intro with a link and bold and code and snake_case_words, long enough." {
		t.Errorf("Summary = %q", d.Summary)
	}
}

func TestImportMarkdownLinks(t *testing.T) {
	in := "Text [click](javascript:alert(1)) and ![img](data:image/png;base64,AAA) and [ok](https://x.org).\n" +
		"Auto <javascript:alert(2)> and <https://y.org>, code `[x](javascript:alert(3))`.\n" +
		"[nested [brackets]](JaVaScRiPt&#58;alert(4)) [t](<javascript:x> \"title\")\n\n" +
		"[ref]: javascript:alert(5)\n[good]: https://z.org\n\n" +
		"```\n[x](javascript:alert(6))\n```\n"
	d := mustImport(t, "a.md", []byte(in))
	// Code is left alone: no renderer reads links in it. The removed
	// definition leaves its line, so that lines keep their numbers.
	want := "Text click and img and [ok](https://x.org).\n" +
		"Auto javascript:alert(2) and <https://y.org>, code `[x](javascript:alert(3))`.\n" +
		"nested [brackets] t\n\n\n" +
		"[good]: https://z.org\n\n" +
		"```\n[x](javascript:alert(6))\n```"
	if d.Markdown != want {
		t.Errorf("Markdown:\n%s\nwant\n%s", d.Markdown, want)
	}
	dests, _ := rendered(d.Markdown)
	for _, dst := range dests {
		if dangerous(dst) {
			t.Errorf("dangerous destination %q", dst)
		}
	}
	if !hasNote(d, "dropped 4 javascript: links") || !hasNote(d, "dropped a data: image") {
		t.Errorf("notes %q", d.Notes)
	}
}

// Every kind of link that got past the hand-written cleaner which
// markdown.Unlink replaced, and the ways of hiding a scheme.
func TestDefangMarkdownBypasses(t *testing.T) {
	for _, c := range []struct{ name, in string }{
		{"control character", "[](\x17JAVASCRIPT:)"},
		{"controls before", "[a](\f\x01javascript:x)"},
		{"vertical tab", "[r]:\v\fjavascript:\n[r]"},
		{"form feed", "[r]:\fjAvAsCript:\n[r]"},
		{"control and form feed", "[r]:\x0e\fjAvAsCript:\n[r]"},
		{"CR", "[C]\n\n[C]:\rjAvAsCript:0"},
		{"NUL", "[C]\n\n[C]:\x00<jAvAsCript:>"}, // not a link a browser runs: "\x00<" starts it
		{"made by removal", "[][(JAVASCRIPT:)](jAvAsCript:)"},
		{"angle brackets and quote", "[](<jAvAsCript:>\")"},
		{"reference in a list", "00[0]:\n* [0]:jAvAsCript:0000"},
		{"reference in a quote", "> [r]: javascript:x\n\n[r]"},
		{"definition on the next line", "[r]:\n  javascript:v\n[r]"},
		{"entity", "[x](jav&#x61;script:alert(1))"},
		{"entity colon", "[x](javascript&#58;alert(1))"},
		{"entity newline", "[x](java&#x0A;script:alert(1))"},
		{"backslash", "[x](javascript\\:alert(1))"},
		{"mixed case", "[x](JaVaScRiPt:alert(1))"},
		{"leading spaces", "[x](   javascript:alert(1))"},
		{"leading newline in a quote", "> [a](\n> javascript:z)"},
		{"data", "[x](data:text/html;base64,PHNjcmlwdD4=) ![i](data:image/png;base64,AAA)"},
		{"vbscript", "[x](vbscript:msgbox(1))"},
		{"autolink", "<javascript:alert(1)> <vbscript:x>"},
		{"table cell, as CommonMark reads it", "| [a|b](javascript:x) |\n|---|\n| c |"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var d Draft
			out := defangMarkdown(c.in, &d)
			for _, p := range markdownReadings {
				for _, dest := range parsedDests(p, out) {
					if dangerous(dest) {
						t.Errorf("%q keeps a link to %q: %q", c.in, dest, out)
					}
				}
			}
			if len(d.Notes) == 0 && c.name != "NUL" {
				t.Errorf("%q: no note", c.in)
			}
		})
	}
}

func TestImportSniff(t *testing.T) {
	d := mustImport(t, "download", []byte("<!DOCTYPE html><title>T</title><p>Body</p>"))
	if d.Markdown != "Body" || d.Title != "T" || !hasNote(d, "read it as HTML") {
		t.Errorf("%+v", d)
	}
	d = mustImport(t, "notes.log", []byte("<b>not html</b> since it does not start like a page"))
	if !strings.Contains(d.Markdown, "&lt;b&gt;") || !hasNote(d, "read it as plain text") {
		t.Errorf("%+v", d)
	}
	d = mustImport(t, "page", encode(t, xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM), "<html><body><p>UTF-16 page</p></body></html>"))
	if d.Markdown != "UTF-16 page" {
		t.Errorf("%+v", d)
	}
}

func TestImportLineEndings(t *testing.T) {
	d := mustImport(t, "a.md", []byte("One\r\ntwo\r\n\r\nThree\rfour\x07 \t \n\n\n"))
	if d.Markdown != "One\ntwo\n\nThree\nfour" {
		t.Errorf("Markdown = %q", d.Markdown)
	}
	for _, n := range []string{"CRLF", "(CR)", "removed 1 control character"} {
		if !hasNote(d, n) {
			t.Errorf("no note %q in %q", n, d.Notes)
		}
	}
}

func TestImportErrors(t *testing.T) {
	random := make([]byte, 4096)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(r.IntN(256))
	}
	docx := append([]byte("PK\x03\x04\x14\x00\x06\x00"), "[Content_Types].xml ... word/document.xml"...)
	for _, c := range []struct {
		name   string
		file   string
		data   []byte
		err    error
		reason string
		line   int
	}{
		{"too large", "big.html", make([]byte, MaxImportSize+1), ErrTooLarge, "the file is 2.1 MiB; the limit is 2 MiB", 0},
		{"pdf", "report.txt", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"), ErrBinary, "looks like a PDF document", 0},
		{"png", "report.md", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), ErrBinary, "looks like a PNG image", 0},
		{"jpeg", "photo", []byte("\xFF\xD8\xFF\xE0\x00\x10JFIF"), ErrBinary, "looks like a JPEG image", 0},
		{"docx content", "report.txt", docx, ErrBinary, "looks like a Word document (.docx)", 0},
		{"elf", "a.txt", []byte("\x7FELF\x02\x01\x01"), ErrBinary, "looks like a program", 0},
		{"random bytes", "a.txt", random, ErrBinary, "it contains NUL bytes", lineAt(random, bytes.IndexByte(random, 0))},
		{"NUL line", "a.html", []byte("<p>one</p>\n<p>two</p>\nthree\x00"), ErrBinary, "NUL bytes", 3},
		{"control characters", "a.txt", []byte("\x01\x02\x03\x04 text \x05\x06"), ErrBinary, "control characters", 1},
		{"docx extension", "Report.DOCX", []byte("anything"), ErrUnsupported, "Word documents (.docx) cannot be imported; Caravan imports .txt, .md, .markdown, .html and .htm files", 0},
		{"pdf extension", "a.pdf", []byte("%PDF-"), ErrUnsupported, "PDF documents (.pdf) cannot be imported", 0},
		{"image extension", "photo.JPG", []byte("x"), ErrUnsupported, "images (.jpg) cannot be imported", 0},
		{"rtf", "a.txt", []byte(`{\rtf1\ansi hello}`), ErrUnsupported, "looks like an RTF document", 0},
		{"empty", "a.txt", nil, ErrEmpty, "there is no text in it", 0},
		{"whitespace", "a.md", []byte(" \n\t\r\n  \n"), ErrEmpty, "there is no text in it", 0},
		{"only BOM", "a.md", []byte("\xEF\xBB\xBF"), ErrEmpty, "there is no text in it", 0},
		{"only markup", "a.html", []byte("<html><script>x()</script><style>p{}</style><img src=a.png width=1 height=1></html>"), ErrEmpty, "no text is left", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Import(c.file, c.data)
			if !errors.Is(err, c.err) {
				t.Fatalf("error %v, want %v", err, c.err)
			}
			var ie *ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("%T is not *ImportError", err)
			}
			if !strings.Contains(ie.Reason, c.reason) || ie.Line != c.line || ie.File != c.file || ie.Hint == "" {
				t.Errorf("got %+v", ie)
			}
			prefix := "import " + c.file + ": "
			if c.line > 0 {
				prefix += fmt.Sprintf("line %d: ", c.line)
			}
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

// The size is checked before any work: nothing is allocated for the
// input.
func TestImportTooLargeAllocatesNothing(t *testing.T) {
	big := make([]byte, MaxImportSize+1)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	allocs := testing.AllocsPerRun(10, func() {
		if _, err := Import("big.html", big); !errors.Is(err, ErrTooLarge) {
			t.Fatal(err)
		}
	})
	runtime.ReadMemStats(&after)
	if allocs > 10 {
		t.Errorf("%v allocations", allocs)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<10 {
		t.Errorf("allocated %d bytes", grew)
	}
}

// Files built to be slow; each must import in linear time. They are a
// quarter of the size limit to keep the race detector's run short;
// quadratic work would still take minutes.
func TestImportPathological(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	fill := func(unit string) []byte {
		return []byte(strings.Repeat(unit, MaxImportSize/4/len(unit)))
	}
	for _, c := range []struct {
		name string
		file string
		data []byte
	}{
		{"many dangerous links", "a.md", fill("[x](javascript:y) ")},
		{"open brackets", "a.md", fill("[")},
		{"closing brackets", "a.md", fill("](javascript:x)")},
		{"autolinks", "a.md", fill("<javascript:x> ")},
		{"reference definitions", "a.md", fill("[r]: javascript:x\n")},
		{"backticks and backslashes", "a.md", fill("`\\")},
		{"rules", "a.md", fill("---\n")},
		{"front matter keys", "a.md", append([]byte("---\n"), fill("title: x\n")...)},
		{"one line of mojibake", "a.txt", fill("empezÃ³ ")},
		{"mojibake without spaces", "a.txt", fill("Ã³")},
		{"twice garbled Cyrillic", "a.html", fill("<p>" + garble(garble("Сообщение", charsets[0]), charsets[0]) + "</p>")},
		{"Windows-1251", "a.txt", fill(string(encode(t, charmap.Windows1251, "Связь отключили. ")))},
		{"NFD", "a.txt", fill(norm.NFD.String("Łódź café Йошкар "))},
		{"CR line endings", "a.txt", fill("a\r")},
		{"short lines", "a.txt", fill("a\n")},
		{"blank lines", "a.txt", fill("a\n\n")},
		{"one long word", "a.txt", fill("a")},
		{"entities", "a.txt", fill("&amp; ")},
		{"UTF-16", "a.txt", fill("\x00a")},
		{"CJK", "a.txt", fill("罢工于一月二日开始。")},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			d, err := Import(c.file, c.data)
			elapsed := time.Since(start)
			t.Logf("%d bytes, %v, %v", len(c.data), elapsed, err)
			if err != nil && !errors.Is(err, ErrEmpty) {
				t.Fatal(err)
			}
			checkDraft(t, d, err)
			if len(d.Markdown) > 4*len(c.data) {
				t.Errorf("%d bytes of Markdown", len(d.Markdown))
			}
			// On timing, see TestHTMLToMarkdownPathological.
		})
	}
}

func TestImportDeepNesting(t *testing.T) {
	for _, c := range []struct{ name, in string }{
		{"50k divs", strings.Repeat("<div>", 50000) + "deep text" + strings.Repeat("</div>", 50000)},
		{"50k b", strings.Repeat("<b>", 50000) + "deep text" + strings.Repeat("</b>", 50000)},
	} {
		d := mustImport(t, "deep.html", []byte(c.in))
		if !strings.Contains(d.Markdown, "deep text") {
			t.Errorf("%s: %.100q", c.name, d.Markdown)
		}
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata/import")

// Real-looking damaged articles and the drafts they become, as JSON
// golden files. Run with -update after a deliberate change and review
// the diff.
func TestImportGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "import", "*"))
	for _, f := range files {
		if strings.HasSuffix(f, ".golden") {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			checkImport(t, filepath.Base(f), data)
			d, err := Import(filepath.Base(f), data)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.MarshalIndent(d, "", "\t")
			got = append(got, '\n')
			if *update {
				if err := os.WriteFile(f+".golden", got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(f + ".golden")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("draft differs from %s.golden:\n%s", f, got)
			}
		})
	}
}

// checkImport is the fuzz property of Import.
func checkImport(t *testing.T, name string, data []byte) {
	d, err := Import(name, data)
	checkDraft(t, d, err)
}

func checkDraft(t *testing.T, d Draft, err error) {
	t.Helper()
	if err != nil {
		var ie *ImportError
		if !errors.As(err, &ie) || ie.Reason == "" || errors.Is(err, errPanic) {
			t.Fatalf("bad error %#v", err)
		}
		return
	}
	if !utf8.ValidString(d.Markdown) || !norm.NFC.IsNormalString(d.Markdown) {
		t.Fatalf("Markdown not valid NFC UTF-8: %q", d.Markdown)
	}
	if strings.ContainsAny(d.Title, "\n\r") || !utf8.ValidString(d.Title) {
		t.Fatalf("bad title %q", d.Title)
	}
	if strings.ContainsFunc(d.Markdown+d.Title+d.Summary, func(r rune) bool { return isStrayControl(r) || r >= 0x80 && r < 0xA0 }) {
		t.Fatalf("control characters left in %+v", d)
	}
	if utf8.RuneCountInString(d.Summary) > 300 || utf8.RuneCountInString(d.Title) > 300 || strings.Contains(d.Summary, "\n") {
		t.Fatalf("bad summary %q", d.Summary)
	}
	for _, tag := range d.Tags {
		if tag == "" || tag != strings.ToLower(tag) {
			t.Fatalf("bad tag %q", tag)
		}
	}
	if d.Lang != "" && (len(d.Lang) != 2 || d.Lang != strings.ToLower(d.Lang)) {
		t.Fatalf("bad lang %q", d.Lang)
	}
	dests, _ := rendered(d.Markdown)
	for _, dest := range dests {
		if s := schemeOf(dest); s == "javascript" || s == "vbscript" {
			t.Fatalf("%s: link in %q", s, d.Markdown)
		}
	}
	if d.Markdown == "" || d.Encoding == "" {
		t.Fatalf("empty draft %+v", d)
	}
}

func FuzzImport(f *testing.F) {
	exts := []string{".txt", ".md", ".html", ".htm", ".markdown", "", ".docx", ".TXT"}
	f.Add(uint8(0), []byte("Title\n\nSome text."))
	f.Add(uint8(1), []byte("---\ntitle: x\ntags: [a, b]\n---\n# H\n\n[x](javascript:y)"))
	f.Add(uint8(2), []byte("<html lang=ru><meta charset=koi8-r><title>t</title><p>\xf0\xd2\xc9\xd7\xc5\xd4</p>"))
	f.Add(uint8(3), []byte("<p>empezÃ³ â€” Ð¡Ð¾Ð¾Ð±Ñ‰ÐµÐ½Ð¸Ðµ</p>"))
	f.Add(uint8(5), []byte("\xff\xfeH\x00i\x00"))
	f.Add(uint8(0), []byte("caf\xe9 \xcf\xf0\xe8\xe2\xe5\xf2"))
	f.Add(uint8(1), norm.NFD.AppendString(nil, "Łódź café"))
	f.Add(uint8(1), []byte("[a\nb](javascript:x) [c]\n\n[c]: <javascript:y>\n<vbscript:z> ![i](javascript:w)"))
	f.Fuzz(func(t *testing.T, ext uint8, data []byte) {
		defer watchdog(data)()
		checkImport(t, "file"+exts[int(ext)%len(exts)], data)
	})
}

// Markdown keeps no link a browser would run, however it is written,
// whether CommonMark or GFM reads it.
func FuzzDefangMarkdown(f *testing.F) {
	f.Add("[a\nb](javascript:x) [c]\n\n[c]: <javascript:y>\n<vbscript:z> ![i](javascript:w)")
	f.Add("`a\nb` [x](java\\script:y) [y](javascript&#58;z 'q') [z]( <javascript:w> )\n\n[r]:\n  javascript:v\n[r]")
	f.Add("> [q\n> r](javascript:x)\n- [l](JAVASCRIPT:y)\n```\n[x](javascript:z)\n```")
	f.Add("> [r]: javascript:x\n\n- [s]:\n  javascript:y\n\n[r] [s] > [a](\n> javascript:z)")
	// goldmark keeps control characters in destinations; browsers skip
	// them at the start.
	f.Add("[](\x17JAVASCRIPT:) [](\fjavascript:x) [a](\f\x01javascript:x)\n\n[r]:\v\fjavascript:\n[r]")
	f.Fuzz(func(t *testing.T, md string) {
		var d Draft
		out := defangMarkdown(md, &d)
		for _, p := range markdownReadings {
			for _, dest := range parsedDests(p, out) {
				if dangerous(dest) {
					t.Fatalf("link to %q in %q (from %q)", dest, out, md)
				}
			}
		}
	})
}

// Plain text shows as written: whatever Markdown syntax it seems to
// hold, the rendered draft has the same characters.
func FuzzTextToMarkdown(f *testing.F) {
	f.Add("1986. A year\n# no\n- item\n    code\n<b>x</b> &amp; *e* _u_ `c` [l](u) \\* ~~s~~ | a |")
	f.Add("Title\n=====\n\n> quote\n\n---\n\n[ref]: /url\n\n+ plus\n1) one")
	f.Fuzz(func(t *testing.T, in string) {
		in, _ = stripControls(strings.ToValidUTF8(in, ""), true)
		in = strings.ReplaceAll(in, "\r", "")
		md, err := textToMarkdown(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := shownText(t, md); got != collapseSpace(in) {
			t.Fatalf("text %q\nmarkdown %q\nshows %q", in, md, got)
		}
	})
}

// article is a realistic ~30 KB article: paragraphs, a list, a quote and
// some mojibake.
func article(html bool) string {
	paras := []string{
		"On the morning of the second day the mobile network went silent across the region, and by noon even the landlines in the city centre had stopped working.",
		"Residents queued outside the few shops that still accepted cash; the owners wrote prices on cardboard because the tills could not reach the bank.",
		"«Мы не знали, что происходит», — сказала учительница, которая попросила не называть её имени. «Дети спрашивали, когда вернётся интернет».",
		"Volunteers passed notes from hand to hand, and a nurse at the district hospital empezÃ³ keeping a paper list of the wounded â€” names, ages and wards.",
		"By the evening a few people had set up a mesh of phones in the market square, carrying messages across the river one relay at a time.",
	}
	var b strings.Builder
	if html {
		b.WriteString("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Three days without a network | Caravan</title>" +
			"<meta name=\"description\" content=\"What happened when the network went silent.\"><script>track()</script></head><body>" +
			"<nav><a href=\"/\">Home</a></nav><article><h1>Three days without a network</h1>")
	} else {
		b.WriteString("Three days without a network\n\n")
	}
	for i := 0; b.Len() < 30<<10; i++ {
		p := paras[i%len(paras)]
		switch {
		case html && i%7 == 3:
			fmt.Fprintf(&b, "<blockquote><p>%s</p></blockquote>\n", p)
		case html && i%11 == 5:
			fmt.Fprintf(&b, "<ul><li>%s</li><li><a href=\"https://example.org/%d\">source %d</a></li></ul>\n", p, i, i)
		case html:
			fmt.Fprintf(&b, "<p>%s <em>%d</em></p>\n", p, i)
		default:
			fmt.Fprintf(&b, "%s %d\n\n", p, i)
		}
	}
	if html {
		b.WriteString("</article><footer>© 2025</footer></body></html>")
	}
	return b.String()
}

func BenchmarkImport30KB(b *testing.B) {
	data := []byte(article(true))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Import("article.html", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkImport30KBText(b *testing.B) {
	data := []byte(article(false))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Import("article.txt", data); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBenchmarkArticles(t *testing.T) {
	for _, html := range []bool{true, false} {
		d := mustImport(t, map[bool]string{true: "a.html", false: "a.txt"}[html], []byte(article(html)))
		if d.Title != "Three days without a network" || len(d.Repairs) == 0 || strings.Contains(d.Markdown, "Ã") {
			t.Errorf("html=%v: title %q, %d repairs", html, d.Title, len(d.Repairs))
		}
		if bytes.Contains([]byte(d.Markdown), []byte("track")) {
			t.Error("script kept")
		}
	}
}
