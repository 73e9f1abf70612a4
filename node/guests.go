package node

// Guests: keys that authenticate on the relay endpoint (NIP-42) and are
// neither this node's identities nor their contacts, such as the phones
// of people at a community node. What they write is bounded per key and
// per day (Config.Guests): the events they sign, the gift wraps sent on
// their connection (a wrap is signed by a one-time key, so the
// connection is what names its sender) and the blobs they upload. The
// day is the UTC day on the node's clock. The counts are kept in memory
// only: a restart starts them again, which at worst gives a guest a
// second day's worth, and writes nothing to disk for every event.
//
// With an invitation code (Config.Guests.Invite), a client that is not
// one of the user's own (relay.Conn.Exempt) must have authenticated an
// admitted key before the node takes what it writes. A key is admitted
// by being an identity of the node or a contact, or by presenting the
// code once, in an ["invite", <code>] tag of its AUTH event; admitted
// keys are remembered in GuestsFile. Wrong codes are counted per address
// and slowed down.
//
// Other nodes sync without authenticating: a session pushes events as
// an unauthenticated client. On an invite-only node such a client's
// events are still taken when they are by an admitted key, or are gift
// wraps addressed to one: what other nodes carry for the people here,
// which nobody without the code could have written as them. Anything
// else it pushes is refused with "auth-required:"; this node still gets
// it in its own sessions, which pull what it wants from every peer it
// dials (on the LAN, each neighbour dials the other).

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/relay"
	"github.com/caravan-mesh/caravan/store"
)

// GuestsFile, in the data directory, lists the keys admitted with the
// invitation code, one a line: the public key in hex and the time it was
// admitted (unix seconds). Lines starting with # are comments. Delete a
// line (with the node stopped) to take an admission back.
const GuestsFile = "guests.txt"

// Bounds on what the node keeps about guests.
const (
	// maxAdmitted is the most keys GuestsFile may list.
	maxAdmitted = 100_000
	// maxGuestsPerDay is the most guest keys counted in one day (about
	// 100 bytes each in memory).
	maxGuestsPerDay = 100_000
	// Wrong invitation codes from one address: guessBurst at once, then
	// one each guessEvery.
	guessBurst = 5
	guessEvery = time.Minute
	// maxGuessers is the most addresses whose wrong codes are counted at
	// once; past it, those that have waited long enough are forgotten.
	maxGuessers = 4096
)

// guestBook is the node's state about guests.
type guestBook struct {
	path string

	mu       sync.Mutex
	admitted map[string]bool
	day      int64                 // the UTC day the counts are for
	used     map[string]*guestUse  // by key, today
	guesses  map[string]*guessRate // by address
}

type guestUse struct {
	events int
	bytes  int64
}

type guessRate struct {
	left float64 // wrong codes still allowed now
	at   time.Time
}

// openGuests reads dir's GuestsFile (none: no key admitted yet).
func openGuests(dir string) (*guestBook, error) {
	g := &guestBook{path: filepath.Join(dir, GuestsFile), admitted: map[string]bool{},
		used: map[string]*guestUse{}, guesses: map[string]*guessRate{}}
	b, err := os.ReadFile(g.path)
	if errors.Is(err, os.ErrNotExist) {
		return g, nil
	}
	if err != nil {
		return nil, err
	}
	lines := bytes.Split(b, []byte("\n"))
	for i, line := range lines {
		s := strings.TrimSpace(string(line))
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		pk, at, _ := strings.Cut(s, " ")
		if _, err := strconv.ParseInt(strings.TrimSpace(at), 10, 64); err != nil || !event.IsHexID(pk) {
			if i == len(lines)-1 {
				continue // the last line, cut short by a crash while it was added: that admission is lost
			}
			return nil, fmt.Errorf("%s line %d: %q is not a public key in hex and a time; fix or delete the line", g.path, i+1, event.Clip(s))
		}
		g.admitted[pk] = true
	}
	return g, nil
}

// isAdmitted says whether pubkey presented the invitation code here.
func (g *guestBook) isAdmitted(pubkey string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.admitted[pubkey]
}

// admit remembers pubkey as admitted, on disk before it returns.
func (g *guestBook) admit(pubkey string, now time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.admitted[pubkey] {
		return nil
	}
	if len(g.admitted) >= maxAdmitted {
		return event.Reject(event.Restricted, "this node has admitted %d guests, the most it keeps", maxAdmitted)
	}
	f, err := os.OpenFile(g.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	var b strings.Builder
	if fi, err := f.Stat(); err == nil && fi.Size() == 0 {
		b.WriteString("# Keys admitted with the invitation code (NIP-42 AUTH): public key, unix time.\n" +
			"# Delete a line, with the node stopped, to take an admission back.\n")
	}
	fmt.Fprintf(&b, "%s %d\n", pubkey, now.Unix())
	_, err = f.WriteString(b.String())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("record the admitted key in %s: %w", GuestsFile, err)
	}
	g.admitted[pubkey] = true
	return nil
}

// guess decides a code from addr, right or not, at now: refused while
// addr has no wrong code left to try (with how long until it has), and
// a wrong one counted. One decision at a time, so that connections from
// one address in parallel get no more tries.
func (g *guestBook) guess(addr string, right bool, now time.Time) (ok bool, wait time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.guesses[addr]
	left := float64(guessBurst)
	if r != nil {
		left = min(r.left+now.Sub(r.at).Seconds()/guessEvery.Seconds(), guessBurst)
	}
	if left < 1 {
		return false, time.Duration((1 - left) * float64(guessEvery)).Round(time.Second)
	}
	if right {
		return true, 0
	}
	if r == nil {
		if len(g.guesses) >= maxGuessers {
			for a, o := range g.guesses {
				if o.left+now.Sub(o.at).Seconds()/guessEvery.Seconds() >= guessBurst {
					delete(g.guesses, a)
				}
			}
		}
		r = &guessRate{}
		g.guesses[addr] = r
	}
	r.left, r.at = left-1, now
	return true, 0
}

// guestCharge is what one write took from a guest's day, given back if
// it was not kept.
type guestCharge struct {
	g      *guestBook
	key    string
	day    int64
	events int
	bytes  int64
}

// dayOf is the UTC day of t.
func dayOf(t time.Time) int64 { return t.Unix() / 86400 }

// take counts events and bytes written by guest key today, or refuses
// them when they would pass the day's limits.
func (g *guestBook) take(lim Guests, key string, events int, bytes int64, now time.Time) (*guestCharge, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if d := dayOf(now); d != g.day {
		g.day = d
		clear(g.used)
	}
	u := g.used[key]
	if u == nil {
		if len(g.used) >= maxGuestsPerDay {
			return nil, event.Reject(event.RateLimited, "this node has taken writes from %d guests today, the most it counts; try again tomorrow (days start at 00:00 UTC)", maxGuestsPerDay)
		}
		u = &guestUse{}
	}
	tomorrow := time.Unix((g.day+1)*86400, 0).Sub(now).Round(time.Minute)
	if events > 0 && u.events+events > lim.EventsPerDay {
		return nil, event.Reject(event.RateLimited, "this key has written %d events here today, a guest's daily limit; more in %s (guests.events_per_day)", u.events, tomorrow)
	}
	if bytes > 0 && u.bytes+bytes > lim.BytesPerDay {
		return nil, event.Reject(event.RateLimited, "this key has written %d of the %d bytes a guest may write here in a day, and this takes %d more; more in %s (guests.bytes_per_day)", u.bytes, lim.BytesPerDay, bytes, tomorrow)
	}
	g.used[key] = u
	u.events += events
	u.bytes += bytes
	return &guestCharge{g: g, key: key, day: g.day, events: events, bytes: bytes}, nil
}

// settle gives the charge back unless what it was for was kept.
func (c *guestCharge) settle(kept bool) {
	if c == nil || kept {
		return
	}
	g := c.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if u := g.used[c.key]; u != nil && g.day == c.day {
		u.events -= c.events
		u.bytes -= c.bytes
	}
}

// invite is the invitation code, "" when none is asked for.
func (n *Node) invite() string { return strings.TrimSpace(n.Config.Guests.Invite) }

// trusted says whether pubkey is one of the node's identities or a
// contact: never a guest.
func (n *Node) trusted(pubkey string) bool {
	g := n.pol.Graph()
	return g.Own[pubkey] || g.Hop1[pubkey]
}

// admitted says whether pubkey may write on an invite-only node.
func (n *Node) admitted(pubkey string) bool {
	return n.trusted(pubkey) || n.guests.isAdmitted(pubkey)
}

// relayAuth is the relay endpoint's Options.Auth: a key that presents the
// invitation code in its AUTH event is admitted.
func (n *Node) relayAuth(c *relay.Conn, ev *nostr.Event) error {
	t := ev.Tags.GetFirst([]string{"invite", ""})
	code := n.invite()
	if t == nil || code == "" {
		return nil // no code given, or none asked for
	}
	n.refreshGraph(c.Context())
	if n.admitted(ev.PubKey) {
		return nil
	}
	now := n.now()
	// Hashed first, so that the comparison takes the same time whatever
	// the lengths. Case does not count: people type the code from paper.
	given := sha256.Sum256([]byte(strings.ToUpper(strings.TrimSpace((*t)[1]))))
	want := sha256.Sum256([]byte(strings.ToUpper(code)))
	right := subtle.ConstantTimeCompare(given[:], want[:]) == 1
	if ok, wait := n.guests.guess(c.Address(), right, now); !ok {
		return event.Reject(event.RateLimited, "too many wrong invitation codes from your address; try again in %s", wait)
	}
	if !right {
		return event.Reject(event.Restricted, "wrong invitation code")
	}
	if err := n.guests.admit(ev.PubKey, now); err != nil {
		var rej *event.Rejection
		if errors.As(err, &rej) {
			return err
		}
		n.logf("guests: %v", err)
		return event.Reject(event.Error, "the code is right, but this node could not record it (%v); try again", err)
	}
	return nil
}

// guestGate applies the invitation and the guests' daily limits to an
// event a client of the relay endpoint sent on c (not exempt). It
// returns the charge to settle once the event is stored or refused.
func (n *Node) guestGate(ctx context.Context, c *relay.Conn, ev *nostr.Event) (*guestCharge, error) {
	n.refreshGraph(ctx)
	keys := c.AuthedKeys()
	if n.invite() != "" && !slices.ContainsFunc(keys, n.admitted) && !n.forAdmitted(ev) {
		if len(keys) == 0 {
			return nil, event.Reject(event.AuthRequired, "this node takes events only from invited people: authenticate (NIP-42 AUTH) with an invited key, or with the invitation code in an [\"invite\", <code>] tag")
		}
		return nil, event.Reject(event.Restricted, "the keys this connection authenticated were not invited here: add the invitation code to the AUTH event, in an [\"invite\", <code>] tag")
	}
	var payer string
	switch {
	case slices.Contains(keys, ev.PubKey):
		if !n.trusted(ev.PubKey) {
			payer = ev.PubKey
		}
	case ev.Kind == event.KindGiftWrap && len(keys) > 0 && !slices.ContainsFunc(keys, n.trusted):
		payer = keys[0] // the wrap's sender signed in on this connection
	}
	if payer == "" {
		return nil, nil
	}
	return n.guests.take(n.Config.Guests, payer, 1, int64(event.Size(ev)), n.now())
}

// forAdmitted says whether ev is what any node would carry for the people
// of an invite-only node: an event an admitted key signed, or a gift
// wrap addressed to one.
func (n *Node) forAdmitted(ev *nostr.Event) bool {
	if n.admitted(ev.PubKey) {
		return true
	}
	if ev.Kind != event.KindGiftWrap {
		return false
	}
	for _, t := range ev.Tags {
		if len(t) >= 2 && t[0] == "p" && n.admitted(t[1]) {
			return true
		}
	}
	return false
}

// acceptFromClient ingests an event a client of the relay endpoint sent,
// under the rules for guests when the client is not exempt.
func (n *Node) acceptFromClient(ctx context.Context, ev *nostr.Event) Result {
	c := relay.ConnOf(ctx)
	var charge *guestCharge
	if c != nil && !c.Exempt() {
		var err error
		if charge, err = n.guestGate(ctx, c, ev); err != nil {
			n.counts.Refused.Add(1)
			return Result{ID: ev.ID, Err: err}
		}
	}
	r := n.Ingest(ctx, ev)[0]
	charge.settle(r.Err == nil && (r.Ephemeral || r.Outcome == store.Stored))
	return r
}

// mayUploadAsGuest says whether pubkey, who is not trusted, may upload
// size bytes (-1: unknown yet) to Blossom now.
func (n *Node) mayUploadAsGuest(pubkey string, size int64) error {
	if n.invite() != "" && !n.guests.isAdmitted(pubkey) {
		return event.Reject(event.Restricted, "this node takes uploads only from its own people and invited guests; authenticate on its relay (NIP-42) with the invitation code first")
	}
	c, err := n.guests.take(n.Config.Guests, pubkey, 0, max(size, 1), n.now())
	c.settle(false) // only a check
	return err
}
