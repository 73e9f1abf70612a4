package sim

import (
	"os"
	"reflect"
	"runtime"
	"testing"
	"time"
)

// scripted moves node i along path[i](t).
func scripted(paths ...func(t time.Duration) point) func(time.Duration, []point) {
	return func(t time.Duration, pos []point) {
		for i, p := range paths {
			pos[i] = p(t)
		}
	}
}

func still(x, y float64) func(time.Duration) point {
	return func(time.Duration) point { return point{x, y} }
}

// walk moves along x at v m/s from x0, at height y.
func walk(x0, v, y float64) func(time.Duration) point {
	return func(t time.Duration) point { return point{x0 + v*t.Seconds(), y} }
}

func TestDetect(t *testing.T) {
	area := Area{Width: 1000, Height: 1000}
	two := radios{rng: []float64{10, 10}, bw: []int64{100, 50}, fixed: []bool{false, false}}
	tests := []struct {
		name  string
		r     radios
		end   time.Duration
		paths []func(time.Duration) point
		want  []Contact
	}{{
		// B walks past A at 1 m/s from x=0: in range (|x-50| <= 10)
		// from t=40s to t=60s; sampled every 10s, out again at 70s.
		name:  "approach and part",
		r:     two,
		end:   200 * time.Second,
		paths: []func(time.Duration) point{still(50, 50), walk(0, 1, 50)},
		want:  []Contact{{A: 0, B: 1, Start: 40 * time.Second, End: 70 * time.Second, Bandwidth: 50}},
	}, {
		name:  "still in contact at the end",
		r:     two,
		end:   55 * time.Second,
		paths: []func(time.Duration) point{still(50, 50), walk(0, 1, 50)},
		want:  []Contact{{A: 0, B: 1, Start: 40 * time.Second, End: 55 * time.Second, Bandwidth: 50}},
	}, {
		name:  "never near",
		r:     two,
		end:   200 * time.Second,
		paths: []func(time.Duration) point{still(50, 50), walk(0, 1, 80)},
	}, {
		// The smaller range counts: 15 m apart, ranges 10 and 40.
		name:  "smaller range",
		r:     radios{rng: []float64{10, 40}, bw: []int64{1, 1}, fixed: []bool{false, false}},
		end:   20 * time.Second,
		paths: []func(time.Duration) point{still(0, 0), still(15, 0)},
	}, {
		name: "fixed nodes do not meet each other",
		r:    radios{rng: []float64{10, 10, 10}, bw: []int64{1, 1, 1}, fixed: []bool{true, true, false}},
		end:  20 * time.Second,
		paths: []func(time.Duration) point{still(0, 0), still(5, 0),
			func(t time.Duration) point { return point{2, max(500-t.Seconds()*100, 0)} }},
		// Node 2 comes down from y=500 to y=0 (at t=5s) and stays, near
		// both fixed nodes, which are near each other all along.
		want: []Contact{{A: 0, B: 2, Start: 10 * time.Second, End: 20 * time.Second, Bandwidth: 1},
			{A: 1, B: 2, Start: 10 * time.Second, End: 20 * time.Second, Bandwidth: 1}},
	}, {
		// A still pair: contact from the first step to the end.
		name:  "together from the start",
		r:     radios{rng: []float64{10, 10, 10}, bw: []int64{1, 1, 1}, fixed: []bool{false, false, false}},
		end:   30 * time.Second,
		paths: []func(time.Duration) point{still(1, 1), still(900, 900), still(2, 2)},
		want:  []Contact{{A: 0, B: 2, Start: 0, End: 30 * time.Second, Bandwidth: 1}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := detect(tc.r, area, 10*time.Second, tc.end, scripted(tc.paths...))
			if (len(got) > 0 || len(tc.want) > 0) && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// Three walkers cross a crowd of still people: contacts must match a
// brute-force check of every pair at every step.
func TestDetectMatchesBruteForce(t *testing.T) {
	s := testScenario()
	s.People, s.Duration = 60, Duration(2*time.Hour)
	s.Area = Area{Width: 300, Height: 200}
	s.Carriers, s.Fixed = Carriers{}, Fixed{}
	tr, err := MakeTrace(s)
	if err != nil {
		t.Fatal(err)
	}
	// Replay the same walkers and compare pair by pair.
	places := makePlaces(s)
	var ws []*walker
	for i := range s.People {
		ws = append(ws, newWalker(s, places, i, false))
	}
	type pair struct{ a, b int }
	open := map[pair]time.Duration{}
	var want []Contact
	step, end := s.step(), s.Duration.D()
	for at := time.Duration(0); at < end; at += step {
		ps := make([]point, len(ws))
		for i, w := range ws {
			ps[i] = w.at(at)
		}
		for a := range ps {
			for b := a + 1; b < len(ps); b++ {
				in := ps[a].dist(ps[b]) <= s.Radio.Range
				st, was := open[pair{a, b}]
				switch {
				case in && !was:
					open[pair{a, b}] = at
				case !in && was:
					want = append(want, Contact{a, b, st, at, s.Radio.Bandwidth})
					delete(open, pair{a, b})
				}
			}
		}
	}
	for p, st := range open {
		want = append(want, Contact{p.a, p.b, st, end, s.Radio.Bandwidth})
	}
	sortContacts(want)
	if len(want) < 20 {
		t.Fatalf("only %d contacts: the test city is too sparse to test anything", len(want))
	}
	if !reflect.DeepEqual(tr.Contacts, want) {
		t.Fatalf("grid found %d contacts, brute force %d", len(tr.Contacts), len(want))
	}
}

// testScenario is a small city that passes Check.
func testScenario() *Scenario {
	return &Scenario{
		Name: "test", Seed: 7, Duration: Duration(6 * time.Hour),
		Area: Area{Width: 500, Height: 400}, People: 40, Places: 6,
		Movement: Movement{Model: "random-waypoint", SpeedMin: 0.5, SpeedMax: 1.5,
			PauseMax: Duration(20 * time.Minute), PlaceBias: 0.6},
		Fixed:    Fixed{Count: 2, Range: 40, Bandwidth: 1_000_000},
		Carriers: Carriers{Count: 4, SpeedMin: 5, SpeedMax: 10},
		Radio:    Radio{Range: 30, Bandwidth: 500_000},
		Internet: Internet{Bridges: 3, Gap: Duration(time.Hour), LengthMin: Duration(5 * time.Minute),
			LengthMax: Duration(15 * time.Minute), Bandwidth: 100_000},
		Traffic: Traffic{Contacts: 5, Texts: 100, TextBytes: Range{20, 600}, Groups: 5, GroupSize: 4,
			GroupMessages: 30, Reports: 5, ReportBytes: Range{1000, 5000}, PhotoBytes: Range{100_000, 200_000}},
		TTL: Duration(3 * time.Hour),
	}
}

func TestMakeTrace(t *testing.T) {
	s := testScenario()
	a, err := MakeTrace(s)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := MakeTrace(s)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same scenario gave two traces")
	}
	if a.Nodes() != 46 || a.Kinds[39] != Person || a.Kinds[40] != Carrier || a.Kinds[44] != FixedNode {
		t.Fatalf("kinds %v", a.Kinds)
	}
	if len(a.Contacts) == 0 {
		t.Fatal("no contacts")
	}
	fixedMet := false
	for i, c := range a.Contacts {
		if c.A >= c.B || c.Start >= c.End || c.End > s.Duration.D() {
			t.Fatalf("contact %d: %+v", i, c)
		}
		if i > 0 && contactLess(c, a.Contacts[i-1]) {
			t.Fatalf("contacts not sorted at %d", i)
		}
		if a.Kinds[c.A] == FixedNode && a.Kinds[c.B] == FixedNode {
			t.Fatalf("fixed nodes met: %+v", c)
		}
		if a.Kinds[c.B] == FixedNode {
			fixedMet = true
			if want := int64(500_000); c.Bandwidth != want {
				t.Fatalf("bandwidth %d with a fixed node, want %d", c.Bandwidth, want)
			}
		}
	}
	if !fixedMet {
		t.Error("nobody met a fixed node")
	}
	if len(a.Bridges) != 3 || len(a.Windows) == 0 {
		t.Fatalf("bridges %v windows %v", a.Bridges, a.Windows)
	}
	for i, w := range a.Windows {
		if w.Start >= w.End || w.End > s.Duration.D() || (i > 0 && w.Start < a.Windows[i-1].End) {
			t.Fatalf("windows %v", a.Windows)
		}
	}
	// Another traffic must not change the movement.
	s.Traffic.Texts++
	c, _ := MakeTrace(s)
	if !reflect.DeepEqual(a, c) {
		t.Error("the traffic changed the trace")
	}
	s.Seed++
	d, _ := MakeTrace(s)
	if reflect.DeepEqual(a.Contacts, d.Contacts) {
		t.Error("another seed gave the same contacts")
	}
}

// TestAlmatyScale measures the trace, plan and baselines of the largest
// shipped city (or another, named by SIM_SCALE). It takes a minute, so it
// runs only when asked:
//
//	SIM_SCALE=1 go test ./sim -run AlmatyScale -v
//	SIM_SCALE=helsinki-one go test ./sim -run AlmatyScale -v
func TestAlmatyScale(t *testing.T) {
	name := os.Getenv("SIM_SCALE")
	switch name {
	case "":
		t.Skip("set SIM_SCALE=1 to measure the almaty-2022 city")
	case "1":
		name = "almaty-2022"
	}
	s, err := Load(name)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	tr, err := MakeTrace(s)
	if err != nil {
		t.Fatal(err)
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	t.Logf("trace: %d nodes, %d contacts, %d windows in %v; %d MB allocated in all, %d MB heap now",
		tr.Nodes(), len(tr.Contacts), len(tr.Windows), time.Since(t0), m.TotalAlloc>>20, m.HeapAlloc>>20)
	short, sum := 0, time.Duration(0)
	for _, c := range tr.Contacts {
		if c.End-c.Start <= s.step() {
			short++
		}
		sum += c.End - c.Start
	}
	t.Logf("contacts: %.0f%% last one step; mean length %v", 100*float64(short)/float64(len(tr.Contacts)), sum/time.Duration(len(tr.Contacts)))
	scaleRest(t, s, tr)
}

// scaleRest measures the stages after the trace.
func scaleRest(t *testing.T, s *Scenario, tr *Trace) {
	t0 := time.Now()
	p, err := MakePlan(s, tr)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("plan: %d messages in %v", len(p.Messages), time.Since(t0))
	for _, run := range []func(*Scenario, *Trace, []Message) *Outcome{Oracle, Flooding} {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		t0 = time.Now()
		o := run(s, tr, p.Messages)
		took := time.Since(t0)
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		sum := o.Summarize(p.Messages, s.Duration.D())
		t.Logf("%s: %v, %d MB allocated; texts %.3f groups %.3f reports %.3f; p50 %v p90 %v p99 %v; %d MB sent; first report out %v",
			o.Name, took, (after.TotalAlloc-before.TotalAlloc)>>20, sum.Texts.Frac(), sum.Groups.Frac(), sum.Reports.Frac(),
			sum.P50, sum.P90, sum.P99, o.Bytes>>20, sum.FirstReportOut)
	}
}
