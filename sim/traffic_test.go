package sim

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/msg"
	"github.com/nbd-wtf/go-nostr"
)

// realWrap is the JSON size of the wrap msg.Wrap makes for a text of n
// bytes to recipients people, as the node sends it (one "p" tag for each,
// a 30-day expiration).
func realWrap(t *testing.T, n, recipients int) int {
	me := evtest.NewKey("sim-writer")
	var tags nostr.Tags
	for r := range recipients {
		tags = append(tags, nostr.Tag{"p", evtest.NewKey(fmt.Sprint("sim-reader", r)).Public})
	}
	text := strings.Repeat("x", n)
	rumor := msg.NewRumor(me.PubKey(), event.KindChat, text, tags, time.Unix(1_700_000_000, 0))
	w, err := msg.Wrap(rumor, tags[0][1], me, msg.Options{Expire: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

func TestWrapSize(t *testing.T) {
	for _, tc := range []struct{ text, recipients int }{
		{1, 1}, {20, 1}, {100, 1}, {300, 1}, {600, 1}, {2000, 1}, {10_000, 1}, {40_000, 1},
		{50, 4}, {400, 4}, {100, 20},
	} {
		real, est := realWrap(t, tc.text, tc.recipients), wrapSize(tc.text, tc.recipients)
		if d := float64(est-real) / float64(real); d < -0.1 || d > 0.1 {
			t.Errorf("text %d bytes to %d: estimated %d, real %d (%+.1f%%)", tc.text, tc.recipients, est, real, 100*d)
		} else {
			t.Logf("text %d bytes to %d: estimated %d, real %d (%+.1f%%)", tc.text, tc.recipients, est, real, 100*d)
		}
	}
}

// cityOf is a trace with s's nodes and nothing else: MakePlan needs no
// contacts.
func cityOf(s *Scenario) *Trace {
	return &Trace{Kinds: make([]NodeKind, s.People+s.Carriers.Count+s.Fixed.Count)}
}

func TestMakePlan(t *testing.T) {
	s := testScenario()
	s.People = 300
	p, err := MakePlan(s, cityOf(s))
	if err != nil {
		t.Fatal(err)
	}
	q, _ := MakePlan(s, cityOf(s))
	if !reflect.DeepEqual(p, q) {
		t.Fatal("the same scenario gave two plans")
	}
	movers := s.People + s.Carriers.Count
	if len(p.Contacts) != movers+s.Fixed.Count || p.Contacts[movers] != nil {
		t.Fatalf("%d contact lists; fixed node has %v", len(p.Contacts), p.Contacts[movers])
	}
	knows := func(i, j int) bool { return slices.Contains(p.Contacts[i], j) }
	places := makePlaces(s)
	homes := make([]point, movers)
	for i := range homes {
		homes[i] = newWalker(s, places, i, i >= s.People).start()
	}
	near, all := 0, 0
	nb := nearest(s.Area, homes, nearPool)
	for i, c := range p.Contacts[:movers] {
		if len(c) != s.Traffic.Contacts || !slices.IsSorted(c) || slices.Contains(c, i) || len(slices.Compact(slices.Clone(c))) != len(c) {
			t.Fatalf("node %d's contacts: %v", i, c)
		}
		for _, j := range c {
			all++
			if slices.Contains(nb[i], j) {
				near++
			}
		}
	}
	// 70% chosen near, and a few of the others by chance.
	if f := float64(near) / float64(all); f < 0.65 || f > 0.85 {
		t.Errorf("%.2f of contacts are near, want about 0.7", f)
	}
	if len(p.Groups) != s.Traffic.Groups {
		t.Fatalf("%d groups", len(p.Groups))
	}
	for _, g := range p.Groups {
		if len(g) != s.Traffic.GroupSize || !slices.IsSorted(g) {
			t.Fatalf("group %v", g)
		}
	}
	n := map[MessageKind]int{}
	ws, we := s.writing()
	for i, m := range p.Messages {
		n[m.Kind]++
		if m.ID != i || (i > 0 && m.At < p.Messages[i-1].At) || m.At < ws || m.At >= we || m.From >= movers {
			t.Fatalf("message %d: %+v", i, m)
		}
		switch m.Kind {
		case Text:
			if len(m.To) != 1 || !knows(m.From, m.To[0]) || m.Size < WrapSize(s.Traffic.TextBytes.Min) || m.Size > WrapSize(s.Traffic.TextBytes.Max) {
				t.Fatalf("text %+v", m)
			}
		case Group:
			g := slices.Sorted(slices.Values(append([]int{m.From}, m.To...)))
			if !slices.ContainsFunc(p.Groups, func(h []int) bool { return slices.Equal(g, h) }) {
				t.Fatalf("group message %+v is to no group", m)
			}
		case Report:
			if m.To != nil || m.Size < s.Traffic.PhotoBytes.Min {
				t.Fatalf("report %+v", m)
			}
		}
	}
	if n[Text] != s.Traffic.Texts || n[Group] != s.Traffic.GroupMessages || n[Report] != s.Traffic.Reports {
		t.Fatalf("messages by kind %v", n)
	}
}

// In helsinki-one everybody writes to everybody, with files attached.
func TestMakePlanEveryone(t *testing.T) {
	s, err := Load("helsinki-one")
	if err != nil {
		t.Fatal(err)
	}
	p, err := MakePlan(s, cityOf(s))
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range p.Contacts {
		if len(c) != 125 || slices.Contains(c, i) {
			t.Fatalf("node %d knows %d", i, len(c))
		}
	}
	for _, m := range p.Messages {
		if m.Size < 500_000 || m.Size > 1_000_000+WrapSize(60) {
			t.Fatalf("message %+v: the file is missing", m)
		}
	}
}
