package publish

// Before parsing: nesting capped while the text is kept (x/net/html
// refuses documents nested deeper than 512 elements).

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

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
