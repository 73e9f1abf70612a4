package interop

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/caravan-mesh/caravan/internal/interoptest"
	"github.com/caravan-mesh/caravan/reports"
)

// TestNostrToolsReadsReportsAndTranslates: nostr-tools finds a Caravan
// report by its naddr, checks its tags, and publishes a translation by
// the convention of docs/reports.md, which Caravan then shows as one.
func TestNostrToolsReadsReportsAndTranslates(t *testing.T) {
	ctx := context.Background()
	n, _ := interoptest.NewNode(t)
	a, err := reports.New(n).Attach(ctx, "", reports.AttachInput{Data: []byte("a document\n"), Name: "doc.txt"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := reports.New(n).Publish(ctx, "", reports.Input{Title: "Protesta en Almaty", Lang: "es", Markdown: "La policía cerró las calles.", Attachments: []reports.Attachment{a}})
	if err != nil {
		t.Fatal(err)
	}
	out := interoptest.RunNode(t, "report.mjs", interoptest.ServeRelay(t, n), r.Naddr)
	var res struct{ Translation string }
	if err := json.Unmarshal(out, &res); err != nil || res.Translation == "" {
		t.Fatalf("script output %q: %v", out, err)
	}
	got, err := reports.New(n).Read(ctx, r.Naddr, "en", "")
	if err != nil || got.ID != res.Translation || got.Outdated || got.Of == nil || got.Of.Version != r.ID {
		t.Fatalf("the nostr-tools translation as Caravan reads it: %+v %v", got, err)
	}
}
