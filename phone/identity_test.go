package phone_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caravan-mesh/caravan/qr"
	"github.com/chromedp/chromedp"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip19"
	"github.com/nbd-wtf/go-nostr/nip49"
)

// qrOnPage reads the QR code drawn in the canvas matching sel with
// Caravan's own reader (package qr), as another Caravan would from a
// photo of the screen.
func (p *phoneBrowser) qrOnPage(sel string) string {
	p.t.Helper()
	var data string
	p.evalInto(`document.querySelector(`+jsString(sel)+`).toDataURL('image/png')`, &data)
	png, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(data, "data:image/png;base64,"))
	if err != nil {
		p.t.Fatal(err)
	}
	text, err := qr.ReadImage(png)
	if err != nil {
		p.t.Fatalf("%s: the QR code in %s does not read: %v", p.name, sel, err)
	}
	return text
}

// pictureOf writes a PNG of a QR code of text, as a phone's camera would
// give it, and returns its path.
func pictureOf(t *testing.T, text string) string {
	t.Helper()
	png, err := qr.PNG(text)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "photo.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// choosePicture gives the page's "Choose a picture" input a file.
func (p *phoneBrowser) choosePicture(path string) {
	p.t.Helper()
	p.run("choose a picture", chromedp.SetUploadFiles(chromedp.CSS(`.picture-inputs input[type=file]:not([capture])`), []string{path}))
}

// TestBrowserIdentity: a key made on the phone survives a reload behind
// its passphrase; a wrong passphrase is refused and the key stays
// locked; the backup's QR code and the card's read with Caravan's own QR
// reader; a second phone brings the key from a picture of the backup's
// QR code (refusing the wrong passphrase there too), and an nsec typed
// in; a contact comes from a picture of their QR code.
func TestBrowserIdentity(t *testing.T) {
	t.Parallel()
	tn := startNode(t)
	ann := newPhone(t, "ann", "en-US")
	annPK := ann.createIdentity(tn, passA)
	friend := nostr.GeneratePrivateKey()
	friendPK, _ := nostr.GetPublicKey(friend)
	friendNpub, _ := nip19.EncodePublicKey(friendPK)
	ann.addContact(friendNpub, "Friend")

	// The backup: its QR code is the ncryptsec kept, which opens with the
	// passphrase.
	ann.show("#/backup", "backup")
	var stored, shown string
	ann.evalInto(`localStorage.getItem('caravan.phone.key')`, &stored)
	ann.evalInto(`document.getElementById('backup-text').value`, &shown)
	if !strings.HasPrefix(stored, "ncryptsec1") || shown != stored {
		t.Fatalf("the backup shows %q; the phone keeps %q", shown, stored)
	}
	if got := ann.qrOnPage(".qr-box canvas"); got != stored {
		t.Errorf("the backup's QR code holds %q, want %q", got, stored)
	}
	sk, err := nip49.Decrypt(stored, passA)
	if err != nil {
		t.Fatalf("the stored key does not open with the passphrase: %v", err)
	}
	if pk, _ := nostr.GetPublicKey(sk); pk != annPK {
		t.Fatalf("the stored key is %s's, the page says %s", pk, annPK)
	}
	ann.shot("backup")

	// The card: a nostr:nprofile of the key.
	ann.show("#/me", "me")
	card := ann.qrOnPage("#my-card canvas")
	_, v, err := nip19.Decode(strings.TrimPrefix(card, "nostr:"))
	if !strings.HasPrefix(card, "nostr:nprofile1") || err != nil || v.(nostr.ProfilePointer).PublicKey != annPK {
		t.Errorf("the card's QR code holds %q (%v)", card, err)
	}
	ann.shot("me")

	// A reload: locked, and a wrong passphrase is refused.
	ann.reload()
	ann.waitScreen("unlock")
	ann.typeInto("#unlock-pass", "copper kettle river lamp")
	ann.click("#unlock-go")
	ann.waitText("#unlock-pass-err", "Wrong passphrase")
	ann.shot("unlock-wrong")
	var locked bool
	ann.evalInto(`document.getElementById('app').dataset.screen === 'unlock' && !document.querySelector('.tabs')`, &locked)
	if !locked {
		t.Error("a wrong passphrase let the page past the lock")
	}
	ann.typeInto("#unlock-pass", passA)
	ann.click("#unlock-go")
	ann.waitScreen("me") // where it was
	ann.show("#/people", "people")
	ann.waitText("#contacts", "Friend")

	// Lock.
	ann.show("#/me", "me")
	ann.click("#lock")
	ann.waitScreen("unlock")

	// Another phone brings the key from a picture of the backup's QR code.
	bob := newPhone(t, "bob", "en-US")
	bob.open(tn.Base + "/")
	bob.waitScreen("welcome")
	bob.click("#start-bring")
	bob.waitScreen("bring")
	bob.choosePicture(pictureOf(t, stored))
	bob.waitJS(`document.getElementById('key-text').value.startsWith('ncryptsec1')`)
	bob.typeInto("#bring-pass", "not the passphrase")
	bob.click("#bring-go")
	bob.waitText("#bring-pass-err", "Wrong passphrase")
	bob.shot("bring-wrong")
	bob.setField("#bring-pass", passA)
	bob.click("#bring-go")
	bob.waitScreen("chats")
	var pk string
	bob.evalInto(`localStorage.getItem('caravan.phone.pub')`, &pk)
	if pk != annPK {
		t.Errorf("the key brought is %s, want %s", pk, annPK)
	}

	// A contact from a picture of their QR code.
	carol := nostr.GeneratePrivateKey()
	carolPK, _ := nostr.GetPublicKey(carol)
	carolNpub, _ := nip19.EncodePublicKey(carolPK)
	carolCard := "nostr:" + must(nip19.EncodeProfile(carolPK, []string{"ws://10.42.0.1:7447/"}))
	bob.show("#/add", "add")
	bob.choosePicture(pictureOf(t, carolCard))
	bob.waitJS(`document.getElementById('contact-text').value.startsWith('nostr:nprofile1')`)
	bob.typeInto("#contact-name", "Carol")
	bob.click("#contact-save")
	bob.waitScreen("person")
	if got := bob.text(".page"); !strings.Contains(got, carolNpub) {
		t.Errorf("Carol's page does not show her npub: %q", got)
	}

	// Removed from this phone, then an nsec typed in.
	bob.show("#/me", "me")
	bob.click("#forget")
	bob.click(".sheet button.danger")
	bob.waitScreen("welcome")
	var left int
	bob.evalInto(`Object.keys(localStorage).filter((k) => k.startsWith('caravan.phone.') && !['caravan.phone.lang', 'caravan.phone.invite'].includes(k)).length`, &left)
	if left != 0 {
		t.Errorf("%d items are left in storage after removing the identity", left)
	}
	bob.click("#start-bring")
	bob.waitScreen("bring")
	nsec, _ := nip19.EncodePrivateKey(friend)
	bob.setField("#key-text", nsec)
	bob.typeInto("#bring-pass", "short")
	bob.click("#bring-go")
	bob.waitText("#bring-pass-err", "too short")
	bob.setField("#bring-pass", passB)
	bob.click("#bring-go")
	bob.waitScreen("chats")
	bob.evalInto(`localStorage.getItem('caravan.phone.pub')`, &pk)
	if pk != friendPK {
		t.Errorf("the nsec brought gives %s, want %s", pk, friendPK)
	}
	var kept string
	bob.evalInto(`localStorage.getItem('caravan.phone.key')`, &kept)
	if got, err := nip49.Decrypt(kept, passB); err != nil || got != friend {
		t.Errorf("the nsec is not kept sealed under the new passphrase: %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func nipNpub(pk string) (string, error) { return nip19.EncodePublicKey(pk) }
