package mesh

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/caravan-mesh/caravan/carry"
	"github.com/caravan-mesh/caravan/internal/atomicfile"
	"github.com/caravan-mesh/caravan/node"
)

// PeersFile keeps the configured peers and relays, and what the node knows
// of every peer it met: last sync, its result, and (for relays without
// NIP-77) where the last pass stopped.
const PeersFile = "peers.json"

// Peer is one peer or relay as `caravan peers list` and the status show it.
type Peer struct {
	URL        string           `json:"url"`
	Kind       string           `json:"kind"`                 // peer, relay, lan, stdio
	Configured bool             `json:"configured,omitempty"` // added by the user; kept in sync while serving
	Added      time.Time        `json:"added,omitzero"`
	State      string           `json:"state,omitempty"` // connecting, connected, idle
	LastSync   time.Time        `json:"last_sync,omitzero"`
	LastResult string           `json:"last_result,omitempty"`
	Received   int              `json:"received,omitempty"`
	Sent       int              `json:"sent,omitempty"`
	NIP77      bool             `json:"nip77,omitempty"`
	Since      map[string]int64 `json:"since,omitempty"`
}

type peerBook struct {
	mu      sync.Mutex
	path    string
	now     func() time.Time
	peers   map[string]*Peer
	changed chan struct{} // configured set changed
}

func openPeerBook(dir string, now func() time.Time) (*peerBook, error) {
	b := &peerBook{path: filepath.Join(dir, PeersFile), now: now, peers: map[string]*Peer{}, changed: make(chan struct{}, 1)}
	data, err := os.ReadFile(b.path)
	if errors.Is(err, os.ErrNotExist) {
		return b, nil
	}
	if err != nil {
		return nil, err
	}
	// Whom the user syncs with is theirs alone, whatever wrote the file.
	if fi, err := os.Lstat(b.path); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
		os.Chmod(b.path, fi.Mode().Perm()&^0o077)
	}
	var list []*Peer
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("%s is damaged (%v); fix or remove it", b.path, err)
	}
	for _, p := range list {
		p.State = ""
		b.peers[p.URL] = p
	}
	return b, nil
}

func (b *peerBook) saveLocked() error {
	list := make([]*Peer, 0, len(b.peers))
	for _, p := range b.peers {
		list = append(list, p)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].URL < list[j].URL })
	data, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(b.path, data, 0o600)
}

func (b *peerBook) get(u, kind string) *Peer {
	p, ok := b.peers[u]
	if !ok {
		p = &Peer{URL: u, Kind: kind}
		b.peers[u] = p
	}
	return p
}

func (b *peerBook) connecting(u, kind string) {
	b.mu.Lock()
	b.get(u, kind).State = "connecting"
	b.mu.Unlock()
}

func (b *peerBook) connected(u, kind string) {
	b.mu.Lock()
	b.get(u, kind).State = "connected"
	b.mu.Unlock()
}

func (b *peerBook) finished(u, kind string, pr carry.Progress, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.get(u, kind)
	p.State = "idle"
	p.LastSync = b.now().UTC().Truncate(time.Second)
	p.Received, p.Sent, p.NIP77 = pr.Received, pr.Sent, pr.NIP77
	p.LastResult = "ok"
	if err != nil {
		p.LastResult = err.Error()
	} else if pr.Incomplete {
		p.LastResult = "incomplete"
	}
	b.saveLocked()
}

func (b *peerBook) since(u, key string) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p, ok := b.peers[u]; ok {
		return p.Since[key]
	}
	return 0
}

func (b *peerBook) setSince(u, key string, at int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.get(u, "relay")
	if p.Since == nil {
		p.Since = map[string]int64{}
	}
	p.Since[key] = at
	b.saveLocked()
}

// AddPeer configures a peer (a Caravan node) or, with relay, a public
// relay; while the node serves, it stays in sync with it.
func (m *Service) AddPeer(u string, relay bool) (Peer, error) {
	u, err := node.CheckPeerURL(u)
	if err != nil {
		return Peer{}, err
	}
	b := m.peers
	b.mu.Lock()
	defer b.mu.Unlock()
	kind := "peer"
	if relay {
		kind = "relay"
	}
	p := b.get(u, kind)
	if p.Configured {
		return *p, fmt.Errorf("%s is already a %s: %w", u, p.Kind, ErrExists)
	}
	p.Kind, p.Configured, p.Added = kind, true, b.now().UTC().Truncate(time.Second)
	if err := b.saveLocked(); err != nil {
		return Peer{}, err
	}
	signalChanged(b.changed)
	return *p, nil
}

// RemovePeer stops syncing with a configured peer or relay.
func (m *Service) RemovePeer(u string) error {
	b := m.peers
	b.mu.Lock()
	defer b.mu.Unlock()
	p, ok := b.peers[strings.TrimSuffix(strings.TrimSpace(u), "/")]
	if !ok || !p.Configured {
		return fmt.Errorf("%s is not a configured peer or relay: %w", u, node.ErrNotFound)
	}
	p.Configured = false
	if err := b.saveLocked(); err != nil {
		return err
	}
	signalChanged(b.changed)
	return nil
}

// Peers lists every peer and relay the node knows, configured ones first.
func (m *Service) Peers() []Peer {
	b := m.peers
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Peer, 0, len(b.peers))
	for _, p := range b.peers {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Configured != out[j].Configured {
			return out[i].Configured
		}
		return out[i].URL < out[j].URL
	})
	return out
}

// ErrExists means a peer or relay is already configured.
var ErrExists = errors.New("already exists")

func signalChanged(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// runPeers keeps a live session with every configured peer and relay, and
// with the neighbours discovery found, until ctx ends.
func (m *Service) runPeers(ctx context.Context, found <-chan foundSet) {
	running := map[string]context.CancelFunc{}
	near := map[int][]Found{} // by discoverer
	var sessions sync.WaitGroup
	defer sessions.Wait()
	defer func() {
		for _, stop := range running {
			stop()
		}
	}()
	for {
		want := map[string]SyncOptions{}
		for _, p := range m.Peers() {
			if p.Configured {
				want[p.URL] = SyncOptions{Relay: p.Kind == "relay", Live: true}
			}
		}
		for _, fs := range near {
			for _, f := range fs {
				if _, ok := want[f.URL]; !ok {
					want[f.URL] = SyncOptions{LAN: true, Live: true}
				}
			}
		}
		for u, stop := range running {
			if _, ok := want[u]; !ok {
				stop()
				delete(running, u)
			}
		}
		for u, o := range want {
			if _, ok := running[u]; !ok {
				pctx, stop := context.WithCancel(ctx)
				running[u] = stop
				sessions.Go(func() { m.keepSynced(pctx, u, o) })
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-m.peers.changed:
		case f := <-found:
			near[f.from] = f.peers
		}
	}
}
