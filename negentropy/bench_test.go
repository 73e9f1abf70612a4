package negentropy

import (
	"math/rand"
	"runtime"
	"testing"

	gonegentropy "github.com/nbd-wtf/go-nostr/nip77/negentropy"
)

// BenchmarkReconcile1M reconciles two sets of a million items that differ
// by 1 % (scattered), with this package and with go-nostr's, in the same
// run: time, memory allocated and rounds. The sets are built outside the
// timer for both.
func BenchmarkReconcile1M(b *testing.B) {
	r := rand.New(rand.NewSource(5))
	a, c, _, _ := split(r, 990_000, 5_000, 5_000, 30*24*3600)
	const frame = 60_000

	b.Run("caravan", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			sa, sc := NewSet(append([]Item(nil), a...)), NewSet(append([]Item(nil), c...))
			b.StartTimer()
			client, server := NewClient(sa, frame), NewServer(sc, frame)
			msg, rounds, needs := client.Initiate(), 0, 0
			for msg != nil {
				rounds++
				reply, _, err := server.Reconcile(msg)
				if err != nil {
					b.Fatal(err)
				}
				var res Result
				msg, res, err = client.Reconcile(reply)
				if err != nil {
					b.Fatal(err)
				}
				needs += len(res.Needs)
			}
			if needs != 5000 {
				b.Fatalf("found %d needs", needs)
			}
			b.ReportMetric(float64(rounds), "rounds")
		}
	})
	b.Run("go-nostr", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			va, vc := goNostrSet(a), goNostrSet(c)
			b.StartTimer()
			client, server := gonegentropy.New(va, frame), gonegentropy.New(vc, frame)
			needs := 0
			done := make(chan struct{})
			go func() {
				for range client.Haves {
				}
			}()
			go func() {
				for range client.HaveNots {
					needs++
				}
				close(done)
			}()
			msg, rounds := client.Start(), 0
			for msg != "" {
				rounds++
				reply, err := server.Reconcile(msg)
				if err != nil {
					b.Fatal(err)
				}
				if msg, err = client.Reconcile(reply); err != nil {
					b.Fatal(err)
				}
			}
			<-done
			if needs != 5000 {
				b.Fatalf("found %d needs", needs)
			}
			b.ReportMetric(float64(rounds), "rounds")
		}
	})
}

// BenchmarkBuild1M makes a set of a million items arriving one at a time
// (as rows from the store do), two ways in the same run: appending to a
// slice and sorting it (NewSet), and Builder. Reported: time, bytes
// allocated, and the peak of live heap while building.
func BenchmarkBuild1M(b *testing.B) {
	items := randItems(rand.New(rand.NewSource(9)), 1_000_000, 30*24*3600)
	for _, way := range []string{"append+NewSet", "Builder"} {
		b.Run(way, func(b *testing.B) {
			b.ReportAllocs()
			var peak uint64
			for i := 0; i < b.N; i++ {
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				var s *Set
				if way == "Builder" {
					var bl Builder
					for _, it := range items {
						bl.Add(it)
						if bl.Len()%blockSize == 0 {
							peak = max(peak, heapLive()-before.HeapAlloc)
						}
					}
					s = bl.Set()
				} else {
					var list []Item
					for _, it := range items {
						if len(list) == cap(list) {
							peak = max(peak, heapLive()-before.HeapAlloc)
						}
						list = append(list, it)
					}
					peak = max(peak, heapLive()-before.HeapAlloc)
					s = NewSet(list)
				}
				peak = max(peak, heapLive()-before.HeapAlloc)
				if s.Size() != len(items) {
					b.Fatal(s.Size())
				}
			}
			b.ReportMetric(float64(peak)/1e6, "peak-MB")
		})
	}
}

// heapLive is the heap in use now, garbage included (what the process
// must hold until the collector runs).
func heapLive() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
