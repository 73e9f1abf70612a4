package sim

import (
	"cmp"
	"math/bits"
	"slices"
	"sort"
	"time"
)

// The two baselines run on the same trace and messages as the real nodes.
// Both keep what every node holds as a bitset of message IDs (messages are
// numbered in the order they are written, so the messages alive at a time
// are a range of IDs, and with them a range of words).

// world is what both baselines share.
type world struct {
	ms      []Message
	t       *Trace
	ttl     time.Duration // 0: messages never expire
	words   int
	held    []uint64 // node n's bits are held[n*words:(n+1)*words]
	inbox   [][]slot // inbox[n]: the copies node n is a recipient of
	bridged []time.Duration
	out     *Outcome
}

// A slot is one copy a node waits for: recipient r of message m, or r = -1
// for a report that a bridge can take outside.
type slot struct{ m, r int32 }

func newWorld(name string, s *Scenario, t *Trace, ms []Message) *world {
	w := &world{ms: ms, t: t, ttl: s.TTL.D(), words: (len(ms) + 63) / 64, inbox: make([][]slot, t.Nodes())}
	w.held = make([]uint64, t.Nodes()*w.words)
	w.bridged = make([]time.Duration, len(ms))
	for i, m := range ms {
		w.bridged[i] = Never
		for r, to := range m.To {
			w.inbox[to] = append(w.inbox[to], slot{int32(i), int32(r)})
		}
		if m.Kind == Report {
			for _, b := range t.Bridges {
				w.inbox[b] = append(w.inbox[b], slot{int32(i), -1})
			}
		}
	}
	w.out = NewOutcome(name, ms, s.Duration.D())
	return w
}

func (w *world) of(n int) []uint64 { return w.held[n*w.words : (n+1)*w.words] }

// live is the range of words holding the messages alive at a time: from
// the first not expired (lo, the first message ID) to the last written.
type live struct{ lo, hi int }

func (l live) words() (int, int) { return l.lo / 64, (l.hi + 63) / 64 }

// mask clears, in word i, the bits of messages that expired.
func (l live) mask(i int, x uint64) uint64 {
	if i == l.lo/64 {
		x &= ^uint64(0) << (l.lo % 64)
	}
	return x
}

// got records that node n has, from time at, the messages of d (words
// from lo).
func (w *world) got(n int, at time.Duration, lo int, d []uint64) {
	for _, s := range w.inbox[n] {
		i := int(s.m)/64 - lo
		if i < 0 || i >= len(d) || d[i]&(1<<(s.m%64)) == 0 {
			continue
		}
		if s.r < 0 {
			if w.bridged[s.m] == Never {
				w.bridged[s.m] = at
			}
		} else if w.out.Arrived[s.m][s.r] == Never {
			w.out.Arrived[s.m][s.r] = at
		}
	}
}

// outside delivers the reports that reached a bridge: in the first window
// that is open then or opens later, before they expire.
func (w *world) outside() {
	for m, at := range w.bridged {
		if at == Never {
			continue
		}
		ws := w.t.Windows
		k := sort.Search(len(ws), func(i int) bool { return ws[i].End >= at })
		if k == len(ws) {
			continue
		}
		out := max(at, ws[k].Start)
		if w.ttl > 0 && out > w.ms[m].At+w.ttl {
			continue
		}
		w.out.Arrived[m][0] = out
	}
}

// Oracle is epidemic routing with no limits: every node passes every
// message to every node it meets, instantly, with unlimited buffers and
// bandwidth. A copy's arrival is the earliest possible over time-respecting
// paths of contacts, so nothing can deliver more or sooner. It sends no
// bytes (Outcome.Bytes is 0).
//
// It sweeps time through the events (messages written, contacts beginning,
// contacts ending, messages expiring) keeping the contacts in progress as a
// graph. Everyone in a connected part of that graph holds the same
// messages; a new contact joins two parts, and each side's new messages
// flood the other part at once. This is exact even when contacts overlap
// (a node that gets a message from one contact passes it on through the
// contacts it is already in), which a single pass over contacts is not.
func Oracle(s *Scenario, t *Trace, ms []Message) *Outcome {
	w := newWorld("oracle", s, t, ms)
	cs := t.Contacts
	ends := make([]int32, len(cs))
	for i := range ends {
		ends[i] = int32(i)
	}
	slices.SortFunc(ends, func(a, b int32) int { return cmp.Compare(cs[a].End, cs[b].End) })
	adj := make([][]int32, t.Nodes())
	seen := make([]uint32, t.Nodes())
	var (
		epoch            uint32
		queue            []int32
		l                live
		nc, ns, ne       int
		da, db, one      []uint64
		nextExp, nextCre time.Duration
	)
	// flood gives d (live words from lo) to everyone in n's part.
	flood := func(n int, at time.Duration, lo int, d []uint64) {
		epoch++
		queue = append(queue[:0], int32(n))
		seen[n] = epoch
		for len(queue) > 0 {
			x := int(queue[len(queue)-1])
			queue = queue[:len(queue)-1]
			h := w.of(x)[lo:]
			for i, v := range d {
				h[i] |= v
			}
			w.got(x, at, lo, d)
			for _, y := range adj[x] {
				if seen[y] != epoch {
					seen[y] = epoch
					queue = append(queue, y)
				}
			}
		}
	}
	const end = time.Duration(1<<63 - 1)
	for {
		nextCre, nextExp = end, end
		if nc < len(ms) {
			nextCre = ms[nc].At
		}
		if w.ttl > 0 && l.lo < nc {
			nextExp = ms[l.lo].At + w.ttl
		}
		startAt, endAt := end, end
		if ns < len(cs) {
			startAt = cs[ns].Start
		}
		if ne < len(cs) {
			endAt = cs[ends[ne]].End
		}
		at := min(nextCre, startAt, endAt, nextExp)
		switch {
		case at == end:
			w.outside()
			return w.out
		case at == nextCre: // written: the writer's part has it at once
			m := ms[nc]
			nc++
			l.hi = nc
			one = append(one[:0], 1<<(m.ID%64))
			flood(m.From, at, m.ID/64, one)
		case at == startAt: // two parts join: each gets what the other has
			c := cs[ns]
			ns++
			lo, hi := l.words()
			ha, hb := w.of(c.A), w.of(c.B)
			da, db = da[:0], db[:0]
			var differ uint64
			for i := lo; i < hi; i++ {
				a, b := l.mask(i, ha[i]), l.mask(i, hb[i])
				da, db = append(da, b&^a), append(db, a&^b)
				differ |= a ^ b
			}
			if differ != 0 {
				flood(c.A, at, lo, da)
				flood(c.B, at, lo, db)
			}
			adj[c.A] = append(adj[c.A], int32(c.B))
			adj[c.B] = append(adj[c.B], int32(c.A))
		case at == endAt:
			c := cs[ends[ne]]
			ne++
			adj[c.A] = remove(adj[c.A], int32(c.B))
			adj[c.B] = remove(adj[c.B], int32(c.A))
		default: // expired: passed on no more
			l.lo++
		}
	}
}

func remove(s []int32, x int32) []int32 {
	i := slices.Index(s, x)
	s[i] = s[len(s)-1]
	return s[:len(s)-1]
}

// Flooding is plain flooding without reconciliation, the bandwidth
// baseline: when two nodes meet, each sends the other every message it
// holds (not expired), newest first, since it cannot know what the other
// has; the receiver drops duplicates. A contact carries (End-Start) times
// its bandwidth bytes, half each way; a message that does not fit whole is
// lost (its bytes still count). Each side sends what it held when the
// contact began, and what gets through arrives then (transfer time within
// a contact is ignored, as in the oracle). Buffers are unlimited.
//
// Each node keeps the total size of what it holds, so when a contact can
// carry it all (most contacts), the message list is not walked.
func Flooding(s *Scenario, t *Trace, ms []Message) *Outcome {
	w := newWorld("flooding", s, t, ms)
	bytes := make([]int64, t.Nodes()) // held and alive, by node
	wordBytes := make([]int64, w.words)
	for _, m := range ms {
		wordBytes[m.ID/64] += int64(m.Size)
	}
	var (
		l        live
		nc       int
		ra, rb   []uint64
		expiring = 0 // next message to expire
	)
	const end = time.Duration(1<<63 - 1)
	// expire drops the messages that expired before at from the totals.
	expire := func(at time.Duration) {
		for ; w.ttl > 0 && expiring < nc && ms[expiring].At+w.ttl < at; expiring++ {
			m := ms[expiring]
			for n := range bytes {
				if w.of(n)[m.ID/64]&(1<<(m.ID%64)) != 0 {
					bytes[n] -= int64(m.Size)
				}
			}
			l.lo = expiring + 1
		}
	}
	// send is what n can send to peer in budget bytes (as words from lo),
	// counted in the outcome.
	send := func(n, peer int, at time.Duration, budget int64, lo, hi int, r []uint64) []uint64 {
		r = r[:0]
		h, p := w.of(n), w.of(peer)
		if bytes[n] <= budget {
			w.out.Sent(at, bytes[n])
			for i := lo; i < hi; i++ {
				r = append(r, l.mask(i, h[i])&^p[i])
			}
			return r
		}
		w.out.Sent(at, budget)
		r = slices.Grow(r, hi-lo)[:hi-lo]
		clear(r)
		left := budget
		for i := hi - 1; i >= lo && left > 0; i-- {
			// A word of 64 messages, all held and alive, at once:
			// nodes that have been around hold everything.
			if h[i] == ^uint64(0) && i*64 >= l.lo && (i+1)*64 <= l.hi && wordBytes[i] <= left {
				left -= wordBytes[i]
				r[i-lo] = ^p[i]
				continue
			}
			for v := l.mask(i, h[i]); v != 0 && left > 0; {
				b := 63 - bits.LeadingZeros64(v)
				v &^= 1 << b
				size := int64(ms[i*64+b].Size)
				if size > left {
					left = 0
					break
				}
				left -= size
				r[i-lo] |= 1 << b &^ p[i]
			}
		}
		return r
	}
	take := func(n int, at time.Duration, lo int, r []uint64) {
		h := w.of(n)[lo:]
		for i, v := range r {
			h[i] |= v
			for ; v != 0; v &= v - 1 {
				bytes[n] += int64(ms[(lo+i)*64+bits.TrailingZeros64(v)].Size)
			}
		}
		w.got(n, at, lo, r)
	}
	for _, c := range t.Contacts {
		// Messages written up to the contact's start are held by then.
		for ; nc < len(ms) && ms[nc].At <= c.Start; nc++ {
			expire(ms[nc].At)
			m := ms[nc]
			w.of(m.From)[m.ID/64] |= 1 << (m.ID % 64)
			bytes[m.From] += int64(m.Size)
			l.hi = nc + 1
			w.got(m.From, m.At, m.ID/64, []uint64{1 << (m.ID % 64)})
		}
		expire(c.Start)
		budget := int64((c.End-c.Start).Seconds()*float64(c.Bandwidth)) / 2
		lo, hi := l.words()
		ra = send(c.A, c.B, c.Start, budget, lo, hi, ra)
		rb = send(c.B, c.A, c.Start, budget, lo, hi, rb)
		take(c.B, c.Start, lo, ra)
		take(c.A, c.Start, lo, rb)
	}
	w.outside()
	return w.out
}
