package phone_test

import (
	"testing"
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

func TestBrowserSmoke(t *testing.T) {
	tn := startNode(t)
	a := newPhone(t, "ann", "en-US")
	a.createIdentity(tn, passA)
	a.shot("chats")
}
