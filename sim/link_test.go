package sim

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func eventMsg(id byte, body int) []byte {
	return []byte(`["EVENT",{"id":"` + strings.Repeat(string(rune('a'+id%6)), 64) + `","content":"` + strings.Repeat("x", body) + `"}]`)
}

// Only events are charged; the one that does not fit ends the contact,
// and what was written before stays readable on the other side.
func TestLinkChargesEventsAndCuts(t *testing.T) {
	ctx := context.Background()
	first, second := eventMsg(0, 100), eventMsg(1, 100)
	extra := map[string]int64{strings.Repeat("b", 64): 1000}
	m := newMeter(int64(len(first)+len(second)+999), func(id string) int64 { return extra[id] })
	a, b := pipe("a", "b", m)
	neg := []byte(`["NEG-OPEN","n1",{},"61"]`)
	for _, msg := range [][]byte{neg, first} {
		if err := a.Write(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	// second stands for a 1,000-byte attachment: one byte too many.
	if err := a.Write(ctx, second); !errors.Is(err, errOutOfRange) {
		t.Fatalf("writing past the capacity: %v", err)
	}
	if err := b.Write(ctx, []byte(`["OK"]`)); !errors.Is(err, errOutOfRange) {
		t.Fatalf("writing after the cut: %v", err)
	}
	for _, want := range [][]byte{neg, first} {
		got, err := b.Read(ctx)
		if err != nil || string(got) != string(want) {
			t.Fatalf("read %q, %v; want %q", got, err, want)
		}
	}
	if _, err := b.Read(ctx); !errors.Is(err, errOutOfRange) {
		t.Fatalf("read after the drained cut: %v", err)
	}
	if m.charged() != int64(len(first)) || m.overhead.Load() != int64(len(neg)) {
		t.Errorf("charged %d, overhead %d", m.charged(), m.overhead.Load())
	}
	if off, ok := m.offset(strings.Repeat("a", 64)); !ok || off != int64(len(first)) {
		t.Errorf("offset of the first event: %d, %v", off, ok)
	}
	if st := b.Stats(); st.In != int64(len(neg)+len(first)) {
		t.Errorf("stats %+v", st)
	}
}

func TestEventID(t *testing.T) {
	id := strings.Repeat("0f", 32)
	for _, c := range []struct{ msg, want string }{
		{`["EVENT",{"id":"` + id + `","kind":1}]`, id},
		{`["EVENT","sub",{"kind":1,"id":"` + id + `"}]`, id},
		{`["EVENT",{"id":"` + id[:10] + `"}]`, ""},
		{`["EVENT",{"id":"` + strings.Repeat("zz", 32) + `"}]`, ""},
		{`["EVENT",{}]`, ""},
	} {
		if got := eventID([]byte(c.msg)); got != c.want {
			t.Errorf("eventID(%s) = %q, want %q", c.msg, got, c.want)
		}
	}
}
