package store

import (
	"context"
	"fmt"
	"math/rand"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"
)

// BenchmarkSearch10kReports measures full-text search over 10,000 reports
// of about 3 KB each, against the naive way in the same run: a scan of
// every report's text with instr() (what a store without an index would
// do). Reported: p50 and p95 latency of each, and their ratio.
//
//	go test ./store -run '^$' -bench Search10k -benchtime 200x
func BenchmarkSearch10kReports(b *testing.B) {
	ctx := context.Background()
	s, err := Open(filepath.Join(b.TempDir(), "search.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	r := rand.New(rand.NewSource(7))
	vocab := make([]string, 20000)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%dx%s", i, strings.Repeat("a", r.Intn(6)))
	}
	word := func() string {
		// Zipf-like: a few words are everywhere, most are rare.
		return vocab[int(float64(len(vocab))*r.Float64()*r.Float64()*r.Float64())]
	}
	var batch []*nostr.Event
	for i := 0; i < 10_000; i++ {
		var body strings.Builder
		for body.Len() < 3000 {
			body.WriteString(word())
			body.WriteByte(' ')
		}
		ev := &nostr.Event{
			ID: randHex(r, 32), PubKey: randHex(r, 32), Sig: randHex(r, 64),
			CreatedAt: nostr.Timestamp(benchStart + i), Kind: 30023, Content: body.String(),
			Tags: nostr.Tags{{"d", fmt.Sprint(i)}, {"title", word() + " " + word()}},
		}
		batch = append(batch, ev)
		if len(batch) == 1000 {
			if _, err := s.Save(ctx, batch...); err != nil {
				b.Fatal(err)
			}
			batch = nil
		}
	}
	queries := make([]string, 64)
	for i := range queries {
		// Half common words (in thousands of reports), half rare ones.
		if i%2 == 0 {
			queries[i] = vocab[r.Intn(500)]
		} else {
			queries[i] = vocab[5000+r.Intn(15000)]
		}
	}
	measure := func(f func(q string)) (p50, p95 time.Duration) {
		var ds []time.Duration
		for i := 0; i < b.N; i++ {
			start := time.Now()
			f(queries[i%len(queries)])
			ds = append(ds, time.Since(start))
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2], ds[len(ds)*95/100]
	}
	b.ResetTimer()
	fts50, fts95 := measure(func(q string) {
		if _, err := s.Search(ctx, q, SearchOptions{Limit: 20}); err != nil {
			b.Fatal(err)
		}
	})
	b.StopTimer()
	scan50, scan95 := measure(func(q string) {
		rows, err := s.read.QueryContext(ctx, `SELECT raw FROM events WHERE kind = 30023 AND instr(lower(CAST(raw AS TEXT)), ?) > 0 ORDER BY created_at DESC LIMIT 20`, q)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
		}
		rows.Close()
	})
	b.ReportMetric(float64(fts50.Microseconds())/1000, "fts-p50-ms")
	b.ReportMetric(float64(fts95.Microseconds())/1000, "fts-p95-ms")
	b.ReportMetric(float64(scan50.Microseconds())/1000, "scan-p50-ms")
	b.ReportMetric(float64(scan95.Microseconds())/1000, "scan-p95-ms")
	b.ReportMetric(float64(fts50)/float64(scan50), "fts/scan-p50")
	b.ReportMetric(float64(fts95)/float64(scan95), "fts/scan-p95")
}
