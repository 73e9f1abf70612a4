package site

import (
	"strings"
	"testing"
)

func TestRenderForUI(t *testing.T) {
	img := strings.Repeat("a", 64)
	doc := strings.Repeat("b", 64)
	src := "![a \"quote\" <b>](https://media.example/" + img + ".jpg) [paper](https://media.example/" + doc + ") " +
		"![far](https://evil.example/" + strings.Repeat("c", 64) + ".png) <img src=x onerror=alert(1)> [js](javascript:alert(1))"
	got, err := RenderForUI(src, map[string]bool{img: true, doc: false})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<img data-blob="` + img + `" alt="a &quot;quote&quot; ">`, // raw HTML in alt text is dropped
		`<a href="#blob/` + doc + `">paper</a>`,
		`<a class="image-link" href="https://evil.example/`, // not held: a link, never an image
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
	for _, bad := range []string{"src=", "onerror", "javascript:"} {
		if strings.Contains(got, bad) {
			t.Errorf("contains %q:\n%s", bad, got)
		}
	}
}
