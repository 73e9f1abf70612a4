package node

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/policy"
	"github.com/caravan-mesh/caravan/store"
	"github.com/nbd-wtf/go-nostr"
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
	id, err := w.n.Keys.New("me", "", true)
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

func report(k evtest.Key, at int64, d, title, lang string, extra ...nostr.Tag) *nostr.Event {
	tags := append([]nostr.Tag{{"d", d}, {"title", title}, {"L", LangNamespace}, {"l", lang, LangNamespace}}, extra...)
	return k.Event(event.KindReport, at, "text of "+title, tags...)
}

// Reports rank as the feed does, and within a language the translation
// by the more trusted translator comes first, even when older.
func TestReportsByTrust(t *testing.T) {
	w := newTrustWorld(t)
	ctx := context.Background()
	orig := report(w.ann, t0.Unix()-300, "a", "From ann", "es")
	addr := fmt.Sprintf("%d:%s:a", event.KindReport, w.ann.Public)
	of := []nostr.Tag{{"a", addr, "", TranslationMarker}, {"e", orig.ID, "", TranslationMarker}, {"p", w.ann.Public}}
	w.ingest(t, orig,
		report(w.s, t0.Unix()-100, "s", "From s", "es"),
		report(w.x, t0.Unix()-200, "x", "From x", "es"),
		report(w.s, t0.Unix()-50, "t1", "s ru", "ru", of...),
		report(w.bob, t0.Unix()-150, "t2", "bob ru", "ru", of...))
	titles := func(rs []Report) string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Title+" ("+r.Trust.String()+")")
		}
		return strings.Join(out, ", ")
	}
	for _, c := range []struct {
		f    ReportFilter
		want string
	}{
		{ReportFilter{}, "From s (stranger), From x (followed by 2 contacts), From ann (contact)"},
		{ReportFilter{Limit: 1}, "From s (stranger)"},
		{ReportFilter{Order: ByTrust}, "From ann (contact), From x (followed by 2 contacts), From s (stranger)"},
		{ReportFilter{Order: ByTrust, Limit: 1}, "From ann (contact)"},
		{ReportFilter{Order: ByTrust, Lang: "ru"}, "From ann (contact)"},
		{ReportFilter{Order: ByTrust, Author: w.s.Public}, "From s (stranger)"},
	} {
		rs, err := w.n.Reports(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		if got := titles(rs); got != c.want {
			t.Errorf("%+v: %s\nwant %s", c.f, got, c.want)
		}
		if c.f.Order == ByTrust && c.f.Limit == 0 && c.f.Author == "" {
			if got := titles(rs[0].Translations); got != "bob ru (contact), s ru (stranger)" {
				t.Errorf("translations: %s", got)
			}
		}
	}
	r, err := w.n.ReadReport(ctx, Naddr(w.ann.Public, "a"), "ru", "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Title != "bob ru" || r.Trust.Level != TrustContact {
		t.Errorf("read in Russian: %q by %+v, want bob's translation", r.Title, r.Trust)
	}
}

func TestSearchByTrust(t *testing.T) {
	w := newTrustWorld(t)
	ctx := context.Background()
	w.ingest(t, w.s.Event(1, t0.Unix()-10, "water at the square, water everywhere"),
		w.y.Event(1, t0.Unix()-30, "water at the bridge"),
		w.ann.Event(1, t0.Unix()-20, "no water at the station"))
	for _, c := range []struct {
		order Order
		limit int
		want  string
	}{
		{ByTrust, 0, "contact followed by 1 contact stranger"},
		{ByTrust, 1, "contact"}, // chosen from more than the best match
		{ByTime, 0, "stranger contact followed by 1 contact"},
		{"", 1, "stranger"}, // "water" twice
	} {
		hs, err := w.n.Search(ctx, "water", store.SearchOptions{Limit: c.limit}, c.order)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range hs {
			got = append(got, h.Trust.String())
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%q, limit %d: %q, want %q", c.order, c.limit, got, c.want)
		}
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
