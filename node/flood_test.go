package node

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip13"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/policy"
	"github.com/caravan-mesh/caravan/relay"
)

// floodNode is a node whose identity follows friend, with the given policy
// and a settable clock.
func floodNode(t *testing.T, cfg policy.Config, clock *atomic.Int64) (*Node, string) {
	t.Helper()
	now := func() time.Time { return time.Unix(clock.Load(), 0) }
	n, err := Open(t.TempDir(), Options{Config: &Config{Policy: cfg}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	n.kr.LogN = 4
	id, err := n.kr.New("me", "", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Follow(context.Background(), "", keys.PublicKey(friend.Public), "", "friend"); err != nil {
		t.Fatal(err)
	}
	return n, id.PubKey.Hex()
}

var friend = evtest.NewKey("flood friend")

// junk makes count events by fresh keys, as a flooder would: valid
// signatures, a new author each time, created from at onwards.
func junk(prefix string, count int, kind int, at int64) []*nostr.Event {
	evs := make([]*nostr.Event, count)
	for i := range evs {
		var tags []nostr.Tag
		if kind == 30023 {
			tags = append(tags, nostr.Tag{"d", "x"}, nostr.Tag{"title", "junk"})
		}
		if kind == 1059 {
			tags = append(tags, nostr.Tag{"p", evtest.NewKey(fmt.Sprint(prefix, "for", i)).Public})
		}
		evs[i] = evtest.NewKey(fmt.Sprint(prefix, i)).Event(kind, at+int64(i), fmt.Sprint(prefix, " junk ", i), tags...)
	}
	return evs
}

func ingestAll(t *testing.T, n *Node, evs []*nostr.Event) (ok int, refused map[string]int) {
	t.Helper()
	refused = map[string]int{}
	for len(evs) > 0 {
		batch := evs[:min(len(evs), 100)]
		evs = evs[len(batch):]
		for _, r := range n.Ingest(context.Background(), batch...) {
			if r.OK() {
				ok++
			} else {
				refused[r.Message()[:min(len(r.Message()), 60)]]++
			}
		}
	}
	return ok, refused
}

func holdsAll(t *testing.T, n *Node, evs []*nostr.Event) int {
	t.Helper()
	ids := make([]string, len(evs))
	for i, ev := range evs {
		ids[i] = ev.ID
	}
	have, err := n.st.Has(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	return len(have)
}

// checkCounts fails unless the policy's counters agree with the store.
func checkCounts(t *testing.T, n *Node) {
	t.Helper()
	want := n.pol.Usage()
	fresh := policy.New(n.pol.Config())
	fresh.SetGraph(n.pol.Graph())
	u, err := n.st.Usage(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	amounts := func(m map[string][2]int64) map[string]policy.Amount {
		out := map[string]policy.Amount{}
		for a, v := range m {
			out[a] = policy.Amount{Events: int(v[0]), Bytes: v[1]}
		}
		return out
	}
	fresh.Reset(policy.Counts{WrapsFor: amounts(u.WrapsFor), ByAuthor: amounts(u.ByAuthor), ReportsBy: amounts(u.ReportsBy)})
	got := fresh.Usage()
	if got.Strangers.Events != want.Strangers.Events || got.Reports.Events != want.Reports.Events || got.Wraps.Events != want.Wraps.Events {
		t.Fatalf("the counters drifted from the store: counted %+v, stored %+v", want, got)
	}
}

// A flood of valid events by fresh keys cycles through the strangers'
// share: it never evicts the node's own events or its contacts', never
// grows past the caps, and keeps the newest; proof of work outranks age.
func TestFloodKeepsOwnAndContacts(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().Unix())
	cfg := policy.Config{Strangers: policy.Cap{Events: 60}, Reports: policy.Cap{Events: 20}, Wraps: policy.Cap{Events: 30}, PerStranger: policy.Cap{Events: 5}}
	n, mine := floodNode(t, cfg, &clock)
	ctx := context.Background()
	start := clock.Load() - 3600

	var keep []*nostr.Event
	for i := range 20 {
		ev, err := n.Publish(ctx, "", &nostr.Event{Kind: 1, Content: fmt.Sprint("mine ", i)})
		if err != nil {
			t.Fatal(err)
		}
		keep = append(keep, ev)
		keep = append(keep, friend.Event(1, start+int64(i), fmt.Sprint("friend's note ", i)))
	}
	keep = append(keep, friend.Event(30023, start, "friend's report", nostr.Tag{"d", "r"}, nostr.Tag{"title", "From the square"}))
	keep = append(keep, evtest.NewKey("wrapper").Event(1059, start, "sealed", nostr.Tag{"p", mine}))
	if ok, refused := ingestAll(t, n, keep); ok != len(keep) {
		t.Fatalf("set-up: %d of %d stored: %v", ok, len(keep), refused)
	}
	// A stranger's note with proof of work, older than all the junk.
	worked := nostr.Event{Kind: 1, CreatedAt: nostr.Timestamp(start), Content: "worked for it", PubKey: evtest.NewKey("worker").Public}
	tag, err := nip13.DoWork(ctx, worked, 10)
	if err != nil {
		t.Fatal(err)
	}
	worked.Tags = nostr.Tags{tag}
	worked.Sign(evtest.NewKey("worker").Secret)
	ingestAll(t, n, []*nostr.Event{&worked})

	notes := junk("note", 500, 1, start+100)
	reports := junk("report", 120, 30023, start+100)
	wraps := junk("wrap", 120, 1059, start+100)
	dels := junk("deletion", 40, 5, start+100)
	flood := append(append(append(notes, reports...), wraps...), dels...)
	ok, refused := ingestAll(t, n, flood)
	t.Logf("flood of %d: %d accepted (most then evicted), refused %v, evicted %d", len(flood), ok, refused, n.Counts().Evicted.Load())

	if got := holdsAll(t, n, keep); got != len(keep) {
		t.Fatalf("the flood evicted own or contacts' data: %d of %d left", got, len(keep))
	}
	if holdsAll(t, n, []*nostr.Event{&worked}) != 1 {
		t.Fatal("the stranger's note with proof of work was evicted by junk without any")
	}
	u := n.pol.Usage()
	if u.Strangers.Events > 60 || u.Reports.Events > 20 || u.Wraps.Events > 30 {
		t.Fatalf("caps exceeded: %+v", u)
	}
	checkCounts(t, n)
	// The newest junk stayed, the oldest went.
	if holdsAll(t, n, notes[len(notes)-40:]) != 40 || holdsAll(t, n, notes[:100]) != 0 {
		t.Fatalf("notes kept: newest 40: %d, oldest 100: %d", holdsAll(t, n, notes[len(notes)-40:]), holdsAll(t, n, notes[:100]))
	}
	if r, w := holdsAll(t, n, reports[len(reports)-20:]), holdsAll(t, n, wraps[len(wraps)-30:]); r != 20 || w != 30 {
		t.Fatalf("of the newest strangers' reports, %d of 20 were kept; of the wraps, %d of 30 (usage %+v)", r, w, u)
	}

	// One stranger writing a lot keeps only their newest few.
	chatty := evtest.NewKey("chatty")
	var theirs []*nostr.Event
	for i := range 12 {
		theirs = append(theirs, chatty.Event(1, clock.Load()+int64(i)-60, fmt.Sprint("chatty ", i)))
	}
	ingestAll(t, n, theirs)
	if holdsAll(t, n, theirs) != 5 || holdsAll(t, n, theirs[7:]) != 5 {
		t.Fatalf("a stranger with a cap of 5 has %d stored, newest 5: %d", holdsAll(t, n, theirs), holdsAll(t, n, theirs[7:]))
	}
	// Older than all they have: refused, with why.
	r := n.Ingest(ctx, chatty.Event(1, start, "old news"))[0]
	if r.OK() || !strings.Contains(r.Message(), "full of events with more proof of work") {
		t.Fatalf("an old event for a full author: %v %q", r.OK(), r.Message())
	}
	checkCounts(t, n)
}

// The store's quota: expired events go first, then strangers' events, then
// wraps for others, then strangers' reports; with nothing left to evict,
// only the node's own events are taken.
func TestStoreQuotaEvictionOrder(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().Unix())
	big := policy.Cap{Events: 100_000, Bytes: 1 << 30}
	cfg := policy.Config{Strangers: big, Reports: big, Wraps: big, PerStranger: big}
	n, me := floodNode(t, cfg, &clock)
	ctx := context.Background()
	base, err := n.st.SizeInUse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := clock.Load() - 3600
	pad := strings.Repeat("x", 2000)
	expiring := friend.Event(1, start, "expires soon "+pad, nostr.Tag{"expiration", fmt.Sprint(clock.Load() + 60)})
	var mine []*nostr.Event
	for i := range 30 {
		ev, err := n.Publish(ctx, "", &nostr.Event{Kind: 1, Content: fmt.Sprint("mine ", i, pad)})
		if err != nil {
			t.Fatal(err)
		}
		mine = append(mine, ev)
	}
	reports := junk("report", 30, 30023, start)
	wraps := junk("wrap", 30, 1059, start)
	notes := junk("note", 30, 1, start)
	for _, set := range [][]*nostr.Event{{expiring}, reports, wraps, notes} {
		for _, ev := range set {
			ev.Content += pad
		}
	}
	// Re-sign after padding.
	resign := func(evs []*nostr.Event, prefix string) {
		for i, ev := range evs {
			ev.Sign(evtest.NewKey(fmt.Sprint(prefix, i)).Secret)
		}
	}
	resign(reports, "report")
	resign(wraps, "wrap")
	resign(notes, "note")
	expiring.Sign(friend.Secret)
	for _, set := range [][]*nostr.Event{{expiring}, reports, wraps, notes} {
		if ok, refused := ingestAll(t, n, set); ok != len(set) {
			t.Fatalf("set-up: %v", refused)
		}
	}
	used, _ := n.st.SizeInUse(ctx)
	clock.Add(120) // the expiring note is now expired, not yet purged

	// A quota just below what is held: making room must take the expired
	// note first, then strangers' notes, and leave reports alone.
	quota := used - (used-base)/8
	n.pol.SetConfig(withStore(cfg, quota))
	more := junk("more", 5, 1, clock.Load())
	ok, refused := ingestAll(t, n, more)
	if ok != 5 {
		t.Fatalf("new strangers' notes while the store can make room: %d stored, %v", ok, refused)
	}
	if now, _ := n.st.SizeInUse(ctx); now > quota {
		t.Fatalf("the store holds %d bytes, over its quota of %d", now, quota)
	}
	if holdsAll(t, n, []*nostr.Event{expiring}) != 0 {
		t.Fatal("the expired note was not the first to go")
	}
	if holdsAll(t, n, notes) == len(notes) {
		t.Fatal("no stranger's note was evicted to make room")
	}
	// Making room goes band by band: strangers' notes, then wraps for
	// others, then strangers' reports.
	r, w, s := holdsAll(t, n, reports), holdsAll(t, n, wraps), holdsAll(t, n, notes)
	if r < len(reports) && w > 0 || w < len(wraps) && s > 0 || r == 0 {
		t.Fatalf("out of order: reports %d of %d, wraps %d of %d, strangers' notes %d of %d left", r, len(reports), w, len(wraps), s, len(notes))
	}
	if holdsAll(t, n, mine) != len(mine) {
		t.Fatal("own events were evicted")
	}

	// A quota below what own events alone take: everything carried for
	// others goes, own events still go in, others are refused with why.
	n.pol.SetConfig(withStore(cfg, base))
	late := n.Ingest(ctx, junk("late", 1, 1, clock.Load())...)[0]
	if late.OK() || !strings.Contains(late.Message(), "store is full") || !strings.Contains(late.Message(), "max_store") {
		t.Fatalf("a stranger's note with the store full: %v %q", late.OK(), late.Message())
	}
	if holdsAll(t, n, notes)+holdsAll(t, n, wraps)+holdsAll(t, n, reports) != 0 {
		t.Fatal("events carried for others were left in a store over its quota")
	}
	if _, err := n.Publish(ctx, "", &nostr.Event{Kind: 1, Content: "still mine"}); err != nil {
		t.Fatalf("own event with the store full: %v", err)
	}
	// A message to the user still goes in; one for a contact does not
	// (the city simulator found a full store turning away the user's
	// own mail).
	toMe := evtest.NewKey("one-time 1").Event(1059, clock.Load(), "sealed", nostr.Tag{"p", me})
	toFriend := evtest.NewKey("one-time 2").Event(1059, clock.Load(), "sealed", nostr.Tag{"p", friend.Public})
	res := n.Ingest(ctx, toMe, toFriend)
	if !res[0].OK() || res[1].OK() || !strings.Contains(res[1].Message(), "store is full") {
		t.Fatalf("wraps with the store full: to me %v %q, to a contact %v %q", res[0].OK(), res[0].Message(), res[1].OK(), res[1].Message())
	}
	if holdsAll(t, n, mine) != len(mine) {
		t.Fatal("own events were evicted")
	}
	checkCounts(t, n)
}

func withStore(c policy.Config, bytes int64) policy.Config {
	c.MaxStore = bytes
	return c
}

// A peer holding a flood of junk (valid events by fresh keys) syncs with a
// node: the node pulls what its policy asks for, keeps within its caps,
// and loses none of its own or its contacts' data. CARAVAN_FLOOD_EVENTS
// sets the flood's size (default 1,000; docs/flood.md reports 50,000, with
// -timeout 30m, and 1,000,000).
func TestFloodOverSync(t *testing.T) {
	size := 1000
	if v := os.Getenv("CARAVAN_FLOOD_EVENTS"); v != "" {
		var err error
		if size, err = strconv.Atoi(v); err != nil || size < 100 {
			t.Fatalf("CARAVAN_FLOOD_EVENTS=%q: want a number of events, at least 100", v)
		}
	}
	var clock atomic.Int64
	clock.Store(time.Now().Unix())
	cfg := policy.Config{}
	if size < 100_000 {
		cfg = policy.Config{Strangers: policy.Cap{Events: size / 10}, Reports: policy.Cap{Events: size / 50}, PerStranger: policy.Cap{Events: 5}}
	}
	n, _ := floodNode(t, cfg, &clock)
	ctx := context.Background()
	var keep []*nostr.Event
	for i := range 50 {
		ev, err := n.Publish(ctx, "", &nostr.Event{Kind: 1, Content: fmt.Sprint("mine ", i)})
		if err != nil {
			t.Fatal(err)
		}
		keep = append(keep, ev, friend.Event(1, clock.Load()-int64(i), fmt.Sprint("friend ", i)))
	}
	if ok, refused := ingestAll(t, n, keep); ok != len(keep) {
		t.Fatalf("set-up: %v", refused)
	}

	// The flooder carries everything; its events go straight into its
	// store, signed, in parallel.
	big := policy.Cap{Events: 10 * size, Bytes: 1 << 40}
	flooder, err := Open(t.TempDir(), Options{Config: &Config{Policy: policy.Config{Strangers: big, Reports: big, PerStranger: big}}})
	if err != nil {
		t.Fatal(err)
	}
	defer flooder.Close()
	began := time.Now()
	evs := make([]*nostr.Event, size)
	var wg sync.WaitGroup
	for w := range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < size; i += runtime.GOMAXPROCS(0) {
				sk := nostr.GeneratePrivateKey()
				ev := &nostr.Event{Kind: 1, CreatedAt: nostr.Timestamp(clock.Load() - 3600 + int64(i%3000)), Content: fmt.Sprint("junk ", i), Tags: nostr.Tags{}}
				if i%50 == 0 {
					ev.Kind, ev.Tags = 30023, nostr.Tags{{"d", "x"}, {"title", "junk"}}
				}
				ev.Sign(sk)
				evs[i] = ev
			}
		}()
	}
	wg.Wait()
	for i := 0; i < size; i += 5000 {
		if _, err := flooder.st.Save(ctx, evs[i:min(size, i+5000)]...); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d junk events made in %s", size, time.Since(began).Round(time.Millisecond))

	began = time.Now()
	// Either side may initiate: the node pulls the flood, or the flooder
	// pushes it through the node's relay endpoint, whose rate limit (500
	// events a second, in bursts of 5,000) refills on the node's clock.
	// Stopped, that clock let the flooder offer each event beyond the
	// burst five times in vain, pausing a little longer each time: at
	// 50,000 events that outlasted any deadline, as if the sync hung. It
	// runs while they meet; the deadline only catches a hang.
	ticking := make(chan struct{})
	defer close(ticking)
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				clock.Add(1)
			case <-ticking:
				return
			}
		}
	}()
	meetWithin(t, n, flooder, 10*time.Minute+time.Duration(size)*10*time.Millisecond)
	used, _ := n.st.SizeInUse(ctx)
	t.Logf("sync with the flooder: %s; %d stored, %d refused, %d evicted; store %d MiB; usage %+v",
		time.Since(began).Round(time.Millisecond), n.Counts().Stored.Load(), n.Counts().Refused.Load(), n.Counts().Evicted.Load(), used>>20, n.pol.Usage())
	if got := holdsAll(t, n, keep); got != len(keep) {
		t.Fatalf("the flood evicted own or contacts' data: %d of %d left", got, len(keep))
	}
	c := n.pol.Config()
	if u := n.pol.Usage(); u.Strangers.Events > c.Strangers.Events || u.Reports.Events > c.Reports.Events || u.Strangers.Events == 0 {
		t.Fatalf("usage %+v against caps %+v / %+v", u, c.Strangers, c.Reports)
	}
	checkCounts(t, n)
	if v, err := n.st.IntegrityCheck(ctx); err != nil || v != "ok" {
		t.Fatalf("integrity: %q %v", v, err)
	}
}

// Two nodes with more to give each other than the relay endpoint's burst
// (here 1,000 events, then 100 a second) finish in one meeting: the pusher
// pauses when told to slow down instead of waiting once per refused event,
// which took minutes for a few hundred.
func TestSyncPastTheRateLimit(t *testing.T) {
	ctx := context.Background()
	slow := &Config{Relay: relay.Limits{EventsPerSecond: 100}}
	open := func(name string) *Node {
		n, err := Open(t.TempDir(), Options{Config: slow})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		n.kr.LogN = 4
		if _, err := n.kr.New(name, "", true); err != nil {
			t.Fatal(err)
		}
		return n
	}
	a, b := open("aigerim"), open("bolat")
	pa, _, _ := keys.ParsePublicKey(pk(t, a))
	pb, _, _ := keys.ParsePublicKey(pk(t, b))
	a.Follow(ctx, "", pb, "", "")
	b.Follow(ctx, "", pa, "", "")
	ida, _ := a.kr.Get("")
	idb, _ := b.kr.Get("")
	const each = 1300
	mine := func(n *Node, as string, name string) []*nostr.Event {
		evs := make([]*nostr.Event, each)
		for i := range evs {
			ev := &nostr.Event{Kind: 1, CreatedAt: nostr.Timestamp(time.Now().Unix() - int64(i)), Content: fmt.Sprint(name, " ", i), Tags: nostr.Tags{}}
			if err := n.kr.Sign(as, ev); err != nil {
				t.Fatal(err)
			}
			evs[i] = ev
		}
		if ok, refused := ingestAll(t, n, evs); ok != each {
			t.Fatalf("set-up: %v", refused)
		}
		return evs
	}
	fromA, fromB := mine(a, ida.Name, "a"), mine(b, idb.Name, "b")
	meetWithin(t, a, b, 3*time.Minute)
	if got := holdsAll(t, b, fromA); got != each {
		t.Fatalf("b has %d of a's %d events after one meeting", got, each)
	}
	if got := holdsAll(t, a, fromB); got != each {
		t.Fatalf("a has %d of b's %d events after one meeting", got, each)
	}
}
