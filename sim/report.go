package sim

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Goals are what almaty-2022 must show (issue 9): nearly every text
// delivered, at a fraction of flooding's bytes, and a report out in the
// first window.
const (
	GoalTexts = 0.95
	GoalBytes = 0.2 // of flooding's
)

// Summaries are the three outcomes summed up.
func (r *Result) Summaries() []Summary {
	d := r.Scenario.Duration.D()
	ms := r.Plan.Messages
	return []Summary{r.Caravan.Summarize(ms, d), r.Oracle.Summarize(ms, d), r.Flooding.Summarize(ms, d)}
}

// A Goal is one of the goals, measured.
type Goal struct {
	What string `json:"what"`
	Met  bool   `json:"met"`
	Got  string `json:"got"`
}

// Goals measures the run against the goals.
func (r *Result) Goals() []Goal {
	s := r.Summaries()
	cv := s[0]
	var out []Goal
	if cv.Texts.Of > 0 {
		out = append(out, Goal{"≥ 95 % of text messages delivered", cv.Texts.Frac() >= GoalTexts,
			fmt.Sprintf("%.1f %% (%d of %d; the oracle %.1f %%)", 100*cv.Texts.Frac(), cv.Texts.Delivered, cv.Texts.Of, 100*s[1].Texts.Frac())})
	}
	if r.Flooding.Bytes > 0 {
		ratio := float64(r.Caravan.Bytes) / float64(r.Flooding.Bytes)
		out = append(out, Goal{"≤ 1/5 of the bytes flooding spends", ratio <= GoalBytes,
			fmt.Sprintf("%.3f of flooding's (%s against %s)", ratio, bytesText(r.Caravan.Bytes), bytesText(r.Flooding.Bytes))})
	}
	if w, ok := r.firstWindow(); ok {
		met := cv.FirstReportOut != Never && cv.FirstReportOut <= w.End
		got := "no report reached the outside"
		if cv.FirstReportOut != Never {
			got = fmt.Sprintf("at %s; the first window after the first report was written is %s-%s", clock(cv.FirstReportOut), clock(w.Start), clock(w.End))
		}
		if or := s[1].FirstReportOut; or == Never {
			got += "; the oracle got none out either"
		} else {
			got += "; the oracle at " + clock(or)
		}
		out = append(out, Goal{"first report outside within the first internet window", met, got})
	}
	return out
}

// firstWindow is the first internet window that ends after the first
// report is written: no report can leave before it exists.
func (r *Result) firstWindow() (Window, bool) {
	for _, m := range r.Plan.Messages { // sorted by time
		if m.Kind != Report {
			continue
		}
		for _, w := range r.Trace.Windows {
			if w.End > m.At {
				return w, true
			}
		}
		return Window{}, false
	}
	return Window{}, false
}

// Table writes the results for a terminal.
func (r *Result) Table(w io.Writer) {
	s := r.Scenario
	fmt.Fprintf(w, "%s: %d nodes (%d people, %d carriers, %d fixed), %s, seed %d\n", s.Name,
		len(r.Trace.Kinds), s.People, s.Carriers.Count, s.Fixed.Count, s.Duration.D(), s.Seed)
	fmt.Fprintf(w, "%d contacts, %d internet windows, %d messages (%d copies to deliver)\n\n",
		len(r.Trace.Contacts), len(r.Trace.Windows), len(r.Plan.Messages), copies(r.Plan.Messages))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\ttexts\tgroups\treports out\tp50\tp90\tp99\tfirst report out\tbytes\tbytes/delivered\t")
	for _, x := range r.Summaries() {
		first := "never"
		if x.FirstReportOut != Never {
			first = clock(x.FirstReportOut)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", x.Name,
			pct(x.Texts), pct(x.Groups), pct(x.Reports), span(x.P50), span(x.P90), span(x.P99), first,
			bytesOf(r.outcome(x.Name).Bytes), bytesOf(int64(x.BytesPerDelivered)))
	}
	tw.Flush()
	r.overTime(w)
	st := r.Stats
	fmt.Fprintf(w, "\ncaravan: %d sync sessions (%d cut short by the contact's end), %d encounters skipped (nothing to exchange)\n",
		st.Sessions, st.Cut, st.Skipped)
	fmt.Fprintf(w, "  bytes: %s of events and attachments, %s of reconciliation and requests\n", bytesText(st.Charged), bytesText(st.Overhead))
	if len(r.Storage) > 0 {
		sorted := slices.Clone(r.Storage)
		slices.Sort(sorted)
		var sum int64
		for _, b := range sorted {
			sum += b
		}
		fmt.Fprintf(w, "  storage per node at the end: mean %s, median %s, max %s\n",
			bytesText(sum/int64(len(sorted))), bytesText(sorted[len(sorted)/2]), bytesText(sorted[len(sorted)-1]))
	}
	fmt.Fprintln(w)
	for _, g := range r.Goals() {
		mark := "NOT MET"
		if g.Met {
			mark = "met"
		}
		fmt.Fprintf(w, "goal: %s: %s (%s)\n", g.What, mark, g.Got)
	}
}

// Costs says what the run itself took: time, memory, node openings. It
// varies from run to run, unlike the table.
func (r *Result) Costs() string {
	rss := "unknown"
	if r.RSSMax > 0 {
		rss = bytesText(r.RSSMax)
	}
	return fmt.Sprintf("run: %s wall, peak resident memory %s (Go heap %s), %d node openings",
		r.Wall.Round(time.Second), rss, bytesText(int64(r.HeapMax)), r.Stats.Opened)
}

// overTime writes the share of copies delivered at a few points in time.
func (r *Result) overTime(w io.Writer) {
	sums := r.Summaries()
	hours := len(sums[0].OverTime)
	if hours < 2 {
		return
	}
	step := max(1, (hours+5)/6)
	fmt.Fprintln(w, "\ndelivered by")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "\t")
	for h := step; h <= hours; h += step {
		fmt.Fprintf(tw, "%dh\t", h)
	}
	fmt.Fprintln(tw)
	for _, x := range sums {
		fmt.Fprintf(tw, "%s\t", x.Name)
		for h := step; h <= hours; h += step {
			fmt.Fprintf(tw, "%.1f%%\t", 100*x.OverTime[h-1])
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

func (r *Result) outcome(name string) *Outcome {
	for _, o := range []*Outcome{r.Caravan, r.Oracle, r.Flooding} {
		if o.Name == name {
			return o
		}
	}
	return r.Caravan
}

// Plots writes the SVG plots into dir and returns their paths.
func (r *Result) Plots(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var delivery, cdf, bytes []Series
	for _, o := range []*Outcome{r.Caravan, r.Oracle, r.Flooding} {
		delivery = append(delivery, DeliverySeries(o, r.Plan.Messages, r.Scenario.Duration.D()))
		cdf = append(cdf, LatencyCDF(o, r.Plan.Messages))
		bytes = append(bytes, BytesSeries(o))
	}
	mean, most := Series{Name: "mean", X: []float64{0}, Y: []float64{0}}, Series{Name: "largest", X: []float64{0}, Y: []float64{0}}
	for h, st := range r.StorageByHour {
		mean.X, mean.Y = append(mean.X, float64(h+1)), append(mean.Y, float64(st.Mean)/1e6)
		most.X, most.Y = append(most.X, float64(h+1)), append(most.Y, float64(st.Max)/1e6)
	}
	plots := []struct {
		file, title, x, y string
		s                 []Series
	}{
		{"delivery.svg", r.Scenario.Name + ": copies delivered over time", "hours", "share of copies delivered", delivery},
		{"latency.svg", r.Scenario.Name + ": delivery latency (CDF of all copies)", "hours after writing", "share delivered within", cdf},
		{"bytes.svg", r.Scenario.Name + ": bytes sent between nodes", "hours", "MB sent, cumulative", bytes},
		{"storage.svg", r.Scenario.Name + ": what a node holds (caravan)", "hours", "MB per node", []Series{mean, most}},
	}
	var out []string
	for _, p := range plots {
		path := filepath.Join(dir, p.file)
		f, err := os.Create(path)
		if err != nil {
			return out, err
		}
		err = PlotLines(f, p.title, p.x, p.y, p.s)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return out, err
		}
		out = append(out, path)
	}
	return out, nil
}

func copies(ms []Message) int {
	n := 0
	for _, m := range ms {
		n += max(1, len(m.To))
	}
	return n
}

func pct(r Ratio) string {
	if r.Of == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*r.Frac())
}

func span(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
}

// clock is an offset as hours and minutes from the start ("+5h12m").
func clock(d time.Duration) string { return "+" + span(max(d, time.Second)) }

// bytesOf is bytesText, or "-" for none (the oracle counts none).
func bytesOf(n int64) string {
	if n == 0 {
		return "-"
	}
	return bytesText(n)
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// JSON is the result in a form for result.json: the scenario, the
// summaries, the goals and the run's costs (not every arrival).
func (r *Result) JSON() any {
	return struct {
		Scenario  *Scenario `json:"scenario"`
		Nodes     int       `json:"nodes"`
		Contacts  int       `json:"contacts"`
		Windows   []Window  `json:"windows"`
		Summaries []Summary `json:"summaries"`
		Goals     []Goal    `json:"goals"`
		Stats     Stats     `json:"stats"`
		Storage   []int64   `json:"storage_per_node"`
		ByHour    []Storage `json:"storage_by_hour"`
		WallSec   float64   `json:"wall_seconds"`
		HeapMax   uint64    `json:"heap_max_bytes"`
		RSSMax    int64     `json:"rss_max_bytes"`
	}{r.Scenario, len(r.Trace.Kinds), len(r.Trace.Contacts), r.Trace.Windows, r.Summaries(), r.Goals(), r.Stats, r.Storage, r.StorageByHour, r.Wall.Seconds(), r.HeapMax, r.RSSMax}
}
