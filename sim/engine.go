package sim

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caravan-mesh/caravan/chat"
	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/mesh"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/policy"
	"github.com/caravan-mesh/caravan/relay"
	"github.com/caravan-mesh/caravan/reports"
	"github.com/caravan-mesh/caravan/store"
	"github.com/nbd-wtf/go-nostr"
)

// Options configure a run. The zero value works.
type Options struct {
	// Dir holds the nodes' data directories. If empty, a new directory in
	// /dev/shm (or the system's temporary directory) is made and removed
	// at the end.
	Dir string
	// Open bounds how many nodes are open at once; the others are closed
	// (their stores stay on disk) and opened again when they meet
	// someone. If zero, 1024 (about 1.2 MB each); at least 2.
	Open int
	// Progress, if set, is called now and then with the virtual time
	// reached and the share of contacts replayed.
	Progress func(at time.Duration, done float64)
	// Logf receives the nodes' operational messages. If nil, dropped.
	Logf func(format string, args ...any)
}

// Epoch is the simulated wall clock at the scenario's start.
var Epoch = time.Date(2022, 1, 5, 8, 0, 0, 0, time.UTC)

// identity is the name of each node's one identity.
const identity = "me"

// engine replays a plan with real nodes.
type engine struct {
	s     *Scenario
	t     *Trace
	p     *Plan
	o     Options
	dir   string
	clock atomic.Int64 // virtual offset from Epoch, ns

	checked event.Checked // signatures verified, shared by all nodes
	nodes   []*simNode
	outside *simNode
	bridge  map[int]bool
	open    []*simNode // LRU, least recently used first

	// What the data stands for.
	mu      sync.Mutex
	sizes   map[string]int64     // event id -> bytes in a store
	extra   map[string]int64     // event id -> attachment bytes it stands for
	wraps   map[string]wrapOf    // wrap id -> message and recipient
	reports map[string]int       // report id -> message
	met     map[uint64][2]uint64 // pair -> versions of both when they last synced
	session *meter               // the session under way, for delivery times
	start   time.Duration        // its start
	bw      int64                // its bandwidth
	out     *Outcome             // what the real nodes achieve
	stats   Stats
}

type wrapOf struct {
	msg, slot int // message, recipient index in Message.To
}

// simNode is one node of the city.
type simNode struct {
	idx  int
	dir  string
	pk   string
	n    *node.Node
	stop func()
	// What it holds, kept from its Subscribe and Removed hooks: a count,
	// bytes, and the XOR of its events' ids, to skip encounters between
	// nodes that hold the same.
	count  int
	bytes  int64
	digest uint64
	ver    uint64 // changes with every event stored or removed
	opens  int
}

// Stats are the costs of a run.
type Stats struct {
	Sessions  int   `json:"sessions"`   // sync sessions run
	Skipped   int   `json:"skipped"`    // encounters skipped: both nodes held the same, or nothing changed since they last met
	Cut       int   `json:"cut"`        // sessions the contact ended before they were done
	Charged   int64 `json:"charged"`    // bytes of events and the attachments they stand for
	Overhead  int64 `json:"overhead"`   // other bytes: reconciliation, requests, acknowledgements
	Opened    int   `json:"opened"`     // times a node was opened (first time or again)
	SendFails int   `json:"send_fails"` // messages a node refused to write
}

func (e *engine) now() time.Time { return Epoch.Add(time.Duration(e.clock.Load())) }

func (e *engine) setClock(at time.Duration) { e.clock.Store(int64(at)) }

// secret derives node i's key from the seed, so runs repeat.
func secret(seed int64, i int) string {
	for n := 0; ; n++ {
		h := sha256.Sum256([]byte(fmt.Sprintf("caravan-sim %d %d %d", seed, i, n)))
		sk := hex.EncodeToString(h[:])
		if _, err := nostr.GetPublicKey(sk); err == nil {
			return sk
		}
	}
}

// seedOf is the seed of node i's randomness at its opens-th opening.
func seedOf(seed int64, i, opens int) [32]byte {
	return sha256.Sum256([]byte(fmt.Sprintf("caravan-sim rand %d %d %d", seed, i, opens)))
}

func idHash(id string) uint64 {
	b, _ := hex.DecodeString(id[:16])
	return binary.BigEndian.Uint64(b)
}

// config is every simulated node's configuration.
func (e *engine) config() *node.Config {
	off := false
	return &node.Config{
		LAN: &off,
		Relay: relay.Limits{
			// The contact's capacity limits a session, not the relay's
			// rates, which the frozen clock of a session would never
			// refill.
			EventsPerSecond:      1e9,
			EventsPerSecondPerIP: 1e9,
			ReqsPerSecond:        1e9,
			// Events from a peer are taken in the order they came.
			InFlight: 1,
		},
		Policy: policy.Config{MaxStore: e.s.Buffer},
	}
}

// create makes node i's data directory and identity.
func (e *engine) create(i int) (*simNode, error) {
	sn := &simNode{idx: i, dir: filepath.Join(e.dir, strconv.Itoa(i))}
	n, err := e.openNode(sn)
	if err != nil {
		return nil, err
	}
	id, err := n.ImportIdentity(identity, secret(e.s.Seed, i), "", true)
	if err != nil {
		return nil, fmt.Errorf("node %d: identity: %w", i, err)
	}
	sn.pk = id.PubKey.Hex()
	return sn, nil
}

// node returns node sn open, opening it (and closing the least recently
// used) if needed.
func (e *engine) node(sn *simNode) (*node.Node, error) {
	if sn.n != nil {
		e.touch(sn)
		return sn.n, nil
	}
	_, err := e.openNode(sn)
	return sn.n, err
}

func (e *engine) touch(sn *simNode) {
	for i, o := range e.open {
		if o == sn {
			copy(e.open[i:], e.open[i+1:])
			e.open[len(e.open)-1] = sn
			return
		}
	}
}

func (e *engine) openNode(sn *simNode) (*node.Node, error) {
	limit := e.o.Open
	if limit == 0 {
		limit = 1024
	}
	limit = max(limit, 2) // the two ends of a session; a, just used, is never the one closed for b
	for len(e.open) >= limit {
		old := e.open[0]
		e.open = e.open[1:]
		old.stop()
		if err := old.n.Close(); err != nil {
			return nil, fmt.Errorf("close node %d: %w", old.idx, err)
		}
		old.n = nil
	}
	n, err := node.Open(sn.dir, node.Options{
		Now:     e.now,
		Logf:    e.o.Logf,
		Config:  e.config(),
		Removed: func(id string) { e.removed(sn, id) },
		Checked: &e.checked,
		// Hundreds of stores are open at once: one reader each (a
		// session lists one want at a time) and small caches.
		Store: store.Options{Readers: 1, CacheKiB: 256},
		// Each node's own stream, the same at every opening of the
		// node and in every run with this seed.
		Rand: rand.NewChaCha8(seedOf(e.s.Seed, sn.idx, sn.opens)),
	})
	if err != nil {
		return nil, fmt.Errorf("open node %d: %w", sn.idx, err)
	}
	sn.opens++
	sn.n = n
	// The private messages, hooked in as every node opens: their wraps
	// are watched, and their handovers mark them carried.
	chat.New(n)
	sn.stop = n.OnStored(func(ev *nostr.Event, raw []byte) { e.stored(sn, ev, raw) })
	e.open = append(e.open, sn)
	e.stats.Opened++
	return n, nil
}

// stored notes an event newly held by sn, and a delivery if it is one.
func (e *engine) stored(sn *simNode, ev *nostr.Event, raw []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	size, ok := e.sizes[ev.ID]
	if !ok {
		size = int64(len(raw))
		e.sizes[ev.ID] = size
	}
	sn.count++
	sn.bytes += size + e.extra[ev.ID]
	sn.digest ^= idHash(ev.ID)
	sn.ver++
	at := e.deliveryTime(ev.ID)
	if w, ok := e.wraps[ev.ID]; ok && e.p.Messages[w.msg].To[w.slot] == sn.idx {
		if e.out.Arrived[w.msg][w.slot] == Never && e.inTime(w.msg, at) {
			e.out.Arrived[w.msg][w.slot] = at
		}
	}
	if m, ok := e.reports[ev.ID]; ok && sn == e.outside && e.out.Arrived[m][0] == Never && e.inTime(m, at) {
		e.out.Arrived[m][0] = at
	}
}

// inTime says whether message m arriving at at is still worth it: with a
// TTL, a copy that arrives later counts as lost, as the baselines count
// it. (The nodes still carry it: a wrap expires a month after it is
// written, whatever the scenario says.)
func (e *engine) inTime(m int, at time.Duration) bool {
	return e.s.TTL == 0 || at <= e.p.Messages[m].At+e.s.TTL.D()
}

func (e *engine) removed(sn *simNode, id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	sn.count--
	sn.bytes -= e.sizes[id] + e.extra[id]
	sn.digest ^= idHash(id)
	sn.ver++
}

// deliveryTime is when an event that just arrived did: the session's
// start, the link's latency, and the time its bytes and those before it
// took at the link's bandwidth. Outside a session (the author's own
// node), now.
func (e *engine) deliveryTime(id string) time.Duration {
	at := time.Duration(e.clock.Load())
	if e.session == nil {
		return at
	}
	off, ok := e.session.offset(id)
	if !ok {
		return at
	}
	return e.start + e.s.Radio.Latency.D() + time.Duration(float64(off)/float64(e.bw)*float64(time.Second))
}

func (e *engine) extraOf(id string) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.extra[id]
}

// encounter runs one sync session between a (initiating) and b over a
// link of the given capacity, unless it would move nothing.
func (e *engine) encounter(ctx context.Context, a, b *simNode, start time.Duration, bw, capacity int64, relay bool) error {
	e.mu.Lock()
	same := a.count == b.count && a.digest == b.digest
	e.mu.Unlock()
	key := pairKey(a.idx, b.idx)
	if last, ok := e.met[key]; (same && !relay) || (ok && last == [2]uint64{a.ver, b.ver}) {
		e.stats.Skipped++
		return nil
	}
	na, err := e.node(a)
	if err != nil {
		return err
	}
	nb, err := e.node(b)
	if err != nil {
		return err
	}
	ma, err := mesh.New(na)
	if err != nil {
		return err
	}
	mb, err := mesh.New(nb)
	if err != nil {
		return err
	}
	m := newMeter(capacity, e.extraOf)
	ca, cb := pipe("node"+strconv.Itoa(a.idx), "node"+strconv.Itoa(b.idx), m)
	e.mu.Lock()
	e.session, e.start, e.bw = m, start, bw
	e.mu.Unlock()
	served := make(chan struct{})
	go func() {
		mb.ServeLink(ctx, cb)
		close(served)
	}()
	ma.SyncLink(ctx, ca, "sim", mesh.SyncOptions{Relay: relay, Serial: true})
	<-served
	e.mu.Lock()
	e.session = nil
	e.mu.Unlock()
	e.stats.Sessions++
	if m.cut {
		e.stats.Cut++
	}
	e.stats.Charged += m.charged()
	e.stats.Overhead += m.overhead.Load()
	e.out.Sent(start, m.charged()+m.overhead.Load())
	e.met[key] = [2]uint64{a.ver, b.ver}
	return ctx.Err()
}

func pairKey(a, b int) uint64 { return uint64(a)<<32 | uint64(b) }

// write has message m's author write it.
func (e *engine) write(ctx context.Context, m *Message) error {
	n, err := e.node(e.nodes[m.From])
	if err != nil {
		return err
	}
	text := filler(m.ID, m.Text)
	if m.Kind == Report {
		r, err := reports.New(n).Publish(ctx, identity, reports.Input{
			Title:    fmt.Sprintf("Report %d", m.ID),
			Markdown: text,
			Lang:     "ru",
		})
		if err != nil {
			e.o.Logf("message %d: %v", m.ID, err)
			e.stats.SendFails++
			return nil
		}
		e.mu.Lock()
		e.reports[r.ID] = m.ID
		e.extra[r.ID] = int64(m.Attachment)
		e.mu.Unlock()
		return nil
	}
	to := make([]string, len(m.To))
	slot := map[string]int{}
	for i, r := range m.To {
		to[i] = e.nodes[r].pk
		slot[to[i]] = i
	}
	sent, err := chat.New(n).Send(ctx, identity, to, text, "", nil)
	if err != nil {
		e.o.Logf("message %d: %v", m.ID, err)
		e.stats.SendFails++
		return nil
	}
	// Which wrap is whose: their p tags say.
	raws, err := n.Query(ctx, nostr.Filter{IDs: sent.Wraps}, len(sent.Wraps))
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	sn := e.nodes[m.From]
	for _, r := range raws {
		id := r.ID
		sn.bytes += int64(m.Attachment) // stored before its attachment was known
		var ev nostr.Event
		if err := ev.UnmarshalJSON(r.JSON); err != nil {
			return fmt.Errorf("message %d: read its wrap: %w", m.ID, err)
		}
		e.extra[id] = int64(m.Attachment)
		if p := ev.Tags.GetFirst([]string{"p", ""}); p != nil {
			if i, ok := slot[(*p)[1]]; ok {
				e.wraps[id] = wrapOf{m.ID, i}
			}
		}
	}
	return nil
}

// filler is the text of message id, size bytes long (at least its
// header).
func filler(id, size int) string {
	const words = "the caravan passes while the dogs bark "
	var b strings.Builder
	fmt.Fprintf(&b, "message %d:", id)
	for b.Len() < size {
		b.WriteString(" " + words)
	}
	return strings.TrimSpace(b.String()[:max(size, len(fmt.Sprintf("message %d:", id)))])
}
