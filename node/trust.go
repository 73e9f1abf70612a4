package node

// The web of trust: where an author stands in the follow graph of this
// node's identities (policy.Graph), and lists of events ranked by it.
// docs/trust.md says why lists are ordered as they are.

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/nbd-wtf/go-nostr"

	"github.com/caravan-mesh/caravan/policy"
)

// Level is how close an author is in the follow graph.
type Level string

// Levels, closest first.
const (
	TrustOwn      Level = "own"      // one of this node's identities
	TrustContact  Level = "contact"  // a contact: followed by an identity, or in its address book
	TrustFollowed Level = "followed" // not a contact, but a contact follows them
	TrustStranger Level = "stranger" // nobody here or among the contacts follows them
)

// Trust is where an author stands, seen from all of this node's
// identities together (the graph the policy carries by).
type Trust struct {
	Level Level `json:"level"`
	// FollowedBy is how many distinct contacts' follow lists name the
	// author: at least 1 when Level is followed, and counted for contacts
	// too. Zero for strangers and for the node's own identities.
	FollowedBy int `json:"followed_by,omitempty"`
}

// String is the mark shown next to an author's name: "you", "contact",
// "followed by 3 contacts", "stranger".
func (t Trust) String() string {
	switch t.Level {
	case TrustOwn:
		return "you"
	case TrustContact:
		return "contact"
	case TrustFollowed:
		if t.FollowedBy == 1 {
			return "followed by 1 contact"
		}
		return fmt.Sprintf("followed by %d contacts", t.FollowedBy)
	}
	return "stranger"
}

// tier ranks levels: the node's identities and contacts share the first.
func (t Trust) tier() int {
	switch t.Level {
	case TrustOwn, TrustContact:
		return 0
	case TrustFollowed:
		return 1
	}
	return 2
}

// compareTrust orders the more trusted first: own and contacts, then
// people followed by more contacts, then by fewer, then strangers.
func compareTrust(a, b Trust) int {
	if c := cmp.Compare(a.tier(), b.tier()); c != 0 {
		return c
	}
	if a.Level == TrustFollowed {
		return cmp.Compare(b.FollowedBy, a.FollowedBy)
	}
	return 0
}

func trustIn(g policy.Graph, pk string) Trust {
	switch {
	case g.Own[pk]:
		return Trust{Level: TrustOwn}
	case g.Hop1[pk]:
		return Trust{Level: TrustContact, FollowedBy: g.FollowedBy[pk]}
	case g.Hop2[pk] && g.FollowedBy[pk] > 0:
		return Trust{Level: TrustFollowed, FollowedBy: g.FollowedBy[pk]}
	}
	return Trust{Level: TrustStranger}
}

// graphNow is the follow graph, brought up to date first.
func (n *Node) graphNow(ctx context.Context) policy.Graph {
	n.refreshGraph(ctx)
	return n.pol.Graph()
}

// Trust says where the author with hex key pk stands.
func (n *Node) Trust(ctx context.Context, pk string) Trust {
	return trustIn(n.graphNow(ctx), pk)
}

// TrustOf says where each of the hex keys stands.
func (n *Node) TrustOf(ctx context.Context, pks []string) map[string]Trust {
	g := n.graphNow(ctx)
	out := make(map[string]Trust, len(pks))
	for _, pk := range pks {
		out[pk] = trustIn(g, pk)
	}
	return out
}

// Order is how a list of events is sorted.
type Order string

// Orders. The zero value is each list's own default: newest first for the
// feed and reports, best match first for search.
const (
	ByTime  Order = "time"
	ByTrust Order = "trust" // own and contacts, then by followers, then strangers; newest first within each
)

// ParseOrder reads an order as typed ("", "time" or "trust").
func ParseOrder(s string) (Order, error) {
	switch o := Order(s); o {
	case "", ByTime, ByTrust:
		return o, nil
	}
	return "", fmt.Errorf("order %q: give time or trust", s)
}

// maxRankedNetwork bounds the contacts' contacts whose events a ranked
// list asks the store for by name (the most followed first); events of
// the others compete among the newest of everyone's.
const maxRankedNetwork = 2000

// rankedAuthors lists, for a ranked list, the authors to ask the store
// for before everyone's newest: the node's identities and contacts, then
// up to maxRankedNetwork contacts' contacts, most followed first, in
// groups of at most 500. only, when not empty, limits them to its keys.
func rankedAuthors(g policy.Graph, only []string) [][]string {
	var in map[string]bool
	if len(only) > 0 {
		in = make(map[string]bool, len(only))
		for _, k := range only {
			in[k] = true
		}
	}
	ok := func(k string) bool { return in == nil || in[k] }
	var near []string
	for k := range g.Own {
		if ok(k) {
			near = append(near, k)
		}
	}
	for k := range g.Hop1 {
		if ok(k) && !g.Own[k] {
			near = append(near, k)
		}
	}
	slices.Sort(near)
	// Bucket the network by follower count: no sort of a graph that may
	// hold hundreds of thousands of keys.
	var buckets [][]string
	for k := range g.Hop2 {
		c := g.FollowedBy[k]
		if !ok(k) || c <= 0 {
			continue
		}
		for len(buckets) <= c {
			buckets = append(buckets, nil)
		}
		buckets[c] = append(buckets[c], k)
	}
	var far []string
	for c := len(buckets) - 1; c > 0 && len(far) < maxRankedNetwork; c-- {
		b := buckets[c]
		slices.Sort(b)
		far = append(far, b[:min(len(b), maxRankedNetwork-len(far))]...)
	}
	var out [][]string
	for _, list := range [][]string{near, far} {
		for len(list) > 0 {
			n := min(len(list), 500)
			out = append(out, list[:n])
			list = list[n:]
		}
	}
	return out
}

// FeedItem is an event and where its author stands.
type FeedItem struct {
	Event *nostr.Event `json:"event"`
	Trust Trust        `json:"trust"`
}

// Feed returns the events f matches, at most f.Limit and never more than
// the relay's max_limit, each with its author's standing.
//
// By time (the default) they are the newest, newest first, as a relay
// would send them. By trust they are the page a reader should see first:
// the newest events of the node's identities and contacts, then of the
// contacts' contacts (those followed by more contacts first), then of
// strangers. Contacts' events are asked for by author, so however many
// events strangers send, they never push a contact's event off the page.
func (n *Node) Feed(ctx context.Context, f nostr.Filter, o Order) ([]FeedItem, error) {
	limit := f.Limit
	if limit <= 0 || limit > n.Config.Relay.MaxLimit {
		limit = n.Config.Relay.MaxLimit
	}
	f.Limit = limit
	g := n.graphNow(ctx)
	var items []FeedItem
	seen := map[string]bool{}
	query := func(q nostr.Filter) error {
		evs, err := n.st.QueryEvents(ctx, q, limit)
		if err != nil {
			return err
		}
		for _, ev := range evs {
			if !seen[ev.ID] {
				seen[ev.ID] = true
				items = append(items, FeedItem{Event: ev, Trust: trustIn(g, ev.PubKey)})
			}
		}
		return nil
	}
	if o == ByTrust && len(f.IDs) == 0 {
		for _, authors := range rankedAuthors(g, f.Authors) {
			q := f
			q.Authors = authors
			if err := query(q); err != nil {
				return nil, err
			}
		}
	}
	if err := query(f); err != nil {
		return nil, err
	}
	if o == ByTrust {
		slices.SortStableFunc(items, func(a, b FeedItem) int {
			if c := compareTrust(a.Trust, b.Trust); c != 0 {
				return c
			}
			if c := cmp.Compare(b.Event.CreatedAt, a.Event.CreatedAt); c != 0 {
				return c
			}
			return cmp.Compare(a.Event.ID, b.Event.ID)
		})
	}
	return items[:min(len(items), limit)], nil
}

// CompareTrust orders the more trusted first, as the feed does: own and
// contacts, then people followed by more contacts, then by fewer, then
// strangers. Features sort their own lists with it.
func CompareTrust(a, b Trust) int { return compareTrust(a, b) }

// RankedAuthors lists, for a list ranked by trust as the feed is, the
// authors to ask the store for before everyone's newest: the node's
// identities and contacts, then the contacts' contacts most followed
// first, in groups of at most 500. only, when not empty, limits them to
// its keys.
func (n *Node) RankedAuthors(ctx context.Context, only []string) [][]string {
	return rankedAuthors(n.graphNow(ctx), only)
}
