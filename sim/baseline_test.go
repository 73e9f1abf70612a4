package sim

import (
	"testing"
	"time"
)

const sec = time.Second

// tiny is a scenario for hand-made traces: what the baselines read of it
// is the TTL and the duration.
func tiny(ttl time.Duration) *Scenario {
	return &Scenario{Duration: Duration(1000 * sec), TTL: Duration(ttl)}
}

func people(n int) []NodeKind { return make([]NodeKind, n) }

func c(a, b int, start, end time.Duration) Contact {
	return Contact{A: a, B: b, Start: start * sec, End: end * sec, Bandwidth: 1000}
}

func TestOracle(t *testing.T) {
	text := []Message{{ID: 0, Kind: Text, From: 0, To: []int{2}, At: 0, Size: 100}}
	report := []Message{{ID: 0, Kind: Report, From: 0, At: 5 * sec, Size: 100}}
	tests := []struct {
		name     string
		ttl      time.Duration
		contacts []Contact
		windows  []Window
		ms       []Message
		want     time.Duration
	}{
		{"chain", 0, []Contact{c(0, 1, 10, 20), c(1, 2, 30, 40)}, nil, text, 30 * sec},
		{"chain backwards in time", 0, []Contact{c(1, 2, 10, 20), c(0, 1, 30, 40)}, nil, text, Never},
		{"handover at the very end", 0, []Contact{c(0, 1, 10, 20), c(1, 2, 20, 30)}, nil, text, 20 * sec},
		// 1 and 2 are together from the start; 0 meets 1 later and the
		// message goes on at once through the contact already in
		// progress. A pass over contacts in start order misses it.
		{"overlap", 0, []Contact{c(1, 2, 0, 100), c(0, 1, 50, 60)}, nil, text, 50 * sec},
		{"overlap, three hops", 0, []Contact{c(2, 3, 0, 100), c(1, 2, 0, 100), c(0, 3, 40, 41)},
			nil, []Message{{ID: 0, Kind: Text, From: 0, To: []int{1}, Size: 1}}, 40 * sec},
		{"written during a contact", 0, []Contact{c(0, 1, 0, 100), c(1, 2, 0, 100)},
			nil, []Message{{ID: 0, Kind: Text, From: 0, To: []int{2}, At: 70 * sec, Size: 1}}, 70 * sec},
		{"expired on the way", 25 * sec, []Contact{c(0, 1, 10, 20), c(1, 2, 30, 40)}, nil, text, Never},
		{"just in time", 30 * sec, []Contact{c(0, 1, 10, 20), c(1, 2, 30, 40)}, nil, text, 30 * sec},
		{"report waits for a window", 0, []Contact{c(0, 1, 10, 20)}, []Window{{100 * sec, 200 * sec}}, report, 100 * sec},
		{"report in a window", 0, []Contact{c(0, 1, 150, 160)}, []Window{{100 * sec, 200 * sec}}, report, 150 * sec},
		{"report after the last window", 0, []Contact{c(0, 1, 250, 260)}, []Window{{100 * sec, 200 * sec}}, report, Never},
		{"report expires before the window", 60 * sec, []Contact{c(0, 1, 10, 20)}, []Window{{100 * sec, 200 * sec}}, report, Never},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := &Trace{Kinds: people(4), Contacts: tc.contacts, Windows: tc.windows, Bridges: []int{1}}
			got := Oracle(tiny(tc.ttl), tr, tc.ms).Arrived[0][0]
			if got != tc.want {
				t.Errorf("arrived at %v, want %v", got, tc.want)
			}
		})
	}
}

// reference is the oracle done slowly: for each message, relax every
// contact until nothing changes.
func reference(s *Scenario, tr *Trace, ms []Message) [][]time.Duration {
	out := make([][]time.Duration, len(ms))
	for i, m := range ms {
		best := make([]time.Duration, tr.Nodes())
		for n := range best {
			best[n] = Never
		}
		best[m.From] = m.At
		expiry := time.Duration(1<<62 - 1)
		if s.TTL > 0 {
			expiry = m.At + s.TTL.D()
		}
		for changed := true; changed; {
			changed = false
			for _, c := range tr.Contacts {
				for _, p := range [][2]int{{c.A, c.B}, {c.B, c.A}} {
					x, y := p[0], p[1]
					if best[x] == Never || best[x] > c.End {
						continue
					}
					at := max(best[x], c.Start)
					if at <= expiry && (best[y] == Never || at < best[y]) {
						best[y], changed = at, true
					}
				}
			}
		}
		for _, to := range m.To {
			out[i] = append(out[i], best[to])
		}
	}
	return out
}

func TestOracleMatchesReference(t *testing.T) {
	s := testScenario()
	s.Traffic.Reports = 0
	s.TTL = Duration(20 * time.Minute)
	s.Area = Area{Width: 1500, Height: 1000}
	tr, p := tracePlan(t, s)
	got, want := Oracle(s, tr, p.Messages), reference(s, tr, p.Messages)
	delivered := 0
	for i := range want {
		for r := range want[i] {
			if got.Arrived[i][r] != want[i][r] {
				t.Fatalf("message %d to %d: oracle %v, reference %v", i, p.Messages[i].To[r], got.Arrived[i][r], want[i][r])
			}
			if want[i][r] != Never {
				delivered++
			}
		}
	}
	t.Logf("%d copies delivered", delivered)
	if delivered == 0 || delivered == len(p.Messages)+s.Traffic.GroupMessages*(s.Traffic.GroupSize-2) {
		t.Fatalf("%d copies delivered: all or none, which tests little", delivered)
	}
}

func TestFloodingBytes(t *testing.T) {
	ms := []Message{
		{ID: 0, Kind: Text, From: 0, To: []int{2}, At: 0, Size: 100},
		{ID: 1, Kind: Text, From: 0, To: []int{2}, At: 0, Size: 200},
	}
	tr := &Trace{Kinds: people(3), Contacts: []Contact{
		// 500 bytes each way: 0 sends both (300), 1 has nothing.
		{A: 0, B: 1, Start: 0, End: sec, Bandwidth: 1000},
		// 200 bytes each way: 1 sends the newest (200); the older does
		// not fit.
		{A: 1, B: 2, Start: 10 * sec, End: 11 * sec, Bandwidth: 400},
		// They meet again: both send everything, all duplicates.
		{A: 0, B: 1, Start: 20 * sec, End: 21 * sec, Bandwidth: 1000},
	}}
	o := Flooding(tiny(0), tr, ms)
	if o.Bytes != 300+200+600 {
		t.Errorf("sent %d bytes, want 1100", o.Bytes)
	}
	if o.Arrived[0][0] != Never || o.Arrived[1][0] != 10*sec {
		t.Errorf("arrived %v", o.Arrived)
	}
	if o.BytesByHour[0] != o.Bytes {
		t.Errorf("by hour %v", o.BytesByHour)
	}
	// With a TTL of 5s, nothing is sent after 5s.
	o = Flooding(tiny(5*sec), tr, ms)
	if o.Bytes != 300 || o.Arrived[1][0] != Never {
		t.Errorf("with TTL: sent %d, arrived %v", o.Bytes, o.Arrived)
	}
}

// Flooding can never beat the oracle, and on a real city it sends bytes.
func TestFloodingBoundedByOracle(t *testing.T) {
	s := testScenario()
	tr, _ := MakeTrace(s)
	p, _ := MakePlan(s, tr)
	or, fl := Oracle(s, tr, p.Messages), Flooding(s, tr, p.Messages)
	n := 0
	for i := range or.Arrived {
		for r, at := range fl.Arrived[i] {
			if at == Never {
				continue
			}
			n++
			if o := or.Arrived[i][r]; o == Never || at < o {
				t.Fatalf("message %d copy %d: flooding %v, oracle %v", i, r, at, o)
			}
		}
	}
	if n == 0 || fl.Bytes == 0 || or.Bytes != 0 {
		t.Fatalf("flooding delivered %d copies with %d bytes", n, fl.Bytes)
	}
}

func TestSummarize(t *testing.T) {
	ms := []Message{
		{ID: 0, Kind: Text, To: []int{1}, At: 0},
		{ID: 1, Kind: Group, To: []int{1, 2, 3}, At: 10 * time.Minute},
		{ID: 2, Kind: Report, At: 0},
		{ID: 3, Kind: Report, At: 0},
	}
	o := NewOutcome("x", ms, 3*time.Hour)
	o.Arrived[0][0] = 30 * time.Minute  // 30m
	o.Arrived[1][0] = 70 * time.Minute  // 1h
	o.Arrived[1][2] = 130 * time.Minute // 2h
	o.Arrived[3][0] = 150 * time.Minute // 2h30m, out
	o.Sent(90*time.Minute, 400)
	o.Sent(10*time.Hour, 400) // past the end: counted in the last hour
	s := o.Summarize(ms, 3*time.Hour)
	if s.Texts != (Ratio{1, 1}) || s.Groups != (Ratio{2, 3}) || s.Reports != (Ratio{1, 2}) {
		t.Errorf("ratios %+v %+v %+v", s.Texts, s.Groups, s.Reports)
	}
	if s.P50 != time.Hour || s.P90 != 150*time.Minute || s.P99 != 150*time.Minute {
		t.Errorf("percentiles %v %v %v", s.P50, s.P90, s.P99)
	}
	if s.FirstReportOut != 150*time.Minute || s.BytesPerDelivered != 200 {
		t.Errorf("first out %v, bytes per delivered %v", s.FirstReportOut, s.BytesPerDelivered)
	}
	if want := []float64{1.0 / 6, 2.0 / 6, 4.0 / 6}; len(s.OverTime) != 3 || s.OverTime[0] != want[0] || s.OverTime[1] != want[1] || s.OverTime[2] != want[2] {
		t.Errorf("over time %v, want %v", s.OverTime, want)
	}
	if o.BytesByHour[1] != 400 || o.BytesByHour[2] != 400 {
		t.Errorf("by hour %v", o.BytesByHour)
	}
}

// tracePlan makes s's trace and plan.
func tracePlan(tb testing.TB, s *Scenario) (*Trace, *Plan) {
	tb.Helper()
	tr, err := MakeTrace(s)
	if err != nil {
		tb.Fatal(err)
	}
	p, err := MakePlan(s, tr)
	if err != nil {
		tb.Fatal(err)
	}
	return tr, p
}
