package markdown

import (
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// htmlRenderer renders the filter's nodes, and renders the nodes it
// replaces, should one be left, as text: goldmark's own renderers would
// write their targets and raw HTML.
type htmlRenderer struct{}

func (htmlRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindSafeLink, renderSafeLink)
	reg.Register(kindSafeImage, renderSafeImage)
	reg.Register(kindPlain, renderPlain)
	reg.Register(ast.KindLink, renderChildren)
	reg.Register(ast.KindImage, renderChildren)
	reg.Register(ast.KindAutoLink, renderAutoLinkText)
	reg.Register(ast.KindRawHTML, renderNothing)
	reg.Register(ast.KindHTMLBlock, renderNothing)
}

func renderChildren(util.BufWriter, []byte, ast.Node, bool) (ast.WalkStatus, error) {
	return ast.WalkContinue, nil
}

func renderNothing(util.BufWriter, []byte, ast.Node, bool) (ast.WalkStatus, error) {
	return ast.WalkSkipChildren, nil
}

func renderAutoLinkText(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		_, _ = w.Write(util.EscapeHTML(node.(*ast.AutoLink).Label(src)))
	}
	return ast.WalkSkipChildren, nil
}

func renderSafeLink(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*safeLink)
	if !entering {
		_, _ = w.WriteString("</a>")
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString("<a")
	if n.image {
		_, _ = w.WriteString(` class="image-link"`)
	}
	_, _ = w.WriteString(` href="`)
	_, _ = w.Write(util.EscapeHTML([]byte(n.href)))
	_ = w.WriteByte('"')
	if n.title != nil {
		_, _ = w.WriteString(` title="`)
		html.DefaultWriter.Write(w, n.title)
		_ = w.WriteByte('"')
	}
	_ = w.WriteByte('>')
	return ast.WalkContinue, nil
}

func renderSafeImage(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*safeImage)
	if n.src == "" {
		_, _ = w.WriteString(`<img data-blob="`)
		_, _ = w.Write(util.EscapeHTML([]byte(n.blob)))
	} else {
		_, _ = w.WriteString(`<img src="`)
		_, _ = w.Write(util.EscapeHTML([]byte(n.src)))
	}
	_, _ = w.WriteString(`" alt="`)
	_, _ = w.Write(util.EscapeHTML([]byte(n.alt)))
	_ = w.WriteByte('"')
	if n.src != "" {
		if n.title != nil {
			_, _ = w.WriteString(` title="`)
			html.DefaultWriter.Write(w, n.title)
			_ = w.WriteByte('"')
		}
		_, _ = w.WriteString(` loading="lazy"`)
	}
	_ = w.WriteByte('>')
	return ast.WalkSkipChildren, nil
}

func renderPlain(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		_, _ = w.Write(util.EscapeHTML([]byte(node.(*plain).text)))
	}
	return ast.WalkSkipChildren, nil
}
