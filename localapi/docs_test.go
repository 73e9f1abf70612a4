package localapi

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// codes returns every Code constant of errors.go, read from the source so
// that a new one cannot be left out of this list.
func codes(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if !strings.HasPrefix(n.Name, "Code") {
					continue
				}
				v, err := strconv.Unquote(vs.Values[i].(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, v)
			}
		}
	}
	if len(out) < 10 {
		t.Fatalf("found only %d codes in errors.go", len(out))
	}
	return out
}

// Every code has a status and a row in docs/api.md, and every route the
// handler serves is listed there.
func TestCodesDocumented(t *testing.T) {
	b, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, c := range codes(t) {
		st, ok := codeStatus[c]
		if !ok {
			t.Errorf("code %q has no HTTP status in codeStatus", c)
		}
		if row := fmt.Sprintf("| `%s` | %d |", c, st); !strings.Contains(doc, row) {
			t.Errorf("docs/api.md lacks the row %q", row)
		}
	}
	if len(codeStatus) != len(codes(t)) {
		t.Errorf("codeStatus has %d codes, errors.go %d", len(codeStatus), len(codes(t)))
	}
	n, _ := serveTest(t)
	h := NewHandler(n, "x")
	for _, p := range h.patterns {
		if !strings.Contains(doc, "`"+p+"`") {
			t.Errorf("docs/api.md does not list the route %s", p)
		}
	}
}
