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
			again, err := event.DecodeEvent(out)
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
				again, err := event.DecodeFilter(out)
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
