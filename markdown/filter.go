package markdown

import (
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/util"
)

// The nodes the filter puts in the tree. Only these render as <a> or <img>.
var (
	kindSafeLink  = ast.NewNodeKind("SafeLink")
	kindSafeImage = ast.NewNodeKind("SafeImage")
	kindPlain     = ast.NewNodeKind("Plain")
)

// safeLink is a link whose target the filter allowed; its children are
// its text.
type safeLink struct {
	ast.BaseInline
	href  string
	title []byte // as in the source: escapes and entities not resolved
	image bool   // an image shown as a link to it
}

func (n *safeLink) Kind() ast.NodeKind { return kindSafeLink }

func (n *safeLink) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"Href": n.href}, nil)
}

// safeImage is an image of a blob the reader holds.
type safeImage struct {
	ast.BaseInline
	src   string // "" with blob set: written as data-blob
	blob  string // the SHA-256, for Options.DataBlob
	alt   string
	title []byte
}

func (n *safeImage) Kind() ast.NodeKind { return kindSafeImage }

func (n *safeImage) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"Src": n.src, "Blob": n.blob, "Alt": n.alt}, nil)
}

// plain is text shown exactly as it is: the text of a link or image the
// filter turned into text.
type plain struct {
	ast.BaseInline
	text string
}

func (n *plain) Kind() ast.NodeKind { return kindPlain }

func (n *plain) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"Text": n.text}, nil)
}

// filter rewrites the tree so that it links only where o allows (see the
// package comment).
func filter(doc ast.Node, src []byte, o Options) {
	var todo []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			switch n.Kind() {
			case ast.KindLink, ast.KindImage, ast.KindAutoLink, ast.KindRawHTML, ast.KindHTMLBlock:
				todo = append(todo, n)
			}
		}
		return ast.WalkContinue, nil
	})
	// Children before their parents: an image's text is complete (its
	// links turned into text) when the image is replaced.
	for i := len(todo) - 1; i >= 0; i-- {
		n := todo[i]
		parent := n.Parent()
		if parent == nil {
			continue
		}
		switch n := n.(type) {
		case *ast.Link:
			href, _, _ := o.resolve(n.Destination, true)
			if href == "" {
				unwrap(n)
				continue
			}
			l := &safeLink{href: href, title: n.Title}
			adopt(l, n)
			parent.ReplaceChild(parent, n, l)
		case *ast.Image:
			parent.ReplaceChild(parent, n, o.image(n, src))
		case *ast.AutoLink:
			label := string(n.Label(src))
			var href string
			if n.AutoLinkType == ast.AutoLinkURL {
				href, _, _ = o.resolve(n.URL(src), false)
			}
			if href == "" {
				parent.ReplaceChild(parent, n, &plain{text: label})
				continue
			}
			l := &safeLink{href: href}
			l.AppendChild(l, &plain{text: label})
			parent.ReplaceChild(parent, n, l)
		default: // raw HTML
			parent.RemoveChild(parent, n)
		}
	}
}

// image is what an image becomes: itself if it is a held image, else a
// link to it or its text.
func (o Options) image(n *ast.Image, src []byte) ast.Node {
	alt := textOf(n, src)
	href, b, sum := o.resolve(n.Destination, true)
	switch {
	case b != nil && b.Image && o.DataBlob:
		return &safeImage{blob: sum, alt: alt}
	case b != nil && b.Image:
		return &safeImage{src: href, alt: alt, title: n.Title}
	case href != "":
		if alt == "" {
			alt = "image"
		}
		l := &safeLink{href: href, image: true}
		l.AppendChild(l, &plain{text: alt})
		return l
	}
	return &plain{text: alt}
}

// resolve returns where a link to dest may point, or "": the held blob it
// names, or dest itself if it is http or https. refs says whether dest
// may hold backslash escapes and entities (as a link's does, but not an
// autolink's). The check is on the URL as it will be written.
func (o Options) resolve(dest []byte, refs bool) (string, *Blob, string) {
	u := string(util.URLEscape(dest, refs))
	if sum := blobSum(u); sum != "" && o.Blob != nil {
		if b, ok := o.Blob(sum); ok {
			return b.Href, &b, sum
		}
	}
	if isHTTP(u) {
		return u, nil, ""
	}
	return "", nil, ""
}

// isHTTP reports whether u starts with http:// or https://.
func isHTTP(u string) bool {
	return hasPrefixFold(u, "http://") || hasPrefixFold(u, "https://")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// blobSum returns the SHA-256 (lower case) that is the last path segment
// of u, before any extension, if u is relative or http(s); else "".
func blobSum(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	if scheme, _, ok := strings.Cut(u, ":"); ok && !strings.Contains(scheme, "/") && !isHTTP(u) {
		return ""
	}
	name, _, _ := strings.Cut(u[strings.LastIndexByte(u, '/')+1:], ".")
	if len(name) != 64 || strings.IndexFunc(name, func(r rune) bool {
		return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F')
	}) >= 0 {
		return ""
	}
	return strings.ToLower(name)
}

// unwrap replaces n with its children.
func unwrap(n ast.Node) {
	parent := n.Parent()
	for c := n.FirstChild(); c != nil; {
		next := c.NextSibling()
		parent.InsertBefore(parent, n, c)
		c = next
	}
	parent.RemoveChild(parent, n)
}

// adopt moves from's children to to.
func adopt(to, from ast.Node) {
	for c := from.FirstChild(); c != nil; {
		next := c.NextSibling()
		to.AppendChild(to, c)
		c = next
	}
}

// textOf is the text n shows, without markup: escapes and entities
// resolved, except in code.
func textOf(n ast.Node, src []byte) string {
	var b strings.Builder
	var walk func(n ast.Node, code bool)
	walk = func(n ast.Node, code bool) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Text:
				v := c.Segment.Value(src)
				if !code {
					v = resolveText(v)
				}
				b.Write(v)
				if c.SoftLineBreak() || c.HardLineBreak() {
					b.WriteByte(' ')
				}
			case *ast.String:
				v := c.Value
				if !c.IsCode() && !c.IsRaw() {
					v = resolveText(v)
				}
				b.Write(v)
			case *plain:
				b.WriteString(c.text)
			case *safeImage:
				b.WriteString(c.alt)
			case *ast.CodeSpan:
				walk(c, true)
			default:
				walk(c, code)
			}
		}
	}
	walk(n, false)
	return b.String()
}

// resolveText resolves backslash escapes and entities in text, as the
// HTML renderer does when it writes text.
func resolveText(v []byte) []byte {
	v = util.UnescapePunctuations(v)
	v = util.ResolveNumericReferences(v)
	return util.ResolveEntityNames(v)
}
