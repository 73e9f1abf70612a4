package localapi

import (
	"net/url"
	"reflect"
	"testing"
)

// A GET route's request goes into the query string and comes back whole;
// zero values are left out.
func TestQueryRoundTrip(t *testing.T) {
	in := SearchRequest{Q: "вода & bread", Kinds: []int{1, 30023}, Limit: 5, Order: "trust"}
	q := encodeQuery(in)
	if got, want := q.Encode(), "kind=1&kind=30023&limit=5&order=trust&q=%D0%B2%D0%BE%D0%B4%D0%B0+%26+bread"; got != want {
		t.Errorf("encoded %s, want %s", got, want)
	}
	var out SearchRequest
	if err := decodeQuery(q, &out); err != nil || !reflect.DeepEqual(in, out) {
		t.Errorf("decoded %+v (%v), want %+v", out, err, in)
	}
	var bad SearchRequest
	if err := decodeQuery(url.Values{"kind": {"x"}}, &bad); err == nil || err.Error() != "kind must be a number" {
		t.Errorf("kind=x: %v", err)
	}
	var c ChatRequest
	if err := decodeQuery(url.Values{"as": {"me"}, "with": {"ann"}, "follow": {"1"}}, &c); err != nil || c != (ChatRequest{As: "me", With: "ann"}) {
		t.Errorf("chat: %+v %v", c, err)
	}
}
