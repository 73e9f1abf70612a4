package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"
)

// The query benchmarks run on a store of benchEvents() events (1M unless
// CARAVAN_BENCH_EVENTS says otherwise), built once and kept in the temp
// directory between runs. The store does not check signatures, so the
// fixture's events carry random ones; query cost does not depend on them.

func benchEvents() int {
	if v, err := strconv.Atoi(os.Getenv("CARAVAN_BENCH_EVENTS")); err == nil && v > 0 {
		return v
	}
	return 1_000_000
}

const (
	benchAuthors = 10_000
	benchTopics  = 200
	benchStart   = 1_700_000_000
	benchSpan    = 30 * 24 * 3600 // a month of traffic
)

type fixture struct {
	s       *Store
	authors []string
	topics  []string
}

func randHex(r *rand.Rand, n int) string {
	b := make([]byte, n)
	r.Read(b)
	return hex.EncodeToString(b)
}

func openFixture(b *testing.B) *fixture {
	b.Helper()
	n := benchEvents()
	r := rand.New(rand.NewSource(42))
	fx := &fixture{}
	for i := 0; i < benchAuthors; i++ {
		fx.authors = append(fx.authors, randHex(r, 32))
	}
	for i := 0; i < benchTopics; i++ {
		fx.topics = append(fx.topics, fmt.Sprint("topic", i))
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("caravan-bench-v%d-%d.db", SchemaVersion, n))
	s, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	fx.s = s
	st, err := s.Stats(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if st.Events >= int64(n) {
		return fx
	}
	b.Logf("building a fixture of %d events at %s (once)", n, path)
	start := time.Now()
	var recent []string
	batch := make([]*nostr.Event, 0, 4096)
	for i := int(st.Events); i < n; i++ {
		// Zipf-like authors: a few are very active.
		author := fx.authors[int(float64(benchAuthors)*r.Float64()*r.Float64())]
		kind := 1
		switch x := r.Intn(100); {
		case x < 20:
			kind = 7
		case x < 23:
			kind = 6
		case x < 25:
			kind = 30023
		case x < 26:
			kind = 1059
		}
		ev := &nostr.Event{
			ID: randHex(r, 32), PubKey: author, Sig: randHex(r, 64), Kind: kind,
			CreatedAt: nostr.Timestamp(benchStart + int64(i)*benchSpan/int64(n) + int64(r.Intn(600))),
			Content:   fmt.Sprintf("event %d: the caravan passes; %s", i, randHex(r, 40+r.Intn(100))),
			Tags:      nostr.Tags{},
		}
		if kind == 30023 {
			ev.Tags = append(ev.Tags, nostr.Tag{"d", randHex(r, 8)}, nostr.Tag{"title", "report"})
		}
		for j := r.Intn(3); j > 0; j-- {
			ev.Tags = append(ev.Tags, nostr.Tag{"t", fx.topics[int(float64(benchTopics)*r.Float64()*r.Float64())]})
		}
		if len(recent) > 0 && (kind == 7 || kind == 6 || r.Intn(4) == 0) {
			ev.Tags = append(ev.Tags, nostr.Tag{"e", recent[r.Intn(len(recent))]})
		}
		if r.Intn(3) == 0 || kind == 1059 {
			ev.Tags = append(ev.Tags, nostr.Tag{"p", fx.authors[r.Intn(benchAuthors)]})
		}
		recent = append(recent, ev.ID)
		if len(recent) > 1000 {
			recent = recent[500:]
		}
		batch = append(batch, ev)
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := s.Save(context.Background(), batch...); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	b.Logf("fixture built in %s", time.Since(start).Round(time.Second))
	return fx
}

// runQueries runs b.N queries made by mk and reports latency percentiles.
func runQueries(b *testing.B, fx *fixture, mk func(r *rand.Rand) nostr.Filter) {
	r := rand.New(rand.NewSource(7))
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	results := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f := mk(r)
		t := time.Now()
		got, err := fx.s.Query(ctx, f, 500)
		lat = append(lat, time.Since(t))
		if err != nil {
			b.Fatal(err)
		}
		results += len(got)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(results)/float64(b.N), "events/query")
}

func BenchmarkQuery(b *testing.B) {
	fx := openFixture(b)
	defer fx.s.Close()
	b.Run("author+kind", func(b *testing.B) {
		runQueries(b, fx, func(r *rand.Rand) nostr.Filter {
			return nostr.Filter{Authors: []string{fx.authors[r.Intn(benchAuthors)]}, Kinds: []int{1}, Limit: 20}
		})
	})
	b.Run("tag", func(b *testing.B) {
		runQueries(b, fx, func(r *rand.Rand) nostr.Filter {
			return nostr.Filter{Tags: nostr.TagMap{"t": {fx.topics[r.Intn(benchTopics)]}}, Limit: 50}
		})
	})
	b.Run("p-tag+kind", func(b *testing.B) {
		runQueries(b, fx, func(r *rand.Rand) nostr.Filter {
			return nostr.Filter{Kinds: []int{1059}, Tags: nostr.TagMap{"p": {fx.authors[r.Intn(benchAuthors)]}}, Limit: 50}
		})
	})
	b.Run("time-range", func(b *testing.B) {
		runQueries(b, fx, func(r *rand.Rand) nostr.Filter {
			since := nostr.Timestamp(benchStart + r.Int63n(benchSpan-3600))
			until := since + 3600
			return nostr.Filter{Since: &since, Until: &until, Limit: 100}
		})
	})
}
