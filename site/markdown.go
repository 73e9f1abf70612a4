package site

import (
	"bytes"
	"html/template"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// Markdown is rendered by goldmark (CommonMark with GFM tables,
// strikethrough, task lists and bare links) in its safe mode, which
// replaces raw HTML with a comment. Links and images go through
// linkRenderer, which is stricter than goldmark's own filter:
//
//   - a URL whose last path segment is the SHA-256 of a blob the site
//     holds (optionally with an extension) points to the local copy;
//   - otherwise only http, https, mailto and nostr URLs and #fragments are
//     kept; a link to anything else (javascript:, data:, relative paths
//     that mean nothing on this site...) is dropped and its text kept;
//   - an image is shown only from the local copy of a blob: any other
//     image becomes a link, so that opening a page fetches nothing from
//     anywhere else (a remote image would tell its server who reads what).
func newMarkdown(blobs map[string]*blob, prefix string) goldmark.Markdown {
	return markdownWith(&linkRenderer{blobs: blobs, prefix: prefix})
}

func markdownWith(lr *linkRenderer) goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithRendererOptions(
			renderer.WithNodeRenderers(util.Prioritized(lr, 100)),
		),
	)
}

// RenderForUI renders a report's markdown for the web UI, with the same
// rules as the site. The UI fetches blobs with its API token, so an
// image of a held blob is written as <img data-blob="SHA256" alt="...">
// with no src, for the UI to fill in; held maps each held blob's hash to
// whether it is an image. A link to a held blob points to "#blob/SHA256".
func RenderForUI(src string, held map[string]bool) (string, error) {
	blobs := make(map[string]*blob, len(held))
	for sum, image := range held {
		blobs[sum] = &blob{hash: sum, file: "#blob/" + sum, image: image, state: blobOK}
	}
	h, err := render(markdownWith(&linkRenderer{blobs: blobs, dataBlob: true}), src)
	return string(h), err
}

// render converts markdown to HTML.
func render(md goldmark.Markdown, src string) (template.HTML, error) {
	var b bytes.Buffer
	if err := md.Convert([]byte(src), &b); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil
}

type linkRenderer struct {
	blobs    map[string]*blob
	prefix   string // from the page to the site root
	dataBlob bool   // images as data-blob="hash" (RenderForUI)
}

func (r *linkRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindLink, r.link)
	reg.Register(ast.KindAutoLink, r.autoLink)
	reg.Register(ast.KindImage, r.image)
}

// resolve returns where a link to dest should point, "" to drop it, and
// the local blob it names, if any.
func (r *linkRenderer) resolve(dest []byte) (string, *blob) {
	if b := r.blobFor(string(dest)); b != nil {
		return r.prefix + b.file, b
	}
	u := util.URLEscape(dest, true)
	if !safeURL(string(u)) {
		return "", nil
	}
	return string(u), nil
}

// blobFor returns the published blob whose hash is the last path segment
// of u, or nil.
func (r *linkRenderer) blobFor(u string) *blob {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	u = u[strings.LastIndexByte(u, '/')+1:]
	name, _, _ := strings.Cut(u, ".")
	if len(name) != 64 {
		return nil
	}
	b := r.blobs[strings.ToLower(name)]
	if b == nil || b.state != blobOK {
		return nil
	}
	return b
}

// safeURL reports whether u (URL-escaped) may be a link target.
func safeURL(u string) bool {
	if strings.HasPrefix(u, "#") {
		return true
	}
	scheme, _, ok := strings.Cut(u, ":")
	if !ok || strings.ContainsAny(scheme, "/?#") {
		return false // relative: means nothing on this site
	}
	switch strings.ToLower(scheme) {
	case "http", "https", "mailto", "nostr":
		return true
	}
	return false
}

func (r *linkRenderer) link(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Link)
	href, _ := r.resolve(n.Destination)
	if href == "" {
		return ast.WalkContinue, nil // children are rendered as plain text
	}
	if !entering {
		_, _ = w.WriteString("</a>")
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString(`<a href="`)
	_, _ = w.Write(util.EscapeHTML([]byte(href)))
	_ = w.WriteByte('"')
	if n.Title != nil {
		_, _ = w.WriteString(` title="`)
		html.DefaultWriter.Write(w, n.Title)
		_ = w.WriteByte('"')
	}
	_ = w.WriteByte('>')
	return ast.WalkContinue, nil
}

func (r *linkRenderer) autoLink(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.AutoLink)
	if !entering {
		return ast.WalkContinue, nil
	}
	u := n.URL(src)
	if n.AutoLinkType == ast.AutoLinkEmail && !bytes.HasPrefix(bytes.ToLower(u), []byte("mailto:")) {
		u = append([]byte("mailto:"), u...)
	}
	label := util.EscapeHTML(n.Label(src))
	href, _ := r.resolve(u)
	if href == "" {
		_, _ = w.Write(label)
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString(`<a href="`)
	_, _ = w.Write(util.EscapeHTML([]byte(href)))
	_, _ = w.WriteString(`">`)
	_, _ = w.Write(label)
	_, _ = w.WriteString(`</a>`)
	return ast.WalkContinue, nil
}

func (r *linkRenderer) image(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.Image)
	alt := altText(n, src)
	href, b := r.resolve(n.Destination)
	switch {
	case b != nil && b.image && r.dataBlob:
		_, _ = w.WriteString(`<img data-blob="`)
		_, _ = w.WriteString(b.hash)
		_, _ = w.WriteString(`" alt="`)
		html.DefaultWriter.Write(w, alt)
		_, _ = w.WriteString(`">`)
	case b != nil && b.image:
		_, _ = w.WriteString(`<img src="`)
		_, _ = w.Write(util.EscapeHTML([]byte(href)))
		_, _ = w.WriteString(`" alt="`)
		html.DefaultWriter.Write(w, alt)
		_ = w.WriteByte('"')
		if n.Title != nil {
			_, _ = w.WriteString(` title="`)
			html.DefaultWriter.Write(w, n.Title)
			_ = w.WriteByte('"')
		}
		_, _ = w.WriteString(` loading="lazy">`)
	case href != "":
		if len(alt) == 0 {
			alt = []byte("image")
		}
		_, _ = w.WriteString(`<a class="image-link" href="`)
		_, _ = w.Write(util.EscapeHTML([]byte(href)))
		_, _ = w.WriteString(`">`)
		html.DefaultWriter.Write(w, alt)
		_, _ = w.WriteString(`</a>`)
	default:
		html.DefaultWriter.Write(w, alt)
	}
	return ast.WalkSkipChildren, nil
}

// altText is the text inside an image's brackets, without markup.
func altText(n ast.Node, src []byte) []byte {
	var b []byte
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			b = append(b, c.Segment.Value(src)...)
			if c.SoftLineBreak() {
				b = append(b, ' ')
			}
		case *ast.String:
			b = append(b, c.Value...)
		default:
			b = append(b, altText(c, src)...)
		}
	}
	return b
}
