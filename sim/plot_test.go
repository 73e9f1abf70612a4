package sim

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"os"
	"strings"
	"testing"
)

// wellFormed parses an SVG to its end and returns its text.
func wellFormed(t *testing.T, b []byte) string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return text.String()
		}
		if err != nil {
			t.Fatalf("not XML: %v\n%s", err, b)
		}
		if c, ok := tok.(xml.CharData); ok {
			text.Write(c)
		}
	}
}

func TestPlotLines(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name   string
		series []Series
	}{
		{"none", nil},
		{"empty", []Series{{Name: "caravan"}}},
		{"one point", []Series{{Name: "oracle", X: []float64{3}, Y: []float64{0.5}}}},
		{"flat", []Series{{Name: "flat", X: []float64{0, 1, 2}, Y: []float64{7, 7, 7}}}},
		{"not finite", []Series{{Name: "odd", X: []float64{0, 1, nan, math.Inf(1)}, Y: []float64{0, nan, 1, 2}}}},
		{"three <&>", []Series{
			{Name: "caravan <nodes>", X: []float64{0, 1, 2, 24}, Y: []float64{0, 0.2, 0.5, 0.9}},
			{Name: "oracle & co", X: []float64{0, 1, 2, 24}, Y: []float64{0, 0.4, 0.9, 1}},
			{Name: "flooding", X: []float64{0, 1, 2}, Y: []float64{0, 1e9, 3e9}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := PlotLines(&b, "Delivery <over> time", "hours", "share", tc.series); err != nil {
				t.Fatal(err)
			}
			text := wellFormed(t, b.Bytes())
			if s := b.String(); strings.Contains(s, "NaN") || strings.Contains(s, "Inf") {
				t.Fatalf("NaN or Inf in the picture:\n%s", s)
			}
			for _, s := range tc.series {
				if !strings.Contains(text, s.Name) {
					t.Errorf("no legend for %q", s.Name)
				}
			}
			if !strings.Contains(text, "Delivery <over> time") {
				t.Error("no title")
			}
			if d := os.Getenv("SIM_PLOTS"); d != "" { // to look at them
				os.WriteFile(d+"/"+strings.ReplaceAll(tc.name, " ", "-")+".svg", b.Bytes(), 0o644)
			}
		})
	}
}

func TestTicks(t *testing.T) {
	for _, r := range [][2]float64{{0, 1}, {0, 24}, {0, 3e9}, {-5, 5}, {7, 7}, {0.001, 0.002}} {
		ts := ticks(r[0], r[1])
		if len(ts) < 2 || len(ts) > 12 || ts[0] > r[0] || ts[len(ts)-1] < r[1] {
			t.Errorf("ticks(%v, %v) = %v", r[0], r[1], ts)
		}
	}
}

// The report's series come from outcomes.
func TestSeries(t *testing.T) {
	s := testScenario()
	tr, _ := MakeTrace(s)
	p, _ := MakePlan(s, tr)
	var d, l, by []Series
	for _, o := range []*Outcome{Oracle(s, tr, p.Messages), Flooding(s, tr, p.Messages)} {
		d = append(d, DeliverySeries(o, p.Messages, s.Duration.D()))
		l = append(l, LatencyCDF(o, p.Messages))
		by = append(by, BytesSeries(o))
	}
	for _, ss := range [][]Series{d, l, by} {
		for _, x := range ss {
			if len(x.X) < 2 || len(x.X) != len(x.Y) {
				t.Fatalf("series %+v", x)
			}
			for i := 1; i < len(x.Y); i++ {
				if x.Y[i] < x.Y[i-1] || x.X[i] < x.X[i-1] {
					t.Fatalf("%s: not cumulative at %d: %v", x.Name, i, x.Y)
				}
			}
		}
		var b bytes.Buffer
		PlotLines(&b, "t", "x", "y", ss)
		wellFormed(t, b.Bytes())
	}
	if last := d[0].Y[len(d[0].Y)-1]; last <= 0 || last > 1 {
		t.Fatalf("oracle delivered %v", last)
	}
}
