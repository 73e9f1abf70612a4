package node

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/keys"
)

// published is identity as's newest follow list as its JSON goes out.
func published(t *testing.T, n *Node, as string) string {
	t.Helper()
	ev, err := n.ContactList(context.Background(), as)
	if err != nil || ev == nil {
		t.Fatalf("follow list: %v %v", ev, err)
	}
	b, _ := ev.MarshalJSON()
	return string(b)
}

func contactNamed(t *testing.T, n *Node, pk keys.PublicKey) Contact {
	t.Helper()
	cs, err := n.Contacts(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.PubKey == pk {
			return c
		}
	}
	t.Fatalf("%s is not followed: %+v", pk.Short(), cs)
	return Contact{}
}

// The names a user gives the people they follow stay on the device; only
// a name chosen to be public goes into the follow list.
func TestFollowListCarriesNoNames(t *testing.T) {
	n := openTest(t, Config{})
	n.kr.New("me", "", true)
	a, b := keys.PublicKey(evtest.NewKey("a").Public), keys.PublicKey(evtest.NewKey("b").Public)
	ctx := context.Background()
	if _, err := n.Follow(ctx, "", a, "ws://10.1.1.1:7447", "Aigerim Secretname"); err != nil {
		t.Fatal(err)
	}
	if js := published(t, n, ""); strings.Contains(js, "Secretname") {
		t.Fatalf("the follow list publishes the private name: %s", js)
	}
	ev, _ := n.ContactList(ctx, "")
	if want := (nostr.Tags{{"p", a.Hex(), "ws://10.1.1.1:7447"}}); !slices.EqualFunc(ev.Tags, want, slices.Equal) {
		t.Fatalf("tags %v, want %v", ev.Tags, want)
	}
	if c := contactNamed(t, n, a); c.Petname != "Aigerim Secretname" || c.PublicName != "" {
		t.Fatalf("contact: %+v", c)
	}
	if pk, err := n.Resolve(ctx, "", "aigerim secretname"); err != nil || pk != a {
		t.Fatalf("resolve the private name: %v %v", pk, err)
	}

	// The user chooses to publish a name: it is there, the other is not.
	if _, err := n.FollowWithPublicName(ctx, "", b, "", "", "Bolat"); err != nil {
		t.Fatal(err)
	}
	js := published(t, n, "")
	if !strings.Contains(js, `["p","`+b.Hex()+`","","Bolat"]`) || strings.Contains(js, "Secretname") {
		t.Fatalf("follow list: %s", js)
	}
	if c := contactNamed(t, n, b); c.Petname != "Bolat" || c.PublicName != "Bolat" {
		t.Fatalf("contact: %+v", c)
	}
	// Following again without the choice takes the name out of the list
	// and keeps it here; a new private name replaces the kept one.
	if _, err := n.Follow(ctx, "", b, "", ""); err != nil {
		t.Fatal(err)
	}
	if js := published(t, n, ""); strings.Contains(js, "Bolat") {
		t.Fatalf("the name is still published: %s", js)
	}
	if c := contactNamed(t, n, b); c.Petname != "Bolat" || c.PublicName != "" {
		t.Fatalf("contact: %+v", c)
	}
	// Unfollowing forgets the name kept for them.
	if _, err := n.Unfollow(ctx, "", a); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Follow(ctx, "", a, "", ""); err != nil {
		t.Fatal(err)
	}
	if c := contactNamed(t, n, a); c.Petname != "" {
		t.Fatalf("the name outlived the unfollow: %+v", c)
	}
}

// oldList publishes, as an older Caravan did, a follow list whose entries
// carry the names the user gave, and returns the keys.
func oldList(t *testing.T, n *Node) (a, b keys.PublicKey) {
	t.Helper()
	a, b = keys.PublicKey(evtest.NewKey("a").Public), keys.PublicKey(evtest.NewKey("b").Public)
	ev := &nostr.Event{Kind: event.KindFollowList, Tags: nostr.Tags{
		{"p", a.Hex(), "", "Aigerim Secretname"},
		{"p", b.Hex(), "ws://10.1.1.1:7447", "Bolat", "something after"},
		{"t", "water"},
	}}
	if _, err := n.Publish(context.Background(), "", ev); err != nil {
		t.Fatal(err)
	}
	return a, b
}

// cleanList checks that identity's follow list is the old one without its
// names, and that the names are still known here.
func cleanList(t *testing.T, n *Node, a, b keys.PublicKey) {
	t.Helper()
	ev, err := n.ContactList(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	want := nostr.Tags{{"p", a.Hex()}, {"p", b.Hex(), "ws://10.1.1.1:7447"}, {"t", "water"}}
	if !slices.EqualFunc(ev.Tags, want, slices.Equal) {
		t.Fatalf("follow list tags %v, want %v", ev.Tags, want)
	}
	if c := contactNamed(t, n, a); c.Petname != "Aigerim Secretname" || c.PublicName != "" {
		t.Fatalf("contact a: %+v", c)
	}
	if c := contactNamed(t, n, b); c.Petname != "Bolat" || c.PublicName != "" {
		t.Fatalf("contact b: %+v", c)
	}
}

// A follow list an older version published with private names goes out
// again without them at the next unlock; the names stay on the device.
func TestOldFollowListLosesNamesAtUnlock(t *testing.T) {
	n := openTest(t, Config{})
	n.kr.New("me", "pw", false)
	a, b := oldList(t, n)
	n.Lock()
	if _, err := n.Unlock("", "pw"); err != nil {
		t.Fatal(err)
	}
	cleanList(t, n, a, b)
	st, _ := n.st.Stats(context.Background())
	if st.ByKind[event.KindFollowList] != 1 {
		t.Fatalf("%d follow lists stored, want 1", st.ByKind[event.KindFollowList])
	}
	// Clean now: the next unlock publishes nothing.
	id := published(t, n, "")
	n.Lock()
	n.Unlock("", "pw")
	if again := published(t, n, ""); again != id {
		t.Fatalf("a clean list was published again:\n%s\n%s", id, again)
	}
	// A name the user chose to publish is left where it is.
	n.FollowWithPublicName(context.Background(), "", a, "", "", "Aika")
	id = published(t, n, "")
	n.Lock()
	n.Unlock("", "pw")
	if again := published(t, n, ""); again != id || !strings.Contains(again, `"Aika"`) {
		t.Fatalf("the chosen public name changed:\n%s\n%s", id, again)
	}
}

// ... and at the next follow or unfollow.
func TestOldFollowListLosesNamesAtNextEdit(t *testing.T) {
	n := openTest(t, Config{})
	n.kr.New("me", "", true)
	a, b := oldList(t, n)
	c := keys.PublicKey(evtest.NewKey("c").Public)
	if _, err := n.Follow(context.Background(), "", c, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Unfollow(context.Background(), "", c); err != nil {
		t.Fatal(err)
	}
	cleanList(t, n, a, b)
}

// ... and when the node starts serving, before anything is served, for an
// identity that is never unlocked because it has no passphrase.
func TestOldFollowListLosesNamesAtServe(t *testing.T) {
	n := openTest(t, Config{})
	n.kr.New("me", "", true)
	a, b := oldList(t, n)
	listen := func() net.Listener {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- n.Serve(ctx, ServeOptions{Relay: listen(), API: listen(), Token: "t", NoLAN: true,
			Ready: func(Runtime) { cancel() }})
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	cleanList(t, n, a, b)
}

func TestScrub(t *testing.T) {
	a, b := evtest.NewKey("a").Public, evtest.NewKey("b").Public
	cases := []struct {
		name        string
		tags        nostr.Tags
		names, want followNames
		out         nostr.Tags
		changed     bool
	}{
		{"no names", nostr.Tags{{"p", a}, {"p", b, "ws://r"}}, followNames{}, followNames{},
			nostr.Tags{{"p", a}, {"p", b, "ws://r"}}, false},
		{"empty parts", nostr.Tags{{"p", a, "", ""}}, followNames{}, followNames{},
			nostr.Tags{{"p", a}}, false},
		{"a name nobody chose", nostr.Tags{{"p", a, "", "Secret"}}, followNames{}, followNames{a: {Name: "Secret"}},
			nostr.Tags{{"p", a}}, true},
		{"the local name wins", nostr.Tags{{"p", a, "", "Other"}}, followNames{a: {Name: "Mine"}}, followNames{a: {Name: "Mine"}},
			nostr.Tags{{"p", a}}, true},
		{"a chosen name", nostr.Tags{{"p", a, "", "Pub"}}, followNames{a: {Name: "Pub", Public: "Pub"}}, followNames{a: {Name: "Pub", Public: "Pub"}},
			nostr.Tags{{"p", a, "", "Pub"}}, false},
		{"a chosen name, changed elsewhere", nostr.Tags{{"p", a, "", "New"}}, followNames{a: {Name: "Pub", Public: "Pub"}}, followNames{a: {Name: "Pub"}},
			nostr.Tags{{"p", a}}, true},
		{"a chosen name, taken out elsewhere", nostr.Tags{{"p", a}}, followNames{a: {Name: "Pub", Public: "Pub"}}, followNames{a: {Name: "Pub"}},
			nostr.Tags{{"p", a}}, false},
		{"more after the name", nostr.Tags{{"p", a, "", "", "x"}}, followNames{}, followNames{},
			nostr.Tags{{"p", a}}, true},
		{"a junk key's name", nostr.Tags{{"p", "junk", "", "Secret"}}, followNames{}, followNames{},
			nostr.Tags{{"p", "junk"}}, true},
		{"other tags", nostr.Tags{{"t", "water", "x", "y"}, {"p"}}, followNames{}, followNames{},
			nostr.Tags{{"t", "water", "x", "y"}, {"p"}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, changed := scrub(c.tags, c.names)
			if !slices.EqualFunc(out, c.out, slices.Equal) || changed != c.changed {
				t.Errorf("scrub = %v, %v; want %v, %v", out, changed, c.out, c.changed)
			}
			if len(c.names) != len(c.want) {
				t.Fatalf("names %v, want %v", c.names, c.want)
			}
			for k, v := range c.want {
				if c.names[k] != v {
					t.Errorf("names %v, want %v", c.names, c.want)
				}
			}
		})
	}
}
