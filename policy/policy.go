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
//
// What is carried for strangers is bounded three ways: a cap for each class
// (strangers' events, their reports, wraps for others), a cap for each
// stranger, and optionally a minimum NIP-13 proof of work. A full cap does
// not simply refuse: a new event evicts the weakest of its class (least
// proof of work, then oldest) if it is stronger, so proof of work raises a
// stranger's priority and a flood of fresh keys cycles through the
// strangers' share without touching anything else. The node's own events,
// its contacts' and their contacts', and messages for its people are
// never evicted (docs/flood.md).
package policy

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip13"
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
	// NoRelayReports stops pushing the reports (and translations) this
	// node carries for others to public relays; its own still go.
	NoRelayReports bool `json:"no_relay_reports,omitempty"`
	// MaxBlob is the largest attachment (blob) this node fetches and
	// keeps for events it carries. If zero, 16 MiB.
	MaxBlob int64 `json:"max_blob,omitempty"`
	// Blobs caps all blobs fetched for others' events. If zero, 1 GiB.
	Blobs int64 `json:"blobs,omitempty"`
	// Reports caps reports (and translations) by people outside the follow
	// graph. If zero, 20,000 events and 256 MiB.
	Reports Cap `json:"reports,omitempty"`
	// PerStranger caps what one person outside the follow graph may have
	// carried here, of all kinds but gift wraps. If zero, 1,000 events and
	// 8 MiB.
	PerStranger Cap `json:"per_stranger,omitempty"`
	// MinPoW is the NIP-13 proof of work (leading zero bits of the id,
	// committed to in a "nonce" tag) required of events by people outside
	// the follow graph. If zero, none is required; proof of work still
	// decides what stays when a cap is full.
	MinPoW int `json:"min_pow,omitempty"`
	// MaxStore bounds the store's size in bytes. When it is reached,
	// expired events go first, then strangers' events, wraps for others
	// and strangers' reports, weakest first; if nothing of that kind is
	// left, only the node's own events are accepted. If zero, half the
	// room the store has on the data directory's disk (its free space
	// plus the store's files), measured as the store grows; if set, at
	// most 7/8 of that room (docs/flood.md).
	MaxStore int64 `json:"max_store,omitempty"`
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
	c.Wraps = c.Wraps.or(20_000, 64<<20)
	c.Strangers = c.Strangers.or(20_000, 32<<20)
	c.Reports = c.Reports.or(20_000, 256<<20)
	c.PerStranger = c.PerStranger.or(1_000, 8<<20)
	if c.MinPoW < 0 {
		c.MinPoW = 0
	}
	if c.StrangerWindow <= 0 {
		c.StrangerWindow = event.Duration(7 * 24 * time.Hour)
	}
	return c
}

// or fills c's zero (or negative) fields with these.
func (c Cap) or(events int, bytes int64) Cap {
	if c.Events <= 0 {
		c.Events = events
	}
	if c.Bytes <= 0 {
		c.Bytes = bytes
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
	wrapsFor  map[string]Amount // gift wraps by recipient (see recipient)
	wraps     Amount            // wrapsFor over recipients outside Own and Hop1
	byAuthor  map[string]Amount // events of all kinds but wraps and drafts, by author
	reportsBy map[string]Amount // the part of byAuthor that is reports
	strangers Amount            // byAuthor less reportsBy, over authors outside the graph
	reports   Amount            // reportsBy over authors outside the graph
}

// Amount is a number of events and their bytes.
type Amount struct {
	Events int   `json:"events"`
	Bytes  int64 `json:"bytes"`
}

// New returns a policy with an empty graph.
func New(cfg Config) *Policy {
	p := &Policy{wrapsFor: map[string]Amount{}, byAuthor: map[string]Amount{}, reportsBy: map[string]Amount{}, g: Graph{Own: map[string]bool{}, Hop1: map[string]bool{}, Hop2: map[string]bool{}}}
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
	p.wraps, p.strangers, p.reports = Amount{}, Amount{}, Amount{}
	for k, u := range p.wrapsFor {
		if !p.g.Own[k] && !p.g.Hop1[k] {
			p.wraps = p.wraps.plus(u)
		}
	}
	noReports := p.cfg.Load().NoReports
	for a, u := range p.byAuthor {
		if p.known(a) {
			continue
		}
		r := p.reportsBy[a]
		if noReports {
			r = Amount{}
		}
		p.strangers = p.strangers.plus(u.minus(r))
		p.reports = p.reports.plus(r)
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
	case ev.Kind == event.KindDraft:
		return LocalOnly
	case p.g.Own[ev.PubKey]:
		return Own
	case ev.Kind == event.KindGiftWrap:
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
	case ev.Kind == event.KindReport && !p.cfg.Load().NoReports:
		return Report
	case ev.Kind == event.KindDeletion:
		return Deletion
	}
	return Stranger
}

// Admission is how the node keeps an event Take let in.
type Admission struct {
	Class Class
	PoW   int // NIP-13 committed difficulty, for strangers' events and wraps
	// Full, if not nil, is how far the event overflows a cap: that much of
	// the weakest weaker events must be evicted first (from the event's
	// class, or from its author's own events if ByAuthor), or the event
	// is not kept.
	Full     *Amount
	ByAuthor bool
}

// Take admits ev, received from anywhere, and counts it against the caps;
// it refuses (with a "blocked:" or "pow:" rejection) what the node does not
// carry. size is the event's stored size. If the event is then not stored
// (a duplicate, or no room could be made), the caller gives it back with
// Return.
func (p *Policy) Take(ev *nostr.Event, size int) (Admission, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cfg := p.cfg.Load()
	a := Admission{Class: p.classify(ev)}
	switch a.Class {
	case LocalOnly:
		if !p.g.Own[ev.PubKey] {
			return a, event.Reject(event.Blocked, "drafts (kind 30024) stay on the device that wrote them")
		}
	case Wrap:
		a.PoW = nip13.CommittedDifficulty(ev)
		a.Full = overflow(p.wraps, cfg.Wraps, size)
	case Stranger, Report, Deletion:
		a.PoW = nip13.CommittedDifficulty(ev)
		if a.PoW < cfg.MinPoW {
			return a, event.Reject(event.PoW, "this node carries events of people outside its contacts only with proof of work of %d bits (NIP-13); this one has %d", cfg.MinPoW, a.PoW)
		}
		if a.Full = overflow(p.byAuthor[ev.PubKey], cfg.PerStranger, size); a.Full != nil {
			a.ByAuthor = true
		} else if a.Class == Report {
			a.Full = overflow(p.reports, cfg.Reports, size)
		} else {
			a.Full = overflow(p.strangers, cfg.Strangers, size)
		}
	}
	p.count(ev, a.Class, 1, size)
	return a, nil
}

// overflow is the room one more event of size needs under cap, or nil:
// one event's worth at most, so that events taken together (each counted
// before any is stored) do not evict for each other, and a cap lowered
// below what is held applies to what arrives rather than emptying the
// class at once.
func overflow(used Amount, cap Cap, size int) *Amount {
	over := Amount{Events: min(1, max(0, used.Events+1-cap.Events)), Bytes: min(int64(size), max(0, used.Bytes+int64(size)-cap.Bytes))}
	if over == (Amount{}) {
		return nil
	}
	return &over
}

// Protected reports whether ev must never be evicted: the node's own
// events, its contacts' and their contacts', messages for its people, and
// drafts.
func (p *Policy) Protected(ev *nostr.Event) bool {
	switch p.Classify(ev) {
	case Stranger, Report, Deletion, Wrap:
		return false
	}
	return true
}

// Count counts an event against the caps without refusing it (the node's
// own outgoing wraps).
func (p *Policy) Count(ev *nostr.Event, size int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count(ev, p.classify(ev), 1, size)
}

// Return undoes Take (or Count) for an event that was not stored, and
// counts out an event removed from the store.
func (p *Policy) Return(ev *nostr.Event, size int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count(ev, p.classify(ev), -1, size)
}

func (p *Policy) count(ev *nostr.Event, c Class, sign int, size int) {
	d := Amount{Events: sign, Bytes: int64(sign * size)}
	switch {
	case ev.Kind == event.KindGiftWrap:
		r := recipient(ev)
		p.wrapsFor[r] = p.wrapsFor[r].plus(d)
		if c == Wrap {
			p.wraps = p.wraps.plus(d)
		}
	case ev.Kind == event.KindDraft:
	default:
		p.byAuthor[ev.PubKey] = p.byAuthor[ev.PubKey].plus(d)
		if ev.Kind == event.KindReport {
			p.reportsBy[ev.PubKey] = p.reportsBy[ev.PubKey].plus(d)
		}
		switch c {
		case Report:
			p.reports = p.reports.plus(d)
		case Stranger, Deletion:
			p.strangers = p.strangers.plus(d)
		}
	}
}

// recipient is whom a gift wrap is for, as the counters key it: its "p"
// tag (NIP-59 gives one; the smallest if there are several, as the store
// counts them), or "" if none.
func recipient(ev *nostr.Event) string {
	r := ""
	for _, t := range ev.Tags {
		if len(t) >= 2 && t[0] == "p" && (r == "" || t[1] < r) {
			r = t[1]
		}
	}
	return r
}

func (a Amount) plus(b Amount) Amount  { return Amount{a.Events + b.Events, a.Bytes + b.Bytes} }
func (a Amount) minus(b Amount) Amount { return Amount{a.Events - b.Events, a.Bytes - b.Bytes} }

// Usage is how full the caps are.
type Usage struct {
	Wraps     Amount `json:"wraps"`
	Strangers Amount `json:"strangers"`
	Reports   Amount `json:"reports"`
}

// Usage reports the counters.
func (p *Policy) Usage() Usage {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Usage{Wraps: p.wraps, Strangers: p.strangers, Reports: p.reports}
}

// Counts are stored totals, for Reset.
type Counts struct {
	WrapsFor  map[string]Amount // gift wraps by recipient
	ByAuthor  map[string]Amount // events of all kinds but wraps and drafts, by author
	ReportsBy map[string]Amount // the part of ByAuthor that is reports
}

// Reset replaces the counters with totals measured from the store.
func (p *Policy) Reset(c Counts) {
	p.mu.Lock()
	p.wrapsFor, p.byAuthor, p.reportsBy = c.WrapsFor, c.ByAuthor, c.ReportsBy
	if p.wrapsFor == nil {
		p.wrapsFor = map[string]Amount{}
	}
	if p.byAuthor == nil {
		p.byAuthor = map[string]Amount{}
	}
	if p.reportsBy == nil {
		p.reportsBy = map[string]Amount{}
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
		both(WrapForUs, nostr.Filter{Kinds: []int{event.KindGiftWrap}, Tags: nostr.TagMap{"p": ks}})
	}
	if !p.cfg.Load().NoReports {
		both(Report, nostr.Filter{Kinds: []int{event.KindReport}})
	}
	both(Deletion, nostr.Filter{Kinds: []int{event.KindDeletion}})
	for _, ks := range chunks(p.g.Hop1) {
		both(Contact, nostr.Filter{Authors: ks})
	}
	for _, ks := range chunks(p.g.Hop2) {
		both(Network, nostr.Filter{Authors: ks})
	}
	both(Wrap, nostr.Filter{Kinds: []int{event.KindGiftWrap}})
	since := nostr.Timestamp(now.Add(-time.Duration(p.cfg.Load().StrangerWindow)).Unix())
	both(Stranger, nostr.Filter{Since: &since})
	return out
}

// RelayWants lists what to exchange with a public relay: the user's own
// events out and in; in, what is addressed to the user and what public
// contacts publish; out, the public reports and translations the node
// carries, which are written for the world and which a window of internet
// is there to get out (unless NoRelayReports). Nothing else carried for
// others goes to a public relay, and private contacts are not named to
// it: a relay would learn the private address book from the filters.
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
	if !p.cfg.Load().NoRelayReports {
		out = append(out, Want{Class: Report, Filter: nostr.Filter{Kinds: []int{event.KindReport}}, Push: true})
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
