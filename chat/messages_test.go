package chat

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/evtest"
	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/keys"
	"github.com/nbd-wtf/go-nostr"
)

// person opens a node with one identity (see nodetest.Person) and its
// private messages.
func person(t *testing.T, name, pass string) *Service {
	t.Helper()
	return New(nodetest.Person(t, name, pass))
}

func pk(t *testing.T, s *Service) string {
	t.Helper()
	return nodetest.PubKey(t, s.n)
}

func meet(t *testing.T, a, b *Service) {
	t.Helper()
	nodetest.Meet(t, a.n, b.n)
}

func chat(t *testing.T, n *Service, with string) []Message {
	t.Helper()
	_, ms, err := n.Chat(context.Background(), "", with, false)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// A writes to C; B, a stranger to both, carries it. The three are never
// online together: A meets B, later B meets C, later C's receipt travels
// back the same way. B learns only that wraps for some keys exist.
func TestStoreAndForwardThroughAStranger(t *testing.T) {
	ctx := context.Background()
	a, b, c := person(t, "aigerim", ""), person(t, "bolat", ""), person(t, "chingiz", "")
	sent, err := a.Send(ctx, "", []string{pk(t, c)}, "The square is blocked; meet at the library", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if sent.State != Queued || len(sent.Wraps) != 2 {
		t.Fatalf("sent: %+v", sent)
	}

	meet(t, a, b)
	if got := chat(t, a, pk(t, c)); len(got) != 1 || got[0].State != Carried {
		t.Fatalf("after A met B, A sees %+v; want carried", got)
	}
	// B holds the wraps, and can read nothing in them.
	wraps, _ := nodetest.Store(b.n).QueryEvents(ctx, nostr.Filter{Kinds: []int{1059}}, 100)
	if len(wraps) == 0 {
		t.Fatal("B carries nothing")
	}
	for _, w := range wraps {
		if strings.Contains(w.Content, "library") || w.PubKey == pk(t, a) {
			t.Fatal("a wrap shows its content or its sender")
		}
	}
	if convs, _ := b.Inbox(ctx, ""); len(convs) != 0 {
		t.Fatalf("B reads %d conversations it was not part of", len(convs))
	}

	meet(t, b, c)
	got := chat(t, c, pk(t, a))
	if len(got) != 1 || got[0].Text != sent.Text || got[0].From != pk(t, a) || got[0].Outgoing {
		t.Fatalf("C sees %+v", got)
	}
	inbox, _ := c.Inbox(ctx, "")
	if len(inbox) != 1 || inbox[0].Unread != 1 {
		t.Fatalf("C's inbox: %+v", inbox)
	}
	// C's node sent a receipt; it goes back through B.
	meet(t, c, b)
	meet(t, b, a)
	if got := chat(t, a, pk(t, c)); got[0].State != Delivered || got[0].DeliveredTo[0] != pk(t, c) {
		t.Fatalf("A sees %+v; want delivered", got[0])
	}
}

func TestLockedNodeCarriesThenReadsOnUnlock(t *testing.T) {
	ctx := context.Background()
	a, c := person(t, "a", ""), person(t, "c", "the passphrase")
	c.n.Lock()
	a.Send(ctx, "", []string{pk(t, c)}, "hello while you sleep", "", nil)
	meet(t, a, c)
	if _, err := c.Inbox(ctx, ""); !errors.Is(err, keys.ErrLocked) {
		t.Fatalf("locked inbox: %v", err)
	}
	if _, err := c.n.Unlock("", "the passphrase"); err != nil {
		t.Fatal(err)
	}
	if got := chat(t, c, pk(t, a)); len(got) != 1 || got[0].Text != "hello while you sleep" {
		t.Fatalf("after unlock: %+v", got)
	}
}

func TestReceiptsCanBeTurnedOff(t *testing.T) {
	ctx := context.Background()
	a, c := person(t, "a", ""), person(t, "c", "")
	c.SetReceipts(ctx, "", false)
	a.Send(ctx, "", []string{pk(t, c)}, "no receipt please", "", nil)
	meet(t, a, c)
	meet(t, c, a)
	if got := chat(t, a, pk(t, c)); got[0].State != Carried {
		t.Fatalf("state %s, want carried (no receipt)", got[0].State)
	}
}

func TestGroupMessages(t *testing.T) {
	ctx := context.Background()
	a := person(t, "a", "")
	others := []*Service{person(t, "b", ""), person(t, "c", ""), person(t, "d", "")}
	var keysOf []string
	for _, o := range others {
		keysOf = append(keysOf, pk(t, o))
	}
	g, err := a.NewGroup(ctx, "", "Zhanaozen medics", keysOf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Send(ctx, "", g.Members, "bandages at the mosque", g.Name, nil); err != nil {
		t.Fatal(err)
	}
	for _, o := range others {
		meet(t, a, o)
		convs, _ := o.Inbox(ctx, "")
		if len(convs) != 1 || convs[0].Title != "Zhanaozen medics" || convs[0].Total != 2 || len(convs[0].Members) != 4 {
			t.Fatalf("member inbox: %+v", convs)
		}
	}
	// Removing a member: the next message does not reach them.
	if _, err := a.ChangeGroup(ctx, "", "Zhanaozen medics", nil, []string{keysOf[2]}); err != nil {
		t.Fatal(err)
	}
	a.Send(ctx, "", []string{keysOf[0], keysOf[1]}, "new plan", "Zhanaozen medics", nil)
	meet(t, a, others[2])
	for _, c := range mustInbox(t, others[2]) {
		if c.Last.Text == "new plan" {
			t.Fatal("a removed member got the next message")
		}
	}
}

func mustInbox(t *testing.T, n *Service) []Conversation {
	cs, err := n.Inbox(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestImpersonationWarning(t *testing.T) {
	ctx := context.Background()
	me, friend, mallory := person(t, "me", ""), person(t, "friend", ""), person(t, "mallory", "")
	if _, err := me.AddContact(ctx, "", keys.PublicKey(pk(t, friend)), "Aigerim", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := me.VerifyContact(ctx, "", keys.PublicKey(pk(t, friend))); err != nil {
		t.Fatal(err)
	}
	// Mallory calls herself Aigerim in her profile, and writes.
	mallory.n.Publish(ctx, "", &nostr.Event{Kind: 0, Content: `{"name":"aigerim "}`})
	mallory.Send(ctx, "", []string{pk(t, me)}, "it's me, send the list", "", nil)
	friend.Send(ctx, "", []string{pk(t, me)}, "the real one", "", nil)
	meet(t, mallory, me)
	meet(t, friend, me)
	if got := chat(t, me, pk(t, mallory)); !strings.Contains(got[0].Warning, "not them") {
		t.Fatalf("no warning on the impostor: %+v", got[0])
	}
	if got := chat(t, me, "Aigerim"); got[0].Warning != "" || got[0].Text != "the real one" {
		t.Fatalf("the real contact: %+v", got[0])
	}
}

func TestHostileWrapsAreDropped(t *testing.T) {
	ctx := context.Background()
	me := person(t, "me", "")
	k := evtest.NewKey("junk")
	// Wraps addressed to me that are not sealed messages at all.
	junk := []*nostr.Event{
		k.Event(1059, time.Now().Unix(), "not even base64", nostr.Tag{"p", pk(t, me)}),
		k.Event(1059, time.Now().Unix(), strings.Repeat("A", 200), nostr.Tag{"p", pk(t, me)}),
	}
	for _, r := range me.n.Ingest(ctx, junk...) {
		if !r.OK() {
			t.Fatal(r.Message()) // carried like any wrap
		}
	}
	n, err := me.ReadBacklog(ctx, "")
	if err != nil || n != 0 {
		t.Fatalf("opened %d junk wraps: %v", n, err)
	}
	if cs := mustInbox(t, me); len(cs) != 0 {
		t.Fatalf("junk shown as messages: %+v", cs)
	}
	// A replayed wrap is one message, not two.
	a := person(t, "a", "")
	a.Send(ctx, "", []string{pk(t, me)}, "once", "", nil)
	meet(t, a, me)
	wraps, _ := nodetest.Store(me.n).QueryEvents(ctx, nostr.Filter{Kinds: []int{1059}, Tags: nostr.TagMap{"p": {pk(t, me)}}}, 10)
	for _, w := range wraps {
		me.openWrap(ctx, "me", w)
	}
	if got := chat(t, me, pk(t, a)); len(got) != 1 {
		t.Fatalf("%d copies of one message", len(got))
	}
}

// Nothing readable of a conversation is on disk: not in the store's
// database, not in its write-ahead log.
func TestNoPlaintextAtRest(t *testing.T) {
	ctx := context.Background()
	a, c := person(t, "a", "passphrase a"), person(t, "c", "passphrase c")
	secret := "the-meeting-is-at-the-old-library"
	if _, err := a.AddContact(ctx, "", keys.PublicKey(pk(t, c)), "Chingiz-the-medic", ""); err != nil {
		t.Fatal(err)
	}
	a.Send(ctx, "", []string{pk(t, c)}, secret, "", nil)
	meet(t, a, c)
	if got := chat(t, c, pk(t, a)); len(got) != 1 {
		t.Fatal("not delivered")
	}
	for _, n := range []*Service{a, c} {
		for _, f := range []string{"events.db", "events.db-wal"} {
			b, _ := os.ReadFile(filepath.Join(n.n.Dir, f))
			for _, word := range []string{secret, "Chingiz-the-medic"} {
				if bytes.Contains(b, []byte(word)) {
					t.Fatalf("%q is readable in %s", word, f)
				}
			}
		}
	}
}
