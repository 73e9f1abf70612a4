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

	"github.com/caravan-mesh/caravan/carry"
	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/atomicfile"
	"github.com/caravan-mesh/caravan/negentropy"
	"github.com/caravan-mesh/caravan/relay"
	"github.com/nbd-wtf/go-nostr"
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
	// NoLAN turns LAN discovery off whatever the configuration says.
	NoLAN bool
}

type serving struct {
	relay *relay.Relay
	rt    Runtime
	ctx   context.Context
	// LAN discovery: running while lanCancel is set; it reports
	// neighbours to lanOut. reachable: the relay listens beyond loopback.
	lanCancel context.CancelFunc
	lanPort   int
	lanOut    chan map[string]bool
	reachable bool
}

// NewRelay returns the relay endpoint's handler for this node.
func (n *Node) NewRelay() *relay.Relay { return n.newRelay(nil) }

// newRelay serves one known peer when held is set: what it pulls or
// pushes is recorded as held by it.
func (n *Node) newRelay(held *holdings) *relay.Relay {
	// What a client pulls by id, it holds: remember it under the peer's
	// name, or for clients we do not know by name, their address.
	served := func(c *relay.Conn, id string) {
		h := held
		if h == nil {
			h = n.clientHoldings(c)
		}
		n.Handed(Handover{Peer: h.peer, ID: id, Out: true, Session: c.Context()})
		h.add(id)
	}
	var b relay.Backend = relayBackend{n}
	if held != nil {
		b = heldBackend{relayBackend{n}, held}
	}
	return relay.New(b, relay.Options{
		Limits:      n.Config.Relay,
		EventLimits: n.Config.Events,
		Now:         n.now,
		Logf:        n.logf,
		Served:      served,
		Handlers:    carry.BlobHandlers(syncBlobs{n}),
		Info: func() relay.Info {
			return relay.Info{
				Name:          n.Config.Name,
				Description:   n.Config.Description,
				Software:      "https://github.com/caravan-mesh/caravan",
				Version:       VersionString(),
				SupportedNIPs: []int{1, 9, 11, 40, 77},
			}
		},
	})
}

// Serve runs the relay endpoint and the local API until ctx ends, then shuts
// both down. It also purges expired events once a minute. It returns once
// the work it started (sync sessions with peers among it) has stopped, so
// nothing writes into the data directory after it returns.
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
		return fmt.Errorf("write %s: %w", RuntimeFile, err)
	}
	defer os.Remove(rtPath)

	lan := make(chan map[string]bool)
	addr, _ := o.Relay.Addr().(*net.TCPAddr)
	n.mu.Lock()
	n.serving = &serving{relay: rl, rt: rt, ctx: ctx, lanOut: lan}
	if addr != nil {
		n.serving.lanPort = addr.Port
		n.serving.reachable = !addr.IP.IsLoopback()
	}
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		n.serving = nil
		n.mu.Unlock()
	}()

	relaySrv := &http.Server{Handler: relayAndBlobs(rl, n.NewBlossom(), n.appsHandler()), ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	// Requests end with serving: a web page's live stream or a followed
	// chat would otherwise hold up the shutdown until its timeout.
	apiSrv := &http.Server{Handler: o.APIHandler, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 2)
	go func() { errc <- relaySrv.Serve(o.Relay) }()
	go func() { errc <- apiSrv.Serve(o.API) }()
	work.Go(func() { n.purgeLoop(ctx) })
	work.Go(func() { n.countUsage(ctx) })
	for _, f := range n.hooks.serveWork.all() {
		work.Go(func() { f(ctx) })
	}
	work.Go(func() { n.runPeers(ctx, lan) })
	if n.lanEnabled(o) {
		n.setLAN(true)
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

// setLAN starts or stops LAN discovery while serving. Stopping it ends
// the sessions with neighbours it found.
func (n *Node) setLAN(on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := n.serving
	if s == nil || on == (s.lanCancel != nil) || s.lanPort == 0 {
		return
	}
	if !on {
		s.lanCancel()
		s.lanCancel = nil
		go func() {
			select {
			case s.lanOut <- map[string]bool{}:
			case <-s.ctx.Done():
			}
		}()
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	s.lanCancel = cancel
	go func() {
		if err := n.runLAN(ctx, s.lanPort, s.lanOut); err != nil {
			n.logf("LAN discovery is off: %v", err)
			n.mu.Lock()
			if n.serving == s && ctx.Err() == nil {
				s.lanCancel = nil
			}
			n.mu.Unlock()
			cancel()
		}
	}()
}

// lanEnabled: on if configured so, else when the relay listens beyond
// loopback.
func (n *Node) lanEnabled(o ServeOptions) bool {
	if o.NoLAN {
		return false
	}
	if n.Config.LAN != nil {
		return *n.Config.LAN
	}
	a, ok := o.Relay.Addr().(*net.TCPAddr)
	return ok && !a.IP.IsLoopback()
}

func (n *Node) purgeLoop(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if c, err := n.purgeExpired(ctx); err != nil && ctx.Err() == nil {
			n.logf("purge expired events: %v", err)
		} else if c > 0 {
			n.logf("purged %d expired events", c)
		}
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
	r := b.n.Ingest(ctx, ev)[0]
	return r.OK(), r.Message()
}

func (b relayBackend) Query(ctx context.Context, f nostr.Filter, max int) ([]event.Raw, error) {
	return b.n.Store.Query(ctx, f, max)
}

func (b relayBackend) Subscribe(fn func(*nostr.Event, []byte)) func() { return b.n.OnStored(fn) }

func (b relayBackend) Items(ctx context.Context, f nostr.Filter, max int) (*negentropy.Set, error) {
	return b.n.Store.Items(ctx, f, max)
}

// heldBackend notes the reports a known peer pushes as held by it.
type heldBackend struct {
	relayBackend
	h *holdings
}

func (b heldBackend) Accept(ctx context.Context, ev *nostr.Event) (bool, string) {
	ok, msg := b.relayBackend.Accept(ctx, ev)
	if ok && ev.Kind == event.KindReport {
		b.h.add(ev.ID)
	}
	return ok, msg
}

// clientHoldings collects, for a client of the relay endpoint, the ids it
// pulled, and records them when the connection ends.
func (n *Node) clientHoldings(c *relay.Conn) *holdings {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.clientHeld == nil {
		n.clientHeld = map[*relay.Conn]*holdings{}
	}
	h, ok := n.clientHeld[c]
	if !ok {
		h = &holdings{n: n, peer: "client " + c.RemoteIP()}
		n.clientHeld[c] = h
		go func() {
			<-c.Context().Done()
			h.flush()
			n.mu.Lock()
			delete(n.clientHeld, c)
			n.mu.Unlock()
		}()
	}
	return h
}
