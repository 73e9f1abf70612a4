package relay

import (
	"testing"
	"time"
)

// TestBucketClockJumps: a rate limit neither opens wide nor shuts for
// days when the clock it reads jumps. Ahead, it is full again (no more
// than its burst); set back, it goes on from the new time at its rate,
// instead of waiting for the clock to reach the time of its last use.
func TestBucketClockJumps(t *testing.T) {
	t0 := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	b := newBucket(2, t0) // 2 a second, bursts of 20
	drain := func(at time.Time) int {
		n := 0
		for b.allow(at) {
			n++
		}
		return n
	}
	if n := drain(t0); n != 20 {
		t.Fatalf("a new bucket allows %d at once, want its burst of 20", n)
	}
	if n := drain(t0.Add(48 * time.Hour)); n != 20 {
		t.Fatalf("two days on it allows %d, want no more than its burst of 20", n)
	}
	back := t0.Add(time.Second)
	if n := drain(back); n != 0 {
		t.Fatalf("right after the clock went back it allows %d, want 0 (just drained)", n)
	}
	if n := drain(back.Add(3 * time.Second)); n != 6 {
		t.Fatalf("3 s after the clock went back it allows %d, want 6 at 2 a second", n)
	}
}
