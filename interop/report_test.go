package interop

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/caravan-mesh/caravan/internal/interoptest"
	"github.com/caravan-mesh/caravan/node"
)

// TestNostrToolsReadsReportsAndTranslates: nostr-tools finds a Caravan
// report by its naddr, checks its tags, and publishes a translation by
// the convention of docs/reports.md, which Caravan then shows as one.
func TestNostrToolsReadsReportsAndTranslates(t *testing.T) {
	ctx := context.Background()
	n, _ := interoptest.NewNode(t)
	a, err := n.Attach(ctx, "", node.AttachInput{Data: []byte("a document\n"), Name: "doc.txt"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := n.PublishReport(ctx, "", node.ReportInput{Title: "Protesta en Almaty", Lang: "es", Markdown: "La policía cerró las calles.", Attachments: []node.Attachment{a}})
	if err != nil {
		t.Fatal(err)
	}
	out := interoptest.RunNode(t, "report.mjs", interoptest.ServeRelay(t, n), r.Naddr)
	var res struct{ Translation string }
	if err := json.Unmarshal(out, &res); err != nil || res.Translation == "" {
		t.Fatalf("script output %q: %v", out, err)
	}
	got, err := n.ReadReport(ctx, r.Naddr, "en", "")
	if err != nil || got.ID != res.Translation || got.Outdated || got.Of == nil || got.Of.Version != r.ID {
		t.Fatalf("the nostr-tools translation as Caravan reads it: %+v %v", got, err)
	}
}
