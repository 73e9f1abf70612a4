package node

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/caravan-mesh/caravan/policy"
)

func TestPolicyAdmission(t *testing.T) {
	n := openTest(t, Config{Policy: policy.Config{
		Strangers: policy.Cap{Events: 3, Bytes: 1 << 20},
		Wraps:     policy.Cap{Events: 2, Bytes: 1 << 20},
	}})
	ctx := context.Background()
	me, _ := n.kr.New("me", "", true)
	friend, fof, stranger := evtest.NewKey("friend"), evtest.NewKey("fof"), evtest.NewKey("stranger")
	if _, err := n.Follow(ctx, "", keys.PublicKey(friend.Public), "", "friend"); err != nil {
		t.Fatal(err)
	}
	// friend follows fof: two hops.
	n.Ingest(ctx, friend.Event(3, t0.Unix()-100, "", nostr.Tag{"p", fof.Public}))

	ok := func(ev *nostr.Event) string {
		r := n.Ingest(ctx, ev)[0]
		if r.OK() {
			return "ok"
		}
		return r.Message()
	}
	for i := 0; i < 5; i++ {
		if got := ok(friend.Event(1, t0.Unix()-int64(i), fmt.Sprint("friend ", i))); got != "ok" {
			t.Fatalf("contact's event refused: %s", got)
		}
		if got := ok(fof.Event(1, t0.Unix()-int64(i), fmt.Sprint("fof ", i))); got != "ok" {
			t.Fatalf("contact's contact's event refused: %s", got)
		}
		if got := ok(stranger.Event(30023, t0.Unix()-int64(i), "report", nostr.Tag{"d", fmt.Sprint(i)})); got != "ok" {
			t.Fatalf("stranger's report refused: %s", got)
		}
	}
	// Strangers' notes: three fit, the fourth does not.
	for i := 0; i < 4; i++ {
		got := ok(stranger.Event(1, t0.Unix()-int64(i), fmt.Sprint("spam ", i)))
		if (i < 3) != (got == "ok") {
			t.Fatalf("stranger note %d: %s", i, got)
		}
		if i == 3 && !strings.HasPrefix(got, "blocked:") {
			t.Fatalf("over quota: %q, want blocked:", got)
		}
	}
	// Wraps for others: two fit; wraps for me and my contacts always do.
	for i := 0; i < 3; i++ {
		got := ok(evtest.NewKey(fmt.Sprint("w", i)).Event(1059, t0.Unix(), "sealed", nostr.Tag{"p", stranger.Public}))
		if (i < 2) != (got == "ok") {
			t.Fatalf("wrap for a stranger %d: %s", i, got)
		}
	}
	for _, to := range []string{me.PubKey.Hex(), friend.Public} {
		if got := ok(evtest.NewKey("x"+to[:4]).Event(1059, t0.Unix(), "sealed", nostr.Tag{"p", to})); got != "ok" {
			t.Fatalf("wrap for us refused: %s", got)
		}
	}
	// Own events are always taken; someone else's drafts never.
	for i := 0; i < 10; i++ {
		if _, err := n.Publish(ctx, "", &nostr.Event{Kind: 1, Content: fmt.Sprint("mine ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := ok(friend.Event(30024, t0.Unix(), "draft", nostr.Tag{"d", "x"})); !strings.Contains(got, "drafts") {
		t.Fatalf("someone's draft: %s", got)
	}
	u := n.pol.Usage()
	if u.Strangers.Events != 3 || u.Wraps.Events != 2 {
		t.Fatalf("usage %+v", u)
	}
}

func TestWantsFollowPolicy(t *testing.T) {
	n := openTest(t, Config{})
	ctx := context.Background()
	me, _ := n.kr.New("me", "", true)
	friend := evtest.NewKey("friend")
	n.Follow(ctx, "", keys.PublicKey(friend.Public), "", "")
	ws := n.Wants(ctx)
	var names []string
	for _, w := range ws {
		names = append(names, w.Class.String())
	}
	want := []policy.Class{policy.Own, policy.WrapForUs, policy.Report, policy.Deletion, policy.Contact, policy.Wrap, policy.Stranger}
	if len(ws) != len(want) {
		t.Fatalf("wants %v", names)
	}
	for i, c := range want {
		if ws[i].Class != c {
			t.Fatalf("wants in order %v, want %v", names, want)
		}
	}
	if ws[0].Filter.Authors[0] != me.PubKey.Hex() || ws[4].Filter.Authors[0] != friend.Public {
		t.Fatalf("filters: %+v", ws)
	}
	// Public relays get the user's own events and the public reports the
	// node carries, and nothing else; with no_relay_reports, only the own.
	pushes := func() (classes []policy.Class) {
		for _, w := range n.RelayWants(ctx) {
			if w.Push {
				classes = append(classes, w.Class)
				if w.Class == policy.Report && !slices.Equal(w.Filter.Kinds, []int{30023}) || w.Class == policy.Report && w.Pull {
					t.Fatalf("the reports want pushes %v, pull %v", w.Filter, w.Pull)
				}
			}
		}
		return classes
	}
	if got := pushes(); !slices.Equal(got, []policy.Class{policy.Own, policy.Report}) {
		t.Fatalf("would push %v to a public relay", got)
	}
	cfg := n.pol.Config()
	cfg.NoRelayReports = true
	n.pol.SetConfig(cfg)
	if got := pushes(); !slices.Equal(got, []policy.Class{policy.Own}) {
		t.Fatalf("with no_relay_reports, would push %v to a public relay", got)
	}
	cfg.NoRelayReports = false
	n.pol.SetConfig(cfg)

	// A contact kept only in a private address book (a feature's, through
	// OnHiddenFollows) is carried like any contact, but never named to a
	// public relay.
	secret := evtest.NewKey("secret friend")
	n.OnHiddenFollows(func(context.Context) []string { return []string{secret.Public} })
	named := func(ws []policy.Want) bool {
		for _, w := range ws {
			if slices.Contains(w.Filter.Authors, secret.Public) {
				return true
			}
		}
		return false
	}
	if !named(n.Wants(ctx)) {
		t.Error("a private contact's events are not asked of peers")
	}
	if named(n.RelayWants(ctx)) {
		t.Error("a private contact is named to public relays")
	}
	if !slices.ContainsFunc(n.RelayWants(ctx), func(w policy.Want) bool { return slices.Contains(w.Filter.Authors, friend.Public) }) {
		t.Error("the public follow is no longer asked of relays")
	}
}

// The graph counts, for each person, the distinct contacts who follow
// them, and follows changes to the contacts' lists.
func TestFollowerCounts(t *testing.T) {
	n := openTest(t, Config{})
	ctx := context.Background()
	me, _ := n.kr.New("me", "", true)
	ann, bob, carol := evtest.NewKey("ann"), evtest.NewKey("bob"), evtest.NewKey("carol")
	x, y, z := evtest.NewKey("x").Public, evtest.NewKey("y").Public, evtest.NewKey("z").Public
	for _, k := range []evtest.Key{ann, bob} {
		if _, err := n.Follow(ctx, "", keys.PublicKey(k.Public), "", ""); err != nil {
			t.Fatal(err)
		}
	}
	// carol is a contact only in a private address book.
	n.OnHiddenFollows(func(context.Context) []string { return []string{carol.Public} })
	list := func(k evtest.Key, at int64, follows ...string) {
		t.Helper()
		var tags []nostr.Tag
		for _, f := range follows {
			tags = append(tags, nostr.Tag{"p", f})
		}
		if r := n.Ingest(ctx, k.Event(3, at, "", tags...))[0]; !r.OK() {
			t.Fatal(r.Message())
		}
	}
	// ann names x twice, herself and me; bob names x, y and ann; carol z.
	list(ann, t0.Unix()-100, x, y[:10], x, ann.Public, me.PubKey.Hex())
	list(bob, t0.Unix()-100, x, y, ann.Public)
	list(carol, t0.Unix()-100, z)
	counts := func() map[string]int {
		n.refreshGraph(ctx)
		g := n.pol.Graph()
		out := map[string]int{}
		for k, name := range map[string]string{x: "x", y: "y", z: "z", ann.Public: "ann", bob.Public: "bob", me.PubKey.Hex(): "me"} {
			if c := g.FollowedBy[k]; c > 0 {
				out[name] = c
			}
			if g.Hop2[k] != (g.FollowedBy[k] > 0 && !g.Hop1[k]) {
				t.Errorf("%s: in two hops %v, a contact %v, followed by %d", name, g.Hop2[k], g.Hop1[k], g.FollowedBy[k])
			}
		}
		return out
	}
	check := func(want map[string]int) {
		t.Helper()
		if got := counts(); !maps.Equal(got, want) {
			t.Fatalf("followed by %v, want %v", got, want)
		}
	}
	check(map[string]int{"x": 2, "y": 1, "z": 1, "ann": 1})

	// bob stops following x: x is followed by ann alone.
	list(bob, t0.Unix()-50, y, ann.Public)
	check(map[string]int{"x": 1, "y": 1, "z": 1, "ann": 1})
	// ann follows y too; then ann is no longer a contact, and her list no
	// longer counts.
	list(ann, t0.Unix()-50, x, y)
	check(map[string]int{"x": 1, "y": 2, "z": 1, "ann": 1})
	if _, err := n.Unfollow(ctx, "", keys.PublicKey(ann.Public)); err != nil {
		t.Fatal(err)
	}
	check(map[string]int{"y": 1, "z": 1, "ann": 1}) // bob follows ann
	if n.pol.Graph().Hop1[ann.Public] || !n.pol.Graph().Hop2[ann.Public] {
		t.Fatal("ann is still a contact")
	}

	// One hop only: nobody is counted.
	n.pol.SetConfig(policy.Config{FollowHops: 1})
	n.graphDirty()
	check(map[string]int{})
}
