package mesh

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/node"
)

// fakeDiscoverer finds what the test tells it to, on no network.
type fakeDiscoverer struct {
	self chan Self
	sets chan []Found
}

func (f fakeDiscoverer) Discover(ctx context.Context, self Self, found chan<- []Found) error {
	f.self <- self
	for {
		select {
		case set := <-f.sets:
			select {
			case found <- set:
			case <-ctx.Done():
				return nil
			}
		case <-ctx.Done():
			return nil
		}
	}
}

// TestDiscoveredPeerGetsASession: a neighbour a discoverer finds gets a
// live session, listed as a LAN peer; when the discoverer loses it, or
// discovery is turned off, the session ends.
func TestDiscoveredPeerGetsASession(t *testing.T) {
	b := openMesh(t, node.Options{})
	srv := httptest.NewServer(b.n.NewRelay())
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")

	on := true
	a := openMesh(t, node.Options{Config: &node.Config{LAN: &on}})
	fake := fakeDiscoverer{self: make(chan Self, 2), sets: make(chan []Found)}
	a.discover = []Discoverer{fake}
	relayLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	apiLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- a.n.Serve(ctx, node.ServeOptions{Relay: relayLn, API: apiLn, APIHandler: http.NotFoundHandler(), Token: "t"})
	}()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
	}()

	self := <-fake.self
	if self.ID != a.n.NodeID() || self.Relay.String() != relayLn.Addr().String() {
		t.Fatalf("announced %+v; the node is %s at %s", self, a.n.NodeID(), relayLn.Addr())
	}
	state := func() string {
		for _, p := range a.Peers() {
			if p.URL == url && p.Kind == "lan" {
				return p.State
			}
		}
		return ""
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s (state %q)", what, state())
			}
		}
	}

	fake.sets <- []Found{{URL: url}}
	waitFor("a session with the peer found", func() bool { return state() == "connected" })
	if st, _ := a.n.Status(ctx); !st.LAN || !a.n.NodeSettings().LAN {
		t.Errorf("discovery runs, but status and settings say LAN %v / %v", st.LAN, a.n.NodeSettings().LAN)
	}
	fake.sets <- nil
	waitFor("the session with the peer lost to end", func() bool { return state() == "idle" })

	// Found again, then discovery turned off: the session ends with it.
	fake.sets <- []Found{{URL: url}}
	waitFor("a session with the peer found again", func() bool { return state() == "connected" })
	off := false
	if s, err := a.n.ChangeNodeSettings(ctx, node.NodeSettingsChange{LAN: &off}); err != nil || s.LAN {
		t.Fatalf("turn discovery off: %+v %v", s, err)
	}
	waitFor("the session to end with discovery", func() bool { return state() == "idle" })
	if st, _ := a.n.Status(ctx); st.LAN {
		t.Error("discovery is off, but status says it runs")
	}
}

// A peer book others could read (copied in, or written by an older
// version) is made the user's alone when it is opened.
func TestPeerBookPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("permission bits do not apply on Windows")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, PeersFile)
	if err := os.WriteFile(path, []byte(`[{"url": "ws://10.0.0.7:7447"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644)
	if _, err := openPeerBook(dir, time.Now); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s after opening: %v %v, want 0600", PeersFile, fi.Mode().Perm(), err)
	}
}
