package negentropy

import (
	"math/rand"
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
