package sim

import (
	"slices"
	"time"
)

// Never is the arrival time of a copy that never arrived.
const Never time.Duration = -1

// An Outcome is what one way of moving messages (the real nodes, the
// oracle, flooding) achieved on a trace and its messages.
type Outcome struct {
	Name string
	// Arrived[m][r] is when message m reached its recipient To[r]; for a
	// report, Arrived[m][0] is when it reached the outside. Never if it
	// did not.
	Arrived [][]time.Duration
	// Bytes is all the bytes sent between nodes, duplicates included.
	Bytes int64
	// BytesByHour[h] is the bytes sent in hour h of the run (counted at
	// the start of the contact that sent them).
	BytesByHour []int64
}

// NewOutcome is an outcome where nothing arrived and nothing was sent.
func NewOutcome(name string, ms []Message, dur time.Duration) *Outcome {
	o := &Outcome{Name: name, Arrived: make([][]time.Duration, len(ms)), BytesByHour: make([]int64, hours(dur))}
	for i, m := range ms {
		o.Arrived[i] = make([]time.Duration, max(1, len(m.To)))
		for r := range o.Arrived[i] {
			o.Arrived[i][r] = Never
		}
	}
	return o
}

func hours(d time.Duration) int { return int((d + time.Hour - 1) / time.Hour) }

// Sent counts n bytes sent at time at.
func (o *Outcome) Sent(at time.Duration, n int64) {
	o.Bytes += n
	if len(o.BytesByHour) > 0 {
		o.BytesByHour[min(max(int(at/time.Hour), 0), len(o.BytesByHour)-1)] += n
	}
}

// A Ratio is how many of some copies arrived.
type Ratio struct {
	Delivered int `json:"delivered"`
	Of        int `json:"of"`
}

// Frac is the share delivered, 0 if there was nothing to deliver.
func (r Ratio) Frac() float64 {
	if r.Of == 0 {
		return 0
	}
	return float64(r.Delivered) / float64(r.Of)
}

// Summary is an Outcome in a few numbers.
type Summary struct {
	Name string `json:"name"`
	// Delivery of texts (one copy each), group messages (one copy per
	// member) and reports (to the outside).
	Texts   Ratio `json:"texts"`
	Groups  Ratio `json:"groups"`
	Reports Ratio `json:"reports_out"`
	// Latency of delivered copies (arrival minus writing), all kinds.
	P50 time.Duration `json:"p50_ns"`
	P90 time.Duration `json:"p90_ns"`
	P99 time.Duration `json:"p99_ns"`
	// BytesPerDelivered is Bytes over delivered copies (0 if none).
	BytesPerDelivered float64 `json:"bytes_per_delivered"`
	// FirstReportOut is when the first report reached the outside, Never
	// if none did.
	FirstReportOut time.Duration `json:"first_report_out_ns"`
	// OverTime[h] is the share of all copies delivered by the end of hour
	// h.
	OverTime []float64 `json:"delivered_by_hour"`
}

// Summarize sums o up; ms are the messages it is the outcome of and dur
// the run's length.
func (o *Outcome) Summarize(ms []Message, dur time.Duration) Summary {
	s := Summary{Name: o.Name, FirstReportOut: Never}
	byHour := make([]int, hours(dur))
	total, delivered := 0, 0
	for i, m := range ms {
		r := map[MessageKind]*Ratio{Text: &s.Texts, Group: &s.Groups, Report: &s.Reports}[m.Kind]
		for _, at := range o.Arrived[i] {
			r.Of++
			total++
			if at == Never {
				continue
			}
			r.Delivered++
			delivered++
			if len(byHour) > 0 {
				byHour[min(int(at/time.Hour), len(byHour)-1)]++
			}
			if m.Kind == Report && (s.FirstReportOut == Never || at < s.FirstReportOut) {
				s.FirstReportOut = at
			}
		}
	}
	lat := o.Latencies(ms)
	s.P50, s.P90, s.P99 = percentile(lat, 0.5), percentile(lat, 0.9), percentile(lat, 0.99)
	if delivered > 0 {
		s.BytesPerDelivered = float64(o.Bytes) / float64(delivered)
	}
	sum := 0
	for _, n := range byHour {
		sum += n
		s.OverTime = append(s.OverTime, Ratio{sum, total}.Frac())
	}
	return s
}

// Latencies are the delays of all delivered copies, shortest first.
func (o *Outcome) Latencies(ms []Message) []time.Duration {
	var out []time.Duration
	for i, m := range ms {
		for _, at := range o.Arrived[i] {
			if at != Never {
				out = append(out, at-m.At)
			}
		}
	}
	slices.Sort(out)
	return out
}

// percentile of sorted durations (nearest rank), 0 if there are none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
