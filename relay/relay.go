// Package relay serves the NIP-01 websocket relay protocol and the NIP-11
// information document over HTTP, on top of a Backend that validates,
// stores and queries events.
//
// Wire format (NIP-01), client to relay:
//
//	["EVENT", <event>]                 publish; answered by ["OK", <id>, <bool>, <reason>]
//	["REQ", <sub id>, <filter>, ...]   query then subscribe; stored events, ["EOSE", <sub id>], then live events
//	["CLOSE", <sub id>]                end a subscription
//	["AUTH", <kind 22242 event>]       authenticate a key (NIP-42); answered by OK
//
// relay to client: EVENT, OK, EOSE, CLOSED (a subscription refused or ended,
// with a "prefix: reason"), NOTICE (anything else worth telling), and
// ["AUTH", <challenge>] once, as a websocket client connects (auth.go).
// Gift wraps (kind 1059) are served only to their recipients, to nodes
// pulling them by id, and to the user's own clients (see auth.go).
//
// Every client is isolated from the others: messages are bounded in size,
// requests are rate-limited per connection, queries share a bounded pool,
// and each client has its own send queue, bounded in bytes, within a
// bound for all clients together (see outbox.go). Query results are read
// from the store a page at a time as the client takes them, so a client
// that reads slowly slows only itself, and one that stops reading is
// disconnected after Limits.StallTimeout instead of holding up anyone
// else.
package relay

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/link"
	"github.com/caravan-mesh/caravan/negentropy"
	"github.com/coder/websocket"
	"github.com/nbd-wtf/go-nostr"
)

// Backend is what the relay needs from the node.
type Backend interface {
	// Accept validates and durably stores an event. ok and msg become the
	// OK message; ok means the event is stored (or already was).
	Accept(ctx context.Context, ev *nostr.Event) (ok bool, msg string)
	// Refs lists the stored events matching f in NIP-01 order (newest
	// first, ties by lowest id), past the one at from (from the first if
	// nil): at most max, with their sizes but not their JSON. f.Limit is
	// the relay's to apply.
	Refs(ctx context.Context, f nostr.Filter, from *event.Ref, max int) ([]event.Ref, error)
	// Raws returns the JSON of the stored events among ids, by id; one
	// gone since it was listed is left out.
	Raws(ctx context.Context, ids []string) (map[string][]byte, error)
	// Subscribe calls fn for every event newly accepted from any source,
	// until cancel is called. fn must not block.
	Subscribe(fn func(ev *nostr.Event, raw []byte)) (cancel func())
	// Items returns the (created_at, id) of every stored event matching
	// f, for NIP-77 reconciliation; if more than max > 0 match, it fails
	// with negentropy.ErrTooMany instead.
	Items(ctx context.Context, f nostr.Filter, max int) (*negentropy.Set, error)
}

// Info is the NIP-11 relay information document.
type Info struct {
	Name          string      `json:"name,omitempty"`
	Description   string      `json:"description,omitempty"`
	PubKey        string      `json:"pubkey,omitempty"`
	Software      string      `json:"software,omitempty"`
	Version       string      `json:"version,omitempty"`
	SupportedNIPs []int       `json:"supported_nips"`
	Limitation    *Limitation `json:"limitation,omitempty"`
}

// Limitation is NIP-11's "limitation" object.
type Limitation struct {
	MaxMessageLength     int   `json:"max_message_length"`
	MaxSubscriptions     int   `json:"max_subscriptions"`
	MaxFilters           int   `json:"max_filters"`
	MaxLimit             int   `json:"max_limit"`
	DefaultLimit         int   `json:"default_limit"`
	MaxSubIDLength       int   `json:"max_subid_length"`
	MaxEventTags         int   `json:"max_event_tags"`
	MaxContentLength     int   `json:"max_content_length"`
	CreatedAtUpperLimit  int64 `json:"created_at_upper_limit"`
	AuthRequired         bool  `json:"auth_required"`
	PaymentRequired      bool  `json:"payment_required"`
	RestrictedWrites     bool  `json:"restricted_writes"`
	MinPowDifficulty     int   `json:"min_pow_difficulty"`
	MaxEventsPerSecond   int   `json:"max_events_per_second"`
	MaxRequestsPerSecond int   `json:"max_reqs_per_second"`
}

// Options configure a Relay.
type Options struct {
	Limits      Limits
	EventLimits event.Limits
	// Info returns the NIP-11 document; Limitation is filled in by the
	// relay, but for AuthRequired, PaymentRequired and RestrictedWrites,
	// which are the backend's to say. If nil, a minimal document is
	// served.
	Info func() Info
	// Now is the clock for rate limits, idle reconciliations and stalled
	// clients. If nil, time.Now.
	Now func() time.Time
	// Logf reports connection-level trouble. If nil, nothing is logged.
	Logf func(format string, args ...any)
	// Served, if set, is called with the id of each stored event sent in
	// answer to a REQ that asked for events by id (another node pulling
	// what it lacks).
	Served func(c *Conn, id string)
	// Auth, if set, is asked about each AUTH event the relay found sound
	// (NIP-42: signature, time, challenge, relay): a non-nil error, best
	// an *event.Rejection, refuses it, and the key is not authenticated.
	// It runs as one of the connection's requests (see Conn.Go).
	Auth func(c *Conn, ev *nostr.Event) error
	// Handlers serve extra message labels (for example NEG-OPEN). A
	// handler runs on the connection's reader goroutine and must not block
	// for long.
	Handlers map[string]func(c *Conn, m *Message)
}

// Relay is an http.Handler serving the relay protocol. Create it with New.
type Relay struct {
	b       Backend
	lim     Limits
	evLim   event.Limits
	opts    Options
	queries chan struct{} // bounds concurrent store queries
	// negListing is held while the set of a NIP-77 reconciliation is
	// listed: one at a time (see negItems).
	negListing chan struct{}
	cancel     func()
	stopSweep  func()       // ends the sweep (idle NIP-77 sessions, stalled clients)
	negHeld    atomic.Int64 // items held by open NIP-77 sessions
	sending    *budget      // bytes held for all clients (OutboxBytesTotal)

	mu    sync.Mutex
	conns map[*Conn]struct{}
	perIP map[string]*remote
}

// remote is what the relay keeps for one remote address while it has
// connections: how many, and the events budget they share (nil if the
// address is exempt).
type remote struct {
	conns  int
	events *bucket
}

// A client's address for the limits by address. Loopback clients are
// the user's own apps and the node's own tools, and are exempt, except
// web pages: any page the user opens may connect to the node on
// loopback, and a browser always sends Origin when it opens a websocket
// (native clients, and the node's own sync, send none). So connections
// from loopback with an Origin share the limits of one address.
func addressOf(req *http.Request) (key string, exempt bool) {
	ip := remoteIP(req)
	if !isLoopback(ip) {
		return ip, false
	}
	if req.Header.Get("Origin") != "" {
		return "web pages on " + ip, false
	}
	return ip, true
}

// New creates a Relay over backend and subscribes it to new events.
func New(b Backend, opts Options) *Relay {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	r := &Relay{
		b:          b,
		lim:        opts.Limits.WithDefaults(),
		evLim:      opts.EventLimits.WithDefaults(),
		opts:       opts,
		queries:    make(chan struct{}, 2*runtime.GOMAXPROCS(0)+2),
		negListing: make(chan struct{}, 1),
		conns:      map[*Conn]struct{}{},
		perIP:      map[string]*remote{},
	}
	r.sending = &budget{max: r.lim.OutboxBytesTotal}
	r.cancel = b.Subscribe(r.broadcast)
	ctx, stop := context.WithCancel(context.Background())
	r.stopSweep = stop
	go r.sweep(ctx)
	return r
}

// Close disconnects every client and stops live delivery.
func (r *Relay) Close() {
	r.cancel()
	r.stopSweep()
	for _, c := range r.snapshot() {
		c.close("node is shutting down")
	}
}

// Connections is the number of connected clients.
func (r *Relay) Connections() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.conns)
}

// Information returns the NIP-11 document with this relay's limitation.
func (r *Relay) Information() Info {
	var info Info
	if r.opts.Info != nil {
		info = r.opts.Info()
	}
	if info.SupportedNIPs == nil {
		info.SupportedNIPs = []int{1, 9, 11, 40, 42, 77}
	}
	var given Limitation
	if info.Limitation != nil {
		given = *info.Limitation
	}
	info.Limitation = &Limitation{
		AuthRequired:         given.AuthRequired,
		PaymentRequired:      given.PaymentRequired,
		RestrictedWrites:     given.RestrictedWrites,
		MaxMessageLength:     r.lim.MaxMessageBytes,
		MaxSubscriptions:     r.lim.MaxSubscriptions,
		MaxFilters:           r.lim.MaxFilters,
		MaxLimit:             r.lim.MaxLimit,
		DefaultLimit:         r.lim.MaxLimit,
		MaxSubIDLength:       MaxSubIDLength,
		MaxEventTags:         r.evLim.MaxTags,
		MaxContentLength:     r.evLim.MaxEventBytes,
		CreatedAtUpperLimit:  int64(time.Duration(r.evLim.MaxFuture) / time.Second),
		MaxEventsPerSecond:   int(r.lim.EventsPerSecond),
		MaxRequestsPerSecond: int(r.lim.ReqsPerSecond),
	}
	return info
}

// IsProtocol says whether req is for the relay protocol itself: a
// websocket upgrade, or the NIP-11 document (or its CORS preflight).
// Whatever else shares the relay's port (pages, blobs) must leave those
// to the relay.
func IsProtocol(req *http.Request) bool {
	return strings.EqualFold(req.Header.Get("Upgrade"), "websocket") ||
		strings.Contains(req.Header.Get("Accept"), "application/nostr+json") ||
		(req.Method == http.MethodOptions && req.URL.Path == "/")
}

func (r *Relay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	switch {
	case strings.EqualFold(req.Header.Get("Upgrade"), "websocket"):
		r.serveWebsocket(w, req)
	case req.Method == http.MethodOptions:
		cors(w)
		w.WriteHeader(http.StatusNoContent)
	case strings.Contains(req.Header.Get("Accept"), "application/nostr+json"):
		cors(w)
		w.Header().Set("Content-Type", "application/nostr+json")
		json.NewEncoder(w).Encode(r.Information())
	case req.URL.Path == "/" && (req.Method == http.MethodGet || req.Method == http.MethodHead):
		r.serveLanding(w, req)
	default:
		http.NotFound(w, req)
	}
}

// cors allows web Nostr clients on other origins to read the NIP-11
// document, as NIP-11 requires. Nothing here uses cookies or credentials.
func cors(w http.ResponseWriter) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Access-Control-Allow-Headers", "*")
	w.Header().Set("Access-Control-Allow-Methods", "GET, OPTIONS")
}

func (r *Relay) serveLanding(w http.ResponseWriter, req *http.Request) {
	info := r.Information()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	fmt.Fprintf(w, `<!doctype html><meta charset="utf-8"><title>%s</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em}</style>
<h1>%s</h1><p>This is a Caravan node. Nostr apps can use it as a relay at <code>ws://%s/</code>.</p>`,
		html.EscapeString(info.Name), html.EscapeString(info.Name), html.EscapeString(req.Host))
}

func (r *Relay) serveWebsocket(w http.ResponseWriter, req *http.Request) {
	addr, exempt := addressOf(req)
	p := r.admit(addr, exempt)
	if p == nil {
		w.Header().Set("Retry-After", "30")
		http.Error(w, "too many connections; try again later", http.StatusServiceUnavailable)
		return
	}
	ws, err := websocket.Accept(w, req, &websocket.AcceptOptions{
		// A public relay takes clients from any web origin; it holds no
		// cookies or credentials that a cross-site page could abuse.
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		r.release(addr)
		return
	}
	// Messages up to 4x the limit are read and refused with a NOTICE;
	// beyond that the connection is closed by the websocket layer.
	ip := remoteIP(req)
	host := req.Host
	if host == "" {
		host = "localhost" // HTTP/1.0 without Host: nothing to compare with
	}
	r.serve(link.WebSocket(ws, r.lim.MaxMessageBytes, ip), client{ip: ip, addr: addr, exempt: exempt, host: host, peer: p.events})
	r.release(addr)
}

// ServeConn answers one client over any link (a stdio pipe, for example)
// until it ends. Such a client is the user's own (exempt, see
// Conn.Exempt) and is sent no AUTH challenge.
func (r *Relay) ServeConn(l link.Conn) {
	r.serve(l, client{ip: l.String(), addr: l.String(), exempt: true})
}

func (r *Relay) serve(l link.Conn, cl client) {
	c := newConn(r, l, cl)
	r.mu.Lock()
	r.conns[c] = struct{}{}
	r.mu.Unlock()
	c.run()
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
}

// admit counts a new connection from addr, or returns nil if there are
// too many.
func (r *Relay) admit(addr string, exempt bool) *remote {
	r.mu.Lock()
	defer r.mu.Unlock()
	total := 0
	for _, p := range r.perIP {
		total += p.conns
	}
	if total >= r.lim.MaxConnections {
		return nil
	}
	p := r.perIP[addr]
	if p == nil {
		p = &remote{}
		if !exempt {
			p.events = newBucket(r.lim.EventsPerSecondPerIP, r.opts.Now())
		}
		r.perIP[addr] = p
	}
	if !exempt && p.conns >= r.lim.MaxConnectionsPerIP {
		return nil
	}
	p.conns++
	return p
}

func (r *Relay) release(addr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.perIP[addr]; p != nil {
		if p.conns--; p.conns <= 0 {
			delete(r.perIP, addr)
		}
	}
}

// sweep looks, a few times within the shorter of NegIdle and
// StallTimeout, for NIP-77 sessions left idle for NegIdle (so that a
// client that opens a reconciliation and never finishes it does not hold
// the set, and its share of NegItemsTotal, for as long as it stays
// connected) and for clients that have taken nothing sent to them for
// StallTimeout. Both are judged on Options.Now.
func (r *Relay) sweep(ctx context.Context) {
	every := max(min(time.Duration(r.lim.NegIdle), time.Duration(r.lim.StallTimeout))/4, 10*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	stall := time.Duration(r.lim.StallTimeout)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, c := range r.snapshot() {
			if c.out.stalled(stall) {
				r.opts.Logf("relay: disconnecting %s: it took nothing sent to it for %s", c.ip, stall)
				c.close(fmt.Sprintf("too slow: nothing sent was read for %s", stall))
				continue
			}
			c.closeIdleNegs(r.opts.Now())
		}
	}
}

// broadcast delivers a newly accepted event to matching subscriptions.
func (r *Relay) broadcast(ev *nostr.Event, raw []byte) {
	for _, c := range r.snapshot() {
		c.deliver(ev, raw)
	}
}

// snapshot lists the connected clients.
func (r *Relay) snapshot() []*Conn {
	r.mu.Lock()
	defer r.mu.Unlock()
	conns := make([]*Conn, 0, len(r.conns))
	for c := range r.conns {
		conns = append(conns, c)
	}
	return conns
}

func remoteIP(req *http.Request) string {
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if err != nil {
		return req.RemoteAddr
	}
	return host
}

func isLoopback(ip string) bool {
	p := net.ParseIP(ip)
	return p != nil && p.IsLoopback()
}
