package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/policy"
)

// BenchmarkComputeGraph measures computing the follow graph (two hops and
// the follower counts) for an identity with 500 contacts, each following
// 1,000 people drawn from 100,000, so most are followed by several
// contacts, against merely reading and decoding those lists, in the same
// run: ratio = graph time / read time. Setting it up stores 500 lists of
// about 70 KB. Run with a fixed count, e.g. -benchtime 5x.
func BenchmarkComputeGraph(b *testing.B) {
	const contacts, follows, pool = 500, 1000, 100_000
	n, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	n.kr.LogN = 4
	ctx := context.Background()
	if _, err := n.kr.New("me", "", true); err != nil {
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
	// Baseline: only reading and decoding the same lists.
	authors := make([]string, contacts)
	for i, k := range ks {
		authors[i] = k.Public
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		evs, err := n.st.QueryEvents(ctx, nostr.Filter{Authors: authors, Kinds: []int{nostr.KindFollowList}}, contacts)
		if err != nil || len(evs) != contacts {
			b.Fatalf("read %d lists: %v", len(evs), err)
		}
	}
	read := time.Since(start)

	start = time.Now()
	var g policy.Graph
	for i := 0; i < b.N; i++ {
		g = n.computeGraph(ctx)
	}
	graph := time.Since(start)
	b.StopTimer()
	if len(g.Hop1) != contacts || len(g.Hop2) < 10*follows || len(g.FollowedBy) != len(g.Hop2) {
		b.Fatalf("graph of %d contacts, %d at two hops, %d counted", len(g.Hop1), len(g.Hop2), len(g.FollowedBy))
	}
	b.ReportMetric(float64(graph.Milliseconds())/float64(b.N), "ms/graph")
	b.ReportMetric(float64(read.Milliseconds())/float64(b.N), "ms/read")
	b.ReportMetric(float64(graph)/float64(read), "ratio")
}
