package node

import (
	"github.com/caravan-mesh/caravan/carry"
	"github.com/nbd-wtf/go-nostr"
)

// Activity is one change the web UI shows as it happens: an event stored,
// a message new or changed, a sync's progress, an identity locked or
// unlocked. It carries no event content; the UI asks for what it shows.
type Activity struct {
	Type string `json:"type"` // event, message, sync, peers, keys
	// Type event: what was stored.
	Event *EventNote `json:"event,omitempty"`
	// Type message: the identity it belongs to and the message (a
	// feature's value, such as a private message, encoded as it is).
	Identity string `json:"identity,omitempty"`
	Message  any    `json:"message,omitempty"`
	// Type sync: the peer and the session's progress.
	Peer     string          `json:"peer,omitempty"`
	Progress *carry.Progress `json:"progress,omitempty"`
}

// EventNote names a stored event.
type EventNote struct {
	ID     string `json:"id"`
	Kind   int    `json:"kind"`
	PubKey string `json:"pubkey"`
}

// OnActivity calls f for each Activity until cancel is called. f runs on
// the goroutine that made the change and must not block.
func (n *Node) OnActivity(f func(Activity)) (cancel func()) { return n.activity.Add(f) }

// Emit tells OnActivity's listeners about a change a feature made (such
// as a private message new or changed).
func (n *Node) Emit(a Activity) { n.emit(a) }

func (n *Node) emit(a Activity) {
	for _, f := range n.activity.All() {
		f(a)
	}
}

func (n *Node) emitEvent(ev *nostr.Event) {
	n.emit(Activity{Type: "event", Event: &EventNote{ID: ev.ID, Kind: ev.Kind, PubKey: ev.PubKey}})
}

// KeysChanged tells the UI that identities were locked, unlocked, made or
// erased.
func (n *Node) KeysChanged() { n.emit(Activity{Type: "keys"}) }
