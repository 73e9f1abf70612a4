// Package mesh is how a node meets others: sync sessions over any link
// (package carry), the peer book of peers and relays it keeps in sync
// with while serving, and discovery of neighbours (see Discoverer; mDNS
// on the local network is the first).
//
// A node's Service is made once with New; it registers the hooks it
// needs on the node's core.
package mesh

import (
	"context"
	"sync"

	"github.com/caravan-mesh/caravan/carry"
	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/nodehost"
	"github.com/caravan-mesh/caravan/negentropy"
	"github.com/caravan-mesh/caravan/node"
	"github.com/nbd-wtf/go-nostr"
)

// Service is the mesh of one node.
type Service struct {
	n     *node.Node
	p     *nodehost.Parts
	peers *peerBook
	turns *carry.Turns
	// refused remembers what the node refused for lack of room, for all
	// its sessions and its relay endpoint (carry.Refusals).
	refused *carry.Refusals
	held    *holdings
	// discover are the ways neighbours are found while serving; mDNS
	// unless the test or caller says otherwise.
	discover []Discoverer

	mu      sync.Mutex
	serving *serving // nil unless the node serves
}

var services sync.Map // *node.Node -> *Service

// New returns the mesh of n, making it (and registering its hooks) the
// first time; later calls return the same Service. It fails when the
// peer book (PeersFile) cannot be read.
func New(n *node.Node) (*Service, error) {
	if m, ok := services.Load(n); ok {
		return m.(*Service), nil
	}
	newMu.Lock()
	defer newMu.Unlock()
	if m, ok := services.Load(n); ok {
		return m.(*Service), nil
	}
	p := nodehost.Of(n)
	pb, err := openPeerBook(p.Dir, p.Now)
	if err != nil {
		return nil, err
	}
	m := &Service{n: n, p: p, peers: pb, turns: carry.NewTurns(),
		refused: carry.NewRefusals(carry.RefusalOptions{Room: local{n, p}.Room})}
	m.discover = []Discoverer{MDNS{}}
	m.held = newHoldings(m)
	n.OnHandover(m.held.handed)
	// Refusals for lack of room outside sessions (events pushed to the
	// relay endpoint) are remembered too, by the rule sessions follow
	// (local.Ingest), and a peer reconciling with the relay endpoint
	// finds them held: it does not push them again.
	n.OnNoRoom(func(ev *nostr.Event) {
		if !(local{n, p}).Room(ev, event.Size(ev)) {
			m.refused.Add(ev, p.Now())
		}
	})
	n.OnReconcileItems(func(f nostr.Filter) []negentropy.Item { return m.refused.Held(f, p.Now()) })
	n.OnServe(m.serve)
	n.OnRelayHTTP(m.serveCarried)
	n.OnStatus(func(st *node.Status) {
		if st.Serving {
			st.LAN = m.lanOn()
		}
	})
	n.OnNodeSettings(func(s *node.NodeSettings) {
		if _, ok := n.Serving(); ok {
			s.LAN = m.lanOn()
		}
	})
	n.OnSettingsChanged(func(c node.NodeSettingsChange) {
		if c.LAN != nil {
			m.setLAN(*c.LAN)
		}
	})
	n.OnKnownPeers(func() []node.KnownPeer {
		ps := m.Peers()
		out := make([]node.KnownPeer, len(ps))
		for i, p := range ps {
			out[i] = node.KnownPeer{URL: p.URL, Kind: p.Kind}
		}
		return out
	})
	n.OnClose(func() { services.Delete(n) })
	services.Store(n, m)
	return m, nil
}

var newMu sync.Mutex

// serve is the mesh's work while the node serves: the peer loop, and
// discovery of neighbours unless it is off.
func (m *Service) serve(ctx context.Context) {
	sv, ok := m.n.Serving()
	if !ok {
		return
	}
	m.mu.Lock()
	s := m.state(sv)
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		if m.serving == s {
			m.serving = nil
		}
		m.mu.Unlock()
	}()
	m.runPeers(ctx, s.found)
}
