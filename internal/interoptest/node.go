package interoptest

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/node"
)

// NewNode opens a node in a temporary directory with one identity, "me",
// kept without a passphrase, and closes it when the test ends.
func NewNode(t *testing.T) (*node.Node, keys.Identity) {
	t.Helper()
	n, err := node.Open(t.TempDir(), node.Options{KeyLogN: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	me, err := n.NewIdentity("me", "", true)
	if err != nil {
		t.Fatal(err)
	}
	return n, me
}

// ServeRelay serves the node's relay endpoint on loopback until the test
// ends, and returns its ws:// address.
func ServeRelay(t *testing.T, n *node.Node) string {
	rl := n.NewRelay()
	srv := httptest.NewServer(rl)
	t.Cleanup(func() {
		rl.Close()
		srv.Close()
	})
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}
