package phone

import (
	"strings"
	"testing"
)

// TestModulePreloads: the page asks at once for every module its entry
// imports statically, directly or through others, by the same versioned
// URL the import map resolves it to; what loads lazily (the Public tab,
// the QR reader) is not asked for.
func TestModulePreloads(t *testing.T) {
	s, err := build(Assets)
	if err != nil {
		t.Fatal(err)
	}
	page := string(s.files["index.html"].body)
	for _, p := range []string{"js/me.js", "js/chat/service.js", "vendor/nostr-tools/lib/esm/pure.js", "vendor/@noble/curves/abstract/modular.js"} {
		want := `<link rel="modulepreload" href="` + Prefix + p + "?v=" + s.files[p].version + `">`
		if !strings.Contains(page, want) {
			t.Errorf("index.html lacks %s", want)
		}
	}
	for _, p := range []string{"js/feed/index.js", "vendor/jsqr/dist/jsQR.js", "js/app.js"} {
		if strings.Contains(page, `modulepreload" href="`+Prefix+p) {
			t.Errorf("index.html preloads %s", p)
		}
	}
}

// TestModulePreloadsReadImports: comments are not imports, a comment does
// not hide the code after it, and a bare name resolves through the
// longest prefix of the import map.
func TestModulePreloadsReadImports(t *testing.T) {
	s := &fileSet{files: map[string]*file{}}
	for p, src := range map[string]string{
		"js/a.js":           "// import x from './nowhere.js';\nimport { b } from './b.js';\n/* import './gone.js' */ export { c } from \"lib/c.js\";\nconst later = () => import('./lazy.js');",
		"js/b.js":           `import "./a.js";`,
		"vendor/lib/c.js":   `export const c = 1;`,
		"js/lazy.js":        `export default 1;`,
		"vendor/other.js":   ``,
		"vendor/lib/x/y.js": ``,
	} {
		s.files[p] = &file{name: p, body: []byte(src)}
	}
	got, err := s.modulePreloads("js/a.js", map[string]string{"lib/": "/phone/vendor/lib/", "l": "/phone/vendor/other.js"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "js/b.js vendor/lib/c.js" {
		t.Errorf("preloads %q, want js/b.js and vendor/lib/c.js", got)
	}
	if _, err := s.modulePreloads("js/b.js", map[string]string{"lib/": "/phone/vendor/lib/"}); err != nil {
		t.Errorf("a cycle: %v", err)
	}
	s.files["js/d.js"] = &file{body: []byte(`import "unmapped";`)}
	if _, err := s.modulePreloads("js/d.js", nil); err == nil || !strings.Contains(err.Error(), `no entry for "unmapped"`) {
		t.Errorf("an unmapped bare name: %v", err)
	}
}
