package sim

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

// MakeTrace computes what happens in the city of s: where its places are,
// how people move, who meets whom (Contacts) and when the internet is up
// (Windows, through Bridges). The same scenario gives the same trace.
//
// Nodes are numbered people first (0..People-1), then carriers, then fixed
// nodes; fixed node f stands at place f. Positions are sampled every step;
// two nodes are in contact while they are within the smaller of their two
// ranges, from the first step they are to the first step they are not
// (or the end of the run). Fixed nodes never meet each other.
func MakeTrace(s *Scenario) (*Trace, error) {
	if err := s.Check(); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	places := makePlaces(s)
	n := s.People + s.Carriers.Count + s.Fixed.Count
	t := &Trace{Kinds: make([]NodeKind, n)}
	r := radios{rng: make([]float64, n), bw: make([]int64, n), fixed: make([]bool, n)}
	walkers := make([]*walker, s.People+s.Carriers.Count)
	for i := range n {
		r.rng[i], r.bw[i] = s.Radio.Range, s.Radio.Bandwidth
		switch {
		case i < s.People:
			t.Kinds[i] = Person
			walkers[i] = newWalker(s, places, i, false)
		case i < s.People+s.Carriers.Count:
			t.Kinds[i] = Carrier
			walkers[i] = newWalker(s, places, i, true)
		default:
			t.Kinds[i] = FixedNode
			r.fixed[i] = true
			if s.Fixed.Range > 0 {
				r.rng[i] = s.Fixed.Range
			}
			if s.Fixed.Bandwidth > 0 {
				r.bw[i] = s.Fixed.Bandwidth
			}
		}
	}
	move := func(at time.Duration, pos []point) {
		for i, w := range walkers {
			pos[i] = w.at(at)
		}
		for f := range s.Fixed.Count {
			pos[len(walkers)+f] = places[f]
		}
	}
	t.Contacts = detect(r, s.Area, s.step(), s.Duration.D(), move)
	t.Windows, t.Bridges = makeWindows(s)
	return t, nil
}

// Nodes is how many nodes the city has.
func (t *Trace) Nodes() int { return len(t.Kinds) }

// makePlaces scatters the places uniformly over the city.
func makePlaces(s *Scenario) []point {
	r := newRand(s.Seed, streamPlaces)
	ps := make([]point, s.Places)
	for i := range ps {
		ps[i] = point{r.Float64() * s.Area.Width, r.Float64() * s.Area.Height}
	}
	return ps
}

// makeWindows draws the internet windows (exponential gaps, uniform
// lengths) and the people who bridge to the outside during them.
func makeWindows(s *Scenario) ([]Window, []int) {
	in := s.Internet
	if in.Bridges == 0 {
		return nil, nil
	}
	r := newRand(s.Seed, streamWindows)
	var ws []Window
	for at := time.Duration(0); ; {
		at += time.Duration(r.ExpFloat64() * float64(in.Gap))
		if at >= s.Duration.D() {
			break
		}
		end := min(at+in.LengthMin.D()+time.Duration(r.Int64N(int64(in.LengthMax-in.LengthMin)+1)), s.Duration.D())
		ws = append(ws, Window{at, end})
		at = end
	}
	bridges := r.Perm(s.People)[:in.Bridges]
	slices.Sort(bridges)
	return ws, bridges
}

// radios are the nodes' radios, by node index.
type radios struct {
	rng   []float64 // metres
	bw    []int64   // bytes per second
	fixed []bool    // fixed nodes never meet each other
}

// A link is a contact in progress, kept on both its nodes.
type link struct {
	peer  int32
	start int32 // step
}

// detect samples positions every step from 0 to end (move fills pos for
// time t, for every node) and returns the contacts, sorted.
//
// Nodes are binned in a grid of cells as wide as the largest range, so a
// node's neighbours are in its own cell or the 8 around it. Only a node
// that moved since the last step looks at its neighbours: a pair neither
// of which moved is as near as it was. People pause for long at places,
// where they crowd, so this skips most of the work.
func detect(r radios, area Area, step, end time.Duration, move func(t time.Duration, pos []point)) []Contact {
	n := len(r.rng)
	// Cells at least as wide as the largest range; wider in a sparse
	// city, so the grid has no more cells than about 4 per node to clear
	// at each step.
	cell := max(slices.Max(r.rng), math.Sqrt(area.Width*area.Height/float64(4*n)))
	gw := max(1, int(math.Ceil(area.Width/cell)))
	gh := max(1, int(math.Ceil(area.Height/cell)))
	var (
		pos, prev = make([]point, n), make([]point, n)
		cellOf    = make([]int32, n)
		first     = make([]int32, gw*gh+1) // first[c] is cell c's start in byCell
		byCell    = make([]int32, n)
		fill      []int32
		active    = make([][]link, n)
		near      []int32
		mark      = make([]int32, n) // mark[j] == stamp: j is near this node now
		stamp     int32
	)
	// Contacts are kept small (steps, not durations) until the end:
	// a big city has millions.
	type raw struct{ a, b, start, stop int32 }
	var out []raw
	emit := func(a, b int, start, stop int32) {
		out = append(out, raw{int32(min(a, b)), int32(max(a, b)), start, stop})
	}
	drop := func(i int, j int32) {
		l := active[i]
		k := slices.IndexFunc(l, func(x link) bool { return x.peer == j })
		l[k] = l[len(l)-1]
		active[i] = l[:len(l)-1]
	}
	k := int32(0)
	for ; time.Duration(k)*step < end; k++ {
		move(time.Duration(k)*step, pos)
		// Bin by cell (a counting sort).
		clear(first)
		for i, p := range pos {
			cx := min(max(int(p.x/cell), 0), gw-1)
			cy := min(max(int(p.y/cell), 0), gh-1)
			cellOf[i] = int32(cy*gw + cx)
			first[cellOf[i]+1]++
		}
		for c := 1; c < len(first); c++ {
			first[c] += first[c-1]
		}
		fill = append(fill[:0], first[:len(first)-1]...)
		for i := range pos {
			byCell[fill[cellOf[i]]] = int32(i)
			fill[cellOf[i]]++
		}
		for i, p := range pos {
			if k > 0 && p == prev[i] {
				continue
			}
			near = near[:0]
			cx, cy := int(cellOf[i])%gw, int(cellOf[i])/gw
			for y := max(cy-1, 0); y <= min(cy+1, gh-1); y++ {
				for x := max(cx-1, 0); x <= min(cx+1, gw-1); x++ {
					c := y*gw + x
					for _, j := range byCell[first[c]:first[c+1]] {
						if int(j) == i || (r.fixed[i] && r.fixed[j]) {
							continue
						}
						if rr := min(r.rng[i], r.rng[j]); sq(p.x-pos[j].x)+sq(p.y-pos[j].y) <= rr*rr {
							near = append(near, j)
						}
					}
				}
			}
			stamp++
			for _, j := range near {
				mark[j] = stamp
			}
			// Contacts that ended: not near any more.
			for l := 0; l < len(active[i]); {
				lk := active[i][l]
				if mark[lk.peer] == stamp {
					mark[lk.peer] = -stamp // already in contact
					l++
					continue
				}
				emit(i, int(lk.peer), lk.start, k)
				drop(int(lk.peer), int32(i))
				active[i][l] = active[i][len(active[i])-1]
				active[i] = active[i][:len(active[i])-1]
			}
			// Contacts that began.
			for _, j := range near {
				if mark[j] == stamp {
					active[i] = append(active[i], link{j, k})
					active[j] = append(active[j], link{int32(i), k})
				}
			}
		}
		pos, prev = prev, pos
	}
	for i, ls := range active {
		for _, l := range ls {
			if int(l.peer) > i {
				emit(i, int(l.peer), l.start, k)
			}
		}
	}
	slices.SortFunc(out, func(x, y raw) int {
		return cmp.Or(cmp.Compare(x.start, y.start), cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b))
	})
	cs := make([]Contact, len(out))
	for i, c := range out {
		cs[i] = Contact{A: int(c.a), B: int(c.b), Start: time.Duration(c.start) * step,
			End: min(time.Duration(c.stop)*step, end), Bandwidth: min(r.bw[c.a], r.bw[c.b])}
	}
	return cs
}

func sortContacts(cs []Contact) { slices.SortFunc(cs, compareContacts) }

func compareContacts(x, y Contact) int {
	return cmp.Or(cmp.Compare(x.Start, y.Start), cmp.Compare(x.A, y.A), cmp.Compare(x.B, y.B))
}

func contactLess(x, y Contact) bool { return compareContacts(x, y) < 0 }

func sq(x float64) float64 { return x * x }
