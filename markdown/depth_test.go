package markdown

import (
	"strings"
	"testing"
)

// Nesting past maxParseDepth is read as text: what goldmark would take seconds
// over is shown at once, and what nests less is left exactly as it was.
func TestShallow(t *testing.T) {
	deep := strings.Repeat(">", maxParseDepth)
	cases := []struct{ in, want string }{
		{"> quote\n- item\n  1. sub\n", "> quote\n- item\n  1. sub\n"},
		{deep + " ok", deep + " ok"},
		{deep + "> x", deep + `\> x`},
		{"a\n" + deep + ">>\nb", "a\n" + deep + `\>>` + "\nb"},
		{strings.Repeat("1. ", maxParseDepth) + "2. x", strings.Repeat("1. ", maxParseDepth) + `2\. x`},
		{strings.Repeat("- ", maxParseDepth+1), strings.Repeat("- ", maxParseDepth) + `\- `},
		{strings.Repeat("> - ", maxParseDepth/2) + "> - x", strings.Repeat("> - ", maxParseDepth/2) + `\> - x`},
		{"12345 is a number, " + deep + ">", "12345 is a number, " + deep + ">"},
	}
	for _, c := range cases {
		if got := string(shallow([]byte(c.in))); got != c.want {
			t.Errorf("shallow(%.40q…) = %.60q…, want %.60q…", c.in, got, c.want)
		}
	}
}

// A report of nothing but nesting markers is shown as text past
// maxParseDepth. (Without shallow, goldmark spends seconds on these; the
// test asserts what is rendered, not how fast.)
func TestDeepNestingRendered(t *testing.T) {
	for _, src := range []string{strings.Repeat(">", 100_000), strings.Repeat("1. ", 20_000), strings.Repeat("> - ", 20_000)} {
		html, err := HTML(src, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(html, "<blockquote>") + strings.Count(html, "<li>"); n > maxParseDepth {
			t.Errorf("%.8q…: %d levels of nesting rendered, want at most %d", src, n, maxParseDepth)
		}
		text := Text(src, 80, Options{})
		if text == "" {
			t.Errorf("%.8q…: no text", src)
		}
	}
}
