package sim

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/nbd-wtf/go-nostr"
)

// Result is what a run measured.
type Result struct {
	Scenario *Scenario
	Trace    *Trace
	Plan     *Plan
	// Caravan is the real nodes' outcome; Oracle and Flooding the
	// baselines' on the same contacts.
	Caravan, Oracle, Flooding *Outcome
	Stats                     Stats
	// Storage per node at the end, bytes (events and the attachments
	// they stand for).
	Storage []int64
	// StorageByHour is the mean and the largest storage per node at the
	// end of each hour.
	StorageByHour []Storage
	// Costs of the run itself.
	Wall    time.Duration
	HeapMax uint64 // the Go heap's peak, sampled
	RSSMax  int64  // the process's peak resident memory (Linux), 0 if unknown
}

// step is one thing that happens at a time: a message written, a contact,
// a bridge's session with the outside.
type step struct {
	at   time.Duration
	what int // stepWrite, stepBridge, stepContact: at equal times, writes first
	i    int
	end  time.Duration // bridge: the window's end
}

// What a step is, in the order steps at equal times run.
const (
	stepWrite = iota
	stepBridge
	stepContact
)

// resync is how often nodes that stay in range sync again.
const resync = 10 * time.Minute

// Run simulates scenario s.
func Run(ctx context.Context, s *Scenario, o Options) (*Result, error) {
	began := time.Now()
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	t, err := MakeTrace(s)
	if err != nil {
		return nil, err
	}
	p, err := MakePlan(s, t)
	if err != nil {
		return nil, err
	}
	res := &Result{Scenario: s, Trace: t, Plan: p}
	res.Oracle = Oracle(s, t, p.Messages)
	res.Flooding = Flooding(s, t, p.Messages)

	dir := o.Dir
	if dir == "" {
		base := ""
		if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
			base = "/dev/shm"
		}
		if dir, err = os.MkdirTemp(base, "caravan-sim-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
	}
	e := &engine{
		s: s, t: t, p: p, o: o, dir: dir,
		sizes: map[string]int64{}, extra: map[string]int64{},
		wraps: map[string]wrapOf{}, reports: map[string]int{},
		met: map[uint64][2]uint64{}, bridge: map[int]bool{},
	}
	for _, b := range t.Bridges {
		e.bridge[b] = true
	}
	e.out = NewOutcome("caravan", p.Messages, s.Duration.D())
	defer e.closeAll()
	if err := e.setup(ctx); err != nil {
		return nil, err
	}

	steps := make([]step, 0, len(p.Messages)+len(t.Contacts))
	for i, m := range p.Messages {
		steps = append(steps, step{at: m.At, what: stepWrite, i: i})
	}
	for _, w := range t.Windows {
		// A bridge syncs with the outside when the window opens and every
		// five minutes while it lasts.
		for at := w.Start; at < w.End; at += 5 * time.Minute {
			for _, b := range t.Bridges {
				steps = append(steps, step{at: at, what: stepBridge, i: b, end: min(at+5*time.Minute, w.End)})
			}
		}
	}
	for i, c := range t.Contacts {
		// Phones in range for long sync again now and then: what either
		// received meanwhile flows on (skipped if neither has anything new).
		for at := c.Start; at < c.End; at += resync {
			steps = append(steps, step{at: at, what: stepContact, i: i, end: min(at+resync, c.End)})
		}
	}
	sort.SliceStable(steps, func(i, j int) bool {
		if steps[i].at != steps[j].at {
			return steps[i].at < steps[j].at
		}
		return steps[i].what < steps[j].what
	})

	var ms runtime.MemStats
	lastShown := time.Now()
	hour := time.Hour
	for k, st := range steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for ; st.at >= hour; hour += time.Hour {
			res.StorageByHour = append(res.StorageByHour, e.storage())
		}
		e.setClock(st.at)
		switch st.what {
		case stepWrite:
			err = e.write(ctx, &p.Messages[st.i])
		case stepBridge:
			err = e.uplink(ctx, st.i, st.at, st.end)
		case stepContact:
			c := t.Contacts[st.i]
			err = e.encounter(ctx, e.nodes[c.A], e.nodes[c.B], st.at, c.Bandwidth, int64((st.end-st.at).Seconds()*float64(c.Bandwidth)), false)
			// A bridge online keeps its session with the outside open:
			// what it just received goes out now, not at the next round.
			for _, n := range []int{c.A, c.B} {
				if w, ok := e.window(st.at); ok && err == nil && e.bridge[n] {
					err = e.uplink(ctx, n, st.at, w.End)
				}
			}
		}
		if err != nil {
			return nil, err
		}
		if k%256 == 0 {
			runtime.ReadMemStats(&ms)
			res.HeapMax = max(res.HeapMax, ms.HeapAlloc)
			if o.Progress != nil && time.Since(lastShown) > time.Second {
				lastShown = time.Now()
				o.Progress(st.at, float64(k)/float64(len(steps)))
			}
		}
	}
	for ; hour <= s.Duration.D()+time.Hour-1; hour += time.Hour {
		res.StorageByHour = append(res.StorageByHour, e.storage())
	}
	e.setClock(s.Duration.D())
	res.Caravan = e.out
	res.Stats = e.stats
	for _, sn := range e.nodes {
		res.Storage = append(res.Storage, sn.bytes)
	}
	res.Wall = time.Since(began)
	res.RSSMax = peakRSS()
	return res, nil
}

// uplink syncs bridge b with the outside, from at until end at most.
func (e *engine) uplink(ctx context.Context, b int, at, end time.Duration) error {
	bw := e.s.Internet.Bandwidth
	return e.encounter(ctx, e.nodes[b], e.outside, at, bw, int64((end-at).Seconds()*float64(bw)), true)
}

// window is the internet window open at at, if any.
func (e *engine) window(at time.Duration) (Window, bool) {
	ws := e.t.Windows
	i := sort.Search(len(ws), func(i int) bool { return ws[i].End > at })
	if i < len(ws) && ws[i].Start <= at {
		return ws[i], true
	}
	return Window{}, false
}

// setup creates every node and the outside relay, and has each mover
// follow their contacts (so their nodes carry their people's data first).
func (e *engine) setup(ctx context.Context) error {
	for i := range e.t.Kinds {
		sn, err := e.create(i)
		if err != nil {
			return err
		}
		e.nodes = append(e.nodes, sn)
	}
	out, err := e.create(len(e.t.Kinds))
	if err != nil {
		return err
	}
	e.outside = out
	// Plan.Contacts says whom each writes to; people follow those and
	// those who write to them.
	follows := make([]map[int]bool, len(e.p.Contacts))
	for i, cs := range e.p.Contacts {
		for _, c := range cs {
			if follows[i] == nil {
				follows[i] = map[int]bool{}
			}
			if follows[c] == nil {
				follows[c] = map[int]bool{}
			}
			follows[i][c], follows[c][i] = true, true
		}
	}
	for i, f := range follows {
		if len(f) == 0 {
			continue
		}
		cs := make([]int, 0, len(f))
		for c := range f {
			cs = append(cs, c)
		}
		sort.Ints(cs)
		n, err := e.node(e.nodes[i])
		if err != nil {
			return err
		}
		ev := &nostr.Event{Kind: event.KindFollowList, Tags: nostr.Tags{}}
		for _, c := range cs {
			ev.Tags = append(ev.Tags, nostr.Tag{"p", e.nodes[c].pk})
		}
		if _, err := n.Publish(ctx, identity, ev); err != nil {
			return fmt.Errorf("node %d: follow its contacts: %w", i, err)
		}
	}
	return nil
}

func (e *engine) closeAll() {
	for _, sn := range e.open {
		sn.stop()
		sn.n.Close()
		sn.n = nil
	}
	e.open = nil
}

// peakRSS reads the process's peak resident set (VmHWM) on Linux.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// Storage is the storage of the city's nodes at one time, bytes.
type Storage struct {
	Mean int64 `json:"mean"`
	Max  int64 `json:"max"`
}

func (e *engine) storage() Storage {
	e.mu.Lock()
	defer e.mu.Unlock()
	var st Storage
	for _, sn := range e.nodes {
		st.Mean += sn.bytes
		st.Max = max(st.Max, sn.bytes)
	}
	st.Mean /= int64(max(len(e.nodes), 1))
	return st
}
