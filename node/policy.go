package node

import (
	"context"
	"sync"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/policy"
)

// graphState tracks when the follow graph must be computed again.
type graphState struct {
	mu         sync.Mutex
	keyVersion int64
	dirty      bool

	usageMu sync.Mutex
	counted bool // the policy's counters were loaded from the store
}

// refreshGraph recomputes the follow graph from the identities' kind-3
// lists and their contacts' (policy.Graph) when something changed.
func (n *Node) refreshGraph(ctx context.Context) {
	gs := &n.graph
	gs.mu.Lock()
	defer gs.mu.Unlock()
	if v := n.kr.Version(); v != gs.keyVersion || gs.dirty {
		gs.keyVersion, gs.dirty = v, false
		n.pol.SetGraph(n.computeGraph(ctx))
	}
}

func (n *Node) computeGraph(ctx context.Context) policy.Graph {
	g := policy.Graph{Own: map[string]bool{}, Hop1: map[string]bool{}, Hop2: map[string]bool{}, Hidden: map[string]bool{}, FollowedBy: map[string]int{}}
	ids, err := n.kr.List()
	if err != nil {
		n.logf("follow graph: %v", err)
		return g
	}
	for _, id := range ids {
		g.Own[id.PubKey.Hex()] = true
	}
	// follows calls add with the keys each of authors' follow lists names,
	// each key once per list, and each author's list once.
	follows := func(authors map[string]bool, add func(pk string)) {
		list := make([]string, 0, len(authors))
		for a := range authors {
			list = append(list, a)
		}
		done := make(map[string]bool, len(authors))
		named := map[string]bool{}
		for len(list) > 0 {
			chunk := list[:min(len(list), 500)]
			list = list[len(chunk):]
			evs, err := n.st.QueryEvents(ctx, nostr.Filter{Authors: chunk, Kinds: []int{event.KindFollowList}}, len(chunk))
			if err != nil {
				n.logf("follow graph: %v", err)
				return
			}
			for _, ev := range evs {
				if done[ev.PubKey] {
					continue
				}
				done[ev.PubKey] = true
				clear(named)
				for _, t := range ev.Tags {
					if len(t) < 2 || t[0] != "p" || len(t[1]) != 64 || t[1] == ev.PubKey || named[t[1]] {
						continue
					}
					named[t[1]] = true
					add(t[1])
				}
			}
		}
	}
	follows(g.Own, func(pk string) {
		if !g.Own[pk] {
			g.Hop1[pk] = true
		}
	})
	for _, hidden := range n.hooks.hiddenFollows.All() {
		for _, k := range hidden(ctx) {
			if !g.Own[k] && !g.Hop1[k] {
				g.Hop1[k] = true
				g.Hidden[k] = true
			}
		}
	}
	if n.pol.Config().FollowHops >= 2 {
		// Maps the size of the last graph's do not grow while filled; each
		// name costs one lookup in a big map, each person one more.
		prev := n.pol.Graph()
		g.FollowedBy = make(map[string]int, len(prev.FollowedBy))
		g.Hop2 = make(map[string]bool, len(prev.Hop2))
		follows(g.Hop1, func(pk string) { g.FollowedBy[pk]++ })
		for pk := range g.FollowedBy {
			switch {
			case g.Own[pk]:
				delete(g.FollowedBy, pk)
			case !g.Hop1[pk]:
				g.Hop2[pk] = true
			}
		}
	}
	return g
}

// countUsage loads the policy's counters from the store, once.
func (n *Node) countUsage(ctx context.Context) {
	// Held through the scan: an event taken by another ingest meanwhile
	// would be counted and then lost by the Reset, so takes wait.
	gs := &n.graph
	gs.usageMu.Lock()
	defer gs.usageMu.Unlock()
	if gs.counted {
		return
	}
	gs.counted = true
	start := time.Now()
	u, err := n.st.Usage(ctx)
	if err != nil {
		n.logf("policy counters: %v", err)
		return
	}
	amounts := func(m map[string][2]int64) map[string]policy.Amount {
		out := make(map[string]policy.Amount, len(m))
		for a, v := range m {
			out[a] = policy.Amount{Events: int(v[0]), Bytes: v[1]}
		}
		return out
	}
	c := policy.Counts{WrapsFor: amounts(u.WrapsFor), ByAuthor: amounts(u.ByAuthor), ReportsBy: amounts(u.ReportsBy)}
	n.pol.Reset(c)
	if d := time.Since(start); d > time.Second {
		n.logf("policy counters loaded in %s", d.Round(time.Millisecond))
	}
}

// graphDirty asks for the follow graph to be computed again.
func (n *Node) graphDirty() {
	n.graph.mu.Lock()
	n.graph.dirty = true
	n.graph.mu.Unlock()
}

// graphChanged notes that a stored event changes the follow graph.
func (n *Node) graphChanged(ev *nostr.Event) {
	if ev.Kind != event.KindFollowList {
		return
	}
	g := n.pol.Graph()
	if g.Own[ev.PubKey] || g.Hop1[ev.PubKey] {
		n.graph.mu.Lock()
		n.graph.dirty = true
		n.graph.mu.Unlock()
	}
}

// Wants lists what this node reconciles with a Caravan peer, in priority
// order (see policy.Policy.Wants).
func (n *Node) Wants(ctx context.Context) []policy.Want {
	n.refreshGraph(ctx)
	return n.pol.Wants(n.now())
}

// RelayWants lists what this node exchanges with a public relay.
func (n *Node) RelayWants(ctx context.Context) []policy.Want {
	n.refreshGraph(ctx)
	return n.pol.RelayWants()
}
