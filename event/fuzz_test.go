package event_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/nbd-wtf/go-nostr"
)

// FuzzDecodeEvent: decoding an event never panics; a decoded event with
// well-formed fields re-encodes to the same canonical serialization, and
// validation (cheap checks and signature) never panics on it.
func FuzzDecodeEvent(f *testing.F) {
	k := evtest.NewKey("fuzz")
	for _, ev := range []*nostr.Event{
		k.Event(1, 1700000000, "plain"),
		k.Event(30023, 1700000000, "# report\n\nbody", nostr.Tag{"d", "x"}, nostr.Tag{"title", "T"}, nostr.Tag{"l", "es", "ISO-639-1"}),
		k.Event(5, 1700000000, "", nostr.Tag{"e", k.Public}, nostr.Tag{"a", "30023:" + k.Public + ":x"}),
		k.Event(1, 1700000000, "\x00\u2028\"\\ </script>", nostr.Tag{"expiration", "1"}),
	} {
		b, _ := json.Marshal(ev)
		f.Add(b)
	}
	f.Add([]byte(`{"id":"","kind":1.5}`))
	f.Add([]byte(`{"tags":[[]],"kind":-1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := event.DecodeEvent(b)
		if err != nil {
			return
		}
		if event.Check(ev, event.Limits{}, time.Unix(1800000000, 0)) == nil {
			_ = event.Verify(ev)
			out, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			again, err := event.DecodeEvent(out)
			if err != nil {
				t.Fatalf("re-decode %s: %v", out, err)
			}
			if string(again.Serialize()) != string(ev.Serialize()) {
				t.Fatalf("serialization changed:\n%s\n%s", ev.Serialize(), again.Serialize())
			}
		}
	})
}
