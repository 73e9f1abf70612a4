package negentropy

import (
	"math/rand"
	"testing"
)

// FuzzReconcile feeds arbitrary messages to a server and a client holding
// real sets: no panic, no unbounded allocation, and any reply a server
// makes is itself a message a client can read.
func FuzzReconcile(f *testing.F) {
	r := rand.New(rand.NewSource(9))
	items := randItems(r, 300, 40)
	set := NewSet(items)
	other := NewSet(randItems(r, 50, 40))
	f.Add(NewClient(set, 0).Initiate())
	f.Add(NewClient(other, 4096).Initiate())
	f.Add([]byte{Version})
	f.Add([]byte{0x62})
	f.Add([]byte{Version, 0, 0, ModeIDList, 1})
	f.Fuzz(func(t *testing.T, msg []byte) {
		reply, _, err := NewServer(set, 4096).Reconcile(msg)
		if err == nil && len(reply) > 0 && reply[0] == Version {
			if _, _, err := NewClient(other, 4096).Reconcile(reply); err != nil {
				t.Fatalf("a server reply does not parse: %v\n%x", err, reply)
			}
		}
		NewClient(set, 0).Reconcile(msg)
	})
}
