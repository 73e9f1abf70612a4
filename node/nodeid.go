package node

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// NodeID is this data directory's random node id: unrelated to any
// identity, it tells nodes apart (LAN discovery announces it) and says
// nothing about who runs them.
func (n *Node) NodeID() string { return n.id }

// nodeID returns this data directory's random node id, creating it.
func nodeID(dir string, rnd io.Reader) (string, error) {
	path := filepath.Join(dir, "node-id")
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) == 16 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	id := randHex(rnd, 8)
	return id, os.WriteFile(path, []byte(id+"\n"), 0o600)
}
