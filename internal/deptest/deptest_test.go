// Package deptest guards the dependency graph: the node's core never
// depends on its clients (the local API, the CLI, the web UI); the low
// packages (event, msg, relay, carry, ...) do not pull in the database;
// and every event kind is named once, in package event.
package deptest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/caravan-mesh/caravan/"

var core = []string{"event", "store", "keys", "relay", "negentropy", "policy", "carry", "link", "node", "chat", "reports", "blossom", "media", "publish", "markdown", "site", "bundle", "bundles", "mesh", "qr", "poster", "apps", "sim", "phone"}

var clients = []string{"localapi", "web", "cmd/"}

func TestCoreDoesNotImportClients(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not available")
	}
	for _, pkg := range core {
		deps, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", module+pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, d := range strings.Fields(string(deps)) {
			for _, c := range clients {
				if strings.HasPrefix(d, module+c) {
					t.Errorf("core package %s depends on %s", pkg, d)
				}
			}
		}
	}
}
