package publish

import (
	"bytes"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	"golang.org/x/net/html"
)

// rendered parses md as a CommonMark renderer would and returns every
// link and image destination in it (escapes and entities resolved), and
// its raw HTML.
func rendered(md string) (dests, rawHTML []string) {
	src := []byte(md)
	doc := goldmark.New().Parser().Parse(text.NewReader(src))
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			dests = append(dests, resolveDest(n.Destination))
		case *ast.Image:
			dests = append(dests, resolveDest(n.Destination))
		case *ast.AutoLink:
			dests = append(dests, string(n.URL(src)))
		case *ast.RawHTML:
			for i := 0; i < n.Segments.Len(); i++ {
				s := n.Segments.At(i)
				rawHTML = append(rawHTML, string(s.Value(src)))
			}
		case *ast.HTMLBlock:
			for i := 0; i < n.Lines().Len(); i++ {
				s := n.Lines().At(i)
				rawHTML = append(rawHTML, string(s.Value(src)))
			}
		}
		return ast.WalkContinue, nil
	})
	return dests, rawHTML
}

// dangerous reports a destination a browser would run or that embeds
// content.
// parsedDests are the targets of the links, images and autolinks in md,
// as p reads it, with escapes and entities resolved as a renderer does.
func parsedDests(p parser.Parser, md string) []string {
	src := []byte(md)
	var dests []string
	_ = ast.Walk(p.Parse(text.NewReader(src)), func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			switch n := n.(type) {
			case *ast.Link:
				dests = append(dests, resolveDest(n.Destination))
			case *ast.Image:
				dests = append(dests, resolveDest(n.Destination))
			case *ast.AutoLink:
				dests = append(dests, string(n.URL(src)))
			}
		}
		return ast.WalkContinue, nil
	})
	return dests
}

func resolveDest(d []byte) string {
	return string(util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(d))))
}

// markdownReadings are CommonMark and GFM.
var markdownReadings = []parser.Parser{goldmark.New().Parser(), goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser()}

func dangerous(dest string) bool {
	switch schemeOf(dest) {
	case "javascript", "vbscript", "livescript", "data", "file":
		return true
	}
	return false
}

func TestHTMLToMarkdown(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"headings", "<h2>Two</h2><h3>Three</h3>", "## Two\n\n### Three"},
		{"paragraphs", "<p>One</p><p>Two</p>", "One\n\nTwo"},
		{"emphasis", "<p><em>a</em> <strong>b</strong> <code>c</code> <del>d</del></p>", "*a* **b** `c` ~~d~~"},
		{"lists", "<ul><li>a<li>b</ul><ol start=3><li>c</ol>", "- a\n- b\n\n3. c"},
		{"blockquote", "<blockquote><p>q</p></blockquote>", "> q"},
		{"link and image", `<a href="https://x.org/a b">x</a> <img src="https://x.org/i.png" alt="i">`, "[x](https://x.org/a%20b) ![i](https://x.org/i.png)"},
		{"pre", "<pre><code class=\"language-go\">a := 1\n</code></pre>", "```go\na := 1\n```"},
		{"table", "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>", "| a | b |\n|---|---|\n| 1 | 2 |"},
		{"text that looks like syntax", "<p># no * heading [x](y) `c` ~s~</p>", "\\# no * heading \\[x\\](y) \\`c\\` \\~s\\~"},
		{"broken", "<p>unclosed <b>bold <i>both</p><div>garbage </span></td> text", "unclosed **bold *both***\n\n***garbage text***"},
		{"no body", "just text & more", "just text & more"},
		{"relative with base", `<head><base href="https://example.org/dir/"></head><a href="p.html">p</a>`, "[p](https://example.org/dir/p.html)"},
		{"xmp is preformatted", "<xmp><b>raw</b></xmp>", "```\n<b>raw</b>\n```"},
		{"colspan clamped", `<table><tr><td colspan="99999999">a</td></tr><tr><td>b</td></tr></table>`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := HTMLToMarkdown(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if c.want != "" && got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

func TestHTMLToMarkdownHostile(t *testing.T) {
	in := `<html><head><script>steal()</script><style>p{}</style></head><body>
<p onclick="evil()" style="color:red">Click <a href="javascript:alert(1)">here</a>,
<a href=" JaVaScRiPt:alert(2)">there</a>, <a href="java&#x09;script:alert(3)">tab</a>,
<a href="&#106;avascript:alert(4)">entity</a>, <a href="vbscript:msgbox">vb</a>,
<a href="data:text/html;base64,PHNjcmlwdD4=">data</a>, <a href="file:///C:/Users/anna/secret.txt">file</a>
and <a href="https://ok.example/">fine</a>.</p>
<img src="data:image/png;base64,iVBORw0KGgo=" alt="inline">
<img src="https://track.example/p.gif" width="1" height="1">
<img src="https://track.example/q.gif" style="width:1px;height:1px">
<img src="javascript:alert(5)">
<iframe src="https://evil.example/"></iframe><object data="x.swf"></object><embed src="y.swf">
<div hidden>hidden text</div><div style="display: none">invisible</div>
<form action="/login"><input name=password><button>Send</button><select><option>opt</select><textarea>ta</textarea>Form words</form>
<noscript>enable js</noscript><svg><title>icon</title><path d="M0"/></svg>
<template><p>template text</p></template>
<p>[<br>](javascript:boom(6)) [<br>0]: javascript:boom(7)<br>[0]</p>
<!-- a comment --></body></html>`
	got, err := HTMLToMarkdown(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"steal", "alert", "evil", "onclick", "msgbox", "data:", "base64", "file:", "secret", "track.example", "evil.example", "swf", "hidden text", "invisible", "password", "Send", "opt", "ta\n", "enable js", "icon", "template text", "comment", "<"} {
		if strings.Contains(got, bad) {
			t.Errorf("output contains %q:\n%s", bad, got)
		}
	}
	for _, good := range []string{"Click here", "there", "tab", "entity", "vb", "data", "file", "[fine](https://ok.example/)", "Form words"} {
		if !strings.Contains(got, good) {
			t.Errorf("output lacks %q:\n%s", good, got)
		}
	}
	dests, raw := rendered(got)
	for _, d := range dests {
		if dangerous(d) {
			t.Errorf("dangerous destination %q", d)
		}
	}
	if len(raw) > 0 {
		t.Errorf("raw HTML in output: %q", raw)
	}
	r, _ := convertHTML(in)
	notes := strings.Join(r.notes, "\n")
	for _, want := range []string{"removed 1 <script> element", "removed 1 <iframe> element", "removed 1 HTML comment", "removed 2 tracking pixels", "dropped 4 javascript: links (kept their text)", "dropped a vbscript: link (kept its text)", "dropped a data: image", "dropped a javascript: image", "removed 4 form fields", "removed 2 hidden elements"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
}

// watchdog crashes the fuzzing worker, which then reports in as the
// failing input, if the call it guards takes far too long: the importer
// must never hang. It only watches while fuzzing; plain test runs have
// their timeout.
func watchdog(in any) (stop func()) {
	if f := flag.Lookup("test.fuzz"); f == nil || f.Value.String() == "" {
		return func() {}
	}
	timer := time.AfterFunc(30*time.Second, func() {
		panic(fmt.Sprintf("still running after 30s on %q", in))
	})
	return func() { timer.Stop() }
}

func TestSchemeOf(t *testing.T) {
	for in, want := range map[string]string{
		"javascript:x": "javascript", " \x01JavaScript:x": "javascript", "java\tscr\nipt:x": "javascript",
		"https://x": "https", "/path:x": "", "rel/a:b": "", "#frag": "", "": "", ":x": "",
		"mailto:a@b": "mailto", "nostr:npub1": "nostr", "java script:x": "", "1http:x": "",
	} {
		if got := schemeOf(in); got != want {
			t.Errorf("schemeOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// pathological is HTML that once took quadratic time or overflowed the
// converter, each about 1 MB.
var pathological = map[string]func() string{
	"100k nested div": func() string {
		return strings.Repeat("<div>", 100000) + "deep text" + strings.Repeat("</div>", 100000)
	},
	"50k nested b":       func() string { return strings.Repeat("<b>", 50000) + "deep text" },
	"50k nested span":    func() string { return strings.Repeat("<span>", 50000) + "deep text" },
	"50k nested table":   func() string { return strings.Repeat("<table><tr><td>", 50000) + "deep text" },
	"50k nested list":    func() string { return strings.Repeat("<ul><li>", 50000) + "deep text" },
	"50k nested dl":      func() string { return strings.Repeat("<dl><dt>x<dd>", 50000) + "deep text" },
	"50k nested a div":   func() string { return strings.Repeat("<a href=x><div>", 50000) + "deep text" },
	"50k nested em text": func() string { return strings.Repeat("<em>deep text ", 50000) },
	"50k b with attributes": func() string {
		var b strings.Builder
		for i := range 50000 {
			fmt.Fprintf(&b, "<b id=%d>", i)
		}
		return b.String() + "deep text"
	},
	"reopened formatting": func() string {
		var b strings.Builder
		for i := range 50000 {
			fmt.Fprintf(&b, "<p><b id=%d></p>", i)
		}
		return b.String() + "deep text"
	},
	"end tags the parser ignores": func() string { return strings.Repeat("<div><table><tr><td>deep text</div>", 30000) },
	"blockquotes around text": func() string {
		return strings.Repeat("<blockquote>", 500) + strings.Repeat("<p>deep text in a paragraph of some length.</p>", 20000)
	},
	"lists around text": func() string {
		return strings.Repeat("<ol><li>", 500) + strings.Repeat("<p>deep text in a paragraph of some length.</p>", 20000)
	},
	"huge spans": func() string {
		return "<table>" + strings.Repeat("<tr><td rowspan=65534 colspan=1000>deep text</td></tr>", 20000) + "</table>"
	},
	"wide and long table": func() string {
		return "<table><tr>" + strings.Repeat("<td>deep text</td>", 30000) + "</tr>" + strings.Repeat("<tr><td>y</td></tr>", 30000) + "</table>"
	},
	"huge cell, many rows": func() string {
		return "<table><tr><td>" + strings.Repeat("deep text ", 50000) + "</td></tr>" + strings.Repeat("<tr><td>y</td></tr>", 50000) + "</table>"
	},
	"markdown characters": func() string { return "<p>deep text " + strings.Repeat("*_`[]<>#\\!|~", 80000) + "</p>" },
	"one long word":       func() string { return "<p>deep text " + strings.Repeat("a", 1<<20) + "</p>" },
	"line breaks":         func() string { return "<p>deep text" + strings.Repeat("a<br>", 200000) + "</p>" },
	"unclosed comments":   func() string { return "deep text" + strings.Repeat("<!--", 200000) },
	"unclosed script":     func() string { return "deep text<script>" + strings.Repeat("<div>", 100000) },
	"nested svg":          func() string { return "deep text" + strings.Repeat("<svg>", 100000) },
	"nested math":         func() string { return strings.Repeat("<math><mi>", 50000) + "deep text" },
	"nested select":       func() string { return "deep text" + strings.Repeat("<select><option>x", 50000) },
	"nested buttons":      func() string { return "deep text" + strings.Repeat("<p><button>x</p>", 50000) },
	"nested headings":     func() string { return strings.Repeat("<h1><h2>deep text", 50000) },
}

func TestHTMLToMarkdownPathological(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	for name, gen := range pathological {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := gen()
			start := time.Now()
			out, err := HTMLToMarkdown(in)
			elapsed := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d bytes in, %d out, %v", len(in), len(out), elapsed)
			if !strings.Contains(out, "deep text") {
				t.Errorf("text lost: %.200q", out)
			}
			if len(out) > 4*len(in) {
				t.Errorf("output %d bytes for %d in", len(out), len(in))
			}
			// Linear work takes a second or two here, even under the race
			// detector; the quadratic work these inputs once caused took
			// minutes, and the test's timeout catches that. There is no
			// bound on time here, which would fail on a loaded machine;
			// the size check catches blowups.
		})
	}
}

func FuzzHTMLToMarkdown(f *testing.F) {
	for _, s := range []string{
		"<p>hello <b>world</b></p>",
		`<a href="javascript:alert(1)">x</a>`,
		`<a href=" java&#x09;script:alert(1)">x</a>`,
		"<table><tr><td rowspan=3 colspan=2>a</td></tr></table>",
		"<ul><li>a<ol><li>b</ol></ul><blockquote>q</blockquote>",
		"<pre><code>x\n</code></pre><img src=x alt=y>",
		"<div><table><td>x</div><p><b x=1></p>",
		"\a[x](javascript:alert(1))",
		"<p>[x](javascript:alert(1)) <javascript:alert(1)></p>",
		"<p>[<br>](javascript:alert(1)) *a<br>b* `c<br>d` ~~e<br>f~~</p>",
		"<a href='x' title='\"quote\"'>t</a>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		defer watchdog(in)()
		out, err := HTMLToMarkdown(in)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8: %q", out)
		}
		dests, raw := rendered(out)
		for _, d := range dests {
			if s := schemeOf(d); s == "javascript" || s == "vbscript" {
				t.Fatalf("%s: link in %q", s, out)
			}
		}
		if len(raw) > 0 {
			t.Fatalf("raw HTML %q in %q", raw, out)
		}
	})
}

// shownText renders md as a CommonMark renderer would and returns the
// text a reader sees, with white space collapsed.
func shownText(t testing.TB, md string) string {
	var buf bytes.Buffer
	if err := goldmark.Convert([]byte(md), &buf); err != nil {
		t.Fatal(err)
	}
	z := html.NewTokenizer(&buf)
	var b strings.Builder
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		if tt == html.TextToken {
			b.Write(z.Text())
			b.WriteByte(' ')
		}
	}
	return collapseSpace(b.String())
}
