package phone_test

import (
	"fmt"
)

// Steps a person takes on the page, for the tests.

const passA = "copper kettle river lantern"

// createIdentity makes an identity on a fresh phone, from the welcome
// screen, and returns its public key (hex).
func (p *phoneBrowser) createIdentity(tn *testNode, pass string) string {
	p.t.Helper()
	p.open(tn.Base + "/")
	p.waitScreen("welcome")
	p.click("#start-create")
	p.waitScreen("create")
	p.typeInto("#pass1", pass)
	p.typeInto("#pass2", pass)
	p.click("#create-go")
	p.waitScreen("backup")
	p.click("#backup-done")
	p.waitScreen("chats")
	var pk string
	p.evalInto(`localStorage.getItem('caravan.phone.pub')`, &pk)
	if len(pk) != 64 {
		p.t.Fatalf("%s: no public key after creating an identity: %q", p.name, pk)
	}
	return pk
}

// npub is the phone's own npub, as its Me tab shows it.
func (p *phoneBrowser) npub() string {
	p.t.Helper()
	p.show("#/me", "me")
	var s string
	p.evalInto(`document.getElementById('my-npub').value`, &s)
	return s
}

// card is the phone's own contact card (the text of its QR code).
func (p *phoneBrowser) card() string {
	p.t.Helper()
	p.show("#/me", "me")
	var s string
	p.evalInto(`document.getElementById('my-card').dataset.card`, &s)
	return s
}

// addContact adds a contact from the text of their card or npub.
func (p *phoneBrowser) addContact(card, petname string) {
	p.t.Helper()
	p.show("#/add", "add")
	p.setField("#contact-text", card)
	p.typeInto("#contact-name", petname)
	p.click("#contact-save")
	p.waitScreen("person")
}

// openChat opens the conversation with a contact (hex key).
func (p *phoneBrowser) openChat(pk string) {
	p.t.Helper()
	p.show("#/person/"+pk, "person")
	p.click("#write")
	p.waitScreen("chat")
}

// send writes text in the open conversation and returns the message's
// id, once it shows.
func (p *phoneBrowser) send(text string) string {
	p.t.Helper()
	p.setField("#compose", text)
	p.click("#send")
	p.waitJS(fmt.Sprintf(`[...document.querySelectorAll('#messages li.msg.out')].some((li) => li.querySelector('.text')?.textContent === %s)`, jsString(text)))
	var id string
	p.evalInto(fmt.Sprintf(`[...document.querySelectorAll('#messages li.msg.out')].find((li) => li.querySelector('.text')?.textContent === %s).dataset.id`, jsString(text)), &id)
	return id
}

// waitState waits until the page shows the message id in state.
func (p *phoneBrowser) waitState(id, state string) {
	p.t.Helper()
	p.waitJS(fmt.Sprintf(`document.querySelector('#messages li[data-id=%q]')?.dataset.state === %s`, id, jsString(state)))
}

// waitIncoming waits until the open conversation shows an incoming
// message with text.
func (p *phoneBrowser) waitIncoming(text string) {
	p.t.Helper()
	p.waitJS(fmt.Sprintf(`[...document.querySelectorAll('#messages li.msg.in .text')].some((e) => e.textContent === %s)`, jsString(text)))
}
