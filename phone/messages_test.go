package phone_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/chat"
	"github.com/caravan-mesh/caravan/localapi"
	"github.com/caravan-mesh/caravan/msg"
	"github.com/nbd-wtf/go-nostr/nip19"
)

const passB = "seven quiet camels at dawn"

// TestBrowserTwoPhones: two phones (two browser profiles) at one node add
// each other (one from the other's npub, the other from a card), see the
// same safety number as package msg computes, and exchange private
// messages, whose states go from the phone to the node to delivered as
// the receipts come back.
func TestBrowserTwoPhones(t *testing.T) {
	t.Parallel()
	tn := startNode(t)
	ann := newPhone(t, "ann", "en-US")
	bob := newPhone(t, "bob", "en-US")
	annPK := ann.createIdentity(tn, passA)
	bobPK := bob.createIdentity(tn, passB)

	ann.addContact(bob.npub(), "Bob")
	ann.shot("ann-person-bob")
	bob.addContact(ann.card(), "Ann")

	// The safety number, the same on both phones and in Go.
	want, err := msg.SafetyNumber(annPK, bobPK)
	if err != nil {
		t.Fatal(err)
	}
	ann.show("#/person/"+bobPK, "person")
	if got := ann.text("#safety-number"); got != want {
		t.Errorf("ann's phone shows safety number %q, package msg computes %q", got, want)
	}
	if got := bob.text("#safety-number"); got != want {
		t.Errorf("bob's phone shows safety number %q, package msg computes %q", got, want)
	}
	ann.click("#verify")
	ann.waitJS(`document.querySelector('[data-verified=true]')`)

	ann.openChat(bobPK)
	id := ann.send("Salem, Bob! Are you at the market?")
	bob.openChat(annPK)
	bob.waitIncoming("Salem, Bob! Are you at the market?")
	ann.waitState(id, "delivered")
	ann.shot("ann-delivered")

	reply := bob.send("Yes, by the well.")
	ann.waitIncoming("Yes, by the well.")
	bob.waitState(reply, "delivered")
	bob.shot("bob-conversation")

	ann.show("#/chats", "chats")
	if got := ann.text("#rooms"); !strings.Contains(got, "Bob") || !strings.Contains(got, "Yes, by the well.") {
		t.Errorf("ann's chat list: %q", got)
	}
	ann.shot("ann-chats")

	// After a reload and unlocking, the conversation is still there.
	ann.reload()
	ann.waitScreen("unlock")
	ann.typeInto("#unlock-pass", passA)
	ann.click("#unlock-go")
	ann.waitScreen("chats")
	ann.waitText("#rooms", "Yes, by the well.")

	// Nothing of either key left either phone, or is in the node's files.
	checkSecretsStayed(t, tn, ann, passA)
	checkSecretsStayed(t, tn, bob, passB)
}

// TestBrowserPhoneAndNode: a phone and a Caravan node's own identity (a
// desktop user, through the local API as the CLI and the web UI use it)
// write to each other, in a group with a second phone too; each side
// reads the other's messages and receipts.
func TestBrowserPhoneAndNode(t *testing.T) {
	t.Parallel()
	tn := startNode(t, withIdentity("desk"))
	ctx := context.Background()
	id, err := tn.Node.Identity("")
	if err != nil {
		t.Fatal(err)
	}
	deskPK := id.PubKey.Hex()
	deskNpub, _ := nip19.EncodePublicKey(deskPK)

	ann := newPhone(t, "ann", "en-US")
	annPK := ann.createIdentity(tn, passA)
	ann.addContact(deskNpub, "Desk")
	annNpub, _ := nip19.EncodePublicKey(annPK)
	if _, err := localapi.Call(ctx, tn.API, localapi.AddPerson, localapi.PersonRequest{Who: annNpub, Name: "Ann"}); err != nil {
		t.Fatal(err)
	}

	// Safety numbers agree between the page and the node.
	sr, err := localapi.Call(ctx, tn.API, localapi.Safety, localapi.SafetyRequest{Who: annPK})
	if err != nil {
		t.Fatal(err)
	}
	ann.show("#/person/"+deskPK, "person")
	if got := ann.text("#safety-number"); got != sr.Number {
		t.Errorf("the phone shows safety number %q, the node %q", got, sr.Number)
	}

	// Phone to node.
	ann.openChat(deskPK)
	mid := ann.send("From the phone to the desk")
	deskSees := func(text string) chat.Message {
		t.Helper()
		var found chat.Message
		waitFor(t, "the node's identity to read "+text, func() bool {
			r, err := localapi.Call(ctx, tn.API, localapi.Chat, localapi.ChatRequest{With: annPK})
			if err != nil {
				return false
			}
			for _, m := range r.Messages {
				if m.Text == text {
					found = m
					return true
				}
			}
			return false
		})
		return found
	}
	if m := deskSees("From the phone to the desk"); m.From != annPK || m.ID != mid {
		t.Errorf("the node read %+v; want from %s with id %s", m, annPK, mid)
	}
	ann.waitState(mid, "delivered")

	// Node to phone, and the phone's receipt back.
	sent, err := localapi.Call(ctx, tn.API, localapi.DM, localapi.DMRequest{To: []string{annNpub}, Text: "From the desk to the phone"})
	if err != nil {
		t.Fatal(err)
	}
	ann.waitIncoming("From the desk to the phone")
	waitFor(t, "the node to mark its message delivered", func() bool {
		return deskSees("From the desk to the phone").State == chat.Delivered
	})
	_ = sent

	// A group: the phone, the desk, and a second phone.
	bob := newPhone(t, "bob", "en-US")
	bobPK := bob.createIdentity(tn, passB)
	ann.addContact(bob.npub(), "Bob")
	bob.addContact(ann.npub(), "Ann")
	ann.show("#/newgroup", "newgroup")
	ann.typeInto("#group-name", "Market")
	ann.click(`input[data-pubkey="` + deskPK + `"]`)
	ann.click(`input[data-pubkey="` + bobPK + `"]`)
	ann.click("#group-create")
	ann.waitScreen("chat")
	gid := ann.send("Bread at noon")
	waitFor(t, "the desk to read the group message", func() bool {
		convs, err := localapi.Call(ctx, tn.API, localapi.Inbox, localapi.AsRequest{})
		if err != nil {
			return false
		}
		return slices.ContainsFunc(convs, func(c chat.Conversation) bool {
			return c.Last.Text == "Bread at noon" && len(c.Members) == 3
		})
	})
	bob.show("#/chats", "chats")
	bob.waitText("#rooms", "Market")
	bob.click("#rooms a.room")
	bob.waitScreen("chat")
	bob.waitIncoming("Bread at noon")
	ann.waitState(gid, "delivered")
	ann.waitText(`#messages li[data-id="`+gid+`"] .state`, "Delivered to 2 of 2")
	ann.shot("ann-group")
	checkSecretsStayed(t, tn, ann, passA)
	checkSecretsStayed(t, tn, bob, passB)
}

// TestBrowserTwoNodes: two phones at two nodes that sync with each other
// (each has the other as a peer): the messages and their receipts cross
// between the nodes.
func TestBrowserTwoNodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	n1 := startNode(t)
	n2 := startNode(t)
	relay := func(tn *testNode) string { return "ws://" + strings.TrimPrefix(tn.Base, "http://") }
	if _, err := localapi.Call(ctx, n1.API, localapi.AddPeer, localapi.PeerRequest{URL: relay(n2)}); err != nil {
		t.Fatal(err)
	}
	if _, err := localapi.Call(ctx, n2.API, localapi.AddPeer, localapi.PeerRequest{URL: relay(n1)}); err != nil {
		t.Fatal(err)
	}
	ann := newPhone(t, "ann", "en-US")
	bob := newPhone(t, "bob", "es-ES")
	annPK := ann.createIdentity(n1, passA)
	bobPK := bob.createIdentity(n2, passB)
	ann.addContact(bob.card(), "Bob")
	bob.addContact(ann.card(), "Ann")
	ann.openChat(bobPK)
	id := ann.send("Across two nodes")
	bob.openChat(annPK)
	bob.waitIncoming("Across two nodes")
	ann.waitState(id, "delivered")
	reply := bob.send("Recibido")
	ann.waitIncoming("Recibido")
	bob.waitState(reply, "delivered")
	bob.shot("bob-at-the-other-node")
	checkSecretsStayed(t, n1, ann, passA)
	checkSecretsStayed(t, n2, bob, passB)
}
