package carry

import (
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/negentropy"
	"github.com/nbd-wtf/go-nostr"
)

// ErrNoRoom is what Local.Ingest reports (wrapped) for an event refused
// for lack of room alone: the share it would count against is full of
// events the node keeps rather than this one.
var ErrNoRoom = errors.New("no room for it")

// Refusals remembers the events a node refused for lack of room
// (ErrNoRoom), so that its next sessions, with any peer, do not ask for
// them again. Without it, a node whose quota for strangers' events is full
// reconciles, pulls and refuses the same thousands of events at every
// sync, to receive a handful of new ones.
//
// A remembered event counts as held in reconciliation, and only there:
// nothing refuses it when it arrives, and it is never offered. It is
// forgotten as soon as the node has room for it again (RefusalOptions.Room),
// after RefusalOptions.Keep, or when newer refusals push it out.
//
// Share one Refusals among a node's sessions (like Turns). The zero value
// is not usable; create it with NewRefusals.
type Refusals struct {
	o RefusalOptions

	mu   sync.Mutex
	list []refusal // oldest first
	held map[[32]byte]bool
}

// RefusalOptions configure Refusals.
type RefusalOptions struct {
	// Room reports whether the node has room now for ev, an event it
	// refused, of size bytes as event.Size counts it. ev has its id,
	// author, kind, created_at and "p" tags, no content. If nil, a
	// refusal is forgotten only when it expires or is pushed out.
	Room func(ev *nostr.Event, size int) bool
	// Max bounds the refusals remembered; the oldest go first. If zero,
	// 50,000 (about 6 MB).
	Max int
	// Keep is how long a refusal is remembered, on the sessions' clock
	// (Options.Now). If zero, a day.
	Keep time.Duration
}

// refusal is one refused event, as much of it as a filter and the policy
// look at.
type refusal struct {
	id, pubkey [32]byte
	kind       int
	createdAt  int64
	size       int
	at         time.Time // when it was refused
	p          [][32]byte
}

// maxRefusalTags is the most "p" tags a remembered event may have; one
// with more is not remembered (a gift wrap has one).
const maxRefusalTags = 4

// NewRefusals returns an empty memory of refusals.
func NewRefusals(o RefusalOptions) *Refusals {
	if o.Max <= 0 {
		o.Max = 50_000
	}
	if o.Keep <= 0 {
		o.Keep = 24 * time.Hour
	}
	return &Refusals{o: o, held: map[[32]byte]bool{}}
}

// Len is the number of refusals remembered.
func (r *Refusals) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.list)
}

// Add remembers that ev was refused for lack of room at now, for a
// refusal the node made outside a session (an event a client pushed to
// its relay endpoint). Sessions remember theirs themselves.
func (r *Refusals) Add(ev *nostr.Event, now time.Time) { r.add(ev, now) }

// Held lists, as reconciliation items, the refusals f matches that are
// still remembered at now (see RefusalOptions.Room and Keep): what a
// relay endpoint counts as held when a peer reconciles with it, so that
// the peer does not push them again. They are never served: a peer that
// asks for them by id gets nothing.
func (r *Refusals) Held(f nostr.Filter, now time.Time) []negentropy.Item {
	r.prune(now)
	return r.matching(f)
}

// add remembers that ev was refused at now.
func (r *Refusals) add(ev *nostr.Event, now time.Time) {
	f := refusal{kind: ev.Kind, createdAt: int64(ev.CreatedAt), size: event.Size(ev), at: now}
	var ok1, ok2 bool
	f.id, ok1 = key32(ev.ID)
	f.pubkey, ok2 = key32(ev.PubKey)
	if !ok1 || !ok2 {
		return
	}
	for _, t := range ev.Tags {
		if len(t) >= 2 && t[0] == "p" {
			k, ok := key32(t[1])
			if !ok || len(f.p) == maxRefusalTags {
				return // a filter on "p" could not tell whether it matches
			}
			f.p = append(f.p, k)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.held[f.id] {
		return
	}
	if len(r.list) >= r.o.Max {
		delete(r.held, r.list[0].id)
		r.list[0] = refusal{}
		r.list = r.list[1:]
	}
	r.list = append(r.list, f)
	r.held[f.id] = true
}

// prune forgets the refusals that have expired at now, and those the node
// has room for again.
func (r *Refusals) prune(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	kept := r.list[:0]
	for _, f := range r.list {
		if now.Sub(f.at) < r.o.Keep && (r.o.Room == nil || !r.o.Room(f.event(), f.size)) {
			kept = append(kept, f)
			continue
		}
		delete(r.held, f.id)
	}
	clear(r.list[len(kept):])
	r.list = kept
}

// matching lists, as reconciliation items, the refusals f matches.
func (r *Refusals) matching(f nostr.Filter) []negentropy.Item {
	m, ok := newMatcher(f)
	if !ok {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []negentropy.Item
	for i := range r.list {
		if m.matches(&r.list[i]) {
			out = append(out, negentropy.Item{Time: uint64(r.list[i].createdAt), ID: r.list[i].id})
		}
	}
	return out
}

// event rebuilds as much of the event as the policy needs to place it.
func (f *refusal) event() *nostr.Event {
	ev := &nostr.Event{ID: hex.EncodeToString(f.id[:]), PubKey: hex.EncodeToString(f.pubkey[:]), Kind: f.kind,
		CreatedAt: nostr.Timestamp(f.createdAt), Tags: nostr.Tags{}}
	for _, p := range f.p {
		ev.Tags = append(ev.Tags, nostr.Tag{"p", hex.EncodeToString(p[:])})
	}
	return ev
}

// matcher is a filter decoded once for matching many refusals.
type matcher struct {
	f              nostr.Filter
	ids, authors   map[[32]byte]bool
	kinds          map[int]bool
	p              map[[32]byte]bool
	anyP           bool // the filter has a "p" tag condition
	since, until   int64
	hasSince, hasU bool
}

// newMatcher decodes f; ok is false for a filter a refusal cannot be
// matched against (one on tags other than "p", or a search) or whose set
// is not all it matches (one with a limit): then none is added, and the
// events are asked for as before.
func newMatcher(f nostr.Filter) (matcher, bool) {
	m := matcher{f: f}
	if f.Search != "" || f.Limit > 0 || f.LimitZero {
		return m, false
	}
	set := func(hexes []string) map[[32]byte]bool {
		s := make(map[[32]byte]bool, len(hexes))
		for _, h := range hexes {
			if k, ok := key32(h); ok {
				s[k] = true
			}
		}
		return s
	}
	m.ids, m.authors = set(f.IDs), set(f.Authors)
	m.kinds = make(map[int]bool, len(f.Kinds))
	for _, k := range f.Kinds {
		m.kinds[k] = true
	}
	for k, vs := range f.Tags {
		if k != "p" {
			return m, false
		}
		m.anyP, m.p = true, set(vs)
	}
	if f.Since != nil {
		m.since, m.hasSince = int64(*f.Since), true
	}
	if f.Until != nil {
		m.until, m.hasU = int64(*f.Until), true
	}
	return m, true
}

func (m *matcher) matches(r *refusal) bool {
	switch {
	case len(m.f.IDs) > 0 && !m.ids[r.id],
		len(m.f.Authors) > 0 && !m.authors[r.pubkey],
		len(m.f.Kinds) > 0 && !m.kinds[r.kind],
		m.hasSince && r.createdAt < m.since,
		m.hasU && r.createdAt > m.until:
		return false
	}
	if m.anyP {
		for _, p := range r.p {
			if m.p[p] {
				return true
			}
		}
		return false
	}
	return true
}

// key32 decodes 64 hex digits.
func key32(h string) (k [32]byte, ok bool) {
	if len(h) != 64 {
		return k, false
	}
	_, err := hex.Decode(k[:], []byte(h))
	return k, err == nil
}
