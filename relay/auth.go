package relay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/nbd-wtf/go-nostr"
)

// NIP-42 authentication. A websocket client is sent ["AUTH", <challenge>]
// as it connects, a random challenge of its own; it answers, whenever it
// likes, with ["AUTH", <kind 22242 event>] tagged with that challenge and
// this relay's URL, and is answered with OK. A connection may
// authenticate several keys (up to MaxAuthKeys). Links served with
// ServeConn (stdio pipes) are the user's own and are sent no challenge.
//
// What a key may then do is the Backend's decision (Options.Auth, and
// AuthedKeys in Accept); the relay itself uses it for one thing: gift
// wraps (kind 1059) go only to those they are addressed to (see
// wrapsFor).

// MaxAuthKeys is the most keys one connection may authenticate.
const MaxAuthKeys = 16

// AuthWindow is how far an AUTH event's created_at may be from the
// relay's clock, either way.
const AuthWindow = 10 * time.Minute

type connKey struct{}

// ConnOf returns the connection whose request ctx belongs to (the ctx a
// Backend's Accept is given), or nil.
func ConnOf(ctx context.Context) *Conn {
	c, _ := ctx.Value(connKey{}).(*Conn)
	return c
}

// AuthedKeys lists the public keys (hex) this connection authenticated,
// in the order it did.
func (c *Conn) AuthedKeys() []string {
	if p := c.authed.Load(); p != nil {
		return *p
	}
	return nil
}

// IsAuthed says whether the connection authenticated pubkey.
func (c *Conn) IsAuthed(pubkey string) bool { return slices.Contains(c.AuthedKeys(), pubkey) }

// Exempt says whether the client is one of the user's own: a native
// client on loopback (no Origin header), or a link served with
// ServeConn. Such clients are not limited by address and see every gift
// wrap.
func (c *Conn) Exempt() bool { return c.exempt }

// Address is what the limits by address count the client as: its IP
// address, or "web pages on <IP>" for browsers on loopback.
func (c *Conn) Address() string { return c.addr }

// newChallenge is a fresh random challenge.
func newChallenge() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// handleAuth checks a client's AUTH event and, if it is sound and the
// backend agrees, counts its key as authenticated.
func (c *Conn) handleAuth(m *Message) {
	var id string
	if len(m.Raw) >= 2 {
		id = peekID(m.Raw[1])
	}
	if len(m.Raw) != 2 {
		c.authFailed(id, event.Reject(event.Invalid, "AUTH takes one event, got %d elements after the label", len(m.Raw)-1))
		return
	}
	ev, err := event.DecodeEvent(m.Raw[1])
	if err != nil {
		c.authFailed(id, event.Reject(event.Invalid, "AUTH event: %v", err))
		return
	}
	now := c.r.opts.Now()
	if !c.events.allow(now) || c.peer != nil && !c.peer.allow(now) {
		c.OK(ev.ID, false, "rate-limited: too many events and AUTH messages; slow down")
		return
	}
	if err := c.checkAuth(ev, now); err != nil {
		c.authFailed(ev.ID, err)
		return
	}
	if !c.IsAuthed(ev.PubKey) && len(c.AuthedKeys()) >= MaxAuthKeys {
		c.authFailed(ev.ID, event.Reject(event.Restricted, "this connection has authenticated %d keys, the most allowed; open another connection", MaxAuthKeys))
		return
	}
	check := func() {
		if c.r.opts.Auth != nil {
			if err := c.r.opts.Auth(c, ev); err != nil {
				c.authFailed(ev.ID, err)
				return
			}
		}
		c.authMu.Lock()
		keys := slices.Clone(c.AuthedKeys())
		if !slices.Contains(keys, ev.PubKey) {
			if len(keys) >= MaxAuthKeys { // others were authenticated meanwhile
				c.authMu.Unlock()
				c.authFailed(ev.ID, event.Reject(event.Restricted, "this connection has authenticated %d keys, the most allowed; open another connection", MaxAuthKeys))
				return
			}
			keys = append(keys, ev.PubKey)
		}
		c.authed.Store(&keys)
		c.authMu.Unlock()
		c.OK(ev.ID, true, "")
	}
	// The backend may read the store or write a file: off the reader.
	c.tryGo(check)
}

func (c *Conn) authFailed(id string, err error) {
	if id == "" {
		c.Notice(event.Reason(err))
		return
	}
	c.OK(id, false, event.Reason(err))
}

// checkAuth checks an AUTH event as NIP-42 asks: its kind, signature,
// time, challenge and relay.
func (c *Conn) checkAuth(ev *nostr.Event, now time.Time) error {
	if c.challenge == "" {
		return event.Reject(event.Unsupported, "this link was sent no AUTH challenge; it needs no authentication (NIP-42)")
	}
	if ev.Kind != event.KindAuth {
		return event.Reject(event.Invalid, "an AUTH event must be of kind %d (NIP-42), not %d", event.KindAuth, ev.Kind)
	}
	if err := event.Check(ev, c.r.evLim, now); err != nil {
		return err
	}
	if err := event.Verify(ev); err != nil {
		return err
	}
	at := time.Unix(int64(ev.CreatedAt), 0)
	if d := at.Sub(now); d > AuthWindow || d < -AuthWindow {
		way := "ahead of"
		if d < 0 {
			way = "behind"
		}
		return event.Reject(event.Invalid, "the AUTH event's created_at is %s %s this node's clock; it must be within %s (check the device's clock)",
			d.Abs().Round(time.Second), way, AuthWindow)
	}
	if t := ev.Tags.GetFirst([]string{"challenge", ""}); t == nil || (*t)[1] != c.challenge {
		return event.Reject(event.Invalid, "the AUTH event's challenge tag does not match the challenge sent on this connection")
	}
	t := ev.Tags.GetFirst([]string{"relay", ""})
	if t == nil {
		return event.Reject(event.Invalid, "the AUTH event has no relay tag; name this relay's URL in it (NIP-42)")
	}
	if !sameHost((*t)[1], c.host) {
		return event.Reject(event.Invalid, "the AUTH event's relay tag names %q; this relay is at %s", event.Clip((*t)[1]), event.Clip(c.host))
	}
	return nil
}

// sameHost says whether the relay URL u names the host of a request's Host
// header. Only the host name is compared, as NIP-42 suggests: a scheme,
// port, path or trailing slash may differ (a relay behind a proxy or a
// port forward is reached at a port it does not listen on).
func sameHost(u, host string) bool {
	u = strings.TrimSpace(u)
	if !strings.Contains(u, "://") {
		u = "ws://" + u
	}
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = strings.Trim(host, "[]")
	}
	return p.Hostname() != "" && strings.EqualFold(strings.TrimSuffix(p.Hostname(), "."), strings.TrimSuffix(h, "."))
}

// Gift wraps (kind 1059) name their recipient in a "p" tag, and a list of
// them is a list of who received messages when. So the relay serves a
// wrap only to:
//   - a connection authenticated as its recipient;
//   - a filter naming it by id (another node pulling what NIP-77
//     reconciliation showed it lacks), or asking only for new events
//     ("limit": 0, a sync session's live subscription): both show no more
//     than reconciliation does, which anyone may run;
//   - exempt clients (the user's own apps and tools).
//
// A filter that asks only for wraps, from a connection that may see none
// it asks for, is refused with CLOSED "auth-required:" (or "restricted:"
// once authenticated); a filter that may match other kinds too silently
// leaves out the wraps the connection may not see.

// wrapsFor says which wraps f may return on this connection: all of
// them, or only those addressed to keys (nil: none).
func (c *Conn) wrapsFor(f nostr.Filter) (all bool, keys []string) {
	if c.exempt || len(f.IDs) > 0 || f.LimitZero {
		return true, nil
	}
	return false, c.AuthedKeys()
}

// mayMatchWraps says whether f may match kind 1059.
func mayMatchWraps(f nostr.Filter) bool {
	return len(f.Kinds) == 0 || slices.Contains(f.Kinds, event.KindGiftWrap)
}

// sees says whether a live event matching filters may be sent on this
// connection.
func (c *Conn) sees(ev *nostr.Event, filters nostr.Filters) bool {
	if ev.Kind != event.KindGiftWrap {
		return filters.Match(ev)
	}
	for _, f := range filters {
		if !f.Matches(ev) {
			continue
		}
		all, keys := c.wrapsFor(f)
		if all {
			return true
		}
		for _, t := range ev.Tags {
			if len(t) >= 2 && t[0] == "p" && slices.Contains(keys, t[1]) {
				return true
			}
		}
	}
	return false
}

// plan turns a REQ's filters into the cursors that read its stored
// events, leaving out the wraps this connection may not see; or says why
// the REQ is refused.
func (c *Conn) plan(filters []nostr.Filter) ([]*cursor, error) {
	var cs []*cursor
	for i, f := range filters {
		limit := c.r.lim.MaxLimit
		if f.Limit > 0 && f.Limit < limit {
			limit = f.Limit
		}
		if f.LimitZero {
			limit = 0
		}
		left := &limit
		all, keys := c.wrapsFor(f)
		if all || !mayMatchWraps(f) {
			cs = append(cs, &cursor{f: f, left: left})
			continue
		}
		// The wraps it may see: those addressed to its keys, among those
		// f names if it names some.
		var mine []string
		if want, ok := f.Tags["p"]; ok {
			for _, k := range keys {
				if slices.Contains(want, k) {
					mine = append(mine, k)
				}
			}
		} else {
			mine = keys
		}
		var otherKinds []int
		if len(f.Kinds) > 0 {
			otherKinds = slices.DeleteFunc(slices.Clone(f.Kinds), func(k int) bool { return k == event.KindGiftWrap })
		}
		onlyWraps := len(f.Kinds) > 0 && len(otherKinds) == 0
		if onlyWraps && len(mine) == 0 {
			if len(keys) == 0 {
				return nil, event.Reject(event.AuthRequired, "sealed messages (kind %d) are served only to their recipient; authenticate (NIP-42 AUTH) as the key they are addressed to (filter %d)", event.KindGiftWrap, i+1)
			}
			return nil, event.Reject(event.Restricted, "sealed messages (kind %d) are served only to their recipient; this connection authenticated other keys than the ones filter %d asks for", event.KindGiftWrap, i+1)
		}
		if !onlyWraps {
			other := f
			other.Kinds = otherKinds
			cs = append(cs, &cursor{f: other, left: left, noWraps: len(f.Kinds) == 0})
		}
		if len(mine) > 0 {
			w := f
			w.Kinds = []int{event.KindGiftWrap}
			w.Tags = make(nostr.TagMap, len(f.Tags))
			for k, v := range f.Tags {
				w.Tags[k] = v
			}
			w.Tags["p"] = mine
			cs = append(cs, &cursor{f: w, left: left})
		}
	}
	return cs, nil
}

// authMessage is the challenge sent to a websocket client as it connects.
func authMessage(challenge string) []byte {
	b, _ := json.Marshal([]any{"AUTH", challenge})
	return b
}
