package relay

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/nbd-wtf/go-nostr"
)

func seedMessages(f *testing.F) {
	k := evtest.NewKey("fuzz")
	ev := k.Event(1, 1700000000, "hello \"world\" \u2028 ✓", nostr.Tag{"t", "news"}, nostr.Tag{"e", k.Public, "wss://r"})
	evJSON, _ := json.Marshal(ev)
	for _, s := range []string{
		`["EVENT",` + string(evJSON) + `]`,
		`["REQ","sub",{"kinds":[1,30023],"authors":["` + k.Public + `"],"#t":["news"],"since":1,"until":2,"limit":10}]`,
		`["REQ","s",{},{"ids":["` + ev.ID + `"]}]`,
		`["CLOSE","sub"]`,
		`["COUNT","c",{"kinds":[1]}]`,
		`["AUTH",{}]`,
		`["NEG-OPEN","n",{},"6100"]`,
		`["EVENT",{"id":null}]`,
		`[`, `[]`, `{}`, `"EVENT"`, `["REQ","x",{"limit":0}]`,
	} {
		f.Add([]byte(s))
	}
}

// FuzzParseMessage: no input panics, and what parses survives a round trip
// through our own encoding.
func FuzzParseMessage(f *testing.F) {
	seedMessages(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMessage(b, 16)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		switch m.Label {
		case "EVENT":
			// Validation must not panic.
			_ = event.Check(m.Event, event.Limits{}, time.Unix(1700000000, 0))
			if !event.IsHexID(m.Event.ID) || !event.IsHexID(m.Event.PubKey) || m.Event.Sig == "" {
				return // go-nostr's encoder omits empty ids; such events are refused anyway
			}
			out, err := json.Marshal(m.Event)
			if err != nil {
				t.Fatal(err)
			}
			again, err := DecodeEvent(out)
			if err != nil {
				t.Fatalf("re-decode %s: %v", out, err)
			}
			if again.Serialize() == nil || string(again.Serialize()) != string(m.Event.Serialize()) ||
				again.ID != m.Event.ID || again.Sig != m.Event.Sig {
				t.Fatalf("round trip changed the event:\n%s\n%s", out, mustJSON(again))
			}
		case "REQ", "COUNT":
			for _, flt := range m.Filters {
				out, err := flt.MarshalJSON()
				if err != nil {
					t.Fatal(err)
				}
				again, err := DecodeFilter(out)
				if err != nil {
					t.Fatalf("re-decode filter %s: %v", out, err)
				}
				if !nostr.FilterEqual(flt, again) || flt.Limit != again.Limit {
					t.Fatalf("filter round trip: %s -> %s", out, mustJSON(again))
				}
			}
		}
	})
}

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
		ev, err := DecodeEvent(b)
		if err != nil {
			return
		}
		if event.Check(ev, event.Limits{}, time.Unix(1800000000, 0)) == nil {
			_ = event.Verify(ev)
			out, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			again, err := DecodeEvent(out)
			if err != nil {
				t.Fatalf("re-decode %s: %v", out, err)
			}
			if string(again.Serialize()) != string(ev.Serialize()) {
				t.Fatalf("serialization changed:\n%s\n%s", ev.Serialize(), again.Serialize())
			}
		}
	})
}
