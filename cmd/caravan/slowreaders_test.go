package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/coder/websocket"
	"github.com/nbd-wtf/go-nostr"
)

// slowReadersRSS is the bound TestSlowReadersMemory holds the node to.
const slowReadersRSS = 300 << 20

// A siege is a `caravan serve` holding big reports, and many clients that
// each ask for all of them several times over and never read a byte.
type siege struct {
	node    *nodeProc
	rss     *rssSampler
	clients []*websocket.Conn
}

// besiege starts the node (its own binary, so that RSS is its own), stores
// reports of size bytes each, and opens conns clients sending reqs REQs
// each for every report. It returns once the node has done all it will
// do for them. If the node's RSS passes limit meanwhile, it fails at once
// (and the node is stopped), rather than let it take the machine's memory.
func besiege(t testing.TB, bin string, reports, size, conns, reqs int, limit int64) *siege {
	t.Helper()
	data := t.TempDir()
	// The clients must not be dropped as stalled while the test runs,
	// however slowly the machine runs it.
	cfg := `{"relay": {"stall_timeout": "1h"}}`
	if err := os.WriteFile(filepath.Join(data, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &siege{node: serveNode(t, bin, "node", data)}
	s.rss = sampleRSS(s.node.cmd.Process.Pid)
	t.Cleanup(s.rss.close)
	url := s.node.rt.Relay

	pub := dialRaw(t, url, nil)
	now := time.Now().Unix()
	body := strings.Repeat("Report. ", size/8)
	for i := range reports {
		k := evtest.NewKey(fmt.Sprint("reporter ", i)) // a fresh key for each
		ev := k.Event(event.KindReport, now-int64(i), body, nostr.Tag{"d", "r"}, nostr.Tag{"title", fmt.Sprint("Report ", i)})
		if ok, msg := rawPublish(t, pub, ev); !ok {
			t.Fatalf("report %d refused: %s", i, msg)
		}
	}
	base, err := readMemory(s.node.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("node RSS with %d reports of %d KB stored: %s", reports, size>>10, mib(base.RSS))

	watch := make(chan struct{})
	defer close(watch)
	var tripped atomic.Int64 // the RSS that had the node stopped
	go func() {
		for {
			select {
			case <-watch:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if m, err := readMemory(s.node.cmd.Process.Pid); err == nil && m.RSS > limit {
				tripped.Store(m.RSS)
				s.node.cmd.Process.Kill()
				return
			}
		}
	}()
	check := func(err error) {
		t.Helper()
		if rss := tripped.Load(); rss > 0 {
			t.Fatalf("the node's RSS reached %s (more than %s) with %d clients that do not read; it was stopped", mib(rss), mib(limit), len(s.clients))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for range conns {
		c, err := tryDialRaw(t, url, nil)
		check(err)
		for q := range reqs {
			req := fmt.Sprintf(`["REQ","q%d",{"kinds":[%d],"limit":500}]`, q, event.KindReport)
			check(c.Write(context.Background(), websocket.MessageText, []byte(req)))
		}
		s.clients = append(s.clients, c)
	}
	waitIdle(t, 2*time.Minute, s.node)
	check(nil)
	return s
}

// dialRaw opens a websocket to url whose socket takes in little before the
// sender has to wait: what the client does not read waits in the node.
func dialRaw(t testing.TB, url string, header http.Header) *websocket.Conn {
	t.Helper()
	ws, err := tryDialRaw(t, url, header)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

func tryDialRaw(t testing.TB, url string, header http.Header) (*websocket.Conn, error) {
	dialer := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(64 << 10)
		}
		return c, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		HTTPHeader: header,
		HTTPClient: &http.Client{Transport: &http.Transport{DialContext: dialer}},
	})
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(4 << 20)
	t.Cleanup(func() { ws.CloseNow() })
	return ws, nil
}

// rawRead reads the next message as a JSON array.
func rawRead(t testing.TB, ws *websocket.Conn) []json.RawMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, b, err := ws.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m []json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || len(m) == 0 {
		t.Fatalf("the node sent %.100q", b)
	}
	return m
}

func rawLabel(m []json.RawMessage, i int) string {
	var s string
	if i < len(m) {
		json.Unmarshal(m[i], &s)
	}
	return s
}

// rawPublish sends ev and waits for its OK.
func rawPublish(t testing.TB, ws *websocket.Conn, ev *nostr.Event) (bool, string) {
	t.Helper()
	b, _ := json.Marshal([]any{"EVENT", ev})
	if err := ws.Write(context.Background(), websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
	for {
		m := rawRead(t, ws)
		if rawLabel(m, 0) == "OK" && rawLabel(m, 1) == ev.ID {
			var ok bool
			json.Unmarshal(m[2], &ok)
			return ok, rawLabel(m, 3)
		}
	}
}

// roundTrip publishes a note as an honest client and reads it back by id,
// returning how long that took.
func roundTrip(t testing.TB, ws *websocket.Conn, k evtest.Key, i int) time.Duration {
	t.Helper()
	start := time.Now()
	ev := k.Event(event.KindTextNote, time.Now().Unix(), fmt.Sprint("still here ", i))
	if ok, msg := rawPublish(t, ws, ev); !ok {
		t.Fatalf("note %d refused: %s", i, msg)
	}
	req, _ := json.Marshal([]any{"REQ", "back", nostr.Filter{IDs: []string{ev.ID}}})
	if err := ws.Write(context.Background(), websocket.MessageText, req); err != nil {
		t.Fatal(err)
	}
	got := false
	for {
		m := rawRead(t, ws)
		switch rawLabel(m, 0) {
		case "EVENT":
			got = got || strings.Contains(string(m[2]), ev.ID)
		case "EOSE":
			if !got {
				t.Fatalf("note %d was not read back", i)
			}
			ws.Write(context.Background(), websocket.MessageText, []byte(`["CLOSE","back"]`))
			return time.Since(start)
		case "CLOSED":
			t.Fatalf("reading note %d back: %s", i, string(m[2]))
		}
	}
}

// TestSlowReadersMemory: 64 clients each ask 8 times for every one of 100
// reports of 200 KB (1.6 GB of answers in all, were they held) and never
// read. The node must stay under 300 MB resident and go on serving an
// honest client, whose publish-and-read-back times are reported (not
// asserted). A node that held each REQ's answer whole would pass the bound
// within a few clients.
func TestSlowReadersMemory(t *testing.T) {
	bin := caravanBinary(t)
	conns := envInt(t, "CARAVAN_SLOW_READERS", 64)
	s := besiege(t, bin, 100, 200<<10, conns, 8, slowReadersRSS)
	held := s.rss.peak()
	t.Logf("node peak RSS with %d clients not reading: %s", conns, mib(held))

	honest := dialRaw(t, s.node.rt.Relay, nil)
	k := evtest.NewKey("honest")
	var took []time.Duration
	for i := range 50 {
		took = append(took, roundTrip(t, honest, k, i))
	}
	slices.Sort(took)
	peak := max(held, s.rss.peak())
	t.Logf("honest client, publish and read back: p50 %s, p99 %s, max %s (%d round trips)",
		percentile(took, 50), percentile(took, 99), took[len(took)-1], len(took))
	t.Logf("node peak RSS meanwhile: %s", mib(peak))
	if peak > slowReadersRSS {
		t.Fatalf("the node's RSS reached %s with %d clients that do not read, want under %s", mib(peak), conns, mib(slowReadersRSS))
	}
}

// BenchmarkHonestClientAmongSlowReaders measures an honest client's publish
// and read back while 64 clients that read nothing hold big answers open
// (as in TestSlowReadersMemory). It reports the p50 and p99 in ms.
func BenchmarkHonestClientAmongSlowReaders(b *testing.B) {
	if testing.Short() {
		b.Skip("builds and runs the caravan binary")
	}
	bin, err := buildCaravan()
	if err != nil {
		b.Fatal(err)
	}
	s := besiege(b, bin, 100, 200<<10, 64, 8, 1<<30)
	honest := dialRaw(b, s.node.rt.Relay, nil)
	k := evtest.NewKey("honest")
	took := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		took = append(took, roundTrip(b, honest, k, i))
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(percentile(took, 50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(took, 99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(s.rss.peak())/(1<<20), "peak-RSS-MiB")
}
