package publish

// Cleaning the parsed page: what is dropped (scripts, forms, frames,
// tracking pixels, hidden elements, dangerous links) and what is kept.

import (
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

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
	walkText(n, func(c *html.Node) bool {
		switch {
		case c.Type == html.TextNode:
			b.WriteString(cleanControls(c.Data))
		case c.Type == html.ElementNode && !removeElements[c.Data] && !formFields[c.Data] && !isHidden(c):
			if closesP[c.DataAtom] || c.DataAtom == atom.Br || tableParts[c.DataAtom] {
				b.WriteByte(' ')
			}
			return true
		}
		return false
	})
	for c := n.FirstChild; c != nil; c = n.FirstChild {
		n.RemoveChild(c)
	}
	n.AppendChild(&html.Node{Type: html.TextNode, Data: b.String()})
}
