package markdown

import (
	"strings"
	"testing"
)

// termOptions hold blobs as 'caravan read' names them: by file name.
var termOptions = Options{Blob: func(sum string) (Blob, bool) {
	if sum == pngHash {
		return Blob{Href: "square.png", Image: true}, true
	}
	return Blob{}, false
}}

func TestText(t *testing.T) {
	src := "# Strike\n\n" +
		"Oil workers *strike* since [2 January](https://example.org/jan \"t\"), and [not this](javascript:alert(1)) " +
		"nor <b>that</b>; see www.example.org or write to a@example.org.\n\n" +
		"![The square](https://blossom.example/" + pngHash + ".png) ![far](https://far.example/x.png) ![gone](data:image/png,x)\n\n" +
		"> A quote\n> on two lines.\n\n" +
		"- one\n- two\n  1. nested\n\n" +
		"```\ncode  stays\n```\n\n" +
		"| a | b |\n|---|---|\n| `c` | ~~d~~ |\n\n" +
		"<div>\ndropped\n</div>\n\n" +
		"[r]\n\n[r]: vbscript:x"
	want := `Strike
======

Oil workers strike since 2 January
(https://example.org/jan), and not this
nor that; see www.example.org or write to
a@example.org.

[image: The square] (square.png) [image:
far] (https://far.example/x.png) gone

> A quote on two lines.

- one
- two
  1. nested

    code  stays

| a | b |
|---|---|
| ` + "`c`" + ` | ~~d~~ |

r`
	if got := Text(src, 42, termOptions); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// A report cannot send escape sequences to the reader's terminal.
func TestTextControls(t *testing.T) {
	src := "red \x1b[31mtext\x1b[0m, title \x1b]0;owned\x07, CSI \u009b31m, DEL \x7f, BS \x08, CR \r\n\t[x\x1b[2J](https://example.org/\x1b)"
	got := Text(src, 0, Options{})
	for _, r := range got {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 {
			t.Fatalf("control character %U in %q", r, got)
		}
	}
	if !strings.Contains(got, "red [31mtext[0m") || !strings.Contains(got, "(https://example.org/%1B)") {
		t.Errorf("got %q", got)
	}
}

// Nesting deeper than maxDepth is not laid out, so the text stays about
// as long as the markdown: markers past maxParseDepth are text, wrapped
// under at most maxDepth quote marks (2 bytes each), which at most
// doubles them.
func TestTextDeepNesting(t *testing.T) {
	q := strings.Repeat(">", 1000)
	src := strings.Repeat(q+" deep\n"+q+"\n", 20) + "\n" + strings.Repeat("- ", 500) + "list"
	got := Text(src, 76, Options{})
	if len(got) > 2*len(src) || !strings.Contains(got, "deep") || !strings.Contains(got, "list") {
		t.Errorf("%d bytes from %d:\n%s", len(got), len(src), got)
	}
}

// FuzzText checks that no markdown puts a control character other than
// newline and tab in the terminal's text, and that Text ends.
func FuzzText(f *testing.F) {
	for _, s := range []string{
		"\x1b[31mred", "[a\x1b](https://e.example/\x9b)", "> q\n> - l\n>   ```\n>   c\x07\n>   ```", "| a |\n|---|\n| \x1b |",
		"![x](" + pngHash + ")", "- [x] \x1b done",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		got := Text(src, 40, termOptions)
		for _, r := range got {
			if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 {
				t.Fatalf("control character %U from %q:\n%q", r, src, got)
			}
		}
	})
}
