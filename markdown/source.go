package markdown

import (
	"slices"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// A Link is a link, image, autolink or link reference definition in
// markdown source, as goldmark reads it.
type Link struct {
	// Dest is the target with backslash escapes and entities resolved:
	// what a renderer that does not URL-escape would write.
	Dest       string
	Image      bool
	Definition bool // a link reference definition, which shows nothing itself
}

// maxPasses bounds Unlink's rewriting: removing a link can make a new
// one of what is left ("[][(javascript:)](javascript:)"), which the next
// pass removes.
const maxPasses = 8

// Unlink removes from src the syntax of every link, image, <autolink>
// and link reference definition for which drop returns true, keeping the
// text they show, and returns what it removed. Addresses in bare text,
// which GFM shows as links (http, https, ftp, www., e-mail), are text in
// the source and are not offered to drop.
//
// It edits only where goldmark says the syntax is, then parses the result
// again, until nothing is left to drop. Should that not settle within a
// few passes, every '[' and '<' not already escaped is escaped, which
// leaves no link syntax at all. Line breaks are kept, so line numbers
// stay the same.
func Unlink(src string, drop func(Link) bool) (string, []Link) {
	src = string(shallow([]byte(src)))
	var removed []Link
	for range maxPasses {
		next, found := unlinkOnce(src, drop)
		if len(found) == 0 {
			return src, removed
		}
		removed = append(removed, found...)
		if next == src { // found, but nowhere to edit
			return escapeLinkSyntax(src), removed
		}
		src = next
	}
	_, found := unlinkOnce(src, drop)
	if len(found) == 0 {
		return src, removed
	}
	return escapeLinkSyntax(src), append(removed, found...)
}

// readings are the ways the text is read: GFM as Caravan shows it, and
// plain CommonMark, as other Nostr apps may (a GFM table cell can split
// what CommonMark reads as one link).
var readings = []parser.Parser{gm.Parser(), newParser()}

var endsKey = parser.NewContextKey()

// linkEnds is goldmark's link parser, noting where each link's closing
// part ("](dest "title")", "][ref]" or "]") starts and ends when asked to.
type linkEnds struct {
	parser.InlineParser
}

func (p *linkEnds) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	ends, _ := pc.Get(endsKey).(map[ast.Node][2]int)
	_, seg := block.PeekLine()
	start := seg.Start
	n := p.InlineParser.Parse(parent, block, pc)
	if ends != nil && n != nil && (n.Kind() == ast.KindLink || n.Kind() == ast.KindImage) {
		_, seg := block.Position()
		ends[n] = [2]int{start, seg.Start}
	}
	return n
}

func (p *linkEnds) CloseBlock(parent ast.Node, block text.Reader, pc parser.Context) {
	if cb, ok := p.InlineParser.(parser.CloseBlocker); ok {
		cb.CloseBlock(parent, block, pc)
	}
}

// unlinkOnce removes what drop names, as the first reading that finds
// something reads src.
func unlinkOnce(src string, drop func(Link) bool) (string, []Link) {
	for _, p := range readings {
		if next, found := unlinkIn(src, drop, p); len(found) > 0 {
			return next, found
		}
	}
	return src, nil
}

// unlinkIn removes what drop names, as p reads src.
func unlinkIn(src string, drop func(Link) bool, p parser.Parser) (string, []Link) {
	b := []byte(src)
	ends := map[ast.Node][2]int{}
	pc := parser.NewContext()
	pc.Set(endsKey, ends)
	doc := p.Parse(text.NewReader(b), parser.WithContext(pc))
	var found []Link
	var cuts [][2]int // byte ranges to remove
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			l := Link{Dest: string(resolveText(n.Destination))}
			if drop(l) {
				found = append(found, l)
				cuts = append(cuts, linkCuts(b, n, 1, n.Reference != nil, ends)...)
			}
		case *ast.Image:
			l := Link{Dest: string(resolveText(n.Destination)), Image: true}
			if drop(l) {
				found = append(found, l)
				cuts = append(cuts, linkCuts(b, n, 2, n.Reference != nil, ends)...)
			}
		case *ast.AutoLink:
			p := n.Pos()
			if p < 0 || p >= len(b) || b[p] != '<' {
				return ast.WalkContinue, nil // an address in bare text
			}
			l := Link{Dest: string(n.URL(b))}
			if !drop(l) {
				return ast.WalkContinue, nil
			}
			found = append(found, l)
			if end := p + 1 + len(n.Label(b)); end < len(b) && b[end] == '>' {
				cuts = append(cuts, [2]int{p, p + 1}, [2]int{end, end + 1})
			}
		case *ast.LinkReferenceDefinition:
			l := Link{Dest: string(resolveText(n.Destination)), Definition: true}
			if !drop(l) {
				return ast.WalkSkipChildren, nil
			}
			found = append(found, l)
			for i := range n.Lines().Len() {
				s := n.Lines().At(i)
				cuts = append(cuts, [2]int{s.Start, s.Stop})
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return cut(src, cuts), found
}

// linkCuts returns the ranges of a link's (or, with open 2, an image's)
// syntax around its text: the opening "[" (or "![") at its position, and
// its closing part as the link parser noted it. ref says whether that
// ends with "]" rather than ")".
func linkCuts(b []byte, n ast.Node, open int, ref bool, ends map[ast.Node][2]int) [][2]int {
	p := n.Pos()
	e, ok := ends[n]
	if !ok || p < 0 || p+open > len(b) || b[p+open-1] != '[' || e[0] >= len(b) || b[e[0]] != ']' {
		return nil
	}
	// The parser may stop at the start of the next line: the closing part
	// ends at its last ")" or "]".
	last := byte(')')
	if ref {
		last = ']'
	}
	end := min(e[1], len(b))
	for end > e[0] && b[end-1] != last {
		end--
	}
	if end <= e[0] {
		return nil
	}
	return [][2]int{{p, p + open}, {e[0], end}}
}

// cut removes the ranges from src, except for line breaks and the quote
// markers and indentation after them, so that lines stay lines of the
// same blocks.
func cut(src string, cuts [][2]int) string {
	if len(cuts) == 0 {
		return src
	}
	slices.SortFunc(cuts, func(a, b [2]int) int { return a[0] - b[0] })
	var out strings.Builder
	out.Grow(len(src))
	done := 0
	for _, c := range cuts {
		if c[0] < done || c[1] > len(src) || c[0] >= c[1] {
			continue // overlapping or out of range: never from goldmark
		}
		out.WriteString(src[done:c[0]])
		for i := c[0]; i < c[1]; i++ {
			if src[i] == '\n' || src[i] == '\r' {
				out.WriteByte(src[i])
				for i+1 < c[1] && strings.IndexByte(" \t>", src[i+1]) >= 0 {
					i++
					out.WriteByte(src[i])
				}
			}
		}
		done = c[1]
	}
	out.WriteString(src[done:])
	return out.String()
}

// escapeLinkSyntax escapes every '[' and '<' that is not already
// escaped. Every link, image, autolink and definition needs one of them.
func escapeLinkSyntax(src string) string {
	var out strings.Builder
	out.Grow(len(src) + len(src)/8)
	backslashes := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		if (c == '[' || c == '<') && backslashes%2 == 0 {
			out.WriteByte('\\')
		}
		if c == '\\' {
			backslashes++
		} else {
			backslashes = 0
		}
		out.WriteByte(c)
	}
	return out.String()
}
