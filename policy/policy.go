// Package policy decides what a node carries: which events it accepts from
// others, which it asks peers for, and in what order.
//
// By default a node carries:
//
//   - its own events (those of its identities), always;
//   - its contacts' events and their contacts' (two hops of kind-3 follow
//     lists);
//   - gift wraps (kind 1059, NIP-59) for anyone, carried blindly, up to a
//     cap in count and bytes (wraps for its own identities and contacts
//     are always taken); expired ones are purged by the store (NIP-40);
//   - reports (kind 30023, NIP-23) and their translations, and deletion
//     requests (kind 5);
//   - strangers' other events within a quota.
//
// Drafts (kind 30024) never leave the node that wrote them.
package policy

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/nbd-wtf/go-nostr"
)

// Config is the "policy" section of config.json. The zero value means the
// defaults documented on each field.
type Config struct {
	// FollowHops is how far along kind-3 follow lists "contacts" reaches:
	// 1 for contacts only, 2 for their contacts too. If zero, 2.
	FollowHops int `json:"follow_hops,omitempty"`
	// Wraps caps gift wraps carried for people who are not contacts. If
	// zero, 20,000 events and 64 MiB.
	Wraps Cap `json:"wraps,omitempty"`
	// Strangers caps other events by people outside the follow graph. If
	// zero, 20,000 events and 32 MiB.
	Strangers Cap `json:"strangers,omitempty"`
	// StrangerWindow is how far back sync asks peers for strangers'
	// events. If zero, 7 days.
	StrangerWindow event.Duration `json:"stranger_window,omitempty"`
	// NoReports stops carrying reports of people outside the follow graph.
	NoReports bool `json:"no_reports,omitempty"`
	// MaxBlob is the largest attachment (blob) this node fetches and
	// keeps for events it carries. If zero, 16 MiB.
	MaxBlob int64 `json:"max_blob,omitempty"`
	// Blobs caps all blobs fetched for others' events. If zero, 1 GiB.
	Blobs int64 `json:"blobs,omitempty"`
}

// Cap bounds a class of events.
type Cap struct {
	Events int   `json:"events,omitempty"`
	Bytes  int64 `json:"bytes,omitempty"`
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.FollowHops <= 0 {
		c.FollowHops = 2
	}
	if c.MaxBlob <= 0 {
		c.MaxBlob = 16 << 20
	}
	if c.Blobs <= 0 {
		c.Blobs = 1 << 30
	}
	if c.Wraps.Events <= 0 {
		c.Wraps.Events = 20_000
	}
	if c.Wraps.Bytes <= 0 {
		c.Wraps.Bytes = 64 << 20
	}
	if c.Strangers.Events <= 0 {
		c.Strangers.Events = 20_000
	}
	if c.Strangers.Bytes <= 0 {
		c.Strangers.Bytes = 32 << 20
	}
	if c.StrangerWindow <= 0 {
		c.StrangerWindow = event.Duration(7 * 24 * time.Hour)
	}
	return c
}

// Class is why a node carries an event, in priority order.
type Class int

const (
	Own       Class = iota // written by one of the node's identities
	WrapForUs              // a gift wrap addressed to an identity or a contact
	Report                 // kind 30023, a report or a translation
	Deletion               // kind 5
	Contact                // by a contact (one hop)
	Network                // by a contact's contact (two hops)
	Wrap                   // a gift wrap for someone else, carried blindly
	Stranger               // anything else
	LocalOnly              // a draft: never shared
)

var classNames = [...]string{"own", "wraps for us", "reports", "deletions", "contacts", "contacts' contacts", "wraps for others", "strangers", "local only"}

func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// Graph is the follow graph as seen from the node's identities, as sets of
// hex public keys. Hidden holds the contacts of Hop1 that are only in a
// private address book, not in any public follow list: their events are
// carried like any contact's, but they are never named to a public relay.
// FollowedBy counts, for each key a contact's follow list names, how many
// distinct contacts (Hop1) name it: at least 1 for every key of Hop2.
// Contacts' lists are read only when FollowHops is 2, so with 1 it is
// empty. It ranks authors; the policy itself does not use it.
type Graph struct {
	Own, Hop1, Hop2 map[string]bool
	Hidden          map[string]bool
	FollowedBy      map[string]int
}

// Policy applies a Config to a follow graph and keeps the counters the
// caps need. It is safe for concurrent use.
type Policy struct {
	cfg atomic.Pointer[Config]

	mu        sync.Mutex
	g         Graph
	wraps     Amount
	byAuthor  map[string]Amount // events that count against the strangers' quota, by author
	strangers Amount            // sum of byAuthor over authors outside the graph
}

// Amount is a number of events and their bytes.
type Amount struct {
	Events int   `json:"events"`
	Bytes  int64 `json:"bytes"`
}

// New returns a policy with an empty graph.
func New(cfg Config) *Policy {
	p := &Policy{byAuthor: map[string]Amount{}, g: Graph{Own: map[string]bool{}, Hop1: map[string]bool{}, Hop2: map[string]bool{}}}
	p.SetConfig(cfg)
	return p
}

// Config is the effective configuration.
func (p *Policy) Config() Config { return *p.cfg.Load() }

// SetConfig changes the configuration (defaults filled in). Quotas apply to
// what arrives from now on: nothing already stored is dropped. A change of
// FollowHops takes effect with the next SetGraph.
func (p *Policy) SetConfig(c Config) {
	c = c.WithDefaults()
	p.cfg.Store(&c)
}

// SetGraph replaces the follow graph.
func (p *Policy) SetGraph(g Graph) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cfg.Load().FollowHops < 2 {
		g.Hop2 = map[string]bool{}
	}
	p.g = g
	p.strangers = Amount{}
	for a, u := range p.byAuthor {
		if !p.known(a) {
			p.strangers.Events += u.Events
			p.strangers.Bytes += u.Bytes
		}
	}
}

// Graph returns the current follow graph (shared; do not modify).
func (p *Policy) Graph() Graph {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.g
}

func (p *Policy) known(pk string) bool { return p.g.Own[pk] || p.g.Hop1[pk] || p.g.Hop2[pk] }

// Classify says why the node would carry ev.
func (p *Policy) Classify(ev *nostr.Event) Class {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.classify(ev)
}

func (p *Policy) classify(ev *nostr.Event) Class {
	switch {
	case ev.Kind == 30024:
		return LocalOnly
	case p.g.Own[ev.PubKey]:
		return Own
	case ev.Kind == nostr.KindGiftWrap:
		for _, t := range ev.Tags {
			if len(t) >= 2 && t[0] == "p" && (p.g.Own[t[1]] || p.g.Hop1[t[1]]) {
				return WrapForUs
			}
		}
		return Wrap
	case p.g.Hop1[ev.PubKey]:
		return Contact
	case p.g.Hop2[ev.PubKey]:
		return Network
	case ev.Kind == 30023 && !p.cfg.Load().NoReports:
		return Report
	case ev.Kind == nostr.KindDeletion:
		return Deletion
	}
	return Stranger
}

// Take admits ev, received from anywhere, and counts it against the caps;
// it refuses (with a "blocked:" rejection) what the node does not carry.
// size is the event's stored size. If the event is then not stored (a
// duplicate, say), the caller gives it back with Return.
func (p *Policy) Take(ev *nostr.Event, size int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.classify(ev)
	switch c {
	case LocalOnly:
		if !p.g.Own[ev.PubKey] {
			return event.Reject(event.Blocked, "drafts (kind 30024) stay on the device that wrote them")
		}
	case Wrap:
		if p.wraps.Events+1 > p.cfg.Load().Wraps.Events || p.wraps.Bytes+int64(size) > p.cfg.Load().Wraps.Bytes {
			return event.Reject(event.Blocked, "this node already carries its limit of sealed messages for others (%d, %d bytes)", p.wraps.Events, p.wraps.Bytes)
		}
	case Stranger:
		if p.strangers.Events+1 > p.cfg.Load().Strangers.Events || p.strangers.Bytes+int64(size) > p.cfg.Load().Strangers.Bytes {
			return event.Reject(event.Blocked, "this node's quota for events of people outside its contacts is full")
		}
	}
	p.count(ev, c, 1, size)
	return nil
}

// Count counts an event against the caps without refusing it (the node's
// own outgoing wraps).
func (p *Policy) Count(ev *nostr.Event, size int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count(ev, p.classify(ev), 1, size)
}

// Return undoes Take (or Count) for an event that was not stored.
func (p *Policy) Return(ev *nostr.Event, size int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count(ev, p.classify(ev), -1, size)
}

func (p *Policy) count(ev *nostr.Event, c Class, sign int, size int) {
	switch {
	case c == Wrap:
		p.wraps.Events += sign
		p.wraps.Bytes += int64(sign * size)
	case countsAsStranger(ev):
		u := p.byAuthor[ev.PubKey]
		u.Events += sign
		u.Bytes += int64(sign * size)
		p.byAuthor[ev.PubKey] = u
		if c == Stranger {
			p.strangers.Events += sign
			p.strangers.Bytes += int64(sign * size)
		}
	}
}

// countsAsStranger: kinds that, by someone outside the graph, use the
// strangers' quota (wraps, reports and deletions have classes of their own).
func countsAsStranger(ev *nostr.Event) bool {
	return ev.Kind != nostr.KindGiftWrap && ev.Kind != 30023 && ev.Kind != nostr.KindDeletion && ev.Kind != 30024
}

// Usage is how full the caps are.
type Usage struct {
	Wraps     Amount `json:"wraps"`
	Strangers Amount `json:"strangers"`
}

// Usage reports the counters.
func (p *Policy) Usage() Usage {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Usage{Wraps: p.wraps, Strangers: p.strangers}
}

// Counts are stored totals, for Recount.
type Counts struct {
	Wraps    Amount
	ByAuthor map[string]Amount // events counting against the strangers' quota, by author
}

// Reset replaces the counters with totals measured from the store.
func (p *Policy) Reset(c Counts) {
	p.mu.Lock()
	p.wraps = c.Wraps
	p.byAuthor = c.ByAuthor
	if p.byAuthor == nil {
		p.byAuthor = map[string]Amount{}
	}
	p.mu.Unlock()
	p.SetGraph(p.Graph())
}

// Want is one thing a node asks a peer for, or offers it: a filter and
// which ways events flow for it.
type Want struct {
	Class  Class
	Filter nostr.Filter
	Pull   bool // ask the peer for what we lack
	Push   bool // offer the peer what it lacks
}

// maxAuthors bounds the pubkeys in one filter; longer lists are split.
const maxAuthors = 500

// Wants lists what to reconcile with a Caravan peer, in priority order.
func (p *Policy) Wants(now time.Time) []Want {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Want
	both := func(c Class, f nostr.Filter) { out = append(out, Want{Class: c, Filter: f, Pull: true, Push: true}) }
	for _, ks := range chunks(p.g.Own) {
		both(Own, nostr.Filter{Authors: ks})
	}
	us := map[string]bool{}
	for k := range p.g.Own {
		us[k] = true
	}
	for k := range p.g.Hop1 {
		us[k] = true
	}
	for _, ks := range chunks(us) {
		both(WrapForUs, nostr.Filter{Kinds: []int{nostr.KindGiftWrap}, Tags: nostr.TagMap{"p": ks}})
	}
	if !p.cfg.Load().NoReports {
		both(Report, nostr.Filter{Kinds: []int{30023}})
	}
	both(Deletion, nostr.Filter{Kinds: []int{nostr.KindDeletion}})
	for _, ks := range chunks(p.g.Hop1) {
		both(Contact, nostr.Filter{Authors: ks})
	}
	for _, ks := range chunks(p.g.Hop2) {
		both(Network, nostr.Filter{Authors: ks})
	}
	both(Wrap, nostr.Filter{Kinds: []int{nostr.KindGiftWrap}})
	since := nostr.Timestamp(now.Add(-time.Duration(p.cfg.Load().StrangerWindow)).Unix())
	both(Stranger, nostr.Filter{Since: &since})
	return out
}

// RelayWants lists what to exchange with a public relay: the user's own
// events out and in, and in only what is addressed to the user and what
// public contacts publish. Nothing carried for others goes to a public
// relay, and private contacts are not named to it: a relay would learn the
// private address book from the filters.
func (p *Policy) RelayWants() []Want {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Want
	for _, ks := range chunks(p.g.Own) {
		out = append(out, Want{Class: Own, Filter: nostr.Filter{Authors: ks}, Pull: true, Push: true})
		out = append(out, Want{Class: WrapForUs, Filter: nostr.Filter{Tags: nostr.TagMap{"p": ks}}, Pull: true})
	}
	public := make(map[string]bool, len(p.g.Hop1))
	for k := range p.g.Hop1 {
		if !p.g.Hidden[k] {
			public[k] = true
		}
	}
	for _, ks := range chunks(public) {
		out = append(out, Want{Class: Contact, Filter: nostr.Filter{Authors: ks}, Pull: true})
	}
	return out
}

func chunks(set map[string]bool) [][]string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out [][]string
	for len(keys) > 0 {
		n := min(len(keys), maxAuthors)
		out = append(out, keys[:n])
		keys = keys[n:]
	}
	return out
}
