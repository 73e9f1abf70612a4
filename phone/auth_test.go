package phone_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/caravan-mesh/caravan/phone"
	"github.com/coder/websocket"
	"github.com/nbd-wtf/go-nostr"
)

// authRelay is a relay that asks for NIP-42 AUTH as the contract for
// guests says a node does: the challenge when the websocket opens,
// nothing served and no EVENT accepted before a valid AUTH.
type authRelay struct {
	t         *testing.T
	challenge string
	mu        sync.Mutex
	auths     []*nostr.Event // valid AUTH events received
	refused   int            // REQs and EVENTs refused for want of AUTH
	accepted  []string       // ids of EVENTs accepted
}

func (a *authRelay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		phone.ServeFiles(w, r)
		return
	}
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	ctx := r.Context()
	send := func(v ...any) { b, _ := json.Marshal(v); c.Write(ctx, websocket.MessageText, b) }
	send("AUTH", a.challenge)
	authed := ""
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		var msg []json.RawMessage
		if json.Unmarshal(data, &msg) != nil || len(msg) < 2 {
			continue
		}
		var label, sub string
		json.Unmarshal(msg[0], &label)
		switch label {
		case "AUTH":
			var ev nostr.Event
			json.Unmarshal(msg[1], &ev)
			ok, _ := ev.CheckSignature()
			good := ok && ev.Kind == 22242 && ev.Tags.GetFirst([]string{"challenge", a.challenge}) != nil &&
				ev.Tags.GetFirst([]string{"relay", "ws://" + r.Host + "/"}) != nil
			if good {
				authed = ev.PubKey
				a.mu.Lock()
				a.auths = append(a.auths, &ev)
				a.mu.Unlock()
				send("OK", ev.ID, true, "")
			} else {
				send("OK", ev.ID, false, "invalid: bad AUTH")
			}
		case "REQ":
			json.Unmarshal(msg[1], &sub)
			if authed == "" {
				a.mu.Lock()
				a.refused++
				a.mu.Unlock()
				send("CLOSED", sub, "auth-required: sign in first")
				continue
			}
			send("EOSE", sub)
		case "EVENT":
			var ev nostr.Event
			json.Unmarshal(msg[1], &ev)
			if authed == "" {
				a.mu.Lock()
				a.refused++
				a.mu.Unlock()
				send("OK", ev.ID, false, "auth-required: sign in first")
				continue
			}
			a.mu.Lock()
			a.accepted = append(a.accepted, ev.ID)
			a.mu.Unlock()
			send("OK", ev.ID, true, "")
		}
	}
}

// TestBrowserAuth: at a node that asks for AUTH (NIP-42), the page signs
// in with its key and the invitation code from the poster's address
// (#invite=CODE, taken out of the address), then sends its subscriptions
// and what waits: a message goes to the node.
func TestBrowserAuth(t *testing.T) {
	t.Parallel()
	relay := &authRelay{t: t, challenge: "challenge-1234"}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: relay}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	base := "http://" + ln.Addr().String()

	p := newPhone(t, "ann", "en-US")
	p.open(base + "/#invite=poster-code-42")
	p.waitScreen("welcome")
	var href string
	p.evalInto(`location.href`, &href)
	if strings.Contains(href, "invite") {
		t.Errorf("the invitation code stays in the address: %s", href)
	}
	tn := &testNode{Base: base}
	pk := p.createIdentity(tn, passA)
	far := newPlainIdentity()
	p.addContact(must(nipNpub(far.pk)), "Far")
	p.openChat(far.pk)
	id := p.send("After signing in")
	p.waitState(id, "node")

	relay.mu.Lock()
	defer relay.mu.Unlock()
	if len(relay.auths) == 0 {
		t.Fatal("the page never answered AUTH")
	}
	a := relay.auths[0]
	if a.PubKey != pk || a.Tags.GetFirst([]string{"invite", "poster-code-42"}) == nil {
		t.Errorf("AUTH by %s with tags %v; want by %s with the invitation code", a.PubKey, a.Tags, pk)
	}
	if len(relay.accepted) < 2 {
		t.Errorf("the relay accepted %d events after AUTH, want the message's two wraps", len(relay.accepted))
	}
	t.Logf("%d requests refused before AUTH (sent again after it)", relay.refused)
}
