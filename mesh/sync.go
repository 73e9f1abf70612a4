package mesh

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/caravan-mesh/caravan/carry"
	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/nodehost"
	"github.com/caravan-mesh/caravan/link"
	"github.com/caravan-mesh/caravan/negentropy"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/policy"
	"github.com/caravan-mesh/caravan/store"
	"github.com/nbd-wtf/go-nostr"
)

// local adapts the node to what a sync session needs.
type local struct {
	n *node.Node
	p *nodehost.Parts
}

// Local is the node as a sync session sees it.
func Local(n *node.Node) carry.Local { return local{n, nodehost.Of(n)} }

func (l local) Items(ctx context.Context, f nostr.Filter, max int) (*negentropy.Set, error) {
	return l.p.Store.Items(ctx, f, max)
}

func (l local) Raw(ctx context.Context, ids []string) (map[string][]byte, error) {
	return l.p.Store.RawMany(ctx, ids)
}

func (l local) Ingest(ctx context.Context, evs ...*nostr.Event) []error {
	res := l.n.Ingest(ctx, evs...)
	out := make([]error, len(res))
	for i, r := range res {
		var rej *event.Rejection
		switch {
		case errors.As(r.Err, &rej) && rej.Prefix == event.Blocked && !l.Room(evs[i], event.Size(evs[i])):
			// Refused while its share is full: for lack of room.
			out[i] = &event.Rejection{Prefix: rej.Prefix, Msg: rej.Msg, Err: errors.Join(rej.Err, carry.ErrNoRoom)}
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

// Room reports whether the node has room now for ev, of size bytes: in
// its share for events it carries for others (strangers', their reports,
// wraps for others), whether that share is below its cap. Everything
// else it takes whatever the shares hold. (A share that is full still
// takes an event stronger than its weakest; one refused was not.)
func (l local) Room(ev *nostr.Event, size int) bool {
	pol := l.p.Policy
	cfg, u := pol.Config(), pol.Usage()
	var (
		used  policy.Amount
		limit policy.Cap
	)
	switch pol.Classify(ev) {
	case policy.Stranger, policy.Deletion:
		used, limit = u.Strangers, cfg.Strangers
	case policy.Report:
		used, limit = u.Reports, cfg.Reports
	case policy.Wrap:
		used, limit = u.Wraps, cfg.Wraps
	default:
		return true
	}
	return used.Events < limit.Events && used.Bytes+int64(size) <= limit.Bytes
}

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
func (m *Service) SyncURL(ctx context.Context, url string, o SyncOptions) (carry.Progress, error) {
	proxy := m.n.NodeSettings().Proxy // the settings screen may change it
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
	m.peers.connecting(url, kind)
	conn, err := link.Dial(ctx, url, link.DialOptions{Proxy: proxy})
	if err != nil {
		p := carry.Progress{Phase: "done", Error: err.Error(), Started: m.p.Now()}
		m.peers.finished(url, kind, p, err)
		if o.Progress != nil {
			o.Progress(p)
		}
		return p, err
	}
	p, err := m.syncConn(ctx, conn, url, kind, o)
	return p, err
}

// syncConn runs a session as the initiator over an established link.
func (m *Service) syncConn(ctx context.Context, conn link.Conn, name, kind string, o SyncOptions) (carry.Progress, error) {
	n := m.n
	wants := n.Wants(ctx)
	if o.Relay {
		wants = n.RelayWants(ctx)
	}
	m.peers.connected(name, kind)
	// The session's handovers are recorded when it ends: before its
	// context does, so that they are on disk when this returns. (If the
	// caller's context ends first, the batch's watcher may be recording
	// them already; held.end then waits for it.)
	session, end := context.WithCancel(ctx)
	defer end()
	defer m.held.end(session)
	reached, _ := m.p.Store.MaxEID(ctx)
	var blobs carry.Blobs = n.Blobs()
	if o.Relay {
		blobs = nil // public relays do not move blobs
	}
	progress := func(p carry.Progress) {
		n.Emit(node.Activity{Type: "sync", Peer: name, Progress: &p})
		if o.Progress != nil {
			o.Progress(p)
		}
	}
	p, err := carry.Run(ctx, conn, heldLocal{Local(n).(local), name, session}, carry.Options{
		Wants:      wants,
		Live:       o.Live,
		FrameBytes: n.Config.Relay.NegFrameBytes,
		Progress:   progress,
		Logf:       m.p.Logf,
		PlainSince: func(w policy.Want) int64 { return m.plainSince(name, w) },
		Synced:     func(w policy.Want, at int64) { m.peers.setSince(name, wantKey(w), at) },
		Blobs:      blobs,
		Now:        m.p.Now,
		Turns:      m.turns,
		Refusals:   m.refused,
		Serial:     o.Serial,
		Accepted: func(id string) {
			n.Handed(node.Handover{Peer: name, ID: id, Out: true, Session: session})
		},
	})
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	if err == nil && !p.Incomplete && !o.Relay && !o.Live {
		// Everything stored here before the session was reconciled: a
		// bundle for this peer need not carry it.
		if err := m.p.Store.SetPeerSynced(context.Background(), name, reached); err != nil {
			m.p.Logf("record the sync with %s: %v", name, err)
		}
	}
	m.peers.finished(name, kind, p, err)
	n.Emit(node.Activity{Type: "peers"})
	return p, err
}

// plainSince is where the next pass of a want with a relay without
// NIP-77 starts: after the last one, unless that one was recorded at a
// time still to come, when the clock ran ahead and has been set back
// since. Starting from there would skip, until the clock catches up,
// everything written meanwhile; a whole pass starts from the newest.
func (m *Service) plainSince(peer string, w policy.Want) int64 {
	at := m.peers.since(peer, wantKey(w))
	if at > m.p.Now().Unix() {
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
func (m *Service) SyncStream(ctx context.Context, conn link.Conn, o SyncOptions) (carry.Progress, bool, error) {
	initiator, err := carry.Handshake(ctx, conn)
	if err != nil {
		conn.Close(err.Error())
		return carry.Progress{Phase: "done", Error: err.Error()}, false, err
	}
	if initiator {
		p, err := m.SyncLink(ctx, conn, "stdio", o)
		return p, true, err
	}
	return m.ServeLink(ctx, conn), false, nil
}

// SyncLink runs a session as the initiator over a link whose other end
// serves it (ServeLink, or any relay); kind names the link in the peer
// list ("stdio", "sim").
func (m *Service) SyncLink(ctx context.Context, conn link.Conn, kind string, o SyncOptions) (carry.Progress, error) {
	return m.syncConn(ctx, conn, conn.String(), kind, o)
}

// ServeLink serves a session the other end of conn initiates, as the
// node's relay endpoint serves a websocket client, until it ends.
func (m *Service) ServeLink(ctx context.Context, conn link.Conn) carry.Progress {
	start := m.p.Now()
	session, end := context.WithCancel(ctx)
	defer end()
	defer m.held.end(session) // before end: see syncConn
	rl := m.n.NewRelayWith(node.RelayOptions{Peer: conn.String(), Session: session})
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
	m.peers.finished(conn.String(), "stdio", p, nil)
	return p
}

// keepSynced holds a live session with a peer or relay for as long as ctx
// lasts, reconnecting with exponential backoff (1s to 5 min).
func (m *Service) keepSynced(ctx context.Context, url string, o SyncOptions) {
	backoff := time.Second
	for ctx.Err() == nil {
		start := time.Now()
		_, err := m.SyncURL(ctx, url, o)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > 2*time.Minute {
			backoff = time.Second
		}
		m.p.Logf("sync with %s ended (%v); again in %s", url, errString(err), backoff)
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

// heldLocal hands over the reports a peer sent us (see node.Handover):
// the peer holds them.
type heldLocal struct {
	local
	peer    string
	session context.Context
}

func (l heldLocal) Ingest(ctx context.Context, evs ...*nostr.Event) []error {
	errs := l.local.Ingest(ctx, evs...)
	for i, err := range errs {
		if (err == nil || errors.Is(err, carry.ErrHeld)) && evs[i].Kind == event.KindReport {
			l.n.Handed(node.Handover{Peer: l.peer, ID: evs[i].ID, Session: l.session})
		}
	}
	return errs
}
