package deptest

import (
	"os/exec"
	"strings"
	"testing"
)

// deps lists every package pkg (a path in this module) depends on.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not available")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", module+pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// TestLowPackagesHaveNoSQLite: what a phone or a carrier links to speak
// Nostr, reconcile and carry events does not pull in the database.
func TestLowPackagesHaveNoSQLite(t *testing.T) {
	for _, pkg := range []string{"carry", "qr", "poster", "link", "negentropy", "msg", "event", "relay"} {
		for _, d := range deps(t, pkg) {
			if d == "modernc.org/sqlite" || strings.HasPrefix(d, "modernc.org/sqlite/") {
				t.Errorf("%s depends on %s", pkg, d)
				break
			}
		}
	}
}

// TestLayers: packages that must not depend on others, directly or not.
func TestLayers(t *testing.T) {
	for _, c := range []struct{ pkg, not, why string }{
		{"keys", "msg", "the keyring sits below the messenger (conversation keys come from internal/convkey)"},
		{"relay", "store", "the relay speaks the protocol over a Backend; Raw, CheckFilter and ErrBusy are in event"},
	} {
		for _, d := range deps(t, c.pkg) {
			if d == module+c.not {
				t.Errorf("%s depends on %s: %s", c.pkg, c.not, c.why)
			}
		}
	}
}
