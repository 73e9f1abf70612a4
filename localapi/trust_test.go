package localapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/node"
	"github.com/nbd-wtf/go-nostr"
)

// The feed, reports and search carry each author's standing, as JSON
// objects of a fixed shape, and rank by it when asked.
func TestTrustJSON(t *testing.T) {
	n, srv := serveTest(t)
	c := NewClient(srv.URL, "secret-token")
	ctx := context.Background()
	if _, err := n.NewIdentity("me", "", true); err != nil {
		t.Fatal(err)
	}
	ann, bob, x, s := evtest.NewKey("ann"), evtest.NewKey("bob"), evtest.NewKey("x"), evtest.NewKey("s")
	now := int64(nostr.Now())
	for _, k := range []evtest.Key{ann, bob} {
		if _, err := n.Follow(ctx, "", keys.PublicKey(k.Public), "", ""); err != nil {
			t.Fatal(err)
		}
	}
	for _, ev := range []*nostr.Event{
		ann.Event(3, now-100, "", nostr.Tag{"p", x.Public}),
		bob.Event(3, now-100, "", nostr.Tag{"p", x.Public}),
		ann.Event(1, now-30, "water at the station"),
		x.Event(1, now-20, "water at the bridge"),
		s.Event(1, now-10, "water everywhere"),
	} {
		if r := n.Ingest(ctx, ev)[0]; !r.OK() {
			t.Fatal(r.Message())
		}
	}
	const (
		contact  = `{"level":"contact"}`
		followed = `{"level":"followed","followed_by":2}`
		stranger = `{"level":"stranger"}`
	)
	trusts := func(path, body string) string {
		t.Helper()
		method := "GET"
		if body != "" {
			method = "POST"
		}
		resp := authed(t, method, srv.URL+path, strings.NewReader(body), nil)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		var items []struct {
			Trust json.RawMessage `json:"trust"`
		}
		if err := json.Unmarshal(b, &items); err != nil {
			t.Fatalf("%s: %v: %s", path, err, b)
		}
		var out []string
		for _, it := range items {
			out = append(out, string(it.Trust))
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct{ path, body, want string }{
		{"/api/v1/feed", `{"filter":{"kinds":[1]}}`, stranger + " " + followed + " " + contact},
		{"/api/v1/feed", `{"filter":{"kinds":[1]},"order":"trust"}`, contact + " " + followed + " " + stranger},
		{"/api/v1/feed", `{"filter":{"kinds":[1],"limit":1},"order":"trust"}`, contact},
		{"/api/v1/search?q=water&order=trust", "", contact + " " + followed + " " + stranger},
		{"/api/v1/search?q=water&order=time", "", stranger + " " + followed + " " + contact},
	} {
		if got := trusts(c.path, c.body); got != c.want {
			t.Errorf("%s %s:\n got %s\nwant %s", c.path, c.body, got, c.want)
		}
	}

	// The trust of keys given by hex or npub, by hex key.
	resp := authed(t, "POST", srv.URL+"/api/v1/trust", strings.NewReader(`{"pubkeys":["`+ann.Public+`","`+keys.PublicKey(s.Public).NPub()+`"]}`), nil)
	b, _ := io.ReadAll(resp.Body)
	want := `{"` + ann.Public + `":` + contact + `,"` + s.Public + `":` + stranger + "}\n"
	if s.Public < ann.Public { // encoding/json sorts the keys
		want = `{"` + s.Public + `":` + stranger + `,"` + ann.Public + `":` + contact + "}\n"
	}
	if string(b) != want {
		t.Errorf("trust: %s\nwant %s", b, want)
	}

	// The client decodes the same.
	items, err := Call(ctx, c, Feed, FeedOf(nostr.Filter{Kinds: []int{1}}, node.ByTrust))
	if err != nil || len(items) != 3 || items[0].Event.PubKey != ann.Public || items[1].Trust != (node.Trust{Level: node.TrustFollowed, FollowedBy: 2}) {
		t.Fatalf("client feed: %+v %v", items, err)
	}
	ts, err := Call(ctx, c, Trust, TrustRequest{PubKeys: []string{x.Public}})
	if err != nil || ts[x.Public].String() != "followed by 2 contacts" {
		t.Fatalf("client trust: %+v %v", ts, err)
	}

	// Mistakes are the caller's.
	var ae *Error
	for _, bad := range []func() error{
		func() error { _, err := Call(ctx, c, Feed, FeedOf(nostr.Filter{}, "rank")); return err },
		func() error {
			_, err := Call(ctx, c, Reports, ReportsRequest{Lang: "", Author: "", Limit: 0, Order: "best"})
			return err
		},
		func() error {
			_, err := Call(ctx, c, Search, SearchRequest{Q: "water", Kinds: nil, Limit: 0, Open: "", Close: "", Order: "newest"})
			return err
		},
		func() error { _, err := Call(ctx, c, Trust, TrustRequest{PubKeys: []string{"npub1nope"}}); return err },
	} {
		if err := bad(); !errors.As(err, &ae) || ae.Code != CodeInvalid {
			t.Errorf("want an invalid request, got %v", err)
		}
	}
	if resp := authed(t, "POST", srv.URL+"/api/v1/feed", strings.NewReader(`{"filter":{"kinds":"x"}}`), nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a bad filter: %d", resp.StatusCode)
	}
}
