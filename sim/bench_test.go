package sim

import (
	"context"
	"testing"
)

// BenchmarkReplay measures what replaying the tiny city with real nodes
// costs against the two baselines on the same contacts: the ratio of the
// two is the price of running the real code.
//
//	go test -run '^$' -bench Replay -benchtime 3x ./sim
func BenchmarkReplay(b *testing.B) {
	s, err := Load("testdata/tiny.json")
	if err != nil {
		b.Fatal(err)
	}
	t, p := tracePlan(b, s)
	b.Run("baselines", func(b *testing.B) {
		for b.Loop() {
			Oracle(s, t, p.Messages)
			Flooding(s, t, p.Messages)
		}
	})
	b.Run("real-nodes", func(b *testing.B) {
		var sessions int
		for b.Loop() {
			res, err := Run(context.Background(), s, Options{Dir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			sessions = res.Stats.Sessions
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*max(sessions, 1))/1e6, "ms/session")
	})
}
