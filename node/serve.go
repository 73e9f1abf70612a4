package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/caravan-mesh/caravan/carry"
	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/atomicfile"
	"github.com/caravan-mesh/caravan/negentropy"
	"github.com/caravan-mesh/caravan/relay"
)

// RuntimeFile is written to the data directory while a node serves. It
// tells local clients (the CLI) where the local API is and holds the token
// they must present; only the directory's owner can read it.
const RuntimeFile = "api.json"

// Runtime is the content of RuntimeFile.
type Runtime struct {
	API   string `json:"api"`   // http://127.0.0.1:port
	Relay string `json:"relay"` // ws://host:port
	Token string `json:"token"`
	PID   int    `json:"pid"`
}

// ReadRuntime reads dir's RuntimeFile.
func ReadRuntime(dir string) (Runtime, error) {
	var rt Runtime
	b, err := os.ReadFile(filepath.Join(dir, RuntimeFile))
	if err != nil {
		return rt, err
	}
	if err := json.Unmarshal(b, &rt); err != nil {
		return rt, fmt.Errorf("%s is damaged: %v", RuntimeFile, err)
	}
	return rt, nil
}

// ServeOptions say where a node serves.
type ServeOptions struct {
	// Relay is the listener for the relay endpoint (websocket, NIP-11).
	Relay net.Listener
	// API is the listener for the local API; it should be on loopback.
	API net.Listener
	// APIHandler serves the local API (package localapi).
	APIHandler http.Handler
	// Token is the local API's secret, written to RuntimeFile.
	Token string
	// Ready, if set, is called once both listeners serve.
	Ready func(rt Runtime)
	// NoLAN turns LAN discovery off whatever the configuration says (see
	// Serving).
	NoLAN bool
}

type serving struct {
	relay *relay.Relay
	info  Serving
}

// NewRelay returns the relay endpoint's handler for this node.
func (n *Node) NewRelay() *relay.Relay { return n.NewRelayWith(RelayOptions{}) }

// RelayOptions configure a relay endpoint made by NewRelayWith.
type RelayOptions struct {
	// Peer, if set, names the one peer the endpoint serves (the other end
	// of a stream link): handovers name it instead of "client ADDR", and
	// the reports it pushes are handed over too (Out false).
	Peer string
	// Session, with Peer, is the Session of those handovers; it should
	// end when the link does.
	Session context.Context
}

// NewRelayWith returns a relay endpoint's handler for this node. Each
// event a client pulls by id is handed over (see OnHandover) to the peer
// named in o, or to "client ADDR".
func (n *Node) NewRelayWith(o RelayOptions) *relay.Relay {
	served := func(c *relay.Conn, id string) {
		if o.Peer != "" {
			n.Handed(Handover{Peer: o.Peer, ID: id, Out: true, Session: o.Session})
			return
		}
		if len(c.AuthedKeys()) > 0 {
			// A person's app (a phone on the phone page), not a node:
			// nodes sync without authenticating. A phone reading back
			// what it sent has not carried it anywhere.
			return
		}
		n.Handed(Handover{Peer: "client " + c.RemoteIP(), ID: id, Out: true, Session: c.Context()})
	}
	var b relay.Backend = relayBackend{n}
	if o.Peer != "" {
		b = peerBackend{relayBackend{n}, o}
	}
	return relay.New(b, relay.Options{
		Limits:      n.Config.Relay,
		EventLimits: n.Config.Events,
		Now:         n.now,
		Logf:        n.logf,
		Served:      served,
		Auth:        n.relayAuth,
		Handlers:    carry.BlobHandlers(n.Blobs()),
		Info: func() relay.Info {
			return relay.Info{
				Name:          n.Config.Name,
				Description:   n.Config.Description,
				Software:      "https://github.com/caravan-mesh/caravan",
				Version:       VersionString(),
				SupportedNIPs: []int{1, 9, 11, 40, 42, 77},
				// Anyone may read and authenticate; with an invitation
				// code only invited keys write (see guests.go).
				Limitation: &relay.Limitation{RestrictedWrites: n.invite() != ""},
			}
		},
	})
}

// Serve runs the relay endpoint and the local API until ctx ends, then shuts
// both down. It also purges expired events once a minute. It returns once
// the work it started (sync sessions with peers among it) has stopped, so
// nothing writes into the data directory after it returns. Before serving,
// a follow list that carries names the user did not choose to publish is
// published again without them (see contacts.go).
func (n *Node) Serve(ctx context.Context, o ServeOptions) error {
	var work sync.WaitGroup
	defer work.Wait()
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	rl := n.NewRelay()
	defer rl.Close()
	rt := Runtime{
		API:   "http://" + o.API.Addr().String(),
		Relay: "ws://" + o.Relay.Addr().String(),
		Token: o.Token,
		PID:   os.Getpid(),
	}
	b, _ := json.MarshalIndent(rt, "", "  ")
	rtPath := filepath.Join(n.Dir, RuntimeFile)
	if err := atomicfile.WriteFile(rtPath, b, 0o600); err != nil {
		return n.diskFull(fmt.Errorf("write %s: %w", RuntimeFile, err))
	}
	defer os.Remove(rtPath)

	addr, _ := o.Relay.Addr().(*net.TCPAddr)
	n.mu.Lock()
	n.serving = &serving{relay: rl, info: Serving{Runtime: rt, RelayAddr: o.Relay.Addr(), NoLAN: o.NoLAN, Context: ctx,
		Reachable: addr != nil && !addr.IP.IsLoopback()}}
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		n.serving = nil
		n.mu.Unlock()
	}()

	relaySrv := &http.Server{Handler: n.relayAndBlobs(rl, n.NewBlossom(), n.appsHandler()), ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	// Requests end with serving: a web page's live stream or a followed
	// chat would otherwise hold up the shutdown until its timeout.
	apiSrv := &http.Server{Handler: o.APIHandler, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	// Before anything is served or synced: a follow list an older
	// version published with private names goes out without them.
	n.scrubFollowLists(ctx)
	errc := make(chan error, 2)
	go func() { errc <- relaySrv.Serve(o.Relay) }()
	go func() { errc <- apiSrv.Serve(o.API) }()
	work.Go(func() { n.purgeLoop(ctx) })
	work.Go(func() { n.countUsage(ctx) })
	for _, f := range n.hooks.serveWork.All() {
		work.Go(func() { f(ctx) })
	}
	if o.Ready != nil {
		o.Ready(rt)
	}

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	stop()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rl.Close()
	relaySrv.Shutdown(shutdown)
	apiSrv.Shutdown(shutdown)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// purgeLoop purges expired events once a minute, and measures the disk,
// which others may be filling or freeing while the store does not grow.
func (n *Node) purgeLoop(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if c, err := n.purgeExpired(ctx); err != nil && ctx.Err() == nil {
			n.logf("purge expired events: %v", err)
		} else if c > 0 {
			n.logf("purged %d expired events", c)
		}
		n.remeasure(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// relayBackend adapts the node to what the relay endpoint needs.
type relayBackend struct{ n *Node }

func (b relayBackend) Accept(ctx context.Context, ev *nostr.Event) (bool, string) {
	r := b.n.acceptFromClient(ctx, ev)
	return r.OK(), r.Message()
}

func (b relayBackend) Refs(ctx context.Context, f nostr.Filter, from *event.Ref, max int) ([]event.Ref, error) {
	return b.n.st.Refs(ctx, f, from, max)
}

func (b relayBackend) Raws(ctx context.Context, ids []string) (map[string][]byte, error) {
	return b.n.st.RawMany(ctx, ids)
}

func (b relayBackend) Subscribe(fn func(*nostr.Event, []byte)) func() { return b.n.OnStored(fn) }

// Items lists the stored events matching f, and those the OnReconcileItems
// hooks count as held.
func (b relayBackend) Items(ctx context.Context, f nostr.Filter, max int) (*negentropy.Set, error) {
	set, err := b.n.st.Items(ctx, f, max)
	if err != nil {
		return nil, err
	}
	var extra []negentropy.Item
	for _, fn := range b.n.hooks.reconcile.All() {
		extra = append(extra, fn(f)...)
	}
	if len(extra) == 0 {
		return set, nil
	}
	return set.With(extra), nil // With drops those the store holds
}

// peerBackend hands over the reports a known peer pushes.
type peerBackend struct {
	relayBackend
	o RelayOptions
}

func (b peerBackend) Accept(ctx context.Context, ev *nostr.Event) (bool, string) {
	ok, msg := b.relayBackend.Accept(ctx, ev)
	if ok && ev.Kind == event.KindReport {
		b.n.Handed(Handover{Peer: b.o.Peer, ID: ev.ID, Session: b.o.Session})
	}
	return ok, msg
}
