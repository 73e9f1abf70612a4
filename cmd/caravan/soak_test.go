package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/store"
	"github.com/coder/websocket"
	"github.com/nbd-wtf/go-nostr"
	"github.com/tidwall/gjson"
)

// TestSoak runs CARAVAN_SOAK_CLIENTS websocket clients (default 200)
// against one `caravan serve` for CARAVAN_SOAK_DURATION (default 5s; 60s
// in scripts/soak). Every client holds one subscription and publishes
// signed notes, keeping soakWindow of them awaiting OK, until the time is
// up or it has published as many as the relay's per-connection rate allows
// in that time. The clients are the contacts of the node's identity (its
// kind-3 list names them all), so the node carries their events without
// the strangers' quota; the relay's per-connection limits are the defaults.
//
// It asserts correctness only: every event answered OK true is in the
// store after the run, and every subscriber received every such event
// matching its filter, exactly once, and nothing else. A subscriber the
// node disconnects as too slow fails the test. Speed and memory (accepted
// events/s, publish-to-OK latency, the node's peak RSS) are reported, never
// asserted: the machine running the test may be busy.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and loads it with many clients")
	}
	nClients := envInt(t, "CARAVAN_SOAK_CLIENTS", 200)
	duration := envDuration(t, "CARAVAN_SOAK_DURATION", 5*time.Second)
	bin, err := buildCaravan()
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	me := evtest.NewKey("soak node")
	importIdentity(t, bin, data, "soak", me)
	nd := serveNode(t, bin, "soak", data)
	defer func() {
		if t.Failed() {
			t.Logf("node log:\n%s", nd.log)
		}
	}()
	// A hard bound on the whole run, whatever happens.
	ctx, cancel := context.WithTimeout(context.Background(), duration+5*time.Minute)
	defer cancel()

	clients := make([]*soakClient, nClients)
	for i := range clients {
		clients[i] = newSoakClient(i, nClients)
	}
	for i, c := range clients {
		c.subscribeTo(clients, i)
	}

	// The node's identity follows every client.
	var follows nostr.Tags
	for _, c := range clients {
		follows = append(follows, nostr.Tag{"p", c.pub})
	}
	followList := me.Event(nostr.KindFollowList, time.Now().Unix(), "", follows...)
	if err := publishVia(ctx, nd.rt.Relay, followList); err != nil {
		t.Fatalf("publish the node's follow list: %v", err)
	}

	// Connect and subscribe everyone before anyone publishes, so every
	// event published is a live event for every subscription.
	var wg sync.WaitGroup
	errs := make(chan error, nClients)
	for _, c := range clients {
		wg.Go(func() {
			if err := c.connect(ctx, nd.rt.Relay); err != nil {
				errs <- fmt.Errorf("client %d: %w", c.i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	defer func() {
		for _, c := range clients {
			c.close()
		}
	}()
	for _, c := range clients {
		select {
		case <-c.eose:
		case <-c.dead:
			t.Fatalf("client %d: connection lost before EOSE: %v", c.i, c.readErr)
		case <-ctx.Done():
			t.Fatalf("client %d: no EOSE", c.i)
		}
	}

	// Publish. Each client stops at the deadline, or once it has sent what
	// the relay's rate limit (100 events/s per connection) allows in that
	// time: the run is bounded in count and time.
	maxEach := int(duration.Seconds()*100) + 1
	nodeCPU0, err := cpuTime(nd.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	testCPU0 := ownCPU()
	start := time.Now()
	stopAt := start.Add(duration)
	for _, c := range clients {
		wg.Go(func() { c.publish(ctx, stopAt, maxEach) })
	}
	wg.Wait()
	published := time.Since(start)
	nodeCPU, err := cpuTime(nd.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	nodeCPU -= nodeCPU0
	testCPU := ownCPU() - testCPU0

	// What was accepted, and so what each subscriber should have had.
	var (
		accepted    []soakEvent
		lat         []time.Duration
		rateLimited int
		lastOK      time.Time
	)
	for _, c := range clients {
		c.mu.Lock()
		if c.writeErr != nil {
			t.Errorf("client %d: publishing: %v", c.i, c.writeErr)
		}
		if n := len(c.pending); n > 0 {
			t.Errorf("client %d: %d events never answered with OK", c.i, n)
		}
		for _, r := range c.refused {
			t.Errorf("client %d: event refused: %s", c.i, r)
		}
		accepted = append(accepted, c.accepted...)
		lat = append(lat, c.lat...)
		rateLimited += c.rateLimited
		if c.lastOK.After(lastOK) {
			lastOK = c.lastOK
		}
		c.mu.Unlock()
	}
	if len(accepted) == 0 {
		t.Fatal("no event was accepted; the test proved nothing")
	}
	expected := make([][]soakEvent, nClients)
	wantDeliveries := 0
	for i, c := range clients {
		for _, ev := range accepted {
			if c.matches(ev) {
				expected[i] = append(expected[i], ev)
			}
		}
		wantDeliveries += len(expected[i])
	}

	// Wait for the deliveries to arrive: each was queued to its
	// subscriber before the publisher's OK, so they are on their way.
	slow := 0
	for i, c := range clients {
		for c.received.Load() < int64(len(expected[i])) {
			select {
			case <-c.dead:
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
				continue
			}
			break
		}
		if c.disconnected() {
			slow++
		}
	}
	mem, memErr := readMemory(nd.cmd.Process.Pid)
	if memErr != nil {
		t.Errorf("node memory: %v", memErr)
	}

	// Every subscriber has exactly what matched its filter, once.
	gotDeliveries := 0
	for i, c := range clients {
		c.mu.Lock()
		missing, twice := 0, 0
		for _, ev := range expected[i] {
			switch n := c.got[ev.id]; {
			case n == 0:
				missing++
			case n > 1:
				twice++
			}
		}
		extra := len(c.got) - (len(expected[i]) - missing)
		gotDeliveries += int(c.received.Load())
		c.mu.Unlock()
		if c.disconnected() {
			t.Errorf("subscriber %d (%s) was disconnected: %v", i, c.kind, c.readErr)
		}
		for _, r := range c.closed {
			t.Errorf("subscriber %d (%s): the node closed the subscription: %s", i, c.kind, r)
		}
		if missing > 0 || twice > 0 || extra > 0 {
			t.Errorf("subscriber %d (%s): of %d matching events, %d missing, %d received more than once; %d received that should not have been",
				i, c.kind, len(expected[i]), missing, twice, extra)
		}
	}

	// Every acknowledged event is in the store.
	for _, c := range clients {
		c.close()
	}
	nd.stop(t)
	st, err := store.Open(filepath.Join(data, "events.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ids := make([]string, len(accepted))
	for i, ev := range accepted {
		ids[i] = hex.EncodeToString(ev.id[:])
	}
	have, err := st.Has(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	lost := 0
	for _, id := range ids {
		if !have[id] {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d events answered OK true are not in the store", lost, len(ids))
	}

	lat = sortedDurations(lat)
	acceptedFor := lastOK.Sub(start)
	kinds := map[string]int{}
	for _, c := range clients {
		kinds[c.kind]++
	}
	t.Log(table(fmt.Sprintf("soak: %d clients for %s against one caravan serve on loopback", nClients, duration), [][2]string{
		{"publishers", "the node identity's contacts (its kind-3 names them); default relay limits"},
		{"events accepted (OK true)", fmt.Sprint(len(accepted))},
		{"accepted per second", fmt.Sprintf("%.0f (over %s, last OK included)", float64(len(accepted))/acceptedFor.Seconds(), acceptedFor.Round(time.Millisecond))},
		{"rate-limited (OK false)", fmt.Sprint(rateLimited)},
		{"publish-to-OK latency", fmt.Sprintf("p50 %s, p99 %s, max %s (%d awaiting OK per client)",
			percentile(lat, 50).Round(100*time.Microsecond), percentile(lat, 99).Round(100*time.Microsecond), percentile(lat, 100).Round(100*time.Microsecond), soakWindow)},
		{"subscriptions", fmt.Sprintf("%d everything, %d one topic of %d, %d five authors", kinds["everything"], kinds["topic"], soakTopics, kinds["authors"])},
		{"deliveries expected / received", fmt.Sprintf("%d / %d (%.0f/s)", wantDeliveries, gotDeliveries, float64(gotDeliveries)/acceptedFor.Seconds())},
		{"subscribers disconnected", fmt.Sprint(slow)},
		{"acknowledged events not stored", fmt.Sprint(lost)},
		{"node peak RSS (VmHWM)", mib(mem.HWM)},
		{"node RSS at the end", mib(mem.RSS)},
		{"CPU while publishing", fmt.Sprintf("node %.2f cores, clients (this test) %.2f, of %d (the machine may be shared)",
			nodeCPU.Seconds()/published.Seconds(), testCPU.Seconds()/published.Seconds(), runtime.NumCPU())},
	}))
}

const (
	// soakWindow is how many events a client keeps awaiting OK.
	soakWindow = 2
	// soakTopics is the number of topic tags events are spread over.
	soakTopics = 20
)

// soakEvent is an event a client published and the node accepted.
type soakEvent struct {
	id     [32]byte
	author int // client index
	topic  int
}

type soakClient struct {
	i   int
	sk  *btcec.PrivateKey
	pub string

	// The subscription: everything the soak publishes, one topic, or the
	// events of a few other clients.
	kind    string
	topic   int
	authors map[int]bool
	filter  nostr.Filter

	ws      *websocket.Conn
	eose    chan struct{}
	dead    chan struct{} // closed when the read loop ends
	closing atomic.Bool
	window  chan struct{}
	backoff atomic.Int64 // unix nanos before which not to publish (rate-limited)

	received atomic.Int64
	mu       sync.Mutex
	pending  map[string]soakPending
	accepted []soakEvent
	lat      []time.Duration
	lastOK   time.Time
	refused  []string // OK false for another reason than the rate limit
	closed   []string // CLOSED for the subscription
	got      map[[32]byte]uint16
	// how it ended
	rateLimited int
	readErr     error
	writeErr    error
}

type soakPending struct {
	at    time.Time
	topic int
}

func newSoakClient(i, n int) *soakClient {
	k := evtest.NewKey(fmt.Sprint("soak client ", i))
	b, _ := hex.DecodeString(k.Secret)
	sk, _ := btcec.PrivKeyFromBytes(b)
	return &soakClient{
		i: i, sk: sk, pub: k.Public,
		eose: make(chan struct{}), dead: make(chan struct{}),
		window:  make(chan struct{}, soakWindow),
		pending: map[string]soakPending{},
		got:     map[[32]byte]uint16{},
	}
}

// subscribeTo chooses client i's filter: one in fifty takes everything,
// half take one topic, the rest the events of the next five clients.
func (c *soakClient) subscribeTo(all []*soakClient, i int) {
	switch {
	case i%50 == 0:
		c.kind = "everything"
		c.filter = nostr.Filter{Kinds: []int{1}, Tags: nostr.TagMap{"t": {"soak"}}}
	case i%2 == 1:
		c.kind, c.topic = "topic", i%soakTopics
		c.filter = nostr.Filter{Kinds: []int{1}, Tags: nostr.TagMap{"t": {soakTopic(c.topic)}}}
	default:
		c.kind, c.authors = "authors", map[int]bool{}
		for j := 1; j <= 5; j++ {
			a := (i + j) % len(all)
			if !c.authors[a] {
				c.authors[a] = true
				c.filter.Authors = append(c.filter.Authors, all[a].pub)
			}
		}
	}
}

func soakTopic(n int) string { return fmt.Sprint("soak-", n) }

func (c *soakClient) matches(ev soakEvent) bool {
	switch c.kind {
	case "everything":
		return true
	case "topic":
		return ev.topic == c.topic
	}
	return c.authors[ev.author]
}

// connect dials the relay, starts reading, and subscribes.
func (c *soakClient) connect(ctx context.Context, url string) error {
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return err
	}
	c.ws = ws
	go c.readLoop(ctx)
	req, _ := json.Marshal([]any{"REQ", "soak", c.filter})
	return ws.Write(ctx, websocket.MessageText, req)
}

func (c *soakClient) close() {
	if c.ws != nil && !c.closing.Swap(true) {
		c.ws.CloseNow()
	}
}

// disconnected reports whether the connection ended before the test
// closed it.
func (c *soakClient) disconnected() bool {
	select {
	case <-c.dead:
		return c.readErr != nil
	default:
		return false
	}
}

func (c *soakClient) readLoop(ctx context.Context) {
	defer close(c.dead)
	for {
		_, b, err := c.ws.Read(ctx)
		if err != nil {
			if !c.closing.Load() {
				c.readErr = err
			}
			return
		}
		switch gjson.GetBytes(b, "0").String() {
		case "EVENT":
			id, err := hex.DecodeString(gjson.GetBytes(b, "2.id").String())
			if err != nil || len(id) != 32 {
				c.readErr = fmt.Errorf("an EVENT without a valid id: %.200s", b)
				return
			}
			c.mu.Lock()
			c.got[[32]byte(id)]++
			c.mu.Unlock()
			c.received.Add(1)
		case "OK":
			c.ok(gjson.GetBytes(b, "1").String(), gjson.GetBytes(b, "2").Bool(), gjson.GetBytes(b, "3").String())
		case "EOSE":
			close(c.eose)
		case "CLOSED":
			c.mu.Lock()
			c.closed = append(c.closed, gjson.GetBytes(b, "2").String())
			c.mu.Unlock()
		}
	}
}

func (c *soakClient) ok(id string, ok bool, msg string) {
	now := time.Now()
	c.mu.Lock()
	p, known := c.pending[id]
	if !known {
		c.mu.Unlock()
		return // the follow list's, or a stray
	}
	delete(c.pending, id)
	switch {
	case ok:
		c.lat = append(c.lat, now.Sub(p.at))
		c.lastOK = now
		b, _ := hex.DecodeString(id)
		c.accepted = append(c.accepted, soakEvent{id: [32]byte(b), author: c.i, topic: p.topic})
	case strings.HasPrefix(msg, "rate-limited:"):
		c.rateLimited++
		c.backoff.Store(now.Add(200 * time.Millisecond).UnixNano())
	default:
		c.refused = append(c.refused, msg)
	}
	c.mu.Unlock()
	<-c.window
}

// publish sends notes until stopAt or max of them, keeping soakWindow
// awaiting OK, then waits for the last answers.
func (c *soakClient) publish(ctx context.Context, stopAt time.Time, max int) {
	filler := strings.Repeat("the caravan passes ", 6)
	for seq := 0; seq < max && time.Now().Before(stopAt); seq++ {
		if wait := time.Until(time.Unix(0, c.backoff.Load())); wait > 0 {
			time.Sleep(wait)
		}
		if !c.take(ctx) {
			return
		}
		topic := seq % soakTopics
		ev := &nostr.Event{
			Kind: 1, CreatedAt: nostr.Now(),
			Content: fmt.Sprintf("soak client %d note %d: %s", c.i, seq, filler),
			Tags:    nostr.Tags{{"t", "soak"}, {"t", soakTopic(topic)}},
		}
		c.sign(ev)
		msg, _ := json.Marshal([]any{"EVENT", ev})
		c.mu.Lock()
		c.pending[ev.ID] = soakPending{at: time.Now(), topic: topic}
		c.mu.Unlock()
		if err := c.ws.Write(ctx, websocket.MessageText, msg); err != nil {
			c.mu.Lock()
			c.writeErr = err
			c.mu.Unlock()
			return
		}
	}
	// The window is full again once every answer is in.
	for range soakWindow {
		if !c.take(ctx) {
			return
		}
	}
}

// take waits for a place in the client's window of unanswered events; it
// fails when the client or the run ends.
func (c *soakClient) take(ctx context.Context) bool {
	select {
	case c.window <- struct{}{}:
		return true
	case <-c.dead:
	case <-ctx.Done():
	}
	return false
}

// sign signs ev with the client's parsed key (go-nostr's Sign parses the
// key on every call, which would make the clients, not the node, the
// bottleneck on a small machine).
func (c *soakClient) sign(ev *nostr.Event) {
	ev.PubKey = c.pub
	h := sha256.Sum256(ev.Serialize())
	sig, err := schnorr.Sign(c.sk, h[:], schnorr.FastSign())
	if err != nil {
		panic(err)
	}
	ev.ID = hex.EncodeToString(h[:])
	ev.Sig = hex.EncodeToString(sig.Serialize())
}

// publishVia publishes one event on its own connection and waits for an
// OK true.
func publishVia(ctx context.Context, url string, ev *nostr.Event) error {
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return err
	}
	defer ws.CloseNow()
	msg, _ := json.Marshal([]any{"EVENT", ev})
	if err := ws.Write(ctx, websocket.MessageText, msg); err != nil {
		return err
	}
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			return err
		}
		if gjson.GetBytes(b, "0").String() == "OK" && gjson.GetBytes(b, "1").String() == ev.ID {
			if !gjson.GetBytes(b, "2").Bool() {
				return errors.New(gjson.GetBytes(b, "3").String())
			}
			return nil
		}
	}
}
