package sim

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// A Series is one line of a plot.
type Series struct {
	Name string
	X, Y []float64
}

// Plot size and margins, in pixels.
const (
	plotW, plotH                       = 800, 500
	marginL, marginR, marginT, marginB = 70, 170, 40, 50
)

// palette is distinct colours that stay apart for colour-blind readers
// (Okabe and Ito).
var palette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"}

// PlotLines writes an SVG line chart of series, with axes, ticks, labels
// and a legend. Points that are not finite are left out; an empty plot is
// still a valid picture.
func PlotLines(w io.Writer, title, xlabel, ylabel string, series []Series) error {
	x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for i := range min(len(s.X), len(s.Y)) {
			if finite(s.X[i]) && finite(s.Y[i]) {
				x0, x1 = min(x0, s.X[i]), max(x1, s.X[i])
				y0, y1 = min(y0, s.Y[i]), max(y1, s.Y[i])
			}
		}
	}
	if x0 > x1 { // no points
		x0, x1, y0, y1 = 0, 1, 0, 1
	}
	y0 = min(y0, 0) // amounts and shares read best from zero
	xt, yt := ticks(x0, x1), ticks(y0, y1)
	x0, x1 = min(x0, xt[0]), max(x1, xt[len(xt)-1])
	y0, y1 = min(y0, yt[0]), max(y1, yt[len(yt)-1])
	iw, ih := float64(plotW-marginL-marginR), float64(plotH-marginT-marginB)
	px := func(x float64) float64 { return marginL + (x-x0)/(x1-x0)*iw }
	py := func(y float64) float64 { return marginT + ih - (y-y0)/(y1-y0)*ih }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", plotW, plotH, plotW, plotH)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", plotW, plotH)
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="16" text-anchor="middle">%s</text>`+"\n", marginL+int(iw)/2, esc(title))
	for _, t := range xt {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", px(t), marginT, px(t), marginT+ih)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", px(t), marginT+ih+18, label(t))
	}
	for _, t := range yt {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", marginL, py(t), marginL+iw, py(t))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", marginL-6, py(t)+4, label(t))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="black"/>`+"\n", marginL, marginT, iw, ih)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", marginL+iw/2, plotH-10, esc(xlabel))
	fmt.Fprintf(&b, `<text transform="translate(16 %.1f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", marginT+ih/2, esc(ylabel))
	for k, s := range series {
		colour := palette[k%len(palette)]
		var pts []string
		var dot [2]float64
		for i := range min(len(s.X), len(s.Y)) {
			if finite(s.X[i]) && finite(s.Y[i]) {
				dot = [2]float64{px(s.X[i]), py(s.Y[i])}
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", dot[0], dot[1]))
			}
		}
		switch len(pts) {
		case 0:
		case 1: // a line of one point is invisible: a dot
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", dot[0], dot[1], colour)
		default:
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", colour, strings.Join(pts, " "))
		}
		ly := marginT + 10 + 20*k
		fmt.Fprintf(&b, `<line x1="%.0f" y1="%d" x2="%.0f" y2="%d" stroke="%s" stroke-width="3"/>`+"\n", marginL+iw+12, ly, marginL+iw+32, ly, colour)
		fmt.Fprintf(&b, `<text x="%.0f" y="%d">%s</text>`+"\n", marginL+iw+38, ly+4, esc(s.Name))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// ticks are 3 to 10 round values (1, 2 or 5 times a power of ten) spanning
// lo..hi.
func ticks(lo, hi float64) []float64 {
	if hi <= lo {
		lo, hi = lo-1, lo+1
	}
	step := math.Pow(10, math.Floor(math.Log10((hi-lo)/5)))
	for _, m := range []float64{1, 2, 5, 10} {
		if (hi-lo)/(step*m) <= 8 {
			step *= m
			break
		}
	}
	var out []float64
	for k := math.Floor(lo / step); k <= math.Ceil(hi/step); k++ {
		out = append(out, k*step)
	}
	return out
}

func label(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.3g", x)
}

// The series the report plots, one per outcome.

// DeliverySeries is the share of copies delivered by each hour.
func DeliverySeries(o *Outcome, ms []Message, dur time.Duration) Series {
	s := Series{Name: o.Name, X: []float64{0}, Y: []float64{0}}
	for h, f := range o.Summarize(ms, dur).OverTime {
		s.X, s.Y = append(s.X, float64(h+1)), append(s.Y, f)
	}
	return s
}

// LatencyCDF is the share of all copies delivered within x hours of being
// written (undelivered copies keep it below 1).
func LatencyCDF(o *Outcome, ms []Message) Series {
	lat := o.Latencies(ms)
	total := 0
	for _, a := range o.Arrived {
		total += len(a)
	}
	s := Series{Name: o.Name, X: []float64{0}, Y: []float64{0}}
	for i, l := range lat {
		if i+1 < len(lat) && lat[i+1] == l {
			continue
		}
		s.X, s.Y = append(s.X, l.Hours()), append(s.Y, float64(i+1)/float64(total))
	}
	return s
}

// BytesSeries is the megabytes sent by the end of each hour.
func BytesSeries(o *Outcome) Series {
	s := Series{Name: o.Name, X: []float64{0}, Y: []float64{0}}
	var sum int64
	for h, n := range o.BytesByHour {
		sum += n
		s.X, s.Y = append(s.X, float64(h+1)), append(s.Y, float64(sum)/1e6)
	}
	return s
}
