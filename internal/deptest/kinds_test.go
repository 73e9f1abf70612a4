package deptest

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// kindNames are the names of fields and variables that hold event kinds.
var kindNames = map[string]bool{"Kind": true, "Kinds": true, "kind": true, "kinds": true}

// sqlKind matches a kind number written into an SQL string: kind = 1,
// kind IN (1, ...), kind NOT IN (...), CASE kind WHEN 1.
var sqlKind = regexp.MustCompile(`(?i)\bkind\s*(=|!=|<>|<=|>=|<|>|(\bnot\s+)?\bin\s*\(|\bwhen\s)\s*\d`)

// TestKindsAreNamedInEvent: every event kind the project uses is a
// constant of package event; no other non-test Go file writes a kind
// number as a literal, or takes go-nostr's kind constants directly.
func TestKindsAreNamedInEvent(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == "." {
				return nil
			}
			if rel == "event" || strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		bad = append(bad, kindLiterals(t, path, rel)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Error(b)
	}
	if len(bad) > 0 {
		t.Log("name the kind in package event (event/kinds.go) and use the constant")
	}
}

// kindLiterals lists where the file at path writes a kind as a number.
func kindLiterals(t *testing.T, path, rel string) []string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("parse %s: %v", rel, err)
	}
	var out []string
	flag := func(n ast.Node, what string) {
		p := fset.Position(n.Pos())
		out = append(out, fmt.Sprintf("%s:%d: %s", rel, p.Line, what))
	}
	var walk func(n ast.Node, names map[string]bool)
	walk = func(root ast.Node, names map[string]bool) {
		isKind := func(e ast.Expr) bool { return isKindExpr(e, names) }
		ast.Inspect(root, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.RangeStmt:
				// for _, k := range f.Kinds: k is a kind in the body.
				if v, ok := n.Value.(*ast.Ident); ok && isKind(n.X) && n != root {
					inner := maps.Clone(names)
					inner[v.Name] = true
					walk(n, inner)
					return false
				}
			case *ast.BinaryExpr:
				switch n.Op {
				case token.EQL, token.NEQ, token.LSS, token.LEQ, token.GTR, token.GEQ:
					if isKind(n.X) && isIntLit(n.Y) || isKind(n.Y) && isIntLit(n.X) {
						// kind != 0 asks whether a kind was given at all.
						if n.Op == token.NEQ && (isZero(n.X) || isZero(n.Y)) {
							break
						}
						flag(n, "a kind compared to a number")
					}
				}
			case *ast.AssignStmt:
				for i, l := range n.Lhs {
					if i < len(n.Rhs) && isKind(l) && (hasIntLit(n.Rhs[i]) || isNumberList(n.Rhs[i])) {
						flag(n, "a number assigned to a kind")
					}
				}
			case *ast.ValueSpec:
				for i, name := range n.Names {
					if i < len(n.Values) && kindNames[name.Name] && (hasIntLit(n.Values[i]) || isNumberList(n.Values[i])) {
						flag(n, "a kind variable set to a number")
					}
				}
			case *ast.KeyValueExpr:
				if id, ok := n.Key.(*ast.Ident); ok && kindNames[id.Name] && hasIntLit(n.Value) {
					flag(n, "a kind field set to a number")
				}
			case *ast.SwitchStmt:
				if n.Tag != nil && isKind(n.Tag) {
					for _, s := range n.Body.List {
						for _, e := range s.(*ast.CaseClause).List {
							if isIntLit(e) {
								flag(e, "a case on a kind with a number")
							}
						}
					}
				}
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok && x.Name == "nostr" && strings.HasPrefix(n.Sel.Name, "Kind") {
					flag(n, "nostr."+n.Sel.Name+" used instead of event's name for it")
				}
			case *ast.BasicLit:
				if n.Kind == token.STRING && sqlKind.MatchString(n.Value) {
					flag(n, "a kind number in an SQL string")
				}
			}
			return true
		})
	}
	walk(f, kindNames)
	return out
}

// isKindExpr reports whether e names a kind: kind, ev.Kind, f.Kinds, or
// one of names.
func isKindExpr(e ast.Expr, names map[string]bool) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return names[e.Name]
	case *ast.SelectorExpr:
		return kindNames[e.Sel.Name]
	case *ast.ParenExpr:
		return isKindExpr(e.X, names)
	}
	return false
}

func isZero(e ast.Expr) bool {
	l, ok := e.(*ast.BasicLit)
	return ok && l.Kind == token.INT && l.Value == "0"
}

// isNumberList reports whether e is a string of numbers ("1, 30023"),
// a list of kinds for SQL.
func isNumberList(e ast.Expr) bool {
	l, ok := e.(*ast.BasicLit)
	return ok && l.Kind == token.STRING && numberList.MatchString(l.Value)
}

var numberList = regexp.MustCompile("^[\"`][\\d,\\s]*\\d[\\d,\\s]*[\"`]$")

func isIntLit(e ast.Expr) bool {
	if p, ok := e.(*ast.ParenExpr); ok {
		return isIntLit(p.X)
	}
	l, ok := e.(*ast.BasicLit)
	return ok && l.Kind == token.INT
}

// hasIntLit reports whether e is a number, or a composite literal
// ([]int{...}) with a number among its elements.
func hasIntLit(e ast.Expr) bool {
	if isIntLit(e) {
		return true
	}
	if c, ok := e.(*ast.CompositeLit); ok {
		for _, el := range c.Elts {
			if isIntLit(el) {
				return true
			}
		}
	}
	return false
}
