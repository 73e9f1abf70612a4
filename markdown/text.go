package markdown

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
)

// Text renders src as plain text for a terminal, from the same filtered
// tree as HTML: paragraphs wrapped at width characters (0: not wrapped),
// headings underlined, lists, quotes ("> ") and code (indented) laid out
// as in markdown, a link as its text with its target in parentheses, an
// image as "[image: ALT]" and where it is. The text carries no control
// characters but newlines and tabs: a report cannot send escape sequences
// to the reader's terminal.
func Text(src string, width int, o Options) string {
	b := shallow([]byte(strings.ToValidUTF8(src, "\uFFFD")))
	t := &textWriter{src: b}
	t.block(parse(b, o), "", "", width, 0)
	return stripControls(strings.Join(t.lines, "\n"))
}

// maxDepth is the deepest nesting of quotes and lists laid out as such;
// deeper blocks are written at that depth, so that the output stays
// about the size of the input however deep the nesting.
const maxDepth = 16

type textWriter struct {
	src   []byte
	lines []string
}

// write writes lines; the first line of a block starts with first, the
// others with rest.
func (t *textWriter) write(lines []string, first, rest *string) {
	for _, l := range lines {
		p := *rest
		if first != nil {
			p, first = *first, nil
		}
		if l == "" {
			p = strings.TrimRight(p, " ")
		}
		t.lines = append(t.lines, p+l)
	}
}

// block writes block n, its lines at most width characters wide where
// they can be wrapped, the first starting with first and the others with
// rest.
func (t *textWriter) block(n ast.Node, first, rest string, width, depth int) {
	switch n := n.(type) {
	case *ast.Paragraph, *ast.TextBlock:
		t.write(Wrap(t.inline(n), width), &first, &rest)
	case *ast.Heading:
		h := strings.Join(strings.Fields(t.inline(n)), " ")
		switch n.Level {
		case 1:
			t.write([]string{h, strings.Repeat("=", max(3, utf8.RuneCountInString(h)))}, &first, &rest)
		case 2:
			t.write([]string{h, strings.Repeat("-", max(3, utf8.RuneCountInString(h)))}, &first, &rest)
		default:
			t.write([]string{strings.Repeat("#", n.Level) + " " + h}, &first, &rest)
		}
	case *ast.ThematicBreak:
		t.write([]string{"* * *"}, &first, &rest)
	case *ast.CodeBlock, *ast.FencedCodeBlock:
		var lines []string
		for i := range n.Lines().Len() {
			l := n.Lines().At(i)
			lines = append(lines, "    "+strings.TrimRight(string(l.Value(t.src)), "\r\n"))
		}
		if len(lines) == 0 {
			lines = []string{""}
		}
		t.write(lines, &first, &rest)
	case *ast.Blockquote:
		if depth < maxDepth {
			first, rest, width, depth = first+"> ", rest+"> ", width-2, depth+1
		}
		t.blocks(n, first, rest, width, depth, false)
	case *ast.List:
		num := n.Start
		for item := n.FirstChild(); item != nil; item = item.NextSibling() {
			marker := "- "
			if n.IsOrdered() {
				marker = strconv.Itoa(num) + string(n.Marker) + " "
				num++
			}
			if item != n.FirstChild() && !n.IsTight {
				t.write([]string{""}, nil, &rest)
			}
			f, r, w, d := first, rest, width, depth
			if depth < maxDepth {
				f, r, w, d = first+marker, rest+strings.Repeat(" ", len(marker)), width-len(marker), depth+1
			}
			t.blocks(item, f, r, w, d, n.IsTight)
			first = rest
		}
	case *east.Table:
		var lines []string
		for row := n.FirstChild(); row != nil; row = row.NextSibling() {
			var cells []string
			for c := row.FirstChild(); c != nil; c = c.NextSibling() {
				cells = append(cells, strings.Join(strings.Fields(t.inline(c)), " "))
			}
			lines = append(lines, "| "+strings.Join(cells, " | ")+" |")
			if _, ok := row.(*east.TableHeader); ok {
				lines = append(lines, "|"+strings.Repeat("---|", len(cells)))
			}
		}
		t.write(lines, &first, &rest)
	case *ast.LinkReferenceDefinition, *ast.HTMLBlock:
	default:
		if n.FirstChild() != nil && n.FirstChild().Type() == ast.TypeBlock {
			t.blocks(n, first, rest, width, depth, false)
		} else {
			t.write(Wrap(t.inline(n), width), &first, &rest)
		}
	}
}

// blocks writes n's children, with a blank line between them unless
// tight. An empty container (a list item with nothing in it) still
// writes its first prefix.
func (t *textWriter) blocks(n ast.Node, first, rest string, width, depth int, tight bool) {
	wrote := false
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		mark := len(t.lines)
		p := first
		if wrote {
			p = rest
			if !tight {
				t.write([]string{""}, nil, &rest)
			}
		}
		t.block(c, p, rest, width, depth)
		switch {
		case wrote && !tight && len(t.lines) == mark+1: // the child wrote nothing
			t.lines = t.lines[:mark]
		case len(t.lines) > mark:
			wrote = true
		}
	}
	if !wrote {
		t.write([]string{""}, &first, &rest)
	}
}

// inline returns the text of n's inline children; hard line breaks are
// newlines.
func (t textWriter) inline(n ast.Node) string {
	var b strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			b.Write(resolveText(c.Segment.Value(t.src)))
			switch {
			case c.HardLineBreak():
				b.WriteByte('\n')
			case c.SoftLineBreak():
				b.WriteByte(' ')
			}
		case *ast.String:
			if c.IsCode() || c.IsRaw() {
				b.Write(c.Value)
			} else {
				b.Write(resolveText(c.Value))
			}
		case *ast.CodeSpan:
			b.WriteString("`" + textOf(c, t.src) + "`")
		case *east.Strikethrough:
			b.WriteString("~~" + t.inline(c) + "~~")
		case *east.TaskCheckBox:
			if c.IsChecked {
				b.WriteString("[x] ")
			} else {
				b.WriteString("[ ] ")
			}
		case *plain:
			b.WriteString(c.text)
		case *safeImage:
			b.WriteString("[image: " + c.alt + "]")
			if c.src != "" {
				b.WriteString(" (" + c.src + ")")
			}
		case *safeLink:
			text := t.inline(c)
			switch {
			case c.image:
				b.WriteString("[image: " + text + "] (" + c.href + ")")
			case text == c.href || "http://"+text == c.href: // an autolink
				b.WriteString(text)
			default:
				b.WriteString(text + " (" + c.href + ")")
			}
		default:
			b.WriteString(t.inline(c))
		}
	}
	return b.String()
}

// Wrap breaks s at its newlines and at spaces before width characters,
// for a terminal. A word longer than width (an address) stays whole on
// its line.
func Wrap(s string, width int) []string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		words := strings.Fields(line)
		if width <= 0 {
			out = append(out, strings.Join(words, " "))
			continue
		}
		cur, n := []string(nil), 0
		for _, w := range words {
			l := utf8.RuneCountInString(w)
			if n > 0 && n+1+l > max(width, 20) {
				out = append(out, strings.Join(cur, " "))
				cur, n = nil, 0
			}
			if n > 0 {
				n++
			}
			cur = append(cur, w)
			n += l
		}
		out = append(out, strings.Join(cur, " "))
	}
	return out
}

// stripControls removes C0 and C1 control characters (ESC among them) and
// DEL, but not newlines and tabs.
func stripControls(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return -1
		}
		return r
	}, s)
}
