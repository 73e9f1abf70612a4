package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/carry"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/internal/interoptest"
	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/link"
	"github.com/caravan-mesh/caravan/mesh"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/policy"
	"github.com/nbd-wtf/go-nostr"
)

// sets builds the two sides: shared events, some only on our node, some
// only on the other implementation's side.
func sets(t *testing.T, n *node.Node) (theirs []*nostr.Event, onlyOurs, onlyTheirs []string) {
	now := time.Now().Unix()
	var ours []*nostr.Event
	for i := 0; i < 300; i++ {
		ev := evtest.NewKey(fmt.Sprint("k", i%7)).Event(1, now-int64(i*37%5000), fmt.Sprint("event ", i))
		switch {
		case i%10 == 1:
			ours = append(ours, ev)
			onlyOurs = append(onlyOurs, ev.ID)
		case i%10 == 2:
			theirs = append(theirs, ev)
			onlyTheirs = append(onlyTheirs, ev.ID)
		default:
			ours = append(ours, ev)
			theirs = append(theirs, ev)
		}
	}
	for _, r := range n.Ingest(context.Background(), ours...) {
		if !r.OK() {
			t.Fatal(r.Message())
		}
	}
	sort.Strings(onlyOurs)
	sort.Strings(onlyTheirs)
	return
}

func writeJSON(t *testing.T, v any) string {
	p := filepath.Join(t.TempDir(), "events.json")
	b, _ := json.Marshal(v)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func sorted(s []string) []string { sort.Strings(s); return s }

func same(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

// nostr-tools' NegentropySync (client) against our relay endpoint.
func TestNIP77NostrToolsClient(t *testing.T) {
	n, err := node.Open(t.TempDir(), node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	theirs, onlyOurs, onlyTheirs := sets(t, n)
	rl := n.NewRelay()
	srv := httptest.NewServer(rl)
	defer srv.Close()
	defer rl.Close()
	out := interoptest.RunNode(t, "nip77.mjs", "client", "ws"+strings.TrimPrefix(srv.URL, "http"), writeJSON(t, theirs))
	var res struct{ Haves, Needs []string }
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("script output %q: %v", out, err)
	}
	if !same(sorted(res.Haves), onlyTheirs) || !same(sorted(res.Needs), onlyOurs) {
		t.Fatalf("nostr-tools learned haves %d (want %d), needs %d (want %d)", len(res.Haves), len(onlyTheirs), len(res.Needs), len(onlyOurs))
	}
}

// Our session (client) against nostr-tools' Negentropy as the server, over
// a stdio pipe: both end up with everything.
func TestNIP77NostrToolsServer(t *testing.T) {
	n, err := node.Open(t.TempDir(), node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	theirs, onlyOurs, onlyTheirs := sets(t, n)
	outFile := filepath.Join(t.TempDir(), "held.json")
	cmd, stdin, stdout := interoptest.StartNode(t, "nip77.mjs", "server", writeJSON(t, theirs), outFile)
	conn := link.Stream(stdout, stdin, stdin, 4<<20, "nostr-tools")
	// One filter naming the authors, so the session reconciles the whole
	// set at once: our first message is then fingerprints, which is what
	// nostr-tools can answer as a server (it does not answer IdLists).
	var authors []string
	for i := 0; i < 7; i++ {
		authors = append(authors, evtest.NewKey(fmt.Sprint("k", i)).Public)
	}
	p, err := carry.Run(context.Background(), conn, mesh.Local(n), carry.Options{
		Wants: []policy.Want{{Class: policy.Stranger, Filter: nostr.Filter{Authors: authors}, Push: true, Pull: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.Received != len(onlyTheirs) || p.Sent != len(onlyOurs) {
		t.Fatalf("received %d (want %d), sent %d (want %d)", p.Received, len(onlyTheirs), p.Sent, len(onlyOurs))
	}
	cmd.Wait()
	var held []string
	b, err := os.ReadFile(outFile)
	if err != nil || json.Unmarshal(b, &held) != nil {
		t.Fatalf("nostr-tools side wrote no state: %v", err)
	}
	if len(held) != 300 {
		t.Fatalf("nostr-tools side holds %d events, want all 300", len(held))
	}
	items, _ := nodetest.Store(n).Items(context.Background(), nostr.Filter{}, 0)
	if items.Size() != 300 {
		t.Fatalf("our node holds %d events, want all 300", items.Size())
	}
}
