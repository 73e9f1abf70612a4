package web_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/localapi"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/web"
	"github.com/nbd-wtf/go-nostr"
)

// testPassphrase protects a test node's identity unless the test says
// otherwise.
const testPassphrase = "correct horse battery staple"

// testNode is a real node in a temporary data directory, serving its relay
// endpoint and its local API with the web UI on loopback ports, as
// 'caravan serve' does (cmd/caravan/serve.go).
type testNode struct {
	t    *testing.T
	Name string
	Node *node.Node
	UI   *web.Server
	// Handler is the local API the UI serves.
	Handler *localapi.Handler
	// API is a client of the node's local API, with the token.
	API   *localapi.Client
	Token string
	// Base is the UI's and the API's origin: http://127.0.0.1:PORT.
	Base string
	// Relay is the relay endpoint other nodes sync with: ws://127.0.0.1:PORT.
	Relay string
	// Passphrase of the default identity: "" when it has none (or there is
	// no identity).
	Passphrase string
	// Clock is the UI server's clock (code expiry, sign-in spacing). It
	// stands still unless the test moves it.
	Clock *clock

	apiAddr, relayAddr string
	mu                 sync.Mutex
	reqs               []request
	changed            chan struct{} // closed and replaced at each request
	stop               func()        // set while serving
}

// request is one request the node's API port answered.
type request struct {
	Method, Path string
	// Origin and SecFetchSite are the browser's headers, if any.
	Origin, SecFetchSite string
	Status               int
}

type nodeConfig struct {
	identity   bool
	passphrase string
}

type nodeOption func(*nodeConfig)

// withPassphrase gives the node's identity this passphrase; "" stores
// the key unencrypted.
func withPassphrase(p string) nodeOption { return func(c *nodeConfig) { c.passphrase = p } }

// withoutIdentity starts the node with no identity, as on a first run.
func withoutIdentity() nodeOption { return func(c *nodeConfig) { c.identity = false } }

// startNode opens a node named name (its identity's name too) and serves
// it until the test ends. By default the node has one identity, protected
// by testPassphrase and unlocked.
func startNode(t *testing.T, name string, opts ...nodeOption) *testNode {
	t.Helper()
	cfg := nodeConfig{identity: true, passphrase: testPassphrase}
	for _, o := range opts {
		o(&cfg)
	}
	n, err := node.Open(t.TempDir(), node.Options{KeyLogN: 4}) // scrypt's real cost takes a second per unlock
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	tn := &testNode{t: t, Name: name, Node: n, Clock: newClock(), apiAddr: "127.0.0.1:0", relayAddr: "127.0.0.1:0", changed: make(chan struct{})}
	if cfg.identity {
		if _, err := n.NewIdentity(name, cfg.passphrase, cfg.passphrase == ""); err != nil {
			t.Fatal(err)
		}
		tn.Passphrase = cfg.passphrase
	}
	b := make([]byte, 32)
	rand.Read(b)
	tn.Token = hex.EncodeToString(b)
	tn.Handler = localapi.NewHandler(n, tn.Token)
	tn.UI = web.New(tn.Handler, tn.Token, n)
	tn.UI.SetClock(tn.Clock.Now)
	tn.serve()
	t.Cleanup(tn.stopServing)
	tn.API = localapi.NewClient(tn.Base, tn.Token)
	t.Cleanup(func() { tn.API.Close() })
	return tn
}

// serve starts serving on the node's ports (new ones the first time, the
// same ones after stopServing), with the same token, and returns once
// both listen.
func (tn *testNode) serve() {
	t := tn.t
	t.Helper()
	if tn.stop != nil {
		t.Fatalf("%s is already serving", tn.Name)
	}
	relayLn, err := nodetest.Listen(tn.relayAddr)
	if err != nil {
		t.Fatal(err)
	}
	apiLn, err := nodetest.Listen(tn.apiAddr)
	if err != nil {
		relayLn.Close()
		t.Fatal(err)
	}
	tn.relayAddr, tn.apiAddr = relayLn.Addr().String(), apiLn.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan node.Runtime, 1)
	done := make(chan error, 1)
	go func() {
		done <- tn.Node.Serve(ctx, node.ServeOptions{
			Relay: relayLn, API: apiLn, APIHandler: http.HandlerFunc(tn.record), Token: tn.Token, NoLAN: true,
			Ready: func(rt node.Runtime) { ready <- rt },
		})
	}()
	select {
	case rt := <-ready:
		tn.Base, tn.Relay = rt.API, rt.Relay
	case err := <-done:
		cancel()
		t.Fatalf("%s: serve: %v", tn.Name, err)
	}
	tn.stop = func() {
		// Drop every connection first, as a process that dies would:
		// Serve's graceful shutdown alone would wait for the UI's live
		// stream to end.
		relayLn.Drop()
		apiLn.Drop()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: serve: %v", tn.Name, err)
		}
	}
}

// stopServing stops the relay and the API, as if the process had been
// stopped; the data directory stays open, and serve starts it again.
func (tn *testNode) stopServing() {
	if tn.stop != nil {
		tn.stop()
		tn.stop = nil
	}
}

// record serves the UI and the API and remembers what was asked.
func (tn *testNode) record(w http.ResponseWriter, r *http.Request) {
	rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	tn.UI.ServeHTTP(rw, r)
	tn.mu.Lock()
	tn.reqs = append(tn.reqs, request{Method: r.Method, Path: r.URL.Path, Origin: r.Header.Get("Origin"), SecFetchSite: r.Header.Get("Sec-Fetch-Site"), Status: rw.status})
	close(tn.changed)
	tn.changed = make(chan struct{})
	tn.mu.Unlock()
}

// waitRequests waits until the node has answered at least n requests
// for path, and returns them.
func (tn *testNode) waitRequests(path string, n int) []request {
	tn.t.Helper()
	timeout := time.After(waitTime)
	for {
		tn.mu.Lock()
		changed := tn.changed
		tn.mu.Unlock()
		if got := tn.requests(path); len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-timeout:
			tn.t.Fatalf("waited %v for %d requests for %s; got %v", waitTime, n, path, tn.requests(path))
		}
	}
}

// requests returns the requests answered so far whose path is path.
func (tn *testNode) requests(path string) []request {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	var out []request
	for _, r := range tn.reqs {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// peer makes a and b sync with each other: each adds the other's relay
// endpoint as a peer, through its API.
func peer(t *testing.T, a, b *testNode) {
	t.Helper()
	ctx := context.Background()
	if _, err := localapi.Call(ctx, a.API, localapi.AddPeer, localapi.PeerRequest{URL: b.Relay}); err != nil {
		t.Fatal(err)
	}
	if _, err := localapi.Call(ctx, b.API, localapi.AddPeer, localapi.PeerRequest{URL: a.Relay}); err != nil {
		t.Fatal(err)
	}
}

// waitEvent waits until the node holds the event id (it arrives by sync,
// a bundle, or the node's own API) and returns it.
func (tn *testNode) waitEvent(id string) *nostr.Event {
	tn.t.Helper()
	arrived := make(chan struct{}, 1)
	cancel := tn.Node.OnStored(func(ev *nostr.Event, _ []byte) {
		if ev.ID == id {
			select {
			case arrived <- struct{}{}:
			default:
			}
		}
	})
	defer cancel()
	timeout := time.After(waitTime)
	for {
		if ev, err := nodetest.Store(tn.Node).Get(context.Background(), id); err == nil && ev != nil {
			return ev
		}
		select {
		case <-arrived:
		case <-timeout:
			tn.t.Fatalf("%s: waited %v for event %s", tn.Name, waitTime, id)
		}
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Flush and Hijack pass through: the live stream flushes, links hijack.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("cannot hijack")
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// clock is a clock that moves only when told.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestTwoNodesSync: the harness's nodes carry each other's events once
// they are peers, as the full flows (a message from one to the other)
// need.
func TestTwoNodesSync(t *testing.T) {
	t.Parallel()
	a := startNode(t, "ann")
	b := startNode(t, "bob")
	peer(t, a, b)
	ev, err := localapi.Call(context.Background(), a.API, localapi.Post, localapi.PostRequest{Kind: 1, Content: "hello from ann"})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.waitEvent(ev.ID); got.Content != "hello from ann" {
		t.Errorf("bob got %q", got.Content)
	}
}
