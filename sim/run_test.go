package sim

import (
	"context"
	"reflect"
	"testing"
	"time"
)

func runTiny(t *testing.T) *Result {
	t.Helper()
	s, err := Load("testdata/tiny.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), s, Options{Dir: t.TempDir(), Open: 5})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The real nodes can do no better than the oracle: every copy they
// deliver, it delivers no later. And they deliver, and spend less than
// flooding.
func TestRunAgainstBaselines(t *testing.T) {
	res := runTiny(t)
	delivered := 0
	for m, arr := range res.Caravan.Arrived {
		for r, at := range arr {
			if at == Never {
				continue
			}
			delivered++
			if o := res.Oracle.Arrived[m][r]; o == Never || o > at {
				t.Errorf("message %d copy %d: caravan at %s, the oracle at %s", m, r, at, o)
			}
			if at < res.Plan.Messages[m].At {
				t.Errorf("message %d copy %d arrived at %s, before it was written (%s)", m, r, at, res.Plan.Messages[m].At)
			}
		}
	}
	if delivered == 0 {
		t.Fatal("the real nodes delivered nothing")
	}
	if res.Stats.Sessions == 0 || res.Caravan.Bytes <= 0 || res.Caravan.Bytes >= res.Flooding.Bytes {
		t.Errorf("sessions %d, bytes %d against flooding's %d", res.Stats.Sessions, res.Caravan.Bytes, res.Flooding.Bytes)
	}
	if res.Stats.SendFails != 0 {
		t.Errorf("%d messages could not be written", res.Stats.SendFails)
	}
	// Opening at most 5 of 15 nodes at once, nodes were closed and opened
	// again, and kept what they held.
	if res.Stats.Opened <= len(res.Trace.Kinds)+1 {
		t.Errorf("%d opens: the open-node bound was not exercised", res.Stats.Opened)
	}
	t.Logf("%d sessions, %d skipped, delivered %d copies, %d bytes (flooding %d), %s",
		res.Stats.Sessions, res.Stats.Skipped, delivered, res.Caravan.Bytes, res.Flooding.Bytes, res.Wall.Round(time.Millisecond))
}

// The same seed gives the same numbers.
func TestRunDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the city twice")
	}
	a, b := runTiny(t), runTiny(t)
	if !reflect.DeepEqual(a.Caravan, b.Caravan) {
		t.Errorf("two runs delivered differently:\n%v\n%v", a.Summaries()[0], b.Summaries()[0])
	}
	if !reflect.DeepEqual(a.Stats, b.Stats) || !reflect.DeepEqual(a.Storage, b.Storage) {
		t.Errorf("two runs cost differently:\n%+v\n%+v", a.Stats, b.Stats)
	}
}
