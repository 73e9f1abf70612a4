package relay

import (
	"encoding/json"
	"slices"
	"strings"
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

// FuzzWrapPlan: whatever filter a client sends, the parts the relay reads
// for a connection that is not the user's own can return a gift wrap
// only if it is addressed to a key the connection authenticated, or the
// filter names events by id or asks only for new ones; a refusal is
// auth-required: or restricted:, and only for a filter of wraps alone.
func FuzzWrapPlan(f *testing.F) {
	for _, s := range []string{`{}`, `{"kinds":[1059]}`, `{"kinds":[1059],"#p":["` + strings.Repeat("a", 64) + `"]}`,
		`{"kinds":[1,1059],"limit":3}`, `{"kinds":[1059,1059]}`, `{"ids":["` + strings.Repeat("b", 64) + `"]}`,
		`{"kinds":[1059],"limit":0}`, `{"#p":["` + strings.Repeat("c", 64) + `"],"kinds":[1059,7]}`} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(3))
	}
	keys := []string{strings.Repeat("a", 64), strings.Repeat("c", 64)}
	f.Fuzz(func(t *testing.T, b []byte, authed uint8) {
		flt, err := event.DecodeFilter(b)
		if err != nil || event.CheckFilter(flt) != nil {
			return
		}
		var mine []string
		for i, k := range keys {
			if authed&(1<<i) != 0 {
				mine = append(mine, k)
			}
		}
		c := &Conn{r: &Relay{lim: Limits{}.WithDefaults()}}
		c.authed.Store(&mine)
		cs, err := c.plan([]nostr.Filter{flt})
		onlyWraps := len(flt.Kinds) > 0 && !slices.ContainsFunc(flt.Kinds, func(k int) bool { return k != event.KindGiftWrap })
		if err != nil {
			r := event.Reason(err)
			if !onlyWraps || len(flt.IDs) > 0 || flt.LimitZero ||
				!strings.HasPrefix(r, event.AuthRequired+":") && !strings.HasPrefix(r, event.Restricted+":") {
				t.Fatalf("%s refused: %s", b, r)
			}
			return
		}
		for _, k := range cs {
			if event.CheckFilter(k.f) != nil {
				t.Fatalf("%s: part %+v is not a filter the store answers", b, k.f)
			}
			if k.noWraps || !mayMatchWraps(k.f) || len(k.f.IDs) > 0 || k.f.LimitZero {
				continue
			}
			if !slices.Equal(k.f.Kinds, []int{event.KindGiftWrap}) || len(k.f.Tags["p"]) == 0 {
				t.Fatalf("%s: part %+v may return anyone's wraps", b, k.f)
			}
			for _, p := range k.f.Tags["p"] {
				if !slices.Contains(mine, p) {
					t.Fatalf("%s: part %+v returns wraps for %s, not authenticated", b, k.f, p)
				}
			}
		}
	})
}
