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

// parseLimited parses src, tightening the prepass until x/net/html
// accepts the result, and keeping only the text as a last resort.
func parseLimited(src string, st *htmlStats) *html.Node {
	for _, lim := range [][2]int{{maxOpen, maxFormatting}, {40, 16}, {10, 4}} {
		s := newHTMLStats()
		doc, err := html.Parse(strings.NewReader(prepass(src, lim[0], lim[1], s)))
		if err == nil {
			*st = *s
			return doc
		}
	}
	s := newHTMLStats()
	doc, err := html.Parse(strings.NewReader(textOnly(src, s)))
	if err != nil { // paragraphs of escaped text always parse
		doc, _ = html.Parse(strings.NewReader(""))
	}
	*st = *s
	st.textOnly = true
	return doc
}

// Element sets used by the prepass and the cleaner. The prepass mirrors
// only the parts of the HTML tree builder that open and close elements
// often in real pages; where it is wrong the parser may nest deeper than
// expected, and parseLimited retries.
var (
	dropWithContent = atomSet(atom.Script, atom.Style, atom.Noscript, atom.Iframe, atom.Noembed, atom.Noframes, atom.Svg, atom.Template)
	voidElements    = atomSet(atom.Area, atom.Base, atom.Basefont, atom.Bgsound, atom.Br, atom.Col, atom.Embed, atom.Frame, atom.Hr, atom.Image, atom.Img, atom.Input, atom.Keygen, atom.Link, atom.Meta, atom.Param, atom.Source, atom.Track, atom.Wbr)
	closesP         = atomSet(atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Center, atom.Details, atom.Dialog, atom.Dir, atom.Div, atom.Dl, atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Form, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Header, atom.Hgroup, atom.Hr, atom.Li, atom.Dd, atom.Dt, atom.Listing, atom.Main, atom.Menu, atom.Nav, atom.Ol, atom.P, atom.Pre, atom.Search, atom.Section, atom.Summary, atom.Table, atom.Ul)
	headings        = atomSet(atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6)
	formatting      = atomSet(atom.A, atom.B, atom.Big, atom.Code, atom.Em, atom.Font, atom.I, atom.Nobr, atom.S, atom.Small, atom.Strike, atom.Strong, atom.Tt, atom.U)
	scopeBoundary   = atomSet(atom.Applet, atom.Caption, atom.Html, atom.Table, atom.Td, atom.Th, atom.Marquee, atom.Object, atom.Template, atom.Math)
	buttonScope     = atomSet(atom.Applet, atom.Caption, atom.Html, atom.Table, atom.Td, atom.Th, atom.Marquee, atom.Object, atom.Template, atom.Math, atom.Button)
	listScope       = atomSet(atom.Applet, atom.Caption, atom.Html, atom.Table, atom.Td, atom.Th, atom.Marquee, atom.Object, atom.Template, atom.Math, atom.Ul, atom.Ol)
	tableScope      = atomSet(atom.Table, atom.Html, atom.Template)
	documentScope   = atomSet(atom.Html, atom.Template)
	tableParts      = atomSet(atom.Table, atom.Caption, atom.Colgroup, atom.Tbody, atom.Thead, atom.Tfoot, atom.Tr, atom.Td, atom.Th)
	listStop        = atomSet(atom.Ul, atom.Ol, atom.Menu, atom.Dl, atom.Table, atom.Td, atom.Th, atom.Html, atom.Blockquote, atom.Section, atom.Article, atom.Nav, atom.Aside, atom.Main, atom.Header, atom.Footer, atom.Figure, atom.Form, atom.Fieldset, atom.Details, atom.Dialog, atom.Center, atom.Pre, atom.Listing, atom.Template, atom.Object, atom.Applet, atom.Marquee, atom.Caption)
)

func atomSet(as ...atom.Atom) map[atom.Atom]bool {
	m := make(map[atom.Atom]bool, len(as))
	for _, a := range as {
		m[a] = true
	}
	return m
}

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// open is an element on the prepass's stack; name is set for elements
// that are not atoms (custom elements).
type open struct {
	a    atom.Atom
	name string
}

func (o open) is(a atom.Atom, name string) bool {
	return o.a == a && (a != 0 || o.name == name)
}

// nesting is the prepass's model of the parser's stack of open elements.
type nesting struct {
	stack   []open
	max     int
	maxFmt  int
	fmt     int            // formatting elements opened and not closed by an end tag
	dropped map[string]int // start tags dropped, whose end tags are dropped too
}

// find returns the index of the topmost a in the stack, searching no
// further than an element in stop, or -1.
func (n *nesting) find(a atom.Atom, name string, stop map[atom.Atom]bool) int {
	for i := len(n.stack) - 1; i >= 0; i-- {
		switch o := n.stack[i]; {
		case o.is(a, name):
			return i
		case stop[o.a]:
			return -1
		}
	}
	return -1
}

func (n *nesting) popTo(i int) {
	if i >= 0 {
		n.stack = n.stack[:i]
	}
}

// implicitEnd closes what the tree builder closes when a starts.
func (n *nesting) implicitEnd(a atom.Atom) {
	if len(n.stack) == 0 {
		return
	}
	if closesP[a] {
		n.popTo(n.find(atom.P, "", buttonScope))
	}
	if len(n.stack) == 0 {
		return
	}
	top := n.stack[len(n.stack)-1].a
	switch {
	case headings[a] && headings[top]:
		n.popTo(len(n.stack) - 1)
	case a == atom.Li:
		n.popTo(n.find(atom.Li, "", listStop))
	case a == atom.Dd || a == atom.Dt:
		n.popTo(max(n.find(atom.Dd, "", listStop), n.find(atom.Dt, "", listStop)))
	case a == atom.Option || a == atom.Optgroup:
		if top == atom.Option {
			n.popTo(len(n.stack) - 1)
		}
	case a == atom.Td || a == atom.Th:
		n.popTo(max(n.find(atom.Td, "", tableScope), n.find(atom.Th, "", tableScope)))
	case a == atom.Tr:
		n.popTo(n.find(atom.Tr, "", tableScope))
	case a == atom.Tbody || a == atom.Thead || a == atom.Tfoot:
		n.popTo(max(n.find(atom.Tbody, "", tableScope), n.find(atom.Thead, "", tableScope), n.find(atom.Tfoot, "", tableScope)))
	case a == atom.A || a == atom.Nobr:
		// The adoption agency closes the open one; approximate by
		// forgetting it.
		if i := n.find(a, "", tableScope); i >= 0 {
			n.stack = append(n.stack[:i], n.stack[i+1:]...)
		}
	case a == atom.Button:
		n.popTo(n.find(atom.Button, "", scopeBoundary))
	}
}

// start records a start tag and reports whether to keep it.
func (n *nesting) start(a atom.Atom, name string) bool {
	n.implicitEnd(a)
	if len(n.stack) >= n.max || formatting[a] && n.fmt >= n.maxFmt {
		n.dropped[name]++
		return false
	}
	o := open{a: a}
	if a == 0 {
		o.name = name
	}
	n.stack = append(n.stack, o)
	if formatting[a] {
		n.fmt++
	}
	return true
}

// end records an end tag and reports whether to keep it.
func (n *nesting) end(a atom.Atom, name string) bool {
	if n.dropped[name] > 0 {
		n.dropped[name]--
		return false
	}
	if formatting[a] && n.fmt > 0 {
		n.fmt--
	}
	stop := scopeBoundary
	switch {
	case a == atom.Table:
		stop = documentScope
	case tableParts[a]:
		stop = tableScope
	case a == atom.P:
		stop = buttonScope
	case a == atom.Li:
		stop = listScope
	}
	n.popTo(n.find(a, name, stop))
	return true
}

// prepass re-serialises src token by token; see the comment on maxOpen.
func prepass(src string, maxOpen, maxFmt int, st *htmlStats) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	b.Grow(len(src) + len(src)/8)
	n := &nesting{max: maxOpen, maxFmt: maxFmt, dropped: map[string]int{}}
	foreign := 0 // open <math> elements, where "/>" closes
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			b.WriteString(html.EscapeString(string(z.Text())))
		case html.CommentToken:
			if d := z.Text(); len(d) == 0 || d[0] != '?' && d[0] != '[' { // not <?xml ...?> or <![CDATA[
				st.comments++
			}
		case html.DoctypeToken:
			b.WriteString(z.Token().String())
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if dropWithContent[tok.DataAtom] {
				st.removed[tok.Data]++
				skipElement(z, tok.Data)
				continue
			}
			if tok.DataAtom == atom.Xmp || tok.DataAtom == atom.Plaintext { // raw text: the text is escaped now
				tok.Data, tok.DataAtom = "pre", atom.Pre
			}
			switch a := tok.DataAtom; {
			case a == atom.Html || a == atom.Head || a == atom.Body || voidElements[a]:
			case tt == html.SelfClosingTagToken && foreign > 0:
			case a == atom.Form && n.find(atom.Form, "", documentScope) >= 0:
				continue // the parser ignores nested forms
			case !n.start(a, tok.Data):
				st.simplified++
				continue
			case a == atom.Math:
				foreign++
			}
			b.WriteString(tok.String())
		case html.EndTagToken:
			tok := z.Token()
			if tok.DataAtom == atom.Xmp || tok.DataAtom == atom.Plaintext {
				tok.Data, tok.DataAtom = "pre", atom.Pre
			}
			a := tok.DataAtom
			if a != atom.Html && a != atom.Body && a != atom.Head && !n.end(a, tok.Data) {
				continue
			}
			if a == atom.Math && foreign > 0 {
				foreign--
			}
			b.WriteString(tok.String())
		}
	}
}

// skipElement consumes tokens up to the end tag of name, counting nested
// elements of the same name (inline SVG nests; raw text elements do not).
func skipElement(z *html.Tokenizer, name string) {
	depth := 1
	for depth > 0 {
		switch z.Next() {
		case html.ErrorToken:
			return
		case html.StartTagToken:
			if n, _ := z.TagName(); string(n) == name {
				depth++
			}
		case html.EndTagToken:
			if n, _ := z.TagName(); string(n) == name {
				depth--
			}
		}
	}
}

// textOnly keeps the text of src, a paragraph per block element.
func textOnly(src string, st *htmlStats) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	b.WriteString("<body><p>")
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			b.WriteString("</p></body>")
			return b.String()
		case html.TextToken:
			b.WriteString(html.EscapeString(string(z.Text())))
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			n, _ := z.TagName()
			name := string(n)
			if a := atom.Lookup(n); dropWithContent[a] && tt != html.EndTagToken {
				st.removed[name]++
				skipElement(z, name)
			} else if a == atom.Br || closesP[a] || tableParts[a] {
				b.WriteString("</p><p>")
			}
		case html.CommentToken:
			st.comments++
		}
	}
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

// walk is where the cleaner is in the tree.
type walk struct {
	depth     int
	indent    int  // blockquotes and lists around
	tables    int  // tables around
	flatLists bool // inside a list turned into plain blocks
}

type cleaner struct {
	stats *htmlStats
}

// clean cleans the children of n. Recursion is bounded by maxDepth.
func (c *cleaner) clean(n *html.Node, w walk) {
	for ch := n.FirstChild; ch != nil; {
		next := ch.NextSibling
		switch ch.Type {
		case html.CommentNode:
			c.stats.comments++
			n.RemoveChild(ch)
		case html.TextNode:
			ch.Data = cleanControls(ch.Data)
		case html.ElementNode:
			switch c.element(ch) {
			case drop:
				n.RemoveChild(ch)
			case unwrap:
				first := ch.FirstChild
				for k := ch.FirstChild; k != nil; {
					kn := k.NextSibling
					ch.RemoveChild(k)
					n.InsertBefore(k, ch)
					k = kn
				}
				n.RemoveChild(ch)
				if first != nil {
					next = first
				}
			case keep:
				inner := w
				inner.depth++
				switch {
				case inner.depth >= maxDepth:
					flatten(ch)
					c.stats.simplified++
				case ch.DataAtom == atom.Blockquote || ch.DataAtom == atom.Ul || ch.DataAtom == atom.Ol:
					inner.indent++
					if inner.indent > maxIndent {
						rename(ch, atom.Div)
						inner.flatLists = true
						c.stats.simplified++
					}
					c.clean(ch, inner)
				case ch.DataAtom == atom.Table:
					inner.tables++
					if inner.tables > maxTableNest {
						flattenTable(ch)
						c.stats.simplified++
					}
					c.clean(ch, inner)
				case ch.DataAtom == atom.Li && w.flatLists:
					rename(ch, atom.Div)
					c.clean(ch, inner)
				default:
					c.clean(ch, inner)
				}
			}
		}
		ch = next
	}
}

type action int

const (
	keep action = iota
	drop
	unwrap
)

// Elements removed with their content; the prepass has already taken
// scripts, styles, frames and inline SVG.
var removeElements = setOf("object", "embed", "applet", "frame", "frameset", "canvas", "audio", "video", "source", "track", "map", "area", "link", "meta", "base", "param", "head", "title", "nav", "template", "script", "style", "noscript", "iframe", "noembed", "noframes", "svg")

// metadata elements are removed without a note: they show nothing.
var metadata = setOf("head", "title", "meta", "link", "base", "param", "source", "track", "area", "map")

var formFields = setOf("input", "button", "select", "textarea", "option", "optgroup", "datalist", "output", "keygen", "progress", "meter")

// element decides what happens to one element and cleans its attributes.
func (c *cleaner) element(n *html.Node) action {
	name := n.Data
	if n.Namespace == "svg" {
		c.stats.removed["svg"]++
		return drop
	}
	switch {
	case removeElements[name]:
		if !metadata[name] {
			c.stats.removed[name]++
		}
		return drop
	case formFields[name]:
		c.stats.formFields++
		return drop
	case name == "form" || name == "label":
		// Whole ASP.NET pages sit inside one <form>: keep its text.
		return unwrap
	case isHidden(n):
		c.stats.hidden++
		return drop
	}
	switch n.DataAtom {
	case atom.A:
		href := attr(n, "href")
		if s := blockedScheme(href, false); s != "" {
			c.stats.badLinks[s]++
			return unwrap
		}
		keepAttrs(n, "href", "title")
	case atom.Img:
		return c.image(n)
	case atom.Td, atom.Th:
		keepAttrs(n, "colspan", "rowspan", "align")
		clampAttr(n, "colspan", 1, maxColspan)
		clampAttr(n, "rowspan", 1, maxRowspan)
	case atom.Ol:
		keepAttrs(n, "start")
		clampAttr(n, "start", 0, maxListStart)
	case atom.Pre, atom.Code:
		keepAttrs(n, "class") // language-go and the like
	default:
		n.Attr = nil
	}
	return keep
}

func (c *cleaner) image(n *html.Node) action {
	src := strings.TrimSpace(attr(n, "src"))
	// Lazy-loading pages keep the real picture in data-src and a
	// placeholder (often a 1x1 data: GIF) in src.
	for _, k := range []string{"data-src", "data-original", "data-lazy-src"} {
		if v := strings.TrimSpace(attr(n, k)); hasScheme(v, "http") || hasScheme(v, "https") {
			src = v
			break
		}
	}
	if src == "" {
		if f := strings.Fields(attr(n, "srcset")); len(f) > 0 {
			src = f[0]
		}
	}
	if isPixel(n) && !strings.Contains(attr(n, "data-src"), "://") {
		c.stats.pixels++
		return drop
	}
	if src == "" {
		return drop
	}
	if s := blockedScheme(src, true); s != "" {
		c.stats.badImages[s]++
		return drop
	}
	alt, title := attr(n, "alt"), attr(n, "title")
	n.Attr = []html.Attribute{{Key: "src", Val: src}}
	if alt != "" {
		n.Attr = append(n.Attr, html.Attribute{Key: "alt", Val: cleanControls(alt)})
	}
	if title != "" {
		n.Attr = append(n.Attr, html.Attribute{Key: "title", Val: cleanControls(title)})
	}
	return keep
}

// isPixel reports a 1x1 (or smaller) image, the usual tracking pixel.
func isPixel(n *html.Node) bool {
	small := func(v string) bool {
		v = strings.TrimSuffix(strings.TrimSpace(strings.ToLower(v)), "px")
		i, err := strconv.Atoi(strings.TrimSpace(v))
		return err == nil && i <= 1
	}
	style := strings.ReplaceAll(strings.ToLower(attr(n, "style")), " ", "")
	w := small(attr(n, "width")) || strings.Contains(style, "width:1px") || strings.Contains(style, "width:0")
	h := small(attr(n, "height")) || strings.Contains(style, "height:1px") || strings.Contains(style, "height:0")
	return w && h
}

func isHidden(n *html.Node) bool {
	for _, a := range n.Attr {
		switch a.Key {
		case "hidden":
			return true
		case "aria-hidden":
			if strings.EqualFold(strings.TrimSpace(a.Val), "true") {
				return true
			}
		case "style":
			s := strings.ReplaceAll(strings.ToLower(a.Val), " ", "")
			if strings.Contains(s, "display:none") || strings.Contains(s, "visibility:hidden") {
				return true
			}
		}
	}
	return false
}

// blockedScheme returns the scheme of a URL a report must not link to,
// or "". Links may use any other scheme (https:, mailto:, nostr:, tg:...);
// images only http: and https: (or a relative address). file: is blocked
// because it leaks paths from the author's disk, such as their user name.
func blockedScheme(raw string, image bool) string {
	s := schemeOf(raw)
	switch s {
	case "":
		return ""
	case "javascript", "vbscript", "livescript", "data", "file", "blob", "filesystem", "jar", "about", "view-source":
		return s
	case "http", "https":
		return ""
	}
	if image {
		return s
	}
	return ""
}

// schemeOf returns the lower-case scheme of a URL as a browser reads it:
// leading spaces and control characters are skipped and tabs and
// newlines inside are ignored, so "java\tscript:" is "javascript".
func schemeOf(raw string) string {
	raw = strings.TrimLeft(raw, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	var b strings.Builder
	for i := 0; i < len(raw) && b.Len() < 32; i++ {
		c := raw[i]
		switch {
		case c == '\t' || c == '\n' || c == '\r':
		case c == ':':
			if b.Len() == 0 {
				return ""
			}
			return strings.ToLower(b.String())
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || b.Len() > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
			b.WriteByte(c)
		default:
			return ""
		}
	}
	return ""
}

func hasScheme(u, scheme string) bool { return schemeOf(u) == scheme }

func keepAttrs(n *html.Node, keys ...string) {
	out := n.Attr[:0]
	for _, a := range n.Attr {
		for _, k := range keys {
			if a.Namespace == "" && a.Key == k {
				a.Val = cleanControls(a.Val)
				out = append(out, a)
				break
			}
		}
	}
	n.Attr = out
}

// clampAttr keeps a numeric attribute within [lo, hi] and removes it if
// it is not a number.
func clampAttr(n *html.Node, key string, lo, hi int) {
	for i, a := range n.Attr {
		if a.Key != key {
			continue
		}
		v, err := strconv.Atoi(strings.TrimSpace(a.Val))
		if err != nil {
			n.Attr = append(n.Attr[:i], n.Attr[i+1:]...)
			return
		}
		n.Attr[i].Val = strconv.Itoa(min(max(v, lo), hi))
		return
	}
}

func rename(n *html.Node, a atom.Atom) {
	n.DataAtom, n.Data = a, a.String()
	n.Attr = nil
}

// flatten replaces the children of n with their text, without recursion.
func flatten(n *html.Node) {
	var b strings.Builder
	stack := []*html.Node{n.FirstChild}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		if c == nil {
			stack = stack[:len(stack)-1]
			continue
		}
		stack[len(stack)-1] = c.NextSibling
		switch {
		case c.Type == html.TextNode:
			b.WriteString(cleanControls(c.Data))
		case c.Type == html.ElementNode && !removeElements[c.Data] && !formFields[c.Data] && !isHidden(c):
			if closesP[c.DataAtom] || c.DataAtom == atom.Br || tableParts[c.DataAtom] {
				b.WriteByte(' ')
			}
			stack = append(stack, c.FirstChild)
		}
	}
	for c := n.FirstChild; c != nil; c = n.FirstChild {
		n.RemoveChild(c)
	}
	n.AppendChild(&html.Node{Type: html.TextNode, Data: b.String()})
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
	stack := []*html.Node{t.FirstChild}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		if c == nil {
			stack = stack[:len(stack)-1]
			continue
		}
		stack[len(stack)-1] = c.NextSibling
		if c.Type != html.ElementNode {
			continue
		}
		f(c)
		if c.DataAtom != atom.Table {
			stack = append(stack, c.FirstChild)
		}
	}
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

// textContent is the text of n and its descendants.
func textContent(n *html.Node) string {
	var b strings.Builder
	stack := []*html.Node{n.FirstChild}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		if c == nil {
			stack = stack[:len(stack)-1]
			continue
		}
		stack[len(stack)-1] = c.NextSibling
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
		stack = append(stack, c.FirstChild)
	}
	return b.String()
}

// textLen counts the characters of n's text other than white space.
func textLen(n *html.Node) int {
	count := 0
	stack := []*html.Node{n.FirstChild}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		if c == nil {
			stack = stack[:len(stack)-1]
			continue
		}
		stack[len(stack)-1] = c.NextSibling
		if c.Type == html.TextNode {
			for _, r := range c.Data {
				if !unicode.IsSpace(r) {
					count++
				}
			}
		}
		stack = append(stack, c.FirstChild)
	}
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
