package publish

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/base"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/commonmark"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/strikethrough"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/table"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTML goes through three stages, each of which keeps the next one
// linear in the size of the input:
//
//  1. A pass over the tokens (prepass) drops scripts, styles, frames,
//     inline SVG and comments, and drops start tags that would nest
//     elements deeper than maxOpen. x/net/html refuses documents nested
//     deeper than 512 elements outright, and the converter recurses once
//     per level. Text is always kept. If the parser still refuses, the
//     pass runs again with tighter limits, and finally the text alone is
//     kept, one paragraph per block.
//  2. A walk over the parsed tree (cleaner) removes what a report must not
//     carry (forms, hidden elements, tracking pixels, links to javascript:
//     and other dangerous schemes) and what makes the converter slow:
//     blockquotes and lists nested more than maxIndent deep (its cost grows
//     with the square of that depth) and tables whose grid would be far
//     larger than their cells (rowspan and colspan are clamped).
//  3. html-to-markdown renders the tree as CommonMark, with GFM tables and
//     strikethrough.
const (
	maxOpen       = 100    // open elements the prepass allows
	maxDepth      = 200    // tree depth; deeper subtrees become their text
	maxIndent     = 8      // blockquotes and lists inside each other
	maxTableGrid  = 20000  // cells of one rendered table, spans included
	maxTablesGrid = 200000 // the same for all tables of a document
	maxColspan    = 50
	maxRowspan    = 200
	maxListStart  = 999999999 // CommonMark allows nine digits
	maxFormatting = 64        // formatting start tags left unclosed (<b>, <font>...)
	maxTableNest  = 3         // tables inside tables
)

// HTMLToMarkdown converts HTML, a whole page or a fragment, to CommonMark
// (with GFM tables and strikethrough). It removes scripts, styles, frames,
// forms, comments, hidden elements and tracking pixels, drops links and
// images with dangerous schemes (javascript:, vbscript:, data:, file:...)
// but keeps their text, and flattens pathological nesting while keeping
// the text. It runs in time linear in the size of src on any input;
// invalid UTF-8 is replaced with U+FFFD.
func HTMLToMarkdown(src string) (md string, err error) {
	defer func() {
		if r := recover(); r != nil { // a bug; see errPanic
			md, err = "", fmt.Errorf("%w: %v", errPanic, r)
		}
	}()
	r, err := convertHTML(src)
	return r.markdown, err
}

// htmlResult is a converted page with what its <head> says about it.
type htmlResult struct {
	markdown    string
	title       string // "" if none
	description string
	lang        string // as written, not yet checked
	tags        []string
	notes       []string
}

// htmlStats counts what the conversion removed, for the notes.
type htmlStats struct {
	removed    map[string]int // element name -> count
	comments   int
	hidden     int
	pixels     int
	formFields int
	badLinks   map[string]int // scheme -> count
	badImages  map[string]int
	simplified int // start tags dropped for nesting, subtrees flattened
	flatTables int
	textOnly   bool
	narrowed   string // "article" or "main" when only that was kept
	titleMoved bool
}

func newHTMLStats() *htmlStats {
	return &htmlStats{removed: map[string]int{}, badLinks: map[string]int{}, badImages: map[string]int{}}
}

var mdConverter = sync.OnceValue(func() *converter.Converter {
	return converter.NewConverter(converter.WithPlugins(
		base.NewBasePlugin(),
		commonmark.NewCommonmarkPlugin(
			commonmark.WithLinkEmptyHrefBehavior(commonmark.LinkBehaviorSkip),
			commonmark.WithLinkEmptyContentBehavior(commonmark.LinkBehaviorSkip),
			// The end-of-list marker is a raw HTML comment, which many
			// Nostr clients show as text.
			commonmark.WithListEndComment(false),
		),
		strikethrough.NewStrikethroughPlugin(),
		textEscaper{},
		// Aligned padding makes every row as wide as the widest cell.
		table.NewTablePlugin(table.WithCellPaddingBehavior(table.CellPaddingBehaviorMinimal)),
	))
})

// textEscaper fixes two gaps in the converter's escaping of text:
//   - It leaves the text "&copy;" as it is, which renders as "©"; "&"
//     is escaped where it starts something like an entity. (Code is not
//     affected: the converter does not transform its text.)
//   - It decides whether "[", "]", "`" and "~" need a backslash by
//     looking at one line, but links, reference definitions, code spans
//     and strikethrough can span a hard line break (<br>): the text
//     "[<br>](javascript:x)" became a live link. They are always escaped.
type textEscaper struct{}

var entityLike = regexp.MustCompile(`&(#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)`)

func (textEscaper) Name() string { return "caravan-escaping" }

func (textEscaper) Init(conv *converter.Converter) error {
	conv.Register.TextTransformer(func(_ converter.Context, s string) string {
		if !strings.Contains(s, "&") {
			return s
		}
		return entityLike.ReplaceAllString(s, "&amp;$1")
	}, converter.PriorityEarly)
	conv.Register.EscapedChar('[', ']', '`', '~')
	conv.Register.UnEscaper(func(chars []byte, i int) int {
		switch chars[i] {
		case '[', ']', '`', '~':
			return 1
		}
		return -1
	}, converter.PriorityEarly)
	return nil
}

func convertHTML(src string) (htmlResult, error) {
	st := newHTMLStats()
	doc := parseLimited(cleanControls(src), st)
	meta := readMeta(doc)

	c := &cleaner{stats: st}
	c.clean(doc, walk{})
	body := findElement(doc, atom.Body)
	if body == nil { // cannot happen with html.Parse; be safe
		body = doc
	}
	root := chooseRoot(body, st)
	title := chooseTitle(body, root, meta, st)
	guardTables(root, st)

	res := htmlResult{title: title, description: meta.description, lang: meta.lang, tags: meta.tags, notes: st.notes()}
	var err error
	res.markdown, err = renderMarkdown(root, meta.base)
	return res, err
}

// renderMarkdown converts the tree under root, which it detaches.
// Relative links are resolved against base, if not "".
func renderMarkdown(root *html.Node, base string) (string, error) {
	if root.Parent != nil {
		root.Parent.RemoveChild(root)
	}
	top := &html.Node{Type: html.DocumentNode}
	top.AppendChild(root)
	var opts []converter.ConvertOptionFunc
	if base != "" {
		opts = append(opts, converter.WithDomain(base))
	}
	out, err := mdConverter().ConvertNode(top, opts...)
	if err != nil {
		return "", fmt.Errorf("converting HTML to Markdown: %w", err)
	}
	return strings.ToValidUTF8(string(out), "\uFFFD"), nil
}

// cleanControls makes src valid UTF-8 and removes the C0 control
// characters that are not whitespace: the converter uses BEL as its
// escaping marker and U+F002 for code block newlines, so they must not
// come from the input.
func cleanControls(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexFunc(s, isConverterUnsafe) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isConverterUnsafe(r) {
			return -1
		}
		return r
	}, s)
}

func isConverterUnsafe(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' && r != '\r' && r != '\f' || r == 0x7F || r == '\uF002'
}

// pageMeta is what a page's <head> says about it.
type pageMeta struct {
	title, ogTitle, description, lang, base string
	tags                                    []string
}

func readMeta(doc *html.Node) pageMeta {
	var m pageMeta
	var walkMeta func(n *html.Node)
	walkMeta = func(n *html.Node) { // recursion depth is bounded by the parser (512)
		if n.Type == html.ElementNode && n.Namespace == "" {
			switch n.DataAtom {
			case atom.Html:
				if m.lang == "" {
					m.lang = attr(n, "lang")
				}
				if m.lang == "" {
					m.lang = attr(n, "xml:lang")
				}
			case atom.Title:
				if m.title == "" {
					m.title = collapseSpace(textContent(n))
				}
				return
			case atom.Base:
				if h := attr(n, "href"); m.base == "" && (hasScheme(h, "http") || hasScheme(h, "https")) {
					m.base = h
				}
			case atom.Meta:
				m.read(n)
			case atom.Body:
				return // metadata lives in <head>; the body is for the converter
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walkMeta(c)
		}
	}
	walkMeta(doc)
	if m.lang == "" {
		if b := findElement(doc, atom.Body); b != nil {
			m.lang = attr(b, "lang")
		}
	}
	return m
}

func (m *pageMeta) read(n *html.Node) {
	key := strings.ToLower(strings.TrimSpace(attr(n, "name")))
	if key == "" {
		key = strings.ToLower(strings.TrimSpace(attr(n, "property")))
	}
	if key == "" {
		key = strings.ToLower(strings.TrimSpace(attr(n, "http-equiv")))
	}
	content := collapseSpace(attr(n, "content"))
	if content == "" {
		return
	}
	switch key {
	case "description", "og:description", "twitter:description", "dc.description":
		if m.description == "" || key == "description" {
			m.description = content
		}
	case "og:title", "twitter:title", "dc.title":
		if m.ogTitle == "" {
			m.ogTitle = content
		}
	case "keywords", "news_keywords":
		m.tags = append(m.tags, splitTags(content)...)
	case "article:tag":
		m.tags = append(m.tags, content)
	case "content-language", "language", "dc.language":
		if m.lang == "" {
			m.lang, _, _ = strings.Cut(content, ",")
		}
	case "og:locale":
		if m.lang == "" {
			m.lang = content
		}
	}
}

// chooseRoot narrows a page to its <article> or <main>, when there is
// exactly one and it holds a good part of the text, dropping the page
// around it (menus, headers, footers, related links).
func chooseRoot(body *html.Node, st *htmlStats) *html.Node {
	total := textLen(body)
	for _, a := range []atom.Atom{atom.Article, atom.Main} {
		found := findAll(body, a, 2)
		if len(found) != 1 {
			continue
		}
		if n := textLen(found[0]); n > 0 && n*5 >= total && n < total {
			st.narrowed = a.String()
			return found[0]
		}
	}
	return body
}

// chooseTitle picks the page's title: the <h1> that matches og:title or
// <title>, or the only <h1>; else og:title, else <title>. An <h1> that
// became the title is removed from the text, unless nothing would be left.
func chooseTitle(body, root *html.Node, m pageMeta, st *htmlStats) string {
	h1s := findAll(body, atom.H1, 10)
	var chosen *html.Node
	for _, h := range h1s {
		t := collapseSpace(textContent(h))
		if t != "" && (sameTitle(t, m.ogTitle) || sameTitle(t, m.title)) {
			chosen = h
			break
		}
	}
	if chosen == nil && len(h1s) == 1 {
		chosen = h1s[0]
	}
	if chosen == nil {
		if m.ogTitle != "" {
			return m.ogTitle
		}
		return m.title
	}
	title := collapseSpace(textContent(chosen))
	if title == "" {
		return firstNonEmpty(m.ogTitle, m.title)
	}
	if within(chosen, root) {
		parent, next := chosen.Parent, chosen.NextSibling
		parent.RemoveChild(chosen)
		if strings.TrimSpace(textContent(root)) == "" {
			parent.InsertBefore(chosen, next)
		} else {
			st.titleMoved = true
		}
	}
	return title
}

// sameTitle reports whether heading h is the page title t, or t is h
// with the site's name added ("Heading | Site", "Site — Heading").
func sameTitle(h, t string) bool {
	h, t = strings.ToLower(h), strings.ToLower(t)
	if h == "" || t == "" {
		return false
	}
	if h == t {
		return true
	}
	for _, sep := range []string{" | ", " - ", " – ", " — ", " :: ", " · ", " : ", " « ", " » "} {
		if strings.HasPrefix(t, h+sep) || strings.HasSuffix(t, sep+h) {
			return true
		}
	}
	return false
}

// guardTables turns tables whose grid would be much larger than their
// cells into plain blocks: the converter pads every row to the widest one
// and expands every rowspan and colspan. One-column tables, which old
// pages use for layout, become plain blocks too.
func guardTables(root *html.Node, st *htmlStats) {
	total := 0
	var tables []*html.Node
	for todo := []*html.Node{root}; len(todo) > 0; { // nested tables too
		t := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		forEachInTable(t, func(n *html.Node) {
			if n.DataAtom == atom.Table {
				tables = append(tables, n)
				todo = append(todo, n)
			}
		})
	}
	for _, t := range tables {
		rows, width, cells, span := 0, 0, 0, 0
		forEachInTable(t, func(n *html.Node) {
			switch n.DataAtom {
			case atom.Tr:
				rows++
				w := 0
				forEachInTable(n, func(c *html.Node) {
					if c.DataAtom == atom.Td || c.DataAtom == atom.Th {
						cs, rs := intAttr(c, "colspan", 1), intAttr(c, "rowspan", 1)
						w += cs
						cells++
						span = max(span, rows-1+rs)
					}
				})
				width = max(width, w)
			}
		})
		if width <= 1 { // one column: layout, not data
			flattenTable(t)
			continue
		}
		grid := max(rows, span) * width
		if grid <= maxTableGrid && grid <= 4*cells+64 && total+grid <= maxTablesGrid {
			total += grid
			continue
		}
		st.flatTables++
		flattenTable(t)
	}
}

// flattenTable turns table t into plain blocks. Its rows and cells must
// go too: the converter renders every cell below a table's row as a cell
// of that row, so cells left inside cells would repeat their text.
func flattenTable(t *html.Node) {
	forEachInTable(t, func(n *html.Node) {
		if tableParts[n.DataAtom] && n.DataAtom != atom.Table {
			rename(n, atom.Div)
		}
	})
	rename(t, atom.Div)
}

// forEachInTable calls f for the descendant elements of t down to, and
// including, the tables nested in it.
func forEachInTable(t *html.Node, f func(*html.Node)) {
	walkText(t, func(c *html.Node) bool {
		if c.Type != html.ElementNode {
			return false
		}
		f(c)
		return c.DataAtom != atom.Table
	})
}

func intAttr(n *html.Node, key string, def int) int {
	if v, err := strconv.Atoi(attr(n, key)); err == nil && v > 0 {
		return v
	}
	return def
}

// notes words what the conversion removed.
func (st *htmlStats) notes() []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if st.textOnly {
		add("the HTML is nested too deeply to read its structure; kept its text as paragraphs")
	}
	var names []string
	for k := range st.removed {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		add("removed %s", count(st.removed[k], "<"+k+"> element"))
	}
	if st.comments > 0 {
		add("removed %s", count(st.comments, "HTML comment"))
	}
	if st.formFields > 0 {
		add("removed %s", count(st.formFields, "form field"))
	}
	if st.hidden > 0 {
		add("removed %s (not shown by browsers)", count(st.hidden, "hidden element"))
	}
	if st.pixels > 0 {
		add("removed %s (1×1 images)", count(st.pixels, "tracking pixel"))
	}
	for _, m := range []struct {
		counts map[string]int
		what   string
		kept   [2]string
	}{{st.badLinks, "link", [2]string{" (kept its text)", " (kept their text)"}}, {st.badImages, "image", [2]string{}}} {
		var schemes []string
		for s := range m.counts {
			schemes = append(schemes, s)
		}
		sort.Strings(schemes)
		for _, s := range schemes {
			if n := m.counts[s]; n == 1 {
				add("dropped a %s: %s%s", s, m.what, m.kept[0])
			} else {
				add("dropped %d %s: %ss%s", n, s, m.what, m.kept[1])
			}
		}
	}
	if st.simplified > 0 {
		add("simplified %s nested too deeply (text kept)", count(st.simplified, "element"))
	}
	if st.flatTables > 0 {
		add("turned %s too large for Markdown into plain text", count(st.flatTables, "table"))
	}
	if st.narrowed != "" {
		add("kept only the page's <%s> element (dropped menus, headers and footers around it)", st.narrowed)
	}
	if st.titleMoved {
		add("moved the first <h1> heading into the title")
	}
	return out
}

// count says "1 thing" or "3 things".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}

// findElement returns the first element a in document order.
func findElement(n *html.Node, a atom.Atom) *html.Node {
	if f := findAll(n, a, 1); len(f) > 0 {
		return f[0]
	}
	return nil
}

// findAll returns up to limit elements a (all if limit < 0), not
// looking inside them.
func findAll(n *html.Node, a atom.Atom, limit int) []*html.Node {
	var out []*html.Node
	stack := []*html.Node{n.FirstChild}
	for len(stack) > 0 && (limit < 0 || len(out) < limit) {
		c := stack[len(stack)-1]
		if c == nil {
			stack = stack[:len(stack)-1]
			continue
		}
		stack[len(stack)-1] = c.NextSibling
		if c.Type == html.ElementNode && c.DataAtom == a && c.Namespace == "" {
			out = append(out, c)
			continue
		}
		stack = append(stack, c.FirstChild)
	}
	return out
}

func within(n, root *html.Node) bool {
	for ; n != nil; n = n.Parent {
		if n == root {
			return true
		}
	}
	return false
}

// walkText calls f, in document order and without recursion (pages can
// nest deeply), for each descendant of n; f says whether to descend into
// the node's children. (Not only for text: any walk of the tree.)
func walkText(n *html.Node, f func(c *html.Node) bool) {
	stack := []*html.Node{n.FirstChild}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		if c == nil {
			stack = stack[:len(stack)-1]
			continue
		}
		stack[len(stack)-1] = c.NextSibling
		if f(c) {
			stack = append(stack, c.FirstChild)
		}
	}
}

// textContent is the text of n and its descendants.
func textContent(n *html.Node) string {
	var b strings.Builder
	walkText(n, func(c *html.Node) bool {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
		return true
	})
	return b.String()
}

// textLen counts the characters of n's text other than white space.
func textLen(n *html.Node) int {
	count := 0
	walkText(n, func(c *html.Node) bool {
		if c.Type == html.TextNode {
			for _, r := range c.Data {
				if !unicode.IsSpace(r) {
					count++
				}
			}
		}
		return true
	})
	return count
}

// collapseSpace trims s and turns each run of white space into one space.
func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
