package policy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip13"
)

var (
	me      = evtest.NewKey("policy me")
	friend  = evtest.NewKey("policy friend")
	unknown = evtest.NewKey("policy stranger")
)

func graph() Graph {
	return Graph{Own: map[string]bool{me.Public: true}, Hop1: map[string]bool{friend.Public: true}, Hop2: map[string]bool{}}
}

// mined signs a note by k with a NIP-13 proof of work of at least bits.
func mined(t *testing.T, k evtest.Key, bits int, content string) *nostr.Event {
	t.Helper()
	ev := nostr.Event{Kind: 1, CreatedAt: nostr.Now(), Content: content, PubKey: k.Public, Tags: nostr.Tags{}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tag, err := nip13.DoWork(ctx, ev, bits)
	if err != nil {
		t.Fatal(err)
	}
	ev.Tags = append(ev.Tags, tag)
	if err := ev.Sign(k.Secret); err != nil {
		t.Fatal(err)
	}
	return &ev
}

func TestPerStrangerCap(t *testing.T) {
	p := New(Config{PerStranger: Cap{Events: 3}, Strangers: Cap{Events: 100}})
	p.SetGraph(graph())
	for i := range 3 {
		a, err := p.Take(unknown.Event(1, int64(1000+i), "n"), 300)
		if err != nil || a.Full != nil {
			t.Fatalf("note %d: %+v %v", i, a, err)
		}
	}
	a, err := p.Take(unknown.Event(1, 2000, "one too many"), 300)
	if err != nil || a.Full == nil || !a.ByAuthor || a.Full.Events != 1 {
		t.Fatalf("a stranger's 4th note with a cap of 3: %+v %v, want room for 1 among the author's own", a, err)
	}
	// Another stranger is not held back by the first.
	if a, _ := p.Take(evtest.NewKey("another").Event(1, 2000, "n"), 300); a.Full != nil {
		t.Fatalf("a second stranger: %+v", a)
	}
	// Contacts and the node's own events have no such cap.
	for i := range 10 {
		for _, k := range []evtest.Key{me, friend} {
			if a, err := p.Take(k.Event(1, int64(3000+i), "n"), 300); err != nil || a.Full != nil {
				t.Fatalf("%s: %+v %v", k.Public[:8], a, err)
			}
		}
	}
}

func TestClassCaps(t *testing.T) {
	p := New(Config{Strangers: Cap{Events: 2}, Reports: Cap{Events: 1}, Wraps: Cap{Events: 1}, PerStranger: Cap{Events: 100}})
	p.SetGraph(graph())
	take := func(ev *nostr.Event) Admission {
		t.Helper()
		a, err := p.Take(ev, 200)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	// Each class fills on its own: notes, deletions and reports of
	// strangers, and wraps carried for others.
	for i := range 2 {
		if a := take(evtest.NewKey(fmt.Sprint("s", i)).Event(1, 1, "n")); a.Full != nil || a.Class != Stranger {
			t.Fatalf("note %d: %+v", i, a)
		}
	}
	if a := take(evtest.NewKey("d").Event(5, 1, "", nostr.Tag{"e", strings.Repeat("ab", 32)})); a.Full == nil || a.Class != Deletion {
		t.Fatalf("a stranger's deletion counts with the strangers' notes: %+v", a)
	}
	if a := take(evtest.NewKey("r").Event(30023, 1, "r", nostr.Tag{"d", "x"})); a.Full != nil || a.Class != Report {
		t.Fatalf("first report: %+v", a)
	}
	if a := take(evtest.NewKey("r2").Event(30023, 1, "r", nostr.Tag{"d", "x"})); a.Full == nil || a.ByAuthor {
		t.Fatalf("second report with a cap of 1: %+v", a)
	}
	w := evtest.NewKey("w").Event(1059, 1, "sealed", nostr.Tag{"p", unknown.Public})
	if a := take(w); a.Full != nil || a.Class != Wrap {
		t.Fatalf("first wrap: %+v", a)
	}
	if a := take(evtest.NewKey("w2").Event(1059, 1, "sealed", nostr.Tag{"p", unknown.Public})); a.Full == nil {
		t.Fatalf("second wrap with a cap of 1: %+v", a)
	}
	// A wrap for a contact is never held back.
	if a := take(evtest.NewKey("w3").Event(1059, 1, "sealed", nostr.Tag{"p", friend.Public})); a.Full != nil || a.Class != WrapForUs {
		t.Fatalf("wrap for a contact: %+v", a)
	}
	u := p.Usage()
	if u.Strangers.Events != 3 || u.Reports.Events != 2 || u.Wraps.Events != 2 {
		t.Fatalf("usage %+v", u)
	}
	// Giving back what was not stored restores the counts.
	p.Return(w, 200)
	if got := p.Usage().Wraps.Events; got != 1 {
		t.Fatalf("wraps after a return: %d", got)
	}
}

func TestMinPoW(t *testing.T) {
	p := New(Config{MinPoW: 8})
	p.SetGraph(graph())
	_, err := p.Take(unknown.Event(1, 1, "no work"), 100)
	var r *event.Rejection
	if !errors.As(err, &r) || r.Prefix != event.PoW || !strings.Contains(r.Msg, "8 bits") {
		t.Fatalf("a stranger's note with no proof of work: %v, want a pow: rejection naming 8 bits", err)
	}
	a, err := p.Take(mined(t, unknown, 8, "worked"), 100)
	if err != nil || a.PoW < 8 {
		t.Fatalf("a stranger's note with 8 bits of work: %+v %v", a, err)
	}
	// Luck is not work: leading zero bits without a committed target
	// count for nothing (NIP-13).
	if got := nip13.CommittedDifficulty(&nostr.Event{ID: "00" + strings.Repeat("1", 62)}); got != 0 {
		t.Fatalf("difficulty without a nonce tag: %d", got)
	}
	// The node's own events and contacts' need none.
	for _, k := range []evtest.Key{me, friend} {
		if _, err := p.Take(k.Event(1, 1, "no work"), 100); err != nil {
			t.Fatal(err)
		}
	}
}

// When someone becomes a contact, what they wrote stops counting against
// the strangers' caps.
func TestGraphChangeRecounts(t *testing.T) {
	p := New(Config{})
	p.SetGraph(graph())
	for i := range 4 {
		p.Take(unknown.Event(1, int64(i), "n"), 100)
	}
	p.Take(unknown.Event(30023, 9, "r", nostr.Tag{"d", "a"}), 500)
	if u := p.Usage(); u.Strangers.Events != 4 || u.Reports.Events != 1 || u.Reports.Bytes != 500 {
		t.Fatalf("before: %+v", u)
	}
	g := graph()
	g.Hop2[unknown.Public] = true
	p.SetGraph(g)
	if u := p.Usage(); u.Strangers != (Amount{}) || u.Reports != (Amount{}) {
		t.Fatalf("after the author joined the graph: %+v", u)
	}
	p.SetGraph(graph())
	if u := p.Usage(); u.Strangers.Events != 4 || u.Reports.Events != 1 {
		t.Fatalf("after the author left it again: %+v", u)
	}
}
