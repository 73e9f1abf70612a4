package markdown

import (
	"strings"
	"testing"
)

// script is a drop rule for the tests: targets that run script or are
// data, as a browser reads them (leading spaces and controls skipped).
func script(l Link) bool {
	d := strings.ToLower(strings.Map(func(r rune) rune {
		if r <= ' ' {
			return -1
		}
		return r
	}, l.Dest))
	return strings.HasPrefix(d, "javascript:") || strings.HasPrefix(d, "vbscript:") || strings.HasPrefix(d, "data:")
}

func TestUnlink(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"inline", "Text [click](javascript:alert(1)) and [ok](https://x.org).", "Text click and [ok](https://x.org)."},
		{"image", "![img](data:image/png;base64,AAA) and ![ok](https://x.org/i.png)", "img and ![ok](https://x.org/i.png)"},
		{"title", `[t](<javascript:x> "title") [u](javascript:y 'q')`, "t u"},
		{"entity", "[nested [brackets]](JaVaScRiPt&#58;alert(4))", "nested [brackets]"},
		{"escapes", `[a](javascript\:x)`, "a"},
		{"autolink", "Auto <javascript:alert(2)> and <https://y.org>", "Auto javascript:alert(2) and <https://y.org>"},
		{"reference", "[x][r] [y][] [r]\n\n[r]: javascript:alert(5)\n[good]: https://z.org\n\n[y]: data:x", "x y r\n\n\n[good]: https://z.org\n\n"},
		{"definition on two lines", "[r]:\n  javascript:v\n\n[r]", "\n\n\nr"},
		{"across quote lines", "> [q\n> r](javascript:x) and\n> [a](\n> javascript:z) end", "> q\n> r and\n> a\n>  end"},
		{"in a list", "- [l](JAVASCRIPT:y)\n- ok", "- l\n- ok"},
		{"definition in a list", "00[0]:\n* [0]:jAvAsCript:0000", "000:\n* "},
		{"made by removal", "[][(JAVASCRIPT:)](jAvAsCript:)", ""},
		{"code is not a link", "`[x](javascript:y)`\n\n```\n[x](javascript:z)\n```", "`[x](javascript:y)`\n\n```\n[x](javascript:z)\n```"},
		{"table cell", "| a | [b](javascript:x) |\n|---|---|\n| [c|d](javascript:y) | e |", "| a | b |\n|---|---|\n| c|d | e |"},
		{"nothing to do", "Just *text* with [a](https://a.example) link.", "Just *text* with [a](https://a.example) link."},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, removed := Unlink(c.in, script)
			if got != c.want {
				t.Errorf("Unlink(%q)\n got %q\nwant %q", c.in, got, c.want)
			}
			if (got != c.in) != (len(removed) > 0) {
				t.Errorf("changed %v, removed %v", got != c.in, removed)
			}
			checkUnlinked(t, c.in, got)
		})
	}
}

// The table cell's link is a link in CommonMark, which does not know
// tables: Unlink reads the text both ways.
func TestUnlinkReadings(t *testing.T) {
	in := "| a | b |\n|---|---|\n| [c|d](javascript:y) | e |"
	got, removed := Unlink(in, script)
	// Where GFM sees no link, CommonMark does.
	if len(removed) != 1 || strings.Contains(got, "javascript:y)") {
		t.Errorf("got %q, removed %v", got, removed)
	}
}

// When removing links keeps making new ones, Unlink escapes what they
// need.
func TestUnlinkSettles(t *testing.T) {
	in := strings.Repeat("[", maxPasses+2) + strings.Repeat("](javascript:x)", maxPasses+2)
	got, _ := Unlink(in, script)
	checkUnlinked(t, in, got)
	if !strings.Contains(got, `\[`) {
		t.Errorf("settled without escaping: %q", got)
	}
	if got := escapeLinkSyntax(`a [b] \[c] \\[d] <e> \<f>`); got != `a \[b] \[c] \\\[d] \<e> \<f>` {
		t.Errorf("escapeLinkSyntax: %q", got)
	}
}

// checkUnlinked fails if script would drop a link in out, read either
// way.
func checkUnlinked(t *testing.T, in, out string) {
	t.Helper()
	for _, p := range readings {
		if _, found := unlinkIn(out, script, p); len(found) > 0 {
			t.Fatalf("Unlink(%q) = %q, which links to %q", in, out, found[0].Dest)
		}
	}
}

// FuzzUnlink checks that Unlink leaves no link it was asked to remove,
// as GFM or CommonMark reads the result, and changes nothing else.
func FuzzUnlink(f *testing.F) {
	for _, s := range []string{
		"[a\nb](javascript:x) [c]\n\n[c]: <javascript:y>\n<vbscript:z> ![i](javascript:w)",
		"`a\nb` [x](java\\script:y) [y](javascript&#58;z 'q') [z]( <javascript:w> )\n\n[r]:\n  javascript:v\n[r]",
		"> [q\n> r](javascript:x)\n- [l](JAVASCRIPT:y)\n```\n[x](javascript:z)\n```",
		"> [r]: javascript:x\n\n- [s]:\n  javascript:y\n\n[r] [s] > [a](\n> javascript:z)",
		"[](\x17JAVASCRIPT:) [](\fjavascript:x) [a](\f\x01javascript:x)\n\n[r]:\v\fjavascript:\n[r]",
		"| [a|b](javascript:x) |\n|---|\n| c |",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, removed := Unlink(in, script)
		if len(removed) == 0 && out != in {
			t.Fatalf("Unlink(%q) = %q, removing nothing", in, out)
		}
		checkUnlinked(t, in, out)
	})
}
