package interop

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/internal/interoptest"
	"github.com/caravan-mesh/caravan/node"
)

// TestNostrToolsReadsReportsAndTranslates: nostr-tools finds a Caravan
// report by its naddr, checks its tags, and publishes a translation by
// the convention of docs/reports.md, which Caravan then shows as one.
func TestNostrToolsReadsReportsAndTranslates(t *testing.T) {
	ctx := context.Background()
	n, err := node.Open(t.TempDir(), node.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	n.Keys.LogN = 4
	if _, err := n.Keys.New("me", "", true); err != nil {
		t.Fatal(err)
	}
	a, err := n.Attach(ctx, "", node.AttachInput{Data: []byte("a document\n"), Name: "doc.txt"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := n.PublishReport(ctx, "", node.ReportInput{Title: "Protesta en Almaty", Lang: "es", Markdown: "La policía cerró las calles.", Attachments: []node.Attachment{a}})
	if err != nil {
		t.Fatal(err)
	}
	rl := n.NewRelay()
	srv := httptest.NewServer(rl)
	defer srv.Close()
	defer rl.Close()

	out := interoptest.RunNode(t, "report.mjs", "ws"+strings.TrimPrefix(srv.URL, "http"), r.Naddr)
	var res struct{ Translation string }
	if err := json.Unmarshal(out, &res); err != nil || res.Translation == "" {
		t.Fatalf("script output %q: %v", out, err)
	}
	got, err := n.ReadReport(ctx, r.Naddr, "en", "")
	if err != nil || got.ID != res.Translation || got.Outdated || got.Of == nil || got.Of.Version != r.ID {
		t.Fatalf("the nostr-tools translation as Caravan reads it: %+v %v", got, err)
	}
}
