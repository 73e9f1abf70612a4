package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/caravan-mesh/caravan/carry"
	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/link"
	"github.com/caravan-mesh/caravan/negentropy"
	"github.com/caravan-mesh/caravan/policy"
	"github.com/caravan-mesh/caravan/store"
	"github.com/nbd-wtf/go-nostr"
)

// local adapts the node to what a sync session needs.
type local struct{ n *Node }

// Local is the node as a sync session sees it.
func Local(n *Node) carry.Local { return local{n} }

func (l local) Items(ctx context.Context, f nostr.Filter, max int) (*negentropy.Set, error) {
	return l.n.Store.Items(ctx, f, max)
}

func (l local) Raw(ctx context.Context, ids []string) (map[string][]byte, error) {
	return l.n.Store.RawMany(ctx, ids)
}

func (l local) Ingest(ctx context.Context, evs ...*nostr.Event) []error {
	res := l.n.Ingest(ctx, evs...)
	out := make([]error, len(res))
	for i, r := range res {
		switch {
		case r.Err != nil:
			out[i] = r.Err
		case r.Outcome == store.Duplicate || r.Outcome == store.Obsolete:
			out[i] = carry.ErrHeld
		case !r.OK():
			out[i] = event.Reject(event.Blocked, "%s", strings.TrimPrefix(r.Message(), "blocked: "))
		}
	}
	return out
}

func (l local) Subscribe(fn func(*nostr.Event, []byte)) func() { return l.n.OnStored(fn) }

// SyncOptions configure one sync.
type SyncOptions struct {
	// Relay treats the peer as a public Nostr relay: only the user's own
	// events go out; only what concerns the user comes in.
	Relay bool
	// Live keeps the session open (see carry.Options.Live).
	Live bool
	// LAN marks a peer found on the local network: reached directly,
	// never through the proxy.
	LAN bool
	// Proxy overrides the configured SOCKS5 proxy ("" uses the config;
	// "direct" uses none).
	Proxy string
	// Progress receives the session's progress.
	Progress func(carry.Progress)
	// Serial moves one direction at a time in a fixed order (see
	// carry.Options.Serial); for the simulator.
	Serial bool
}

// SyncURL dials a peer or relay at a ws:// or wss:// URL and syncs with it.
func (n *Node) SyncURL(ctx context.Context, url string, o SyncOptions) (carry.Progress, error) {
	n.mu.RLock()
	proxy := n.Config.Proxy // the settings screen may change it
	n.mu.RUnlock()
	switch o.Proxy {
	case "":
	case "direct":
		proxy = ""
	default:
		proxy = o.Proxy
	}
	kind := "peer"
	switch {
	case o.Relay:
		kind = "relay"
	case o.LAN:
		kind, proxy = "lan", ""
	}
	n.peers.connecting(url, kind)
	conn, err := link.Dial(ctx, url, link.DialOptions{Proxy: proxy})
	if err != nil {
		p := carry.Progress{Phase: "done", Error: err.Error(), Started: n.now()}
		n.peers.finished(url, kind, p, err)
		if o.Progress != nil {
			o.Progress(p)
		}
		return p, err
	}
	p, err := n.syncConn(ctx, conn, url, kind, o)
	return p, err
}

// SyncConn runs a session as the initiator over an established link.
func (n *Node) syncConn(ctx context.Context, conn link.Conn, name, kind string, o SyncOptions) (carry.Progress, error) {
	wants := n.Wants(ctx)
	if o.Relay {
		wants = n.RelayWants(ctx)
	}
	n.peers.connected(name, kind)
	held := &holdings{n: n, peer: name}
	defer held.flush()
	reached, _ := n.Store.MaxEID(ctx)
	var blobs carry.Blobs = syncBlobs{n}
	if o.Relay {
		blobs = nil // public relays do not move blobs
	}
	progress := func(p carry.Progress) {
		n.emitSync(name, p)
		if o.Progress != nil {
			o.Progress(p)
		}
	}
	p, err := carry.Run(ctx, conn, heldLocal{local{n}, held}, carry.Options{
		Wants:      wants,
		Live:       o.Live,
		FrameBytes: n.Config.Relay.NegFrameBytes,
		Progress:   progress,
		Logf:       n.logf,
		PlainSince: func(w policy.Want) int64 { return n.plainSince(name, w) },
		Synced:     func(w policy.Want, at int64) { n.peers.setSince(name, wantKey(w), at) },
		Blobs:      blobs,
		Now:        n.now,
		Turns:      n.turns,
		Serial:     o.Serial,
		Accepted: func(id string) {
			n.Handed(Handover{Peer: name, ID: id, Out: true, Session: ctx})
			held.add(id)
		},
	})
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	if err == nil && !p.Incomplete && !o.Relay && !o.Live {
		// Everything stored here before the session was reconciled: a
		// bundle for this peer need not carry it.
		if err := n.Store.SetPeerSynced(context.Background(), name, reached); err != nil {
			n.logf("record the sync with %s: %v", name, err)
		}
	}
	n.peers.finished(name, kind, p, err)
	n.emit(Activity{Type: "peers"})
	return p, err
}

// plainSince is where the next pass of a want with a relay without
// NIP-77 starts: after the last one, unless that one was recorded at a
// time still to come, when the clock ran ahead and has been set back
// since. Starting from there would skip, until the clock catches up,
// everything written meanwhile; a whole pass starts from the newest.
func (n *Node) plainSince(peer string, w policy.Want) int64 {
	at := n.peers.since(peer, wantKey(w))
	if at > n.now().Unix() {
		return 0
	}
	return at
}

func wantKey(w policy.Want) string {
	b, _ := w.Filter.MarshalJSON()
	return w.Class.String() + " " + string(b)
}

// SyncStream syncs over a byte-stream link (stdio, a pipe, a socket): the
// two ends exchange hellos, one initiates and the other serves it as a
// relay. It returns when the session ends.
func (n *Node) SyncStream(ctx context.Context, conn link.Conn, o SyncOptions) (carry.Progress, bool, error) {
	initiator, err := carry.Handshake(ctx, conn)
	if err != nil {
		conn.Close(err.Error())
		return carry.Progress{Phase: "done", Error: err.Error()}, false, err
	}
	if initiator {
		p, err := n.SyncLink(ctx, conn, "stdio", o)
		return p, true, err
	}
	return n.ServeLink(ctx, conn), false, nil
}

// SyncLink runs a session as the initiator over a link whose other end
// serves it (ServeLink, or any relay); kind names the link in the peer
// list ("stdio", "sim").
func (n *Node) SyncLink(ctx context.Context, conn link.Conn, kind string, o SyncOptions) (carry.Progress, error) {
	return n.syncConn(ctx, conn, conn.String(), kind, o)
}

// ServeLink serves a session the other end of conn initiates, as the
// node's relay endpoint serves a websocket client, until it ends.
func (n *Node) ServeLink(ctx context.Context, conn link.Conn) carry.Progress {
	start := n.now()
	held := &holdings{n: n, peer: conn.String()}
	defer held.flush()
	rl := n.newRelay(held)
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			conn.Close("shutting down")
		case <-done:
		}
	}()
	rl.ServeConn(conn)
	close(done)
	rl.Close()
	st := conn.Stats()
	p := carry.Progress{Phase: "done", Started: start, BytesIn: st.In, BytesOut: st.Out}
	n.peers.finished(conn.String(), "stdio", p, nil)
	return p
}

// keepSynced holds a live session with a peer or relay for as long as ctx
// lasts, reconnecting with exponential backoff (1s to 5 min).
func (n *Node) keepSynced(ctx context.Context, url string, o SyncOptions) {
	backoff := time.Second
	for ctx.Err() == nil {
		start := time.Now()
		_, err := n.SyncURL(ctx, url, o)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > 2*time.Minute {
			backoff = time.Second
		}
		n.logf("sync with %s ended (%v); again in %s", url, errString(err), backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Minute)
	}
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// describe is a one-line summary of a finished session.
func describe(p carry.Progress) string {
	s := fmt.Sprintf("received %d, sent %d", p.Received, p.Sent)
	if p.Refused > 0 {
		s += fmt.Sprintf(" (%d refused)", p.Refused)
	}
	if p.Error != "" {
		s += ": " + p.Error
	}
	return s
}

// holdings collects the ids a peer is seen to hold during a session (it
// accepted them from us, or sent them) and records them in batches, for
// "report status".
type holdings struct {
	n     *Node
	peer  string
	mu    sync.Mutex
	ids   []string
	timed bool // a flush is scheduled
}

func (h *holdings) add(id string) {
	h.mu.Lock()
	h.ids = append(h.ids, id)
	full := len(h.ids) >= 1000
	if !full && !h.timed {
		// Record soon even if the session lasts: one write for a burst.
		h.timed = true
		time.AfterFunc(500*time.Millisecond, func() {
			h.mu.Lock()
			h.timed = false
			h.mu.Unlock()
			h.flush()
		})
	}
	h.mu.Unlock()
	if full {
		h.flush()
	}
}

func (h *holdings) flush() {
	h.mu.Lock()
	ids := h.ids
	h.ids = nil
	h.mu.Unlock()
	if err := h.n.Store.AddHoldings(context.Background(), h.peer, ids); err != nil {
		h.n.logf("record what %s holds: %v", h.peer, err)
	}
}

// heldLocal notes the events a peer sent us as held by it.
type heldLocal struct {
	local
	h *holdings
}

func (l heldLocal) Ingest(ctx context.Context, evs ...*nostr.Event) []error {
	errs := l.local.Ingest(ctx, evs...)
	for i, err := range errs {
		if (err == nil || errors.Is(err, carry.ErrHeld)) && evs[i].Kind == event.KindReport {
			l.h.add(evs[i].ID)
		}
	}
	return errs
}
