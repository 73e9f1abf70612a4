package mesh

import (
	"net"
	"testing"

	"github.com/caravan-mesh/caravan/node"
)

// FuzzLANPeer: an answer to LAN discovery, from anyone on the local
// network, gives a peer address only when it names another node with a
// usable IPv4 address and port, and that address is one a sync can dial.
// (Nothing is sent: lanPeer only reads the answer's fields.)
func FuzzLANPeer(f *testing.F) {
	f.Add("a1b2", "id=ffee", "v=1", []byte{192, 168, 1, 20}, 7447)
	f.Add("a1b2", "id=a1b2", "", []byte{10, 0, 0, 1}, 7447)
	f.Add("a1b2", "id=", "id=zz", []byte{1, 2, 3}, 0)
	f.Add("", "id=\x00:/", "x", []byte{0, 0, 0, 0}, -1)
	f.Fuzz(func(t *testing.T, self, txt1, txt2 string, ip []byte, port int) {
		u, ok := lanPeer(self, []string{txt1, txt2}, net.IP(ip), port)
		if !ok {
			return
		}
		if v, err := node.CheckPeerURL(u); err != nil || v != u {
			t.Fatalf("LAN peer %q is not a peer address (%q, %v)", u, v, err)
		}
	})
}
