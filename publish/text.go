package publish

// Markdown and plain text: front matter, titles, plain text turned into
// markdown that shows exactly as written, dangerous links removed, summaries.

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/caravan-mesh/caravan/markdown"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

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
	fence   = regexp.MustCompile("^ {0,3}(```+|~~~+)")
	escaped = regexp.MustCompile(`\\([!-/:-@\[-` + "`" + `{-~])`)
)

// defangMarkdown removes from markdown the links and images with a
// blocked scheme (blockedScheme), keeping their text, and notes what it
// removed. Caravan's own renderers filter every report they show
// (package markdown), so this is for the other Nostr apps that will show
// the published text: the same parser finds the links, and the source is
// edited where it says they are (markdown.Unlink). Code is not touched,
// since no renderer reads links in it, and neither is raw HTML, which
// any renderer of markdown from strangers must sanitise anyway.
func defangMarkdown(md string, d *Draft) string {
	out, removed := markdown.Unlink(md, func(l markdown.Link) bool { return blockedScheme(l.Dest, l.Image) != "" })
	st := htmlStats{badLinks: map[string]int{}, badImages: map[string]int{}}
	for _, l := range removed {
		switch s := blockedScheme(l.Dest, l.Image); {
		case l.Definition: // shows nothing; the links using it are counted
		case l.Image:
			st.badImages[s]++
		default:
			st.badLinks[s]++
		}
	}
	d.Notes = append(d.Notes, st.notes()...)
	return out
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
