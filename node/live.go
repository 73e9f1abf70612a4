package node

import (
	"sync"

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
	// Type message: the identity it belongs to and the message.
	Identity string   `json:"identity,omitempty"`
	Message  *Message `json:"message,omitempty"`
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

type activityHub struct {
	mu   sync.Mutex
	next int
	fns  map[int]func(Activity)
}

// OnActivity calls f for each Activity until cancel is called. f runs on
// the goroutine that made the change and must not block.
func (n *Node) OnActivity(f func(Activity)) (cancel func()) {
	h := &n.activity
	h.mu.Lock()
	if h.fns == nil {
		h.fns = map[int]func(Activity){}
	}
	id := h.next
	h.next++
	h.fns[id] = f
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		delete(h.fns, id)
		h.mu.Unlock()
	}
}

func (n *Node) emit(a Activity) {
	h := &n.activity
	h.mu.Lock()
	fns := make([]func(Activity), 0, len(h.fns))
	for _, f := range h.fns {
		fns = append(fns, f)
	}
	h.mu.Unlock()
	for _, f := range fns {
		f(a)
	}
}

func (n *Node) emitEvent(ev *nostr.Event) {
	n.emit(Activity{Type: "event", Event: &EventNote{ID: ev.ID, Kind: ev.Kind, PubKey: ev.PubKey}})
}

func (n *Node) emitSync(peer string, p carry.Progress) {
	n.emit(Activity{Type: "sync", Peer: peer, Progress: &p})
}

// KeysChanged tells the UI that identities were locked, unlocked, made or
// erased.
func (n *Node) KeysChanged() { n.emit(Activity{Type: "keys"}) }
