package node

import (
	"context"
	"sync"

	"github.com/nbd-wtf/go-nostr"

	"github.com/caravan-mesh/caravan/event"
)

// ownKeyCache maps the keyring's public keys to identity names.
type ownKeyCache struct {
	mu      sync.Mutex
	keys    map[string]string // public key -> identity name
	version int64
}

// forMe says whether ev is a gift wrap addressed to one of the node's
// identities.
func (n *Node) forMe(ev *nostr.Event) bool {
	if ev.Kind != event.KindGiftWrap {
		return false
	}
	own := n.ownKeys()
	for _, t := range ev.Tags {
		if len(t) >= 2 && t[0] == "p" && own[t[1]] != "" {
			return true
		}
	}
	return false
}

// ownKeys maps the keyring's public keys to identity names, read again
// only when the keyring changed: every wrap stored asks, and listing reads
// the key files. The map returned is not changed afterwards (a change of
// the keyring makes a new one); callers must not change it.
func (n *Node) ownKeys() map[string]string {
	n.own.mu.Lock()
	defer n.own.mu.Unlock()
	if v := n.kr.Version(); n.own.keys == nil || v != n.own.version {
		ids, err := n.kr.List()
		if err != nil {
			return nil // tried again at the next wrap
		}
		n.own.keys, n.own.version = map[string]string{}, v
		for _, id := range ids {
			n.own.keys[id.PubKey.Hex()] = id.Name
		}
	}
	return n.own.keys
}

// IdentityOf names the node's identity whose hex public key is pk, if it
// is one of them. It is cheap: the keyring is read again only when it
// changed.
func (n *Node) IdentityOf(pk string) (name string, ok bool) {
	name, ok = n.ownKeys()[pk]
	return name, ok
}

// IngestOwn is Ingest for events this node's identities just made (such
// as the gift wraps of a message they send): they are not held to the
// caps on what is carried for others.
func (n *Node) IngestOwn(ctx context.Context, evs ...*nostr.Event) []Result {
	return n.ingest(ctx, true, evs...)
}
