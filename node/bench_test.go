package node

import (
	"context"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/evtest"
)

// BenchmarkIngest measures, in one run, how many events per second the
// node validates and stores durably (in batches of 1000, on all cores)
// against how many it can merely verify (id and BIP-340 signature, on all
// cores), which bounds ingest. ratio = ingest rate / verify-only rate.
// Run with a fixed count, e.g. -benchtime 20000x.
func BenchmarkIngest(b *testing.B) {
	evs := evtest.Notes(b.N)
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
