package mesh

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/node"
	"github.com/nbd-wtf/go-nostr"
)

// TestHoldingsOverTheRelayEndpoint: a node that syncs with another's relay
// endpoint records that the peer holds the reports it sent; the serving
// node records that its client, known only by address, holds what it
// pulled, once the connection ends. Notes are not followed.
func TestHoldingsOverTheRelayEndpoint(t *testing.T) {
	ctx := context.Background()
	a, b := openMesh(t, node.Options{}), openMesh(t, node.Options{})
	now := time.Now().Unix()
	k := evtest.NewKey("a reporter")
	report := k.Event(30023, now-60, "the bridge is closed", nostr.Tag{"d", "bridge"}, nostr.Tag{"title", "Bridge"})
	note := k.Event(1, now-60, "a note")
	for _, r := range a.n.Ingest(ctx, report, note) {
		if !r.OK() {
			t.Fatalf("set-up: %s", r.Message())
		}
	}
	srv := httptest.NewServer(a.n.NewRelay())
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	p, err := b.SyncURL(ctx, url, SyncOptions{Proxy: "direct"})
	if err != nil || p.Received == 0 {
		t.Fatalf("sync: %+v %v", p, err)
	}
	holders := func(m *Service, id string) []string {
		hs, err := m.p.Store.Holders(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range hs {
			out = append(out, h.Peer)
		}
		return out
	}
	if got := holders(b, report.ID); len(got) != 1 || got[0] != url {
		t.Errorf("b's holders of the report: %v, want %s", got, url)
	}
	srv.Close() // the client's connection ends: its holdings are recorded
	want := "client 127.0.0.1"
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		got := holders(a, report.ID)
		if len(got) == 1 && got[0] == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a's holders of the report: %v, want %s", got, want)
		}
	}
	if got := holders(a, note.ID); len(got) != 0 {
		t.Errorf("holders of a note: %v", got)
	}
}
