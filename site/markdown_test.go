package site

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestMarkdownLinks(t *testing.T) {
	blobs := map[string]*blob{
		pngHash: {hash: pngHash, file: "blobs/" + pngHash + ".png", image: true, state: blobOK},
		pdfHash: {hash: pdfHash, file: "blobs/" + pdfHash + ".pdf", state: blobOK},
		badHash: {hash: badHash, file: "blobs/" + badHash + ".jpg", image: true, state: blobDamaged},
	}
	md := newMarkdown(blobs, "../../")
	local := `../../blobs/` + pngHash + `.png`
	tests := []struct {
		in   string
		want string // in the output; "" for nothing in particular
		not  []string
	}{
		{"<script>alert(1)</script>", "<!-- raw HTML omitted -->", []string{"<script"}},
		{"a <script>alert(1)</script> b", "", []string{"<script"}},
		{`<img src=x onerror="alert(1)">`, "", []string{"<img", "onerror"}},
		{`<a href="javascript:alert(1)">x</a>`, "", []string{"<a", "javascript"}},
		{"[x](javascript:alert(1))", "<p>x</p>", []string{"href"}},
		{"[x](JaVaScRiPt:alert(1))", "<p>x</p>", []string{"href"}},
		{"[x](<javascript:alert(1)>)", "<p>x</p>", []string{"href"}},
		{"[x](java&#x0A;script:alert(1))", "<p>x</p>", []string{"href"}},
		{"[x](&#106;avascript:alert(1))", "<p>x</p>", []string{"href"}},
		{"[x]( javascript:alert(1))", "<p>x</p>", []string{"href"}},
		{"<javascript:alert(1)>", "<p>javascript:alert(1)</p>", []string{"href"}},
		{"[x][r]\n\n[r]: javascript:alert(1)", "<p>x</p>", []string{"href"}},
		{"[x](vbscript:msgbox(1))", "<p>x</p>", []string{"href"}},
		{"[x](file:///etc/passwd)", "<p>x</p>", []string{"href"}},
		{"[x](data:text/html;base64,PHNjcmlwdD4=)", "<p>x</p>", []string{"href"}},
		{"![x](data:image/svg+xml;base64,PHN2Zz4=)", "<p>x</p>", []string{"href", "<img"}},
		{"![x](data:image/png;base64,iVBORw0K)", "<p>x</p>", []string{"href", "<img"}},
		{"[x](../../../etc/passwd)", "<p>x</p>", []string{"href"}},
		{"[x](other.html)", "<p>x</p>", []string{"href"}},
		{"[x](//evil.example/)", "<p>x</p>", []string{"href"}},
		{"[x](#part-2)", `<a href="#part-2">x</a>`, nil},
		{`[x](https://example.org/a?b=1&c="2" "T<i>")`, `<a href="https://example.org/a?b=1&amp;c=%222%22" title="T&lt;i&gt;">x</a>`, nil},
		{"[x](mailto:a@example.org)", `<a href="mailto:a@example.org">x</a>`, nil},
		{"<a@example.org>", `<a href="mailto:a@example.org">a@example.org</a>`, nil},
		{"[x](nostr:npub1sg6plzptd64u62a878hep2kev8s8kexy9ghsm8kpyl4hk5qfm2jqz9kymc)", `<a href="nostr:npub1`, nil},
		{"see www.example.org/x now", `<a href="http://www.example.org/x">www.example.org/x</a>`, nil},
		{"![cat](https://example.org/cat.png)", `<a class="image-link" href="https://example.org/cat.png">cat</a>`, []string{"<img"}},
		{"![](https://example.org/cat.png)", `<a class="image-link" href="https://example.org/cat.png">image</a>`, []string{"<img"}},
		{"![a *b* \"c\"](https://b.example/" + pngHash + ".png)", `<img src="` + local + `" alt="a b &quot;c&quot;" loading="lazy">`, nil},
		{"![a](https://b.example/" + strings.ToUpper(pngHash) + ")", `<img src="` + local + `"`, nil},
		{"![a](" + pngHash + ".webp?x=1#y)", `<img src="` + local + `"`, nil},
		{"https://b.example/" + pngHash, `<a href="` + local + `">https://b.example/` + pngHash + `</a>`, nil},
		{"[doc](https://b.example/" + pdfHash + ".pdf)", `<a href="../../blobs/` + pdfHash + `.pdf">doc</a>`, nil},
		{"![doc](https://b.example/" + pdfHash + ")", `<a class="image-link" href="../../blobs/` + pdfHash + `.pdf">doc</a>`, []string{"<img"}},
		{"![bad](https://b.example/" + badHash + ".jpg)", `<a class="image-link" href="https://b.example/` + badHash + `.jpg">bad</a>`, []string{"<img"}},
		{"![x](https://b.example/" + pngHash + "0.png)", `class="image-link"`, []string{"<img"}},
		{"| a | b |\n|---|---|\n| ~~c~~ | <b>d</b> |", "<del>c</del>", []string{"<b>"}},
		{"```\n<script>alert(1)</script>\n```", "&lt;script&gt;", []string{"<script"}},
	}
	for _, tt := range tests {
		got, err := render(md, tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(got), tt.want) {
			t.Errorf("%q:\n got %s\nwant %s", tt.in, got, tt.want)
		}
		for _, s := range tt.not {
			if strings.Contains(strings.ToLower(string(got)), strings.ToLower(s)) {
				t.Errorf("%q: %s has %s", tt.in, got, s)
			}
		}
	}
}

// FuzzMarkdown checks that no markdown yields a script, an event handler,
// an image from elsewhere or a link with a dangerous scheme.
func FuzzMarkdown(f *testing.F) {
	for _, s := range []string{
		"<script>alert(1)</script>", "[x](javascript:alert(1))", "<javascript:alert(1)>", "![x](https://e.example/p.png)",
		"[x](java&#x0A;script:1)", "<img src=x onerror=alert(1)>", "[r]: data:text/html,x\n\n[a][r]", "www.example.org", "a@b.org",
		"![a](" + pngHash + ")", "| a |\n|---|\n| <b>x</b> |",
	} {
		f.Add(s)
	}
	md := newMarkdown(map[string]*blob{pngHash: {hash: pngHash, file: "blobs/" + pngHash + ".png", image: true, state: blobOK}}, "../../")
	f.Fuzz(func(t *testing.T, src string) {
		out, err := render(md, src)
		if err != nil {
			t.Fatal(err)
		}
		checkSafe(t, src, string(out), "../../blobs/"+pngHash+".png")
		// The web UI's rendering: the same rules, and no src at all
		// (held images are data-blob, loaded by the page).
		ui, err := RenderForUI(src, map[string]bool{pngHash: true})
		if err != nil {
			t.Fatal(err)
		}
		checkSafe(t, src, ui, "")
	})
}

// checkSafe fails unless out, rendered from src, has nothing that runs
// script or loads anything but the image at okSrc.
func checkSafe(t *testing.T, src, out, okSrc string) {
	t.Helper()
	// A tokenizer, not html.Parse: a tree refuses nesting deeper than 512
	// elements, which deeply nested quotes or lists render.
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return // io.EOF: the tokenizer reads anything
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script", "iframe", "object", "embed", "style", "base", "form", "svg", "math":
			t.Fatalf("%q renders a <%s>: %s", src, tok.Data, out)
		}
		for _, a := range tok.Attr {
			if strings.HasPrefix(a.Key, "on") || a.Key == "style" || a.Key == "srcset" {
				t.Fatalf("%q renders %s=%q", src, a.Key, a.Val)
			}
			if a.Key == "src" && (okSrc == "" || a.Val != okSrc) {
				t.Fatalf("%q loads %q", src, a.Val)
			}
			if a.Key == "href" && a.Val != "" && !strings.HasPrefix(a.Val, "#") && !strings.HasPrefix(a.Val, "../../blobs/") {
				scheme, _, _ := strings.Cut(strings.ToLower(a.Val), ":")
				if scheme != "http" && scheme != "https" && scheme != "mailto" && scheme != "nostr" {
					t.Fatalf("%q links to %q", src, a.Val)
				}
			}
		}
	}
}
