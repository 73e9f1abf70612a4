// Package markdown shows the markdown of reports: as HTML for the static
// site and the web UI, and as plain text for a terminal. It is the only
// code in Caravan that reads a report's markdown for display, so one filter
// decides what a report may link to, wherever it is read.
//
// A report is anyone's text, so the filter works on what the renderer
// itself will emit. The source is parsed once by goldmark (CommonMark with
// the GFM extensions: tables, strikethrough, task lists, bare links), the
// document tree is filtered, and only then rendered:
//
//   - a link, image or autolink keeps its target only if that target, as
//     it would be written into the page (goldmark's escapes and entities
//     resolved, then URL-escaped), starts with http:// or https://, or
//     names by its SHA-256 a blob the reader holds (Options.Blob). Any
//     other link (javascript:, data:, mailto:, nostr:, relative paths,
//     //host, #fragment...) becomes its text. Reference links are links
//     in the tree like any other, so their definitions need no care.
//   - an image is shown only from a blob the reader holds; any other image
//     becomes a link to it (an image from elsewhere would tell its server
//     who reads what), or its text if that link is not allowed either.
//   - raw HTML is dropped: inline tags disappear, the text between them
//     stays; an HTML block (which runs to the next blank line) is dropped
//     whole. Shown escaped, markup a reader never wrote as text would be
//     noise in the report; rendered, it would be the author's page.
//
// Only nodes the filter makes render as <a> or <img>: a link node it did
// not approve renders as its text, so nothing new in the tree can add a
// target behind its back.
//
// Unlink is the other direction, for text that will be published: it
// removes the syntax of links the caller names from the source itself,
// using the positions goldmark reports, and parses again to check.
package markdown

import (
	"bytes"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Blob is a blob the reader holds.
type Blob struct {
	Href  string // where its local copy is, written as is into href or src
	Image bool   // shown inline as an image
}

// Options are what a reader of reports holds.
type Options struct {
	// Blob returns the blob whose SHA-256 is sum (64 lower-case hex
	// digits), if the reader holds it. A link whose last path segment is
	// the hash, with any extension, points to Blob.Href instead. If nil,
	// no blob is held.
	Blob func(sum string) (Blob, bool)
	// DataBlob writes a held image as <img data-blob="SUM" alt="...">
	// with no src, for a page that loads blobs itself (the web UI, which
	// needs its API token to fetch them).
	DataBlob bool
}

// gm is the one goldmark configuration: the parser every reading uses
// (its link parser wrapped to report where links end, for Unlink) and the
// HTML renderer with this package's node renderers.
var gm = goldmark.New(
	goldmark.WithParser(newParser()),
	// GFM's extensions, with a table column's alignment written as an
	// align attribute: the web UI's CSP refuses style attributes, and no
	// style is written anywhere.
	goldmark.WithExtensions(extension.Linkify, extension.Strikethrough, extension.TaskList,
		extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute))),
	goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(htmlRenderer{}, 100))),
)

func newParser() parser.Parser {
	inline := parser.DefaultInlineParsers()
	for i, v := range inline {
		if v.Value == parser.NewLinkParser() {
			inline[i].Value = &linkEnds{v.Value.(parser.InlineParser)}
		}
	}
	return parser.NewParser(
		parser.WithBlockParsers(parser.DefaultBlockParsers()...),
		parser.WithInlineParsers(inline...),
		parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
	)
}

// parse reads src and filters the tree for o.
func parse(src []byte, o Options) ast.Node {
	doc := gm.Parser().Parse(text.NewReader(src))
	filter(doc, src, o)
	return doc
}

// HTML renders src as HTML, filtered as the package says.
func HTML(src string, o Options) (string, error) {
	b := shallow([]byte(strings.ToValidUTF8(src, "\uFFFD")))
	doc := parse(b, o)
	var out bytes.Buffer
	if err := gm.Renderer().Render(&out, b, doc); err != nil {
		return "", err
	}
	return out.String(), nil
}
