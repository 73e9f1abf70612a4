package phone_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-mesh/caravan/internal/nodetest"
	"github.com/caravan-mesh/caravan/node"
	"github.com/caravan-mesh/caravan/phone"

	"github.com/caravan-mesh/caravan/event"
	"github.com/caravan-mesh/caravan/msg"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip19"
)

// TestBrowserOutbox: a message written while the node cannot be reached
// waits on the phone (in its outbox, and says so), and goes when the node
// is back; then it is delivered.
func TestBrowserOutbox(t *testing.T) {
	t.Parallel()
	tn := startNode(t)
	ann := newPhone(t, "ann", "en-US")
	bob := newPhone(t, "bob", "en-US")
	annPK := ann.createIdentity(tn, passA)
	bobPK := bob.createIdentity(tn, passB)
	ann.addContact(bob.npub(), "Bob")
	bob.addContact(ann.npub(), "Ann")
	ann.openChat(bobPK)
	bob.openChat(annPK)

	// The node goes away: the phones see it.
	endA := ann.allowErrors("ERR_CONNECTION_REFUSED", "WebSocket connection to")
	endB := bob.allowErrors("ERR_CONNECTION_REFUSED", "WebSocket connection to")
	tn.stopServing()
	ann.waitJS(`document.getElementById('status').dataset.status === 'offline'`)
	id := ann.send("Written while the node was away")
	ann.waitState(id, "phone")
	var waiting int
	ann.evalInto(`JSON.parse(localStorage.getItem('caravan.phone.outbox') || '[]').length`, &waiting)
	if waiting != 2 { // a wrap for Bob, and Ann's own copy
		t.Errorf("the outbox holds %d events, want 2", waiting)
	}
	if got := ann.text(`#messages li[data-id="` + id + `"] .state`); got != "Waiting on this phone" {
		t.Errorf("the message says %q", got)
	}
	ann.shot("waiting-on-phone")

	// Back: the page reconnects by itself and sends what waited.
	tn.serve()
	ann.waitState(id, "delivered")
	bob.waitIncoming("Written while the node was away")
	endA()
	endB()
	ann.evalInto(`JSON.parse(localStorage.getItem('caravan.phone.outbox') || '[]').length`, &waiting)
	if waiting != 0 {
		t.Errorf("the outbox still holds %d events after the node took them", waiting)
	}
	ann.shot("delivered")
	checkSecretsStayed(t, tn, ann, passA)
}

// plainIdentity is a key held in the test, for a sender outside any
// phone or node (msg.Identity).
type plainIdentity struct{ sk, pk string }

func newPlainIdentity() plainIdentity {
	sk := nostr.GeneratePrivateKey()
	pk, _ := nostr.GetPublicKey(sk)
	return plainIdentity{sk, pk}
}

func (p plainIdentity) PubKey() string             { return p.pk }
func (p plainIdentity) Sign(ev *nostr.Event) error { return ev.Sign(p.sk) }
func (p plainIdentity) ConversationKey(peer string) ([32]byte, error) {
	return msg.ConversationKey(p.sk, peer)
}

// TestBrowserHostileContent: a stranger whose public name, and whose
// message, are HTML with scripts, and a petname typed with HTML in it,
// all show as the characters they are, and nothing runs.
func TestBrowserHostileContent(t *testing.T) {
	t.Parallel()
	tn := startNode(t)
	ann := newPhone(t, "ann", "en-US")
	annPK := ann.createIdentity(tn, passA)
	ctx := context.Background()

	const hostileName = `<img src=x onerror="window.__pwned='name'">Mallory`
	const hostileText = `<script>window.__pwned='message'</script><b onmouseover="window.__pwned='b'">hi</b>`
	const hostilePet = `<svg onload="window.__pwned='petname'"></svg>Mal`
	mal := newPlainIdentity()
	profile := &nostr.Event{Kind: event.KindProfile, CreatedAt: nostr.Now(), Content: `{"name":` + jsString(hostileName) + `}`, Tags: nostr.Tags{}}
	profile.Sign(mal.sk)
	rumor := msg.NewRumor(mal.pk, event.KindChat, hostileText, nostr.Tags{{"p", annPK}}, time.Now())
	wrap, err := msg.Wrap(rumor, annPK, mal, msg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range tn.Node.Ingest(ctx, profile, wrap) {
		if !r.OK() {
			t.Fatalf("the node refused the stranger's events: %s", r.Message())
		}
	}

	ann.waitText("#rooms", "Mallory")
	if got := ann.text("#rooms"); !strings.Contains(got, hostileName) {
		t.Errorf("the chat list shows %q; want the name as text: %q", got, hostileName)
	}
	ann.click("#rooms a.room")
	ann.waitScreen("chat")
	ann.waitIncoming(hostileText)
	ann.shot("hostile-message")

	npub, _ := nip19.EncodePublicKey(mal.pk)
	ann.addContact(npub, hostilePet)
	ann.waitText("#person-name", hostilePet)
	ann.show("#/people", "people")
	ann.waitText("#contacts", hostilePet)
	ann.shot("hostile-petname")

	// A stranger who takes the name of a verified contact is called out.
	bob, impostor := newPlainIdentity(), newPlainIdentity()
	ann.addContact(must(nipNpub(bob.pk)), "Bob")
	ann.click("#verify")
	ann.waitJS(`document.querySelector('[data-verified=true]')`)
	fake := &nostr.Event{Kind: event.KindProfile, CreatedAt: nostr.Now(), Content: `{"name":"bob"}`, Tags: nostr.Tags{}}
	fake.Sign(impostor.sk)
	w2, err := msg.Wrap(msg.NewRumor(impostor.pk, event.KindChat, "It's me, Bob, new phone", nostr.Tags{{"p", annPK}}, time.Now()), annPK, impostor, msg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range tn.Node.Ingest(ctx, fake, w2) {
		if !r.OK() {
			t.Fatalf("the node refused the impostor's events: %s", r.Message())
		}
	}
	ann.show("#/chats", "chats")
	ann.waitText("#rooms", "It's me, Bob")
	ann.evalInto(`[...document.querySelectorAll('#rooms a.room')].find((a) => a.innerText.includes("It's me, Bob")).click()`, nil)
	ann.waitScreen("chat")
	ann.waitText("#impersonation", "not them")
	ann.shot("impersonation")

	var pwned any
	var injected int
	ann.evalInto(`window.__pwned ?? null`, &pwned)
	ann.evalInto(`document.querySelectorAll('#app img, #app script, #app svg, #app b').length`, &injected)
	if pwned != nil || injected != 0 {
		t.Errorf("hostile content ran (%v) or became elements (%d)", pwned, injected)
	}
}

// TestBrowserCarried: once another node has taken a wrap of a message
// (here by syncing with the phone's node), the page shows it carried. The
// node's answer to POST /phone/v1/carried is stood in for, from the
// node's own handover records, where the node does not answer it.
func TestBrowserCarried(t *testing.T) {
	t.Parallel()
	tn := startNode(t)
	var mu sync.Mutex
	handed := map[string]bool{}
	tn.Node.OnHandover(func(h node.Handover) {
		if h.Out {
			mu.Lock()
			handed[h.ID] = true
			mu.Unlock()
		}
	})
	tn.Node.OnRelayHTTP(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPost || r.URL.Path != phone.APIPrefix+"carried" {
			return false
		}
		var req struct{ IDs []string }
		json.NewDecoder(r.Body).Decode(&req)
		out := []string{}
		mu.Lock()
		for _, id := range req.IDs {
			if handed[id] {
				out = append(out, id)
			}
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string][]string{"carried": out})
		return true
	})
	ann := newPhone(t, "ann", "en-US")
	ann.createIdentity(tn, passA)
	far := newPlainIdentity() // someone whose node is elsewhere: no receipt comes
	ann.addContact(must(nipNpub(far.pk)), "Far")
	ann.openChat(far.pk)
	id := ann.send("For someone far away")
	ann.waitState(id, "node")

	other := nodetest.Open(t, node.Options{})
	nodetest.Meet(t, tn.Node, other)
	ann.waitState(id, "carried")
	if got := ann.text(`#messages li[data-id="` + id + `"] .state`); got != "Carried onward" {
		t.Errorf("the message says %q", got)
	}
	ann.shot("carried")
}
