// Package chat is private messaging between a node's identities and the
// people they know (NIP-17): one-to-one and group conversations sealed in
// gift wraps, delivery receipts, an encrypted address book of contacts,
// and groups. What an identity reads and writes lives only in its vault.
//
// A Service is built on a node's core: it learns of stored wraps, of
// handovers to peers and of unlocked identities through the core's hooks,
// and reaches the store and keyring through package nodehost.
package chat

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"sync"

	"github.com/caravan-mesh/caravan/internal/listeners"
	"github.com/caravan-mesh/caravan/internal/nodehost"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/msg"
	"github.com/caravan-mesh/caravan/node"
	"github.com/nbd-wtf/go-nostr"
)

// Service is the private messages of one node.
type Service struct {
	n *node.Node
	p *nodehost.Parts

	mu        sync.Mutex
	wrapOwner map[string][2]string // wrap id -> identity name, message id
	listeners listeners.Set[func(name string, m Message)]
	work      chan work // wraps to open
}

type work struct {
	name string
	wrap *nostr.Event
}

// services holds the one Service of each open node.
var (
	servicesMu sync.Mutex
	services   = map[*node.Node]*Service{}
)

// New returns the private messages of node n, made and hooked into the
// core at the first call for n; later calls return the same Service, so
// every client of the node (the local API, the simulator, tests) may call
// it. It is forgotten when n is closed. Make it before n serves: the work
// it registers starts with Serve.
func New(n *node.Node) *Service {
	servicesMu.Lock()
	defer servicesMu.Unlock()
	if s, ok := services[n]; ok {
		return s
	}
	s := &Service{n: n, p: nodehost.Of(n), wrapOwner: map[string][2]string{}, work: make(chan work, 4096)}
	services[n] = s
	n.OnClose(func() {
		servicesMu.Lock()
		delete(services, n)
		servicesMu.Unlock()
	})
	n.OnStored(func(ev *nostr.Event, _ []byte) { s.watchWraps(ev) })
	n.OnHandover(func(h node.Handover) {
		if h.Out {
			s.carried(h.ID)
		}
	})
	n.OnUnlocked(func(name string) { go s.ReadBacklog(context.Background(), name) })
	n.OnServe(s.openWraps)
	n.OnServe(func(ctx context.Context) {
		ids, _ := s.p.Keys.List()
		for _, id := range ids {
			if id.Unlocked {
				s.ReadBacklog(ctx, id.Name)
			}
		}
	})
	n.OnPanic(func() {
		s.mu.Lock()
		clear(s.wrapOwner)
		s.mu.Unlock()
	})
	n.OnHiddenFollows(s.privateContacts)
	n.OnResolve(s.contactKey)
	return s
}

// messenger is one unlocked identity's messaging state.
type messenger struct {
	id    *keys.Signer
	vault *msg.Vault
}

// messenger opens an identity's vault; it fails with keys.ErrLocked when
// the identity's key is not in memory.
func (s *Service) messenger(name string) (*messenger, error) {
	signer, err := s.p.Keys.Signer(name)
	if err != nil {
		return nil, err
	}
	vk, err := s.p.Keys.VaultKey(signer.Name())
	if err != nil {
		return nil, err
	}
	v, err := msg.OpenVault(s.p.Store, signer.PubKey(), vk)
	if err != nil {
		return nil, err
	}
	v.Rand = s.p.Rand
	return &messenger{id: signer, vault: v}, nil
}

// randHex is nbytes from r, in hex: a fresh id.
func randHex(r io.Reader, nbytes int) string {
	b := make([]byte, nbytes)
	if _, err := io.ReadFull(r, b); err != nil {
		// crypto/rand never fails; a reader given in node.Options that
		// does is a broken simulation or test, and ids must not silently
		// repeat.
		panic(fmt.Sprintf("chat: the random source failed: %v", err))
	}
	return hex.EncodeToString(b)
}
