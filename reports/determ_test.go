package reports

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/node"
)

// TestSameSeedSameReports opens nodes with a seeded random source and a
// fixed clock, as the simulator does, and checks that a report is the
// same event (same id, same d) with the same seed, and another with
// another seed.
func TestSameSeedSameReports(t *testing.T) {
	run := func(seed byte) (id, d string) {
		t.Helper()
		var s [32]byte
		s[0] = seed
		n := nodetest.Open(t, node.Options{Now: func() time.Time { return t0 }, Rand: rand.NewChaCha8(s)})
		if _, err := n.NewIdentity("me", "", true); err != nil {
			t.Fatal(err)
		}
		r, err := New(n).Publish(context.Background(), "me", Input{Title: "Bridge", Markdown: "Closed since noon.", Lang: "en"})
		if err != nil {
			t.Fatal(err)
		}
		return r.ID, r.D
	}
	aID, aD := run(1)
	bID, bD := run(1)
	cID, cD := run(2)
	if aID != bID || aD != bD {
		t.Errorf("the same seed gave different reports: %s %s, %s %s", aID, aD, bID, bD)
	}
	if aID == cID || aD == cD {
		t.Errorf("another seed gave the same report: %s %s", cID, cD)
	}
}
