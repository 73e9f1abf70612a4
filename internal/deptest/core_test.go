package deptest

import (
	"encoding/json"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/policy"
	"github.com/caravan-mesh/caravan/store"
)

// features are the packages built on the core. They may reach its store,
// keyring and policy (through internal/nodehost); they never import one
// another.
var features = []string{"chat", "reports", "bundles", "mesh", "phone"}

// TestCoreKeepsItsParts: the core exports no field and no method that
// gives out its keyring, store or policy. Clients use its methods;
// features use internal/nodehost.
func TestCoreKeepsItsParts(t *testing.T) {
	private := []reflect.Type{reflect.TypeFor[*keys.Keyring](), reflect.TypeFor[*store.Store](), reflect.TypeFor[*policy.Policy]()}
	nt := reflect.TypeFor[node.Node]()
	for i := range nt.NumField() {
		f := nt.Field(i)
		if f.IsExported() && slices.Contains(private, f.Type) {
			t.Errorf("node.Node exports field %s of type %s", f.Name, f.Type)
		}
	}
	pt := reflect.TypeFor[*node.Node]()
	for i := range pt.NumMethod() {
		m := pt.Method(i)
		for j := range m.Type.NumOut() {
			if slices.Contains(private, m.Type.Out(j)) {
				t.Errorf("(*node.Node).%s gives out a %s", m.Name, m.Type.Out(j))
			}
		}
	}
}

// TestFeaturesStandApart: the core imports no feature; a feature imports
// no other feature; and only features (and the tests' helpers) open the
// door to the core's parts.
func TestFeaturesStandApart(t *testing.T) {
	for _, d := range deps(t, "node") {
		for _, f := range features {
			if d == module+f {
				t.Errorf("the core depends on feature %s: features hook into the core, not the other way", f)
			}
		}
	}
	for _, f := range features {
		for _, d := range deps(t, f) {
			for _, g := range features {
				if g != f && d == module+g {
					t.Errorf("feature %s depends on feature %s", f, g)
				}
			}
		}
	}
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(p.Imports, module+"internal/nodehost") {
			continue
		}
		name := strings.TrimPrefix(p.ImportPath, module)
		if name != "node" && name != "internal/nodetest" && !slices.Contains(features, name) {
			t.Errorf("%s imports internal/nodehost, which only the core's features may", name)
		}
	}
}
