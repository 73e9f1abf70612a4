package node

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/policy"
)

// trustWorld is a node whose identity "me" follows ann and bob; ann
// follows x and y, bob follows x. s is a stranger.
type trustWorld struct {
	n                 *Node
	me                string
	ann, bob, x, y, s evtest.Key
}

func newTrustWorld(t *testing.T) *trustWorld {
	t.Helper()
	w := &trustWorld{n: openTest(t, Config{})}
	ctx := context.Background()
	id, err := w.n.kr.New("me", "", true)
	if err != nil {
		t.Fatal(err)
	}
	w.me = id.PubKey.Hex()
	w.ann, w.bob, w.x, w.y, w.s = evtest.NewKey("ann"), evtest.NewKey("bob"), evtest.NewKey("x"), evtest.NewKey("y"), evtest.NewKey("s")
	for _, k := range []evtest.Key{w.ann, w.bob} {
		if _, err := w.n.Follow(ctx, "", keys.PublicKey(k.Public), "", ""); err != nil {
			t.Fatal(err)
		}
	}
	w.ingest(t, w.ann.Event(3, t0.Unix()-1000, "", nostr.Tag{"p", w.x.Public}, nostr.Tag{"p", w.y.Public}),
		w.bob.Event(3, t0.Unix()-1000, "", nostr.Tag{"p", w.x.Public}))
	return w
}

func (w *trustWorld) ingest(t *testing.T, evs ...*nostr.Event) {
	t.Helper()
	for _, r := range w.n.Ingest(context.Background(), evs...) {
		if !r.OK() {
			t.Fatal(r.Message())
		}
	}
}

func TestTrust(t *testing.T) {
	w := newTrustWorld(t)
	ctx := context.Background()
	cases := []struct {
		who  string
		pk   string
		want Trust
		mark string
	}{
		{"me", w.me, Trust{Level: TrustOwn}, "you"},
		{"ann", w.ann.Public, Trust{Level: TrustContact}, "contact"},
		{"x", w.x.Public, Trust{Level: TrustFollowed, FollowedBy: 2}, "followed by 2 contacts"},
		{"y", w.y.Public, Trust{Level: TrustFollowed, FollowedBy: 1}, "followed by 1 contact"},
		{"s", w.s.Public, Trust{Level: TrustStranger}, "stranger"},
	}
	all := w.n.TrustOf(ctx, []string{w.me, w.ann.Public, w.x.Public, w.y.Public, w.s.Public})
	for _, c := range cases {
		if got := w.n.Trust(ctx, c.pk); got != c.want || got.String() != c.mark || all[c.pk] != c.want {
			t.Errorf("%s: %+v %q (in a batch %+v), want %+v %q", c.who, got, got, all[c.pk], c.want, c.mark)
		}
	}
}

func feedNames(w *trustWorld, items []FeedItem) string {
	name := map[string]string{w.me: "me", w.ann.Public: "ann", w.bob.Public: "bob", w.x.Public: "x", w.y.Public: "y", w.s.Public: "s"}
	var out []string
	for _, it := range items {
		out = append(out, name[it.Event.PubKey]+":"+it.Event.Content)
	}
	return strings.Join(out, " ")
}

// A stranger's flood fills the newest page; ranked by trust, the page
// still shows own and contacts' events first, then by followers.
func TestFeedByTrust(t *testing.T) {
	w := newTrustWorld(t)
	ctx := context.Background()
	if _, err := w.n.Publish(ctx, "", &nostr.Event{Kind: 1, Content: "1", CreatedAt: nostr.Timestamp(t0.Unix() - 500)}); err != nil {
		t.Fatal(err)
	}
	w.ingest(t, w.ann.Event(1, t0.Unix()-400, "2"), w.y.Event(1, t0.Unix()-300, "3"), w.x.Event(1, t0.Unix()-200, "4"),
		w.bob.Event(1, t0.Unix()-450, "5"))
	for i := range 30 {
		w.ingest(t, w.s.Event(1, t0.Unix()-100+int64(i), fmt.Sprint("spam", i)))
	}
	notes := nostr.Filter{Kinds: []int{1}, Limit: 6}
	cases := []struct {
		name  string
		f     nostr.Filter
		order Order
		want  string
	}{
		{"newest", notes, "", "s:spam29 s:spam28 s:spam27 s:spam26 s:spam25 s:spam24"},
		{"newest, asked by name", notes, ByTime, "s:spam29 s:spam28 s:spam27 s:spam26 s:spam25 s:spam24"},
		{"by trust", notes, ByTrust, "ann:2 bob:5 me:1 x:4 y:3 s:spam29"},
		{"by trust, one author", nostr.Filter{Kinds: []int{1}, Authors: []string{w.y.Public}}, ByTrust, "y:3"},
		{"by trust, two authors", nostr.Filter{Kinds: []int{1}, Authors: []string{w.s.Public, w.y.Public}, Limit: 2}, ByTrust, "y:3 s:spam29"},
	}
	for _, c := range cases {
		items, err := w.n.Feed(ctx, c.f, c.order)
		if err != nil {
			t.Fatal(err)
		}
		if got := feedNames(w, items); got != c.want {
			t.Errorf("%s: %s\nwant %s", c.name, got, c.want)
		}
	}
	items, _ := w.n.Feed(ctx, notes, ByTrust)
	if items[3].Trust != (Trust{Level: TrustFollowed, FollowedBy: 2}) || items[5].Trust.Level != TrustStranger {
		t.Errorf("marks: %+v", items)
	}
}

// A ranked list asks for the identities and contacts by name, then the
// most followed of the network, within a bound.
func TestRankedAuthors(t *testing.T) {
	g := policy.Graph{Own: map[string]bool{"me": true}, Hop1: map[string]bool{}, Hop2: map[string]bool{}, FollowedBy: map[string]int{}}
	for i := range 600 {
		g.Hop1[fmt.Sprintf("c%04d", i)] = true
	}
	for i := range 3000 {
		k := fmt.Sprintf("n%04d", i)
		g.Hop2[k] = true
		g.FollowedBy[k] = 1 + i%3 // 1000 each of 1, 2 and 3 followers
	}
	groups := rankedAuthors(g, nil)
	var sizes []int
	for _, gr := range groups {
		sizes = append(sizes, len(gr))
	}
	if fmt.Sprint(sizes) != "[500 101 500 500 500 500]" {
		t.Fatalf("groups of %v", sizes)
	}
	if groups[0][0] != "c0000" || groups[1][100] != "me" {
		t.Errorf("contacts: %v ... %v", groups[0][:2], groups[1][99:])
	}
	for i, k := range slices.Concat(groups[2:]...) {
		if want := 3 - i/1000; g.FollowedBy[k] != want {
			t.Fatalf("network %d: %s followed by %d, want %d", i, k, g.FollowedBy[k], want)
		}
	}
	only := rankedAuthors(g, []string{"n0002", "c0001", "stranger"})
	if fmt.Sprint(only) != "[[c0001] [n0002]]" {
		t.Errorf("limited to three keys: %v", only)
	}
}
