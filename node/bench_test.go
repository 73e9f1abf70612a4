package node

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/nbd-wtf/go-nostr"
)

// signed makes n distinct signed events from 100 authors, on all cores.
func signed(n int) []*nostr.Event {
	evs := make([]*nostr.Event, n)
	ks := make([]evtest.Key, 100)
	for i := range ks {
		ks[i] = evtest.NewKey(fmt.Sprint("bench", i))
	}
	now := time.Now().Unix()
	var wg sync.WaitGroup
	w := runtime.GOMAXPROCS(0)
	for g := 0; g < w; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < n; i += w {
				evs[i] = ks[i%100].Event(1, now-int64(i%86400), fmt.Sprintf("benchmark note %d with some words in it", i),
					nostr.Tag{"t", fmt.Sprint("topic", i%50)}, nostr.Tag{"p", ks[(i+1)%100].Public})
			}
		}(g)
	}
	wg.Wait()
	return evs
}

// BenchmarkIngest measures, in one run, how many events per second the
// node validates and stores durably (in batches of 1000, on all cores)
// against how many it can merely verify (id and BIP-340 signature, on all
// cores), which bounds ingest. ratio = ingest rate / verify-only rate.
// Run with a fixed count, e.g. -benchtime 20000x.
func BenchmarkIngest(b *testing.B) {
	evs := signed(b.N)
	const batch = 1000

	// Baseline: verification only.
	res := make([]Result, batch)
	start := time.Now()
	for i := 0; i < len(evs); i += batch {
		j := min(i+batch, len(evs))
		clear(res)
		verifyAll(nil, evs[i:j], res[:j-i])
		for _, r := range res[:j-i] {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
	verify := time.Since(start)

	n, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	ctx := context.Background()
	b.ResetTimer()
	start = time.Now()
	for i := 0; i < len(evs); i += batch {
		j := min(i+batch, len(evs))
		for _, r := range n.Ingest(ctx, evs[i:j]...) {
			if !r.OK() {
				b.Fatal(r.Message())
			}
		}
	}
	ingest := time.Since(start)
	b.StopTimer()

	b.ReportMetric(float64(b.N)/verify.Seconds(), "verify-ev/s")
	b.ReportMetric(float64(b.N)/ingest.Seconds(), "ingest-ev/s")
	b.ReportMetric(verify.Seconds()/ingest.Seconds(), "ratio")
}
