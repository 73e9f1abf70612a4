package carry_test

// Sync benchmarks, each measured against a baseline taken in the same run
// (see README, "Performance"). Fixtures are built once and kept in
// $TMPDIR/caravan-syncbench; CARAVAN_BENCH_EVENTS sets the store size of
// the reconciliation benchmark (default 1,000,000). Run with -benchtime 1x.

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/carry"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/link"
	"github.com/caravan-mesh/caravan/mesh"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/policy"
	"github.com/caravan-mesh/caravan/store"
	"github.com/nbd-wtf/go-nostr"
)

func benchDir(b *testing.B) string {
	d := filepath.Join(os.TempDir(), "caravan-syncbench")
	if err := os.MkdirAll(d, 0o700); err != nil {
		b.Fatal(err)
	}
	return d
}

// generous lets a node take any number of strangers' events, so that the
// benchmarks measure transfer, not the default quota.
var generous = node.Config{Policy: policy.Config{
	Strangers: policy.Cap{Events: 10_000_000, Bytes: 1 << 40},
	Wraps:     policy.Cap{Events: 10_000_000, Bytes: 1 << 40},
}}

// signed returns n real signed events with content of about size bytes
// and the given timestamps, cached as JSON lines.
func signed(b *testing.B, name string, n, size int, at func(i int) int64) []*nostr.Event {
	path := filepath.Join(benchDir(b), name+".jsonl")
	if f, err := os.Open(path); err == nil {
		defer f.Close()
		var evs []*nostr.Event
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			ev := new(nostr.Event)
			if ev.UnmarshalJSON(sc.Bytes()) == nil {
				evs = append(evs, ev)
			}
		}
		if len(evs) == n {
			return evs
		}
	}
	b.Logf("signing %d events for %s (once)", n, name)
	keys := make([]evtest.Key, 200)
	for i := range keys {
		keys[i] = evtest.NewKey(name + strconv.Itoa(i))
	}
	evs := make([]*nostr.Event, n)
	var wg sync.WaitGroup
	w := runtime.GOMAXPROCS(0)
	for g := 0; g < w; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			r := rand.New(rand.NewSource(int64(g)))
			for i := g; i < n; i += w {
				filler := make([]byte, size/2)
				r.Read(filler)
				evs[i] = keys[i%len(keys)].Event(1, at(i), fmt.Sprintf("%d %x", i, filler))
			}
		}(g)
	}
	wg.Wait()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	for _, ev := range evs {
		raw, _ := ev.MarshalJSON()
		bw.Write(append(raw, '\n'))
	}
	bw.Flush()
	f.Close()
	return evs
}

// load puts events straight into a node's store (they are valid; this
// only skips re-verifying them while building fixtures).
func load(b *testing.B, n *node.Node, evs []*nostr.Event) {
	for i := 0; i < len(evs); i += 4096 {
		if _, err := nodetest.Store(n).Save(context.Background(), evs[i:min(i+4096, len(evs))]...); err != nil {
			b.Fatal(err)
		}
	}
}

func openNode(b *testing.B, dir string) *node.Node {
	cfg := generous
	n, err := node.Open(dir, node.Options{Config: &cfg, KeyLogN: 4})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

func serveWS(b *testing.B, n *node.Node) string {
	rl := n.NewRelay()
	srv := httptest.NewServer(rl)
	b.Cleanup(func() { rl.Close(); srv.Close() })
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func eventBytes(evs []*nostr.Event) int64 {
	var n int64
	for _, ev := range evs {
		raw, _ := ev.MarshalJSON()
		n += int64(len(raw))
	}
	return n
}

func benchEvents() int {
	if v, err := strconv.Atoi(os.Getenv("CARAVAN_BENCH_EVENTS")); err == nil && v > 0 {
		return v
	}
	return 1_000_000
}

// baseStore builds (once) a store of n fake-signed events shared by both
// sides; they are never transferred, so their signatures are not checked.
func baseStore(b *testing.B, n int) string {
	path := filepath.Join(benchDir(b), fmt.Sprintf("base-v%d-%d.db", store.SchemaVersion, n))
	if st, err := os.Stat(path); err == nil && st.Size() > 0 {
		if w, err := os.Stat(path + "-wal"); os.IsNotExist(err) || (err == nil && w.Size() == 0) {
			return path
		}
	}
	os.Remove(path)
	os.Remove(path + "-wal")
	os.Remove(path + "-shm")
	b.Logf("building a shared store of %d events (once)", n)
	s, err := store.Open(path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewSource(1))
	hexs := func(k int) string {
		buf := make([]byte, k)
		r.Read(buf)
		return hex.EncodeToString(buf)
	}
	authors := make([]string, 5000)
	for i := range authors {
		authors[i] = hexs(32)
	}
	start := time.Now().Unix() - 30*86400
	batch := make([]*nostr.Event, 0, 4096)
	for i := 0; i < n; i++ {
		batch = append(batch, &nostr.Event{ID: hexs(32), PubKey: authors[r.Intn(len(authors))], Sig: hexs(64), Kind: 1,
			CreatedAt: nostr.Timestamp(start + int64(i)*(29*86400)/int64(n)), Content: hexs(100), Tags: nostr.Tags{}})
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := s.Save(context.Background(), batch...); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	s.Close()
	return path
}

func copyFile(b *testing.B, from, to string) {
	in, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	os.MkdirAll(filepath.Dir(to), 0o700)
	out, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	out.Close()
}

// BenchmarkReconcile1M (a): two stores of N events (default 1M) that
// differ by 1 %, the newest or scattered; the client lacks them. Reported:
// bytes each way, round trips, seconds, the missing events' own bytes, and
// the naive baseline of both sides sending all their ids over loopback.
func BenchmarkReconcile1M(b *testing.B) {
	total := benchEvents()
	diff := total / 100
	base := baseStore(b, total-diff)
	now := time.Now().Unix()
	for _, shape := range []string{"newest", "scattered"} {
		b.Run(shape, func(b *testing.B) {
			missing := signed(b, fmt.Sprintf("diff-%s-%d", shape, diff), diff, 600, func(i int) int64 {
				if shape == "newest" {
					return now - 3600 + int64(i%3600)
				}
				return now - 29*86400 + int64(i)*(29*86400)/int64(diff) + 7
			})
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dir := b.TempDir()
				copyFile(b, base, filepath.Join(dir, "a", "events.db"))
				copyFile(b, base, filepath.Join(dir, "b", "events.db"))
				a, srv := openNode(b, filepath.Join(dir, "a")), openNode(b, filepath.Join(dir, "b"))
				load(b, srv, missing)
				url := serveWS(b, srv)
				b.StartTimer()

				start := time.Now()
				conn, err := link.Dial(context.Background(), url, link.DialOptions{})
				if err != nil {
					b.Fatal(err)
				}
				p, err := carry.Run(context.Background(), conn, mesh.Local(a), carry.Options{
					Wants: []policy.Want{{Class: policy.Stranger, Filter: nostr.Filter{}, Pull: true, Push: true}},
				})
				took := time.Since(start)
				if err != nil || p.Received != diff {
					b.Fatalf("received %d of %d: %v", p.Received, diff, err)
				}
				b.StopTimer()
				naiveBytes, naiveTook := naiveExchange(b, a, srv)
				missingBytes := eventBytes(missing)
				b.ReportMetric(float64(p.BytesOut), "bytes-up")
				b.ReportMetric(float64(p.BytesIn), "bytes-down")
				b.ReportMetric(float64(p.Rounds), "rounds")
				b.ReportMetric(took.Seconds(), "s")
				b.ReportMetric(float64(missingBytes), "missing-bytes")
				b.ReportMetric(float64(p.BytesIn+p.BytesOut)/float64(missingBytes+5000), "cost/(missing+5KB)")
				b.ReportMetric(float64(naiveBytes), "naive-bytes-each-way")
				b.ReportMetric(naiveTook.Seconds(), "naive-s")
				a.Close()
				srv.Close()
			}
		})
	}
}

// naiveExchange is the baseline: each side sends every id it holds to the
// other over a loopback TCP connection, and each computes the difference.
func naiveExchange(b *testing.B, x, y *node.Node) (int64, time.Duration) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	start := time.Now()
	side := func(n *node.Node, c net.Conn) (sent int64, missing int) {
		items, err := nodetest.Store(n).Items(context.Background(), nostr.Filter{}, 0)
		if err != nil {
			b.Error(err)
			return
		}
		mine := make(map[string]bool, items.Size())
		done := make(chan int64)
		go func() {
			w := bufio.NewWriter(c)
			var n int64
			for it := range items.All() {
				id := hex.EncodeToString(it.ID[:])
				mine[id] = true
				k, _ := fmt.Fprintf(w, "\"%s\",", id)
				n += int64(k)
			}
			w.WriteString("\n")
			w.Flush()
			done <- n
		}()
		rd := bufio.NewReaderSize(c, 1<<20)
		line, _ := rd.ReadString('\n')
		sent = <-done
		for _, q := range strings.Split(strings.TrimSuffix(strings.TrimSpace(line), ","), ",") {
			if !mine[strings.Trim(q, `"`)] {
				missing++
			}
		}
		return
	}
	var (
		wg   sync.WaitGroup
		sent int64
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		side(y, c)
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	sent, _ = side(x, c)
	c.Close()
	wg.Wait()
	return sent, time.Since(start)
}

// BenchmarkColdPull (b): a node pulls 100k events of about 1 KB from a
// peer over loopback. Reported: events per second verified and stored,
// and the same node code's ingest rate for the same events in batches of
// 1000 (the bound), measured in the same run.
func BenchmarkColdPull(b *testing.B) {
	const n = 100_000
	now := time.Now().Unix()
	evs := signed(b, "coldpull-100k", n, 900, func(i int) int64 { return now - int64(i%86400) })
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		a, srv, c := openNode(b, filepath.Join(dir, "a")), openNode(b, filepath.Join(dir, "b")), openNode(b, filepath.Join(dir, "c"))
		load(b, srv, evs)
		url := serveWS(b, srv)

		// The bound: ingest the same events straight into a fresh node.
		start := time.Now()
		for j := 0; j < n; j += 1000 {
			for _, r := range c.Ingest(context.Background(), evs[j:min(j+1000, n)]...) {
				if !r.OK() {
					b.Fatal(r.Message())
				}
			}
		}
		bound := float64(n) / time.Since(start).Seconds()
		b.StartTimer()

		start = time.Now()
		conn, err := link.Dial(context.Background(), url, link.DialOptions{})
		if err != nil {
			b.Fatal(err)
		}
		p, err := carry.Run(context.Background(), conn, mesh.Local(a), carry.Options{
			Wants: []policy.Want{{Class: policy.Stranger, Filter: nostr.Filter{}, Pull: true}},
		})
		rate := float64(p.Received) / time.Since(start).Seconds()
		b.StopTimer()
		if err != nil || p.Received != n {
			b.Fatalf("received %d of %d: %v", p.Received, n, err)
		}
		b.ReportMetric(rate, "pull-ev/s")
		b.ReportMetric(bound, "ingest-bound-ev/s")
		b.ReportMetric(rate/bound, "ratio")
		a.Close()
		srv.Close()
		c.Close()
	}
}

// throttled limits writes on one end of a pipe to rate bytes per second.
type throttled struct {
	net.Conn
	rate float64
	mu   sync.Mutex
	next time.Time
}

func (t *throttled) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	written := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), 256)]
		if d := time.Until(t.next); d > 0 {
			time.Sleep(d)
		}
		n, err := t.Conn.Write(chunk)
		written += n
		if err != nil {
			return written, err
		}
		t.next = time.Now().Add(time.Duration(float64(n) / t.rate * float64(time.Second)))
		p = p[n:]
	}
	return written, nil
}

// BenchmarkSlowLinkMessage (c): a stdio-style link throttled to 64 kbit/s
// each way carries a 50 MB backlog; a new private message (a gift wrap for
// the other side's user) is written mid-transfer. Reported: seconds until
// it is stored on the other side, when the backlog is pulled and when it
// is pushed.
func BenchmarkSlowLinkMessage(b *testing.B) {
	const n = 50_000
	now := time.Now().Unix()
	backlog := signed(b, "backlog-50mb", n, 950, func(i int) int64 { return now - 60 - int64(i%86400) })
	for _, dir := range []string{"pulled", "pushed"} {
		b.Run(dir, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				tmp := b.TempDir()
				recv, send := openNode(b, filepath.Join(tmp, "recv")), openNode(b, filepath.Join(tmp, "send"))
				me, _ := recv.NewIdentity("me", "", true)
				load(b, send, backlog)
				ca, cb := net.Pipe()
				slowA := &throttled{Conn: ca, rate: 8000}
				slowB := &throttled{Conn: cb, rate: 8000}
				ctx, cancel := context.WithCancel(context.Background())
				wants := []policy.Want{{Class: policy.Stranger, Filter: nostr.Filter{}, Pull: true, Push: true}}
				if dir == "pulled" {
					// recv initiates and pulls; send serves.
					rl := send.NewRelay()
					go rl.ServeConn(link.Stream(slowB, slowB, slowB, 4<<20, "recv"))
					go carry.Run(ctx, link.Stream(slowA, slowA, slowA, 4<<20, "send"), mesh.Local(recv), carry.Options{Wants: wants, Live: true})
					defer rl.Close()
				} else {
					// send initiates and pushes; recv serves.
					rl := recv.NewRelay()
					go rl.ServeConn(link.Stream(slowA, slowA, slowA, 4<<20, "send"))
					go carry.Run(ctx, link.Stream(slowB, slowB, slowB, 4<<20, "recv"), mesh.Local(send), carry.Options{Wants: wants, Live: true})
					defer rl.Close()
				}
				// Let the session get under way: reconciling the backlog
				// (and, later, moving it) fills the link from here on.
				time.Sleep(45 * time.Second)
				wrap := evtest.NewKey(fmt.Sprint("dm", i)).Event(1059, now, strings.Repeat("x", 1000), nostr.Tag{"p", me.PubKey.Hex()})
				b.StartTimer()
				start := time.Now()
				send.Ingest(context.Background(), wrap)
				for {
					if ev, _ := nodetest.Store(recv).Get(context.Background(), wrap.ID); ev != nil {
						break
					}
					if time.Since(start) > 2*time.Minute {
						b.Fatalf("the message did not arrive in 2 minutes")
					}
					time.Sleep(20 * time.Millisecond)
				}
				took := time.Since(start)
				b.StopTimer()
				b.ReportMetric(took.Seconds(), "s-to-deliver")
				b.ReportMetric(float64(recv.Counts().Stored.Load()), "backlog-events-before")
				cancel()
				ca.Close()
				cb.Close()
				recv.Close()
				send.Close()
			}
		})
	}
}

// BenchmarkFullQuotaSync (issue 16): a node whose quota for strangers'
// events is full (the default, 20,000 of 20,000) meets a peer again. The
// peer holds 8,000 more strangers' events, older than all the node keeps,
// which the node refused at their first meeting, and 5 new ones.
// Reported, for the sync that brings the 5: bytes each way, round trips,
// seconds, events read from the peer. Run with -benchtime 1x (later
// iterations also pull again the events the new ones evicted).
func BenchmarkFullQuotaSync(b *testing.B) { benchFullQuota(b, false) }

// BenchmarkFullQuotaSyncServed is BenchmarkFullQuotaSync the other way
// round: the peer initiates both meetings, and pushes to the node's
// relay endpoint (as the node's peers do when they sync with it).
// Reported as there, from the node's side: bytes down are what the peer
// sent, rounds the peer's reconciliation rounds, events read what the
// peer pushed.
func BenchmarkFullQuotaSyncServed(b *testing.B) { benchFullQuota(b, true) }

func benchFullQuota(b *testing.B, served bool) {
	const quota, refused, fresh = 20_000, 8_000, 5
	now := time.Now().Unix()
	start := now - 3*86400
	// Named by the day: the events must stay within the node's window for
	// strangers' events (7 days).
	evs := signed(b, fmt.Sprintf("quota-%d-%s", quota+refused, time.Now().Format("20060102")), quota+refused, 300,
		func(i int) int64 { return start + int64(i)*(3*86400-3600)/int64(quota+refused) })
	dir := b.TempDir()
	peer := openNode(b, filepath.Join(dir, "peer"))
	defer peer.Close()
	load(b, peer, evs)
	n, err := node.Open(filepath.Join(dir, "n"), node.Options{KeyLogN: 4}) // default quotas
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	// meet returns the initiator's progress, the events n read from the
	// peer, and how long the session took.
	meet := func() (carry.Progress, int64, time.Duration) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		ca, cb := net.Pipe()
		var wg sync.WaitGroup
		ps, err := mesh.New(peer)
		if err != nil {
			b.Fatal(err)
		}
		ms, err := mesh.New(n)
		if err != nil {
			b.Fatal(err)
		}
		var read atomic.Int64
		nConn := readCounter{link.Stream(ca, ca, ca, 4<<20, "peer"), &read}
		peerConn := link.Stream(cb, cb, cb, 4<<20, "n")
		initiator, server := ms, ps
		var initConn, servConn link.Conn = nConn, peerConn
		if served {
			initiator, server = ps, ms
			initConn, servConn = peerConn, nConn
		}
		wg.Add(1)
		go func() { defer wg.Done(); server.ServeLink(ctx, servConn) }()
		began := time.Now()
		p, err := initiator.SyncLink(ctx, initConn, "stdio", mesh.SyncOptions{})
		took := time.Since(began)
		wg.Wait()
		if err != nil {
			b.Fatal(err)
		}
		return p, read.Load(), took
	}
	// taken is how many events of the peer n kept.
	taken := func(p carry.Progress) int {
		if served {
			return p.Sent
		}
		return p.Received
	}
	if p, read, took := meet(); taken(p) != quota {
		b.Fatalf("first meeting: kept %d of %d read; want %d", taken(p), read, quota)
	} else {
		b.Logf("first meeting: read %d events, kept %d, in %s", read, taken(p), took.Round(time.Millisecond))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		var news []*nostr.Event
		for j := range fresh {
			news = append(news, evtest.NewKey(fmt.Sprint("fresh ", i, j)).Event(1, time.Now().Unix()-int64(j), "new"))
		}
		for _, r := range peer.Ingest(context.Background(), news...) {
			if !r.OK() {
				b.Fatal(r.Message())
			}
		}
		b.StartTimer()
		p, read, took := meet()
		if taken(p) != fresh {
			b.Fatalf("n kept %d, want the %d new events", taken(p), fresh)
		}
		down, up := p.BytesIn, p.BytesOut
		if served {
			down, up = up, down
		}
		b.ReportMetric(float64(down), "bytes-down")
		b.ReportMetric(float64(up), "bytes-up")
		b.ReportMetric(float64(p.Rounds), "rounds")
		b.ReportMetric(took.Seconds(), "s")
		b.ReportMetric(float64(read), "events-read")
	}
}

// readCounter is a link that counts the events it reads.
type readCounter struct {
	link.Conn
	events *atomic.Int64
}

func (c readCounter) Read(ctx context.Context) ([]byte, error) {
	b, err := c.Conn.Read(ctx)
	if err == nil && strings.HasPrefix(string(b[:min(len(b), 8)]), `["EVENT"`) {
		c.events.Add(1)
	}
	return b, err
}
