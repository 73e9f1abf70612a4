package reports

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/store"
	"github.com/nbd-wtf/go-nostr"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// trustWorld is a node whose identity "me" follows ann and bob; ann
// follows x and y, bob follows x. s is a stranger.
type trustWorld struct {
	n                 *node.Node
	r                 *Service
	ann, bob, x, y, s evtest.Key
}

func newTrustWorld(t *testing.T) *trustWorld {
	t.Helper()
	w := &trustWorld{n: nodetest.Open(t, node.Options{Now: func() time.Time { return t0 }, Config: &node.Config{}})}
	w.r = New(w.n)
	ctx := context.Background()
	if _, err := w.n.NewIdentity("me", "", true); err != nil {
		t.Fatal(err)
	}
	w.ann, w.bob, w.x, w.y, w.s = evtest.NewKey("ann"), evtest.NewKey("bob"), evtest.NewKey("x"), evtest.NewKey("y"), evtest.NewKey("s")
	// me follows ann and bob, as 'caravan follow' would publish it.
	if _, err := w.n.Publish(ctx, "", &nostr.Event{Kind: event.KindFollowList, Tags: nostr.Tags{{"p", w.ann.Public}, {"p", w.bob.Public}}}); err != nil {
		t.Fatal(err)
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
		f    Filter
		want string
	}{
		{Filter{}, "From s (stranger), From x (followed by 2 contacts), From ann (contact)"},
		{Filter{Limit: 1}, "From s (stranger)"},
		{Filter{Order: node.ByTrust}, "From ann (contact), From x (followed by 2 contacts), From s (stranger)"},
		{Filter{Order: node.ByTrust, Limit: 1}, "From ann (contact)"},
		{Filter{Order: node.ByTrust, Lang: "ru"}, "From ann (contact)"},
		{Filter{Order: node.ByTrust, Author: w.s.Public}, "From s (stranger)"},
	} {
		rs, err := w.r.List(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		if got := titles(rs); got != c.want {
			t.Errorf("%+v: %s\nwant %s", c.f, got, c.want)
		}
		if c.f.Order == node.ByTrust && c.f.Limit == 0 && c.f.Author == "" {
			if got := titles(rs[0].Translations); got != "bob ru (contact), s ru (stranger)" {
				t.Errorf("translations: %s", got)
			}
		}
	}
	r, err := w.r.Read(ctx, Naddr(w.ann.Public, "a"), "ru", "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Title != "bob ru" || r.Trust.Level != node.TrustContact {
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
		order node.Order
		limit int
		want  string
	}{
		{node.ByTrust, 0, "contact followed by 1 contact stranger"},
		{node.ByTrust, 1, "contact"}, // chosen from more than the best match
		{node.ByTime, 0, "stranger contact followed by 1 contact"},
		{"", 1, "stranger"}, // "water" twice
	} {
		hs, err := w.r.Search(ctx, "water", store.SearchOptions{Limit: c.limit}, c.order)
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
