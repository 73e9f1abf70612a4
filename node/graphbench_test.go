package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/nbd-wtf/go-nostr"
)

// BenchmarkComputeGraph measures computing the follow graph (two hops and
// the follower counts) for an identity with 500 contacts, each following
// 1,000 people drawn from 100,000, so most are followed by several
// contacts. Setting it up stores 500 lists of about 70 KB.
func BenchmarkComputeGraph(b *testing.B) {
	const contacts, follows, pool = 500, 1000, 100_000
	n, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	n.Keys.LogN = 4
	ctx := context.Background()
	if _, err := n.Keys.New("me", "", true); err != nil {
		b.Fatal(err)
	}
	person := func(i int) string {
		h := sha256.Sum256(fmt.Appendf(nil, "person %d", i))
		return hex.EncodeToString(h[:])
	}
	ks := make([]evtest.Key, contacts)
	lists := make([]*nostr.Event, contacts)
	var wg sync.WaitGroup
	w := runtime.GOMAXPROCS(0)
	for g := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < contacts; i += w {
				ks[i] = evtest.NewKey(fmt.Sprint("contact ", i))
				tags := make(nostr.Tags, follows)
				for j := range tags {
					tags[j] = nostr.Tag{"p", person((i*7919 + j*104729) % pool)}
				}
				lists[i] = ks[i].Event(3, t0.Unix(), "", tags...)
			}
		}()
	}
	wg.Wait()
	mine := &nostr.Event{Kind: 3}
	for _, k := range ks {
		mine.Tags = append(mine.Tags, nostr.Tag{"p", k.Public})
	}
	if _, err := n.Publish(ctx, "", mine); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < contacts; i += 100 {
		for _, r := range n.Ingest(ctx, lists[i:i+100]...) {
			if !r.OK() {
				b.Fatal(r.Message())
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	var g = n.computeGraph(ctx)
	for b.Loop() {
		g = n.computeGraph(ctx)
	}
	b.StopTimer()
	if len(g.Hop1) != contacts || len(g.Hop2) < 10*follows {
		b.Fatalf("graph of %d contacts and %d at two hops", len(g.Hop1), len(g.Hop2))
	}
	b.ReportMetric(float64(len(g.Hop2)), "hop2")
}
