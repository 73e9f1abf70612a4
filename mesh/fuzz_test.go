package mesh

import (
	"bytes"
	"encoding/json"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/event"

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

// FuzzCarriedBody: a body of POST /phone/v1/carried, from anyone on the
// relay port, gives at most MaxCarriedIDs event ids, which ask the same
// written back; or an error that says what is wrong.
func FuzzCarriedBody(f *testing.F) {
	id := strings.Repeat("ab", 32)
	for _, s := range []string{`{"ids":[]}`, `{"ids":["` + id + `"]}`, ``, `{}`, `{"ids":null}`, `{"ids":"x"}`,
		`{"ids":[1]}`, `{"ids":["` + strings.ToUpper(id) + `"]}`, `{"ids":[]} {}`, `{"ids":[],"x":1}`, `[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ids, err := parseCarried(bytes.NewReader(b))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without words")
			}
			return
		}
		if len(ids) > MaxCarriedIDs {
			t.Fatalf("%d ids taken", len(ids))
		}
		for _, id := range ids {
			if !event.IsHexID(id) {
				t.Fatalf("%q taken as an id", id)
			}
		}
		again, _ := json.Marshal(map[string][]string{"ids": ids})
		if back, err := parseCarried(bytes.NewReader(again)); err != nil || !slices.Equal(back, ids) {
			t.Fatalf("written back, %s reads as %v (%v)", again, back, err)
		}
	})
}
