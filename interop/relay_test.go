// Package interop holds tests against independent Nostr implementations.
package interop

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/caravan-mesh/caravan/internal/interoptest"
	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/nbd-wtf/go-nostr"
)

// TestNostrToolsAgainstRelay drives the relay endpoint with nostr-tools:
// publish, query, live subscription, a refused forgery, NIP-11.
func TestNostrToolsAgainstRelay(t *testing.T) {
	n, _ := interoptest.NewNode(t)
	ours, err := n.Publish(context.Background(), "", &nostr.Event{Kind: 1, Content: "signed by caravan"})
	if err != nil {
		t.Fatal(err)
	}
	out := interoptest.RunNode(t, "relay.mjs", interoptest.ServeRelay(t, n), ours.ID)
	var res struct{ Published []string }
	if err := json.Unmarshal(out, &res); err != nil || len(res.Published) != 2 {
		t.Fatalf("script output %q: %v", out, err)
	}
	// What nostr-tools published is durably in our store.
	for _, id := range res.Published {
		if ev, err := nodetest.Store(n).Get(context.Background(), id); err != nil || ev == nil {
			t.Errorf("event %s published by nostr-tools is not stored: %v", id, err)
		}
	}
}
