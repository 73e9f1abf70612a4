package event

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/nbd-wtf/go-nostr"
)

func TestCheck(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	k := evtest.NewKey("k")
	good := func() *nostr.Event { return k.Event(1, now.Unix(), "hello") }
	cases := []struct {
		name string
		mod  func(ev *nostr.Event)
		want string // "" = accepted; else substring of the reason
	}{
		{"good", func(ev *nostr.Event) {}, ""},
		{"uppercase id", func(ev *nostr.Event) { ev.ID = strings.ToUpper(ev.ID) }, "id must be 64 lowercase hex"},
		{"short pubkey", func(ev *nostr.Event) { ev.PubKey = ev.PubKey[:10] }, "pubkey must be 64"},
		{"sig not hex", func(ev *nostr.Event) { ev.Sig = strings.Repeat("zz", 64) }, "sig must be 128"},
		{"kind too big", func(ev *nostr.Event) { ev.Kind = 70000 }, "outside 0..65535"},
		{"negative time", func(ev *nostr.Event) { ev.CreatedAt = -1 }, "negative"},
		{"empty tag", func(ev *nostr.Event) { ev.Tags = nostr.Tags{{}} }, "tag 0 is empty"},
		{"bad utf8 content", func(ev *nostr.Event) { ev.Content = "\xff" }, "content is not valid UTF-8"},
		{"bad utf8 tag", func(ev *nostr.Event) { ev.Tags = nostr.Tags{{"t", "\xc3"}} }, "tag 0 is not valid UTF-8"},
		{"too many tags", func(ev *nostr.Event) {
			for i := 0; i < 2001; i++ {
				ev.Tags = append(ev.Tags, nostr.Tag{"t", "x"})
			}
		}, "2001 tags"},
		{"too big", func(ev *nostr.Event) { ev.Content = strings.Repeat("x", 256<<10) }, "more than the limit"},
		{"15 minutes ahead is fine", func(ev *nostr.Event) { ev.CreatedAt = nostr.Timestamp(now.Add(15 * time.Minute).Unix()) }, ""},
		{"16 minutes ahead", func(ev *nostr.Event) { ev.CreatedAt = nostr.Timestamp(now.Add(16 * time.Minute).Unix()) }, "16m0s in the future"},
		{"old is fine", func(ev *nostr.Event) { ev.CreatedAt = 1 }, ""},
		{"expired", func(ev *nostr.Event) { ev.Tags = nostr.Tags{{"expiration", "1000"}} }, "expired"},
		{"expires later", func(ev *nostr.Event) { ev.Tags = nostr.Tags{{"expiration", "1900000000"}} }, ""},
	}
	for _, c := range cases {
		ev := good()
		c.mod(ev)
		err := Check(ev, Limits{}, now)
		var r *Rejection
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case c.want != "" && (err == nil || !errors.As(err, &r) || r.Prefix != Invalid || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: got %v, want invalid: ...%s", c.name, err, c.want)
		}
	}
}

func TestVerify(t *testing.T) {
	k := evtest.NewKey("k")
	ev := k.Event(1, 1, "signed")
	if err := Verify(ev); err != nil {
		t.Fatal(err)
	}
	ev.Content = "changed"
	if err := Verify(ev); err == nil || !strings.Contains(err.Error(), "id does not match") {
		t.Fatalf("changed content: %v", err)
	}
	ev = k.Event(1, 1, "signed")
	ev.Sig = evtest.NewKey("other").Event(1, 1, "signed").Sig
	if err := Verify(ev); err == nil || !strings.Contains(err.Error(), "signature does not verify") {
		t.Fatalf("other key's signature: %v", err)
	}
	ev.PubKey = strings.Repeat("f", 64) // not on the curve
	if err := Verify(ev); err == nil {
		t.Fatal("pubkey off the curve accepted")
	}
}

// A shared Checked skips only what it verified: the same event again. A
// changed event, or a bad signature, is still refused.
func TestChecked(t *testing.T) {
	var c Checked
	k := evtest.NewKey("k")
	ev := k.Event(1, 1, "signed")
	bad := k.Event(1, 1, "signed")
	bad.Sig = evtest.NewKey("other").Event(1, 1, "signed").Sig
	for i := 0; i < 2; i++ {
		if err := c.Verify(ev); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if err := c.Verify(bad); err == nil || !strings.Contains(err.Error(), "signature does not verify") {
			t.Fatalf("round %d, a bad signature: %v", i, err)
		}
	}
	changed := *ev
	changed.Content = "changed after it was verified"
	if err := c.Verify(&changed); err == nil || !strings.Contains(err.Error(), "id does not match") {
		t.Fatalf("content changed under a verified id and sig: %v", err)
	}
	var none *Checked
	if err := none.Verify(bad); err == nil {
		t.Fatal("a nil Checked accepted a bad signature")
	}
}

func TestReason(t *testing.T) {
	if got := Reason(Reject(Blocked, "no %s", "thanks")); got != "blocked: no thanks" {
		t.Fatal(got)
	}
	if got := Reason(errors.New("disk full")); got != "error: disk full" {
		t.Fatal(got)
	}
}

func TestKindClassesAndAddress(t *testing.T) {
	for k, want := range map[int]string{0: "r", 3: "r", 1: "", 10002: "r", 20001: "e", 30023: "a", 40000: ""} {
		got := ""
		switch {
		case IsReplaceable(k):
			got = "r"
		case IsEphemeral(k):
			got = "e"
		case IsAddressable(k):
			got = "a"
		}
		if got != want {
			t.Errorf("kind %d: %q, want %q", k, got, want)
		}
	}
	k := evtest.NewKey("k")
	if a := Address(k.Event(30023, 1, "", nostr.Tag{"d", "r1"})); a != "30023:"+k.Public+":r1" {
		t.Fatal(a)
	}
	if a := Address(k.Event(0, 1, "", nostr.Tag{"d", "ignored"})); a != "0:"+k.Public+":" {
		t.Fatal(a)
	}
}
